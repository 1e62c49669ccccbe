#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install.sh DEB — the package's life in a fresh chroot of the host's release (mmdebstrap
# --variant=apt, a private mount namespace; never the host):
#   apt-get install ./rdna1-doctor_*.deb prints the post-install verdict;
#   --version, --check, --demo and --summary run; the test-only variables
#   and options are ignored or refused; a package shipping
#   /usr/src/amdgpu-x/ fires the trigger (and the check), one shipping only
#   /opt/other/ fires it too but the prefilter skips the check; the
#   install (and a trigger) still succeed when the doctor binary aborts,
#   and postinst ends a doctor that hangs ignoring SIGTERM (exit 0);
#   purge removes every file `dpkg -L` listed and keeps a non-empty
#   quarantine, and says so.
set -u
deb=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
need_root
need_tool mmdebstrap mmdebstrap
need_tool unshare util-linux
need_tool dpkg-deb dpkg

package_chroot install "$deb"
t=$root/root/pkgtest

# Dummy packages for the triggers.
mkdeb() { # NAME PATH-IN-PACKAGE
        local d=$work/$1
        mkdir -p "$d/DEBIAN" "$d/$(dirname "$2")"
        printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: test <test@example.org>\nDescription: trigger test\n' \
                "$1" >"$d/DEBIAN/control"
        echo "dummy" >"$d/$2"
        dpkg-deb --root-owner-group -b "$d" "$t/$1.deb" >/dev/null
}
mkdeb amdgpu-x-dummy usr/src/amdgpu-x/dkms.conf
mkdeb opt-other-dummy opt/other/README
mkdeb rocm-x-dummy opt/rocm-9.9.9/.info/version
# A doctor that aborts (SIGABRT), for the never-fail checks.
printf '#!/bin/sh\necho "fake doctor: aborting" >&2\nkill -s ABRT $$\n' >"$t/abort-doctor"
chmod 755 "$t/abort-doctor"

run() { # LOG CMD — run in the chroot, keep the output in $work/LOG
        in_chroot "$root" "$2" >"$work/$1" 2>&1
}
show() { echo "--- $1"; sed 's/^/    /' "$work/$1" | tail -40; }

# 1. install
if ! run install.log "cd /root/pkgtest && apt-get install -y ./rdna1-doctor_test_amd64.deb"; then
        fail "apt-get install ./rdna1-doctor_*.deb failed"; show install.log; finish install
fi
grep -q '^rdna1-doctor: verdict [a-z]* (' "$work/install.log" || { fail "no post-install verdict"; show install.log; }
grep -q '^Next step: ' "$work/install.log" || { fail "no next step after the verdict"; show install.log; }
# Only IDs, kernels and devices: no evidence paths or details from files.
if sed -n '/^rdna1-doctor: verdict/,/^Next step/p' "$work/install.log" | grep -q '/'; then
        fail "the post-install output quotes paths"; show install.log
fi

echo "post-install output:"
sed -n '/^rdna1-doctor: checking/,/^Next step/p' "$work/install.log" | sed 's/^/    /'

# 2. the installed binary
run version.log "rdna1-doctor --version" || fail "--version"
grep -qx 'rdna1-doctor [0-9.]*' "$work/version.log" || { fail "--version output"; show version.log; }
run check.log "rdna1-doctor --check --no-color; echo exit=\$?"
grep -q '^Verdict: ' "$work/check.log" || { fail "--check printed no verdict"; show check.log; }
grep -q '^exit=[0-3]$' "$work/check.log" || { fail "--check exit code"; show check.log; }
run demo.log "rdna1-doctor --demo; echo exit=\$?"
grep -q 'kernel.patched-source' "$work/demo.log" && grep -q '^exit=2$' "$work/demo.log" ||
        { fail "--demo is not the seeds' broken machine (critical, kernel.patched-source)"; show demo.log; }
# the installed (root) binary ignores the test-only variables and options
# (-Dtest_hooks=false): a data directory with no demo, a "helper" that would
# leave a mark, a fault point on every step
run hooks.log "mkdir -p /root/pkgtest/evil-data
        printf '#!/bin/sh\\ntouch /root/pkgtest/evil-helper-ran\\nexit 0\\n' >/root/pkgtest/evil-helper
        chmod 755 /root/pkgtest/evil-helper
        export RDNA1_DOCTOR_DATADIR=/root/pkgtest/evil-data RDNA1_SELFTEST_HELPER=/root/pkgtest/evil-helper
        export RDNA1_DOCTOR_FAULT=step-intent
        rdna1-doctor --demo --quiet; echo demo-exit=\$?
        rdna1-doctor --selftest --backend cpu --quick --as-root; echo selftest-exit=\$?
        test -e /root/pkgtest/evil-helper-ran && echo EVIL-HELPER-RAN
        rdna1-doctor --list-fault-points; echo list-exit=\$?
        rdna1-doctor --recover --dry-run --plan-file /root/pkgtest/plan.json; echo plan-exit=\$?
        rdna1-doctor --help | grep -e --plan-file -e --list-fault-points -e RDNA1_ && echo HELP-LISTS-HOOKS"
