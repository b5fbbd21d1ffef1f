#!/bin/sh
# heaps.sh NAME...: every heap the machine's overlay defines has probed: it
# has its sysfs directory and its /dev/dma_heap node. TAP, one line a heap.
echo "TAP version 13"
echo "1..$#"
i=0
for h in "$@"; do
	i=$((i + 1))
	if [ -d "/sys/class/rmem_heap/$h" ] && [ -c "/dev/dma_heap/$h" ]; then
		echo "ok $i - heap $h probed"
	else
		echo "not ok $i - heap $h probed"
		echo "# /sys/class/rmem_heap: $(ls /sys/class/rmem_heap 2>&1 | tr '\n' ' ')"
		echo "# /dev/dma_heap: $(ls /dev/dma_heap 2>&1 | tr '\n' ' ')"
	fi
done
