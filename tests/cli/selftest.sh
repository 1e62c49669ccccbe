#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rdna1-doctor --selftest end to end: the CPU backend through the real
# helper and watchdog, error injection, the framework probe against a
# stand-in torch that hangs from 44x44 like the seed's stack, the records
# that turn into selftest.hang and selftest.crashed-previous-boot, and the
# refusal that follows. Every state file goes to a temp --state-dir.
set -u
bin=$1
export RDNA1_SELFTEST_HELPER=$2
src=${RDNA1_TEST_SRCDIR:?}
tmp=$(mktemp -d /tmp/rdna1-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }

python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" "$src/tests/scenarios/clean.ini" "$tmp/root" >/dev/null ||
        { echo "FAIL: gen-root"; exit 1; }
mkdir "$tmp/state"

# 1. CPU backend, quick sweep: pass, cases reported
"$bin" --root "$tmp/root" --state-dir "$tmp/state" --selftest --backend cpu --quick --json >"$tmp/cpu.json"
rc=$?
[ "$rc" -eq 0 ] || fail "cpu quick: exit $rc"
[ "$(jget "$tmp/cpu.json" '["outcome"]')" = pass ] || fail "cpu quick: outcome"
[ "$(jget "$tmp/cpu.json" '["schema"]')" = rdna1-doctor/selftest/1 ] || fail "cpu quick: schema"
[ "$(jget "$tmp/cpu.json" '["cases_failed"]')" = 0 ] || fail "cpu quick: cases_failed"
[ "$(jget "$tmp/cpu.json" '["cases_passed"]')" -ge 3 ] || fail "cpu quick: too few cases"
# a CPU run writes no GPU records
[ ! -e "$tmp/state/selftest/in-progress.json" ] || fail "cpu run left an in-progress record"

# 2. injected errors must fail the run (exit 20)
"$bin" --root "$tmp/root" --state-dir "$tmp/state" --selftest --backend cpu --quick --inject-errors --json >"$tmp/inj.json"
rc=$?
[ "$rc" -eq 20 ] || fail "inject-errors: exit $rc, want 20"
[ "$(jget "$tmp/inj.json" '["outcome"]')" = wrong-result ] || fail "inject-errors: outcome"

# 3. a GPU run on a fixture root is refused (exit 3), nothing recorded
"$bin" --root "$tmp/root" --state-dir "$tmp/state" --selftest --backend hip --quick >/dev/null 2>"$tmp/refused.err"
rc=$?
[ "$rc" -eq 3 ] || fail "hip on --root: exit $rc, want 3"
grep -q "running system only" "$tmp/refused.err" || fail "hip on --root: reason"

# 4. framework probe on the running system with a torch that hangs from 44x44
# (--as-root: the test's torch comes through root's PYTHONPATH, which the
# unprivileged run as nobody would not get)
export PYTHONPATH="$src/tests/selftest/fake-torch" FAKE_TORCH_HANG_FROM=44
export RDNA1_SELFTEST_CASE_DEADLINE_MS=1500 RDNA1_SELFTEST_NO_PROGRESS_MS=5000
# The marker is in this run's environment only: a process that still has it
# afterwards is a survivor of this run (not of another test running beside it).
RDNA1_TEST_MARK="$tmp" "$bin" --state-dir "$tmp/state" --selftest --as-root --framework python3 --json >"$tmp/fw.json" 2>"$tmp/fw.err"
rc=$?
[ "$rc" -eq 22 ] || { fail "framework hang: exit $rc, want 22"; cat "$tmp/fw.err" "$tmp/fw.json"; }
[ "$(jget "$tmp/fw.json" '["largest_size_passed"]')" = 42 ] || fail "framework: largest size passed"
[ "$(jget "$tmp/fw.json" '["first_failure_size"]')" = 44 ] || fail "framework: first failure size"
[ "$(jget "$tmp/fw.json" '["outcome"]')" = hang ] || fail "framework: outcome"
grep -lsz "^RDNA1_TEST_MARK=$tmp\$" /proc/[0-9]*/environ >/dev/null && fail "framework: a probe process survived"
[ ! -e "$tmp/state/selftest/in-progress.json" ] || fail "framework: in-progress record not removed"
grep -q '"hang"' "$tmp/state/selftest/last.json" || fail "framework: last.json lacks the outcome"

