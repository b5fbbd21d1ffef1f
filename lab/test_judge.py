"""Unit tests of lab/judge.py (console and QEMU stderr verdicts, expected
skips) and of the parts of lab/check.py that judge a log: score() and
judge_case().

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v

The logs live in lab/test_data/ (see its README): console logs of arm64
(QEMU virt, ZynqMP ZCU102) and 32-bit arm (Zynq-7000) guests.
"""

import os
import tempfile
import unittest

from lab import check, judge, testdata, util

read_log = testdata.read_log
test_data_path = testdata.path


def judge_log(name, **kw):
    return judge.judge(read_log(name), **kw)


def kinds(v):
    return [k for k, _line in v.reports]


class ClassifyTest(unittest.TestCase):
    """One console line at a time."""

    def test_dma_api_startup_lines_are_benign(self):
        for line in ("[    0.118903] DMA-API: preallocated 65536 debug entries",
                     "[    0.119011] DMA-API: debugging enabled by kernel config"):
            self.assertIsNone(judge.classify(line), line)

    def test_dma_api_report_line(self):
        self.assertEqual(judge.classify(
            "[   22.607580] DMA-API: vgem vgem: device driver tries to free DMA memory it has "
            "not allocated [device address=0x0000000061200000] [size=4096 bytes]"), "DMA-API")

    def test_tap_comments_and_lab_markers_are_allowed(self):
        self.assertIsNone(judge.classify("# BUG: none"))
        self.assertIsNone(judge.classify("        # rha_test_split: EXPECTATION FAILED at x.c:1"))
        self.assertIsNone(judge.classify(judge.HANG_MARK))
        self.assertIsNone(judge.classify("### lab: insmod rmem_heap failed"))
        # The same words from the kernel are a report.
        self.assertEqual(judge.classify("[   12.000000] BUG: none"), "BUG")

    def test_most_specific_kind_first(self):
        self.assertEqual(judge.classify("[   21.118990] WARNING: bad unlock balance detected!"),
                         "lockdep")
        self.assertEqual(judge.classify(
            "[    9.100000] BUG: sleeping function called from invalid context at "
            "kernel/locking/mutex.c:585"), "sleep-in-atomic")

    def test_boot_banners_are_not_reports(self):
        for line in ("[    0.000000] kasan: KernelAddressSanitizer initialized (generic)",
                     "[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8",
                     "[    0.031245] kmemleak: Kernel memory leak detector initialized "
                     "(mem pool available: 14870)",
                     "[    0.204612] CPU features: detected: 32-bit EL0 Support",
                     "[    0.000000] Kernel command line: console=ttyAMA0 rdinit=/init "
                     "no_hash_pointers panic=-1 workqueue.watchdog_thresh=30"):
            self.assertIsNone(judge.classify(line), line)


