#!/bin/sh
# The fuzz suite: rmem_heap_fuzz over every heap of the guest, the control
# device and the dma-bufs (from 4 threads), a buffer freed inside an open
# CPU access bracket, and the differential against the kernel's own system
# heap. TAP; the seed and the counts are printed.
#   fuzz.sh [OPS]  OPS: operations over all heaps (default 24000)
#   RMEM_HEAP_FUZZ_SEED=N: the seed (default: from the clock, printed)
ops=${1:-24000}
if [ -n "$RMEM_HEAP_FUZZ_SEED" ]; then
	exec /lab/rmem_heap_fuzz --seed "$RMEM_HEAP_FUZZ_SEED" --ops "$ops"
fi
exec /lab/rmem_heap_fuzz --ops "$ops"
