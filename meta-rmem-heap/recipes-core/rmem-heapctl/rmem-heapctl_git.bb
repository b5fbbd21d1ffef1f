SUMMARY = "rmem-heapctl: inspect and use rmem-heap's DMA-BUF heaps"
DESCRIPTION = "Control tool of rmem-heap's /dev/rmem_heap, with the uAPI \
header <linux/rmem_heap.h> and the udev rules that give group video \
access to the heaps and the control device."
SECTION = "console/utils"
# The project's licence as the driver states it; point this at the tool's
# own SPDX line (tools/rmem-heapctl) if it ever differs.
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://driver/rmem_heap_main.c;beginline=1;endline=1;md5=50d2ba0afecd20f74c12a4bdbcfcfe61"

SRC_URI = "git://${RMEM_HEAP_GIT};protocol=${RMEM_HEAP_GIT_PROTOCOL};branch=${RMEM_HEAP_GIT_BRANCH}"
SRCREV = "${RMEM_HEAP_SRCREV}"
PV = "0.1+git${SRCPV}"
S = "${WORKDIR}/git"

# The top-level Makefile's install target: the tool and its man page, the
# uAPI header, the udev rules; it builds the tool with $(MAKE) -C
# tools/rmem-heapctl (CC, CFLAGS and LDFLAGS come from the environment).
do_compile() {
	oe_runmake -C tools/rmem-heapctl
}

do_install() {
	oe_runmake install DESTDIR=${D} PREFIX=${prefix} SBINDIR=${sbindir} \
		MANDIR=${mandir} INCLUDEDIR=${includedir} \
		UDEVRULESDIR=${nonarch_base_libdir}/udev/rules.d
}

FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d/60-rmem-heap.rules"
RRECOMMENDS:${PN} += "kernel-module-rmem-heap"
