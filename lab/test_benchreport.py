"""Unit tests of lab/benchreport.py over a canned rmem_heap_bench output.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import unittest
import xml.etree.ElementTree as ET

from lab import benchreport, testdata

# every section in rounds (struct rounds in selftests/rmem_heap_bench.c)
LOG = "bench-7.3-virt-rounds.log"
# before rounds in every section: one series per figure but the user table's
PRE_ROUNDS_LOG = "bench-7.3-virt.log"
# before the scale section's "empty again" and the 2 MiB-aligned touch
OLD_LOG = "bench-7.3-virt-old.log"


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.res = benchreport.parse(testdata.read_log(LOG))

    def test_sections(self):
        for kind in ("alloc", "paired", "bw", "user", "memset", "import", "probe", "scale"):
            self.assertIn(kind, self.res)

    def test_fields_are_numbers(self):
        f = self.res["alloc"][0]
        self.assertIsInstance(f["size"], int)
        self.assertIsInstance(f["ratio"], float)

    def test_user_figures_per_heap(self):
        figs = benchreport.user_figures(self.res)
        self.assertEqual(list(figs)[0], "system")
        for heap, hf in figs.items():
            self.assertEqual(sorted(hf), sorted(k for k, _, _ in benchreport.USER_FIGS), heap)
        self.assertAlmostEqual(figs["system"]["touch32M"]["rel_system"], 1.0)

    def test_not_bench_lines_ignored(self):
        self.assertEqual(benchreport.parse("ok 1 - x\n# BENCH no\nBENCHMARK x=1\n"), {})

    def test_carriage_returns(self):
        res = benchreport.parse("BENCH bw heap=rmem read_MBps=10.5\r\n")
        self.assertEqual(res["bw"][0]["read_MBps"], 10.5)


class MarkdownTest(unittest.TestCase):
    def setUp(self):
        self.res = benchreport.parse(testdata.read_log(LOG))
        self.md = benchreport.markdown([("kernel 7.3, machine virt", self.res)])

    def test_tables(self):
        self.assertIn("## kernel 7.3, machine virt", self.md)
        rows = [l for l in self.md.splitlines() if l.startswith("| ")]
        # a row per heap of the user section, per alloc heap and mode, per size paired
        users = benchreport.user_figures(self.res)
        self.assertTrue(any(l.startswith("| system |") for l in rows))
        self.assertGreaterEqual(len(rows), len(users) + 4)

    def test_columns_match_header(self):
        table = None
        for line in self.md.splitlines():
            if line.startswith("|"):
                n = line.count("|")
                if table is None:
                    table = n
                self.assertEqual(n, table, line)
            else:
                table = None

    def test_after_probe_sentence(self):
        self.assertRegex(self.md, r"Right after probe \(heap rmem\): [0-9.]+ MiB of 64\.0 MiB")
        self.assertIn("ms per GiB pending", self.md)

    def test_scale_rows(self):
        rows = [l for l in self.md.splitlines() if l.startswith("| rmem | ") and " MiB) | " in l]
        self.assertEqual(len(rows), 1)

    def test_ratios_printed(self):
        self.assertRegex(self.md, r"\| rmem \| [0-9.]+ \| [0-9.]+x \|")


class RoundsTest(unittest.TestCase):
    """The tables of a run in rounds: rounds and agreement per row."""

    def setUp(self):
        self.res = benchreport.parse(testdata.read_log(LOG))
        self.md = benchreport.markdown([("kernel 7.3, machine virt", self.res)])
        self.lines = self.md.splitlines()

    def test_paced_run_of_three(self):
        res = benchreport.parse(testdata.read_log(LOG))
        for f in res["alloc"]:
            if f["mode"] == "paced":
                f["reps"] = 3
        md = benchreport.markdown([("t", res)])
        self.assertIn("paced: per round 3 allocations, each after 20 ms of busy work, "
                      "their median the run", md)
        self.assertIn("33 paced", md)

    def _header(self, first):
        return [l for l in self.lines if l.startswith("| %s |" % first)][0]

    def test_alloc_against_system(self):
        self.assertIn("per-round ratios to the system heap's run", self.md)
        # this log's paced runs are one allocation each
        self.assertIn("paced: per round one allocation, each after 20 ms of busy work, "
                      "one alone the run", self.md)
        self.assertIn("39 paced", self.md)
        head = self._header("heap | kind | mode")
        self.assertTrue(head.startswith("| heap | kind | mode | rounds | 4 KiB |"), head)
        self.assertTrue(head.endswith("| agree |"), head)
        system = [l for l in self.lines if l.startswith("| system | system | back-to-back |")]
        self.assertEqual(len(system), 1)
        self.assertEqual(system[0].count("(1.00x)"), 4, system[0])
        self.assertRegex(self.md, r"\| rmem \| no-map \| back-to-back \| 63 \| 40\.3 us \(1\.01x\)")

    def test_bandwidth_table(self):
        head = self._header("buffer")
        self.assertIn("| rounds | read (MB/s) | vs anonymous |", head)
        self.assertTrue(any(l.startswith("| anonymous | - |") for l in self.lines))

    def test_import_first_and_again_against_system(self):
        head = self._header("heap | size")
        self.assertEqual(head, "| heap | size | rounds | first map+unmap (us) | vs system | "
                               "map+unmap again (us) | vs system | agree |")

    def test_scale_rows_and_the_kernels(self):
        head = self._header("heap | live buffers")
        self.assertEqual(head.count("|"), 12, head)
        rows = [l for l in self.lines if " MiB) | " in l]
        self.assertEqual(len(rows), 7)
        kernel = [l for l in rows if l.startswith("| reserved |")]
        self.assertEqual(len(kernel), 1)
        self.assertIn("- (the kernel's)", kernel[0])

    def test_paired_rounds(self):
        self.assertEqual(self._header("size"), "| size | rounds | median | lowest | highest | agree |")
        self.assertIn("| 1 MiB | 63 | 0.97x | 0.38x | 1.70x | no |", self.md)

    def test_pre_rounds_log_still_renders(self):
        md = benchreport.markdown([("t", benchreport.parse(testdata.read_log(PRE_ROUNDS_LOG)))])
        self.assertIn("Allocation + close, median latency and ratio to one memset", md)
        self.assertIn("| rmem | no-map | back-to-back | - | 36.0 us (35.67x) |", md)
        self.assertIn("| 4 KiB | 15 | 0.20x | 0.16x | 0.22x | - |", md)
        self.assertIn("| heap | size | first map+unmap (us) | map+unmap again (us) | vs system |",
                      md)

    def test_svg_has_scale_panels(self):
        text = benchreport.svg("virt", self.res)
        ET.fromstring(text)
        self.assertIn("scale: 4 KiB alloc with the live buffers, vs the empty heap", text)
        self.assertIn("scale: 32 KiB alloc after freeing every other", text)


class ScaleRoundsTest(unittest.TestCase):
    """virt-scale in rounds: 10,000 live buffers per heap, the kernel's CMA
    heap skipped (its area is smaller than a 1 GiB region)."""

    def test_rows(self):
        res = benchreport.parse(testdata.read_log("bench-7.3-virt-scale-rounds.log"))
        md = benchreport.markdown([("virt-scale", res)])
        rows = [l for l in md.splitlines() if l.startswith("| scale")]
        self.assertEqual(len(rows), 5)
        for row in rows:
            self.assertIn("| 10000 (", row)
            self.assertEqual(row.count("|"), 12, row)
        self.assertNotIn("the kernel's)", md)
        self.assertIn("<rect", benchreport.svg("virt-scale", res))


class MergeTest(unittest.TestCase):
    """Figures of several boots: the medians, and where every boot agreed."""

    def setUp(self):
        self.text = testdata.read_log(LOG)
        self.res = benchreport.parse(self.text)

    def test_same_boots_same_figures(self):
        m = benchreport.merge([self.res, self.res, self.res])
        self.assertEqual(sorted(m), sorted(k for k in self.res if k in benchreport.IDENTITY))
        f = [x for x in m["alloc"] if x["heap"] == "rmem" and x["size"] == 4096
             and x["mode"] == "back-to-back"][0]
        self.assertEqual(f["rel_system"], 1.013)
        self.assertEqual(f["median_ns"], 40320)
        self.assertEqual(f["merged"], 3)

    def test_median_of_three(self):
        boots = [benchreport.parse(self.text.replace(
            "ratio_median=0.147 ratio_min=0.054", "ratio_median=%s ratio_min=0.054" % v))
                 for v in ("0.100", "0.300", "0.147")]
        m = benchreport.merge(boots)
        f = [x for x in m["paired"] if x["size"] == 4096][0]
        self.assertAlmostEqual(f["ratio_median"], 0.147)

    def test_agree_only_where_every_boot_agreed(self):
        line = [l for l in self.text.splitlines()
                if l.startswith("BENCH import heap=rmem size=1048576")][0]
        self.assertIn("agree=1", line)
        other = benchreport.parse(self.text.replace(line, line.replace("agree=1", "agree=0")))
        m = benchreport.merge([self.res, other])
        f = [x for x in m["import"] if x["heap"] == "rmem" and x["size"] == 1048576][0]
        self.assertEqual(f["agree"], 0)

    def test_figure_missing_in_a_boot_left_out(self):
        other = {k: [f for f in v if f.get("heap") != "coherent"] for k, v in self.res.items()}
        m = benchreport.merge([self.res, other])
        self.assertFalse([f for f in m["scale"] if f["heap"] == "coherent"])
        self.assertTrue([f for f in m["scale"] if f["heap"] == "rmem"])

    def test_run_of_other_sections_counts_for_none(self):
        # a run of the import section alone: its figures from both runs,
        # the others from the whole run alone
        imports = {"import": self.res["import"]}
        m = benchreport.merge([self.res, imports])
        f = [x for x in m["import"] if x["heap"] == "rmem" and x["size"] == 1048576][0]
        self.assertEqual(f["merged"], 2)
        self.assertEqual(m["scale"][0]["merged"], 1)

    def test_report_says_boots(self):
        md = benchreport.markdown([("t", benchreport.merge([self.res] * 3))])
        self.assertIn("Each figure is the median over 3 runs", md)
        self.assertNotIn("median over", benchreport.markdown([("t", self.res)]))

    def test_bench_lines_read_back(self):
        m = benchreport.merge([self.res, self.res])
        self.assertEqual(benchreport.parse(benchreport.bench_lines(m)), m)

    def test_small_ratios_keep_their_digits(self):
        # a median of two boots' 0.00712 and 0.00789: three decimals would
        # write 0.008, which another run's 0.0074 is 8% off; 0.00750 is not
        boots = [benchreport.parse(self.text.replace(
            "ratio_median=0.147 ratio_min=0.054", "ratio_median=%s ratio_min=0.054" % v))
                 for v in ("0.00712", "0.00789")]
        m = benchreport.merge(boots)
        back = benchreport.parse(benchreport.bench_lines(m))
        f = [x for x in back["paired"] if x["size"] == 4096][0]
        self.assertAlmostEqual(f["ratio_median"], 0.007505, places=9)


class WarmProbeTest(unittest.TestCase):
    """The probe line names the heap that ran the driver's paths first."""

    LINE = ("BENCH probe heap=rmem pending0=0 size=67108864 allocs=8 first_ns=90000 "
            "median_ns=40000 memset_ns=200000 first_rel=0.450 median_rel=0.200 "
            "zeroed_ns=1000 system_first_ns=20000000 warm_heap=video warm_first_ns=1300000\n")

    def test_warm_heap_sentence(self):
        md = benchreport.markdown([("k", benchreport.parse(self.LINE))])
        self.assertIn("the first 1 MiB allocation 90.0 us (0.45x", md)
        self.assertIn("this driver's first, on heap video: 1300 us", md)


