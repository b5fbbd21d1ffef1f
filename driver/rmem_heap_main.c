// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: DMA-BUF heaps over device-tree reserved memory.
 *
 * A "linux,rmem-heap" node lists shared-dma-pool regions (no-map or
 * reusable) in memory-region; each becomes a heap (or a cached/uncached
 * pair of heaps sharing the region).  This file is the platform driver:
 * binding validation, taking the regions, creating and tearing down the
 * heaps, and the module entry points.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "rmem_heap.h"

#define RMEM_HEAP_MAX_REGIONS	16
#define RMEM_HEAP_DEFAULT_NAME	"rmem"

/* linux,cache-policy values, as a mask of the heaps a region gets */
#define RMEM_HEAP_WANT_CACHED	BIT(0)
#define RMEM_HEAP_WANT_UNCACHED	BIT(1)

/*
 * rmem_heap_lock serialises probe and remove and protects the list of
 * bound devices, which is what heap-name and region uniqueness are
 * checked against.
 */
static DEFINE_MUTEX(rmem_heap_lock);
static LIST_HEAD(rmem_heap_devices);
static bool rmem_heap_pinned;

/**
 * struct rmem_heap_node - a bound "linux,rmem-heap" device
 * @rdev: the device's heaps and pools
 * @list: entry in rmem_heap_devices, until the last reference is gone
 *        (the names and regions stay taken while buffers use them)
 */
struct rmem_heap_node {
	struct rmem_heap_device rdev;
	struct list_head list;
};

/* The one error line of a failed probe: node and reason. */
static __printf(3, 4) int rmem_heap_bad(struct device *dev, int err,
					const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dev_err(dev, "%pOF: %pV\n", dev->of_node, &vaf);
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

static bool rmem_heap_name_taken(struct rmem_heap_device *rdev,
				 const char *name)
{
	struct rmem_heap_node *node;
	unsigned int i;

	lockdep_assert_held(&rmem_heap_lock);

	for (i = 0; i < rdev->nr_heaps; i++)
		if (!strcmp(rdev->heaps[i].name, name))
			return true;

	list_for_each_entry(node, &rmem_heap_devices, list)
		for (i = 0; i < node->rdev.nr_heaps; i++)
			if (!strcmp(node->rdev.heaps[i].name, name))
				return true;

	return false;
}

static bool rmem_heap_region_taken(struct rmem_heap_device *rdev,
				   phys_addr_t base)
{
	struct rmem_heap_node *node;
	unsigned int i;

	lockdep_assert_held(&rmem_heap_lock);

	for (i = 0; i < rdev->nr_pools; i++)
		if (rdev->pools[i].base == base)
			return true;

	list_for_each_entry(node, &rmem_heap_devices, list)
		for (i = 0; i < node->rdev.nr_pools; i++)
			if (node->rdev.pools[i].base == base)
				return true;

	return false;
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
	struct device_node *rnp;
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
	if (rmem_heap_region_taken(rdev, rmem->base)) {
		rmem_heap_bad(dev, ret, "region %s is already used by a heap",
			      pool->region_name);
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

static void rmem_heap_free_parse(struct rmem_heap_device *rdev)
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

/*
 * Validate the whole binding without touching any region.  On failure
 * exactly one error line has been printed and nothing is left allocated.
 */
static int rmem_heap_parse(struct rmem_heap_device *rdev)
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

/* Assign every region to the device; all or nothing. */
static int rmem_heap_take_regions(struct rmem_heap_device *rdev)
{
	struct device *dev = rdev->dev;
	bool have_nomap = false;
	unsigned int i;
	int ret;

	for (i = 0; i < rdev->nr_pools; i++) {
		struct rmem_heap_pool *pool = &rdev->pools[i];

		ret = of_reserved_mem_device_init_by_idx(dev, dev->of_node, i);
		/*
		 * A device has a single per-device coherent pool, so a second
		 * no-map region reports -EBUSY on newer kernels.  The driver
		 * never allocates from that pool; its own allocator manages
		 * every no-map region.
		 */
		if (ret == -EBUSY && pool->type == RMEM_HEAP_NOMAP && have_nomap)
			ret = 0;
		if (ret) {
			of_reserved_mem_device_release(dev);
			return rmem_heap_bad(dev, ret,
					     "cannot take region %s (%d)",
					     pool->region_name, ret);
		}
		if (pool->type == RMEM_HEAP_NOMAP)
			have_nomap = true;
	}

	return 0;
}

static void rmem_heap_destroy_pools(struct rmem_heap_device *rdev)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_pools; i++) {
		struct rmem_heap_pool *pool = &rdev->pools[i];

		rmem_heap_zero_stop(pool);
		rmem_heap_anchor_drop(pool);
		if (pool->alloc_ready)
			rmem_heap_alloc_destroy(&pool->alloc);
		pool->alloc_ready = false;
		mutex_destroy(&pool->lock);
	}
}

static int rmem_heap_init_pools(struct rmem_heap_device *rdev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < rdev->nr_pools; i++) {
		mutex_init(&rdev->pools[i].lock);
		INIT_LIST_HEAD(&rdev->pools[i].buffers);
		rmem_heap_zero_setup(&rdev->pools[i]);
	}

	for (i = 0; i < rdev->nr_pools; i++) {
		struct rmem_heap_pool *pool = &rdev->pools[i];

		if (pool->type != RMEM_HEAP_NOMAP)
			continue;

		ret = rmem_heap_alloc_init(&pool->alloc, pool->size, PAGE_SIZE);
		if (ret)
			goto destroy_pools;
		pool->alloc_ready = true;

		/* the region's content is unknown: zero it in the background */
		ret = rmem_heap_zero_start(pool);
		if (ret)
			goto destroy_pools;
	}

	return 0;

destroy_pools:
	rmem_heap_destroy_pools(rdev);
	return rmem_heap_bad(rdev->dev, ret, "cannot set up region %s (%d)",
			     rdev->pools[i].region_name, ret);
}

