#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make-bundle.sh - the test bundle for a real board (`make board-bundle`).
#
#   make board-bundle KDIR=<kernel build dir> ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
#        [KSRC=<kernel source tree>] [UAPI=<headers_install dir>/usr/include] \
#        [DRM_CFLAGS=-I<libdrm headers> DRM_LIB=<dir of the target's libdrm.a>] [OUT=out]
#
# Writes $OUT/board-bundle-<kernel release>-<arch>.tar.gz, one directory:
#   run.sh                      run everything on the board (see its header)
#   lib/modules/<release>/updates/   rmem_heap.ko (+ rmem_heap_kunit.ko where
#                               the kernel has KUnit), rmem_heap_importer.ko:
#                               kbuild's modules_install
#   bin/                        the static test programs (selftests/), and
#                               rmem-heapctl where the tree has it
#   tests/                      the lab's guest scripts the suites run
#   dts/                        example device-tree fragments and overlays
#
# KSRC (for kselftest_harness.h and the kernel's dmabuf-heap selftest)
# defaults to KDIR/source, else KDIR.  UAPI defaults to a headers_install
# of KSRC made here.  DRM_CFLAGS/DRM_LIB default to the host's multiarch
# libdrm-dev for the target (libdrm-dev:arm64).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
KDIR=${KDIR:?KDIR=<kernel build dir> is required}
KDIR=$(cd "$KDIR" && pwd)
ARCH=${ARCH:?ARCH= is required (arm64, arm)}
CROSS_COMPILE=${CROSS_COMPILE-}
OUT=${OUT:-$top/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export ARCH CROSS_COMPILE
unset KBUILD_OUTPUT

if [ -z "${KSRC-}" ]; then
	if [ -d "$KDIR/source" ]; then KSRC=$KDIR/source; else KSRC=$KDIR; fi
fi
KSRC=$(cd "$KSRC" && pwd)

if [ -r "$KDIR/include/config/kernel.release" ]; then
	release=$(cat "$KDIR/include/config/kernel.release")
else
	release=$(make -s -C "$KDIR" kernelrelease)
fi
[ -n "$release" ] || { echo "make-bundle: no kernel release in $KDIR" >&2; exit 1; }

name=board-bundle-$release-$ARCH
work=$OUT/board-bundle-work/$release-$ARCH
stage=$work/$name
say() { echo "  BUNDLE  $*"; }

rm -rf "$work"
mkdir -p "$work/src" "$stage/bin" "$stage/tests" "$stage/dts"

# The kernel modules, built in a private copy of the sources (the work tree
# stays clean), installed by kbuild's modules_install.
# include/: the uAPI header, found by driver/Kbuild as ../include.
cp -a "$top/driver" "$top/include" "$top/selftests/importer" "$work/src/"
say "rmem_heap.ko for $release ($ARCH)"
make -C "$work/src/driver" KDIR="$KDIR" INSTALL_MOD_PATH="$stage" \
	INSTALL_MOD_DIR=updates modules_install > "$work/driver.log" 2>&1 ||
	{ tail -n 30 "$work/driver.log"; exit 1; }
say "rmem_heap_importer.ko"
make -C "$KDIR" M="$work/src/importer" modules > "$work/importer.log" 2>&1 &&
make -C "$KDIR" M="$work/src/importer" INSTALL_MOD_PATH="$stage" \
	INSTALL_MOD_DIR=updates modules_install >> "$work/importer.log" 2>&1 ||
	{ tail -n 30 "$work/importer.log"; exit 1; }
# depmod's indexes (where kbuild made them) belong to the whole kernel, not
# to this bundle.
find "$stage/lib/modules/$release" -maxdepth 1 -type f -name 'modules.*' -delete
mods=$stage/lib/modules/$release/updates
[ -f "$mods/rmem_heap.ko" ] && [ -f "$mods/rmem_heap_importer.ko" ] ||
	{ echo "make-bundle: modules_install left no modules in $mods" >&2; exit 1; }

if [ -z "${UAPI-}" ]; then
	say "uapi headers of $KSRC"
	make -C "$KSRC" O="$work/uapi" headers_install > "$work/uapi.log" 2>&1 ||
		{ tail -n 30 "$work/uapi.log"; exit 1; }
	UAPI=$work/uapi/usr/include
fi

say "test programs"
make -C "$top/selftests" CROSS_COMPILE="$CROSS_COMPILE" KSRC="$KSRC" UAPI="$UAPI" \
	O="$work/selftests" ${DRM_CFLAGS:+"DRM_CFLAGS=$DRM_CFLAGS"} \
	${DRM_LIB:+"DRM_LIB=$DRM_LIB"} -j2 > "$work/selftests.log" 2>&1 ||
	{ tail -n 30 "$work/selftests.log"; exit 1; }
for b in rmem_heap_test rmem_heap_ctl rmem_heap_import dmabuf-heap rmem_heap_demo rmem_heap_stress; do
	cp "$work/selftests/$b" "$stage/bin/"
done

if [ -f "$top/tools/rmem-heapctl/Makefile" ]; then
	say "rmem-heapctl"
	# built from the tree (it takes <linux/rmem_heap.h> from include/uapi
	# there), into the work directory
	make -C "$top/tools/rmem-heapctl" O="$work/rmem-heapctl" \
		CROSS_COMPILE="$CROSS_COMPILE" > "$work/rmem-heapctl.log" 2>&1 ||
		{ tail -n 30 "$work/rmem-heapctl.log"; exit 1; }
	cp "$work/rmem-heapctl/rmem-heapctl" "$stage/bin/"
else
	say "no tools/rmem-heapctl in this tree: the bundle has no rmem-heapctl"
fi

# The suites: the lab's own guest scripts, unchanged.
for s in lib.sh heaps.sh dmabuf-heap.sh kunit.sh lifetime.sh; do
	cp "$top/lab/guest/$s" "$stage/tests/"
done
cp "$top"/dts/examples/*.dtsi "$top"/dts/lab/*.dtso "$stage/dts/"
cp "$top/tools/board-bundle/run.sh" "$stage/run.sh"
chmod 0755 "$stage/run.sh"
cat > "$stage/README" <<EOF
rmem-heap test bundle for Linux $release ($ARCH), made by \`make board-bundle\`
from rmem-heap $(git -C "$top" describe --always --dirty 2>/dev/null || echo "(no git)").

On the board, as root:
    tar -xzf $name.tar.gz && cd $name
    HEAPS="<the heap names of your device tree>" ./run.sh

TAP on the console, a closing "N passed, N failed, N skipped" line, exit
status 0 only if nothing failed; results/ keeps the TAP and the kernel log.
The device tree is the board's own: dts/ has examples.
EOF

tar -C "$work" -czf "$OUT/$name.tar.gz.tmp" "$name"
mv -f "$OUT/$name.tar.gz.tmp" "$OUT/$name.tar.gz"
echo "$OUT/$name.tar.gz"
