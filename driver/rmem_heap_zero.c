// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: pre-zeroed free space of no-map regions.
 *
 * A no-map pool's allocator holds only zeroed memory, so an allocation
 * hands its extent out without touching it.  Freed extents, and after
 * probe the whole region (whose content is whatever the boot left there),
 * wait on the pool's dirty list until a work item zeroes them, a chunk at
 * a time, and gives them back to the allocator.  The work item starts a few
 * milliseconds after a free, so a burst of frees wakes it once.  Each dirty
 * extent stays an allocation of the allocator until it is given back;
 * chunks are split off it (rmem_heap_alloc_split()).  Zeroing is thus off
 * the allocation path whenever the CPUs had a moment between a free and
 * the next allocation.
 *
 * Dirty space is free space, only later: an allocation that finds no
 * zeroed extent large enough zeroes dirty chunks itself, retrying after
 * each, with the work item started at once to zero alongside on another
 * CPU, and waits for chunks other threads are zeroing before it fails with
 * -ENOMEM.  What one allocation zeroes is bounded by its size (twice it,
 * plus two chunks), and a fatal signal ends it with -EINTR, so no caller
 * zeroes a whole region on others' behalf.  Statistics never zero: they
 * report the pending bytes instead.
 *
 * Space no cacheable mapping ever covered goes through the pool's
 * write-combined mapping of the whole region (64-bit kernels) or a
 * temporary mapping of one chunk (32-bit kernels, where vmalloc space is
 * scarce); a dma-coherent pool uses write-back mappings.  A freed cached
 * buffer's extent is zeroed through a write-back mapping and flushed
 * (Documentation/rmem-heap.rst, "CPU caches").
 *
 * Background zeroing, here and of kept reusable chunks (rmem_heap_keep.c),
 * runs on another CPU than the task that queued it, on a per-CPU
 * workqueue of the driver's: that task frees or allocates the next buffer
 * at once, and an unbound worker the scheduler wakes on its CPU (it looks
 * for an idle CPU only within a shared-cache domain, which a device tree
 * without cache nodes does not describe) preempts it for the whole chunk.
 */

#include <linux/dma-map-ops.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "rmem_heap.h"

/* zeroing granule: what an allocation waits for at most per retry */
#define RMEM_HEAP_ZERO_CHUNK	SZ_1M

/*
 * Background zeroing starts this long after the first free of a burst, so
 * that a burst of allocations and frees neither wakes a worker per free
 * nor competes with it for the pool lock and the CPU.
 */
#define RMEM_HEAP_ZERO_DELAY	msecs_to_jiffies(10)

/* how often a held worker looks whether it may zero again */
#define RMEM_HEAP_ZERO_HOLD_POLL	msecs_to_jiffies(50)

#define CM(ev)	RMEM_HEAP_CM_##ev

/* background zeroing: per-CPU, each item long and CPU-bound */
struct workqueue_struct *rmem_heap_zero_wq;

/* Debug knobs (debugfs .zeroing/, for tests): see rmem_heap.h. */
bool rmem_heap_zero_hold;
u32 rmem_heap_zero_delay_ms;
atomic_t rmem_heap_zero_waits = ATOMIC_INIT(0);

/* A dma-coherent pool's devices snoop: zero through the caches. */
static bool rmem_heap_zero_wb(struct rmem_heap_pool *pool)
{
	return dev_is_dma_coherent(pool->dev);
}

/* Zero a mapped range and tell the model how. */
static void rmem_heap_zero_mapped(struct rmem_heap_pool *pool, void *vaddr,
				  phys_addr_t phys, u64 size, bool wb,
				  bool flush)
{
	memset(vaddr, 0, size);
	rmem_heap_cm_note(pool, phys, size, wb ? CM(CPU_ZERO) : CM(NC_ZERO));
	if (flush)
		rmem_heap_cache_flush(pool, vaddr, phys, size);
}

