"""Unit tests of what the lab builds and runs for the test importer
(selftests/importer, selftests/rmem_heap_import.c): lab/scenario.py's
built() and test_body(), and lab/check.py's build row and checkpatch list.
Nothing is built and no guest boots here.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import tempfile
import unittest
from unittest import mock

from lab import build, check, scenario, util


def target(name="7.3", builtin=False):
    t = build.Target(name, "arm64", "/nonexistent/kdir", "/nonexistent/src",
                     "/nonexistent/uapi", "7.3.0-rmemlab", {}, builtin=builtin)
    t.modules_root = None       # a lab kernel (scenario.target() sets it)
    return t


def debian():
    """Debian's kernel: vgem and vivid are modules under modules_root."""
    t = target("debian")
    t.modules_root = "/nonexistent/lib/modules/6.1.0-0-arm64"
    return t


class FakeKmod:
    """build.kmod() as the lab calls it: records the calls, builds nothing."""

    def __init__(self, warnings=None, fail=()):
        self.calls = []
        self.warnings = warnings or {}
        self.fail = fail

    def __call__(self, t, srcdir, out, what, extra=(), strict=False):
        name = os.path.basename(srcdir)
        self.calls.append((name, strict))
        if name in self.fail:
            raise util.LabError("%s did not build (test)" % name)
        ko = {"driver": "rmem_heap", "judge-kmod": "judge_warn",
              "importer": "rmem_heap_importer"}[name]
        return ({ko: "/nonexistent/%s.ko" % ko}, list(self.warnings.get(name, [])),
                "/nonexistent/%s.log" % name)


class BuiltTest(unittest.TestCase):
    def built(self, t, kmod):
        scenario._built.clear()
        with mock.patch.object(scenario.build, "kmod", kmod), \
                mock.patch.object(scenario.build, "tests", return_value={}):
            try:
                return scenario.built(t)
            finally:
                scenario._built.clear()

    def test_importer_built_strict_for_every_target(self):
        for t in (target(), target("intree", builtin=True)):
            kmod = FakeKmod()
            res = self.built(t, kmod)
            self.assertIn(("importer", True), kmod.calls, t.name)
            self.assertIn(scenario.IMPORTER_KO, res["kos"])
            self.assertIn("/nonexistent/importer.log", res["logs"])
            self.assertEqual(res["errors"], [])

    def test_importer_warnings_and_errors_count(self):
        res = self.built(target("intree", builtin=True),
                         FakeKmod(warnings={"importer": ["x.c:1: warning: y"]}))
        self.assertEqual(res["warnings"], ["x.c:1: warning: y"])
        res = self.built(target(), FakeKmod(fail=("importer",)))
        self.assertEqual(res["errors"], ["importer did not build (test)"])
        self.assertNotIn(scenario.IMPORTER_KO, res["kos"])


class TestBodyTest(unittest.TestCase):
    def test_importer_loaded_before_the_suites_and_its_suite_runs(self):
        res = {"kos": {"rmem_heap": "x", "rmem_heap_kunit": "y",
                       scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True)):
            lines = scenario.test_body(t, res, ["rmem", "coherent"]).splitlines()
            insmod = [i for i, l in enumerate(lines)
                      if l.startswith("insmod /lab/rmem_heap_importer.ko ")]
            suites = [i for i, l in enumerate(lines) if l.startswith("lab_suite ")]
            self.assertEqual(len(insmod), 1, lines)
            self.assertLess(insmod[0], suites[0], lines)
            self.assertIn("### lab: insmod rmem_heap_importer failed", lines[insmod[0]])
            names = [lines[i].split()[1] for i in suites]
            self.assertIn("rmem_heap_import", names)
            self.assertIn("lab_suite rmem_heap_import ./rmem_heap_import", lines)
            # after our main suite (whose pools must be idle at its start)
            self.assertLess(names.index("rmem_heap_test"), names.index("rmem_heap_import"))


