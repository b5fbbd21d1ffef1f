// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: CPU cache maintenance on the driver's own mappings of no-map
 * buffers, and what the cache model is told of it.
 *
 * The DMA API cannot maintain no-map memory: dma_sync_*() works through
 * the linear map, which does not cover no-map regions.  So the driver does
 * by virtual address what the kernel's arch code does for dma-direct
 * (Documentation/rmem-heap.rst, "CPU caches"):
 *
 *  - arm64: clean with arch_wb_cache_pmem(), invalidate with
 *    arch_invalidate_pmem(), both exported and taking any kernel address.
 *  - 32-bit arm: the inner caches through the exported cpu_cache table
 *    (MULTI_CACHE kernels) or __cpuc_flush_dcache_area() (clean+invalidate;
 *    single cache-model kernels such as ARMv7-only ones), the outer cache
 *    (PL310) by physical address; cleans inner then outer, invalidates
 *    outer then inner, as arch/arm/mm/dma-mapping.c.
 */

#include <linux/dma-direction.h>
#include <linux/dma-map-ops.h>
#include <linux/types.h>

#if defined(CONFIG_ARM64)
#include <linux/libnvdimm.h>
#elif defined(CONFIG_ARM)
#include <asm/cacheflush.h>
#include <asm/cachetype.h>
#include <asm/outercache.h>
#endif

#include "rmem_heap.h"

#define CM(ev)	RMEM_HEAP_CM_##ev

/**
 * rmem_heap_cache_supported() - can cached no-map buffers be maintained?
 *
 * Maintenance by the kernel's virtual address covers every alias only on
 * PIPT and non-aliasing VIPT data caches; VIVT and aliasing VIPT caches
 * (ARMv5, some ARMv6) would leave a user mapping's lines behind.
 *
 * Return: true if the rmem_heap_cache_*() functions do real work here.
 */
bool rmem_heap_cache_supported(void)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	return rmem_heap_dcache_maintainable(RMEM_HEAP_DCACHE_PIPT);
#elif defined(CONFIG_ARM)
	enum rmem_heap_dcache type = RMEM_HEAP_DCACHE_PIPT;

	if (cache_is_vivt())
		type = RMEM_HEAP_DCACHE_VIVT;
	else if (cache_is_vipt_aliasing())
		type = RMEM_HEAP_DCACHE_VIPT_ALIASING;
	else if (cache_is_vipt_nonaliasing())
		type = RMEM_HEAP_DCACHE_VIPT_NONALIASING;
	return rmem_heap_dcache_maintainable(type);
#else
	return false;
#endif
}

/* Outer (PL310) maintenance exists on this kernel and platform. */
static bool __maybe_unused rmem_heap_cache_outer(void)
{
#if defined(CONFIG_ARM) && defined(CONFIG_OUTER_CACHE)
	return !!outer_cache.inv_range;
#else
	return false;
#endif
}

static void rmem_heap_inner_clean(struct rmem_heap_pool *pool, void *vaddr,
				  phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	arch_wb_cache_pmem(vaddr, size);
	rmem_heap_cm_note(pool, phys, size, CM(CLEAN_INNER));
#elif defined(CONFIG_ARM) && defined(MULTI_CACHE)
	cpu_cache.dma_map_area(vaddr, size, DMA_TO_DEVICE);
	rmem_heap_cm_note(pool, phys, size, CM(CLEAN_INNER));
#elif defined(CONFIG_ARM)
	__cpuc_flush_dcache_area(vaddr, size);
	rmem_heap_cm_note(pool, phys, size, CM(CLEAN_INNER));
	rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
#endif
}

static void rmem_heap_inner_inval(struct rmem_heap_pool *pool, void *vaddr,
				  phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARCH_HAS_PMEM_API)
	arch_invalidate_pmem(vaddr, size);
	rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
#elif defined(CONFIG_ARM) && defined(MULTI_CACHE)
	cpu_cache.dma_unmap_area(vaddr, size, DMA_FROM_DEVICE);
	rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
#elif defined(CONFIG_ARM)
	/* no exported inner invalidate: clean+invalidate (nothing is dirty) */
	__cpuc_flush_dcache_area(vaddr, size);
	rmem_heap_cm_note(pool, phys, size, CM(CLEAN_INNER));
	rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
#endif
}

static void rmem_heap_outer_clean(struct rmem_heap_pool *pool,
				  phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM)
	outer_clean_range(phys, phys + size);
	if (rmem_heap_cache_outer())
		rmem_heap_cm_note(pool, phys, size, CM(CLEAN_OUTER));
#endif
}

static void rmem_heap_outer_inval(struct rmem_heap_pool *pool,
				  phys_addr_t phys, size_t size)
{
#if defined(CONFIG_ARM)
	outer_inv_range(phys, phys + size);
	if (rmem_heap_cache_outer())
		rmem_heap_cm_note(pool, phys, size, CM(INV_OUTER));
#endif
}

/**
 * rmem_heap_cache_for_device() - hand a range of a no-map buffer to devices
 * @pool:  the pool the range belongs to
 * @vaddr: a cacheable kernel mapping of the range
 * @phys:  physical address of the range
 * @size:  size of the range in bytes
 * @dir:   the devices' direction
 *
 * What arch_sync_dma_for_device() does: clean (arm64 always; 32-bit arm
 * unless the device only writes, when it invalidates instead).
 */
