// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the lab's kernel and module builds (lab/hugepages.py).
 *
 * gcc keeps its garbage-collected heap in large private anonymous mappings.
 * On a host whose transparent huge pages are given only on request
 * ("madvise"), those mappings get 4 KiB pages, and cc1 spends a good part
 * of its time in TLB misses and page faults. This asks for huge pages on
 * every private, writable, anonymous mapping of 2 MiB or more; glibc's own
 * malloc asks by itself with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which
 * lab/hugepages.py sets beside it. The advice changes no byte of any output.
 *
 * Only 64-bit hosts, where off_t and off64_t are the same type; elsewhere
 * the shim defines nothing and the builds go on as before.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#if __SIZEOF_POINTER__ == 8

#define HUGE_MIN (2UL << 20)

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static void *advised_mmap(void *addr, size_t len, int prot, int flags, int fd,
			  off_t off)
{
	static mmap_fn real_mmap;
	void *p;

	if (!real_mmap)
		real_mmap = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && len >= HUGE_MIN && (prot & PROT_WRITE) &&
	    (flags & (MAP_ANONYMOUS | MAP_PRIVATE)) == (MAP_ANONYMOUS | MAP_PRIVATE))
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return advised_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return advised_mmap(addr, len, prot, flags, fd, off);
}

#endif
