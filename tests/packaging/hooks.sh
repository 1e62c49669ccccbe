#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hooks.sh DEB — the hooks that run the doctor on a real system, each run
# for real inside the chroot of the host's release with the package installed and a
# generated fixture system (tests/gen-root.py, real upstream kfd_crat.c)
# bind-mounted over the chroot's /proc, /sys, /lib/modules, /usr/src,
# /var/lib/dkms and /boot (a private mount namespace; never the host):
#   /etc/kernel/postinst.d/zz-rdna1-doctor warns for a kernel that got a
#     patched amdgpu, says nothing for another kernel or a clean DKMS build,
#     and exits 0 even when the doctor aborts;
#   verify-boot (rdna1-doctor-verify.service) reports a patched module still
#     loaded (exit 1), the clean build (exit 0), removes the flag and writes
#     the MOTD line; on a recovery-mode boot (nomodeset) it keeps the flag.
set -u
deb=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
need_root
need_tool mmdebstrap mmdebstrap
need_tool unshare util-linux
need_tool dash dash

package_chroot hooks "$deb"
in_chroot "$root" "apt-get install -y /root/pkgtest/rdna1-doctor_test_amd64.deb" >"$work/install.log" 2>&1 ||
        { cat "$work/install.log"; fail "install"; finish hooks; }

fixture() { # SCENARIO -> generated root in $work/fx-SCENARIO
        local out=$work/fx-$1
        if ! python3 "$src/tests/gen-root.py" --cache "$src/tests/.cache/gen" \
                "$src/tests/scenarios/$1.ini" "$out" >"$work/gen-$1.log" 2>&1; then
                rc=$?
                [ "$rc" -eq 77 ] && missing "$(cat "$work/gen-$1.log")"
                cat "$work/gen-$1.log"
                fail "gen-root.py $1"
                finish hooks
        fi
}
# with_fixture SCENARIO LOG CMD — CMD in the chroot over the fixture's system
with_fixture() {
        local fx=$work/fx-$1 binds=
        for p in proc sys usr/lib/modules usr/src var/lib/dkms boot usr/lib/depmod.d etc/dkms; do
                [ -d "$fx/$p" ] && binds="$binds $fx/$p:/$p"
        done
        BINDS=$binds in_chroot "$root" "$3" >"$work/$2" 2>&1
}
show() { echo "--- $1"; sed 's/^/    /' "$work/$1" | tail -30; }

fixture seed-installed   # 6.8.0-48-generic: the patched amdgpu installed in updates/dkms
fixture dkms-clean       # the clean DKMS build installed and loaded
fixture seed-broken      # the patched build installed, in the initramfs and loaded
fixture recovery-mode    # booted with nomodeset

# --- the kernel hook
hook=/etc/kernel/postinst.d/zz-rdna1-doctor
with_fixture seed-installed hook-patched.log "dash $hook 6.8.0-48-generic /boot/vmlinuz-6.8.0-48-generic; echo exit=\$?"
grep -q 'WARNING: kernel 6.8.0-48-generic got a patched amdgpu module:.*kernel.patched-installed' "$work/hook-patched.log" ||
        { fail "kernel hook: no warning for the kernel that got the patched module"; show hook-patched.log; }
grep -qx 'exit=0' "$work/hook-patched.log" || { fail "kernel hook exit status"; show hook-patched.log; }
# the headers' hook (dkms builds there when the headers come after the image)
with_fixture seed-installed hook-headers.log "run-parts --arg=6.8.0-48-generic /etc/kernel/header_postinst.d; echo exit=\$?"
grep -q 'WARNING: kernel 6.8.0-48-generic got a patched amdgpu module' "$work/hook-headers.log" && grep -qx 'exit=0' "$work/hook-headers.log" ||
        { fail "header_postinst.d hook: no warning"; show hook-headers.log; }
