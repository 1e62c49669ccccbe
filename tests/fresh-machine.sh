#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run ./test as on a fresh Debian 12 (or 13) machine: a minimal root made
# by mmdebstrap (from deb.debian.org), a clean clone of this
# checkout inside it, /proc /sys /dev mounted in a private mount namespace,
# then `CI=true ./test` in a chroot, and the README's other first commands
# from the same clean clone: `./run --host --check` (the doctor on that
# machine from the build tree) and `packaging/build-deb.sh` then `apt install
# ./build-deb/rdna1-doctor_*_amd64.deb` (the installed package's --check).
# Not part of ./test (it takes minutes and the network); run it whenever the
# install steps change.
#
#   tests/fresh-machine.sh [--release bookworm|trixie] [WORKDIR]
#                                         (as root; WORKDIR default /tmp/rdna1-fresh)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
release=bookworm
if [ "${1:-}" = --release ]; then
        release=${2:?--release needs bookworm or trixie}
        shift 2
fi
case $release in
bookworm | trixie) ;;
*) echo "fresh-machine: --release bookworm or trixie, not '$release'" >&2; exit 64 ;;
esac
work=${1:-/tmp/rdna1-fresh}
root=$work/root
rm -rf "$work"
mkdir -p "$work"
t0=$(date +%s)
# The release's own mirror line: the host's sources name its release, not this one.
mmdebstrap --variant=apt "$release" "$root" "deb http://deb.debian.org/debian $release main" \
        "deb http://deb.debian.org/debian $release-updates main" \
        "deb http://deb.debian.org/debian-security $release-security main"
echo "mmdebstrap: $(( $(date +%s) - t0 )) s"
git clone -q "$top" "$root/src"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
t1=$(date +%s)
unshare -m sh -c '
        set -e
        mount --make-rprivate /
        # The root must be a mount point, as on a real machine: tests run
        # unshare -m, which makes / private and fails on a plain directory.
        mount --bind "$1" "$1"
        mount -t proc proc "$1/proc"
        mount --rbind /sys "$1/sys"
        mount --rbind /dev "$1/dev"
        mount -t tmpfs tmpfs "$1/tmp"
        chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true \
                sh -c "cd /src && ./test" || exit $?
        # the README'"'"'s other first commands; a check exits 0-3 (its verdict), never more
        chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                sh -c "cd /src && { ./run --host --check --no-color; rc=\$?; echo \"./run --host --check: exit \$rc\"; [ \$rc -le 3 ]; } &&
                       packaging/build-deb.sh && DEBIAN_FRONTEND=noninteractive apt-get install -y ./build-deb/rdna1-doctor_*_amd64.deb &&
                       { rdna1-doctor --check --no-color; rc=\$?; echo \"installed rdna1-doctor --check: exit \$rc\"; [ \$rc -le 3 ]; }"
' sh "$root" 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}
echo "fresh-machine ($release) ./test, ./run --host, the package: exit $rc, $(( $(date +%s) - t1 )) s (installs included)"
exit "$rc"
