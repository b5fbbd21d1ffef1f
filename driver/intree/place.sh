#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# place.sh - put rmem-heap into a kernel source tree as
#            drivers/dma-buf/heaps/rmem/ (CONFIG_DMABUF_HEAPS_RMEM)
#
# Usage: place.sh <kernel-tree>
#
# Idempotent.  The tree may be a hard-linked copy (cp -al) of a pristine
# tree, so no file is ever modified in place: every changed file is written
# to a temporary file next to it and renamed over it, which breaks the
# link.  Files whose content would not change are not touched at all, so
# their mtimes stay and rebuilds stay incremental.

set -eu

tree=${1:?usage: place.sh <kernel-tree>}
here=$(cd "$(dirname "$0")/.." && pwd)
heaps=$tree/drivers/dma-buf/heaps
dest=$heaps/rmem

[ -f "$heaps/Makefile" ] && [ -f "$heaps/Kconfig" ] || {
	echo "place.sh: $tree has no drivers/dma-buf/heaps" >&2
	exit 1
}

tmp=
trap 'rm -f "$tmp"' EXIT

# install_file <content-file> <target> [mode]: replace target if different
install_file() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		return 0
	fi
	tmp=$(mktemp "$2.place.XXXXXX")
	cat "$1" > "$tmp"
	chmod "${3:-0644}" "$tmp"
	mv -f "$tmp" "$2"
	tmp=
	echo "  PLACE   ${2#"$tree"/}"
}

# append_line <file> <line>: add line at the end unless already present
append_line() {
	grep -qxF "$2" "$1" && return 0
	tmp=$(mktemp "$1.place.XXXXXX")
	cat "$1" > "$tmp"
	printf '%s\n' "$2" >> "$tmp"
	chmod "$(stat -c %a "$1")" "$tmp"
	mv -f "$tmp" "$1"
	tmp=
	echo "  PLACE   ${1#"$tree"/}"
}

mkdir -p "$dest"

for f in "$here"/*.c "$here"/*.h "$here"/Kbuild; do
	name=$(basename "$f")
	case $name in
	rmem_heap_config.h|*.mod.c) continue ;;
	esac
	install_file "$f" "$dest/$name"
done
install_file "$here/gen-compat.sh" "$dest/gen-compat.sh" 0755
# The control device's uAPI header, exported by headers_install like any
# other in include/uapi.
install_file "$here/../include/uapi/linux/rmem_heap.h" \
	"$tree/include/uapi/linux/rmem_heap.h"

# A module can only use dma_heap_add() where the tree exports it; elsewhere
# the driver can only be built in.
kconfig=$(mktemp)
if grep -q 'EXPORT_SYMBOL.*(dma_heap_add,' "$tree/drivers/dma-buf/dma-heap.c"; then
	cp "$here/Kconfig" "$kconfig"
else
	sed '/^config DMABUF_HEAPS_RMEM$/,/^$/ s/^\ttristate "/\tbool "/' \
		"$here/Kconfig" > "$kconfig"
fi
install_file "$kconfig" "$dest/Kconfig"
rm -f "$kconfig"

append_line "$heaps/Makefile" 'obj-y += rmem/'
append_line "$heaps/Kconfig" 'source "drivers/dma-buf/heaps/rmem/Kconfig"'
