/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Known unsafe patches ("signatures"), loaded from data files in
 * recovery/signatures/: NAME.ini (iniparser) beside NAME.diff (the unified
 * diff as it was applied). Matching is by the patch's code, not its
 * comments or layout: C sources are tokenised (comments dropped, whitespace
 * and line endings ignored, braces ignored) and compared as token
 * sequences, so a reflowed, re-indented, CRLF, shifted or half-removed copy
 * of the patch is still recognised.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

struct ctokens;

typedef struct sig_marker {
        char *name;
        char *code;         /* C statement(s) as written in the .ini */
        unsigned clean_count; /* occurrences in an unpatched file */
        bool strong;        /* proof on its own (weak: only with context) */
        /* Additions: */
        char *not_after;    /* optional: occurrences right after this code do not count */
        struct ctokens *tokens;           /* code, tokenised */
        struct ctokens *not_after_tokens; /* not_after, tokenised (NULL if unset) */
} sig_marker;

typedef struct signature {
        char *id;             /* "kfd-crat-hot-pluggable-0x731f" */
        char *title;
        char *file;           /* path suffix inside the source tree: "amd/amdkfd/kfd_crat.c" */
        char *module;         /* kernel module it ends up in: "amdgpu" */
        char *ko_marker;      /* bytes that survive compilation (the pr_debug format, real \n) */
        char *dyndbg_function; /* "kfd_parse_subtype_mem" */
        char *diff_path;      /* host path of NAME.diff */
        char *source;         /* where the patch is known from (docs/DOMAIN.md) */
        sig_marker *markers;
        size_t n_markers;
} signature;

typedef struct signature_db {
        signature *sigs;
        size_t n;
} signature_db;

/*
 * Load every *.ini in dir (a host path). A malformed entry fails the load
 * with -EBADMSG (the db is the tool's own data: refusing beats guessing).
 */
int signature_db_load(const char *dir, signature_db **ret);
signature_db *signature_db_free(signature_db *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(signature_db *, signature_db_free);

typedef struct sig_match {
        const signature *sig;
        unsigned n_found;    /* markers present beyond their clean count */
        unsigned n_total;
        unsigned first_line; /* 1-based line of the first matched marker in the input */
        bool complete;       /* every marker present */
        /* Additions: */
        bool strong;               /* a strong marker is among those found */
        const char *first_marker;  /* name of the marker at first_line */
} sig_match;

/*
 * Match a C source file. path is the file's path (only its suffix is
 * compared with signature.file; NULL matches any file).
 * Returns 1 and fills *ret when a signature matches (a strong marker, or
 * a weak one above its clean count), 0 when none does, < 0 errno.
 */
int signature_match_source(const signature_db *db, const char *path, const char *buf,
                           size_t len, sig_match *ret);

/*
 * Whether sig.file names path: equal, or a suffix of it that starts at a
 * path component ("/usr/src/amdgpu-6.16/amd/amdkfd/kfd_crat.c"). A NULL
 * sig or path is true (matches any file).
 */
bool signature_names_file(const signature *sig, const char *path);

/*
 * Match a patch file (as listed in dkms.conf PATCH[]): only its added lines
 * count, minus its removed ones. Returns 1/0/< 0 like above.
 */
int signature_match_patch(const signature_db *db, const char *buf, size_t len,
                          sig_match *ret);