/*
 * Zero [phys, phys + size) through a temporary mapping, a page at a time
 * when vmalloc space is short of the whole range.
 */
static int rmem_heap_zero_temp(struct rmem_heap_pool *pool, phys_addr_t phys,
			       u64 size, bool wb, bool flush)
{
	unsigned long flags = wb ? MEMREMAP_WB : MEMREMAP_WC;
	u64 done, len = size;
	void *vaddr;

	for (done = 0; done < size; done += len) {
		vaddr = memremap(phys + done, len, flags);
		if (!vaddr && len > PAGE_SIZE) {
			len = PAGE_SIZE;
			vaddr = memremap(phys + done, len, flags);
		}
		if (!vaddr)
			return -ENOMEM;
		if (wb)
			rmem_heap_cm_note(pool, phys + done, len,
					  CM(MAP_KERNEL));
		rmem_heap_zero_mapped(pool, vaddr, phys + done, len, wb, flush);
		memunmap(vaddr);
		if (wb)
			rmem_heap_cm_note(pool, phys + done, len,
					  CM(UNMAP_KERNEL));
	}
	return 0;
}

/*
 * Zero [offset, offset + size) of the region; no lock held.  An extent the
 * caches may hold lines of (@cached) is zeroed through a write-back mapping
 * and flushed, so that any line left holds the zeroes, clean; other space
 * through the pool's write-combined mapping (write-back on a coherent pool).
 */
static int rmem_heap_zero_range(struct rmem_heap_pool *pool, u64 offset,
				u64 size, bool cached)
{
	phys_addr_t phys = pool->base + offset;
	bool wb = cached || rmem_heap_zero_wb(pool);
	int ret = 0;

	if (pool->zero_map && !cached)
		rmem_heap_zero_mapped(pool, pool->zero_map + offset, phys,
				      size, wb, false);
	else
		ret = rmem_heap_zero_temp(pool, phys, size, wb, cached);
	/* drain the write buffers before a device can be handed the space */
	wmb();
	return ret;
}

/*
 * Zero the first chunk of the dirty list and give it to the allocator.
 * Called with the pool lock held; drops it while zeroing.
 *
 * Return: 1 when a chunk was zeroed, 0 when the dirty list is empty,
 * -ENOMEM when the chunk could not be mapped (it stays dirty).
 */
static int rmem_heap_zero_chunk_locked(struct rmem_heap_pool *pool)
{
	struct rmem_heap_extent *extent, *done = NULL;
	u64 offset, size;
	bool cached;
	int ret;

	lockdep_assert_held(&pool->lock);

	extent = list_first_entry_or_null(&pool->dirty,
					  struct rmem_heap_extent, node);
	if (!extent)
		return 0;

	/*
	 * Every dirty extent is one allocation of @alloc.  Split off the
	 * first chunk, or take the whole extent if it is no larger or there
	 * is no memory for the split.
	 */
	offset = extent->offset;
	size = extent->size;
	cached = extent->cached;
	if (size > RMEM_HEAP_ZERO_CHUNK &&
	    !rmem_heap_alloc_split(&pool->alloc, offset, size,
				   RMEM_HEAP_ZERO_CHUNK)) {
		size = RMEM_HEAP_ZERO_CHUNK;
		extent->offset += size;
		extent->size -= size;
	} else {
		list_del(&extent->node);
		done = extent;
	}
	pool->zeroing++;
	mutex_unlock(&pool->lock);

	if (unlikely(READ_ONCE(rmem_heap_zero_delay_ms)))
		msleep(READ_ONCE(rmem_heap_zero_delay_ms));
	ret = rmem_heap_zero_range(pool, offset, size, cached);

	mutex_lock(&pool->lock);
	pool->zeroing--;
	if (!ret) {
		rmem_heap_alloc_put(&pool->alloc, offset, size);
		pool->dirty_bytes -= size;
		kfree(done);
	} else {
		pool->zero_failed++;
		/* back at the head, whole, as its own extent */
		if (!done)
			done = kzalloc_obj(*done, GFP_KERNEL);
		if (done) {
			done->offset = offset;
			done->size = size;
			done->cached = cached;
			list_add(&done->node, &pool->dirty);
		} else {
			pool->dirty_bytes -= size;
			dev_err_ratelimited(pool->dev,
					    "region %s: lost %llu bytes that could not be zeroed\n",
					    pool->region_name, size);
		}
	}
	pool->zeroed++;
	wake_up_all(&pool->zero_wait);
	return ret ? ret : 1;
}

