"""The broken-bindings table (lab/broken-bindings.conf), read on the host.

The guest script lab/guest/broken-bindings.sh reads the same file with the
same rule (the first line of a case whose kernel pattern matches); this
reader serves the host's checks of it (lab/test_broken.py) and
tools/dt-check.
"""

import collections
import fnmatch
import os
import re

from . import util

TABLE = os.path.join(util.TOP, "lab", "broken-bindings.conf")

Case = collections.namedtuple("Case", "name kernels node kind expect")

# Kernels that get no broken-bindings boot, and why (not counted as run).
NO_BOOT = {
    # 2026-11-30: 6.12.117 on zcu102 oopsed at 0 s in kasan_init(), a
    # memset into 0x701ff000, inside the node that is both no-map and
    # reusable (bb-both): the kernel handed out memory of a region it had
    # left out of the linear map, before our driver was even loaded.
    "6.12": "6.12's early reserved-memory code gives out the no-map+reusable "
            "node's memory unmapped (oops in kasan_init)",
}


def load(path=TABLE):
    """Every line of the table, in its order."""
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 4)
            if len(parts) < 5 or parts[3] not in ("fail", "probe"):
                raise util.LabError("%s:%d: expected: case kernels node fail|probe text"
                                    % (path, n))
            rows.append(Case(parts[0], parts[1], parts[2], parts[3], parts[4].rstrip("\n")))
    return rows


def for_kernel(kname, rows=None):
    """The cases that apply to kernel kname: per case, its first line whose
    pattern matches."""
    out = collections.OrderedDict()
    for c in load() if rows is None else rows:
        if c.name not in out and fnmatch.fnmatchcase(kname, c.kernels):
            out[c.name] = c
    return list(out.values())


def overlay_nodes(path):
    """The "linux,rmem-heap" nodes at the root of a .dtso or .dts source."""
    with open(path) as f:
        text = f.read()
    return re.findall(r"^\t([\w,.-]+) \{\n\t\tcompatible = \"linux,rmem-heap\";", text, re.M)