/*
 * Last reference to a node gone: no heap file is open and no buffer is
 * alive.  Called without rmem_heap_lock held.
 */
static void rmem_heap_node_release(struct kref *ref)
{
	struct rmem_heap_node *node = container_of(ref, struct rmem_heap_node,
						   rdev.ref);
	struct rmem_heap_device *rdev = &node->rdev;

	mutex_lock(&rmem_heap_lock);
	rmem_heap_destroy_pools(rdev);
	of_reserved_mem_device_release(rdev->dev);
	list_del(&node->list);
	mutex_unlock(&rmem_heap_lock);

	rmem_heap_free_parse(rdev);
	put_device(rdev->dev);
	kfree(node);
}

static void rmem_heap_node_put(struct rmem_heap_device *rdev)
{
	kref_put(&rdev->ref, rmem_heap_node_release);
}

/* release callback of a heap's device: drop its reference on the node */
static void rmem_heap_dev_release(struct device *dev)
{
	struct rmem_heap *heap = container_of(dev, struct rmem_heap, dev);

	rmem_heap_node_put(heap->pool->rdev);
}

/* Remove a heap added by rmem_heap_add_heap(); its users keep it alive. */
static void rmem_heap_del_heap(struct rmem_heap *heap)
{
	rmem_heap_debugfs_del(heap);
	if (RMEM_HEAP_DMA_HEAP_MODE)
		rmem_heap_sysfs_del(heap);
	else
		rmem_heap_cdev_del(heap);
	put_device(&heap->dev);
}

/* Tear down heaps [from, to) in reverse order. */
static void rmem_heap_del_heaps(struct rmem_heap_device *rdev,
				unsigned int from, unsigned int to)
{
	while (to-- > from)
		rmem_heap_del_heap(&rdev->heaps[to]);
}

