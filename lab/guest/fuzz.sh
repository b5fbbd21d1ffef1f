#!/bin/sh
# The fuzz suite: rmem_heap_fuzz over every heap of the guest, the control
# device and the dma-bufs (from several threads), a buffer freed inside an open
# CPU access bracket, and the differential against the kernel's own system
# heap. TAP; the seed and the counts are printed.
#   fuzz.sh [OPS [THREADS]]  OPS: operations over all heaps (default
#   200000); THREADS: threads per heap (default: RMEM_HEAP_FUZZ_THREADS, or
#   the fuzzer's 4)
#   RMEM_HEAP_FUZZ_SEED=N: the seed (default: from the clock, printed)
#   RMEM_HEAP_FUZZ_THREADS=T: threads per heap, for make fuzz-soak (no more
#   than the host runs at once: on the lab's emulated guests more threads
#   than host cores gave fewer operations per second, most likely
#   cross-CPU TLB work; Documentation/rmem-heap.rst, "Fuzzing")
ops=${1:-200000}
threads=${2:-$RMEM_HEAP_FUZZ_THREADS}
set -- --ops "$ops"
if [ -n "$RMEM_HEAP_FUZZ_SEED" ]; then
	set -- "$@" --seed "$RMEM_HEAP_FUZZ_SEED"
fi
if [ -n "$threads" ]; then
	set -- "$@" --threads "$threads"
fi
exec /lab/rmem_heap_fuzz "$@"
