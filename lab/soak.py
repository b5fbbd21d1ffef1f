"""make soak: the stress suite (selftests/rmem_heap_stress.c) for a given time.

Boots each debug guest (KASAN on arm64, lockdep, kmemleak) of the matrix in
turn with the lab's default overlay and the test importer loaded, and runs
rmem_heap_stress for SOAK_MINUTES (default 30) instead of make check's
20 seconds; then prints, per guest, cycles per second per heap, the seed,
the suite's results and the judge's verdict (kernel reports, kmemleak).

    python3 -m lab.soak [--minutes 30] [--kernels "7.3"] [--machines "zcu102"]
"""

import argparse
import os
import re

from . import judge, machine, qemu, scenario, tap, util

SUITE = "stress"
RATE = re.compile(r"^# rate (\S+) ([\d.]+) cycles/s \((\d+) cycles, (\d+) ENOMEM retries\)")
SEED = re.compile(r"^# seed (\d+)")


def body(t, res, seconds):
    """Load the driver and the test importer, then the stress suite alone."""
    lines = scenario.load_lines(t)
    lines.append("insmod /lab/%s.ko || echo '### lab: insmod %s failed'"
                 % (scenario.IMPORTER_KO, scenario.IMPORTER_KO))
    lines.append("lab_suite %s env RMEM_STRESS_SECONDS=%d ./rmem_heap_stress" % (SUITE, seconds))
    return "\n".join(lines) + "\n"


def summary(text):
    """(rates [(heap, per second, cycles, enomem)], seed, passed, failed) of a console."""
    rates, seed = [], None
    for line in text.splitlines():
        line = line.replace("\r", "")
        m = RATE.match(line)
        if m:
            rates.append((m.group(1), float(m.group(2)), int(m.group(3)), int(m.group(4))))
        m = SEED.match(line)
        if m:
            seed = m.group(1)
    suites = [s for s in tap.parse(text) if s.name == SUITE]
    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites) if suites else 1
    return rates, seed, passed, failed


def main(argv=None):
    qemu.stop_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float,
                    default=float(os.environ.get("SOAK_MINUTES") or 30))
    ap.add_argument("--kernels", default=os.environ.get("KERNELS") or "")
    ap.add_argument("--machines", default=os.environ.get("MACHINES") or "")
    args = ap.parse_args(argv)
    seconds = max(1, int(args.minutes * 60))
    kernels = scenario.resolve(args.kernels.split()) if args.kernels.split() \
        else scenario.kernels()
    machines = args.machines.split() or machine.check_names()
    status = 0
    for k in kernels:
        for m in machines:
            mach = machine.Machine(m)
            if mach.body != "full" or not scenario.runs_on(k, mach):
                continue
            out = os.path.join(util.OUT, "soak", "%s-%s" % (k, m))
            sc = scenario.prepare(k, m, lambda t, res: body(t, res, seconds), out)
            log = os.path.join(out, "console.log")
            util.say("soaking kernel %s on %s for %d s; console log: %s" % (k, m, seconds, log))
            # the machine's limit is for make check's guests: add the soak
            text, timed_out, _ = scenario.boot(sc, log, timeout=mach.timeout + seconds)
            v = judge.judge(text, timed_out, qemu_err=qemu.stderr_text(log))
            rates, seed, passed, failed = summary(text)
            print("\n## kernel %s, machine %s: %d s, seed %s" % (k, m, seconds, seed))
            for heap, rate, cycles, enomem in rates:
                print("  %-18s %8.1f cycles/s  %9d cycles  %7d ENOMEM retries"
                      % (heap, rate, cycles, enomem))
            print("  stress: %d passed, %d failed; judge: %s"
                  % (passed, failed, "ok" if v.ok else v.reason()))
            for kind, line in v.reports[:5]:
                print("  kernel %s report: %s" % (kind, line))
            if failed or not passed or not v.ok or not rates:
                status = 1
    return status


if __name__ == "__main__":
    util.run_main(main)
