// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: small buffers of reusable regions, cut from slabs.
 *
 * Every cma_alloc() looks for room with a bitmap walk from the start of
 * the area, which takes as long as the holes before the first fit: with
 * thousands of small buffers freed in between, a 32 KiB buffer took six
 * to eight times its time on an empty region (Documentation/rmem-heap.rst,
 * "make bench").  Buffers of up to RMEM_HEAP_SLAB_MAX come instead from
 * slabs: RMEM_HEAP_SLAB chunks taken from CMA (not zeroed: what is cut
 * from them is) and cut with the range allocator the no-map regions use,
 * whose first fit takes O(log n).
 *
 * The allocator spans the whole region; what is not a slab is held in
 * RMEM_HEAP_SLAB records, so only slab space is ever free in it.  A buffer
 * is aligned to its size rounded up to a power of two, so it never
 * straddles two slabs that happen to lie side by side, and a free, aligned
 * RMEM_HEAP_SLAB range is an empty slab.  One empty slab stays for the
 * next small buffer; a second one goes back to CMA at once, and the last
 * when an allocation does not find room or the region is released.
 */

#include <linux/dma-mapping.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "rmem_heap_buffer.h"

#define RMEM_HEAP_SLAB		SZ_1M
#define RMEM_HEAP_SLAB_MAX	SZ_64K
/* regions smaller than this many slabs cut no slabs */
#define RMEM_HEAP_SLAB_MIN_NR	8

/**
 * struct rmem_heap_slab - a slab of a reusable region
 * @page: first page, NULL while the range is CMA's
 * @dma:  the pool device's DMA address of @page
 * @used: bytes of live buffers in the slab
 */
struct rmem_heap_slab {
	struct page *page;
	dma_addr_t dma;
	size_t used;
};

static bool rmem_heap_slab_fits(struct rmem_heap_pool *pool, size_t size)
{
	return pool->slabs && size <= RMEM_HEAP_SLAB_MAX;
}

/**
 * rmem_heap_slab_setup() - prepare a reusable region to cut slabs
 * @pool: the reusable pool
 *
 * A region too small for several slabs, or whose allocator cannot be set
 * up, cuts none: its small buffers take cma_alloc() as the large ones do.
 */
void rmem_heap_slab_setup(struct rmem_heap_pool *pool)
{
	unsigned int i, nr = pool->size / RMEM_HEAP_SLAB;
	u64 offset;

	if (nr < RMEM_HEAP_SLAB_MIN_NR ||
	    rmem_heap_alloc_init(&pool->alloc, pool->size, PAGE_SIZE))
		return;
	pool->alloc_ready = true;
	pool->slabs = kcalloc(nr, sizeof(*pool->slabs), GFP_KERNEL);
	if (!pool->slabs)
		goto destroy_alloc;
	/* every slab's range held, first fit hands them out in order */
	for (i = 0; i < nr; i++)
		if (rmem_heap_alloc_get(&pool->alloc, RMEM_HEAP_SLAB,
					RMEM_HEAP_SLAB, &offset) ||
		    offset != (u64)i * RMEM_HEAP_SLAB)
			goto free_slabs;
	if (pool->size > (u64)nr * RMEM_HEAP_SLAB &&
	    rmem_heap_alloc_get(&pool->alloc, pool->size - (u64)nr * RMEM_HEAP_SLAB,
				PAGE_SIZE, &offset))
		goto free_slabs;
	return;

free_slabs:
	kfree(pool->slabs);
	pool->slabs = NULL;
destroy_alloc:
	rmem_heap_alloc_destroy(&pool->alloc);
	pool->alloc_ready = false;
}

/* Give one empty slab back to CMA; false if there is none. */
static bool rmem_heap_slab_release_one(struct rmem_heap_pool *pool)
{
	struct rmem_heap_slab *slab;
	struct page *page;
	dma_addr_t dma;
	u64 offset;

	mutex_lock(&pool->lock);
	if (!pool->slab_empty ||
	    rmem_heap_alloc_get(&pool->alloc, RMEM_HEAP_SLAB, RMEM_HEAP_SLAB,
				&offset)) {
		mutex_unlock(&pool->lock);
		return false;
	}
	slab = &pool->slabs[offset / RMEM_HEAP_SLAB];
	page = slab->page;
	dma = slab->dma;
	slab->page = NULL;
	pool->slab_empty--;
	/* counted until it is CMA's again (the room check) */
	mutex_unlock(&pool->lock);

	if (WARN_ON(!page || slab->used))
		return false;
	rmem_heap_cm_note(pool, page_to_phys(page), RMEM_HEAP_SLAB,
			  RMEM_HEAP_CM_FORGET);
	rmem_heap_cma_free(pool, page, RMEM_HEAP_SLAB, dma);

	mutex_lock(&pool->lock);
	pool->slab_bytes -= RMEM_HEAP_SLAB;
	mutex_unlock(&pool->lock);
	return true;
}

