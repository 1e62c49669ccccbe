#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the generated demo root: copy it as it is (symlinks stay links).
set -eu
src=$1
dest=${DESTDIR:-}$2
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -a "$src" "$dest"
