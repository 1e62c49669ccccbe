#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deb.sh DEB — the built package: lintian reports no error and no warning
# (overrides are justified in packaging/debian/rdna1-doctor.lintian-overrides);
# Depends is only what the binaries link; dkms, mokutil, ROCm SMI and HIP are
# Recommends/Suggests; every integration file is shipped where the tool that
# runs it looks, with the right mode; maintainer scripts parse under dash;
# the shipped binaries carry no test hook.
set -u
deb=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
need_tool lintian lintian
need_tool dpkg-deb dpkg
need_tool dash dash

out=$(lintian --fail-on error,warning --display-level '>=warning' "$deb" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || grep -q '^[EW]: ' <<<"$out"; then
        fail "lintian (exit $rc):"
        echo "$out"
fi
# Every override is used (an unused one hides nothing and goes stale).
lintian --display-level '>=info' "$deb" 2>&1 | grep -q 'unused-override' &&
        fail "unused lintian override"

while read -r p; do
        case $p in
        libc6 | lib*) ;;
        zlib1g) ;;
        *) fail "Depends on $p, which the binaries do not link" ;;
        esac
done < <(deb_depends "$deb")
for p in $(release_libs "$host_release"); do
        deb_depends "$deb" | grep -qx "$p" || fail "Depends lacks $p"
done
for p in dkms mokutil; do
        dpkg-deb -f "$deb" Recommends | grep -qw "$p" || fail "$p not in Recommends"
done
for p in rocm-smi libamdhip64-5 friendly-recovery; do
        dpkg-deb -f "$deb" Suggests | grep -qw "$p" || fail "$p not in Suggests"
done

listing=$(dpkg-deb -c "$deb")
expect() { # MODE PATH
        grep -q "^$1 root/root .* \./${2#/}\$" <<<"$listing" || fail "$2 not shipped as $1"
}
expect -rwxr-xr-x /usr/sbin/rdna1-doctor
expect -rwxr-xr-x /usr/libexec/rdna1-doctor/rdna1-selftest
expect -rwxr-xr-x /usr/libexec/rdna1-doctor/verify-boot
expect -rwxr-xr-x /etc/kernel/postinst.d/zz-rdna1-doctor
expect -rwxr-xr-x /etc/kernel/header_postinst.d/zz-rdna1-doctor
expect -rwxr-xr-x "$pkg_lib"/recovery-mode/options/rdna1-doctor
expect -rw-r--r-- "$pkg_lib"/systemd/system/rdna1-doctor-verify.service
expect -rw-r--r-- /usr/share/man/man8/rdna1-doctor.8.gz
expect -rw-r--r-- /usr/share/bash-completion/completions/rdna1-doctor
expect -rw-r--r-- /usr/share/doc/rdna1-doctor/copyright
expect -rw-r--r-- /usr/share/rdna1-doctor/signatures/kfd-crat-hot-pluggable-0x731f.ini
expect -rw-r--r-- "$pkg_lib"/systemd/system/rdna1-doctor-metrics.service
expect -rw-r--r-- "$pkg_lib"/systemd/system/rdna1-doctor-metrics.timer
expect -rw-r--r-- /usr/share/doc/rdna1-doctor/fleet.md
expect -rw-r--r-- /usr/share/doc/rdna1-doctor/examples/rdna1-doctor.rules.yml
grep -q '\./usr/share/rdna1-doctor/demo/usr/src/' <<<"$listing" || fail "the demo root is not shipped"

