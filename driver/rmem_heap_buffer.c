// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: buffer allocation and the dma_buf_ops of both region types.
 *
 * no-map regions: the range allocator hands out page-granular extents of
 * zeroed free space (rmem_heap_zero.c); the CPU reaches a buffer only
 * through the driver's memremap()s (write-combined to vmap uncached
 * buffers, write-back for cache maintenance and vmap of cached and coherent
 * ones) and user mmap() of its PFNs;
 * importers get a one-entry sg table whose DMA address comes from
 * dma_map_resource().  No struct page is ever touched.
 *
 * reusable regions: pages come from the device's own CMA area through
 * dma_alloc_pages(); importers get a one-entry page-backed sg table mapped
 * with dma_map_sgtable(), CPU syncs use dma_sync_*() as the CMA heap does.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <uapi/linux/dma-buf.h>

#include "rmem_heap.h"

/**
 * struct rmem_heap_attachment - one importer of a buffer
 * @dev:    the importing device
 * @sgt:    the importer's own one-entry sg table
 * @list:   entry in &rmem_heap_buffer.attachments
 * @mapped: @sgt is currently DMA-mapped for @dev
 */
struct rmem_heap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head list;
	bool mapped;
};

/* cached heaps: the driver maintains the caches and counts it */
static bool rmem_heap_buffer_maintained(const struct rmem_heap_buffer *buffer)
{
	return buffer->heap->policy == RMEM_HEAP_CACHED;
}

/* uncached heaps: CPU access is write-combined, never any dirty line */
static bool rmem_heap_buffer_uncached(const struct rmem_heap_buffer *buffer)
{
	return buffer->heap->policy == RMEM_HEAP_UNCACHED;
}

/* Pool accounting, called with pool->lock held. */
static void rmem_heap_pool_account(struct rmem_heap_pool *pool, size_t size)
{
	lockdep_assert_held(&pool->lock);
	pool->used += size;
	pool->nr_buffers++;
	if (pool->used > pool->peak_used)
		pool->peak_used = pool->used;
}

static void rmem_heap_pool_unaccount(struct rmem_heap_pool *pool, size_t size)
{
	lockdep_assert_held(&pool->lock);
	pool->used -= size;
	pool->nr_buffers--;
}

/**
 * rmem_heap_pool_stats() - snapshot of a pool's counters
 * @pool:  the pool
 * @stats: filled in under the pool lock
 *
 * Zeroes a no-map pool's dirty free space first, so may sleep for as long
 * as that takes.
 */
void rmem_heap_pool_stats(struct rmem_heap_pool *pool,
			  struct rmem_heap_stats *stats)
{
	mutex_lock(&pool->lock);
	/* no-map: figures that do not depend on the zeroing's progress */
	if (pool->type == RMEM_HEAP_NOMAP)
		rmem_heap_zero_settle_locked(pool);

	stats->size = pool->size;
	stats->used = pool->used;
	stats->peak_used = pool->peak_used;
	stats->buffers = pool->nr_buffers;
	stats->failed = pool->failed;
	if (pool->type == RMEM_HEAP_NOMAP) {
		stats->free = rmem_heap_alloc_free_bytes(&pool->alloc);
		stats->largest_free = rmem_heap_alloc_largest_free(&pool->alloc);
	} else {
		/* CMA does not expose its fragmentation: an upper bound */
		stats->free = pool->size - pool->used;
		stats->largest_free = stats->free;
	}
	mutex_unlock(&pool->lock);
}

/*
 * Reachability of [addr, addr + size) for an importer that maps directly
 * (no IOMMU): dma-direct WARNs when the device cannot reach the range, so
 * check its mask and bus limit first and fail cleanly.
 */
static int rmem_heap_check_reach(struct device *dev, u64 addr, size_t size)
{
	u64 limit;

	if (!dev->dma_mask)
		return -EINVAL;
	if (device_iommu_mapped(dev))
		return 0;

	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	if (addr + size - 1 > limit) {
		dev_warn_ratelimited(dev,
				     "rmem_heap: buffer %#llx+%zu beyond DMA reach (mask %#llx, bus limit %#llx)\n",
				     addr, size, *dev->dma_mask,
				     (u64)dev->bus_dma_limit);
		return -EIO;
	}
	return 0;
}

