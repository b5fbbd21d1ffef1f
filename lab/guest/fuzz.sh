#!/bin/sh
# The fuzz suite: rmem_heap_fuzz over every heap of the guest, the control
# device and the dma-bufs (from 4 threads), a buffer freed inside an open
# CPU access bracket, and the differential against the kernel's own system
# heap. TAP; the seed and the counts are printed.
#   fuzz.sh [OPS]  OPS: operations over all heaps (default 24000)
#   RMEM_HEAP_FUZZ_SEED=N: the seed (default: from the clock, printed)
#   RMEM_HEAP_FUZZ_THREADS=T: threads per heap (default 4; for make
#   fuzz-soak no more than the host can run at once: on the lab's emulated
#   guests more threads gave fewer operations per second, most likely
#   cross-CPU TLB work; Documentation/rmem-heap.rst, "Fuzzing")
ops=${1:-24000}
set -- --ops "$ops"
if [ -n "$RMEM_HEAP_FUZZ_SEED" ]; then
	set -- "$@" --seed "$RMEM_HEAP_FUZZ_SEED"
fi
if [ -n "$RMEM_HEAP_FUZZ_THREADS" ]; then
	set -- "$@" --threads "$RMEM_HEAP_FUZZ_THREADS"
fi
exec /lab/rmem_heap_fuzz "$@"
