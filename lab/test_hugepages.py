"""Unit tests of lab/hugepages.py: when the compilers get the shim, and that
the shim really asks the kernel for huge pages (it is built with the host's
gcc and preloaded into a small Python program that reads its own smaps).

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from lab import hugepages, util

# Maps 4 MiB (private, anonymous) and 1 MiB and prints the VmFlags of each
# mapping from /proc/self/smaps ("hg": MADV_HUGEPAGE was asked).
PROBE = r"""
import ctypes, mmap
def flags(size):
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    start = ctypes.addressof(ctypes.c_char.from_buffer(m))
    cur = None
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                lo, hi = (int(x, 16) for x in head.split("-"))
                cur = lo <= start < hi
            elif cur and line.startswith("VmFlags:"):
                return line.split()[1:]
for size in (4 << 20, 1 << 20):
    print(size, "hg" in flags(size))
"""


class EnvTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.thp = os.path.join(self.tmp.name, "enabled")
        for p in (mock.patch.object(hugepages, "THP", self.thp),
                  mock.patch.object(util, "CACHE", self.tmp.name),
                  mock.patch.dict(hugepages._shim, clear=True)):
            p.start()
            self.addCleanup(p.stop)

    def mode(self, text):
        with open(self.thp, "w") as f:
            f.write(text)

    def test_madvise_host_gets_the_shim_and_the_tunable(self):
        self.mode("always [madvise] never\n")
        env = hugepages.env({"PATH": "/bin", "GLIBC_TUNABLES": "glibc.foo=1",
                             "LD_PRELOAD": "/x.so"})
        so = env["LD_PRELOAD"].split(":")
        self.assertEqual(so[0], "/x.so")
        self.assertTrue(so[1].startswith(os.path.join(self.tmp.name, "tools", "hugepages-")))
        self.assertTrue(os.path.exists(so[1]))
        self.assertEqual(env["GLIBC_TUNABLES"], "glibc.foo=1:glibc.malloc.hugetlb=1")
        self.assertEqual(env["PATH"], "/bin")

    def test_always_never_or_unknown_leave_the_environment_alone(self):
        for text in ("[always] madvise never\n", "always madvise [never]\n", "garbage\n"):
            self.mode(text)
            self.assertEqual(hugepages.env({"PATH": "/bin"}), {"PATH": "/bin"})
        os.remove(self.thp)
        self.assertEqual(hugepages.env({"PATH": "/bin"}), {"PATH": "/bin"})

    def test_a_shim_that_does_not_build_is_left_out(self):
        self.mode("always [madvise] never\n")
        bad = os.path.join(self.tmp.name, "bad.c")
        with open(bad, "w") as f:
            f.write("this is not C\n")
        with mock.patch.object(hugepages, "SRC", bad), mock.patch.object(util, "say"):
            self.assertEqual(hugepages.env({"PATH": "/bin"}), {"PATH": "/bin"})

    def test_the_shim_advises_large_anonymous_mappings_only(self):
        self.mode("always [madvise] never\n")
        env = hugepages.env(dict(os.environ))
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                             text=True, check=True).stdout.split("\n")
        self.assertEqual(out[:2], ["4194304 True", "1048576 False"])
        plain = subprocess.run([sys.executable, "-c", PROBE], capture_output=True,
                               text=True, check=True).stdout.split("\n")
        self.assertEqual(plain[:2], ["4194304 False", "1048576 False"])


if __name__ == "__main__":
    unittest.main()