# 4b. the same probe under a profile: the workload gets a clean environment
# plus the profile, so the profile's FAKE_TORCH_HANG_FROM=48 wins over the
# caller's 44; a profile that poisons gfx1010 is refused before anything runs.
fw_profile() { # NAME HANG_FROM [EXTRA_LINE]
        printf '[profile]\nname = %s\ndescription = the stand-in torch\ngfx-targets = gfx1010\n' "$1"
        printf '[env]\nPYTHONPATH = %s\nFAKE_TORCH_HANG_FROM = %s\n%s\n' "$src/tests/selftest/fake-torch" "$2" "${3:-}"
        printf '[reason]\nPYTHONPATH = test\nFAKE_TORCH_HANG_FROM = test\n[source]\nPYTHONPATH = test\nFAKE_TORCH_HANG_FROM = test\n'
}
mkdir "$tmp/state-profile"
fw_profile fw-test 48 >"$tmp/fw-test.ini"
"$bin" --state-dir "$tmp/state-profile" --selftest --as-root --framework python3 --profile "$tmp/fw-test.ini" --json \
        >"$tmp/fwp.json" 2>"$tmp/fwp.err"
rc=$?
[ "$rc" -eq 22 ] || { fail "framework under a profile: exit $rc, want 22"; cat "$tmp/fwp.err"; }
[ "$(jget "$tmp/fwp.json" '["largest_size_passed"]')" = 44 ] || fail "framework under a profile: the profile's environment was not used"
[ "$(jget "$tmp/fwp.json" '["profile"]')" = "$tmp/fw-test.ini" ] || fail "framework under a profile: JSON does not name it"
fw_profile fw-poison 48 'HSA_OVERRIDE_GFX_VERSION = 10.3.0' >"$tmp/fw-poison.ini"
rm -rf "$tmp/state-profile"; mkdir "$tmp/state-profile"
"$bin" --state-dir "$tmp/state-profile" --selftest --as-root --framework python3 --profile "$tmp/fw-poison.ini" >/dev/null 2>"$tmp/fwp2.err"
rc=$?
[ "$rc" -eq 3 ] || fail "poisoning profile: exit $rc, want 3"
grep -q 'HSA_OVERRIDE_GFX_VERSION' "$tmp/fwp2.err" || fail "poisoning profile: the refusal does not name the variable"
[ ! -e "$tmp/state-profile/selftest/last.json" ] || fail "poisoning profile: a run was recorded"
"$bin" --state-dir "$tmp/state-profile" --selftest --as-root --framework python3 --profile no-such-profile >/dev/null 2>&1
[ $? -eq 64 ] || fail "unknown profile: not a usage error"
rm -rf "$tmp/state-profile"

# 5. --check now reports selftest.hang, and GPU runs are refused until reboot
"$bin" --state-dir "$tmp/state" --check --json >"$tmp/check.json"
python3 -c 'import json,sys; ids=[f["id"] for f in json.load(open(sys.argv[1]))["findings"]]; sys.exit("selftest.hang" not in ids)' "$tmp/check.json" ||
        fail "check after hang: no selftest.hang"
"$bin" --state-dir "$tmp/state" --selftest --as-root --framework python3 >/dev/null 2>"$tmp/again.err"
rc=$?
[ "$rc" -eq 3 ] || fail "second GPU run after a hang: exit $rc, want 3 (refused)"
grep -q selftest.hang "$tmp/again.err" || fail "refusal does not name selftest.hang"

