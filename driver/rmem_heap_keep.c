// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: freed chunks of a reusable region, kept for the next buffer
 * of the same size.
 *
 * Every cma_alloc() runs alloc_contig_range(), which drains every CPU's
 * free-page lists, and every release merges the pages back: a buffer freed
 * and allocated again (a frame cycle) paid both each time.  Freed chunks
 * are kept instead: a few, up to a quarter of the region, or half of it
 * when the chunk kept is the second of its size; small ones (below
 * RMEM_HEAP_KEEP_BG_MIN) also beyond that, up to a sixteenth of the
 * region of them, so that frames kept do not send every small buffer
 * through CMA.  They go back to CMA
 * when no buffer was freed for keep_ms, when an allocation cannot find
 * room, and when the region is released.  Documentation/rmem-heap.rst
 * ("reusable") has the figures.
 *
 * A work item zeroes a kept chunk of at least RMEM_HEAP_KEEP_BG_MIN for
 * its next buffer as soon as it is freed, so that the allocation finds it
 * ready (a smaller one costs less to zero than to wake the work item).
 * It hands the chunk out in pieces: an allocation that has to wait for it
 * zeroes pieces too, so that two CPUs finish it in about half the time.
 * A frame cycle frees a buffer just before it allocates the next: the
 * first time it finds the only chunk of its size not ready, it takes new
 * pages instead, so that from then on two chunks take turns, one zeroed
 * while the other is used.
 *
 * The work item runs on another CPU than the freeing task's, which is
 * likely to allocate the next frame at once (rmem_heap_zero_cpu()).
 */

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "rmem_heap_buffer.h"

static unsigned int keep_ms = 1000;
module_param(keep_ms, uint, 0644);
MODULE_PARM_DESC(keep_ms,
		 "Keep freed reusable buffers for reuse until no buffer was freed for this long (ms; 0: keep none)");

/*
 * A few chunks (lookups stay short), up to a quarter of the region; up to
 * half of it with the second chunk of a size, so that two frames of up to
 * a quarter of the region each can take turns.
 */
#define RMEM_HEAP_KEEP_MAX	64
#define RMEM_HEAP_KEEP_SHIFT	2
#define RMEM_HEAP_KEEP_PAIR_SHIFT	1
#define RMEM_HEAP_KEEP_SMALL_SHIFT	4

/* smallest chunk zeroed in the background, and the pieces it is zeroed in */
#define RMEM_HEAP_KEEP_BG_MIN	SZ_256K
#define RMEM_HEAP_KEEP_PIECE	SZ_256K

static bool rmem_heap_keep_bg(size_t size)
{
	return size >= RMEM_HEAP_KEEP_BG_MIN;
}

/*
 * Whether one more chunk of @size may be kept, @same of that size being
 * kept already (the one being zeroed included).
 */
static bool rmem_heap_keep_fits_locked(struct rmem_heap_pool *pool,
				       size_t size, unsigned int same)
{
	unsigned int shift = same == 1 ? RMEM_HEAP_KEEP_PAIR_SHIFT :
					 RMEM_HEAP_KEEP_SHIFT;

	lockdep_assert_held(&pool->lock);
	if (pool->nr_kept >= RMEM_HEAP_KEEP_MAX)
		return false;
	if (pool->kept_bytes + size <= pool->size >> shift)
		return true;
	return !rmem_heap_keep_bg(size) &&
	       pool->kept_small + size <=
	       pool->size >> RMEM_HEAP_KEEP_SMALL_SHIFT;
}

/**
 * struct rmem_heap_kept - a freed chunk of a reusable region
 * @node:   entry in &rmem_heap_pool.kept, most recently freed first
 * @page:   first page
 * @size:   bytes
 * @dma:    the pool device's DMA address of the pages
 * @policy: the cache policy of the buffer that freed it
 * @ready:  zeroed and prepared for a buffer of @policy
 * @cleans: cache cleans the preparation of a piece made
 *          (rmem_heap_reusable_prepare())
 * @pieces: RMEM_HEAP_KEEP_PIECE pieces, the last one maybe shorter
 * @next:   pieces handed out to be zeroed (under &rmem_heap_pool.lock)
 * @left:   pieces not zeroed yet (under &rmem_heap_pool.lock)
 */
struct rmem_heap_kept {
	struct list_head node;
	struct page *page;
	size_t size;
	dma_addr_t dma;
	enum rmem_heap_policy policy;
	bool ready;
	unsigned int cleans;
	unsigned int pieces;
	unsigned int next;
	unsigned int left;
};

