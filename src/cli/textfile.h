/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * --textfile DIR: the state of this machine as DIR/rdna1_doctor.prom, in
 * the Prometheus text exposition format that node_exporter's textfile
 * collector reads (docs/fleet.md lists the series). The file is replaced
 * atomically (temp file in DIR, fsync, rename, fsync of DIR; mode 0644),
 * so a scrape never sees half a file. Labels carry only catalog ids,
 * severities, PCI slots and ids, gfx targets and driver names: never file
 * contents or user names.
 */

#include <stdint.h>
#include <stdio.h>

#include "check/inspect.h"
#include "watch/run_results.h"

#define TEXTFILE_NAME "rdna1_doctor.prom"

typedef struct textfile_input {
        const inspection *in;      /* the check */
        int exit_code;             /* the check's exit code (the verdict) */
        double duration_seconds;   /* of the check */
        int64_t completion_time;   /* unix seconds */
        const run_results *results; /* last self-tests and recovery; NULL: none known */
} textfile_input;

/* Render the exposition text to f. Returns 0 or < 0 errno. */
int textfile_render(FILE *f, const textfile_input *t);

/*
 * Render and replace DIR/rdna1_doctor.prom. DIR must be a directory owned
 * by root or by the caller (-EPERM otherwise: another user could swap it).
 */
int textfile_write(const char *dir, const textfile_input *t);

/* The last self-test and recovery results of a root (empty when there are none). */
int textfile_read_results(const inspection *in, const char *state_dir, run_results *ret);

/* Remember a finished self-test or recovery of root (for later textfiles). Returns 0 or < 0 errno. */
int textfile_record_selftest(const char *root, const char *state_dir, const selftest_result *s);
int textfile_record_recovery(const char *root, const char *state_dir, int exit_code);

/*
 * Check io's root and write DIR/rdna1_doctor.prom (after --selftest and
 * --recover). Prints what went wrong; returns 0 or < 0 errno.
 */
int textfile_check_and_write(const char *dir, const inspect_options *io);
