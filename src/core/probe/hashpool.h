/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * MD5 of many files inside a root, on all cores. Each file is opened once
 * (parent directory through the sysroot, last component O_NOFOLLOW; a
 * symlink there is followed inside the root), fstat'ed, looked up in the
 * hash cache by that fstat, and only on a miss read from the same fd.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/hashcache.h"
#include "root/sysroot.h"

typedef struct hash_job {
        const char *path;   /* as the inspected system sees it (not owned) */
        uint8_t md5[16];    /* valid when error == 0 */
        int error;          /* 0, or < 0 errno: -ENOENT missing, -EINVAL not a regular file, ... */
        bool cached;        /* md5 came from the cache */
        uint32_t cache_ref; /* the cache entry when cached (hash_cache_keep) */
        hash_key key;       /* fstat of the file that was hashed (error == 0) */
} hash_job;

/* Number of workers for "all cores": the CPUs this process may run on. */
unsigned hash_pool_default_threads(void);

/*
 * Hash jobs[0..n) (cache may be NULL; nthreads 0 = default). Jobs are
 * processed in path order so directory handles are reused. Returns 0 or
 * < 0 errno when the workers could not run (per-file errors are in jobs).
 */
int hash_jobs_run(const sysroot *sr, hash_job *jobs, size_t n, const hash_cache *cache, unsigned nthreads);

/* MD5 of an open regular file from its current offset (exposed for tests). */
int md5_fd(int fd, uint8_t ret[16]);