# 6. an in-progress record from an earlier boot: selftest.crashed-previous-boot
rm -f "$tmp/state/selftest/last.json"
printf '{"boot_id":"00000000-0000-0000-0000-000000000000","backend":"hip","time":1700000000,"pid":1}' \
        >"$tmp/state/selftest/in-progress.json"
"$bin" --state-dir "$tmp/state" --check --json >"$tmp/check2.json"
rc=$?
[ "$rc" -eq 2 ] || fail "crashed-previous-boot: exit $rc, want 2"
python3 -c 'import json,sys; ids=[f["id"] for f in json.load(open(sys.argv[1]))["findings"]]; sys.exit("selftest.crashed-previous-boot" not in ids)' "$tmp/check2.json" ||
        fail "no selftest.crashed-previous-boot"
rm -f "$tmp/state/selftest/in-progress.json"

# 6b. the same on the fixture root, whose persistent journal (a real journal
# file, written by systemd-journal-remote) holds that boot's kernel lines:
# the GPU lines become evidence, other lines and other boots do not.
jr=/lib/systemd/systemd-journal-remote
if [ -x "$jr" ]; then
        prev=0f5e3b1c2d4a4b6c8e9f001122334455
        mkdir -p "$tmp/root/var/log/journal/0123456789abcdef0123456789abcdef" "$tmp/rootstate/selftest"
        python3 - "$tmp/export.txt" "$prev" <<'PY'
import sys
out, prev = open(sys.argv[1], "w"), sys.argv[2]
lines = [(prev, "amdgpu 0000:03:00.0: amdgpu: ring gfx_0.0.0 timeout, signaled seq=1, emitted seq=3"),
         (prev, "usb 1-1: new high-speed USB device number 2"),
         (prev, "amdgpu 0000:03:00.0: amdgpu: GPU reset begin! \x1b]0;owned\x07"),
         ("11111111111111111111111111111111", "amdgpu: a line of another boot")]
for i, (boot, msg) in enumerate(lines):
    out.write(f"__CURSOR=s=0;i={i+1}\n__REALTIME_TIMESTAMP={1700000000000000 + i}\n"
              f"__MONOTONIC_TIMESTAMP={1000 + i}\n_BOOT_ID={boot}\n_TRANSPORT=kernel\n"
              f"_MACHINE_ID=0123456789abcdef0123456789abcdef\nMESSAGE={msg}\n\n")
PY
        "$jr" --output="$tmp/root/var/log/journal/0123456789abcdef0123456789abcdef/system.journal" \
                "$tmp/export.txt" 2>/dev/null || fail "systemd-journal-remote could not write the fixture journal"
        printf '{"boot_id":"0f5e3b1c-2d4a-4b6c-8e9f-001122334455","backend":"hip","time":1700000000,"pid":1}' \
                >"$tmp/rootstate/selftest/in-progress.json"
        "$bin" --root "$tmp/root" --state-dir "$tmp/rootstate" --check --json >"$tmp/check3.json"
        python3 - "$tmp/check3.json" <<'PY' || fail "crashed-previous-boot: kernel-log evidence"
import json, sys
doc = json.load(open(sys.argv[1]))
f = [f for f in doc["findings"] if f["id"] == "selftest.crashed-previous-boot"]
assert f, "no finding"
ev = [e["detail"] for e in f[0]["evidence"] if e["path"] == "/var/log/journal"]
assert any("ring gfx_0.0.0 timeout" in d for d in ev), ev
assert any("GPU reset begin" in d for d in ev), ev
assert not any("usb 1-1" in d or "another boot" in d for d in ev), ev
assert not any("\x1b" in d or "\x07" in d for d in ev), "control characters reached the output"
PY
        # no journal at all: the evidence says the log is unknown
        rm -rf "$tmp/root/var/log/journal"
        "$bin" --root "$tmp/root" --state-dir "$tmp/rootstate" --check --json >"$tmp/check4.json"
        grep -q 'kernel log of that boot: unknown' "$tmp/check4.json" || fail "no journal: not reported as unknown"
        rm -rf "$tmp/rootstate"
