/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rmem_heap_importer - the ioctl ABI of the lab's test importer.
 *
 * /dev/rmem_heap_importer makes test DMA devices (platform devices with a
 * chosen DMA mask and coherency) and imports dma-bufs into them the way a
 * driver would: attach, map, unmap, detach, and CPU access through
 * begin_cpu_access + vmap.  It also hands out a memcpy-capable dmaengine
 * channel as a device, so a real DMA engine copies between two imported
 * buffers.  Shared by the module and user space.
 *
 * Every struct has a fixed size and no holes; the command's size is checked
 * (-EINVAL when it differs), reserved fields must be zero and unknown flags
 * or values are -EINVAL; unknown commands are -ENOTTY.  Ids are per open
 * file: an unknown id is -ENOENT.  Errors of the exporter and of the
 * dma-buf core are returned unchanged.  Closing the file unmaps, detaches
 * and releases every buffer and unregisters every device it created.
 */
#ifndef _RMEM_HEAP_IMPORTER_H
#define _RMEM_HEAP_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RHI_DEVICE		"/dev/rmem_heap_importer"
#define RHI_IOC_MAGIC		'r'

/* rhi_dev_create.flags */
#define RHI_DEV_COHERENT	0x1	/* the device snoops CPU caches */
#define RHI_DEV_LARGE_SEG	0x2	/* DMA segments of any length */
#define RHI_DEV_FLAGS		(RHI_DEV_COHERENT | RHI_DEV_LARGE_SEG)

/**
 * struct rhi_dev_create - RHI_IOC_DEV_CREATE: a new test DMA device
 * @flags:     RHI_DEV_*: without RHI_DEV_COHERENT a non-coherent device
 *             (-EOPNOTSUPP where the architecture has none of that kind);
 *             RHI_DEV_LARGE_SEG raises the maximum DMA segment size from
 *             the default 64 KiB to UINT_MAX, as scatter-gather engines do
 * @dma_bits:  DMA mask width: 32 or 64
 * @dev_id:    out: the device's id
 * @coherent:  out: 1 if the DMA API treats the device as coherent
 * @dma_mask:  out: the device's DMA mask
 * @reserved:  must be zero
 */
struct rhi_dev_create {
	__u32 flags;
	__u32 dma_bits;
	__u32 dev_id;
	__u32 coherent;
	__u64 dma_mask;
	__u64 reserved;
};

/**
 * struct rhi_attach - RHI_IOC_ATTACH: dma_buf_get() + dma_buf_attach()
 * @dev_id:    in: a device of this file
 * @fd:        in: a dma-buf fd
 * @attach_id: out: the attachment's id
 * @reserved:  must be zero
 * @size:      out: the dma-buf's size
 */
struct rhi_attach {
	__u32 dev_id;
	__s32 fd;
	__u32 attach_id;
	__u32 reserved;
	__u64 size;
};

/* rhi_map.dir: enum dma_data_direction's values */
#define RHI_DIR_BIDIRECTIONAL	0
#define RHI_DIR_TO_DEVICE	1
#define RHI_DIR_FROM_DEVICE	2

/**
 * struct rhi_map - RHI_IOC_MAP: dma_buf_map_attachment()
 * @attach_id: in: an unmapped attachment (-EBUSY if mapped)
 * @dir:       in: RHI_DIR_*
 * @nents:     out: number of DMA segments
 * @reserved:  must be zero
 * @dma_addr:  out: DMA address of the first segment
 * @length:    out: sum of the segments' DMA lengths
 * @first_len: out: DMA length of the first segment
 */
struct rhi_map {
	__u32 attach_id;
	__u32 dir;
	__u32 nents;
	__u32 reserved;
	__u64 dma_addr;
	__u64 length;
	__u64 first_len;
};

/**
 * struct rhi_id - RHI_IOC_UNMAP (-EINVAL if not mapped), RHI_IOC_DETACH
 * (-EBUSY while mapped)
 * @id:        in: an attachment id
 * @reserved:  must be zero
 */
struct rhi_id {
	__u32 id;
	__u32 reserved;
};

/* rhi_cpu.op */
#define RHI_CPU_FILL		1	/* memset (DMA_TO_DEVICE access) */
#define RHI_CPU_CHECK		2	/* compare (DMA_FROM_DEVICE access) */

