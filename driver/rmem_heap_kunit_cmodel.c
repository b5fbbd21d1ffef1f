// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-heap: the cache model, compiled once more for rmem_heap_kunit.ko
 * (the driver has its own copy only when built with the model).
 */
#include "rmem_heap_cmodel.c"
