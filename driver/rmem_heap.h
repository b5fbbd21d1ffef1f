/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: DMA-BUF heaps over device-tree reserved memory.
 *
 * Internal structures and the prototypes the driver's files share.
 */
#ifndef _RMEM_HEAP_H
#define _RMEM_HEAP_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "rmem_heap_alloc.h"
#include "rmem_heap_cmodel.h"

#define RMEM_HEAP_NAME_MAX	32	/* including the NUL */
#define RMEM_HEAP_UNCACHED_SFX	"-uncached"
#define RMEM_HEAP_MAX_HEAPS	64	/* char-device minors */

struct dma_buf;
struct dma_heap;
struct dentry;
struct page;

/**
 * enum rmem_heap_type - kind of reserved-memory region behind a pool
 * @RMEM_HEAP_NOMAP:    no-map carveout, no linear map, maybe no struct page
 * @RMEM_HEAP_REUSABLE: reusable region, the device's own CMA area
 */
enum rmem_heap_type {
	RMEM_HEAP_NOMAP,
	RMEM_HEAP_REUSABLE,
};

/**
 * enum rmem_heap_policy - CPU cache policy of a heap
 * @RMEM_HEAP_CACHED:   write-back CPU mappings, explicit maintenance
 * @RMEM_HEAP_UNCACHED: write-combined CPU mappings, no maintenance
 * @RMEM_HEAP_COHERENT: write-back CPU mappings, dma-coherent device
 */
enum rmem_heap_policy {
	RMEM_HEAP_CACHED,
	RMEM_HEAP_UNCACHED,
	RMEM_HEAP_COHERENT,
};

struct rmem_heap_device;
struct rmem_heap_kept;
struct rmem_heap_slab;

/**
 * struct rmem_heap_pool - one reserved-memory region
 * @rdev:        the device the region belongs to
 * @dev:         device used for the DMA API (the platform device)
 * @region_name: name of the reserved-memory node, without unit address
 * @base:        physical base of the region
 * @size:        size of the region in bytes
 * @type:        no-map or reusable
 * @lock:        protects @alloc, @anchor, @buffers and the statistics below
 * @alloc:       range allocator: of the region (no-map), of its slabs
 *               (reusable, rmem_heap_slab.c)
 * @alloc_ready: @alloc has been initialised
 * @slabs:       the slabs of a reusable region, one per slab-sized range,
 *               or NULL when it cuts none (rmem_heap_slab.c)
 * @slab_bytes:  bytes of slabs taken from CMA
 * @slab_used:   bytes of live buffers in slabs
 * @slab_empty:  slabs with no buffer
 * @zero_map:    kernel mapping of the whole region used only to zero free
 *               space of uncached extents, write-combined (write-back for
 *               a dma-coherent device); no-map regions on 64-bit kernels
 *               only, NULL elsewhere or when the mapping could not be made
 * @dirty:       free extents waiting to be zeroed (&rmem_heap_extent.node);
 *               @alloc holds only zeroed space (rmem_heap_zero.c)
 * @dirty_bytes: bytes on @dirty plus the chunks being zeroed now
 * @zeroing:     number of chunks being zeroed now
 * @zeroed:      number of chunks zeroed so far (wakes @zero_wait)
 * @zero_failed: number of chunks that could not be mapped to be zeroed
 * @zero_wait:   allocations waiting for chunks others are zeroing
 * @zero_work:   background zeroing of @dirty
 * @anchor:      one page of a reusable region, taken while the pool is idle
 *               and kept until an allocation fails or the pool goes away,
 *               so that small buffers do not each split and re-merge a
 *               whole free pageblock (see rmem_heap_anchor_take())
 * @anchor_dma:  DMA address of @anchor
 * @keep_lock:   serialises giving @kept back to CMA (taken before @lock)
 * @kept:        freed chunks of a reusable region kept for reuse
 *               (rmem_heap_keep.c)
 * @kept_bytes:  bytes on @kept and of chunks being given back
 * @kept_small:  bytes on @kept of chunks below the background-zeroing size
 * @nr_kept:     entries on @kept
 * @kept_gen:    counts the times kept chunks were given back
 * @kept_dirty:  bytes of kept chunks waiting to be zeroed in the background
 * @keep_zeroing: the kept chunk being zeroed now (off @kept), whose pieces
 *               allocations waiting for it zero too (rmem_heap_keep.c), or
 *               NULL
 * @keep_done:   counts the kept chunks zeroed in the background
 * @keep_wait:   allocations waiting for the kept chunk being zeroed
 * @keep_work:   gives @kept back to CMA once no buffer was freed for a while
 * @keep_zero_work: zeroes kept chunks for their next buffer
 * @buffers:     live buffers (&rmem_heap_buffer.pool_node)
 * @used:        bytes allocated now
 * @peak_used:   high-water mark of @used
 * @nr_buffers:  number of live buffers
 * @failed:      number of failed allocations
 * @cmodel:      cache model (CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL; unused,
 *               with no pages, otherwise)
 */
