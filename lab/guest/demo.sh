#!/bin/sh
# make demo's walk-through: what one would check on a board, a line of
# explanation each (run by lab/demo.py on a ZCU102 guest).
step() { echo; echo "== $*"; }
step "Boot log: the kernel reserved the regions of the device tree's reserved-memory node"
dmesg | grep -E 'OF: reserved mem: (initialized|0x)|cma: Reserved' | sed 's/^\[[^]]*\] //'
step "/proc/iomem: the no-map regions are cut out of System RAM (the kernel never maps them)"
grep -E 'System RAM|reserved' /proc/iomem | grep -v '^ '
step "The module's probe lines: one heap per region and policy (base, size, type, cache policy)"
dmesg | grep 'rmem-heap' | grep ': heap ' | sed 's/^\[[^]]*\] //'
step "...and the lab overlay's three broken nodes, each refused with one line naming node and reason"
dmesg | grep 'rmem-heap rmem-heap-bad' | sed 's/^\[[^]]*\] //'
step "/dev/dma_heap: our heaps beside the kernel's own system and CMA heaps"
ls /dev/dma_heap
step "Each heap's figures in sysfs (/sys/class/rmem_heap/rmem)"
for a in type policy zero_pending size used free largest_free buffers peak_used failed; do
	printf '   %-13s %s\n' "$a" "$(cat /sys/class/rmem_heap/rmem/$a)"
done
step "A buffer's life: allocate, map, write, read back, import into vgem, free"
rmem_heap_demo rmem 1048576
