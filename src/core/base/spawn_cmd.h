/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Run one external command (dkms, dpkg-deb, update-initramfs, depmod,
 * modprobe, mokutil, mount) the one way the doctor runs anything: an argv
 * array (argv[0] an absolute path, no shell, no PATH search), a clean
 * environment with a fixed PATH, stdin from /dev/null, stdout and stderr
 * into one file, its own process group, PR_SET_PDEATHSIG so it dies with
 * us, and a timeout (SIGTERM to the group, then SIGKILL). Whatever is left
 * of the group after the command exits is killed too.
 *
 * With a root other than "/", the child enters a private mount namespace
 * and chroots into it before exec, so nothing it does can reach the host's
 * paths. No file systems are mounted inside: a command that needs /proc or
 * /dev there must be refused by the caller instead.
 *
 * (Named spawn_cmd.h, not spawn.h: with src/core on the include path a
 * spawn.h here would shadow the C library's <spawn.h>.)
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define SPAWN_TERM_GRACE_MS_DEFAULT 5000u

typedef struct spawn_options {
        const char *const *argv;  /* NULL-terminated, argv[0] absolute (as seen inside root) */
        const char *root;         /* NULL or "/": no chroot; else a host directory */
        const char *cwd;          /* inside the root; NULL: "/" */
        const char *const *extra_env; /* "KEY=VALUE" added to the clean environment (may be NULL) */
        int output_fd;            /* stdout+stderr go here; < 0: /dev/null */
        unsigned timeout_ms;      /* 0: none */
        unsigned term_grace_ms;   /* SIGTERM -> SIGKILL; 0: SPAWN_TERM_GRACE_MS_DEFAULT */
        /* Called in the parent once the child exists (journal_set_child); may be NULL. */
        void (*on_start)(pid_t pid, void *userdata);
        /* Called every tick_ms while the command runs (progress on long work); may be NULL. */
        void (*on_tick)(unsigned elapsed_ms, void *userdata);
        unsigned tick_ms;
        void *userdata;
} spawn_options;

typedef struct spawn_result {
        int exit_status;          /* 0..255, or -1 when killed by a signal */
        int term_signal;          /* 0 unless killed by a signal */
        bool timed_out;           /* we killed it at the deadline */
        bool exec_failed;         /* argv[0] could not be executed (exit 127, errno in exec_errno) */
        int exec_errno;
} spawn_result;

/* The result as a waitpid() status (what journal_record_command keeps). */
int spawn_result_wait_status(const spawn_result *r);

/* True when the command ran and exited 0. */
static inline bool spawn_result_ok(const spawn_result *r)
{
        return r->exit_status == 0 && !r->timed_out && r->term_signal == 0;
}

/*
 * Run and wait. Returns 0 when the command was started and has ended (see
 * *ret for how), or < 0 errno when it could not be started at all:
 * -EINVAL (argv[0] not absolute, bad options), -EAGAIN (fork), ... Failure
 * to exec inside the child is reported as exec_failed, not as an error.
 */
int spawn_run(const spawn_options *o, spawn_result *ret);

/*
 * Same, with the output captured in memory (a memfd): at most max bytes
 * (0: 1 MiB) are returned in *ret_output, NUL-terminated; longer output is
 * cut. o->output_fd is ignored.
 */
int spawn_capture(const spawn_options *o, size_t max, spawn_result *ret, char **ret_output);

/*
 * Same, recorded for the journal: creates NAME.log (the output) and, once
 * the command has ended, NAME.json ({"argv": [...], "root", "exit_status",
 * "signal", "timed_out", "exec_failed"}) in the directory dirfd, both 0600,
 * fsynced, never following or replacing an existing file (-EEXIST).
 * o->output_fd is ignored.
 */
int spawn_run_logged(const spawn_options *o, int dirfd, const char *name, spawn_result *ret);

/* One line describing how the command ended ("exit 2", "killed by SIGKILL",
 * "timed out", "cannot execute: ..."). Returns NULL on ENOMEM. */
char *spawn_result_describe(const spawn_result *r);
