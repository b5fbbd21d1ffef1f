"""make check: the whole kernel x machine matrix, judged, with one closing line.

    python3 -m lab.check [--kernels "6.1 newest"] [--machines "virt zynq"]

Order: the lab's own unit tests (parser and judge over canned logs, make
install, the Yocto layer), kernel builds, host checks (checkpatch,
dt-schema, docs, DKMS), module builds, then the guests, two at a time
(among them one that runs the board bundle of `make board-bundle`). Every
guest a failed build would have booted still gets a row, "not run", counted
as a failure; a failure is printed when it happens; an error of the lab
itself or Ctrl-C still prints the table and the closing line. The table is also written as data to out/results.json
(lab/support.py), from which `make support-table` makes README.md's table.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import threading
import time
import traceback

from . import broken, build, dkms, judge, machine, qemu, scenario, support, tap, util


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
        self.checks = set()        # distinct (suite, test) names seen
        self.kernel_share = 0      # results of the kernel's own selftest

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.verdict = "FAIL"
            self.notes.append(what)

    def not_run(self, why):
        self.failed += 1
        self.verdict = "NOT RUN"
        self.notes.append("not run: " + why)

    def label(self):
        return "%s on %s" % (self.kernel, self.machine)


_print_lock = threading.Lock()


def report(row):
    """Print a finished row's failure at once, not only in the final table."""
    if row.verdict == "PASS":
        return
    with _print_lock:
        util.say("FAILED: %s (%s)" % (row.label(), row.log))
        for n in row.notes[:8]:
            util.say("    " + n)


def unit_tests(rows):
    """The lab's own unit tests: parser and judge over canned logs."""
    row = Row("-", "lab unit tests", os.path.join(util.OUT, "logs", "unit-tests.log"))
    util.ensure_dir(os.path.dirname(row.log))
    util.say("unit tests of the TAP parser and the judge (lab/test_*.py)")
    with open(row.log, "w") as f:
        r = subprocess.run([sys.executable, "-m", "unittest", "discover", "-v", "-s",
                            os.path.join(util.TOP, "lab"), "-t", util.TOP,
                            "-p", "test_*.py"],
                           stdout=f, stderr=subprocess.STDOUT, cwd=util.TOP)
    with open(row.log) as f:
        text = f.read()
    m = re.search(r"^Ran (\d+) tests?", text, re.M)
    ran = int(m.group(1)) if m else 0
    bad = re.findall(r"^(?:FAIL|ERROR): (\S+)", text, re.M)
    row.passed = max(ran - len(bad), 0)
    for b in bad:
        row.check(False, "unit test failed: " + b)
    if not bad and (r.returncode != 0 or ran == 0):
        row.check(False, "unittest exited %d after %d tests" % (r.returncode, ran))
    rows.append(row)
    report(row)


