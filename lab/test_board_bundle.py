"""Unit tests of the board bundle's counting: run.sh's count() agrees with
the lab's TAP parser over real guest logs, and the lab holds run.sh's
closing line against its own count.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import re
import subprocess
import tempfile
import unittest

from lab import check, scenario, tap, testdata, util

RUN_SH = os.path.join(util.TOP, "tools", "board-bundle", "run.sh")


def count_function():
    """run.sh's count() and nothing else of it."""
    with open(RUN_SH) as f:
        text = f.read()
    m = re.search(r"^count\(\) \{\n.*?^\}\n", text, re.M | re.S)
    return m.group(0)


def sh_count(lines):
    with tempfile.NamedTemporaryFile("w", suffix=".tap", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(["sh", "-c", count_function() + '\ncount "$1"', "sh", f.name],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    return tuple(int(x) for x in out.split())


class CountTest(unittest.TestCase):
    def test_agrees_with_the_lab_parser(self):
        seen = 0
        for name in ("real-virt-6.1.log", "real-zynq-6.1.log", "virt-6.12-harness-fail.log",
                     "virt-6.1-harness-skip.log"):
            for s in tap.parse(testdata.read_log(name)):
                if not any(tap.RESULT.match(l) or tap.PLAN.match(l) for l in s.lines):
                    continue       # plain output: not TAP, run.sh does not count it
                # The exit status is run.sh's business, not count()'s.
                rc_problem = int(s.rc not in (0, None) and
                                 not any(r.status == "fail" for r in s.results) and
                                 not [p for p in s.problems if "exit status" not in p])
                want = (s.passed, s.failed - rc_problem, s.skipped)
                self.assertEqual(sh_count(s.lines), want, "%s: %s" % (name, s.name))
                seen += 1
        self.assertGreater(seen, 5)

    def test_nested_parent_not_ok_without_failing_child(self):
        doc = ["KTAP version 1", "1..1", "    1..2", "    ok 1 a", "    ok 2 b", "not ok 1 s"]
        self.assertEqual(sh_count(doc), (2, 1, 0))

    def test_missing_results(self):
        self.assertEqual(sh_count(["1..3", "ok 1 - a", "ok 2 - b"]), (2, 1, 0))

    def test_skip_plan(self):
        self.assertEqual(sh_count(["TAP version 13", "1..0 # SKIP no KUnit"]), (0, 0, 1))

    def test_skips(self):
        self.assertEqual(sh_count(["1..2", "ok 1 - a # SKIP why", "not ok 2 - b"]), (0, 1, 1))


def guest_log(summary, lines=("1..2", "ok 1 - load", "ok 2 - reload # SKIP permanent")):
    body = ["TAP version 13", "1..1", "# Subtest: x"] + ["    " + l for l in lines] + \
        ["ok 1 - x"]
    return "\n".join(["### lab: begin board-bundle"] + body + [summary,
                      "### lab: end board-bundle rc=0"]) + "\n"


class SummaryTest(unittest.TestCase):
    def row(self, text):
        r = check.Row("7.3", "zcu102 (board bundle)")
        check.bundle_summary(r, text)
        return r

    def test_agreeing_line_passes(self):
        r = self.row(guest_log("1 passed, 0 failed, 1 skipped"))
        self.assertEqual((r.passed, r.failed), (1, 0))

    def test_disagreeing_line_fails(self):
        r = self.row(guest_log("2 passed, 0 failed, 0 skipped"))
        self.assertEqual(r.failed, 1)
        self.assertIn("the lab counted 1 passed, 0 failed, 1 skipped", r.notes[0])

    def test_missing_line_fails(self):
        r = self.row(guest_log("# no summary"))
        self.assertEqual(r.failed, 1)

    def test_no_run_fails(self):
        r = self.row("### lab: booted\n")
        self.assertEqual(r.failed, 1)


class BodyTest(unittest.TestCase):
    def test_body_runs_the_tarball_and_loads_no_lab_module(self):
        t = mock_target(modules_root=None)
        body = scenario.board_bundle_body(t, "/x/board-bundle-7.3-arm64.tar.gz", ["rmem", "video"])
        self.assertIn("lab_suite board-bundle sh /etc/lab/board-bundle.sh "
                      "/lab/board-bundle-7.3-arm64.tar.gz rmem video", body)
        self.assertIn("lab_suite board-bundle-results sh /etc/lab/board-bundle.sh --results",
                      body)
        self.assertNotIn("insmod", body)

    def test_distribution_kernel_loads_its_importers(self):
        body = scenario.board_bundle_body(mock_target(modules_root="/m"), "/x/b.tar.gz", [])
        self.assertIn("modprobe vgem", body)
        self.assertNotIn("insmod", body)


def mock_target(modules_root):
    t = scenario.build.Target("7.3", "arm64", "/k", "/s", "/u", "7.3.4", {})
    t.modules_root = modules_root
    return t


if __name__ == "__main__":
    unittest.main()
