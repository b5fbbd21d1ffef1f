// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "rmem_heap_alloc" for the rmem-heap range allocator: the
 * helpers its cases share and the directed cases, each checking a chosen
 * sequence of gets and puts.  The exhaustive and randomised cases, checked
 * against a model of the range, are in rmem_heap_alloc_test_model.c.
 *
 * Every case works on the allocator in test->priv, which the suite's exit
 * hook destroys, so a failed assertion does not leak nodes.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include "rmem_heap_alloc.h"
#include "rmem_heap_alloc_test.h"

static int rha_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct rmem_heap_alloc),
				   GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void rha_test_exit(struct kunit *test)
{
	rmem_heap_alloc_destroy(test->priv);
}

/**
 * rha_setup() - start a case on a fresh allocator
 * @test:    the case (its allocator is test->priv)
 * @size:    size of the range
 * @granule: granule of the allocator
 *
 * Destroys whatever the case's allocator held, so a case can set up several.
 *
 * Return: the allocator; the case is aborted if it cannot be set up.
 */
struct rmem_heap_alloc *rha_setup(struct kunit *test, u64 size, u64 granule)
{
	struct rmem_heap_alloc *a = test->priv;

	rmem_heap_alloc_destroy(a);
	KUNIT_ASSERT_EQ(test, rmem_heap_alloc_init(a, size, granule), 0);
	return a;
}

/**
 * rha_get() - allocate, aborting the case on failure
 * @test:  the case
 * @a:     the allocator
 * @size:  bytes to allocate
 * @align: alignment, 0 for the granule
 *
 * Return: the offset allocated.
 */
u64 rha_get(struct kunit *test, struct rmem_heap_alloc *a, u64 size, u64 align)
{
	u64 off = ~0ULL;

	KUNIT_ASSERT_EQ(test, rmem_heap_alloc_get(a, size, align, &off), 0);
	return off;
}

static void rha_nomem(struct kunit *test, struct rmem_heap_alloc *a, u64 size,
		      u64 align)
{
	u64 off = 0x5a5a;

	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, size, align, &off),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, off, 0x5a5aULL);
}

/**
 * rha_check() - check every invariant of an allocator
 * @test: the case, aborted on the first broken invariant
 * @a:    the allocator
 *
 * Free and used extents tile [0, size) exactly, all granule multiples, free
 * extents coalesced, subtree_max right at every node, counters and
 * free_bytes/largest_free consistent.
 */
void rha_check(struct kunit *test, const struct rmem_heap_alloc *a)
{
	struct rb_node *fn = rb_first(&a->free_root);
	struct rb_node *un = rb_first(&a->used_root);
	unsigned long nf = 0, nu = 0;
	u64 pos = 0, free = 0, largest = 0;
	bool last_free = false;

	while (fn || un) {
		const struct rmem_heap_alloc_extent *f, *u, *e, *c;
		bool is_free;
		u64 max;

		f = fn ? rb_entry(fn, struct rmem_heap_alloc_extent, rb) : NULL;
		u = un ? rb_entry(un, struct rmem_heap_alloc_extent, rb) : NULL;
		is_free = f && (!u || f->start < u->start);
		if (is_free) {
			e = f;
			fn = rb_next(fn);
		} else {
			e = u;
			un = rb_next(un);
		}
		KUNIT_ASSERT_EQ(test, e->start, pos);
		KUNIT_ASSERT_NE(test, e->size, 0ULL);
		KUNIT_ASSERT_EQ(test, e->size & (a->granule - 1), 0ULL);
		if (is_free) {
			KUNIT_ASSERT_FALSE(test, last_free);
			max = e->size;
			if (e->rb.rb_left) {
				c = rb_entry(e->rb.rb_left,
					     struct rmem_heap_alloc_extent, rb);
				max = max_t(u64, max, c->subtree_max);
			}
			if (e->rb.rb_right) {
				c = rb_entry(e->rb.rb_right,
					     struct rmem_heap_alloc_extent, rb);
				max = max_t(u64, max, c->subtree_max);
			}
			KUNIT_ASSERT_EQ(test, e->subtree_max, max);
			free += e->size;
			largest = max_t(u64, largest, e->size);
			nf++;
		} else {
			nu++;
		}
		last_free = is_free;
		pos += e->size;
	}
	KUNIT_ASSERT_EQ(test, pos, a->size);
	KUNIT_ASSERT_EQ(test, free, rmem_heap_alloc_free_bytes(a));
	KUNIT_ASSERT_EQ(test, largest, rmem_heap_alloc_largest_free(a));
	KUNIT_ASSERT_EQ(test, nf, a->nr_free);
	KUNIT_ASSERT_EQ(test, nu, a->nr_used);
}

