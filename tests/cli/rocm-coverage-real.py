#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""stack.rocm names the GPU targets of a real distribution ROCm library, read within its bound.

    rocm-coverage-real.py BINARY

The package is the one this Debian release really ships and ./test installs:
librocsparse0 (bookworm: 5.3.0+dfsg-2, a 1.3 GB library whose offload bundles
carry gfx803 ... gfx1030 and nothing for gfx101x; trixie's too). A generated
root (RX 5600 XT, gfx1010) gets the package's dpkg records; inside a private
mount namespace (unshare -m) the installed library itself is bind-mounted
over the root's placeholder, so nothing is copied and the host is untouched.
Checked:
- stack.rocm evidence names the library, gfx803 and gfx1030 among its targets
  and "none for gfx1010";
- bounded: under strace, the bytes read from the library stay within
  bundles x GPU_BUNDLE_HEADER_MAX (256 KiB) + the section tables (1 MiB
  string table + 64 KiB headers), far below its size;
- cached: a second run with the same cache reads nothing from it.
Exit 0 pass, 1 fail, 77 skip (no librocsparse0, strace or unshare, and CI is not true).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, skip, gen_root, SRC  # noqa: E402

HEADER_MAX = 256 * 1024      # GPU_BUNDLE_HEADER_MAX, parse/gpu_bundle.h
TABLES_MAX = (1 << 20) + 64 * 65536 + 64   # ELF_STRTAB_MAX + the section headers + the ELF header
BUNDLES_MAX = 4096           # GPU_BUNDLES_MAX


def installed_version(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Status}|${Version}", pkg], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    out = p.stdout.decode()
    return out.split("|", 1)[1] if p.returncode == 0 and out.startswith("install ok installed|") else None


def package_library(pkg):
    """The package's shared library (a regular file, not its soname link), from dpkg -L."""
    p = subprocess.run(["dpkg", "-L", pkg], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for path in p.stdout.decode().splitlines():
        if re.search(r"/librocsparse\.so\.[0-9.]+$", path) and os.path.isfile(path) and not os.path.islink(path):
            return path
    return None


def main():
    binary = os.path.abspath(sys.argv[1])
    version = installed_version("librocsparse0")
    lib = package_library("librocsparse0") if version else None
    if not lib:
        skip("librocsparse0 is not installed (./test installs it)")
    for tool in ("strace", "unshare"):
        if not shutil.which(tool):
            skip("%s is not installed" % tool)
    if os.geteuid() != 0:
        skip("a bind mount in a private mount namespace needs root")
    tmp = tempfile.mkdtemp(prefix="rdna1-rocmcov-")
    problems = []
    try:
        os.chmod(tmp, 0o755)
        ini = os.path.join(tmp, "real-rocsparse.ini")
        with open(ini, "w") as f:
            f.write("[scenario]\nbase = %s\ndescription = the real librocsparse0\n\n[python]\nbenign = no\n\n"
                    "[package.librocsparse0]\nversion = %s\nmultiarch = yes\nmd5sums = no\nfiles = %s\n"
                    % (os.path.join(SRC, "tests", "scenarios", "clean"), version, lib))
        root = os.path.join(tmp, "root")
        gen_root(ini, root)
        cache = os.path.join(tmp, "state")
        os.makedirs(cache)
        script = ('mount --bind "$1" "$2$1" && exec strace -f -qq -y -e trace=pread64,read -e signal=none '
                  '-o "$3" "$4" --root "$2" --state-dir "$5" --json')

        # LeakSanitizer cannot run under ptrace (a sanitizer build): leaks are
        # checked by every other test; this one counts the bytes read.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")

        def run(n):
            log = os.path.join(tmp, "strace.%d" % n)
            p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", lib, root,
                                log, binary, cache], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600,
                               env=env)
            if p.returncode not in (0, 1, 2):
                fail("exit %d:\n%s" % (p.returncode, p.stderr.decode()[-3000:]))
            got = 0
            with open(log) as f:
                for line in f:
                    m = re.search(r"(?:pread64|read)\(\d+<([^>]*)>.*\) = (\d+)$", line)
                    if m and m.group(1).endswith(os.path.basename(lib)):
                        got += int(m.group(2))
            return json.loads(p.stdout.decode()), got

        doc, got = run(1)
        ev = [e for f in doc["findings"] if f["id"] == "stack.rocm" for e in f["evidence"]
              if e.get("path") == lib]
        if len(ev) != 1:
            problems.append("stack.rocm evidence for the library: %r" % ev)
        else:
            d = ev[0]["detail"]
            # bookworm's 5.3.0 carries gfx803 ... gfx1030 and no gfx101x (checked by hand before);
            # other releases' builds are only held to their own answer
            bookworm = version.startswith("5.3.0")
            needs = ["librocsparse0 %s" % version, "carries GPU code for", "gfx1030"]
            needs += ["gfx803", "none for gfx1010"] if bookworm else []
            for need in needs:
                if need not in d:
                    problems.append("evidence lacks %r: %s" % (need, d))
            own = d.split("carries GPU code for ", 1)[-1].split(";")[0].split()
            if bookworm and any(t.split(":")[0] in ("gfx1010", "gfx1011", "gfx1012") for t in own):
                problems.append("a gfx101x target among the library's own: %s" % d)
            if ("gfx1010" in [t.split(":")[0] for t in own]) != ("has gfx1010" in d):
                problems.append("its targets and its verdict on gfx1010 disagree: %s" % d)
        size = os.path.getsize(lib)
        bound = BUNDLES_MAX * HEADER_MAX + TABLES_MAX
        if got == 0 or got > bound or got > size // 10:
            problems.append("read %d bytes of the %d-byte library (bound %d, and a tenth of it)" % (got, size, bound))
        doc2, got2 = run(2)
        if got2 != 0:
            problems.append("second run with the cache read %d bytes of the library" % got2)
        ev2 = [e for f in doc2["findings"] if f["id"] == "stack.rocm" for e in f["evidence"]
               if e.get("path") == lib]
        if ev2 != ev:
            problems.append("cached run: %r, first run: %r" % (ev2, ev))
        print("read %d bytes of %d (bound %d); evidence: %s" % (got, size, bound, ev[0]["detail"] if ev else None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        fail("\n".join(problems))
    print("ok: the real librocsparse0's GPU targets, bounded and cached")


if __name__ == "__main__":
    main()
