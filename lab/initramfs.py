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


GUEST = os.path.join(util.TOP, "lab", "guest")


def build(path, arch, body, poweroff, files=(), modules_root=None, modules=(), env=None,
          command=None):
    """Write an initramfs at path.

    /init is lab/guest/init.sh; the other scripts of lab/guest go to
    /etc/lab. body: shell text that /init runs after its setup
    (/etc/lab/body.sh); env: shell variables set first (LAB_KMEMLEAK=0: no
    kmemleak scans); command: a script for lab_command (/etc/lab/command.sh);
    files: (guest path, host path) pairs; modules_root: a host
    lib/modules/<release> tree from which `modules` (names) and their
    dependencies are packed with a matching modules.dep for modprobe.
    """
    from . import fetch
    c = Cpio()
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "lab", "etc/lab", "root"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.host_file("bin/busybox", fetch.busybox(arch), 0o755)
    c.host_file("init", os.path.join(GUEST, "init.sh"), 0o755)
    for f in sorted(os.listdir(GUEST)):
        if f.endswith(".sh") and f != "init.sh":
            c.host_file("etc/lab/" + f, os.path.join(GUEST, f), 0o755)
    for guest, host in files:
        c.host_file(guest, host)
    if modules_root:
        _pack_modules(c, modules_root, modules)
    env = dict(env or {}, LAB_POWEROFF=poweroff)
    c.file("etc/lab/env", "".join("%s='%s'\n" % kv for kv in sorted(env.items())))
    c.file("etc/lab/body.sh", body)
    if command is not None:
        c.file("etc/lab/command.sh", command, 0o755)
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
