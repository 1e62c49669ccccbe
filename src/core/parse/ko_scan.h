/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Streaming scan of a kernel module file (.ko, .ko.gz, .ko.xz, .ko.zst):
 * the compression is recognised by its magic and decoded in chunks (zlib,
 * liblzma, libzstd); the decoded bytes are searched for marker strings (a
 * marker may straddle a chunk boundary) and for the module's identity: the
 * GNU build-id note, and the .modinfo strings srcversion=, vermagic=,
 * name=, version=. Nothing is loaded whole into memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/util.h"

#define KO_MAX_MARKERS 32
#define KO_BUILD_ID_MAX 64

typedef enum ko_compression {
        KO_COMPRESSION_NONE,
        KO_COMPRESSION_GZIP,
        KO_COMPRESSION_XZ,
        KO_COMPRESSION_ZSTD,
        _KO_COMPRESSION_MAX,
        _KO_COMPRESSION_INVALID = -22,
} ko_compression;

const char *ko_compression_to_string(ko_compression c);

typedef struct ko_info {
        bool is_elf;                   /* decoded stream starts with \177ELF */
        ko_compression compression;
        uint8_t build_id[KO_BUILD_ID_MAX];
        size_t build_id_len;           /* 0: no build-id note found */
        char *srcversion;              /* NULL when absent */
        char *vermagic;
        char *name;
        char *version;
        bool signature_appended;       /* "~Module signature appended~\n" at the end */
        uint32_t markers_found;        /* bit i set: markers[i] occurs */
        uint64_t decoded_size;
} ko_info;

void ko_info_clear(ko_info *info);
int ko_info_copy(const ko_info *src, ko_info *dst);
/* Lowercase hex of the build-id, or NULL when none/ENOMEM. */
char *ko_info_build_id_hex(const ko_info *info);

typedef struct ko_scanner ko_scanner;

/*
 * markers: byte strings (NUL-terminated, matched without the NUL), at most
 * KO_MAX_MARKERS. The array must outlive the scanner. max_decoded caps the
 * decoded size (0 = 1 GiB); beyond it feed() returns -EFBIG.
 */
int ko_scanner_new(const char *const *markers, size_t n_markers, uint64_t max_decoded,
                   ko_scanner **ret);
ko_scanner *ko_scanner_free(ko_scanner *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ko_scanner *, ko_scanner_free);
/*
 * Tests only: decode and scan in windows of chunk decoded bytes (default
 * 128 KiB), so that patterns straddling window boundaries can be exercised
 * on small inputs. Call before the first feed.
 * Returns 0, or -EINVAL (chunk 0), -EBUSY (already fed), -ENOMEM.
 */
int ko_scanner_set_chunk_size(ko_scanner *s, size_t chunk);
/* Feed raw (possibly compressed) file bytes. Returns 0 or < 0 errno (-EBADMSG corrupt). */
int ko_scanner_feed(ko_scanner *s, const void *buf, size_t len);
/* End of input: fills *ret (caller owns strings; ko_info_clear()). -EBADMSG if truncated. */
int ko_scanner_finish(ko_scanner *s, ko_info *ret);

/* Convenience: scan a whole open file descriptor (read from its current offset). */
int ko_scan_fd(int fd, const char *const *markers, size_t n_markers, ko_info *ret);

/*
 * The file name endings of a kernel module: plain and the three compressions
 * kmod can load (".ko", ".ko.zst", ".ko.xz", ".ko.gz"), in the order a
 * lookup tries them; NULL-terminated.
 */
extern const char *const ko_suffixes[];

/* Does path (or its last component) end in one of ko_suffixes? */
bool ko_name_is_module(const char *path);

/* Is path's last component module + one of ko_suffixes ("amdgpu.ko.xz" for "amdgpu")? */
bool ko_name_is_module_of(const char *path, const char *module);
