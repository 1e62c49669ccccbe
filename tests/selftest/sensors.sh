#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The helper's sensors (ROCm SMI, src/selftest/smi.c) on a machine without
# a GPU: a CPU run given a slot to watch (RDNA1_SELFTEST_SENSORS_SLOT, a
# test hook) with
#   - a stand-in library: the heartbeats carry its readings;
#   - a stand-in whose rsmi_init never returns: the run still passes, the
#     `start` event says "no sensors" and why: the bound smi.c enforces
#     (SMI_OPEN_TIMEOUT_MS, 5000 ms), well before the 120 s guard here;
#   - the installed librocm_smi64 (Debian: librocm-smi64-1): rsmi_init
#     fails without a GPU, which is "no sensors" with that reason, never a
#     crash or a hang. Missing library: a skip (a failure with CI=true).
#   sensors.sh HELPER SMI-STUB.so
set -u
helper=$1
stub=$2
check="$(dirname "$0")/check_protocol.py"
tmp=$(mktemp -d /tmp/rdna1-selftest-sensors.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# start_field FILE KEY: the start event's KEY ("" for null or absent)
start_field() {
        python3 -c 'import json,sys; v=json.loads(open(sys.argv[1]).readline()).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}
# readings FILE: "TEMPERATURE BUSY" of the heartbeats that carry them, one line each
readings() {
        python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "heartbeat" and "temperature_c" in e:
        print(e["temperature_c"], e.get("busy_percent"))' "$1"
}
# run NAME [VAR=VALUE...]: the quick CPU sweep watching 0000:03:00.0's sensors
run() {
        local name=$1 rc
        shift
        env -u RDNA1_SELFTEST_SMI_LIB -u RDNA1_SMI_STUB "$@" RDNA1_SELFTEST_SENSORS_SLOT=0000:03:00.0 \
                timeout 120 "$helper" --backend cpu --quick >"$tmp/$name.out" 2>"$tmp/$name.err"
        rc=$?
        if [ "$rc" -eq 124 ]; then
                fail "$name: still running after 120 s"
        elif [ "$rc" -ne 0 ]; then
                fail "$name: exit $rc, want 0 (the self-test runs without sensors)"
                cat "$tmp/$name.err"
        fi
        python3 "$check" --expect pass "$tmp/$name.out" >/dev/null || fail "$name: not a valid passing run"
}

run stub RDNA1_SELFTEST_SMI_LIB="$stub" RDNA1_SMI_STUB=good
[ "$(start_field "$tmp/stub.out" sensors)" = "$stub" ] || fail "stub: start's sensors is not the library"
[ -z "$(start_field "$tmp/stub.out" no_sensors)" ] || fail "stub: no_sensors with working sensors"
readings "$tmp/stub.out" | grep -qx '45.0 37' || fail "stub: no heartbeat carries 45.0 C and 37 %"

run hang RDNA1_SELFTEST_SMI_LIB="$stub" RDNA1_SMI_STUB=hang
[ -z "$(start_field "$tmp/hang.out" sensors)" ] || fail "hang: start names sensors"
start_field "$tmp/hang.out" no_sensors | grep -q 'did not start within 5000 ms' ||
        fail "hang: no_sensors is not the 5000 ms bound: $(start_field "$tmp/hang.out" no_sensors)"
[ -z "$(readings "$tmp/hang.out")" ] || fail "hang: readings without sensors"
grep -q 'no sensors: ROCm SMI did not start' "$tmp/hang.err" || fail "hang: stderr does not say no sensors"

if ! ldconfig -p 2>/dev/null | grep -q 'librocm_smi64\.so\.[1567] '; then
        [ "$fails" -eq 0 ] || exit 1
        [ "${CI:-}" = true ] && { echo "FAIL: no librocm_smi64 installed (Debian: librocm-smi64-1; CI=true)"; exit 1; }
        echo "SKIP: no librocm_smi64 installed (Debian: librocm-smi64-1); the stand-in cases passed"
        exit 77
fi
if [ -e /dev/kfd ]; then
        [ "$fails" -eq 0 ] || exit 1
        echo "SKIP: /dev/kfd exists: a GPU may be present, rsmi_init's failure cannot be shown"
        exit 77
fi
run real
why=$(start_field "$tmp/real.out" no_sensors)
echo "installed ROCm SMI without a GPU: no sensors: $why"
[ -z "$(start_field "$tmp/real.out" sensors)" ] || fail "real: start names sensors without a GPU"
case $why in
*librocm_smi64.so.*": rsmi_init failed: "*) ;;
*librocm_smi64.so.*": no GPU at PCI slot 0000:03:00.0"*) [ -d /sys/class/drm ] || fail "real: rsmi_init succeeded without /sys/class/drm" ;;
*) fail "real: no_sensors does not say why: '$why'" ;;
esac
grep -q 'rdna1-selftest: no sensors: ' "$tmp/real.err" || fail "real: stderr does not say no sensors"

[ "$fails" -eq 0 ] && echo "ok helper sensors: stand-in, blocked rsmi_init, installed library without a GPU"
exit $((fails > 0))
