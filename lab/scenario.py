"""Everything a guest boot needs: target kernel, built files, DTB, initramfs.

Shared by the matrix (lab/check.py) and the lab command for people
(tools/lab).
"""

import glob
import os
import re
import subprocess
import sys

from . import build, dtb, fetch, initramfs, kernel, machine, util

# Lab kernels built from Debian's source packages, besides the moving one.
PINNED = ["6.1", "6.12"]
DRIVER = os.path.join(util.TOP, "driver")
JUDGE_KMOD = os.path.join(util.TOP, "selftests", "judge-kmod")
# The test importer (rmem_heap_import's kernel side): built like the driver,
# W=1 and sparse, for every target.
IMPORTER = os.path.join(util.TOP, "selftests", "importer")
IMPORTER_KO = "rmem_heap_importer"
INTREE_FRAG = os.path.join(util.TOP, "lab", "configs", "intree.config")
INTREE_BASE = "6.12"


def kernels():
    """The matrix's kernel names, in table order: the pinned series, the
    moving kernel by its series (7.3 today), Debian's and the in-tree one."""
    newest = fetch.newest_kernel()[0]
    return PINNED + ([newest] if newest not in PINNED else []) + ["debian", "intree"]


def resolve(names):
    """Map kernel names as users give them ("newest" included) to matrix names."""
    known = kernels()
    out = []
    for n in names:
        if n == "newest":
            n = fetch.newest_kernel()[0]
        if n not in known:
            raise util.LabError("unknown kernel %r (known: %s, newest)" % (n, " ".join(known)))
        if n not in out:
            out.append(n)
    return out


def runs_on(kname, mach):
    """The distribution and in-tree kernels are arm64 kernels for virt only."""
    if kname in ("debian", "intree"):
        return mach.name == "virt"
    return True


_targets = {}


def target(kname, arch, debug=True):
    """Build (or find) kernel kname for arch; return (build.Target, image).

    debug=False: the benchmark's kernel, without debug options and KASAN.
    """
    key = (kname, arch, debug)
    if key in _targets:
        return _targets[key]
    if kname == "debian":
        if arch != "arm64":
            raise util.LabError("the debian kernel is arm64 only")
        d = fetch.distro_kernel()
        root = d["root"]
        if not os.path.exists(os.path.join(d["modules"], "modules.dep")):
            subprocess.run(["depmod", "-b", root, d["release"]], check=True)
        cfg = glob.glob(os.path.join(root, "boot", "config-*"))[0]
        t = build.Target("debian", arch, d["kdir"], fetch.kernel_source("6.1"),
                         kernel.uapi("6.1", arch), d["release"], kernel.read_config(cfg))
        t.modules_root = d["modules"]
        image = d["image"]
    else:
        intree = kname == "intree"
        base = INTREE_BASE if intree else kname
        k = kernel.build(base, arch, extra_frags=[INTREE_FRAG] if intree else (),
                         intree=build.place_in_tree if intree else None, debug=debug)
        t = build.Target(kname + ("" if debug else "-nodebug"), arch, k.build, fetch.kernel_source(base),
                         kernel.uapi(base, arch), k.release, k.config(), builtin=intree)
        t.modules_root = None
        t.kernel = k
        image = k.image
    _targets[key] = (t, image)
    return _targets[key]


_built = {}


