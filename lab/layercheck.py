"""Check the Yocto/PetaLinux layer meta-rmem-heap/ without bitbake.

    python3 -m lab.layercheck [LAYER]

What bitbake would refuse first, checked with the standard library:

- every line of a .bb, .bbappend and .conf parses as BitBake syntax: an
  assignment (=, ?=, ??=, :=, +=, =+, .=, =.; flags, overrides, export), an
  inherit / include / require / addtask / deltask / EXPORT_FUNCTIONS line,
  or a shell or python function; quotes and braces balance;
- python functions are indented with spaces only (no tab);
- layer.conf names its collection, pattern and LAYERSERIES_COMPAT;
- a recipe has SUMMARY, LICENSE, LIC_FILES_CHKSUM and SRC_URI; a recipe that
  inherits module builds a directory with a Makefile and a Kbuild;
- every SRC_URI file:// entry exists in the recipe's FILESPATH (its files/
  or ${PN}/ directory, or one of their override subdirectories); a git://
  entry with protocol=file names a git repository (the variables it uses
  resolved from layer.conf's defaults);
- every LIC_FILES_CHKSUM entry names a file of the source tree (S mapped
  onto the repository the layer lives in) whose md5 over the named lines,
  computed as bitbake's license.bbclass does, is the one given.
"""

import hashlib
import os
import re
import sys

from . import util

LAYER = os.path.join(util.TOP, "meta-rmem-heap")

VAR = r"(?:export\s+)?[A-Za-z_][\w${}.+/-]*(?::[\w${}.+-]+)*(?:\[[\w.-]+\])?"
ASSIGN = re.compile(r"^(%s)\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*(.*)$" % VAR)
DIRECTIVE = re.compile(r"^(inherit|include|require|addtask|deltask|EXPORT_FUNCTIONS|"
                       r"inherit_defer|addhandler|unset)\b\s*(.*)$")
FUNC = re.compile(r"^(python\s+)?(fakeroot\s+)?([\w${}.:-]+)?\s*\(\)\s*\{\s*$")
ANON_PY = re.compile(r"^python\s+__anonymous\s*\(\)\s*\{\s*$|^python\s*\(\)\s*\{\s*$")


class Recipe:
    """A parsed file: variables (first plain value and appends), inherits,
    function bodies, and the problems found while parsing."""

    def __init__(self, path, base=util.TOP):
        self.path = path
        self.base = base
        self.vars = {}
        self.inherits = []
        self.funcs = {}
        self.problems = []
        self._parse()

    def problem(self, lineno, msg):
        self.problems.append("%s:%d: %s" % (os.path.relpath(self.path, self.base), lineno, msg))

    def _parse(self):
        with open(self.path) as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            lineno = i + 1
            line = lines[i]
            i += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = FUNC.match(line) or ANON_PY.match(line)
            if m:
                python = line.startswith("python")
                name = (m.group(3) if m.re is FUNC else None) or "__anonymous"
                body = []
                while i < len(lines) and lines[i].rstrip() != "}":
                    body.append((i + 1, lines[i]))
                    i += 1
                if i >= len(lines):
                    self.problem(lineno, "function %s has no closing '}' on a line of its own"
                                 % name)
                    return
                i += 1
                if python:
                    for n, l in body:
                        if "\t" in l:
                            self.problem(n, "tab in python function %s" % name)
                self.funcs[name] = [l for _, l in body]
                continue
            # Logical line: backslash continuations joined.
            while line.endswith("\\") and i < len(lines):
                line = line[:-1] + " " + lines[i].strip()
                i += 1
            m = ASSIGN.match(line.strip())
            if m:
                value = m.group(3).strip()
                if not (len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"):
                    self.problem(lineno, "value is not one quoted string: %s" % value[:60])
                    continue
                inner = value[1:-1]
                if value[0] in inner:
                    self.problem(lineno, "unbalanced quotes: %s" % value[:60])
                if inner.count("{") != inner.count("}"):
                    self.problem(lineno, "unbalanced braces: %s" % value[:60])
                name, op = m.group(1).replace("export ", "").strip(), m.group(2)
                self.vars.setdefault(name, []).append((op, inner))
                continue
            m = DIRECTIVE.match(line.strip())
            if m:
                if m.group(1) == "inherit":
                    self.inherits += m.group(2).split()
                continue
            self.problem(lineno, "not BitBake syntax: %s" % line.strip()[:60])

    def get(self, name):
        """The variable's value: its first = / ?= / := value with appends."""
        vals = self.vars.get(name)
        if not vals:
            return None
        out = None
        for op, v in vals:
            if op in ("=", ":=", "?=", "??="):
                if out is None or op in ("=", ":="):
                    out = v
            elif op in ("+=", ".="):
                out = (out or "") + (" " if op == "+=" else "") + v
            elif op in ("=+", "=."):
                out = v + (" " if op == "=+" else "") + (out or "")
        return out


def expand(value, env):
    """Expand ${VAR} from env until nothing known is left."""
    for _ in range(10):
        new = re.sub(r"\$\{([\w-]+)\}", lambda m: env.get(m.group(1), m.group(0)), value)
        if new == value:
            break
        value = new
    return value


def lic_md5(path, begin=None, end=None):
    """bitbake's license checksum: md5 over the file, or over lines
    begin..end (1-based, end included; either may be open)."""
    m = hashlib.md5()
    with open(path, "rb") as f:
        if not begin and not end:
            m.update(f.read())
            return m.hexdigest()
        for n, line in enumerate(f, 1):
            if n >= (begin or 1):
                if end and n > end:
                    break
                m.update(line)
    return m.hexdigest()


def uri_params(entry):
    parts = entry.split(";")
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k] = v
    return parts[0], params


