// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: validation of the "linux,rmem-heap" binding.
 *
 * Everything a node says is checked before any region is touched, so that a
 * broken node fails its probe with one line naming the node and the reason
 * and leaves nothing behind.  Heap names and regions must also be unique
 * across the bound nodes (rmem_heap_bound_next()).
 */

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "rmem_heap.h"
#include "rmem_heap_of.h"

#define RMEM_HEAP_MAX_REGIONS	16
#define RMEM_HEAP_DEFAULT_NAME	"rmem"

/* linux,cache-policy values, as a mask of the heaps a region gets */
#define RMEM_HEAP_WANT_CACHED	BIT(0)
#define RMEM_HEAP_WANT_UNCACHED	BIT(1)

/**
 * rmem_heap_bad() - report why a probe fails
 * @dev: the "linux,rmem-heap" platform device
 * @err: the error the probe returns
 * @fmt: printf-style reason
 * @...: arguments for @fmt
 *
 * Prints the one error line of a failed probe as "<node path>: <reason>",
 * the form the selftests and tools/dt-check look for, through
 * dev_err_probe() so that the line carries the error code and a deferral
 * is recorded instead of logged (newer kernels also print nothing for
 * -ENOMEM: the allocator has already complained).
 *
 * Return: @err.
 */
int rmem_heap_bad(const struct device *dev, int err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	err = dev_err_probe(dev, err, "%pOF: %pV\n", dev->of_node, &vaf);
	va_end(args);

	return err;
}

/* names of heaps the kernel itself may create in /dev/dma_heap */
static const char * const rmem_heap_kernel_names[] = {
	"system", "system-uncached", "system_cc_shared", "reserved",
	"default_cma_region",
};

static bool rmem_heap_name_valid(const char *name)
{
	size_t len = strlen(name);
	size_t sfx = strlen(RMEM_HEAP_UNCACHED_SFX);
	const char *p;

	if (!len || len >= RMEM_HEAP_NAME_MAX)
		return false;
	/* not islower(): it also accepts Latin-1 letters */
	for (p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
		    *p != '_' && *p != '-')
			return false;
	if (match_string(rmem_heap_kernel_names,
			 ARRAY_SIZE(rmem_heap_kernel_names), name) >= 0)
		return false;
	return len < sfx || strcmp(name + len - sfx, RMEM_HEAP_UNCACHED_SFX);
}

static bool rmem_heap_has_name(const struct rmem_heap_device *rdev,
			       const char *name)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_heaps; i++)
		if (!strcmp(rdev->heaps[i].name, name))
			return true;
	return false;
}

/*
 * rdev is being probed and not bound yet: look at every bound node, then
 * at rdev itself.  rmem_heap_bound_next() asserts that the lock is held,
 * on every call, so even when no node is bound.
 */
static bool rmem_heap_name_taken(struct rmem_heap_device *rdev,
				 const char *name)
{
	struct rmem_heap_device *other = NULL;

	while ((other = rmem_heap_bound_next(other)))
		if (rmem_heap_has_name(other, name))
			return true;
	return rmem_heap_has_name(rdev, name);
}

static bool rmem_heap_has_region(const struct rmem_heap_device *rdev,
				 phys_addr_t base, phys_addr_t size)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_pools; i++)
		if (base < rdev->pools[i].base + rdev->pools[i].size &&
		    rdev->pools[i].base < base + size)
			return true;
	return false;
}

/*
 * As rmem_heap_name_taken(), for a region: does it overlap a region of a
 * bound node or of rdev?  The kernel only warns about overlapping
 * reserved-memory nodes ("OVERLAP DETECTED!"), and two heaps on the same
 * pages would zero and hand out each other's buffers.
 */
static bool rmem_heap_region_taken(struct rmem_heap_device *rdev,
				   phys_addr_t base, phys_addr_t size)
{
	struct rmem_heap_device *other = NULL;

	while ((other = rmem_heap_bound_next(other)))
		if (rmem_heap_has_region(other, base, size))
			return true;
	return rmem_heap_has_region(rdev, base, size);
}

/*
 * Is the region rnp given to another device, as one of the memory-region
 * entries of an enabled node other than a "linux,rmem-heap" one (those are
 * arbitrated by rmem_heap_region_taken())?  A shared-dma-pool may serve
 * several devices through the kernel's allocator, but a heap owns all of
 * its region: its background zeroing would wipe the other driver's data.
 * The device tree says so whichever driver probes first, on every kernel;
 * the kernel's own record of assigned devices is private to
 * of_reserved_mem.c, and it knows only drivers that have probed.
 *
 * Return: the other node, with a reference, or NULL.
 */
