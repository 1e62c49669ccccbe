/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The caches' directory of a check (cache_dir.h).
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cache_dir.h"
#include "root/fileops.h"

char *cache_dir_open(const char *root, bool verbose)
{
        _cleanup_close_ int rootfd = -EBADF, cachefd = -EBADF, fd = -EBADF;
        bool host = streq(root, "/");
        const char *shown = host ? "" : root;

        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return NULL; /* the check itself says so */
        /*
         * A --root tree gets no /var/cache of ours: it may be another machine's
         * disk whose /var is a file system not mounted there, and the directory
         * would land on the mount point.
         */
        cachefd = fo_open_trusted_dir(rootfd, "var/cache", 0755, host && geteuid() == 0);
        if (cachefd == -ENOENT) {
                if (verbose)
                        fprintf(stderr, "rdna1-doctor: note: %s/var/cache does not exist: no hash cache this time "
                                "(only root on the running system creates it; --state-dir DIR keeps the caches "
                                "elsewhere).\n", shown);
                return NULL;
        }
        if (cachefd >= 0)
                fd = fo_open_trusted_dir(cachefd, "rdna1-doctor", 0700, true);
        if (cachefd < 0 || fd < 0) {
                if (verbose)
                        fprintf(stderr, "rdna1-doctor: note: no hash cache in %s/var/cache/rdna1-doctor: %s.\n", shown,
                                strerror(-(cachefd < 0 ? cachefd : fd)));
                return NULL;
        }
        return strdup_printf("%s/var/cache/rdna1-doctor", shown);
}
