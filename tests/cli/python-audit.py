#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Python audit's bounds and scopes, on the real binary and a generated root.

    python-audit.py BINARY

1. python-home-bounds (python-leftovers + 30000 files in ~/datasets/images):
   the home walk stops at its entry limit and says so with the count
   (--verbose), while the venv under ~/venvs and the conda env under
   ~/miniconda3 are still checked (they are looked at before the walk);
   a library changed (same size) after a run that cached its digest is caught;
2. --system-only: only the system trees (no home is read: no ~/.local hook,
   no wheel in a venv, no MIOpen cache, no reason about a home);
3. run as uid 65534: alice's home (0750) is unreadable; the system hooks are
   still found and nothing crashes.
Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SRC, fail, skip, gen_root  # noqa: E402

WALK_LIMIT = 20000          # ENV_WALK_ENTRIES in src/core/check/rules_python.c


def run(cmd, user=None):
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", "--"] + cmd
    env = dict(os.environ, NO_COLOR="1")
    env.pop("SUDO_UID", None)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def evidence(doc, fid):
    return [e for f in doc["findings"] if f["id"] == fid for e in f["evidence"]]


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="rdna1-python-")
    problems = []
    try:
        os.chmod(tmp, 0o755)
        root = os.path.join(tmp, "root")
        gen_root("python-home-bounds", root)
        state = os.path.join(tmp, "state")
        os.mkdir(state)
        os.chmod(state, 0o777)
        base = [binary, "--root", root, "--state-dir", state]

        # 1. bounded walk, counted
        code, out, err = run(base + ["--json"])
        doc = json.loads(out)
        code_t, text, _ = run(base + ["--verbose"])
        want = "python: /home/alice stopped after %d entries (limit)" % WALK_LIMIT
        if want not in text:
            problems.append("bounded walk: %r not in --verbose output:\n%s" % (want, text[-3000:]))
        if doc["partial"]:
            problems.append("a bounded home walk must not make the result partial")
        paths = {e["path"] for e in evidence(doc, "python.modified-wheel-lib")}
        for need in ("/home/alice/venvs/rocm57/lib/python3.12/site-packages/torch/lib/libMIOpen.so",
                     "/home/alice/miniconda3/envs/py311/lib/python3.11/site-packages/triton/third_party/hip/lib/"
                     "libhsa-runtime64.so.1"):
            if need not in paths:
                problems.append("bounded walk: %s not checked (have %s)" % (need, sorted(paths)))
        if code != 1 or code_t != 1:
            problems.append("exit %d/%d, want 1 (warnings)" % (code, code_t))

        # 1b. digests are cached under the file's stat (--state-dir): a library changed after a cached
        # run (same size, other bytes) is still caught
        lib = os.path.join(root, "home/alice/venvs/rocm57/lib/python3.12/site-packages/torch/lib/libamdhip64.so")
        with open(lib, "r+b") as f:
            data = bytearray(f.read())
            data[100] ^= 1
            f.seek(0)
            f.write(data)
        code, out, err = run(base + ["--json"])
        paths = {e["path"] for e in evidence(json.loads(out), "python.modified-wheel-lib")}
        if lib[len(root):] not in paths:
            problems.append("a library changed after a cached run was not caught (have %s)" % sorted(paths))

        # 2. --system-only reads no home
        code, out, err = run(base + ["--json", "--system-only"])
        doc = json.loads(out)
        ids = {f["id"] for f in doc["findings"]}
        hooks = {e["path"] for e in evidence(doc, "python.startup-hook")}
        if hooks != {"/usr/local/lib/python3.12/dist-packages/zz_rocm_rdna1.pth",
                     "/usr/local/lib/python3.12/dist-packages/sitecustomize.py"}:
            problems.append("--system-only: hooks %s, want only the two in /usr/local" % sorted(hooks))
        for fid in ("python.modified-wheel-lib", "leftover.miopen-cache"):
            if fid in ids:
                problems.append("--system-only: %s raised (it lives in a home)" % fid)
        _, text, _ = run(base + ["--verbose", "--system-only"])
        if "/home/alice" in text:
            problems.append("--system-only: a home was looked at:\n" + text[-2000:])

        # 3. unprivileged: alice's home is closed, the system trees are not
        code, out, err = run(base + ["--json"], user=65534)
        try:
            doc = json.loads(out)
        except ValueError:
            fail("no JSON as uid 65534 (exit %d): %s" % (code, err))
        hooks = {e["path"] for e in evidence(doc, "python.startup-hook")}
        if "/usr/local/lib/python3.12/dist-packages/sitecustomize.py" not in hooks:
            problems.append("uid 65534: system sitecustomize.py hook not found (have %s)" % sorted(hooks))
        if any(h.startswith("/home/alice") for h in hooks):
            problems.append("uid 65534 read alice's 0750 home")
        if code == 0:
            problems.append("uid 65534: exit 0 although hooks were found")
    finally:
        subprocess.run(["chmod", "-R", "u+rwX", tmp])
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok python-audit")


if __name__ == "__main__":
    main()
