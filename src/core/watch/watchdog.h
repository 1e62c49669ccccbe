/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Supervise a self-test helper (src/selftest/PROTOCOL.md): run it in its
 * own process group with the doctor as child subreaper, read its JSON lines
 * without ever blocking, enforce the per-case deadline and the
 * no-progress timeout (SIGTERM, then SIGKILL to the whole group), notice a
 * child stuck in the D state from /proc/PID/stat without blocking in
 * waitpid(), watch the kernel log for GPU trouble, classify the run, and
 * leave no process behind (setsid grandchildren included).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

typedef enum selftest_outcome {
        SELFTEST_PASS,          /* exit 0 */
        SELFTEST_WRONG_RESULT,  /* exit 20 */
        SELFTEST_CRASH,         /* exit 21 */
        SELFTEST_HANG,          /* exit 22 */
        SELFTEST_GPU_RESET,     /* exit 23 */
        SELFTEST_NOT_RUN,       /* exit 3: the helper could not run (it said why, or was never started) */
        _SELFTEST_OUTCOME_MAX,
        _SELFTEST_OUTCOME_INVALID = -22,
} selftest_outcome;

const char *selftest_outcome_to_string(selftest_outcome o); /* "pass", "wrong-result", ... */
int selftest_outcome_exit_code(selftest_outcome o);

typedef struct watchdog_options {
        char *const *argv;          /* helper command, argv[0] an absolute path */
        char *const *envp;          /* its whole environment */
        bool drop_privileges;       /* run as uid/gid/groups below (the invoking user) */
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        unsigned case_deadline_ms;  /* from case-start to its case line */
        unsigned no_progress_ms;    /* max silence between any two lines */
        unsigned total_deadline_ms; /* whole run, 0 = none */
        unsigned term_grace_ms;     /* SIGTERM -> SIGKILL */
        const char *kmsg_path;      /* "/dev/kmsg", or NULL: kernel log "unknown" */
        /* Called for every valid event line (the object is borrowed). < 0 aborts the run as a crash. */
        int (*on_event)(json_object *event, void *userdata);
        void *userdata;
        /* Polled every loop turn: once it reads true the helper's group is
         * stopped (SIGTERM, then SIGKILL) and the run is "not-run", cancelled.
         * NULL: the run cannot be cancelled. */
        const volatile bool *cancel;
} watchdog_options;

typedef struct watchdog_result {
        selftest_outcome outcome;
        int exit_status;            /* -1 when killed or not reaped */
        int term_signal;            /* 0 unless killed by a signal */
        bool killed_by_watchdog;
        bool cancelled;             /* stopped through o->cancel (outcome not-run) */
        bool d_state_seen;          /* the helper (or a child) was in D state */
        bool kernel_log_readable;
        char **kernel_lines;        /* matching new kernel-log lines, NULL-terminated (escaped) */
        size_t n_kernel_lines;
        char *reason;               /* one line: why this outcome ("case 7 exceeded 30 s", ...) */
        char *stderr_tail;          /* last few KiB of the helper's stderr (each line escaped, newlines kept) */
        int exec_errno;             /* > 0: the helper was never started (execve or the privilege drop failed) */
        unsigned cases_passed;
        unsigned cases_failed;
        int last_case_started;      /* -1 none */
        int survivors_killed;       /* processes killed after the helper ended */
} watchdog_result;

/* Returns 0 (see ret->outcome) or < 0 errno when the helper could not be started. */
int watchdog_run(const watchdog_options *o, watchdog_result *ret);
void watchdog_result_clear(watchdog_result *r);

/* Kernel-log lines that mean GPU trouble: "ring gfx timeout", "GPU reset", "Memory access fault", ... */
bool kernel_line_is_gpu_fault(const char *line);
bool kernel_line_is_gpu_reset(const char *line);

/* State letter of /proc/PID/stat ('R', 'S', 'D', 'Z', ...), or 0 when unreadable. */
char proc_state(pid_t pid);
