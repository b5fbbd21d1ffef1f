#!/bin/sh
# Module lifetime checks, as TAP. Heaps registered with the kernel's dma-heap
# framework cannot be removed, so there the module must refuse to unload,
# say why, and keep working; in char-device mode it must refuse while
# anything holds a buffer (fd, mapping, importer attachment), unload once
# everything is closed, and survive LOOPS load/unload cycles.
# RMEM_HEAP_KO: the module to load again, RMEM_HEAP_NAME: a heap the device
# tree defines (the board bundle's run.sh sets both; the lab's default: rmem),
# RMEM_HEAP_HOLD: rmem_heap_stress (its "hold" command holds buffers),
# RMEM_LIFETIME_LOOPS: load/unload cycles (default 100).
h=${RMEM_HEAP_NAME:-rmem}
ko=${RMEM_HEAP_KO:-/lab/rmem_heap.ko}
holder=${RMEM_HEAP_HOLD:-/lab/rmem_heap_stress}
loops=${RMEM_LIFETIME_LOOPS:-100}
imp=/dev/rmem_heap_importer
n=0
tmp=/tmp/lifetime.$$
mkdir -p "$tmp"

res() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

# usage_zero: 0 if every heap's used and buffers are 0 (else prints them)
usage_zero() {
	bad=0
	for d in /sys/class/rmem_heap/*; do
		[ -d "$d" ] || continue
		u=$(cat "$d/used") b=$(cat "$d/buffers")
		if [ "$u" != 0 ] || [ "$b" != 0 ]; then
			echo "# ${d##*/}: used $u buffers $b"
			bad=1
		fi
	done
	return $bad
}

# hold WHAT...: start the holder in the background (pid in $hpid); 0 once
# it says ready, 1 if it ended before
hold() {
	"$holder" hold "$h" "$@" > "$tmp/hold.out" 2> "$tmp/hold.err" &
	hpid=$!
	i=0
	while [ $i -lt 300 ]; do
		grep -q '^ready$' "$tmp/hold.out" 2>/dev/null && return 0
		kill -0 "$hpid" 2>/dev/null || break
		usleep 100000 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	echo "# holder ($*): $(cat "$tmp/hold.err")"
	kill -9 "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	return 1
}

# release SIG: end the holder; 0 if it exited as that signal asks
release() {
	kill "-$1" "$hpid"
	wait "$hpid" 2>/dev/null
	rc=$?
	if [ "$1" = TERM ]; then [ $rc = 0 ]; else [ $rc = 137 ]; fi
}

# refused WHAT: rmmod must fail (and say so) while WHAT holds a buffer
refused() {
	if ! rmmod rmem_heap > "$tmp/rmmod.out" 2>&1; then
		echo "# rmmod with a live $1: $(cat "$tmp/rmmod.out")"
		[ -e /dev/dma_heap/"$h" ]
		return
	fi
	echo "# rmmod succeeded with a live $1"
	return 1
}

echo "TAP version 13"
# what the holder can hold here: the importer only where it is loaded
whats="fd mmap"
if [ -e "$imp" ]; then whats="$whats attach"; fi
if [ ! -x "$holder" ]; then
	echo "1..1"
	res 1 "no $holder (RMEM_HEAP_HOLD): nothing can hold a buffer"
	exit 1
fi

if [ -e /sys/class/dma_heap/"$h" ]; then
	echo "1..6"
	if rmmod rmem_heap > "$tmp/rmmod.out" 2>&1; then r=1; else r=0; fi
	echo "# rmmod: $(cat "$tmp/rmmod.out")"
	res $r "refused (framework heaps cannot be removed)"
	# the module must say why it stays (and that it does)
	why=$(dmesg | grep -i 'rmem.heap' | grep -i -E 'unload|permanent|cannot be removed|stay')
	if [ -n "$why" ]; then echo "# dmesg: $why"; r=0; else r=1; fi
	res $r "dmesg says why the module stays loaded"
	if [ -e /dev/dma_heap/"$h" ]; then r=0; else r=1; fi
	res $r "heap still there after the refused unload"
	# it still works, with everything this guest can hold at once
	# shellcheck disable=SC2086
	if hold $whats && release TERM && usage_zero; then r=0; else r=1; fi
	res $r "heap works after the refused unload ($whats)"
	# shellcheck disable=SC2086
	if hold $whats && release KILL && usage_zero; then r=0; else r=1; fi
	res $r "process_exit releases everything ($whats, SIGKILL)"
	echo "ok 6 - reload # SKIP the module is permanent on this kernel"
	rm -rf "$tmp"
	exit 0
fi

# shellcheck disable=SC2086
set -- $whats
echo "1..$(($# + 6))"
# with one thing alive at a time, then all of them: refused, no harm done
for w in $whats; do
	if hold "$w"; then
		refused "$w"; r=$?
		release TERM || r=1
		usage_zero || r=1
	else
		r=1
	fi
	res $r "refused_with_$w (and usage 0 once it is closed)"
done
# shellcheck disable=SC2086
if hold $whats; then
	refused "$whats"; r=$?
	release KILL || r=1
	usage_zero || r=1
else
	r=1
fi
res $r "process_exit releases everything ($whats, SIGKILL)"

if rmmod rmem_heap; then r=0; else r=1; fi
res $r "rmmod once no buffer is alive"
if [ ! -e /dev/dma_heap/"$h" ] && [ ! -e /sys/class/rmem_heap/"$h" ]; then r=0; else r=1; fi
res $r "heaps gone after unload"
if insmod "$ko" && [ -e /dev/dma_heap/"$h" ]; then r=0; else r=1; fi
res $r "reload"

# LOOPS load/unload cycles with no buffer
i=0 bad=0
while [ $i -lt "$loops" ]; do
	if ! rmmod rmem_heap; then bad=1; echo "# cycle $i: rmmod failed"; break; fi
	if [ -e /dev/dma_heap/"$h" ]; then bad=1; echo "# cycle $i: heap still there"; break; fi
	if ! insmod "$ko"; then bad=1; echo "# cycle $i: insmod failed"; break; fi
	if [ ! -e /dev/dma_heap/"$h" ]; then bad=1; echo "# cycle $i: no heap"; break; fi
	i=$((i + 1))
done
echo "# $i load/unload cycles"
res $bad "unload_load_$loops"
# shellcheck disable=SC2086
if hold $whats && release TERM && usage_zero; then r=0; else r=1; fi
res $r "heap works after the cycles ($whats)"
rm -rf "$tmp"
