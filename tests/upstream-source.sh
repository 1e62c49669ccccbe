#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Print the path of the real upstream kfd_crat.c (with kfd_crat.h and
# kfd_topology.c beside it), extracted once per checkout into
# tests/.cache/upstream/ from Debian's linux-source-* package
# (/usr/src/linux-source-6.1.tar.xz or -6.12; the newest tarball wins).
# Third-party text is never copied into the repository: tests/.cache is
# ignored by git.
#
# Exit 0 and print the path; exit 1 with a message on stderr when no
# kernel source tarball is installed (apt-get install linux-source-6.1).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${RDNA1_UPSTREAM_CACHE:-$here/.cache/upstream}
files="kfd_crat.c kfd_crat.h kfd_topology.c"

complete() {
        for f in $files; do
                [ -s "$cache/$f" ] || return 1
        done
        return 0
}

if complete; then
        echo "$cache/kfd_crat.c"
        exit 0
fi

# Newest linux-source tarball by version (6.12 sorts after 6.1).
tarball=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$tarball" ]; then
        echo "upstream-source.sh: no /usr/src/linux-source-*.tar.xz (apt-get install linux-source-6.1)" >&2
        exit 1
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
patterns=""
for f in $files; do
        patterns="$patterns */amdkfd/$f"
done
# shellcheck disable=SC2086 # word splitting of the patterns is wanted
if ! tar -xJf "$tarball" -C "$tmp" --wildcards $patterns; then
        echo "upstream-source.sh: cannot extract amdkfd sources from $tarball" >&2
        exit 1
fi
for f in $files; do
        src=$(find "$tmp" -path "*/amdkfd/$f" -type f | head -n 1)
        if [ -z "$src" ]; then
                echo "upstream-source.sh: $f not found in $tarball" >&2
                exit 1
        fi
        # Atomic per file: parallel test runs may extract at the same time.
        cp "$src" "$cache/.$f.$$"
        mv -f "$cache/.$f.$$" "$cache/$f"
done
basename "$tarball" .tar.xz >"$cache/.origin.$$"
mv -f "$cache/.origin.$$" "$cache/ORIGIN"
echo "$cache/kfd_crat.c"
