#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rdna1-selftest --backend cpu: the sweep passes and its output is valid
# protocol (check_protocol.py); --stress repeats the standard cases; bad
# arguments are usage errors (64).
#   cpu.sh HELPER --standard|--quick [stress]
set -u
helper=$1 sweep=$2 stress=${3:-}
check="$(dirname "$0")/check_protocol.py"
tmp=$(mktemp -d /tmp/rdna1-selftest-cpu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$helper" --backend cpu "$sweep" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || { fail "cpu $sweep: exit $rc, want 0"; cat "$tmp/err"; }
python3 "$check" --expect pass --min-heartbeats 1 "$tmp/out" || fail "cpu $sweep: protocol"
python3 - "$tmp/out" "$sweep" <<'PY' || fail "cpu $sweep: start event"
import json, sys
start = json.loads(open(sys.argv[1]).readline())
ok = (start["backend"] == "cpu" and start["sweep"] == sys.argv[2][2:] and start["device"] is None
      and start["runtime"] is None and start["cases"] >= (30 if sys.argv[2] == "--standard" else 5))
sys.exit(not ok)
PY

if [ -n "$stress" ]; then
        # one full round of the standard cases at least, then the deadline
        "$helper" --backend cpu --stress 1 >"$tmp/stress" 2>"$tmp/err"
        rc=$?
        [ "$rc" -eq 0 ] || { fail "stress: exit $rc, want 0"; cat "$tmp/err"; }
        python3 "$check" --expect pass --min-heartbeats 1 "$tmp/stress" || fail "stress: protocol"
        python3 -c 'import json,sys
ev=[json.loads(l) for l in open(sys.argv[1])]
n=json.loads(open(sys.argv[2]).readline())["cases"]
sys.exit(not (ev[0]["sweep"]=="stress" and ev[0]["cases"]==0 and sum(e["event"]=="case" for e in ev)>=n))' \
                "$tmp/stress" "$tmp/out" || fail "stress: fewer cases than one standard round"
fi

for args in "" "--backend" "--backend gpu" "--backend cpu --stress 0" "--backend cpu --stress x" \
            "--backend cpu extra" "--backend cpu --bogus"; do
        # shellcheck disable=SC2086
        "$helper" $args >"$tmp/usage.out" 2>/dev/null
        rc=$?
        [ "$rc" -eq 64 ] || fail "'$args': exit $rc, want 64 (usage)"
        [ -s "$tmp/usage.out" ] && fail "'$args': usage error wrote to stdout"
done

[ "$fails" -eq 0 ] && echo "ok selftest cpu $sweep"
exit $((fails > 0))
