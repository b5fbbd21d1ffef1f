"""Judge a guest's console log: kernel reports fail a boot whatever the tests said.

Any headline the kernel prints about itself (WARNING:, BUG:, INFO:, Oops)
fails a boot, and so do the reports of the debug options that have no such
headline (lockdep's splats, kmemleak, DMA-API debug, page allocation
failures, hung tasks, soft lockups, stalls). Lines known to be harmless are
allowed one by one in ALLOW, with the reason. QEMU's own stderr is judged
too, with its own allowlist. Skipped tests are judged here as well: a skip
not listed in lab/expected-skips.conf for that kernel and machine fails.
"""

import fnmatch
import os
import re

from . import util

# (kind, pattern), most specific first: the first match names the report.
REPORTS = [
    ("KASAN", re.compile(r"BUG: KASAN|KASAN: |kasan: .*(bad access|invalid)")),
    ("lockdep", re.compile(
        r"possible circular locking dependency|circular locking dependency detected"
        r"|inconsistent lock state|possible recursive locking|bad unlock balance"
        r"|possible irq lock inversion|held lock freed|lock held when returning to user space"
        r"|lock order detected|suspicious RCU usage|INFO: lockdep is turned off"
        r"|lockdep: .*(too low|turning off|BUG)|BUG: MAX_LOCK|BUG: looking up invalid subclass"
        r"|releasing a pinned lock|lock\(s\) held by .* detected"
        r"|WARNING: .*lock.*detected")),
    # A kmemleak that switched itself off has checked nothing: a failure too.
    # (Not "Cannot allocate a scan area, scanning the full object": kmemleak
    # goes on, scanning more; the fault suite's injected failures reach it.)
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks|unreferenced object 0x"
                            r"|kmemleak: Memory pool empty|kmemleak: Kernel memory leak detector"
                            r" disabled|kmemleak: Cannot allocate(?! a scan area)")),
    # DMA-API debug reports name a driver and a device; its two start-up
    # lines ("preallocated N debug entries", "debugging enabled") are not.
    ("DMA-API", re.compile(r"DMA-API: (?!preallocated \d+ debug entries|debugging enabled)")),
    ("sleep-in-atomic", re.compile(r"sleeping function called from invalid context"
                                   r"|scheduling while atomic")),
    ("hung task", re.compile(r"blocked for more than \d+ seconds|hung_task: ")),
    ("soft lockup", re.compile(r"soft lockup|BUG: workqueue lockup|hard LOCKUP")),
    ("stall", re.compile(r"rcu.*detected stalls|rcu.*self-detected stall|detected stall")),
    ("page allocation failure", re.compile(r"page allocation failure")),
    ("panic", re.compile(r"Kernel panic - ")),
    ("oops", re.compile(r"Internal error: |Unable to handle kernel|\bOops\b")),
    ("BUG", re.compile(r"\bBUG: |kernel BUG at")),
    # Not the "cut here" line: the splat's own first line (a DMA-API or
    # lockdep message, or WARNING:) right after it names the report.
    ("WARN", re.compile(r"\bWARNING: ")),
    ("INFO", re.compile(r"\bINFO: ")),
]

# Lines that match a pattern above but are not reports: (regex, why).
ALLOW = [
    (re.compile(r"^### lab: "), "the lab's own markers"),
    (re.compile(r"^\s*#\s"), "a test program's diagnostic line (TAP comment)"),
]

# QEMU's stderr: every line fails the boot unless allowed here.
QEMU_ALLOW = [
    (re.compile(r"Decode error", re.I),
     "the ZynqMP DMA model reports the bus errors of its own register probing"),
    # The ZCU102 model's DisplayPort has an audio device. With no audiodev
    # QEMU probes every sound back end and prints a page of errors; the
    # machine file gives it "none", which QEMU 7.2 takes with this notice
    # (its xlnx-dp device has no audiodev property to name it instead).
    (re.compile(r"^audio: Device xlnx_dp\.audio: audiodev default parameter is deprecated, "
                r"please specify audiodev=snd0$"),
     "the ZCU102 model's DisplayPort audio uses the lab's 'none' audio back end"),
]

DONE = "### lab: done"
HANG_MARK = "### lab: hanging on purpose"


class Verdict:
    def __init__(self):
        self.reports = []      # (kind, line)
        self.completed = False
        self.timed_out = False
        self.exit_error = None

    @property
    def ok(self):
        return self.completed and not self.reports and not self.timed_out \
            and self.exit_error is None

    def reason(self):
        """The first thing wrong: a report outranks a time-out (a panic or
        a hung task explains the time-out), which outranks a missing end."""
        if self.reports:
            return "%s report" % self.reports[0][0]
        if self.timed_out:
            return "timeout"
        if not self.completed:
            return "incomplete (no '%s')" % DONE
        if self.exit_error:
            return self.exit_error
        return "ok"


def classify(line):
    """The kind of kernel report a console line is, or None."""
    for pat, _why in ALLOW:
        if pat.search(line):
            return None
    for kind, pat in REPORTS:
        if pat.search(line):
            return kind
    return None


def judge(text, timed_out=False, exit_error=None, qemu_err=""):
    """Return a Verdict for a console log (and QEMU's stderr, if given)."""
    v = Verdict()
    v.timed_out = timed_out
    v.exit_error = exit_error
    for line in text.splitlines():
        if line.strip() == DONE:
            v.completed = True
        kind = classify(line)
        if kind:
            v.reports.append((kind, line.strip()))
    for line in qemu_err.splitlines():
        if line.strip() and not any(p.search(line) for p, _ in QEMU_ALLOW):
            v.reports.append(("QEMU", line.strip()))
    return v


EXPECTED_SKIPS = os.path.join(util.TOP, "lab", "expected-skips.conf")


def load_skips(path=EXPECTED_SKIPS):
    """Read the expected-skip table: (kernel, machine, suite, regex, why) rows."""
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 4)
            if len(parts) < 5:
                raise util.LabError("%s:%d: want KERNEL MACHINE SUITE TEST-REGEX WHY" % (path, n))
            k, m, s, rx, why = parts
            rows.append((k, m, s, re.compile(rx), why))
    return rows


def expected_skip(rows, kernel, mach, suite, name):
    """The reason a skip is expected on kernel x machine, or None."""
    for k, m, s, rx, why in rows:
        if fnmatch.fnmatch(kernel, k) and fnmatch.fnmatch(mach, m) and \
                fnmatch.fnmatch(suite, s) and rx.search(name):
            return why
    return None
