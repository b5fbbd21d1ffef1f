#!/bin/sh
# kunit.sh [MODULE]: the allocator's KUnit results as KTAP; load and unload
# the suite's module first when it is one.
results=/sys/kernel/debug/kunit/rmem_heap_alloc/results
if [ -n "${1:-}" ]; then
	insmod "$1" || exit 1
	cat $results
	rc=$?
	rmmod "$(basename "$1" .ko)"
	exit $rc
fi
cat $results
