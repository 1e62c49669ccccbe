#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel side of --recover with the real dkms, depmod and
# update-initramfs, never touching the host (README.md, Layout):
#
#   kernel-side.sh MODE DRIVER DOCTOR   (RDNA1_DOCTOR_DATADIR: the build's data/)
#     MODE   rebuild      a stand-in amdgpu-dkms (.deb made by dpkg-deb, kept in
#                         /var/cache/apt/archives) whose kfd_crat.c carries the
#                         seed-004 patch (the real upstream text) is built and
#                         installed with dkms and put in the initramfs. The
#                         transaction alone refuses the still-patched source;
#                         `--recover --yes` with a failing update-initramfs
#                         restores the source from the .deb but puts the
#                         kernel's module set and initramfs back byte for byte
#                         (exit 11); a --resume killed (SIGKILL) in the middle
#                         of the kernel step is undone and redone by the next
#                         `--recover --resume --yes`, which finishes
#                         (exit 10): the rebuilt .ko has no marker and a new
#                         build-id, the initramfs holds it, the source matches
#                         its md5sums, the verify flag names the run
#            in-tree      the same broken machine plus an in-tree amdgpu.ko;
#                         `--recover --yes --in-tree`, killed in the middle of
#                         the kernel step's backups, then `--recover --resume
#                         --yes`, removes the DKMS module: modinfo -n and the
#                         initramfs resolve to the in-tree one; `--rollback ID
#                         --yes --force-kernel`, killed in the middle of the
#                         kernel step's restores and run again, puts it all
#                         back, the DKMS build's own module included, no temp
#                         file left
#            remount      the overlay's / remounted read-only, its fstab naming a
#                         /boot: the gate refuses, then with --remount-rw
#                         remounts / read-write and mounts /boot (for real,
#                         inside the namespace) and passes; then the
#                         recovery-mode option (READONLY=true) answered "y"
#                         and "yes" on a pty remounts /, mounts /boot and
#                         disables an override
#            signed       Secure Boot on, dkms's certificate in MokListRT, dkms
#                         signing with the kernel's real scripts/sign-file: a
#                         module signed by another key fails the transaction's
#                         signer check (exit 11, all put back); signed by the
#                         enrolled key, --resume finishes (exit 10)
#            reinstall    a stand-in ROCm package whose soname symlink was re-pointed
#                         at a custom build: the plan reinstalls it from the cached
#                         .deb (symlinks have no md5sum), --recover --yes runs dpkg -i
#                         of a root-only copy of the verified .deb (the cached one
#                         swapped for another build while the run is stopped after
#                         the verification is not what gets installed; dpkg --verify
#                         clean after), --rollback says it is
#                         irreversible (exit 11) and leaves it; on a recovery boot
#                         (/proc/cmdline "recovery") the step is planned but blocked;
#                         another build of the same version in the cache is refused
#            secure-boot  Secure Boot on, dkms's certificate not in MokListRT,
#                         no in-tree module: `--recover --yes` is refused by
#                         the preflight gate (exit 12), nothing changed
#     DRIVER the kernelrec-run binary (the transaction without the planner)
#     DOCTOR the rdna1-doctor binary
#
# Everything happens with --root / inside `unshare -m -p` over an overlay of /
# (lowerdir=/, upper and work in a temporary directory), chrooted into it,
# with tmpfs over /var/lib/dkms, /etc/dkms, /tmp and /run, a private
# /dev, and a private framework.conf (sign_file=/bin/true). The headers'
# kernel is discovered from /lib/modules/*/build, never uname -r.
#
# Exit 0 pass, 1 fail, 77 skip (a prerequisite is missing; with CI=true
# that is a failure).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
VERSION=6.16.6-rdna1test
MARKER='Enabling fine-grained for RDNA1'

skip() {
        echo "SKIP: $*"
        if [ "${CI:-}" = true ]; then
                echo "FAIL: prerequisite missing under CI=true: $*"
                exit 1
        fi
        exit 77
}
die() {
        echo "FAIL: $*"
        exit 1
}
# run_to OUT CMD...: run CMD, its stdout and stderr in OUT; its status in rc (never stops the test).
run_to() {
        local out=$1
        shift
        set +e
        "$@" >"$out" 2>&1
        rc=$?
        set -e
}

