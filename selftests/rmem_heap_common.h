/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by rmem_heap_test and rmem_heap_bench: heap discovery from
 * /sys/class/rmem_heap, strict sysfs parsing, allocation through the
 * DMA-BUF heap ABI and buffer sync.
 */
#ifndef RMEM_HEAP_COMMON_H
#define RMEM_HEAP_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#define RH_SYSFS	"/sys/class/rmem_heap"
#define RH_DEVDIR	"/dev/dma_heap"
#define RH_DEBUGFS	"/sys/kernel/debug/rmem_heap"
#define RH_MAX_HEAPS	32
#define RH_NAME_LEN	64

#define RH_KIB		((uint64_t)1024)
#define RH_MIB		(1024 * RH_KIB)

enum rh_policy {
	RH_CACHED,
	RH_UNCACHED,
	RH_COHERENT,
	RH_POLICY_UNKNOWN,
};

struct rh_heap {
	char name[RH_NAME_LEN];
	uint64_t size;
	int reusable;		/* 1: reusable, 0: no-map, -1: unknown */
	int policy;		/* enum rh_policy */
};

static inline const char *rh_policy_str(int p)
{
	switch (p) {
	case RH_CACHED:
		return "cached";
	case RH_UNCACHED:
		return "uncached";
	case RH_COHERENT:
		return "coherent";
	default:
		return "unknown";
	}
}

static inline const char *rh_type_str(int reusable)
{
	return reusable > 0 ? "reusable" : reusable == 0 ? "no-map" : "unknown";
}

/* Whole file into buf (NUL terminated). Returns bytes read or -errno. */
static inline ssize_t rh_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/* Write @val to the file at @path (sysfs, debugfs). Returns 0 or -errno. */
static inline int rh_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A sysfs word attribute: "<word>\n". Returns 0 or -errno (-EINVAL: format). */
static inline int rh_read_str(const char *heap, const char *attr, char *buf, size_t len)
{
	char path[256];
	ssize_t n;

	snprintf(path, sizeof(path), RH_SYSFS "/%s/%s", heap, attr);
	n = rh_read_file(path, buf, len);
	if (n < 0)
		return (int)n;
	if (n < 2 || buf[n - 1] != '\n')
		return -EINVAL;
	buf[n - 1] = '\0';
	return 0;
}

/* A sysfs number attribute: decimal digits then exactly one newline. */
static inline int rh_read_u64(const char *heap, const char *attr, uint64_t *val)
{
	char buf[64];
	uint64_t v = 0;
	const char *p;
	int ret;

	ret = rh_read_str(heap, attr, buf, sizeof(buf));
	if (ret)
		return ret;
	if (!buf[0])
		return -EINVAL;
	for (p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*val = v;
	return 0;
}

static inline int rh_cmp_heap(const void *a, const void *b)
{
	return strcmp(((const struct rh_heap *)a)->name,
		      ((const struct rh_heap *)b)->name);
}

/* Fill heaps[] from /sys/class/rmem_heap, sorted by name. Returns count or -errno. */
static inline int rh_discover(struct rh_heap *heaps, int max)
{
	struct dirent *de;
	char word[32];
	DIR *d;
	int n = 0;

	d = opendir(RH_SYSFS);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		struct rh_heap *h = &heaps[n];

		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) >= sizeof(h->name))
			continue;
		memset(h, 0, sizeof(*h));
		strcpy(h->name, de->d_name);
		if (rh_read_u64(h->name, "size", &h->size))
			h->size = 0;
		h->reusable = -1;
		if (!rh_read_str(h->name, "type", word, sizeof(word))) {
			if (!strcmp(word, "reusable"))
				h->reusable = 1;
			else if (!strcmp(word, "no-map"))
				h->reusable = 0;
		}
		h->policy = RH_POLICY_UNKNOWN;
		if (!rh_read_str(h->name, "policy", word, sizeof(word))) {
			if (!strcmp(word, "cached"))
				h->policy = RH_CACHED;
			else if (!strcmp(word, "uncached"))
				h->policy = RH_UNCACHED;
			else if (!strcmp(word, "coherent"))
				h->policy = RH_COHERENT;
		}
		n++;
	}
	closedir(d);
	qsort(heaps, (size_t)n, sizeof(*heaps), rh_cmp_heap);
	return n;
}

static inline struct rh_heap *rh_find(struct rh_heap *heaps, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(heaps[i].name, name))
			return &heaps[i];
	return NULL;
}

/* Is @heap a node of the kernel's dma-heap framework (dma-heap mode)? */
static inline int rh_in_dma_heap_mode(const char *heap)
{
	char path[32 + RH_NAME_LEN];

	snprintf(path, sizeof(path), "/sys/class/dma_heap/%.*s", RH_NAME_LEN, heap);
	return !access(path, F_OK);
}

/* Open /dev/dma_heap/<name>. Returns fd or -errno. */
static inline int rh_open_heap(const char *name)
{
	char path[256];
	int fd;

	if (snprintf(path, sizeof(path), RH_DEVDIR "/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* DMA_HEAP_IOCTL_ALLOC. Returns 0 (fd in *out) or -errno. */
static inline int rh_alloc_flags(int heap_fd, uint64_t len, uint32_t fd_flags,
				 uint64_t heap_flags, int *out)
{
	struct dma_heap_allocation_data data;

	memset(&data, 0, sizeof(data));
	data.len = len;
	data.fd_flags = fd_flags;
	data.heap_flags = heap_flags;
	*out = -1;
	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		return -errno;
	*out = (int)data.fd;
	return 0;
}

static inline int rh_alloc(int heap_fd, uint64_t len, int *out)
{
	return rh_alloc_flags(heap_fd, len, O_RDWR | O_CLOEXEC, 0, out);
}

static inline int rh_sync(int buf_fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 ? -errno : 0;
}

static inline uint64_t rh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* RMEM_HEAP_COMMON_H */
