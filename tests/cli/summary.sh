#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --summary (what the package hooks print) on the demo root, the seeds'
# broken machine: the verdict and counts, one "SEVERITY ID [kernel=K]...
# [device=SLOT]" line per finding, the next step; nothing read from a file
# but kernel and device names; the exit code of --check; usage errors.
set -u
bin=$1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
out=$("$bin" --demo --summary)
rc=$?
[ "$rc" -eq 2 ] || fail "exit $rc, want 2 (critical)"
[ "$(head -1 <<<"$out")" = "rdna1-doctor: verdict critical (9 critical, 5 warning, 5 info), exit 2" ] ||
        fail "verdict line: $(head -1 <<<"$out")"
for line in "  critical kernel.patched-source" \
            "  critical kernel.patched-build kernel=6.8.0-48-generic" \
            "  critical kernel.patched-installed kernel=6.8.0-48-generic" \
            "  critical kernel.patched-initramfs kernel=6.8.0-48-generic" \
            "  critical kernel.patched-loaded kernel=6.8.0-48-generic" \
            "  critical env.override-gfx device=0000:03:00.0" \
            "  critical runtime.preload" \
            "  critical python.no-native-code" \
            "  warning python.startup-hook" \
            "  info leftover.miopen-cache" \
            "  info device.rdna1 device=0000:03:00.0"; do
        grep -qxF -- "$line" <<<"$out" || fail "missing line '$line'"
done
grep -q '^Next step: .*rdna1-doctor --recover --dry-run' <<<"$out" || fail "no next step"
# no evidence: no paths, no build-ids, no details
grep -q '/' <<<"$out" && fail "a path in the summary: $(grep / <<<"$out")"
grep -qi 'build-id\|marker' <<<"$out" && fail "evidence details in the summary"
[ "$(wc -l <<<"$out")" -eq 21 ] || fail "$(wc -l <<<"$out") lines, want 21"
# same counts as the JSON document
json=$("$bin" --demo --json)
for sev in critical warning info; do
        n=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"][sys.argv[1]])' "$sev" <<<"$json")
        got=$(grep -c "^  $sev " <<<"$out")
        [ "$n" = "$got" ] || fail "$sev: $got lines, JSON says $n"
done
for bad in "--summary --json" "--summary --quiet" "--summary --selftest"; do
        # shellcheck disable=SC2086
        "$bin" $bad >/dev/null 2>&1
        [ $? -eq 64 ] || fail "$bad is not a usage error"
done
[ "$fails" -eq 0 ] && echo "ok summary"
exit $((fails > 0))