# ---------------------------------------------------------------------------
# Inside the chroot (the overlay of /): the test proper.
# ---------------------------------------------------------------------------
chroot_main() {
        local mode=$1 K=$2 work=$3
        local src=/usr/src/amdgpu-$VERSION crat=amd/amdkfd/kfd_crat.c
        local upd=/lib/modules/$K/updates/dkms state=/var/lib/rdna1-doctor
        local intree=/lib/modules/$K/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko
        export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
        # Every path below is the overlay's, never the host's: refuse anywhere else.
        [ "$(cat /.rdna1-kernelrec-overlay 2>/dev/null)" = "$work" ] ||
                die "not inside this test's overlay of / (run through host_main, not --chroot by hand)"

        # dkms's own configuration, private to this namespace.
        echo "sign_file=/bin/true" >/etc/dkms/framework.conf
        if [ "$mode" = signed ]; then
                signed_setup "$K" "$work"
        fi

        if [ "$mode" = remount ]; then
                remount_case "$K" "$work"
                return
        fi
        if [ "$mode" = reinstall ]; then
                reinstall_case "$work"
                return
        fi

        # The broken machine: amdgpu-dkms (stand-in) installed by dpkg, its
        # source patched as in seed 004, added to dkms.
        dpkg -i "$work/amdgpu-dkms.deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i"; }
        # apt keeps what it installed: the clean source --recover restores from.
        cp "$work/amdgpu-dkms.deb" "/var/cache/apt/archives/amdgpu-dkms_1%3a${VERSION}_all.deb"
        (cd "$src" && patch -p1 --quiet <"$top/recovery/signatures/kfd-crat-hot-pluggable-0x731f.diff") || die "applying the KFD CRAT hot-pluggable patch"
        grep -q "$MARKER" "$src/$crat" || die "the patched source has no marker"
        dkms add -m amdgpu -v "$VERSION" >"$work/dkms-add.log" 2>&1 || { cat "$work/dkms-add.log"; die "dkms add"; }

        # The in-tree module where linux-image is installed (Debian 13's
        # headers package depends on it): its amdgpu.ko.xz, read before dkms
        # 3.2 moves it to its original_module directory for as long as the
        # DKMS amdgpu is installed (docs/DOMAIN.md §17).
        local intree_id=""
        if [ "$mode" = in-tree ]; then
                local shipped
                shipped=$(ls "$(dirname "$intree")"/amdgpu.ko* 2>/dev/null | head -n 1)
                if [ -n "$shipped" ]; then
                        intree=$shipped
                        intree_id=$(ko_build_id "$intree")
                        [ -n "$intree_id" ] || die "no build-id in $intree"
                        echo "in-tree module: the kernel package's $intree"
                fi
        fi

        mkdir -p "/lib/modules/$K/updates"
        dkms build -m amdgpu -v "$VERSION" -k "$K" >"$work/dkms-build.log" 2>&1 ||
                { tail -30 "$work/dkms-build.log"; tail -30 "/var/lib/dkms/amdgpu/$VERSION/build/make.log" 2>/dev/null; die "dkms build (patched)"; }
        dkms install -m amdgpu -v "$VERSION" -k "$K" >"$work/dkms-install.log" 2>&1 ||
                { cat "$work/dkms-install.log"; die "dkms install (patched)"; }
        local ko
        ko=$(ls "$upd"/amdgpu.ko* 2>/dev/null | head -n 1)
        [ -n "$ko" ] || die "dkms installed no amdgpu.ko in $upd"
        ko_has_marker "$ko" || die "the patched build has no marker"
        local patched_id
        patched_id=$(ko_build_id "$ko")
        [ -n "$patched_id" ] || die "no build-id in $ko"

        if [ "$mode" = secure-boot ]; then
                secure_boot_case "$K" "$work"
                return
        fi
        # Otherwise a stand-in built from the clean upstream text, after dkms
        # install: dkms's version check skips a module the kernel's tree has
        # at the same version.
        if [ "$mode" = in-tree ] && [ -z "$intree_id" ]; then
                build_in_tree "$K" "$work" "$intree"
                intree_id=$(ko_build_id "$intree")
                [ -n "$intree_id" ] || die "no build-id in $intree"
        fi
        # An initramfs that carries amdgpu, like the seed machine's. The
        # headers' .config stands in for linux-image's /boot/config-K.
        cp "/lib/modules/$K/build/.config" "/boot/config-$K"
        echo amdgpu >>/etc/initramfs-tools/modules
        depmod -a "$K"
        update-initramfs -c -k "$K" >"$work/mkinitramfs.log" 2>&1 || { cat "$work/mkinitramfs.log"; die "update-initramfs -c"; }
        initrd_amdgpu "$K" "$work/initrd-before" >/dev/null || die "the initramfs holds no amdgpu.ko"
        grep -qa "$MARKER" "$(initrd_amdgpu "$K" "$work/initrd-before")" || die "the initramfs module has no marker"

        if [ "$mode" = in-tree ]; then
                in_tree_case "$K" "$work" "$patched_id" "$intree" "$intree_id"
                return
        fi
        if [ "$mode" = signed ]; then
                signed_case "$K" "$work" "$ko"
                return
        fi

        # 1. The transaction alone refuses a source that still carries the patch.
        local before_ko before_initrd before_dep rc
        before_ko=$(md5sum <"$ko")
        before_initrd=$(md5sum <"/boot/initrd.img-$K")
        run_to "$work/run0.out" "$work/kernelrec-run" --kernel "$K" --version "$VERSION" --state-dir "$work/state0" \
                --signatures "$top/recovery/signatures" --patched-build-id "$patched_id"
        cat "$work/run0.out"
        [ $rc -eq 11 ] || die "a still-patched source: exit $rc, expected 11"
        grep -q "still carries the known patch" "$work/run0.out" || die "no reason given for the refusal"
        [ "$(md5sum <"$ko")" = "$before_ko" ] || die "the refused transaction changed the module"

        # 2. --recover with update-initramfs failing after the clean module
        #    was built and installed: the source is restored from the cached
        #    .deb, the kernel's previous modules and initramfs come back.
        mv /usr/sbin/update-initramfs /usr/sbin/update-initramfs.real
        printf '#!/bin/sh\necho "update-initramfs: simulated failure" >&2\nexit 1\n' >/usr/sbin/update-initramfs
        chmod 755 /usr/sbin/update-initramfs
        before_dep=$(grep -c "updates/dkms/amdgpu.ko" "/lib/modules/$K/modules.dep")
        run_to "$work/run1.out" "$work/rdna1-doctor" --recover --yes
        cat "$work/run1.out"
        mv /usr/sbin/update-initramfs.real /usr/sbin/update-initramfs
        [ $rc -eq 11 ] || die "failing update-initramfs: exit $rc, expected 11 (partial)"
        grep -q "restore-file.*kfd_crat.c: done" "$work/run1.out" || die "the source was not restored"
        grep -q "update-initramfs failed" "$work/run1.out" || die "the failure does not name update-initramfs"
        grep -q "previous modules and initramfs are back" "$work/run1.out" || die "not restored"
        [ "$(md5sum <"$ko")" = "$before_ko" ] || die "the patched module was not put back byte for byte"
        [ "$(md5sum <"/boot/initrd.img-$K")" = "$before_initrd" ] || die "the initramfs was not put back"
        [ "$(grep -c "updates/dkms/amdgpu.ko" "/lib/modules/$K/modules.dep")" = "$before_dep" ] ||
                die "modules.dep does not list the restored module"
        (cd / && md5sum -c --quiet <(grep " ${src#/}/" /var/lib/dpkg/info/amdgpu-dkms.md5sums)) ||
                die "the restored source does not match its md5sums"
        local id1
        id1=$(sed -n 's/^Journal \([^ ]*\) .*/\1/p' "$work/run1.out")
        [ -n "$id1" ] || die "no journal id printed"
        grep -q '"state": *"failed"' "$state/journal/$id1/steps/"*.json || die "no failed step in the journal"
        ls "$state/journal/$id1/cmd/" | grep -q . || die "no command output in the journal"

        # 3. The recovery dies (SIGKILL) in the middle of the kernel step, after
        #    the clean module was built and installed, while update-initramfs
        #    runs: --resume must first undo the half-done step, then redo it.
        mv /usr/sbin/update-initramfs /usr/sbin/update-initramfs.real
        printf '#!/bin/sh\nkill -KILL $PPID\nsleep 30\n' >/usr/sbin/update-initramfs
        chmod 755 /usr/sbin/update-initramfs
        run_to "$work/run-crash.out" "$work/rdna1-doctor" --recover --resume --yes
        mv /usr/sbin/update-initramfs.real /usr/sbin/update-initramfs
        [ $rc -eq 137 ] || { cat "$work/run-crash.out"; die "the crash run: exit $rc, expected 137 (SIGKILL)"; }
        # progress is printed as it happens: what had started before the kill is on record
        grep -q "^  step [0-9]*: dkms build for $K: running (at most 60 min)" "$work/run-crash.out" &&
                grep -q "^  step [0-9]*: update-initramfs for $K: running" "$work/run-crash.out" ||
                { cat "$work/run-crash.out"; die "no progress lines before the kill"; }
        ko=$(ls "$upd"/amdgpu.ko* | head -n 1)
        if ko_has_marker "$ko"; then die "the crash came before the clean module was installed"; fi
        grep -q '"status": *"running"' "$state/journal/$id1/run.json" || die "the killed run is not left running"

        # 4. --resume finishes the run.
        run_to "$work/run2.out" "$work/rdna1-doctor" --recover --resume --yes
        cat "$work/run2.out"
        [ $rc -eq 10 ] || die "--resume: exit $rc, expected 10 (done, reboot)"
        ko=$(ls "$upd"/amdgpu.ko* | head -n 1)
        if ko_has_marker "$ko"; then die "the rebuilt module still holds the marker"; fi
        local new_id
        new_id=$(ko_build_id "$ko")
        [ -n "$new_id" ] && [ "$new_id" != "$patched_id" ] || die "the rebuilt module has the patched build-id"
        modinfo -F vermagic "$ko" | grep -q "^$K " || die "vermagic is not $K"
        (cd / && md5sum -c --quiet <(grep " ${src#/}/" /var/lib/dpkg/info/amdgpu-dkms.md5sums)) ||
                die "the source does not match its md5sums"
        local in_initrd
        in_initrd=$(initrd_amdgpu "$K" "$work/initrd-after") || die "the new initramfs holds no amdgpu.ko"
        if grep -qa "$MARKER" "$in_initrd"; then die "the new initramfs holds the patched module"; fi
        [ "$(readelf -n "$in_initrd" | awk '/Build ID/ { print $3 }')" = "$new_id" ] ||
                die "the initramfs holds another build than the installed one"
        [ "$(cat "$state/verify-pending")" = "$id1" ] || die "no verify-pending flag naming the run"
        if grep -q '"state": *"failed"' "$state/journal/$id1/steps/"*.json; then die "a step is still failed"; fi
        grep -q '"/boot/initrd.img-'"$K"'"' "$state/journal/$id1/steps/"*.json || die "initramfs not journaled"
        echo "PASS: rebuilt $K: build-id $patched_id -> $new_id"
}

