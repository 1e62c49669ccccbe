#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a unit test (with RDNA1_TEST_FILTER) where /proc is not mounted, as in a
# bare chroot: in a private mount namespace, so the host's /proc stays.
#   no-proc.sh TEST-BINARY FILTER
set -eu
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
        if [ "${CI:-}" = true ]; then
                echo "FAIL: needs root and unshare -m under CI=true"
                exit 1
        fi
        echo "SKIP: needs root and unshare -m"
        exit 77
fi
# LeakSanitizer needs /proc (ASan builds); leaks are checked where the test runs normally.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
exec unshare -m --propagation private sh -c 'umount -l /proc && test ! -e /proc/self && RDNA1_TEST_FILTER="$2" exec "$1"' sh "$1" "$2"
