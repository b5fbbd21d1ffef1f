// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: DMA-BUF heaps over device-tree reserved memory.
 *
 * A "linux,rmem-heap" node lists shared-dma-pool regions (no-map or
 * reusable) in memory-region; each becomes a heap (or a cached/uncached
 * pair of heaps sharing the region).  This file is the platform driver:
 * taking the regions, creating and tearing down the heaps, and the module
 * entry points; rmem_heap_of.c validates the binding.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "rmem_heap.h"
#include "rmem_heap_of.h"

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

/**
 * rmem_heap_bound_next() - walk the bound devices
 * @prev: the device the previous call returned, or NULL to start
 *
 * Lets the binding checks (rmem_heap_of.c) see the heap names and regions
 * in use without sharing the list.  Devices stay on it until their last
 * reference is gone, so names and regions of a removed node with live
 * buffers stay taken.
 *
 * Context: rmem_heap_lock held, as in probe.
 * Return: the next bound device, or NULL after the last one.
 */
struct rmem_heap_device *rmem_heap_bound_next(struct rmem_heap_device *prev)
{
	struct list_head *next;

	lockdep_assert_held(&rmem_heap_lock);

	if (prev)
		next = container_of(prev, struct rmem_heap_node, rdev)->list.next;
	else
		next = rmem_heap_devices.next;
	if (next == &rmem_heap_devices)
		return NULL;
	return &list_entry(next, struct rmem_heap_node, list)->rdev;
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

		rmem_heap_keep_stop(pool);
		rmem_heap_zero_stop(pool);
		rmem_heap_anchor_drop(pool);
		rmem_heap_slab_stop(pool);
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
		rmem_heap_keep_setup(&rdev->pools[i]);
	}

	for (i = 0; i < rdev->nr_pools; i++) {
		struct rmem_heap_pool *pool = &rdev->pools[i];

		if (pool->type != RMEM_HEAP_NOMAP) {
			rmem_heap_slab_setup(pool);
			continue;
		}

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
			/* say why rmmod will fail from now on */
			dev_info(rdev->dev,
				 "dma-heaps cannot be removed: rmem_heap stays loaded from now on\n");
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

	/* the probe succeeds with fewer heaps: not a dev_err_probe() case */
	dev_err(rdev->dev,
		"%pOF: cannot register heap \"%s\" (%d)%s, keeping the %u heaps before it\n",
		rdev->dev->of_node, rdev->heaps[i].name, ret, why, i);
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

	ret = rmem_heap_zero_init();
	if (ret)
		return ret;

	ret = rmem_heap_sysfs_init();
	if (ret)
		goto exit_zero;

	if (!RMEM_HEAP_DMA_HEAP_MODE) {
		ret = rmem_heap_cdev_init();
		if (ret)
			goto exit_sysfs;
	}

	rmem_heap_debugfs_init();

	ret = rmem_heap_ctl_init();
	if (ret)
		goto exit_debugfs;

	ret = platform_driver_register(&rmem_heap_driver);
	if (ret)
		goto exit_ctl;

	return 0;

exit_ctl:
	rmem_heap_ctl_exit();
exit_debugfs:
	rmem_heap_debugfs_exit();
	if (!RMEM_HEAP_DMA_HEAP_MODE)
		rmem_heap_cdev_exit();
exit_sysfs:
	rmem_heap_sysfs_exit();
exit_zero:
	rmem_heap_zero_exit();
	return ret;
}
module_init(rmem_heap_init);

static void __exit rmem_heap_exit(void)
{
	platform_driver_unregister(&rmem_heap_driver);
	rmem_heap_ctl_exit();
	rmem_heap_debugfs_exit();
	if (!RMEM_HEAP_DMA_HEAP_MODE)
		rmem_heap_cdev_exit();
	rmem_heap_sysfs_exit();
	rmem_heap_zero_exit();
}
module_exit(rmem_heap_exit);

MODULE_DESCRIPTION("DMA-BUF heaps over device-tree reserved memory");
MODULE_LICENSE("GPL");
RMEM_HEAP_IMPORT_NS_DMA_BUF;
