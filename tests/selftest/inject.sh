#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --inject-errors corrupts one output of the first case, in its corner
# (edge) tile: the run must end wrong-result with exit 20, and that case,
# and only it, must be reported as failed, on stdout and stderr.
#   inject.sh HELPER
set -u
helper=$1
check="$(dirname "$0")/check_protocol.py"
tmp=$(mktemp -d /tmp/rdna1-selftest-inject.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$helper" --backend cpu --quick --inject-errors >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 20 ] || fail "inject-errors: exit $rc, want 20"
first=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "case-start":
        print(e["name"]); break' "$tmp/out")
[ -n "$first" ] || fail "no case-start"
python3 "$check" --expect wrong-result --failed-case "$first" "$tmp/out" >"$tmp/check" || { fail "protocol"; cat "$tmp/check"; }
[ "$(grep -c '^failed-case:' "$tmp/check")" -eq 1 ] || fail "more than the injected case failed: $(cat "$tmp/check")"
grep -qF "$first" "$tmp/err" || fail "stderr does not name the failing case"
python3 -c 'import json,sys
c=[json.loads(l) for l in open(sys.argv[1]) if "\"case\"" in l][0]
sys.exit(not (c["bad_elements"] >= 1 and c["repeatable"] is True and c["max_abs_err"] > 1000))' "$tmp/out" ||
        fail "the failing case does not report the corrupted element"

# the same sweep without injection passes: the failure is the injection's
"$helper" --backend cpu --quick >"$tmp/clean" 2>/dev/null
rc=$?
[ "$rc" -eq 0 ] || fail "clean quick run: exit $rc"

[ "$fails" -eq 0 ] && echo "ok selftest inject-errors"
exit $((fails > 0))
