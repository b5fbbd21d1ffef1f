"""The report of `make bench`: rmem_heap_bench's BENCH lines parsed into a
markdown table and an SVG chart (Documentation/bench/).

parse() reads one guest's output; markdown() and svg() render the runs of
one `make bench` (one per kernel and machine). No plotting library: the
chart is plain SVG text, so that the lab needs nothing beyond Python.
"""

import html
import math
import re

BENCH_RE = re.compile(r"^BENCH (\w+) (.*)$")
FIELD_RE = re.compile(r"(\w+)=(\S+)")

# What each figure of the "user" section is, and which way is better.
USER_FIGS = [
    ("touch32M", "touch every page of a fresh 32 MiB mapping", "ms"),
    ("touch32M_2M", "the same at a 2 MiB-aligned address", "ms"),
    ("frame8M", "frame cycle: alloc 8 MiB, mmap, write, free", "ms"),
    ("sync_read1M", "read 1 MiB through mmap inside SYNC brackets", "MB/s"),
    ("sync_write1M", "write 1 MiB through mmap inside SYNC brackets", "MB/s"),
]

SIZE_NAMES = {4096: "4 KiB", 65536: "64 KiB", 1048576: "1 MiB", 4194304: "4 MiB",
              8388608: "8 MiB"}


def _value(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def parse(text):
    """BENCH lines of one rmem_heap_bench run: {kind: [fields, ...]}."""
    out = {}
    for line in text.splitlines():
        m = BENCH_RE.match(line.strip().replace("\r", ""))
        if not m:
            continue
        fields = {k: _value(v) for k, v in FIELD_RE.findall(m.group(2))}
        out.setdefault(m.group(1), []).append(fields)
    return out


# the fields that name one figure of each kind (the rest are its values)
IDENTITY = {
    "user": ("heap", "fig"),
    "alloc": ("heap", "mode", "size"),
    "paired": ("ours", "kernel", "size"),
    "ab": ("a", "b", "mode", "size"),
    "import": ("heap", "size"),
    "scale": ("heap",),
    "bw": ("heap",),
    "probe": ("heap",),
    "memset": ("size",),
}


def _median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def merge(boots):
    """Parsed runs of the benchmark (whole runs from several boots, and runs
    of some sections alone) of one kernel and machine -> one run whose
    figures are the medians over the runs that measured them (a figure that
    a run of its section lacks or failed in is left out); "agree" holds
    where it held in every run, and "merged" says how many there were."""
    out = {}
    for kind in sorted({k for res in boots for k in res}):
        keys = IDENTITY.get(kind)
        if not keys:
            continue
        groups = {}
        ran = [res for res in boots if kind in res]
        for res in ran:
            for f in res[kind]:
                if all(k in f for k in keys) and "error" not in f and "skipped" not in f:
                    groups.setdefault(tuple(f[k] for k in keys), []).append(f)
        for fs in groups.values():
            if len(fs) < len(ran):
                continue
            m = dict(fs[0])
            for field, v in fs[0].items():
                if field in keys or isinstance(v, str) or field == "agree":
                    continue
                vals = [f[field] for f in fs if isinstance(f.get(field), (int, float))]
                if len(vals) == len(fs):
                    med = _median(vals)
                    m[field] = int(med) if isinstance(v, int) else med
            if "agree" in m:
                m["agree"] = int(all(f.get("agree") for f in fs))
            m["merged"] = len(fs)
            out.setdefault(kind, []).append(m)
    return out


def bench_lines(res):
    """A parsed (or merged) run as BENCH lines again, which parse() reads
    back: what lab.benchcompare compares."""
    lines = []
    for kind, figs in res.items():
        for f in figs:
            lines.append("BENCH %s %s" % (kind, " ".join(
                "%s=%s" % (k, repr(v) if isinstance(v, float) else v)
                for k, v in f.items())))
    return "\n".join(lines) + "\n"


def user_figures(res):
    """{heap: {fig: fields}} of the "user" section, heaps in run order."""
    figs = {}
    for f in res.get("user", []):
        if "fig" in f:
            figs.setdefault(f["heap"], {})[f["fig"]] = f
    return figs


def _user_value(f, unit):
    ns = f["median_ns"]
    if unit == "MB/s":
        return 1048576 / (ns / 1e9) / 1e6
    return ns / 1e6


def markdown(runs):
    """runs: [(title, res)] -> the report as markdown."""
    lines = []
    for title, res in runs:
        lines.append("## %s" % title)
        lines.append("")
        merged = {f["merged"] for figs in res.values() for f in figs if "merged" in f}
        if merged:
            lines.append("Each figure is the median over %s runs of the benchmark of that "
                         "figure in each run (rounds: the median of the runs' rounds); "
                         "\"agree\": in every run." % "/".join(str(b) for b in sorted(merged)))
            lines.append("")
        figs = user_figures(res)
        if figs:
            runs_n = sorted({f["runs"] for h in figs.values() for f in h.values()})
            lines.append("What a user waits for, each heap beside the kernel's system heap "
                         "in the same boot, in %s rounds over every heap: times and bandwidths "
                         "are medians of the runs, \"vs system\" the median of the ratios to "
                         "the system heap's run of the same round; \"agree\": two halves of the "
                         "rounds give ratios within 10%% of each other (for the system "
                         "heap: times). Rounds are added, six at a time up to 63, while a "
                         "figure of ours does not agree."
                         % "/".join(str(n) for n in runs_n))
            lines.append("")
            head = "| heap |"
            rule = "|---|"
            for _, what, unit in USER_FIGS:
                head += " %s (%s) | vs system |" % (what, unit)
                rule += "---:|---:|"
            lines += [head + " agree |", rule + "---|"]
            for heap, hf in figs.items():
                row = "| %s |" % heap
                agree = True
                for key, _, unit in USER_FIGS:
                    f = hf.get(key)
                    if not f:
                        row += " - | - |"
                        continue
                    agree = agree and bool(f["agree"])
                    row += " %s | %.2fx |" % (_fmt(_user_value(f, unit)), f["rel_system"])
                lines.append(row + " %s |" % ("yes" if agree else "no"))
            lines.append("")
        probe = [f for f in res.get("probe", []) if "median_ns" in f]
        if probe:
            f = probe[0]
            per_gib = (f["zeroed_ns"] / 1e6 * 2 ** 30 / f["pending0"]) if f["pending0"] else 0
            lines.append("Right after probe (heap %s): %s MiB of %s MiB still to zero when the "
                         "benchmark started; the first 1 MiB allocation %s us (%.2fx a memset "
                         "of 1 MiB), the median of %d %s us (%.2fx); everything pending zeroed "
                         "%s ms after the start (%s ms per GiB pending). The system heap's "
                         "first 1 MiB allocation, just before: %s us (TCG translates every "
                         "kernel path on its first run), and this driver's first, on heap %s: "
                         "%s us."
                         % (f["heap"], _fmt(f["pending0"] / 2 ** 20), _fmt(f["size"] / 2 ** 20),
                            _fmt(f["first_ns"] / 1e3), f["first_rel"], f["allocs"],
                            _fmt(f["median_ns"] / 1e3), f["median_rel"],
                            _fmt(f["zeroed_ns"] / 1e6), _fmt(per_gib),
                            _fmt(f.get("system_first_ns", 0) / 1e3),
                            f.get("warm_heap", "none"), _fmt(f.get("warm_first_ns", 0) / 1e3)))
            lines.append("")
        alloc = [f for f in res.get("alloc", []) if "median_ns" in f]
        if alloc:
            lines += _alloc_table(alloc)
        bw = [f for f in res.get("bw", []) if "read_rel" in f]
        if bw and "rounds" in bw[0]:
            lines += _table(
                "CPU bandwidth through mmap of a %s buffer of each heap (inside one SYNC "
                "bracket), per round one write and one read pass over each beside an anonymous "
                "mapping's, each timed right after an untimed pass of its kind: medians, and the "
                "median of the per-round ratios to the anonymous mapping:" % _size(bw[0]["bytes"]),
                ["buffer", "policy", "rounds", "read (MB/s)", "vs anonymous", "write (MB/s)",
                 "vs anonymous", "agree"],
                [[f["heap"], str(f.get("policy", "-")), str(f["rounds"]),
                  _fmt(f["read_MBps"]), "%.2fx" % f["read_rel"], _fmt(f["write_MBps"]),
                  "%.2fx" % f["write_rel"], _yes(f)] for f in bw])
        imports = [f for f in res.get("import", []) if "median_ns" in f]
        if imports:
            lines += _import_table(imports)
        scale = [f for f in res.get("scale", []) if "ratio" in f]
        if scale and "big_empty_ns" in scale[0]:
            lines += _table(
                "Scale, per heap in rounds: a block of 4 KiB alloc+close with the live buffers "
                "(4-16 KiB, up to 10,000 or 80% of the region) vs on the empty heap; one of "
                "32 KiB after freeing every other (every hole smaller) vs on the empty heap; "
                "then the whole region after freeing all. Medians over the rounds; ratios: the "
                "median of the per-round ratios, each run first divided by a block of 4 KiB on "
                "the system heap next to it (the fill takes a second or more). A row marked "
                "\"the kernel's\" is the kernel's CMA heap measured alike, with as many live "
                "buffers:",
                ["heap", "live buffers", "rounds", "4 KiB empty (us)", "with them (us)", "ratio",
                 "32 KiB empty (us)", "after freeing every other (us)", "ratio",
                 "whole region after freeing all (us)", "agree"],
                [[f["heap"], "%d (%s MiB)" % (f["live"], _fmt(f["live_bytes"] / 2 ** 20)),
                  str(f["rounds"]), _fmt(f["empty_ns"] / 1e3), _fmt(f["full_ns"] / 1e3),
                  "%.2fx" % f["ratio"], _fmt(f["big_empty_ns"] / 1e3), _fmt(f["big_ns"] / 1e3),
                  "%.2fx" % f["big_ratio"],
                  "- (the kernel's)" if f.get("kernel") else
                  _ns_or_err(f["whole_ns"], f["whole_err"]), _yes(f)] for f in scale])
        elif scale:
            lines += _table(
                "Scale: 4 KiB alloc+close with the live buffers (4-16 KiB, up to 10,000 or 80% "
                "of the region) vs on the empty heap (ratio: against the mean of the empty heap "
                "before and after them), median of 51:",
                ["heap", "live buffers", "empty (us)", "with them (us)", "ratio",
                 "32 KiB after freeing every other (us)",
                 "whole region after freeing all (us)", "empty again (us)"],
                [[f["heap"], "%d (%s MiB)" % (f["live"], _fmt(f["live_bytes"] / 2 ** 20)),
                  _fmt(f["empty_ns"] / 1e3), _fmt(f["full_ns"] / 1e3), "%.2fx" % f["ratio"],
                  _ns_or_err(f["big_ns"], f["big_err"]),
                  _ns_or_err(f["whole_ns"], f["whole_err"]),
                  _fmt(f["again_ns"] / 1e3) if "again_ns" in f else "-"] for f in scale])
        paired = [f for f in res.get("paired", []) if "ratio_median" in f]
        if paired:
            p0 = paired[0]
            lines += _table(
                "Reusable heap %s against the kernel's CMA heap %s, in rounds of one block of "
                "allocations on each, the order alternating, each once the other has zeroed "
                "what it freed (ratio < 1: ours faster; per round the ratio of the block "
                "means):" % (p0["ours"], p0["kernel"]),
                ["size", "rounds", "median", "lowest", "highest", "agree"],
                [[_size(f["size"]), str(f["rounds"])] +
                 ["%.2fx" % f[k] for k in ("ratio_median", "ratio_min", "ratio_max")] +
                 [_yes(f) if "agree" in f else "-"] for f in paired])
    return "\n".join(lines).rstrip() + "\n"


def _yes(f):
    return "yes" if f.get("agree") else "no"


def _import_table(imports):
    """Import figures; logs from before the rounds (607efd1) have no rounds,
    no ratio for the first map and no agreement."""
    rounds = "rounds" in imports[0]
    if rounds:
        intro = ("Import: map + unmap of one attachment by a non-coherent device of the test "
                 "importer, per round a new attachment: its first map, then the median of %d "
                 "more (\"again\"); medians over the rounds, and the median of the per-round "
                 "ratios to the system heap's:" % imports[0]["reps"])
    else:
        intro = ("Import: map + unmap of one attachment by a non-coherent device of the test "
                 "importer (median of %d; the first map apart):" % imports[0]["reps"])
    header = ["heap", "size"] + ["rounds"] * rounds + ["first map+unmap (us)"] + \
        ["vs system"] * rounds + ["map+unmap again (us)", "vs system"] + ["agree"] * rounds
    rows = []
    for f in imports:
        row = [f["heap"], _size(f["size"])] + [str(f.get("rounds"))] * rounds
        row += [_fmt(f["first_ns"] / 1e3)]
        row += ["%.2fx" % f.get("first_rel_system", 0)] * rounds
        row += [_fmt(f["median_ns"] / 1e3), "%.2fx" % f["rel_system"]] + [_yes(f)] * rounds
        rows.append(row)
    return _table(intro, header, rows)


def _alloc_table(alloc):
    """The allocation table: a row per heap and mode, a column per size.  Logs
    from before the rounds (607efd1) have ratios to a memset, no rounds and
    no agreement."""
    sizes = sorted({f["size"] for f in alloc})
    rows = {}
    for f in alloc:
        rows.setdefault((f["mode"], f["heap"], f["kind"]), {})[f["size"]] = f
    key = "rel_system" if "rel_system" in alloc[0] else "ratio"
    # a paced run: one allocation up to 9b5c35f (reps=1), the median of three since
    paced_reps = max([f.get("reps", 1) for f in alloc if f.get("mode") == "paced"] or [1])
    if key == "rel_system":
        intro = ("Allocation + close in rounds, each over every heap (back to back: per round "
                 "a block of allocations, its mean the run; paced: per round %s, each after "
                 "20 ms of busy work, %s; a block starts once the other heaps have zeroed "
                 "what they freed): the median latency and the median of the "
                 "per-round ratios to the system heap's run; \"agree\": two halves of the "
                 "rounds give ratios within 10%% of each other, rounds being added until they "
                 "do (at most 63 back to back, %d paced):") % (
                     "%d allocations" % paced_reps if paced_reps > 1 else "one allocation",
                     "their median the run" if paced_reps > 1 else "one alone the run",
                     33 if paced_reps > 1 else 39)
    else:
        intro = "Allocation + close, median latency and ratio to one memset of the same size:"
    out = [intro,
           "", "| heap | kind | mode | rounds | " +
           " | ".join(SIZE_NAMES.get(s, str(s)) for s in sizes) + " | agree |",
           "|---|---|---|---:|" + "---:|" * len(sizes) + "---|"]
    for (mode, heap, kind), by in sorted(rows.items(), key=lambda kv: kv[0][0]):
        cells = ["%s us (%.2fx)" % (_fmt(by[s]["median_ns"] / 1e3), by[s][key])
                 if s in by else "-" for s in sizes]
        rounds = "/".join(str(n) for n in sorted({f["rounds"] for f in by.values()
                                                  if "rounds" in f})) or "-"
        agree = [f["agree"] for f in by.values() if "agree" in f]
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            heap, kind, mode, rounds, " | ".join(cells),
            ("yes" if all(agree) else "no") if agree else "-"))
    return out + [""]


