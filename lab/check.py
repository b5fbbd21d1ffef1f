"""make check: the whole kernel x machine matrix, judged, with one closing line.

    python3 -m lab.check [--kernels "6.1 7.2"] [--machines "virt zynq"]
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

from . import build, judge, machine, qemu, scenario, tap, util


class Row:
    def __init__(self, kernel, mach, log=""):
        self.kernel = kernel
        self.machine = mach
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.verdict = "PASS"
        self.log = log
        self.notes = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.verdict = "FAIL"
            self.notes.append(what)


def host_checks(rows, newest_src):
    """Checks that run once, on the host: style and device-tree schema."""
    row = Row("-", "host", os.path.join(util.OUT, "logs", "host"))
    util.ensure_dir(row.log)
    util.say("checkpatch --strict on the kernel sources")
    files = sorted(os.path.join(d, f)
                   for d in ("driver", "selftests/judge-kmod")
                   for f in os.listdir(os.path.join(util.TOP, d))
                   if f.endswith((".c", ".h")))
    log = os.path.join(row.log, "checkpatch.log")
    problems = build.checkpatch(newest_src, files, log)
    for p in problems[:10]:
        util.say("  " + p)
    row.check(not problems, "checkpatch --strict: %d problems (%s)" % (len(problems), log))
    util.say("dt-schema: the binding and the overlays")
    log = os.path.join(row.log, "dt-check.log")
    with open(log, "w") as f:
        r = subprocess.run([os.path.join(util.TOP, "tools", "dt-check")], stdout=f,
                           stderr=subprocess.STDOUT, cwd=util.TOP,
                           env=dict(os.environ, RMEM_HEAP_OUT=util.OUT))
    row.check(r.returncode == 0, "dt-check failed (%s)" % log)
    rows.append(row)


def build_row(rows, t, res):
    logs = res["logs"] or [getattr(t, "kernel", None) and t.kernel.build + ".log" or ""]
    row = Row(t.name, "build-" + t.arch, ", ".join(logs))
    row.check(not res["errors"], "; ".join(res["errors"]))
    if not t.builtin:
        row.check("rmem_heap" in res["kos"], "rmem_heap.ko not built")
        for w in res["warnings"][:10]:
            util.say("  " + w)
        row.check(not res["warnings"], "W=1/sparse warnings: %d" % len(res["warnings"]))
    rows.append(row)


def _prepare(row, kname, mname, body, out, env=None):
    row.log = os.path.join(out, "console.log")
    try:
        return scenario.prepare(kname, mname, body, out, env=env)
    except (util.LabError, subprocess.CalledProcessError, OSError) as e:
        row.check(False, "preparing the guest failed: %s" % e)
        return None


def boot_job(kname, mname, logdir):
    """Prepare a test boot; return (row, job) where job() boots and judges it."""
    row = Row(kname, mname)
    sc = _prepare(row, kname, mname, scenario.test_body,
                  os.path.join(logdir, "%s-%s" % (kname, mname)))

    def job():
        util.say("booting kernel %s on %s" % (kname, mname))
        text, timed_out, _ = qemu.boot(sc["machine"], sc["image"], sc["dtb"], sc["initrd"],
                                       row.log)
        v = judge.judge(text, timed_out)
        for s in tap.parse(text):
            row.passed += s.passed
            row.failed += s.failed
            row.skipped += s.skipped
            for f in s.failures:
                row.notes.append("%s: %s" % (s.name, f))
        if row.passed + row.failed == 0:
            row.failed += 1
            row.notes.append("no test ran")
        if not v.ok:
            row.failed += 1
            row.notes.append("judge: %s" % v.reason())
            for kind, line in v.reports[:3]:
                row.notes.append("  %s: %s" % (kind, line))
        if "### lab: insmod rmem_heap failed" in text:
            row.notes.append("insmod rmem_heap failed")
        row.verdict = "PASS" if row.failed == 0 and v.ok else "FAIL"
    return row, (job if sc else None)


# The judge must fail a guest that WARNs and one that hangs.
JUDGE_CASES = [
    ("judge-warn", "insmod /lab/judge_warn.ko\n", None, "WARN"),
    ("judge-hang", "echo '### lab: hanging on purpose'; while :; do sleep 1; done\n", 45,
     "timeout"),
]


def judge_jobs(kname, mname, logdir):
    jobs = []
    for name, body, limit, want in JUDGE_CASES:
        row = Row(kname, "%s (%s)" % (mname, name))
        # kmemleak's scans take long under KASAN and TCG; these boots
        # only have to be judged a failure.
        sc = _prepare(row, kname, mname, body,
                      os.path.join(logdir, "%s-%s-%s" % (kname, mname, name)),
                      env={"LAB_KMEMLEAK": "0"})

        def job(row=row, sc=sc, name=name, limit=limit, want=want):
            util.say("booting kernel %s on %s: %s (must be judged a failure)"
                     % (kname, mname, name))
            text, timed_out, _ = qemu.boot(sc["machine"], sc["image"], sc["dtb"],
                                           sc["initrd"], row.log, timeout=limit)
            v = judge.judge(text, timed_out)
            got = v.reason()
            row.check(not v.ok and got.startswith(want),
                      "the judge said %r, expected a %s failure" % (got, want))
        jobs.append((row, job if sc else None))
    return jobs


def print_table(rows):
    w = max(len(r.machine) for r in rows)
    print()
    print("%-8s %-*s %6s %6s %7s  %s" % ("kernel", w, "machine", "passed", "failed", "verdict", "log"))
    for r in rows:
        print("%-8s %-*s %6d %6d %7s  %s" % (r.kernel, w, r.machine, r.passed, r.failed,
                                             r.verdict, r.log))
    bad = [r for r in rows if r.verdict != "PASS"]
    for r in bad:
        print("\n%s on %s failed:" % (r.kernel, r.machine))
        for n in r.notes[:25]:
            print("  " + n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or " ".join(scenario.KERNELS))
    ap.add_argument("--machines", default=os.environ.get("MACHINES") or " ".join(machine.names()))
    args = ap.parse_args(argv)
    kernels = args.kernels.split()
    machines = args.machines.split()
    for k in kernels:
        if k not in scenario.KERNELS:
            sys.exit("unknown kernel %r (known: %s)" % (k, " ".join(scenario.KERNELS)))
    mobjs = [machine.Machine(m) for m in machines]
    t0 = time.monotonic()
    logdir = os.path.join(util.OUT, "logs")
    rows = []
    combos = [(k, m) for k in kernels for m in mobjs if scenario.runs_on(k, m)]
    # Kernels first (the long part), then host checks, builds and boots.
    targets = []
    for k, m in combos:
        if (k, m.arch) not in targets:
            targets.append((k, m.arch))
    failed_targets = set()
    for k, arch in targets:
        try:
            t, _ = scenario.target(k, arch)
            build_row(rows, t, scenario.built(t))
        except (util.LabError, subprocess.CalledProcessError, OSError) as e:
            r = Row(k, "build-" + arch)
            r.check(False, str(e))
            rows.append(r)
            failed_targets.add((k, arch))
    from . import fetch
    host_checks(rows, fetch.kernel_source([k for k in scenario.KERNELS if k[0].isdigit()][-1]))
    jobs = []
    # The slowest boots (KASAN arm64 kernels) first, so that the two lanes
    # end together.
    slow_first = sorted(combos, key=lambda c: (c[1].arch != "arm64", c[0] == "debian"))
    for k, m in slow_first:
        if (k, m.arch) not in failed_targets:
            jobs.append(boot_job(k, m.name, logdir))
    # The judge's own expected-failure checks, on a lab kernel of the run
    # (the newest on virt where there is one: it boots fastest).
    lab_combos = [(k, m) for k, m in combos if k[0].isdigit() and (k, m.arch) not in failed_targets]
    if lab_combos:
        k, m = sorted(lab_combos, key=lambda c: (c[1].name != "virt",
                                                 -scenario.KERNELS.index(c[0])))[0]
        jobs += judge_jobs(k, m.name, logdir)
    njobs = int(os.environ.get("LAB_JOBS", "2"))
    util.say("booting %d guests, %d at a time" % (len(jobs), njobs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=njobs) as pool:
        for f in [pool.submit(job) for _, job in jobs if job]:
            f.result()
    rows += [row for row, _ in jobs]
    print_table(rows)
    passed = sum(r.passed for r in rows)
    failed = sum(r.failed for r in rows)
    skipped = sum(r.skipped for r in rows)
    util.say("make check took %s" % util.elapsed(t0))
    print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except util.LabError as e:
        print("lab: %s" % e, file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
