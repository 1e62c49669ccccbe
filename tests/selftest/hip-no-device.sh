#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --backend hip with a real libamdhip64 (Debian: libamdhip64-5) on a machine
# without a GPU for it: hipInit/hipGetDeviceCount fail or see 0 devices, so
# an `error` event naming the missing device, exit 3. Needs the runtime and
# no /dev/kfd (with a GPU there, "no device" cannot be shown).
#   hip-no-device.sh HELPER
set -u
helper=$1
check="$(dirname "$0")/check_protocol.py"
skip() {
        [ "${CI:-}" = true ] && { echo "FAIL: $* (CI=true: it is a prerequisite)"; exit 1; }
        echo "SKIP: $*"
        exit 77
}
ldconfig -p 2>/dev/null | grep -q 'libamdhip64\.so\.[567] ' || skip "no libamdhip64.so.5/6/7 installed"
[ -e /dev/kfd ] && skip "/dev/kfd exists: a GPU may be present, the no-device path cannot be shown"
tmp=$(mktemp -d /tmp/rdna1-selftest-nodev.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

timeout 120 "$helper" --backend hip --quick >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || { fail "no device: exit $rc, want 3"; cat "$tmp/err"; }
python3 "$check" --expect error --mentions libamdhip64.so. --mentions "GPU device" --mentions "--backend cpu" "$tmp/out" ||
        fail "no device: error event"
python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); sys.exit("device" not in e["missing"])' "$tmp/out" ||
        fail "no device: missing does not name the device"

# --device too: the device is what is missing, not the slot's syntax
timeout 120 "$helper" --backend hip --quick --device 0000:03:00.0 >"$tmp/out2" 2>/dev/null
rc=$?
[ "$rc" -eq 3 ] || fail "no device with --device: exit $rc, want 3"
python3 "$check" --expect error --mentions "GPU device" "$tmp/out2" || fail "no device with --device: error event"

[ "$fails" -eq 0 ] && echo "ok selftest hip without a device"
exit $((fails > 0))
