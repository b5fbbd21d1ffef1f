/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding vgem for import tests: the card whose DRM driver is "vgem".
 * Needs libdrm (-I/usr/include/libdrm -ldrm).
 */
#ifndef RMEM_HEAP_VGEM_H
#define RMEM_HEAP_VGEM_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

/* Return an fd of the vgem card, or -1 when there is none. */
static inline int rh_open_vgem(void)
{
	char path[32];
	int i, fd;

	for (i = 0; i < 64; i++) {
		drmVersionPtr v;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && v->name && !strcmp(v->name, "vgem")) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

#endif /* RMEM_HEAP_VGEM_H */
