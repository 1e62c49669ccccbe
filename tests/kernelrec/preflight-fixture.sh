#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The preflight gate on generated fixture roots (--root DIR), through the
# kernelrec-run driver's --preflight-only:
#   - Secure Boot on with dkms's key (a real openssl certificate made by
#     gen-root.py) in MokListRT: "enrolled"; with only another key there:
#     "not enrolled"; either way this fixture kernel (no headers) falls back
#     to its in-tree amdgpu
#   - the recovery-mode root (mounted read-only): refused with the remount
#     command; --remount-rw is refused for a root other than /
#
#   preflight-fixture.sh DRIVER
# Exit 0 pass, 1 fail, 77 skip (CI=true: fail).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
driver=$1
K=6.8.0-48-generic

die() {
        echo "FAIL: $*"
        exit 1
}

work=$(mktemp -d /tmp/rdna1-preflight-fixture.XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=$top/tests/.cache/gen
mkdir -p "$cache"
# "base = NAME" is looked up beside the scenario file.
cp "$top"/tests/scenarios/*.ini "$work/"

gen() { # NAME INI-TEXT
        printf '%s\n' "$2" >"$work/$1.ini"
        local rc=0
        python3 "$top/tests/gen-root.py" --cache "$cache" "$work/$1.ini" "$work/$1" >"$work/$1.log" 2>&1 || rc=$?
        if [ $rc -eq 77 ]; then
                cat "$work/$1.log"
                if [ "${CI:-}" = true ]; then die "gen-root.py: a prerequisite is missing under CI=true"; fi
                exit 77
        fi
        [ $rc -eq 0 ] || { cat "$work/$1.log"; die "gen-root.py $1"; }
}

expect() { # NAME EXIT PATTERN... (run the gate, check its exit and output)
        local name=$1 want=$2 rc=0
        shift 2
        "$driver" --preflight-only --root "$work/$name" --kernel "$K" "${EXTRA[@]}" >"$work/$name.out" 2>&1 || rc=$?
        cat "$work/$name.out"
        [ $rc -eq "$want" ] || die "$name: exit $rc, expected $want"
        for p in "$@"; do
                grep -q -- "$p" "$work/$name.out" || die "$name: no '$p' in the output"
        done
}

EXTRA=()
gen sb-enrolled "$(printf '[scenario]\nbase = seed-installed\n[system]\nsecure_boot = on\nmok = enrolled\n')"
expect sb-enrolled 0 "secure-boot: on (efivars), certificate /var/lib/dkms/mok.pub: enrolled" \
        "kernel $K: in-tree: the headers of $K are not installed"

gen sb-unenrolled "$(printf '[scenario]\nbase = seed-installed\n[system]\nsecure_boot = on\nmok = unenrolled\n')"
expect sb-unenrolled 0 "secure-boot: on (efivars), certificate /var/lib/dkms/mok.pub: not enrolled"

gen ro "$(printf '[scenario]\nbase = recovery-mode\n')"
expect ro 12 "refused (root-writable): the root file system is mounted read-only: run \`mount -o remount,rw /\`" \
        "refused (boot-mounted): /boot/efi is in the root's fstab but not mounted: run \`mount /boot/efi\`"
EXTRA=(--remount-rw)
expect ro 12 "refused (root-writable): the root file system is read-only and --remount-rw works only with --root /"
echo "PASS"
