// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: user mappings of buffers.  A buffer is physically contiguous,
 * so a mapping is a pfn mapping: PTEs for the whole of it at mmap() time,
 * except the 2 MiB blocks that one PMD entry each can map (where the
 * kernel supports huge pfn mappings and the user address and the physical
 * address agree modulo 2 MiB), which huge_fault maps at their first touch.
 */

#include <linux/atomic.h>
#include <linux/mm.h>

#include "rmem_heap_buffer.h"

/* Debug counters (debugfs .mapping/): how mappings were filled in. */
bool rmem_heap_map_pmd = RMEM_HEAP_PMD_MAPS;
atomic_t rmem_heap_map_pmds = ATOMIC_INIT(0);
atomic_t rmem_heap_map_pte_faults = ATOMIC_INIT(0);

/**
 * rmem_heap_mmap_check() - validate a user mapping of a buffer
 * @buffer: the buffer
 * @vma:    the new mapping
 *
 * Return: 0, or -EINVAL for a private mapping or one beyond the buffer.
 */
int rmem_heap_mmap_check(struct rmem_heap_buffer *buffer,
			 struct vm_area_struct *vma)
{
	unsigned long npages = buffer->size >> PAGE_SHIFT;

	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if (vma->vm_pgoff >= npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;
	return 0;
}

/*
 * Cortex-A9 and Cortex-A53 have no hardware dirty bit: the first write to
 * each page of a clean writable mapping faults, only for the kernel to mark
 * it dirty.  A buffer has no page cache to write back, so a writable
 * mapping of it starts dirty and no write ever faults.
 */
static pgprot_t rmem_heap_prot_dirty(struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_WRITE))
		return vma->vm_page_prot;
	return __pgprot(pte_val(pte_mkdirty(pfn_pte(0, vma->vm_page_prot))));
}

/* The pfn behind user address @addr of @vma (vm_pgoff follows splits). */
static unsigned long rmem_heap_vma_pfn(struct vm_area_struct *vma,
				       unsigned long addr)
{
	struct rmem_heap_buffer *buffer = vma->vm_private_data;

	return PHYS_PFN(buffer->phys) + vma->vm_pgoff +
	       ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/*
 * The PTE fallback (no huge pfn mappings, THP disabled for the process, a
 * block cut by munmap() or mprotect()): fill the 2 MiB window around the
 * fault, so that touching a buffer costs one fault per window, not per page.
 */
static vm_fault_t rmem_heap_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start = max(vmf->address & PMD_MASK, vma->vm_start);
	unsigned long end = min((vmf->address & PMD_MASK) + PMD_SIZE,
				vma->vm_end);
	pgprot_t prot = rmem_heap_prot_dirty(vma);
	unsigned long addr;
	vm_fault_t ret;

	for (addr = start; addr < end; addr += PAGE_SIZE) {
		ret = vmf_insert_pfn_prot(vma, addr,
					  rmem_heap_vma_pfn(vma, addr), prot);
		if (ret != VM_FAULT_NOPAGE)
			return ret;
	}
	atomic_inc(&rmem_heap_map_pte_faults);
	return VM_FAULT_NOPAGE;
}

#if RMEM_HEAP_PMD_MAPS
/* Is the 2 MiB block at @addr inside @vma and physically aligned? */
static bool rmem_heap_pmd_fits(struct vm_area_struct *vma, unsigned long addr)
{
	return addr >= vma->vm_start && vma->vm_end - addr >= PMD_SIZE &&
	       IS_ALIGNED(rmem_heap_vma_pfn(vma, addr), 1UL << PMD_ORDER);
}

static vm_fault_t rmem_heap_vm_huge_fault(struct vm_fault *vmf,
					  unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PMD_MASK;
	vm_fault_t ret;

	if (order != PMD_ORDER || !rmem_heap_pmd_fits(vma, addr))
		return VM_FAULT_FALLBACK;
	/* writable entries start dirty, as rmem_heap_prot_dirty() says why */
	ret = rmem_heap_insert_pfn_pmd(vmf, rmem_heap_vma_pfn(vma, addr),
				       vma->vm_flags & VM_WRITE);
	if (ret == VM_FAULT_NOPAGE)
		atomic_inc(&rmem_heap_map_pmds);
	return ret;
}
#endif

static const struct vm_operations_struct rmem_heap_vm_ops = {
	.fault = rmem_heap_vm_fault,
#if RMEM_HEAP_PMD_MAPS
	.huge_fault = rmem_heap_vm_huge_fault,
#endif
};

/*
 * [*start, *end): the whole 2 MiB blocks of @vma that PMD entries can map,
 * empty when the kernel has none or the user address and the physical
 * address do not agree modulo 2 MiB.
 */
static void rmem_heap_pmd_span(struct vm_area_struct *vma,
			       unsigned long *start, unsigned long *end)
{
	*start = vma->vm_end;
	*end = vma->vm_end;
#if RMEM_HEAP_PMD_MAPS
	if ((vma->vm_start ^ PFN_PHYS(rmem_heap_vma_pfn(vma, vma->vm_start))) &
	    ~PMD_MASK)
		return;
	if (ALIGN(vma->vm_start, PMD_SIZE) < (vma->vm_end & PMD_MASK)) {
		*start = ALIGN(vma->vm_start, PMD_SIZE);
		*end = vma->vm_end & PMD_MASK;
	}
#endif
}

static int rmem_heap_remap(struct vm_area_struct *vma, unsigned long start,
			   unsigned long end)
{
	if (start == end)
		return 0;
	return remap_pfn_range(vma, start, rmem_heap_vma_pfn(vma, start),
			       end - start, rmem_heap_prot_dirty(vma));
}

/**
 * rmem_heap_mmap_pfns() - map a checked user mapping of a buffer
 * @buffer:    the buffer
 * @vma:       the mapping (rmem_heap_mmap_check() passed)
 * @cacheable: a write-back mapping (else write-combined)
 *
 * Everything is mapped now but the 2 MiB blocks a PMD entry can map: a
 * huge pfn mapping can only be made from a fault, once per block.
 *
 * Return: 0 or the error of remap_pfn_range().
 */
int rmem_heap_mmap_pfns(struct rmem_heap_buffer *buffer,
			struct vm_area_struct *vma, bool cacheable)
{
	unsigned long start, end;
	int ret;

	if (cacheable) {
		/* only ever set; read at free and by the cache model */
		if (!READ_ONCE(buffer->user_mapped))
			rmem_heap_cm_note(buffer->pool, buffer->phys,
					  buffer->size, RMEM_HEAP_CM_MAP_USER);
		WRITE_ONCE(buffer->user_mapped, true);
	} else {
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	}
	/* what remap_pfn_range() sets, also when the blocks are all of it */
	rmem_heap_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			       VM_DONTDUMP);
	vma->vm_private_data = buffer;
	vma->vm_ops = &rmem_heap_vm_ops;

	rmem_heap_pmd_span(vma, &start, &end);
	ret = rmem_heap_remap(vma, vma->vm_start, start);
	if (!ret)
		ret = rmem_heap_remap(vma, end, vma->vm_end);
	return ret;
}