/*
 * Length of the sg entry starting at buffer offset @pos for @dev: at most
 * its maximum segment size, never across its segment boundary (both are
 * checked by dma-debug and honoured by scatter-gather engines).
 */
static size_t rmem_heap_seg_len(struct rmem_heap_buffer *buffer,
				struct device *dev, size_t pos)
{
	size_t max_seg = dma_get_max_seg_size(dev) & PAGE_MASK;
	u64 mask = dma_get_seg_boundary(dev) | (PAGE_SIZE - 1);
	u64 addr = buffer->phys + pos;
	size_t len = buffer->size - pos;

	if (!max_seg)
		max_seg = PAGE_SIZE;
	len = min(len, max_seg);
	if (mask != U64_MAX && (addr | mask) - addr + 1 < len)
		len = (addr | mask) - addr + 1;
	return len;
}

/*
 * Build the importer's own sg table: contiguous entries covering the
 * buffer, with pages for reusable buffers and only lengths for no-map ones
 * (whose DMA fields are filled in when mapped).
 */
static int rmem_heap_build_sgt(struct rmem_heap_buffer *buffer,
			       struct device *dev, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int nents = 0;
	size_t pos, len;
	int ret;

	for (pos = 0; pos < buffer->size; pos += len, nents++)
		len = rmem_heap_seg_len(buffer, dev, pos);

	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;

	pos = 0;
	for (sg = sgt->sgl; sg; sg = sg_next(sg)) {
		len = rmem_heap_seg_len(buffer, dev, pos);
		if (buffer->pages) {
			sg_set_page(sg, pfn_to_page(PHYS_PFN(buffer->phys + pos)),
				    len, 0);
		} else {
			sg->offset = 0;
			sg->length = len;
		}
		pos += len;
	}
	return 0;
}

static int rmem_heap_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attachment)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	struct rmem_heap_attachment *a;
	int ret;

	a = kzalloc_obj(*a, GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	ret = rmem_heap_build_sgt(buffer, attachment->dev, &a->sgt);
	if (ret)
		goto free_attachment;

	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->list);
	attachment->priv = a;

	mutex_lock(&buffer->lock);
	list_add(&a->list, &buffer->attachments);
	mutex_unlock(&buffer->lock);

	return 0;

free_attachment:
	kfree(a);
	return ret;
}

static void rmem_heap_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attachment)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	list_del(&a->list);
	mutex_unlock(&buffer->lock);

	sg_free_table(&a->sgt);
	kfree(a);
}

static int rmem_heap_map_nomap(struct rmem_heap_buffer *buffer,
			       struct rmem_heap_attachment *a,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct scatterlist *sg;
	dma_addr_t addr;
	int ret;

	/* dma_map_resource() uses the physical address as the bus address */
	ret = rmem_heap_check_reach(a->dev, buffer->phys, buffer->size);
	if (ret)
		return ret;

	addr = dma_map_resource(a->dev, buffer->phys, buffer->size, dir, attrs);
	if (dma_mapping_error(a->dev, addr))
		return -ENOMEM;

	for (sg = a->sgt.sgl; sg; sg = sg_next(sg)) {
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
		addr += sg->length;
	}
	a->sgt.nents = a->sgt.orig_nents;
	return 0;
}

