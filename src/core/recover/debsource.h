/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Clean content from a cached .deb (README.md, Recovery): the archive is trusted only
 * when `dpkg-deb -f` says its Package/Version/Architecture equal the
 * installed package's, and a member is read with libarchive straight from
 * the open .deb (never extracted to a shared place), hashed from the same
 * bytes that are copied.
 */

#include <stdbool.h>
#include <stdint.h>

#include "root/sysroot.h"

/*
 * Control fields of the .deb at debpath (inside the root), by running
 * dpkg-deb -f on the file we opened (/proc/self/fd/3 in the child).
 * Returns 0 and three strings (caller frees), < 0 errno (-EBADMSG when
 * dpkg-deb fails or prints something unexpected).
 */
int deb_control_fields(const sysroot *sr, const char *debpath, char **ret_package, char **ret_version,
                       char **ret_arch);

/*
 * The same, for the executor's journal: dpkg-deb's stdout and stderr also go
 * to log_fd, and *ret_status gets its wait status. The argv it runs is
 * DEB_CONTROL_ARGV (the .deb is the child's fd 3).
 */
extern const char *const deb_control_argv[];
int deb_control_fields_logged(const sysroot *sr, const char *debpath, int log_fd, int *ret_status,
                              char **ret_package, char **ret_version, char **ret_arch);

/*
 * Stream member (an absolute path "/usr/src/x", matched against "./usr/src/x")
 * of the data archive of the .deb open at deb_fd (offset 0) into out_fd
 * (< 0: only hash). *ret_md5 (33 bytes) and *ret_size are of the bytes
 * copied; *ret_declared_size is what the archive header says.
 * Returns 0, -ENOENT when there is no such regular member, < 0 errno.
 */
int deb_member_copy(int deb_fd, const char *member, int out_fd, char ret_md5[33], uint64_t *ret_size,
                    uint64_t *ret_declared_size, struct timespec *ret_mtime);

/*
 * Find a cached .deb in /var/cache/apt/archives of the root whose control
 * fields match, and verify member's md5 and size. Returns 1 and the .deb
 * path (caller frees) when one verifies, 0 when none does (*ret_rejected,
 * may be NULL, gets a reason for the first candidate that did not), < 0 errno.
 * member NULL: the first whose control fields match (md5 and *ret_size unused).
 */
int deb_find_clean_source(const sysroot *sr, const char *package, const char *version, const char *arch,
                          const char *member, const char *md5, char **ret_deb, uint64_t *ret_size,
                          char **ret_rejected);

/*
 * Is the .deb at debpath the build that is installed? Its control member
 * md5sums is compared, entry by entry, with the installed package's
 * md5sums file (installed_md5sums, inside the root): a package rebuilt
 * locally under the same Version has other sums. Returns 0 when they agree
 * or one side has no md5sums (nothing to compare), 1 when they differ
 * (*ret_why says where), < 0 errno.
 */
int deb_md5sums_differ(const sysroot *sr, const char *debpath, const char *installed_md5sums, char **ret_why);
