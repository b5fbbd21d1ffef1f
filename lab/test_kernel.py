"""Unit tests of lab/kernel.py that build nothing: how the in-tree kernel's
build directory is seeded from the build of the same kernel without the
driver.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import tempfile
import unittest
from unittest import mock

from lab import kernel


class SeedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        d = self.tmp.name
        self.old = os.path.join(d, "src", "linux-6.12")
        self.new = os.path.join(d, "src", "intree-6.12")
        self.base = os.path.join(d, "build", "base")
        os.makedirs(os.path.join(self.base, "mm"))
        self.write("mm/.slab.o.cmd", "savedcmd_mm/slab.o := gcc -I%s/include -c %s/mm/slab.c\n"
                   "source_mm/slab.o := %s/mm/slab.c\n" % ((self.old,) * 3))
        self.write("Makefile", "include %s/Makefile\n" % self.old)
        self.write("mm/slab.o", "\x7fELF %s/mm/slab.c" % self.old)
        self.write(".lab-built", "")
        os.symlink(self.old, os.path.join(self.base, "source"))
        self.bdir = os.path.join(d, "build", "intree")

    def write(self, name, text):
        with open(os.path.join(self.base, name), "w") as f:
            f.write(text)

    def read(self, name):
        with open(os.path.join(self.bdir, name)) as f:
            return f.read()

    def test_commands_point_at_the_in_tree_source(self):
        kernel._seed(self.base, self.old, self.bdir, self.new)
        cmd = self.read("mm/.slab.o.cmd")
        self.assertNotIn(self.old, cmd)
        self.assertEqual(cmd.count(self.new), 3)
        self.assertEqual(self.read("Makefile"), "include %s/Makefile\n" % self.new)
        self.assertEqual(os.readlink(os.path.join(self.bdir, "source")), self.new)

    def test_objects_and_the_base_stay_as_they_were(self):
        kernel._seed(self.base, self.old, self.bdir, self.new)
        self.assertIn(self.old, self.read("mm/slab.o"))
        self.assertFalse(os.path.exists(os.path.join(self.bdir, ".lab-built")))
        self.assertTrue(os.path.exists(os.path.join(self.bdir, ".lab-seeded")))
        with open(os.path.join(self.base, "mm", ".slab.o.cmd")) as f:
            self.assertIn(self.old, f.read())
        self.assertTrue(os.path.exists(os.path.join(self.base, ".lab-built")))

    def test_an_interrupted_copy_is_started_again(self):
        os.makedirs(os.path.join(self.bdir + ".seed", "stale"))
        kernel._seed(self.base, self.old, self.bdir, self.new)
        self.assertFalse(os.path.exists(os.path.join(self.bdir, "stale")))
        self.assertFalse(os.path.exists(self.bdir + ".seed"))
        self.assertTrue(os.path.exists(os.path.join(self.bdir, "mm", "slab.o")))


class SeededBuildTest(unittest.TestCase):
    """build() configures a seeded directory even though the base's .config
    is there, and only then drops the mark; an in-tree directory already
    configured is rebuilt without configuring again."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.cache = self.tmp.name
        self.src = os.path.join(self.cache, "src", "linux-6.12.1")
        os.makedirs(self.src)
        self.made = []

    def run_logged(self, cmd, log, what, env=None):
        self.made.append(cmd[-1])
        return "0m01s"

    def build(self):
        def place(tree):
            os.makedirs(tree, exist_ok=True)
            return "placed"
        with mock.patch.object(kernel.util, "CACHE", self.cache), \
                mock.patch.object(kernel.fetch, "kernel_source", return_value=self.src), \
                mock.patch.object(kernel.util, "run_logged", side_effect=self.run_logged), \
                mock.patch.object(kernel, "_check_config"), \
                mock.patch.object(kernel, "_kernel"), \
                mock.patch.object(kernel.util, "say"), \
                mock.patch.object(kernel.subprocess, "run"):
            kernel.build("6.12", "arm64", intree=place)
            _, bdir = kernel._build_dir("6.12.1", "arm64", kernel.fragments("arm64"), True, True)
        self.assertTrue(bdir.startswith(self.cache))
        return bdir

    def make_base(self):
        with mock.patch.object(kernel.util, "CACHE", self.cache):
            _, base = kernel._build_dir("6.12.1", "arm64", kernel.fragments("arm64"), False, True)
        os.makedirs(base)
        open(os.path.join(base, ".lab-built"), "w").close()

    def test_a_seeded_directory_is_configured(self):
        self.make_base()
        with mock.patch.object(kernel, "_seed", side_effect=self.seed) as seed:
            bdir = self.build()
        seed.assert_called_once()
        self.assertEqual(self.made, ["allnoconfig", "modules"])
        self.assertFalse(os.path.exists(os.path.join(bdir, ".lab-seeded")))

    def seed(self, base, base_src, bdir, src):
        self.assertEqual(base_src, self.src)
        os.makedirs(bdir)
        for n in (".config", ".lab-seeded"):
            open(os.path.join(bdir, n), "w").close()

    def test_without_a_base_build_nothing_is_seeded(self):
        with mock.patch.object(kernel, "_seed") as seed:
            self.build()
        seed.assert_not_called()
        self.assertEqual(self.made, ["allnoconfig", "modules"])

    def test_a_configured_in_tree_directory_is_not_configured_again(self):
        self.make_base()
        with mock.patch.object(kernel, "_seed", side_effect=self.seed) as seed:
            bdir = self.build()
            os.remove(os.path.join(bdir, ".lab-built"))
            self.made = []
            self.build()
        self.assertEqual(seed.call_count, 1)
        self.assertEqual(self.made, ["modules"])


if __name__ == "__main__":
    unittest.main()
