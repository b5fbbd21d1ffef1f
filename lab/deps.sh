#!/bin/sh
# Install the host packages the lab needs (Debian 12), once. Runs as root;
# anything already installed is left alone. Foreign-architecture kernels and
# busybox are never installed: lab/fetch.py extracts those into the cache.
set -e
PKGS="qemu-system-arm gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
libc6-dev-arm64-cross libc6-dev-armhf-cross make flex bison bc
device-tree-compiler cpio sparse dt-schema kmod xz-utils libssl-dev
libelf-dev python3 perl dpkg-dev"
# libdrm for the test programs, through multiarch (safe for this package).
MULTI="libdrm-dev:arm64 libdrm-dev:armhf"

missing=""
for p in $PKGS $MULTI; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "lab: missing host packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "[lab] installing host packages:$missing" >&2
for a in arm64 armhf; do
	dpkg --print-foreign-architectures | grep -qx $a || dpkg --add-architecture $a
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
