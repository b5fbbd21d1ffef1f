"""Unit tests of lab/abdriver.py: the BENCH ab lines it reads, and the old
driver's overlay.

    python3 -m unittest lab.test_abdriver
"""

import os
import unittest

from lab import abdriver, util

TEXT = """\
two heaps, paired rounds (15 rounds; per round the ratio of rmem's block mean to old's)
BENCH ab a=rmem b=old mode=back-to-back size=4096 rounds=15 block=18 ratio_median=1.020 ratio_min=0.637 ratio_max=1.784\r
BENCH ab a=rmem b=old mode=paced size=1048576 rounds=15 block=8 ratio_median=0.930 ratio_min=0.800 ratio_max=1.130
BENCH paired ours=frames kernel=reserved size=4096 rounds=15 block=18 ratio_median=0.9 ratio_min=0.8 ratio_max=1.1
BENCH ab size=8388608 error=12
"""


class ParseTest(unittest.TestCase):
    def test_ab_lines_only(self):
        res = abdriver.parse(TEXT)
        self.assertEqual(sorted(res), [("back-to-back", 4096), ("paced", 1048576)])
        self.assertEqual(res[("paced", 1048576)], (0.93, 0.8, 1.13))

    def test_nothing(self):
        self.assertEqual(abdriver.parse("ok 1 x\n"), {})


class OverlayTest(unittest.TestCase):
    def test_old_heap_node(self):
        with open(abdriver.OVERLAY) as f:
            text = f.read()
        self.assertIn('compatible = "linux,rmold-heap"', text)
        self.assertIn('memory-region-names = "old"', text)
        self.assertIn("reg = <0x0 0x70000000 0x0 0x04000000>", text)

    def test_machines_exist(self):
        for m in abdriver.MACHINES:
            self.assertTrue(os.path.isfile(os.path.join(util.TOP, "lab", "machines", m + ".conf")))


if __name__ == "__main__":
    unittest.main()
