"""Unit tests of lab/dtb.py's CPU trimming (dtc and fdtget from the host)."""

import os
import subprocess
import tempfile
import unittest

from lab import dtb, util


class SmpCount(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(dtb.smp_count(["-M", "virt", "-smp", "2", "-m", "1G"]), 2)
        self.assertEqual(dtb.smp_count(["-smp", "cpus=3,sockets=1"]), 3)
        self.assertEqual(dtb.smp_count(["-smp", "4,cores=2"]), 4)
        self.assertIsNone(dtb.smp_count(["-M", "xilinx-zynq-a9"]))
        self.assertIsNone(dtb.smp_count(["-smp"]))


class ExtraCpus(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dtb = os.path.join(self.tmp.name, "zcu102.dtb")
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", self.dtb,
                        os.path.join(util.TOP, "dts", "zcu102.dts")], check=True)

    def tearDown(self):
        self.tmp.cleanup()

    def test_fewer_cpus_than_the_board(self):
        self.assertEqual(dtb.extra_cpus(self.dtb, 2), ["/cpus/cpu@2", "/cpus/cpu@3"])

    def test_all_or_no_count(self):
        self.assertEqual(dtb.extra_cpus(self.dtb, 4), [])
        self.assertEqual(dtb.extra_cpus(self.dtb, None), [])

    def test_removed_from_the_blob(self):
        subprocess.run(["fdtput", "-r", self.dtb] + dtb.extra_cpus(self.dtb, 1), check=True)
        listed = subprocess.run(["fdtget", "-l", self.dtb, "/cpus"], capture_output=True,
                                text=True, check=True)
        self.assertEqual(listed.stdout.split(), ["cpu@0"])


if __name__ == "__main__":
    unittest.main()