/* Take a new slab from CMA and hand its range to the allocator. */
static bool rmem_heap_slab_grow(struct rmem_heap_pool *pool)
{
	struct rmem_heap_slab *slab;
	struct page *page;
	dma_addr_t dma;
	u64 offset;

	if (!rmem_heap_cma_room(pool, RMEM_HEAP_SLAB))
		return false;
	/* each buffer cut from it is zeroed then (rmem_heap_slab_take()) */
	page = rmem_heap_cma_alloc(pool, RMEM_HEAP_SLAB, &dma, false);
	if (!page)
		return false;
	offset = page_to_phys(page) - pool->base;
	/* a slab must be one of the allocator's slab ranges */
	if (offset % RMEM_HEAP_SLAB ||
	    offset / RMEM_HEAP_SLAB >= pool->size / RMEM_HEAP_SLAB) {
		rmem_heap_cma_free(pool, page, RMEM_HEAP_SLAB, dma);
		return false;
	}
	rmem_heap_cm_note(pool, page_to_phys(page), RMEM_HEAP_SLAB,
			  RMEM_HEAP_CM_ADOPT);

	mutex_lock(&pool->lock);
	slab = &pool->slabs[offset / RMEM_HEAP_SLAB];
	slab->page = page;
	slab->dma = dma;
	slab->used = 0;
	pool->slab_bytes += RMEM_HEAP_SLAB;
	pool->slab_empty++;
	rmem_heap_alloc_put(&pool->alloc, offset, RMEM_HEAP_SLAB);
	mutex_unlock(&pool->lock);
	return true;
}

/* A buffer of @size from a slab that has room, or NULL. */
static struct page *rmem_heap_slab_cut(struct rmem_heap_pool *pool,
				       size_t size, dma_addr_t *dma)
{
	struct rmem_heap_slab *slab;
	struct page *page = NULL;
	u64 offset, in;

	mutex_lock(&pool->lock);
	if (rmem_heap_alloc_get(&pool->alloc, size, roundup_pow_of_two(size),
				&offset))
		goto unlock;
	slab = &pool->slabs[offset / RMEM_HEAP_SLAB];
	in = offset % RMEM_HEAP_SLAB;
	if (!slab->used)
		pool->slab_empty--;
	slab->used += size;
	pool->slab_used += size;
	page = pfn_to_page(page_to_pfn(slab->page) + (in >> PAGE_SHIFT));
	*dma = slab->dma + in;
unlock:
	mutex_unlock(&pool->lock);
	return page;
}

/**
 * rmem_heap_slab_take() - pages for a small buffer of a reusable region
 * @pool: the reusable pool
 * @size: bytes, a multiple of the page size
 * @dma:  set to the pool device's DMA address of the pages
 *
 * The pages are zeroed through the linear map; the caller prepares them
 * for the buffer's cache policy (rmem_heap_reusable_prepare()).  Their
 * history is the cache model's already (the slab was adopted).
 *
 * Return: the first page, or NULL if @size is not cut from slabs or no
 * slab has room and no new one could be had (the caller takes pages
 * from CMA as for a large buffer).
 */
struct page *rmem_heap_slab_take(struct rmem_heap_pool *pool, size_t size,
				 dma_addr_t *dma)
{
	struct page *page;

	if (!rmem_heap_slab_fits(pool, size))
		return NULL;
	page = rmem_heap_slab_cut(pool, size, dma);
	if (!page && rmem_heap_slab_grow(pool))
		page = rmem_heap_slab_cut(pool, size, dma);
	if (page)
		rmem_heap_cma_zero(page, size);
	return page;
}

/**
 * rmem_heap_slab_put() - give a buffer's pages back to their slab
 * @pool: the reusable pool
 * @page: the buffer's first page
 * @size: its bytes
 *
 * The buffer leaves the pool's accounting (rmem_heap_pool_unaccount()) in
 * the same critical section.  A slab left empty stays for the next small
 * buffer unless another empty one does already; then it goes back to CMA.
 *
 * Return: false if the pages are not from a slab (the caller gives them
 * back to CMA and unaccounts them).
 */
bool rmem_heap_slab_put(struct rmem_heap_pool *pool, struct page *page,
			size_t size)
{
	u64 offset = page_to_phys(page) - pool->base;
	struct rmem_heap_slab *slab;
	bool spare;

	/* CMA's own pages may lie in the region's tail, beyond every slab */
	if (!rmem_heap_slab_fits(pool, size) ||
	    offset / RMEM_HEAP_SLAB >= pool->size / RMEM_HEAP_SLAB)
		return false;
	mutex_lock(&pool->lock);
	slab = &pool->slabs[offset / RMEM_HEAP_SLAB];
	/* pages cut from a slab lie in it; CMA's own never do */
	if (!slab->page) {
		mutex_unlock(&pool->lock);
		return false;
	}
	rmem_heap_alloc_put(&pool->alloc, offset, size);
	rmem_heap_pool_unaccount(pool, size);
	slab->used -= size;
	pool->slab_used -= size;
	if (!slab->used)
		pool->slab_empty++;
	spare = pool->slab_empty > 1;
	mutex_unlock(&pool->lock);

	if (spare)
		rmem_heap_slab_release_one(pool);
	return true;
}

/**
 * rmem_heap_slab_drop() - give every empty slab back to CMA
 * @pool: the pool (any type; only large enough reusable ones cut slabs)
 *
 * Return: true if one was given back.
 */
bool rmem_heap_slab_drop(struct rmem_heap_pool *pool)
{
	bool had = false;

	if (!pool->slabs)
		return false;
	while (rmem_heap_slab_release_one(pool))
		had = true;
	return had;
}

/**
 * rmem_heap_slab_stop() - give a pool's slabs back for good
 * @pool: the pool, with no buffer left
 */
void rmem_heap_slab_stop(struct rmem_heap_pool *pool)
{
	rmem_heap_slab_drop(pool);
	WARN_ON(pool->slab_bytes);
	kfree(pool->slabs);
	pool->slabs = NULL;
}