def _fmt(v):
    return "%.0f" % v if v >= 100 else "%.2f" % v if v < 10 else "%.1f" % v


def _size(n):
    return SIZE_NAMES.get(n, str(n))


def _ns_or_err(ns, err):
    return "failed (errno %d)" % err if err else _fmt(ns / 1e3)


def _table(intro, header, rows):
    """A paragraph, then a table whose first column is text and the others
    right-aligned; each ends with a blank line."""
    out = [intro, "", "| %s |" % " | ".join(header),
           "|---|" + "---:|" * (len(header) - 1)]
    out += ["| %s |" % " | ".join(r) for r in rows]
    return out + [""]


# --- SVG -------------------------------------------------------------------

COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
           "#da8bc3", "#8c8c8c"]
W, PANEL_H, LEFT, TOP = 760, 230, 150, 30


def _bar_panel(y0, title, items, unit, log=False):
    """Horizontal bars: items [(label, value, is_kernels)]."""
    if not items:
        return [], y0
    out = ['<text x="10" y="%d" font-weight="bold">%s</text>' % (y0 + 16, html.escape(title))]
    vmax = max(v for _, v, _ in items) or 1
    bar_w = W - LEFT - 90
    y = y0 + TOP
    for label, v, kernels in items:
        frac = (math.log10(1 + v) / math.log10(1 + vmax)) if log else v / vmax
        w = max(1, int(bar_w * frac))
        colour = "#8c8c8c" if kernels else COLOURS[0]
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (LEFT - 6, y + 11, html.escape(label)))
        out.append('<rect x="%d" y="%d" width="%d" height="14" fill="%s"/>'
                   % (LEFT, y, w, colour))
        out.append('<text x="%d" y="%d">%s %s</text>' % (LEFT + w + 4, y + 11, _fmt(v), unit))
        y += 18
    return out, y + 10