static int rmem_heap_map_reusable(struct rmem_heap_buffer *buffer,
				  struct rmem_heap_attachment *a,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	int ret;

	ret = rmem_heap_check_reach(a->dev, phys_to_dma(a->dev, buffer->phys),
				    buffer->size);
	if (ret)
		return ret;

	/*
	 * The pages stay mapped for the pool device from dma_alloc_pages()
	 * on, so DMA-API debug would see every importer's mapping as an
	 * overlap of the same cache lines. Map without the CPU sync and do
	 * that sync explicitly, which is what the mapping would have done.
	 */
	ret = dma_map_sgtable(a->dev, &a->sgt, dir,
			      attrs | DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		return ret;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	return 0;
}

static struct sg_table *
rmem_heap_map_dma_buf(struct dma_buf_attachment *attachment,
		      enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;
	unsigned long attrs = 0;
	int ret;

	/*
	 * Write-combined buffers never have dirty CPU lines; for cached and
	 * coherent ones the importer's DMA API decides what to do.
	 */
	if (rmem_heap_buffer_uncached(buffer))
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;

	mutex_lock(&buffer->lock);
	/* one mapping at a time: the sg table belongs to the attachment */
	if (a->mapped)
		ret = -EBUSY;
	else if (buffer->pages)
		ret = rmem_heap_map_reusable(buffer, a, dir, attrs);
	else
		ret = rmem_heap_map_nomap(buffer, a, dir, attrs);
	if (!ret)
		a->mapped = true;
	mutex_unlock(&buffer->lock);

	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void rmem_heap_unmap_dma_buf(struct dma_buf_attachment *attachment,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;
	unsigned long attrs = 0;

	if (rmem_heap_buffer_uncached(buffer))
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;

	mutex_lock(&buffer->lock);
	if (buffer->pages) {
		/* the explicit counterpart of the sync done at map time */
		if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
			dma_sync_sgtable_for_cpu(a->dev, sgt, dir);
		dma_unmap_sgtable(a->dev, sgt, dir,
				  attrs | DMA_ATTR_SKIP_CPU_SYNC);
	} else {
		dma_unmap_resource(a->dev, sg_dma_address(sgt->sgl),
				   buffer->size, dir, attrs);
	}
	a->mapped = false;
	mutex_unlock(&buffer->lock);
}

/*
 * Reusable buffers: sync through every importer that has the buffer mapped
 * (this also covers bounce buffers and IOMMUs), or through the pool device
 * that owns the pages when nobody has it mapped.
 */
static void rmem_heap_reusable_sync(struct rmem_heap_buffer *buffer,
				    enum dma_data_direction dir, bool for_cpu)
{
	struct rmem_heap_attachment *a;
	bool synced = false;

	mutex_lock(&buffer->lock);
	list_for_each_entry(a, &buffer->attachments, list) {
		if (!a->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
		synced = true;
	}
	if (!synced) {
		struct device *dev = buffer->pool->dev;

		if (for_cpu)
			dma_sync_single_for_cpu(dev, buffer->dma, buffer->size,
						dir);
		else
			dma_sync_single_for_device(dev, buffer->dma,
						   buffer->size, dir);
	}
	mutex_unlock(&buffer->lock);
}

/*
 * The write-back kernel mapping of a cached no-map buffer, made the first
 * time the buffer needs one: CPU access (cache maintenance works by virtual
 * address), vmap, or a cacheable user mmap().  Until then no cacheable
 * mapping of the buffer exists and the caches hold none of its lines, so
 * rmem_heap_nomap_put() invalidates only buffers that have this mapping.
 * Coherent buffers make theirs the same way (vmap, CPU access needs none).
 */
static void *rmem_heap_nomap_wb_locked(struct rmem_heap_buffer *buffer)
{
	lockdep_assert_held(&buffer->lock);

	if (!buffer->vaddr)
		buffer->vaddr = memremap(buffer->phys, buffer->size,
					 MEMREMAP_WB);
	return buffer->vaddr;
}

static void *rmem_heap_nomap_wb(struct rmem_heap_buffer *buffer)
{
	void *vaddr;

	mutex_lock(&buffer->lock);
	vaddr = rmem_heap_nomap_wb_locked(buffer);
	mutex_unlock(&buffer->lock);
	return vaddr;
}

/*
 * CPU access brackets: before it (for_cpu) drop lines a device may have made
 * stale, after it write back what the CPU dirtied.  A CPU that only writes
 * has nothing to invalidate and one that only read nothing to clean (as
 * dma-direct); uncached buffers need neither.
 */
static int rmem_heap_cpu_access(struct rmem_heap_buffer *buffer,
				enum dma_data_direction dir, bool for_cpu)
{
	void *vaddr;

	if (rmem_heap_buffer_uncached(buffer) ||
	    dir == (for_cpu ? DMA_TO_DEVICE : DMA_FROM_DEVICE))
		return 0;

	/* reusable: the DMA API knows who is coherent (no-op for them) */
	if (buffer->pages) {
		rmem_heap_reusable_sync(buffer, dir, for_cpu);
	} else if (rmem_heap_buffer_maintained(buffer)) {
		vaddr = rmem_heap_nomap_wb(buffer);
		if (!vaddr)
			return -ENOMEM;
		if (for_cpu)
			rmem_heap_cache_inval(vaddr, buffer->phys, buffer->size);
		else
			rmem_heap_cache_clean(vaddr, buffer->phys, buffer->size);
	}

	if (rmem_heap_buffer_maintained(buffer))
		atomic_long_inc(for_cpu ? &buffer->invals : &buffer->cleans);
	return 0;
}

static int rmem_heap_begin_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	return rmem_heap_cpu_access(dmabuf->priv, dir, true);
}

static int rmem_heap_end_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	return rmem_heap_cpu_access(dmabuf->priv, dir, false);
}

static int rmem_heap_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	unsigned long npages = buffer->size >> PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if (vma->vm_pgoff >= npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;

	if (buffer->heap->policy == RMEM_HEAP_UNCACHED)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	/*
	 * A write-back user mapping of a cached no-map buffer can leave its
	 * lines in the caches: make the kernel mapping through which they
	 * are maintained, and invalidated when the buffer is freed.
	 */
	if (!buffer->pages && rmem_heap_buffer_maintained(buffer) &&
	    !rmem_heap_nomap_wb(buffer))
		return -ENOMEM;

	rmem_heap_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);

	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(buffer->phys) + vma->vm_pgoff, len,
			       vma->vm_page_prot);
}

