// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: the dma-heap user ABI for kernels that do not export
 * dma_heap_add(): a char device /dev/dma_heap/<name> per heap answering
 * DMA_HEAP_IOCTL_ALLOC exactly like drivers/dma-buf/dma-heap.c, including
 * its tolerance of smaller and larger argument structs.
 *
 * The fd is reserved before the buffer is built and installed only after
 * the result has reached user space, so a faulting caller leaks nothing.
 */

#include <linux/cdev.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/dma-heap.h>

#include "rmem_heap.h"

static dev_t rmem_heap_devt_base;
static DEFINE_IDA(rmem_heap_minors);

/*
 * The open file holds the cdev, which holds the heap's device (its parent,
 * see cdev_device_add()), which holds the heap and its pool.
 */
static int rmem_heap_cdev_open(struct inode *inode, struct file *file)
{
	file->private_data = container_of(inode->i_cdev, struct rmem_heap,
					  cdev);
	return nonseekable_open(inode, file);
}

/*
 * A failed allocation's errno, as the framework of this kernel answers it:
 * where it writes the argument back regardless (6.1), a failing write
 * turns the error into -EFAULT.
 */
static long rmem_heap_cdev_failed(long err,
				  struct dma_heap_allocation_data *data,
				  void __user *uarg, unsigned int out_size)
{
	if (RMEM_HEAP_ALLOC_COPIES_BACK_ON_ERROR &&
	    copy_to_user(uarg, data, out_size))
		return -EFAULT;
	return err;
}

static long rmem_heap_cdev_alloc(struct rmem_heap *heap,
				 struct dma_heap_allocation_data *data,
				 void __user *uarg, unsigned int out_size)
{
	struct dma_buf *dmabuf;
	size_t len;
	int fd;

	if (data->fd ||
	    data->fd_flags & ~DMA_HEAP_VALID_FD_FLAGS ||
	    data->heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return rmem_heap_cdev_failed(-EINVAL, data, uarg, out_size);
	/* as the framework: a size_t, page aligned; wrapping to 0 is EINVAL */
	len = PAGE_ALIGN((size_t)data->len);
	if (!len)
		return rmem_heap_cdev_failed(-EINVAL, data, uarg, out_size);
	/*
	 * Not as the framework: a 32-bit kernel's would allocate the low 32
	 * bits of a larger length, a silently wrong buffer.
	 */
	if (data->len > SIZE_MAX)
		return rmem_heap_cdev_failed(-ENOMEM, data, uarg, out_size);

	fd = get_unused_fd_flags(data->fd_flags);
	if (fd < 0)
		return rmem_heap_cdev_failed(fd, data, uarg, out_size);

	dmabuf = rmem_heap_buffer_alloc(heap, len, data->fd_flags);
	if (IS_ERR(dmabuf)) {
		put_unused_fd(fd);
		return rmem_heap_cdev_failed(PTR_ERR(dmabuf), data, uarg,
					     out_size);
	}

	data->fd = fd;
	if (copy_to_user(uarg, data, out_size)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}

	rmem_heap_fd_install(dmabuf, fd);
	return 0;
}

static const unsigned int rmem_heap_ioctl_cmds[] = {
	DMA_HEAP_IOCTL_ALLOC,
};

static long rmem_heap_cdev_ioctl(struct file *file, unsigned int ucmd,
				 unsigned long arg)
{
	struct rmem_heap *heap = file->private_data;
	unsigned int in_size, out_size, drv_size, ksize;
	void __user *uarg = (void __user *)arg;
	char stack_kdata[128] __aligned(8);
	char *kdata = stack_kdata;
	unsigned int kcmd;
	unsigned int nr = _IOC_NR(ucmd);
	long ret;

	if (nr >= ARRAY_SIZE(rmem_heap_ioctl_cmds))
		return -EINVAL;
	nr = array_index_nospec(nr, ARRAY_SIZE(rmem_heap_ioctl_cmds));
	/* the framework looks at the number only, not the type: so do we */
	kcmd = rmem_heap_ioctl_cmds[nr];

	/* the delta between the caller's and our idea of the struct */
	drv_size = _IOC_SIZE(kcmd);
	out_size = _IOC_SIZE(ucmd);
	in_size = out_size;
	if ((ucmd & kcmd & IOC_IN) == 0)
		in_size = 0;
	if ((ucmd & kcmd & IOC_OUT) == 0)
		out_size = 0;
	ksize = max(max(in_size, out_size), drv_size);

	if (ksize > sizeof(stack_kdata)) {
		kdata = kmalloc(ksize, GFP_KERNEL);
		if (!kdata)
			return -ENOMEM;
	}

	if (copy_from_user(kdata, uarg, in_size)) {
		ret = -EFAULT;
		goto free_kdata;
	}
	/* zero out whatever the caller did not provide */
	if (ksize > in_size)
		memset(kdata + in_size, 0, ksize - in_size);

	switch (kcmd) {
	case DMA_HEAP_IOCTL_ALLOC:
		ret = rmem_heap_cdev_alloc(heap, (void *)kdata, uarg,
					   out_size);
		break;
	default:
		ret = -ENOTTY;
		break;
	}

free_kdata:
	if (kdata != stack_kdata)
		kfree(kdata);
	return ret;
}

static const struct file_operations rmem_heap_cdev_fops = {
	.owner = THIS_MODULE,
	.open = rmem_heap_cdev_open,
	.unlocked_ioctl = rmem_heap_cdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * rmem_heap_cdev_init() - reserve the char device numbers
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_cdev_init(void)
{
	return alloc_chrdev_region(&rmem_heap_devt_base, 0,
				   RMEM_HEAP_MAX_HEAPS, "rmem_heap");
}

/**
 * rmem_heap_cdev_exit() - release the char device numbers
 */
void rmem_heap_cdev_exit(void)
{
	unregister_chrdev_region(rmem_heap_devt_base, RMEM_HEAP_MAX_HEAPS);
	ida_destroy(&rmem_heap_minors);
}

/**
 * rmem_heap_cdev_add() - add the char device and class device of a heap
 * @heap: the heap, its device set up by rmem_heap_sysfs_init_dev()
 *
 * Return: 0 or a negative errno.
 */
int rmem_heap_cdev_add(struct rmem_heap *heap)
{
	int minor, ret;

	minor = ida_alloc_max(&rmem_heap_minors, RMEM_HEAP_MAX_HEAPS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;

	cdev_init(&heap->cdev, &rmem_heap_cdev_fops);
	heap->cdev.owner = THIS_MODULE;
	heap->dev.devt = MKDEV(MAJOR(rmem_heap_devt_base), minor);
	ret = cdev_device_add(&heap->cdev, &heap->dev);
	if (ret)
		ida_free(&rmem_heap_minors, minor);
	return ret;
}

/**
 * rmem_heap_cdev_del() - remove the char device and class device of a heap
 * @heap: the heap; its device still needs put_device()
 *
 * Open files keep working until closed: they hold the heap's device (and
 * pin the module).
 */
void rmem_heap_cdev_del(struct rmem_heap *heap)
{
	cdev_device_del(&heap->cdev, &heap->dev);
	ida_free(&rmem_heap_minors, MINOR(heap->dev.devt));
}
