/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Self-test records in the state directory (rdna1-doctor(8), --selftest): "in-progress.json"
 * is written before a GPU run starts and removed when it ends; "last.json"
 * holds the last result. A later boot that finds an in-progress record of
 * an earlier boot knows the machine locked up or reset during the run.
 * Files are replaced atomically (temp file, fsync, rename, fsync of the
 * directory), mode 0600, and read back strictly (json-c).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct selftest_record {
        bool present;
        char *boot_id;
        char *backend;
        char *outcome;   /* last.json only: "pass", "hang", ... */
        char *reason;
        int64_t time;    /* unix seconds: start (in-progress) or end (last) */
        int64_t pid;
} selftest_record;

typedef struct selftest_records {
        selftest_record in_progress;
        selftest_record last;
} selftest_records;

/* Read both records from dirfd. Missing files are "not present"; a corrupt one gives -EBADMSG. */
int selftest_records_read(int dirfd, selftest_records *ret);
void selftest_records_clear(selftest_records *r);

int selftest_record_begin(int dirfd, const char *boot_id, const char *backend);
int selftest_record_finish(int dirfd, const char *boot_id, const char *backend, const char *outcome,
                           const char *reason);

/* Create dir (and missing parents, mode 0700) below dirfd; returns an O_DIRECTORY fd. */
int state_dir_open(int parent_fd, const char *relpath, bool create);
