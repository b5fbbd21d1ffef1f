// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: what buffers of both region types share: allocation and
 * export, importers' sg tables, release.  The memory
 * itself and the dma_buf_ops come from the region type's back end
 * (rmem_heap_nomap.c, rmem_heap_reusable.c).
 */

#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "rmem_heap_buffer.h"

/**
 * rmem_heap_check_reach() - can an importer reach a buffer?
 * @dev:    the importer
 * @buffer: the buffer
 * @addr:   bus address of the buffer for @dev
 *
 * For an importer that maps directly (no IOMMU): dma-direct WARNs when the
 * device cannot reach the range, so its mask and bus limit are checked
 * first, to fail cleanly.  The one line logged names the heap, so that
 * whoever reads it knows which region the importer cannot reach.
 *
 * Return: 0, -EINVAL for a device without DMA, -EIO when out of reach.
 */
int rmem_heap_check_reach(struct device *dev, struct rmem_heap_buffer *buffer,
			  u64 addr)
{
	size_t size = buffer->size;
	u64 limit;

	if (!dev->dma_mask)
		return -EINVAL;
	if (device_iommu_mapped(dev))
		return 0;

	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	if (addr + size - 1 > limit) {
		dev_warn_ratelimited(dev,
				     "rmem_heap: heap %s: buffer %#llx+%zu beyond DMA reach (mask %#llx, bus limit %#llx)\n",
				     buffer->heap->name, addr, size,
				     *dev->dma_mask, (u64)dev->bus_dma_limit);
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

/**
 * rmem_heap_attach() - add an importer: its own sg table of the buffer
 * @dmabuf:     the buffer
 * @attachment: the importer's attachment
 *
 * Return: 0 or -ENOMEM.
 */
int rmem_heap_attach(struct dma_buf *dmabuf,
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

/**
 * rmem_heap_detach() - remove an importer added by rmem_heap_attach()
 * @dmabuf:     the buffer
 * @attachment: the importer's attachment
 */
void rmem_heap_detach(struct dma_buf *dmabuf,
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

static const struct rmem_heap_backend *
rmem_heap_backend_of(const struct rmem_heap_pool *pool)
{
	return pool->type == RMEM_HEAP_REUSABLE ? &rmem_heap_reusable_backend :
						  &rmem_heap_nomap_backend;
}

/**
 * rmem_heap_cm_user_write() - a user mapping may have been written
 * @buffer: the buffer, about to be mapped by an importer
 *
 * A user mapping can be written without sync brackets at any time before
 * a device takes the buffer: the cache model assumes it was, so that the
 * clean at map time is checked (as the kernel's heaps clean in
 * dma_map_sgtable()).
 */
void rmem_heap_cm_user_write(struct rmem_heap_buffer *buffer)
{
	if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL) ||
	    !READ_ONCE(buffer->user_mapped))
		return;
	rmem_heap_cm_note(buffer->pool, buffer->phys, buffer->size,
			  rmem_heap_buffer_policy(buffer) == RMEM_HEAP_UNCACHED ?
			  RMEM_HEAP_CM_NC_WRITE : RMEM_HEAP_CM_CPU_WRITE);
}

/**
 * rmem_heap_cm_device() - tell the cache model an importer's device may
 *			   now read and write the buffer
 * @buffer: the buffer, just mapped
 * @dev:    the importing device
 * @dir:    the mapping's direction
 */
void rmem_heap_cm_device(struct rmem_heap_buffer *buffer, struct device *dev,
			 enum dma_data_direction dir)
{
	bool snoop;

	if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL))
		return;
	/* a no-map buffer is MMIO to an IOMMU (dma_map_resource()) */
	snoop = dev_is_dma_coherent(dev) &&
		(buffer->pages || !device_iommu_mapped(dev));
	if (dir != DMA_FROM_DEVICE)
		rmem_heap_cm_note(buffer->pool, buffer->phys, buffer->size,
				  snoop ? RMEM_HEAP_CM_SNOOP_READ :
				  RMEM_HEAP_CM_DEV_READ);
	if (dir != DMA_TO_DEVICE)
		rmem_heap_cm_note(buffer->pool, buffer->phys, buffer->size,
				  snoop ? RMEM_HEAP_CM_SNOOP_WRITE :
				  RMEM_HEAP_CM_DEV_WRITE);
}

/**
 * rmem_heap_cm_cpu() - tell the cache model the CPU now reads and writes
 * @buffer: the buffer, its begin_cpu_access() maintenance done
 * @offset: start of the range the CPU accesses
 * @len:    bytes in the range
 * @dir:    the access's direction
 */