def check_layer(layer=LAYER):
    """Return the list of problems of the layer (empty: it passed)."""
    problems = []
    conf_path = os.path.join(layer, "conf", "layer.conf")
    if not os.path.exists(conf_path):
        return ["%s: no conf/layer.conf" % layer]
    repo = os.path.dirname(os.path.abspath(layer))
    conf = Recipe(conf_path, repo)
    problems += conf.problems
    colls = (conf.get("BBFILE_COLLECTIONS") or "").split()
    if not colls:
        problems.append("layer.conf: no BBFILE_COLLECTIONS")
    for c in colls:
        for v in ("BBFILE_PATTERN_" + c, "LAYERSERIES_COMPAT_" + c, "BBFILE_PRIORITY_" + c):
            if not conf.get(v):
                problems.append("layer.conf: no %s" % v)
    # layer.conf's defaults, with LAYERDIR the layer.
    env = {"LAYERDIR": layer}
    for name in conf.vars:
        v = conf.get(name)
        if v is not None:
            env[name] = expand(v, env)
    recipes = []
    for root, _, files in os.walk(layer):
        for f in sorted(files):
            if f.endswith((".bb", ".bbappend", ".inc")):
                recipes.append(os.path.join(root, f))
    if not any(r.endswith(".bb") for r in recipes):
        problems.append("the layer has no recipe")
    for path in sorted(recipes):
        r = Recipe(path, repo)
        problems += r.problems
        problems += _check_recipe(r, env, repo)
    return problems


def _filespath(recipe_dir, pn, extra):
    """FILESPATH's directories: FILESEXTRAPATHS first, then ${PN}/ and files/
    next to the recipe; each with its override subdirectories."""
    dirs = list(extra) + [os.path.join(recipe_dir, pn), os.path.join(recipe_dir, "files")]
    out = []
    for d in dirs:
        out.append(d)
        if os.path.isdir(d):
            out += [os.path.join(d, s) for s in sorted(os.listdir(d))
                    if os.path.isdir(os.path.join(d, s))]
    return out


