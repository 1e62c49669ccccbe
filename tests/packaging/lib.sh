# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the packaging tests (bash). Package tests never touch the host
# (README.md, Layout): everything happens in a chroot of the host's own
# release (Debian 12 bookworm or 13 trixie) made by mmdebstrap,
# extracted into a private temp dir and entered in a private mount
# namespace (unshare -m). The mmdebstrap tarball is cached once per checkout
# in tests/.cache/packaging/, keyed by the packages it includes.

src=${RDNA1_TEST_SRCDIR:?RDNA1_TEST_SRCDIR not set}
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# A missing prerequisite: a failure with CI=true, else a skip (exit 77) with the reason.
missing() {
        if [ "${CI:-}" = true ]; then
                echo "FAIL: $* (CI=true: prerequisites must be installed)"
                exit 1
        fi
        echo "SKIP: $*"
        exit 77
}
need_root() { [ "$(id -u)" -eq 0 ] || missing "needs root (chroot, mount namespace)"; }
need_tool() { # TOOL PACKAGE
        command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || missing "$1 not installed (apt-get install $2)"
}
finish() {
        if [ "$fails" -eq 0 ]; then
                echo "ok $1"
                exit 0
        fi
        echo "$fails failure(s) in $1"
        exit 1
}

# The chroots are of the host's release: the package built here links the
# release's libraries (libiniparser1 on 12, libiniparser4 on 13).
# RDNA1_PACKAGING_RELEASE=bookworm|trixie (opt-in, not in ./test) runs the
# chroot tests for that release from a host of the other: the package is
# then built inside a chroot of that release (release_deb) and its chroots
# come from deb.debian.org (tests/README.md).
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
release=${RDNA1_PACKAGING_RELEASE:-$host_release}
case $release in
bookworm | trixie) ;;
*)
        echo "FAIL: RDNA1_PACKAGING_RELEASE=$release: bookworm or trixie"
        exit 1
        ;;
esac
# release_libs RELEASE — the library packages the binaries link (iniparser 4.2 in 13).
release_libs() {
        case $1 in
        bookworm) echo libkmod2 libpci3 libjson-c5 libiniparser1 libmd0 libzstd1 liblzma5 zlib1g ;;
        trixie) echo libkmod2 libpci3 libjson-c5 libiniparser4 libmd0 libzstd1 liblzma5 zlib1g ;;
        esac
}
# mmdebstrap's mirror arguments: none (the host's sources) for the host's
# release, deb.debian.org for another one (the host's sources name its own).
release_mirrors() {
        [ "$release" = "$host_release" ] && return 0
        printf '%s\n' "deb http://deb.debian.org/debian $release main" \
                "deb http://deb.debian.org/debian $release-updates main" \
                "deb http://deb.debian.org/debian-security $release-security main"
}
# friendly-recovery (the recovery-mode menu) is in Debian 12, not in 13.
has_friendly_recovery() { [ "$release" = bookworm ]; }
# Where the package built on this host puts what lives under /lib: Debian 13
# ships nothing in the aliased /lib (lintian: aliased-location), Debian 12's
# systemd still names /lib/systemd/system (meson asks systemd.pc). In a
# chroot of either, /lib is /usr/lib.
pkg_lib=/usr/lib
[ "$host_release" = bookworm ] && pkg_lib=/lib

