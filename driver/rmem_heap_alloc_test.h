/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: what the two files of the KUnit suite "rmem_heap_alloc" share
 * (one suite, so that its results stay in one debugfs file).
 */
#ifndef _RMEM_HEAP_ALLOC_TEST_H
#define _RMEM_HEAP_ALLOC_TEST_H

#include <linux/types.h>

struct kunit;
struct rmem_heap_alloc;

/* the granule of most cases, a typical PAGE_SIZE */
#define G 4096ULL

/* rmem_heap_alloc_test.c */
struct rmem_heap_alloc *rha_setup(struct kunit *test, u64 size, u64 granule);
u64 rha_get(struct kunit *test, struct rmem_heap_alloc *a, u64 size, u64 align);
void rha_check(struct kunit *test, const struct rmem_heap_alloc *a);
void rha_expect_whole(struct kunit *test, struct rmem_heap_alloc *a);

/* rmem_heap_alloc_test_model.c */
void rha_test_merge_orders(struct kunit *test);
void rha_test_random(struct kunit *test);

#endif /* _RMEM_HEAP_ALLOC_TEST_H */
