"""Small helpers shared by the lab: paths, progress lines, logged commands."""

import configparser
import hashlib
import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("RMEM_HEAP_CACHE",
                       os.path.join(os.path.expanduser("~"), ".cache", "rmem-heap"))
# Per-run output (logs, initramfs, dtbs) lives in the work tree, ignored by git.
OUT = os.environ.get("RMEM_HEAP_OUT", os.path.join(TOP, "out"))

_T0 = time.monotonic()


class LabError(Exception):
    """A step of the lab failed; the message says which and where the log is."""


def elapsed(t0=None):
    s = int(time.monotonic() - (_T0 if t0 is None else t0))
    return "%dm%02ds" % (s // 60, s % 60)


def run_main(main, error_status=1):
    """A lab command's entry point: exit with main()'s status, or print a
    LabError in one line and exit with error_status."""
    try:
        sys.exit(main())
    except LabError as e:
        print("lab: %s" % e, file=sys.stderr)
        sys.exit(error_status)


def say(msg):
    """One progress line on stderr, prefixed with the time since start."""
    sys.stderr.write("[lab %s] %s\n" % (elapsed(), msg))
    sys.stderr.flush()


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


def run_logged(cmd, log, what, cwd=None, env=None, ticker=60):
    """Run cmd with all output appended to log; print progress while it runs.

    Raises LabError naming the log on failure.
    """
    ensure_dir(os.path.dirname(log))
    t0 = time.monotonic()
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                             cwd=cwd, env=env, stdin=subprocess.DEVNULL)
        last = t0
        while True:
            try:
                rc = p.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - last >= ticker:
                    last = time.monotonic()
                    say("  %s: %s so far (log: %s)" % (what, elapsed(t0), log))
    if rc != 0:
        raise LabError("%s failed (exit %d) after %s; full log: %s"
                       % (what, rc, elapsed(t0), log))
    return elapsed(t0)


def mark(path, content=""):
    """Write a step's "done" marker atomically (temporary file, then rename),
    so that a step interrupted half-way is never taken for a finished one."""
    ensure_dir(os.path.dirname(path))
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(content)
    os.replace(tmp, path)


def read_conf(path):
    cp = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cp.read_file(f)
    return cp


def digest(*parts):
    """Short stable hash of strings and file contents (for cache keys)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, str) and os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(f.read())
        else:
            h.update(str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:12]