def built(t):
    """Build our modules and the test programs for target t (once a run).

    Returns a dict: kos (name -> path), warnings (list), logs, tests.
    """
    key = (t.name, t.arch)
    if key in _built:
        return _built[key]
    out = os.path.join(util.OUT, "build", "%s-%s" % (t.name, t.arch))
    res = {"kos": {}, "warnings": [], "logs": [], "errors": []}
    if not t.builtin:
        try:
            # The cache model checks every debug guest (not the benchmark's).
            model = [] if t.name.endswith("-nodebug") else [
                "CONFIG_DMABUF_HEAPS_RMEM_CACHE_MODEL=y"]
            kos, warns, log = build.kmod(t, DRIVER, out, "rmem_heap", extra=model,
                                         strict=True)
            res["kos"].update(kos)
            res["warnings"] += warns
            res["logs"].append(log)
        except util.LabError as e:
            res["errors"].append(str(e))
    try:
        kos, _, log = build.kmod(t, JUDGE_KMOD, out, "the judge's WARN module")
        res["kos"].update(kos)
    except util.LabError as e:
        res["errors"].append(str(e))
    try:
        kos, warns, log = build.kmod(t, IMPORTER, out, "the test importer", strict=True)
        res["kos"].update(kos)
        res["warnings"] += warns
        res["logs"].append(log)
    except util.LabError as e:
        res["errors"].append(str(e))
    res["tests"] = build.tests(t, out)
    _built[key] = res
    return res


def kunit_available(t, res):
    if t.builtin:
        return True
    return "rmem_heap_kunit" in res["kos"]


# Parameters of the kernel's test drivers that the suites import into, one
# declaration for both ways a kernel has them: built in (the lab kernels:
# "<module>.<param>=<value>" on the kernel command line, kernel_params()) or
# as modules (Debian's kernel: modprobe's arguments, load_lines()).
# vivid: its first instance's queues allocate with dma-contig (1), not
# vmalloc (0), so that vivid's device attaches and maps the dma-bufs it
# imports through the DMA API as a hardware driver does (rmem_heap_v4l2).
DRIVER_PARAMS = {"vivid": ["allocators=1"]}


def kernel_params(t):
    """The kernel command line's part of DRIVER_PARAMS for target t: the
    parameters of drivers built into it (none where they are modules)."""
    if t.modules_root:
        return ""
    return " ".join("%s.%s" % (mod, p) for mod in sorted(DRIVER_PARAMS)
                    for p in DRIVER_PARAMS[mod])


def modprobe(mod):
    return " ".join(["modprobe", mod] + DRIVER_PARAMS.get(mod, []))


# videobuf2's __prepare_dmabuf(): 6.1 puts the reference it took on a
# plane's dma-buf when the exporter refuses the attach; from 6.12 (and up to
# 7.3 at least) the error path releases only the planes already attached, so
# the refused dma-buf stays referenced for good.  rmem_heap_v4l2 then skips
# the coherent heap's refusal (which would pin its buffer and our module)
# instead of leaking; the skip is listed in lab/expected-skips.conf.
VB2_CORE = os.path.join("drivers", "media", "common", "videobuf2", "videobuf2-core.c")


def vb2_keeps_refused(ksrc):
    """Does the vb2 of the kernel source tree ksrc keep a dma-buf whose
    attach failed?  Decided from its source: the branch after "failed to
    attach dmabuf" has no dma_buf_put() before its goto."""
    try:
        with open(os.path.join(ksrc, VB2_CORE)) as f:
            text = f.read()
    except OSError:
        return False
    m = re.search(r'"failed to attach dmabuf\\n"\);(.*?)\bgoto\b', text, re.S)
    return bool(m) and "dma_buf_put" not in m.group(1)


def v4l2_line(t):
    """The body line of the V4L2 suite (rmem_heap_v4l2) for target t."""
    env = "env RMEM_HEAP_VB2_KEEPS_REFUSED=1 " if vb2_keeps_refused(t.ksrc) else ""
    return "lab_suite v4l2 %s./rmem_heap_v4l2" % env


# Modules a distribution kernel's guest loads (lab kernels build them in).
DISTRO_MODULES = ("vgem", "vivid", "brd")


def load_lines(t):
    """Init lines that load the importers (distribution kernel) and the driver."""
    lines = []
    if t.modules_root:
        lines.append("%s; %s" % (modprobe("vgem"), modprobe("vivid")))
        # brd: /dev/ram0 for the o_direct tests (built in on lab kernels)
        lines.append("modprobe brd rd_nr=1 rd_size=4096")
    if not t.builtin:
        lines.append("insmod /lab/rmem_heap.ko || echo '### lab: insmod rmem_heap failed'")
    return lines