/**
 * rha_expect_whole() - check that everything was put back
 * @test: the case
 * @a:    the allocator
 *
 * The range must be one free extent again, with every invariant held.
 */
void rha_expect_whole(struct kunit *test, struct rmem_heap_alloc *a)
{
	rha_check(test, a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), a->size);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), a->size);
	KUNIT_EXPECT_EQ(test, a->nr_free, 1UL);
	KUNIT_EXPECT_EQ(test, a->nr_used, 0UL);
}

static void rha_test_exact_sizes(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 64 * G, G);

	rha_expect_whole(test, a);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 1, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 63 * G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G + 1, 0), G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 61 * G);
	/* 3 granules, not rounded up to 4 */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 3 * G, 0), 3 * G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 5 * G - 1, 0), 6 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 53 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 53 * G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 0), 11 * G);
	rha_check(test, a);

	/* the requested (unrounded) size is accepted by put */
	rmem_heap_alloc_put(a, 0, 1);
	rmem_heap_alloc_put(a, G, G + 1);
	rmem_heap_alloc_put(a, 3 * G, 3 * G);
	rmem_heap_alloc_put(a, 6 * G, 5 * G - 1);
	rmem_heap_alloc_put(a, 11 * G, G);
	rha_expect_whole(test, a);

	/* the whole range in one piece */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 64 * G, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 0ULL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 0ULL);
	rha_nomem(test, a, 1, 0);
	rha_check(test, a);
	rmem_heap_alloc_put(a, 0, 64 * G);
	rha_expect_whole(test, a);
}

static void rha_test_alignment(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 64 * G, G);

	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 4 * G), 4 * G);
	/* the skipped head [G, 4G) stays free */
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 62 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 59 * G);
	KUNIT_EXPECT_EQ(test, a->nr_free, 2UL);
	rha_check(test, a);
	/* and is used by the next request that fits */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 2 * G, 0), G);
	/* [3G, 4G) is too small once aligned to 2G: skipped, not wasted */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 2 * G), 6 * G);
	KUNIT_EXPECT_EQ(test, a->nr_free, 3UL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 16 * G), 16 * G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 8 * G, 8 * G), 8 * G);
	rha_check(test, a);
	/* alignment below the granule means the granule */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 512), 3 * G);
	/* only offset 0 satisfies these, and it is taken */
	rha_nomem(test, a, G, 64 * G);
	rha_nomem(test, a, G, 1ULL << 63);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 49 * G);
	rha_check(test, a);

	rmem_heap_alloc_put(a, 0, G);
	rmem_heap_alloc_put(a, 4 * G, G);
	rmem_heap_alloc_put(a, G, 2 * G);
	rmem_heap_alloc_put(a, 6 * G, G);
	rmem_heap_alloc_put(a, 16 * G, G);
	rmem_heap_alloc_put(a, 8 * G, 8 * G);
	rmem_heap_alloc_put(a, 3 * G, G);
	rha_expect_whole(test, a);

	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 1ULL << 63), 0ULL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 32 * G), 32 * G);
	rha_check(test, a);
	rmem_heap_alloc_put(a, 0, G);
	rmem_heap_alloc_put(a, 32 * G, G);
	rha_expect_whole(test, a);

	/* a range beyond 32 bits */
	a = rha_setup(test, 1ULL << 40, G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 1ULL << 39, 1ULL << 39),
			1ULL << 39);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a),
			(1ULL << 39) - G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a),
			(1ULL << 39) - G);
	rha_nomem(test, a, 1ULL << 39, 0);
	rha_check(test, a);
	rmem_heap_alloc_put(a, 1ULL << 39, 1ULL << 39);
	rmem_heap_alloc_put(a, 0, G);
	rha_expect_whole(test, a);
}

