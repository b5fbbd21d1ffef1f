/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rmem-heap: the control device's user ABI.
 *
 * Buffers are allocated through the dma-heap ABI (<linux/dma-heap.h>,
 * /dev/dma_heap/<name>).  The ioctls here go to one misc device,
 * /dev/rmem_heap, so that they work whether the heaps are the kernel's
 * dma-heaps or the module's own char devices.
 *
 * Every struct has the same layout for 32- and 64-bit callers: fixed-size
 * fields only, each __u64 at an offset that is a multiple of 8, sizes a
 * multiple of 8, no pointers.  The struct's size is part of the ioctl
 * number; a caller may pass a larger struct (a newer header) whose extra
 * bytes are zero, never a smaller one.  Reserved fields and undefined flag
 * bits must be zero.
 */
#ifndef _UAPI_LINUX_RMEM_HEAP_H
#define _UAPI_LINUX_RMEM_HEAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The control device, relative to /dev. */
#define RMEM_HEAP_CONTROL_NODE		"rmem_heap"

/* Heap names, NUL included (also the length of /dev/dma_heap/<name>). */
#define RMEM_HEAP_NAME_LEN		32

/**
 * enum rmem_heap_region_type - the kind of reserved-memory region
 * @RMEM_HEAP_REGION_NOMAP:    a ``no-map`` carveout, never in the kernel's
 *                             linear map, allocated by the driver itself
 * @RMEM_HEAP_REGION_REUSABLE: a ``reusable`` region, the device's own CMA
 *                             area, lent to movable pages while free
 */
enum rmem_heap_region_type {
	RMEM_HEAP_REGION_NOMAP = 0,
	RMEM_HEAP_REGION_REUSABLE = 1,
};

/**
 * enum rmem_heap_cache_policy - how the CPU maps a heap's buffers
 * @RMEM_HEAP_POLICY_CACHED:   write-back; maintenance at CPU access
 *                             brackets and importer map/unmap
 * @RMEM_HEAP_POLICY_UNCACHED: write-combined; no maintenance
 * @RMEM_HEAP_POLICY_COHERENT: write-back for a ``dma-coherent`` device;
 *                             no maintenance
 */
enum rmem_heap_cache_policy {
	RMEM_HEAP_POLICY_CACHED = 0,
	RMEM_HEAP_POLICY_UNCACHED = 1,
	RMEM_HEAP_POLICY_COHERENT = 2,
};

/**
 * struct rmem_heap_info - RMEM_HEAP_IOC_INFO: one heap's figures
 * @name:         in: the heap's name, as in /dev/dma_heap/, NUL-terminated
 * @flags:        in: must be 0
 * @region_type:  out: &enum rmem_heap_region_type
 * @cache_policy: out: &enum rmem_heap_cache_policy
 * @granule:      out: allocation granularity in bytes (sizes are rounded up
 *                to it, buffers are aligned to it)
 * @region_size:  out: bytes of the reserved-memory region
 * @used:         out: bytes allocated now, by this heap and its twin (the
 *                heaps of one region share it)
 * @free:         out: bytes not allocated
 * @largest_free: out: the largest buffer one allocation can get now
 *                (no-map: the largest free extent; reusable: an upper
 *                bound, since the region's pages may be lent)
 * @pending_zero: out: freed bytes not zeroed yet (no-map space; kept reusable
 *                chunks waiting for the background zeroing)
 * @buffers:      out: live buffers of the region
 * @peak_used:    out: the largest @used seen since probe
 * @failed:       out: allocations refused since probe
 * @reserved:     must be 0 on input; 0 on output
 */
struct rmem_heap_info {
	char name[RMEM_HEAP_NAME_LEN];
	__u32 flags;
	__u32 region_type;
	__u32 cache_policy;
	__u32 granule;
	__u64 region_size;
	__u64 used;
	__u64 free;
	__u64 largest_free;
	__u64 pending_zero;
	__u64 buffers;
	__u64 peak_used;
	__u64 failed;
	__u64 reserved[2];
};

/* rmem_heap_cpu_access.flags: the same values as DMA_BUF_SYNC_* */
#define RMEM_HEAP_ACCESS_READ		0x1
#define RMEM_HEAP_ACCESS_WRITE		0x2
#define RMEM_HEAP_ACCESS_RW		(RMEM_HEAP_ACCESS_READ | \
					 RMEM_HEAP_ACCESS_WRITE)
#define RMEM_HEAP_ACCESS_START		0x0
#define RMEM_HEAP_ACCESS_END		0x4
#define RMEM_HEAP_ACCESS_VALID_FLAGS	(RMEM_HEAP_ACCESS_RW | \
					 RMEM_HEAP_ACCESS_END)

/**
 * struct rmem_heap_cpu_access - RMEM_HEAP_IOC_CPU_ACCESS: partial sync
 * @fd:       in: a dma-buf fd of one of this driver's heaps
 * @flags:    in: RMEM_HEAP_ACCESS_START or _END, with _READ, _WRITE or both
 *            (as DMA_BUF_IOCTL_SYNC)
 * @offset:   in: first byte of the range, from the start of the buffer
 * @length:   in: bytes in the range, at least 1; @offset + @length must not
 *            pass the end of the buffer
 * @reserved: must be 0
 *
 * Like DMA_BUF_IOCTL_SYNC, but the cache maintenance covers only the pages
 * the range touches, so a CPU that reads 4 KiB of a 64 MiB cached frame
 * pays for 4 KiB.  START waits for the buffer's fences as DMA_BUF_IOCTL_SYNC
 * does.  A range is bracketed by a START and an END with the same flags
 * and range.
 */
struct rmem_heap_cpu_access {
	__s32 fd;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 reserved;
};

/**
 * struct rmem_heap_bus_addr - RMEM_HEAP_IOC_BUS_ADDR: where a buffer is
 * @fd:       in: a dma-buf fd of one of this driver's heaps
 * @flags:    in: must be 0
 * @addr:     out: the buffer's address as the heap's own device sees it
 *            on its bus (the address to program into a DMA engine that
 *            sits where that device sits, with no IOMMU of its own)
 * @size:     out: the buffer's size in bytes (contiguous from @addr)
 * @reserved: must be 0 on input; 0 on output
 *
 * Off unless the module parameter ``bus_addr`` is set, and then only for
 * callers with CAP_SYS_RAWIO: an address lets user space aim a device at
 * memory, which is as much as /dev/mem.  EOPNOTSUPP when off, EPERM
 * without the capability, EINVAL for another exporter's dma-buf.
 */
struct rmem_heap_bus_addr {
	__s32 fd;
	__u32 flags;
	__u64 addr;
	__u64 size;
	__u64 reserved;
};

#define RMEM_HEAP_IOC_MAGIC		0xBB

#define RMEM_HEAP_IOC_INFO		_IOWR(RMEM_HEAP_IOC_MAGIC, 0x0, \
					      struct rmem_heap_info)
#define RMEM_HEAP_IOC_CPU_ACCESS	_IOW(RMEM_HEAP_IOC_MAGIC, 0x1, \
					     struct rmem_heap_cpu_access)
#define RMEM_HEAP_IOC_BUS_ADDR		_IOWR(RMEM_HEAP_IOC_MAGIC, 0x2, \
					      struct rmem_heap_bus_addr)

#endif /* _UAPI_LINUX_RMEM_HEAP_H */
