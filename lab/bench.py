"""make bench: allocation latency and CPU bandwidth, on arm64 guests.

Builds kernels without the debug options and KASAN (they would dominate
every figure), boots them with the lab's default overlay and runs
rmem_heap_bench, which measures our heaps beside the kernel's own system
and CMA heaps in the same boot and prints ratios to one memset; on
virt-scale (1 GiB regions, lab/machines/virt-scale.conf) only the
figures right after probe (a 1 GiB region still being zeroed) and at
scale, 10,000 live buffers per heap.  The
report (a markdown table and one SVG chart per kernel and machine, see
lab/benchreport.py) goes to Documentation/bench/.

    python3 -m lab.bench [--kernels "newest"] [--machines "virt zcu102 virt-scale"]
                         [--boots N] [--max-boots M]

A TCG guest's figures shift from run to run and boot to boot (the host's
CPUs slow down for seconds at a time, and what state a run finds the
guest in holds for the whole run) by more than the rounds within one run
leave.  Each kernel and machine boots --boots N times (BENCH_BOOTS,
default 4) for a whole run of the benchmark; each boot's console log goes
to out/bench/KERNEL-MACHINE/boot-I/console.log, and the report's figures
are the medians over the runs (lab/benchreport.py merge()), also written
as out/bench/KERNEL-MACHINE/merged.log for lab.benchcompare.  From four
boots on, the medians over the runs of the odd boots are set against those
of the even ones (as two runs of make bench would be, lab.benchcompare's
test); while a ratio differs by more than 10% and fewer than --max-boots
(BENCH_MAX_BOOTS; default 16, or --boots where that is under four: then
BENCH_BOOTS=1 is one quick boot) have run, one more boot is added, which
runs only the sections whose ratios differ, RUNS_PER_BOOT times, quick
(rmem_heap_bench -q -o): a run, not a round, is what samples the state.
In every boot probe runs first, alone (its figures are those of right
after boot), then one quick run of the other sections warms the boot up
and is not kept (WARM_UP), then the runs that count; a boot's probe run
and the run after it count as one run (join_probe()).
Every boot after the first passes the host-speed loop's best time so far
to the benchmark (-c; see "quiet" in selftests/rmem_heap_bench.c).  The
report says how many runs each figure is the median of and which ratios
the halves still disagree on.
"""

import argparse
import datetime
import io
import os
import sys

from . import benchcompare, benchreport, fetch, machine, qemu, scenario, util

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


def host_best(boots):
    """The fastest time of rmem_heap_bench's host-speed loop in any of the
    parsed boots (its "BENCH quiet" lines), 0 if none has one."""
    vals = [f["calib_ns"] for res in boots for f in res.get("quiet", [])
            if isinstance(f.get("calib_ns"), int) and f["calib_ns"] > 0]
    return min(vals) if vals else 0


def quiet_text(boots):
    """What the report says of the rounds run again while the host was slow."""
    fs = [f for res in boots for f in res.get("quiet", [])]
    if not fs:
        return ""
    rounds = sum(f.get("rounds", 0) for f in fs)
    again = sum(f.get("again", 0) for f in fs)
    slow = sum(f.get("kept_slow", 0) for f in fs)
    secs = sum(f.get("again_ms", 0) for f in fs) / 1000.0
    return ("Rounds run while the host's CPUs were slow (a fixed loop, timed on both "
            "guest CPUs around each round, over 15%% slower than its best): %d run "
            "again (%.0f s), %d of %d kept.\n" % (again, secs, slow, rounds))


# which section of rmem_heap_bench (its -o names) measures each kind of figure
SECTION_OF = {"probe": "probe", "alloc": "alloc", "paired": "alloc", "memset": "alloc",
              "bw": "bw", "user": "user", "import": "import", "scale": "scale"}
# rmem_heap_bench's sections (-o), in the order it runs them
SECTIONS = ("probe", "alloc", "bw", "user", "import", "scale")
# runs of the sections whose figures still differ, in one added boot
RUNS_PER_BOOT = 2
# An added boot's first quick run is not kept: on zcu102 (7.3, 4 December)
# the system heap's 8 MiB back-to-back allocation took 2.4-5.4 ms in the
# first run after boot and 1.5-1.7 ms in the second, in 15 of 16 boots, with
# the user-space memset alike in both (cause not found); with every boot
# giving one run of each, the odd and even boots' medians fell between the two.
# The whole runs of boots 1-4 were first runs too: in four make bench runs
# of that day their medians of rmem's and frames's 8 MiB ratios differed
# from the added boots' by 15-50% on both machines, so the medians of two
# make bench runs moved with how many boots each added.  Now every boot
# warms up before the runs that count, after probe.
WARM_UP = " > /dev/null"
DONE = "# rmem_heap_bench done"


