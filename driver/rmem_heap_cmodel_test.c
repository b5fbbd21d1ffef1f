// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "rmem_heap_cache_model": the cache model driven with event
 * sequences, the driver's own orders (which must pass) and the orders of
 * the defects the driver had at c4b58d2 (which must be flagged).
 */

#include <kunit/test.h>

#include "rmem_heap_cmodel.h"

#define NPAGES	4

static int rhcm_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct rmem_heap_cmodel),
				   GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void rhcm_test_exit(struct kunit *test)
{
	rmem_heap_cm_destroy(test->priv);
}

static struct rmem_heap_cmodel *rhcm_model(struct kunit *test, bool outer,
					   bool linear, bool coherent)
{
	struct rmem_heap_cmodel *m = test->priv;

	KUNIT_ASSERT_EQ(test, rmem_heap_cm_init(m, NPAGES, outer, linear,
						coherent), 0);
	return m;
}

/*
 * Apply events (up to RMEM_HEAP_CM_NR) in order to all pages; return the
 * first rule broken.
 */
static enum rmem_heap_cm_rule rhcm_run(struct rmem_heap_cmodel *m,
				       const enum rmem_heap_cm_event *ev)
{
	enum rmem_heap_cm_rule rule;
	unsigned long bad;
	size_t i;

	for (i = 0; ev[i] != RMEM_HEAP_CM_NR; i++) {
		rule = rmem_heap_cm_event(m, 0, NPAGES, ev[i], &bad);
		if (rule)
			return rule;
	}
	return RMEM_HEAP_CM_OK;
}

static const enum rmem_heap_cm_event cached_life_arm64_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_CPU_WRITE,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_CPU_WRITE,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_DEV_WRITE, RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_NC_READ,
	RMEM_HEAP_CM_NR
};

/* A cached no-map buffer's life on arm64, as the fixed driver orders it. */
static void rhcm_cached_life_arm64(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, cached_life_arm64_ev),
			RMEM_HEAP_CM_OK);
}

static const enum rmem_heap_cm_event cached_life_arm32_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_USER,
	RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER, RMEM_HEAP_CM_UNMAP_KERNEL,
	RMEM_HEAP_CM_DEV_READ, RMEM_HEAP_CM_DEV_WRITE,
	RMEM_HEAP_CM_MAP_KERNEL, RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_CPU_READ, RMEM_HEAP_CM_FREE,
	RMEM_HEAP_CM_MAP_KERNEL, RMEM_HEAP_CM_CPU_ZERO,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER, RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_NR
};

/* The same on a Zynq-7000 with its PL310, 32-bit: temporary mappings. */
static void rhcm_cached_life_arm32(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, cached_life_arm32_ev),
			RMEM_HEAP_CM_OK);
}

static const enum rmem_heap_cm_event defect1_arm32_free_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_NC_ZERO,
	RMEM_HEAP_CM_NR
};

/* Defect 1 (c4b58d2, 32-bit): outer inval, then inner clean+inval, WC zero. */
static void rhcm_defect1_arm32_free(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, defect1_arm32_free_ev),
			RMEM_HEAP_CM_NC_OVER_DIRTY);
}

static const enum rmem_heap_cm_event defect2_coherent_ev[] = {
	RMEM_HEAP_CM_MAP_KERNEL, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_SNOOP_READ, RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

/* Defect 2: a coherent pool zeroed write-back, read by a non-snooping device */
static void rhcm_defect2_coherent(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, true);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, defect2_coherent_ev),
			RMEM_HEAP_CM_DEV_READ_STALE);
}

static const enum rmem_heap_cm_event coherent_ok_ev[] = {
	RMEM_HEAP_CM_MAP_KERNEL, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_CPU_WRITE,
	RMEM_HEAP_CM_SNOOP_READ, RMEM_HEAP_CM_SNOOP_WRITE,
	RMEM_HEAP_CM_CPU_READ, RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_CPU_ZERO,
	RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_NR
};

/* The coherent pool with coherent importers only: passes. */
static void rhcm_coherent_ok(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, true);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, coherent_ok_ev),
			RMEM_HEAP_CM_OK);
}

static const enum rmem_heap_cm_event defect3_arm64_free_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_CPU_WRITE,
	RMEM_HEAP_CM_CLEAN_INNER, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_UNMAP_KERNEL, RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_NC_ZERO,
	RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_NR
};

/* Defect 3 (c4b58d2, arm64): invalidate, then unmap, then WC zero. */
static void rhcm_defect3_arm64_free(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, defect3_arm64_free_ev),
			RMEM_HEAP_CM_HANDOVER_LINES);
}

static const enum rmem_heap_cm_event defect4_map_no_clean_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

