"""Unit tests of lab/check.py's runner: what a failed build leaves in the
table (no kernel is built and no guest boots here).

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import unittest
from unittest import mock

from lab import check, util


def fail_arm(kname, arch, debug=True):
    if arch == "arm":
        raise util.LabError("kernel %s/%s did not build (test)" % (kname, arch))
    raise util.LabError("no kernel here (test)")


class NotRunTest(unittest.TestCase):
    def run_matrix(self, kernels, machines):
        rows = []
        with mock.patch.object(check, "unit_tests"), \
                mock.patch.object(check, "host_checks"), \
                mock.patch.object(check.scenario, "target", side_effect=fail_arm), \
                mock.patch.object(check.util, "say"):
            check.run(rows, kernels, machines)
        return rows

    def test_failed_builds_list_every_guest(self):
        rows = self.run_matrix(["6.1", "debian"], ["virt", "zynq"])
        guests = {(r.kernel, r.machine): r for r in rows if not r.machine.startswith("build-")}
        # 6.1 on both machines, Debian's kernel on virt only, and the
        # judge's two self-test guests: every one a NOT RUN failure.
        self.assertEqual(set(guests), {("6.1", "virt"), ("6.1", "zynq"), ("debian", "virt"),
                                       ("6.1", "virt (judge-warn)"),
                                       ("6.1", "virt (judge-hang)")})
        for r in guests.values():
            self.assertEqual((r.verdict, r.failed, r.passed), ("NOT RUN", 1, 0), r.label())
            self.assertTrue(r.notes[0].startswith("not run: kernel "), r.notes)
        self.assertIn("6.1/arm: kernel 6.1/arm did not build",
                      guests[("6.1", "zynq")].notes[0])

    def test_build_rows_fail(self):
        rows = self.run_matrix(["6.1"], ["zynq"])
        builds = [r for r in rows if r.machine.startswith("build-")]
        self.assertEqual([(r.machine, r.verdict) for r in builds], [("build-arm", "FAIL")])