def bench_command(m, best, sections=None, runs=1):
    """rmem_heap_bench's command lines for machine m: a whole run (sections
    None), or runs quick runs of the sections listed alone; best: host_best()
    so far.  Either way probe is measured first, in a run of its own, then
    one quick run of the other sections warms the boot up and its output is
    dropped (WARM_UP), then the runs that count: the first run after boot is
    slower than the later ones (see WARM_UP), and a whole run measured as a
    first run would set four boots' figures apart from every added one's."""
    hint = " -c %d" % best if best else ""
    if sections is None and machine.Machine(m).bench_only:
        # a bench-only machine (large regions): after probe and scale (-s)
        return "rmem_heap_bench -s%s\n" % hint
    quick = " -q" if sections else ""
    if sections is None:
        sections = SECTIONS
    lines = []
    if "probe" in sections:
        lines.append("rmem_heap_bench%s -o probe%s || exit $?" % (quick, hint))
    secs = ",".join(x for x in sections if x != "probe")
    if secs:
        lines.append("rmem_heap_bench -q -o %s%s%s || exit $?" % (secs, hint, WARM_UP))
        lines += ["rmem_heap_bench%s -o %s%s || exit $?" % (quick, secs, hint)] * runs
    return "\n".join(lines) + "\n"


def runs_in(cmd):
    """How many runs of bench_command()'s cmd print figures (not WARM_UP's)."""
    return cmd.count("rmem_heap_bench") - cmd.count(WARM_UP)


def split_runs(text):
    """The finished runs of rmem_heap_bench in one console log, each parsed."""
    return [benchreport.parse(chunk) for chunk in text.split(DONE)[:-1]]


def join_probe(runs):
    """A boot's parsed runs (split_runs()) with a run of probe alone joined
    to the run after it: one run of the benchmark, split only so that probe
    comes right after boot."""
    out = []
    for res in runs:
        if out and set(out[-1]) == {"probe"}:
            prev = out.pop()
            res = dict(res, probe=prev["probe"] + res.get("probe", []))
        out.append(res)
    return out


def sections_of(rows):
    """The sections (rmem_heap_bench -o, in its order) that measure the ratios
    of rows (lab.benchcompare rows) that do not agree."""
    want = {SECTION_OF.get(name.split()[0]) for name, _, _, ok in rows if not ok}
    return [x for x in SECTIONS if x in want]


def bench_boot(k, m, out, what, cmd):
    """One boot running cmd (bench_command()): the parsed runs it finished, []
    if the machine is not arm64, None if a run failed."""
    sc = scenario.prepare(k, m, body, out, debug=False, command=cmd)
    if sc["machine"].arch != "arm64":
        util.say("skipping %s: the benchmark runs on arm64 guests" % m)
        return []
    log = os.path.join(out, "console.log")
    util.say("benchmarking kernel %s (no debug options) on %s%s; console log: %s"
             % (k, m, what, log))
    print("\n## kernel %s, machine %s%s" % (k, m, what))
    tee = Tee()
    rc, _, _ = scenario.run_command(sc, log, stream=tee)
    runs = split_runs("".join(tee.kept))
    if rc != 0 or len(runs) != runs_in(cmd):
        print("the benchmark did not finish; see %s" % log)
        return None
    return join_probe(runs)


HALVES_FROM = 4
DEFAULT_MAX_BOOTS = 16


def flat(boots):
    """The runs of boots (each a list of parsed runs), in order."""
    return [run for boot in boots for run in boot]


def halves(boots):
    """lab.benchcompare's rows for the medians over the runs of the odd boots
    (1, 3, ...) against those of the even ones; [] with fewer than
    HALVES_FROM boots.  Runs of one boot stay in one half: what moves a
    boot's figures can hold for the whole boot."""
    if len(boots) < HALVES_FROM:
        return []
    return benchcompare.compare(benchreport.merge(flat(boots[0::2])),
                                benchreport.merge(flat(boots[1::2])))


