"""make demo: the seed article's walk-through, on a ZCU102 guest with the heap.

Boots kernel 6.1 (Debian 12, PetaLinux 2023.x era) on QEMU's ZCU102 model
with the lab's default overlay and shows, a line of explanation each, what
one would check on a board.
"""

import os

from . import qemu, scenario, util

SCRIPT = os.path.join(util.TOP, "lab", "guest", "demo.sh")


def main():
    qemu.stop_on_sigterm()
    kname, mname = os.environ.get("DEMO_KERNEL", "6.1"), os.environ.get("DEMO_MACHINE", "zcu102")
    out = os.path.join(util.OUT, "demo")

    def body(t, _res):
        return "\n".join(scenario.load_lines(t) + [scenario.COMMAND_LINE])
    util.say("preparing kernel %s and the %s guest (the first run builds the kernel: "
             "about 5 minutes)" % (kname, mname))
    with open(SCRIPT) as f:
        script = f.read()
    sc = scenario.prepare(kname, mname, body, out, env={"LAB_KMEMLEAK": "0"}, command=script)
    log = os.path.join(out, "console.log")
    util.say("booting; console log: %s" % log)
    rc, _, v = scenario.run_command(sc, log)
    if rc != 0 or not v.ok:
        util.say("the demo did not finish cleanly (%s); console log: %s" % (v.reason(), log))
        return 1
    return 0


if __name__ == "__main__":
    util.run_main(main)