/*
 * Write-combined kernel mapping of an uncached buffer, made on demand so
 * that idle uncached buffers use no vmalloc space (scarce on 32-bit arm).
 */
static void *rmem_heap_vmap_wc(struct rmem_heap_buffer *buffer)
{
	unsigned long i, npages = buffer->size >> PAGE_SHIFT;
	struct page **pages;
	void *vaddr;

	if (!buffer->pages)
		return memremap(buffer->phys, buffer->size, MEMREMAP_WC);

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for (i = 0; i < npages; i++)
		pages[i] = pfn_to_page(page_to_pfn(buffer->pages) + i);

	vaddr = vmap(pages, npages, VM_MAP, pgprot_writecombine(PAGE_KERNEL));
	kvfree(pages);
	return vaddr;
}

static void rmem_heap_vunmap_wc(struct rmem_heap_buffer *buffer)
{
	if (buffer->pages)
		vunmap(buffer->vmap_addr);
	else
		memunmap(buffer->vmap_addr);
	buffer->vmap_addr = NULL;
}

static int rmem_heap_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	void *vaddr;
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (rmem_heap_buffer_uncached(buffer)) {
		if (!buffer->vmap_cnt) {
			buffer->vmap_addr = rmem_heap_vmap_wc(buffer);
			if (!buffer->vmap_addr) {
				ret = -ENOMEM;
				goto unlock;
			}
		}
		vaddr = buffer->vmap_addr;
	} else if (buffer->pages) {
		vaddr = buffer->vaddr;
	} else {
		vaddr = rmem_heap_nomap_wb_locked(buffer);
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

static void rmem_heap_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	mutex_lock(&buffer->lock);
	if (!WARN_ON(!buffer->vmap_cnt) && !--buffer->vmap_cnt &&
	    buffer->vmap_addr)
		rmem_heap_vunmap_wc(buffer);
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

/*
 * Give a no-map buffer's extent back; undoes rmem_heap_nomap_get().  The
 * extent joins the pool's dirty list; it returns to the allocator once it
 * has been zeroed (rmem_heap_zero.c).
 */
static void rmem_heap_nomap_put(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	struct rmem_heap_extent *extent = buffer->extent;

	/*
	 * A cached buffer that ever had a cacheable mapping has its
	 * write-back kernel mapping (rmem_heap_nomap_wb_locked()).  Drop
	 * whatever the cacheable mappings left in the caches: no dirty line
	 * may be written back over the zeroes stored through the pool's
	 * write-combined mapping, and no line may hide them from the next
	 * owner of the range (which may be the write-combined twin heap).
	 */
	if (buffer->vaddr) {
		if (rmem_heap_buffer_maintained(buffer))
			rmem_heap_cache_inval(buffer->vaddr, buffer->phys,
					      buffer->size);
		memunmap(buffer->vaddr);
		buffer->vaddr = NULL;
	}

	buffer->extent = NULL;
	extent->offset = buffer->offset;
	extent->size = buffer->size;

	mutex_lock(&pool->lock);
	rmem_heap_zero_queue_locked(pool, extent);
	rmem_heap_pool_unaccount(pool, buffer->size);
	mutex_unlock(&pool->lock);
}

/*
 * Take an extent of a no-map region.  The allocator holds only zeroed
 * space, so the buffer is ready as it is: written through a write-combined
 * (or, for a coherent device, write-back) mapping while no cacheable alias
 * held a line of it (no-map memory is not in the linear map, and
 * rmem_heap_nomap_put() invalidated the lines of any cached buffer that had
 * a cacheable mapping), the zeroes are in memory for the CPU and devices
 * alike and a cached buffer needs no clean.  When no zeroed extent is large
 * enough, dirty free space is zeroed here and the allocation retried.  A
 * cached buffer's write-back mapping is made later, when something needs it.
 */
static int rmem_heap_nomap_get(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	u64 offset;
	int ret;

	buffer->extent = kzalloc_obj(*buffer->extent, GFP_KERNEL);
	if (!buffer->extent)
		return -ENOMEM;

	mutex_lock(&pool->lock);
	do {
		ret = rmem_heap_alloc_get(&pool->alloc, buffer->size,
					  PAGE_SIZE, &offset);
	} while (ret && !rmem_heap_zero_reclaim_locked(pool));
	if (ret) {
		pool->failed++;
		mutex_unlock(&pool->lock);
		kfree(buffer->extent);
		buffer->extent = NULL;
		return ret;
	}
	rmem_heap_pool_account(pool, buffer->size);
	mutex_unlock(&pool->lock);

	buffer->offset = offset;
	buffer->phys = pool->base + offset;
	return 0;
}

/* Give reusable pages back to CMA; undoes rmem_heap_reusable_get(). */
static void rmem_heap_reusable_put(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;

	dma_free_pages(pool->dev, buffer->size, buffer->pages, buffer->dma,
		       DMA_BIDIRECTIONAL);

	mutex_lock(&pool->lock);
	rmem_heap_pool_unaccount(pool, buffer->size);
	mutex_unlock(&pool->lock);
}

/*
 * Take pages of a reusable region from the device's CMA area.  dma-direct
 * falls back to the page allocator when CMA cannot satisfy the request, so
 * pages outside the region are given back and NULL is returned.
 */
static struct page *rmem_heap_reusable_alloc(struct rmem_heap_pool *pool,
					     size_t size, dma_addr_t *dma)
{
	struct device *dev = pool->dev;
	struct page *page;
	phys_addr_t phys;

	page = dma_alloc_pages(dev, size, dma, DMA_BIDIRECTIONAL,
			       GFP_KERNEL | __GFP_NOWARN);
	if (!page)
		return NULL;
	/* dma-debug (6.1) tracks the pages as a mapping that must be checked */
	if (dma_mapping_error(dev, *dma))
		goto free_pages;

	phys = page_to_phys(page);
	if (phys < pool->base || phys - pool->base >= pool->size ||
	    size > pool->size - (phys - pool->base))
		goto free_pages;
	return page;

free_pages:
	dma_free_pages(dev, size, page, *dma, DMA_BIDIRECTIONAL);
	return NULL;
}

/*
 * cma_alloc() gets its pages from alloc_contig_range(), which takes the
 * whole free block that holds the first page of the range (up to a
 * pageblock, 4 MiB with 4 KiB pages), splits it into single pages and
 * frees those outside the range (one by one before 7.x); freeing the
 * buffer merges them back.  On an idle pool the pageblock that first fit
 * picks is one free block, so every small buffer paid for about a thousand
 * page frees (some 400 us on the lab's arm64 guest, against 25 to 45 us
 * for the buffer itself).  One page held at the lowest free address keeps
 * that pageblock split: small buffers then come from free blocks of about
 * their own size, as in a pageblock that is partly in use.
 *
 * The anchor is taken when the pool has no buffer and given back when an
 * allocation fails, so that the whole region stays allocatable.
 */
static void rmem_heap_anchor_take(struct rmem_heap_pool *pool)
{
	mutex_lock(&pool->lock);
	if (!pool->anchor && !pool->nr_buffers)
		pool->anchor = rmem_heap_reusable_alloc(pool, PAGE_SIZE,
							&pool->anchor_dma);
	mutex_unlock(&pool->lock);
}

/**
 * rmem_heap_anchor_drop() - give a pool's anchor page back to CMA
 * @pool: the pool (any type; only reusable pools have an anchor)
 *
 * Return: true if the pool held an anchor.
 */
bool rmem_heap_anchor_drop(struct rmem_heap_pool *pool)
{
	struct page *page;
	dma_addr_t dma;

	mutex_lock(&pool->lock);
	page = pool->anchor;
	dma = pool->anchor_dma;
	pool->anchor = NULL;
	mutex_unlock(&pool->lock);

	if (page)
		dma_free_pages(pool->dev, PAGE_SIZE, page, dma,
			       DMA_BIDIRECTIONAL);
	return page;
}

/*
 * Pages for a reusable buffer.  dma_alloc_pages() zeroes them through the
 * (cached) linear map, in the dma-direct and the IOMMU paths alike; a
 * cached heap then cleans them once, an uncached one cleans and invalidates
 * the linear alias once so that the write-combined mappings see the zeroes.
 */
static int rmem_heap_reusable_get(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	struct device *dev = pool->dev;
	struct page *page;
	phys_addr_t phys;
	dma_addr_t dma;

	rmem_heap_anchor_take(pool);
	page = rmem_heap_reusable_alloc(pool, buffer->size, &dma);
	if (!page && rmem_heap_anchor_drop(pool))
		page = rmem_heap_reusable_alloc(pool, buffer->size, &dma);
	if (!page)
		goto fail;

	phys = page_to_phys(page);
	buffer->pages = page;
	buffer->dma = dma;
	buffer->phys = phys;
	buffer->offset = phys - pool->base;
	buffer->vaddr = page_address(page);

	switch (buffer->heap->policy) {
	case RMEM_HEAP_CACHED:
		dma_sync_single_for_device(dev, dma, buffer->size,
					   DMA_TO_DEVICE);
		atomic_long_inc(&buffer->cleans);
		break;
	case RMEM_HEAP_UNCACHED:
		dma_sync_single_for_device(dev, dma, buffer->size,
					   DMA_TO_DEVICE);
		dma_sync_single_for_cpu(dev, dma, buffer->size,
					DMA_FROM_DEVICE);
		break;
	case RMEM_HEAP_COHERENT:
		break;
	}

	mutex_lock(&pool->lock);
	rmem_heap_pool_account(pool, buffer->size);
	mutex_unlock(&pool->lock);
	return 0;

fail:
	mutex_lock(&pool->lock);
	pool->failed++;
	mutex_unlock(&pool->lock);
	return -ENOMEM;
}

static void rmem_heap_buffer_put_memory(struct rmem_heap_buffer *buffer)
{
	if (buffer->pool->type == RMEM_HEAP_REUSABLE)
		rmem_heap_reusable_put(buffer);
	else
		rmem_heap_nomap_put(buffer);
}

static void rmem_heap_release(struct dma_buf *dmabuf)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	struct rmem_heap_pool *pool = buffer->pool;
	struct rmem_heap *heap = buffer->heap;

	mutex_lock(&pool->lock);
	list_del(&buffer->pool_node);
	mutex_unlock(&pool->lock);

	if (WARN_ON(buffer->vmap_cnt) && buffer->vmap_addr)
		rmem_heap_vunmap_wc(buffer);

	rmem_heap_buffer_put_memory(buffer);
	mutex_destroy(&buffer->lock);
	kfree(buffer);
	/* may be the last reference: frees the pool of a removed device */
	put_device(&heap->dev);
}