/* Defect 4 (c4b58d2): map TO_DEVICE after unbracketed writes, no clean. */
static void rhcm_defect4_map_no_clean(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, defect4_map_no_clean_ev),
			RMEM_HEAP_CM_DEV_READ_STALE);
}

static const enum rmem_heap_cm_event defect4_unmap_no_inval_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_MAP_USER, RMEM_HEAP_CM_DEV_WRITE, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_NR
};

/* Defect 4, unmap side: FROM_DEVICE unmapped without an invalidate. */
static void rhcm_defect4_unmap_no_inval(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, defect4_unmap_no_inval_ev),
			RMEM_HEAP_CM_CPU_READ_STALE);
}

static const enum rmem_heap_cm_event clean_order_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_CLEAN_OUTER,
	RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_NR
};

/* A PL310: cleans must go inner then outer. */
static void rhcm_clean_order(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, clean_order_ev),
			RMEM_HEAP_CM_CLEAN_ORDER);
}

static const enum rmem_heap_cm_event clean_inner_only_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

/* ... and an inner-only clean leaves the data in the outer cache. */
static void rhcm_clean_inner_only(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, clean_inner_only_ev),
			RMEM_HEAP_CM_DEV_READ_STALE);
}

static const enum rmem_heap_cm_event inval_order_ev0[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_DEV_WRITE, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_INV_OUTER, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event inval_order_ev1[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_DEV_WRITE, RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_NR
};

/* A PL310: invalidates must go outer then inner. */
static void rhcm_inval_order(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, inval_order_ev0),
			RMEM_HEAP_CM_CPU_READ_STALE);
	rmem_heap_cm_destroy(m);
	m = rhcm_model(test, true, false, false);
	KUNIT_EXPECT_EQ(test, rhcm_run(m, inval_order_ev1),
			RMEM_HEAP_CM_OK);
}

static const enum rmem_heap_cm_event nc_zero_alias_ev[] = {
	RMEM_HEAP_CM_MAP_KERNEL, RMEM_HEAP_CM_NC_ZERO,
	RMEM_HEAP_CM_NR
};

/* Zeroing through a non-cacheable mapping while a cacheable alias exists. */
static void rhcm_nc_zero_alias(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, nc_zero_alias_ev),
			RMEM_HEAP_CM_NC_ZERO_ALIAS);
}

static const enum rmem_heap_cm_event bookkeeping_ev0[] = {
	RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event bookkeeping_ev1[] = {
	RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_FREE,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event bookkeeping_ev2[] = {
	RMEM_HEAP_CM_UNMAP_KERNEL,
	RMEM_HEAP_CM_NR
};

/* Unzeroed memory handed out; a double free. */
static void rhcm_bookkeeping(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, bookkeeping_ev0),
			RMEM_HEAP_CM_HANDOVER_DATA);
	KUNIT_EXPECT_EQ(test, rhcm_run(m, bookkeeping_ev1),
			RMEM_HEAP_CM_BOOKKEEPING);
	KUNIT_EXPECT_EQ(test, rhcm_run(m, bookkeeping_ev2),
			RMEM_HEAP_CM_BOOKKEEPING);
}

