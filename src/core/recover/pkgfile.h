/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which package owns a file, what its md5sums say, and the package's
 * installed Version/Architecture: what the planner needs to restore a
 * packaged file and to refuse quarantining one. Reads the root's dpkg
 * database through the sysroot.
 */

#include <stdbool.h>

#include "root/sysroot.h"

typedef struct pkgfile {
        char *package;          /* "amdgpu-dkms" (no :arch) */
        char *version;          /* installed Version */
        char *arch;             /* installed Architecture */
        char *md5;              /* md5sums entry, NULL when the package has none for it */
        char *md5sums_path;     /* the package's /var/lib/dpkg/info/OWNER.md5sums (may not exist) */
        bool conffile;
} pkgfile;

void pkgfile_clear(pkgfile *p);

/*
 * Look path up in /var/lib/dpkg/info/ *.list. Returns 1 and fills *ret when
 * some package lists it, 0 when none does, < 0 errno.
 */
int pkgfile_lookup(const sysroot *sr, const char *path, pkgfile *ret);

/* Is path listed by any package (quarantine refuses those)? < 0 errno. */
int pkgfile_is_packaged(const sysroot *sr, const char *path);

/*
 * Every path any package lists, loaded once (sorted), for walking a
 * directory of unowned files without reading the .list files per file.
 */
typedef struct pkgindex {
        char **paths;
        size_t n;
} pkgindex;

int pkgindex_load(const sysroot *sr, pkgindex *ret);
bool pkgindex_contains(const pkgindex *idx, const char *path);
void pkgindex_clear(pkgindex *idx);
