"""Build (or find in the cache) the lab's minimal test kernels.

A kernel is identified by its name (6.1, 6.12, 7.2: a source package of
lab/versions.conf), its architecture and its configuration: allnoconfig plus
the fragments in lab/configs. The build directory is cached under
~/.cache/rmem-heap/build/ keyed by source version, architecture and a hash
of the fragments, so a second run does not rebuild.
"""

import glob
import os
import re
import shutil
import subprocess

from . import fetch
from . import hugepages
from . import util

CONFIGS = os.path.join(util.TOP, "lab", "configs")

ARCHES = {
    "arm64": {"cross": "aarch64-linux-gnu-", "image": "arch/arm64/boot/Image",
              "targets": ["Image", "modules"], "frags": ["arm64", "kasan"]},
    "arm": {"cross": "arm-linux-gnueabihf-", "image": "arch/arm/boot/zImage",
            "targets": ["zImage", "modules", "dtbs"], "frags": ["arm"]},
}


class Kernel:
    """A built kernel: its trees, image and what external modules need."""

    def __init__(self, name, arch, src, build, release, intree=False):
        self.name = name
        self.arch = arch
        self.src = src
        self.build = build
        self.release = release
        self.intree = intree
        self.cross = ARCHES[arch]["cross"]
        self.image = os.path.join(build, ARCHES[arch]["image"])

    def dtb(self, name):
        hits = glob.glob(os.path.join(self.build, "arch", self.arch, "boot", "dts",
                                      "**", name), recursive=True)
        if not hits:
            raise util.LabError("kernel %s has no %s" % (self.name, name))
        return hits[0]

    def config(self):
        return read_config(os.path.join(self.build, ".config"))


def read_config(path):
    """The CONFIG_ options of a .config or fragment ("n" for unset ones)."""
    opts = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"(CONFIG_\w+)=(.*)", line)
            if m:
                opts[m.group(1)] = m.group(2)
            m = re.match(r"# (CONFIG_\w+) is not set", line)
            if m:
                opts[m.group(1)] = "n"
    return opts


def fragments(arch, extra=(), debug=True):
    """The config fragments of a kernel; debug=False leaves out the debug
    options and KASAN (for benchmarks, where they would dominate)."""
    names = ["common"] + (["debug"] if debug else []) + \
        [f for f in ARCHES[arch]["frags"] if debug or f != "kasan"]
    return [os.path.join(CONFIGS, n + ".config") for n in names] + list(extra)


def _kconfig_has(src, sym):
    """True if some Kconfig file of the tree defines sym (CONFIG_ stripped)."""
    r = subprocess.run(["grep", "-rqE", "--include=Kconfig*", r"^\s*(menu)?config %s\s*$" % sym,
                        src], stdin=subprocess.DEVNULL)
    return r.returncode == 0


def _check_config(src, build, frags, log):
    have = read_config(os.path.join(build, ".config"))
    missing = []
    for fr in frags:
        for want, val in read_config(fr).items():
            got = have.get(want, "n")
            if got != val:
                if not _kconfig_has(src, want[len("CONFIG_"):]):
                    # Options that a version no longer has (DMA_API_DEBUG_SG
                    # left in 7.x) are not asked of it.
                    with open(log, "a") as f:
                        f.write("note: %s does not exist in this kernel\n" % want)
                    continue
                missing.append("%s=%s (got %s)" % (want, val, got))
    if missing:
        with open(log, "a") as f:
            f.write("options the fragments ask for but the kernel did not take:\n  "
                    + "\n  ".join(missing) + "\n")
        raise util.LabError("config of %s lacks %s; see %s"
                            % (build, ", ".join(missing), log))