struct rmem_heap_pool {
	struct rmem_heap_device *rdev;
	struct device *dev;
	const char *region_name;
	phys_addr_t base;
	phys_addr_t size;
	enum rmem_heap_type type;

	struct mutex lock; /* see @lock above */
	struct rmem_heap_alloc alloc;
	bool alloc_ready;
	struct rmem_heap_slab *slabs;
	u64 slab_bytes;
	u64 slab_used;
	unsigned int slab_empty;
	void *zero_map;
	struct list_head dirty;
	u64 dirty_bytes;
	unsigned int zeroing;
	unsigned long zeroed;
	unsigned long zero_failed;
	wait_queue_head_t zero_wait;
	struct delayed_work zero_work;
	struct page *anchor;
	dma_addr_t anchor_dma;
	struct mutex keep_lock; /* see @keep_lock above */
	struct list_head kept;
	u64 kept_bytes;
	u64 kept_small;
	unsigned int nr_kept;
	unsigned long kept_gen;
	u64 kept_dirty;
	struct rmem_heap_kept *keep_zeroing;
	unsigned long keep_done;
	wait_queue_head_t keep_wait;
	struct delayed_work keep_work;
	struct work_struct keep_zero_work;
	struct list_head buffers;
	u64 used;
	u64 peak_used;
	unsigned long nr_buffers;
	unsigned long failed;
	struct rmem_heap_cmodel cmodel;
};

/**
 * struct rmem_heap_extent - a free extent of a no-map pool to be zeroed
 * @node:   entry in &rmem_heap_pool.dirty
 * @offset: offset of the extent within the region
 * @size:   size in bytes (page aligned)
 * @cached: the caches may hold lines of it: zero it through a cacheable
 *          mapping and clean and invalidate that (rmem_heap_zero.c)
 */
struct rmem_heap_extent {
	struct list_head node;
	u64 offset;
	u64 size;
	bool cached;
};

/**
 * struct rmem_heap - one heap exported to user space
 * @name:      heap name (also the /dev/dma_heap/ node name)
 * @pool:      the pool the heap allocates from (twins share one)
 * @policy:    CPU cache policy of the heap's buffers
 * @list:      entry in the global list of heaps (name uniqueness)
 * @dev:       device in class rmem_heap (sysfs; char device node too); it
 *             holds a reference on &rmem_heap_device.ref, dropped by its
 *             release callback
 * @cdev:      char device (char-device mode only); an open file holds @dev
 * @dma_heap:  the registered dma-heap (dma_heap_add mode only)
 * @debugfs:   debugfs file of the heap
 */
struct rmem_heap {
	char name[RMEM_HEAP_NAME_MAX];
	struct rmem_heap_pool *pool;
	enum rmem_heap_policy policy;
	struct list_head list;

