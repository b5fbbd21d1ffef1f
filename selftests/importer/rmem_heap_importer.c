// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_importer - a test importer of dma-bufs for the rmem-heap lab.
 *
 * /dev/rmem_heap_importer creates test DMA devices (platform devices with
 * no firmware node, so dma-direct, a chosen DMA mask and coherency) and
 * imports dma-bufs into them as a device driver would: dma_buf_attach(),
 * dma_buf_map_attachment(), and CPU access bracketed by
 * dma_buf_begin_cpu_access()/dma_buf_end_cpu_access() through
 * dma_buf_vmap().  A memcpy-capable dmaengine channel can stand in for a
 * test device: buffers are then mapped for the engine's own device and the
 * engine copies between them.  The ABI is rmem_heap_importer.h.  What an
 * open file created is undone when it is closed.
 *
 * Kernel differences are decided by rmem_heap_importer_config.h, which
 * gen-config.sh writes from the target kernel's headers and Module.symvers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-direction.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/overflow.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "rmem_heap_importer_config.h"
#include "rmem_heap_importer.h"

#if !RHI_HAVE_IOSYS_MAP
#error "rmem_heap_importer needs <linux/iosys-map.h> (Linux 5.18 or later)"
#endif
#include <linux/iosys-map.h>

/* kzalloc_obj() (7.x); older kernels get the plain equivalent */
#if !RHI_HAVE_KZALLOC_OBJ
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

#define RHI_DEV_NAME		"rmem-heap-importer"
#define RHI_MAX_DEVS		16	/* per open file */
#define RHI_MAX_ATTACHMENTS	256	/* per open file */
#define RHI_BOUNCE		4096	/* CHECK of an I/O memory mapping */
#define RHI_DMA_CHUNK		SZ_1M	/* bytes per memcpy descriptor */
#define RHI_DMA_TIMEOUT_MS	5000

/**
 * struct rhi_dev - a test DMA device, or a DMA channel's device
 * @node: entry in &rhi_file.devs
 * @id:   its id for user space
 * @dev:  the device buffers are attached to
 * @pdev: the platform device we registered (NULL for a channel)
 * @chan: the channel (NULL for a test device)
 */
struct rhi_dev {
	struct list_head node;
	u32 id;
	struct device *dev;
	struct platform_device *pdev;
	struct dma_chan *chan;
};

/**
 * struct rhi_att - one attachment of a dma-buf to a test device
 * @node:   entry in &rhi_file.atts
 * @id:     its id for user space
 * @dev:    the device it is attached to
 * @dmabuf: the buffer (a reference of our own)
 * @attach: the attachment
 * @sgt:    the mapping, NULL while unmapped
 * @dir:    the mapping's direction
 */
struct rhi_att {
	struct list_head node;
	u32 id;
	struct rhi_dev *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

/**
 * struct rhi_file - what one open file created
 * @lock:    serialises the ioctls of the file
 * @devs:    its devices
 * @atts:    its attachments, newest first
 * @ndevs:   number of @devs
 * @natts:   number of @atts
 * @next_id: the next id handed out (devices and attachments share them)
 */
struct rhi_file {
	struct mutex lock;	/* serialises the ioctls of the file */
	struct list_head devs;
	struct list_head atts;
	unsigned int ndevs;
	unsigned int natts;
	u32 next_id;
};

#if RHI_IMPORT_NS_STRING
MODULE_IMPORT_NS("DMA_BUF");
#else
MODULE_IMPORT_NS(DMA_BUF);
#endif

static struct sg_table *rhi_map_attachment(struct dma_buf_attachment *attach,
					   enum dma_data_direction dir)
{
#if RHI_HAVE_MAP_UNLOCKED
	return dma_buf_map_attachment_unlocked(attach, dir);
#else
	return dma_buf_map_attachment(attach, dir);
#endif
}

static void rhi_unmap_attachment(struct dma_buf_attachment *attach,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
#if RHI_HAVE_MAP_UNLOCKED
	dma_buf_unmap_attachment_unlocked(attach, sgt, dir);
#else
	dma_buf_unmap_attachment(attach, sgt, dir);
#endif
}

static int rhi_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
#if RHI_HAVE_VMAP_UNLOCKED
	return dma_buf_vmap_unlocked(dmabuf, map);
#else
	return dma_buf_vmap(dmabuf, map);
#endif
}

