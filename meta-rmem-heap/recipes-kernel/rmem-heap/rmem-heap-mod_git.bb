SUMMARY = "rmem-heap: device-tree reserved memory as DMA-BUF heaps"
DESCRIPTION = "Out-of-tree kernel module that registers each linux,rmem-heap \
device-tree node's reserved-memory regions as DMA-BUF heaps \
(/dev/dma_heap/<name>)."
SECTION = "kernel/modules"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://rmem_heap_main.c;beginline=1;endline=1;md5=50d2ba0afecd20f74c12a4bdbcfcfe61"

inherit module

SRC_URI = "git://${RMEM_HEAP_GIT};protocol=${RMEM_HEAP_GIT_PROTOCOL};branch=${RMEM_HEAP_GIT_BRANCH}"
SRCREV = "${RMEM_HEAP_SRCREV}"
PV = "0.1+git${SRCPV}"

# driver/Makefile builds against KDIR; module.bbclass adds the kernel's
# build directory as O= (the source tree is KDIR then).  Its Kbuild runs
# gen-compat.sh against the target kernel's headers and Module.symvers.
S = "${WORKDIR}/git/driver"
EXTRA_OEMAKE += "KDIR=${STAGING_KERNEL_DIR}"

# module.bbclass runs `make modules_install` with MODLIB (kbuild's).
# The package is kernel-module-rmem-heap (and kernel-module-rmem-heap-kunit
# where the kernel has CONFIG_KUNIT).
RPROVIDES:${PN} += "kernel-module-rmem-heap"
KERNEL_MODULE_AUTOLOAD += "rmem_heap"
