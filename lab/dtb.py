"""Device trees for a boot: the machine's base DTB plus an overlay from dts/."""

import os
import subprocess

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
        gone = extra_cpus(out, smp_count(machine.options))
        if gone:
            util.run_logged(["fdtput", "-r", out] + gone, log,
                            "removing the CPUs QEMU does not create (-smp)")
        return out
    if kind.startswith("kernel:"):
        return kernel.dtb(kind[7:])
    raise util.LabError("%s: unknown base_dtb %r" % (machine.path, kind))


def smp_count(options):
    """The CPU count QEMU's -smp option in options asks for, or None."""
    for i, opt in enumerate(options[:-1]):
        if opt == "-smp":
            first = options[i + 1].split(",")[0]
            first = first.split("=")[-1]
            return int(first) if first.isdigit() else None
    return None


def extra_cpus(dtb, count):
    """The /cpus/cpu@N nodes of dtb with N >= count: a board's device tree
    names all its cores, a lab machine may boot fewer (each a kernel
    'failed to boot CPU' message otherwise)."""
    if count is None:
        return []
    listed = subprocess.run(["fdtget", "-l", dtb, "/cpus"], capture_output=True, text=True)
    if listed.returncode:
        return []
    return ["/cpus/" + name for name in listed.stdout.split()
            if name.startswith("cpu@") and int(name[4:], 16) >= count]


def with_overlays(base_dtb, overlays, out):
    """Apply overlays (.dtso sources), in their order, to base_dtb, writing out."""
    log = out + ".log"
    dtbos = []
    for i, ov in enumerate(overlays):
        dtbo = "%s.%d.dtbo" % (out, i)
        util.run_logged(["dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", dtbo, ov], log,
                        "compiling overlay " + ov)
        dtbos.append(dtbo)
    util.run_logged(["fdtoverlay", "-i", base_dtb, "-o", out] + dtbos, log,
                    "applying overlays " + " ".join(overlays))
    return out


def out_name(machine, overlays):
    """The merged DTB's file name: the machine and its overlays' names."""
    names = [os.path.splitext(os.path.basename(ov))[0] for ov in overlays]
    return "%s+%s.dtb" % (machine.name, "+".join(names))


def build(machine, kernel, outdir, overlay=None, more=()):
    """The machine's base DTB with overlay (one .dtso), or else the
    machine's own overlays, applied; then the overlays in more."""
    b = base(machine, kernel, outdir)
    ovs = ([overlay] if overlay else machine.overlays) + list(more)
    return with_overlays(b, ovs, os.path.join(outdir, out_name(machine, ovs)))
