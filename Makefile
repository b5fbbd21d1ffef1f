# rmem-heap: device-tree reserved memory as DMA-BUF heaps.
#
#   make demo      boot a ZCU102 guest and show the heap at work
#   make check     the whole test matrix (kernels x machines), judged
#   make bench     allocation and bandwidth figures on arm64 guests
#   make module    build the module against KDIR (default: the running kernel)
#   make docs      Documentation/ as HTML in out/docs/html; fails on any
#                  kernel-doc or Sphinx warning
#   make support-table  README's support table from out/results.json
#   make fuzz-soak  rmem_heap_fuzz for FUZZ_OPS (10 million) operations in one
#                  guest (FUZZ_KERNEL=7.3 FUZZ_MACHINE=zcu102 FUZZ_SEED=N);
#                  hours on the lab's TCG guests
#
# KERNELS="6.1 7.2" MACHINES="virt zynq" narrow the matrix.

KDIR ?= /lib/modules/$(shell uname -r)/build
PYTHON ?= python3

.PHONY: all module clean check demo bench deps deps-docs docs support-table fuzz-soak

all: module

module:
	$(MAKE) -C driver KDIR=$(KDIR)

clean:
	$(MAKE) -C driver KDIR=$(KDIR) clean
	rm -rf out

deps:
	@sh lab/deps.sh

deps-docs:
	@sh lab/deps.sh docs

docs: deps-docs
	@$(PYTHON) -m lab.docs

support-table:
	@$(PYTHON) -m lab.support

check: deps deps-docs
	@$(PYTHON) -m lab.check $(if $(KERNELS),--kernels "$(KERNELS)") $(if $(MACHINES),--machines "$(MACHINES)")

demo: deps
	@$(PYTHON) -m lab.demo

bench: deps
	@$(PYTHON) -m lab.bench $(if $(KERNELS),--kernels "$(KERNELS)")

FUZZ_OPS ?= 10000000
FUZZ_KERNEL ?= newest
FUZZ_MACHINE ?= zcu102
FUZZ_TIMEOUT ?= 172800

fuzz-soak: deps
	@./tools/lab --kernel $(FUZZ_KERNEL) --machine $(FUZZ_MACHINE) --timeout $(FUZZ_TIMEOUT) \
		-- $(if $(FUZZ_SEED),env RMEM_HEAP_FUZZ_SEED=$(FUZZ_SEED)) sh /etc/lab/fuzz.sh $(FUZZ_OPS)
