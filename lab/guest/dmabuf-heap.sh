#!/bin/sh
# dmabuf-heap.sh: the kernel's own dmabuf-heaps selftest (./dmabuf-heap)
# over every heap in /dev/dma_heap except our dma-coherent ones.  Those
# refuse importers that do not snoop the CPU caches, vgem among them, so the
# selftest's import step would fail there by design; rmem_heap_test checks
# that refusal (heap.coherent.vgem_import).
hide=
for d in /sys/class/rmem_heap/*; do
	[ "$(cat "$d/policy" 2>/dev/null)" = coherent ] &&
		hide="$hide ${d##*/}"
done

if [ -n "$hide" ]; then
	mkdir -p /tmp/dma_heap
	mount -t tmpfs dma_heap /tmp/dma_heap || exit 1
	for n in /dev/dma_heap/*; do
		case " $hide " in
		*" ${n##*/} "*) ;;
		*) cp -a "$n" /tmp/dma_heap/ || exit 1 ;;
		esac
	done
	mount -o bind /tmp/dma_heap /dev/dma_heap || exit 1
	echo "# the kernel's selftest runs without:$hide (dma-coherent heaps refuse vgem)"
fi

./dmabuf-heap
rc=$?
if [ -n "$hide" ]; then
	umount /dev/dma_heap
	umount /tmp/dma_heap
fi
exit $rc