grep -qx 'demo-exit=2' "$work/hooks.log" || { fail "RDNA1_DOCTOR_DATADIR moved the installed binary's demo"; show hooks.log; }
grep -qx 'selftest-exit=0' "$work/hooks.log" && ! grep -q EVIL-HELPER-RAN "$work/hooks.log" ||
        { fail "RDNA1_SELFTEST_HELPER replaced the installed binary's helper"; show hooks.log; }
grep -qx 'list-exit=64' "$work/hooks.log" && grep -qx 'plan-exit=64' "$work/hooks.log" &&
        ! grep -q HELP-LISTS-HOOKS "$work/hooks.log" ||
        { fail "the installed binary accepts --list-fault-points or --plan-file"; show hooks.log; }
run man.log "test -s /usr/share/man/man8/rdna1-doctor.8.gz && test -s /usr/share/bash-completion/completions/rdna1-doctor" ||
        fail "man page or bash completion missing"
run unit.log "test -L /etc/systemd/system/multi-user.target.wants/rdna1-doctor-verify.service" ||
        fail "rdna1-doctor-verify.service not enabled"
# The metrics timer is shipped but not enabled (docs/fleet.md: the admin enables it).
run metrics-unit.log "test -f /lib/systemd/system/rdna1-doctor-metrics.timer && ! test -e /etc/systemd/system/timers.target.wants/rdna1-doctor-metrics.timer" ||
        fail "rdna1-doctor-metrics.timer missing or enabled by the package"

# 3. recovery-mode option, through friendly-recovery's own protocol
run option.log "dash /lib/recovery-mode/options/rdna1-doctor test"
grep -q 'rdna1-doctor' "$work/option.log" || { fail "option 'test' printed no label"; show option.log; }
run option-mode.log "dash /lib/recovery-mode/options/rdna1-doctor test mode; echo mode=\$?"
grep -qx 'mode=2' "$work/option-mode.log" || { fail "option 'test mode' is not 2"; show option-mode.log; }
# friendly-recovery's own menu lists the option (its label) among its own
if has_friendly_recovery; then
        fake_whiptail "$root"
        run menu.log "PATH=/usr/local/bin:\$PATH; export PATH; echo n | bash /lib/recovery-mode/recovery-menu; cat /tmp/menu.0"
        grep -qx '   Repair leftovers of unsafe AMD RDNA1 GPU fixes (rdna1-doctor)' "$work/menu.log" &&
                grep -qx '   Drop to root shell prompt' "$work/menu.log" ||
                { fail "friendly-recovery's menu does not list the option"; show menu.log; }
        rm -f "$root/usr/local/bin/whiptail" "$root/usr/local/bin/systemctl" "$root/usr/local/bin/systemd-notify"
else
        echo "NOTE: $release has no friendly-recovery: its menu is not run (the option's own protocol is, above)"
fi

# 4. triggers: /usr/src/amdgpu-x and /opt/rocm-x fire the check; /opt/other fires the
# trigger, the prefilter skips the check
run trig-amdgpu.log "cd /root/pkgtest && dpkg -i amdgpu-x-dummy.deb"
grep -q 'Processing triggers for rdna1-doctor' "$work/trig-amdgpu.log" &&
        grep -q '^rdna1-doctor: verdict ' "$work/trig-amdgpu.log" ||
        { fail "installing a file under /usr/src/amdgpu-x/ did not run the check"; show trig-amdgpu.log; }
run purge-dummy.log "dpkg --purge amdgpu-x-dummy"
run trig-rocm.log "cd /root/pkgtest && dpkg -i rocm-x-dummy.deb && dpkg --purge rocm-x-dummy"
grep -q '^rdna1-doctor: verdict ' "$work/trig-rocm.log" ||
        { fail "installing /opt/rocm-9.9.9 did not run the check"; show trig-rocm.log; }
run trig-opt.log "cd /root/pkgtest && dpkg -i opt-other-dummy.deb"
grep -q 'Processing triggers for rdna1-doctor' "$work/trig-opt.log" ||
        { fail "installing under /opt did not fire the trigger"; show trig-opt.log; }
grep -q 'rdna1-doctor: checking' "$work/trig-opt.log" &&
        { fail "the prefilter did not skip an unrelated /opt package"; show trig-opt.log; }

# 5. never fail an install: the doctor aborts in postinst configure and in the trigger
run abort.log "set -e
        cp /usr/sbin/rdna1-doctor /root/pkgtest/real-doctor
        cp /root/pkgtest/abort-doctor /usr/sbin/rdna1-doctor
        /var/lib/dpkg/info/rdna1-doctor.postinst configure 0.1.0
        dpkg -i /root/pkgtest/amdgpu-x-dummy.deb
        dpkg --purge amdgpu-x-dummy
        cp /root/pkgtest/real-doctor /usr/sbin/rdna1-doctor" ||
        { fail "postinst or the trigger failed with an aborting doctor"; show abort.log; }