static void rhi_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
#if RHI_HAVE_VMAP_UNLOCKED
	dma_buf_vunmap_unlocked(dmabuf, map);
#else
	dma_buf_vunmap(dmabuf, map);
#endif
}

/*
 * Make @dev coherent or not, as firmware's "dma-coherent" would through
 * arch_setup_dma_ops(): before its DMA mask is set, which is when 6.9+
 * kernels decide whether its syncs can be skipped.
 */
static void rhi_set_coherent(struct device *dev, bool coherent)
{
#if RHI_HAVE_DEV_FLAG_ACCESSORS
	dev_assign_dma_coherent(dev, coherent);
#elif RHI_HAVE_DMA_COHERENT_FIELD && \
	(defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	 defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	 defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL))
	dev->dma_coherent = coherent;
#endif
	/* otherwise every device is coherent here: the caller checks */
}

static struct rhi_dev *rhi_find_dev(struct rhi_file *f, u32 id)
{
	struct rhi_dev *d;

	list_for_each_entry(d, &f->devs, node)
		if (d->id == id)
			return d;
	return NULL;
}

static struct rhi_att *rhi_find_att(struct rhi_file *f, u32 id)
{
	struct rhi_att *a;

	list_for_each_entry(a, &f->atts, node)
		if (a->id == id)
			return a;
	return NULL;
}

static u32 rhi_new_id(struct rhi_file *f)
{
	if (!++f->next_id)	/* 0 is never an id */
		++f->next_id;
	return f->next_id;
}

static int rhi_dev_create(struct rhi_file *f, void *arg)
{
	struct rhi_dev_create *c = arg;
	bool coherent = c->flags & RHI_DEV_COHERENT;
	struct platform_device_info info = {
		.name = RHI_DEV_NAME,
		.id = PLATFORM_DEVID_AUTO,
	};
	struct platform_device *pdev;
	struct rhi_dev *d;
	int ret;

	if (c->flags & ~RHI_DEV_FLAGS || c->reserved)
		return -EINVAL;
	if (c->dma_bits != 32 && c->dma_bits != 64)
		return -EINVAL;
	if (f->ndevs >= RHI_MAX_DEVS)
		return -ENOSPC;

	d = kzalloc_obj(*d, GFP_KERNEL);
	if (!d)
		return -ENOMEM;

	info.dma_mask = DMA_BIT_MASK(c->dma_bits);
	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto free;
	}

	/* no driver binds it: nothing maps for it before this is done */
	rhi_set_coherent(&pdev->dev, coherent);
	if (dev_is_dma_coherent(&pdev->dev) != coherent) {
		ret = -EOPNOTSUPP;
		goto unregister;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(c->dma_bits));
	if (ret)
		goto unregister;
	/* contiguous memory then maps as one segment, not 64 KiB pieces */
	if (c->flags & RHI_DEV_LARGE_SEG)
		dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	d->pdev = pdev;
	d->dev = &pdev->dev;
	d->id = rhi_new_id(f);
	list_add(&d->node, &f->devs);
	f->ndevs++;

	c->dev_id = d->id;
	c->coherent = dev_is_dma_coherent(&pdev->dev);
	c->dma_mask = *pdev->dev.dma_mask;
	dev_dbg(&pdev->dev, "test device %u: %u-bit, %scoherent\n", d->id,
		c->dma_bits, coherent ? "" : "non-");
	return 0;

unregister:
	platform_device_unregister(pdev);
free:
	kfree(d);
	return ret;
}

