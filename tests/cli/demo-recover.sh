#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --demo's write actions work on a private copy of the demo root: as root
# under --state-dir (a temp dir here), as a user (uid 65534) under
# $XDG_STATE_HOME/rdna1-doctor/demo. The copy is recovered (and rolled back
# as root, --history lists it); the installed (build-tree) demo is byte for
# byte what it was: names, modes, owners, link targets, file contents.
set -u
bin=$(realpath "$1")
demo=$RDNA1_DOCTOR_DATADIR/demo
fails=0
no() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -d "$demo" ] || { echo "SKIP: no demo root at $demo (built with -Ddemo=false)"; [ "${CI:-}" = true ] && exit 1; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (runs as uid 65534 too)"; [ "${CI:-}" = true ] && exit 1; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree_hash() {
        (cd "$1" && find . -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}
before=$(tree_hash "$demo")

# --- as root, --state-dir in a temp dir
st=$tmp/state
"$bin" --demo --recover --dry-run --state-dir "$st" >"$tmp/dry.log" 2>&1 || no "dry run exit $?"
grep -q 'Dry run: nothing was changed' "$tmp/dry.log" || no "no dry-run plan"
"$bin" --demo --recover --yes --state-dir "$st" >"$tmp/rec.log" 2>&1
rc=$?
{ [ "$rc" -eq 0 ] || [ "$rc" -eq 11 ] || [ "$rc" -eq 10 ]; } || { no "recover exit $rc"; cat "$tmp/rec.log"; }
copy=$st/demo/root
grep -qF "working on a fresh private copy of the demo: $copy" "$tmp/rec.log" || no "the copy's path is not printed"
[ "$(stat -c %a "$st/demo")" = 700 ] || no "$st/demo is not 0700"
grep -q 'kernel-side steps never run against --root' "$tmp/rec.log" || no "kernel-side steps were not refused"
grep -q '^[^#]*librdna1_shim' "$copy/etc/ld.so.preload" &&
        no "the copy's /etc/ld.so.preload still preloads the shim"
grep -q '^export HSA_OVERRIDE_GFX_VERSION' "$copy/home/alice/rocm_rdna1_env.sh" &&
        no "the copy's ~/rocm_rdna1_env.sh still sets the override"
[ "$(stat -c %u "$copy/home/alice/rocm_rdna1_env.sh")" = 1000 ] || no "alice's file in the copy is not alice's"
# absolute links inside the demo stay links, pointing where they did
src_link=$(readlink "$demo/var/lib/dkms/amdgpu/6.16.6-2238411.24.04/source")
[ "$(readlink "$copy/var/lib/dkms/amdgpu/6.16.6-2238411.24.04/source")" = "$src_link" ] ||
        no "the DKMS source link was not copied as a link"
"$bin" --demo --history --state-dir "$st" >"$tmp/hist.log" 2>&1 || no "history exit $?"
id=$(grep -oE '^[0-9]{8}-[0-9]{6}' "$tmp/hist.log" | head -1)
[ -n "$id" ] || { no "--demo --history lists no run"; cat "$tmp/hist.log"; }
after_rec=$(tree_hash "$copy")
"$bin" --demo --rollback "$id" --yes --state-dir "$st" >"$tmp/rb.log" 2>&1 || { no "rollback exit $?"; cat "$tmp/rb.log"; }
grep -q '^export HSA_OVERRIDE_GFX_VERSION' "$copy/home/alice/rocm_rdna1_env.sh" ||
        no "rollback did not put the copy's override line back"
[ "$(tree_hash "$copy")" != "$after_rec" ] || no "rollback changed nothing in the copy"
[ "$(tree_hash "$demo")" = "$before" ] || no "the demo root changed (as root)"

# --- as uid 65534, HOME and XDG_STATE_HOME in a temp dir
chmod 755 "$tmp"
mkdir "$tmp/home" && chown 65534:65534 "$tmp/home"
user() {
        setpriv --reuid=65534 --regid=65534 --clear-groups -- \
                env HOME="$tmp/home" XDG_STATE_HOME="$tmp/home/state" "$@"
}
user "$bin" --demo --recover --yes >"$tmp/user.log" 2>&1
rc=$?
{ [ "$rc" -eq 0 ] || [ "$rc" -eq 11 ] || [ "$rc" -eq 10 ]; } || { no "user recover exit $rc"; cat "$tmp/user.log"; }
ucopy=$tmp/home/state/rdna1-doctor/demo/root
grep -qF "working on a fresh private copy of the demo: $ucopy" "$tmp/user.log" || no "user: copy path not printed"
[ "$(stat -c '%a %u' "$tmp/home/state/rdna1-doctor/demo")" = "700 65534" ] || no "user: copy dir not 0700 and the user's"
grep -q '^[^#]*librdna1_shim' "$ucopy/etc/ld.so.preload" &&
        no "user: the copy's /etc/ld.so.preload still preloads the shim"
grep -q '^[^#]*HSA_OVERRIDE_GFX_VERSION' "$ucopy/etc/profile.d/rocm-rdna1-57.sh" &&
        no "user: the copy's profile.d file still sets the override"
# a second write action starts from a fresh copy
user "$bin" --demo --recover --yes >"$tmp/user2.log" 2>&1
grep -q 'Journal' "$tmp/user2.log" || no "user: second recover on a fresh copy did not run"
[ "$(tree_hash "$demo")" = "$before" ] || no "the demo root changed (as a user)"
# never /tmp by default: without XDG_STATE_HOME, ~/.local/state
setpriv --reuid=65534 --regid=65534 --clear-groups -- env -u XDG_STATE_HOME HOME="$tmp/home" \
        "$bin" --demo --recover --dry-run >"$tmp/user3.log" 2>&1 || no "user dry run exit $?"
user "$bin" --demo --history >/dev/null 2>&1 || no "user: --demo --history exit $?"
[ "$fails" -eq 0 ] && echo "ok demo-recover"
exit $((fails > 0))
