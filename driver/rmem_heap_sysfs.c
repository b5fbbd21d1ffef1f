// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: class "rmem_heap", one device per heap with read-only
 * attributes describing the heap and its (possibly shared) pool.  In
 * char-device mode the same device carries the /dev/dma_heap/<name> node.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "rmem_heap.h"

static struct class *rmem_heap_class;

static const char * const rmem_heap_type_names[] = {
	[RMEM_HEAP_NOMAP] = "no-map",
	[RMEM_HEAP_REUSABLE] = "reusable",
};

static const char * const rmem_heap_policy_names[] = {
	[RMEM_HEAP_CACHED] = "cached",
	[RMEM_HEAP_UNCACHED] = "uncached",
	[RMEM_HEAP_COHERENT] = "coherent",
};

/**
 * rmem_heap_type_name() - user-visible name of a region type
 * @type: the type
 *
 * Return: "no-map" or "reusable".
 */
const char *rmem_heap_type_name(enum rmem_heap_type type)
{
	return rmem_heap_type_names[type];
}

/**
 * rmem_heap_policy_name() - user-visible name of a cache policy
 * @policy: the policy
 *
 * Return: "cached", "uncached" or "coherent".
 */
const char *rmem_heap_policy_name(enum rmem_heap_policy policy)
{
	return rmem_heap_policy_names[policy];
}

/**
 * struct rmem_heap_stat_attr - a numeric attribute backed by the pool stats
 * @attr:   the device attribute
 * @offset: offset of the u64 counter in &struct rmem_heap_stats
 */
struct rmem_heap_stat_attr {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t rmem_heap_stat_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct rmem_heap_stat_attr *sattr =
		container_of(attr, struct rmem_heap_stat_attr, attr);
	struct rmem_heap *heap = dev_get_drvdata(dev);
	struct rmem_heap_stats stats;
	u64 value;

	rmem_heap_pool_stats(heap->pool, &stats);
	memcpy(&value, (char *)&stats + sattr->offset, sizeof(value));
	return sysfs_emit(buf, "%llu\n", (unsigned long long)value);
}

#define RMEM_HEAP_STAT_ATTR(_name)					\
	struct rmem_heap_stat_attr rmem_heap_stat_##_name = {		\
		.attr = {						\
			.attr = { .name = #_name, .mode = 0444 },	\
			.show = rmem_heap_stat_show,			\
		},							\
		.offset = offsetof(struct rmem_heap_stats, _name),	\
	}

static RMEM_HEAP_STAT_ATTR(size);
static RMEM_HEAP_STAT_ATTR(used);
static RMEM_HEAP_STAT_ATTR(free);
static RMEM_HEAP_STAT_ATTR(largest_free);
static RMEM_HEAP_STAT_ATTR(buffers);
static RMEM_HEAP_STAT_ATTR(peak_used);
static RMEM_HEAP_STAT_ATTR(failed);
static RMEM_HEAP_STAT_ATTR(kept);
static RMEM_HEAP_STAT_ATTR(slabs);

/* not a stats figure: those are taken after zeroing what is pending */
static ssize_t zero_pending_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct rmem_heap *heap = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)rmem_heap_zero_pending(heap->pool));
}
static DEVICE_ATTR_RO(zero_pending);

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct rmem_heap *heap = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", rmem_heap_type_name(heap->pool->type));
}
static DEVICE_ATTR_RO(type);

static ssize_t policy_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct rmem_heap *heap = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", rmem_heap_policy_name(heap->policy));
}
static DEVICE_ATTR_RO(policy);

static struct attribute *rmem_heap_attrs[] = {
	&rmem_heap_stat_size.attr.attr,
	&rmem_heap_stat_used.attr.attr,
	&rmem_heap_stat_free.attr.attr,
	&rmem_heap_stat_largest_free.attr.attr,
	&rmem_heap_stat_buffers.attr.attr,
	&rmem_heap_stat_peak_used.attr.attr,
	&rmem_heap_stat_failed.attr.attr,
	&dev_attr_zero_pending.attr,
	&rmem_heap_stat_kept.attr.attr,
	&rmem_heap_stat_slabs.attr.attr,
	&dev_attr_type.attr,
	&dev_attr_policy.attr,
	NULL,
};
ATTRIBUTE_GROUPS(rmem_heap);

static char *rmem_heap_devnode(RMEM_HEAP_DEVNODE_DEV *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dma_heap/%s", dev_name(dev));
}

/**
 * rmem_heap_sysfs_init() - create the "rmem_heap" class
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_sysfs_init(void)
{
	struct class *cls;

	cls = rmem_heap_class_create("rmem_heap");
	if (IS_ERR(cls))
		return PTR_ERR(cls);

	cls->dev_groups = rmem_heap_groups;
	cls->devnode = rmem_heap_devnode;
	rmem_heap_class = cls;
	return 0;
}

/**
 * rmem_heap_sysfs_exit() - destroy the "rmem_heap" class
 */
void rmem_heap_sysfs_exit(void)
{
	class_destroy(rmem_heap_class);
	rmem_heap_class = NULL;
}

/**
 * rmem_heap_sysfs_init_dev() - initialise the class device of a heap
 * @heap:    the heap (its name becomes the device name)
 * @parent:  the platform device
 * @release: release callback of the device
 *
 * The device is embedded in @heap.  Once this has been called, drop it
 * with put_device() (even on failure), which ends in @release.
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_sysfs_init_dev(struct rmem_heap *heap, struct device *parent,
			     void (*release)(struct device *dev))
{
	struct device *dev = &heap->dev;

	device_initialize(dev);
	dev->class = rmem_heap_class;
	dev->parent = parent;
	dev->release = release;
	dev_set_drvdata(dev, heap);
	return dev_set_name(dev, "%s", heap->name);
}

/**
 * rmem_heap_sysfs_add() - add the class device of a heap without a node
 * @heap: the heap, its device set up by rmem_heap_sysfs_init_dev()
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_sysfs_add(struct rmem_heap *heap)
{
	return device_add(&heap->dev);
}

/**
 * rmem_heap_sysfs_del() - remove the class device added by
 * rmem_heap_sysfs_add()
 * @heap: the heap; its device still needs put_device()
 */
void rmem_heap_sysfs_del(struct rmem_heap *heap)
{
	device_del(&heap->dev);
}

/**
 * rmem_heap_find() - look a heap up by name
 * @name: the heap's name
 *
 * Return: the heap with a reference on its device (put_device(&heap->dev)
 * when done), or NULL if no heap of this driver has that name.
 */
struct rmem_heap *rmem_heap_find(const char *name)
{
	struct device *dev;

	dev = class_find_device_by_name(rmem_heap_class, name);
	return dev ? container_of(dev, struct rmem_heap, dev) : NULL;
}
