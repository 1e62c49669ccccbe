#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Print a snapshot of the host directories the tests must never change
# (README.md, Layout): every entry's path, type, mode, owner, size and mtime, and the
# sha256 of every regular file. Compare two snapshots with diff.
set -u
dirs=(/etc /usr/src /lib/modules /var/lib/dkms /boot)
for d in "${dirs[@]}"; do
        [ -e "$d" ] || { echo "absent $d"; continue; }
        # -xdev: a mount below these (e.g. /boot/efi) is another snapshot's business.
        find "$d" -xdev -printf '%p %y %m %u %g %s %T@ %l\n' 2>/dev/null | LC_ALL=C sort
        find "$d" -xdev -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r sha256sum 2>/dev/null
done