def _line_panel(y0, title, series):
    """Latency vs size on log-log axes: series {label: [(size, us)]}."""
    pts = [p for s in series.values() for p in s]
    if not pts:
        return [], y0
    out = ['<text x="10" y="%d" font-weight="bold">%s</text>' % (y0 + 16, html.escape(title))]
    x0, x1 = LEFT, W - 160
    ya, yb = y0 + TOP, y0 + PANEL_H - 20
    smin, smax = min(p[0] for p in pts), max(p[0] for p in pts)
    vmin, vmax = min(p[1] for p in pts), max(p[1] for p in pts)
    lsx = (math.log10(smax) - math.log10(smin)) or 1
    lsy = (math.log10(vmax) - math.log10(max(vmin, 1e-3))) or 1

    def px(s):
        return x0 + (x1 - x0) * (math.log10(s) - math.log10(smin)) / lsx

    def py(v):
        return yb - (yb - ya) * (math.log10(max(v, 1e-3)) - math.log10(max(vmin, 1e-3))) / lsy

    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, yb, x1, yb))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, ya, x0, yb))
    for s in sorted({p[0] for p in pts}):
        out.append('<text x="%.0f" y="%d" text-anchor="middle">%s</text>'
                   % (px(s), yb + 14, SIZE_NAMES.get(s, str(s))))
    out.append('<text x="%d" y="%d" text-anchor="end">%s us</text>' % (x0 - 6, ya + 10, _fmt(vmax)))
    out.append('<text x="%d" y="%d" text-anchor="end">%s us</text>' % (x0 - 6, yb, _fmt(vmin)))
    for i, (label, s) in enumerate(series.items()):
        c = COLOURS[i % len(COLOURS)]
        s = sorted(s)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (c, " ".join("%.1f,%.1f" % (px(a), py(b)) for a, b in s)))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>'
                   % (x1 + 10, ya + 12 + 14 * i, c, html.escape(label)))
    return out, y0 + PANEL_H


