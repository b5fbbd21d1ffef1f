"""make bench: allocation latency and CPU bandwidth, on arm64 guests.

Builds kernels without the debug options and KASAN (they would dominate
every figure), boots them with the lab's default overlay and runs
rmem_heap_bench, which measures our heaps beside the kernel's own system
and CMA heaps in the same boot and prints ratios to one memset.

    python3 -m lab.bench [--kernels "6.12"] [--machines "virt zcu102"]
"""

import argparse
import os
import sys

from . import qemu, scenario, util

def body(t, _res):
    return "\n".join(scenario.load_lines(t) + [scenario.COMMAND_LINE])


def main(argv=None):
    qemu.stop_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or "6.12")
    ap.add_argument("--machines", default=os.environ.get("MACHINES") or "virt zcu102")
    args = ap.parse_args(argv)
    status = 0
    for k in scenario.resolve(args.kernels.split()):
        for m in args.machines.split():
            out = os.path.join(util.OUT, "bench", "%s-%s" % (k, m))
            sc = scenario.prepare(k, m, body, out, debug=False, command="rmem_heap_bench\n")
            if sc["machine"].arch != "arm64":
                util.say("skipping %s: the benchmark runs on arm64 guests" % m)
                continue
            log = os.path.join(out, "console.log")
            util.say("benchmarking kernel %s (no debug options) on %s; console log: %s"
                     % (k, m, log))
            print("\n## kernel %s, machine %s" % (k, m))
            rc, _, _ = scenario.run_command(sc, log)
            if rc != 0:
                print("the benchmark did not finish; see %s" % log)
                status = 1
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except util.LabError as e:
        print("lab: %s" % e, file=sys.stderr)
        sys.exit(1)
