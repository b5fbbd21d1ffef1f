#!/bin/sh
# Module lifetime checks, as TAP. Heaps registered with the kernel's dma-heap
# framework cannot be removed, so there the module must refuse to unload.
# RMEM_HEAP_KO: the module to load again, RMEM_HEAP_NAME: a heap the device
# tree defines (the board bundle's run.sh sets both; the lab's default: rmem).
h=${RMEM_HEAP_NAME:-rmem}
echo "TAP version 13"
echo "1..3"
if [ -e /sys/class/dma_heap/"$h" ]; then
	if rmmod rmem_heap 2>/dev/null; then r="not ok"; else r="ok"; fi
	echo "$r 1 - the module refuses to unload (framework heaps cannot be removed)"
	if [ -e /dev/dma_heap/"$h" ]; then r="ok"; else r="not ok"; fi
	echo "$r 2 - the heap is still there after the refused unload"
	echo "ok 3 - reload # SKIP the module is permanent on this kernel"
else
	if rmmod rmem_heap; then r="ok"; else r="not ok"; fi
	echo "$r 1 - rmmod once no buffer is alive"
	if [ ! -e /dev/dma_heap/"$h" ] && [ ! -e /sys/class/rmem_heap/"$h" ]; then r="ok"; else r="not ok"; fi
	echo "$r 2 - the heaps are gone after unload"
	if insmod "${RMEM_HEAP_KO:-/lab/rmem_heap.ko}" && [ -e /dev/dma_heap/"$h" ]; then r="ok"; else r="not ok"; fi
	echo "$r 3 - insmod again brings the heaps back"
fi