class ScaleOnlyTest(unittest.TestCase):
    """A bench-only machine's run (rmem_heap_bench -s): the scale table alone."""

    def setUp(self):
        self.res = benchreport.parse(testdata.read_log("bench-7.3-virt-scale.log"))
        self.md = benchreport.markdown([("kernel 7.3, machine virt-scale", self.res)])

    def test_only_scale(self):
        self.assertEqual(list(self.res), ["scale"])
        self.assertNotIn("What a user waits for", self.md)
        self.assertNotIn("Right after probe", self.md)

    def test_ten_thousand_and_empty_again(self):
        rows = [l for l in self.md.splitlines() if l.startswith("| scale")]
        self.assertEqual(len(rows), 5)
        for row in rows:
            self.assertIn("| 10000 (", row)
            self.assertEqual(row.count("|"), 9, row)
        self.assertIn("empty again (us)", self.md)
        self.assertRegex(self.md, r"\| scale-frames \| .* \| 8257 \|")

    def test_older_logs_have_no_aligned_touch(self):
        md = benchreport.markdown([("t", benchreport.parse(testdata.read_log(OLD_LOG)))])
        self.assertRegex(md, r"\| rmem \| [0-9.]+ \| [0-9.]+x \| - \| - \| [0-9.]+ \|")

    def test_older_logs_have_no_empty_again(self):
        res = benchreport.parse(testdata.read_log(OLD_LOG))
        md = benchreport.markdown([("t", res)])
        self.assertRegex(md, r"\| rmem \| 5243 .* \| - \|")

    def test_svg(self):
        ET.fromstring(benchreport.svg("virt-scale", self.res))


class SvgTest(unittest.TestCase):
    def test_well_formed(self):
        res = benchreport.parse(testdata.read_log(LOG))
        text = benchreport.svg("kernel 7.3 & virt", res)
        root = ET.fromstring(text)
        self.assertTrue(root.tag.endswith("svg"))
        self.assertIn("kernel 7.3 &amp; virt", text)
        self.assertGreater(text.count("<rect"), 10)
        self.assertIn("<polyline", text)

    def test_empty(self):
        ET.fromstring(benchreport.svg("nothing", {}))


if __name__ == "__main__":
    unittest.main()
