/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The package-file hash cache: MD5 digests keyed by path inside the root,
 * device, inode, size, mtime and ctime, so that a repeated check reads only
 * the files that changed. One binary file per cache directory:
 *
 *   "RDNA1HC\n" u32 schema, u32 n, u32 root_len, root,
 *   n x { u64 dev, u64 ino, i64 size, i64 mtime_ns, i64 ctime_ns, u8 md5[16], u16 len, path },
 *   u32 CRC-32 of everything before (little-endian integers; the CRC catches
 *   damage, ownership and mode keep others out)
 *
 * A file that is damaged, of another schema or root, not a regular file
 * owned by us with mode 0600, is not trusted: the cache starts empty and
 * the next save replaces it (atomically, through a temporary file).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/util.h"

#define HASH_CACHE_SCHEMA 1u
#define HASH_CACHE_FILE "pkg-hash.cache"

typedef struct hash_key {
        uint64_t dev, ino;
        int64_t size, mtime_ns, ctime_ns;
} hash_key;

void hash_key_from_stat(const struct stat *st, hash_key *ret);

typedef enum hash_cache_state {
        HASH_CACHE_ABSENT,    /* no file yet */
        HASH_CACHE_LOADED,    /* read and valid */
        HASH_CACHE_REJECTED,  /* damaged or foreign: ignored, rebuilt at save */
        HASH_CACHE_UNUSABLE,  /* the directory is missing or unsafe: no cache at all */
} hash_cache_state;

typedef struct hash_cache hash_cache;

/*
 * Load DIR/pkg-hash.cache for ROOT (host path of the cache directory, the
 * root as sysroot names it). Never fails for a bad file, only -ENOMEM /
 * -EINVAL. *ret is always usable (lookups miss when there is nothing).
 */
int hash_cache_load(const char *dir, const char *root, hash_cache **ret);
hash_cache *hash_cache_free(hash_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(hash_cache *, hash_cache_free);
hash_cache_state hash_cache_get_state(const hash_cache *c);
size_t hash_cache_size(const hash_cache *c);

/* Read-only; safe from several threads at once. true and md5 on a hit. */
bool hash_cache_lookup(const hash_cache *c, const char *path, const hash_key *k, uint8_t ret_md5[16]);

/* Same, and *ret_ref names the entry for hash_cache_keep() (no second lookup). */
bool hash_cache_lookup_ref(const hash_cache *c, const char *path, const hash_key *k, uint8_t ret_md5[16],
                           uint32_t *ret_ref);
/* Keep a hit entry at the next save (single thread). */
void hash_cache_keep(hash_cache *c, uint32_t ref);

/* Record an entry for the next save (single thread). Copies path. */
int hash_cache_put(hash_cache *c, const char *path, const hash_key *k, const uint8_t md5[16]);

/*
 * Write the entries put in this session (and only those) when they differ
 * from what was loaded. Returns 1 written, 0 nothing to do, < 0 errno.
 */
int hash_cache_save(hash_cache *c);

/* Parse a cache image (tests): 0 valid, -EBADMSG otherwise. */
int hash_cache_parse(hash_cache *c, const uint8_t *buf, size_t len);