def build(name, arch, extra_frags=(), intree=None, debug=True):
    """Build kernel `name` for `arch`; return a Kernel.

    extra_frags: more config fragments (paths). intree: a callable that takes
    a source tree and places the driver in it (the tree is then a private
    hard-linked copy of the pristine one, and the kernel is rebuilt
    incrementally whenever the placed files change).
    """
    src = pristine = fetch.kernel_source(name)
    version = os.path.basename(src)[len("linux-"):]
    frags = fragments(arch, extra_frags, debug)
    key, bdir = _build_dir(version, arch, frags, intree is not None, debug)
    log = bdir + ".log"
    env = hugepages.env(dict(os.environ, ARCH=arch, CROSS_COMPILE=ARCHES[arch]["cross"]))
    # Keep the kernel's build reproducible and its paths out of the cache key.
    env.pop("KBUILD_OUTPUT", None)
    stamp = os.path.join(bdir, ".lab-built")
    placed = ""
    if intree:
        tree = os.path.join(util.CACHE, "src", "intree-%s-%s" % (version, key))
        if not os.path.exists(os.path.join(tree, ".unpacked")):
            util.say("copying kernel %s source for the in-tree build" % name)
            shutil.rmtree(tree, ignore_errors=True)
            subprocess.run(["cp", "-al", src, tree], check=True)
        placed = intree(tree)
        src = tree
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == placed:
                return _kernel(name, arch, src, bdir, intree is not None)
    util.ensure_dir(os.path.dirname(bdir))
    open(log, "w").close()
    if intree and not os.path.exists(os.path.join(bdir, ".config")):
        _, base = _build_dir(version, arch, fragments(arch, (), debug), False, debug)
        if os.path.exists(os.path.join(base, ".lab-built")):
            util.say("starting the in-tree build of kernel %s/%s from %s"
                     % (name, arch, os.path.basename(base)))
            _seed(base, pristine, bdir, src)
    # A seeded directory holds the base's .config until configured.
    seeded = os.path.join(bdir, ".lab-seeded")
    util.ensure_dir(bdir)
    cfg = os.path.join(bdir, "lab-fragments.config")
    with open(cfg, "w") as out:
        for fr in frags:
            with open(fr) as f:
                out.write(f.read())
    cores = os.cpu_count() or 2
    base = ["make", "-C", src, "O=" + bdir, "ARCH=" + arch,
            "CROSS_COMPILE=" + ARCHES[arch]["cross"]]
    if os.path.exists(seeded) or not os.path.exists(os.path.join(bdir, ".config")) \
            or not intree:
        util.say("configuring kernel %s for %s (allnoconfig + %s)"
                 % (name, arch, ", ".join(os.path.basename(f) for f in frags)))
        util.run_logged(base + ["KCONFIG_ALLCONFIG=" + cfg, "allnoconfig"], log,
                        "configuring kernel %s/%s" % (name, arch), env=env)
        _check_config(src, bdir, frags, log)
        if os.path.exists(seeded):
            os.remove(seeded)
    util.say("building kernel %s for %s (log: %s)" % (name, arch, log))
    took = util.run_logged(base + ["-j%d" % (cores + 1)] + ARCHES[arch]["targets"], log,
                           "building kernel %s/%s" % (name, arch), env=env)
    util.say("built kernel %s for %s in %s" % (name, arch, took))
    util.mark(stamp, placed)
    return _kernel(name, arch, src, bdir, intree is not None)


def _build_dir(version, arch, frags, intree, debug):
    """The cache key and build directory of a kernel configuration."""
    key = util.digest(version, arch, *frags)
    tag = "%s-%s%s%s-%s" % (version, arch, "-intree" if intree else "",
                            "" if debug else "-nodebug", key)
    return key, os.path.join(util.CACHE, "build", tag)


def _seed(base, base_src, bdir, src):
    """Start an in-tree build from the finished build of the same kernel
    without the driver, so that a cold run compiles only what the driver's
    options touch instead of the whole kernel again.

    The in-tree source is a hard-linked copy of base_src (same files, same
    mtimes); pointing the saved commands (.cmd files) at it makes make take
    the copied objects as up to date. The objects keep base_src's path in
    their KASAN descriptors of globals: the same files' names. The copy is
    made aside and renamed into place, marked .lab-seeded until build()
    has configured it.
    """
    tmp = bdir + ".seed"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["cp", "-a", base, tmp], check=True)
    os.remove(os.path.join(tmp, ".lab-built"))
    util.mark(os.path.join(tmp, ".lab-seeded"))
    old, new = base_src.encode(), src.encode()
    for dirpath, _, names in os.walk(tmp):
        for n in names:
            path = os.path.join(dirpath, n)
            if not (n.endswith(".cmd") or n == "Makefile") or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                text = f.read()
            if old in text:
                with open(path, "wb") as f:
                    f.write(text.replace(old, new))
    if os.path.lexists(os.path.join(tmp, "source")):
        os.remove(os.path.join(tmp, "source"))
    os.symlink(src, os.path.join(tmp, "source"))
    shutil.rmtree(bdir, ignore_errors=True)
    os.rename(tmp, bdir)


def uapi(name, arch):
    """Return the installed user-space API headers (usr/include) of kernel name."""
    src = fetch.kernel_source(name)
    out = os.path.join(util.CACHE, "uapi", "%s-%s" % (os.path.basename(src), arch))
    inc = os.path.join(out, "usr", "include")
    stamp = os.path.join(out, ".lab-done")
    if not os.path.exists(stamp):
        # Start again from nothing: a half-finished install leaves headers
        # that look complete.
        shutil.rmtree(out, ignore_errors=True)
        util.ensure_dir(out)
        open(out + ".log", "w").close()
        util.say("installing kernel %s's uapi headers for %s (log: %s.log)" % (name, arch, out))
        # A thousand small shell scripts, each started on its own: in parallel.
        util.run_logged(["make", "-C", src, "O=" + out, "ARCH=" + arch,
                         "CROSS_COMPILE=" + ARCHES[arch]["cross"],
                         "-j%d" % ((os.cpu_count() or 2) + 1), "headers_install"],
                        out + ".log", "installing kernel %s uapi headers" % name)
        util.mark(stamp)
    return inc


def _kernel(name, arch, src, bdir, intree):
    with open(os.path.join(bdir, "include", "config", "kernel.release")) as f:
        release = f.read().strip()
    return Kernel(name, arch, src, bdir, release, intree)