static struct device_node *rmem_heap_region_user(struct device_node *np,
						 struct device_node *rnp)
{
	struct device_node *user, *r;
	int i;

	for_each_node_with_property(user, "memory-region") {
		if (user == np || !of_device_is_available(user) ||
		    of_device_is_compatible(user, "linux,rmem-heap"))
			continue;
		for (i = 0; (r = of_parse_phandle(user, "memory-region", i)); i++) {
			of_node_put(r);
			if (r == rnp)
				return user;
		}
	}
	return NULL;
}

static int rmem_heap_parse_policy(struct rmem_heap_device *rdev, int idx,
				  unsigned int *want)
{
	struct device *dev = rdev->dev;
	const char *policy;
	int ret;

	*want = RMEM_HEAP_WANT_CACHED;
	if (!of_find_property(dev->of_node, "linux,cache-policy", NULL))
		return 0;

	ret = of_property_read_string_index(dev->of_node, "linux,cache-policy",
					    idx, &policy);
	if (ret)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad linux,cache-policy: no entry for region %d",
				     idx);

	if (!strcmp(policy, "cached"))
		*want = RMEM_HEAP_WANT_CACHED;
	else if (!strcmp(policy, "uncached"))
		*want = RMEM_HEAP_WANT_UNCACHED;
	else if (!strcmp(policy, "both"))
		*want = RMEM_HEAP_WANT_CACHED | RMEM_HEAP_WANT_UNCACHED;
	else
		return rmem_heap_bad(dev, -EINVAL,
				     "bad linux,cache-policy \"%s\"", policy);
	return 0;
}

/* Validate one memory-region entry and describe it in rdev->pools[idx]. */
static int rmem_heap_parse_region(struct rmem_heap_device *rdev, int idx)
{
	struct rmem_heap_pool *pool = &rdev->pools[idx];
	struct device *dev = rdev->dev;
	struct reserved_mem *rmem;
	struct device_node *rnp, *user;
	bool nomap, reusable;
	int ret = -EINVAL;
	int i;

	rnp = of_parse_phandle(dev->of_node, "memory-region", idx);
	if (!rnp)
		return rmem_heap_bad(dev, -EINVAL,
				     "memory-region entry %d is not a valid phandle",
				     idx);

	pool->region_name = kasprintf(GFP_KERNEL, "%pOFn", rnp);
	if (!pool->region_name) {
		ret = rmem_heap_bad(dev, -ENOMEM, "out of memory");
		goto put_node;
	}

	if (!of_device_is_compatible(rnp, "shared-dma-pool")) {
		rmem_heap_bad(dev, ret, "region %s is not a shared-dma-pool",
			      pool->region_name);
		goto put_node;
	}

	nomap = of_property_read_bool(rnp, "no-map");
	reusable = of_property_read_bool(rnp, "reusable");
	if (!nomap && !reusable) {
		rmem_heap_bad(dev, ret, "region %s is neither no-map nor reusable",
			      pool->region_name);
		goto put_node;
	}
	if (nomap && reusable) {
		rmem_heap_bad(dev, ret, "region %s is both no-map and reusable",
			      pool->region_name);
		goto put_node;
	}
	pool->type = nomap ? RMEM_HEAP_NOMAP : RMEM_HEAP_REUSABLE;

	if (!of_device_is_available(rnp)) {
		rmem_heap_bad(dev, ret, "region %s is disabled",
			      pool->region_name);
		goto put_node;
	}

	rmem = of_reserved_mem_lookup(rnp);
	if (!rmem || !rmem->ops) {
		rmem_heap_bad(dev, ret,
			      "region %s was not set up as a shared-dma-pool%s",
			      pool->region_name,
			      !reusable ? "" : IS_ENABLED(CONFIG_DMA_CMA) ?
			      " (is it CMA aligned?)" :
			      " (kernel without CONFIG_DMA_CMA)");
		goto put_node;
	}
	if (!rmem->size) {
		rmem_heap_bad(dev, ret, "region %s has size zero",
			      pool->region_name);
		goto put_node;
	}
	if (!PAGE_ALIGNED(rmem->base) || !PAGE_ALIGNED(rmem->size)) {
		rmem_heap_bad(dev, ret, "region %s is not page aligned",
			      pool->region_name);
		goto put_node;
	}
	/* a memory map covers RAM, no-map regions included */
	if (!pfn_valid(PHYS_PFN(rmem->base)) ||
	    !pfn_valid(PHYS_PFN(rmem->base + rmem->size - 1))) {
		rmem_heap_bad(dev, ret, "region %s is outside RAM",
			      pool->region_name);
		goto put_node;
	}
	if (rmem_heap_region_taken(rdev, rmem->base, rmem->size)) {
		rmem_heap_bad(dev, ret,
			      "region %s overlaps a region already used by a heap",
			      pool->region_name);
		goto put_node;
	}
	user = rmem_heap_region_user(dev->of_node, rnp);
	if (user) {
		rmem_heap_bad(dev, -EBUSY, "region %s is also given to %pOF",
			      pool->region_name, user);
		of_node_put(user);
		ret = -EBUSY;
		goto put_node;
	}
	/* dma_alloc_pages() never returns highmem pages */
	if (reusable && IS_ENABLED(CONFIG_HIGHMEM) &&
	    PageHighMem(pfn_to_page(PHYS_PFN(rmem->base + rmem->size - 1)))) {
		rmem_heap_bad(dev, ret,
			      "region %s is reusable but not in lowmem",
			      pool->region_name);
		goto put_node;
	}
	if (reusable) {
		for (i = 0; i < idx; i++) {
			if (rdev->pools[i].type != RMEM_HEAP_REUSABLE)
				continue;
			rmem_heap_bad(dev, ret,
				      "region %s: only one reusable region per node",
				      pool->region_name);
			goto put_node;
		}
	}

	pool->rdev = rdev;
	pool->dev = dev;
	pool->base = rmem->base;
	pool->size = rmem->size;
	ret = 0;

put_node:
	of_node_put(rnp);
	return ret;
}