with_fixture seed-installed hook-other.log "dash $hook 6.8.0-99-generic; echo exit=\$?"
grep -q 'WARNING' "$work/hook-other.log" && { fail "kernel hook warned for a kernel without the patch"; show hook-other.log; }
grep -qx 'exit=0' "$work/hook-other.log" || fail "kernel hook exit status (other kernel)"
with_fixture dkms-clean hook-clean.log "dash $hook 6.8.0-48-generic; echo exit=\$?"
grep -q 'WARNING' "$work/hook-clean.log" && { fail "kernel hook warned for a clean DKMS build"; show hook-clean.log; }
grep -qx 'exit=0' "$work/hook-clean.log" || fail "kernel hook exit status (clean)"
# run-parts, as the kernel's postinst calls it, with the doctor aborting
with_fixture seed-installed hook-abort.log "
        printf '#!/bin/sh\nkill -s ABRT \$\$\n' >/usr/sbin/rdna1-doctor
        run-parts --verbose --exit-on-error --arg=6.8.0-48-generic --arg=/boot/vmlinuz-6.8.0-48-generic /etc/kernel/postinst.d
        echo exit=\$?"
grep -qx 'exit=0' "$work/hook-abort.log" || { fail "kernel hook failed the kernel install when the doctor aborts"; show hook-abort.log; }
grep -q 'could not check the amdgpu of kernel 6.8.0-48-generic' "$work/hook-abort.log" ||
        { fail "kernel hook did not say it could not check"; show hook-abort.log; }
in_chroot "$root" "cd /root/pkgtest && dpkg -x rdna1-doctor_test_amd64.deb x && cp x/usr/sbin/rdna1-doctor /usr/sbin/" ||
        fail "restoring the doctor"

# --- boot-time verification (what rdna1-doctor-verify.service runs)
verify=/usr/libexec/rdna1-doctor/verify-boot
flag=/var/lib/rdna1-doctor/verify-pending
with_fixture seed-broken verify-patched.log "mkdir -p /var/lib/rdna1-doctor && touch $flag
        dash $verify 5; echo exit=\$?; cat /run/motd.d/rdna1-doctor; test -e $flag && echo flag-kept"
grep -qx 'exit=1' "$work/verify-patched.log" && grep -q '^rdna1-doctor: the PATCHED amdgpu is still loaded' "$work/verify-patched.log" ||
        { fail "verify-boot did not report the patched module still loaded"; show verify-patched.log; }
grep -q 'flag-kept' "$work/verify-patched.log" && fail "verify-boot kept the flag after a verdict"
with_fixture dkms-clean verify-clean.log "touch $flag
        dash $verify 5; echo exit=\$?; cat /run/motd.d/rdna1-doctor /var/lib/rdna1-doctor/verify-boot.last; test -e $flag && echo flag-kept"
grep -qx 'exit=0' "$work/verify-clean.log" && grep -q '^rdna1-doctor: the amdgpu loaded after the repair is the clean build' "$work/verify-clean.log" &&
        grep -q ' clean the amdgpu loaded' "$work/verify-clean.log" ||
        { fail "verify-boot did not confirm the clean module"; show verify-clean.log; }
grep -q 'flag-kept' "$work/verify-clean.log" && fail "verify-boot kept the flag after the clean verdict"
with_fixture recovery-mode verify-recovery.log "touch $flag
        dash $verify 5; echo exit=\$?; test -e $flag && echo flag-kept"
grep -qx 'flag-kept' "$work/verify-recovery.log" && grep -qx 'exit=0' "$work/verify-recovery.log" ||
        { fail "verify-boot on a nomodeset boot did not keep the flag for the next boot"; show verify-recovery.log; }
with_fixture dkms-clean verify-none.log "rm -f $flag; dash $verify 5; echo exit=\$?"
grep -qx 'exit=0' "$work/verify-none.log" || fail "verify-boot without a flag"
echo "kernel hook for the patched kernel:"; sed 's/^/    /' "$work/hook-patched.log"
echo "verify-boot with the patched module loaded:"; sed 's/^/    /' "$work/verify-patched.log"
finish hooks
