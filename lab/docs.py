"""make docs: the Documentation/ tree as HTML, and kernel-doc without a warning.

    python3 -m lab.docs [--ksrc DIR]

Steps, each of which fails the build:

1. kernel-doc (the newest kernel source the lab has: the one `make check`
   unpacked, else fetched and unpacked the lab's way, lab/fetch.py) over
   every driver/*.c, driver/*.h and include/uapi/linux/rmem_heap.h with
   -Wall; any line it prints is a warning. Each of those files that has
   kernel-doc comments must be on a page (a kernel-doc directive).
2. Every message format the driver prints (lab/docmsgs.py) must appear in
   Documentation/troubleshooting.rst.
3. sphinx-build -W (Debian's Sphinx) into $RMEM_HEAP_OUT/docs/html, with
   the kernel's own kerneldoc extension from that source tree and the
   Graphviz diagrams rendered to SVG at build time.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

from . import docmsgs, fetch, util

DOCS = os.path.join(util.TOP, "Documentation")


def kernel_tree():
    """The newest kernel source tree: RMEM_HEAP_KSRC, else the one the lab
    last found newest (if unpacked), else fetched as make check does."""
    env = os.environ.get("RMEM_HEAP_KSRC")
    if env:
        return env
    memo = os.path.join(util.CACHE, "newest-kernel")
    if os.path.exists(memo):
        with open(memo) as f:
            parts = f.read().split()
        if len(parts) == 3:
            tree = os.path.join(util.CACHE, "src", "linux-%s" % parts[2])
            if os.path.exists(os.path.join(tree, ".unpacked")):
                return tree
    series = fetch.newest_kernel()[0]
    return fetch.kernel_source(series)


def kdoc_files():
    files = sorted(glob.glob(os.path.join(util.TOP, "driver", "*.c")) +
                   glob.glob(os.path.join(util.TOP, "driver", "*.h")))
    return [os.path.relpath(f, util.TOP) for f in files] + \
        ["include/uapi/linux/rmem_heap.h"]


def not_on_a_page(files, top=util.TOP):
    """The files with kernel-doc comments that no page's kernel-doc
    directive includes (a new driver file must be added to a page)."""
    shown = set()
    for page in glob.glob(os.path.join(top, "Documentation", "*.rst")):
        with open(page) as f:
            shown |= set(re.findall(r"^\.\. kernel-doc::\s+(\S+)", f.read(), re.M))
    out = []
    for name in files:
        with open(os.path.join(top, name), errors="replace") as f:
            if "/**" in f.read() and name not in shown:
                out.append(name)
    return out


def kernel_doc(ksrc, files):
    """Run kernel-doc -none -Wall over files; return the lines it printed."""
    script = os.path.join(ksrc, "scripts", "kernel-doc")
    r = subprocess.run([sys.executable, script, "-none", "-Wall"] + files,
                       cwd=util.TOP, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    if r.returncode != 0 and not lines:
        lines.append("kernel-doc exited %d" % r.returncode)
    return lines


def sphinx(ksrc, out, log):
    """sphinx-build -W; return (exit status, warning lines)."""
    env = dict(os.environ, RMEM_HEAP_KSRC=ksrc)
    cmd = ["sphinx-build", "-W", "--keep-going", "-q", "-b", "html",
           "-d", os.path.join(out, "doctrees"), DOCS, os.path.join(out, "html")]
    with open(log, "w") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        r = subprocess.run(cmd, cwd=util.TOP, env=env, stdout=f, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    with open(log) as f:
        text = f.read()
    warnings = [l for l in text.splitlines()
                if "WARNING:" in l or "ERROR:" in l or "CRITICAL:" in l]
    if r.returncode != 0 or warnings:
        # Sphinx saved the documents it read, warnings and all; the next
        # build would not read them again and so pass. Start afresh then.
        shutil.rmtree(os.path.join(out, "doctrees"), ignore_errors=True)
    return r.returncode, warnings


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ksrc", help="kernel source tree (default: the lab's newest)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    out = util.ensure_dir(os.path.join(util.OUT, "docs"))
    try:
        ksrc = args.ksrc or kernel_tree()
    except util.LabError as e:
        util.say("FAILED: no kernel source for kernel-doc: %s" % e)
        return 1
    failed = False

    files = kdoc_files()
    warn = kernel_doc(ksrc, files)
    util.say("kernel-doc -Wall (%s) over %d files: %d warnings"
             % (os.path.basename(ksrc), len(files), len(warn)))
    for w in warn:
        print(w)
    failed |= bool(warn)

    left = not_on_a_page(files)
    util.say("files with kernel-doc on no page (Documentation/internals.rst): %d" % len(left))
    for name in left:
        print("  " + name)
    failed |= bool(left)

    missing = docmsgs.check(util.TOP)
    util.say("driver messages not in Documentation/troubleshooting.rst: %d" % len(missing))
    for m in missing:
        print("  %s:%d: %s" % (m.file, m.line, m.fmt))
    failed |= bool(missing)

    log = os.path.join(out, "sphinx.log")
    rc, warn = sphinx(ksrc, out, log)
    util.say("sphinx-build -W: exit %d, %d warnings (log: %s)" % (rc, len(warn), log))
    for w in warn:
        print(w)
    failed |= rc != 0 or bool(warn)

    util.say("make docs took %s; HTML: %s" % (util.elapsed(t0),
                                             os.path.join(out, "html", "index.html")))
    if failed:
        util.say("FAILED: make docs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
