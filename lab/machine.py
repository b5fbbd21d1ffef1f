"""Machine descriptions: one small declarative file per machine in lab/machines."""

import os
import shlex

from . import util

DIR = os.path.join(util.TOP, "lab", "machines")


class Machine:
    def __init__(self, name):
        path = os.path.join(DIR, name + ".conf")
        if not os.path.exists(path):
            raise util.LabError("unknown machine %r (known: %s)" % (name, ", ".join(names())))
        sec = util.read_conf(path)["machine"]
        self.name = name
        self.path = path
        self.arch = sec["arch"]
        self.qemu = sec["qemu"]
        self.options = shlex.split(sec["options"])
        self.console = sec["console"]
        self.cmdline = sec.get("cmdline", "").strip()
        self.base_dtb = sec["base_dtb"]
        # One overlay or several, applied in their order.
        self.overlays = [os.path.join(util.TOP, o) for o in sec["overlay"].split()]
        if not self.overlays:
            raise util.LabError("%s: no overlay" % path)
        self.poweroff = sec["poweroff"]
        self.timeout = int(sec.get("timeout", "600"))
        self.heaps = sec.get("heaps", "").split()
        # Which body its test boots run (lab/scenario.py's BODIES).
        self.body = sec.get("body", "full").strip()
        # The broken-bindings boot's overlay, applied after the machine's
        # own (lab/broken-bindings.conf); machines without one have no such
        # boot.
        broken = sec.get("broken", "").strip()
        self.broken_overlay = os.path.join(util.TOP, broken) if broken else None
        # Module load/unload cycles of the lifetime suite on KASAN kernels
        # (seconds each under TCG); kernels without KASAN run 100.
        self.lifetime_loops = int(sec.get("lifetime_loops", "10"))
        # A machine only make bench boots (its own figures); make check and
        # make soak leave it out unless named.
        self.bench_only = sec.get("bench_only", "no").strip() == "yes"

    @property
    def debian_arch(self):
        return {"arm64": "arm64", "arm": "armhf"}[self.arch]

    @property
    def triplet(self):
        return {"arm64": "aarch64-linux-gnu", "arm": "arm-linux-gnueabihf"}[self.arch]


def names():
    return sorted(f[:-5] for f in os.listdir(DIR) if f.endswith(".conf"))


def check_names():
    """The machines make check and make soak boot by default."""
    return [n for n in names() if not Machine(n).bench_only]
