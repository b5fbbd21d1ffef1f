/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: what the two buffer back ends (no-map and reusable) share.
 */
#ifndef _RMEM_HEAP_BUFFER_H
#define _RMEM_HEAP_BUFFER_H

#include <linux/dma-buf.h>
#include <linux/scatterlist.h>

#include "rmem_heap.h"

/**
 * struct rmem_heap_attachment - one importer of a buffer
 * @dev:    the importing device
 * @sgt:    the importer's own sg table
 * @list:   entry in &rmem_heap_buffer.attachments
 * @mapped: @sgt is currently DMA-mapped for @dev
 * @dir:    direction of the current mapping
 */
struct rmem_heap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head list;
	bool mapped;
	enum dma_data_direction dir;
};

/**
 * struct rmem_heap_backend - how buffers of one region type get memory
 * @get:     take memory for a new buffer (size set); 0 or -ENOMEM
 * @put:     give it back (the buffer has no user left)
 * @cpu_access: the cache maintenance of a CPU access bracket over
 *           [offset, offset + len) of the buffer (page aligned), before
 *           the access (@for_cpu) or after it; 0 or a negative errno
 * @buf_ops: the dma-buf operations of the buffers
 */
struct rmem_heap_backend {
	int (*get)(struct rmem_heap_buffer *buffer);
	void (*put)(struct rmem_heap_buffer *buffer);
	int (*cpu_access)(struct rmem_heap_buffer *buffer, size_t offset,
			  size_t len, enum dma_data_direction dir,
			  bool for_cpu);
	const struct dma_buf_ops *buf_ops;
};

extern const struct rmem_heap_backend rmem_heap_nomap_backend;
extern const struct rmem_heap_backend rmem_heap_reusable_backend;

unsigned int rmem_heap_reusable_prepare(struct rmem_heap_pool *pool,
					struct page *page, dma_addr_t dma,
					size_t size,
					enum rmem_heap_policy policy);

void rmem_heap_pool_account(struct rmem_heap_pool *pool, size_t size);
void rmem_heap_pool_unaccount(struct rmem_heap_pool *pool, size_t size);
void rmem_heap_pool_failed(struct rmem_heap_pool *pool);
int rmem_heap_check_reach(struct device *dev, struct rmem_heap_buffer *buffer,
			  u64 addr);
int rmem_heap_attach(struct dma_buf *dmabuf,
		     struct dma_buf_attachment *attachment);
void rmem_heap_detach(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attachment);
int rmem_heap_mmap_check(struct rmem_heap_buffer *buffer,
			 struct vm_area_struct *vma);
int rmem_heap_mmap_pfns(struct rmem_heap_buffer *buffer,
			struct vm_area_struct *vma, bool cacheable);
void rmem_heap_cm_user_write(struct rmem_heap_buffer *buffer);
void rmem_heap_cm_device(struct rmem_heap_buffer *buffer, struct device *dev,
			 enum dma_data_direction dir);
void rmem_heap_cm_cpu(struct rmem_heap_buffer *buffer, size_t offset,
		      size_t len, enum dma_data_direction dir);
void rmem_heap_release(struct dma_buf *dmabuf);

/**
 * rmem_heap_buffer_policy() - the cache policy of a buffer's heap
 * @buffer: the buffer
 *
 * Return: cached, uncached or coherent.
 */
static inline enum rmem_heap_policy
rmem_heap_buffer_policy(const struct rmem_heap_buffer *buffer)
{
	return buffer->heap->policy;
}

#endif /* _RMEM_HEAP_BUFFER_H */
