#!/bin/sh
# heapctl.sh: rmem-heapctl's commands and error messages as a person sees
# them (text output, exit statuses), as TAP. The --json output is parsed
# and checked against RMEM_HEAP_IOC_INFO by rmem_heapctl_test.
#
# Runs on the first no-map cached heap of /sys/class/rmem_heap ("rmem" on
# the lab machines). Sets the module parameter bus_addr and puts it back.
H=rmem-heapctl
T=/tmp/heapctl
PARAM=/sys/module/rmem_heap/parameters/bus_addr
mkdir -p $T
n=0
echo "TAP version 13"
echo "1..27"

# ok DESCRIPTION STATUS: one result line; STATUS 0 is a pass.
ok() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

# run NAME ARGS...: rmem-heapctl ARGS, stdout in $T/NAME.out, stderr in
# $T/NAME.err, exit status in $rc; both outputs shown as TAP comments.
run() {
	name=$1; shift
	$H "$@" > $T/$name.out 2> $T/$name.err
	rc=$?
	echo "# \$ $H $* -> $rc"
	sed 's/^/#   /' $T/$name.out $T/$name.err
}

# has NAME PATTERN: the output of run NAME (stdout and stderr) matches
# the fixed string PATTERN.
has() { cat $T/$1.out $T/$1.err | grep -qF -- "$2"; }

# human BYTES: what rmem-heapctl prints for a size that is a whole number
# of its unit (the lab's region sizes are).
human() {
	if [ $(($1 % 1073741824)) = 0 ] && [ "$1" != 0 ]; then echo "$(($1 / 1073741824)) GiB"
	elif [ $(($1 % 1048576)) = 0 ] && [ "$1" -ge 1048576 ]; then echo "$(($1 / 1048576)) MiB"
	elif [ $(($1 % 1024)) = 0 ] && [ "$1" -ge 1024 ]; then echo "$(($1 / 1024)) KiB"
	else echo "$1 B"; fi
}

sysfs() { cat /sys/class/rmem_heap/$1/$2; }

# wait_line FILE PATTERN: up to 10 s for a held buffer's first line.
wait_line() {
	i=0
	while ! grep -qE "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -qE "$2" "$1"
}

heap=
for d in /sys/class/rmem_heap/*; do
	if [ "$(cat $d/type 2>/dev/null)" = no-map ] && [ "$(cat $d/policy)" = cached ]; then
		heap=${d##*/}
		break
	fi
done
echo "# heap under test: ${heap:-none}"

# --- list, info ------------------------------------------------------------
run list list
r=$rc
for d in /sys/class/rmem_heap/*; do
	h=${d##*/}
	grep -qE "^$h +rmem-heap +$(sysfs $h type) +$(sysfs $h policy) +$(human $(sysfs $h size)) " \
		$T/list.out || r="$r $h"
done
ok "list shows every rmem-heap heap with its type, policy and size" "$r"
r=0
for f in /dev/dma_heap/*; do
	h=${f##*/}
	if [ -d /sys/class/rmem_heap/$h ]; then continue; fi
	grep -qE "^$h +kernel " $T/list.out || r=1
done
ok "list shows the kernel's own heaps as such" $r
has list "(figures from /sys/class"; [ $? != 0 ]; ok "list takes its figures from /dev/rmem_heap" $?

run info info "$heap"
[ $rc = 0 ] && has info "size:         $(human $(sysfs $heap size)) ($(sysfs $heap size))" &&
	has info "type:         no-map" && has info "policy:       cached" &&
	has info "granule:      " && has info "source:       /dev/rmem_heap (RMEM_HEAP_IOC_INFO)"
ok "info $heap: its figures, from RMEM_HEAP_IOC_INFO" $?

run nosuch info no-such-heap
[ $rc = 3 ] && has nosuch 'no heap "no-such-heap" in /dev/dma_heap (heaps: ' && has nosuch " $heap"
ok "info of a missing heap: exit 3, and the heaps there are" $?

run nosuch2 alloc no-such-heap 4k
[ $rc = 3 ] && has nosuch2 'no heap "no-such-heap"'
ok "alloc from a missing heap: exit 3" $?

# --- alloc ---------------------------------------------------------------
run a4m alloc "$heap" 4M --fill 0x5a
[ $rc = 0 ] && has a4m "heap $heap: allocated 4 MiB (4194304 bytes)" &&
	has a4m "filled with 0x5a" && has a4m "freed"
ok "alloc $heap 4M --fill 0x5a: allocated, filled, read back, freed" $?
run a15 alloc "$heap" 1.5M
[ $rc = 0 ] && has a15 "allocated 1.5 MiB (1572864 bytes)" && has a15 "filled with 0xa5"
ok "alloc $heap 1.5M: 1.5 MiB, the default fill" $?
run a4k alloc "$heap" 4k
[ $rc = 0 ] && has a4k "allocated 4 KiB (4096 bytes)"
ok "alloc $heap 4k: 4 KiB" $?
run a4096 alloc "$heap" 4096
[ $rc = 0 ] && has a4096 "allocated 4 KiB (4096 bytes)"
ok "alloc $heap 4096: 4 KiB" $?
run a1gib alloc "$heap" "0.03125GiB"
[ $rc = 0 ] && has a1gib "allocated 32 MiB (33554432 bytes)"
ok "alloc $heap 0.03125GiB: 32 MiB" $?

r=0
for s in 12q 1.3 0 -1 "" 1e6 4kk 0.3k; do
	run bad alloc "$heap" "$s"
	[ $rc = 2 ] && has bad "bad size \"$s\"" || r=1
