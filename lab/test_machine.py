"""Unit tests of the machine descriptions (lab/machines/*.conf, lab/machine.py),
the overlays a boot's device tree gets (lab/dtb.py) and the body a
machine's test boots run (lab/scenario.py), the virt-high machine's in
particular. Nothing is built and no guest boots here.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import tempfile
import unittest
from unittest import mock

from lab import build, check, dtb, machine, scenario, util


def target(name="7.3", builtin=False):
    t = build.Target(name, "arm64", "/nonexistent/kdir", "/nonexistent/src",
                     "/nonexistent/uapi", "7.3.0-rmemlab", {}, builtin=builtin)
    t.modules_root = None
    return t


CONF = """[machine]
arch = arm64
qemu = qemu-system-aarch64
options = -M virt
console = ttyAMA0
base_dtb = qemu
overlay = %s
heaps = a b
%spoweroff = poweroff -f
"""


class ConfTest(unittest.TestCase):
    def machine(self, overlay, extra=""):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "m.conf"), "w") as f:
                f.write(CONF % (overlay, extra))
            with mock.patch.object(machine, "DIR", d):
                return machine.Machine("m")

    def test_one_overlay_and_the_default_body(self):
        m = self.machine("dts/lab/virt.dtso")
        self.assertEqual(m.overlays, [os.path.join(util.TOP, "dts/lab/virt.dtso")])
        self.assertEqual(m.body, "full")

    def test_several_overlays_keep_their_order(self):
        m = self.machine("dts/lab/virt.dtso  dts/lab/virt-high.dtso", "body = highmem\n")
        self.assertEqual([os.path.basename(o) for o in m.overlays],
                         ["virt.dtso", "virt-high.dtso"])
        self.assertEqual(m.body, "highmem")

    def test_no_overlay_is_an_error(self):
        with self.assertRaises(util.LabError):
            self.machine("")

    def test_every_machine_has_its_overlays_and_a_known_body(self):
        for name in machine.names():
            m = machine.Machine(name)
            self.assertIn(m.body, scenario.BODIES, name)
            for ov in m.overlays:
                self.assertTrue(os.path.isfile(ov), "%s: %s" % (name, ov))

    def test_bench_only_machines_stay_out_of_check(self):
        self.assertTrue(machine.Machine("virt-scale").bench_only)
        self.assertNotIn("virt-scale", machine.check_names())
        for name in ("virt", "virt-high", "zcu102", "zynq"):
            self.assertFalse(machine.Machine(name).bench_only, name)
            self.assertIn(name, machine.check_names())
        m = self.machine("dts/lab/virt.dtso", "bench_only = yes\n")
        self.assertTrue(m.bench_only)

    def test_virt_high(self):
        m = machine.Machine("virt-high")
        self.assertEqual(m.body, "highmem")
        self.assertEqual([os.path.basename(o) for o in m.overlays],
                         ["virt.dtso", "virt-high.dtso"])
        self.assertIn("high", m.heaps)
        self.assertIn("rmem", m.heaps)
        # RAM from 0x40000000 must cover heap "high" (0x140000000..0x144000000)
        mem = m.options[m.options.index("-m") + 1]
        mib = int(mem[:-1]) * (1024 if mem.endswith("G") else 1)
        self.assertGreaterEqual(0x40000000 + mib * 2**20, 0x144000000)
        # not a distribution or in-tree kernel's machine; every lab kernel's
        self.assertFalse(scenario.runs_on("debian", m))
        self.assertFalse(scenario.runs_on("intree", m))
        self.assertTrue(scenario.runs_on("7.3", m))
        self.assertEqual(m.arch, "arm64")


class OverlayTest(unittest.TestCase):
    def test_each_compiled_then_all_applied_in_order(self):
        calls = []
        m = machine.Machine("virt-high")
        with tempfile.TemporaryDirectory() as d, \
                mock.patch.object(dtb.util, "run_logged",
                                  side_effect=lambda cmd, *a, **k: calls.append(cmd)), \
                mock.patch.object(dtb, "base", return_value=os.path.join(d, "base.dtb")):
            out = dtb.build(m, None, d)
        self.assertEqual(os.path.basename(out), "virt-high+virt+virt-high.dtb")
        dtc = [c for c in calls if c[0] == "dtc"]
        self.assertEqual([c[-1] for c in dtc], m.overlays)
        fdt = [c for c in calls if c[0] == "fdtoverlay"]
        self.assertEqual(len(fdt), 1)
        # the compiled overlays, in the machine's order
        self.assertEqual(fdt[0][fdt[0].index("-o") + 2:], [c[c.index("-o") + 1] for c in dtc])

    def test_an_explicit_overlay_replaces_the_machines(self):
        calls = []
        m = machine.Machine("virt-high")
        with tempfile.TemporaryDirectory() as d, \
                mock.patch.object(dtb.util, "run_logged",
                                  side_effect=lambda cmd, *a, **k: calls.append(cmd)), \
                mock.patch.object(dtb, "base", return_value=os.path.join(d, "base.dtb")):
            out = dtb.build(m, None, d, "/x/mine.dtso")
        self.assertEqual(os.path.basename(out), "virt-high+mine.dtb")
        self.assertEqual([c[-1] for c in calls if c[0] == "dtc"], ["/x/mine.dtso"])


class BodyTest(unittest.TestCase):
    res = {"kos": {"rmem_heap": "x", scenario.IMPORTER_KO: "z"}}

    def test_highmem_body_runs_the_highmem_suite_alone(self):
        m = machine.Machine("virt-high")
        for t in (target(), target("intree", builtin=True)):
            lines = scenario.machine_body(m)(t, self.res).splitlines()
            suites = [l.split()[1] for l in lines if l.startswith("lab_suite ")]
            self.assertEqual(suites, ["heaps", "rmem_heap_highmem"], lines)
            self.assertIn("lab_suite heaps sh /etc/lab/heaps.sh %s" % " ".join(m.heaps), lines)
            insmod = [i for i, l in enumerate(lines) if "rmem_heap_importer.ko" in l]
            self.assertEqual(len(insmod), 1)
            self.assertLess(insmod[0], lines.index("lab_suite rmem_heap_highmem ./rmem_heap_highmem"))
            self.assertEqual(any("insmod /lab/rmem_heap.ko" in l for l in lines),
                             not t.builtin)

    def test_full_body_is_virts(self):
        m = machine.Machine("virt")
        self.assertEqual(m.lifetime_loops, 10)
        self.assertEqual(scenario.machine_body(m)(target(), self.res),
                         scenario.test_body(target(), self.res, m.heaps, lifetime_loops=10))

    def test_unknown_body_is_an_error_and_its_row_not_run(self):
        m = machine.Machine("virt")
        m.body = "nonsense"
        with self.assertRaises(util.LabError):
            scenario.machine_body(m)
        with mock.patch.object(check.machine, "Machine", return_value=m):
            row, job = check.boot_job("7.3", "virt", "/nonexistent", [])
        self.assertIsNone(job)
        self.assertEqual(row.verdict, "NOT RUN")
        self.assertIn("nonsense", row.notes[0])


if __name__ == "__main__":
    unittest.main()
