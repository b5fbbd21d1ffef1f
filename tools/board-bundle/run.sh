#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - rmem-heap's tests on a real board (POSIX sh; busybox will do).
#
# Usage (as root, in the unpacked bundle):
#   HEAPS="rmem video frames" ./run.sh
#
# Loads the bundle's modules (lib/modules/<release>/updates: rmem_heap.ko
# and the test importer rmem_heap_importer.ko), runs every suite, prints
# one TAP document (a subtest a suite) and a closing line
# "N passed, N failed, N skipped", and keeps in RESULTS (default
# ./results next to this script): tap.txt (what was printed), one file a
# suite and dmesg.txt (the kernel log).  Exit status 0 only if nothing
# failed.
#
# HEAPS: the heap names the board's device tree defines; each must have
# probed (sysfs directory and /dev/dma_heap node).  Without it the "heaps"
# suite is skipped.  The device tree itself is the board's: dts/ has
# examples (PetaLinux system-user.dtsi, overlays).
#
# The suites are the lab's own guest scripts (tests/) and test programs
# (bin/), the same that `make check` runs in QEMU.

here=$(cd "$(dirname "$0")" && pwd)
RESULTS=${RESULTS:-$here/results}
export PATH="$here/bin:$PATH"

mkdir -p "$RESULTS" || exit 1
rm -f "$RESULTS"/*.tap "$RESULTS"/*.rc "$RESULTS"/tap.txt "$RESULTS"/dmesg.txt

# quiet / errors_only / loud: kernel messages held off the console while a
# suite runs (they stay in the kernel log, see dmesg.txt).
. "$here/tests/lib.sh"

release=$(uname -r)
mods=$here/lib/modules/$release/updates
ko() { echo "$mods/$1.ko"; }

# Suites: name and command, one a line; run() reads them.
suites="load
heaps
rmem_heap_test
rmem_heap_ctl
rmem_heap_import
dmabuf-heap
kunit
lifetime"

# load: the modules of the bundle, as TAP.
load() {
	echo "TAP version 13"
	echo "1..2"
	n=0
	for m in rmem_heap rmem_heap_importer; do
		n=$((n + 1))
		if [ -d "/sys/module/$m" ]; then
			echo "ok $n - $m # SKIP already loaded (or built in): that one is tested"
		elif [ ! -f "$(ko $m)" ]; then
			echo "not ok $n - $m # no $(ko $m): this bundle is not for kernel $release"
		elif insmod "$(ko $m)"; then
			echo "ok $n - insmod $m.ko"
		else
			echo "not ok $n - insmod $m.ko"
		fi
	done
}

skip_suite() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
}

# first_heap: a heap to check the module's lifetime with
first_heap() {
	for h in $HEAPS; do echo "$h"; return; done
	for d in /sys/class/rmem_heap/*; do
		[ -d "$d" ] && { echo "${d##*/}"; return; }
	done
}

suite() {
	case $1 in
	load) load ;;
	heaps)
		if [ -n "$HEAPS" ]; then
			# shellcheck disable=SC2086
			sh "$here/tests/heaps.sh" $HEAPS
		else
			skip_suite "HEAPS not set (the heap names of this board's device tree)"
		fi ;;
	rmem_heap_test|rmem_heap_ctl|rmem_heap_import) "$here/bin/$1" ;;
	dmabuf-heap) sh "$here/tests/dmabuf-heap.sh" ;;
	kunit)
		if [ -f "$(ko rmem_heap_kunit)" ]; then
			sh "$here/tests/kunit.sh" "$(ko rmem_heap_kunit)"
		elif [ -d /sys/kernel/debug/kunit/rmem_heap_alloc ]; then
			sh "$here/tests/kunit.sh"
		else
			skip_suite "KUnit is not built for kernel $release"
		fi ;;
	lifetime)
		if [ -f /sys/module/rmem_heap/initstate ]; then
			RMEM_HEAP_KO=$(ko rmem_heap) RMEM_HEAP_NAME=$(first_heap) \
				RMEM_HEAP_HOLD="$here/bin/rmem_heap_stress" \
				sh "$here/tests/lifetime.sh"
		else
			skip_suite "rmem_heap is built into this kernel: no module to unload"
		fi ;;
	esac
}