static int rhi_attach(struct rhi_file *f, void *arg)
{
	struct rhi_attach *c = arg;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct rhi_dev *d;
	struct rhi_att *a;
	int ret;

	if (c->reserved)
		return -EINVAL;
	d = rhi_find_dev(f, c->dev_id);
	if (!d)
		return -ENOENT;
	if (f->natts >= RHI_MAX_ATTACHMENTS)
		return -ENOSPC;

	a = kzalloc_obj(*a, GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	dmabuf = dma_buf_get(c->fd);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free;
	}
	attach = dma_buf_attach(dmabuf, d->dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto put;
	}

	a->dev = d;
	a->dmabuf = dmabuf;
	a->attach = attach;
	a->id = rhi_new_id(f);
	list_add(&a->node, &f->atts);
	f->natts++;

	c->attach_id = a->id;
	c->size = dmabuf->size;
	return 0;

put:
	dma_buf_put(dmabuf);
free:
	kfree(a);
	return ret;
}

static int rhi_map(struct rhi_file *f, void *arg)
{
	struct rhi_map *c = arg;
	struct scatterlist *sg;
	struct sg_table *sgt;
	struct rhi_att *a;
	u64 length = 0;
	unsigned int i;

	if (c->reserved)
		return -EINVAL;
	if (c->dir != RHI_DIR_BIDIRECTIONAL && c->dir != RHI_DIR_TO_DEVICE &&
	    c->dir != RHI_DIR_FROM_DEVICE)
		return -EINVAL;
	a = rhi_find_att(f, c->attach_id);
	if (!a)
		return -ENOENT;
	if (a->sgt)
		return -EBUSY;

	sgt = rhi_map_attachment(a->attach, (enum dma_data_direction)c->dir);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	a->sgt = sgt;
	a->dir = (enum dma_data_direction)c->dir;

	for_each_sgtable_dma_sg(sgt, sg, i)
		length += sg_dma_len(sg);
	c->nents = sgt->nents;
	c->dma_addr = sgt->nents ? sg_dma_address(sgt->sgl) : 0;
	c->first_len = sgt->nents ? sg_dma_len(sgt->sgl) : 0;
	c->length = length;
	return 0;
}

static void rhi_unmap_att(struct rhi_att *a)
{
	rhi_unmap_attachment(a->attach, a->sgt, a->dir);
	a->sgt = NULL;
}

static int rhi_unmap(struct rhi_file *f, void *arg)
{
	struct rhi_id *c = arg;
	struct rhi_att *a;

	if (c->reserved)
		return -EINVAL;
	a = rhi_find_att(f, c->id);
	if (!a)
		return -ENOENT;
	if (!a->sgt)
		return -EINVAL;
	rhi_unmap_att(a);
	return 0;
}

static void rhi_detach_att(struct rhi_file *f, struct rhi_att *a)
{
	dma_buf_detach(a->dmabuf, a->attach);
	dma_buf_put(a->dmabuf);
	list_del(&a->node);
	f->natts--;
	kfree(a);
}

static int rhi_detach(struct rhi_file *f, void *arg)
{
	struct rhi_id *c = arg;
	struct rhi_att *a;

	if (c->reserved)
		return -EINVAL;
	a = rhi_find_att(f, c->id);
	if (!a)
		return -ENOENT;
	if (a->sgt)
		return -EBUSY;
	rhi_detach_att(f, a);
	return 0;
}

/* The first byte of [off, off + len) of @map that is not @byte, or len. */
static size_t rhi_compare(struct iosys_map *map, size_t off, size_t len,
			  u8 byte, u8 *found)
{
	size_t pos, n;
	u8 *bounce, *p;

	if (!map->is_iomem) {
		p = memchr_inv((u8 *)map->vaddr + off, byte, len);
		if (!p)
			return len;
		*found = *p;
		return p - ((u8 *)map->vaddr + off);
	}

	bounce = kmalloc(RHI_BOUNCE, GFP_KERNEL);
	if (!bounce)
		return SIZE_MAX;
	for (pos = 0; pos < len; pos += n) {
		n = min_t(size_t, len - pos, RHI_BOUNCE);
		iosys_map_memcpy_from(bounce, map, off + pos, n);
		p = memchr_inv(bounce, byte, n);
		if (p) {
			*found = *p;
			pos += p - bounce;
			break;
		}
	}
	kfree(bounce);
	return min(pos, len);
}

