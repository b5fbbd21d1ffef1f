// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: a pool's accounting (what its buffers use, what failed) and
 * the statistics sysfs, the control device and debugfs read.
 */

#include <linux/mutex.h>

#include "rmem_heap_buffer.h"

/**
 * rmem_heap_pool_account() - count a new buffer in its pool
 * @pool: the pool, its lock held
 * @size: bytes of the buffer
 */
void rmem_heap_pool_account(struct rmem_heap_pool *pool, size_t size)
{
	lockdep_assert_held(&pool->lock);
	pool->used += size;
	pool->nr_buffers++;
	if (pool->used > pool->peak_used)
		pool->peak_used = pool->used;
}

/**
 * rmem_heap_pool_unaccount() - forget a freed buffer in its pool
 * @pool: the pool, its lock held
 * @size: bytes of the buffer
 */
void rmem_heap_pool_unaccount(struct rmem_heap_pool *pool, size_t size)
{
	lockdep_assert_held(&pool->lock);
	pool->used -= size;
	pool->nr_buffers--;
}

/**
 * rmem_heap_pool_failed() - count a failed allocation
 * @pool: the pool
 */
void rmem_heap_pool_failed(struct rmem_heap_pool *pool)
{
	mutex_lock(&pool->lock);
	pool->failed++;
	mutex_unlock(&pool->lock);
}

/**
 * rmem_heap_pool_stats() - snapshot of a pool's counters
 * @pool:  the pool
 * @stats: filled in under the pool lock
 *
 * Never zeroes anything on the reader's behalf (sysfs files are world
 * readable): @stats->largest_free counts zeroed space only and
 * @stats->pending_zero says how much more is on its way.
 */
void rmem_heap_pool_stats(struct rmem_heap_pool *pool,
			  struct rmem_heap_stats *stats)
{
	mutex_lock(&pool->lock);
	stats->size = pool->size;
	stats->used = pool->used;
	stats->free = pool->size - pool->used;
	stats->peak_used = pool->peak_used;
	stats->buffers = pool->nr_buffers;
	stats->failed = pool->failed;
	stats->pending_zero = pool->dirty_bytes + pool->kept_dirty;
	stats->kept = pool->kept_bytes;
	stats->slabs = pool->slab_bytes;
	if (pool->type == RMEM_HEAP_NOMAP) {
		stats->largest_free = rmem_heap_alloc_largest_free(&pool->alloc);
	} else {
		/* CMA does not expose its fragmentation: an upper bound */
		stats->largest_free = stats->free;
	}
	mutex_unlock(&pool->lock);
}
