// SPDX-License-Identifier: GPL-2.0
/*
 * Cases of the KUnit suite "rmem_heap_alloc" (rmem_heap_alloc_test.c) that
 * check the range allocator against a model of the range: every order of
 * freeing a few blocks, and long random runs of gets and puts.
 */

#include <kunit/test.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "rmem_heap_alloc.h"
#include "rmem_heap_alloc_test.h"

/**
 * rha_test_merge_orders() - free a few blocks in every order
 * @test: the case
 *
 * Five one-granule blocks in a six-granule range (the last granule stays
 * free), freed in every one of the 120 orders; after each put the extent
 * count and largest free extent must match the obvious expectation.
 */
void rha_test_merge_orders(struct kunit *test)
{
	struct rmem_heap_alloc *a = rha_setup(test, 6 * G, G);
	unsigned int perm, i, j, k, code, run, best, nfree;
	unsigned int order[5];
	bool used[6];

	for (perm = 0; perm < 120; perm++) {
		unsigned int pool[5] = { 0, 1, 2, 3, 4 };

		/* factorial number system -> permutation */
		code = perm;
		for (i = 0; i < 5; i++) {
			k = code % (5 - i);
			code /= 5 - i;
			order[i] = pool[k];
			for (j = k; j + 1 < 5 - i; j++)
				pool[j] = pool[j + 1];
		}

		for (i = 0; i < 5; i++) {
			KUNIT_ASSERT_EQ(test, rha_get(test, a, G, 0), i * G);
			used[i] = true;
		}
		used[5] = false;
		KUNIT_ASSERT_EQ(test, rmem_heap_alloc_largest_free(a), G);

		for (i = 0; i < 5; i++) {
			rmem_heap_alloc_put(a, order[i] * G, G);
			used[order[i]] = false;
			run = 0;
			best = 0;
			nfree = 0;
			for (j = 0; j < 6; j++) {
				if (used[j]) {
					run = 0;
					continue;
				}
				if (!run)
					nfree++;
				run++;
				best = max(best, run);
			}
			KUNIT_ASSERT_EQ_MSG(test, a->nr_free, (unsigned long)nfree,
					    "perm %u step %u", perm, i);
			KUNIT_ASSERT_EQ_MSG(test,
					    rmem_heap_alloc_largest_free(a),
					    best * G, "perm %u step %u", perm, i);
			KUNIT_ASSERT_EQ(test, rmem_heap_alloc_free_bytes(a),
					(u64)(6 - 4 + i) * G);
			rha_check(test, a);
		}
		rha_expect_whole(test, a);
	}
}

struct rha_live {
	u64 off;
	u64 req;
	unsigned int first;
	unsigned int len;
};

static u32 rha_rand(u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (u32)(*state >> 33);
}

/* first fit in the bitmap model, in granules; -1 when nothing fits */
static int rha_model_fit(const bool *used, unsigned int n, unsigned int len,
			 unsigned int align)
{
	unsigned int s, i;

	for (s = 0; s + len <= n; s += align) {
		for (i = 0; i < len; i++)
			if (used[s + i])
				break;
		if (i == len)
			return s;
	}
	return -1;
}

/*
 * Random gets (sizes not granule multiples, random alignments) and puts,
 * checked against a bitmap model: the exact offset of each get (first fit),
 * -ENOMEM exactly when the model finds no room, free_bytes, largest_free and
 * all tree invariants after every operation.
 */
static void rha_random_run(struct kunit *test, unsigned int n,
			   unsigned int gshift, u64 seed, unsigned int ops)
{
	u64 granule = 1ULL << gshift;
	struct rmem_heap_alloc *a = rha_setup(test, n * granule, granule);
	unsigned int nlive = 0, op, i, r, len, ashift, run, best, nfree;
	struct rha_live *live;
	u64 req, align, off;
	bool *used;
	int ret, fit;

	live = kunit_kcalloc(test, n, sizeof(*live), GFP_KERNEL);
	used = kunit_kcalloc(test, n, sizeof(*used), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, live);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, used);

	for (op = 0; op < ops; op++) {
		r = rha_rand(&seed) % 8;
		if (nlive && (r < 3 || nlive == n)) {
			i = rha_rand(&seed) % nlive;
			rmem_heap_alloc_put(a, live[i].off, live[i].req);
			memset(used + live[i].first, 0, live[i].len);
			live[i] = live[--nlive];
		} else {
			len = 1 + rha_rand(&seed) % (r == 7 ? n : 12);
			req = ((u64)len << gshift) -
			      (rha_rand(&seed) & (granule - 1));
			ashift = rha_rand(&seed) % 8;
			align = ashift == 7 ? 0 : granule << ashift;
			fit = rha_model_fit(used, n, len, 1U << (ashift % 7));
			off = ~0ULL;
			ret = rmem_heap_alloc_get(a, req, align, &off);
			if (fit < 0) {
				KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM,
						    "op %u len %u align %llu",
						    op, len, align);
			} else {
				KUNIT_ASSERT_EQ_MSG(test, ret, 0,
						    "op %u len %u align %llu",
						    op, len, align);
				KUNIT_ASSERT_EQ_MSG(test, off,
						    (u64)fit << gshift,
						    "op %u len %u align %llu",
						    op, len, align);
				memset(used + fit, 1, len);
				live[nlive].off = off;
				live[nlive].req = req;
				live[nlive].first = fit;
				live[nlive].len = len;
				nlive++;
			}
		}

		run = 0;
		best = 0;
		nfree = 0;
		for (i = 0; i < n; i++) {
			if (used[i]) {
				run = 0;
				continue;
			}
			run++;
			nfree++;
			best = max(best, run);
		}
		KUNIT_ASSERT_EQ_MSG(test, rmem_heap_alloc_free_bytes(a),
				    (u64)nfree << gshift, "op %u", op);
		KUNIT_ASSERT_EQ_MSG(test, rmem_heap_alloc_largest_free(a),
				    (u64)best << gshift, "op %u", op);
		KUNIT_ASSERT_EQ(test, a->nr_used, (unsigned long)nlive);
		rha_check(test, a);
	}

	while (nlive) {
		nlive--;
		rmem_heap_alloc_put(a, live[nlive].off, live[nlive].req);
	}
	rha_expect_whole(test, a);
}

/**
 * rha_test_random() - random runs on three range and granule sizes
 * @test: the case
 *
 * See rha_random_run(); fixed seeds, so a failure is reproducible.
 */
void rha_test_random(struct kunit *test)
{
	rha_random_run(test, 128, 12, 0x726d656d68656170ULL, 3000);
	rha_random_run(test, 97, 0, 42, 3000);
	rha_random_run(test, 64, 21, 7, 2000);
}
