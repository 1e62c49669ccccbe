/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which boot came before this one, from the root's persistent journal: the
 * boot whose first entry is the latest among those older than the current
 * boot's first entry (boot ids are random, only time orders them).
 */
#include <fcntl.h>
#include <systemd/sd-journal.h>

#include "base/util.h"
#include "bundle/bundle.h"

#define BOOTS_MAX 256

static void strip_dashes(const char *in, char *out, size_t size)
{
        size_t n = 0;

        for (; *in && n + 1 < size; in++)
                if (*in != '-' && *in != '\n')
                        out[n++] = *in;
        out[n] = '\0';
}

/* Realtime of the first entry of boot id (32 hex), or 0 when none. */
static uint64_t boot_start(sd_journal *j, const char *id)
{
        char match[sizeof("_BOOT_ID=") + 33];
        uint64_t t = 0;

        sd_journal_flush_matches(j);
        snprintf(match, sizeof(match), "_BOOT_ID=%s", id);
        if (sd_journal_add_match(j, match, 0) < 0 || sd_journal_seek_head(j) < 0 || sd_journal_next(j) <= 0 ||
            sd_journal_get_realtime_usec(j, &t) < 0)
                return 0;
        return t;
}

int journal_previous_boot(const sysroot *sr, const char *current, char ret_id[33])
{
        _cleanup_close_ int dirfd = -EBADF;
        char cur[33], ids[BOOTS_MAX][33];
        size_t n = 0;
        sd_journal *j = NULL;
        const void *data;
        size_t len;
        uint64_t cur_start, best = 0;
        int r, found = -ENOENT;

        strip_dashes(current, cur, sizeof(cur));
        dirfd = sysroot_openat(sr, "/var/log/journal", O_RDONLY | O_DIRECTORY);
        if (dirfd < 0)
                return dirfd == -ENOTDIR ? -ENOENT : dirfd;
        r = sd_journal_open_directory_fd(&j, dirfd, 0);
        if (r < 0)
                return r;
        r = sd_journal_query_unique(j, "_BOOT_ID");
        if (r < 0)
                goto out;
        SD_JOURNAL_FOREACH_UNIQUE(j, data, len) {
                if (n == BOOTS_MAX)
                        break;
                if (len != sizeof("_BOOT_ID=") - 1 + 32)
                        continue;
                memcpy(ids[n], (const char *)data + sizeof("_BOOT_ID=") - 1, 32);
                ids[n][32] = '\0';
                n++;
        }
        cur_start = boot_start(j, cur);
        for (size_t i = 0; i < n; i++) {
                uint64_t t;

                if (streq(ids[i], cur))
                        continue;
                t = boot_start(j, ids[i]);
                /* without the current boot in the journal, the latest other boot is the previous one */
                if (t == 0 || (cur_start && t >= cur_start) || t <= best)
                        continue;
                best = t;
                memcpy(ret_id, ids[i], 33);
                found = 0;
        }
        r = found;
out:
        sd_journal_close(j);
        return r;
}
