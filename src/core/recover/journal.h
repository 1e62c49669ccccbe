/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The undo journal of one recovery run (README.md, Recovery). One directory per run:
 *
 *   STATE/journal/<id>/
 *     run.json           status (running|partial|done|rolled-back|...), pid, root, times
 *     plan.json          the plan as planned (schema rdna1-doctor/plan/1)
 *     steps/NNNN.json    per step: state, files (backup name, before hash, size, mode,
 *                        owner, mtime, after hash, quarantine destination), commands
 *     backups/NNNN-K     the backup of the K-th file step NNNN changes
 *     cmd/NNNN-K.log     output of the K-th command step NNNN spawned
 *
 * STATE is --state-dir, else ROOT/var/lib/rdna1-doctor (PLAN_STATE_DIR inside
 * the root). Every record is written to a temp file, fsynced, renamed over
 * the old one and the directory fsynced; backups are fsynced before the
 * step's record names them, so after a crash a record never points at a
 * backup that is not whole.
 *
 * A step goes: journal_begin_step (intent) → journal_backup_fd for every
 * file about to change (hash taken from the same fd the copy reads) →
 * the action (commands: journal_command_output + journal_record_command) →
 * journal_record_after (after-hash) → journal_step_done.
 *
 * After a kernel-side recovery, journal_write_verify_flag() creates
 * /var/lib/rdna1-doctor/verify-pending inside the root (PLAN_VERIFY_PENDING_FLAG):
 * the boot-time verify unit checks on the next boot that the loaded amdgpu
 * is the clean build and removes the flag. Content: one line "<journal id>\n".
 *
 * All functions return 0 (or >= 0) on success and < 0 errno on failure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/util.h"
#include "recover/plan.h"
#include "root/fileops.h"

#define JOURNAL_SUBDIR "journal"
#define HISTORY_SCHEMA "rdna1-doctor/history/1"

typedef enum run_status {
        RUN_RUNNING,        /* started; a crash leaves it here: --resume or --rollback */
        RUN_PARTIAL,        /* stopped on a failed step (exit 11) */
        RUN_DONE,
        RUN_ROLLING_BACK,
        RUN_ROLLED_BACK,
        _RUN_STATUS_MAX,
        _RUN_STATUS_INVALID = -22,
} run_status;

const char *run_status_to_string(run_status s);
run_status run_status_from_string(const char *s);

typedef enum step_state {
        STEP_PENDING,       /* not started */
        STEP_INTENT,        /* started: backups may be under way */
        STEP_APPLIED,       /* action done, after-hashes recorded */
        STEP_DONE,
        STEP_FAILED,        /* refused or failed; originals untouched or put back */
        STEP_ROLLED_BACK,
        _STEP_STATE_MAX,
        _STEP_STATE_INVALID = -22,
} step_state;

const char *step_state_to_string(step_state s);
step_state step_state_from_string(const char *s);

/* One file a step changes. */
typedef struct journal_file {
        char *path;             /* as the inspected system sees it */
        bool existed;           /* false: the step creates it; rollback removes it */
        char *backup;           /* "backups/0003-0" relative to the run's dir; NULL if !existed */
        char md5[33];           /* before */
        uint64_t size;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        struct timespec atime, mtime;
        bool has_after;
        char md5_after[33];     /* after the action ("" when the file is gone: quarantine) */
        char *moved_to;         /* quarantine destination, else NULL */
        char *link_target;      /* a symlink's target (md5 is of this text); no backup */
        fo_dir_id dir;          /* the directory it was backed up from (resume and rollback compare) */
} journal_file;

typedef struct journal_command {
        char **argv;            /* NULL-terminated */
        int status;             /* wait status as from waitpid(), or -errno when not started */
        char *output;           /* "cmd/0004-0.log" relative to the run's dir */
} journal_command;

typedef struct journal_step {
        step_state state;
        pid_t child;            /* a child working for this step (home files, commands); 0 none */
        char *error;            /* why it failed/was skipped */
        journal_file *files;
        size_t n_files;
        journal_command *commands;
        size_t n_commands;
} journal_step;

typedef struct journal journal;

/*
 * The state directory (host path): state_dir when given, else
 * ROOT/var/lib/rdna1-doctor. Not created here.
 */
int journal_state_dir(const char *root, const char *state_dir, char **ret);