/**
 * struct rhi_cpu - RHI_IOC_CPU: CPU access through dma_buf_vmap()
 * @fd:         in: a dma-buf fd
 * @op:         in: RHI_CPU_FILL or RHI_CPU_CHECK
 * @offset:     in: start in the buffer
 * @length:     in: bytes (not 0; offset + length within the buffer)
 * @byte:       in: the value, 0..255
 * @found:      out (CHECK, -EILSEQ): the first differing byte's value
 * @bad_offset: out (CHECK, -EILSEQ): its offset in the buffer
 * @reserved:   must be zero
 *
 * Bracketed by dma_buf_begin_cpu_access()/dma_buf_end_cpu_access().  A
 * CHECK that finds a difference fails with -EILSEQ and still fills in
 * @found and @bad_offset.
 */
struct rhi_cpu {
	__s32 fd;
	__u32 op;
	__u64 offset;
	__u64 length;
	__u32 byte;
	__u32 found;
	__u64 bad_offset;
	__u64 reserved;
};

/**
 * struct rhi_dev_access - what the test device sees at its DMA addresses
 * @attach_id:  a mapped attachment
 * @op:         RHI_CPU_FILL (the device writes) or RHI_CPU_CHECK (reads)
 * @offset:     offset in the mapping (bytes)
 * @length:     bytes to fill or check
 * @byte:       the value
 * @found:      CHECK: the first byte that differs
 * @bad_offset: CHECK: its offset
 * @reserved:   must be zero
 *
 * The memory at the mapping's DMA addresses (a bounce buffer where the
 * DMA API bounces), as a device without an IOMMU would reach it.
 */
struct rhi_dev_access {
	__u32 attach_id;
	__u32 op;
	__u64 offset;
	__u64 length;
	__u32 byte;
	__u32 found;
	__u64 bad_offset;
	__u64 reserved;
};

/**
 * struct rhi_dma_chan - RHI_IOC_DMA_CHAN: a memcpy-capable DMA channel
 * @flags:    must be zero
 * @dev_id:   out: an id like a test device's, for the engine's device:
 *            attach and map buffers to it, then RHI_IOC_DMA_COPY
 * @coherent: out: 1 if the DMA API treats the engine as coherent
 * @reserved: must be zero
 * @dma_mask: out: the engine's DMA mask
 * @name:     out: the channel's name (NUL-terminated)
 *
 * -ENODEV when the system has no such channel (or all are taken).
 */
struct rhi_dma_chan {
	__u32 flags;
	__u32 dev_id;
	__u32 coherent;
	__u32 reserved;
	__u64 dma_mask;
	char name[32];
};

/**
 * struct rhi_dma_copy - RHI_IOC_DMA_COPY: the engine copies, and is waited for
 * @dst_id:     a mapped attachment (FROM_DEVICE or BIDIRECTIONAL) of a
 *              RHI_IOC_DMA_CHAN device
 * @src_id:     a mapped attachment (TO_DEVICE or BIDIRECTIONAL) of the same
 *              device; may be @dst_id if the ranges do not overlap
 * @dst_offset: where the copy goes in the destination mapping
 * @src_offset: where it comes from in the source mapping
 * @length:     bytes (not 0; each range within its mapping)
 * @timeout_ms: the wait for each descriptor (0: 5000 ms; -ETIMEDOUT)
 * @descs:      out: descriptors the engine completed
 * @reserved:   must be zero
 *
 * One memcpy descriptor per piece that is contiguous in both mappings (at
 * most 1 MiB), each waited for; -EIO if the engine reports an error.
 */
struct rhi_dma_copy {
	__u32 dst_id;
	__u32 src_id;
	__u64 dst_offset;
	__u64 src_offset;
	__u64 length;
	__u32 timeout_ms;
	__u32 descs;
	__u64 reserved;
};

#define RHI_IOC_DEV_CREATE	_IOWR(RHI_IOC_MAGIC, 0x40, struct rhi_dev_create)
#define RHI_IOC_ATTACH		_IOWR(RHI_IOC_MAGIC, 0x41, struct rhi_attach)
#define RHI_IOC_MAP		_IOWR(RHI_IOC_MAGIC, 0x42, struct rhi_map)
#define RHI_IOC_UNMAP		_IOW(RHI_IOC_MAGIC, 0x43, struct rhi_id)
#define RHI_IOC_DETACH		_IOW(RHI_IOC_MAGIC, 0x44, struct rhi_id)
#define RHI_IOC_CPU		_IOWR(RHI_IOC_MAGIC, 0x45, struct rhi_cpu)
#define RHI_IOC_DEV_ACCESS	_IOWR(RHI_IOC_MAGIC, 0x46, struct rhi_dev_access)
#define RHI_IOC_DMA_CHAN	_IOWR(RHI_IOC_MAGIC, 0x47, struct rhi_dma_chan)
#define RHI_IOC_DMA_COPY	_IOWR(RHI_IOC_MAGIC, 0x48, struct rhi_dma_copy)

#endif /* _RMEM_HEAP_IMPORTER_H */