# rmem-heapctl (tools/rmem-heapctl): its text output and error messages
# (heapctl.sh), its --json output checked against RMEM_HEAP_IOC_INFO
# (rmem_heapctl_test). Both set the module parameter bus_addr and put it
# back; both want the heaps idle, so they run after the other suites'
# buffers are gone and before the module is unloaded.
HEAPCTL_LINES = ["lab_suite heapctl sh /etc/lab/heapctl.sh",
                 "lab_suite rmem_heapctl_test ./rmem_heapctl_test"]


# Operations of the fuzz suite per guest (the reliability issue asks for
# 200,000), by two threads per heap: on the slowest guest (6.1 zcu102,
# KASAN) four took a third longer than two (Documentation/rmem-heap.rst,
# "Fuzzing"); `make fuzz-soak` runs 10 million.
FUZZ_OPS = 200000
FUZZ_THREADS = 2


def test_body(t, res, heaps=(), lifetime_loops=10):
    """The init script's body that loads the driver and runs every suite."""
    lines = load_lines(t)
    lines.append("insmod /lab/%s.ko || echo '### lab: insmod %s failed'"
                 % (IMPORTER_KO, IMPORTER_KO))
    if heaps:
        lines.append("lab_suite heaps sh /etc/lab/heaps.sh %s" % " ".join(heaps))
    lines.append("lab_suite rmem_heap_test ./rmem_heap_test")
    lines.append("lab_suite rmem_heap_ctl ./rmem_heap_ctl")
    if "rmem_heap_ctl32" in res.get("tests", {}):
        # the same uAPI tests from a 32-bit process (CONFIG_COMPAT)
        lines.append("lab_suite rmem_heap_ctl32 ./rmem_heap_ctl32")
    lines.append("lab_suite rmem_heap_import ./rmem_heap_import")
    lines.append(v4l2_line(t))
    lines.append("lab_suite dmabuf-heap sh /etc/lab/dmabuf-heap.sh")
    # allocation failures injected (failslab, fail_page_alloc; fail-nth)
    lines.append("lab_suite fault ./rmem_heap_fault")
    lines.append("lab_suite fuzz sh /etc/lab/fuzz.sh %d %d" % (FUZZ_OPS, FUZZ_THREADS))
    lines += HEAPCTL_LINES
    if t.builtin:
        lines.append("lab_suite kunit sh /etc/lab/kunit.sh")
    elif kunit_available(t, res):
        lines.append("lab_suite kunit sh /etc/lab/kunit.sh /lab/rmem_heap_kunit.ko")
    else:
        lines.append("lab_skip_suite kunit 'KUnit is not built for kernel %s'" % t.name)
    # every heap under load at once (RMEM_STRESS_SECONDS; make soak: longer)
    lines.append("lab_suite stress ./rmem_heap_stress")
    if not t.builtin:
        # a module load takes about 3 s on a KASAN guest under TCG and a
        # fraction of that without: the full 100 cycles where loads are cheap
        loops = lifetime_loops if t.config.get("CONFIG_KASAN") == "y" else 100
        lines.append("lab_suite lifetime env RMEM_LIFETIME_LOOPS=%d sh /etc/lab/lifetime.sh"
                     % loops)
    return "\n".join(lines) + "\n"


def highmem_body(t, res, heaps=(), lifetime_loops=0):
    """The body of a machine with RAM above 4 GiB (virt-high): its heaps
    probed, then the highmem suite alone (64- and 32-bit importers of a
    region above and one below 4 GiB)."""
    lines = load_lines(t)
    lines.append("insmod /lab/%s.ko || echo '### lab: insmod %s failed'"
                 % (IMPORTER_KO, IMPORTER_KO))
    if heaps:
        lines.append("lab_suite heaps sh /etc/lab/heaps.sh %s" % " ".join(heaps))
    lines.append("lab_suite rmem_heap_highmem ./rmem_heap_highmem")
    return "\n".join(lines) + "\n"


