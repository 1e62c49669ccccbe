/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A recovery plan (README.md, Recovery): typed actions made from the inspection's
 * findings, in the order they run (environment fixes first, then files,
 * then the kernel side per kernel). Each action says why it exists, what
 * it touches, and how it is undone. The planner (planner.c) builds it; the
 * executor (executor.c) runs it through the journal (journal.h); --dry-run
 * prints it (schema "rdna1-doctor/plan/1").
 *
 * Paths are as the inspected system sees them ("/etc/environment"), never
 * prefixed with the --root directory.
 *
 * After a kernel-side recovery the executor writes the flag file
 * PLAN_VERIFY_PENDING_FLAG (inside the root) that makes the boot-time
 * verify unit check, on the next boot, that the loaded amdgpu is the clean
 * build (journal.h has the writer).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

#define PLAN_SCHEMA "rdna1-doctor/plan/1"
#define PLAN_STATE_DIR "/var/lib/rdna1-doctor"
#define PLAN_VERIFY_PENDING_FLAG "/var/lib/rdna1-doctor/verify-pending"
/* install-profile writes only this file (profile/profile.h PROFILE_INSTALL_PATH) */
#define PLAN_PROFILE_PATH "/etc/profile.d/rdna1-doctor.sh"
/* what a line disable-env-line comments out for --profile install becomes: this, then the line */
#define PLAN_PROFILE_DISABLED_PREFIX "# disabled by rdna1-doctor --profile install: "

typedef enum action_type {
        ACTION_DISABLE_ENV_LINE,   /* comment out one line of an environment source */
        ACTION_RESTORE_FILE,       /* replace a modified package file from a verified clean source */
        ACTION_QUARANTINE,         /* move an unowned or user file aside (never a packaged path) */
        ACTION_INSTALL_PROFILE,    /* write /etc/profile.d/rdna1-doctor.sh (profiles helper) */
        ACTION_REINSTALL_PACKAGE,  /* cached .deb through dpkg: irreversible, never in recovery mode */
        ACTION_DKMS_REBUILD,       /* rebuild the clean DKMS source for one kernel (kernel_tx) */
        ACTION_DKMS_REMOVE,        /* remove the DKMS amdgpu for one kernel: the in-tree one loads */
        ACTION_UPDATE_INITRAMFS,   /* update-initramfs -u -k K, then verify the clean module in it */
        _ACTION_MAX,
        _ACTION_INVALID = -22,
} action_type;

const char *action_type_to_string(action_type t);
action_type action_type_from_string(const char *s);
/* dkms-rebuild, dkms-remove, update-initramfs: run by kernel_tx, refused with --root != / */
bool action_type_is_kernel_side(action_type t);

/* Where a restore-file takes its clean content from. */
typedef enum source_kind {
        SOURCE_NONE,            /* nothing verifies: the plan says what to do instead */
        SOURCE_DEB,             /* member of a cached .deb (Package/Version/Architecture matched) */
        SOURCE_BACKUP,          /* a backup next to the file (FILE.orig, FILE.bak, ...) */
        _SOURCE_MAX,
        _SOURCE_INVALID = -22,
} source_kind;

const char *source_kind_to_string(source_kind k);
source_kind source_kind_from_string(const char *s);

/*
 * A file as the planner saw it. Before its backup the executor refuses a
 * step whose file is another one or has changed size or time since
 * (docs/SECURITY.md, 5): a user may grow a planned file in between.
 */
typedef struct plan_file_id {
        bool known;             /* false: a plan without the record (nothing to compare) */
        uint64_t dev, ino, size;
        int64_t mtime_sec;
        int64_t mtime_nsec;
} plan_file_id;

typedef struct plan_action {
        action_type type;
        char *finding_id;       /* the finding it answers, e.g. "env.override-gfx" */
        char *why;              /* one sentence for people */
        char *undo;             /* how it is undone ("the journal's backup is put back") */
        char **touches;         /* NULL-terminated list of paths it changes */
        size_t n_touches;

        /* file actions */
        char *path;             /* the file acted on */
        unsigned line;          /* disable-env-line: 1-based line number */
        char *line_text;        /* disable-env-line: the line's content when planned (raw, unescaped) */
        bool profile_note;      /* disable-env-line of --profile install: PLAN_PROFILE_DISABLED_PREFIX, not "# " */
        char *content;          /* install-profile: the script it writes at PLAN_PROFILE_PATH */
        bool in_home;           /* a user's file: changed only by a child running as owner_uid */
        uid_t owner_uid;
        gid_t owner_gid;
        char *quarantine_to;    /* quarantine: destination (inside the root) */
        plan_file_id planned;   /* path as planned (plan_record_files) */

        /* restore-file */
        source_kind source;
        char *source_path;      /* the .deb or the backup file */
        char *member;           /* .deb member ("./opt/rocm/lib/libhsa-runtime64.so.1") */
        char *expected_md5;     /* from the package's md5sums */
        uint64_t expected_size; /* of the verified clean content */

        /* packages (restore-file and reinstall-package) */
        char *package;
        char *version;
        char *arch;

        /* kernel side */
        char *kernel;           /* "6.8.0-48-generic" */
        char *dkms_module;      /* "amdgpu" */
        char *dkms_version;

        bool kernel_side;
        bool irreversible;      /* reinstall-package */
        bool blocked;           /* planned but cannot run: blocked_reason says what to do */
        char *blocked_reason;
} plan_action;

