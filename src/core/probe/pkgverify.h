/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Integrity of the ROCm and amdgpu packages, with dpkg's semantics: the
 * files of md5sums that the package still lists (a file taken over by
 * another package stays in the old md5sums but leaves its .list), checked
 * where dpkg would look after a diversion; conffiles against the status
 * file's digests (an admin change, never a failure); packaged symlinks
 * against a cached .deb of the same Package/Version/Architecture.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/report.h"
#include "base/strset.h"
#include "base/util.h"
#include "parse/dpkg.h"
#include "probe/hashcache.h"
#include "root/sysroot.h"

typedef enum pv_state {
        PV_MODIFIED,          /* md5 differs */
        PV_MISSING,
        PV_NOT_REGULAR,       /* a directory, FIFO, device where a file was shipped */
        PV_UNREADABLE,        /* could not be read (error kept) */
        PV_SYMLINK_CHANGED,   /* packaged symlink points elsewhere, or is no symlink */
        PV_CONFFILE_CHANGED,  /* an admin change: not an integrity failure */
        _PV_STATE_MAX,
} pv_state;

typedef struct pv_problem {
        size_t pkg;          /* index into pkgs */
        char *path;          /* the file checked, as the system sees it (diverted-to path if diverted) */
        char *listed;        /* the package's own name for it when diverted, else NULL */
        pv_state state;
        int error;           /* PV_UNREADABLE */
        char *target;        /* PV_SYMLINK_CHANGED: what it points to now (NULL: not a symlink) */
        char *want_target;   /* PV_SYMLINK_CHANGED: what the package ships */
} pv_problem;

typedef struct pkgverify {
        dpkg_pkg *pkgs;
        size_t n_pkgs;
        bool *relevant;       /* per package */
        bool *unverifiable;   /* relevant, ships regular files, no md5sums */
        bool *in_rocm_tree;   /* owns files under /opt/rocm* or /usr/src/amdgpu-* */
        bool *symlinks_checked; /* a matching .deb was found in /var/cache/apt/archives */
        dpkg_diversion *diversions;
        size_t n_diversions;
        pv_problem *problems;
        size_t n_problems;
        char **lists;         /* per package: its .list, lines cut at NUL (in keep), or NULL */
        size_t *list_lens;
        strv keep;            /* buffers the borrowed sets point into (.list files, aliased names) */
        strset diverted;      /* usrmerge-canonical "from" paths of the diversions */
        strset owned;         /* usrmerge-canonical paths of the relevant packages' .list (+ diverted-to),
                               * valued by the listing package's index + 1 (STRSET_SHARED: several) */
        char usr_aliases[8][8]; /* "/lib", "/bin", ... that are symlinks to /usr/... */
        size_t n_usr_aliases;
        size_t n_files;       /* files hashed or looked up */
        size_t n_cached;      /* of those, answered by the cache */
        hash_cache_state cache_state;
} pkgverify;

/*
 * Check the relevant packages of the root. cache_dir: host directory of
 * the hash cache (NULL: none). nthreads 0: all cores. Unreadable database
 * parts become reasons in r. Returns 0 or < 0 errno (ENOMEM).
 */
int pkgverify_run(const sysroot *sr, const char *cache_dir, unsigned nthreads, report *r, pkgverify **ret);
pkgverify *pkgverify_free(pkgverify *pv);
DEFINE_TRIVIAL_CLEANUP_FUNC(pkgverify *, pkgverify_free);

/* Is a package, by name, one of the ROCm/amdgpu family? */
bool pkg_name_is_rocm(const char *name);

/* The path with a usrmerge alias prefix replaced by its /usr form. Returns a new string. */
char *pkgverify_canonical(const pkgverify *pv, const char *path);
/* Does a relevant package (or a diversion) own path? */
bool pkgverify_owns(const pkgverify *pv, const char *path);
/* The diversion of path (from), or NULL. */
const dpkg_diversion *pkgverify_diversion(const pkgverify *pv, const char *path);