static const struct dma_buf_ops rmem_heap_buf_ops = {
	.attach = rmem_heap_attach,
	.detach = rmem_heap_detach,
	.map_dma_buf = rmem_heap_map_dma_buf,
	.unmap_dma_buf = rmem_heap_unmap_dma_buf,
	.begin_cpu_access = rmem_heap_begin_cpu_access,
	.end_cpu_access = rmem_heap_end_cpu_access,
	.mmap = rmem_heap_mmap,
	.vmap = rmem_heap_vmap,
	.vunmap = rmem_heap_vunmap,
	.release = rmem_heap_release,
};

/**
 * rmem_heap_buffer_alloc() - allocate a zeroed buffer and export it
 * @heap:     heap to allocate from
 * @len:      requested length in bytes (rounded up to whole pages)
 * @fd_flags: file flags of the dma-buf (O_ACCMODE, O_CLOEXEC)
 *
 * The buffer holds a reference on this module (through the dma-buf's
 * owner) until its last user is gone.  No fd is created.
 *
 * Return: the dma-buf or an ERR_PTR(): -EINVAL for a zero length, -ENOMEM
 * when the pool cannot satisfy the request.
 */
struct dma_buf *rmem_heap_buffer_alloc(struct rmem_heap *heap, u64 len,
				       u32 fd_flags)
{
	struct rmem_heap_pool *pool = heap->pool;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct rmem_heap_buffer *buffer;
	struct dma_buf *dmabuf;
	int ret;

	if (!len)
		return ERR_PTR(-EINVAL);
	if (len > pool->size) {
		mutex_lock(&pool->lock);
		pool->failed++;
		mutex_unlock(&pool->lock);
		return ERR_PTR(-ENOMEM);
	}

	buffer = kzalloc_obj(*buffer, GFP_KERNEL);
	if (!buffer)
		return ERR_PTR(-ENOMEM);

	/* the heap's device holds the heap, its pool and the region */
	get_device(&heap->dev);
	buffer->heap = heap;
	buffer->pool = pool;
	buffer->size = PAGE_ALIGN(len);
	mutex_init(&buffer->lock);
	INIT_LIST_HEAD(&buffer->attachments);
	INIT_LIST_HEAD(&buffer->pool_node);
	atomic_long_set(&buffer->cleans, 0);
	atomic_long_set(&buffer->invals, 0);
	buffer->pid = task_tgid_nr(current);
	get_task_comm(buffer->comm, current);

	if (pool->type == RMEM_HEAP_REUSABLE)
		ret = rmem_heap_reusable_get(buffer);
	else
		ret = rmem_heap_nomap_get(buffer);
	if (ret)
		goto free_buffer;

	exp_info.exp_name = heap->name;
	exp_info.ops = &rmem_heap_buf_ops;
	exp_info.size = buffer->size;
	exp_info.flags = fd_flags;
	exp_info.priv = buffer;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto put_memory;
	}
	buffer->dmabuf = dmabuf;

	mutex_lock(&pool->lock);
	list_add_tail(&buffer->pool_node, &pool->buffers);
	mutex_unlock(&pool->lock);

	return dmabuf;

put_memory:
	rmem_heap_buffer_put_memory(buffer);
free_buffer:
	mutex_destroy(&buffer->lock);
	kfree(buffer);
	put_device(&heap->dev);
	return ERR_PTR(ret);
}

/**
 * rmem_heap_buffer_name() - copy a buffer's dma-buf name for display
 * @buffer: the buffer (on its pool's list, pool lock held)
 * @name:   destination
 * @len:    size of @name
 *
 * Copies the name set with DMA_BUF_SET_NAME, or "-", replacing control
 * characters so that the name stays on one line.
 */
void rmem_heap_buffer_name(struct rmem_heap_buffer *buffer, char *name,
			   size_t len)
{
	struct dma_buf *dmabuf = buffer->dmabuf;
	char *p;

	spin_lock(&dmabuf->name_lock);
	strscpy(name, dmabuf->name ? dmabuf->name : "", len);
	spin_unlock(&dmabuf->name_lock);

	if (!name[0]) {
		strscpy(name, "-", len);
		return;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}
