/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: a model of what the CPU caches may hold of a pool's pages.
 *
 * QEMU has no cache model, so no test can see a missing or misordered
 * clean or invalidate.  This model keeps, per page, the worst case the
 * caches may hold and checks every event the driver performs or is told of
 * against the rules in Documentation/rmem-heap.rst ("CPU caches").  It is
 * pure bookkeeping (no locking of its own callers' state, no printing) so
 * that the KUnit suite can drive it with event sequences.
 */
#ifndef _RMEM_HEAP_CMODEL_H
#define _RMEM_HEAP_CMODEL_H

#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * enum rmem_heap_cm_event - what happened to a range of pages
 * @RMEM_HEAP_CM_MAP_KERNEL:  a cacheable kernel mapping was made
 * @RMEM_HEAP_CM_UNMAP_KERNEL: a cacheable kernel mapping was removed
 * @RMEM_HEAP_CM_MAP_USER:    a cacheable user mapping was made (assumed to
 *                            last until the owner frees the pages)
 * @RMEM_HEAP_CM_CPU_READ:    the CPU reads through a cacheable mapping
 * @RMEM_HEAP_CM_CPU_WRITE:   the CPU writes through a cacheable mapping
 * @RMEM_HEAP_CM_CPU_ZERO:    the driver zeroes through a cacheable mapping
 * @RMEM_HEAP_CM_NC_READ:     the CPU reads through a non-cacheable mapping
 * @RMEM_HEAP_CM_NC_WRITE:    the CPU writes through a non-cacheable mapping
 * @RMEM_HEAP_CM_NC_ZERO:     the driver zeroes through a non-cacheable
 *                            mapping
 * @RMEM_HEAP_CM_CLEAN_INNER: inner caches cleaned (to the outer cache, or
 *                            memory where there is none)
 * @RMEM_HEAP_CM_INV_INNER:   inner caches invalidated
 * @RMEM_HEAP_CM_CLEAN_OUTER: outer cache (PL310) cleaned to memory
 * @RMEM_HEAP_CM_INV_OUTER:   outer cache invalidated
 * @RMEM_HEAP_CM_DEV_READ:    a device that does not snoop reads memory
 * @RMEM_HEAP_CM_DEV_WRITE:   a device that does not snoop writes memory
 * @RMEM_HEAP_CM_SNOOP_READ:  a cache-coherent device reads
 * @RMEM_HEAP_CM_SNOOP_WRITE: a cache-coherent device writes
 * @RMEM_HEAP_CM_ALLOC:       the pages are handed to a new owner
 * @RMEM_HEAP_CM_ALLOC_CACHED: the same, to an owner that reads only through
 *                            cacheable mappings and whose importers clean
 *                            at map time: the new zeroes may still be dirty
 * @RMEM_HEAP_CM_FREE:        the owner gave the pages back
 * @RMEM_HEAP_CM_ADOPT:       pages come from the kernel with whatever the
 *                            caches hold of them (reusable regions)
 * @RMEM_HEAP_CM_FORGET:      pages go back to the kernel
 * @RMEM_HEAP_CM_NR:          number of events
 */
enum rmem_heap_cm_event {
	RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_UNMAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER,
	RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_CPU_WRITE,
	RMEM_HEAP_CM_CPU_ZERO,
	RMEM_HEAP_CM_NC_READ,
	RMEM_HEAP_CM_NC_WRITE,
	RMEM_HEAP_CM_NC_ZERO,
	RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER,
	RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_DEV_WRITE,
	RMEM_HEAP_CM_SNOOP_READ,
	RMEM_HEAP_CM_SNOOP_WRITE,
	RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_ALLOC_CACHED,
	RMEM_HEAP_CM_FREE,
	RMEM_HEAP_CM_ADOPT,
	RMEM_HEAP_CM_FORGET,
	RMEM_HEAP_CM_NR
};

/**
 * enum rmem_heap_cm_rule - a rule an event broke
 * @RMEM_HEAP_CM_OK:             no rule broken
 * @RMEM_HEAP_CM_NC_OVER_DIRTY:  non-cacheable write to a page whose lines
 *                               may be dirty in some level
 * @RMEM_HEAP_CM_NC_ZERO_ALIAS:  zeroing through a non-cacheable mapping
 *                               while a cacheable alias exists
 * @RMEM_HEAP_CM_HANDOVER_LINES: pages handed to a new owner while a cache
 *                               may hold a line that is not the new zeroes
 *                               (or is dirty, on a non-coherent pool)
 * @RMEM_HEAP_CM_HANDOVER_DATA:  pages handed to a new owner not zeroed
 * @RMEM_HEAP_CM_DEV_READ_STALE: a device reads memory older than what the
 *                               CPU wrote (no clean after the CPU's writes)
 * @RMEM_HEAP_CM_DEV_OVER_DIRTY: a device writes to a page whose lines may
 *                               be dirty (an eviction would overwrite it)
 * @RMEM_HEAP_CM_CPU_READ_STALE: the CPU reads a line older than the last
 *                               write (no invalidate after a device wrote)
 * @RMEM_HEAP_CM_NC_READ_STALE:  a non-cacheable read of memory older than
 *                               the CPU's cached writes
 * @RMEM_HEAP_CM_CLEAN_ORDER:    outer cache cleaned while inner lines may be
 *                               dirty (cleans go inner, then outer)
 * @RMEM_HEAP_CM_BOOKKEEPING:    an event that cannot happen in that state
 *                               (a mapping count underflow, a double
 *                               allocation or free)
 * @RMEM_HEAP_CM_RULE_NR:        number of rules
 */
enum rmem_heap_cm_rule {
	RMEM_HEAP_CM_OK,
	RMEM_HEAP_CM_NC_OVER_DIRTY,
	RMEM_HEAP_CM_NC_ZERO_ALIAS,
	RMEM_HEAP_CM_HANDOVER_LINES,
	RMEM_HEAP_CM_HANDOVER_DATA,
	RMEM_HEAP_CM_DEV_READ_STALE,
	RMEM_HEAP_CM_DEV_OVER_DIRTY,
	RMEM_HEAP_CM_CPU_READ_STALE,
	RMEM_HEAP_CM_NC_READ_STALE,
	RMEM_HEAP_CM_CLEAN_ORDER,
	RMEM_HEAP_CM_BOOKKEEPING,
	RMEM_HEAP_CM_RULE_NR
};

/**
 * enum rmem_heap_dcache - how a CPU's data cache is indexed and tagged
 * @RMEM_HEAP_DCACHE_PIPT:             physically indexed and tagged
 * @RMEM_HEAP_DCACHE_VIPT_NONALIASING: virtually indexed within a page
 * @RMEM_HEAP_DCACHE_VIPT_ALIASING:    virtually indexed beyond a page
 * @RMEM_HEAP_DCACHE_VIVT:             virtually indexed and tagged
 */
enum rmem_heap_dcache {
	RMEM_HEAP_DCACHE_PIPT,
	RMEM_HEAP_DCACHE_VIPT_NONALIASING,
	RMEM_HEAP_DCACHE_VIPT_ALIASING,
	RMEM_HEAP_DCACHE_VIVT,
};

/**
 * rmem_heap_dcache_maintainable() - can the kernel maintain user lines?
 * @type: the data cache's kind
 *
 * The driver maintains a buffer by the address of its own kernel mapping;
 * that reaches the lines of a user mapping of the same memory only when
 * the cache is indexed within the page (no aliases).
 *
 * Return: true for PIPT and non-aliasing VIPT caches.
 */
static inline bool rmem_heap_dcache_maintainable(enum rmem_heap_dcache type)
{
	return type == RMEM_HEAP_DCACHE_PIPT ||
	       type == RMEM_HEAP_DCACHE_VIPT_NONALIASING;
}

struct rmem_heap_cm_page;

/**
 * struct rmem_heap_cmodel - the cache model of one pool
 * @lock:     protects @pages (events come from any context of the driver)
 * @npages:   pages of the pool
 * @outer:    the platform has an outer cache (PL310), maintained separately
 * @linear:   every page always has a cacheable alias (the linear map of a
 *            reusable region)
 * @coherent: the pool's own device snoops: dirty lines may stay at a
 *            hand-over
 * @pages:    per-page state
 */
struct rmem_heap_cmodel {
	spinlock_t lock; /* see @lock above */
	unsigned long npages;
	bool outer;
	bool linear;
	bool coherent;
	struct rmem_heap_cm_page *pages;
};

int rmem_heap_cm_init(struct rmem_heap_cmodel *m, unsigned long npages,
		      bool outer, bool linear, bool coherent);
void rmem_heap_cm_destroy(struct rmem_heap_cmodel *m);
enum rmem_heap_cm_rule rmem_heap_cm_event(struct rmem_heap_cmodel *m,
					  unsigned long first,
					  unsigned long count,
					  enum rmem_heap_cm_event event,
					  unsigned long *bad);
const char *rmem_heap_cm_event_name(enum rmem_heap_cm_event event);
const char *rmem_heap_cm_rule_name(enum rmem_heap_cm_rule rule);

#endif /* _RMEM_HEAP_CMODEL_H */
