/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * MD5 (libmd, as dpkg's md5sums) of everything read from an fd, optionally
 * copied to another fd on the way: a backup and its hash come from the same
 * bytes, read once.
 */

#include <stdint.h>

/* Read fd to its end from its current offset; ofd < 0: hash only. Returns 0 or -errno. */
int md5_copy_fd(int fd, int ofd, char ret_md5[33], uint64_t *ret_size);
