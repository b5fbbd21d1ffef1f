"""Unit tests of lab/tap.py: the TAP/KTAP parser, over canned guest console logs.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v

The logs live in lab/test_data/ (see its README); each test reads one with
read_log() and looks at the suites tap.parse() finds in it.
"""

import unittest

from lab import tap, testdata

read_log = testdata.read_log
test_data_path = testdata.path


def parse_log(name, plain=()):
    return tap.parse(read_log(name), plain=plain)


def get_suite(suites, name):
    found = [s for s in suites if s.name == name]
    if len(found) != 1:
        raise AssertionError("want one suite %r, found %d in %r" % (name, len(found), suites))
    return found[0]


class KselftestHarnessTest(unittest.TestCase):
    """Suites printed by kselftest_harness.h (rmem_heap_test) and plain TAP scripts."""

    def test_clean_log_finds_every_suite(self):
        suites = parse_log("virt-7.3-clean.log")
        self.assertEqual([s.name for s in suites],
                         ["heaps", "rmem_heap_test", "dmabuf-heap", "kunit", "lifetime"])
        for s in suites:
            self.assertEqual(s.rc, 0, s)
            self.assertEqual(s.problems, [], s)
            self.assertEqual(s.failed, 0, s)

    def test_clean_harness_counts(self):
        s = get_suite(parse_log("virt-7.3-clean.log"), "rmem_heap_test")
        self.assertEqual((s.passed, s.failed, s.skipped), (4, 0, 0))
        self.assertEqual([r.name for r in s.results],
                         ["heap.nomap_cached.odd_sizes", "heap.nomap_cached.exhaustion",
                          "heap.nomap_cached.zero_after_dirty_free",
                          "heap.nomap_cached.mmap_ranges"])
        self.assertEqual([r.number for r in s.results], ["1", "2", "3", "4"])
        self.assertEqual(s.failures, [])
        # "#  RUN", "#            OK", "# BUG: none", "# Totals: ..." are comments.
        self.assertIn("# Totals: pass:4 fail:0 xfail:0 xpass:0 skip:0 error:0", s.lines)

    def test_script_tap_names_drop_the_dash(self):
        s = get_suite(parse_log("virt-7.3-clean.log"), "heaps")
        self.assertEqual(s.passed, 6)
        self.assertEqual(s.results[0].name, "heap rmem probed")
        self.assertEqual(s.results[-1].name, "heap coherent probed")

    def test_plan_of_50_with_3_results(self):
        s = get_suite(parse_log("virt-6.12-plan-short.log"), "rmem_heap_test")
        self.assertEqual(s.rc, 139)
        self.assertEqual(s.passed, 3)
        self.assertEqual(s.problems, ["missing 47 results (planned 50, got 3)"])
        # The missing results already fail the suite: the exit status adds nothing.
        self.assertEqual(s.failed, 1)

    def test_more_results_than_planned(self):
        s = get_suite(parse_log("virt-6.12-plan-over.log"), "lifetime")
        self.assertEqual(s.passed, 4)
        self.assertEqual(s.problems, ["1 results more than the plan of 3"])
        self.assertEqual(s.failed, 1)

    def test_not_ok_is_a_failure_with_its_name(self):
        s = get_suite(parse_log("virt-6.12-harness-fail.log"), "rmem_heap_test")
        self.assertEqual((s.passed, s.failed, s.skipped), (2, 1, 0))
        self.assertEqual(s.results[2].status, "fail")
        self.assertEqual(s.failures, ["not ok: heap.reusable_uncached.zero_after_dirty_free"])
        # rc=1 comes with a failing line: no second failure for it.
        self.assertEqual(s.problems, [])

    def test_nonzero_exit_without_failing_line(self):
        s = get_suite(parse_log("virt-6.12-rc-no-failing-line.log"), "heaps")
        self.assertEqual(s.passed, 2)
        self.assertEqual(s.problems, ["exit status 1 with no failing test line"])
        self.assertEqual(s.failed, 1)

    def test_crlf_console(self):
        # A serial console may end its lines with \r\n: same suites, same counts.
        text = read_log("virt-7.3-clean.log").replace("\n", "\r\n")
        suites = tap.parse(text)
        self.assertEqual([(s.name, s.rc, s.passed, s.failed, s.skipped) for s in suites],
                         [(s.name, s.rc, s.passed, s.failed, s.skipped)
                          for s in parse_log("virt-7.3-clean.log")])