/* whether the chunk the work item is zeroing now (off @kept) is of @size */
static bool rmem_heap_keep_busy_locked(struct rmem_heap_pool *pool,
				       size_t size)
{
	lockdep_assert_held(&pool->lock);
	return pool->keep_zeroing && pool->keep_zeroing->size == size;
}

/* kept chunks of @size, the one being zeroed included */
static unsigned int rmem_heap_keep_same_locked(struct rmem_heap_pool *pool,
					       size_t size)
{
	unsigned int same = rmem_heap_keep_busy_locked(pool, size);
	struct rmem_heap_kept *k;

	lockdep_assert_held(&pool->lock);
	list_for_each_entry(k, &pool->kept, node)
		same += k->size == size;
	return same;
}

static void rmem_heap_keep_release(struct rmem_heap_pool *pool,
				   struct list_head *list)
{
	struct rmem_heap_kept *k, *tmp;

	list_for_each_entry_safe(k, tmp, list, node) {
		rmem_heap_cm_note(pool, page_to_phys(k->page), k->size,
				  RMEM_HEAP_CM_FORGET);
		rmem_heap_cma_free(pool, k->page, k->size, k->dma);
		kfree(k);
	}
}

/**
 * rmem_heap_keep_drop() - give every kept chunk of a pool back to CMA
 * @pool: the pool (any type; only reusable pools keep chunks)
 *
 * Return: true if the pool kept a chunk.
 */
bool rmem_heap_keep_drop(struct rmem_heap_pool *pool)
{
	LIST_HEAD(list);
	u64 bytes;
	bool had;

	/*
	 * One release at a time, so that a caller returns only once what
	 * others took off the list is back in CMA (its allocation retries);
	 * the bytes count as kept until then (the room check).
	 */
	mutex_lock(&pool->keep_lock);
	mutex_lock(&pool->lock);
	list_splice_init(&pool->kept, &list);
	pool->nr_kept = 0;
	pool->kept_small = 0;
	/* none is off the list being zeroed: that holds keep_lock too */
	pool->kept_dirty = 0;
	bytes = pool->kept_bytes;
	mutex_unlock(&pool->lock);

	had = !list_empty(&list);
	rmem_heap_keep_release(pool, &list);

	mutex_lock(&pool->lock);
	pool->kept_bytes -= bytes;
	if (had)
		pool->kept_gen++;
	mutex_unlock(&pool->lock);
	mutex_unlock(&pool->keep_lock);
	return had;
}

/**
 * rmem_heap_keep_gen() - how many times kept chunks went back to CMA
 * @pool: the pool
 *
 * Return: a count that changes whenever rmem_heap_keep_drop() gave back a
 * chunk: an allocation that failed while one was being given back reads
 * another value after its own rmem_heap_keep_drop().
 */
unsigned long rmem_heap_keep_gen(struct rmem_heap_pool *pool)
{
	unsigned long gen;

	mutex_lock(&pool->lock);
	gen = pool->kept_gen;
	mutex_unlock(&pool->lock);
	return gen;
}

static void rmem_heap_keep_work(struct work_struct *work)
{
	struct rmem_heap_pool *pool =
		container_of(to_delayed_work(work), struct rmem_heap_pool,
			     keep_work);

	rmem_heap_keep_drop(pool);
}

/* the oldest kept chunk not ready, taken off the list; NULL if none */
static struct rmem_heap_kept *rmem_heap_keep_dirty_locked(struct rmem_heap_pool *pool)
{
	struct rmem_heap_kept *k;

	lockdep_assert_held(&pool->lock);
	list_for_each_entry_reverse(k, &pool->kept, node) {
		if (!k->ready && rmem_heap_keep_bg(k->size)) {
			list_del(&k->node);
			pool->keep_zeroing = k;
			k->pieces = DIV_ROUND_UP(k->size, RMEM_HEAP_KEEP_PIECE);
			k->next = 0;
			k->left = k->pieces;
			return k;
		}
	}
	return NULL;
}

/*
 * Zero and prepare the next piece of the chunk being zeroed, if that is
 * still the one that was being zeroed when keep_done read @done; false
 * when there is no piece left to hand out.  The piece holds the chunk
 * (its @left) until it is done: the work item puts the chunk back only
 * then.
 */
