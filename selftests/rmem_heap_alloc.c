// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_alloc: does a heap work?  Allocates one buffer from
 * /dev/dma_heap/<heap>, checks that it reads as zero, writes a pattern
 * between DMA_BUF_IOCTL_SYNC calls and reads it back, then frees it.
 * Reads no sysfs statistic (some zero the region on the reader's behalf),
 * so it takes the same short time on every kernel.  Exit status 0 if all
 * of that worked, 1 with the failing step on stderr otherwise.
 *
 *   rmem_heap_alloc HEAP [bytes]        (default: 65536)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rmem_heap_common.h"

int main(int argc, char **argv)
{
	uint64_t len = argc > 2 ? strtoull(argv[2], NULL, 0) : 65536;
	int heap_fd, buf_fd, ret;
	uint64_t i;
	uint8_t *p;

	if (argc < 2 || !len) {
		fprintf(stderr, "usage: %s HEAP [bytes]\n", argv[0]);
		return 2;
	}
	heap_fd = rh_open_heap(argv[1]);
	if (heap_fd < 0) {
		fprintf(stderr, "open /dev/dma_heap/%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ret = rh_alloc(heap_fd, len, &buf_fd);
	if (ret) {
		fprintf(stderr, "%s: allocating %llu bytes: %s\n", argv[1],
			(unsigned long long)len, strerror(-ret));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf_fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ret = rh_sync(buf_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	if (ret) {
		fprintf(stderr, "%s: DMA_BUF_IOCTL_SYNC start: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	for (i = 0; i < len; i++) {
		if (p[i]) {
			fprintf(stderr, "%s: byte %llu of a new buffer is 0x%02x, not 0\n",
				argv[1], (unsigned long long)i, p[i]);
			return 1;
		}
		p[i] = (uint8_t)(i * 7 + 1);
	}
	for (i = 0; i < len; i++) {
		if (p[i] != (uint8_t)(i * 7 + 1)) {
			fprintf(stderr, "%s: byte %llu reads 0x%02x, not as written\n",
				argv[1], (unsigned long long)i, p[i]);
			return 1;
		}
	}
	rh_sync(buf_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, len);
	close(buf_fd);
	close(heap_fd);
	printf("%s: allocated, mapped, wrote and read back %llu bytes\n", argv[1],
	       (unsigned long long)len);
	return 0;
}