class SkipTest(unittest.TestCase):

    def test_skip_directive_name_and_reason(self):
        s = get_suite(parse_log("virt-7.3-clean.log"), "lifetime")
        self.assertEqual((s.passed, s.failed, s.skipped), (2, 0, 1))
        r = s.results[2]
        self.assertEqual((r.name, r.status, r.number), ("reload", "skip", "3"))
        self.assertEqual(r.reason, "the module is permanent on this kernel")

    def test_harness_skip(self):
        s = get_suite(parse_log("virt-7.3-unexpected-skip.log"), "rmem_heap_test")
        self.assertEqual((s.passed, s.failed, s.skipped), (1, 0, 1))
        r = s.results[1]
        self.assertEqual((r.name, r.status), ("heap.coherent.vgem_import", "skip"))
        self.assertEqual(r.reason, "no vgem card under /dev/dri (CONFIG_DRM_VGEM)")

    def test_harness_skip_without_name(self):
        s = get_suite(parse_log("virt-6.1-harness-skip.log"), "rmem_heap_import")
        self.assertEqual((s.passed, s.failed, s.skipped), (1, 0, 1))
        r = s.results[1]
        self.assertEqual((r.name, r.status), ("dmaengine.rmem.copy", "skip"))
        self.assertEqual(r.reason, "no memcpy-capable DMA channel")

    def test_skipped_plan_is_one_skipped_suite(self):
        s = get_suite(parse_log("debian-virt-plain.log", plain=("dmabuf-heap",)), "kunit")
        self.assertEqual((s.passed, s.failed, s.skipped), (0, 0, 1))
        self.assertEqual(s.problems, [])
        self.assertEqual(s.results[0].name, "(whole suite)")
        self.assertEqual(s.results[0].reason, "KUnit is not built for kernel debian")


class KtapTest(unittest.TestCase):
    """KUnit's KTAP, read from debugfs: subtests indented, the parent after them."""

    def test_nested_all_passed(self):
        s = get_suite(parse_log("virt-7.3-clean.log"), "kunit")
        self.assertEqual((s.passed, s.failed, s.skipped), (9, 0, 0))
        self.assertEqual(s.problems, [])
        names = [r.name for r in s.results]
        self.assertEqual(names[0], "rha_test_exact_sizes")
        self.assertEqual(names[-1], "rha_test_random")
        # The parent line is not a result of its own.
        self.assertNotIn("rmem_heap_alloc", names)

    def test_nested_missing_subtest(self):
        s = get_suite(parse_log("zynq-6.1-kunit-missing.log"), "kunit")
        self.assertEqual(s.passed, 8)
        self.assertEqual(s.problems, ["missing 1 results (planned 9, got 8, indent 4)"])
        self.assertEqual(s.failed, 1)

    def test_parent_not_ok_with_passing_children(self):
        s = get_suite(parse_log("virt-6.12-kunit-parent-not-ok.log"), "kunit")
        self.assertEqual(s.passed, 9)
        self.assertEqual(s.problems, ["parent not ok with no failing subtest: rmem_heap_alloc"])
        self.assertEqual(s.failed, 1)

    def test_failing_subtest_fails_once(self):
        s = get_suite(parse_log("virt-6.12-kunit-child-fail.log"), "kunit")
        self.assertEqual((s.passed, s.failed, s.skipped), (8, 1, 0))
        self.assertEqual(s.failures, ["not ok: rha_test_split"])
        # Its parent's "not ok" is explained by the child: no extra problem;
        # the EXPECTATION FAILED lines are not results.
        self.assertEqual(s.problems, [])

    def test_tab_indented_subtests(self):
        text = ("### lab: begin kunit\nKTAP version 1\n1..1\n\t# Subtest: rmem_heap_alloc\n"
                "\t1..2\n\tok 1 rha_test_exact_sizes\n\tok 2 rha_test_alignment\n"
                "ok 1 rmem_heap_alloc\n### lab: end kunit rc=0\n")
        s = get_suite(tap.parse(text), "kunit")
        self.assertEqual([r.name for r in s.results],
                         ["rha_test_exact_sizes", "rha_test_alignment"])
        self.assertEqual(s.problems, [])


