// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: buffers of no-map regions.
 *
 * The range allocator hands out page-granular extents of zeroed free space
 * (rmem_heap_zero.c).  No struct page is ever touched: the CPU reaches a
 * buffer through the driver's memremap()s and user mmap() of its PFNs;
 * importers get an sg table whose DMA addresses come from
 * dma_map_resource(), which never maintains caches or bounces, so the
 * driver maintains the caches itself and refuses importers it cannot
 * serve.  Which mapping exists when, and which maintenance happens, is in
 * Documentation/rmem-heap.rst ("CPU caches").
 */

#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "rmem_heap_buffer.h"

#define CM(ev)	RMEM_HEAP_CM_##ev

/* 32-bit kernels map a cached buffer this much at a time for maintenance */
#define RMEM_HEAP_MAINT_CHUNK	SZ_1M

/*
 * 64-bit kernels keep one write-back mapping per cached or coherent buffer
 * from its first use; 32-bit kernels, whose vmalloc area a user could fill
 * that way, map only for as long as an operation needs.
 */
#define RMEM_HEAP_KEEP_WB	IS_ENABLED(CONFIG_64BIT)

static bool rmem_heap_nomap_cacheable(const struct rmem_heap_buffer *buffer)
{
	return rmem_heap_buffer_policy(buffer) != RMEM_HEAP_UNCACHED;
}

/* The kept write-back mapping (64-bit), made on first need; buffer lock. */
static void *rmem_heap_nomap_wb_locked(struct rmem_heap_buffer *buffer)
{
	lockdep_assert_held(&buffer->lock);

	if (!buffer->vaddr) {
		buffer->vaddr = memremap(buffer->phys, buffer->size,
					 MEMREMAP_WB);
		if (!buffer->vaddr)
			return NULL;
		buffer->cacheable = true;
		rmem_heap_cm_note(buffer->pool, buffer->phys, buffer->size,
				  CM(MAP_KERNEL));
	}
	return buffer->vaddr;
}

/*
 * Run one maintenance operation over [@offset, @offset + @len) of a cached
 * buffer (page aligned): through the kept or vmap mapping when there is
 * one, else through temporary write-back mappings of a chunk (a page when
 * even that cannot be mapped).
 */
static int rmem_heap_nomap_maint_locked(struct rmem_heap_buffer *buffer,
					size_t offset, size_t len,
					enum dma_data_direction dir,
					bool for_cpu)
{
	struct rmem_heap_pool *pool = buffer->pool;
	size_t pos, end = offset + len;
	void *vaddr;

	lockdep_assert_held(&buffer->lock);

	vaddr = buffer->vaddr ?: buffer->vmap_addr;
	if (!vaddr && RMEM_HEAP_KEEP_WB)
		vaddr = rmem_heap_nomap_wb_locked(buffer);
	if (vaddr) {
		if (for_cpu)
			rmem_heap_cache_for_cpu(pool, vaddr + offset,
						buffer->phys + offset, len, dir);
		else
			rmem_heap_cache_for_device(pool, vaddr + offset,
						   buffer->phys + offset, len,
						   dir);
		return 0;
	}

	for (pos = offset; pos < end; pos += len) {
		phys_addr_t phys = buffer->phys + pos;

		len = min_t(size_t, end - pos, RMEM_HEAP_MAINT_CHUNK);
		vaddr = memremap(phys, len, MEMREMAP_WB);
		if (!vaddr) {
			len = PAGE_SIZE;
			vaddr = memremap(phys, len, MEMREMAP_WB);
			if (!vaddr)
				return -ENOMEM;
		}
		buffer->cacheable = true;
		rmem_heap_cm_note(pool, phys, len, CM(MAP_KERNEL));
		if (for_cpu)
			rmem_heap_cache_for_cpu(pool, vaddr, phys, len, dir);
		else
			rmem_heap_cache_for_device(pool, vaddr, phys, len, dir);
		memunmap(vaddr);
		rmem_heap_cm_note(pool, phys, len, CM(UNMAP_KERNEL));
	}
	return 0;
}

/*
 * Does @dev's DMA snoop the CPU caches?  Not through an IOMMU, even for a
 * dma-coherent master: dma_map_resource() maps the buffer there as MMIO.
 */