static int rmem_heap_add_heap(struct rmem_heap *heap, struct device *parent)
{
	int ret;

	/* the heap's device holds the node until its release callback */
	kref_get(&heap->pool->rdev->ref);
	ret = rmem_heap_sysfs_init_dev(heap, parent, rmem_heap_dev_release);
	if (ret)
		goto put_dev;

	if (RMEM_HEAP_DMA_HEAP_MODE)
		ret = rmem_heap_sysfs_add(heap);
	else
		ret = rmem_heap_cdev_add(heap);
	if (ret)
		goto put_dev;

	rmem_heap_debugfs_add(heap);
	return 0;

put_dev:
	put_device(&heap->dev);
	return ret;
}

static int rmem_heap_add_heaps(struct rmem_heap_device *rdev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < rdev->nr_heaps; i++) {
		ret = rmem_heap_add_heap(&rdev->heaps[i], rdev->dev);
		if (ret) {
			rmem_heap_del_heaps(rdev, 0, i);
			return rmem_heap_bad(rdev->dev, ret,
					     "cannot create heap \"%s\" (%d)",
					     rdev->heaps[i].name, ret);
		}
	}

	return 0;
}

/*
 * dma_heap_add() mode: register every heap.  A registered heap can never
 * be removed, so once one is registered the module pins itself and a later
 * failure only drops the heaps not yet registered.
 *
 * Return: 0 if at least one heap is registered, else a negative errno.
 */
static int rmem_heap_register_heaps(struct rmem_heap_device *rdev)
{
	const char *why;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < rdev->nr_heaps; i++) {
		ret = rmem_heap_dmaheap_register(&rdev->heaps[i]);
		if (ret)
			break;
		if (!rmem_heap_pinned) {
			__module_get(THIS_MODULE);
			rmem_heap_pinned = true;
		}
	}
	if (!ret)
		return 0;

	/*
	 * Our names are valid, so -EINVAL from dma_heap_add() means the name
	 * is in use, e.g. by the CMA heap 6.19+ makes of a reusable region.
	 */
	why = ret == -EINVAL ? ": name already taken by another dma-heap" : "";
	if (!i)
		return rmem_heap_bad(rdev->dev, ret,
				     "cannot register heap \"%s\" (%d)%s",
				     rdev->heaps[i].name, ret, why);

	rmem_heap_bad(rdev->dev, ret,
		      "cannot register heap \"%s\" (%d)%s, keeping the %u heaps before it",
		      rdev->heaps[i].name, ret, why, i);
	rmem_heap_del_heaps(rdev, i, rdev->nr_heaps);
	rdev->nr_heaps = i;
	return 0;
}

static void rmem_heap_announce(struct rmem_heap_device *rdev)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_heaps; i++) {
		struct rmem_heap *heap = &rdev->heaps[i];
		struct rmem_heap_pool *pool = heap->pool;

		dev_info(rdev->dev,
			 "heap %s: region %s base %pa size %llu type %s policy %s\n",
			 heap->name, pool->region_name, &pool->base,
			 (unsigned long long)pool->size,
			 rmem_heap_type_name(pool->type),
			 rmem_heap_policy_name(heap->policy));
	}
}

static int rmem_heap_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct rmem_heap_device *rdev;
	struct rmem_heap_node *node;
	int ret;

	node = kzalloc_obj(*node, GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	INIT_LIST_HEAD(&node->list);
	rdev = &node->rdev;
	kref_init(&rdev->ref);
	rdev->dev = get_device(dev);

	mutex_lock(&rmem_heap_lock);

	ret = rmem_heap_parse(rdev);
	if (ret)
		goto free_node;

	/* 64-bit; a bus limit from dma-ranges still applies */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		rmem_heap_bad(dev, ret, "cannot set the DMA mask (%d)", ret);
		goto free_parse;
	}

	ret = rmem_heap_take_regions(rdev);
	if (ret)
		goto free_parse;

	ret = rmem_heap_init_pools(rdev);
	if (ret)
		goto release_regions;

	/*
	 * From here on the heaps' devices (and so files opened on them) hold
	 * the node: on failure drop the probe's reference, not the node.
	 */
	ret = rmem_heap_add_heaps(rdev);
	if (!ret && RMEM_HEAP_DMA_HEAP_MODE) {
		ret = rmem_heap_register_heaps(rdev);
		if (ret)
			rmem_heap_del_heaps(rdev, 0, rdev->nr_heaps);
	}
	if (ret) {
		mutex_unlock(&rmem_heap_lock);
		rmem_heap_node_put(rdev);
		return ret;
	}

	list_add_tail(&node->list, &rmem_heap_devices);
	platform_set_drvdata(pdev, node);
	mutex_unlock(&rmem_heap_lock);

	rmem_heap_announce(rdev);
	return 0;