void rmem_heap_cache_for_device(struct rmem_heap_pool *pool, void *vaddr,
				phys_addr_t phys, size_t size,
				enum dma_data_direction dir)
{
	if (IS_ENABLED(CONFIG_ARM) && dir == DMA_FROM_DEVICE) {
		rmem_heap_inner_inval(pool, vaddr, phys, size);
		rmem_heap_outer_inval(pool, phys, size);
		return;
	}
	rmem_heap_inner_clean(pool, vaddr, phys, size);
	rmem_heap_outer_clean(pool, phys, size);
}

/**
 * rmem_heap_cache_for_cpu() - hand a range of a no-map buffer to the CPU
 * @pool:  the pool the range belongs to
 * @vaddr: a cacheable kernel mapping of the range
 * @phys:  physical address of the range
 * @size:  size of the range in bytes
 * @dir:   the devices' direction
 *
 * What arch_sync_dma_for_cpu() does: unless the devices only read,
 * invalidate (outer, then inner), so that CPU reads fetch what they wrote.
 */
void rmem_heap_cache_for_cpu(struct rmem_heap_pool *pool, void *vaddr,
			     phys_addr_t phys, size_t size,
			     enum dma_data_direction dir)
{
	if (dir == DMA_TO_DEVICE)
		return;
	rmem_heap_outer_inval(pool, phys, size);
	rmem_heap_inner_inval(pool, vaddr, phys, size);
}

/**
 * rmem_heap_cache_flush() - write back and drop every line of a range
 * @pool:  the pool the range belongs to
 * @vaddr: a cacheable kernel mapping of the range
 * @phys:  physical address of the range
 * @size:  size of the range in bytes
 *
 * Inner clean, outer clean+invalidate, inner invalidate: afterwards
 * memory holds the data and no level holds a dirty line.
 */
void rmem_heap_cache_flush(struct rmem_heap_pool *pool, void *vaddr,
			   phys_addr_t phys, size_t size)
{
	rmem_heap_inner_clean(pool, vaddr, phys, size);
	rmem_heap_outer_clean(pool, phys, size);
	rmem_heap_outer_inval(pool, phys, size);
	rmem_heap_inner_inval(pool, vaddr, phys, size);
}

#if IS_ENABLED(CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL)
/**
 * rmem_heap_cm_pool_init() - start the cache model of a pool
 * @pool: the pool (type, base and size set)
 *
 * Return: 0 or -ENOMEM.
 */
int rmem_heap_cm_pool_init(struct rmem_heap_pool *pool)
{
	return rmem_heap_cm_init(&pool->cmodel, pool->size >> PAGE_SHIFT,
				 rmem_heap_cache_outer(),
				 pool->type == RMEM_HEAP_REUSABLE,
				 dev_is_dma_coherent(pool->dev));
}

/**
 * rmem_heap_cm_pool_destroy() - free the cache model of a pool
 * @pool: the pool
 */
void rmem_heap_cm_pool_destroy(struct rmem_heap_pool *pool)
{
	rmem_heap_cm_destroy(&pool->cmodel);
}

/**
 * rmem_heap_cm_note() - tell the cache model of an event
 * @pool:  the pool
 * @phys:  physical address of the range the event concerns
 * @size:  size of the range in bytes
 * @event: the event
 *
 * A broken rule is a WARN naming the rule, the region, the page and the
 * event, so that the lab fails the boot.
 */
void rmem_heap_cm_note(struct rmem_heap_pool *pool, phys_addr_t phys,
		       size_t size, enum rmem_heap_cm_event event)
{
	enum rmem_heap_cm_rule rule;
	unsigned long bad = 0;

	rule = rmem_heap_cm_event(&pool->cmodel,
				  (phys - pool->base) >> PAGE_SHIFT,
				  PAGE_ALIGN(size) >> PAGE_SHIFT, event, &bad);
	WARN(rule, "rmem_heap: cache model: %s: region %s page %lu (%pa) event %s\n",
	     rmem_heap_cm_rule_name(rule), pool->region_name, bad, &phys,
	     rmem_heap_cm_event_name(event));
}

/**
 * rmem_heap_cm_dma() - tell the model what a DMA API sync does
 * @pool:    the pool
 * @phys:    physical address of the range
 * @size:    size of the range in bytes
 * @dev:     the device the sync is for
 * @dir:     its direction
 * @for_cpu: dma_sync_*_for_cpu() (else _for_device())
 *
 * The maintenance of arch_sync_dma_for_{device,cpu}() on arm64 and 32-bit
 * arm, for a device that does not snoop (none for one that does).
 */
void rmem_heap_cm_dma(struct rmem_heap_pool *pool, phys_addr_t phys,
		      size_t size, struct device *dev,
		      enum dma_data_direction dir, bool for_cpu)
{
	bool outer = rmem_heap_cache_outer();

	if (dev_is_dma_coherent(dev))
		return;
	if (for_cpu) {
		if (dir == DMA_TO_DEVICE)
			return;
		if (outer)
			rmem_heap_cm_note(pool, phys, size, CM(INV_OUTER));
		rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
	} else if (IS_ENABLED(CONFIG_ARM) && dir == DMA_FROM_DEVICE) {
		rmem_heap_cm_note(pool, phys, size, CM(INV_INNER));
		if (outer)
			rmem_heap_cm_note(pool, phys, size, CM(INV_OUTER));
	} else {
		rmem_heap_cm_note(pool, phys, size, CM(CLEAN_INNER));
		if (outer)
			rmem_heap_cm_note(pool, phys, size, CM(CLEAN_OUTER));
	}
}
#endif