static bool rmem_heap_nomap_snoops(struct device *dev)
{
	return dev_is_dma_coherent(dev) && !device_iommu_mapped(dev);
}

/*
 * A dma-coherent pool is zeroed through write-back mappings and never
 * cleaned; dma_map_resource() gives a device behind an IOMMU an MMIO
 * (non-snooping) mapping; and it cannot bounce for a device that must.
 */
static int rmem_heap_nomap_attach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attachment)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	struct device *dev = attachment->dev;
	const char *why = NULL;

	if (rmem_heap_buffer_policy(buffer) == RMEM_HEAP_COHERENT &&
	    !dev_is_dma_coherent(dev))
		why = "it does not snoop the CPU caches";
	else if (rmem_heap_buffer_policy(buffer) == RMEM_HEAP_COHERENT &&
		 device_iommu_mapped(dev))
		why = "its IOMMU would map the buffer as MMIO (not snooping)";
	else if (is_swiotlb_force_bounce(dev))
		why = "it needs bounce buffers";
	if (why) {
		dev_warn_ratelimited(dev,
				     "rmem_heap: heap %s refuses this importer: %s\n",
				     buffer->heap->name, why);
		return -EOPNOTSUPP;
	}
	return rmem_heap_attach(dmabuf, attachment);
}

static struct sg_table *
rmem_heap_nomap_map_dma_buf(struct dma_buf_attachment *attachment,
			    enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;
	struct scatterlist *sg;
	dma_addr_t addr;
	int ret;

	/* dma_map_resource() uses the physical address as the bus address */
	ret = rmem_heap_check_reach(a->dev, buffer, buffer->phys);
	if (ret)
		return ERR_PTR(ret);

	mutex_lock(&buffer->lock);
	/* one mapping at a time: the sg table belongs to the attachment */
	if (a->mapped) {
		ret = -EBUSY;
		goto unlock;
	}

	rmem_heap_cm_user_write(buffer);
	if (rmem_heap_buffer_policy(buffer) == RMEM_HEAP_CACHED &&
	    !rmem_heap_nomap_snoops(a->dev)) {
		ret = rmem_heap_nomap_maint_locked(buffer, 0, buffer->size, dir,
						   false);
		if (ret)
			goto unlock;
		atomic_long_inc(&buffer->cleans);
	}

	/* the driver did the maintenance: DMA-API debug needs to know */
	addr = dma_map_resource(a->dev, buffer->phys, buffer->size, dir,
				DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(a->dev, addr)) {
		ret = -ENOMEM;
		goto unlock;
	}
	for (sg = a->sgt.sgl; sg; sg = sg_next(sg)) {
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
		addr += sg->length;
	}
	a->sgt.nents = a->sgt.orig_nents;
	a->mapped = true;
	a->dir = dir;
	rmem_heap_cm_device(buffer, a->dev, dir);
unlock:
	mutex_unlock(&buffer->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void rmem_heap_nomap_unmap_dma_buf(struct dma_buf_attachment *attachment,
					  struct sg_table *sgt,
					  enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = attachment->dmabuf->priv;
	struct rmem_heap_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	dma_unmap_resource(a->dev, sg_dma_address(sgt->sgl), buffer->size, dir,
			   DMA_ATTR_SKIP_CPU_SYNC);
	/* lines filled while the device wrote are stale: drop them */
	if (rmem_heap_buffer_policy(buffer) == RMEM_HEAP_CACHED &&
	    !rmem_heap_nomap_snoops(a->dev) && dir != DMA_TO_DEVICE &&
	    !rmem_heap_nomap_maint_locked(buffer, 0, buffer->size, dir, true))
		atomic_long_inc(&buffer->invals);
	a->mapped = false;
	mutex_unlock(&buffer->lock);
}

/* Does a device that does not snoop have the buffer mapped? (buffer->lock) */
static bool rmem_heap_nomap_device_mapped(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_attachment *a;

	list_for_each_entry(a, &buffer->attachments, list)
		if (a->mapped && !rmem_heap_nomap_snoops(a->dev))
			return true;
	return false;
}

/*
 * CPU access brackets: before it (for_cpu) drop lines a device may have
 * made stale, after it write back what the CPU dirtied.  A CPU that only
 * writes has nothing to invalidate and one that only read nothing to clean
 * (as dma-direct); uncached and coherent buffers need neither.  Nor does
 * a buffer no device has mapped: map cleans it and unmap invalidates it
 * (rule 3 of "CPU caches"), as the kernel's heaps sync mapped attachments.
 */
static int rmem_heap_nomap_cpu_access(struct rmem_heap_buffer *buffer,
				      size_t offset, size_t len,
				      enum dma_data_direction dir,
				      bool for_cpu)
{
	enum rmem_heap_policy policy = rmem_heap_buffer_policy(buffer);
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (policy == RMEM_HEAP_CACHED &&
	    dir != (for_cpu ? DMA_TO_DEVICE : DMA_FROM_DEVICE) &&
	    rmem_heap_nomap_device_mapped(buffer)) {
		ret = rmem_heap_nomap_maint_locked(buffer, offset, len,
						   for_cpu ? dir :
						   DMA_TO_DEVICE, for_cpu);
		if (!ret)
			atomic_long_inc(for_cpu ? &buffer->invals :
					&buffer->cleans);
	}
	if (!ret && for_cpu)
		rmem_heap_cm_cpu(buffer, offset, len, dir);
	mutex_unlock(&buffer->lock);
	return ret;
}

static int rmem_heap_nomap_begin_cpu_access(struct dma_buf *dmabuf,
					    enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	return rmem_heap_nomap_cpu_access(buffer, 0, buffer->size, dir, true);
}

static int rmem_heap_nomap_end_cpu_access(struct dma_buf *dmabuf,
					  enum dma_data_direction dir)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	return rmem_heap_nomap_cpu_access(buffer, 0, buffer->size, dir, false);
}

static int rmem_heap_nomap_mmap(struct dma_buf *dmabuf,
				struct vm_area_struct *vma)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	int ret;

	ret = rmem_heap_mmap_check(buffer, vma);
	if (ret)
		return ret;

	/* the caches may hold lines of it from now on (see put) */
	if (rmem_heap_nomap_cacheable(buffer))
		WRITE_ONCE(buffer->cacheable, true);
	return rmem_heap_mmap_pfns(buffer, vma,
				   rmem_heap_nomap_cacheable(buffer));
}

