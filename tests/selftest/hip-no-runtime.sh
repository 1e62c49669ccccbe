#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --backend hip without the HIP runtime: an `error` event naming
# libamdhip64 and pointing at --backend cpu, exit 3, nothing else on stdout.
# The runtime is made unavailable with an empty LD_LIBRARY_PATH and the
# helper's library-name override (the system's ld.so cache would find an
# installed libamdhip64 otherwise).
#   hip-no-runtime.sh HELPER
set -u
helper=$1
check="$(dirname "$0")/check_protocol.py"
tmp=$(mktemp -d /tmp/rdna1-selftest-nohip.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir "$tmp/empty"

LD_LIBRARY_PATH="$tmp/empty" RDNA1_SELFTEST_HIP_LIB="$tmp/empty/libamdhip64.so.7:libamdhip64.so.999" \
        "$helper" --backend hip --quick >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || fail "no runtime: exit $rc, want 3"
python3 "$check" --expect error --mentions libamdhip64 --mentions "--backend cpu" "$tmp/out" || fail "no runtime: error event"
grep -q libamdhip64 "$tmp/err" || fail "no runtime: stderr does not name libamdhip64"

[ "$fails" -eq 0 ] && echo "ok selftest hip without runtime"
exit $((fails > 0))
