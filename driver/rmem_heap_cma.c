// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: pages of reusable regions, the device's own CMA area, with
 * cma_alloc() where the kernel exports it (as the kernel's CMA heap does),
 * else dma_alloc_pages() on the pool's device; and the anchor page that
 * keeps small buffers out of large free blocks.
 */

#include <linux/cma.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/swiotlb.h>

#include "rmem_heap_buffer.h"

#define RMEM_HEAP_HAVE_CMA (RMEM_HEAP_HAVE_CMA_ALLOC && IS_ENABLED(CONFIG_DMA_CMA))

/*
 * cma_alloc() pages are mapped for the pool device to sync them; a device
 * that must bounce (swiotlb=force) would sync a bounce buffer instead, so
 * such a pool takes dma_alloc_pages(), whose pages need no mapping.
 */
static bool rmem_heap_cma_use_area(struct rmem_heap_pool *pool)
{
	return RMEM_HEAP_HAVE_CMA && !is_swiotlb_force_bounce(pool->dev);
}

/**
 * rmem_heap_cma_zero() - zero pages of a reusable region
 * @page: first page
 * @size: bytes, a multiple of the page size
 *
 * Lowmem only (probe checks): the linear map reaches every page.
 * clear_page() is the architecture's fastest zeroing (DC ZVA on arm64), as
 * the kernel's CMA heap uses.
 */
void rmem_heap_cma_zero(struct page *page, size_t size)
{
	unsigned long i;

	for (i = 0; i < size >> PAGE_SHIFT; i++)
		clear_page(page_address(page) + i * PAGE_SIZE);
}

static struct page *rmem_heap_cma_alloc_area(struct rmem_heap_pool *pool,
					     size_t size, dma_addr_t *dma,
					     bool zero)
{
#if RMEM_HEAP_HAVE_CMA
	struct cma *cma = dev_get_cma_area(pool->dev);
	unsigned long count = size >> PAGE_SHIFT;
	unsigned int align = min_t(unsigned int, get_order(size),
				   CONFIG_CMA_ALIGNMENT);
	struct page *page = NULL;

	/* 2 MiB aligned from 2 MiB on, as no-map buffers (rmem_heap_mmap.c) */
	if (size >= PMD_SIZE && align < PMD_SHIFT - PAGE_SHIFT)
		page = cma_alloc(cma, count, PMD_SHIFT - PAGE_SHIFT, true);
	if (!page)
		page = cma_alloc(cma, count, align, true);
	if (!page)
		return NULL;
	if (zero)
		rmem_heap_cma_zero(page, size);
	*dma = dma_map_page_attrs(pool->dev, page, 0, size, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(pool->dev, *dma)) {
		cma_release(cma, page, count);
		return NULL;
	}
	return page;
#else
	return NULL;
#endif
}

static struct page *rmem_heap_cma_alloc_dma(struct rmem_heap_pool *pool,
					    size_t size, dma_addr_t *dma)
{
	struct device *dev = pool->dev;
	struct page *page;
	phys_addr_t phys;

	page = dma_alloc_pages(dev, size, dma, DMA_BIDIRECTIONAL,
			       GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
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

/**
 * rmem_heap_cma_alloc() - pages of a reusable region
 * @pool: the pool
 * @size: bytes, a multiple of the page size
 * @dma:  set to the pool device's DMA address of the pages
 * @zero: zero them (dma_alloc_pages() always does); false where the
 *        caller zeroes what it hands out (slabs) or hands out nothing
 *        (the anchor page)
 *
 * A miss never falls back to system RAM: cma_alloc() takes only the area,
 * and dma_alloc_pages() (whose dma-direct falls back to the page
 * allocator) is asked only when the area may have room, with no retrying
 * reclaim, and pages from outside the region are given back.
 *
 * Return: the first page, or NULL.
 */
struct page *rmem_heap_cma_alloc(struct rmem_heap_pool *pool, size_t size,
				 dma_addr_t *dma, bool zero)
{
	if (rmem_heap_cma_use_area(pool))
		return rmem_heap_cma_alloc_area(pool, size, dma, zero);
	return rmem_heap_cma_alloc_dma(pool, size, dma);
}

/**
 * rmem_heap_cma_free() - give back what rmem_heap_cma_alloc() gave
 * @pool: the pool
 * @page: the first page
 * @size: bytes
 * @dma:  the pool device's DMA address of the pages
 */
void rmem_heap_cma_free(struct rmem_heap_pool *pool, struct page *page,
			size_t size, dma_addr_t dma)
{
#if RMEM_HEAP_HAVE_CMA
	if (rmem_heap_cma_use_area(pool)) {
		dma_unmap_page_attrs(pool->dev, dma, size, DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
		cma_release(dev_get_cma_area(pool->dev), page,
			    size >> PAGE_SHIFT);
		return;
	}
#endif
	dma_free_pages(pool->dev, size, page, dma, DMA_BIDIRECTIONAL);
}

/**
 * rmem_heap_cma_room_locked() - rmem_heap_cma_room() with @pool->lock held
 * @pool: the pool
 * @size: bytes
 *
 * Whether @size bytes may fit: dma-direct would answer a sure CMA miss
 * from system RAM.  Chunks kept for reuse take room too (the caller gives
 * them back and asks again).
 *
 * Return: false if @size bytes cannot fit beside the live buffers and the
 * kept chunks and the slabs' free space.
 */
bool rmem_heap_cma_room_locked(struct rmem_heap_pool *pool, size_t size)
{
	lockdep_assert_held(&pool->lock);
	/* a slab's free space is held too; its buffers are in @pool->used */
	return size + pool->used + pool->kept_bytes +
	       (pool->slab_bytes - pool->slab_used) <= pool->size;
}

/**
 * rmem_heap_cma_room() - whether a reusable pool may have room
 * @pool: the pool
 * @size: bytes
 *
 * Return: false if @size bytes cannot fit beside the live buffers and the
 * kept chunks.
 */
bool rmem_heap_cma_room(struct rmem_heap_pool *pool, size_t size)
{
	bool room;

	mutex_lock(&pool->lock);
	room = rmem_heap_cma_room_locked(pool, size);
	mutex_unlock(&pool->lock);
	return room;
}

/**
 * rmem_heap_anchor_take() - hold a reusable pool's anchor page
 * @pool: the pool
 * @size: bytes the caller is about to allocate
 *
 * cma_alloc() takes the whole free block that holds the first page of the
 * range (up to a pageblock), splits it and frees the rest; freeing the
 * buffer merges it back.  One page held at the lowest free address keeps
 * that pageblock split, so that small buffers come from free blocks of
 * about their own size (figures in Documentation/rmem-heap.rst).  It is
 * taken when the pool has no buffer, outside the pool lock, and given back
 * when an allocation fails, so that the whole region stays allocatable.
 *
 * Return: whether the region may have room for @size bytes (under the
 * same lock, so that an allocation takes it once).
 */
bool rmem_heap_anchor_take(struct rmem_heap_pool *pool, size_t size)
{
	struct page *page;
	dma_addr_t dma;
	bool want, room;

	mutex_lock(&pool->lock);
	want = !pool->anchor && !pool->nr_buffers;
	room = rmem_heap_cma_room_locked(pool, size);
	mutex_unlock(&pool->lock);
	if (!want || !room)
		return room;

	page = rmem_heap_cma_alloc(pool, PAGE_SIZE, &dma, false);
	if (!page)
		return room;

	mutex_lock(&pool->lock);
	if (!pool->anchor) {
		pool->anchor = page;
		pool->anchor_dma = dma;
		page = NULL;
	}
	mutex_unlock(&pool->lock);
	if (page)
		rmem_heap_cma_free(pool, page, PAGE_SIZE, dma);
	return room;
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
		rmem_heap_cma_free(pool, page, PAGE_SIZE, dma);
	return page;
}
