"""Huge pages for the compilers of the lab's kernel and module builds.

On a host whose transparent huge pages are given only on request
("madvise", Debian's default), gcc's heap lives in 4 KiB pages. Preloading
lab/hugepages.c, which asks for huge pages on large anonymous mappings, and
glibc's malloc tunable for the same made a kernel build about a fifth
faster on the lab's 2-core machine (figures in README.md). The host's
settings are left alone; the advice changes no byte of any output.
"""

import os
import subprocess

from . import util

SRC = os.path.join(util.TOP, "lab", "hugepages.c")
# The host's transparent huge page mode: "always [madvise] never".
THP = "/sys/kernel/mm/transparent_hugepage/enabled"
TUNABLE = "glibc.malloc.hugetlb=1"

_shim = {}


def _mode():
    try:
        with open(THP) as f:
            text = f.read()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else None


def shim():
    """The built shim (a shared object in the cache), or None if the host's
    compiler could not build it (said once, with the log's path)."""
    key = util.digest(SRC)
    if key in _shim:
        return _shim[key]
    out = os.path.join(util.CACHE, "tools", "hugepages-%s.so" % key)
    if not os.path.exists(out):
        log = os.path.join(util.CACHE, "tools", "hugepages.log")
        util.ensure_dir(os.path.dirname(out))
        tmp = "%s.tmp%d" % (out, os.getpid())
        with open(log, "w") as f:
            r = subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-shared", "-fPIC",
                                "-o", tmp, SRC, "-ldl"], stdout=f, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            util.say("NOTE: could not build lab/hugepages.c (log: %s); "
                     "compiling without huge pages" % log)
            _shim[key] = None
            return None
        os.replace(tmp, out)
    _shim[key] = out
    return out


def env(base=None):
    """A copy of base (os.environ by default) for a compiling command: with
    the shim preloaded and glibc's malloc tunable added where the host gives
    huge pages only on request; unchanged otherwise ("always" needs no
    asking, "never" gives nothing)."""
    env = dict(os.environ if base is None else base)
    if _mode() != "madvise":
        return env
    path = shim()
    if path is None:
        return env
    env["LD_PRELOAD"] = ":".join(p for p in (env.get("LD_PRELOAD"), path) if p)
    env["GLIBC_TUNABLES"] = ":".join(p for p in (env.get("GLIBC_TUNABLES"), TUNABLE) if p)
    return env
