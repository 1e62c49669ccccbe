/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Look inside an initramfs image (as made by initramfs-tools or dracut):
 * one or more concatenated cpio archives, the first often uncompressed
 * (early microcode), the next compressed (gzip, xz, zstd, lz4...). Read with
 * libarchive, segment after segment; entries are never extracted to disk.
 */

#include <stddef.h>

#include "parse/ko_scan.h"

/*
 * Called for every entry whose basename starts with "amdgpu.ko" (amdgpu.ko,
 * amdgpu.ko.zst, ...). name is the archive path ("usr/lib/modules/.../amdgpu.ko.zst").
 * Return < 0 to stop the scan with that error.
 */
typedef int (*initramfs_module_cb)(const char *name, const ko_info *info, void *userdata);

/*
 * Scan the image open at fd. markers as for ko_scanner_new().
 * Returns the number of cpio segments read (>= 1), or < 0 errno:
 * -EBADMSG when the first segment is not a cpio archive or is corrupt.
 * A corrupt later segment stops the scan and returns -EBADMSG too.
 */
int initramfs_scan_fd(int fd, const char *const *markers, size_t n_markers,
                      initramfs_module_cb cb, void *userdata);
