"""Host-side builds against one kernel: our module, the KUnit and judge
modules and the static test programs.

Every build works on a private copy of the sources under out/, so several
kernels can be built for without touching the work tree.
"""

import os
import re
import subprocess

from . import fetch, hugepages, util

CROSS = {"arm64": "aarch64-linux-gnu-", "arm": "arm-linux-gnueabihf-"}
HEAPCTL = os.path.join(util.TOP, "tools", "rmem-heapctl")


class Target:
    """What external builds need of a kernel: lab kernel or distribution headers."""

    def __init__(self, name, arch, kdir, ksrc, uapi, release, config, builtin=False):
        self.name = name          # 6.1, 6.12, 7.2, debian, intree
        self.arch = arch
        self.kdir = kdir          # make -C here for M= builds
        self.ksrc = ksrc          # a full source tree (selftests, checkpatch)
        self.uapi = uapi          # headers_install output (usr/include)
        self.release = release
        self.config = config      # dict of CONFIG_ options
        self.builtin = builtin    # the driver is built into the kernel


def _copy(src, dst):
    """Mirror src into dst, keeping mtimes of unchanged files (incremental builds)."""
    util.ensure_dir(dst)
    subprocess.run(["cp", "-a", "-u", src + "/.", dst], check=True)
    # Drop files that no longer exist in src (renamed sources).
    for root, _, files in os.walk(dst):
        rel = os.path.relpath(root, dst)
        for f in files:
            if f.endswith((".c", ".h", ".sh")) or f in ("Kbuild", "Makefile", "Kconfig"):
                if not os.path.exists(os.path.join(src, rel, f)):
                    os.unlink(os.path.join(root, f))


WARN = re.compile(r"(warning|error):", re.I)


