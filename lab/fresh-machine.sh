#!/bin/bash
# shellcheck disable=SC2317 # the step functions run through run_step and traps
# Prove the README's two commands on a fresh Debian 12 machine: debootstrap a
# minimal bookworm root, copy this checkout into it and do there what the
# README tells a new user to do: install make, then `make check` and
# `make demo`. Nothing of this host's lab state (packages, ~/.cache/rmem-heap,
# out/) is visible inside, so whatever the lab forgets to install shows up.
#
#   bash lab/fresh-machine.sh [--full] [--no-demo] [--reuse] [--dir DIR]
#
# Runs as root on a Debian 12 host (installs debootstrap if missing). The
# mirrors are read from this host's apt sources at run time; none is written
# here. Exits non-zero if any step failed.

set -u
set -o pipefail

usage() {
	cat <<'EOF'
usage: bash lab/fresh-machine.sh [--full] [--no-demo] [--reuse] [--dir DIR]

Build a minimal Debian 12 root with debootstrap, copy this checkout to its
/root/rmem-heap and run there: apt-get install make; make check; make demo.

  --full       the whole matrix (plain `make check`); default is
               `make check KERNELS=6.1 MACHINES=virt`
  --no-demo    skip `make demo`
  --reuse      keep the root of the last run (with the packages and the
               ~/.cache/rmem-heap it got then): a warm re-run, not a fresh
               machine. By default the old root is deleted first.
  --dir DIR    work directory (default $FRESH_DIR, else
               /var/tmp/rmem-heap-fresh): the root is DIR/root, the logs
               are in DIR/logs
  -h, --help   this text

The root is kept after the run (everything unmounted); enter it with
  chroot DIR/root /bin/bash
EOF
}

die() { echo "fresh-machine: $*" >&2; exit 2; }

FULL=0
DEMO=1
REUSE=0
WORK=${FRESH_DIR:-/var/tmp/rmem-heap-fresh}
while [ $# -gt 0 ]; do
	case $1 in
	--full) FULL=1 ;;
	--no-demo) DEMO=0 ;;
	--reuse) REUSE=1 ;;
	--dir) [ $# -ge 2 ] || die "--dir needs a directory"; WORK=$2; shift ;;
	--dir=*) WORK=${1#--dir=} ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mount need it)"
TOP=$(cd "$(dirname "$0")/.." && pwd) || die "cannot find the checkout"
if [ ! -f "$TOP/Makefile" ] || [ ! -f "$TOP/lab/deps.sh" ]; then
	die "$TOP is not an rmem-heap checkout"
fi
# Canonical, so it compares equal to /proc/self/mounts and /proc/PID/root.
WORK=$(realpath -m -- "$WORK") || die "bad --dir"
case $WORK in
/ | "") die "refusing work directory '$WORK'" ;;
*[[:space:]]*) die "the work directory must not contain white space: '$WORK'" ;;
esac
ROOT=$WORK/root
mkdir -p "$WORK/logs" || die "cannot create $WORK/logs"
LOG=$WORK/logs/fresh-$(date +%Y%m%d-%H%M%S).log
: >"$LOG" || die "cannot write $LOG"

# Two runs on one root would unmount and delete under each other.
exec 9>"$WORK/lock"
flock -n 9 || die "another run is using $WORK"

T0=$SECONDS
hms() { printf '%dh%02dm%02ds' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)); }
say() { echo "[fresh $(hms $((SECONDS - T0)))] $*" | tee -a "$LOG"; }

# --- apt sources of this host -------------------------------------------------

# Print the URIs of the host's enabled "deb" sources, one a line: one-line
# entries ("deb [options] URI suite components") and deb822 stanzas.
host_uris() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if (i <= NF) print $i
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
		function flush(  n, u, j) {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") {
				n = split(uris, u, /[ \t]+/)
				for (j = 1; j <= n; j++) if (u[j] != "") print u[j]
			}
			types = ""; uris = ""; enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[^ \t][^:]*:/ {
			key = tolower(substr($0, 1, index($0, ":") - 1))
			val = substr($0, index($0, ":") + 1)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "enabled") { enabled = tolower(val); gsub(/[ \t]/, "", enabled) }
		}
		END { flush() }' "$f"
	done
}