static bool rmem_heap_keep_zero_piece(struct rmem_heap_pool *pool,
				      unsigned long done)
{
	struct rmem_heap_kept *k;
	unsigned int cleans;
	struct page *page;
	size_t off, len;
	bool last;

	mutex_lock(&pool->lock);
	k = pool->keep_zeroing;
	if (!k || pool->keep_done != done || k->next == k->pieces) {
		mutex_unlock(&pool->lock);
		return false;
	}
	off = (size_t)k->next++ * RMEM_HEAP_KEEP_PIECE;
	mutex_unlock(&pool->lock);

	len = min_t(size_t, k->size - off, RMEM_HEAP_KEEP_PIECE);
	page = pfn_to_page(page_to_pfn(k->page) + (off >> PAGE_SHIFT));
	rmem_heap_cma_zero(page, len);
	cleans = rmem_heap_reusable_prepare(pool, page, k->dma + off, len,
					    k->policy);

	mutex_lock(&pool->lock);
	k->cleans = cleans;
	WRITE_ONCE(k->left, k->left - 1);
	last = !k->left;
	mutex_unlock(&pool->lock);
	if (last)
		wake_up_all(&pool->keep_wait);
	return true;
}

static void rmem_heap_keep_zero_work(struct work_struct *work)
{
	struct rmem_heap_pool *pool =
		container_of(work, struct rmem_heap_pool, keep_zero_work);
	struct rmem_heap_kept *k;
	unsigned long done;

	for (;;) {
		/* a release waits for the chunk that is off the list */
		mutex_lock(&pool->keep_lock);
		mutex_lock(&pool->lock);
		k = rmem_heap_keep_dirty_locked(pool);
		done = pool->keep_done;
		mutex_unlock(&pool->lock);
		if (!k) {
			mutex_unlock(&pool->keep_lock);
			return;
		}

		while (rmem_heap_keep_zero_piece(pool, done))
			cond_resched();
		/* the pieces allocations took may still be being zeroed */
		wait_event(pool->keep_wait, !READ_ONCE(k->left));
		k->ready = true;

		mutex_lock(&pool->lock);
		list_add(&k->node, &pool->kept);
		pool->kept_dirty -= k->size;
		pool->keep_zeroing = NULL;
		WRITE_ONCE(pool->keep_done, pool->keep_done + 1);
		mutex_unlock(&pool->lock);
		mutex_unlock(&pool->keep_lock);
		wake_up_all(&pool->keep_wait);
		cond_resched();
	}
}

/**
 * rmem_heap_keep_put() - keep a freed reusable buffer's chunk
 * @pool:   the pool
 * @page:   first page
 * @size:   bytes
 * @dma:    the pool device's DMA address of the pages
 * @policy: the cache policy of the buffer (its next one is prepared so)
 *
 * A kept chunk leaves the pool's accounting (rmem_heap_pool_unaccount())
 * in the same critical section, so that it is never counted twice.
 *
 * Return: true if the chunk is kept; false if the caller must give it
 * back and unaccount it (keeping is off, or the pool keeps enough).
 */
bool rmem_heap_keep_put(struct rmem_heap_pool *pool, struct page *page,
			size_t size, dma_addr_t dma,
			enum rmem_heap_policy policy)
{
	unsigned int ms = READ_ONCE(keep_ms);
	struct rmem_heap_kept *k;

	if (!ms)
		return false;
	k = kzalloc_obj(*k, GFP_KERNEL);
	if (!k)
		return false;
	k->page = page;
	k->size = size;
	k->dma = dma;
	k->policy = policy;

	mutex_lock(&pool->lock);
	if (!rmem_heap_keep_fits_locked(pool, size,
					rmem_heap_keep_same_locked(pool, size))) {
		mutex_unlock(&pool->lock);
		kfree(k);
		return false;
	}
	list_add(&k->node, &pool->kept);
	pool->kept_bytes += size;
	if (!rmem_heap_keep_bg(size))
		pool->kept_small += size;
	pool->nr_kept++;
	rmem_heap_pool_unaccount(pool, size);
	mod_delayed_work(rmem_heap_unbound_wq, &pool->keep_work,
			 msecs_to_jiffies(ms));
	if (rmem_heap_keep_bg(size)) {
		pool->kept_dirty += size;
		queue_work_on(rmem_heap_zero_cpu(), rmem_heap_zero_wq,
			      &pool->keep_zero_work);
	}
	mutex_unlock(&pool->lock);
	return true;
}

/*
 * Whether a buffer of @size should take new pages rather than the one
 * chunk of its size, which is not ready: then two chunks take turns (see
 * the top of this file), if both fit beside the live buffers.
 */
