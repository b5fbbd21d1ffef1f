#!/bin/sh
# kunit.sh [MODULE]: our KUnit suites' results as one KTAP document; load
# and unload the suites' module first when it is one.
#
# Each suite's debugfs results file is a KTAP document of its own ("KTAP
# version 1", "1..1", the suite, "ok 1 <suite>"): keep the suite and
# renumber its result line.
suites="rmem_heap_alloc rmem_heap_cache_model"

results() {
	n=0
	echo "KTAP version 1"
	echo "1..$(echo $suites | wc -w)"
	for s in $suites; do
		n=$((n + 1))
		f=/sys/kernel/debug/kunit/$s/results
		if [ ! -r "$f" ]; then
			echo "not ok $n $s # no results in $f"
			continue
		fi
		sed -e '1{/^KTAP version/d}' -e '/^1\.\.1$/d' \
		    -e "s/^\(not \)\{0,1\}ok 1 $s\$/\1ok $n $s/" "$f"
	done
}

if [ -n "${1:-}" ]; then
	insmod "$1" || exit 1
	results
	rc=$?
	rmmod "$(basename "$1" .ko)"
	exit $rc
fi
results
