"""Do two runs of rmem_heap_bench agree?  Issue 10 asks that every figure
of `make bench` be the median of enough runs that two runs agree within
10%; this sets each ratio of one run beside the same ratio of another.

    python3 -m lab.benchcompare RUN_A.log RUN_B.log

The logs are what the guest printed (out/bench/KERNEL-MACHINE/console.log
of two `make bench` runs, or of two runs on different kernels to compare
those).  Only ratios are compared, each within its own boot (to the system
heap, to a memset, to the kernel's CMA heap, to an anonymous mapping):
absolute times follow the host.  Ratios that are 1 by definition (the
system heap against itself) are left out.
"""

import argparse
import sys

from . import benchreport

TOLERANCE = 0.10

# kind: the ratio fields it has (benchreport.IDENTITY names each figure)
FIGURES = {
    "user": ("rel_system",),
    "alloc": ("rel_system",),
    "paired": ("ratio_median",),
    "import": ("first_rel_system", "rel_system"),
    "scale": ("ratio", "big_ratio"),
    "bw": ("read_rel", "write_rel"),
}

# rows that are the reference of their own ratios
REFERENCES = {("user", "system"), ("import", "system"), ("bw", "anonymous"),
              ("alloc", "system")}


def figures(res):
    """{name: ratio} of one parsed run (benchreport.parse())."""
    out = {}
    for kind, fields in FIGURES.items():
        keys = benchreport.IDENTITY[kind]
        for f in res.get(kind, []):
            if any(k not in f for k in keys) or (kind, f[keys[0]]) in REFERENCES:
                continue
            for field in fields:
                v = f.get(field)
                if isinstance(v, (int, float)) and v > 0:
                    name = " ".join([kind] + [str(f[k]) for k in keys] + [field])
                    out[name] = float(v)
    return out


def agrees(a, b, tolerance=TOLERANCE):
    """Whether the larger of two positive figures is within tolerance of the smaller."""
    lo, hi = min(a, b), max(a, b)
    return hi <= lo * (1 + tolerance)


def compare(res_a, res_b, tolerance=TOLERANCE):
    """[(name, a, b, agree)] over the figures both runs have, in order."""
    fa, fb = figures(res_a), figures(res_b)
    return [(n, fa[n], fb[n], agrees(fa[n], fb[n], tolerance)) for n in fa if n in fb]


def report(rows):
    """The comparison as markdown, the figures that disagree first."""
    good = sum(1 for r in rows if r[3])
    lines = ["%d of %d ratios agree within %d%%." % (good, len(rows), TOLERANCE * 100), "",
             "| figure | run A | run B | B/A | agree |", "|---|---:|---:|---:|---|"]
    for name, a, b, ok in sorted(rows, key=lambda r: r[3]):
        lines.append("| %s | %.4g | %.4g | %.2f | %s |" % (name, a, b, b / a,
                                                           "yes" if ok else "no"))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_a")
    ap.add_argument("run_b")
    args = ap.parse_args(argv)
    runs = []
    for path in (args.run_a, args.run_b):
        with open(path, errors="replace") as f:
            runs.append(benchreport.parse(f.read()))
    rows = compare(*runs)
    if not rows:
        print("no figure in common: are both logs rmem_heap_bench output?")
        return 1
    sys.stdout.write(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
