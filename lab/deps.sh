#!/bin/sh
# Install the host packages the lab needs (Debian 12), once:
#
#   sh lab/deps.sh        what make check, demo and bench need
#   sh lab/deps.sh docs   what make docs needs (Sphinx, Graphviz; the kernel
#                         source for kernel-doc is fetched like the lab's)
#
# Runs as root; anything already installed is left alone. The host's apt
# configuration is not changed (no foreign architectures are added): the
# guests' kernels, busybox and libdrm are fetched and extracted into the
# cache by lab/fetch.py.
#
# A package index that fails to download (a mirror in the middle of a sync)
# only warns; downloads are retried; the script fails only when a package
# cannot be installed, and then names it.

PKGS="make gcc libc6-dev rsync python3 perl bc flex bison cpio xz-utils kmod
libssl-dev libelf-dev dpkg-dev device-tree-compiler python3-libfdt sparse dt-schema
qemu-system-arm gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
libc6-dev-arm64-cross libc6-dev-armhf-cross debian-archive-keyring
ca-certificates groff-base"
# make docs: Debian's Sphinx (PyPI is not used), dot for the diagram, and
# what lab/fetch.py needs to download and unpack a linux-source package.
DOCS_PKGS="make python3 xz-utils debian-archive-keyring ca-certificates
python3-sphinx graphviz"
case "${1:-}" in
"") ;;
docs) PKGS=$DOCS_PKGS ;;
*) echo "usage: sh lab/deps.sh [docs]" >&2; exit 2 ;;
esac

say() { echo "[lab deps] $*" >&2; }

missing() {
	m=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || m="$m $p"
	done
	echo $m
}

need=$(missing)
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	say "missing host packages: $need (run as root, or install them)"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=${TMPDIR:-/tmp}/rmem-heap-deps.log
say "installing host packages: $need (log: $log)"
: > "$log"
try=1
while :; do
	if ! apt-get update -q -o Acquire::Retries=3 >>"$log" 2>&1; then
		say "warning: apt-get update reported errors (some index failed); going on with the others"
	fi
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 $need >>"$log" 2>&1 && break
	[ $try -ge 3 ] && break
	say "apt-get install failed (try $try of 3), retrying in $((try * 10)) s"
	sleep $((try * 10))
	try=$((try + 1))
done
need=$(missing)
if [ -n "$need" ]; then
	# Say which ones, and why, package by package.
	for p in $need; do
		apt-get install -y -q --no-install-recommends "$p" >>"$log" 2>&1 ||
			say "cannot install $p: $(grep -E '^E:' "$log" | tail -n 1)"
	done
	need=$(missing)
	[ -n "$need" ] && { say "FAILED: these host packages could not be installed: $need (log: $log)"; exit 1; }
fi
say "host packages installed"