def host_checks(rows, newest_src):
    """Checks that run once, on the host: style, device-tree schema, docs,
    DKMS and the man page."""
    row = Row("-", "host", os.path.join(util.OUT, "logs", "host"))
    util.ensure_dir(row.log)
    util.say("checkpatch --strict on the kernel sources (%s)" % os.path.basename(newest_src))
    files = sorted(os.path.join(d, f)
                   for d in ("driver", "include/uapi/linux", "selftests/judge-kmod",
                             "selftests/importer")
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
    util.say("make docs: kernel-doc, the troubleshooting page's messages, Sphinx -W")
    log = os.path.join(row.log, "docs.log")
    with open(log, "w") as f:
        # lab.docs takes the newest kernel's tree itself: its kernel-doc and
        # Sphinx extension, whatever subset of kernels this run has
        r = subprocess.run([sys.executable, "-m", "lab.docs"],
                           stdout=f, stderr=subprocess.STDOUT, cwd=util.TOP,
                           env=dict(os.environ, RMEM_HEAP_OUT=util.OUT))
    row.check(r.returncode == 0, "make docs failed (%s)" % log)
    log = os.path.join(row.log, "dkms.log")
    util.say("dkms.conf: Debian 12's dkms add/build/install, cross, for its arm64 kernel"
             " (log: %s)" % log)
    t0 = time.monotonic()
    try:
        problems = dkms.check(log)
    except (util.LabError, subprocess.CalledProcessError, OSError) as e:
        problems = [str(e)]
    util.say("  dkms took %s" % util.elapsed(t0))
    row.check(not problems, "dkms: " + "; ".join(problems))
    util.say("groff -ww: the man page rmem-heapctl(8)")
    log = os.path.join(row.log, "manpage.log")
    warns = build.manpage_warnings(build.MANPAGE, log)
    for w in warns[:10]:
        util.say("  " + w)
    row.check(not warns, "rmem-heapctl.8: %d groff problems (%s)" % (len(warns), log))
    rows.append(row)
    report(row)


def build_row(rows, t, res):
    logs = res["logs"] or [getattr(t, "kernel", None) and t.kernel.build + ".log" or ""]
    row = Row(t.name, "build-" + t.arch, ", ".join(logs))
    row.check(not res["errors"], "; ".join(res["errors"]))
    if not t.builtin:
        row.check("rmem_heap" in res["kos"], "rmem_heap.ko not built")
    row.check(scenario.IMPORTER_KO in res["kos"], "%s.ko not built" % scenario.IMPORTER_KO)
    # W=1 and sparse: the driver (not built in) and the test importer.
    for w in res["warnings"][:10]:
        util.say("  " + w)
    row.check(not res["warnings"], "W=1/sparse warnings: %d" % len(res["warnings"]))
    rows.append(row)
    report(row)
    return not res["errors"]


def _prepare(row, kname, mname, body, out, env=None):
    row.log = os.path.join(out, "console.log")
    try:
        return scenario.prepare(kname, mname, body, out, env=env)
    except (util.LabError, subprocess.CalledProcessError, OSError) as e:
        row.not_run("preparing the guest failed: %s" % e)
        return None


class Watcher:
    """Follows a guest's console as it runs: prints failing results as they
    come and remembers which suite was running and its last line."""

    def __init__(self, label):
        self.label = label
        self.suite = None
        self.last = ""

    def __call__(self, line):
        line = line.rstrip("\r\n")
        m = tap.BEGIN.match(line)
        if m:
            self.suite, self.last = m.group(1), ""
            return
        if tap.END.match(line):
            self.suite = None
            return
        if self.suite and line.strip():
            self.last = line.strip()
            if re.match(r"\s*not ok\b", line):
                with _print_lock:
                    util.say("  %s: %s: %s" % (self.label, self.suite, line.strip()))

    def where(self):
        if self.suite:
            return "while suite %s ran (its last line: %r)" % (self.suite, self.last[:160])
        return None


def score(row, text, kname, mname, skips):
    """Count a guest's results into row, judging skips against the table."""
    plain = ("dmabuf-heap",) if kname in ("6.1", "debian") else ()
    for s in tap.parse(text, plain=plain):
        for r in s.results:
            row.checks.add((s.name, re.sub(r"^\d+\s+", "", r.name)))
            if s.name == "dmabuf-heap":
                row.kernel_share += 1
            if r.status == "pass":
                row.passed += 1
            elif r.status == "skip":
                why = judge.expected_skip(skips, kname, mname, s.name, r.name)
                if why:
                    row.skipped += 1
                else:
                    row.failed += 1
                    row.notes.append("%s: unexpected skip: %s (%s)"
                                     % (s.name, r.name, getattr(r, "reason", "")))
            else:
                row.failed += 1
                row.notes.append("%s: not ok: %s" % (s.name, r.name))
        for p in s.problems:
            row.failed += 1
            row.notes.append("%s: %s" % (s.name, p))


def boot_job(kname, mname, logdir, skips, bounce=False, broken=False, single=True):
    """Prepare a test boot; return (row, job) where job() boots and judges it.

    single: QEMU runs the guest's vCPUs on one host thread (see
    parallel_guest()).

    bounce: the import suite alone, on a kernel booted with swiotlb=force.
    broken: the broken-bindings boot (the machine's broken overlay, the
    cases of lab/broken-bindings.conf).
    """
    label = "%s (%s)" % (mname, scenario.BOUNCE_APPEND) if bounce else \
        "%s (broken-bindings)" % mname if broken else mname
    row = Row(kname, label)
    mach = machine.Machine(mname)
    out = os.path.join(logdir, "%s-%s%s" % (kname, mname, "-bounce" if bounce else
                                             "-broken-bindings" if broken else ""))
    if broken:
        row.log = os.path.join(out, "console.log")
        try:
            sc = scenario.prepare_broken(kname, mname, out)
        except (util.LabError, subprocess.CalledProcessError, OSError) as e:
            row.not_run("preparing the guest failed: %s" % e)
            sc = None
    else:
        if bounce:
            body = scenario.bounce_body
        else:
            try:
                body = scenario.machine_body(mach)
            except util.LabError as e:
                row.not_run(str(e))
                return row, None
        sc = _prepare(row, kname, mname, body, out)

    def job():
        util.say("booting kernel %s on %s (console: %s)" % (kname, label, row.log))
        w = Watcher("%s/%s" % (kname, label))
        text, timed_out, _ = scenario.boot(sc, row.log, echo=w, single=single,
                                           append=scenario.BOUNCE_APPEND if bounce else "")
        v = judge.judge(text, timed_out, qemu_err=qemu.stderr_text(row.log))
        score(row, text, kname, mname, skips)
        if row.passed + row.failed == 0:
            row.failed += 1
            row.notes.append("no test ran")
        if not v.ok:
            row.failed += 1
            row.notes.append("judge: %s%s" % (v.reason(),
                                               " " + w.where() if w.where() else ""))
            for kind, line in v.reports[:3]:
                row.notes.append("  %s: %s" % (kind, line))
        for ko in ("rmem_heap", scenario.IMPORTER_KO):
            if "### lab: insmod %s failed" % ko in text:
                row.notes.append("insmod %s failed" % ko)
        row.verdict = "PASS" if row.failed == 0 and v.ok else "FAIL"
        report(row)
    return row, (job if sc else None)


BOARD_BUNDLE_MACHINE = "zcu102"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped\s*$")


def bundle_summary(row, text):
    """run.sh's own closing line must agree with the lab's count of its TAP."""
    suites = [s for s in tap.parse(text) if s.name == scenario.BOARD_BUNDLE_SUITE]
    if not suites:
        row.check(False, "run.sh did not run")
        return
    s = suites[0]
    got = [tuple(int(x) for x in m.groups()) for m in map(SUMMARY.match, s.lines) if m]
    want = (s.passed, s.failed, s.skipped)
    row.check(got == [want], "run.sh's closing line %s, the lab counted %d passed, "
              "%d failed, %d skipped" % (got or "missing", *want))


def board_bundle_job(kname, mname, logdir, skips):
    """make board-bundle for kname, then a guest on mname that unpacks the
    tarball and runs its run.sh as a board user would; return (row, job)."""
    row = Row(kname, "%s (board bundle)" % mname)
    out = os.path.join(logdir, "%s-%s-board-bundle" % (kname, mname))
    row.log = os.path.join(out, "console.log")
    mach = machine.Machine(mname)

    def job():
        t0 = time.monotonic()
        try:
            t, _ = scenario.target(kname, mach.arch)
            tarball = scenario.board_bundle(t, out)
            util.say("made %s in %s" % (os.path.basename(tarball), util.elapsed(t0)))
            sc = scenario.prepare(kname, mname, scenario.board_bundle_body(t, tarball, mach.heaps),
                                  out, extra_files=[("lab/" + os.path.basename(tarball), tarball)],
                                  bare=True)
        except (util.LabError, subprocess.CalledProcessError, OSError) as e:
            row.not_run("the board bundle: %s" % e)
            report(row)
            return
        util.say("booting kernel %s on %s: the board bundle's run.sh (console: %s)"
                 % (kname, mname, row.log))
        w = Watcher("%s/%s (board bundle)" % (kname, mname))
        text, timed_out, _ = scenario.boot(sc, row.log, echo=w, single=True)
        v = judge.judge(text, timed_out, qemu_err=qemu.stderr_text(row.log))
        score(row, text, kname, mname, skips)
        bundle_summary(row, text)
        if not v.ok:
            row.failed += 1
            row.notes.append("judge: %s%s" % (v.reason(),
                                               " " + w.where() if w.where() else ""))
            for kind, line in v.reports[:3]:
                row.notes.append("  %s: %s" % (kind, line))
        row.verdict = "PASS" if row.failed == 0 and v.ok else "FAIL"
        util.say("the board bundle on %s/%s took %s" % (kname, mname, util.elapsed(t0)))
        report(row)
    return row, job


# The judge must fail a guest that WARNs and one that hangs, for the right
# reason: (name, body, time limit, expected reason, a line that must be in
# the report or the log).
JUDGE_CASES = [
    ("judge-warn", "insmod /lab/judge_warn.ko\n", None, "WARN report",
     re.compile(r"judge_warn")),
    ("judge-hang", "echo '%s'; while :; do sleep 1; done\n" % judge.HANG_MARK, 45, "timeout",
     re.compile(re.escape(judge.HANG_MARK))),
]


def judge_case(row, v, text, want, evidence):
    """A self-test guest is caught for the right reason: its verdict, and the
    evidence (the WARN's module in the report, the hang's marker in the log)."""
    got = v.reason()
    if v.ok or got != want:
        return "the judge said %r, expected %r" % (got, want)
    if want == "timeout":
        # A panic or oops would have been the reason (reports outrank a
        # time-out), so a "timeout" here is a hang; it must be ours.
        if not evidence.search(text):
            return "timed out without its 'hanging on purpose' marker"
    else:
        # The first report must be the test module's WARN, not some other
        # one: its evidence is in that splat (up to its end-of-trace line).
        lines = text.splitlines()
        first = v.reports[0][1]
        idx = next((i for i, l in enumerate(lines) if l.strip() == first), None)
        splat = []
        for l in lines[idx:idx + 60] if idx is not None else []:
            splat.append(l)
            if "end trace" in l:
                break
        if not evidence.search("\n".join(splat)):
            return "the first WARN is not the test module's: %r" % first
    return None


def judge_jobs(kname, mname, logdir):
    jobs = []
    for name, body, limit, want, evidence in JUDGE_CASES:
        row = Row(kname, "%s (%s)" % (mname, name))
        # kmemleak's scans take long under KASAN and TCG; these boots
        # only have to be judged a failure.
        sc = _prepare(row, kname, mname, body,
                      os.path.join(logdir, "%s-%s-%s" % (kname, mname, name)),
                      env={"LAB_KMEMLEAK": "0"})

        def job(row=row, sc=sc, name=name, limit=limit, want=want, evidence=evidence):
            util.say("booting kernel %s on %s: %s (must be judged a failure)"
                     % (kname, mname, name))
            text, timed_out, _ = scenario.boot(sc, row.log, timeout=limit, single=True)
            v = judge.judge(text, timed_out, qemu_err=qemu.stderr_text(row.log))
            wrong = judge_case(row, v, text, want, evidence)
            row.check(wrong is None, wrong or "")
            report(row)
        jobs.append((row, job if sc else None))
    return jobs


def print_table(rows, interrupted=False):
    if not rows:
        return
    w = max(len(r.machine) for r in rows)
    print()
    if interrupted:
        print("INTERRUPTED: a partial table; rows not run are failures")
    print("%-8s %-*s %6s %6s %7s %11s  %s" % ("kernel", w, "machine", "passed", "failed",
                                              "skipped", "verdict", "log"))
    for r in rows:
        print("%-8s %-*s %6d %6d %7d %11s  %s" % (r.kernel, w, r.machine, r.passed, r.failed,
                                                  r.skipped, r.verdict, r.log))
    bad = [r for r in rows if r.verdict != "PASS"]
    for r in bad:
        print("\n%s failed:" % r.label())
        for n in r.notes[:25]:
            print("  " + n)


def figures(rows):
    """The two figures the README gives: result lines, and distinct checks
    with the share the kernel's own selftest contributes."""
    results = sum(r.passed + r.failed + r.skipped for r in rows)
    distinct = set()
    for r in rows:
        distinct |= r.checks
    kernel = sum(r.kernel_share for r in rows)
    own = len([c for c in distinct if c[0] != "dmabuf-heap"])
    print("results: %d result lines over the matrix; %d distinct checks (suite x test, "
          "heap kind included), %d of them ours; the kernel's own dmabuf-heaps selftest "
          "gives %d of the result lines (%.0f%%)"
          % (results, len(distinct), own, kernel, 100.0 * kernel / results if results else 0))


def run(rows, kernels, machines):
    mobjs = [machine.Machine(m) for m in machines]
    logdir = os.path.join(util.OUT, "logs")
    skips = judge.load_skips()
    unit_tests(rows)
    combos = [(k, m) for k in kernels for m in mobjs if scenario.runs_on(k, m)]
    # Kernels first (the long part), then host checks, builds and boots.
    targets = []
    for k, m in combos:
        if (k, m.arch) not in targets:
            targets.append((k, m.arch))
    failed_targets = {}
    for k, arch in targets:
        try:
            t, _ = scenario.target(k, arch)
            if not build_row(rows, t, scenario.built(t)):
                failed_targets[(k, arch)] = "building for kernel %s/%s failed" % (k, arch)
        except (util.LabError, subprocess.CalledProcessError, OSError) as e:
            r = Row(k, "build-" + arch)
            r.check(False, str(e))
            rows.append(r)
            report(r)
            failed_targets[(k, arch)] = "kernel %s/%s: %s" % (k, arch, e)
    # checkpatch with the newest kernel tree this run already has.
    lab_kernels = [k for k in kernels if k[0].isdigit()] or ["6.1"]
    from . import fetch
    try:
        host_checks(rows, fetch.kernel_source(lab_kernels[-1]))
    except (util.LabError, subprocess.CalledProcessError, OSError) as e:
        r = Row("-", "host")
        r.check(False, str(e))
        rows.append(r)
        report(r)
    jobs = []
    lab_kernels = [k for k in kernels if k[0].isdigit()]
    newest = lab_kernels[-1] if lab_kernels else None
    # The slowest boots (KASAN arm64 kernels) first, so that the two lanes
    # end together.
    slow_first = sorted(combos, key=lambda c: (c[1].arch != "arm64", c[0] == "debian"))
    for k, m in slow_first:
        if (k, m.arch) in failed_targets:
            r = Row(k, m.name)
            r.not_run(failed_targets[(k, m.arch)])
            jobs.append((r, None))
        else:
            jobs.append(boot_job(k, m.name, logdir, skips,
                                 single=not parallel_guest(k, m.name, newest)))
            # Bounce buffers: the lab kernels on virt (a short boot each).
            if m.name == "virt" and k[0].isdigit():
                jobs.append(boot_job(k, m.name, logdir, skips, bounce=True))
            # Broken bindings: the lab kernels on the machines that have a
            # broken overlay (zcu102 and zynq: a short boot each).
            if m.broken_overlay and k[0].isdigit():
                if k in broken.NO_BOOT:
                    util.say("no broken-bindings boot of %s on %s: %s"
                             % (k, m.name, broken.NO_BOOT[k]))
                else:
                    jobs.append(boot_job(k, m.name, logdir, skips, broken=True))
    # The board bundle: the newest lab kernel of the run on the ZCU102 (the
    # board-like machine), one guest.
    if newest and BOARD_BUNDLE_MACHINE in machines:
        k = newest
        arch = machine.Machine(BOARD_BUNDLE_MACHINE).arch
        if (k, arch) in failed_targets:
            r = Row(k, "%s (board bundle)" % BOARD_BUNDLE_MACHINE)
            r.not_run(failed_targets[(k, arch)])
            jobs.append((r, None))
        else:
            jobs.append(board_bundle_job(k, BOARD_BUNDLE_MACHINE, logdir, skips))
    # The judge's own expected-failure checks, on a lab kernel of the run
    # (the newest on virt where there is one: it boots fastest).
    lab_combos = [(k, m) for k, m in combos if k[0].isdigit()]
    if lab_combos:
        k, m = sorted(lab_combos, key=lambda c: (c[1].name != "virt",
                                                 -kernels.index(c[0])))[0]
        if (k, m.arch) in failed_targets:
            for name, *_ in JUDGE_CASES:
                r = Row(k, "%s (%s)" % (m.name, name))
                r.not_run(failed_targets[(k, m.arch)])
                jobs.append((r, None))
        else:
            jobs += judge_jobs(k, m.name, logdir)
    for row, job in jobs:
        rows.append(row)
        if job is None and row.verdict == "PASS":
            row.not_run("no guest was prepared")
        if job is None:
            report(row)
    njobs = int(os.environ.get("LAB_JOBS", "2"))
    todo = [(row, job) for row, job in jobs if job]
    # Longest first, so that the lanes end together: the board bundle's
    # guest (it makes the bundle first), then the full suites (arm64 debug
    # kernels first, as slow_first has them), then the short boots
    # (bounce buffers, high memory, broken bindings, the judge's cases)
    # and Debian's own kernel (no debug options) to fill the lanes' ends.
    todo.sort(key=lambda rj: job_weight(rj[0]))
    util.say("booting %d guests, %d at a time" % (len(todo), njobs))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=njobs)
    futures = {pool.submit(job): row for row, job in todo}
    try:
        for f in concurrent.futures.as_completed(futures):
            try:
                f.result()
            except Exception as e:      # a bug of the lab's: the row fails
                row = futures[f]
                row.failed += 1
                row.verdict = "FAIL"
                row.notes.append("lab error: %s" % e)
                traceback.print_exc()
    except BaseException:
        # Stop what has not started, end the guests that run, and let their
        # jobs finish judging what they got, so that the table comes last.
        for f in futures:
            f.cancel()
        qemu.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        for f, row in futures.items():
            if f.cancelled() or row.verdict != "PASS" or row.passed + row.failed == 0:
                if f.cancelled():
                    row.failed += 1
                row.verdict = "INTERRUPTED"
                row.notes.insert(0, "interrupted before it finished")
        raise
    pool.shutdown()


