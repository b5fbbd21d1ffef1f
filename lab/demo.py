"""make demo: the seed article's walk-through, on a ZCU102 guest with the heap.

Boots kernel 6.1 (Debian 12, PetaLinux 2023.x era) on QEMU's ZCU102 model
with the lab's default overlay and shows, a line of explanation each, what
one would check on a board.
"""

import os
import sys

from . import scenario, util

SCRIPT = r"""
step() { echo; echo "== $*"; }
step "Boot log: the kernel reserved the regions of the device tree's reserved-memory node"
dmesg | grep -E 'OF: reserved mem: (initialized|0x)|cma: Reserved' | sed 's/^\[[^]]*\] //'
step "/proc/iomem: the no-map regions are cut out of System RAM (the kernel never maps them)"
grep -E 'System RAM|reserved' /proc/iomem | grep -v '^ '
step "The module's probe lines: one heap per region and policy (base, size, type, cache policy)"
dmesg | grep 'rmem-heap' | grep ': heap ' | sed 's/^\[[^]]*\] //'
step "...and the lab overlay's three broken nodes, each refused with one line naming node and reason"
dmesg | grep 'rmem-heap rmem-heap-bad' | sed 's/^\[[^]]*\] //'
step "/dev/dma_heap: our heaps beside the kernel's own system and CMA heaps"
ls /dev/dma_heap
step "Each heap's figures in sysfs (/sys/class/rmem_heap/rmem)"
for a in type policy zero_pending size used free largest_free buffers peak_used failed; do
	printf '   %-13s %s\n' "$a" "$(cat /sys/class/rmem_heap/rmem/$a)"
done
step "A buffer's life: allocate, map, write, read back, import into vgem, free"
rmem_heap_demo rmem 1048576
"""


def main():
    kname, mname = os.environ.get("DEMO_KERNEL", "6.1"), os.environ.get("DEMO_MACHINE", "zcu102")
    out = os.path.join(util.OUT, "demo")

    def body(t, _res):
        return "\n".join(scenario.load_lines(t) + [scenario.command_body(SCRIPT)])
    util.say("preparing kernel %s and the %s guest (the first run builds the kernel: "
             "about 5 minutes)" % (kname, mname))
    sc = scenario.prepare(kname, mname, body, out, env={"LAB_KMEMLEAK": "0"})
    log = os.path.join(out, "console.log")
    util.say("booting; console log: %s" % log)
    rc, _, v = scenario.run_command(sc, log)
    if rc != 0 or not v.ok:
        util.say("the demo did not finish cleanly (%s); console log: %s" % (v.reason(), log))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except util.LabError as e:
        print("lab: %s" % e, file=sys.stderr)
        sys.exit(1)
