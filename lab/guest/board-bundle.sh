#!/bin/sh
# board-bundle.sh TARBALL [HEAP...]: do with the bundle of `make
# board-bundle` what a board user does: unpack it in /tmp/board and run its
# run.sh (HEAPS: the heaps the machine's device tree defines); the exit
# status is run.sh's.
#
# board-bundle.sh --results: what run.sh left, as TAP: its TAP and closing
# line in results/tap.txt, the kernel log of this run in results/dmesg.txt,
# and an exit status that agrees with its closing line.
dir=/tmp/board

if [ "$1" != --results ]; then
	tarball=$1
	shift
	mkdir -p "$dir" && cd "$dir" || exit 1
	tar -xzf "$tarball" || exit 1
	name=$(basename "$tarball" .tar.gz)
	HEAPS="$*" ./"$name"/run.sh
	rc=$?
	echo "$name" > "$dir/name"
	echo "$rc" > "$dir/rc"
	exit $rc
fi

res=$dir/$(cat "$dir/name" 2>/dev/null)/results
echo "TAP version 13"
echo "1..3"
summary=$(tail -n 1 "$res/tap.txt" 2>/dev/null)
if echo "$summary" | grep -Eq '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'; then
	echo "ok 1 - results/tap.txt ends with the closing line"
else
	echo "not ok 1 - results/tap.txt ends with the closing line # got: $summary"
fi
if grep -q 'rmem-heap board bundle: run.sh starts' "$res/dmesg.txt" 2>/dev/null &&
   grep -q 'rmem-heap board bundle: run.sh ends' "$res/dmesg.txt"; then
	echo "ok 2 - results/dmesg.txt holds this run's kernel log"
else
	echo "not ok 2 - results/dmesg.txt holds this run's kernel log"
fi
failed=$(echo "$summary" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p')
rc=$(cat "$dir/rc" 2>/dev/null)
if { [ "$failed" = 0 ] && [ "$rc" = 0 ]; } ||
   { [ -n "$failed" ] && [ "$failed" != 0 ] && [ -n "$rc" ] && [ "$rc" != 0 ]; }; then
	echo "ok 3 - exit status $rc agrees with $failed failed"
else
	echo "not ok 3 - exit status ${rc:-none} agrees with ${failed:-no count of} failed"
fi
