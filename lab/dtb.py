"""Device trees for a boot: the machine's base DTB plus an overlay from dts/."""

import os

from . import util


def base(machine, kernel, outdir):
    """Return the path of the machine's base DTB (built into outdir)."""
    kind = machine.base_dtb
    util.ensure_dir(outdir)
    log = os.path.join(outdir, "dtb.log")
    if kind == "qemu":
        raw = os.path.join(outdir, "%s-qemu-dump.dtb" % machine.name)
        out = os.path.join(outdir, "%s-qemu.dtb" % machine.name)
        util.run_logged([machine.qemu] + machine.options
                        + ["-machine", "dumpdtb=" + raw], log,
                        "dumping %s's device tree" % machine.name)
        # QEMU dumps its whole 1 MiB FDT buffer; handed back with -dtb that
        # blob leaves the kernel no room and it stops before its console
        # is up. Repack it to its real size.
        util.run_logged(["dtc", "-q", "-I", "dtb", "-O", "dtb", "-o", out, raw], log,
                        "repacking %s's device tree" % machine.name)
        return out
    if kind.startswith("dts:"):
        src = os.path.join(util.TOP, "dts", kind[4:])
        out = os.path.join(outdir, os.path.basename(src)[:-4] + ".dtb")
        util.run_logged(["dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", out, src], log,
                        "compiling " + src)
        return out
    if kind.startswith("kernel:"):
        return kernel.dtb(kind[7:])
    raise util.LabError("%s: unknown base_dtb %r" % (machine.path, kind))


def with_overlay(base_dtb, overlay, out):
    """Apply overlay (a .dtso source) to base_dtb, writing out."""
    log = out + ".log"
    dtbo = out + ".dtbo"
    util.run_logged(["dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", dtbo, overlay], log,
                    "compiling overlay " + overlay)
    util.run_logged(["fdtoverlay", "-i", base_dtb, "-o", out, dtbo], log,
                    "applying overlay " + overlay)
    return out


def build(machine, kernel, outdir, overlay=None):
    b = base(machine, kernel, outdir)
    ov = overlay or machine.overlay
    name = os.path.splitext(os.path.basename(ov))[0]
    return with_overlay(b, ov, os.path.join(outdir, "%s+%s.dtb" % (machine.name, name)))