static int rhi_cpu(struct rhi_file *f, void *arg)
{
	struct rhi_cpu *c = arg;
	enum dma_data_direction dir;
	struct iosys_map map;
	struct dma_buf *dmabuf;
	size_t bad;
	u8 found = 0;
	int ret, ret2;

	if (c->reserved || c->byte > 0xff || !c->length)
		return -EINVAL;
	if (c->op == RHI_CPU_FILL)
		dir = DMA_TO_DEVICE;
	else if (c->op == RHI_CPU_CHECK)
		dir = DMA_FROM_DEVICE;
	else
		return -EINVAL;

	dmabuf = dma_buf_get(c->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	ret = -EINVAL;
	if (c->offset > dmabuf->size || c->length > dmabuf->size - c->offset)
		goto put;

	ret = dma_buf_begin_cpu_access(dmabuf, dir);
	if (ret)
		goto put;
	ret = rhi_vmap(dmabuf, &map);
	if (ret)
		goto end;

	if (c->op == RHI_CPU_FILL) {
		iosys_map_memset(&map, c->offset, c->byte, c->length);
	} else {
		bad = rhi_compare(&map, c->offset, c->length, c->byte, &found);
		if (bad == SIZE_MAX) {
			ret = -ENOMEM;
		} else if (bad < c->length) {
			c->bad_offset = c->offset + bad;
			c->found = found;
			ret = -EILSEQ;
		}
	}
	rhi_vunmap(dmabuf, &map);
end:
	ret2 = dma_buf_end_cpu_access(dmabuf, dir);
	if (!ret)
		ret = ret2;
put:
	dma_buf_put(dmabuf);
	return ret;
}

/* Fill or check len bytes at physical address phys (mapping offset off). */
static int rhi_dev_range(phys_addr_t phys, size_t len, struct rhi_dev_access *c,
			 u64 off)
{
	u8 *p, *bad;

	p = memremap(phys, len, MEMREMAP_WB);
	if (!p)
		return -ENOMEM;
	if (c->op == RHI_CPU_FILL) {
		memset(p, c->byte, len);
	} else {
		bad = memchr_inv(p, c->byte, len);
		if (bad) {
			c->bad_offset = off + (bad - p);
			c->found = *bad;
		}
	}
	memunmap(p);
	return c->op == RHI_CPU_CHECK && c->found != c->byte ? -EILSEQ : 0;
}

static int rhi_dev_access(struct rhi_file *f, void *arg)
{
	struct rhi_dev_access *c = arg;
	struct scatterlist *sg;
	u64 pos = 0, end;
	struct rhi_att *a;
	struct device *dev;
	unsigned int i;
	int ret;

	if (c->reserved || c->byte > 0xff || !c->length ||
	    (c->op != RHI_CPU_FILL && c->op != RHI_CPU_CHECK))
		return -EINVAL;
	a = rhi_find_att(f, c->attach_id);
	if (!a)
		return -ENOENT;
	if (!a->sgt)
		return -EINVAL;
	dev = a->dev->dev;
	/* DMA addresses are physical addresses only without an IOMMU */
	if (device_iommu_mapped(dev))
		return -EOPNOTSUPP;
	if (check_add_overflow(c->offset, c->length, &end))
		return -EINVAL;
	c->found = c->byte;

	for_each_sgtable_dma_sg(a->sgt, sg, i) {
		u64 from = max(pos, c->offset);
		u64 to = min(pos + sg_dma_len(sg), end);

		if (from < to) {
			ret = rhi_dev_range(dma_to_phys(dev, sg_dma_address(sg) +
							(from - pos)),
					    to - from, c, from);
			if (ret)
				return ret;
		}
		pos += sg_dma_len(sg);
	}
	return end > pos ? -EINVAL : 0;
}

static int rhi_dma_chan(struct rhi_file *f, void *arg)
{
	struct rhi_dma_chan *c = arg;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	struct rhi_dev *d;

	if (c->flags || c->reserved)
		return -EINVAL;
	if (f->ndevs >= RHI_MAX_DEVS)
		return -ENOSPC;
	d = kzalloc_obj(*d, GFP_KERNEL);
	if (!d)
		return -ENOMEM;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(chan)) {
		kfree(d);
		/* -EPROBE_DEFER (no DMA device registered at all) is no errno */
		return PTR_ERR(chan) == -EPROBE_DEFER ? -ENODEV : PTR_ERR(chan);
	}
	d->chan = chan;
	d->dev = chan->device->dev;
	d->id = rhi_new_id(f);
	list_add(&d->node, &f->devs);
	f->ndevs++;

	c->dev_id = d->id;
	c->coherent = dev_is_dma_coherent(d->dev);
	c->dma_mask = d->dev->dma_mask ? *d->dev->dma_mask : 0;
	strscpy(c->name, dma_chan_name(chan), sizeof(c->name));
	return 0;
}

