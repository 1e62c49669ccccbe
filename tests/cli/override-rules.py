#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""HSA_OVERRIDE_GFX_VERSION judged per card, on the real binary (profiles/rules.ini).

    override-rules.py BINARY

On generated roots (clean: RX 5600 XT, gfx1010, KFD node 1; navi14: RX 5500 XT,
gfx1012, KFD node 1), one setting at a time in /etc/environment:
- gfx1012: its own 10.1.2 is fine; 10.1.0 (gfx1010's, ROCm/rocBLAS#1331) a warning;
  10.3.0 critical, the reason naming gfx1012;
- the per-node form: HSA_OVERRIDE_GFX_VERSION_1 is judged for the card at KFD
  node 1 (critical with 10.3.0), _7 (no GPU there) and _X (never read) are not;
- a value that is not MAJOR.MINOR.STEP is env.override-invalid (warning), not
  env.override-gfx;
- LD_PRELOAD of an allocator (libtcmalloc, libjemalloc) is runtime.preload as a
  warning, a shim beside it keeps it critical.
Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, gen_root  # noqa: E402


def judge(binary, root, lines):
    """Write lines as the root's /etc/environment; the findings and exit code."""
    with open(os.path.join(root, "etc/environment"), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    p = subprocess.run([binary, "--root", root, "--json", "--system-only"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    doc = json.loads(p.stdout)
    return {f["id"]: f for f in doc["findings"]}, p.returncode


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="rdna1-override-")
    problems = []

    def want(root, lines, fid, sev, fix_has=None):
        found, code = judge(binary, root, lines)
        f = found.get(fid)
        if sev is None:
            if f:
                problems.append("%s: %s raised (%s)" % (lines, fid, f["severity"]))
            return found
        if not f:
            problems.append("%s: no %s (have %s)" % (lines, fid, sorted(found)))
            return found
        if f["severity"] != sev:
            problems.append("%s: %s is %s, want %s" % (lines, fid, f["severity"], sev))
        for need in fix_has or []:
            if need not in f["fix"]:
                problems.append("%s: %s fix lacks %r: %s" % (lines, fid, need, f["fix"]))
        return found

    try:
        os.chmod(tmp, 0o755)
        navi14 = os.path.join(tmp, "navi14")
        gen_root("navi14", navi14)
        want(navi14, ["HSA_OVERRIDE_GFX_VERSION=10.1.2"], "env.override-gfx", None)
        want(navi14, ["HSA_OVERRIDE_GFX_VERSION=10.1.0"], "env.override-gfx", "warning",
             ["ROCm/rocBLAS#1331", "gfx1012"])
        want(navi14, ["HSA_OVERRIDE_GFX_VERSION=10.3.0"], "env.override-gfx", "critical",
             ["gfx1012", "can hang"])
        found = want(navi14, [], "device.rdna1", "info", ["gfx1012 is not officially supported"])

        clean = os.path.join(tmp, "clean")
        gen_root("clean", clean)
        want(clean, ["HSA_OVERRIDE_GFX_VERSION_1=10.3.0"], "env.override-gfx", "critical",
             ["Why (HSA_OVERRIDE_GFX_VERSION_1)", "gfx1010"])
        want(clean, ["HSA_OVERRIDE_GFX_VERSION_1=10.1.0"], "env.override-gfx", None)
        want(clean, ["HSA_OVERRIDE_GFX_VERSION_7=10.3.0"], "env.override-gfx", None)
        want(clean, ["HSA_OVERRIDE_GFX_VERSION_X=10.3.0"], "env.override-gfx", None)
        found = want(clean, ["HSA_OVERRIDE_GFX_VERSION=10.3"], "env.override-invalid", "warning",
                     ["MAJOR.MINOR.STEP"])
        if "env.override-gfx" in found:
            problems.append("10.3: env.override-gfx raised beside env.override-invalid")
        want(clean, ["HSA_OVERRIDE_GFX_VERSION_1=ten"], "env.override-invalid", "warning")
        want(clean, ["LD_PRELOAD=libtcmalloc.so.4"], "runtime.preload", "warning", ["allocator"])
        want(clean, ["LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2:/usr/local/lib/librdna1_shim.so"],
             "runtime.preload", "critical")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        fail("\n".join(problems))
    print("ok: overrides judged per card and per node, malformed values, allocators")


if __name__ == "__main__":
    main()
