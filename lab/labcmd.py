"""tools/lab: boot a lab guest with the heap, for people.

    tools/lab --kernel K --machine M [--dtso FILE] [--add FILE]... [-- COMMAND...]

Without a command: an interactive shell on the guest's console (leave QEMU
with Ctrl-A x). With one: the files given with --add are copied to /host in
the guest, the command runs there, its output is printed, and its exit
status becomes tools/lab's. The test programs are on the guest's PATH.
"""

import argparse
import os
import shlex
import sys

from . import machine, qemu, scenario, util


def body_for(command):
    def body(t, _res):
        lines = scenario.load_lines(t)
        lines.append("mkdir -p /host; cd /host")
        if command is None:
            lines.append("echo 'lab: the heap is loaded; leave QEMU with Ctrl-A x'")
            lines.append("setsid cttyhack sh -l")
        else:
            lines.append(scenario.COMMAND_LINE)
        return "\n".join(lines) + "\n"
    return body


def main(argv=None):
    qemu.stop_on_sigterm()
    argv = sys.argv[1:] if argv is None else argv
    command = None
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog="tools/lab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True,
                    help="6.1, 6.12, newest (or its series), debian, intree")
    ap.add_argument("--machine", required=True, choices=machine.names())
    ap.add_argument("--dtso", help="overlay to apply instead of the machine's default")
    ap.add_argument("--add", action="append", default=[], help="host file to copy to /host")
    ap.add_argument("--timeout", type=int, default=None, help="seconds (default: machine's)")
    ap.add_argument("--nodebug", action="store_true",
                    help="the kernel make bench boots (no KASAN, lockdep, kmemleak, DMA-API "
                         "debug): for timing; arm64 lab kernels only")
    args = ap.parse_args(argv)
    if command is not None and not command:
        ap.error("nothing after --")
    args.kernel = scenario.resolve([args.kernel])[0]
    mach = machine.Machine(args.machine)
    if not scenario.runs_on(args.kernel, mach):
        ap.error("kernel %s does not run on %s" % (args.kernel, args.machine))
    if args.nodebug and (not args.kernel[0].isdigit() or mach.arch != "arm64"):
        ap.error("--nodebug: make bench's kernels are the arm64 lab kernels")
    out = os.path.join(util.OUT, "lab", "%s-%s%s" % (args.kernel, args.machine,
                                                     "-nodebug" if args.nodebug else ""))
    extra = []
    for f in args.add:
        if not os.path.isfile(f):
            ap.error("no such file: %s" % f)
        extra.append(("host/" + os.path.basename(f), os.path.abspath(f)))
    sc = scenario.prepare(args.kernel, args.machine, body_for(command), out,
                          overlay=os.path.abspath(args.dtso) if args.dtso else None,
                          extra_files=extra, debug=not args.nodebug,
                          command=None if command is None else shlex.join(command) + "\n")
    log = os.path.join(out, "console.log")
    if command is None:
        util.say("booting kernel %s on %s (console log not kept in interactive mode)"
                 % (args.kernel, args.machine))
        _, _, rc = scenario.boot(sc, log, interactive=True)
        return rc
    util.say("booting kernel %s on %s; console log: %s" % (args.kernel, args.machine, log))
    rc, _, v = scenario.run_command(sc, log, timeout=args.timeout)
    for kind, line in v.reports[:5]:
        util.say("kernel %s report: %s" % (kind, line))
    if rc is None:
        util.say("the command did not finish (%s); console log: %s" % (v.reason(), log))
        return 125
    if v.reports and rc == 0:
        util.say("the command passed but the kernel reported problems; console log: %s" % log)
        return 3
    return rc


if __name__ == "__main__":
    util.run_main(main, 125)
