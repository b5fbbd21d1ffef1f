// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: the control device /dev/rmem_heap (include/uapi/linux/
 * rmem_heap.h): heap figures by name, CPU access brackets over part of a
 * buffer, and a buffer's bus address for user-space drivers of DMA
 * engines.  A misc device of its own, so that it works in both
 * registration modes: in dma-heap mode the /dev/dma_heap nodes belong to
 * the kernel's framework.
 */

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/rmem_heap.h>

#include "rmem_heap.h"

static bool bus_addr;
module_param(bus_addr, bool, 0644);
MODULE_PARM_DESC(bus_addr,
		 "let CAP_SYS_RAWIO callers read a buffer's bus address (RMEM_HEAP_IOC_BUS_ADDR); off by default: an address lets user space aim a DMA engine at any memory");

/* The uAPI promises one layout for 32- and 64-bit callers. */
static_assert(sizeof(struct rmem_heap_info) == 128);
static_assert(offsetof(struct rmem_heap_info, region_size) == 48);
static_assert(offsetof(struct rmem_heap_info, reserved) == 112);
static_assert(sizeof(struct rmem_heap_cpu_access) == 32);
static_assert(offsetof(struct rmem_heap_cpu_access, offset) == 8);
static_assert(sizeof(struct rmem_heap_bus_addr) == 32);
static_assert(offsetof(struct rmem_heap_bus_addr, addr) == 8);
static_assert(RMEM_HEAP_NAME_LEN == RMEM_HEAP_NAME_MAX);

static bool rmem_heap_ctl_zero(const void *p, size_t size)
{
	return !memchr_inv(p, 0, size);
}

static long rmem_heap_ctl_info(struct rmem_heap_info *info)
{
	struct rmem_heap_stats stats;
	struct rmem_heap_pool *pool;
	struct rmem_heap *heap;

	if (info->flags || !rmem_heap_ctl_zero(info->reserved,
					       sizeof(info->reserved)))
		return -EINVAL;
	if (!memchr(info->name, '\0', sizeof(info->name)) || !info->name[0])
		return -EINVAL;

	heap = rmem_heap_find(info->name);
	if (!heap)
		return -ENOENT;
	pool = heap->pool;

	rmem_heap_pool_stats(pool, &stats);
	info->region_type = pool->type == RMEM_HEAP_REUSABLE ?
			    RMEM_HEAP_REGION_REUSABLE : RMEM_HEAP_REGION_NOMAP;
	switch (heap->policy) {
	case RMEM_HEAP_UNCACHED:
		info->cache_policy = RMEM_HEAP_POLICY_UNCACHED;
		break;
	case RMEM_HEAP_COHERENT:
		info->cache_policy = RMEM_HEAP_POLICY_COHERENT;
		break;
	default:
		info->cache_policy = RMEM_HEAP_POLICY_CACHED;
		break;
	}
	info->granule = pool->type == RMEM_HEAP_NOMAP ? pool->alloc.granule :
			PAGE_SIZE;
	info->region_size = stats.size;
	info->used = stats.used;
	info->free = stats.free;
	info->largest_free = stats.largest_free;
	info->pending_zero = stats.pending_zero;
	info->buffers = stats.buffers;
	info->peak_used = stats.peak_used;
	info->failed = stats.failed;
	put_device(&heap->dev);
	return 0;
}

/* A dma-buf of ours by fd, with a file reference; an ERR_PTR() if not. */
static struct dma_buf *rmem_heap_ctl_get_buf(int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);

	if (IS_ERR(dmabuf))
		return dmabuf;
	if (!rmem_heap_buffer_of(dmabuf)) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	return dmabuf;
}