static int rmem_heap_add_name(struct rmem_heap_device *rdev,
			      struct rmem_heap_pool *pool, const char *name,
			      enum rmem_heap_policy policy)
{
	struct rmem_heap *heap = &rdev->heaps[rdev->nr_heaps];

	if (rmem_heap_name_taken(rdev, name))
		return rmem_heap_bad(rdev->dev, -EINVAL,
				     "duplicate heap name \"%s\"", name);
	if (rmem_heap_is_cma_heap_name(name))
		return rmem_heap_bad(rdev->dev, -EINVAL,
				     "heap name \"%s\" is taken by a CMA heap of the kernel",
				     name);

	strscpy(heap->name, name, sizeof(heap->name));
	heap->pool = pool;
	heap->policy = policy;
	INIT_LIST_HEAD(&heap->list);
	rdev->nr_heaps++;
	return 0;
}

/* Name the heaps of region idx, following linux,cache-policy. */
static int rmem_heap_parse_heaps(struct rmem_heap_device *rdev, int idx,
				 bool coherent)
{
	struct rmem_heap_pool *pool = &rdev->pools[idx];
	struct device *dev = rdev->dev;
	char twin[RMEM_HEAP_NAME_MAX + sizeof(RMEM_HEAP_UNCACHED_SFX)];
	const char *name = RMEM_HEAP_DEFAULT_NAME;
	enum rmem_heap_policy cached, uncached;
	unsigned int want;
	int ret;

	if (of_find_property(dev->of_node, "memory-region-names", NULL)) {
		ret = of_property_read_string_index(dev->of_node,
						    "memory-region-names",
						    idx, &name);
		if (ret)
			return rmem_heap_bad(dev, -EINVAL, "bad heap name");
	}
	if (!rmem_heap_name_valid(name))
		return rmem_heap_bad(dev, -EINVAL, "bad heap name \"%s\"",
				     name);

	ret = rmem_heap_parse_policy(rdev, idx, &want);
	if (ret)
		return ret;

	cached = coherent ? RMEM_HEAP_COHERENT : RMEM_HEAP_CACHED;
	uncached = coherent ? RMEM_HEAP_COHERENT : RMEM_HEAP_UNCACHED;

	if ((want & RMEM_HEAP_WANT_CACHED) && cached == RMEM_HEAP_CACHED &&
	    pool->type == RMEM_HEAP_NOMAP && !rmem_heap_cache_supported())
		return rmem_heap_bad(dev, -EINVAL,
				     "region %s: cached no-map heaps need CPU cache maintenance this architecture lacks; use linux,cache-policy \"uncached\"",
				     pool->region_name);

	if (want == RMEM_HEAP_WANT_UNCACHED)
		return rmem_heap_add_name(rdev, pool, name, uncached);

	ret = rmem_heap_add_name(rdev, pool, name, cached);
	if (ret || !(want & RMEM_HEAP_WANT_UNCACHED))
		return ret;

	snprintf(twin, sizeof(twin), "%s%s", name, RMEM_HEAP_UNCACHED_SFX);
	if (strlen(twin) >= RMEM_HEAP_NAME_MAX)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad heap name \"%s\" (too long for its uncached twin)",
				     name);
	return rmem_heap_add_name(rdev, pool, twin, uncached);
}

