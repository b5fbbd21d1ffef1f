// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: the range allocator, compiled once more for rmem_heap_kunit.ko
 * so that rmem_heap_alloc.o is not shared between two modules.
 */
#include "rmem_heap_alloc.c"
