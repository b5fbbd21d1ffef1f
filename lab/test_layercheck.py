"""Unit tests of lab/layercheck.py: the real layer passes, and each kind of
mistake in a copy of it is caught.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import re
import shutil
import tempfile
import unittest

from lab import layercheck, util


class RealLayerTest(unittest.TestCase):
    def test_meta_rmem_heap_passes(self):
        self.assertEqual(layercheck.check_layer(), [])


class BrokenLayerTest(unittest.TestCase):
    """A copy of the layer inside a copy of the repository's files it
    names, then one mistake at a time."""

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="rmem-heap-layer-")
        self.addCleanup(shutil.rmtree, self.top)
        for d in ("driver", "dts"):
            shutil.copytree(os.path.join(util.TOP, d), os.path.join(self.top, d))
        os.mkdir(os.path.join(self.top, ".git"))
        self.layer = os.path.join(self.top, "meta-rmem-heap")
        shutil.copytree(layercheck.LAYER, self.layer, symlinks=True)
        self.mod = os.path.join(self.layer, "recipes-kernel", "rmem-heap",
                                "rmem-heap-mod_git.bb")

    def edit(self, path, old, new):
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    def problems(self):
        return layercheck.check_layer(self.layer)

    def assertCaught(self, pattern):
        probs = self.problems()
        self.assertTrue(any(re.search(pattern, p) for p in probs),
                        "%r not in %r" % (pattern, probs))

    def test_the_copy_passes(self):
        self.assertEqual(self.problems(), [])

    def test_wrong_license_md5(self):
        self.edit(self.mod, "md5=50d2ba0afecd20f74c12a4bdbcfcfe61",
                  "md5=00000000000000000000000000000000")
        self.assertCaught(r"LIC_FILES_CHKSUM md5 of driver/rmem_heap_main.c is 50d2ba")

    def test_license_file_changed(self):
        with open(os.path.join(self.top, "driver", "rmem_heap_main.c"), "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace("GPL-2.0", "GPL-2.0+", 1))
        self.assertCaught(r"LIC_FILES_CHKSUM md5")

    def test_missing_license_file(self):
        self.edit(self.mod, "file://rmem_heap_main.c", "file://COPYING")
        self.assertCaught(r"LIC_FILES_CHKSUM names .*COPYING, which does not exist")

    def test_missing_src_uri_file(self):
        os.unlink(os.path.join(self.layer, "recipes-bsp", "device-tree", "files", "zynqmp",
                               "system-user.dtsi"))
        os.unlink(os.path.join(self.layer, "recipes-bsp", "device-tree", "files", "zynq",
                               "system-user.dtsi"))
        self.assertCaught(r"SRC_URI file://system-user.dtsi is in none of")

    def test_dangling_symlink(self):
        os.unlink(os.path.join(self.top, "dts", "examples", "zcu102-system-user.dtsi"))
        os.unlink(os.path.join(self.top, "dts", "examples", "zc702-system-user.dtsi"))
        self.assertCaught(r"SRC_URI file://system-user.dtsi is in none of")

    def test_tab_in_python_function(self):
        with open(self.mod, "a") as f:
            f.write("\npython do_check() {\n    x = 1\n\tbb.note(x)\n}\n")
        self.assertCaught(r"tab in python function do_check")

    def test_tabs_in_shell_function_are_fine(self):
        with open(self.mod, "a") as f:
            f.write("\ndo_check() {\n\techo ok\n}\n")
        self.assertEqual(self.problems(), [])

    def test_unclosed_function(self):
        with open(self.mod, "a") as f:
            f.write("\ndo_check() {\n\techo ok\n")
        self.assertCaught(r"function do_check has no closing")

    def test_unquoted_value(self):
        self.edit(self.mod, 'SECTION = "kernel/modules"', "SECTION = kernel/modules")
        self.assertCaught(r"value is not one quoted string")

    def test_unbalanced_quotes(self):
        self.edit(self.mod, 'SECTION = "kernel/modules"', 'SECTION = "kernel/"modules"')
        self.assertCaught(r"unbalanced quotes")

    def test_not_bitbake(self):
        with open(self.mod, "a") as f:
            f.write("\nmake -C driver all\n")
        self.assertCaught(r"not BitBake syntax")

    def test_missing_license(self):
        self.edit(self.mod, 'LICENSE = "GPL-2.0-only"\n', "")
        self.assertCaught(r"rmem-heap-mod_git.bb: no LICENSE")

    def test_module_needs_modules_install(self):
        mk = os.path.join(self.top, "driver", "Makefile")
        self.edit(mk, "modules_install: modules", "install_modules: modules")
        self.assertCaught(r"has no such target")

    def test_s_outside_the_repository(self):
        self.edit(self.mod, 'S = "${WORKDIR}/git/driver"', 'S = "${WORKDIR}/git/drivers"')
        self.assertCaught(r"S names .*drivers, not a directory")

    def test_layer_conf_without_compat(self):
        conf = os.path.join(self.layer, "conf", "layer.conf")
        self.edit(conf, 'LAYERSERIES_COMPAT_rmem-heap = "kirkstone scarthgap"\n', "")
        self.assertCaught(r"layer.conf: no LAYERSERIES_COMPAT_rmem-heap")

    def test_git_source_must_be_a_repository(self):
        shutil.rmtree(os.path.join(self.top, ".git"))
        self.assertCaught(r"is not a git repository")


class LicMd5Test(unittest.TestCase):
    def test_lines_as_bitbake_counts_them(self):
        with tempfile.NamedTemporaryFile("wb", delete=False) as f:
            f.write(b"one\ntwo\nthree\n")
        self.addCleanup(os.unlink, f.name)
        import hashlib
        self.assertEqual(layercheck.lic_md5(f.name, 2, 2), hashlib.md5(b"two\n").hexdigest())
        self.assertEqual(layercheck.lic_md5(f.name, 2, None),
                         hashlib.md5(b"two\nthree\n").hexdigest())
        self.assertEqual(layercheck.lic_md5(f.name),
                         hashlib.md5(b"one\ntwo\nthree\n").hexdigest())


if __name__ == "__main__":
    unittest.main()
