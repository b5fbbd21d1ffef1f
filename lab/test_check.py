"""Unit tests of lab/check.py's runner: what a failed build leaves in the
table, and the host row's man page check (no kernel is built and no guest
boots here).

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import tempfile
import unittest
from unittest import mock

from lab import build, check, util


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


class ParallelGuestTest(unittest.TestCase):
    def test_newest_and_6_12_on_virt_only(self):
        pg = check.parallel_guest
        self.assertTrue(pg("7.3", "virt", "7.3"))
        self.assertTrue(pg(check.scenario.INTREE_BASE, "virt", "7.3"))
        for k, m in (("7.3", "zcu102"), ("6.1", "virt"), ("intree", "virt"),
                     ("debian", "virt"), ("7.3", "zynq"), ("7.3", "virt-high")):
            self.assertFalse(pg(k, m, "7.3"), (k, m))

    def test_the_matrix_gives_each_boot_its_mode(self):
        seen = {}

        def boot_job(k, m, logdir, skips, bounce=False, broken=False, single=True):
            if not bounce and not broken:
                seen[(k, m)] = single
            return check.Row(k, m), None

        target = mock.Mock(return_value=(mock.Mock(builtin=False), None))
        with mock.patch.object(check, "unit_tests"), \
                mock.patch.object(check, "host_checks"), \
                mock.patch.object(check, "build_row", return_value=True), \
                mock.patch.object(check.scenario, "target", target), \
                mock.patch.object(check.scenario, "built"), \
                mock.patch.object(check, "boot_job", side_effect=boot_job), \
                mock.patch.object(check, "board_bundle_job",
                                  return_value=(check.Row("7.3", "b"), None)), \
                mock.patch.object(check, "judge_jobs", return_value=[]), \
                mock.patch.object(check.util, "say"):
            check.run([], ["6.1", "6.12", "7.3"], ["virt", "zcu102"])
        self.assertEqual({km for km, single in seen.items() if not single},
                         {("6.12", "virt"), ("7.3", "virt")})
        self.assertEqual(len(seen), 6)


class ManpageTest(unittest.TestCase):
    """The host row's man page check: groff -ww must print nothing."""

    def warnings(self, text):
        with tempfile.TemporaryDirectory() as d:
            page = os.path.join(d, "x.8")
            with open(page, "w") as f:
                f.write(text)
            return build.manpage_warnings(page, os.path.join(d, "log"))

    def test_the_tool_s_page_is_clean(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(build.manpage_warnings(build.MANPAGE, os.path.join(d, "log")), [])

    def test_a_page_with_mistakes_is_not(self):
        self.assertEqual(self.warnings(".TH X 8\n.SH NAME\nx \\- y\n"), [])
        bad = self.warnings(".TH X 8\n.SH NAME\nx \\- y\n.BOGUS z\n\\*[nostring]\n")
        self.assertEqual(len(bad), 2, bad)
        self.assertTrue(all("warning" in l for l in bad), bad)

    def test_no_groff_is_a_problem_not_a_pass(self):
        with mock.patch.object(build.subprocess, "run", side_effect=FileNotFoundError("groff")):
            w = build.manpage_warnings(build.MANPAGE, "/nonexistent/log")
        self.assertEqual(len(w), 1)
        self.assertIn("groff-base", w[0])

    def test_the_host_row_fails_on_a_warning(self):
        with tempfile.TemporaryDirectory() as out, \
                mock.patch.object(check.util, "OUT", out), \
                mock.patch.object(check.util, "say"), \
                mock.patch.object(check.build, "checkpatch", return_value=[]), \
                mock.patch.object(check.subprocess, "run", return_value=mock.Mock(returncode=0)), \
                mock.patch.object(check.dkms, "check", return_value=[]), \
                mock.patch.object(check.build, "manpage_warnings",
                                  return_value=["troff: x.8:3: warning: macro 'BOGUS' not defined"]):
            rows = []
            check.host_checks(rows, "/nonexistent/src")
        self.assertEqual(rows[0].verdict, "FAIL")
        self.assertTrue(any(n.startswith("rmem-heapctl.8: 1 groff problems") for n in rows[0].notes),
                        rows[0].notes)


class JobOrderTest(unittest.TestCase):
    def test_longest_first(self):
        rows = [check.Row("7.3", "virt (judge-warn)"), check.Row("6.1", "virt"),
                check.Row("6.1", "virt (swiotlb=16384,force)"), check.Row("6.1", "virt-high"),
                check.Row("debian", "virt"), check.Row("6.12", "zynq"),
                check.Row("6.1", "zcu102 (broken-bindings)"),
                check.Row("7.3", "zcu102 (board bundle)")]
        order = sorted(rows, key=check.job_weight)
        self.assertEqual([(r.kernel, r.machine) for r in order[:3]],
                         [("7.3", "zcu102 (board bundle)"), ("6.1", "virt"), ("6.12", "zynq")])
        self.assertEqual({r.machine for r in order[3:]},
                         {"virt (judge-warn)", "virt (swiotlb=16384,force)", "virt-high",
                          "virt", "zcu102 (broken-bindings)"})
