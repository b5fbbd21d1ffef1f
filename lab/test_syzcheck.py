"""Unit tests of lab/syzcheck.py and the check of the repository's
syzkaller descriptions (tools/syzkaller/rmem_heap.txt)."""
import unittest

from lab import syzcheck

CONSTS = {"AT_FDCWD", "MY_IOCTL", "MY_FLAG_A", "MY_FLAG_B"}
GOOD = """# comment
include <uapi/linux/x.h>

resource fd_x[fd]

openat$x(fd const[AT_FDCWD], file ptr[in, string["/dev/x"]], flags flags[open_flags], mode const[0]) fd_x
ioctl$MY_IOCTL(fd fd_x, cmd const[MY_IOCTL], arg ptr[inout, x_data])
mmap$x(addr vma, len len[addr], prot flags[mmap_prot], flags flags[mmap_flags], fd fd_x, offset intptr[0:0x1000, 0x1000]) vma

x_flags = MY_FLAG_A, MY_FLAG_B
x_names = "a", "b"

x_data {
	len		int64	(in)
	fd		fd_x	(out)
	name		string[x_names, 8]
	flags		flags[x_flags, int32]
	pad		array[const[0, int64], 2]
}
"""


class SyzcheckTest(unittest.TestCase):
    def errors(self, text):
        return syzcheck.Checker(set(CONSTS)).check(text)

    def test_good(self):
        self.assertEqual(self.errors(GOOD), [])

    def test_each_defect_is_found(self):
        cases = {
            "an undefined struct": GOOD.replace("ptr[inout, x_data]", "ptr[inout, y_data]"),
            "an unknown constant": GOOD.replace("const[MY_IOCTL]", "const[NO_SUCH]"),
            "unbalanced brackets": GOOD.replace("ptr[in, string[\"/dev/x\"]]", "ptr[in, string[\"/dev/x\"]"),
            "a struct not closed": GOOD.rstrip().rstrip("}"),
            "a bad direction": GOOD.replace("int64\t(in)", "int64\t(up)"),
            "a name twice": GOOD + "x_flags = MY_FLAG_A\n",
            "a field twice": GOOD.replace("\tflags\t\tflags", "\tlen\t\tflags"),
            "not syzlang": GOOD + "this is not a line\n",
            "mixed flags": GOOD.replace('x_names = "a", "b"', 'x_names = "a", MY_FLAG_A'),
            "an argument twice": GOOD.replace("mode const[0]", "fd const[0]"),
        }
        for what, text in cases.items():
            self.assertNotEqual(self.errors(text), [], what)

    def test_repository_descriptions(self):
        self.assertEqual(syzcheck.check_file(syzcheck.DEFAULT), [])

    def test_every_rmem_heap_ioctl_is_described(self):
        with open(syzcheck.UAPI) as f:
            ioctls = set(l.split()[1] for l in f if l.startswith("#define RMEM_HEAP_IOC_")
                         and "_IO" in l)
        with open(syzcheck.DEFAULT) as f:
            text = f.read()
        self.assertTrue(ioctls)
        for name in ioctls - {"RMEM_HEAP_IOC_MAGIC"}:
            self.assertIn("ioctl$%s(" % name, text)


if __name__ == "__main__":
    unittest.main()
