"""A syntax check of syzkaller descriptions (syzlang), for
tools/syzkaller/rmem_heap.txt: Debian does not package syzkaller, whose
own checker (syz-sysgen) needs its Go tree.

What it checks: every line is a comment, an include, a resource, a flags
or string-flags definition, a call "name$variant(arg type, ...) [ret]" or
a struct (name { field type [(dir)] ... }); brackets balance; every type
is a syzlang builtin, a name this file defines, or one of the few
sys/linux names it is allowed to use (SYZ_LINUX_NAMES); every upper-case
constant is defined in include/uapi/linux/rmem_heap.h or is one of the
kernel's uAPI constants listed in KERNEL_CONSTS; names are not defined
twice. It does not check constant values or struct layouts.

    python3 -m lab.syzcheck [FILE...]
"""
import os
import re
import sys

from . import util

DEFAULT = os.path.join(util.TOP, "tools", "syzkaller", "rmem_heap.txt")
UAPI = os.path.join(util.TOP, "include", "uapi", "linux", "rmem_heap.h")

BUILTINS = {"int8", "int16", "int32", "int64", "intptr", "int16be", "int32be", "int64be",
            "fd", "ptr", "ptr64", "string", "stringnoz", "const", "flags", "len", "bytesize",
            "bitsize", "offsetof", "array", "vma", "vma64", "proc", "void", "bool8", "bool16",
            "bool32", "bool64", "boolptr", "text", "glob", "fmt", "csum", "filename"}
# sys/linux names (flags) the descriptions use.
SYZ_LINUX_NAMES = {"open_flags", "mmap_prot", "mmap_flags"}
# The kernel's uAPI constants used (asm/ioctl.h, fcntl.h, dma-heap.h, dma-buf.h).
KERNEL_CONSTS = {"AT_FDCWD", "O_CLOEXEC", "O_RDONLY", "O_WRONLY", "O_RDWR",
                 "DMA_HEAP_IOCTL_ALLOC", "DMA_BUF_IOCTL_SYNC", "DMA_BUF_SET_NAME",
                 "DMA_BUF_SYNC_READ", "DMA_BUF_SYNC_WRITE", "DMA_BUF_SYNC_START",
                 "DMA_BUF_SYNC_END"}
DIRS = {"in", "out", "inout"}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
INCLUDE = re.compile(r"^include <[\w/.-]+>$")
RESOURCE = re.compile(r"^resource (%s)\[(%s)\](?:\s*:\s*.+)?$" % (IDENT, IDENT))
FLAGS = re.compile(r"^(%s)\s*=\s*(.+)$" % IDENT)
CALL = re.compile(r"^(%s)(\$%s)?\((.*)\)(?:\s+(%s))?$" % (IDENT, IDENT, IDENT))
STRUCT_OPEN = re.compile(r"^(%s)\s*\{$" % IDENT)
FIELD = re.compile(r"^\t(%s)\s+(.+?)(?:\s+\((%s)\))?$" % (IDENT, IDENT))


def uapi_consts(path=UAPI):
    with open(path) as f:
        return set(re.findall(r"^#define\s+(%s)" % IDENT, f.read(), re.M))


def split_top(s, sep=","):
    """Split s at sep outside brackets and quotes; None if they do not balance."""
    parts, depth, cur, quote = [], 0, "", False
    for ch in s:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "[(":
            depth += 1
        elif not quote and ch in "])":
            depth -= 1
            if depth < 0:
                return None
        if ch == sep and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if depth or quote:
        return None
    parts.append(cur.strip())
    return parts


