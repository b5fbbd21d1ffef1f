/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: range allocator for no-map carveouts.
 *
 * Manages the offsets [0, size) of a carveout in units of a granule
 * (PAGE_SIZE in the driver).  First fit by lowest address, free extents
 * kept in an augmented rbtree.  The caller serialises all calls.
 */
#ifndef _RMEM_HEAP_ALLOC_H
#define _RMEM_HEAP_ALLOC_H

#include <linux/rbtree.h>
#include <linux/types.h>

/**
 * struct rmem_heap_alloc_extent - one extent of the managed range
 * @rb:          node in &rmem_heap_alloc.free_root or &rmem_heap_alloc.used_root
 * @start:       offset of the extent
 * @size:        size of the extent in bytes (a multiple of the granule)
 * @subtree_max: free tree only: largest @size in the subtree rooted here
 *
 * Internal to the allocator; declared here only so that the KUnit suite can
 * verify the tree invariants.  Other users must not touch it.
 */
struct rmem_heap_alloc_extent {
	struct rb_node rb;
	u64 start;
	u64 size;
	u64 subtree_max;
};

/**
 * struct rmem_heap_alloc - range allocator state
 * @free_root:  free extents, ordered by offset, augmented with the largest
 *              free extent of each subtree
 * @used_root:  live allocations, ordered by offset (validates puts)
 * @size:       size of the managed range [0, @size) in bytes
 * @granule:    allocation unit in bytes (a power of two)
 * @free_bytes: bytes currently free
 * @nr_free:    number of free extents
 * @nr_used:    number of live allocations
 *
 * All fields are read-only for users; use the accessor functions.  The
 * caller serialises every call on one instance.
 */
struct rmem_heap_alloc {
	struct rb_root free_root;
	struct rb_root used_root;
	u64 size;
	u64 granule;
	u64 free_bytes;
	unsigned long nr_free;
	unsigned long nr_used;
};

int rmem_heap_alloc_init(struct rmem_heap_alloc *a, u64 size, u64 granule);
void rmem_heap_alloc_destroy(struct rmem_heap_alloc *a);
int rmem_heap_alloc_get(struct rmem_heap_alloc *a, u64 size, u64 align,
			u64 *offset);
void rmem_heap_alloc_put(struct rmem_heap_alloc *a, u64 offset, u64 size);
int rmem_heap_alloc_split(struct rmem_heap_alloc *a, u64 offset, u64 size,
			  u64 at);
u64 rmem_heap_alloc_free_bytes(const struct rmem_heap_alloc *a);
u64 rmem_heap_alloc_largest_free(const struct rmem_heap_alloc *a);

#endif /* _RMEM_HEAP_ALLOC_H */
