/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The outcome of the last self-test per backend and of the last recovery,
 * kept in STATE_DIR/metrics/results.json for the Prometheus textfile
 * (docs/fleet.md): a later --check --textfile reports them without
 * running them again. The file is replaced atomically, mode 0600, and
 * read back strictly (json-c); a record that cannot be read is "none".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_RESULTS_MAX_BACKENDS 8

typedef struct selftest_result {
        char backend[16];   /* "hip", "cpu", "framework" */
        char outcome[16];   /* "pass", "wrong-result", "crash", "hang", "gpu-reset", "not-run" */
        int exit_code;
        double gflops;      /* over the cases that ran; 0 when none did */
        int64_t time;       /* unix seconds at the end of the run */
} selftest_result;

typedef struct run_results {
        selftest_result selftests[RUN_RESULTS_MAX_BACKENDS];
        size_t n_selftests;
        bool has_recovery;
        int recovery_exit_code;
        int64_t recovery_time;
} run_results;

/* Read dirfd/results.json; a missing file gives an empty result. -EBADMSG when corrupt. */
int run_results_read(int dirfd, run_results *ret);

/* Read, update one backend's entry (or the recovery), write back atomically. */
int run_results_put_selftest(int dirfd, const selftest_result *s);
int run_results_put_recovery(int dirfd, int exit_code, int64_t time);
