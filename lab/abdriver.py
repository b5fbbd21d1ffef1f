"""The driver against an older build of itself, in one boot.

Builds REV's driver/ renamed (rmem_heap -> rmold_heap, compatible
"linux,rmold-heap"), boots make bench's kernel (no debug options) with the
machine's overlay plus lab/ab-old.dtso (heap "old": a 64 MiB no-map region
like "rmem"), loads both drivers and runs rmem_heap_bench -p rmem,old:
alloc+close of both heaps in paired rounds, back to back and paced. A whole
table from two boots moves by tens of percent under TCG; blocks a few
milliseconds apart in one boot do not.

    python3 -m lab.abdriver REV [--kernel newest] [--machines "virt zcu102"]
"""

import argparse
import os
import re
import subprocess

from . import bench, qemu, scenario, util

OVERLAY = os.path.join(util.TOP, "lab", "ab-old.dtso")
# the overlay's region (0x70000000, 64 MiB) is RAM and free on these
MACHINES = ("virt", "zcu102")
AB_RE = re.compile(r"^BENCH ab a=(\S+) b=(\S+) mode=(\S+) size=(\d+) .*"
                   r"ratio_median=([\d.]+) ratio_min=([\d.]+) ratio_max=([\d.]+)")


def old_driver(rev, t, outdir):
    """REV's driver renamed, built for target t (once per commit and
    kernel build); returns the .ko path."""
    src = os.path.join(outdir, "driver")
    ko = os.path.join(src, "rmold_heap.ko")
    stamp = os.path.join(outdir, "built-for")
    if os.path.isfile(ko) and os.path.isfile(stamp):
        with open(stamp) as f:
            if f.read() == t.kdir:
                return ko
    subprocess.run(["rm", "-rf", src, stamp], check=True)
    util.ensure_dir(outdir)
    archive = subprocess.run(["git", "-C", util.TOP, "archive", rev, "driver"],
                             check=True, stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", outdir], input=archive, check=True)
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if not os.path.isfile(path):
            continue
        with open(path, errors="surrogateescape") as f:
            text = f.read()
        for a, b in (("rmem_heap", "rmold_heap"), ("rmem-heap", "rmold-heap"),
                     ("RMEM_HEAP", "RMOLD_HEAP")):
            text = text.replace(a, b)
        os.unlink(path)
        with open(os.path.join(src, name.replace("rmem_heap", "rmold_heap")), "w",
                  errors="surrogateescape") as f:
            f.write(text)
    log = os.path.join(outdir, "build.log")
    util.say("building %s's driver as rmold_heap for kernel %s (log: %s)" % (rev, t.name, log))
    with open(log, "w") as f:
        r = subprocess.run(["make", "-C", t.kdir, "ARCH=arm64",
                            "CROSS_COMPILE=aarch64-linux-gnu-", "M=" + src, "modules"],
                           stdout=f, stderr=subprocess.STDOUT)
    if r.returncode or not os.path.isfile(ko):
        raise util.LabError("%s's driver did not build for %s (log: %s)" % (rev, t.name, log))
    with open(stamp, "w") as f:
        f.write(t.kdir)
    return ko


def body(t, res):
    return "\n".join(scenario.load_lines(t) + [
        "insmod /host/rmold_heap.ko || echo '### lab: insmod rmold_heap failed'",
        scenario.COMMAND_LINE]) + "\n"


def parse(text):
    """{(mode, size): (median, lowest, highest)} of the BENCH ab lines."""
    out = {}
    for line in text.splitlines():
        m = AB_RE.match(line.strip())
        if m:
            out[(m.group(3), int(m.group(4)))] = tuple(float(m.group(i)) for i in (5, 6, 7))
    return out


def main(argv=None):
    qemu.stop_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", help="the older commit whose driver/ to load beside")
    ap.add_argument("--kernel", default="newest")
    ap.add_argument("--machines", default=" ".join(MACHINES))
    args = ap.parse_args(argv)
    r = subprocess.run(["git", "-C", util.TOP, "rev-parse", "--verify", "-q",
                        args.rev + "^{commit}"], stdout=subprocess.PIPE, text=True)
    if r.returncode:
        raise util.LabError("%s: not a commit of this repository" % args.rev)
    args.rev = r.stdout.strip()[:12]
    k = scenario.resolve([args.kernel])[0]
    t, _ = scenario.target(k, "arm64", debug=False)
    outdir = os.path.join(util.OUT, "ab", args.rev)
    ko = old_driver(args.rev, t, outdir)
    status = 0
    for m in args.machines.split():
        if m not in MACHINES:
            raise util.LabError("%s: lab/ab-old.dtso fits only %s" % (m, ", ".join(MACHINES)))
        out = os.path.join(outdir, "%s-%s" % (k, m))
        sc = scenario.prepare(k, m, body, out, debug=False, more_overlays=[OVERLAY],
                              extra_files=[("host/rmold_heap.ko", ko)],
                              command="rmem_heap_bench -p rmem,old\n")
        log = os.path.join(out, "console.log")
        util.say("rmem against %s's driver, kernel %s (no debug options) on %s; console log: %s"
                 % (args.rev, k, m, log))
        tee = bench.Tee()
        rc, _, v = scenario.run_command(sc, log, stream=tee)
        res = parse("".join(tee.kept))
        if rc != 0 or v.reports or not res:
            util.say("no figures from %s (exit %s, %d kernel reports); console log: %s"
                     % (m, rc, len(v.reports), log))
            status = 1
            continue
        print("\n## rmem / %s's driver, kernel %s, machine %s (median, lowest, highest of "
              "the paired rounds' ratios; < 1: this driver faster)" % (args.rev, k, m))
        for (mode, size), (med, lo, hi) in sorted(res.items()):
            print("  %-12s %8d bytes  %.2fx  (%.2f-%.2f)" % (mode, size, med, lo, hi))
    return status


if __name__ == "__main__":
    util.run_main(main)