# ko_plain KO — a module's bytes as dkms installed it: plain, or compressed
# (.ko.xz/.ko.zst/.ko.gz: dkms 3 on Debian 13 compresses like its kernel).
ko_plain() {
        case $1 in
        *.xz) xz -dc -- "$1" ;;
        *.zst) zstd -qdc -- "$1" ;;
        *.gz) gzip -dc -- "$1" ;;
        *) cat -- "$1" ;;
        esac
}
# ko_has_marker KO — the seed marker is in the module.
ko_has_marker() { ko_plain "$1" | grep -qa "$MARKER"; }
# ko_build_id KO — the module's GNU build id.
ko_build_id() {
        local t
        t=$(mktemp /tmp/rdna1-ko.XXXXXX) || return 1
        ko_plain "$1" >"$t" && readelf -n "$t" | awk '/Build ID/ { print $3 }'
        rm -f "$t"
}

# The amdgpu.ko in the initramfs of K, extracted under dir; prints its path.
initrd_amdgpu() {
        local K=$1 dir=$2
        rm -rf "$dir"
        unmkinitramfs "/boot/initrd.img-$K" "$dir" >/dev/null 2>&1 || return 1
        local f
        f=$(find "$dir" -name 'amdgpu.ko*' -type f | head -n 1)
        [ -n "$f" ] || return 1
        case $f in
        *.xz) xz -dc "$f" >"$f.raw" && f=$f.raw ;;
        *.zst) zstd -qdc "$f" >"$f.raw" && f=$f.raw ;;
        esac
        echo "$f"
}

# An in-tree amdgpu.ko for K (the stand-in built from the clean upstream text, not by dkms).
build_in_tree() {
        local K=$1 work=$2 dest=$3
        local b=$work/in-tree-build
        rm -rf "$b"
        mkdir -p "$b/amd/amdkfd"
        cp "$here/dkms-module/Kbuild" "$here/dkms-module/amdgpu_main.c" "$b/"
        cp "$work/upstream-kfd_crat.c" "$b/amd/amdkfd/kfd_crat.c"
        make -C "/lib/modules/$K/build" M="$b" RDNA1_TEST_ORIGIN=in-tree modules >"$work/in-tree.log" 2>&1 ||
                { tail -30 "$work/in-tree.log"; die "building the in-tree stand-in"; }
        mkdir -p "$(dirname "$dest")"
        cp "$b/amdgpu.ko" "$dest"
}