def parallel_guest(kname, mname, newest):
    """True for the full-suite guests that keep one host thread per vCPU.

    Two guests share the lab's two cores. With a thread per vCPU (QEMU's
    default) each guest's TLB flushes wait for its other vCPU's thread, and
    a pair of 7.3 virt guests took 303 s; with one thread per guest
    (tcg,thread=single) the same pair took 191 s, the fuzz suite 38-52 s
    instead of 108 s. One thread runs the vCPUs in turn, though, so the
    stress suite's threads and the background zeroing are never truly
    simultaneous. On virt, the newest kernel (reusable heaps through
    cma_alloc(), 7.1+) and 6.12 (through its fallback, as 6.1) keep truly
    parallel vCPUs; `make soak` has them too.
    """
    return mname == "virt" and kname in (newest, scenario.INTREE_BASE)


def job_weight(row):
    """Sort key of a guest job: 0 the board bundle, 1 a full suite, 2 a
    short boot or a kernel without debug options."""
    if row.machine.endswith("(board bundle)"):
        return 0
    if "(" in row.machine or row.machine == "virt-high" or row.kernel == "debian":
        return 2
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or "")
    ap.add_argument("--machines", default=os.environ.get("MACHINES") or "")
    args = ap.parse_args(argv)
    qemu.stop_on_sigterm()
    t0 = time.monotonic()
    rows = []
    status = 0
    interrupted = False
    kernels, machines, described = [], [], {}
    started = support._now()
    try:
        kernels = scenario.resolve(args.kernels.split()) if args.kernels.split() \
            else scenario.kernels()
        machines = args.machines.split() or machine.check_names()
        from . import fetch
        described = {k: fetch.describe(k) for k in kernels}
        util.say("kernels: %s; machines: %s" % (
            ", ".join("%s (%s)" % (k, described[k]) for k in kernels), " ".join(machines)))
        run(rows, kernels, machines)
    except KeyboardInterrupt:
        interrupted = True
        status = 130
        r = Row("-", "interrupted")
        r.failed = 1
        r.verdict = "INTERRUPTED"
        r.notes.append("interrupted (Ctrl-C or SIGTERM): pending jobs stopped, guests ended")
        rows.append(r)
    except Exception as e:             # the lab itself failed: say so, count it
        traceback.print_exc()
        r = Row("-", "lab")
        r.check(False, "the lab stopped: %s" % e)
        rows.append(r)
    print_table(rows, interrupted)
    figures(rows)
    support.save(rows, kernels=kernels, machines=machines, started=started,
                 narrowed=bool(args.kernels.split() or args.machines.split()),
                 interrupted=interrupted, describe=described.get)
    passed = sum(r.passed for r in rows)
    failed = sum(r.failed for r in rows)
    skipped = sum(r.skipped for r in rows)
    util.say("make check took %s" % util.elapsed(t0))
    print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else ""))
    if status:
        return status
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
