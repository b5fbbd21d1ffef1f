// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: range allocator for no-map carveouts.
 *
 * Design
 * ------
 * The range [0, size) is split into extents whose offsets and sizes are
 * multiples of the granule.  Free extents live in @free_root, an rbtree
 * ordered by offset and augmented with the largest free extent size of each
 * subtree (RB_DECLARE_CALLBACKS_MAX).  Free extents are always coalesced: two
 * free extents are never adjacent.  Live allocations live in @used_root, a
 * plain rbtree ordered by offset, so that put can check that it is handed
 * exactly an allocation (double frees, partial or overlapping puts and
 * garbage are rejected with an error message and otherwise ignored; they
 * never WARN and never touch the trees).
 *
 * get:  descend the free tree to the lowest-addressed extent whose size is
 *       at least the request (subtree_max prunes whole subtrees), and walk
 *       on in address order, still pruned, until an extent fits once its
 *       start is aligned.  With align == granule the first candidate always
 *       fits, so the search is O(log n).  With a larger alignment only
 *       candidates of size in [size, size + align - granule) can be skipped,
 *       each costing O(log n) amortised.  The aligned head and the tail stay
 *       free, so alignment wastes nothing.
 * put:  O(log n) lookup of the allocation, O(log n) search of both free
 *       neighbours, merge with either or both.
 * split: O(log n): one allocation record becomes two (one new node).
 * largest_free and free_bytes are O(1).
 *
 * Memory: every extent (free or used) is one kmalloc'ed node.  get allocates
 * the (at most two) nodes it needs with GFP_KERNEL before it changes
 * anything, so a failed get leaves the state untouched.  put never
 * allocates: the node of the allocation record becomes the new free extent,
 * or it is freed when the range merges into a neighbour (and the neighbour
 * absorbed on a double merge is freed too).  Hence put cannot fail and
 * cannot lose memory.
 */

#define pr_fmt(fmt) "rmem_heap_alloc: " fmt

#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/rbtree_augmented.h>
#include <linux/slab.h>

#include "rmem_heap_alloc.h"

#define ext_entry(n) rb_entry(n, struct rmem_heap_alloc_extent, rb)

static inline u64 ext_size(const struct rmem_heap_alloc_extent *e)
{
	return e->size;
}

RB_DECLARE_CALLBACKS_MAX(static, ext_cb, struct rmem_heap_alloc_extent, rb,
			 u64, subtree_max, ext_size);

static inline bool rha_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

static inline u64 rha_subtree_max(const struct rb_node *n)
{
	return n ? ext_entry(n)->subtree_max : 0;
}

/* Lowest aligned offset inside @e that fits @size, false if there is none. */
static bool ext_fit(const struct rmem_heap_alloc_extent *e, u64 size,
		    u64 align, u64 *pos)
{
	u64 head = (align - (e->start & (align - 1))) & (align - 1);

	if (e->size < size || e->size - size < head)
		return false;
	*pos = e->start + head;
	return true;
}

static struct rmem_heap_alloc_extent *
free_first_fit(struct rmem_heap_alloc *a, u64 size, u64 align, u64 *pos)
{
	struct rb_node *n = a->free_root.rb_node;
	struct rb_node *parent;
	bool descend = true;

	if (rha_subtree_max(n) < size)
		return NULL;

	/* In-order walk, skipping subtrees that hold no extent >= size. */
	for (;;) {
		/* leftmost candidate of the subtree rooted at n */
		if (descend)
			while (rha_subtree_max(n->rb_left) >= size)
				n = n->rb_left;
		if (ext_fit(ext_entry(n), size, align, pos))
			return ext_entry(n);
		if (rha_subtree_max(n->rb_right) >= size) {
			n = n->rb_right;
			descend = true;
			continue;
		}
		/* climb until we come up from a left child, then visit its parent */
		for (;;) {
			parent = rb_parent(n);
			if (!parent)
				return NULL;
			if (parent->rb_left == n)
				break;
			n = parent;
		}
		n = parent;
		descend = false;
	}
}

static void free_insert(struct rmem_heap_alloc *a,
			struct rmem_heap_alloc_extent *e)
{
	struct rb_node **link = &a->free_root.rb_node, *parent = NULL;

	e->subtree_max = e->size;
	while (*link) {
		struct rmem_heap_alloc_extent *p = ext_entry(*link);

		parent = *link;
		if (p->subtree_max < e->size)
			p->subtree_max = e->size;
		link = e->start < p->start ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&e->rb, parent, link);
	rb_insert_augmented(&e->rb, &a->free_root, &ext_cb);
	a->nr_free++;
}

static void free_erase(struct rmem_heap_alloc *a,
		       struct rmem_heap_alloc_extent *e)
{
	rb_erase_augmented(&e->rb, &a->free_root, &ext_cb);
	a->nr_free--;
}

/* @e's start/size changed without changing its position in the order. */
static void free_update(struct rmem_heap_alloc_extent *e)
{
	ext_cb_propagate(&e->rb, NULL);
}