# count FILE: "passed failed skipped" of a suite's TAP, as the lab counts
# (lab/tap.py): a result line is a leaf unless the result lines right
# before it are indented deeper (KTAP prints a parent after its subtests);
# a parent that says "not ok" while none of those failed is one failure;
# fewer or more results than the outermost plan is one failure;
# "1..0 # SKIP" with no result at all is one skip.
count() {
	awk '
	/^[ \t]*(not ok|ok)([ \t]|$)/ {
		n++
		match($0, /^[ \t]*/); ind[n] = RLENGTH
		ok[n] = ($0 !~ /^[ \t]*not ok/)
		sk[n] = ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
		next
	}
	/^[ \t]*1\.\.[0-9]+/ {
		match($0, /^[ \t]*/)
		if (!planned || RLENGTH < pind) {
			planned = 1; pind = RLENGTH
			x = $0; sub(/^[ \t]*1\.\./, "", x); plan = x + 0
			skipplan = ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			if (i > 1 && ind[i - 1] > ind[i]) {
				bad = 0
				for (j = i - 1; j >= 1 && ind[j] > ind[i]; j--)
					if (!ok[j]) bad = 1
				if (!ok[i] && !bad) f++
				continue
			}
			if (!ok[i]) f++
			else if (sk[i]) s++
			else p++
		}
		if (n == 0 && skipplan) s++
		else if (planned) {
			top = 0
			for (i = 1; i <= n; i++) if (ind[i] == pind) top++
			if (top != plan) f++
		}
		print p + 0, f + 0, s + 0
	}
	' "$1"
}

# skip_reason FILE: the reason of a suite that skipped as a whole, if it did
skip_reason() {
	grep -Eq '^[[:space:]]*(not )?ok([[:space:]]|$)' "$1" && return
	sed -n 's/^[[:space:]]*1\.\.0[[:space:]]*#[[:space:]]*[Ss][Kk][Ii][Pp][[:space:]]*//p' "$1" |
		head -n 1
}

total_p=0
total_f=0
total_s=0
n=0
nsuites=$(echo "$suites" | wc -l)

# grab_log: append to dmesg.txt the kernel log lines newer than the last
# one it holds.  Taken after every suite: a long run (the lifetime suite's
# load/unload cycles) overruns the kernel's log buffer.
last=-1
grab_log() {
	dmesg | awk -v last="$last" '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
		if (t + 0 > last + 0) print }' >> "$RESULTS/dmesg.txt"
	t=$(tail -n 1 "$RESULTS/dmesg.txt" 2>/dev/null | sed 's/^\[ *//; s/\].*//')
	[ -n "$t" ] && last=$t
}

main() {
	echo "TAP version 13"
	echo "# rmem-heap board bundle on $(uname -r) $(uname -m); results in $RESULTS"
	echo "1..$nsuites"
	echo "rmem-heap board bundle: run.sh starts" > /dev/kmsg 2>/dev/null
	grab_log
	for s in $suites; do
		n=$((n + 1))
		echo "# Subtest: $s"
		errors_only
		cd "$here/bin" || exit 1
		{ suite "$s" 2>&1; echo $? > "$RESULTS/$s.rc"; } |
			tee "$RESULTS/$s.tap" | sed 's/^/    /'
		cd "$here" || exit 1
		loud
		grab_log
		rc=$(cat "$RESULTS/$s.rc")
		set -- $(count "$RESULTS/$s.tap")
		p=$1 f=$2 sk=$3
		why=
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1
			why=" # exit status $rc with no failing test line"
		elif [ $((p + f + sk)) = 0 ] && [ "$s" = dmabuf-heap ] &&
		     ! grep -qw FAIL "$RESULTS/$s.tap"; then
			# the kernel's own selftest prints plain text on 6.1:
			# judged by its exit status and FAIL lines (as lab/tap.py)
			p=1
		elif [ $((p + f + sk)) = 0 ]; then
			f=1
			why=" # no results"
		fi
		total_p=$((total_p + p))
		total_f=$((total_f + f))
		total_s=$((total_s + sk))
		skipped=$(skip_reason "$RESULTS/$s.tap")
		if [ "$f" = 0 ] && [ -n "$skipped" ]; then
			echo "ok $n - $s # SKIP $skipped"
		elif [ "$f" = 0 ]; then
			echo "ok $n - $s"
		else
			echo "not ok $n - $s$why"
		fi
	done
	echo "rmem-heap board bundle: run.sh ends" > /dev/kmsg 2>/dev/null
	grab_log
	echo "# kernel log: $RESULTS/dmesg.txt ($(wc -l < "$RESULTS/dmesg.txt") lines)"
	echo "$total_p passed, $total_f failed, $total_s skipped"
	[ "$total_f" = 0 ]
}

[ -d /sys/kernel/debug/dma_buf ] || [ -d /sys/kernel/debug/kunit ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

{ main; echo $? > "$RESULTS/run.rc"; } 2>&1 | tee "$RESULTS/tap.txt"
exit "$(cat "$RESULTS/run.rc")"
