#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every fixture scenario has its manifest, and the manifest is true.

    scenario-manifest.py [--self-test] SRCDIR

tests/scenarios/SCENARIOS.md has one "## NAME" section per
tests/scenarios/NAME.ini, each with the lines "- In it:", "- Produces:" and
"- Used by:". Where tests/cli/golden/NAME.json exists, "Produces" starts
with "exit N (VERDICT); findings: A, B, ..." (or "findings: none"), and N,
VERDICT and the set of finding ids are the golden's.

--self-test first checks that the checker finds each kind of fault on a
made-up tree (so a checker that finds nothing cannot pass).
Exit 0 pass, 1 fail.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

FIELDS = ("In it", "Produces", "Used by")
PRODUCES = re.compile(r"^exit (\d+) \((\w+)\); findings: (.+?)\.?$")


def sections(text):
    """{name: {field: value}} of the "## NAME" sections."""
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            cur = line[3:].strip()
            out[cur] = {}
        elif cur and line.startswith("- "):
            field, _, value = line[2:].partition(":")
            out[cur][field.strip()] = value.strip()
    return out


def problems(src):
    """The list of what is wrong, empty when nothing is."""
    scen = os.path.join(src, "tests", "scenarios")
    golden = os.path.join(src, "tests", "cli", "golden")
    names = sorted(f[:-4] for f in os.listdir(scen) if f.endswith(".ini"))
    manifest = os.path.join(scen, "SCENARIOS.md")
    if not os.path.exists(manifest):
        return ["tests/scenarios/SCENARIOS.md is missing"]
    with open(manifest) as f:
        secs = sections(f.read())
    bad = []
    for n in names:
        if n not in secs:
            bad.append("%s.ini has no section in SCENARIOS.md" % n)
    for n, fields in secs.items():
        if n not in names:
            bad.append("SCENARIOS.md: section %s has no %s.ini" % (n, n))
            continue
        for field in FIELDS:
            if not fields.get(field):
                bad.append("SCENARIOS.md: %s has no '- %s:' line" % (n, field))
        g = os.path.join(golden, n + ".json")
        if not os.path.exists(g) or not fields.get("Produces"):
            continue
        with open(g) as f:
            d = json.load(f)
        m = PRODUCES.match(fields["Produces"])
        if not m:
            bad.append("SCENARIOS.md: %s: Produces must read 'exit N (VERDICT); findings: ...' "
                       "(it has a golden)" % n)
            continue
        ids = set() if m.group(3) == "none" else {x.strip() for x in m.group(3).split(",")}
        want = {x["id"] for x in d.get("findings", [])}
        if int(m.group(1)) != d.get("exit_code") or m.group(2) != d.get("verdict"):
            bad.append("SCENARIOS.md: %s: exit %s (%s), the golden says exit %s (%s)"
                       % (n, m.group(1), m.group(2), d.get("exit_code"), d.get("verdict")))
        if ids != want:
            bad.append("SCENARIOS.md: %s: findings differ from the golden: missing %s, not there %s"
                       % (n, sorted(want - ids), sorted(ids - want)))
    return bad


def self_test():
    """Each fault in a made-up tree is found; the fixed tree passes."""
    tmp = tempfile.mkdtemp(prefix="rdna1-manifest-")
    try:
        scen = os.path.join(tmp, "tests", "scenarios")
        golden = os.path.join(tmp, "tests", "cli", "golden")
        os.makedirs(scen)
        os.makedirs(golden)
        for n in ("a", "b"):
            open(os.path.join(scen, n + ".ini"), "w").close()
        with open(os.path.join(golden, "a.json"), "w") as f:
            json.dump({"exit_code": 2, "verdict": "critical", "findings": [{"id": "x.y"}, {"id": "z"}]}, f)
        good = ("## a\n- In it: A.\n- Produces: exit 2 (critical); findings: x.y, z\n- Used by: t\n"
                "## b\n- In it: B.\n- Produces: something.\n- Used by: t\n")
        cases = [
            (good, 0),
            (good.replace("## b", "## c"), 2),                     # b unlisted, c has no .ini
            (good.replace("- Used by: t\n## b", "## b"), 1),       # a field missing
            (good.replace("exit 2 (critical)", "exit 1 (warning)"), 1),
            (good.replace("x.y, z", "x.y"), 1),                    # a finding left out
            (good.replace("x.y, z", "x.y, z, w"), 1),              # one the golden lacks
            (good.replace("exit 2 (critical); findings: x.y, z", "it breaks"), 1),
        ]
        for text, n_bad in cases:
            with open(os.path.join(scen, "SCENARIOS.md"), "w") as f:
                f.write(text)
            got = problems(tmp)
            if len(got) != n_bad:
                print("FAIL: self-test: %d problem(s) expected, found %s in:\n%s" % (n_bad, got, text))
                return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok self-test")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("srcdir")
    args = ap.parse_args()
    if args.self_test and not self_test():
        sys.exit(1)
    bad = problems(args.srcdir)
    for b in bad:
        print("FAIL: " + b)
    if bad:
        sys.exit(1)
    print("ok every scenario has its manifest")


if __name__ == "__main__":
    main()
