"""Unit tests of lab/kernel.py that build nothing: how the in-tree kernel's
build directory is seeded from the build of the same kernel without the
driver.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import tempfile
import unittest

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

    def test_a_half_seeded_directory_is_started_again(self):
        os.makedirs(os.path.join(self.bdir, "stale"))
        kernel._seed(self.base, self.old, self.bdir, self.new)
        self.assertFalse(os.path.exists(os.path.join(self.bdir, "stale")))
        self.assertTrue(os.path.exists(os.path.join(self.bdir, "mm", "slab.o")))


if __name__ == "__main__":
    unittest.main()