# release_tarball PACKAGE... — print the path of a cached `mmdebstrap
# --variant=apt` tarball of the host's release that also holds PACKAGE...;
# made through the host's apt sources the first time (about a minute, needs
# the mirror).
# (TARBALL_PREFIX=build- keeps the package build's chroot apart.)
release_tarball() {
        local cache=$src/tests/.cache/packaging includes key tar prefix=${TARBALL_PREFIX:-}
        local -a mirrors
        includes=$(printf '%s\n' "$@" | LC_ALL=C sort -u | paste -sd, -)
        key=$(printf '%s apt %s\n' "$release" "$includes" | sha256sum | cut -c1-16)
        tar=$cache/$prefix$release-$key.tar
        mapfile -t mirrors < <(release_mirrors)
        mkdir -p "$cache"
        (
                flock 9
                if [ ! -f "$tar" ] || [ ! -s "$tar" ]; then
                        echo "making $tar (mmdebstrap --variant=apt --include=$includes $release)" >&2
                        # (the .tar suffix tells mmdebstrap the output format)
                        rm -rf "$tar.new.tar"
                        if ! mmdebstrap --quiet --variant=apt --include="$includes" "$release" "$tar.new.tar" \
                                "${mirrors[@]}" >&2; then
                                rm -rf "$tar.new.tar"
                                exit 1
                        fi
                        mv "$tar.new.tar" "$tar"
                        # tarballs for other package sets are stale (~150 MB each)
                        find "$cache" -maxdepth 1 -name "$prefix$release-*.tar" ! -name "${tar##*/}" -delete
                fi
        ) 9>"$cache/.lock" || return 1
        echo "$tar"
}

# make_chroot TARBALL DIR — extract the tarball (as root: owners, modes and
# device nodes kept).
make_chroot() {
        mkdir -p "$2" && tar -C "$2" -xf "$1"
}

# in_chroot DIR CMD... — run CMD (via sh -c in the chroot) in a private mount
# namespace, /proc mounted, /sys read-only, a private /tmp. Extra bind
# mounts: BINDS="fixturedir:chrootpath ..." (read-only with BINDS_RO=1).
in_chroot() {
        local dir=$1
        shift
        unshare -m -- /bin/bash -c '
                set -e
                dir=$1; shift
                mount --make-rprivate /
                if [ -n "${BINDS:-}" ]; then
                        # mount points first (a read-only bind of the root itself may come first)
                        for b in $BINDS; do
                                mkdir -p "$dir/${b#*:}"
                        done
                        for b in $BINDS; do
                                mount --bind "${b%%:*}" "$dir/${b#*:}"
                                [ "${BINDS_RO:-}" = 1 ] && mount -o remount,bind,ro "$dir/${b#*:}"
                        done
                fi
                case " ${BINDS:-} " in
                *":/proc "*) ;;
                *) mount -t proc proc "$dir/proc" ;;
                esac
                case " ${BINDS:-} " in
                *":/sys "*) ;;
                *) mount --rbind /sys "$dir/sys"; mount -o remount,bind,ro "$dir/sys" ;;
                esac
                mount -t tmpfs tmpfs "$dir/tmp"
                exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive ${CHROOT_ENV:-} /bin/sh -c "$*"
        ' in_chroot "$dir" "$@"
}

# package_tarball DEB — the chroot for the package tests: what DEB depends
# on (so apt-get installs the local .deb offline), init-system-helpers (the
# unit's enable/purge for real), friendly-recovery and gettext-base (its
# menu and options, as on Ubuntu).
package_tarball() {
        if has_friendly_recovery; then
                release_tarball $(deb_depends "$1") init-system-helpers friendly-recovery gettext-base
        else
                release_tarball $(deb_depends "$1") init-system-helpers gettext-base
        fi
}

