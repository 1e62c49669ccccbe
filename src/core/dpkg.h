/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Readers for the dpkg database formats (deb-md5sums(5), the status file).
 * Pure parsers over buffers: the caller reads files through the sysroot.
 */

#include <stddef.h>

/*
 * Find FIELD of PACKAGE's stanza in a dpkg status file ("Status",
 * "Version", ...). Continuation lines are not part of the value.
 * Returns 1 and *ret (owned), 0 when the package or field is absent,
 * < 0 errno.
 */
int dpkg_status_field(const char *buf, size_t len, const char *package, const char *field, char **ret);

/*
 * Parse md5sums content: "<32 hex>  <path>" per line, the path relative
 * to / (a leading slash is accepted). cb gets the lowercase digest and the
 * path with a leading slash; malformed lines are counted, not passed.
 * Returns the number of malformed lines (>= 0), or < 0 from cb.
 */
typedef int (*md5sums_cb)(const char *md5, const char *path, void *userdata);
int md5sums_parse(const char *buf, size_t len, md5sums_cb cb, void *userdata);
