# rmem-heap: device-tree reserved memory as DMA-BUF heaps.
#
#   make demo      boot a ZCU102 guest and show the heap at work
#   make check     the whole test matrix (kernels x machines), judged
#   make bench     allocation and bandwidth figures on arm64 guests
#   make module    build the module against KDIR (default: the running kernel)
#
# KERNELS="6.1 7.2" MACHINES="virt zynq" narrow the matrix.

KDIR ?= /lib/modules/$(shell uname -r)/build
PYTHON ?= python3

.PHONY: all module clean check demo bench deps

all: module

module:
	$(MAKE) -C driver KDIR=$(KDIR)

clean:
	$(MAKE) -C driver KDIR=$(KDIR) clean
	rm -rf out

deps:
	@sh lab/deps.sh

check: deps
	@$(PYTHON) -m lab.check $(if $(KERNELS),--kernels "$(KERNELS)") $(if $(MACHINES),--machines "$(MACHINES)")

demo: deps
	@$(PYTHON) -m lab.demo

bench: deps
	@$(PYTHON) -m lab.bench $(if $(KERNELS),--kernels "$(KERNELS)")