/**
 * rmem_heap_zero_init() - create the workqueue that zeroes in the background
 *
 * Return: 0 or -ENOMEM.
 */
int rmem_heap_zero_init(void)
{
	rmem_heap_zero_wq = alloc_workqueue("rmem_heap_zero",
					    WQ_CPU_INTENSIVE |
					    RMEM_HEAP_WQ_PERCPU, 0);
	return rmem_heap_zero_wq ? 0 : -ENOMEM;
}

/**
 * rmem_heap_zero_exit() - destroy the workqueue that zeroes in the background
 *
 * Every pool is gone by then: their work was cancelled.
 */
void rmem_heap_zero_exit(void)
{
	destroy_workqueue(rmem_heap_zero_wq);
}

/**
 * rmem_heap_zero_cpu() - the CPU to zero on for the calling task
 *
 * The next online CPU after the caller's that may run kernel work (not
 * isolated), else the caller's own.  A CPU going offline meanwhile only
 * moves the work elsewhere.
 *
 * Return: a CPU number for queue_work_on() on &rmem_heap_zero_wq.
 */
int rmem_heap_zero_cpu(void)
{
	const struct cpumask *wq, *domain;
	int this = raw_smp_processor_id();
	int cpu, found = this;

	/* cpuset partitions replace the domain mask under RCU (7.x) */
	rcu_read_lock();
	wq = housekeeping_cpumask(HK_TYPE_WQ);
	domain = housekeeping_cpumask(HK_TYPE_DOMAIN);
	for_each_cpu_wrap(cpu, cpu_online_mask, this + 1) {
		if (cpu != this && cpumask_test_cpu(cpu, wq) &&
		    cpumask_test_cpu(cpu, domain)) {
			found = cpu;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

static void rmem_heap_zero_work(struct work_struct *work)
{
	struct rmem_heap_pool *pool = container_of(to_delayed_work(work),
						   struct rmem_heap_pool,
						   zero_work);

	/* held (debugfs): leave the dirty list to allocations, look later */
	if (READ_ONCE(rmem_heap_zero_hold)) {
		queue_delayed_work_on(rmem_heap_zero_cpu(), rmem_heap_zero_wq,
				      &pool->zero_work,
				      RMEM_HEAP_ZERO_HOLD_POLL);
		return;
	}

	mutex_lock(&pool->lock);
	while (rmem_heap_zero_chunk_locked(pool) > 0) {
		mutex_unlock(&pool->lock);
		cond_resched();
		mutex_lock(&pool->lock);
	}
	mutex_unlock(&pool->lock);
}

/**
 * rmem_heap_zero_setup() - initialise a pool's zeroing state
 * @pool: the pool, before rmem_heap_zero_start() or rmem_heap_zero_stop()
 *
 * Cannot fail; done for every pool so that rmem_heap_zero_stop() may be
 * called on any.
 */
void rmem_heap_zero_setup(struct rmem_heap_pool *pool)
{
	/* the model is a debugging aid: a pool without one still works */
	if (rmem_heap_cm_pool_init(pool))
		dev_warn(pool->dev, "region %s: no memory for the cache model\n",
			 pool->region_name);
	INIT_LIST_HEAD(&pool->dirty);
	init_waitqueue_head(&pool->zero_wait);
	INIT_DELAYED_WORK(&pool->zero_work, rmem_heap_zero_work);
}

/**
 * rmem_heap_zero_start() - take a new no-map pool's region to be zeroed
 * @pool: the pool, its allocator just initialised (the whole region free)
 *
 * Maps the region for zeroing and moves all of it from the allocator to
 * the dirty list, to be zeroed in the background.
 *
 * Return: 0, or -ENOMEM.
 */
int rmem_heap_zero_start(struct rmem_heap_pool *pool)
{
	struct rmem_heap_extent *extent;
	u64 offset;
	int ret;

	extent = kzalloc_obj(*extent, GFP_KERNEL);
	if (!extent)
		return -ENOMEM;

	/*
	 * One mapping of the whole region, so that zeroing neither maps nor
	 * unmaps anything.  Not on 32-bit kernels, where vmalloc space is
	 * scarce: there each chunk is mapped to be zeroed.
	 */
	if (IS_ENABLED(CONFIG_64BIT)) {
		pool->zero_map = memremap(pool->base, pool->size,
					  rmem_heap_zero_wb(pool) ?
					  MEMREMAP_WB : MEMREMAP_WC);
		if (pool->zero_map && rmem_heap_zero_wb(pool))
			rmem_heap_cm_note(pool, pool->base, pool->size,
					  CM(MAP_KERNEL));
	}

	mutex_lock(&pool->lock);
	ret = rmem_heap_alloc_get(&pool->alloc, pool->size, PAGE_SIZE, &offset);
	if (ret) {
		mutex_unlock(&pool->lock);
		kfree(extent);
		return ret;
	}
	extent->offset = offset;
	extent->size = pool->size;
	rmem_heap_zero_queue_locked(pool, extent);
	mutex_unlock(&pool->lock);
	return 0;
}

/**
 * rmem_heap_zero_stop() - stop zeroing and forget the dirty space
 * @pool: the pool, set up with rmem_heap_zero_setup(); nothing may queue
 *        more (no buffer is alive) and the region is going away
 *
 * The dirty extents are freed without being zeroed and the region's
 * zeroing mapping is removed.
 */
void rmem_heap_zero_stop(struct rmem_heap_pool *pool)
{
	struct rmem_heap_extent *extent, *tmp;

	cancel_delayed_work_sync(&pool->zero_work);
	list_for_each_entry_safe(extent, tmp, &pool->dirty, node) {
		list_del(&extent->node);
		kfree(extent);
	}
	pool->dirty_bytes = 0;
	if (pool->zero_map)
		memunmap(pool->zero_map);
	pool->zero_map = NULL;
	rmem_heap_cm_pool_destroy(pool);
}

/**
 * rmem_heap_zero_queue_locked() - queue a freed extent to be zeroed
 * @pool:   the pool, its lock held
 * @extent: the extent (offset and size set), now owned by the pool
 */
void rmem_heap_zero_queue_locked(struct rmem_heap_pool *pool,
				 struct rmem_heap_extent *extent)
{
	lockdep_assert_held(&pool->lock);

	list_add_tail(&extent->node, &pool->dirty);
	pool->dirty_bytes += extent->size;
	queue_delayed_work_on(rmem_heap_zero_cpu(), rmem_heap_zero_wq,
			      &pool->zero_work, RMEM_HEAP_ZERO_DELAY);
}

/**
 * rmem_heap_zero_budget() - how much an allocation may zero itself
 * @size: the allocation's size
 *
 * Return: the number of chunks an allocation of @size may zero before it
 * leaves the rest to the background work: twice its size and two more,
 * enough for a whole-region allocation after a free of everything, and
 * proportional to what the caller asked for.
 */
unsigned long rmem_heap_zero_budget(u64 size)
{
	return DIV_ROUND_UP_ULL(2 * size, RMEM_HEAP_ZERO_CHUNK) + 2;
}

/* Wait, killably, until a chunk another thread is zeroing is done. */
static int rmem_heap_zero_wait_locked(struct rmem_heap_pool *pool)
{
	unsigned long zeroed = pool->zeroed;
	int ret;

	atomic_inc(&rmem_heap_zero_waits);
	mutex_unlock(&pool->lock);
	ret = wait_event_killable(pool->zero_wait,
				  READ_ONCE(pool->zeroed) != zeroed);
	mutex_lock(&pool->lock);
	return ret ? -EINTR : 0;
}

/*
 * The caller's own share of zeroing is spent: wait for the background work
 * instead of failing while free space is only dirty.  Small freed extents
 * zeroed in list order need not make a contiguous one, so the budget alone
 * would fail allocations a heap with room can serve.  Held (debugfs), the
 * worker would never come; and once it could not map a chunk it stops, so
 * waiting again would only spin.
 */
static int rmem_heap_zero_wait_worker_locked(struct rmem_heap_pool *pool)
{
	unsigned long failed = pool->zero_failed;
	int ret;

	if (READ_ONCE(rmem_heap_zero_hold))
		return -ENOMEM;
	mod_delayed_work_on(rmem_heap_zero_cpu(), rmem_heap_zero_wq,
			    &pool->zero_work, 0);
	ret = rmem_heap_zero_wait_locked(pool);
	if (!ret && pool->zero_failed != failed)
		ret = -ENOMEM;
	return ret;
}

/**
 * rmem_heap_zero_reclaim_locked() - make dirty free space allocatable
 * @pool:   the pool, its lock held (dropped and retaken while zeroing or
 *          waiting)
 * @budget: chunks the caller may still zero (rmem_heap_zero_budget());
 *          decremented for each
 *
 * Zeroes one dirty chunk and gives it to the allocator or, when none is
 * left to take, waits until a chunk another thread is zeroing is done.
 * When more than one chunk is dirty, the background work item is started
 * at once to zero alongside; once the budget is spent the caller waits for
 * that work instead of zeroing.  An allocation that failed retries after
 * each successful call.
 *
 * Return: 0 when the allocator may have gained space; -ENOMEM when there
 * is no dirty space left, the budget is spent while the background worker
 * is held (debugfs) or a chunk could not be mapped to be zeroed; -EINTR on
 * a fatal signal.
 */
int rmem_heap_zero_reclaim_locked(struct rmem_heap_pool *pool,
				  unsigned long *budget)
{
	struct rmem_heap_extent *extent;
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;

	/* more than this chunk to do: the background worker helps, now */
	extent = list_first_entry_or_null(&pool->dirty,
					  struct rmem_heap_extent, node);
	if (extent && (extent->size > RMEM_HEAP_ZERO_CHUNK ||
		       !list_is_singular(&pool->dirty)))
		mod_delayed_work_on(rmem_heap_zero_cpu(), rmem_heap_zero_wq,
				    &pool->zero_work, 0);

	if (extent) {
		if (!*budget)
			return rmem_heap_zero_wait_worker_locked(pool);
		--*budget;
	}
	ret = rmem_heap_zero_chunk_locked(pool);
	if (ret)
		return ret < 0 ? ret : 0;
	if (!pool->zeroing)
		return -ENOMEM;
	return rmem_heap_zero_wait_locked(pool);
}

/**
 * rmem_heap_zero_pending() - bytes of a pool's free space not zeroed yet
 * @pool: the pool
 *
 * Return: the bytes waiting to be zeroed or being zeroed now (for a
 * reusable pool: of its kept chunks, rmem_heap_keep.c).
 */
u64 rmem_heap_zero_pending(struct rmem_heap_pool *pool)
{
	u64 bytes;

	mutex_lock(&pool->lock);
	bytes = pool->dirty_bytes + pool->kept_dirty;
	mutex_unlock(&pool->lock);
	return bytes;
}