# A machine's "body" (lab/machines/*.conf): what its test boots run.
BODIES = {"full": test_body, "highmem": highmem_body}


def machine_body(mach):
    """The body function of mach's test boots: f(t, res) -> script."""
    if mach.body not in BODIES:
        raise util.LabError("%s: unknown body %r (known: %s)"
                            % (mach.path, mach.body, ", ".join(sorted(BODIES))))
    f = BODIES[mach.body]
    return lambda t, res: f(t, res, mach.heaps, lifetime_loops=mach.lifetime_loops)


# Kernel command line of the bounce guest: every device bounces through
# swiotlb, as behind a restricted-dma-pool; 32 MiB of bounce buffers (16384
# slabs of 2 KiB: arm64 otherwise shrinks them to 2 MiB, too few for two
# devices mapping 1 MiB at once).
BOUNCE_APPEND = "swiotlb=16384,force"


def bounce_body(t, res):
    """The body of a guest booted with BOUNCE_APPEND: the import suite only
    (no-map heaps must refuse every device, reusable ones must still move
    the data through the bounce buffers)."""
    lines = load_lines(t)
    lines.append("insmod /lab/%s.ko || echo '### lab: insmod %s failed'"
                 % (IMPORTER_KO, IMPORTER_KO))
    lines.append("lab_suite rmem_heap_import ./rmem_heap_import")
    return "\n".join(lines) + "\n"


# The broken-bindings boot: the machine's broken overlay after its own, and
# the cases' table, which the guest script compares the kernel log with.
BROKEN_TABLE = os.path.join(util.TOP, "lab", "broken-bindings.conf")
BROKEN_TABLE_GUEST = "etc/lab/broken-bindings.conf"
# The heap of the machine's own overlay that must allocate on that boot.
BROKEN_GOOD_HEAP = "rmem"


def broken_body(kname):
    """The body of kernel kname's broken-bindings boot: the driver loaded
    (the broken nodes probe and fail), then the table's cases judged."""
    def body(t, res):
        lines = load_lines(t)
        lines.append("lab_suite broken-bindings sh /etc/lab/broken-bindings.sh %s /%s %s"
                     % (kname, BROKEN_TABLE_GUEST, BROKEN_GOOD_HEAP))
        return "\n".join(lines) + "\n"
    return body


def prepare_broken(kname, mname, outdir):
    """prepare() of kname's broken-bindings boot on mname."""
    mach = machine.Machine(mname)
    if not mach.broken_overlay:
        raise util.LabError("%s: no broken-bindings overlay (key \"broken\")" % mach.path)
    return prepare(kname, mname, broken_body(kname), outdir,
                   more_overlays=[mach.broken_overlay],
                   extra_files=[(BROKEN_TABLE_GUEST, BROKEN_TABLE)])


def files(t, res, extra=()):
    f = [("lab/" + n, p) for n, p in res["tests"].items()]
    f += [("lab/%s.ko" % n, p) for n, p in res["kos"].items()]
    return f + list(extra)


def prepare(kname, mname, body, outdir, overlay=None, extra_files=(), debug=True, env=None,
            command=None, more_overlays=(), bare=False):
    """Build what a boot of kname on mname needs; return a dict for boot().

    bare: the initramfs carries only extra_files, not the lab's modules and
    test programs (the board bundle brings its own)."""
    mach = machine.Machine(mname)
    t, image = target(kname, mach.arch, debug)
    res = built(t)
    if res["errors"] or not (t.builtin or "rmem_heap" in res["kos"]):
        raise util.LabError("the module did not build for kernel %s/%s: %s (log: %s)"
                            % (kname, mach.arch, "; ".join(res["errors"]) or "no rmem_heap.ko",
                               ", ".join(res["logs"])))
    util.ensure_dir(outdir)
    tree = dtb.build(mach, getattr(t, "kernel", None), outdir, overlay, more_overlays)
    body = body(t, res) if callable(body) else body
    ird = initramfs.build(os.path.join(outdir, "initramfs.cpio"), mach.debian_arch, body,
                          mach.poweroff,
                          list(extra_files) if bare else files(t, res, extra_files),
                          modules_root=t.modules_root,
                          modules=DISTRO_MODULES if t.modules_root else (), env=env,
                          command=command)
    return {"machine": mach, "target": t, "res": res, "image": image, "dtb": tree,
            "initrd": ird, "append": kernel_params(t)}