/*
 * A file the plan touches, as it was when the plan was shown (plan_seal.c):
 * "file SIZE sha256:HEX", "file SIZE unhashed" (a user's file above the
 * cap), "symlink sha256:HEX" (of the target), "directory", "absent",
 * "other MODE" or "unreadable: WHY".
 */
typedef struct plan_file_seal {
        char *path;
        char *fingerprint;
} plan_file_seal;

typedef struct plan {
        char *root;             /* as given to --root */
        bool in_tree;           /* kernel side: remove the DKMS amdgpu instead of rebuilding */
        plan_action *actions;
        size_t n_actions;
        char **notes;           /* NULL-terminated lines for people ("nothing to do for ...") */
        size_t n_notes;
        bool reboot_required;   /* some kernel-side step changes the next boot */
        /* the reviewed plan: every file it touches as shown ("reviewed_files" in JSON) */
        bool sealed;
        plan_file_seal *seals;
        size_t n_seals;
} plan;

plan *plan_new(const char *root);
plan *plan_free(plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(plan *, plan_free);

/* Append a zeroed action of type t; NULL on ENOMEM. Owned by the plan. */
plan_action *plan_add(plan *p, action_type t, const char *finding_id);
int plan_action_add_touch(plan_action *a, const char *path);
int plan_add_note(plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Steps in kernel order (stable): env first, then files, then kernel side. */
void plan_sort(plan *p);

/*
 * The plan as a json-c object (schema PLAN_SCHEMA). Returns 0 or -ENOMEM;
 * *ret is a new reference.
 */
struct json_object;
int plan_to_json(const plan *p, struct json_object **ret);
/* Read one back (the journal's plan.json). Returns 0, -EBADMSG, -ENOMEM. */
int plan_from_json(struct json_object *o, plan **ret);

/* ---- the reviewed plan (plan_seal.c): what was shown is what runs ---- */

struct sysroot;
/* Record every file the plan's runnable steps touch as it is now (SHA-256, libmd). 0 or -ENOMEM. */
int plan_seal(const struct sysroot *sr, plan *p);
/*
 * Compare those files with the record: the number that differ (each as a
 * line "PATH: shown as X, now Y" in *changed), -EINVAL when p is not sealed,
 * -ENOMEM.
 */
int plan_seal_check(const struct sysroot *sr, const plan *p, strv *changed);
/*
 * The same comparison by the step itself, on the descriptor it backs up and
 * changes (executor.c): fd (a regular file at offset 0, left there) is read
 * once, at most max bytes (0: no limit; -EFBIG past it), for the record's
 * SHA-256 and for the MD5 the step goes on with (ret_md5). Returns 0 when
 * it is what was shown, 1 when not (*ret_why (may be NULL): "shown as X,
 * now Y"), -EINVAL when p is not sealed, < 0 errno.
 */
int plan_seal_check_fd(const plan *p, const char *path, int fd, uint64_t max, char ret_md5[33], char **ret_why);
/*
 * Store a sealed plan for the run that follows the review: DIR/reviewed/
 * (made 0700, ours, no symlink) gets a new 0600 file; *ret its path.
 */
int plan_reviewed_save(const char *dir, const plan *p, char **ret);
/*
 * Read one back: refused (-EPERM) unless the file and every directory above
 * it are ours or root's and nobody else can write or replace them (a
 * root-owned sticky directory such as /tmp is allowed on the way), the file
 * is regular, 0600 at most, one link, and no symlink is on the path;
 * -EBADMSG when it is not a sealed plan.
 */
int plan_reviewed_load(const char *path, plan **ret);

/* ---- the planner (planner.c) ---- */

struct inspection;

typedef struct plan_options {
        bool in_tree;           /* --in-tree: dkms-remove instead of dkms-rebuild */
        bool system_only;       /* no home files */
} plan_options;

/*
 * Record device, inode, size and mtime of each file step's file (path) in
 * a->planned, opened as the executor opens it (stepfile.h). A file that
 * cannot be opened is left unrecorded: the step refuses then anyway.
 */
struct sysroot;
int plan_record_files(const struct sysroot *sr, plan *p); /* stepfile.c */
int plan_record_file(const struct sysroot *sr, plan_action *a); /* one action; 0 or -ENOMEM */

/*
 * Turn the inspection's findings into a plan. Findings the planner cannot
 * act on become notes. Returns 0 or < 0 errno (-ENOMEM).
 */
int plan_build(struct inspection *in, const plan_options *o, plan **ret);