class JudgeLogTest(unittest.TestCase):
    """Whole console logs: one report fails a boot whatever the tests said."""

    def assertReport(self, v, kind, text):
        self.assertFalse(v.ok)
        self.assertIn(kind, kinds(v))
        line = [l for k, l in v.reports if k == kind][0]
        self.assertIn(text, line)

    def test_clean_boot(self):
        text = read_log("virt-7.3-clean.log")
        self.assertIn("\n# BUG: none\n", text)      # a test's TAP comment, allowed
        v = judge.judge(text)
        self.assertEqual(v.reports, [])
        self.assertTrue(v.completed)
        self.assertTrue(v.ok)
        self.assertEqual(v.reason(), "ok")

    def test_arm64_warn(self):
        v = judge_log("zcu102-6.12-warn.log")
        self.assertTrue(v.completed)
        self.assertEqual(kinds(v)[0], "WARN")
        self.assertEqual(v.reason(), "WARN report")
        # The splat's WARNING: line names it, not its "cut here" header.
        self.assertIn("at /work/main/driver/rmem_heap_buffer.c:645 rmem_heap_reusable_put",
                      v.reports[0][1])

    def test_arm32_oops(self):
        v = judge_log("zynq-6.1-oops.log")
        self.assertFalse(v.ok)
        self.assertFalse(v.completed)
        self.assertEqual(v.reports[0],
                         ("oops", "[   27.413101] Unable to handle kernel NULL pointer "
                          "dereference at virtual address 00000010 when write"))
        self.assertIn(("oops", "[   27.414012] Internal error: Oops: 805 [#1] SMP ARM"),
                      v.reports)
        self.assertIn("panic", kinds(v))
        self.assertEqual(v.reason(), "oops report")
        self.assertEqual(judge_log("zynq-6.1-oops.log", timed_out=True).reason(), "oops report")

    def test_kasan(self):
        v = judge_log("virt-6.12-kasan.log")
        self.assertEqual(v.reports[0][0], "KASAN")
        self.assertIn("BUG: KASAN: slab-out-of-bounds in rmem_heap_build_sgt", v.reports[0][1])
        self.assertEqual(v.reason(), "KASAN report")

    def test_lockdep_bad_unlock_balance(self):
        v = judge_log("virt-6.12-lockdep-unlock.log")
        self.assertEqual(v.reports[0], ("lockdep", "[   21.118990] WARNING: bad unlock balance "
                                        "detected!"))
        self.assertEqual(v.reason(), "lockdep report")

    def test_lockdep_circular_dependency(self):
        v = judge_log("virt-7.3-lockdep-circular.log")
        self.assertEqual(v.reports[0][0], "lockdep")
        self.assertIn("possible circular locking dependency detected", v.reports[0][1])

    def test_lockdep_irq_lock_inversion(self):
        v = judge_log("virt-6.12-lockdep-irq-inversion.log")
        self.assertEqual(v.reports[0][0], "lockdep")
        self.assertIn("possible irq lock inversion dependency detected", v.reports[0][1])

    def test_lockdep_held_lock_freed(self):
        v = judge_log("zcu102-6.12-lockdep-held-freed.log")
        self.assertEqual(v.reports[0], ("lockdep", "[   30.742688] WARNING: held lock freed!"))

    def test_hung_task(self):
        v = judge_log("virt-6.12-hung-task.log", timed_out=True)
        self.assertEqual(v.reports[0], ("hung task", "[  123.047712] INFO: task rmem_heap_test:123 "
                                        "blocked for more than 60 seconds."))
        # The report explains the time-out.
        self.assertEqual(v.reason(), "hung task report")

    def test_soft_lockup(self):
        v = judge_log("zynq-6.12-soft-lockup.log", timed_out=True)
        self.assertEqual(v.reports[0], ("soft lockup", "[   68.120517] watchdog: BUG: soft lockup"
                                        " - CPU#1 stuck for 22s! [kworker/1:1:45]"))

    def test_rcu_stall(self):
        v = judge_log("virt-7.3-rcu-stall.log", timed_out=True)
        self.assertEqual(v.reports[0], ("stall", "[   82.330102] rcu: INFO: rcu_preempt detected "
                                        "stalls on CPUs/tasks:"))
        self.assertEqual(v.reason(), "stall report")

    def test_page_allocation_failure(self):
        v = judge_log("virt-6.12-page-alloc-failure.log")
        self.assertEqual(v.reports[0][0], "page allocation failure")
        self.assertIn("page allocation failure: order:10", v.reports[0][1])
        self.assertTrue(v.completed)

    def test_dma_api_report(self):
        v = judge_log("virt-7.3-dma-api.log")
        self.assertReport(v, "DMA-API", "DMA-API: vgem vgem: device driver tries to free DMA "
                          "memory it has not allocated")
        # The splat's DMA-API line, not its "cut here" header, names it.
        self.assertEqual(v.reason(), "DMA-API report")
        # The two start-up lines in the same log are not reported.
        self.assertFalse(any("preallocated" in l or "debugging enabled" in l
                             for _k, l in v.reports))

    def test_kmemleak(self):
        v = judge_log("virt-6.12-kmemleak.log")
        self.assertEqual(v.reports, [
            ("kmemleak", "unreferenced object 0xffff0000c3a4b000 (size 256):"),
            ("kmemleak", "[   46.119870] kmemleak: 2 new suspected memory leaks "
             "(see /sys/kernel/debug/kmemleak)")])
        self.assertEqual(v.reason(), "kmemleak report")

    def test_kmemleak_that_stops_is_a_report_a_smaller_scan_area_is_not(self):
        clean = read_log("virt-7.3-clean.log")
        scan = "[  392.146700] kmemleak: Cannot allocate a scan area, scanning the full object\n"
        v = judge.judge(scan + clean)
        self.assertEqual(v.reports, [])
        self.assertTrue(v.ok)
        off = "[  392.146700] kmemleak: Cannot allocate a kmemleak_object structure\n"
        v = judge.judge(off + clean)
        self.assertEqual(kinds(v), ["kmemleak"])
        self.assertFalse(v.ok)

    def test_panic_without_done(self):
        for timed_out in (False, True):
            v = judge_log("virt-6.1-panic-init.log", timed_out=timed_out)
            self.assertFalse(v.ok)
            self.assertFalse(v.completed)
            self.assertEqual(v.reports[0][0], "panic")
            self.assertIn("Kernel panic - not syncing: Attempted to kill init!", v.reports[0][1])
            # A panic report outranks both the time-out and the missing end.
            self.assertEqual(v.reason(), "panic report")

    def test_incomplete(self):
        v = judge_log("virt-6.12-incomplete.log")
        self.assertEqual(v.reports, [])
        self.assertFalse(v.completed)
        self.assertFalse(v.ok)
        self.assertEqual(v.reason(), "incomplete (no '### lab: done')")

    def test_timeout_without_report(self):
        v = judge_log("virt-6.12-incomplete.log", timed_out=True)
        self.assertEqual(v.reports, [])
        self.assertFalse(v.ok)
        self.assertEqual(v.reason(), "timeout")

    def test_exit_error(self):
        v = judge_log("virt-7.3-clean.log", exit_error="qemu exited with status 1")
        self.assertFalse(v.ok)
        self.assertEqual(v.reason(), "qemu exited with status 1")

    def test_qemu_decode_errors_are_allowed(self):
        v = judge_log("virt-7.3-clean.log", qemu_err=read_log("zcu102-6.12.qemu"))
        self.assertEqual(v.reports, [])
        self.assertTrue(v.ok)

    def test_other_qemu_stderr_is_a_report(self):
        v = judge_log("virt-7.3-clean.log", qemu_err=read_log("zcu102-other-error.qemu"))
        self.assertEqual(v.reports, [("QEMU", "qemu-system-aarch64: warning: 2 MiB of guest RAM "
                                      "could not be mapped: Cannot allocate memory")])
        self.assertEqual(v.reason(), "QEMU report")


