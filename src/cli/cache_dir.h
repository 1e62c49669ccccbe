/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * The caches' directory of a check (hash and module-scan caches):
 * ROOT/var/cache/rdna1-doctor, made if it can be, every directory on the
 * way a real one that only root or we can change. A missing /var/cache is
 * made as dpkg makes it (0755 root:root) only by root on the running system
 * (root "/"), never in a --root tree. NULL: no cache (with verbose, a note
 * on stderr says why). See FILES in the man page.
 */
char *cache_dir_open(const char *root, bool verbose);