done
ok "bad size strings (12q 1.3 0 -1 '' 1e6 4kk 0.3k): exit 2, 'bad size'" $r
run badfill alloc "$heap" 4k --fill 256
[ $rc = 2 ] && has badfill 'bad --fill "256"'
ok "a bad --fill byte: exit 2" $?

size=$(sysfs $heap size)
run full alloc "$heap" $((size + 1048576))
lf=$(sysfs $heap largest_free)
[ $rc = 5 ] && has full "heap $heap is full: cannot allocate $(human $((size + 1048576)))" &&
	has full "its largest free extent is $(human $lf) (free "
ok "alloc of more than the region: exit 5, the largest free extent ($(human $lf))" $?

# --- buffers -------------------------------------------------------------
# A 1 MiB buffer first, so that the one under test is not at offset 0.
$H alloc "$heap" 1M --hold 60 > $T/spacer.out 2>&1 &
spacer=$!
wait_line $T/spacer.out "holding it"
$H alloc "$heap" 2M --hold 60 > $T/hold.out 2>&1 &
holder=$!
wait_line $T/hold.out "holding it"
sed 's/^/#   /' $T/hold.out
fd=$(sed -n 's/.*, fd \([0-9]*\) of pid .*/\1/p' $T/hold.out)
run bufs buffers "$heap"
line=$(grep -E "^$heap +0x[0-9a-f]+ +2 MiB +[0-9]+ +[0-9]+ +$holder +rmem-heapctl " $T/bufs.out)
[ $rc = 0 ] && [ -n "$line" ] && [ -n "$fd" ]
ok "buffers $heap: the held 2 MiB buffer, its pid and command" $?
offset=$(echo "$line" | awk '{print $2}')
run bufsall buffers
[ $rc = 0 ] && grep -qE "^$heap +$offset +2 MiB .* $holder " $T/bufsall.out
ok "buffers: it is in the list of every heap's buffers" $?
run bufsmiss buffers no-such-heap
[ $rc = 3 ]
ok "buffers of a missing heap: exit 3" $?
unshare -m sh -c "umount /sys/kernel/debug && $H buffers" > $T/nodbg.out 2> $T/nodbg.err
rc=$?
sed 's/^/#   /' $T/nodbg.out $T/nodbg.err
[ $rc = 6 ] && has nodbg "debugfs is not mounted"
ok "buffers without debugfs (unmounted in a mount namespace): exit 6, says so" $?

# --- phys ----------------------------------------------------------------
old=$(cat $PARAM 2>/dev/null)
[ -w $PARAM ]
ok "the module parameter bus_addr is there and writable by root" $?
# setp VALUE: set bus_addr (when it is there: the results below say if not)
setp() { [ -w $PARAM ] && echo "$1" > $PARAM; }
setp 0
run off phys $holder:$fd
[ $rc = 6 ] && has off "bus addresses are off" && has off "bus_addr"
ok "phys with bus_addr=0: exit 6 (EOPNOTSUPP), names the parameter" $?

setp 1
run on phys $holder:$fd
addr=$(sed -n 's/.*bus address \(0x[0-9a-f]*\), 2 MiB (2097152 bytes.*/\1/p' $T/on.out)
# The region as the probe announced it: "heap NAME: region R base B size S".
probe=$(dmesg | grep -o "heap $heap: region [^ ]* base 0x[0-9a-f]* size [0-9]*" | tail -n 1)
echo "# probe: $probe"
base=$(echo "$probe" | sed -n 's/.* base \(0x[0-9a-f]*\) size.*/\1/p')
rsize=$(echo "$probe" | sed -n 's/.* size \([0-9]*\)$/\1/p')
[ $rc = 0 ] && [ -n "$addr" ] && [ -n "$base" ] &&
	[ $(($addr)) -ge $(($base)) ] && [ $(($addr + 2097152)) -le $(($base + $rsize)) ]
ok "phys with bus_addr=1 as root: an address inside the region ($addr in $base+$rsize)" $?
[ -n "$addr" ] && [ -n "$base" ] && [ -n "$offset" ] && [ $(($offset)) != 0 ] &&
	[ $(($addr)) = $(($base + $offset)) ]
ok "phys: the region's base plus the buffer's offset in debugfs ($base + $offset, not 0)" $?

# A dma-buf of another exporter (the system heap) or, without one (Debian's
# kernel has no dma-heap framework), an fd that is no dma-buf at all.
if [ -c /dev/dma_heap/system ]; then
	$H alloc system 1M --hold 60 > $T/sys.out 2>&1 &
	other=$!
	wait_line $T/sys.out "holding it"
	ofd=$(sed -n 's/.*, fd \([0-9]*\) of pid .*/\1/p' $T/sys.out)
	what="a system-heap buffer"
	want="is not a buffer of an rmem-heap heap (its exporter is system"
else
	sleep 60 < /proc/version &
	other=$!
	ofd=0
	what="an fd that is not a dma-buf"
	want="is not a dma-buf"
fi
run other phys $other:$ofd
[ $rc = 7 ] && has other "$want"
ok "phys of $what: exit 7 (EINVAL), says so" $?
kill $other 2>/dev/null
wait $other 2>/dev/null

[ -n "$old" ] && setp "$old"
kill $spacer
wait $spacer
kill $holder
wait $holder
r=$?
grep -q '^freed$' $T/hold.out
ok "the held buffer is freed when the hold ends early (SIGTERM: exit $r)" $(( $? + r ))
[ "$(sysfs $heap buffers)" = 0 ]
ok "no buffer of $heap is left" $?

# --- help, version -----------------------------------------------------------
run help --help
[ $rc = 0 ] && has help "usage: rmem-heapctl" && has help "phys FD | PID:FD"
ok "--help" $?
run version --version
[ $rc = 0 ] && has version "rmem-heapctl "
ok "--version" $?