class Checker:
    def __init__(self, consts):
        self.consts = consts
        self.defined = {}      # name -> kind
        self.used = []         # (lineno, name, kind)
        self.errors = []

    def err(self, n, msg):
        self.errors.append("line %d: %s" % (n, msg))

    def define(self, n, name, kind):
        if name in self.defined:
            self.err(n, "%s defined twice" % name)
        self.defined[name] = kind

    def value(self, n, v):
        """A type argument: a type, a number, a range, a string or a constant."""
        v = v.strip()
        if not v:
            self.err(n, "empty type argument")
        elif re.fullmatch(r'"[^"]*"', v):
            pass
        elif re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)(:(0x[0-9a-fA-F]+|\d+))?", v):
            pass
        elif re.fullmatch(r"[A-Z][A-Z0-9_]*", v):
            if v not in self.consts:
                self.err(n, "constant %s is not in rmem_heap.h nor a listed kernel constant" % v)
        else:
            self.type(n, v)

    def type(self, n, t):
        m = re.fullmatch(r"(%s)(?:\[(.*)\])?" % IDENT, t.strip(), re.S)
        if not m:
            self.err(n, "bad type %r" % t)
            return
        name, args = m.group(1), m.group(2)
        if name in DIRS:
            return
        self.used.append((n, name))
        if args is not None:
            parts = split_top(args)
            if parts is None:
                self.err(n, "unbalanced brackets in %r" % t)
                return
            if name in ("len", "bytesize", "bitsize", "offsetof"):
                # the first argument names a sibling field or argument
                if not re.fullmatch(r"%s(:%s)*" % (IDENT, IDENT), parts[0]):
                    self.err(n, "bad %s target %r" % (name, parts[0]))
                parts = parts[1:]
            for p in parts:
                self.value(n, p)

    def check(self, text):
        struct = None
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.rstrip()
            if struct is not None:
                if line == "}":
                    if not struct[1]:
                        self.err(n, "struct %s has no fields" % struct[0])
                    struct = None
                    continue
                m = FIELD.match(line)
                if not m:
                    self.err(n, "bad field line %r" % raw)
                    continue
                if m.group(3) and m.group(3) not in DIRS:
                    self.err(n, "bad direction %r" % m.group(3))
                if m.group(1) in struct[1]:
                    self.err(n, "field %s twice" % m.group(1))
                struct[1].add(m.group(1))
                self.type(n, m.group(2))
                continue
            if not line or line.startswith("#"):
                continue
            if INCLUDE.match(line):
                continue
            m = RESOURCE.match(line)
            if m:
                self.define(n, m.group(1), "resource")
                self.used.append((n, m.group(2)))
                continue
            m = STRUCT_OPEN.match(line)
            if m:
                self.define(n, m.group(1), "struct")
                struct = (m.group(1), set())
                continue
            m = CALL.match(line)
            if m and "=" not in line.split("(")[0]:
                args = split_top(m.group(3))
                if args is None:
                    self.err(n, "unbalanced brackets")
                    continue
                names = set()
                for a in args:
                    am = re.fullmatch(r"(%s)\s+(.+)" % IDENT, a)
                    if not am:
                        self.err(n, "bad argument %r" % a)
                        continue
                    if am.group(1) in names:
                        self.err(n, "argument %s twice" % am.group(1))
                    names.add(am.group(1))
                    self.type(n, am.group(2))
                if m.group(4):
                    self.used.append((n, m.group(4)))
                self.define(n, m.group(1) + (m.group(2) or ""), "call")
                continue
            m = FLAGS.match(line)
            if m:
                vals = split_top(m.group(2))
                if not vals or any(not v for v in vals):
                    self.err(n, "bad flags %r" % raw)
                    continue
                strings = [re.fullmatch(r'"[^"]*"', v) is not None for v in vals]
                if any(strings) and not all(strings):
                    self.err(n, "flags %s mix strings and numbers" % m.group(1))
                for v in vals:
                    self.value(n, v)
                self.define(n, m.group(1), "flags")
                continue
            self.err(n, "not syzlang: %r" % raw)
        if struct is not None:
            self.err(n, "struct %s not closed" % struct[0])
        for n, name in self.used:
            if name not in BUILTINS and name not in SYZ_LINUX_NAMES and name not in self.defined:
                self.err(n, "%s is not defined" % name)
        return self.errors


def check_file(path, consts=None):
    with open(path) as f:
        text = f.read()
    return Checker(consts if consts is not None else uapi_consts() | KERNEL_CONSTS).check(text)


def main(argv=None):
    paths = (sys.argv[1:] if argv is None else argv) or [DEFAULT]
    bad = 0
    for p in paths:
        errs = check_file(p)
        for e in errs:
            print("%s: %s" % (p, e))
        bad += len(errs)
        if not errs:
            print("%s: syntax ok" % p)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
