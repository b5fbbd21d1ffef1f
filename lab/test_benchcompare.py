"""Unit tests of lab/benchcompare.py over canned rmem_heap_bench output.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import unittest

from lab import benchcompare, benchreport, testdata

LOG = "bench-7.3-virt-rounds.log"
OLD_LOG = "bench-7.3-virt-old.log"


class FiguresTest(unittest.TestCase):
    def setUp(self):
        self.res = benchreport.parse(testdata.read_log(LOG))
        self.figs = benchcompare.figures(self.res)

    def test_every_kind(self):
        kinds = {name.split()[0] for name in self.figs}
        self.assertEqual(kinds, set(benchcompare.FIGURES))

    def test_references_left_out(self):
        self.assertFalse([n for n in self.figs if n.startswith("user system ")])
        self.assertFalse([n for n in self.figs if n.startswith("import system ")])
        self.assertFalse([n for n in self.figs if n.startswith("bw anonymous ")])
        self.assertFalse([n for n in self.figs if n.startswith("alloc system ")])

    def test_names_and_values(self):
        self.assertAlmostEqual(self.figs["paired frames reserved 4096 ratio_median"], 0.147)
        self.assertAlmostEqual(self.figs["alloc rmem back-to-back 4096 rel_system"], 1.013)
        self.assertIn("import frames 8388608 first_rel_system", self.figs)
        self.assertIn("scale rmem big_ratio", self.figs)
        self.assertIn("user frames touch32M rel_system", self.figs)
        self.assertIn("bw rmem write_rel", self.figs)


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.res = benchreport.parse(testdata.read_log(LOG))

    def test_run_agrees_with_itself(self):
        rows = benchcompare.compare(self.res, self.res)
        self.assertTrue(rows)
        self.assertTrue(all(r[3] for r in rows))
        self.assertTrue(benchcompare.report(rows).startswith(
            "%d of %d ratios agree within 10%%." % (len(rows), len(rows))))

    def test_tolerance_edges(self):
        self.assertTrue(benchcompare.agrees(1.0, 1.1))
        self.assertTrue(benchcompare.agrees(1.1, 1.0))
        self.assertFalse(benchcompare.agrees(1.0, 1.11))
        self.assertFalse(benchcompare.agrees(0.5, 0.1))

    def test_one_figure_moved(self):
        moved = benchreport.parse(testdata.read_log(LOG).replace(
            "ratio_median=0.147", "ratio_median=0.250"))
        rows = benchcompare.compare(self.res, moved)
        bad = [r[0] for r in rows if not r[3]]
        self.assertEqual(bad, ["paired frames reserved 4096 ratio_median"])
        # the figures that disagree come first
        table = benchcompare.report(rows).splitlines()
        self.assertTrue(table[4].startswith("| paired frames reserved 4096 ratio_median |"))

    def test_only_common_figures(self):
        old = benchreport.parse(testdata.read_log(OLD_LOG))
        names = {r[0] for r in benchcompare.compare(self.res, old)}
        self.assertFalse(names - set(benchcompare.figures(old)))

    def test_not_bench_output(self):
        self.assertEqual(benchcompare.compare({}, self.res), [])


if __name__ == "__main__":
    unittest.main()