static bool rmem_heap_keep_second_locked(struct rmem_heap_pool *pool,
					 size_t size, unsigned int same)
{
	return same == 1 && rmem_heap_keep_bg(size) &&
	       rmem_heap_keep_fits_locked(pool, size, same) &&
	       rmem_heap_cma_room_locked(pool, size);
}

/**
 * rmem_heap_keep_take() - a kept chunk of exactly @size bytes, zeroed
 * @pool:   the pool
 * @size:   bytes
 * @policy: the cache policy of the buffer it is for
 * @dma:    set to the pool device's DMA address of the pages
 * @cleans: set to the cache cleans of its preparation if it is prepared
 *          for @policy (rmem_heap_reusable_prepare()); left alone if the
 *          caller must prepare it
 *
 * A chunk prepared in the background for @policy is taken first, then one
 * zeroed for the other cache policy (the caller prepares it for this one);
 * if there is neither, but one of that size is being zeroed, this helps
 * zero it and waits for it; else one that is not ready is zeroed here,
 * like a new chunk (rmem_heap_cma_zero()).
 *
 * Return: the first page, or NULL if the caller should take new pages.
 */
struct page *rmem_heap_keep_take(struct rmem_heap_pool *pool, size_t size,
				 enum rmem_heap_policy policy, dma_addr_t *dma,
				 unsigned int *cleans)
{
	struct rmem_heap_kept *k, *found;
	bool busy, ready, zeroed, waited = false;
	unsigned long done;
	unsigned int same;
	struct page *page;

again:
	found = NULL;
	same = 0;
	mutex_lock(&pool->lock);
	busy = rmem_heap_keep_busy_locked(pool, size);
	list_for_each_entry(k, &pool->kept, node) {
		if (k->size != size)
			continue;
		same++;
		if (k->ready && k->policy == policy) {
			found = k;
			break;
		}
		if (!found || (k->ready && !found->ready))
			found = k;
	}
	ready = found && found->ready && found->policy == policy;
	/* for the other policy: cheaper to prepare again than new or waited for */
	zeroed = found && found->ready;
	if (!zeroed && !waited &&
	    rmem_heap_keep_second_locked(pool, size, same + busy)) {
		mutex_unlock(&pool->lock);
		return NULL;
	}
	/*
	 * One of the size being zeroed is further along than any other: help
	 * zero it, then wait until it is back on the list, rather than zero
	 * another beside it.
	 */
	if (!zeroed && busy && !waited) {
		done = pool->keep_done;
		mutex_unlock(&pool->lock);
		while (rmem_heap_keep_zero_piece(pool, done))
			cond_resched();
		/* not keep_lock: the work item takes it again for the next */
		wait_event(pool->keep_wait, READ_ONCE(pool->keep_done) != done);
		waited = true;
		goto again;
	}
	if (!found) {
		mutex_unlock(&pool->lock);
		return NULL;
	}
	list_del(&found->node);
	pool->kept_bytes -= size;
	if (!rmem_heap_keep_bg(size))
		pool->kept_small -= size;
	else if (!found->ready)
		pool->kept_dirty -= size;
	pool->nr_kept--;
	mutex_unlock(&pool->lock);

	page = found->page;
	*dma = found->dma;
	if (ready)
		*cleans = found->cleans;
	else if (!zeroed)
		rmem_heap_cma_zero(page, size);
	/* else zeroed for the other policy: the caller prepares it again */
	kfree(found);
	return page;
}

/**
 * rmem_heap_keep_setup() - initialise a pool's kept chunks
 * @pool: the pool
 */
void rmem_heap_keep_setup(struct rmem_heap_pool *pool)
{
	mutex_init(&pool->keep_lock);
	INIT_LIST_HEAD(&pool->kept);
	INIT_DELAYED_WORK(&pool->keep_work, rmem_heap_keep_work);
	INIT_WORK(&pool->keep_zero_work, rmem_heap_keep_zero_work);
	init_waitqueue_head(&pool->keep_wait);
}

/**
 * rmem_heap_keep_stop() - give a pool's kept chunks back for good
 * @pool: the pool, with no buffer left (so nothing keeps a chunk again)
 */
void rmem_heap_keep_stop(struct rmem_heap_pool *pool)
{
	cancel_delayed_work_sync(&pool->keep_work);
	cancel_work_sync(&pool->keep_zero_work);
	rmem_heap_keep_drop(pool);
	mutex_destroy(&pool->keep_lock);
}