URIS=$(host_uris | sed 's:/*$::')
DEB_MIRROR=$(grep -m1 '/debian$' <<<"$URIS")
SEC_MIRROR=$(grep -m1 '/debian-security$' <<<"$URIS")
[ -n "$DEB_MIRROR" ] || die "no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list*"

# --- mounts and clean-up ------------------------------------------------------

# Mount points at or under the root, deepest first.
mounts_under() {
	awk -v r="$ROOT" '{ m = $2; gsub(/\\040/, " ", m)
		if (m == r || index(m, r "/") == 1) print m }' /proc/self/mounts | sort -r
}

unmount_root() {
	local m
	while IFS= read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" || echo "fresh-machine: cannot unmount $m" >&2
	done < <(mounts_under)
	[ -z "$(mounts_under)" ]
}

# Processes whose root is the chroot (started by this run: QEMU, make...).
chroot_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
	done
}

mount_root() {
	mount -t proc proc "$ROOT/proc" &&
		mount --bind /dev "$ROOT/dev" &&
		# A slave, so the mounts below do not propagate back to the host's /dev.
		mount --make-rslave "$ROOT/dev" &&
		mount --bind /dev/pts "$ROOT/dev/pts" &&
		# Every real machine has a /dev/shm; give the chroot its own.
		mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm" &&
		mount -t sysfs sysfs "$ROOT/sys"
}

NAMES=()
TIMES=()
RESULTS=()
FAILED=0
CLOSING=""
INTERRUPTED=0