def kmod(target, srcdir, outdir, what, extra=(), strict=False):
    """Build the external module in srcdir against target; return (kos, warnings).

    strict: build with W=1 and C=2 (sparse) and return every warning line.
    """
    work = os.path.join(outdir, os.path.basename(srcdir))
    _copy(srcdir, work)
    # A sibling include/ (the driver's uAPI header) goes along, where the
    # module's Kbuild finds it as ../include.
    inc = os.path.join(os.path.dirname(srcdir), "include")
    incs = []
    if os.path.isdir(inc):
        _copy(inc, os.path.join(outdir, "include"))
        incs = sorted(os.path.join(r, f) for r, _, fs in os.walk(inc) for f in fs)
    log = os.path.join(outdir, "%s.log" % os.path.basename(srcdir))
    args = ["make", "-C", target.kdir, "ARCH=" + target.arch,
            "CROSS_COMPILE=" + CROSS[target.arch], "M=" + work] + list(extra)
    if strict:
        args += ["W=1", "C=2", "CHECK=" + fetch.sparse()]
    # The same sources built the same way: the log of that build (and its
    # warnings) still holds. Otherwise rebuild every object, so that the
    # warnings are seen again.
    srcs = sorted(os.path.join(srcdir, f) for f in os.listdir(srcdir)
                  if os.path.isfile(os.path.join(srcdir, f)))
    stamp = os.path.join(outdir, "%s.stamp" % os.path.basename(srcdir))
    key = util.digest(" ".join(args), *(srcs + incs))
    if not (os.path.exists(stamp) and os.path.exists(log) and open(stamp).read() == key):
        open(log, "w").close()
        util.say("building %s for kernel %s/%s%s (log: %s)" % (
            what, target.name, target.arch, " with W=1 and sparse" if strict else "", log))
        if strict:
            subprocess.run(args + ["clean"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        util.run_logged(args + ["-j2", "modules"], log,
                        "building %s for kernel %s/%s" % (what, target.name, target.arch),
                        env=hugepages.env())
        util.mark(stamp, key)
    with open(log) as f:
        # Kbuild's own "C=2 specified, but sparse is not available or not
        # up to date" counts too: a check that did not run is not clean.
        warnings = [l.rstrip() for l in f if WARN.search(l)]
    kos = {os.path.basename(p)[:-3]: os.path.join(work, p)
           for p in os.listdir(work) if p.endswith(".ko")}
    return kos, warnings, log


def tests(target, outdir):
    """Build the static test programs for target's architecture and kernel."""
    out = os.path.join(outdir, "selftests")
    log = os.path.join(outdir, "selftests.log")
    open(log, "w").close()
    incs, lib = fetch.libdrm({"arm64": "arm64", "arm": "armhf"}[target.arch])
    util.say("building the test programs for kernel %s/%s (log: %s)"
             % (target.name, target.arch, log))
    util.run_logged(["make", "-C", os.path.join(util.TOP, "selftests"),
                     "CROSS_COMPILE=" + CROSS[target.arch], "KSRC=" + target.ksrc,
                     "UAPI=" + target.uapi, "O=" + out, "-j2",
                     "DRM_CFLAGS=" + " ".join("-I" + i for i in incs), "DRM_LIB=" + lib], log,
                    "building test programs for kernel %s/%s" % (target.name, target.arch))
    if target.arch == "arm64" and target.config.get("CONFIG_COMPAT") == "y":
        # 32-bit callers of the uAPI, where the kernel runs them
        util.run_logged(["make", "-C", os.path.join(util.TOP, "selftests"),
                         "CROSS_COMPILE=" + CROSS[target.arch], "KSRC=" + target.ksrc,
                         "UAPI=" + target.uapi, "O=" + out, "CC32=" + CROSS["arm"] + "gcc",
                         "DRM_LIB=" + lib, "rmem_heap_ctl32"], log,
                        "building the 32-bit uAPI test for kernel %s" % target.name)
    # rmem-heapctl, a tool for people, goes next to the tests (on the
    # guest's PATH): the heapctl suites run it.
    util.run_logged(["make", "-C", HEAPCTL, "CROSS_COMPILE=" + CROSS[target.arch],
                     "UAPI=" + target.uapi, "O=" + out], log,
                    "building rmem-heapctl for kernel %s/%s" % (target.name, target.arch))
    return {n: os.path.join(out, n) for n in os.listdir(out)
            if os.access(os.path.join(out, n), os.X_OK) and not os.path.isdir(os.path.join(out, n))}


def checkpatch(ksrc, files, log):
    """Run the kernel's checkpatch --strict over files; return its problem lines."""
    r = subprocess.run(["perl", os.path.join(ksrc, "scripts", "checkpatch.pl"), "--no-tree",
                        "--strict", "--terse", "--show-types", "-f"] + files,
                       capture_output=True, text=True, cwd=util.TOP)
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    return [l for l in r.stdout.splitlines() if re.search(r"(ERROR|WARNING|CHECK):", l)]


MANPAGE = os.path.join(util.TOP, "tools", "rmem-heapctl", "rmem-heapctl.8")


def manpage_warnings(page, log):
    """groff's warnings of every kind (-ww) about a man page, and its
    errors; return its problem lines (none: clean)."""
    try:
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                           capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
    except OSError as e:
        return ["groff did not run (%s): lab/deps.sh installs groff-base" % e]
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    if r.returncode:
        lines.append("groff exited %d" % r.returncode)
    return lines


def place_in_tree(tree):
    """Place the driver in a kernel tree with its own script; return a digest of it."""
    log = os.path.join(util.OUT, "logs", "place-in-tree.log")
    util.ensure_dir(os.path.dirname(log))
    util.run_logged(["sh", os.path.join(util.TOP, "driver", "intree", "place.sh"), tree], log,
                    "placing the driver in " + tree)
    files = sorted(os.path.join(util.TOP, "driver", f)
                   for f in os.listdir(os.path.join(util.TOP, "driver"))
                   if os.path.isfile(os.path.join(util.TOP, "driver", f)))
    return util.digest(*(files + [os.path.join(util.TOP, "include", "uapi", "linux",
                                               "rmem_heap.h")]))
