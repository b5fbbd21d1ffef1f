// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: registration as real dma-heaps, on kernels that export
 * dma_heap_add() (and in-tree builds).  There is no dma_heap_remove(): a
 * registered heap lives until reboot, so the caller pins the module.
 */

#include <linux/err.h>

#include "rmem_heap.h"

#if RMEM_HEAP_DMA_HEAP_MODE

#include <linux/dma-heap.h>

static struct dma_buf *rmem_heap_dmaheap_allocate(struct dma_heap *dma_heap,
						  unsigned long len,
						  RMEM_HEAP_FD_FLAGS_T fd_flags,
						  RMEM_HEAP_HEAP_FLAGS_T heap_flags)
{
	struct rmem_heap *heap = dma_heap_get_drvdata(dma_heap);

	return rmem_heap_buffer_alloc(heap, len, fd_flags);
}

static const struct dma_heap_ops rmem_heap_dmaheap_ops = {
	.allocate = rmem_heap_dmaheap_allocate,
};

/**
 * rmem_heap_dmaheap_register() - register a heap with the dma-heap core
 * @heap: the heap; must stay allocated forever once this succeeds
 *
 * Return: 0 or a negative errno (e.g. -EINVAL for a name already taken by
 * another dma-heap).
 */
int rmem_heap_dmaheap_register(struct rmem_heap *heap)
{
	struct dma_heap_export_info exp_info = {
		.name = heap->name,
		.ops = &rmem_heap_dmaheap_ops,
		.priv = heap,
	};
	struct dma_heap *dma_heap;

	dma_heap = dma_heap_add(&exp_info);
	if (IS_ERR(dma_heap))
		return PTR_ERR(dma_heap);

	heap->dma_heap = dma_heap;
	return 0;
}

RMEM_HEAP_IMPORT_NS_DMA_BUF_HEAP;

#else /* !RMEM_HEAP_DMA_HEAP_MODE */

/*
 * rmem_heap_dmaheap_register() - dma-heap registration is unavailable
 * @heap: the heap
 *
 * Return: -EOPNOTSUPP; the char-device ABI is used instead.
 */
int rmem_heap_dmaheap_register(struct rmem_heap *heap)
{
	return -EOPNOTSUPP;
}

#endif /* RMEM_HEAP_DMA_HEAP_MODE */