	struct device dev;
	struct cdev cdev;
	struct dma_heap *dma_heap;
	struct dentry *debugfs;
};

/**
 * struct rmem_heap_device - driver data of one "linux,rmem-heap" node
 * @ref:      held by the bound platform device and by each heap's &dev
 *            (so by open heap files and live buffers, through it); the
 *            last put frees the pools and releases the regions
 * @dev:      the platform device (a reference is held)
 * @pools:    one pool per memory-region entry
 * @nr_pools: number of entries in @pools
 * @heaps:    the heaps (one or two per pool)
 * @nr_heaps: number of entries in @heaps
 */
struct rmem_heap_device {
	struct kref ref;
	struct device *dev;
	struct rmem_heap_pool *pools;
	unsigned int nr_pools;
	struct rmem_heap *heaps;
	unsigned int nr_heaps;
};

/**
 * struct rmem_heap_buffer - one allocation, the private data of a dma-buf
 * @heap:        heap the buffer was allocated from (its &dev is held)
 * @pool:        pool the memory comes from
 * @dmabuf:      the dma-buf exporting the buffer
 * @pool_node:   entry in &rmem_heap_pool.buffers (under the pool lock)
 * @lock:        protects @attachments, @vmap_cnt/@vmap_addr and the
 *               creation of @vaddr
 * @attachments: attachments (&struct rmem_heap_attachment)
 * @phys:        physical address of the buffer
 * @offset:      offset of the buffer within the region
 * @size:        size in bytes (page aligned)
 * @vaddr:       the driver's own cacheable kernel mapping: the linear map
 *               (reusable), or on 64-bit kernels a write-back memremap()
 *               made on first need (cached and coherent no-map, under
 *               @lock; NULL before); NULL for uncached no-map buffers and
 *               on 32-bit kernels (rmem_heap_nomap.c)
 * @extent:      the dirty-list entry the buffer's extent becomes when the
 *               buffer is released (no-map only; allocated with the buffer
 *               so that release needs no memory)
 * @pages:       first page (reusable only)
 * @dma:         DMA address of the pages for the pool device (reusable)
 * @vmap_cnt:    vmap reference count
 * @vmap_addr:   kernel mapping made for vmap when @vaddr cannot serve:
 *               write-combined for an uncached buffer, write-back for a
 *               cached or coherent no-map buffer on a 32-bit kernel
 * @cacheable:   a cacheable mapping of the no-map buffer was made (the
 *               caches may hold its lines)
 * @user_mapped: a cacheable user mapping was made
 * @cleans:      CPU cache clean operations done on the buffer
 * @invals:      CPU cache invalidate operations done on the buffer
 * @pid:         thread group id of the allocating task
 * @comm:        command name of the allocating task
 */
struct rmem_heap_buffer {
	struct rmem_heap *heap;
	struct rmem_heap_pool *pool;
	struct dma_buf *dmabuf;
	struct list_head pool_node;

	struct mutex lock; /* see @lock above */
	struct list_head attachments;

	phys_addr_t phys;
	u64 offset;
	size_t size;
	void *vaddr;
	struct rmem_heap_extent *extent;
	struct page *pages;
	dma_addr_t dma;

	unsigned int vmap_cnt;
	void *vmap_addr;
	bool cacheable;
	bool user_mapped;