static void used_insert(struct rmem_heap_alloc *a,
			struct rmem_heap_alloc_extent *e)
{
	struct rb_node **link = &a->used_root.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = e->start < ext_entry(parent)->start ?
			&parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&e->rb, parent, link);
	rb_insert_color(&e->rb, &a->used_root);
	a->nr_used++;
}

static struct rmem_heap_alloc_extent *
used_find(const struct rmem_heap_alloc *a, u64 offset)
{
	struct rb_node *n = a->used_root.rb_node;

	while (n) {
		struct rmem_heap_alloc_extent *e = ext_entry(n);

		if (offset == e->start)
			return e;
		n = offset < e->start ? n->rb_left : n->rb_right;
	}
	return NULL;
}

static struct rmem_heap_alloc_extent *ext_new(void)
{
	return kzalloc(sizeof(struct rmem_heap_alloc_extent), GFP_KERNEL);
}

static void free_tree_release(struct rb_root *root)
{
	struct rmem_heap_alloc_extent *e, *tmp;

	rbtree_postorder_for_each_entry_safe(e, tmp, root, rb)
		kfree(e);
	*root = RB_ROOT;
}

/**
 * rmem_heap_alloc_init() - set up an allocator for the range [0, @size)
 * @a:       allocator to initialise
 * @size:    size of the range in bytes, a non-zero multiple of @granule
 * @granule: allocation unit in bytes, a power of two
 *
 * Allocates the node of the single initial free extent (GFP_KERNEL).  On
 * failure @a is left in a state that rmem_heap_alloc_destroy() accepts.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL on bad arguments or -ENOMEM.
 */
int rmem_heap_alloc_init(struct rmem_heap_alloc *a, u64 size, u64 granule)
{
	struct rmem_heap_alloc_extent *e;

	*a = (struct rmem_heap_alloc) {
		.free_root = RB_ROOT,
		.used_root = RB_ROOT,
	};
	if (!rha_pow2(granule) || !size || (size & (granule - 1)))
		return -EINVAL;

	e = ext_new();
	if (!e)
		return -ENOMEM;
	a->size = size;
	a->granule = granule;
	e->start = 0;
	e->size = size;
	free_insert(a, e);
	a->free_bytes = size;
	return 0;
}

/**
 * rmem_heap_alloc_destroy() - release all memory of an allocator
 * @a: allocator set up by rmem_heap_alloc_init() (successfully or not)
 *
 * Frees every node, including the records of allocations still live (the
 * caller is expected to have put them; live ones are simply forgotten).  @a
 * is left empty, so calling this twice is harmless.
 */
void rmem_heap_alloc_destroy(struct rmem_heap_alloc *a)
{
	free_tree_release(&a->free_root);
	free_tree_release(&a->used_root);
	a->free_bytes = 0;
	a->nr_free = 0;
	a->nr_used = 0;
}

/**
 * rmem_heap_alloc_get() - allocate a range
 * @a:      allocator
 * @size:   bytes wanted, rounded up to the granule (not to a power of two)
 * @align:  alignment of the returned offset in bytes, a power of two; 0 or
 *          anything below the granule means the granule
 * @offset: returns the offset of the range on success
 *
 * First fit: returns the lowest suitably aligned offset at which @size
 * bytes are free.  The skipped head of the chosen free extent stays free.
 *
 * Context: may sleep (allocates up to two tree nodes with GFP_KERNEL);
 *          caller serialises.
 * Return: 0 on success, -EINVAL for a zero size, a size beyond the range,
 *         an alignment that is not a power of two or a NULL @offset,
 *         -ENOMEM if no free extent fits (or no memory for the nodes).
 *         On error nothing is changed.
 */
int rmem_heap_alloc_get(struct rmem_heap_alloc *a, u64 size, u64 align,
			u64 *offset)
{
	struct rmem_heap_alloc_extent *e, *rec = NULL, *tail_ext = NULL;
	u64 pos, head, tail;

	if (!offset || !size || size > a->size)
		return -EINVAL;
	if (align && !rha_pow2(align))
		return -EINVAL;
	if (align < a->granule)
		align = a->granule;
	/* a->size is a multiple of the granule: cannot overflow */
	size = round_up(size, a->granule);

	e = free_first_fit(a, size, align, &pos);
	if (!e)
		return -ENOMEM;
	head = pos - e->start;
	tail = e->size - head - size;

	if (head || tail) {
		rec = ext_new();
		if (!rec)
			return -ENOMEM;
	}
	if (head && tail) {
		tail_ext = ext_new();
		if (!tail_ext) {
			kfree(rec);
			return -ENOMEM;
		}
	}

	if (!head && !tail) {
		/* exact fit: the free extent becomes the allocation record */
		free_erase(a, e);
		rec = e;
	} else if (!head) {
		e->start += size;
		e->size = tail;
		free_update(e);
	} else {
		e->size = head;
		free_update(e);
		if (tail) {
			tail_ext->start = pos + size;
			tail_ext->size = tail;
			free_insert(a, tail_ext);
		}
	}

	rec->start = pos;
	rec->size = size;
	rec->subtree_max = 0;
	used_insert(a, rec);
	a->free_bytes -= size;
	*offset = pos;
	return 0;
}

