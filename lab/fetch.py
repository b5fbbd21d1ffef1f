"""Fetch Debian packages into the lab cache without touching the host's apt.

apt-get runs with a private state directory (its own sources list, lists and
archive cache) under the cache. The mirror addresses are read from this
machine's own apt sources, so none is written in the repository.
"""

import glob
import os
import re
import shutil
import subprocess
import time

from . import util

APT = os.path.join(util.CACHE, "apt")
VERSIONS = os.path.join(util.TOP, "lab", "versions.conf")


def _host_mirrors():
    """Return (debian, security) base URIs from the machine's apt sources."""
    uris = []
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for fn in files:
        try:
            with open(fn) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("#"):
                continue
            m = re.match(r"deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
            if m:
                uris.append(m.group(1))
            m = re.match(r"URIs:\s*(.+)", line)
            if m:
                uris.extend(m.group(1).split())
    deb = [u for u in uris if u.rstrip("/").endswith("/debian")]
    sec = [u for u in uris if u.rstrip("/").endswith("/debian-security")]
    if not deb:
        raise util.LabError("no Debian mirror found in /etc/apt/sources.list*")
    return deb[0].rstrip("/"), (sec[0].rstrip("/") if sec else None)


def _apt_opts():
    return ["-o", "Dir::Etc::SourceList=%s/etc/sources.list" % APT,
            "-o", "Dir::Etc::SourceParts=%s/etc/parts" % APT,
            "-o", "Dir::Etc::PreferencesParts=%s/etc/prefs" % APT,
            "-o", "Dir::State::Lists=%s/lists" % APT,
            "-o", "Dir::State::status=%s/status" % APT,
            "-o", "Dir::Cache=%s" % APT,
            "-o", "Dir::Cache::archives=%s/archives" % APT,
            "-o", "APT::Architectures::=amd64",
            "-o", "APT::Architectures::=arm64",
            "-o", "APT::Architectures::=armhf",
            "-o", "APT::Sandbox::User=root",
            "-o", "Debug::NoLocking=1",
            "-o", "Acquire::Retries=3",
            # sid's Release file on a mirror can be past its Valid-Until for
            # weeks; the lab takes pinned versions and checks signatures, so
            # an old index is no risk, and without this sid (sparse) is lost.
            "-o", "Acquire::Check-Valid-Until=false"]


_updated = False


def update():
    """Write the private sources list and refresh its package lists (once a run)."""
    global _updated
    if _updated:
        return
    deb, sec = _host_mirrors()
    for d in ("lists/partial", "archives/partial", "etc/parts", "etc/prefs"):
        util.ensure_dir(os.path.join(APT, d))
    open(os.path.join(APT, "status"), "a").close()
    key = "signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
    # Every suite a lab package may come from; linux-source-* is
    # architecture "all", so amd64 lists are enough for the newer suites.
    lines = ["deb [arch=amd64,arm64,armhf %s] %s bookworm main" % (key, deb),
             "deb [arch=amd64 %s] %s bookworm-backports main" % (key, deb),
             "deb [arch=amd64 %s] %s trixie main" % (key, deb),
             "deb [arch=amd64 %s] %s trixie-backports main" % (key, deb),
             "deb [arch=amd64 %s] %s sid main" % (key, deb),
             "deb-src [%s] %s sid main" % (key, deb)]
    if sec:
        lines.append("deb [arch=amd64,arm64 %s] %s bookworm-security main" % (key, sec))
    with open(os.path.join(APT, "etc", "sources.list"), "w") as f:
        f.write("\n".join(lines) + "\n")
    util.say("refreshing the lab's private package lists")
    log = os.path.join(APT, "update.log")
    # A list that fails to download (mirror mid-sync) leaves apt-get with a
    # non-zero status but the others usable; a missing package shows below.
    with open(log, "w") as f:
        r = subprocess.run(["apt-get"] + _apt_opts() + ["update"], stdout=f,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        util.say("warning: some package lists failed to download; going on with the"
                 " others (log: %s)" % log)
    _updated = True


def _versions(pkg):
    out = subprocess.run(["apt-cache"] + _apt_opts() + ["madison", pkg],
                         capture_output=True, text=True).stdout
    vers = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 2 and parts[0].split(":")[0] == pkg.split(":")[0]:
            if parts[1] not in vers:
                vers.append(parts[1])
    return vers


def _newest(vers):
    if not vers:
        return None
    best = vers[0]
    for v in vers[1:]:
        if subprocess.run(["dpkg", "--compare-versions", v, "gt", best]).returncode == 0:
            best = v
    return best


def _retry(cmd, log, what, cwd=None, tries=3):
    """run_logged, tried again after a pause when a download fails."""
    for i in range(1, tries + 1):
        try:
            return util.run_logged(cmd, log, what, cwd=cwd)
        except util.LabError as e:
            if i == tries:
                raise
            util.say("%s; trying again (%d of %d)" % (e, i + 1, tries))
            time.sleep(10 * i)


def download(pkg, version, arch=None):
    """Download pkg (=version, or the newest of its series) into the cache.

    Returns the path of the .deb.
    """
    name = pkg + (":" + arch if arch else "")
    fname_glob = "%s_%s_*.deb" % (pkg, re.sub(":", "%3a", version))
    hits = glob.glob(os.path.join(APT, "archives", fname_glob))
    hits = [h for h in hits if arch is None or h.endswith("_%s.deb" % arch)
            or h.endswith("_all.deb")]
    if hits:
        return hits[0]
    update()
    vers = _versions(name)
    if version not in vers:
        series = version.split("-")[0].rsplit(".", 1)[0]
        same = [v for v in vers if v.split(":")[-1].startswith(series)]
        newest = _newest(same) or _newest(vers)
        if newest is None:
            raise util.LabError("package %s is not in the archive (see %s/update.log)"
                                % (name, APT))
        util.say("NOTE: %s %s has left the archive; taking %s instead"
                 % (name, version, newest))
        version = newest
    util.say("downloading %s %s" % (name, version))
    _retry(["apt-get"] + _apt_opts() + ["download", "%s=%s" % (name, version)],
           os.path.join(APT, "download.log"), "download of " + name,
           cwd=os.path.join(APT, "archives"))
    hits = glob.glob(os.path.join(APT, "archives", "%s_*.deb" % pkg))
    hits = [h for h in hits if re.sub("%3a", ":", os.path.basename(h)).split("_")[1] == version]
    hits = [h for h in hits if arch is None or h.endswith("_%s.deb" % arch)
            or h.endswith("_all.deb")]
    if not hits:
        raise util.LabError("apt-get download of %s left no .deb" % name)
    return hits[0]


def extract(deb, dest):
    """dpkg-deb -x into dest (once; a stamp marks a finished extraction)."""
    stamp = os.path.join(dest, ".extracted-" + os.path.basename(deb))
    if os.path.exists(stamp):
        return dest
    util.ensure_dir(dest)
    util.run_logged(["dpkg-deb", "-x", deb, dest], os.path.join(dest, "..", "extract.log"),
                    "extracting " + os.path.basename(deb))
    util.mark(stamp)
    return dest


def _series_key(series):
    return tuple(int(x) for x in series.split("."))


_newest_kernel = None


def newest_kernel():
    """(series, package, version) of the newest released linux-source-*.

    Searched in every suite of the lab's sources, backports included;
    release candidates ("~rc") are not releases. Looked up once a run and
    remembered in the cache, for a run whose package lists could not be
    refreshed.
    """
    global _newest_kernel
    if _newest_kernel:
        return _newest_kernel
    memo = os.path.join(util.CACHE, "newest-kernel")
    update()
    out = subprocess.run(["apt-cache"] + _apt_opts() + ["search", "--names-only",
                                                         r"^linux-source-[0-9.]+$"],
                         capture_output=True, text=True).stdout
    best = None
    for line in out.splitlines():
        pkg = line.split(" - ")[0].strip()
        series = pkg[len("linux-source-"):]
        vers = [v for v in _versions(pkg) if "~rc" not in v]
        if vers and (best is None or _series_key(series) > _series_key(best[0])):
            best = (series, pkg, _newest(vers))
    if best:
        util.mark(memo, " ".join(best) + "\n")
    elif os.path.exists(memo):
        with open(memo) as f:
            best = tuple(f.read().split())
        util.say("NOTE: no linux-source package found in the package lists; using the"
                 " last one seen, %s %s" % best[1:])
    else:
        raise util.LabError("no linux-source-* package found (see %s/update.log)" % APT)
    _newest_kernel = best
    return best


def _source_package(name):
    """(package, pinned version) of kernel name: a versions.conf section, or
    the moving kernel's series."""
    conf = util.read_conf(VERSIONS)
    if name in conf and conf[name].get("kind") == "source":
        return conf[name]["package"], conf[name]["version"]
    series, pkg, version = newest_kernel()
    if name != series:
        raise util.LabError("unknown kernel %r (lab/versions.conf; newest is %s)"
                            % (name, series))
    return pkg, version


def describe(name):
    """The package version a kernel name stands for, as the run will use it."""
    if name == "debian":
        sec = util.read_conf(VERSIONS)["debian"]
        return "linux-image-%s-arm64 %s" % _distro_abi(sec)
    if name == "intree":
        name = "6.12"
    package, pinned = _source_package(name)
    return "%s %s" % (package, pinned)


def kernel_source(name):
    """Return the path of the unpacked source tree of kernel `name` (6.1, ...)."""
    package, pinned = _source_package(name)
    # Look for any tree of this name already unpacked at the pinned version.
    tree = os.path.join(util.CACHE, "src", "linux-%s" % pinned)
    if os.path.exists(os.path.join(tree, ".unpacked")):
        return tree
    deb = download(package, pinned)
    version = os.path.basename(deb).split("_")[1].replace("%3a", ":")
    tree = os.path.join(util.CACHE, "src", "linux-%s" % version)
    if os.path.exists(os.path.join(tree, ".unpacked")):
        return tree
    pkgdir = extract(deb, os.path.join(util.CACHE, "pkg", os.path.basename(deb)[:-4]))
    tars = glob.glob(os.path.join(pkgdir, "usr", "src", "linux-source-*.tar.*"))
    if not tars:
        raise util.LabError("%s holds no source tarball" % deb)
    tmp = tree + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    util.ensure_dir(tmp)
    util.say("unpacking %s" % os.path.basename(tars[0]))
    util.run_logged(["tar", "-xf", tars[0], "-C", tmp, "--strip-components=1"],
                    os.path.join(util.CACHE, "src", "unpack.log"), "unpacking " + name)
    util.mark(os.path.join(tmp, ".unpacked"))
    shutil.rmtree(tree, ignore_errors=True)
    os.rename(tmp, tree)
    shutil.rmtree(pkgdir, ignore_errors=True)
    return tree


def _distro_abi(sec):
    """(abi, version) of Debian's arm64 kernel: the pinned ABI package, or,
    once it has left the archive, the one the linux-image-arm64 metapackage
    depends on now."""
    abi, version = sec["abi"], sec["version"]
    marker = os.path.join(util.CACHE, "debian", "%s_%s" % (abi, version), ".complete")
    if os.path.exists(marker):
        return abi, version
    update()
    if _versions(sec["image"].format(abi=abi) + ":arm64"):
        return abi, version
    out = subprocess.run(["apt-cache"] + _apt_opts() + ["show", "linux-image-arm64:arm64"],
                         capture_output=True, text=True).stdout
    best = None
    for stanza in out.split("\n\n"):
        m = re.search(r"^Depends:.*?linux-image-(\d+\.\d+\.\d+-\d+)-arm64 \(= ([^)]+)\)",
                      stanza, re.M)
        if m and (best is None or subprocess.run(
                ["dpkg", "--compare-versions", m.group(2), "gt", best[1]]).returncode == 0):
            best = (m.group(1), m.group(2))
    if best is None:
        raise util.LabError("Debian's arm64 kernel: neither %s nor the linux-image-arm64"
                            " metapackage is in the archive (see %s/update.log)"
                            % (sec["image"].format(abi=abi), APT))
    util.say("NOTE: Debian kernel ABI %s (%s) has left the archive; taking %s (%s), the"
             " one linux-image-arm64 depends on" % (abi, version, best[0], best[1]))
    return best


def distro_kernel():
    """Fetch Debian's arm64 kernel, headers and kbuild; return a dict of paths."""
    conf = util.read_conf(VERSIONS)
    sec = conf["debian"]
    abi, version = _distro_abi(sec)
    root = os.path.join(util.CACHE, "debian", "%s_%s" % (abi, version))
    stamp = os.path.join(root, ".complete")
    if not os.path.exists(stamp):
        debs = [download(sec["image"].format(abi=abi), version, "arm64")]
        for h in sec["headers"].split():
            h = h.format(abi=abi)
            debs.append(download(h, version, "arm64" if h.endswith("arm64") else None))
        debs.append(download(sec["kbuild"], version, "amd64"))
        for d in debs:
            extract(d, root)
        # The arm64 headers' Makefile includes the common headers by their
        # absolute installed path; point it at the extracted copy instead.
        mk = os.path.join(root, "usr", "src", "linux-headers-%s-arm64" % abi, "Makefile")
        with open(mk) as f:
            text = f.read()
        here = os.path.join(root, "usr", "src") + "/"
        if here not in text:
            with open(mk, "w") as f:
                f.write(text.replace("/usr/src/", here))
        util.mark(stamp)
    images = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
    kdir = os.path.join(root, "usr", "src", "linux-headers-%s-arm64" % abi)
    return {"root": root, "image": images[0], "kdir": kdir,
            "modules": glob.glob(os.path.join(root, "lib", "modules", "*"))[0],
            "release": "%s-arm64" % abi}


def busybox(arch):
    """Return the path of a static busybox for a Debian arch (arm64, armhf)."""
    conf = util.read_conf(VERSIONS)["busybox"]
    dest = os.path.join(util.CACHE, "busybox", arch)
    deb = download(conf["package"], conf["version"], arch)
    extract(deb, dest)
    return os.path.join(dest, "bin", "busybox")


def libdrm(arch):
    """Return (include dirs, library dir) of libdrm's static library for a
    Debian arch, extracted from libdrm-dev into the cache (never installed:
    the host's apt architectures stay as they are)."""
    conf = util.read_conf(VERSIONS)["libdrm"]
    dest = os.path.join(util.CACHE, "libdrm", arch)
    deb = download(conf["package"], conf["version"], arch)
    extract(deb, dest)
    inc = os.path.join(dest, "usr", "include")
    triplet = {"arm64": "aarch64-linux-gnu", "armhf": "arm-linux-gnueabihf"}[arch]
    return [inc, os.path.join(inc, "libdrm")], os.path.join(dest, "usr", "lib", triplet)


def sparse():
    """Return the path of a sparse that parses every lab kernel's headers.

    Built from Debian's source package (lab/versions.conf, [sparse]); a
    pinned version that left the archive gives way to the newest there.
    """
    conf = util.read_conf(VERSIONS)["sparse"]
    version = conf["version"]
    binary = os.path.join(util.CACHE, "tools", "sparse-%s" % version, "sparse")
    if os.path.exists(binary):
        return binary
    update()
    out = subprocess.run(["apt-cache"] + _apt_opts() + ["showsrc", conf["package"]],
                         capture_output=True, text=True).stdout
    vers = re.findall(r"^Version: (\S+)", out, re.M)
    if version not in vers:
        newest = _newest(vers)
        if newest is None:
            raise util.LabError("no source package %s in the archive (see %s/update.log)"
                                % (conf["package"], APT))
        util.say("NOTE: sparse %s has left the archive; taking %s instead" % (version, newest))
        version = newest
    dest = os.path.join(util.CACHE, "tools", "sparse-%s" % version)
    binary = os.path.join(dest, "sparse")
    if os.path.exists(binary):
        return binary
    work = dest + ".src"
    shutil.rmtree(work, ignore_errors=True)
    util.ensure_dir(work)
    log = os.path.join(util.CACHE, "tools", "sparse.log")
    util.say("downloading and building sparse %s from Debian's source package" % version)
    _retry(["apt-get"] + _apt_opts() + ["source", "--download-only",
                                         "%s=%s" % (conf["package"], version)],
           log, "downloading sparse's source", cwd=work)
    dsc = glob.glob(os.path.join(work, "*.dsc"))[0]
    tree = os.path.join(work, "tree")
    util.run_logged(["dpkg-source", "-x", dsc, tree], log, "unpacking sparse", cwd=work)
    util.run_logged(["make", "-C", tree, "CC=gcc", "-j2", "sparse"], log, "building sparse")
    util.ensure_dir(dest)
    shutil.copy2(os.path.join(tree, "sparse"), binary + ".tmp")
    os.replace(binary + ".tmp", binary)
    shutil.rmtree(work, ignore_errors=True)
    return binary