class HeapctlTest(unittest.TestCase):
    """rmem-heapctl's two suites run in every full guest that has our
    module, after the suites that hold buffers and before the unload."""

    def test_both_suites_after_the_others_and_before_lifetime(self):
        res = {"kos": {"rmem_heap": "x", "rmem_heap_kunit": "y", scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True), debian()):
            lines = scenario.test_body(t, res, ["rmem"]).splitlines()
            names = [l.split()[1] for l in lines if l.startswith("lab_suite ")]
            self.assertIn("lab_suite heapctl sh /etc/lab/heapctl.sh", lines, t.name)
            self.assertIn("lab_suite rmem_heapctl_test ./rmem_heapctl_test", lines, t.name)
            for other in ("rmem_heap_test", "rmem_heap_import", "v4l2", "dmabuf-heap"):
                self.assertLess(names.index(other), names.index("heapctl"), t.name)
            if "lifetime" in names:
                self.assertLess(names.index("rmem_heapctl_test"), names.index("lifetime"))

    def test_not_in_the_short_bodies(self):
        res = {"kos": {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}}
        for body in (scenario.bounce_body(target(), res),
                     scenario.highmem_body(target(), res, ["high"])):
            self.assertNotIn("heapctl", body)

    def test_the_guest_script_is_there(self):
        self.assertTrue(os.path.isfile(os.path.join(util.TOP, "lab", "guest", "heapctl.sh")))

    def test_the_tool_is_built_next_to_the_tests(self):
        calls = []
        with tempfile.TemporaryDirectory() as out, \
                mock.patch.object(build.fetch, "libdrm", return_value=(["/i"], "/l")), \
                mock.patch.object(build.os, "listdir", return_value=[]), \
                mock.patch.object(build.util, "say"), \
                mock.patch.object(build.util, "run_logged",
                                  side_effect=lambda cmd, *a, **k: calls.append(cmd)):
            for arch, cross in (("arm64", "aarch64-linux-gnu-"), ("arm", "arm-linux-gnueabihf-")):
                calls.clear()
                t = target()
                t.arch = arch
                build.tests(t, out)
                tool = [c for c in calls if build.HEAPCTL in c]
                self.assertEqual(len(tool), 1, calls)
                self.assertIn("CROSS_COMPILE=" + cross, tool[0])
                self.assertIn("UAPI=" + t.uapi, tool[0])
                self.assertIn("O=" + os.path.join(out, "selftests"), tool[0])


class FuzzTest(unittest.TestCase):
    """The fuzz suite runs in every full guest, with the module still loaded
    (before lifetime unloads it), its count given; its script runs the
    fuzzer the selftests Makefile builds."""

    def test_fuzz_suite_in_every_full_body(self):
        res = {"kos": {"rmem_heap": "x", "rmem_heap_kunit": "y",
                       scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True)):
            lines = scenario.test_body(t, res, ["rmem"]).splitlines()
            line = "lab_suite fuzz sh /etc/lab/fuzz.sh %d %d" % (
                scenario.FUZZ_OPS, scenario.FUZZ_THREADS)
            self.assertIn(line, lines, t.name)
            names = [l.split()[1] for l in lines if l.startswith("lab_suite ")]
            if "lifetime" in names:
                self.assertLess(names.index("fuzz"), names.index("lifetime"))
        # the reliability issue's floor, from more than one thread
        self.assertGreaterEqual(scenario.FUZZ_OPS, 200000)
        self.assertGreater(scenario.FUZZ_THREADS, 1)

    def test_script_and_build(self):
        with open(os.path.join(util.TOP, "lab", "guest", "fuzz.sh")) as f:
            script = f.read()
        self.assertIn("/lab/rmem_heap_fuzz", script)
        self.assertIn("--ops", script)
        with open(os.path.join(util.TOP, "selftests", "Makefile")) as f:
            mk = f.read()
        self.assertRegex(mk, r"BINS :=[^\n]*(\\\n[^\n]*)*\$\(O\)/rmem_heap_fuzz")


class LifetimeLoopsTest(unittest.TestCase):
    """100 load/unload cycles where loads are cheap (no KASAN); the
    machine's count on KASAN kernels."""

    def test_loops_follow_kasan(self):
        res = {"kos": {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}}
        kasan = target("6.1")
        kasan.config = {"CONFIG_KASAN": "y"}
        for t, want in ((kasan, 10), (debian(), 100)):
            lines = scenario.test_body(t, res, ["rmem"], lifetime_loops=10).splitlines()
            self.assertIn("lab_suite lifetime env RMEM_LIFETIME_LOOPS=%d sh "
                          "/etc/lab/lifetime.sh" % want, lines, t.name)


class CtlTest(unittest.TestCase):
    """The control device's suite runs in every full guest; its 32-bit build
    only where one was built (an arm64 kernel with CONFIG_COMPAT)."""

    def test_native_everywhere_compat_where_built(self):
        kos = {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}
        for t in (target(), target("intree", builtin=True), debian()):
            for tests, want32 in (({}, False), ({"rmem_heap_ctl32": "/x"}, True)):
                res = {"kos": kos, "tests": tests}
                lines = scenario.test_body(t, res, ["rmem"]).splitlines()
                self.assertIn("lab_suite rmem_heap_ctl ./rmem_heap_ctl", lines)
                self.assertEqual("lab_suite rmem_heap_ctl32 ./rmem_heap_ctl32" in lines,
                                 want32, t.name)