work=$(mktemp -d /tmp/rdna1-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
dpkg-deb -e "$deb" "$work/ctl"
dpkg-deb -x "$deb" "$work/x"
for s in postinst postrm; do
        dash -n "$work/ctl/$s" || fail "$s does not parse under dash"
done
for s in etc/kernel/postinst.d/zz-rdna1-doctor etc/kernel/header_postinst.d/zz-rdna1-doctor "${pkg_lib#/}"/recovery-mode/options/rdna1-doctor usr/libexec/rdna1-doctor/verify-boot; do
        head -1 "$work/x/$s" | grep -qx '#!/bin/sh' || fail "$s is not a POSIX sh script"
        dash -n "$work/x/$s" || fail "$s does not parse under dash"
done
grep -qx 'interest-noawait /usr/src' "$work/ctl/triggers" && grep -qx 'interest-noawait /opt' "$work/ctl/triggers" ||
        fail "triggers: $(cat "$work/ctl/triggers")"
grep -q 'GPL-2.0-or-later' "$work/x/usr/share/doc/rdna1-doctor/copyright" || fail "copyright is not GPL-2.0-or-later"
grep -qx 'ConditionPathExists=/var/lib/rdna1-doctor/verify-pending' "$work/x$pkg_lib/systemd/system/rdna1-doctor-verify.service" ||
        fail "verify unit not gated on the flag"
# The unit parses cleanly (systemd-analyze verify: no warning), its
# ExecStart pointed at the extracted package.
need_tool systemd-analyze systemd
mkdir "$work/unit"
sed "s|^ExecStart=/|ExecStart=$work/x/|" "$work/x$pkg_lib/systemd/system/rdna1-doctor-verify.service" \
        >"$work/unit/rdna1-doctor-verify.service"
out=$(systemd-analyze --man=no verify "$work/unit/rdna1-doctor-verify.service" 2>&1) && [ -z "$out" ] ||
        fail "systemd-analyze verify: $out"
for u in rdna1-doctor-metrics.service rdna1-doctor-metrics.timer; do
        sed "s|^ExecStart=/|ExecStart=$work/x/|" "$work/x$pkg_lib/systemd/system/$u" >"$work/unit/$u"
done
out=$(cd "$work/unit" && systemd-analyze --man=no verify rdna1-doctor-metrics.timer rdna1-doctor-metrics.service 2>&1) &&
        [ -z "$out" ] || fail "systemd-analyze verify (metrics units): $out"
# The demo's links are as a real system has them (dh_link must not rewrite
# an absolute link to point out of the demo).
grep -Eq '\./usr/share/rdna1-doctor/demo/var/lib/dkms/amdgpu/[^/]+/source -> /usr/src/amdgpu-' <<<"$listing" ||
        fail "the demo's DKMS source link is not the absolute /usr/src/amdgpu-V"
# The demo's kernel modules are shipped byte for byte (no strip): the markers are there.
ko=$(find "$work/x/usr/share/rdna1-doctor/demo/var/lib/dkms" -name 'amdgpu.ko*' | head -1)
[ -n "$ko" ] || fail "no amdgpu module in the demo's DKMS tree"
# The recovery option sources nothing (user-writable or not) and execs the doctor by absolute path.
opt=$work/x$pkg_lib/recovery-mode/options/rdna1-doctor
grep -Eq '^[[:space:]]*(\.|source)[[:space:]]' "$opt" && fail "the recovery option sources a file"
grep -q 'exec "\$doctor" --recover' "$opt" && grep -q '^doctor=/usr/sbin/rdna1-doctor$' "$opt" ||
        fail "the recovery option does not exec /usr/sbin/rdna1-doctor --recover"
# The shipped binaries have no test hooks (-Dtest_hooks=false): not even the
# names of the test-only variables, nor the build directory's path (the
# options are refused: install.sh).
for b in usr/sbin/rdna1-doctor usr/libexec/rdna1-doctor/rdna1-selftest; do
        for name in RDNA1_DOCTOR_DATADIR RDNA1_SELFTEST_HELPER RDNA1_DOCTOR_FAULT; do
                grep -qaF -- "$name" "$work/x/$b" && fail "$b contains the test hook '$name'"
        done
        # The package's own build directory (packaging/build-deb.sh builds in a
        # mktemp -d rdna1-deb.XXXXXX scratch tree, dh in obj-<triplet>): a
        # build-tree binary would name it. ($src itself may be as short as
        # "/src", a substring of "/usr/src": not a usable needle.)
        for dir in /rdna1-deb. /obj-x86_64-linux-gnu; do
                grep -qaF -- "$dir" "$work/x/$b" && fail "$b contains the package build's path ($dir)"
        done
done
finish deb