summary() {
	local i
	[ ${#NAMES[@]} -gt 0 ] || return 0
	say "summary (full log: $LOG)"
	for i in "${!NAMES[@]}"; do
		printf '  %-28s %10s  %s\n' "${NAMES[$i]}" "${TIMES[$i]}" "${RESULTS[$i]}" | tee -a "$LOG"
	done
	[ -z "$CLOSING" ] || printf '  make check: %s\n' "$CLOSING" | tee -a "$LOG"
	[ "$INTERRUPTED" = 0 ] || echo "  interrupted" | tee -a "$LOG"
}

cleanup() {
	local rc=$? pids
	trap - EXIT INT TERM
	pids=$(chroot_pids)
	if [ -n "$pids" ]; then
		say "stopping processes left in the chroot: $(echo "$pids" | tr '\n' ' ')"
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		sleep 3
		pids=$(chroot_pids)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	fi
	if [ -d "$ROOT" ] && ! unmount_root; then
		say "WARNING: still mounted under $ROOT: $(mounts_under | tr '\n' ' ')"
		rc=1
	fi
	summary
	[ "$rc" != 0 ] || rc=$FAILED
	say "done, exit status $rc; the root is kept in $ROOT (nothing mounted)"
	exit "$rc"
}
trap cleanup EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM

# --- steps ----------------------------------------------------------------------

# run_step NAME COMMAND...: run it with its output on the terminal and in the
# log, and record its time and result.
run_step() {
	local name=$1 t=$SECONDS rc
	shift
	say "$name ..."
	echo "===== $name: $*" >>"$LOG"
	# In the background with wait, so that a TERM or INT runs the clean-up
	# trap at once instead of after the step (bash defers traps until a
	# foreground command ends).
	rm -f "$WORK/.step-rc"
	{ "$@" 2>&1; echo $? >"$WORK/.step-rc"; } | tee -a "$LOG" &
	wait $!
	rc=$(cat "$WORK/.step-rc" 2>/dev/null || echo 1)
	NAMES+=("$name")
	TIMES+=("$(hms $((SECONDS - t)))")
	if [ "$rc" = 0 ]; then
		RESULTS+=("ok")
		say "$name: ok ($(hms $((SECONDS - t))))"
	else
		RESULTS+=("FAILED (exit $rc)")
		FAILED=1
		say "$name: FAILED, exit status $rc ($(hms $((SECONDS - t))))"
	fi
	return "$rc"
}

install_debootstrap() {
	export DEBIAN_FRONTEND=noninteractive
	# A failing index (mirror mid-sync) need not stop us; the install says.
	apt-get update -q || echo "warning: apt-get update reported errors; going on"
	# Other builds on this host may hold the dpkg lock for a while.
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 debootstrap
}

fresh_root() {
	if [ -d "$ROOT" ]; then
		unmount_root || { echo "still mounted under $ROOT; not deleting it" >&2; return 1; }
		# --one-file-system: never follow into anything mounted after all.
		rm -rf --one-file-system "$ROOT" || return 1
	fi
	debootstrap --variant=minbase bookworm "$ROOT" "$DEB_MIRROR" &&
		touch "$ROOT/.fresh-debootstrap-done"
}

configure_root() {
	{
		echo "deb $DEB_MIRROR bookworm main"
		echo "deb $DEB_MIRROR bookworm-updates main"
		[ -z "$SEC_MIRROR" ] || echo "deb $SEC_MIRROR bookworm-security main"
	} >"$ROOT/etc/apt/sources.list" || return 1
	[ -n "$SEC_MIRROR" ] || echo "warning: no security mirror in the host's sources; bookworm-security left out"
	rm -f "$ROOT/etc/resolv.conf"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" || return 1
	echo "sources.list:"
	sed 's/^/  /' "$ROOT/etc/apt/sources.list"
}

# The files git tracks and the untracked ones it does not ignore, as they are
# in the working tree now (out/ and caches are ignored, and skipped anyway).
copy_checkout() {
	local dest=$ROOT/root/rmem-heap st
	rm -rf --one-file-system "$dest" && mkdir -p "$dest" || return 1
	git -C "$TOP" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			case $f in out/* | __pycache__/* | */__pycache__/* | *.pyc) continue ;; esac
			# Listed by git but deleted in the working tree.
			[ -e "$TOP/$f" ] || [ -L "$TOP/$f" ] || continue
			printf '%s\0' "$f"
		done | sort -zu |
		tar -C "$TOP" --null -T - -cf - | tar -C "$dest" --no-same-owner -xf -
	st=("${PIPESTATUS[@]}")
	# tar exits 1 when a file changed while read (others edit the checkout).
	[ "${st[0]}" = 0 ] && [ "${st[3]}" -le 1 ] && [ "${st[4]}" = 0 ] || return 1
	echo "copied $(find "$dest" -type f | wc -l) files from $TOP to $dest"
}

# A login-less root shell with an empty environment, as on a new machine.
in_chroot() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		TERM=dumb LANG=C.UTF-8 sh -c "$1" </dev/null
}

if [ "$FULL" = 1 ]; then
	CHECK="make check"
else
	CHECK="make check KERNELS=6.1 MACHINES=virt"
fi

say "log: $LOG"
say "root: $ROOT; mirrors from this host's apt sources: $DEB_MIRROR${SEC_MIRROR:+ and $SEC_MIRROR}"

if ! command -v debootstrap >/dev/null; then
	run_step "host: install debootstrap" install_debootstrap || exit
fi

if [ "$REUSE" = 1 ] && [ -f "$ROOT/.fresh-debootstrap-done" ]; then
	say "--reuse: keeping $ROOT as it is (not a fresh machine: packages and cache of the last run stay)"
	unmount_root || die "cannot unmount what is left under $ROOT"
else
	run_step "debootstrap" fresh_root || exit
fi
run_step "configure apt, resolv.conf" configure_root || exit
run_step "copy the checkout" copy_checkout || exit
mount_root || { FAILED=1; say "mounting /proc, /dev, /sys in $ROOT failed"; exit 1; }

if [ -d "$ROOT/root/.cache/rmem-heap" ]; then
	say "the chroot's ~/.cache/rmem-heap holds $(du -sh "$ROOT/root/.cache/rmem-heap" | cut -f1) (--reuse)"
else
	say "the chroot's ~/.cache/rmem-heap does not exist: a cold run"
fi

# What the README asks of a new user: make is the one prerequisite.
run_step "apt-get install make" in_chroot "apt-get update && apt-get install -y make" || exit

start=$(wc -l <"$LOG")
run_step "$CHECK" in_chroot "cd /root/rmem-heap && $CHECK"
CLOSING=$(tail -n +"$((start + 1))" "$LOG" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
[ -n "$CLOSING" ] || CLOSING="(no closing line; see the log)"

if [ "$DEMO" = 1 ]; then
	run_step "make demo" in_chroot "cd /root/rmem-heap && make demo"
fi
exit "$FAILED"
