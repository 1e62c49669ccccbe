/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The diagnostic bundle (--bundle FILE): a .tar.xz of listed sources only,
 * masked by a redactor. Each probe runs in a child process with a deadline
 * (a read of a wedged GPU's sysfs file can block for ever); its members
 * come back through a pipe, and a probe that fails or runs out of time is
 * recorded in the manifest instead of its members. The archive is built
 * in memory and written by bundle_write_file().
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"
#include "bundle/redact.h"
#include "check/inspect.h"

#define BUNDLE_SCHEMA "rdna1-doctor/bundle/1"
#define BUNDLE_PROBE_TIMEOUT_MS 10000
#define BUNDLE_MEMBER_MAX (8u * 1024 * 1024)
#define BUNDLE_TOTAL_MAX (64u * 1024 * 1024)

typedef struct bundle_member {
        char *name;             /* "kfd/nodes/1/properties" (under the archive's top directory) */
        char *data;
        size_t len;
} bundle_member;

typedef enum probe_status {
        PROBE_OK,
        PROBE_FAILED,
        PROBE_TIMEOUT,
        PROBE_SKIPPED,
        _PROBE_STATUS_MAX,
        _PROBE_STATUS_INVALID = -22,
} probe_status;

const char *probe_status_to_string(probe_status s);

typedef struct probe_record {
        char *name;
        probe_status status;
        char *error;            /* NULL when ok */
        size_t members;
} probe_record;

typedef struct bundle {
        bundle_member *members;
        size_t n_members;
        size_t total;
        probe_record *probes;
        size_t n_probes;
        redactor *red;
        unsigned timeout_ms;
} bundle;

/* A probe: add members with bundle_out_add(); < 0 errno fails it. Runs in a child process. */
typedef struct bundle_out bundle_out;
typedef int (*bundle_probe_fn)(const inspection *in, bundle_out *out, void *userdata);

int bundle_out_add(bundle_out *out, const char *name, const char *data, size_t len);
int bundle_out_addf(bundle_out *out, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int bundle_new(bundle **ret);
bundle *bundle_free(bundle *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(bundle *, bundle_free);

/* Add a member produced by the parent (masked here). */
int bundle_add(bundle *b, const char *name, const char *data, size_t len);

/* Add a member that is already masked (check.json, masked value by value with redact_json()). */
int bundle_add_premasked(bundle *b, const char *name, const char *data, size_t len);

/* Record a probe that was not run, and why. */
int bundle_skip(bundle *b, const char *name, const char *why);

/*
 * Run fn in a child with b->timeout_ms; its members are masked and added.
 * A failure or timeout is recorded, not returned: returns 0, or -ENOMEM.
 * fault (test only, may be NULL): "NAME:hang" or "NAME:fail" makes probe
 * NAME hang or fail on purpose.
 */
int bundle_run_probe(bundle *b, const inspection *in, const char *name, bundle_probe_fn fn, void *userdata,
                     const char *fault);

/* Learn the values to mask from the inspected root (users, host name, MACs, DMI serials, KFD ids). */
int bundle_learn_secrets(bundle *b, const inspection *in);

/* The probes of bundle_probes.c, in order; safe_mode skips those that touch the GPU. */
int bundle_collect(bundle *b, const inspection *in, bool safe_mode, const char *state_dir, const char *fault);

/* The boot before current (a boot id, with or without dashes) in the root's persistent journal: 0, -ENOENT, < 0. */
int journal_previous_boot(const sysroot *sr, const char *current, char ret_id[33]);

/* The archive (.tar.xz) of every member under top/, plus manifest.json, into fd. */
int bundle_write_archive(const bundle *b, const char *top, const char *manifest, int fd);

/*
 * Create path as uid/gid (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) and copy
 * src_fd's content into it. When we are root and uid is not 0, the file is
 * created by a child that has dropped to uid/gid (setgroups, setresgid,
 * setresuid), so a root process never writes into a user's directory.
 * Returns 0, -EEXIST when path exists, or another < 0 errno.
 */
int bundle_write_file(const char *path, uid_t uid, gid_t gid, int src_fd);
