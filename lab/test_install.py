"""Unit tests of `make install` (the user-space part; no kernel needed) and
of the udev rules it installs.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import filecmp
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from lab import util

RULES = os.path.join(util.TOP, "Documentation", "udev", "60-rmem-heap.rules")
HEADER = os.path.join(util.TOP, "include", "uapi", "linux", "rmem_heap.h")
CTL = os.path.join(util.TOP, "tools", "rmem-heapctl")


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", util.TOP] + list(args),
                          capture_output=True, text=True)


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.dest = tempfile.mkdtemp(prefix="rmem-heap-install-")
        self.addCleanup(shutil.rmtree, self.dest)

    def installed(self):
        out = []
        for root, _, files in os.walk(self.dest):
            out += [os.path.relpath(os.path.join(root, f), self.dest) for f in files]
        return sorted(out)

    def test_header_and_rules(self):
        r = make("install", "DESTDIR=" + self.dest, "RMEM_HEAPCTL=no")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.installed(), ["etc/udev/rules.d/60-rmem-heap.rules",
                                            "usr/local/include/linux/rmem_heap.h"])
        self.assertTrue(filecmp.cmp(HEADER, os.path.join(
            self.dest, "usr/local/include/linux/rmem_heap.h"), shallow=False))
        self.assertTrue(filecmp.cmp(RULES, os.path.join(
            self.dest, "etc/udev/rules.d/60-rmem-heap.rules"), shallow=False))

    def test_prefix_and_rules_dir(self):
        r = make("install", "DESTDIR=" + self.dest, "RMEM_HEAPCTL=no", "PREFIX=/usr",
                 "UDEVRULESDIR=/lib/udev/rules.d")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.installed(), ["lib/udev/rules.d/60-rmem-heap.rules",
                                            "usr/include/linux/rmem_heap.h"])

    def test_control_tool(self):
        """Without RMEM_HEAPCTL=no the tool is installed, or make fails
        saying why; it is never left out silently."""
        r = make("install", "DESTDIR=" + self.dest)
        if not os.path.exists(os.path.join(CTL, "Makefile")):
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("tools/rmem-heapctl is not in this tree", r.stderr)
            return
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = self.installed()
        self.assertIn("usr/local/sbin/rmem-heapctl", got)
        self.assertIn("usr/local/share/man/man8/rmem-heapctl.8", got)
        self.assertTrue(os.access(os.path.join(self.dest, "usr/local/sbin/rmem-heapctl"),
                                  os.X_OK))


def rules():
    """The rules file's rules: a dict of key (with operator) -> value, each."""
    out = []
    with open(RULES) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            out.append(dict((k + op, v) for k, op, v in
                            re.findall(r'([A-Z_]+)\s*(==|=)\s*"([^"]*)"', line)))
    return out


class UdevRulesTest(unittest.TestCase):
    def grants(self, match):
        for r in rules():
            if all(r.get(k) == v for k, v in match.items()):
                return r.get("GROUP=") == "video" and r.get("MODE=") == "0660"
        return False

    def test_dma_heap_mode(self):
        self.assertTrue(self.grants({"SUBSYSTEM==": "dma_heap"}))

    def test_char_device_mode(self):
        self.assertTrue(self.grants({"SUBSYSTEM==": "rmem_heap"}))

    def test_control_device(self):
        self.assertTrue(self.grants({"SUBSYSTEM==": "misc", "KERNEL==": "rmem_heap"}))

    def test_every_line_parses(self):
        with open(RULES) as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertEqual(len(lines), len(rules()))
        for l, r in zip(lines, rules()):
            # Every comma-separated key of the line was understood.
            self.assertEqual(len(r), len(l.split(",")), l)


if __name__ == "__main__":
    unittest.main()