def svg(title, res):
    """One run's chart: alloc latency vs size, mapping/frame cost and
    bandwidth per heap (the kernel's heaps in grey)."""
    body = ['<text x="10" y="18" font-size="15" font-weight="bold">%s</text>'
            % html.escape(title)]
    y = 28
    series = {}
    for f in res.get("alloc", []):
        if "median_ns" in f and f["mode"] == "back-to-back":
            series.setdefault(f["heap"], []).append((f["size"], f["median_ns"] / 1e3))
    part, y = _line_panel(y, "alloc + close latency, back to back (log-log)", series)
    body += part
    figs = user_figures(res)
    for key, what, unit in USER_FIGS:
        items = [(heap, _user_value(hf[key], unit), heap == "system")
                 for heap, hf in figs.items() if key in hf]
        part, y = _bar_panel(y, what, items, unit)
        body += part
    items = [("%s %s" % (f["heap"], SIZE_NAMES.get(f["size"], str(f["size"]))),
              f["median_ns"] / 1e3, f["heap"] == "system")
             for f in res.get("import", []) if "median_ns" in f]
    part, y = _bar_panel(y, "import: map + unmap again", items, "us")
    body += part
    items = [(f["heap"], f["ratio"], bool(f.get("kernel"))) for f in res.get("scale", [])
             if "ratio" in f]
    part, y = _bar_panel(y, "scale: 4 KiB alloc with the live buffers, vs the empty heap",
                         items, "x")
    body += part
    items = [(f["heap"], f["big_ratio"], bool(f.get("kernel"))) for f in res.get("scale", [])
             if "big_ratio" in f]
    part, y = _bar_panel(y, "scale: 32 KiB alloc after freeing every other, vs the empty heap",
                         items, "x")
    body += part
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'font-family="sans-serif" font-size="11">\n'
            '<rect width="100%%" height="100%%" fill="white"/>\n%s\n</svg>\n'
            % (W, y + 10, "\n".join(body)))
