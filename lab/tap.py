"""Parse the TAP and KTAP documents that guests print between lab markers.

The init script prints, around every suite:

    ### lab: begin NAME
    ...TAP, KTAP or plain output...
    ### lab: end NAME rc=N

A suite's results are its leaf test lines ("ok N ..." / "not ok N ..." at
any indent that have no nested results of their own). Counting is strict,
as kunit_tool's is:

- every plan ("1..N") is read: fewer results than planned at that level is
  a failure ("missing N results"), more is one too;
- "1..0 # SKIP reason" is one skipped suite;
- a parent that says "not ok" while none of its children failed is one
  failure, and so is a non-zero exit status with no failing line;
- a suite that printed no result line at all fails ("no results"), except
  the suites named in `plain`, which print plain text and are judged by
  their exit status and any FAIL line (6.1's own dmabuf-heaps selftest);
- a suite whose end marker never came (the guest crashed or hung) fails.
"""

import re

BEGIN = re.compile(r"^### lab: begin (\S+)\s*$")
END = re.compile(r"^### lab: end (\S+) rc=(-?\d+)\s*$")
RESULT = re.compile(r"^(\s*)(ok|not ok)\b\s*(\d+)?\s*-?\s*(.*)$")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*(#\s*(?:SKIP|Skipped:?)\s*(.*))?\s*$", re.I)
SKIP = re.compile(r"#\s*SKIP\b", re.I)
# The kselftest harness's "#  RUN           fixture.variant.test ..." line:
# 6.1's harness prints a skipped test's result line without its name.
RUN = re.compile(r"^(\s*)#\s+RUN\s+(\S+)\s+\.\.\.\s*$")


class Result:
    """One leaf test result. status: pass, fail or skip."""

    def __init__(self, name, status, number=None):
        self.name = name
        self.status = status
        self.number = number

    def __repr__(self):
        return "Result(%r, %s)" % (self.name, self.status)


class Suite:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rc = None
        self.results = []      # leaf Results, in order
        self.problems = []     # failures that are not a test line (plans, exit status)

    @property
    def passed(self):
        return sum(r.status == "pass" for r in self.results)

    @property
    def failed(self):
        return sum(r.status == "fail" for r in self.results) + len(self.problems)

    @property
    def skipped(self):
        return sum(r.status == "skip" for r in self.results)

    @property
    def failures(self):
        return ["not ok: " + r.name for r in self.results if r.status == "fail"] + self.problems

    def __repr__(self):
        return "Suite(%s: %d passed, %d failed, %d skipped, rc=%s)" % (
            self.name, self.passed, self.failed, self.skipped, self.rc)


def test_name(desc):
    """A result's name without its directive ("# SKIP ...")."""
    return re.split(r"\s+#\s", " " + desc, 1)[0].strip()


def _evaluate(suite, plain):
    results = []       # (indent, ok, desc, number)
    blocks = []        # open plan blocks: [indent, planned, seen]

    def close(deeper_than):
        while blocks and blocks[-1][0] > deeper_than:
            _check_block(blocks.pop())

    def _check_block(b):
        indent, planned, seen = b
        if planned is None:
            return
        if seen < planned:
            suite.problems.append("missing %d results (planned %d, got %d%s)"
                                  % (planned - seen, planned, seen,
                                     ", indent %d" % indent if indent else ""))
        elif seen > planned:
            suite.problems.append("%d results more than the plan of %d" % (seen - planned, planned))

    skipped_plan = None
    running = None     # the test the harness last said it runs
    for raw in suite.lines:
        line = raw.replace("\t", "    ")
        m = RUN.match(line)
        if m:
            running = m.group(2)
            continue
        m = PLAN.match(line)
        if m:
            indent = len(m.group(1))
            close(indent)
            if blocks and blocks[-1][0] == indent and blocks[-1][1] is None and blocks[-1][2]:
                # A plan at the end of its results (TAP allows both places).
                blocks[-1][1] = int(m.group(2))
                continue
            if blocks and blocks[-1][0] == indent:
                _check_block(blocks.pop())
            blocks.append([indent, int(m.group(2)), 0])
            if int(m.group(2)) == 0 and m.group(3):
                skipped_plan = (m.group(4) or "").strip()
            continue
        m = RESULT.match(line)
        if m:
            indent = len(m.group(1))
            close(indent)
            if not blocks or blocks[-1][0] != indent:
                blocks.append([indent, None, 0])
            blocks[-1][2] += 1
            desc = m.group(4).strip()
            if running and not test_name(desc):
                desc = running + " " + desc
            running = None
            results.append((indent, m.group(2) == "ok", desc, m.group(3)))
    close(-1)

    for i, (indent, ok, desc, num) in enumerate(results):
        # Children of a result are the results right before it with a
        # deeper indent (KTAP prints the subtests first, then the parent).
        j = i - 1
        children = []
        while j >= 0 and results[j][0] > indent:
            children.append(results[j])
            j -= 1
        if children:
            if not ok and all(c[1] for c in children):
                suite.problems.append("parent not ok with no failing subtest: %s"
                                      % test_name(desc))
            continue
        if ok and SKIP.search(desc):
            status = "skip"
        elif ok:
            status = "pass"
        else:
            status = "fail"
        suite.results.append(Result(test_name(desc), status, num))
        if status == "skip":
            suite.results[-1].reason = re.split(SKIP, desc, 1)[1].strip()

    if skipped_plan is not None and not results:
        r = Result("(whole suite)", "skip")
        r.reason = skipped_plan
        suite.results.append(r)
    elif not results:
        fails = [l.strip() for l in suite.lines if re.search(r"\bFAIL\b", l)]
        if suite.name in plain and suite.rc == 0 and not fails:
            suite.results.append(Result("(plain output, exit status 0)", "pass"))
        elif suite.name in plain:
            suite.results.append(Result("(plain output, exit status %s%s)" % (
                suite.rc, ", " + fails[0] if fails else ""), "fail"))
        elif suite.rc is not None:
            suite.problems.append("no results (exit status %s)" % suite.rc)
    if skipped_plan is not None and not results and suite.rc == 4:
        suite.rc = 0       # kselftest's "skip" exit status, with a skip plan
    if suite.rc is None:
        suite.problems.append("did not finish: no end marker (the guest crashed, hung or "
                              "was stopped while it ran)")
    elif suite.rc != 0 and suite.failed == 0:
        suite.problems.append("exit status %s with no failing test line" % suite.rc)


def parse(text, plain=()):
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
        _evaluate(s, plain)
    return suites