class V4l2Test(unittest.TestCase):
    """rmem_heap_v4l2 runs in every guest, after the import suite, and
    vivid gets its parameters (dma-contig) either way it is there."""

    def test_suite_right_after_the_import_suite(self):
        res = {"kos": {"rmem_heap": "x", "rmem_heap_kunit": "y", scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True), debian()):
            lines = scenario.test_body(t, res, ["rmem"]).splitlines()
            i = lines.index("lab_suite rmem_heap_import ./rmem_heap_import")
            self.assertEqual(lines[i + 1], "lab_suite v4l2 ./rmem_heap_v4l2", t.name)

    def test_builtin_vivid_gets_its_parameters_on_the_command_line(self):
        for t in (target(), target("intree", builtin=True)):
            self.assertEqual(scenario.kernel_params(t), "vivid.allocators=1")
            self.assertFalse(any("modprobe" in l for l in scenario.load_lines(t)))

    def test_modular_vivid_gets_them_from_modprobe(self):
        t = debian()
        self.assertEqual(scenario.kernel_params(t), "")
        self.assertIn("modprobe vgem; modprobe vivid allocators=1", scenario.load_lines(t))

    def vb2_tree(self, d, branch):
        path = os.path.join(d, scenario.VB2_CORE)
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write('\t\tif (IS_ERR(mem_priv)) {\n\t\t\tdprintk(q, 1, "failed to attach '
                    'dmabuf\\n");\n\t\t\tret = PTR_ERR(mem_priv);\n' + branch +
                    '\t\t}\n\t\tdma_buf_put(other);\n\t\tgoto err;\n')
        return d

    def test_vb2_that_keeps_a_refused_dmabuf_is_told_to_the_suite(self):
        # 6.12 and later: the branch goes to the error path without a put
        with tempfile.TemporaryDirectory() as d:
            t = target()
            t.ksrc = self.vb2_tree(d, "\t\t\tgoto err_put_vb2_buf;\n")
            self.assertTrue(scenario.vb2_keeps_refused(t.ksrc))
            self.assertEqual(scenario.v4l2_line(t), "lab_suite v4l2 env "
                             "RMEM_HEAP_VB2_KEEPS_REFUSED=1 ./rmem_heap_v4l2")
        # 6.1: the branch puts the dma-buf before it goes
        with tempfile.TemporaryDirectory() as d:
            t.ksrc = self.vb2_tree(d, "\t\t\tdma_buf_put(dbuf);\n\t\t\tgoto err;\n")
            self.assertFalse(scenario.vb2_keeps_refused(t.ksrc))
            self.assertEqual(scenario.v4l2_line(t), "lab_suite v4l2 ./rmem_heap_v4l2")
        # no source: the suite tests the refusal
        self.assertFalse(scenario.vb2_keeps_refused("/nonexistent"))

    def test_boot_passes_the_parameters_then_the_caller_s(self):
        sc = {"machine": "m", "image": "i", "dtb": "d", "initrd": "r",
              "append": "vivid.allocators=1"}
        with mock.patch("lab.qemu.boot", return_value=("", False, 0)) as boot:
            scenario.boot(sc, "log", append=scenario.BOUNCE_APPEND, timeout=5)
            scenario.boot(dict(sc, append=""), "log")
        self.assertEqual(boot.call_args_list[0],
                         mock.call("m", "i", "d", "r", "log", timeout=5,
                                   append="vivid.allocators=1 " + scenario.BOUNCE_APPEND))
        self.assertEqual(boot.call_args_list[1].kwargs["append"], "")


class BounceBodyTest(unittest.TestCase):
    def test_driver_and_importer_then_the_import_suite_alone(self):
        res = {"kos": {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True)):
            lines = scenario.bounce_body(t, res).splitlines()
            suites = [l for l in lines if l.startswith("lab_suite ")]
            self.assertEqual(suites, ["lab_suite rmem_heap_import ./rmem_heap_import"])
            self.assertLess(lines.index([l for l in lines if "rmem_heap_importer.ko" in l][0]),
                            lines.index(suites[0]))
            self.assertEqual(any("insmod /lab/rmem_heap.ko" in l for l in lines),
                             not t.builtin)