class ExpectedSkipsTest(unittest.TestCase):

    def setUp(self):
        self.rows = judge.load_skips()

    def test_load_real_table(self):
        self.assertEqual(judge.EXPECTED_SKIPS,
                         os.path.join(util.TOP, "lab", "expected-skips.conf"))
        self.assertGreaterEqual(len(self.rows), 3)
        for row in self.rows:
            self.assertEqual(len(row), 5)
            self.assertTrue(hasattr(row[3], "search"))
            self.assertTrue(row[4])
        self.assertIn(("7.*", "*", "lifetime", "^reload$"),
                      [(k, m, s, rx.pattern) for k, m, s, rx, _why in self.rows])

    def test_load_small_table(self):
        rows = judge.load_skips(test_data_path("expected-skips-small.conf"))
        self.assertEqual([(k, m, s, rx.pattern) for k, m, s, rx, _why in rows],
                         [("6.12", "zynq", "rmem_heap_test", r"\.vgem_import$"),
                          ("*", "*", "dmabuf-heap", ".")])
        # The reason keeps its spaces.
        self.assertEqual(rows[0][4], "QEMU's Zynq-7000 model has no GPU and the kernel no vgem")

    def test_load_temp_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# comment\n\n6.1 virt lifetime ^reload$ the reason\n")
            f.flush()
            rows = judge.load_skips(f.name)
        self.assertEqual(len(rows), 1)
        self.assertEqual(judge.expected_skip(rows, "6.1", "virt", "lifetime", "reload"),
                         "the reason")

    def test_row_without_reason_is_an_error(self):
        path = test_data_path("expected-skips-bad.conf")
        with self.assertRaises(util.LabError) as cm:
            judge.load_skips(path)
        self.assertIn("%s:2:" % path, str(cm.exception))

    def test_lifetime_reload_expected_on_7_3(self):
        why = judge.expected_skip(self.rows, "7.3", "virt", "lifetime", "reload")
        self.assertIsNotNone(why)
        self.assertIn("cannot be removed", why)
        # The table anchors this one's regex: another name does not match.
        self.assertIsNone(judge.expected_skip(self.rows, "7.3", "virt", "lifetime",
                                              "reload twice"))

    def test_lifetime_reload_not_expected_on_6_1(self):
        self.assertIsNone(judge.expected_skip(self.rows, "6.1", "virt", "lifetime", "reload"))

    def test_machine_pattern(self):
        rows = judge.load_skips(test_data_path("expected-skips-small.conf"))
        self.assertIsNotNone(judge.expected_skip(rows, "6.12", "zynq", "rmem_heap_test",
                                                 "heap.coherent.vgem_import"))
        self.assertIsNone(judge.expected_skip(rows, "6.12", "virt", "rmem_heap_test",
                                              "heap.coherent.vgem_import"))

    def test_debian_kunit_whole_suite(self):
        self.assertIsNotNone(judge.expected_skip(self.rows, "debian", "virt", "kunit",
                                                 "(whole suite)"))