static void rha_test_fragmentation(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 64 * G, G);
	unsigned int i;

	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, rha_get(test, a, G, 0), i * G);
	rha_nomem(test, a, G, 0);
	for (i = 0; i < 64; i += 2)
		rmem_heap_alloc_put(a, i * G, G);
	rha_check(test, a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 32 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), G);
	KUNIT_EXPECT_EQ(test, a->nr_free, 32UL);
	rha_nomem(test, a, 2 * G, 0);
	rha_nomem(test, a, G + 1, 0);

	/* one hole merges three extents */
	rmem_heap_alloc_put(a, 9 * G, G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 3 * G);
	KUNIT_EXPECT_EQ(test, a->nr_free, 31UL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 2 * G, 0), 8 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), G);
	rmem_heap_alloc_put(a, 8 * G, 2 * G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 2 * G, 2 * G), 8 * G);
	rha_check(test, a);

	/* small requests still succeed, lowest address first */
	for (i = 0; i < 64; i += 2) {
		if (i == 8)
			continue;
		KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 0), (u64)i * G);
	}
	rha_nomem(test, a, G, 0);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 0ULL);
	rha_check(test, a);

	for (i = 0; i < 64; i++)
		if (i != 8 && i != 9)
			rmem_heap_alloc_put(a, i * G, G);
	rmem_heap_alloc_put(a, 8 * G, 2 * G);
	rha_expect_whole(test, a);
}

static void rha_test_exhaustion(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 16 * G, G);
	unsigned int i;

	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, rha_get(test, a, 3 * G, 0), i * 3 * G);
	rha_nomem(test, a, 3 * G, 0);
	rha_nomem(test, a, 2 * G, 0);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), G);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, G, 0), 15 * G);
	rha_nomem(test, a, G, 0);
	rha_nomem(test, a, 1, 0);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 0ULL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 0ULL);
	KUNIT_EXPECT_EQ(test, a->nr_free, 0UL);
	rha_check(test, a);

	rmem_heap_alloc_put(a, 15 * G, G);
	for (i = 0; i < 5; i++)
		rmem_heap_alloc_put(a, i * 3 * G, 3 * G);
	rha_expect_whole(test, a);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 16 * G, 0), 0ULL);
	rmem_heap_alloc_put(a, 0, 16 * G);
	rha_expect_whole(test, a);
}

static void rha_test_largest_free_steps(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 10 * G, G);
	u64 x, y, z, w;

	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 10 * G);
	x = rha_get(test, a, 2 * G, 0);
	KUNIT_EXPECT_EQ(test, x, 0ULL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 8 * G);
	y = rha_get(test, a, 3 * G, 0);
	KUNIT_EXPECT_EQ(test, y, 2 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 5 * G);
	z = rha_get(test, a, G, 0);
	KUNIT_EXPECT_EQ(test, z, 5 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 4 * G);
	rmem_heap_alloc_put(a, y, 3 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 4 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 7 * G);
	/* first fit skips the 3G hole */
	w = rha_get(test, a, 4 * G, 0);
	KUNIT_EXPECT_EQ(test, w, 6 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 3 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), 3 * G);
	rha_check(test, a);
	rmem_heap_alloc_put(a, z, G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 4 * G);
	rmem_heap_alloc_put(a, x, 2 * G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_largest_free(a), 6 * G);
	KUNIT_EXPECT_EQ(test, a->nr_free, 1UL);
	rmem_heap_alloc_put(a, w, 4 * G);
	rha_expect_whole(test, a);
}

static void rha_expect_state(struct kunit *test, struct rmem_heap_alloc *a,
			     u64 free, unsigned long nr_free,
			     unsigned long nr_used)
{
	rha_check(test, a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_free_bytes(a), free);
	KUNIT_EXPECT_EQ(test, a->nr_free, nr_free);
	KUNIT_EXPECT_EQ(test, a->nr_used, nr_used);
}

/*
 * Splitting an allocation gives two allocations that are put on their own,
 * in any order, and merge back; bad splits change nothing.
 */
