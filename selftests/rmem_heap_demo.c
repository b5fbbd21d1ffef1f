// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_heap_demo: what a user of the heap does, step by step, with a line
 * of explanation each: allocate a buffer from /dev/dma_heap/<heap>, map it,
 * write and read it back under DMA_BUF_IOCTL_SYNC, import it into vgem
 * (zero-copy, as a GPU or display driver would) and show the heap's usage
 * before, during and after.
 *
 *   rmem_heap_demo [heap] [bytes]      (default: rmem 1048576)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rmem_heap_common.h"
#include "rmem_heap_vgem.h"

static void usage_line(const char *heap, const char *when)
{
	uint64_t used = 0, bufs = 0, largest = 0;

	rh_read_u64(heap, "used", &used);
	rh_read_u64(heap, "buffers", &bufs);
	rh_read_u64(heap, "largest_free", &largest);
	printf("   %-7s used %llu bytes in %llu buffers, largest free extent %llu bytes\n",
	       when, (unsigned long long)used, (unsigned long long)bufs,
	       (unsigned long long)largest);
}

int main(int argc, char **argv)
{
	const char *heap = argc > 1 ? argv[1] : "rmem";
	uint64_t len = argc > 2 ? strtoull(argv[2], NULL, 0) : RH_MIB;
	uint64_t pending;
	uint32_t handle;
	int heap_fd, buf_fd, drm, ret;
	uint8_t *p;
	uint64_t i;

	printf("1. open /dev/dma_heap/%s: the heap made from the reserved region\n", heap);
	heap_fd = rh_open_heap(heap);
	if (heap_fd < 0) {
		perror("open");
		return 1;
	}
	usage_line(heap, "before:");

	printf("2. DMA_HEAP_IOCTL_ALLOC of %llu bytes: a dma-buf fd, zeroed by the driver\n",
	       (unsigned long long)len);
	ret = rh_alloc(heap_fd, len, &buf_fd);
	if (ret) {
		fprintf(stderr, "alloc: %s\n", strerror(-ret));
		return 1;
	}
	usage_line(heap, "after:");

	printf("3. mmap the buffer and write a pattern between SYNC_START and SYNC_END\n");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf_fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	rh_sync(buf_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	rh_sync(buf_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	printf("4. read it back under SYNC_START/END(READ)\n");
	rh_sync(buf_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < len; i++) {
		if (p[i] != (uint8_t)(i * 7 + 1)) {
			fprintf(stderr, "   byte %llu reads %u\n", (unsigned long long)i, p[i]);
			return 1;
		}
	}
	rh_sync(buf_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	printf("   all %llu bytes read back as written\n", (unsigned long long)len);

	printf("5. import the fd into vgem with drmPrimeFDToHandle (zero-copy, no CPU copy)\n");
	drm = rh_open_vgem();
	if (drm < 0) {
		fprintf(stderr, "   no vgem device\n");
		return 1;
	}
	if (drmPrimeFDToHandle(drm, buf_fd, &handle)) {
		perror("   drmPrimeFDToHandle");
		return 1;
	}
	printf("   vgem holds the buffer as GEM handle %u\n", handle);
	drmCloseBufferHandle(drm, handle);
	close(drm);

	printf("6. unmap and close: the buffer goes back to the heap, to be zeroed\n");
	munmap(p, len);
	close(buf_fd);
	if (!rh_read_u64(heap, "zero_pending", &pending))
		printf("   %llu bytes wait to be zeroed in the background\n",
		       (unsigned long long)pending);
	usleep(200000);
	if (!rh_read_u64(heap, "zero_pending", &pending))
		printf("   %llu bytes 0.2 s later: the next allocation finds them zeroed\n",
		       (unsigned long long)pending);
	usage_line(heap, "after:");
	close(heap_fd);
	return 0;
}
