#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# recovery-option.sh DEB — /lib/recovery-mode/options/rdna1-doctor under
# dash, as friendly-recovery's menu runs it, on a machine in recovery mode:
# the chroot (host's release) with the package installed, bind-mounted read-only
# onto itself, with a generated broken system (the seeds' machine: patched
# DKMS source, build, installed module, initramfs) bind-mounted read-only
# over /proc, /sys, /lib/modules, /usr/src, /var/lib/dkms, /var/lib/dpkg,
# /boot and /etc/dkms
# (a private mount namespace; never the host). Through friendly-recovery's
# own menu (READONLY=true) and directly (READONLY=1),
# the option prints the plan (--recover --dry-run), asks before remounting,
# and on "no" (or no answer) changes nothing: every file of the fixture and
# of the chroot is the same afterwards. `test` prints the label; `test mode`
# answers 2.
set -u
deb=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
need_root
need_tool mmdebstrap mmdebstrap
need_tool unshare util-linux
need_tool dash dash

package_chroot recovery-option "$deb"
in_chroot "$root" "apt-get install -y /root/pkgtest/rdna1-doctor_test_amd64.deb" >"$work/install.log" 2>&1 ||
        { cat "$work/install.log"; fail "install"; finish recovery-option; }

fx=$work/fx
python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" "$src/tests/scenarios/seed-broken.ini" "$fx" \
        >"$work/gen.log" 2>&1 || { rc=$?; [ "$rc" -eq 77 ] && missing "$(cat "$work/gen.log")"; cat "$work/gen.log"; fail "gen-root.py"; finish recovery-option; }
# (the fixture's dpkg database too: amdgpu-dkms's md5sums name the patched file)
binds="$root:/"
for p in proc sys usr/lib/modules usr/src var/lib/dkms var/lib/dpkg var/cache/apt/archives boot usr/lib/depmod.d etc/dkms; do
        if [ -d "$fx/$p" ]; then
                binds="$binds $fx/$p:/$p"
                mkdir -p "$root/$p" # the mount point, before the snapshot
        fi
done
snapshot() { # every path, type, mode, size, mtime and content hash under the fixture and the chroot
        (cd "$fx" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
        (cd "$root" && find . -xdev -path ./tmp -prune -o -path ./proc -prune -o -path ./sys -prune -o \
                -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort)
}
has_friendly_recovery && fake_whiptail "$root"
snapshot >"$work/before"

option=/lib/recovery-mode/options/rdna1-doctor
# READONLY=true: friendly-recovery's own menu (recovery-menu, run for real,
# starts read-only) picks the option; the option's question is answered "n".
# READONLY=1: the option run directly under dash, no answer at all (EOF).
modes="true 1"
if ! has_friendly_recovery; then
        modes=1
        echo "NOTE: $release has no friendly-recovery: the option runs under dash directly, not from its menu"
fi
for ro in $modes; do
        if [ "$ro" = true ]; then
                cmd="PATH=/usr/local/bin:\$PATH; export PATH; echo n | bash /lib/recovery-mode/recovery-menu; echo exit=\$?"
        else
                cmd="READONLY=1 dash $option </dev/null; echo exit=\$?"
        fi
        BINDS=$binds BINDS_RO=1 in_chroot "$root" "
                touch /rw-probe 2>/dev/null && echo 'root is writable'
                $cmd" >"$work/ro-$ro.log" 2>&1
        log=$work/ro-$ro.log
        grep -q 'root is writable' "$log" && fail "the test root is not read-only"
        grep -q '^Recovery plan for /: ' "$log" || { fail "READONLY=$ro: no plan printed"; cat "$log"; }
        grep -q 'restore-file .*/amd/amdkfd/kfd_crat.c' "$log" || { fail "READONLY=$ro: the plan lacks the patched source"; cat "$log"; }
        grep -q 'Dry run: nothing was changed' "$log" || { fail "READONLY=$ro: not a dry run"; cat "$log"; }
        grep -q 'Remount it read-write' "$log" || { fail "READONLY=$ro: did not ask before remounting"; cat "$log"; }
        grep -q '] Nothing was changed\.$' "$log" && grep -qx 'exit=0' "$log" ||
                { fail "READONLY=$ro: declining did not end cleanly"; cat "$log"; }
        grep -qi 'rdna1-doctor.*read-only file system' "$log" && { fail "READONLY=$ro: the doctor tried to write"; cat "$log"; }
done
snapshot >"$work/after"
diff -u "$work/before" "$work/after" >"$work/diff" || { fail "files changed"; head -20 "$work/diff"; }

# The menu protocol (friendly-recovery 0.2.42's recovery-menu): label and mode.
in_chroot "$root" "dash $option test; echo exit=\$?; dash $option test mode; echo mode=\$?" >"$work/test.log" 2>&1
grep -q 'rdna1-doctor' "$work/test.log" && grep -qx 'exit=0' "$work/test.log" && grep -qx 'mode=2' "$work/test.log" ||
        { fail "test / test mode"; cat "$work/test.log"; }
for ro in $modes; do
        echo "READONLY=$ro:"; sed 's/^/    /' "$work/ro-$ro.log" | head -12
done
finish recovery-option
