# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of rmem-heap's documentation: built by `make docs`
# (lab/docs.py), which passes the kernel source tree whose kernel-doc and
# Sphinx extension to use in RMEM_HEAP_KSRC.

import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KSRC = os.environ.get("RMEM_HEAP_KSRC")
if not KSRC:
    sys.exit("conf.py: RMEM_HEAP_KSRC is not set; build with `make docs`")

# The kernel's own kernel-doc directive, used from the kernel source tree
# (Documentation/sphinx/kerneldoc.py there, which reads srctree).
os.environ["srctree"] = KSRC
sys.path.insert(0, os.path.join(KSRC, "Documentation", "sphinx"))

project = "rmem-heap"
copyright = "rmem-heap developers"
extensions = ["kerneldoc", "sphinx.ext.graphviz"]
kerneldoc_srctree = TOP

master_doc = "index"
exclude_patterns = ["devicetree/**"]
primary_domain = "c"
highlight_language = "none"
html_theme = "alabaster"
html_title = "rmem-heap"
graphviz_output_format = "svg"

# Kernel attributes that Sphinx's C parser must know to read kernel-doc's
# declarations (as the kernel's own conf.py lists them).
c_id_attributes = ["__must_check", "__printf", "__iomem", "__user", "__init",
                   "__exit", "__always_inline", "noinline", "inline",
                   "__maybe_unused"]
c_paren_attributes = ["__printf", "__aligned"]