release_regions:
	of_reserved_mem_device_release(dev);
free_parse:
	rmem_heap_free_parse(rdev);
free_node:
	mutex_unlock(&rmem_heap_lock);
	put_device(dev);
	kfree(node);
	return ret;
}

static bool rmem_heap_registered(struct rmem_heap_device *rdev)
{
	unsigned int i;

	for (i = 0; i < rdev->nr_heaps; i++)
		if (rdev->heaps[i].dma_heap)
			return true;
	return false;
}

/*
 * Unbind is suppressed and rmmod gets here only when nothing is in use
 * (every buffer and open heap file pins the module), but a device going
 * away (e.g. a removed DT overlay) may leave heap files open and buffers
 * alive.  They hold the node: the pools and regions are released after
 * the last of them.
 */
static void rmem_heap_remove(struct platform_device *pdev)
{
	struct rmem_heap_node *node = platform_get_drvdata(pdev);
	struct rmem_heap_device *rdev = &node->rdev;

	/* a registered dma-heap is forever (no dma_heap_remove()) */
	if (rmem_heap_registered(rdev)) {
		dev_err(&pdev->dev, "%pOF: heaps registered, leaking them\n",
			pdev->dev.of_node);
		return;
	}

	rmem_heap_del_heaps(rdev, 0, rdev->nr_heaps);
	rmem_heap_node_put(rdev);
}

static const struct of_device_id rmem_heap_of_match[] = {
	{ .compatible = "linux,rmem-heap" },
	{ }
};
MODULE_DEVICE_TABLE(of, rmem_heap_of_match);

static struct platform_driver rmem_heap_driver = {
	.probe = rmem_heap_probe,
	RMEM_HEAP_PLATFORM_REMOVE(rmem_heap_remove),
	.driver = {
		.name = "rmem-heap",
		.of_match_table = rmem_heap_of_match,
		/* buffers and (dma_heap_add mode) heaps outlive any unbind */
		.suppress_bind_attrs = true,
	},
};

static int __init rmem_heap_init(void)
{
	int ret;

	ret = rmem_heap_sysfs_init();
	if (ret)
		return ret;

	if (!RMEM_HEAP_DMA_HEAP_MODE) {
		ret = rmem_heap_cdev_init();
		if (ret)
			goto exit_sysfs;
	}

	rmem_heap_debugfs_init();

	ret = platform_driver_register(&rmem_heap_driver);
	if (ret)
		goto exit_debugfs;

	return 0;

exit_debugfs:
	rmem_heap_debugfs_exit();
	if (!RMEM_HEAP_DMA_HEAP_MODE)
		rmem_heap_cdev_exit();
exit_sysfs:
	rmem_heap_sysfs_exit();
	return ret;
}
module_init(rmem_heap_init);

static void __exit rmem_heap_exit(void)
{
	platform_driver_unregister(&rmem_heap_driver);
	rmem_heap_debugfs_exit();
	if (!RMEM_HEAP_DMA_HEAP_MODE)
		rmem_heap_cdev_exit();
	rmem_heap_sysfs_exit();
}
module_exit(rmem_heap_exit);

MODULE_DESCRIPTION("DMA-BUF heaps over device-tree reserved memory");
MODULE_LICENSE("GPL");
RMEM_HEAP_IMPORT_NS_DMA_BUF;
