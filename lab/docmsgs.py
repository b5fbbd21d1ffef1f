"""Every message the driver prints must be explained in the troubleshooting page.

    python3 -m lab.docmsgs            # list what is missing; exit 1 if any

The message formats are read from the calls to the kernel's printing
functions (dev_err(), pr_warn(), dev_err_probe(), WARN(), their _ratelimited
and _once forms) and to the driver's rmem_heap_bad() in driver/*.c.  The page
writes a message as the kernel prints it, with each conversion (%s, %d,
%pOF, ...) replaced by a <placeholder>; a %s may also be left out (it is
often an optional suffix).  White space in a message matches any white
space, so long messages may be wrapped where they have a space.  String
literals passed as arguments (suffixes such as " (is it CMA aligned?)")
must appear verbatim.
"""

import collections
import glob
import os
import re
import sys

PAGE = os.path.join("Documentation", "troubleshooting.rst")

# function name -> index of its format argument
_BASE = {"dev_emerg": 1, "dev_alert": 1, "dev_crit": 1, "dev_err": 1, "dev_warn": 1,
         "dev_notice": 1, "dev_info": 1,
         "pr_emerg": 0, "pr_alert": 0, "pr_crit": 0, "pr_err": 0, "pr_warn": 0,
         "pr_notice": 0, "pr_info": 0}
FUNCS = dict(_BASE)
for _f, _i in _BASE.items():
    FUNCS[_f + "_ratelimited"] = _i
    FUNCS[_f + "_once"] = _i
FUNCS.update({"dev_err_probe": 2, "rmem_heap_bad": 2, "WARN": 1, "WARN_ONCE": 1})

Message = collections.namedtuple("Message", "file line func fmt kind")

_CALL = re.compile(r"\b(%s)\s*\(" % "|".join(sorted(FUNCS, key=len, reverse=True)))
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_CONV = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|t|j)?(?:p[A-Za-z]*|[diouxXcs]))")


def strip_comments(src):
    """C source without comments (line numbers kept) and with string
    literals left alone."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _args(src, start):
    """The top-level arguments of the call whose '(' is at src[start - 1]."""
    args, depth, cur, i = [], 0, [], start
    while i < len(src):
        c = src[i]
        if c == '"':
            m = _STRING.match(src, i)
            if not m:
                break
            cur.append(m.group(0))
            i = m.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return None


def _unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def _literal(arg):
    """The string an argument made only of adjacent literals stands for, or None."""
    if not re.fullmatch(r'(?:\s*"(?:[^"\\\n]|\\.)*")+\s*', arg or ""):
        return None
    return "".join(_unescape(s) for s in _STRING.findall(arg))


def messages_in(src, fname="<src>"):
    """The Messages (formats, and literal arguments) of one C source."""
    src = strip_comments(src)
    found = []
    for m in _CALL.finditer(src):
        args = _args(src, m.end())
        idx = FUNCS[m.group(1)]
        if not args or len(args) <= idx:
            continue
        fmt = _literal(args[idx])
        if fmt is None:
            continue            # the definition or prototype of a wrapper
        line = src.count("\n", 0, m.start()) + 1
        found.append(Message(fname, line, m.group(1), fmt.rstrip("\n"), "format"))
        for a in args[idx + 1:]:
            for s in _STRING.findall(a):
                s = _unescape(s)
                if s.strip():
                    found.append(Message(fname, line, m.group(1), s, "argument"))
    return found


def driver_messages(top):
    out = []
    for path in sorted(glob.glob(os.path.join(top, "driver", "*.c"))):
        with open(path) as f:
            out += messages_in(f.read(), os.path.relpath(path, top))
    return out


def pattern(fmt):
    """A regex matching fmt as the page writes it."""
    parts = []
    pos = 0
    for m in _CONV.finditer(fmt):
        parts.append(_text(fmt[pos:m.start()]))
        conv = m.group(0)
        if conv == "%%":
            parts.append("%")
        elif conv.endswith("s"):
            parts.append(r"(?:<[^<>\n]*>)?")
        else:
            parts.append(r"<[^<>\n]*>")
        pos = m.end()
    parts.append(_text(fmt[pos:]))
    return re.compile("".join(parts))


def _text(s):
    return r"\s+".join(re.escape(w) for w in re.split(r"\s+", s)) if s.strip() else \
        (r"\s+" if s else "")


def missing(msgs, text):
    """The messages the text does not give."""
    out = []
    for msg in msgs:
        if msg.kind == "format":
            ok = pattern(msg.fmt).search(text)
        else:
            ok = re.search(_text(msg.fmt.strip()), text)
        if not ok:
            out.append(msg)
    return out


def check(top):
    with open(os.path.join(top, PAGE)) as f:
        text = f.read()
    return missing(driver_messages(top), text)


def main():
    from . import util
    msgs = driver_messages(util.TOP)
    bad = check(util.TOP)
    for m in bad:
        print("%s:%d: %s: %r not in %s" % (m.file, m.line, m.func, m.fmt, PAGE))
    print("%d messages, %d missing from %s" % (len(msgs), len(bad), PAGE))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