class ScoreTest(unittest.TestCase):
    """check.score(): results into a Row, skips judged against the table."""

    def setUp(self):
        self.skips = judge.load_skips()

    def score(self, name, kname, mname="virt"):
        row = check.Row(kname, mname)
        check.score(row, read_log(name), kname, mname, self.skips)
        return row

    def test_one_expected_one_unexpected_skip(self):
        row = self.score("virt-7.3-unexpected-skip.log", "7.3")
        self.assertEqual((row.passed, row.failed, row.skipped), (3, 1, 1))
        self.assertEqual(row.notes, ["rmem_heap_test: unexpected skip: heap.coherent.vgem_import "
                                     "(no vgem card under /dev/dri (CONFIG_DRM_VGEM))"])

    def test_reload_skip_unexpected_on_6_1(self):
        row = self.score("virt-7.3-unexpected-skip.log", "6.1")
        self.assertEqual((row.passed, row.failed, row.skipped), (3, 2, 0))
        self.assertIn("lifetime: unexpected skip: reload (the module is permanent on this "
                      "kernel)", row.notes)

    def test_clean_log(self):
        row = self.score("virt-7.3-clean.log", "7.3")
        self.assertEqual((row.passed, row.failed, row.skipped), (24, 0, 1))
        self.assertEqual(row.notes, [])
        self.assertEqual(len(row.checks), 25)
        self.assertEqual(row.kernel_share, 3)        # the 3 dmabuf-heap results

    def test_debian_plain_and_skipped_suite(self):
        row = self.score("debian-virt-plain.log", "debian")
        self.assertEqual((row.passed, row.failed, row.skipped), (1, 0, 1))
        self.assertEqual(row.kernel_share, 1)

    def test_problems_are_failures(self):
        row = self.score("virt-6.12-plan-short.log", "6.12")
        self.assertEqual((row.passed, row.failed), (3, 1))
        self.assertEqual(row.notes, ["rmem_heap_test: missing 47 results (planned 50, got 3)"])


