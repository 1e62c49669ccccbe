/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "base/util.h"
#include "probe/bootlog.h"

static const char *const gpu_patterns[] = {
        "amdgpu", "kfd", "ring gfx", "ring comp", "ring sdma", "gpu reset", "memory access fault",
        "page fault", "gpu fault", "drm:", "hsa",
};

bool bootlog_line_matches(const char *msg)
{
        for (size_t i = 0; i < ELEMENTSOF(gpu_patterns); i++)
                if (strcasestr(msg, gpu_patterns[i]))
                        return true;
        return false;
}

/* "0f5e3b1c-2d4a-..." or "0f5e3b1c2d4a..." -> 32 lowercase hex digits. */
static int normalize_boot_id(const char *id, char out[33])
{
        size_t n = 0;

        for (const char *p = id; *p; p++) {
                if (*p == '-')
                        continue;
                if (!isxdigit((unsigned char)*p) || n >= 32)
                        return -EINVAL;
                out[n++] = (char)tolower((unsigned char)*p);
        }
        if (n != 32)
                return -EINVAL;
        out[32] = '\0';
        return 0;
}

static int keep_line(bootlog *b, const char *data, size_t len)
{
        _cleanup_free_ char *msg = NULL;
        char *escaped;

        /* data is "MESSAGE=..." without a terminating NUL. */
        len -= strlen("MESSAGE=");
        if (len > BOOTLOG_LINE_MAX)
                len = BOOTLOG_LINE_MAX;
        msg = strndup(data + strlen("MESSAGE="), len);
        if (!msg)
                return -ENOMEM;
        if (!bootlog_line_matches(msg))
                return 0;
        b->n_matched++;
        escaped = escape_untrusted(msg, strlen(msg), 0);
        if (!escaped)
                return -ENOMEM;
        if (b->n_lines == BOOTLOG_MAX_LINES) {
                /* Keep the last lines: the ones right before the lock-up. */
                free(b->lines[0]);
                memmove(b->lines, b->lines + 1, (BOOTLOG_MAX_LINES - 1) * sizeof(char *));
                b->n_lines--;
        }
        b->lines[b->n_lines++] = escaped;
        return 0;
}

int bootlog_read(const sysroot *sr, const char *boot_id, bootlog *ret)
{
        _cleanup_close_ int dirfd = -EBADF;
        char id[33], match[sizeof("_BOOT_ID=") + 32];
        sd_journal *j = NULL;
        bootlog b = {0};
        int r;

        r = normalize_boot_id(boot_id, id);
        if (r < 0)
                return r;
        dirfd = sysroot_openat(sr, "/var/log/journal", O_RDONLY | O_DIRECTORY);
        if (dirfd < 0)
                return dirfd == -ENOTDIR ? -ENOENT : dirfd;
        b.lines = calloc(BOOTLOG_MAX_LINES, sizeof(char *));
        if (!b.lines)
                return -ENOMEM;

        r = sd_journal_open_directory_fd(&j, dirfd, 0);
        if (r < 0)
                goto out;
        snprintf(match, sizeof(match), "_BOOT_ID=%s", id);
        r = sd_journal_add_match(j, match, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r < 0)
                goto out;
        (void)sd_journal_set_data_threshold(j, BOOTLOG_LINE_MAX + 16);

        for (;;) {
                const void *data;
                size_t len;

                r = sd_journal_next(j);
                if (r < 0)
                        goto out;
                if (r == 0)
                        break;
                if (b.n_examined == BOOTLOG_MAX_ENTRIES) {
                        b.truncated = true;
                        break;
                }
                b.n_examined++;
                r = sd_journal_get_data(j, "MESSAGE", &data, &len);
                if (r == -ENOENT || r == -EBADMSG)
                        continue; /* an entry without a (readable) message */
                if (r < 0)
                        goto out;
                r = keep_line(&b, data, len);
                if (r < 0)
                        goto out;
        }
        *ret = b;
        b = (bootlog){0};
        r = 0;
out:
        sd_journal_close(j);
        bootlog_clear(&b);
        return r;
}

void bootlog_clear(bootlog *b)
{
        if (!b->lines)
                return;
        for (size_t i = 0; i < b->n_lines; i++)
                free(b->lines[i]);
        free(b->lines);
        *b = (bootlog){0};
}