/**
 * rmem_heap_free_parse() - free what rmem_heap_parse() allocated
 * @rdev: the device
 *
 * Leaves @rdev without pools or heaps; calling it again does nothing.
 */
void rmem_heap_free_parse(struct rmem_heap_device *rdev)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_pools; i++)
		kfree(rdev->pools[i].region_name);
	kfree(rdev->pools);
	kfree(rdev->heaps);
	rdev->pools = NULL;
	rdev->heaps = NULL;
	rdev->nr_pools = 0;
	rdev->nr_heaps = 0;
}

/**
 * rmem_heap_parse() - validate a node and describe its pools and heaps
 * @rdev: the device being probed, with &rmem_heap_device.dev set
 *
 * Validates the whole binding without touching any region, and fills in
 * @rdev's pools and heaps (undone by rmem_heap_free_parse()).
 *
 * Context: probe, holding rmem_heap_lock (rmem_heap_main.c), so that the
 * names and regions found free stay free until the device is bound.
 * Return: 0, or a negative errno after one error line (rmem_heap_bad()),
 * with nothing left allocated.
 */
int rmem_heap_parse(struct rmem_heap_device *rdev)
{
	struct device *dev = rdev->dev;
	struct device_node *np = dev->of_node;
	bool coherent = dev_is_dma_coherent(dev);
	int nr, nr_names, nr_policies, i, ret;

	nr = of_count_phandle_with_args(np, "memory-region", NULL);
	if (nr == -ENOENT || nr == 0)
		return rmem_heap_bad(dev, -EINVAL, "no memory-region");
	if (nr < 0)
		return rmem_heap_bad(dev, nr, "bad memory-region (%d)", nr);
	if (nr > RMEM_HEAP_MAX_REGIONS)
		return rmem_heap_bad(dev, -EINVAL,
				     "too many memory-region entries (%d, max %d)",
				     nr, RMEM_HEAP_MAX_REGIONS);

	/* -EINVAL: absent; -ENODATA, -EILSEQ: empty or malformed */
	nr_names = of_property_count_strings(np, "memory-region-names");
	if (nr_names < 0 && nr_names != -EINVAL)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad heap name: memory-region-names is empty or malformed");
	if (nr_names == -EINVAL && nr > 1)
		return rmem_heap_bad(dev, -EINVAL,
				     "memory-region-names required with %d regions",
				     nr);
	if (nr_names != -EINVAL && nr_names != nr)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad heap name: memory-region-names has %d entries for %d regions",
				     nr_names, nr);

	nr_policies = of_property_count_strings(np, "linux,cache-policy");
	if (nr_policies < 0 && nr_policies != -EINVAL)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad linux,cache-policy: empty or malformed");
	if (nr_policies != -EINVAL && nr_policies != nr)
		return rmem_heap_bad(dev, -EINVAL,
				     "bad linux,cache-policy: %d entries for %d regions",
				     nr_policies, nr);

	rdev->pools = kcalloc(nr, sizeof(*rdev->pools), GFP_KERNEL);
	rdev->heaps = kcalloc(2 * nr, sizeof(*rdev->heaps), GFP_KERNEL);
	if (!rdev->pools || !rdev->heaps) {
		ret = rmem_heap_bad(dev, -ENOMEM, "out of memory");
		goto free_parse;
	}

	for (i = 0; i < nr; i++) {
		ret = rmem_heap_parse_region(rdev, i);
		rdev->nr_pools = i + 1;	/* region_name is set or NULL */
		if (ret)
			goto free_parse;
	}

	for (i = 0; i < nr; i++) {
		ret = rmem_heap_parse_heaps(rdev, i, coherent);
		if (ret)
			goto free_parse;
	}

	return 0;

free_parse:
	rmem_heap_free_parse(rdev);
	return ret;
}
