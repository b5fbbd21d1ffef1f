# rmem-heap: device-tree reserved memory as DMA-BUF heaps.
#
#   make demo      boot a ZCU102 guest and show the heap at work
#   make check     the whole test matrix (kernels x machines), judged
#   make bench     allocation and bandwidth figures on arm64 guests
#   make module    build the module against KDIR (default: the running kernel)
#   make docs      Documentation/ as HTML in out/docs/html; fails on any
#                  kernel-doc or Sphinx warning
#   make support-table  README's support table from out/results.json
#
# KERNELS="6.1 7.2" MACHINES="virt zynq" narrow the matrix.

KDIR ?= /lib/modules/$(shell uname -r)/build
PYTHON ?= python3

.PHONY: all module clean check demo bench deps deps-docs docs support-table

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
