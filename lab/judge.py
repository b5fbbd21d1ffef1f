"""Judge a guest's console log: kernel reports fail a boot whatever the tests said."""

import re

# Each pattern names a kind of report the kernel's debug options print.
REPORTS = [
    ("oops", re.compile(r"Internal error: |Unable to handle kernel|Oops[:\[ ]")),
    ("BUG", re.compile(r"\bBUG: |kernel BUG at")),
    ("WARN", re.compile(r"WARNING: CPU: \d+ PID: |------------\[ cut here \]------------")),
    ("panic", re.compile(r"Kernel panic - ")),
    ("KASAN", re.compile(r"KASAN: |BUG: KASAN")),
    ("lockdep", re.compile(r"possible circular locking dependency|inconsistent lock state"
                           r"|possible recursive locking|suspicious RCU usage"
                           r"|lock held when returning to user space"
                           r"|INFO: lockdep is turned off")),
    # A kmemleak that switched itself off has checked nothing: a failure too.
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks|unreferenced object 0x"
                            r"|kmemleak: Memory pool empty|kmemleak: Kernel memory leak detector"
                            r" disabled")),
    # DMA-API debug reports name a driver and a device; its two start-up
    # lines ("preallocated N debug entries", "debugging enabled") are not.
    ("DMA-API", re.compile(r"DMA-API: (?!preallocated \d+ debug entries|debugging enabled)")),
    ("sleep-in-atomic", re.compile(r"sleeping function called from invalid context")),
    ("hung task", re.compile(r"blocked for more than \d+ seconds|soft lockup|rcu_.*detected stalls")),
]

DONE = "### lab: done"


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
        if self.timed_out:
            return "timeout"
        if self.reports:
            return "%s report" % self.reports[0][0]
        if not self.completed:
            return "incomplete (no '%s')" % DONE
        if self.exit_error:
            return self.exit_error
        return "ok"


def judge(text, timed_out=False, exit_error=None):
    """Return a Verdict for a console log."""
    v = Verdict()
    v.timed_out = timed_out
    v.exit_error = exit_error
    for line in text.splitlines():
        if line.strip() == DONE:
            v.completed = True
        for kind, pat in REPORTS:
            if pat.search(line):
                v.reports.append((kind, line.strip()))
                break
    return v