static u64 rhi_sgt_len(struct sg_table *sgt)
{
	struct scatterlist *s;
	unsigned int i;
	u64 len = 0;

	for_each_sgtable_dma_sg(sgt, s, i)
		len += sg_dma_len(s);
	return len;
}

/* A position inside a mapping: segment @sg, @off bytes into it. */
static void rhi_seek(struct sg_table *sgt, u64 offset, struct scatterlist **sg,
		     u64 *off)
{
	struct scatterlist *s;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, s, i) {
		if (offset < sg_dma_len(s))
			break;
		offset -= sg_dma_len(s);
	}
	*sg = s;
	*off = offset;
}

static void rhi_dma_done(void *arg)
{
	complete(arg);
}

/* One descriptor: copy @len bytes, wait for it and check its status. */
static int rhi_dma_one(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		       size_t len, unsigned long timeout)
{
	struct dma_async_tx_descriptor *tx;
	DECLARE_COMPLETION_ONSTACK(done);
	dma_cookie_t cookie;

	tx = dmaengine_prep_dma_memcpy(chan, dst, src, len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -ENOMEM;
	tx->callback = rhi_dma_done;
	tx->callback_param = &done;
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie))
		return -EIO;
	dma_async_issue_pending(chan);
	if (!wait_for_completion_timeout(&done, timeout)) {
		/* the callback must not run once our stack frame is gone */
		dmaengine_terminate_sync(chan);
		return -ETIMEDOUT;
	}
	if (dma_async_is_tx_complete(chan, cookie, NULL, NULL) != DMA_COMPLETE)
		return -EIO;
	return 0;
}

static int rhi_dma_copy(struct rhi_file *f, void *arg)
{
	struct rhi_dma_copy *c = arg;
	struct scatterlist *ssg, *dsg;
	struct rhi_att *src, *dst;
	u64 soff, doff, done, n, end;
	unsigned long timeout;
	int ret;

	if (c->reserved || !c->length)
		return -EINVAL;
	dst = rhi_find_att(f, c->dst_id);
	src = rhi_find_att(f, c->src_id);
	if (!dst || !src)
		return -ENOENT;
	if (!dst->sgt || !src->sgt || !dst->dev->chan || src->dev != dst->dev)
		return -EINVAL;
	if (dst->dir == DMA_TO_DEVICE || src->dir == DMA_FROM_DEVICE)
		return -EINVAL;
	if (check_add_overflow(c->dst_offset, c->length, &end) ||
	    check_add_overflow(c->src_offset, c->length, &end))
		return -EINVAL;
	if (src == dst && c->src_offset < c->dst_offset + c->length &&
	    c->dst_offset < c->src_offset + c->length)
		return -EINVAL;
	if (c->src_offset + c->length > rhi_sgt_len(src->sgt) ||
	    c->dst_offset + c->length > rhi_sgt_len(dst->sgt))
		return -EINVAL;
	rhi_seek(src->sgt, c->src_offset, &ssg, &soff);
	rhi_seek(dst->sgt, c->dst_offset, &dsg, &doff);

	timeout = msecs_to_jiffies(c->timeout_ms ?: RHI_DMA_TIMEOUT_MS);
	c->descs = 0;
	for (done = 0; done < c->length; done += n) {
		n = min3(c->length - done, (u64)sg_dma_len(ssg) - soff,
			 (u64)sg_dma_len(dsg) - doff);
		n = min_t(u64, n, RHI_DMA_CHUNK);
		ret = rhi_dma_one(dst->dev->chan, sg_dma_address(dsg) + doff,
				  sg_dma_address(ssg) + soff, n, timeout);
		if (ret)
			return ret;
		c->descs++;
		soff += n;
		doff += n;
		if (soff == sg_dma_len(ssg) && done + n < c->length) {
			ssg = sg_next(ssg);
			soff = 0;
		}
		if (doff == sg_dma_len(dsg) && done + n < c->length) {
			dsg = sg_next(dsg);
			doff = 0;
		}
	}
	return 0;
}