static const enum rmem_heap_cm_event reusable_ev0[] = {
	RMEM_HEAP_CM_ADOPT, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_FORGET,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event reusable_ev1[] = {
	RMEM_HEAP_CM_ADOPT, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER, RMEM_HEAP_CM_INV_OUTER,
	RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_NC_WRITE,
	RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event reusable_ev2[] = {
	RMEM_HEAP_CM_FREE, RMEM_HEAP_CM_FORGET, RMEM_HEAP_CM_ADOPT,
	RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_ALLOC,
	RMEM_HEAP_CM_NR
};

/* Reusable pages: the kernel's lines, zeroed through the linear map. */
static void rhcm_reusable(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, true, false);

	/* cached: clean after zeroing */
	KUNIT_EXPECT_EQ(test, rhcm_run(m, reusable_ev0),
			RMEM_HEAP_CM_OK);
	/* uncached: clean and invalidate, then write-combined writes */
	KUNIT_EXPECT_EQ(test, rhcm_run(m, reusable_ev1),
			RMEM_HEAP_CM_OK);
	/* zeroed but not cleaned: the new owner's device reads old data */
	KUNIT_EXPECT_EQ(test, rhcm_run(m, reusable_ev2),
			RMEM_HEAP_CM_HANDOVER_LINES);
}

static const enum rmem_heap_cm_event cached_deferred_ev[] = {
	RMEM_HEAP_CM_ADOPT, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_ALLOC_CACHED,
	RMEM_HEAP_CM_CPU_READ, RMEM_HEAP_CM_CLEAN_INNER,
	RMEM_HEAP_CM_CLEAN_OUTER, RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event cached_no_map_clean_ev[] = {
	RMEM_HEAP_CM_ADOPT, RMEM_HEAP_CM_CPU_ZERO, RMEM_HEAP_CM_ALLOC_CACHED,
	RMEM_HEAP_CM_DEV_READ,
	RMEM_HEAP_CM_NR
};

static const enum rmem_heap_cm_event cached_not_zeroed_ev[] = {
	RMEM_HEAP_CM_ADOPT, RMEM_HEAP_CM_ALLOC_CACHED,
	RMEM_HEAP_CM_NR
};

/*
 * A cached reusable buffer may keep its zeroes dirty (as the kernel's CMA
 * heap does) when every importer map cleans; not when one does not, and
 * never without the zeroes.
 */
static void rhcm_reusable_cached_deferred(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, true, true, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, cached_deferred_ev), RMEM_HEAP_CM_OK);
	rmem_heap_cm_destroy(m);
	m = rhcm_model(test, true, true, false);
	KUNIT_EXPECT_EQ(test, rhcm_run(m, cached_no_map_clean_ev),
			RMEM_HEAP_CM_DEV_READ_STALE);
	rmem_heap_cm_destroy(m);
	m = rhcm_model(test, true, true, false);
	KUNIT_EXPECT_EQ(test, rhcm_run(m, cached_not_zeroed_ev),
			RMEM_HEAP_CM_HANDOVER_DATA);
}

static const enum rmem_heap_cm_event unended_write_ev[] = {
	RMEM_HEAP_CM_NC_ZERO, RMEM_HEAP_CM_ALLOC, RMEM_HEAP_CM_MAP_KERNEL,
	RMEM_HEAP_CM_CPU_WRITE, RMEM_HEAP_CM_INV_INNER, RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_DEV_READ, RMEM_HEAP_CM_DEV_WRITE, RMEM_HEAP_CM_INV_INNER,
	RMEM_HEAP_CM_CPU_READ,
	RMEM_HEAP_CM_NR
};

/*
 * SYNC_START(WRITE) never ended, then SYNC_START(READ): the invalidate drops
 * the caller's write; not a rule of the driver's.
 */
static void rhcm_unended_write(struct kunit *test)
{
	struct rmem_heap_cmodel *m = rhcm_model(test, false, false, false);

	KUNIT_EXPECT_EQ(test, rhcm_run(m, unended_write_ev), RMEM_HEAP_CM_OK);
}

/* Defect 7: a cached policy only where kernel maintenance reaches user lines. */
static void rhcm_dcache_types(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test,
			  rmem_heap_dcache_maintainable(RMEM_HEAP_DCACHE_PIPT));
	KUNIT_EXPECT_TRUE(test, rmem_heap_dcache_maintainable(RMEM_HEAP_DCACHE_VIPT_NONALIASING));
	KUNIT_EXPECT_FALSE(test, rmem_heap_dcache_maintainable(RMEM_HEAP_DCACHE_VIPT_ALIASING));
	KUNIT_EXPECT_FALSE(test,
			   rmem_heap_dcache_maintainable(RMEM_HEAP_DCACHE_VIVT));
}

static struct kunit_case rhcm_test_cases[] = {
	KUNIT_CASE(rhcm_cached_life_arm64),
	KUNIT_CASE(rhcm_cached_life_arm32),
	KUNIT_CASE(rhcm_defect1_arm32_free),
	KUNIT_CASE(rhcm_defect2_coherent),
	KUNIT_CASE(rhcm_coherent_ok),
	KUNIT_CASE(rhcm_defect3_arm64_free),
	KUNIT_CASE(rhcm_defect4_map_no_clean),
	KUNIT_CASE(rhcm_defect4_unmap_no_inval),
	KUNIT_CASE(rhcm_clean_order),
	KUNIT_CASE(rhcm_clean_inner_only),
	KUNIT_CASE(rhcm_inval_order),
	KUNIT_CASE(rhcm_nc_zero_alias),
	KUNIT_CASE(rhcm_bookkeeping),
	KUNIT_CASE(rhcm_reusable),
	KUNIT_CASE(rhcm_unended_write),
	KUNIT_CASE(rhcm_reusable_cached_deferred),
	KUNIT_CASE(rhcm_dcache_types),
	{}
};

static struct kunit_suite rhcm_test_suite = {
	.name = "rmem_heap_cache_model",
	.init = rhcm_test_init,
	.exit = rhcm_test_exit,
	.test_cases = rhcm_test_cases,
};

kunit_test_suites(&rhcm_test_suite);
