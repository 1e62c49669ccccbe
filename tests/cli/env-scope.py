#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--system-only skips homes: on the env-seeds root, the system sources are still
found (profile.d, the ollama drop-in, ld.so.preload) and no evidence lies under
/home; without it, the home's chain is there.

    env-scope.py --binary B
Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("RDNA1_TEST_SRCDIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(binary, root, extra):
    p = subprocess.run([binary, "--root", root, "--json"] + extra, stdout=subprocess.PIPE, timeout=300)
    doc = json.loads(p.stdout)
    return [(f["id"], e["path"], e["line"]) for f in doc["findings"] for e in f["evidence"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    for tool in ("gcc", "ld", "cpio", "dpkg-deb"):
        if not shutil.which(tool):
            if os.environ.get("CI") == "true":
                print("FAIL: %s missing under CI=true" % tool)
                return 1
            print("SKIP: %s not installed" % tool)
            return 77
    tmp = tempfile.mkdtemp(prefix="rdna1-envscope-")
    try:
        os.chmod(tmp, 0o755)
        root = os.path.join(tmp, "root")
        g = subprocess.run([sys.executable, os.path.join(SRC, "tests/gen-root.py"), "--standin", "--no-devnodes",
                            os.path.join(SRC, "tests/scenarios/env-seeds.ini"), root],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if g.returncode != 0:
            print("FAIL: gen-root: %s" % g.stderr.decode())
            return 1
        full = check(args.binary, root, [])
        system = check(args.binary, root, ["--system-only"])
        problems = []
        if ("env.override-gfx", "/home/alice/rocm_rdna1_env.sh", 4) not in full:
            problems.append("the home's env file is missing without --system-only: %r" % full)
        for want in [("env.override-gfx", "/etc/profile.d/rocm-rdna1-57.sh", 4),
                     ("env.override-gfx", "/etc/systemd/system/ollama.service.d/override.conf", 3),
                     ("runtime.preload", "/etc/ld.so.preload", 2)]:
            if want not in system:
                problems.append("--system-only lacks %r" % (want,))
        homes = [e for e in system if e[1] and e[1].startswith("/home/")]
        if homes:
            problems.append("--system-only read homes: %r" % homes)
        for p in problems:
            print("FAIL: " + p)
        if not problems:
            print("ok env-scope")
        return 1 if problems else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