void rmem_heap_cm_cpu(struct rmem_heap_buffer *buffer, size_t offset,
		      size_t len, enum dma_data_direction dir)
{
	bool nc = rmem_heap_buffer_policy(buffer) == RMEM_HEAP_UNCACHED;
	phys_addr_t phys = buffer->phys + offset;

	if (!IS_ENABLED(CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL))
		return;
	/*
	 * A no-map buffer nothing ever mapped cacheable: the CPU can reach
	 * no line of it (its free zeroes it through a non-cacheable mapping).
	 */
	if (!nc && !buffer->pages && !READ_ONCE(buffer->cacheable))
		return;
	if (dir != DMA_TO_DEVICE)
		rmem_heap_cm_note(buffer->pool, phys, len,
				  nc ? RMEM_HEAP_CM_NC_READ :
				  RMEM_HEAP_CM_CPU_READ);
	if (dir != DMA_FROM_DEVICE)
		rmem_heap_cm_note(buffer->pool, phys, len,
				  nc ? RMEM_HEAP_CM_NC_WRITE :
				  RMEM_HEAP_CM_CPU_WRITE);
}

/**
 * rmem_heap_buffer_of() - the buffer behind a dma-buf, if it is one of ours
 * @dmabuf: any dma-buf
 *
 * Return: the buffer, or NULL for another exporter's dma-buf.
 */
struct rmem_heap_buffer *rmem_heap_buffer_of(struct dma_buf *dmabuf)
{
	if (dmabuf->ops != rmem_heap_nomap_backend.buf_ops &&
	    dmabuf->ops != rmem_heap_reusable_backend.buf_ops)
		return NULL;
	return dmabuf->priv;
}

/**
 * rmem_heap_buffer_cpu_access() - a CPU access bracket over part of a buffer
 * @dmabuf: one of our dma-bufs (rmem_heap_buffer_of() is not NULL)
 * @offset: first byte of the range
 * @len:    bytes in the range, at least one, within the buffer
 * @dir:    DMA_FROM_DEVICE (CPU reads), DMA_TO_DEVICE (CPU writes) or both
 * @start:  the bracket's start, else its end
 *
 * As dma_buf_begin_cpu_access() and dma_buf_end_cpu_access(), over the
 * pages the range touches only: the start waits for the buffer's fences
 * first, interruptibly, as DMA_BUF_IOCTL_SYNC does.
 *
 * Return: 0, -ERESTARTSYS on a signal while waiting, or the back end's
 * errno.
 */
int rmem_heap_buffer_cpu_access(struct dma_buf *dmabuf, u64 offset, u64 len,
				enum dma_data_direction dir, bool start)
{
	struct rmem_heap_buffer *buffer = rmem_heap_buffer_of(dmabuf);
	const struct rmem_heap_backend *backend;
	u64 first = round_down(offset, PAGE_SIZE);
	u64 end = round_up(offset + len, PAGE_SIZE);
	long ret;

	backend = rmem_heap_backend_of(buffer->pool);
	if (start) {
		bool write = dir != DMA_FROM_DEVICE;

		ret = dma_resv_wait_timeout(dmabuf->resv,
					    dma_resv_usage_rw(write), true,
					    MAX_SCHEDULE_TIMEOUT);
		if (ret < 0)
			return ret;
	}
	return backend->cpu_access(buffer, first, end - first, dir, start);
}

/**
 * rmem_heap_release() - the dma-buf's last reference is gone
 * @dmabuf: the buffer
 *
 * The back end gives the memory back; the buffer's reference on its heap
 * device (and so on the pool and region) is dropped last.
 */
void rmem_heap_release(struct dma_buf *dmabuf)
{
	struct rmem_heap_buffer *buffer = dmabuf->priv;
	struct rmem_heap_pool *pool = buffer->pool;
	struct rmem_heap *heap = buffer->heap;

	mutex_lock(&pool->lock);
	list_del(&buffer->pool_node);
	mutex_unlock(&pool->lock);

	rmem_heap_backend_of(pool)->put(buffer);
	mutex_destroy(&buffer->lock);
	kfree(buffer);
	/* may be the last reference: frees the pool of a removed device */
	put_device(&heap->dev);
}

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
	const struct rmem_heap_backend *backend;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct rmem_heap_buffer *buffer;
	struct dma_buf *dmabuf;
	int ret;

	if (!len)
		return ERR_PTR(-EINVAL);
	if (len > pool->size) {
		rmem_heap_pool_failed(pool);
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

	backend = rmem_heap_backend_of(pool);
	ret = backend->get(buffer);
	if (ret)
		goto free_buffer;

	exp_info.exp_name = heap->name;
	exp_info.ops = backend->buf_ops;
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
	backend->put(buffer);
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