class JudgeCaseTest(unittest.TestCase):
    """check.judge_case(): the judge's self-test guests fail for the right reason."""

    def case(self, name):
        return [c for c in check.JUDGE_CASES if c[0] == name][0]

    def judge_case(self, case, log, timed_out=False):
        _name, _body, _limit, want, evidence = self.case(case)
        text = read_log(log)
        v = judge.judge(text, timed_out)
        return check.judge_case(check.Row("7.3", "virt (%s)" % case), v, text, want, evidence)

    def test_warn_from_judge_warn(self):
        self.assertIsNone(self.judge_case("judge-warn", "virt-7.3-judge-warn.log"))

    def test_first_warn_from_elsewhere(self):
        got = self.judge_case("judge-warn", "virt-7.3-judge-warn-other-first.log")
        self.assertIsNotNone(got)
        self.assertTrue(got.startswith("the first WARN is not the test module's"), got)

    # Another WARN shortly before judge_warn's (a sysfs duplicate-name WARN
    # 1.1 KB before it) must not be taken for the test module's.
    def test_first_warn_from_elsewhere_shortly_before(self):
        got = self.judge_case("judge-warn", "virt-7.3-judge-warn-other-near.log")
        self.assertIsNotNone(got)

    def test_no_warn_at_all(self):
        self.assertEqual(self.judge_case("judge-warn", "virt-7.3-clean.log"),
                         "the judge said 'ok', expected 'WARN report'")

    def test_other_report_first(self):
        self.assertEqual(self.judge_case("judge-warn", "virt-6.12-kasan.log"),
                         "the judge said 'KASAN report', expected 'WARN report'")

    def test_hang_with_marker(self):
        self.assertIsNone(self.judge_case("judge-hang", "virt-7.3-judge-hang.log",
                                          timed_out=True))

    def test_hang_without_marker(self):
        self.assertEqual(self.judge_case("judge-hang", "virt-7.3-judge-hang-nomarker.log",
                                         timed_out=True),
                         "timed out without its 'hanging on purpose' marker")

    def test_hang_that_did_not_time_out(self):
        got = self.judge_case("judge-hang", "virt-7.3-judge-hang.log", timed_out=False)
        self.assertEqual(got, "the judge said \"incomplete (no '### lab: done')\", "
                              "expected 'timeout'")

    def test_panic_is_not_a_hang(self):
        for log, reason in (("virt-7.3-judge-hang-panic.log", "oops report"),
                            ("virt-6.1-panic-init.log", "panic report")):
            for timed_out in (False, True):
                got = self.judge_case("judge-hang", log, timed_out=timed_out)
                self.assertEqual(got, "the judge said %r, expected 'timeout'" % reason)


if __name__ == "__main__":
    unittest.main()


class QemuAudioTest(unittest.TestCase):
    """The ZCU102 model's audio notice is allowed; a sound back end's errors
    (what QEMU prints without the machine file's 'none' audiodev) are not."""

    def test_audiodev_none_notice_allowed(self):
        err = ("audio: Device xlnx_dp.audio: audiodev default parameter is deprecated, "
               "please specify audiodev=snd0\n")
        v = judge.judge("### lab: done\n", qemu_err=err)
        self.assertTrue(v.ok, v.reports)

    def test_real_audio_probe_noise_reported(self):
        v = judge.judge("### lab: done\n", qemu_err=read_log("real-zcu102-6.1.qemu"))
        self.assertFalse(v.ok)
        self.assertEqual({k for k, _ in v.reports}, {"QEMU"})
        self.assertIn("qemu: module audio-audio-pa not found, do you want to install "
                      "qemu-system-gui package?", [l for _, l in v.reports])


class RealLogTest(unittest.TestCase):
    """Whole console logs of real lab boots (6.1 on virt, arm64, and on
    zynq, 32-bit arm), and the judge's two self-test guests as they ran."""

    def test_real_boots_are_clean(self):
        for name in ("real-virt-6.1.log", "real-zynq-6.1.log"):
            v = judge.judge(read_log(name))
            self.assertTrue(v.ok, (name, v.reason(), v.reports[:3]))

    def test_real_judge_warn_caught_for_its_reason(self):
        text = read_log("real-virt-6.1-judge-warn.log")
        v = judge.judge(text)
        self.assertEqual(v.reason(), "WARN report")
        _n, _b, _l, want, evidence = [c for c in check.JUDGE_CASES if c[0] == "judge-warn"][0]
        self.assertIsNone(check.judge_case(check.Row("6.1", "virt"), v, text, want, evidence))

    def test_real_judge_hang_caught_for_its_reason(self):
        text = read_log("real-virt-6.1-judge-hang.log")
        v = judge.judge(text, timed_out=True)
        self.assertEqual(v.reason(), "timeout")
        _n, _b, _l, want, evidence = [c for c in check.JUDGE_CASES if c[0] == "judge-hang"][0]
        self.assertIsNone(check.judge_case(check.Row("6.1", "virt"), v, text, want, evidence))
