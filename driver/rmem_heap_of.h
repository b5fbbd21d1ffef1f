/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmem-heap: the device-tree binding checks (rmem_heap_of.c) and what they
 * need from the platform driver (rmem_heap_main.c).
 */
#ifndef _RMEM_HEAP_OF_H
#define _RMEM_HEAP_OF_H

struct device;
struct rmem_heap_device;

/* rmem_heap_of.c */
__printf(3, 4) int rmem_heap_bad(const struct device *dev, int err,
				 const char *fmt, ...);
int rmem_heap_parse(struct rmem_heap_device *rdev);
void rmem_heap_free_parse(struct rmem_heap_device *rdev);

/* rmem_heap_main.c */
struct rmem_heap_device *rmem_heap_bound_next(struct rmem_heap_device *prev);

#endif /* _RMEM_HEAP_OF_H */