/* Create STATE/journal/<new id>/ with plan.json and run.json (status running). */
int journal_create(const char *state_dir, const plan *p, journal **ret);
/* Open an existing run (-ENOENT when no such id; ids are [0-9A-Za-z-] only). */
int journal_open(const char *state_dir, const char *id, journal **ret);
journal *journal_free(journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(journal *, journal_free);

const char *journal_id(const journal *j);
int journal_dirfd(const journal *j);          /* the run's directory */
const plan *journal_plan(const journal *j);
/* The same plan, for the executor to re-record a later step's file after an
 * earlier step of this run rewrote it (executor.c). */
plan *journal_plan_for_update(journal *j);
run_status journal_status(const journal *j);
pid_t journal_pid(const journal *j);          /* the process that last ran it */
journal_step *journal_get_step(const journal *j, size_t step);
size_t journal_n_steps(const journal *j);

int journal_set_status(journal *j, run_status s);

/* Intent record for a step (state intent). */
int journal_begin_step(journal *j, size_t step);

/*
 * Back up the file at path (inspected-system path; fd open for reading on
 * it, at offset 0): copy into backups/, hashing from the same fd, fsync,
 * then record it with st's metadata (mode, owner, times) and the hash.
 * An error (ENOSPC) leaves the step record as it was: the caller aborts
 * the step before touching the original. *ret (may be NULL) points into
 * the journal.
 */
int journal_backup_fd(journal *j, size_t step, const char *path, int fd, const journal_file **ret);
/*
 * Same, recording dirfd's device, inode and owner as the file's directory
 * (dirfd < 0: none), and copying at most max bytes: -EFBIG for a larger file
 * (or one that grows while it is copied). Before the copy the journal's file
 * system must have room for the size the file has now: -ENOSPC when not.
 * A copy that fails part-way is deleted.
 */
int journal_backup_fd_at(journal *j, size_t step, const char *path, int dirfd, int fd, uint64_t max,
                         const journal_file **ret);
/*
 * Record the symlink at path, whose target is target (the DKMS tree's
 * kernel-K-ARCH and source links): kept in the record itself, md5 of its
 * text, no backup file. An earlier record of path is kept.
 */
int journal_backup_link(journal *j, size_t step, const char *path, const char *target);
/* Record that path does not exist yet (the step creates it; rollback removes it). */
int journal_note_absent(journal *j, size_t step, const char *path);
/* Record where a quarantined path went. */
int journal_record_moved(journal *j, size_t step, const char *path, const char *moved_to);
/* After-hash of a file the step changed ("" for a file that is gone). Sets state applied. */
int journal_record_after(journal *j, size_t step, const char *path, const char *md5);
/* Open the backup of a journaled file for reading. Returns an fd. */
/*
 * The after-hash a step is about to write, recorded before the write (the
 * step's state stays): a rollback after a crash in between then knows the
 * new content from the old. For writers whose new content the plan alone
 * does not say (--profile install).
 */
int journal_record_intended(journal *j, size_t step, const char *path, const char *md5);
int journal_open_backup(const journal *j, const journal_file *f);
/*
 * A root-only copy (0600, O_EXCL, no symlink followed) of what fd reads, in
 * the run's directory as cmd/NNNN-NAME, fsynced; *ret_path is its absolute
 * host path. What a command is given after its input was verified: the
 * verified bytes, not a path someone may swap in between.
 */
int journal_copy_input(journal *j, size_t step, const char *name, int fd, char **ret_path);

/*
 * Commands: journal_command_output() creates cmd/NNNN-K.log (fd for the
 * child's stdout+stderr, *ret_name its name for journal_record_command).
 */
int journal_command_output(journal *j, size_t step, int *ret_fd, char **ret_name);
int journal_record_command(journal *j, size_t step, const char *const *argv, int status,
                           const char *output_name);
/* A child working for the step (so --resume can refuse while it runs); 0 clears. */
int journal_set_child(journal *j, size_t step, pid_t pid);

int journal_step_done(journal *j, size_t step);
int journal_step_failed(journal *j, size_t step, const char *error);
int journal_step_rolled_back(journal *j, size_t step, const char *note);

/* PLAN_VERIFY_PENDING_FLAG inside the root (host path of the root). */
int journal_write_verify_flag(const char *root, const char *id);

/* List runs, newest first, as a rdna1-doctor/history/1 document. */
struct json_object;
int journal_history(const char *state_dir, struct json_object **ret);

/*
 * One recovery at a time: an flock on LOCKDIR/recover.lock (/run/rdna1-doctor
 * for the host, the state dir with --root/--state-dir). Returns the fd to
 * keep open, -EBUSY when another run holds it.
 */
int journal_lock(const char *lockdir, int *ret_fd);
