"""Parse the TAP and KTAP documents that guests print between lab markers.

The init script prints, around every suite:

    ### lab: begin NAME
    ...TAP, KTAP or plain output...
    ### lab: end NAME rc=N

A suite's results are its leaf test lines ("ok N ..." / "not ok N ..." at
any indent that have no nested results of their own). A parent line that
says "not ok" while none of its children failed counts as one failure; a
non-zero exit status with no failing line counts as one failure, and a
suite that printed no result line at all counts as one test judged by its
exit status (the 6.1 dmabuf-heaps selftest prints plain text).
"""

import re

BEGIN = re.compile(r"^### lab: begin (\S+)\s*$")
END = re.compile(r"^### lab: end (\S+) rc=(-?\d+)\s*$")
RESULT = re.compile(r"^(\s*)(ok|not ok)\s+(\d+)\s*-?\s*(.*)$")


class Suite:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rc = None
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def __repr__(self):
        return "Suite(%s: %d passed, %d failed, %d skipped, rc=%s)" % (
            self.name, self.passed, self.failed, self.skipped, self.rc)


def _evaluate(suite):
    results = []
    for line in suite.lines:
        m = RESULT.match(line.replace("\t", "    "))
        if m:
            results.append((len(m.group(1)), m.group(2) == "ok", m.group(4).strip()))
    for i, (indent, ok, desc) in enumerate(results):
        # Children of a result are the results right before it with a
        # deeper indent (KTAP prints the subtests first, then the parent).
        children = []
        j = i - 1
        while j >= 0 and results[j][0] > indent:
            children.append(results[j])
            j -= 1
        if children:
            if not ok and all(c[1] for c in children):
                suite.failed += 1
                suite.failures.append(desc)
            continue
        if ok and re.search(r"#\s*SKIP", desc, re.I):
            suite.skipped += 1
        elif ok:
            suite.passed += 1
        else:
            suite.failed += 1
            suite.failures.append(desc)
    if not results:
        if suite.rc == 0:
            suite.passed += 1
        else:
            suite.failed += 1
            suite.failures.append("exit status %s" % suite.rc)
    elif suite.rc != 0 and suite.failed == 0:
        suite.failed += 1
        suite.failures.append("exit status %s with no failing test line" % suite.rc)


def parse(text):
    """Return the list of Suites in a console log (unfinished ones fail)."""
    suites = []
    cur = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = BEGIN.match(line)
        if m:
            cur = Suite(m.group(1))
            suites.append(cur)
            continue
        m = END.match(line)
        if m and cur is not None and m.group(1) == cur.name:
            cur.rc = int(m.group(2))
            cur = None
            continue
        if cur is not None:
            cur.lines.append(line)
    for s in suites:
        _evaluate(s)
    return suites
