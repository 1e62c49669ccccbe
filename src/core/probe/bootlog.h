/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Kernel-log lines of an earlier boot, from the root's persistent journal
 * (/var/log/journal, read with sd-journal): the evidence that tells a user
 * why the machine locked up during a self-test.
 */

#include <stddef.h>

#include "root/sysroot.h"

#define BOOTLOG_MAX_LINES 12      /* the last matching lines are kept */
#define BOOTLOG_MAX_ENTRIES 200000 /* kernel entries examined, at most */
#define BOOTLOG_LINE_MAX 240      /* bytes of one message kept */

typedef struct bootlog {
        char **lines;        /* escaped, oldest first */
        size_t n_lines;
        size_t n_matched;    /* matching lines in all (may exceed n_lines) */
        size_t n_examined;   /* kernel entries of that boot read */
        bool truncated;      /* stopped at BOOTLOG_MAX_ENTRIES */
} bootlog;

/*
 * Collect the amdgpu/KFD/GPU-reset kernel lines of boot boot_id (with or
 * without dashes). Returns 0 (possibly with no lines), -ENOENT when the
 * root keeps no persistent journal, -EINVAL for a malformed boot id, or
 * another negative errno when the journal cannot be read.
 */
int bootlog_read(const sysroot *sr, const char *boot_id, bootlog *ret);
void bootlog_clear(bootlog *b);

/* Does a kernel message concern the GPU (amdgpu, KFD, ring timeouts, resets, faults)? */
bool bootlog_line_matches(const char *msg);