static long rmem_heap_ctl_cpu_access(struct rmem_heap_cpu_access *acc)
{
	enum dma_data_direction dir;
	struct dma_buf *dmabuf;
	long ret;

	if (acc->flags & ~RMEM_HEAP_ACCESS_VALID_FLAGS || acc->reserved)
		return -EINVAL;
	switch (acc->flags & RMEM_HEAP_ACCESS_RW) {
	case RMEM_HEAP_ACCESS_READ:
		dir = DMA_FROM_DEVICE;
		break;
	case RMEM_HEAP_ACCESS_WRITE:
		dir = DMA_TO_DEVICE;
		break;
	case RMEM_HEAP_ACCESS_RW:
		dir = DMA_BIDIRECTIONAL;
		break;
	default:
		return -EINVAL;
	}
	if (!acc->length)
		return -EINVAL;

	dmabuf = rmem_heap_ctl_get_buf(acc->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (acc->offset >= dmabuf->size ||
	    acc->length > dmabuf->size - acc->offset) {
		ret = -EINVAL;
		goto put_buf;
	}
	ret = rmem_heap_buffer_cpu_access(dmabuf, acc->offset, acc->length,
					  dir, !(acc->flags &
						 RMEM_HEAP_ACCESS_END));
put_buf:
	dma_buf_put(dmabuf);
	return ret;
}

static long rmem_heap_ctl_bus_addr(struct rmem_heap_bus_addr *ba)
{
	struct rmem_heap_buffer *buffer;
	struct dma_buf *dmabuf;

	if (ba->flags || ba->reserved)
		return -EINVAL;
	if (!READ_ONCE(bus_addr))
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;

	dmabuf = rmem_heap_ctl_get_buf(ba->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	buffer = rmem_heap_buffer_of(dmabuf);
	ba->addr = phys_to_dma(buffer->pool->dev, buffer->phys);
	ba->size = buffer->size;
	dma_buf_put(dmabuf);
	return 0;
}

/**
 * struct rmem_heap_ctl_cmd - one ioctl of the control device
 * @cmd: the ioctl number, which carries the struct's size and direction
 */
struct rmem_heap_ctl_cmd {
	unsigned int cmd;
};

static const struct rmem_heap_ctl_cmd rmem_heap_ctl_cmds[] = {
	{ RMEM_HEAP_IOC_INFO },
	{ RMEM_HEAP_IOC_CPU_ACCESS },
	{ RMEM_HEAP_IOC_BUS_ADDR },
};

/*
 * The struct's size is part of the ioctl number: a caller's struct may be
 * larger than ours (a newer header) if the extra bytes are zero (E2BIG
 * otherwise, as copy_struct_from_user() decides), never smaller.
 */
static long rmem_heap_ctl_ioctl(struct file *file, unsigned int ucmd,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(ucmd);
	unsigned int kcmd, ksize, usize;
	union {
		struct rmem_heap_info info;
		struct rmem_heap_cpu_access acc;
		struct rmem_heap_bus_addr ba;
	} k;
	long ret;

	if (_IOC_TYPE(ucmd) != RMEM_HEAP_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(rmem_heap_ctl_cmds))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(rmem_heap_ctl_cmds));
	kcmd = rmem_heap_ctl_cmds[nr].cmd;
	if (_IOC_DIR(ucmd) != _IOC_DIR(kcmd))
		return -ENOTTY;

	ksize = _IOC_SIZE(kcmd);
	usize = _IOC_SIZE(ucmd);
	if (usize < ksize)
		return -EINVAL;
	ret = copy_struct_from_user(&k, ksize, uarg, usize);
	if (ret)
		return ret;

	switch (kcmd) {
	case RMEM_HEAP_IOC_INFO:
		ret = rmem_heap_ctl_info(&k.info);
		break;
	case RMEM_HEAP_IOC_CPU_ACCESS:
		ret = rmem_heap_ctl_cpu_access(&k.acc);
		break;
	case RMEM_HEAP_IOC_BUS_ADDR:
		ret = rmem_heap_ctl_bus_addr(&k.ba);
		break;
	default:
		ret = -ENOTTY;
		break;
	}

	if (!ret && (_IOC_DIR(kcmd) & _IOC_READ) &&
	    copy_to_user(uarg, &k, ksize))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations rmem_heap_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = rmem_heap_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice rmem_heap_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = RMEM_HEAP_CONTROL_NODE,
	.fops = &rmem_heap_ctl_fops,
};

/**
 * rmem_heap_ctl_init() - register the control device /dev/rmem_heap
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_ctl_init(void)
{
	return misc_register(&rmem_heap_ctl_dev);
}

/**
 * rmem_heap_ctl_exit() - unregister the control device
 */
void rmem_heap_ctl_exit(void)
{
	misc_deregister(&rmem_heap_ctl_dev);
}
