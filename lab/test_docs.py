"""Unit tests of lab/docs.py: which kernel-doc'd files no page includes.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import shutil
import tempfile
import unittest

from lab import docs


class NotOnAPageTest(unittest.TestCase):
    def test_files(self):
        top = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, top)
        os.makedirs(os.path.join(top, "Documentation"))
        os.makedirs(os.path.join(top, "driver"))
        for name, text in (("driver/a.c", "/**\n * a() - x\n */\n"),
                           ("driver/b.c", "/**\n * b() - x\n */\n"),
                           ("driver/c.c", "/* no kernel-doc */\n")):
            with open(os.path.join(top, name), "w") as f:
                f.write(text)
        with open(os.path.join(top, "Documentation", "internals.rst"), "w") as f:
            f.write("x\n\n.. kernel-doc:: driver/a.c\n\n   .. kernel-doc:: driver/b.c\n")
        # b.c's directive is indented: inside something else, not on the page.
        self.assertEqual(docs.not_on_a_page(["driver/a.c", "driver/b.c", "driver/c.c"], top),
                         ["driver/b.c"])


if __name__ == "__main__":
    unittest.main()