in_tree_case() {
        local K=$1 work=$2 patched_id=$3 intree=$4 intree_id=$5 state=/var/lib/rdna1-doctor
        local upd=/lib/modules/$K/updates/dkms
        [ "$(modinfo -k "$K" -n amdgpu)" = "$(ls "$upd"/amdgpu.ko*)" ] || die "before: modprobe would not pick the DKMS module"
        local ko_path ko_md5 initrd_md5
        ko_path=$(ls "$upd"/amdgpu.ko*)
        ko_md5=$(md5sum <"$ko_path")
        initrd_md5=$(md5sum <"/boot/initrd.img-$K")
        local built built_md5
        built=$(ls /var/lib/dkms/amdgpu/"$VERSION"/"$K"/*/module/amdgpu.ko*)
        built_md5=$(md5sum <"$built")

        # Killed (SIGKILL) in the middle of the kernel step's backups: the
        # first file is in the journal, the DKMS build's module is not yet.
        # --resume must not take the files it had not backed up for ones the
        # step made (nothing ran yet) and must back them up before dkms runs.
        local rc
        run_to "$work/run-crash.out" env RDNA1_DOCTOR_FAULT=backup-recorded@2 "$work/rdna1-doctor" --recover --yes --in-tree
        [ $rc -eq 137 ] || { cat "$work/run-crash.out"; die "the crash run: exit $rc, expected 137 (SIGKILL)"; }
        [ "$(md5sum <"$built")" = "$built_md5" ] || die "the crash run changed $built"
        run_to "$work/run.out" "$work/rdna1-doctor" --recover --resume --yes
        cat "$work/run.out"
        [ $rc -eq 10 ] || die "--in-tree --resume: exit $rc, expected 10"
        grep -q '^  step 2 dkms-remove' "$work/run.out" || die "no dkms-remove step"
        grep -q "dkms-remove" "$work/run.out" || die "the in-tree choice is not reported"
        if ls "$upd"/amdgpu.ko* >/dev/null 2>&1; then die "the DKMS amdgpu is still installed"; fi
        [ -s "$intree" ] || die "the in-tree module is gone"
        [ "$(modinfo -k "$K" -n amdgpu)" = "$intree" ] || die "modprobe would not load the in-tree module"
        if dkms status -m amdgpu -v "$VERSION" -k "$K" | grep -q installed; then die "dkms still lists it installed"; fi
        local in_initrd
        in_initrd=$(initrd_amdgpu "$K" "$work/initrd-after") || die "the new initramfs holds no amdgpu.ko"
        if grep -qa "$MARKER" "$in_initrd"; then die "the new initramfs holds the patched module"; fi
        [ "$(readelf -n "$in_initrd" | awk '/Build ID/ { print $3 }')" = "$intree_id" ] ||
                die "the initramfs does not hold the in-tree module"
        local id
        id=$(sed -n 's/^Resuming \([^ ]*\)\.$/\1/p' "$work/run.out")
        [ -n "$id" ] || die "--resume does not name the run it resumes"
        [ "$(cat "$state/verify-pending")" = "$id" ] || die "no verify-pending flag naming the run"
        echo "PASS: $K uses the in-tree amdgpu (resumed after a crash in the middle of its backups)"

        # --rollback puts the DKMS module (its directories made again), the
        # old initramfs and the patched source back, and runs depmod. It is
        # killed (SIGKILL) first in the middle of the kernel step's restores:
        # newest first, the initramfs and dkms's two links are back, the
        # DKMS build's module (or, when dkms kept it, the installed one) is
        # in its temp file when the 4th temp file is written. The same
        # --rollback again finishes: what is back already is recognised by
        # its hash, the rest is restored, the stale temp file goes.
        local mod_dir
        mod_dir=$(dirname "$built")
        run_to "$work/rollback-crash.out" env RDNA1_DOCTOR_FAULT=temp-written@4 \
                "$work/rdna1-doctor" --rollback "$id" --yes --force-kernel
        [ $rc -eq 137 ] || { cat "$work/rollback-crash.out"; die "the crashed rollback: exit $rc, expected 137 (SIGKILL)"; }
        [ "$(md5sum <"/boot/initrd.img-$K")" = "$initrd_md5" ] ||
                die "crashed rollback: the initramfs (the first file restored) is not back"
        [ ! -e "$ko_path" ] || die "crashed rollback: the DKMS module was back before the kill (no crash mid-restore)"
        find "$upd" "$mod_dir" -name '.*.rdna1-doctor-new' 2>/dev/null | grep -q . ||
                die "crashed rollback: no temp file of a module: the kill was not in the middle of its restores"
        if grep -q "$MARKER" "/usr/src/amdgpu-$VERSION/amd/amdkfd/kfd_crat.c"; then
                die "crashed rollback: the source was put back before the kernel step was"
        fi
        grep -q '"status": *"rolling-back"' "$state/journal/$id/run.json" || die "the crashed rollback is not left rolling-back"
        run_to "$work/rollback.out" "$work/rdna1-doctor" --rollback "$id" --yes --force-kernel
        cat "$work/rollback.out"
        if find "$upd" "$mod_dir" /boot "/var/lib/dkms/amdgpu" -name '.*.rdna1-doctor-new' 2>/dev/null | grep .; then
                die "rollback: a temp file of the crashed rollback is left"
        fi
        grep -q '"status": *"rolled-back"' "$state/journal/$id/run.json" || die "rollback: the run is not rolled-back"
        [ $rc -eq 0 ] || [ $rc -eq 10 ] || die "--rollback: exit $rc"
        [ "$(md5sum <"$ko_path")" = "$ko_md5" ] || die "rollback: the DKMS module is not back byte for byte"
        [ -f "$built" ] && [ "$(md5sum <"$built")" = "$built_md5" ] ||
                die "rollback: the DKMS build's $built is not back byte for byte"
        [ "$(md5sum <"/boot/initrd.img-$K")" = "$initrd_md5" ] || die "rollback: the initramfs is not back"
        [ "$(modinfo -k "$K" -n amdgpu)" = "$ko_path" ] || die "rollback: modprobe would not pick the DKMS module"
        grep -q "$MARKER" "/usr/src/amdgpu-$VERSION/amd/amdkfd/kfd_crat.c" || die "rollback: the source is not back"
        # dkms's own state too: its kernel-K-ARCH and source links are back
        dkms status -m amdgpu -v "$VERSION" -k "$K" | grep -q ": installed" ||
                die "rollback: dkms does not list amdgpu installed again: $(dkms status -m amdgpu -v "$VERSION" -k "$K" 2>&1)"
        echo "PASS: rolled back"
}

# A ROCm package whose packaged symlink was re-pointed at a custom build:
# symlinks have no md5sum, so the way back is dpkg -i of the cached .deb.
reinstall_case() {
        local work=$1 pkg=$1/rocm-pkg lib=/opt/rocm-5.7.1/lib rc id
        mkdir -p "$pkg/DEBIAN" "$pkg$lib"
        printf 'clean stand-in library\n' >"$pkg$lib/libstandin.so.1.0"
        ln -s libstandin.so.1.0 "$pkg$lib/libstandin.so.1"
        (cd "$pkg" && find opt -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
        printf '%s\n' "Package: rocm-standin" "Version: 5.7.1" "Architecture: all" \
                "Maintainer: rdna1-doctor tests <tests@rdna1-doctor.invalid>" \
                "Description: stand-in for a ROCm library package (rdna1-doctor tests)" \
                " One library and its soname link." >"$pkg/DEBIAN/control"
        dpkg-deb --root-owner-group --build "$pkg" "$work/rocm-standin.deb" >/dev/null || die "dpkg-deb --build"
        dpkg -i "$work/rocm-standin.deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i"; }
        cp "$work/rocm-standin.deb" /var/cache/apt/archives/rocm-standin_5.7.1_all.deb
        # the user's "fix": a custom build, the soname link pointed at it
        printf 'custom build\n' >"$lib/libstandin.so.1.custom"
        ln -sfn libstandin.so.1.custom "$lib/libstandin.so.1"

        "$work/rdna1-doctor" --recover --dry-run --json >"$work/plan.json" 2>"$work/plan.err" ||
                { cat "$work/plan.err"; die "--recover --dry-run failed"; }
        python3 -c '
import json, sys
acts = [a for a in json.load(open(sys.argv[1]))["actions"] if a["action"] == "reinstall-package"]
ok = [a for a in acts if a.get("package") == "rocm-standin" and a["irreversible"] and not a["blocked"]
      and a["source"]["path"] == "/var/cache/apt/archives/rocm-standin_5.7.1_all.deb"
      and "/opt/rocm-5.7.1/lib/libstandin.so.1" in a["touches"]]
sys.exit(0 if len(ok) == 1 else 1)' "$work/plan.json" ||
                { cat "$work/plan.json"; die "the plan has no runnable reinstall-package step for rocm-standin"; }
        # The run stops (fault point deb-verified:STOP) once the .deb was verified, before dpkg runs; then the
        # cached .deb is swapped for another build of the same version: dpkg must install the verified bytes.
        cp -a "$pkg" "$work/evil-pkg"
        printf 'swapped in after the verification\n' >"$work/evil-pkg$lib/libstandin.so.1.0"
        (cd "$work/evil-pkg" && find opt -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
        dpkg-deb --root-owner-group --build "$work/evil-pkg" "$work/evil.deb" >/dev/null || die "dpkg-deb --build (evil)"
        local pid n
        RDNA1_DOCTOR_FAULT=deb-verified:STOP "$work/rdna1-doctor" --recover --yes >"$work/run.out" 2>&1 &
        pid=$!
        for n in $(seq 600); do
                [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] && break
                sleep 0.1
        done
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] || { cat "$work/run.out"; die "the run did not stop at deb-verified"; }
        mv -f "$work/evil.deb" /var/cache/apt/archives/rocm-standin_5.7.1_all.deb
        kill -CONT "$pid"
        set +e
        wait "$pid"
        rc=$?
        set -e
        cat "$work/run.out"
        [ $rc -eq 0 ] || [ $rc -eq 11 ] || die "--recover: exit $rc"
        grep -q "reinstall-package rocm-standin 5.7.1: done" "$work/run.out" || die "the reinstall step did not run"
        [ "$(readlink "$lib/libstandin.so.1")" = libstandin.so.1.0 ] || die "the soname link is not back"
        dpkg --verify rocm-standin || die "dpkg --verify rocm-standin is not clean"
        [ "$(cat "$lib/libstandin.so.1.0")" = "clean stand-in library" ] ||
                die "dpkg installed the .deb swapped in after the verification"
        cp "$work/rocm-standin.deb" /var/cache/apt/archives/rocm-standin_5.7.1_all.deb
        echo "PASS: a .deb swapped after its verification is not what dpkg installs"
        id=$(sed -n 's/^Journal \([^ ]*\) .*/\1/p' "$work/run.out")
        [ -n "$id" ] || die "no journal id in the output"
        grep -rqs '"/usr/bin/dpkg"' "/var/lib/rdna1-doctor/journal/$id" || die "dpkg's argv is not in the journal"
        echo "PASS: reinstalled from the cached .deb"

        # Irreversible: a rollback says so and leaves the package as dpkg left it.
        run_to "$work/rollback.out" "$work/rdna1-doctor" --rollback "$id" --yes --force-kernel
        cat "$work/rollback.out"
        [ $rc -eq 11 ] || die "--rollback of an irreversible step: exit $rc, expected 11"
        grep -q "irreversible" "$work/rollback.out" || die "the rollback does not say the step is irreversible"
        [ "$(readlink "$lib/libstandin.so.1")" = libstandin.so.1.0 ] || die "the rollback undid the repair"
        echo "PASS: the rollback leaves the reinstall"

        # Never on a recovery boot: planned, but blocked.
        ln -sfn libstandin.so.1.custom "$lib/libstandin.so.1"
        echo "BOOT_IMAGE=/vmlinuz ro recovery nomodeset" >/run/cmdline
        mount --bind /run/cmdline /proc/cmdline
        "$work/rdna1-doctor" --recover --dry-run --json >"$work/plan2.json" 2>/dev/null || die "--dry-run (recovery boot)"
        umount /proc/cmdline
        python3 -c '
import json, sys
acts = [a for a in json.load(open(sys.argv[1]))["actions"] if a["action"] == "reinstall-package"]
sys.exit(0 if len(acts) == 1 and acts[0]["blocked"] and "recovery boot" in acts[0]["blocked_reason"] else 1)' \
                "$work/plan2.json" || { cat "$work/plan2.json"; die "on a recovery boot the reinstall step is not blocked"; }
        echo "PASS: blocked on a recovery boot"

        # Another build under the same Package/Version/Architecture (a local
        # rebuild) in the cache: its md5sums are not the installed ones, so
        # which build is clean is not guessed: blocked, naming the file.
        printf 'a local rebuild of the library\n' >"$pkg$lib/libstandin.so.1.0"
        (cd "$pkg" && find opt -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
        dpkg-deb --root-owner-group --build "$pkg" /var/cache/apt/archives/rocm-standin_5.7.1_all.deb >/dev/null ||
                die "dpkg-deb --build (the other build)"
        "$work/rdna1-doctor" --recover --dry-run --json >"$work/plan3.json" 2>/dev/null || die "--dry-run (another build)"
        python3 -c '
import json, sys
acts = [a for a in json.load(open(sys.argv[1]))["actions"] if a["action"] == "reinstall-package"]
sys.exit(0 if len(acts) == 1 and acts[0]["blocked"] and "another build" in acts[0]["blocked_reason"]
         and "/opt/rocm-5.7.1/lib/libstandin.so.1.0" in acts[0]["blocked_reason"] else 1)' \
                "$work/plan3.json" || { cat "$work/plan3.json"; die "another build of the package is not refused"; }
        echo "PASS: another build of the same version is refused"
}

remount_case() {
        local K=$1 work=$2 rc
        # Outputs go to /tmp (its own tmpfs): the overlay is about to be read-only.
        printf 'tmpfs /boot tmpfs defaults 0 0\n' >/etc/fstab
        # util-linux 2.41 (Debian 13) remounts through fsconfig(), which
        # overlayfs refuses for its own options ("No changes allowed in
        # reconfigure"); a real root is not an overlay. This test's root is:
        # there, mount(8) (the doctor's too) takes the mount(2) path.
        if ! mount -o remount,ro / 2>/dev/null; then
                mv /usr/bin/mount /usr/bin/mount.real
                printf '#!/bin/sh\nLIBMOUNT_FORCE_MOUNT2=always exec /usr/bin/mount.real "$@"\n' >/usr/bin/mount
                chmod 0755 /usr/bin/mount
                mount -o remount,ro / || die "cannot make the overlay read-only"
        fi
        touch /rdna1-ro-probe 2>/dev/null && die "/ is still writable"
        run_to /tmp/run0.out "$work/kernelrec-run" --preflight-only --kernel "$K"
        cat /tmp/run0.out
        [ $rc -eq 12 ] || die "read-only /: exit $rc, expected 12"
        grep -q "refused (root-writable): .*mount -o remount,rw /" /tmp/run0.out || die "no remount command given"
        grep -q "refused (boot-mounted): /boot is in the root's fstab but not mounted" /tmp/run0.out ||
                die "/boot not reported"
        run_to /tmp/run1.out "$work/kernelrec-run" --preflight-only --remount-rw --kernel "$K"
        cat /tmp/run1.out
        [ $rc -eq 0 ] || die "--remount-rw: exit $rc, expected 0"
        grep -q "note: remounted / read-write" /tmp/run1.out || die "no remount note"
        grep -q "note: mounted /boot read-write" /tmp/run1.out || die "no /boot note"
        grep -q "kernel $K: rebuild" /tmp/run1.out || die "the headers' kernel is not cleared for a rebuild"
        touch /rdna1-rw-probe || die "/ is not writable after --remount-rw"
        [ "$(findmnt -n -o FSTYPE /boot)" = tmpfs ] || die "/boot is not mounted as fstab says"
        echo "PASS: remounted / and mounted /boot"

        # The recovery-mode menu's "yes": friendly-recovery runs the option
        # with READONLY=true; it shows the plan, the answer "y" execs
        # --recover --remount-rw, which asks for "yes" on the console (a pty
        # here), remounts /, mounts /boot as fstab says (as the menu's own
        # `mount -a` would, though this plan of file steps does not need it)
        # and repairs (seed 002's override in /etc/profile.d; not an
        # ld.so.preload entry, which would load a library before the
        # sanitizer build's runtime).
        umount /boot
        cp "$work/rdna1-doctor" /usr/sbin/rdna1-doctor
        local envfile=/etc/profile.d/rocm-rdna1-57.sh
        printf 'export HSA_OVERRIDE_GFX_VERSION=10.3.0\n' >"$envfile"
        mkdir -p /dev/pts
        mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts || die "cannot mount a devpts for the console"
        ln -sf pts/ptmx /dev/ptmx
        mount -o remount,ro / || die "cannot make the overlay read-only again"
        touch /rdna1-ro-probe2 2>/dev/null && die "/ is still writable"
        printf 'y\nyes\n' >/tmp/option.answers
        run_to /tmp/option.out env READONLY=true script -qec "dash $work/src/recovery/friendly-recovery/rdna1-doctor" \
                /tmp/option.typescript </tmp/option.answers
        cat /tmp/option.out
        [ $rc -eq 0 ] || die "the option, answered y and yes: exit $rc, expected 0"
        grep -q "^Recovery plan for /: " /tmp/option.out || die "the option showed no plan first"
        grep -q "Remount it read-write" /tmp/option.out || die "the option did not ask before remounting"
        grep -q "remounted / read-write" /tmp/option.out || die "the doctor did not say it remounted /"
        grep -q "disable-env-line $envfile.*done" /tmp/option.out || die "the override was not disabled"
        grep -q "^export HSA_OVERRIDE_GFX_VERSION" "$envfile" && die "$envfile still sets the override"
        touch /rdna1-rw-probe2 || die "/ is not writable after the option's repair"
        [ "$(findmnt -n -o FSTYPE /boot)" = tmpfs ] || die "/boot is not mounted after the option's repair"
        echo "PASS: the recovery menu's yes remounts / and repairs"
}

# The kernel's own signing tool, from the installed headers.
sign_file_path() {
        ls /usr/lib/linux-kbuild-*/scripts/sign-file "/lib/modules/$1/build/scripts/sign-file" 2>/dev/null | head -n 1
}

# Secure Boot on, dkms's key enrolled, dkms signing with the kernel's sign-file.
signed_setup() {
        local K=$1 work=$2 efi=/sys/firmware/efi/efivars guid=605dab50-e046-4300-abb6-3dd810dd8b23
        local sf
        sf=$(sign_file_path "$K")
        [ -x "$sf" ] || die "no scripts/sign-file in the headers"
        for n in mok other; do
                openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rdna1-doctor test $n/" \
                        -keyout "$work/$n.key" -outform DER -out "$work/$n.der" >/dev/null 2>&1 || die "openssl"
        done
        cp "$work/mok.key" /var/lib/dkms/mok.key
        cp "$work/mok.der" /var/lib/dkms/mok.pub
        echo "sign_file=$sf" >/etc/dkms/framework.conf
        # A signing tool that always uses the other key, whatever dkms asks.
        printf '#!/bin/sh\n# sign-file HASH KEY CERT MODULE\nexec %s "$1" %s %s "$4"\n' \
                "$sf" "$work/other.key" "$work/other.der" >/usr/local/sbin/sign-with-other
        chmod 755 /usr/local/sbin/sign-with-other
        mkdir -p "$efi"
        printf '\x06\x00\x00\x00\x01' >"$efi/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
        python3 - "$work/mok.der" "$efi/MokListRT-$guid" <<'EOF'
import struct, sys
der = open(sys.argv[1], "rb").read()
x509 = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")
esl = x509 + struct.pack("<III", 28 + 16 + len(der), 0, 16 + len(der)) + b"\x11" * 16 + der
open(sys.argv[2], "wb").write(struct.pack("<I", 6) + esl)
EOF
}

signed_case() {
        local K=$1 work=$2 ko=$3 rc
        local sig='~Module signature appended~'
        ko_plain "$ko" | grep -qa "$sig" || die "dkms did not sign the patched build"
        local before_ko before_initrd
        before_ko=$(md5sum <"$ko")
        before_initrd=$(md5sum <"/boot/initrd.img-$K")

        # Signed by a key that is not enrolled: the signer check fails, all is put back.
        sed -i "s|^sign_file=.*|sign_file=/usr/local/sbin/sign-with-other|" /etc/dkms/framework.conf
        run_to "$work/run1.out" "$work/rdna1-doctor" --recover --yes
        cat "$work/run1.out"
        [ $rc -eq 11 ] || die "a module signed by another key: exit $rc, expected 11"
        grep -q "is not signed by the enrolled key /var/lib/dkms/mok.pub" "$work/run1.out" || die "no signer reason"
        [ "$(md5sum <"$ko")" = "$before_ko" ] || die "the previous module was not put back"
        [ "$(md5sum <"/boot/initrd.img-$K")" = "$before_initrd" ] || die "the initramfs changed"

        # Signed by the enrolled key: done.
        sed -i "s|^sign_file=.*|sign_file=$(sign_file_path "$K")|" /etc/dkms/framework.conf
        run_to "$work/run2.out" "$work/rdna1-doctor" --recover --resume --yes
        cat "$work/run2.out"
        [ $rc -eq 10 ] || die "signed by the enrolled key: exit $rc, expected 10"
        ko=$(ls "/lib/modules/$K/updates/dkms"/amdgpu.ko* | head -n 1)
        ko_plain "$ko" | grep -qa "$sig" || die "the rebuilt module is not signed"
        if ko_has_marker "$ko"; then die "the rebuilt module still holds the marker"; fi
        echo "PASS: signed by the enrolled key"

        # The diagnostic bundle names the signer of each signed module file, as modinfo does.
        run_to "$work/bundle.out" "$work/rdna1-doctor" --bundle "$work/bundle.tar.xz"
        [ $rc -eq 0 ] || { cat "$work/bundle.out"; die "--bundle: exit $rc"; }
        tar -xOJf "$work/bundle.tar.xz" --wildcards '*modules/amdgpu.txt' >"$work/bundle-modules.txt" ||
                die "no modules/amdgpu.txt in the bundle"
        local signer
        signer=$(modinfo -F signer "$ko")
        [ "$signer" = "rdna1-doctor test mok" ] || die "modinfo names the signer '$signer'"
        grep -A12 "^\[$ko\]" "$work/bundle-modules.txt" | grep -qx "  signer: $signer" ||
                { cat "$work/bundle-modules.txt"; die "the bundle does not name $ko's signer"; }
        echo "PASS: the bundle names the signer"
}

secure_boot_case() {
        local K=$1 work=$2 state=/var/lib/rdna1-doctor
        local efi=/sys/firmware/efi/efivars guid=605dab50-e046-4300-abb6-3dd810dd8b23
        # The overlay's /sys is a plain directory: these are files, as in fixtures.
        mkdir -p "$efi"
        printf '\x06\x00\x00\x00\x01' >"$efi/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
        # dkms's certificate exists but MokListRT holds only another one.
        for n in mok other; do
                openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rdna1-doctor test $n/" \
                        -keyout "$work/$n.key" -outform DER -out "$work/$n.der" >/dev/null 2>&1 || die "openssl"
        done
        cp "$work/mok.der" /var/lib/dkms/mok.pub
        cp "$work/mok.key" /var/lib/dkms/mok.key
        python3 - "$work/other.der" "$efi/MokListRT-$guid" <<'EOF'
import struct, sys
der = open(sys.argv[1], "rb").read()
x509 = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")
esl = x509 + struct.pack("<III", 28 + 16 + len(der), 0, 16 + len(der)) + b"\x11" * 16 + der
open(sys.argv[2], "wb").write(struct.pack("<I", 6) + esl)
EOF
        local before archived
        # Debian 13: dkms 3.2 moved the kernel package's own amdgpu.ko.xz to its
        # original_module directory (docs/DOMAIN.md §17); the gate takes it as
        # the in-tree way out. Without it, as on Debian 12 here, there is none.
        archived=$(ls /var/lib/dkms/amdgpu/original_module/"$K"/*/amdgpu.ko* 2>/dev/null | head -n 1)
        if [ -n "$archived" ]; then
                run_to "$work/plan-archived.out" "$work/rdna1-doctor" --recover --dry-run
                grep -qF "the in-tree amdgpu ($archived) is used instead" "$work/plan-archived.out" ||
                        { cat "$work/plan-archived.out"; die "the plan does not take dkms's original_module copy as the in-tree module"; }
                echo "PASS: the in-tree amdgpu kept by dkms in original_module is the way out"
                rm -rf /var/lib/dkms/amdgpu/original_module
        fi
        before=$(dkms status -m amdgpu -v "$VERSION")
        # The dry-run plan already shows the gate's decision and its reason.
        run_to "$work/plan.out" "$work/rdna1-doctor" --recover --dry-run
        grep -q "Secure Boot is on" "$work/plan.out" || { cat "$work/plan.out"; die "the plan does not show the Secure Boot choice"; }
        grep -q "no in-tree amdgpu.ko" "$work/plan.out" || die "the plan does not say why in-tree is no way out"
        local rc
        run_to "$work/run.out" "$work/rdna1-doctor" --recover --yes
        cat "$work/run.out"
        [ $rc -eq 12 ] || die "Secure Boot without an enrolled key: exit $rc, expected 12"
        grep -q "refused by the preflight gate" "$work/run.out" || die "not refused by the preflight gate"
        grep -q "kernel-side $K: Secure Boot is on" "$work/run.out" || die "the reason is not Secure Boot"
        grep -q "not enrolled" "$work/run.out" || die "the reason does not say the key is not enrolled"
        grep -q "no in-tree amdgpu.ko" "$work/run.out" || die "the reason does not say why in-tree is no way out"
        [ ! -e "$state/journal" ] || die "a refused run left a journal"
        [ "$(dkms status -m amdgpu -v "$VERSION")" = "$before" ] || die "dkms state changed"
        grep -q "$MARKER" "/usr/src/amdgpu-$VERSION/amd/amdkfd/kfd_crat.c" || die "the source was changed"
        echo "PASS: refused by preflight"
}

# ---------------------------------------------------------------------------
# In the private mount namespace: build the overlay of / and enter it.
# ---------------------------------------------------------------------------
ns_main() {
        local mode=$1 K=$2 work=$3
        local m=$work/merged
        mount --make-rprivate /
        mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/ovl-work" "$m"
        # The mark chroot_main looks for: it only ever writes inside this overlay.
        echo "$work" >"$m/.rdna1-kernelrec-overlay"
        mount -t proc proc "$m/proc"
        mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
        mount -t tmpfs -o mode=755 tmpfs "$m/run"
        mount -t tmpfs -o mode=755 tmpfs "$m/var/lib/dkms"
        mount -t tmpfs -o mode=755 tmpfs "$m/etc/dkms"
        mount -t tmpfs -o mode=755 tmpfs "$m/dev"
        mknod -m 666 "$m/dev/null" c 1 3
        mknod -m 666 "$m/dev/zero" c 1 5
        mknod -m 666 "$m/dev/full" c 1 7
        mknod -m 666 "$m/dev/random" c 1 8
        mknod -m 666 "$m/dev/urandom" c 1 9
        ln -s /proc/self/fd "$m/dev/fd"
        ln -s /proc/self/fd/0 "$m/dev/stdin"
        ln -s /proc/self/fd/1 "$m/dev/stdout"
        ln -s /proc/self/fd/2 "$m/dev/stderr"
        exec chroot "$m" /bin/bash "$here/kernel-side.sh" --chroot "$mode" "$K" "$work"
}

# ---------------------------------------------------------------------------
# On the host: prerequisites, the package, then the namespace.
# ---------------------------------------------------------------------------
host_main() {
        local mode=$1 driver=$2 doctor=$3
        case $mode in rebuild | in-tree | secure-boot | remount | signed | reinstall) ;; *) die "unknown mode $mode" ;; esac
        [ "$(id -u)" -eq 0 ] || skip "needs root (mount namespace, overlay, chroot)"
        for t in /usr/sbin/dkms /usr/sbin/update-initramfs /usr/bin/unmkinitramfs /usr/bin/dpkg-deb \
                /usr/bin/patch /usr/bin/unshare /usr/bin/readelf /usr/bin/openssl /usr/bin/make /sbin/modinfo; do
                [ -x "$t" ] || skip "$t is not installed (./test installs dkms, initramfs-tools, ...)"
        done
        # The newest installed headers, from /lib/modules/*/build (never uname -r).
        local K=""
        for b in /lib/modules/*/build; do
                [ -f "$b/Makefile" ] || continue
                K=$(basename "$(dirname "$b")")
        done
        [ -n "$K" ] || skip "no kernel headers in /lib/modules/*/build (apt-get install linux-headers-amd64)"
        local crat
        crat=$("$top/tests/upstream-source.sh") || skip "no upstream kfd_crat.c (apt-get install linux-source-6.1)"

        work=$(mktemp -d /var/tmp/rdna1-kernelrec.XXXXXX)
        trap 'rm -rf "$work"' EXIT
        mkdir -p "$work/upper" "$work/ovl-work" "$work/merged"
        cp "$driver" "$work/kernelrec-run"
        cp "$doctor" "$work/rdna1-doctor"
        cp "$crat" "$work/upstream-kfd_crat.c"

        # The stand-in amdgpu-dkms package, made with dpkg-deb from the clean upstream text.
        local pkg=$work/pkg src=usr/src/amdgpu-$VERSION
        mkdir -p "$pkg/DEBIAN" "$pkg/$src/amd/amdkfd"
        sed "s/@VERSION@/$VERSION/" "$here/dkms-module/dkms.conf.in" >"$pkg/$src/dkms.conf"
        cp "$here/dkms-module/Kbuild" "$here/dkms-module/amdgpu_main.c" "$pkg/$src/"
        cp "$crat" "$pkg/$src/amd/amdkfd/kfd_crat.c"
        (cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
        cat >"$pkg/DEBIAN/control" <<EOF
Package: amdgpu-dkms
Version: 1:$VERSION
Architecture: all
Maintainer: rdna1-doctor tests <tests@rdna1-doctor.invalid>
Depends: dkms
Description: stand-in for amdgpu-dkms (rdna1-doctor tests)
 A one-file module whose strings come from the real kfd_crat.c.
EOF
        dpkg-deb --root-owner-group --build "$pkg" "$work/amdgpu-dkms.deb" >/dev/null || die "dpkg-deb --build"

        # The checkout may live under /tmp, which the namespace covers with its own
        # tmpfs: what the chroot reads from the tree is copied beside the work files.
        mkdir -p "$work/src/tests/kernelrec" "$work/src/recovery"
        cp -r "$here/kernel-side.sh" "$here/dkms-module" "$work/src/tests/kernelrec/"
        cp -r "$top/recovery/signatures" "$top/recovery/friendly-recovery" "$work/src/recovery/"
        if [ -n "${RDNA1_DOCTOR_DATADIR:-}" ]; then
                mkdir -p "$work/data"
                cp -r "$RDNA1_DOCTOR_DATADIR/signatures" "$RDNA1_DOCTOR_DATADIR/profiles" "$work/data/"
                export RDNA1_DOCTOR_DATADIR=$work/data
        fi

        local rc=0
        # A private PID namespace too: the gate's "no dkms running" sees only this test's processes.
        unshare -m -p -f /bin/bash "$work/src/tests/kernelrec/kernel-side.sh" --ns "$mode" "$K" "$work" || rc=$?
        return $rc
}

case ${1:-} in
--chroot) shift; chroot_main "$@" ;;
--ns) shift; ns_main "$@" ;;
*) host_main "$@" ;;
esac
