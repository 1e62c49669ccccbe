/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * MD5 (libmd, as dpkg's md5sums) of everything read from an fd, optionally
 * copied to another fd on the way: a backup and its hash come from the same
 * bytes, read once.
 */

#include <stddef.h>
#include <stdint.h>

/* MD5 of a buffer (a symlink's target is journaled by the MD5 of its text). */
void md5_buf(const void *p, size_t len, char ret_md5[33]);

/* Read fd to its end from its current offset; ofd < 0: hash only. Returns 0 or -errno. */
int md5_copy_fd(int fd, int ofd, char ret_md5[33], uint64_t *ret_size);
/*
 * Same, reading at most max bytes: -EFBIG as soon as the file holds more (a
 * file that grows while it is read too), with at most max bytes written to ofd.
 */
int md5_copy_fd_max(int fd, int ofd, uint64_t max, char ret_md5[33], uint64_t *ret_size);