def boot(sc, log, append="", **kw):
    """qemu.boot() of a prepared guest: its kernel parameters, then append."""
    from . import qemu
    return qemu.boot(sc["machine"], sc["image"], sc["dtb"], sc["initrd"], log,
                     append=" ".join(a for a in (sc["append"], append) if a), **kw)


# The board bundle (make board-bundle, tools/board-bundle/): made for a
# target as a board user makes it, then unpacked and run in a guest by
# lab/guest/board-bundle.sh.
BOARD_BUNDLE_SUITE = "board-bundle"


def board_bundle(t, outdir):
    """Run `make board-bundle` for target t into outdir; return the tarball."""
    incs, lib = fetch.libdrm({"arm64": "arm64", "arm": "armhf"}[t.arch])
    log = os.path.join(outdir, "make-board-bundle.log")
    util.ensure_dir(outdir)
    open(log, "w").close()
    util.run_logged(["make", "-C", util.TOP, "--no-print-directory", "board-bundle",
                     "KDIR=" + t.kdir, "ARCH=" + t.arch, "CROSS_COMPILE=" + build.CROSS[t.arch],
                     "KSRC=" + t.ksrc, "UAPI=" + t.uapi,
                     "DRM_CFLAGS=" + " ".join("-I" + i for i in incs), "DRM_LIB=" + lib,
                     "OUT=" + outdir], log, "make board-bundle for kernel %s/%s"
                    % (t.name, t.arch))
    with open(log) as f:
        lines = [l.strip() for l in f if l.strip().endswith(".tar.gz")]
    if not lines or not os.path.exists(lines[-1]):
        raise util.LabError("make board-bundle named no tarball (log: %s)" % log)
    return lines[-1]


def board_bundle_body(t, tarball, heaps):
    """The body of the guest that runs the bundle as a board user would
    (on a distribution kernel, after loading its importers as load_lines())."""
    pre = [l for l in load_lines(t) if "rmem_heap" not in l]
    return "".join(l + "\n" for l in pre) + ("lab_suite %s sh /etc/lab/board-bundle.sh /lab/%s %s\n"
            "lab_suite %s-results sh /etc/lab/board-bundle.sh --results\n"
            % (BOARD_BUNDLE_SUITE, os.path.basename(tarball), " ".join(heaps),
               BOARD_BUNDLE_SUITE))


# The body line that runs prepare()'s command between the markers that
# run_command() looks for.
COMMAND_LINE = "lab_command /etc/lab/command.sh"


def run_command(sc, log, timeout=None, stream=None):
    """Boot a prepared guest whose body runs COMMAND_LINE.

    What the command prints goes to stream (default stdout) as it arrives.
    Returns (exit status, or None if the command did not finish; console
    text; the judge's verdict).
    """
    from . import judge, qemu
    out = stream or sys.stdout
    state = {"on": False}

    def echo(line):
        if line.startswith("### lab: command end"):
            state["on"] = False
        if state["on"]:
            out.write(line.replace("\r", ""))
            out.flush()
        if line.startswith("### lab: command begin"):
            state["on"] = True
    text, timed_out, _ = boot(sc, log, timeout=timeout, echo=echo)
    m = re.search(r"^### lab: command end rc=(\d+)", text, re.M)
    return (int(m.group(1)) if m else None), text, judge.judge(text, timed_out)