def halves_text(rows, nboots):
    """What the report says of the halves' agreement (rows: halves())."""
    if not rows:
        return ""
    bad = [r for r in rows if not r[3]]
    text = ("Odd boots against even boots (the medians over the runs of %d and of %d "
            "boots, as two runs of make bench would be): %d of %d ratios within 10%%."
            % ((nboots + 1) // 2, nboots // 2, len(rows) - len(bad), len(rows)))
    if bad:
        text += " Not within: " + "; ".join(
            "%s %.4g and %.4g" % (name, a, b) for name, a, b, _ in bad) + "."
    return text + "\n"


def need_more(n, rows, least, most):
    """Whether another boot is due after n boots whose halves() are rows:
    fewer than least so far, or no halves yet or they disagree on a ratio,
    and most allows one more."""
    if n < least:
        return True
    if n >= most:
        return False
    return not rows or not all(r[3] for r in rows)


def write_report(runs, report):
    """bench.md and a chart per run ([(title, name, parsed figures, text
    after its tables)]) into the directory report; returns bench.md's path."""
    os.makedirs(report, exist_ok=True)
    md = os.path.join(report, "bench.md")
    with open(md, "w") as f:
        f.write("# make bench\n\nWritten by `make bench` (lab/bench.py); QEMU TCG "
                "guests on the lab's two cores, so only ratios within one boot mean "
                "anything.\n\n")
        for title, name, res, extra in runs:
            f.write(benchreport.markdown([(title, res)]))
            if extra:
                f.write("\n" + extra)
            f.write("\n![%s](%s.svg)\n\n" % (name, name))
    for title, name, res, _ in runs:
        with open(os.path.join(report, name + ".svg"), "w") as f:
            f.write(benchreport.svg(title, res))
    return md


def main(argv=None):
    qemu.stop_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or "newest")
    ap.add_argument("--machines",
                    default=os.environ.get("MACHINES") or "virt zcu102 virt-scale")
    ap.add_argument("--report", default=REPORT_DIR,
                    help="where the markdown table and the charts go")
    ap.add_argument("--boots", type=int, default=int(os.environ.get("BENCH_BOOTS") or 4),
                    help="boots per kernel and machine at least; figures: medians over them")
    ap.add_argument("--max-boots", type=int,
                    default=int(os.environ.get("BENCH_MAX_BOOTS") or 0),
                    help="boots at most, added while odd and even boots disagree "
                    "(default: %d from --boots %d up, else --boots)"
                    % (DEFAULT_MAX_BOOTS, HALVES_FROM))
    args = ap.parse_args(argv)
    if args.boots < 1:
        ap.error("--boots: at least 1")
    most = max(args.boots, args.max_boots or (
        DEFAULT_MAX_BOOTS if args.boots >= HALVES_FROM else args.boots))
    status = 0
    runs = []
    date = datetime.date.today().isoformat()
    for k in scenario.resolve(args.kernels.split()):
        for m in args.machines.split():
            top = os.path.join(util.OUT, "bench", "%s-%s" % (k, m))
            boots, rows = [], []
            i = 0
            while need_more(len(boots), rows, args.boots, most):
                i += 1
                if i > most:
                    break
                out = top if most == 1 else os.path.join(top, "boot-%d" % i)
                best = host_best(flat(boots))
                if len(boots) < args.boots or not rows:
                    cmd, what = bench_command(m, best), "whole"
                else:
                    secs = sections_of(rows)
                    cmd = bench_command(m, best, secs, RUNS_PER_BOOT)
                    what = "%d quick runs of %s" % (RUNS_PER_BOOT, ", ".join(secs))
                res = bench_boot(k, m, out, "" if most == 1 else
                                 ", boot %d (of %d to %d): %s" % (i, args.boots, most, what),
                                 cmd)
                if res is None:
                    status = 1
                elif not res:
                    break
                else:
                    boots.append(res)
                    rows = halves(boots)
                    if rows:
                        util.say("odd against even boots after %d: %d of %d ratios "
                                 "within 10%%" % (len(boots), sum(r[3] for r in rows),
                                                   len(rows)))
            if not boots:
                continue
            title = "kernel %s (%s, no debug options), machine %s, %s" % (
                k, fetch.describe(k), m, date)
            extra = ""
            if len(boots) > 1:
                title += ", median of %d runs in %d boots" % (len(flat(boots)), len(boots))
                extra = halves_text(rows, len(boots))
            extra += quiet_text(flat(boots))
            if len(flat(boots)) > 1:
                res = benchreport.merge(flat(boots))
                merged = os.path.join(top, "merged.log")
                with open(merged, "w") as f:
                    f.write(benchreport.bench_lines(res))
                util.say("the medians of %d runs in %d boots: %s"
                         % (len(flat(boots)), len(boots), merged))
            else:
                res = boots[0][0]
            runs.append((title, "%s-%s" % (k, m), res, extra))
    if runs:
        md = write_report(runs, args.report)
        util.say("report: %s (and %d charts beside it)" % (md, len(runs)))
    return status


if __name__ == "__main__":
    util.run_main(main)