static int rmem_heap_nomap_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	bool cacheable = rmem_heap_nomap_cacheable(buffer);
	void *vaddr;
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (cacheable && RMEM_HEAP_KEEP_WB) {
		vaddr = rmem_heap_nomap_wb_locked(buffer);
	} else {
		if (!buffer->vmap_cnt) {
			buffer->vmap_addr = memremap(buffer->phys, buffer->size,
						     cacheable ? MEMREMAP_WB :
						     MEMREMAP_WC);
			if (buffer->vmap_addr && cacheable) {
				buffer->cacheable = true;
				rmem_heap_cm_note(buffer->pool, buffer->phys,
						  buffer->size, CM(MAP_KERNEL));
			}
		}
		vaddr = buffer->vmap_addr;
	}
	if (!vaddr) {
		ret = -ENOMEM;
		goto unlock;
	}
	buffer->vmap_cnt++;
	iosys_map_set_vaddr(map, vaddr);
unlock:
	mutex_unlock(&buffer->lock);
	return ret;
}

/* Remove the vmap mapping; buffer lock held, last vunmap. */
static void rmem_heap_nomap_vunmap_locked(struct rmem_heap_buffer *buffer)
{
	if (!buffer->vmap_addr)
		return;
	memunmap(buffer->vmap_addr);
	buffer->vmap_addr = NULL;
	if (rmem_heap_nomap_cacheable(buffer))
		rmem_heap_cm_note(buffer->pool, buffer->phys, buffer->size,
				  CM(UNMAP_KERNEL));
}

static void rmem_heap_nomap_vunmap(struct dma_buf *dmabuf,
				   struct iosys_map *map)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;

	mutex_lock(&buffer->lock);
	if (!WARN_ON(!buffer->vmap_cnt) && !--buffer->vmap_cnt)
		rmem_heap_nomap_vunmap_locked(buffer);
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