def _check_recipe(r, env, repo):
    problems = []
    rel = os.path.relpath(r.path, repo)
    recipe_dir = os.path.dirname(r.path)
    base = os.path.basename(r.path)
    pn = re.split(r"[_.]", base)[0]
    is_bb = base.endswith(".bb")
    if is_bb:
        for v in ("SUMMARY", "LICENSE", "LIC_FILES_CHKSUM", "SRC_URI"):
            if not r.get(v):
                problems.append("%s: no %s" % (rel, v))
    env = dict(env, THISDIR=recipe_dir, PN=pn, WORKDIR="@WORKDIR@")
    extra = []
    for op, v in r.vars.get("FILESEXTRAPATHS:prepend", []) + r.vars.get("FILESEXTRAPATHS", []):
        extra += [p for p in expand(v, env).split(":") if p]
    src_uri = " ".join(v for name, vals in r.vars.items() if name.startswith("SRC_URI")
                       for _, v in vals)
    for entry in expand(src_uri, env).split():
        url, params = uri_params(entry)
        if url.startswith("file://"):
            name = url[len("file://"):]
            cands = [os.path.join(d, name) for d in _filespath(recipe_dir, pn, extra)]
            if not any(os.path.exists(c) for c in cands):
                problems.append("%s: SRC_URI %s is in none of %s" % (
                    rel, url, ", ".join(os.path.relpath(d, repo) for d in
                                        _filespath(recipe_dir, pn, extra))))
        elif url.startswith("git://"):
            if "${" in url:
                problems.append("%s: SRC_URI %s: unknown variable" % (rel, url))
            elif params.get("protocol") == "file":
                path = url[len("git://"):]
                if not os.path.exists(os.path.join(path, ".git")):
                    problems.append("%s: SRC_URI %s is not a git repository" % (rel, url))
            if "branch" not in params and "nobranch" not in params:
                problems.append("%s: SRC_URI %s has no branch=" % (rel, url))
        elif "://" in url:
            problems.append("%s: SRC_URI %s: only file:// and git:// are expected here"
                            % (rel, url))
    if not is_bb:
        return problems
    s = expand(r.get("S") or "${WORKDIR}/${BP}", env)
    if not s.startswith("@WORKDIR@/git"):
        problems.append("%s: S=%s is not under ${WORKDIR}/git" % (rel, r.get("S")))
        return problems
    srcdir = os.path.normpath(os.path.join(repo, s[len("@WORKDIR@/git"):].lstrip("/")))
    if not os.path.isdir(srcdir):
        problems.append("%s: S names %s, not a directory of the repository" % (rel, srcdir))
        return problems
    if "module" in r.inherits:
        for f in ("Makefile", "Kbuild"):
            if not os.path.exists(os.path.join(srcdir, f)):
                problems.append("%s: inherits module but S has no %s" % (rel, f))
        if not re.search(r"^modules_install:", open(os.path.join(srcdir, "Makefile")).read(),
                         re.M):
            problems.append("%s: module.bbclass runs make modules_install; S's Makefile "
                            "has no such target" % rel)
    chks = (r.get("LIC_FILES_CHKSUM") or "").split()
    for entry in chks:
        url, params = uri_params(entry)
        if not url.startswith("file://"):
            problems.append("%s: LIC_FILES_CHKSUM %s is not file://" % (rel, entry))
            continue
        path = os.path.join(srcdir, url[len("file://"):])
        if not os.path.exists(path):
            problems.append("%s: LIC_FILES_CHKSUM names %s, which does not exist"
                            % (rel, os.path.relpath(path, repo)))
            continue
        if "md5" not in params:
            problems.append("%s: LIC_FILES_CHKSUM %s has no md5=" % (rel, url))
            continue
        got = lic_md5(path, int(params.get("beginline") or 0) or None,
                      int(params.get("endline") or 0) or None)
        if got != params["md5"]:
            problems.append("%s: LIC_FILES_CHKSUM md5 of %s is %s, the recipe says %s"
                            % (rel, os.path.relpath(path, repo), got, params["md5"]))
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    layer = argv[0] if argv else LAYER
    problems = check_layer(layer)
    for p in problems:
        print(p)
    print("%s: %s" % (os.path.relpath(layer, util.TOP),
                      "%d problems" % len(problems) if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
