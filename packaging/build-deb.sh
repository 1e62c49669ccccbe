#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# packaging/build-deb.sh [OUTDIR | -o FILE.deb] — build the rdna1-doctor .deb from this
# tree, offline: the checkout's files (tracked and untracked, not ignored;
# the whole tree when it is not a git checkout) are copied to a scratch
# directory with packaging/debian as debian/, then `dpkg-buildpackage -us
# -uc -b`. The build dependencies must be installed (./test installs them;
# dpkg-checkbuilddeps says what is missing). The .deb, .buildinfo and
# .changes land in OUTDIR (default: build-deb/ in the tree); with -o, only
# the .deb, as FILE.deb (what meson's custom target asks for).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deb_to=
if [ "${1:-}" = -o ]; then
        deb_to=$(realpath -m "${2:?-o needs a file name}")
        out=$(dirname "$deb_to")
else
        out=${1:-$top/build-deb}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n "s/^rdna1-doctor (\([^)]*\)).*/\1/p;q" "$top/packaging/debian/changelog")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/rdna1-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
src=$scratch/rdna1-doctor-$version
mkdir "$src"

if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # tracked and untracked-not-ignored files that exist (a tracked file
        # deleted in the work tree is not shipped)
        (cd "$top" && git ls-files -z --deduplicate --cached --others --exclude-standard) |
                while IFS= read -r -d '' f; do
                        [ -e "$top/$f" ] || [ -L "$top/$f" ] || continue
                        printf '%s\0' "$f"
                done | (cd "$top" && xargs -0 -r cp --parents -P -t "$src" --)
else
        (cd "$top" && tar --exclude='./build*' --exclude='./tests/.cache' -cf - .) | (cd "$src" && tar -xf -)
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

cd "$src"
dpkg-checkbuilddeps
# -us -uc: unsigned; -b: binary only; the build runs without network.
dpkg-buildpackage -us -uc -b >"$scratch/build.log" 2>&1 || {
        tail -60 "$scratch/build.log" >&2
        echo "build-deb: dpkg-buildpackage failed (log above)" >&2
        exit 1
}
if [ -n "$deb_to" ]; then
        cp "$scratch"/rdna1-doctor_"$version"_*.deb "$deb_to.tmp"
        mv "$deb_to.tmp" "$deb_to"
        exit 0
fi
for f in "$scratch"/rdna1-doctor*_"$version"_*.deb "$scratch"/rdna1-doctor_"$version"_*.buildinfo \
         "$scratch"/rdna1-doctor_"$version"_*.changes; do
        [ -e "$f" ] && cp "$f" "$out/"
done
ls "$out"/rdna1-doctor_"$version"_*.deb