static void rha_test_split(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 16 * G, G);
	u64 x, y;

	x = rha_get(test, a, 8 * G, 0);
	y = rha_get(test, a, 4 * G, 0);
	KUNIT_EXPECT_EQ(test, y, 8 * G);

	/* not an allocation, not a split point, not the allocation's size */
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, G, 2 * G, G), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, x, 8 * G, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, x, 8 * G, 8 * G), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, x, 8 * G, G / 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, x, 4 * G, G), -EINVAL);
	KUNIT_EXPECT_EQ(test, a->nr_used, 2UL);

	/* 8G -> 1G + 7G -> 1G + 3G + 4G */
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, x, 8 * G, G), 0);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_split(a, G, 7 * G, 3 * G), 0);
	rha_expect_state(test, a, 4 * G, 1, 4);

	/* the old whole no longer exists */
	rmem_heap_alloc_put(a, x, 8 * G);
	rha_expect_state(test, a, 4 * G, 1, 4);

	/* the middle first (no free neighbour), then the ends */
	rmem_heap_alloc_put(a, G, 3 * G);
	rha_expect_state(test, a, 7 * G, 2, 3);
	rmem_heap_alloc_put(a, 4 * G, 4 * G);
	rha_expect_state(test, a, 11 * G, 2, 2);
	rmem_heap_alloc_put(a, 0, G);
	rha_expect_state(test, a, 12 * G, 2, 1);
	/* a split part is reallocatable on its own */
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 8 * G, 0), 0ULL);
	rmem_heap_alloc_put(a, 0, 8 * G);
	rmem_heap_alloc_put(a, y, 4 * G);
	rha_expect_whole(test, a);
}

static void rha_test_bad_args(struct kunit *test)
{
	struct rmem_heap_alloc *a = test->priv;
	u64 off = 0;

	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_init(a, 0, G), -EINVAL);
	rmem_heap_alloc_destroy(a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_init(a, 16 * G, 0), -EINVAL);
	rmem_heap_alloc_destroy(a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_init(a, 48 * G, 3 * G), -EINVAL);
	rmem_heap_alloc_destroy(a);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_init(a, 16 * G + 1, G), -EINVAL);
	rmem_heap_alloc_destroy(a);
	rmem_heap_alloc_destroy(a);

	a = rha_setup(test, 16 * G, G);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, 0, 0, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, 16 * G + 1, 0, &off),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, ~0ULL, 0, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, G, 3, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, G, 3 * G, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, G, ~0ULL, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, rmem_heap_alloc_get(a, G, 0, NULL), -EINVAL);
	rha_expect_state(test, a, 16 * G, 1, 0);

	KUNIT_EXPECT_EQ(test, rha_get(test, a, 2 * G, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, rha_get(test, a, 2 * G, 0), 2 * G);
	rha_expect_state(test, a, 12 * G, 1, 2);

	/* puts that do not match an allocation are reported and ignored */
	rmem_heap_alloc_put(a, 0, 0);			/* zero size */
	rmem_heap_alloc_put(a, 0, G);			/* too small */
	rmem_heap_alloc_put(a, 0, 4 * G);		/* spans two */
	rmem_heap_alloc_put(a, G, G);			/* inside one */
	rmem_heap_alloc_put(a, 4 * G, G);		/* free range */
	rmem_heap_alloc_put(a, 16 * G, G);		/* beyond */
	rmem_heap_alloc_put(a, ~0ULL, ~0ULL);		/* garbage */
	rmem_heap_alloc_put(a, 1, 2 * G);		/* misaligned */
	rha_expect_state(test, a, 12 * G, 1, 2);

	rmem_heap_alloc_put(a, 0, 2 * G);
	rha_expect_state(test, a, 14 * G, 2, 1);
	rmem_heap_alloc_put(a, 0, 2 * G);		/* double free */
	rha_expect_state(test, a, 14 * G, 2, 1);
	rmem_heap_alloc_put(a, 2 * G, 2 * G - 1);	/* requested size */
	rha_expect_whole(test, a);
	rmem_heap_alloc_put(a, 2 * G, 2 * G);		/* double free */
	rha_expect_whole(test, a);
}

static struct kunit_case rha_test_cases[] = {
	KUNIT_CASE(rha_test_exact_sizes),
	KUNIT_CASE(rha_test_alignment),
	KUNIT_CASE(rha_test_fragmentation),
	KUNIT_CASE(rha_test_exhaustion),
	KUNIT_CASE(rha_test_merge_orders),
	KUNIT_CASE(rha_test_largest_free_steps),
	KUNIT_CASE(rha_test_bad_args),
	KUNIT_CASE(rha_test_split),
	KUNIT_CASE(rha_test_random),
	{}
};

static struct kunit_suite rha_test_suite = {
	.name = "rmem_heap_alloc",
	.init = rha_test_init,
	.exit = rha_test_exit,
	.test_cases = rha_test_cases,
};

kunit_test_suite(rha_test_suite);

MODULE_DESCRIPTION("KUnit tests for the rmem-heap range allocator");
MODULE_LICENSE("GPL");