class BuildRowTest(unittest.TestCase):
    def row(self, t, res):
        rows = []
        with mock.patch.object(check.util, "say"):
            check.build_row(rows, t, dict({"logs": [], "errors": [], "warnings": []}, **res))
        return rows[0]

    def test_clean(self):
        kos = {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}
        self.assertEqual(self.row(target(), {"kos": kos}).verdict, "PASS")
        self.assertEqual(self.row(target("intree", builtin=True),
                                  {"kos": {scenario.IMPORTER_KO: "z"}}).verdict, "PASS")

    def test_missing_importer_fails(self):
        r = self.row(target(), {"kos": {"rmem_heap": "x"}})
        self.assertEqual(r.verdict, "FAIL")
        self.assertIn("rmem_heap_importer.ko not built", r.notes)

    def test_importer_warnings_fail_the_builtin_target_too(self):
        r = self.row(target("intree", builtin=True),
                     {"kos": {scenario.IMPORTER_KO: "z"}, "warnings": ["a.c:1: warning: b"]})
        self.assertEqual(r.verdict, "FAIL")
        self.assertIn("W=1/sparse warnings: 1", r.notes)


class CheckpatchListTest(unittest.TestCase):
    def test_importer_sources_are_checked(self):
        seen = {}

        def checkpatch(src, files, log):
            seen["files"] = files
            return []
        with tempfile.TemporaryDirectory() as out, \
                mock.patch.object(check.util, "OUT", out), \
                mock.patch.object(check.util, "say"), \
                mock.patch.object(check.build, "checkpatch", side_effect=checkpatch), \
                mock.patch.object(check.subprocess, "run",
                                  return_value=mock.Mock(returncode=0)), \
                mock.patch.object(check.build, "manpage_warnings", return_value=[]), \
                mock.patch.object(check.dkms, "check", return_value=[]):
            rows = []
            check.host_checks(rows, "/nonexistent/src")
        for f in ("selftests/importer/rmem_heap_importer.c",
                  "selftests/importer/rmem_heap_importer.h",
                  "selftests/judge-kmod/judge_warn.c"):
            self.assertIn(f, seen["files"])
        self.assertEqual(rows[0].verdict, "PASS")

    def test_dkms_failure_fails_the_host_row(self):
        with tempfile.TemporaryDirectory() as out, \
                mock.patch.object(check.util, "OUT", out), \
                mock.patch.object(check.util, "say"), \
                mock.patch.object(check.build, "checkpatch", return_value=[]), \
                mock.patch.object(check.subprocess, "run",
                                  return_value=mock.Mock(returncode=0)), \
                mock.patch.object(check.build, "manpage_warnings", return_value=[]), \
                mock.patch.object(check.dkms, "check",
                                  return_value=["dkms build failed (exit 10)"]):
            rows = []
            check.host_checks(rows, "/nonexistent/src")
        self.assertEqual(rows[0].verdict, "FAIL")
        self.assertIn("dkms: dkms build failed (exit 10)", rows[0].notes)


if __name__ == "__main__":
    unittest.main()


class StressLifetimeTest(unittest.TestCase):
    """Every full guest runs the stress suite; the lifetime suite (which
    unloads the module) comes last wherever there is a module."""

    def test_stress_everywhere_lifetime_last(self):
        res = {"kos": {"rmem_heap": "x", "rmem_heap_kunit": "y", scenario.IMPORTER_KO: "z"}}
        for t in (target(), target("intree", builtin=True), debian()):
            lines = scenario.test_body(t, res, ["rmem"]).splitlines()
            names = [l.split()[1] for l in lines if l.startswith("lab_suite ")]
            self.assertIn("stress", names, t.name)
            if t.builtin:
                self.assertNotIn("lifetime", names)
            else:
                self.assertEqual(names[-1], "lifetime", t.name)


class SoakTest(unittest.TestCase):
    def test_summary_reads_rates_seed_and_results(self):
        from lab import soak
        text = ("### lab: begin stress\r\nTAP version 13\r\n# seed 42 (x)\r\n1..2\r\n"
                "ok 1 - stress.heaps\r\n"
                "# rate video 12.5 cycles/s (250 cycles, 7 ENOMEM retries)\r\n"
                "# rate rmem 3.0 cycles/s (60 cycles, 0 ENOMEM retries)\r\n"
                "not ok 2 - stress.threads\r\n### lab: end stress rc=1\r\n")
        rates, seed, passed, failed = soak.summary(text)
        self.assertEqual(rates, [("video", 12.5, 250, 7), ("rmem", 3.0, 60, 0)])
        self.assertEqual(seed, "42")
        self.assertEqual((passed, failed), (1, 1))

    def test_no_suite_is_a_failure(self):
        from lab import soak
        self.assertEqual(soak.summary("nothing\n")[3], 1)

    def test_body_runs_the_suite_for_the_time(self):
        from lab import soak
        res = {"kos": {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}}
        lines = soak.body(target(), res, 180).splitlines()
        self.assertIn("lab_suite stress env RMEM_STRESS_SECONDS=180 ./rmem_heap_stress", lines)
