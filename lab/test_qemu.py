"""Unit tests of lab/qemu.py: no guest is left behind.

    python3 -m unittest discover -s lab -t . -p 'test_*.py' -v
"""

import os
import signal
import tempfile
import threading
import time
import types
import unittest

from lab import qemu


class InterruptTest(unittest.TestCase):
    def test_sigterm_ends_the_guest(self):
        """tools/lab or make bench killed while a guest runs: the guest goes too."""
        with tempfile.TemporaryDirectory() as d:
            pidfile = os.path.join(d, "pid")
            # a stand-in for QEMU: sh, then sleep in its place
            machine = types.SimpleNamespace(
                qemu="sh", options=["-c", "echo $$ > %s; exec sleep 60" % pidfile, "sh"],
                console="ttyAMA0", cmdline="", timeout=120)
            old = signal.getsignal(signal.SIGTERM)
            qemu.stop_on_sigterm()

            def term():
                for _ in range(100):
                    if os.path.exists(pidfile) and os.path.getsize(pidfile):
                        break
                    time.sleep(0.05)
                os.kill(os.getpid(), signal.SIGTERM)
            threading.Thread(target=term, daemon=True).start()
            try:
                with self.assertRaises(KeyboardInterrupt):
                    qemu.boot(machine, "Image", "x.dtb", "initrd", os.path.join(d, "console.log"))
            finally:
                signal.signal(signal.SIGTERM, old)
            with open(pidfile) as f:
                pid = int(f.read())
            with self.assertRaises(ProcessLookupError):
                os.kill(pid, 0)


class CommandTest(unittest.TestCase):
    """make check's guests run their vCPUs on one host thread unless asked
    for one thread each (QEMU's default)."""

    def cmd(self, single):
        from lab import machine
        return qemu.command(machine.Machine("virt"), "Image", "x.dtb", "initrd", single=single)

    def test_single_adds_the_accelerator_option(self):
        c = self.cmd(True)
        i = c.index("-accel")
        self.assertEqual(c[i + 1], "tcg,thread=single")
        self.assertLess(i, c.index("-kernel"))

    def test_default_keeps_a_thread_per_vcpu(self):
        self.assertNotIn("-accel", self.cmd(False))


if __name__ == "__main__":
    unittest.main()