/**
 * struct rhi_cmd - one ioctl
 * @cmd: its number, which encodes the struct's size and direction
 * @fn:  the handler, called with the file's lock held
 */
struct rhi_cmd {
	unsigned int cmd;
	int (*fn)(struct rhi_file *f, void *arg);
};

static const struct rhi_cmd rhi_cmds[] = {
	{ RHI_IOC_DEV_CREATE, rhi_dev_create },
	{ RHI_IOC_ATTACH, rhi_attach },
	{ RHI_IOC_MAP, rhi_map },
	{ RHI_IOC_UNMAP, rhi_unmap },
	{ RHI_IOC_DETACH, rhi_detach },
	{ RHI_IOC_CPU, rhi_cpu },
	{ RHI_IOC_DEV_ACCESS, rhi_dev_access },
	{ RHI_IOC_DMA_CHAN, rhi_dma_chan },
	{ RHI_IOC_DMA_COPY, rhi_dma_copy },
};

union rhi_args {
	struct rhi_dev_create dev_create;
	struct rhi_attach attach;
	struct rhi_map map;
	struct rhi_id id;
	struct rhi_cpu cpu;
	struct rhi_dev_access dev_access;
	struct rhi_dma_chan dma_chan;
	struct rhi_dma_copy dma_copy;
};

static long rhi_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rhi_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct rhi_cmd *c;
	union rhi_args u;
	unsigned int i;
	int ret;

	if (_IOC_TYPE(cmd) != RHI_IOC_MAGIC)
		return -ENOTTY;
	for (i = 0; i < ARRAY_SIZE(rhi_cmds); i++)
		if (_IOC_NR(rhi_cmds[i].cmd) == _IOC_NR(cmd))
			break;
	if (i == ARRAY_SIZE(rhi_cmds))
		return -ENOTTY;
	c = &rhi_cmds[i];
	/* a known command with another size or direction than its struct's */
	if (_IOC_SIZE(cmd) != _IOC_SIZE(c->cmd) || cmd != c->cmd)
		return -EINVAL;
	if (copy_from_user(&u, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	mutex_lock(&f->lock);
	ret = c->fn(f, &u);
	mutex_unlock(&f->lock);

	/* a CHECK that failed still says where */
	if ((!ret || ret == -EILSEQ) && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &u, _IOC_SIZE(cmd)))
		return -EFAULT;
	return ret;
}

static int rhi_open(struct inode *inode, struct file *file)
{
	struct rhi_file *f;

	f = kzalloc_obj(*f, GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	INIT_LIST_HEAD(&f->devs);
	INIT_LIST_HEAD(&f->atts);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

/* Undo everything the file made: mappings, attachments, then devices. */
static int rhi_release(struct inode *inode, struct file *file)
{
	struct rhi_file *f = file->private_data;
	struct rhi_att *a, *an;
	struct rhi_dev *d, *dn;

	list_for_each_entry_safe(a, an, &f->atts, node) {
		if (a->sgt)
			rhi_unmap_att(a);
		rhi_detach_att(f, a);
	}
	list_for_each_entry_safe(d, dn, &f->devs, node) {
		list_del(&d->node);
		if (d->chan)
			dma_release_channel(d->chan);
		else
			platform_device_unregister(d->pdev);
		kfree(d);
	}
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations rhi_fops = {
	.owner = THIS_MODULE,
	.open = rhi_open,
	.release = rhi_release,
	.unlocked_ioctl = rhi_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice rhi_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "rmem_heap_importer",
	.fops = &rhi_fops,
};

module_misc_device(rhi_misc);

MODULE_DESCRIPTION("rmem-heap lab: test importer of dma-bufs");
MODULE_LICENSE("GPL");