# release_deb DEB — the package to test: DEB itself for the host's release;
# for another one (RDNA1_PACKAGING_RELEASE), the same tree built by
# packaging/build-deb.sh inside a chroot of that release with its build
# dependencies, cached in tests/.cache/packaging/ by the tree's content.
release_deb() {
        local cache=$src/tests/.cache/packaging key tarball bwork out snap
        if [ "$release" = "$host_release" ]; then
                echo "$1"
                return 0
        fi
        # The key and the snapshot that is built are taken together, before
        # any wait (tracked and untracked-not-ignored files, as build-deb.sh
        # takes them): an edit during the build does not mislabel the package.
        key=$(cd "$src" && git ls-files -z --deduplicate --cached --others --exclude-standard |
                xargs -0 -r sha256sum -- 2>/dev/null | sha256sum | cut -c1-16)
        snap=$(mktemp "/tmp/rdna1-pkg-src.XXXXXX")
        (cd "$src" && git ls-files -z --deduplicate --cached --others --exclude-standard |
                xargs -0 -r tar --no-recursion -cf - --) >"$snap" || { rm -f "$snap"; return 1; }
        out=$cache/rdna1-doctor-$release-$key.deb
        mkdir -p "$cache"
        (
                trap 'rm -f "$snap"' EXIT
                flock 8
                [ -s "$out" ] && exit 0
                # shellcheck disable=SC2046 # one package name a word
                tarball=$(TARBALL_PREFIX=build- release_tarball build-essential fakeroot git \
                        $(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$src/packaging/debian/control" | sed '$d' |
                                sed 's/^Build-Depends://; s/([^)]*)//g; s/\[[^]]*\]//g; s/|[^,]*//g' | tr ',' '\n' |
                                tr -d ' ' | grep -v '^$')) || exit 1
                bwork=$(mktemp -d "/tmp/rdna1-pkg-build.XXXXXX")
                trap 'rm -rf "$bwork" "$snap"' EXIT
                make_chroot "$tarball" "$bwork/root" || exit 1
                mkdir -p "$bwork/root/root/src" "$bwork/root/root/out"
                tar -C "$bwork/root/root/src" -xf "$snap" || exit 1
                echo "building the package in a $release chroot" >&2
                in_chroot "$bwork/root" "cd /root/src && bash packaging/build-deb.sh -o /root/out/rdna1-doctor.deb" >&2 ||
                        exit 1
                cp "$bwork/root/root/out/rdna1-doctor.deb" "$out.tmp" && mv "$out.tmp" "$out"
                # the packages of older trees are stale
                find "$cache" -maxdepth 1 -name "rdna1-doctor-$release-*.deb" ! -name "${out##*/}" -delete
        ) 8>"$cache/.deb-lock" || return 1
        echo "$out"
}

# package_chroot NAME DEB — sets $work (a temp dir, removed on exit) and $root,
# the chroot of package_tarball extracted in it, with DEB copied to
# /root/pkgtest/rdna1-doctor_test_amd64.deb; missing/finish NAME when it cannot.
package_chroot() {
        local name=$1 deb tarball
        deb=$(release_deb "$2") || { fail "building the package in a $release chroot (log above)"; finish "$name"; }
        tarball=$(package_tarball "$deb") ||
                missing "mmdebstrap could not make a $release root (no mirror?)"
        work=$(mktemp -d "/tmp/rdna1-pkg-$name.XXXXXX")
        trap 'rm -rf "$work"' EXIT
        root=$work/root
        make_chroot "$tarball" "$root" || { fail "extracting $tarball"; finish "$name"; }
        mkdir -p "$root/root/pkgtest"
        cp "$deb" "$root/root/pkgtest/rdna1-doctor_test_amd64.deb"
}

# The package under test: built by meson (custom_target) and passed as $DEB.
deb_depends() { # DEB -> package names of Depends, one a line
        dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/[[:space:]]//g' | grep -v '^$'
}

# fake_whiptail CHROOT — friendly-recovery's menu (/lib/recovery-mode/
# recovery-menu, run for real) needs a terminal dialog: put a whiptail in
# /usr/local/bin that records each menu it is shown (/tmp/menu.N), picks
# rdna1-doctor the first time and "resume" the second, answers every box;
# and a systemctl/systemd-notify that do nothing (no systemd in the chroot).
fake_whiptail() {
        mkdir -p "$1/usr/local/bin"
        cat >"$1/usr/local/bin/whiptail" <<'FAKE'
#!/bin/sh
# the menu reads the choice from whiptail's stderr
case " $* " in
*" --menu "*)
        n=$(cat /tmp/menu.count 2>/dev/null || echo 0)
        echo $((n + 1)) >/tmp/menu.count
        printf '%s\n' "$@" >/tmp/menu.$n
        if [ "$n" = 0 ]; then echo rdna1-doctor >&2; else echo resume >&2; fi ;;
esac
exit 0
FAKE
        printf '#!/bin/sh\nexit 0\n' >"$1/usr/local/bin/systemctl"
        printf '#!/bin/sh\nexit 0\n' >"$1/usr/local/bin/systemd-notify"
        chmod 755 "$1/usr/local/bin/whiptail" "$1/usr/local/bin/systemctl" "$1/usr/local/bin/systemd-notify"
}
