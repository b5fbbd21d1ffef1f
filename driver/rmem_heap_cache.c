// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: CPU cache maintenance on the driver's own mapping of a no-map
 * buffer.
 *
 * The DMA API cannot be used for no-map memory: dma_sync_*() ends in
 * arch_sync_dma_for_{device,cpu}(), which on arm64 cleans and invalidates
 * through phys_to_virt(), i.e. the linear map, and the linear map does not
 * cover no-map regions.  So the driver maintains the caches by the virtual
 * address of its own write-back memremap() of the buffer:
 *
 *  - arm64: arch_wb_cache_pmem() (DC CVAP/CVAC to the point of coherency or
 *    beyond) and arch_invalidate_pmem() (DC IVAC), both exported and taking
 *    any kernel virtual address.
 *  - 32-bit arm: the inner caches through the exported cpu_cache table
 *    (dma_map_area/dma_unmap_area, MULTI_CACHE kernels) or, on single
 *    cache-model kernels (e.g. ARCH_MULTI_V7 only, Zynq-7000), the exported
 *    __cpuc_flush_dcache_area() (clean+invalidate), followed or preceded by
 *    the outer cache (PL310 L2) by physical address.
 *  - anything else: unsupported; probe refuses a cached policy on a no-map
 *    region unless the device is dma-coherent.
 */

#include <linux/dma-direction.h>
#include <linux/types.h>

#if defined(CONFIG_ARM64)
#include <linux/libnvdimm.h>
#elif defined(CONFIG_ARM)
#include <asm/cacheflush.h>
#include <asm/outercache.h>
#endif

#include "rmem_heap.h"

/**
 * rmem_heap_cache_supported() - can cached no-map buffers be maintained?
 *
 * Return: true if rmem_heap_cache_clean() and rmem_heap_cache_inval() do
 * real work on this architecture.
 */
bool rmem_heap_cache_supported(void)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	return true;
#elif defined(CONFIG_ARM)
	return true;
#else
	return false;
#endif
}

/**
 * rmem_heap_cache_clean() - write dirty CPU cache lines back to memory
 * @vaddr: the driver's write-back kernel mapping of the range
 * @phys:  physical address of the range (outer caches)
 * @size:  size of the range in bytes
 *
 * After this, a non-coherent device reading memory sees what the CPU wrote
 * through any cacheable mapping of the range.
 */
void rmem_heap_cache_clean(void *vaddr, phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	arch_wb_cache_pmem(vaddr, size);
#elif defined(CONFIG_ARM)
#ifdef MULTI_CACHE
	cpu_cache.dma_map_area(vaddr, size, DMA_TO_DEVICE);
#else
	__cpuc_flush_dcache_area(vaddr, size);
#endif
	outer_clean_range(phys, phys + size);
#endif
}

/**
 * rmem_heap_cache_inval() - drop CPU cache lines of a range
 * @vaddr: the driver's write-back kernel mapping of the range
 * @phys:  physical address of the range (outer caches)
 * @size:  size of the range in bytes
 *
 * After this, CPU reads through a cacheable mapping fetch what a device
 * wrote to memory.  Lines the CPU dirtied since the last clean are lost
 * (the dma-buf sync protocol forbids that).  On 32-bit arm kernels with a
 * single cache model the inner caches are cleaned and invalidated, which is
 * equivalent under that protocol.
 */
void rmem_heap_cache_inval(void *vaddr, phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	arch_invalidate_pmem(vaddr, size);
#elif defined(CONFIG_ARM)
	outer_inv_range(phys, phys + size);
#ifdef MULTI_CACHE
	cpu_cache.dma_unmap_area(vaddr, size, DMA_FROM_DEVICE);
#else
	__cpuc_flush_dcache_area(vaddr, size);
#endif
#endif
}