/**
 * rmem_heap_alloc_put() - free a range returned by rmem_heap_alloc_get()
 * @a:      allocator
 * @offset: offset returned by rmem_heap_alloc_get()
 * @size:   size passed to rmem_heap_alloc_get() (rounded up to the granule
 *          here, so either the requested or the rounded size is accepted)
 *
 * Merges the range with the free neighbours on both sides.  Never allocates
 * memory and never fails.  A put that does not match a live allocation
 * exactly (double free, wrong size, an offset inside or outside an
 * allocation, zero size) is a caller bug: it is reported with pr_err and
 * ignored, leaving the allocator unchanged.  It does not WARN.
 *
 * Context: caller serialises; does not sleep.
 */
void rmem_heap_alloc_put(struct rmem_heap_alloc *a, u64 offset, u64 size)
{
	struct rmem_heap_alloc_extent *rec, *prev = NULL, *next = NULL;
	struct rb_node *n;
	u64 end;

	if (!size || size > a->size || offset >= a->size)
		goto bad;
	size = round_up(size, a->granule);
	rec = used_find(a, offset);
	if (!rec || rec->size != size)
		goto bad;
	end = offset + size;

	/* free neighbours: the last extent below and the first above */
	n = a->free_root.rb_node;
	while (n) {
		struct rmem_heap_alloc_extent *f = ext_entry(n);

		if (f->start < offset) {
			prev = f;
			n = n->rb_right;
		} else {
			next = f;
			n = n->rb_left;
		}
	}
	/* cannot happen while the used tree is consistent; be safe anyway */
	if ((prev && prev->start + prev->size > offset) ||
	    (next && next->start < end)) {
		pr_err("put [%#llx, %#llx) overlaps a free extent, ignored\n",
		       offset, end);
		return;
	}

	rb_erase(&rec->rb, &a->used_root);
	a->nr_used--;
	a->free_bytes += size;

	if (prev && prev->start + prev->size != offset)
		prev = NULL;
	if (next && next->start != end)
		next = NULL;

	if (prev && next) {
		free_erase(a, next);
		prev->size += size + next->size;
		free_update(prev);
		kfree(next);
		kfree(rec);
	} else if (prev) {
		prev->size += size;
		free_update(prev);
		kfree(rec);
	} else if (next) {
		next->start = offset;
		next->size += size;
		free_update(next);
		kfree(rec);
	} else {
		free_insert(a, rec);
	}
	return;

bad:
	pr_err_ratelimited("put [%#llx + %#llx] is not an allocation, ignored\n",
			   offset, size);
}

/**
 * rmem_heap_alloc_split() - split a live allocation in two
 * @a:      allocator
 * @offset: offset of the allocation, as returned by rmem_heap_alloc_get()
 * @size:   its size
 * @at:     bytes of the first part, a non-zero multiple of the granule
 *          below @size
 *
 * Afterwards [@offset, @offset + @at) and [@offset + @at, @offset + @size)
 * are two allocations, each to be put on its own (so that a caller can
 * give a large allocation back piece by piece).
 *
 * Context: caller serialises; may sleep (allocates one node with
 * GFP_KERNEL).
 * Return: 0; -EINVAL if [@offset, @offset + @size) is not an allocation or
 * @at does not split it; -ENOMEM (nothing changed).
 */
int rmem_heap_alloc_split(struct rmem_heap_alloc *a, u64 offset, u64 size,
			  u64 at)
{
	struct rmem_heap_alloc_extent *rec, *tail;

	rec = used_find(a, offset);
	if (!rec || rec->size != size || !at || at >= size ||
	    at & (a->granule - 1))
		return -EINVAL;
	tail = ext_new();
	if (!tail)
		return -ENOMEM;
	tail->start = offset + at;
	tail->size = size - at;
	rec->size = at;
	used_insert(a, tail);
	return 0;
}

/**
 * rmem_heap_alloc_free_bytes() - bytes currently free
 * @a: allocator
 *
 * Return: the sum of all free extents, in bytes.  O(1).
 */
u64 rmem_heap_alloc_free_bytes(const struct rmem_heap_alloc *a)
{
	return a->free_bytes;
}

/**
 * rmem_heap_alloc_largest_free() - size of the largest free extent
 * @a: allocator
 *
 * An unaligned request of this size (or less) would succeed.
 *
 * Return: the largest free extent in bytes, 0 when full.  O(1).
 */
u64 rmem_heap_alloc_largest_free(const struct rmem_heap_alloc *a)
{
	return rha_subtree_max(a->free_root.rb_node);
}
