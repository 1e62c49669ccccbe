/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * DKMS state of the amdgpu module family, read from the root's dkms tree
 * (/var/lib/dkms), source tree (/usr/src), dkms.conf and the /etc/dkms conf files.
 * Nothing is executed: dkms.conf is shell, parsed statically for the few
 * variables that matter (PACKAGE_NAME, PACKAGE_VERSION, BUILT_MODULE_NAME[],
 * PATCH[]).
 */

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "sysroot.h"

typedef enum dkms_state {
        DKMS_STATE_ADDED,
        DKMS_STATE_BUILT,
        DKMS_STATE_INSTALLED,
        DKMS_STATE_BROKEN,
        _DKMS_STATE_MAX,
        _DKMS_STATE_INVALID = -22,
} dkms_state;

const char *dkms_state_to_string(dkms_state s);

typedef struct dkms_patch_ref {
        char *conf_path;  /* file that names it: ".../dkms.conf" or "/etc/dkms/amdgpu.conf" */
        unsigned line;
        char *name;       /* as written in PATCH[n] */
        char *patch_path; /* "/usr/src/amdgpu-V/patches/NAME" */
} dkms_patch_ref;

typedef struct dkms_build {
        char *module;     /* "amdgpu" */
        char *version;
        char *kernel;     /* NULL for an added-only entry */
        char *arch;
        dkms_state state;
        char **module_files; /* built modules: "/var/lib/dkms/amdgpu/V/K/A/module/amdgpu.ko.zst", NULL-terminated */
        size_t n_module_files;
} dkms_build;

typedef struct dkms_source {
        char *module;
        char *version;
        char *source_dir;     /* "/usr/src/amdgpu-V" (where the source symlink points, in the root) */
        bool source_missing;  /* "broken" in dkms terms */
        dkms_patch_ref *patches;
        size_t n_patches;
        char *failed_log;     /* "/var/lib/dkms/amdgpu/V/build/make.log" when a failed build left it */
        char *failed_log_error; /* first error line (raw; escape before display) */
        unsigned failed_log_line;
        bool failed_log_truncated; /* make.log larger than the read cap; searched only its head */
        char **built_module_names; /* BUILT_MODULE_NAME[] of dkms.conf, NULL-terminated (may be NULL) */
        size_t n_built_module_names;
} dkms_source;

typedef struct dkms_facts {
        dkms_source *sources;
        size_t n_sources;
        dkms_build *builds;
        size_t n_builds;
} dkms_facts;

/*
 * Probe modules whose name starts with "amdgpu" (amdgpu, amdgpu-pro).
 * Unreadable parts become reasons in r (matters=true: probe "dkms").
 * A root without /var/lib/dkms yields empty facts and returns 0.
 */
int dkms_probe(const sysroot *sr, report *r, dkms_facts **ret);
dkms_facts *dkms_facts_free(dkms_facts *f);

/* Parsing of dkms.conf-style shell files (static, never executed). */
typedef struct dkms_conf_assign {
        char *name;   /* "PATCH", "PACKAGE_VERSION", ... */
        int index;    /* n of NAME[n], -1 without index */
        char *value;  /* unquoted */
        unsigned line;
} dkms_conf_assign;

int dkms_conf_parse(const char *buf, size_t len, dkms_conf_assign **ret, size_t *ret_n);
void dkms_conf_assign_free_array(dkms_conf_assign *a, size_t n);

/* One line of `dkms status` output, in any of its three formats (2.x, 2.8.6-3.1, 3.2+). */
typedef struct dkms_status_entry {
        char *module, *version, *kernel, *arch; /* kernel/arch NULL for added/broken */
        char *state;  /* "added", "built", "installed", "installed-weak", "broken" */
        char *extra;  /* text in parentheses after the state, or NULL; several groups joined by "; " */
        char *weak_from; /* K of "installed-weak from K", else NULL */
} dkms_status_entry;

/* Returns 0 and fills *ret, or -EINVAL for a line that is not a status line. */
int dkms_status_parse_line(const char *line, dkms_status_entry *ret);
void dkms_status_entry_clear(dkms_status_entry *e);