	atomic_long_t cleans;
	atomic_long_t invals;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

/**
 * struct rmem_heap_stats - snapshot of a pool's counters (sysfs)
 * @size:         bytes of the region
 * @used:         bytes allocated now
 * @free:         bytes free
 * @largest_free: bytes of the largest free extent
 * @peak_used:    high-water mark of @used
 * @buffers:      live buffers
 * @failed:       failed allocations
 * @pending_zero: bytes freed but not zeroed yet (no-map)
 * @kept:         bytes of freed chunks kept for reuse (reusable)
 * @slabs:        bytes of slabs small buffers are cut from (reusable)
 */
struct rmem_heap_stats {
	u64 size;
	u64 used;
	u64 free;
	u64 largest_free;
	u64 peak_used;
	u64 buffers;
	u64 failed;
	u64 pending_zero;
	u64 kept;
	u64 slabs;
};

/* rmem_heap_buffer.c */
struct dma_buf *rmem_heap_buffer_alloc(struct rmem_heap *heap, u64 len,
				       u32 fd_flags);
void rmem_heap_buffer_name(struct rmem_heap_buffer *buffer, char *name,
			   size_t len);
void rmem_heap_pool_stats(struct rmem_heap_pool *pool,
			  struct rmem_heap_stats *stats);
struct rmem_heap_buffer *rmem_heap_buffer_of(struct dma_buf *dmabuf);
int rmem_heap_buffer_cpu_access(struct dma_buf *dmabuf, u64 offset, u64 len,
				enum dma_data_direction dir, bool start);

/* rmem_heap_cma.c */
struct page *rmem_heap_cma_alloc(struct rmem_heap_pool *pool, size_t size,
				 dma_addr_t *dma, bool zero);
void rmem_heap_cma_free(struct rmem_heap_pool *pool, struct page *page,
			size_t size, dma_addr_t dma);
void rmem_heap_cma_zero(struct page *page, size_t size);
bool rmem_heap_cma_room_locked(struct rmem_heap_pool *pool, size_t size);
bool rmem_heap_cma_room(struct rmem_heap_pool *pool, size_t size);
bool rmem_heap_anchor_take(struct rmem_heap_pool *pool, size_t size);
bool rmem_heap_anchor_drop(struct rmem_heap_pool *pool);

/* rmem_heap_slab.c */
void rmem_heap_slab_setup(struct rmem_heap_pool *pool);
void rmem_heap_slab_stop(struct rmem_heap_pool *pool);
struct page *rmem_heap_slab_take(struct rmem_heap_pool *pool, size_t size,
				 dma_addr_t *dma);
bool rmem_heap_slab_put(struct rmem_heap_pool *pool, struct page *page,
			size_t size);
bool rmem_heap_slab_drop(struct rmem_heap_pool *pool);

/* rmem_heap_keep.c */
void rmem_heap_keep_setup(struct rmem_heap_pool *pool);
void rmem_heap_keep_stop(struct rmem_heap_pool *pool);
bool rmem_heap_keep_put(struct rmem_heap_pool *pool, struct page *page,
			size_t size, dma_addr_t dma,
			enum rmem_heap_policy policy);
struct page *rmem_heap_keep_take(struct rmem_heap_pool *pool, size_t size,
				 enum rmem_heap_policy policy, dma_addr_t *dma,
				 unsigned int *cleans);
bool rmem_heap_keep_drop(struct rmem_heap_pool *pool);
unsigned long rmem_heap_keep_gen(struct rmem_heap_pool *pool);

/* rmem_heap_zero.c */
extern struct workqueue_struct *rmem_heap_zero_wq;
int rmem_heap_zero_init(void);
void rmem_heap_zero_exit(void);
int rmem_heap_zero_cpu(void);
void rmem_heap_zero_setup(struct rmem_heap_pool *pool);
int rmem_heap_zero_start(struct rmem_heap_pool *pool);
void rmem_heap_zero_stop(struct rmem_heap_pool *pool);
void rmem_heap_zero_queue_locked(struct rmem_heap_pool *pool,
				 struct rmem_heap_extent *extent);
unsigned long rmem_heap_zero_budget(u64 size);
int rmem_heap_zero_reclaim_locked(struct rmem_heap_pool *pool,
				  unsigned long *budget);

/*
 * Debug knobs of the zeroing (debugfs .zeroing/, for tests): hold the
 * background worker, sleep this long before zeroing each chunk, and count
 * the allocations that waited for chunks others were zeroing.
 */
extern bool rmem_heap_zero_hold;
extern u32 rmem_heap_zero_delay_ms;
extern atomic_t rmem_heap_zero_waits;
u64 rmem_heap_zero_pending(struct rmem_heap_pool *pool);

/*
 * Debug counters of user mappings (debugfs .mapping/, for tests): whether
 * this kernel gets PMD entries, how many it made, and how many 2 MiB
 * windows the PTE fault handler filled.
 */
extern bool rmem_heap_map_pmd;
extern atomic_t rmem_heap_map_pmds;
extern atomic_t rmem_heap_map_pte_faults;

/* rmem_heap_cache.c */
bool rmem_heap_cache_supported(void);
void rmem_heap_cache_for_device(struct rmem_heap_pool *pool, void *vaddr,
				phys_addr_t phys, size_t size,
				enum dma_data_direction dir);
void rmem_heap_cache_for_cpu(struct rmem_heap_pool *pool, void *vaddr,
			     phys_addr_t phys, size_t size,
			     enum dma_data_direction dir);
void rmem_heap_cache_flush(struct rmem_heap_pool *pool, void *vaddr,
			   phys_addr_t phys, size_t size);
#if IS_ENABLED(CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL)
int rmem_heap_cm_pool_init(struct rmem_heap_pool *pool);
void rmem_heap_cm_pool_destroy(struct rmem_heap_pool *pool);
void rmem_heap_cm_note(struct rmem_heap_pool *pool, phys_addr_t phys,
		       size_t size, enum rmem_heap_cm_event event);
void rmem_heap_cm_dma(struct rmem_heap_pool *pool, phys_addr_t phys,
		      size_t size, struct device *dev,
		      enum dma_data_direction dir, bool for_cpu);
#else
static inline int rmem_heap_cm_pool_init(struct rmem_heap_pool *pool)
{
	return 0;
}

static inline void rmem_heap_cm_pool_destroy(struct rmem_heap_pool *pool)
{
}

static inline void rmem_heap_cm_note(struct rmem_heap_pool *pool,
				     phys_addr_t phys, size_t size,
				     enum rmem_heap_cm_event event)
{
}

static inline void rmem_heap_cm_dma(struct rmem_heap_pool *pool,
				    phys_addr_t phys, size_t size,
				    struct device *dev,
				    enum dma_data_direction dir, bool for_cpu)
{
}
#endif

/* rmem_heap_cdev.c */
int rmem_heap_cdev_init(void);
void rmem_heap_cdev_exit(void);
int rmem_heap_cdev_add(struct rmem_heap *heap);
void rmem_heap_cdev_del(struct rmem_heap *heap);

/* rmem_heap_dmaheap.c */
int rmem_heap_dmaheap_register(struct rmem_heap *heap);

/* rmem_heap_sysfs.c */
int rmem_heap_sysfs_init(void);
void rmem_heap_sysfs_exit(void);
int rmem_heap_sysfs_init_dev(struct rmem_heap *heap, struct device *parent,
			     void (*release)(struct device *dev));
int rmem_heap_sysfs_add(struct rmem_heap *heap);
void rmem_heap_sysfs_del(struct rmem_heap *heap);
struct rmem_heap *rmem_heap_find(const char *name);

/* rmem_heap_ctl.c */
int rmem_heap_ctl_init(void);
void rmem_heap_ctl_exit(void);

/* rmem_heap_debugfs.c */
void rmem_heap_debugfs_init(void);
void rmem_heap_debugfs_exit(void);
void rmem_heap_debugfs_add(struct rmem_heap *heap);
void rmem_heap_debugfs_del(struct rmem_heap *heap);

/* helpers shared by sysfs and debugfs */
const char *rmem_heap_type_name(enum rmem_heap_type type);
const char *rmem_heap_policy_name(enum rmem_heap_policy policy);

#endif /* _RMEM_HEAP_H */
