#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dpkg agreement: the doctor's per-file verdict equals `dpkg --root=R --verify`.

    dpkg-agree.py --binary B

Generates tests/scenarios/dpkg-agreement.ini (real dpkg-deb --build, dpkg
--root -i, dpkg-divert --root), runs both, and requires:
- every file dpkg reports (changed digest or missing) is in runtime.modified
  with the same kind, except conffiles, which dpkg marks 'c' and the doctor
  only notes (an admin change);
- every runtime.modified entry dpkg does not report is a packaged symlink
  (dpkg is blind to symlinks), and the doctor names its real target;
- the diversion and the Replaces takeover are silent in both, and the
  diversion is runtime.diverted;
- the expected changes are all there (the test cannot pass on an empty root).
Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SRC, fail, skip, gen_root  # noqa: E402


def dpkg_verify(root):
    env = dict(os.environ, LC_ALL="C")
    p = subprocess.run(["dpkg", "--root=" + root, "--verify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=300)
    out = {}
    for line in p.stdout.decode().splitlines():
        m = re.match(r"^(missing |\?\?5\?\?\?\?\?\?) +(c?) +(/.*)$", line) or \
            re.match(r"^(\S+)\s+(c?)\s*(/.*)$", line)
        if not m:
            fail("unparsed dpkg --verify line: %r" % line)
        kind = "missing" if m.group(1).startswith("missing") else "modified"
        out[m.group(3)] = ("conffile-" + kind) if m.group(2) == "c" else kind
    return out


def doctor_verdicts(doc):
    out = {}
    for f in doc["findings"]:
        if f["id"] != "runtime.modified":
            continue
        for e in f["evidence"]:
            d = e["detail"]
            kind = "missing" if d.startswith("missing") else "symlink" if "symlink" in d else "modified"
            out[e["path"]] = (kind, d)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    for tool in ("dpkg", "dpkg-deb", "dpkg-divert", "gcc", "depmod", "cpio"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            skip("%s not installed" % tool)
    tmp = tempfile.mkdtemp(prefix="rdna1-agree-")
    try:
        root = os.path.join(tmp, "root")
        gen_root("dpkg-agreement", root)
        state = os.path.join(tmp, "state")
        os.mkdir(state, 0o700)
        d = subprocess.run([args.binary, "--root", root, "--state-dir", state, "--json"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
        doc = json.loads(d.stdout)
        dp = dpkg_verify(root)
        dr = doctor_verdicts(doc)
        notes = " ".join(doc.get("notes", []))
        problems = []
        for path, kind in sorted(dp.items()):
            if kind.startswith("conffile-"):
                if path in dr:
                    problems.append("%s: conffile reported as runtime.modified" % path)
                if path not in notes:
                    problems.append("%s: conffile change not noted (notes: %r)" % (path, notes))
                continue
            if path not in dr:
                problems.append("%s: dpkg says %s, the doctor says nothing" % (path, kind))
            elif dr[path][0] != kind:
                problems.append("%s: dpkg says %s, the doctor %r" % (path, kind, dr[path]))
        for path, (kind, detail) in sorted(dr.items()):
            if path in dp:
                continue
            if kind != "symlink":
                problems.append("%s: the doctor says %r, dpkg nothing (only symlinks may differ)" % (path, detail))
            elif not os.path.islink(root + path) or os.readlink(root + path) not in detail:
                problems.append("%s: symlink verdict %r does not name its target" % (path, detail))
        # What the fixture changed must be seen: nothing here passes on an unchanged root.
        want_dpkg = {
            "/opt/rocm-6.0.0/lib/libagree-b.so.6.0.0": "modified",
            "/opt/rocm-6.0.0/lib/libagree-c.so.6.0.0": "missing",
            "/lib/x86_64-linux-gnu/libhip-agree-merged.so.6": "modified",
            "/etc/rocm-agree/agree.conf": "conffile-modified",
        }
        for path, kind in want_dpkg.items():
            if dp.get(path) != kind:
                problems.append("fixture: dpkg --verify should say %s for %s (got %r)" % (kind, path, dp.get(path)))
        if dr.get("/opt/rocm-6.0.0/lib/libagree-a.so.6", ("",))[0] != "symlink":
            problems.append("re-pointed symlink libagree-a.so.6 not reported: %r" % dr)
        for silent in ("/opt/rocm-6.0.0/share/hsa-agree/shared.dat", "/usr/lib/x86_64-linux-gnu/libhip-agree-diverted.so.6",
                       "/usr/lib/x86_64-linux-gnu/libhip-agree-diverted.so.6.distrib",
                       "/opt/rocm-6.0.0/lib/libagree-d.so.6", "/lib/x86_64-linux-gnu/libhip-agree-kept.so.6"):
            if silent in dp or silent in dr:
                problems.append("%s must be silent (dpkg %r, doctor %r)" % (silent, dp.get(silent), dr.get(silent)))
        div = [e for f in doc["findings"] if f["id"] == "runtime.diverted" for e in f["evidence"]]
        if not any(e["path"] == "/usr/lib/x86_64-linux-gnu/libhip-agree-diverted.so.6" for e in div):
            problems.append("runtime.diverted misses the diversion: %r" % div)
        if problems:
            print("\n".join(problems))
            print("--- dpkg --verify: %r\n--- doctor: %r" % (dp, dr))
            sys.exit(1)
        print("ok dpkg agreement: %d files reported by dpkg, %d by the doctor" % (len(dp), len(dr)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
