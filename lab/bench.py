"""make bench: allocation latency and CPU bandwidth, on arm64 guests.

Builds kernels without the debug options and KASAN (they would dominate
every figure), boots them with the lab's default overlay and runs
rmem_heap_bench, which measures our heaps beside the kernel's own system
and CMA heaps in the same boot and prints ratios to one memset; on
virt-scale (1 GiB regions, lab/machines/virt-scale.conf) only its scale
figures, 10,000 live buffers per heap.  The
report (a markdown table and one SVG chart per kernel and machine, see
lab/benchreport.py) goes to Documentation/bench/.

    python3 -m lab.bench [--kernels "newest"] [--machines "virt zcu102 virt-scale"]
"""

import argparse
import datetime
import io
import os
import sys

from . import benchreport, fetch, machine, qemu, scenario, util

REPORT_DIR = os.path.join(util.TOP, "Documentation", "bench")


class Tee(io.TextIOBase):
    """What the guest prints: to stdout and kept for the report."""

    def __init__(self):
        super().__init__()
        self.kept = []

    def write(self, s):
        sys.stdout.write(s)
        self.kept.append(s)
        return len(s)

    def flush(self):
        sys.stdout.flush()

def body(t, _res):
    """The driver and the test importer (the import figures) loaded."""
    return "\n".join(scenario.load_lines(t) + [
        "insmod /lab/%s.ko || echo '### lab: insmod %s failed'"
        % (scenario.IMPORTER_KO, scenario.IMPORTER_KO), scenario.COMMAND_LINE])


def main(argv=None):
    qemu.stop_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or "newest")
    ap.add_argument("--machines",
                    default=os.environ.get("MACHINES") or "virt zcu102 virt-scale")
    ap.add_argument("--report", default=REPORT_DIR,
                    help="where the markdown table and the charts go")
    args = ap.parse_args(argv)
    status = 0
    runs = []
    date = datetime.date.today().isoformat()
    for k in scenario.resolve(args.kernels.split()):
        for m in args.machines.split():
            out = os.path.join(util.OUT, "bench", "%s-%s" % (k, m))
            # a bench-only machine (large regions) gives the scale figures
            cmd = "rmem_heap_bench -s\n" if machine.Machine(m).bench_only \
                else "rmem_heap_bench\n"
            sc = scenario.prepare(k, m, body, out, debug=False, command=cmd)
            if sc["machine"].arch != "arm64":
                util.say("skipping %s: the benchmark runs on arm64 guests" % m)
                continue
            log = os.path.join(out, "console.log")
            util.say("benchmarking kernel %s (no debug options) on %s; console log: %s"
                     % (k, m, log))
            print("\n## kernel %s, machine %s" % (k, m))
            tee = Tee()
            rc, _, _ = scenario.run_command(sc, log, stream=tee)
            if rc != 0:
                print("the benchmark did not finish; see %s" % log)
                status = 1
                continue
            title = "kernel %s (%s, no debug options), machine %s, %s" % (
                k, fetch.describe(k), m, date)
            runs.append((title, "%s-%s" % (k, m), benchreport.parse("".join(tee.kept))))
    if runs:
        os.makedirs(args.report, exist_ok=True)
        md = os.path.join(args.report, "bench.md")
        with open(md, "w") as f:
            f.write("# make bench\n\nWritten by `make bench` (lab/bench.py); QEMU TCG "
                    "guests on the lab's two cores, so only ratios within one boot mean "
                    "anything.\n\n")
            for title, name, res in runs:
                f.write(benchreport.markdown([(title, res)]))
                f.write("\n![%s](%s.svg)\n\n" % (name, name))
        for title, name, res in runs:
            with open(os.path.join(args.report, name + ".svg"), "w") as f:
                f.write(benchreport.svg(title, res))
        util.say("report: %s (and %d charts beside it)" % (md, len(runs)))
    return status


if __name__ == "__main__":
    util.run_main(main)
