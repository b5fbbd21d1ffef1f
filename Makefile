# rmem-heap: device-tree reserved memory as DMA-BUF heaps.
#
#   make demo      boot a ZCU102 guest and show the heap at work
#   make check     the whole test matrix (kernels x machines), judged
#   make bench     allocation and bandwidth figures on arm64 guests
#   make soak      the stress suite for SOAK_MINUTES (default 30) on every
#                  debug guest: cycles per second per heap
#   make module    build the module against KDIR (default: the running kernel)
#   make docs      Documentation/ as HTML in out/docs/html; fails on any
#                  kernel-doc or Sphinx warning
#   make support-table  README's support table from out/results.json
#   make modules_install  install it (kbuild's modules_install; INSTALL_MOD_PATH=)
#   make install   rmem-heapctl and its man page, the uAPI header, the udev
#                  rules (DESTDIR=, PREFIX=; RMEM_HEAPCTL=no leaves the tool out)
#   make board-bundle KDIR=.. ARCH=.. CROSS_COMPILE=..  one tarball of the
#                  module and the tests for a real board (out/board-bundle-*)
#   make fuzz-soak  rmem_heap_fuzz for FUZZ_OPS (10 million) operations in one
#                  guest (FUZZ_KERNEL=7.3 FUZZ_MACHINE=zcu102 FUZZ_SEED=N
#                  FUZZ_THREADS=T, default 4 per heap);
#                  hours on the lab's TCG guests
#
# KERNELS="6.1 7.2" MACHINES="virt zynq" narrow the matrix.
# Documentation/packaging.rst: make install, DKMS, Yocto/PetaLinux, in-tree.

KDIR ?= /lib/modules/$(shell uname -r)/build
PYTHON ?= python3

DESTDIR ?=
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
# /etc/udev/rules.d for a local install; a distribution package would
# rather use /lib/udev/rules.d (UDEVRULESDIR=/lib/udev/rules.d).
UDEVRULESDIR ?= /etc/udev/rules.d
INSTALL ?= install

CTL_DIR := tools/rmem-heapctl
# make install installs the control tool unless told not to: a tree without
# its sources is an error, never a silent omission.
RMEM_HEAPCTL ?= yes

.PHONY: all module modules_install install install-ctl install-headers \
	install-udev board-bundle clean check demo bench soak deps deps-docs docs support-table \
	fuzz-soak

all: module

module:
	$(MAKE) -C driver KDIR=$(KDIR)

# kbuild's modules_install of the driver: lib/modules/<release>/updates (or
# extra on older kernels) under INSTALL_MOD_PATH, then depmod where the
# kernel build tree has a System.map.
modules_install:
	$(MAKE) -C driver KDIR=$(KDIR) modules_install

install: install-headers install-udev $(if $(filter yes,$(RMEM_HEAPCTL)),install-ctl)

install-headers:
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/linux
	$(INSTALL) -m 0644 include/uapi/linux/rmem_heap.h $(DESTDIR)$(INCLUDEDIR)/linux/

install-udev:
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR)
	$(INSTALL) -m 0644 Documentation/udev/60-rmem-heap.rules $(DESTDIR)$(UDEVRULESDIR)/

install-ctl:
	@test -f $(CTL_DIR)/Makefile || { echo "make install: $(CTL_DIR) is not in this" \
		"tree; RMEM_HEAPCTL=no installs without the control tool" >&2; exit 1; }
	$(MAKE) -C $(CTL_DIR) $(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE))
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(CTL_DIR)/rmem-heapctl $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(CTL_DIR)/rmem-heapctl.8 $(DESTDIR)$(MANDIR)/man8/

# tools/board-bundle/make-bundle.sh says what goes in; KSRC, UAPI,
# DRM_CFLAGS, DRM_LIB and OUT are optional.
board-bundle:
	KDIR="$(KDIR)" ARCH="$(ARCH)" CROSS_COMPILE="$(CROSS_COMPILE)" KSRC="$(KSRC)" \
	UAPI="$(UAPI)" DRM_CFLAGS="$(DRM_CFLAGS)" DRM_LIB="$(DRM_LIB)" OUT="$(OUT)" \
		sh tools/board-bundle/make-bundle.sh

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
	@$(PYTHON) -m lab.bench $(if $(KERNELS),--kernels "$(KERNELS)") \
		$(if $(MACHINES),--machines "$(MACHINES)") $(if $(BENCH_BOOTS),--boots $(BENCH_BOOTS)) \
		$(if $(BENCH_MAX_BOOTS),--max-boots $(BENCH_MAX_BOOTS))

soak: deps
	@$(PYTHON) -m lab.soak $(if $(SOAK_MINUTES),--minutes "$(SOAK_MINUTES)") \
		$(if $(KERNELS),--kernels "$(KERNELS)") $(if $(MACHINES),--machines "$(MACHINES)")

FUZZ_OPS ?= 10000000
FUZZ_KERNEL ?= newest
FUZZ_MACHINE ?= zcu102
FUZZ_TIMEOUT ?= 172800

fuzz-soak: deps
	@./tools/lab --kernel $(FUZZ_KERNEL) --machine $(FUZZ_MACHINE) --timeout $(FUZZ_TIMEOUT) \
		-- env $(if $(FUZZ_SEED),RMEM_HEAP_FUZZ_SEED=$(FUZZ_SEED)) \
		$(if $(FUZZ_THREADS),RMEM_HEAP_FUZZ_THREADS=$(FUZZ_THREADS)) sh /etc/lab/fuzz.sh $(FUZZ_OPS)
