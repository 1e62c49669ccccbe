/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/stat.h>

#include "base/util.h"
#include "parse/ko_scan.h"

/*
 * Scan cache, keyed like a hash cache: (path, st_dev, st_ino, st_size,
 * st_mtim, st_ctim) plus a fingerprint of the marker set and a schema
 * version. Stored as a json-c document; a corrupt, foreign or outdated file
 * is ignored (and rewritten on save), never trusted.
 */
typedef struct ko_cache ko_cache;

/* cache_path: a host path (may not exist yet). markers define the fingerprint. */
int ko_cache_open(const char *cache_path, const char *const *markers, size_t n_markers,
                  ko_cache **ret);
ko_cache *ko_cache_free(ko_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ko_cache *, ko_cache_free);
/* Returns 1 and fills *ret on a hit, 0 on a miss. */
int ko_cache_lookup(ko_cache *c, const char *path, const struct stat *st, ko_info *ret);
int ko_cache_store(ko_cache *c, const char *path, const struct stat *st, const ko_info *info);
/* A short text (at most 64 KiB) under its own key, keyed by st like a module. 1 hit, 0 miss. */
int ko_cache_lookup_text(ko_cache *c, const char *key, const struct stat *st, char **ret);
int ko_cache_store_text(ko_cache *c, const char *key, const struct stat *st, const char *text);

/* Write atomically (temp file + fsync + rename), mode 0600, if anything changed. */
int ko_cache_save(ko_cache *c);
