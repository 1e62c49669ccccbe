/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The symlinks a .deb ships (md5sums cover regular files only, so a
 * re-pointed packaged symlink is only visible against the archive).
 * Read with libarchive straight from the file: ar, then control.tar.* and
 * data.tar.* inside it, nothing extracted.
 */

#include <stddef.h>

typedef struct deb_symlink {
        char *path;    /* "/opt/rocm-5.7.1/lib/libhsa-runtime64.so.1" */
        char *target;  /* as stored in the archive */
} deb_symlink;

/*
 * Read the archive on fd. The control file's Package, Version and
 * Architecture must equal the given ones (-ESTALE otherwise: another build
 * of the package is no reference). Returns 0, -EBADMSG for a damaged
 * archive, -ENOMEM, -ESTALE.
 */
int deb_read_symlinks(int fd, const char *package, const char *version, const char *arch,
                      deb_symlink **ret, size_t *ret_n);
void deb_symlinks_free(deb_symlink *s, size_t n);