elif [ "${CI:-}" = true ]; then
        fail "systemd-journal-remote missing (package systemd-journal-remote)"
else
        echo "SKIP 6b: systemd-journal-remote missing (package systemd-journal-remote)"
fi

# 7. no torch at all: could not run (exit 3), says what is missing
PYTHONPATH=/nonexistent "$bin" --state-dir "$tmp/state" --selftest --as-root --framework python3 --json >"$tmp/notorch.json" 2>/dev/null
rc=$?
[ "$rc" -eq 3 ] || fail "no torch: exit $rc, want 3"
grep -q "torch" "$tmp/notorch.json" || fail "no torch: reason does not name torch"

# 8. text output: each case's GFLOP/s, and beside it the fraction of the FP32 peak when the
# helper knows the peak (a stand-in helper speaking PROTOCOL.md: no GPU here)
cat >"$tmp/peak-helper" <<'EOF'
#!/bin/sh
echo '{"event":"start","backend":"cpu","sweep":"quick","cases":2,"device":null,"runtime":null}'
echo '{"event":"case-start","index":0,"name":"n1 c3x8x8 -> 16 k3x3 s1 p1"}'
echo '{"event":"case","index":0,"name":"n1 c3x8x8 -> 16 k3x3 s1 p1","result":"pass","ms":2.0,"gflops":900.0,"max_abs_err":0.0,"bad_elements":0,"repeatable":true,"peak_fraction":0.125}'
echo '{"event":"case-start","index":1,"name":"n1 c3x12x12 -> 16 k3x3 s1 p1"}'
echo '{"event":"case","index":1,"name":"n1 c3x12x12 -> 16 k3x3 s1 p1","result":"pass","ms":2.0,"gflops":450.0,"max_abs_err":0.0,"bad_elements":0,"repeatable":true,"peak_fraction":null}'
echo '{"event":"end","result":"pass","cases_passed":2,"cases_failed":0}'
EOF
chmod +x "$tmp/peak-helper"
RDNA1_SELFTEST_HELPER=$tmp/peak-helper "$bin" --root "$tmp/root" --state-dir "$tmp/state" --selftest --backend cpu --as-root \
        --quick >"$tmp/peak.txt" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "peak fraction: exit $rc"
grep -q "c3x8x8 .*900\.0 GFLOP/s (12\.5% of FP32 peak)" "$tmp/peak.txt" || fail "peak fraction: not shown: $(cat "$tmp/peak.txt")"
grep "c3x12x12" "$tmp/peak.txt" | grep -q "450\.0 GFLOP/s$" || fail "peak fraction: shown without a known peak"

# root with no invoking user runs the helper as nobody: a helper nobody cannot
# reach (a build tree under /root, 0700) could not run (exit 3), and the
# message says how to go on
if [ "$(id -u)" -eq 0 ]; then
        mkdir -m 0700 "$tmp/closed"
        cp "$RDNA1_SELFTEST_HELPER" "$tmp/closed/rdna1-selftest"
        env -u SUDO_UID -u PKEXEC_UID -u DOAS_USER RDNA1_SELFTEST_HELPER="$tmp/closed/rdna1-selftest" \
                "$bin" --root "$tmp/root" --state-dir "$tmp/state" --selftest --backend cpu --quick >"$tmp/closed.txt" 2>&1
        rc=$?
        [ "$rc" -eq 3 ] || fail "helper out of nobody's reach: exit $rc, want 3"
        grep -q "pass --as-root" "$tmp/closed.txt" || fail "helper out of nobody's reach: no way on: $(cat "$tmp/closed.txt")"
fi

# usage errors
"$bin" --quick >/dev/null 2>&1; [ $? -eq 64 ] || fail "--quick without --selftest is not a usage error"
"$bin" --selftest --backend gpu >/dev/null 2>&1; [ $? -eq 64 ] || fail "--backend gpu accepted"

[ "$fails" -eq 0 ] && echo "ok selftest"
exit $((fails > 0))