/*
 * A buffer of 2 MiB or more starts on a 2 MiB boundary where the region
 * does, so that one PMD entry (rmem_heap_mmap.c) or IOMMU block maps each
 * 2 MiB of it.  When fragmentation leaves no such place, page alignment.
 */
static int rmem_heap_nomap_take(struct rmem_heap_pool *pool, size_t size,
				u64 *offset)
{
	if (size >= PMD_SIZE && IS_ALIGNED(pool->base, PMD_SIZE) &&
	    !rmem_heap_alloc_get(&pool->alloc, size, PMD_SIZE, offset))
		return 0;
	return rmem_heap_alloc_get(&pool->alloc, size, PAGE_SIZE, offset);
}

/*
 * Take an extent of a no-map region.  The allocator holds only zeroed
 * space, so the buffer is ready as it is; when no zeroed extent is large
 * enough, dirty free space is zeroed here and the allocation retried.
 */
static int rmem_heap_nomap_get(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	unsigned long budget = rmem_heap_zero_budget(buffer->size);
	u64 offset;
	int ret;

	buffer->extent = kzalloc_obj(*buffer->extent, GFP_KERNEL);
	if (!buffer->extent)
		return -ENOMEM;

	mutex_lock(&pool->lock);
	for (;;) {
		ret = rmem_heap_nomap_take(pool, buffer->size, &offset);
		if (!ret)
			break;
		/* zeroing dirty space cannot help a request larger than it */
		if (buffer->size > pool->size - pool->used)
			break;
		ret = rmem_heap_zero_reclaim_locked(pool, &budget);
		if (ret)
			break;
	}
	if (ret) {
		if (ret != -EINTR)
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
	rmem_heap_cm_note(pool, buffer->phys, buffer->size, CM(ALLOC));
	return 0;
}

/*
 * Give the extent back; undoes rmem_heap_nomap_get().  It joins the dirty
 * list and returns to the allocator once zeroed.  An extent the caches may
 * hold lines of is zeroed through a cacheable mapping and flushed, so that
 * what any level still holds is the new zeroes, clean.
 */
static void rmem_heap_nomap_put(struct rmem_heap_buffer *buffer)
{
	struct rmem_heap_pool *pool = buffer->pool;
	struct rmem_heap_extent *extent = buffer->extent;

	if (WARN_ON(buffer->vmap_cnt))
		rmem_heap_nomap_vunmap_locked(buffer);
	if (buffer->vaddr) {
		memunmap(buffer->vaddr);
		buffer->vaddr = NULL;
		rmem_heap_cm_note(pool, buffer->phys, buffer->size,
				  CM(UNMAP_KERNEL));
	}
	rmem_heap_cm_note(pool, buffer->phys, buffer->size, CM(FREE));

	buffer->extent = NULL;
	extent->offset = buffer->offset;
	extent->size = buffer->size;
	extent->cached = buffer->cacheable &&
			 rmem_heap_buffer_policy(buffer) == RMEM_HEAP_CACHED;

	mutex_lock(&pool->lock);
	rmem_heap_zero_queue_locked(pool, extent);
	rmem_heap_pool_unaccount(pool, buffer->size);
	mutex_unlock(&pool->lock);
}

static const struct dma_buf_ops rmem_heap_nomap_buf_ops = {
	.attach = rmem_heap_nomap_attach,
	.detach = rmem_heap_detach,
	.map_dma_buf = rmem_heap_nomap_map_dma_buf,
	.unmap_dma_buf = rmem_heap_nomap_unmap_dma_buf,
	.begin_cpu_access = rmem_heap_nomap_begin_cpu_access,
	.end_cpu_access = rmem_heap_nomap_end_cpu_access,
	.mmap = rmem_heap_nomap_mmap,
	.vmap = rmem_heap_nomap_vmap,
	.vunmap = rmem_heap_nomap_vunmap,
	.release = rmem_heap_release,
};

const struct rmem_heap_backend rmem_heap_nomap_backend = {
	.get = rmem_heap_nomap_get,
	.put = rmem_heap_nomap_put,
	.cpu_access = rmem_heap_nomap_cpu_access,
	.buf_ops = &rmem_heap_nomap_buf_ops,
};