class PlainAndUnfinishedTest(unittest.TestCase):

    def test_plain_suite_passes_on_exit_status_0(self):
        s = get_suite(parse_log("debian-virt-plain.log", plain=("dmabuf-heap",)), "dmabuf-heap")
        self.assertEqual((s.passed, s.failed), (1, 0))
        self.assertEqual(s.results[0].name, "(plain output, exit status 0)")

    def test_plain_output_not_in_plain_has_no_results(self):
        s = get_suite(parse_log("debian-virt-plain.log"), "dmabuf-heap")
        self.assertEqual(s.results, [])
        self.assertEqual(s.problems, ["no results (exit status 0)"])
        self.assertEqual(s.failed, 1)

    def test_plain_suite_fails_on_nonzero_exit(self):
        s = get_suite(parse_log("zynq-6.1-plain-fail.log", plain=("dmabuf-heap",)), "dmabuf-heap")
        self.assertEqual((s.passed, s.failed), (0, 1))
        self.assertTrue(s.failures[0].startswith("not ok: (plain output, exit status 1, "))

    def test_no_results_and_nonzero_exit(self):
        s = get_suite(parse_log("zynq-6.1-plain-fail.log"), "dmabuf-heap")
        self.assertEqual(s.problems, ["no results (exit status 1)"])
        self.assertEqual(s.failed, 1)

    def test_crash_mid_suite_did_not_finish(self):
        suites = parse_log("zynq-6.1-oops.log")
        self.assertEqual(get_suite(suites, "heaps").failed, 0)
        s = get_suite(suites, "rmem_heap_test")
        self.assertIsNone(s.rc)
        self.assertEqual(s.passed, 1)
        self.assertEqual(s.problems[0], "missing 49 results (planned 50, got 1)")
        self.assertTrue(s.problems[1].startswith("did not finish: no end marker"), s.problems)
        self.assertEqual(s.failed, 2)
        # The oops lines the console printed inside the suite are no results.
        self.assertTrue(any("Internal error: Oops: 805 [#1] SMP ARM" in line for line in s.lines))

    def test_hung_suite_did_not_finish(self):
        s = get_suite(parse_log("virt-6.12-hung-task.log"), "rmem_heap_test")
        self.assertIsNone(s.rc)
        self.assertEqual(s.results, [])
        self.assertTrue(any(p.startswith("did not finish") for p in s.problems), s.problems)

    def test_end_marker_of_another_suite_does_not_close(self):
        text = ("### lab: begin heaps\nTAP version 13\n1..1\nok 1 - heap rmem probed\n"
                "### lab: end lifetime rc=0\n")
        s = get_suite(tap.parse(text), "heaps")
        self.assertIsNone(s.rc)
        self.assertEqual(s.passed, 1)
        self.assertEqual(len(s.problems), 1)
        self.assertTrue(s.problems[0].startswith("did not finish"))


if __name__ == "__main__":
    unittest.main()


class PlanPlacementTest(unittest.TestCase):
    """Plans at the end of their results, and kselftest's skip forms."""

    @staticmethod
    def suite(body, rc=0):
        text = "### lab: begin s\n%s\n### lab: end s rc=%d\n" % (body, rc)
        return tap.parse(text)[0]

    def test_plan_at_the_end(self):
        s = self.suite("TAP version 13\nok 1 x\nok 2 y\n1..2")
        self.assertEqual((s.passed, s.failed), (2, 0), s.problems)

    def test_plan_at_the_end_short(self):
        s = self.suite("TAP version 13\nok 1 x\n1..2")
        self.assertEqual(s.problems, ["missing 1 results (planned 2, got 1)"])

    def test_skipped_colon_plan(self):
        s = self.suite("TAP version 13\n1..0 # Skipped: no heap")
        self.assertEqual((s.passed, s.failed, s.skipped), (0, 0, 1))

    def test_skip_plan_with_kselftest_skip_status(self):
        s = self.suite("TAP version 13\n1..0 # SKIP no heap", rc=4)
        self.assertEqual((s.failed, s.skipped), (0, 1))

    def test_status_4_with_results_still_fails(self):
        s = self.suite("TAP version 13\n1..1\nok 1 x", rc=4)
        self.assertEqual(s.failed, 1)


class PlainOutputTest(unittest.TestCase):
    """6.1's dmabuf-heaps selftest prints "Testing ...: OK" or "FAIL (...)"."""

    def test_fail_line_fails_despite_exit_status_0(self):
        text = ("### lab: begin dmabuf-heap\nTesting heap: rmem\n"
                "  Testing allocation and importing:  FAIL (mmap() failed)\n"
                "### lab: end dmabuf-heap rc=0\n")
        s = tap.parse(text, plain=("dmabuf-heap",))[0]
        self.assertEqual((s.passed, s.failed), (0, 1))
        self.assertIn("FAIL (mmap() failed)", s.results[0].name)


class RealLogTest(unittest.TestCase):
    """Whole console logs of real lab boots: 6.1 on virt (arm64) and on
    zynq (32-bit arm), with kernel errors streamed among the results."""

    def test_real_suites(self):
        for name in ("real-virt-6.1.log", "real-zynq-6.1.log"):
            suites = parse_log(name, plain=("dmabuf-heap",))
            got = [(s.name, s.passed, s.failed, s.skipped) for s in suites]
            self.assertEqual(got, [("heaps", 6, 0, 0), ("rmem_heap_test", 50, 0, 0),
                                   ("dmabuf-heap", 1, 0, 0), ("kunit", 9, 0, 0),
                                   ("lifetime", 3, 0, 0)], name)

    def test_real_log_without_plain_fallback_fails_dmabuf_heap(self):
        suites = parse_log("real-zynq-6.1.log")
        self.assertEqual(get_suite(suites, "dmabuf-heap").problems, ["no results (exit status 0)"])
