#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""CLI test of the real rdna1-doctor binary on one generated fixture root.

    golden.py --binary B --scenario tests/scenarios/NAME.ini [--as-user UID] [--mutate WHAT]

1. generates the scenario's root with tests/gen-root.py into a temp dir;
2. runs `B --root ROOT --json` and `B --root ROOT --no-color` (stdout and exit code);
3. checks the properties listed in tests/cli/expect/NAME.expect (the contract:
   exit code, finding ids present/absent, JSON fields);
4. compares both outputs, with the root path replaced by @ROOT@, with
   tests/cli/golden/NAME.json and NAME.txt (UPDATE_GOLDEN=1 rewrites them:
   review the diff);
5. runs the check again (scan cache warm) and requires the same output.

Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SRC, fail, skip, gen_root, release_neutral  # noqa: E402


def run(cmd, env=None, user=None):
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", "--"] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "surrogateescape")


def jpath(doc, path):
    """Tiny accessor: .a.b[0].c"""
    cur = doc
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            cur = cur[int(part[1:-1])]
        else:
            cur = cur[part]
    return cur


def check_expectations(name, doc, code, text, expect_file):
    problems = []
    ids = {f["id"] for f in doc["findings"]}
    with open(expect_file) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, arg = line.partition(" ")
            where = "%s:%d" % (os.path.basename(expect_file), lineno)
            if kind == "exit":
                if code != int(arg):
                    problems.append("%s: exit %d, want %s" % (where, code, arg))
            elif kind == "finding":
                if arg not in ids:
                    problems.append("%s: finding %s missing (have %s)" % (where, arg, sorted(ids)))
            elif kind == "no-finding":
                if arg in ids:
                    problems.append("%s: finding %s must not be raised" % (where, arg))
            elif kind == "evidence":
                fid, _, needle = arg.partition(" ")
                ev = [e for f in doc["findings"] if f["id"] == fid for e in f["evidence"]]
                if not any(needle in "%s:%s %s" % (e.get("path"), e.get("line"), e.get("detail")) for e in ev):
                    problems.append("%s: no evidence of %s contains %r (have %r)" % (where, fid, needle, ev))
            elif kind in ("slot-evidence", "no-slot-evidence"):
                # evidence of the finding ID raised for the device at SLOT
                slot, _, rest = arg.partition(" ")
                fid, _, needle = rest.partition(" ")
                ev = [e for f in doc["findings"] if f["id"] == fid and f.get("pci_slot") == slot for e in f["evidence"]]
                hit = any(needle in "%s:%s %s" % (e.get("path"), e.get("line"), e.get("detail")) for e in ev)
                if hit != (kind == "slot-evidence"):
                    problems.append("%s: evidence of %s at %s %s %r (have %r)" % (
                        where, fid, slot, "lacks" if kind == "slot-evidence" else "must not contain", needle, ev))
            elif kind == "json":
                path, _, want = arg.partition(" ")
                try:
                    got = jpath(doc, path)
                except (KeyError, IndexError, TypeError):
                    got = "<absent>"
                if json.dumps(got) != want and str(got) != want:
                    problems.append("%s: %s is %s, want %s" % (where, path, json.dumps(got), want))
            elif kind == "text-contains":
                if arg not in text:
                    problems.append("%s: text output lacks %r" % (where, arg))
            elif kind == "absent":
                # a string that must appear in no output (secrets, escapes)
                needle = arg.encode().decode("unicode_escape")
                if needle in text or needle in json.dumps(doc):
                    problems.append("%s: %r appears in the output" % (where, arg))
            else:
                problems.append("%s: unknown expectation %r" % (where, kind))
    return problems


def compare_golden(path, got):
    if os.environ.get("UPDATE_GOLDEN") == "1":
        with open(path, "w") as f:
            f.write(got)
        return None
    if not os.path.exists(path):
        return "golden file %s missing (run with UPDATE_GOLDEN=1 and review it)" % path
    with open(path) as f:
        want = f.read()
    want, got = release_neutral(want), release_neutral(got)
    if want != got:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), path, "actual", n=2))
        return "output differs from %s:\n%s" % (path, diff[:6000])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--as-user", type=int, help="run the doctor with this uid (setpriv)")
    ap.add_argument("--sudo-uid", help="set SUDO_UID for the doctor")
    ap.add_argument("--mutate", choices=["dkms-unreadable"], help="change the generated root first")
    ap.add_argument("--name", help="golden/expect name (default: scenario name)")
    args = ap.parse_args()

    name = args.name or os.path.splitext(os.path.basename(args.scenario))[0]
    for tool in ("gcc", "ld", "zstd", "cpio", "depmod", "dpkg-deb"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool) and not os.path.exists("/sbin/" + tool):
            skip("%s not installed" % tool)

    tmp = tempfile.mkdtemp(prefix="rdna1-golden-")
    try:
        os.chmod(tmp, 0o755)
        root = os.path.join(tmp, "root")
        gen_root(args.scenario, root)
        if args.mutate == "dkms-unreadable":
            os.chmod(os.path.join(root, "var", "lib", "dkms"), 0)

        env = dict(os.environ)
        env.pop("SUDO_UID", None)
        env.pop("PKEXEC_UID", None)
        env["NO_COLOR"] = "1"
        if args.sudo_uid:
            env["SUDO_UID"] = args.sudo_uid
        state = os.path.join(tmp, "state")
        os.mkdir(state)
        if args.as_user is not None:
            os.chown(state, args.as_user, args.as_user)
        base = [args.binary, "--root", root, "--state-dir", state]

        code, out, err = run(base + ["--json"], env, args.as_user)
        if code in (64,) or not out.strip():
            fail("no JSON (exit %d): %s" % (code, err))
        try:
            doc = json.loads(out)
        except ValueError as e:
            fail("invalid JSON (%s): %s" % (e, out[:2000]))
        if doc.get("exit_code") != code:
            fail("JSON exit_code %r != process exit %d" % (doc.get("exit_code"), code))
        tcode, text, terr = run(base + ["--no-color"], env, args.as_user)
        if tcode != code:
            fail("text mode exit %d != JSON mode exit %d\n--- text:\n%s\n--- json:\n%s" % (tcode, code, text, out))
        if "\x1b" in out or "\x1b" in text:
            fail("raw escape character in the output")

        problems = []
        expect = os.path.join(SRC, "tests", "cli", "expect", name + ".expect")
        if not os.path.exists(expect):
            problems.append("expectation file %s missing" % expect)
        else:
            problems += check_expectations(name, doc, code, text, expect)

        norm_json = out.replace(root, "@ROOT@")
        norm_text = text.replace(root, "@ROOT@")
        gdir = os.path.join(SRC, "tests", "cli", "golden")
        for suffix, got in ((".json", norm_json), (".txt", norm_text)):
            msg = compare_golden(os.path.join(gdir, name + suffix), got)
            if msg:
                problems.append(msg)

        # Warm cache: same answer.
        code2, out2, err2 = run(base + ["--json"], env, args.as_user)
        if code2 != code or out2 != out:
            import difflib
            diff = "".join(difflib.unified_diff(out.splitlines(True), out2.splitlines(True), "first", "cached", n=1))
            problems.append("second (cached) run differs: exit %d vs %d\n%s%s" % (code2, code, diff[:4000], err2))

        if problems:
            print("\n".join(problems))
            print("--- stderr of the JSON run:\n" + err)
            sys.exit(1)
        print("ok %s: exit %d, %d findings" % (name, code, len(doc["findings"])))
    finally:
        subprocess.run(["chmod", "-R", "u+rwX", tmp])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
