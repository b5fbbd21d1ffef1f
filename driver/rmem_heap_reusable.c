// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: buffers of reusable regions, the device's own CMA area.
 *
 * Pages come from the area with cma_alloc() where the kernel exports it,
 * as the kernel's CMA heap does, else through dma_alloc_pages() on the
 * pool's device (rmem_heap_cma.c), small ones cut from slabs of it
 * (rmem_heap_slab.c).  They are lowmem (probe refuses
 * anything else) and always have the linear map's cacheable alias, so
 * maintenance goes through the DMA API, which knows which importer snoops,
 * bounces or sits behind an IOMMU.  Documentation/rmem-heap.rst ("CPU
 * caches") has the rules.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "rmem_heap_buffer.h"

#define CM(ev)	RMEM_HEAP_CM_##ev

/* What the model is told the maintenance of a range for @dev did. */
static void rmem_heap_reusable_note_sync(struct rmem_heap_buffer *buffer,
					 size_t offset, size_t len,
					 struct device *dev,
					 enum dma_data_direction dir,
					 bool for_cpu)
{
	rmem_heap_cm_dma(buffer->pool, buffer->phys + offset, len, dev, dir,
			 for_cpu);
}

static struct sg_table *
rmem_heap_reusable_map_dma_buf(struct dma_buf_attachment *attachment,
			       enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;
	int ret;

	ret = rmem_heap_check_reach(a->dev, buffer,
				    phys_to_dma(a->dev, buffer->phys));
	if (ret)
		return ERR_PTR(ret);

	mutex_lock(&buffer->lock);
	if (a->mapped) {
		ret = -EBUSY;
		goto unlock;
	}
	/*
	 * The pages stay mapped for the pool device, so DMA-API debug would
	 * see every importer's mapping as an overlap of the same cache
	 * lines: map without the CPU sync and do that sync explicitly, for
	 * every policy (it also copies into bounce buffers).
	 */
	rmem_heap_cm_user_write(buffer);
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		goto unlock;
	dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	rmem_heap_reusable_note_sync(buffer, 0, buffer->size, a->dev, dir,
				     false);
	a->mapped = true;
	a->dir = dir;
	rmem_heap_cm_device(buffer, a->dev, dir);
unlock:
	mutex_unlock(&buffer->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void
rmem_heap_reusable_unmap_dma_buf(struct dma_buf_attachment *attachment,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	dma_sync_sgtable_for_cpu(a->dev, sgt, dir);
	rmem_heap_reusable_note_sync(buffer, 0, buffer->size, a->dev, dir,
				     true);
	dma_unmap_sgtable(a->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	a->mapped = false;
	mutex_unlock(&buffer->lock);
}

/*
 * Sync through every importer that has the buffer mapped (this covers
 * bounce buffers and IOMMUs too).  With none mapped there is nothing to
 * do, as in the kernel's CMA heap: no device wrote since the last unmap
 * invalidated, and the next map cleans what the CPU writes now.
 *
 * Each mapping is synced in the direction it was mapped with, whatever
 * the CPU's access: the DMA API allows no other (a capture driver's
 * FROM_DEVICE mapping while user space writes the buffer), and that
 * direction is what the device does with it: a device that only writes
 * needs the CPU's lines invalidated (arm) or cleaned (arm64) before, and
 * invalidated after; one that only reads needs them cleaned before and
 * nothing after.
 *
 * A part of the buffer (the control device's partial access) is synced
 * segment by segment where the mapping is the DMA API's direct one: its
 * segments are the sg table's, one to one, so a range of a segment is a
 * range of its mapping.  Behind an IOMMU the whole mapping is synced.
 */
static void rmem_heap_reusable_sync(struct rmem_heap_buffer *buffer,
				    struct rmem_heap_attachment *a,
				    size_t offset, size_t len, bool for_cpu)
{
	struct scatterlist *sg;
	size_t pos = 0, end = offset + len;
	unsigned int i;

	if (len == buffer->size || device_iommu_mapped(a->dev)) {
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
		rmem_heap_reusable_note_sync(buffer, 0, buffer->size, a->dev,
					     a->dir, for_cpu);
		return;
	}

	for_each_sgtable_dma_sg(&a->sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		size_t start = pos, from, count;

		pos += sg_dma_len(sg);
		if (end <= start || offset >= pos)
			continue;
		from = max(offset, start) - start;
		count = min(end, pos) - start - from;
		if (for_cpu)
			dma_sync_single_range_for_cpu(a->dev, addr, from, count,
						      a->dir);
		else
			dma_sync_single_range_for_device(a->dev, addr, from,
							 count, a->dir);
	}
	rmem_heap_reusable_note_sync(buffer, offset, len, a->dev, a->dir,
				     for_cpu);
}

static int rmem_heap_reusable_cpu_access(struct rmem_heap_buffer *buffer,
					 size_t offset, size_t len,
					 enum dma_data_direction dir,
					 bool for_cpu)
{
	struct rmem_heap_attachment *a;
	bool synced = false;

	mutex_lock(&buffer->lock);
	list_for_each_entry(a, &buffer->attachments, list) {
		if (!a->mapped)
			continue;
		rmem_heap_reusable_sync(buffer, a, offset, len, for_cpu);
		synced = true;
	}
	if (synced && rmem_heap_buffer_policy(buffer) == RMEM_HEAP_CACHED)
		atomic_long_inc(for_cpu ? &buffer->invals : &buffer->cleans);
	if (for_cpu)
		rmem_heap_cm_cpu(buffer, offset, len, dir);
	mutex_unlock(&buffer->lock);
	return 0;
}

static int rmem_heap_reusable_begin_cpu_access(struct dma_buf *dmabuf,
					       enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	return rmem_heap_reusable_cpu_access(buffer, 0, buffer->size, dir,
					     true);
}

static int rmem_heap_reusable_end_cpu_access(struct dma_buf *dmabuf,
					     enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	return rmem_heap_reusable_cpu_access(buffer, 0, buffer->size, dir,
					     false);
}

static int rmem_heap_reusable_mmap(struct dma_buf *dmabuf,
				   struct vm_area_struct *vma)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	int ret;

	ret = rmem_heap_mmap_check(buffer, vma);
	if (ret)
		return ret;
	return rmem_heap_mmap_pfns(buffer, vma, rmem_heap_buffer_policy(buffer) !=
				   RMEM_HEAP_UNCACHED);
}

/*
 * Write-combined kernel mapping of an uncached buffer, made on demand so
 * that idle uncached buffers use no vmalloc space (scarce on 32-bit arm).
 */
static void *rmem_heap_reusable_vmap_wc(struct rmem_heap_buffer *buffer)
{
	unsigned long i, npages = buffer->size >> PAGE_SHIFT;
	struct page **pages;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < npages; i++)
		pages[i] = pfn_to_page(page_to_pfn(buffer->pages) + i);

	vaddr = vmap(pages, npages, VM_MAP, pgprot_writecombine(PAGE_KERNEL));
	kvfree(pages);
	return vaddr;
}

static int rmem_heap_reusable_vmap(struct dma_buf *dmabuf,
				   struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	void *vaddr = buffer->vaddr;
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (rmem_heap_buffer_policy(buffer) == RMEM_HEAP_UNCACHED) {
		if (!buffer->vmap_cnt)
			buffer->vmap_addr = rmem_heap_reusable_vmap_wc(buffer);
		vaddr = buffer->vmap_addr;
		if (!vaddr) {
			ret = -ENOMEM;
			goto unlock;
		}
	}
	buffer->vmap_cnt++;
	iosys_map_set_vaddr(map, vaddr);
unlock:
	mutex_unlock(&buffer->lock);
	return ret;
}

static void rmem_heap_reusable_vunmap(struct dma_buf *dmabuf,
				      struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	mutex_lock(&buffer->lock);
	if (!WARN_ON(!buffer->vmap_cnt) && !--buffer->vmap_cnt &&
	    buffer->vmap_addr) {
		vunmap(buffer->vmap_addr);
		buffer->vmap_addr = NULL;
	}
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

/**
 * rmem_heap_reusable_prepare() - cache maintenance of zeroed pages
 * @pool:   the pool
 * @page:   first page, just zeroed through the (cacheable) linear map
 * @dma:    the pool device's DMA address of the pages
 * @size:   bytes
 * @policy: the cache policy of the buffer they are for
 *
 * What a new buffer's pages need between their zeroing and the buffer's
 * first user; also run on freed chunks kept for the next buffer of their
 * heap (rmem_heap_keep.c), before that buffer is asked for.
 *
 * Return: the number of cache cleans made (a buffer's "cleans").
 */
unsigned int rmem_heap_reusable_prepare(struct rmem_heap_pool *pool,
					struct page *page, dma_addr_t dma,
					size_t size,
					enum rmem_heap_policy policy)
{
	struct device *dev = pool->dev;
	phys_addr_t phys = page_to_phys(page);

	rmem_heap_cm_note(pool, phys, size, CM(CPU_ZERO));
	/*
	 * A cached buffer may keep its zeroes in the caches until an importer
	 * maps it (on arm64 that map cleans, as the kernel's CMA heap relies
	 * on); 32-bit arm invalidates for a FROM_DEVICE map, which would drop
	 * them over the old data, so it cleans now.  An uncached buffer is
	 * read through write-combined mappings, which must see them in memory.
	 */
	switch (policy) {
	case RMEM_HEAP_CACHED:
		if (!IS_ENABLED(CONFIG_ARM))
			return 0;
		dma_sync_single_for_device(dev, dma, size, DMA_TO_DEVICE);
		rmem_heap_cm_dma(pool, phys, size, dev, DMA_TO_DEVICE, false);
		return 1;
	case RMEM_HEAP_UNCACHED:
		dma_sync_single_for_device(dev, dma, size, DMA_TO_DEVICE);
		dma_sync_single_for_cpu(dev, dma, size, DMA_FROM_DEVICE);
		rmem_heap_cm_dma(pool, phys, size, dev, DMA_TO_DEVICE, false);
		rmem_heap_cm_dma(pool, phys, size, dev, DMA_FROM_DEVICE, true);
		return 0;
	case RMEM_HEAP_COHERENT:
		break;
	}
	return 0;
}

/* Pages for a reusable buffer, zeroed through the (cacheable) linear map. */
static int rmem_heap_reusable_get(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	enum rmem_heap_policy policy = rmem_heap_buffer_policy(buffer);
	unsigned long gen = rmem_heap_keep_gen(pool);
	unsigned int cleans = UINT_MAX;
	struct page *page;
	dma_addr_t dma;
	bool kept;

	/* small ones from a slab, whose history the model has */
	page = rmem_heap_slab_take(pool, buffer->size, &dma);
	if (!page)
		page = rmem_heap_keep_take(pool, buffer->size, policy, &dma,
					   &cleans);
	kept = page;
	if (!page && rmem_heap_anchor_take(pool, buffer->size))
		page = rmem_heap_cma_alloc(pool, buffer->size, &dma, true);
	if (!page) {
		/*
		 * What the pool holds back, or was giving back meanwhile, may
		 * be the room that is missing.
		 */
		bool dropped = rmem_heap_anchor_drop(pool);

		if (rmem_heap_keep_drop(pool) || rmem_heap_keep_gen(pool) != gen)
			dropped = true;
		if (rmem_heap_slab_drop(pool))
			dropped = true;
		if (dropped && rmem_heap_cma_room(pool, buffer->size))
			page = rmem_heap_cma_alloc(pool, buffer->size, &dma, true);
	}
	if (!page) {
		rmem_heap_pool_failed(pool);
		return -ENOMEM;
	}

	buffer->pages = page;
	buffer->dma = dma;
	buffer->phys = page_to_phys(page);
	buffer->offset = buffer->phys - pool->base;
	buffer->vaddr = page_address(page);
	/* a kept chunk's history is the model's already */
	if (!kept)
		rmem_heap_cm_note(pool, buffer->phys, buffer->size, CM(ADOPT));
	/* a kept chunk may have been prepared in the background */
	if (cleans == UINT_MAX)
		cleans = rmem_heap_reusable_prepare(pool, page, dma,
						    buffer->size, policy);
	atomic_long_add(cleans, &buffer->cleans);
	rmem_heap_cm_note(pool, buffer->phys, buffer->size,
			  policy == RMEM_HEAP_CACHED ?
			  CM(ALLOC_CACHED) : CM(ALLOC));

	mutex_lock(&pool->lock);
	rmem_heap_pool_account(pool, buffer->size);
	mutex_unlock(&pool->lock);
	return 0;
}

/* Give the pages back to their slab or CMA; undoes rmem_heap_reusable_get(). */
static void rmem_heap_reusable_put(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;

	if (WARN_ON(buffer->vmap_cnt) && buffer->vmap_addr)
		vunmap(buffer->vmap_addr);
	rmem_heap_cm_note(pool, buffer->phys, buffer->size, CM(FREE));
	if (rmem_heap_slab_put(pool, buffer->pages, buffer->size))
		return;
	if (rmem_heap_keep_put(pool, buffer->pages, buffer->size, buffer->dma,
			       rmem_heap_buffer_policy(buffer)))
		return;

	rmem_heap_cm_note(pool, buffer->phys, buffer->size, CM(FORGET));
	rmem_heap_cma_free(pool, buffer->pages, buffer->size, buffer->dma);
	mutex_lock(&pool->lock);
	rmem_heap_pool_unaccount(pool, buffer->size);
	mutex_unlock(&pool->lock);
}

static const struct dma_buf_ops rmem_heap_reusable_buf_ops = {
	.attach = rmem_heap_attach,
	.detach = rmem_heap_detach,
	.map_dma_buf = rmem_heap_reusable_map_dma_buf,
	.unmap_dma_buf = rmem_heap_reusable_unmap_dma_buf,
	.begin_cpu_access = rmem_heap_reusable_begin_cpu_access,
	.end_cpu_access = rmem_heap_reusable_end_cpu_access,
	.mmap = rmem_heap_reusable_mmap,
	.vmap = rmem_heap_reusable_vmap,
	.vunmap = rmem_heap_reusable_vunmap,
	.release = rmem_heap_release,
};

const struct rmem_heap_backend rmem_heap_reusable_backend = {
	.get = rmem_heap_reusable_get,
	.put = rmem_heap_reusable_put,
	.cpu_access = rmem_heap_reusable_cpu_access,
	.buf_ops = &rmem_heap_reusable_buf_ops,
};
