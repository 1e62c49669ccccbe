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

#include "base/report.h"
#include "base/util.h"
#include "parse/dkms_parse.h"
#include "root/sysroot.h"

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
DEFINE_TRIVIAL_CLEANUP_FUNC(dkms_facts *, dkms_facts_free);
