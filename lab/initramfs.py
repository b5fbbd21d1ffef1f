"""Guest userland: a newc cpio with busybox, an init script and the lab files.

Written in Python so that device nodes need no root and no host tool.
"""

import os
import stat

from . import util


class Cpio:
    def __init__(self):
        self.entries = []   # (name, mode, data, rdev)
        self.names = set()

    def _add(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.strip("/")
        parts = name.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in self.names:
                self.names.add(d)
                self.entries.append((d, stat.S_IFDIR | 0o755, b"", (0, 0)))
        if name in self.names:
            self.entries = [e for e in self.entries if e[0] != name]
        self.names.add(name)
        self.entries.append((name, mode, data, rdev))

    def dir(self, name):
        self._add(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode()
        self._add(name, stat.S_IFREG | mode, data)

    def host_file(self, name, path, mode=None):
        with open(path, "rb") as f:
            data = f.read()
        if mode is None:
            mode = os.stat(path).st_mode & 0o777
        self.file(name, data, mode)

    def symlink(self, name, target):
        self._add(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self._add(name, stat.S_IFCHR | mode, b"", (major, minor))

    def write(self, path):
        out = bytearray()
        ino = 1

        def hdr(name, mode, size, rdev, nlink):
            nm = name.encode() + b"\0"
            fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(nm), 0]
            h = b"070701" + b"".join(b"%08X" % f for f in fields)
            return h + nm

        def pad():
            while len(out) % 4:
                out.append(0)

        for name, mode, data, rdev in self.entries:
            nlink = 2 if stat.S_ISDIR(mode) else 1
            out += hdr(name, mode, len(data), rdev, nlink)
            pad()
            out += data
            pad()
            ino += 1
        out += hdr("TRAILER!!!", 0, 0, (0, 0), 1)
        pad()
        with open(path, "wb") as f:
            f.write(bytes(out))
        return path


INIT_HEAD = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/lab
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
quiet() { read LAB_LVL LAB_REST < /proc/sys/kernel/printk; echo 1 > /proc/sys/kernel/printk; }
loud() { echo "$LAB_LVL" > /proc/sys/kernel/printk; }
# Run a suite with its output kept aside, then print it whole between
# markers while kernel messages are held off the console (they stay in the
# kernel log, which is printed at the end).
lab_suite() {
	n=$1; shift
	read t0 rest < /proc/uptime
	"$@" > /tmp/suite.out 2>&1
	rc=$?
	read t1 rest < /proc/uptime
	quiet
	echo "### lab: begin $n"
	cat /tmp/suite.out
	echo "### lab: took $n $t0 $t1"
	echo "### lab: end $n rc=$rc"
	loud
}
# Every DMA-API debug error, not only the first one, reaches the console.
[ -w /sys/kernel/debug/dma-api/all_errors ] && echo 1 > /sys/kernel/debug/dma-api/all_errors
# kmemleak: forget what boot left behind, so that the final scan reports
# only what the tests leaked (LAB_KMEMLEAK=0 skips both scans).
KML=/sys/kernel/debug/kmemleak
[ -w $KML ] && [ "${LAB_KMEMLEAK:-1}" = 1 ] || KML=/nonexistent
if [ -w $KML ]; then echo scan > $KML; echo clear > $KML; fi
echo "### lab: booted $(uname -r)"
cd /lab
"""

INIT_TAIL = r"""
if [ -w $KML ]; then
	# Objects younger than 5 s are not reported yet: let the last ones age.
	sleep 5; echo scan > $KML
	quiet; echo "### lab: kmemleak"; cat $KML; loud
fi
quiet
echo "### lab: kernel log"
dmesg
echo "### lab: done"
loud
sync
"""


def build(path, arch, body, poweroff, files=(), modules_root=None, modules=(), env=None):
    """Write an initramfs at path.

    body: shell text run by /init after the common setup; env: shell
    variables set first (LAB_KMEMLEAK=0: no kmemleak scans); files: (guest
    path, host path) pairs; modules_root: a host lib/modules/<release> tree
    from which `modules` (names) and their dependencies are packed with a
    matching modules.dep for modprobe.
    """
    from . import fetch
    c = Cpio()
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "lab", "etc", "root"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.host_file("bin/busybox", fetch.busybox(arch), 0o755)
    for guest, host in files:
        c.host_file(guest, host)
    if modules_root:
        _pack_modules(c, modules_root, modules)
    head = INIT_HEAD.replace("/bin/busybox --install -s /bin\n", "/bin/busybox --install -s /bin\n" + "".join(
        "%s=%s\n" % kv for kv in sorted((env or {}).items())), 1)
    c.file("init", head + body + INIT_TAIL + poweroff + "\n", 0o755)
    util.ensure_dir(os.path.dirname(path))
    return c.write(path)


def _pack_modules(c, root, wanted):
    release = os.path.basename(root.rstrip("/"))
    deps = {}
    with open(os.path.join(root, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
    byname = {os.path.basename(m).split(".ko")[0].replace("-", "_"): m for m in deps}
    need = []

    def add(m):
        if m in need:
            return
        for d in deps.get(m, []):
            add(d)
        need.append(m)
    for w in wanted:
        add(byname[w.replace("-", "_")])
    lines = ["%s: %s" % (m, " ".join(deps[m])) for m in need]
    base = "lib/modules/%s/" % release
    for m in need:
        c.host_file(base + m, os.path.join(root, m))
    c.file(base + "modules.dep", "\n".join(lines) + "\n")
