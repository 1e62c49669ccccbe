# SPDX-License-Identifier: GPL-2.0-or-later
"""What the Python tests share: the source tree, the suite's way to fail and
to skip (exit 1; exit 77, or a failure under CI=true), and a generated
fixture root (tests/gen-root.py with its cache).

A test script next to tests/ imports it with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
"""
import os
import re
import subprocess
import sys

SRC = os.environ.get("RDNA1_TEST_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN_CACHE = os.path.join(SRC, "tests", ".cache", "gen")


# The goldens (tests/cli/golden, tests/tui/golden) were made on Debian 12: json-c 0.16, fixture
# modules compiled by its gcc, kfd_crat.c from its linux-source-6.1. On another release they are
# compared modulo what only that changes (docs/DOMAIN.md §17): an empty JSON array's layout
# (json-c 0.18 prints "[]"), the fixture modules' build-ids and srcversions, and kfd_crat.c line
# numbers. tests/cli/expect/ checks the contract itself on every release.
GOLDEN_RELEASE = "bookworm"


def host_release():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return GOLDEN_RELEASE


def release_neutral(text):
    """text as compared with a golden on a release other than GOLDEN_RELEASE (itself there)."""
    if host_release() == GOLDEN_RELEASE:
        return text
    text = re.sub(r"\[\n\s*\]", "[]", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "@BUILD_ID@", text)
    text = re.sub(r'("srcversion": )"[0-9A-F]{16,32}"', r'\1"@SRCVERSION@"', text)
    text = re.sub(r"kfd_crat\.c:\d+", "kfd_crat.c:@LINE@", text)
    return re.sub(r'"line": \d+', '"line": @LINE@', text)


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
