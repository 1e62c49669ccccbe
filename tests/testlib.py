# SPDX-License-Identifier: GPL-2.0-or-later
"""What the Python tests share: the source tree, the suite's way to fail and
to skip (exit 1; exit 77, or a failure under CI=true), and a generated
fixture root (tests/gen-root.py with its cache).

A test script next to tests/ imports it with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
"""
import os
import subprocess
import sys

SRC = os.environ.get("RDNA1_TEST_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN_CACHE = os.path.join(SRC, "tests", ".cache", "gen")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def skip(msg):
    if os.environ.get("CI") == "true":
        fail("prerequisite missing under CI=true: " + msg)
    print("SKIP: " + msg)
    sys.exit(77)


def gen_root(scenario, dest):
    """Generate tests/scenarios/SCENARIO.ini (or the .ini at that path) into dest;
    skip when gen-root.py says a prerequisite is missing, fail when it fails."""
    ini = scenario if scenario.endswith(".ini") else os.path.join(SRC, "tests", "scenarios", scenario + ".ini")
    os.makedirs(GEN_CACHE, exist_ok=True)
    p = subprocess.run([sys.executable, os.path.join(SRC, "tests", "gen-root.py"), "--cache", GEN_CACHE, ini, dest],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    if p.returncode == 77:
        skip("gen-root.py: " + out.strip()[-400:])
    if p.returncode != 0:
        fail("gen-root.py %s failed:\n%s" % (os.path.basename(ini), out))