grep -q 'fake doctor: aborting' "$work/abort.log" || { fail "the aborting doctor did not run"; show abort.log; }
# a doctor that hangs and ignores SIGTERM (a wedged GPU driver can do that to a
# process): postinst's backstop (timeout -k 5 75) kills it and the configure
# still succeeds; this takes the backstop's 80 s
run hang.log "set -e
        cp /usr/sbin/rdna1-doctor /root/pkgtest/real-doctor
        printf '#!/bin/sh\ntrap \"\" TERM\necho \"fake doctor: hanging\"\nsleep 600\n' >/usr/sbin/rdna1-doctor
        /var/lib/dpkg/info/rdna1-doctor.postinst configure 0.1.0
        echo configure-exit=\$?
        cp /root/pkgtest/real-doctor /usr/sbin/rdna1-doctor" ||
        { fail "postinst failed with a hanging doctor"; show hang.log; }
grep -q 'fake doctor: hanging' "$work/hang.log" && grep -qx 'configure-exit=0' "$work/hang.log" &&
        grep -q 'the check ended with status 137; the installation is not affected' "$work/hang.log" ||
        { fail "postinst's time-out backstop did not end a hanging doctor"; show hang.log; }
# what postinst asks of the doctor: system scope (no homes), a time limit, the summary
run argv.log "set -e
        cp /usr/sbin/rdna1-doctor /root/pkgtest/real-doctor
        printf '#!/bin/sh\necho \"argv: \$*\"\n' >/usr/sbin/rdna1-doctor
        /var/lib/dpkg/info/rdna1-doctor.postinst configure 0.1.0
        cp /root/pkgtest/real-doctor /usr/sbin/rdna1-doctor"
grep -qx 'argv: --check --system-only --summary --no-color --time-limit 60' "$work/argv.log" ||
        { fail "postinst does not run a system-only, time-limited summary check"; show argv.log; }
# and a whole fresh install with an aborting binary (diverted into place first)
run abort-install.log "set -e
        dpkg --purge rdna1-doctor >/dev/null
        dpkg-divert --quiet --local --rename --divert /usr/sbin/rdna1-doctor.real --add /usr/sbin/rdna1-doctor
        cp /root/pkgtest/abort-doctor /usr/sbin/rdna1-doctor
        cd /root/pkgtest && apt-get install -y ./rdna1-doctor_test_amd64.deb
        dpkg-query -W -f='\${Status}\n' rdna1-doctor
        rm /usr/sbin/rdna1-doctor
        dpkg-divert --quiet --local --rename --remove /usr/sbin/rdna1-doctor" ||
        { fail "apt-get install failed with an aborting doctor"; show abort-install.log; }
grep -q 'fake doctor: aborting' "$work/abort-install.log" && grep -qx 'install ok installed' "$work/abort-install.log" ||
        { fail "install with an aborting doctor"; show abort-install.log; }

# 6. purge: every dpkg -L file goes, a non-empty quarantine stays (and the purge says so)
run purge-prep.log "set -e
        rdna1-doctor --check >/dev/null || true
        test -d /var/cache/rdna1-doctor || { echo 'no cache directory after --check'; exit 1; }
        mkdir -p /var/lib/rdna1-doctor/quarantine/20261125-0001/home/alice /var/lib/rdna1-doctor/journal
        echo 'export HSA_OVERRIDE_GFX_VERSION=10.3.0' >/var/lib/rdna1-doctor/quarantine/20261125-0001/home/alice/rocm_rdna1_env.sh
        mkdir -p /var/lib/rdna1-doctor/selftest && echo '{}' >/var/lib/rdna1-doctor/selftest/last.json
        dpkg -L rdna1-doctor >/root/pkgtest/files.list
        dpkg --purge rdna1-doctor" || { fail "purge failed"; show purge-prep.log; }
grep -q 'kept /var/lib/rdna1-doctor/quarantine' "$work/purge-prep.log" || { fail "purge did not say it kept the quarantine"; show purge-prep.log; }
left=0
while read -r f; do
        [ -n "$f" ] || continue
        # a directory other packages share (/usr, /etc/kernel; /lib is usrmerge's
        # link to one) may stay; a file or a link of ours may not
        [ -d "$root$f" ] && continue
        if [ -e "$root$f" ] || [ -L "$root$f" ]; then
                fail "purge left $f"
                left=$((left + 1))
        fi
done <"$t/files.list"
[ -s "$t/files.list" ] || fail "dpkg -L listed nothing"
for d in /usr/share/rdna1-doctor /usr/libexec/rdna1-doctor /var/cache/rdna1-doctor /var/lib/rdna1-doctor/selftest; do
        [ -e "$root$d" ] && fail "purge left $d"
done
[ -L "$root/etc/systemd/system/multi-user.target.wants/rdna1-doctor-verify.service" ] && fail "purge left the unit enabled"
[ -s "$root/var/lib/rdna1-doctor/quarantine/20261125-0001/home/alice/rocm_rdna1_env.sh" ] ||
        fail "purge deleted a quarantined file"
[ -e "$root/var/lib/rdna1-doctor/journal" ] && fail "purge kept an empty journal"
finish install
