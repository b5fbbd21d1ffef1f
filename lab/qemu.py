"""Boot a guest in QEMU with a time limit and keep its console log."""

import atexit
import os
import signal
import subprocess
import threading
import time

from . import util

# QEMU processes running now, so that an interrupted run can end them.
_live = set()
_live_lock = threading.Lock()


def kill_all():
    """End every guest this process started (Ctrl-C)."""
    with _live_lock:
        procs = list(_live)
    for p in procs:
        try:
            p.kill()
        except OSError:
            pass


# Guests run in their own session (Ctrl-C reaches the lab, which ends them
# itself); whatever way the lab exits, none is left behind.
atexit.register(kill_all)


def _terminated(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def stop_on_sigterm():
    """Treat SIGTERM (a CI time-out, kill) like Ctrl-C: the runner cleans up."""
    signal.signal(signal.SIGTERM, _terminated)


def stderr_text(log):
    """What QEMU itself printed on stderr during the boot logged at log."""
    try:
        with open(log + ".qemu", "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def command(machine, image, dtb, initrd, append="", single=False):
    """QEMU's command line for a guest. single: one host thread runs every
    vCPU in turn (-accel tcg,thread=single) instead of one thread each."""
    # panic=-1: a panicking guest ends at once instead of sitting out its
    # time limit. watchdog_thresh=30 (a soft lockup is reported after 60 s)
    # and workqueue.watchdog_thresh=60: a TCG guest starved of host CPU (two
    # guests of up to four vCPUs on two cores, builds beside them) once went
    # 23 s without scheduling in boot, which the default 20 s calls a
    # lockup. rcupdate.rcu_cpu_stall_timeout=60 for the same reason: 6.1
    # creates its trace event directories at boot in one loop that never
    # schedules, and on a starved 4-vCPU KASAN guest that loop kept RCU's
    # softirq from running for 26 s (the default stall limit is 21 s).
    # Under TCG, 60 s is still only seconds of real hardware time.
    # kunit.autorun=1: 7.x kernels have KUNIT_AUTORUN_ENABLED, which
    # allnoconfig turns off, and then a suite's module loads without running
    # its tests (6.x ignore the parameter).
    cmdline = ("console=%s rdinit=/init no_hash_pointers panic=-1 watchdog_thresh=30 "
               "workqueue.watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=60 "
               "kunit.autorun=1 %s %s" % (
                   machine.console, machine.cmdline, append))
    accel = ["-accel", "tcg,thread=single"] if single else []
    return [machine.qemu] + machine.options + accel + [
        "-kernel", image, "-dtb", dtb, "-initrd", initrd,
        "-append", " ".join(cmdline.split())]


def boot(machine, image, dtb, initrd, log, timeout=None, append="", echo=None,
         interactive=False, single=False):
    """Run the guest; return (console text, timed_out, qemu exit status).

    The console (QEMU's stdout) goes to log; QEMU's own stderr (the ZynqMP
    DMA model's "Decode error" lines, for one) goes to log + ".qemu", so it
    is never judged as guest output. echo: a callable given each console
    line as it arrives.
    """
    cmd = command(machine, image, dtb, initrd, append, single)
    timeout = timeout or machine.timeout
    util.ensure_dir(os.path.dirname(log))
    with open(log + ".cmd", "w") as f:
        f.write(" ".join(cmd) + "\n")
    if interactive:
        rc = subprocess.call(cmd)
        return "", False, rc
    err = open(log + ".qemu", "wb")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=err, start_new_session=True)
    with _live_lock:
        _live.add(p)
    chunks = []

    def pump():
        with open(log, "wb") as f:
            for line in p.stdout:
                f.write(line)
                f.flush()
                chunks.append(line)
                if echo:
                    echo(line.decode("utf-8", "replace"))
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    timed_out = False
    t0 = time.monotonic()
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        p.kill()
        rc = p.wait()
    except BaseException:
        # Ctrl-C or SIGTERM (stop_on_sigterm()): the guest, in a session
        # of its own, would outlive the lab once it is off _live
        p.kill()
        p.wait()
        raise
    finally:
        with _live_lock:
            _live.discard(p)
    t.join(10)
    err.close()
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r", "")
    if timed_out:
        with open(log, "ab") as f:
            f.write(b"\n### lab: killed after %d s time limit\n" % timeout)
    util.say("  %s: guest ran %s%s" % (os.path.basename(log), util.elapsed(t0),
                                      " (time limit hit)" if timed_out else ""))
    return text, timed_out, rc


