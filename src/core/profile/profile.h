/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Environment profiles (rdna1-doctor(8), PROFILES): profiles/NAME.ini, read with iniparser.
 *
 *   [profile]  name, description, gfx-targets, rocm-versions, device, isolate-device
 *   [env]      NAME = VALUE          the environment
 *   [reason]   NAME = why            one line per [env] NAME
 *   [source]   NAME = where from     one line per [env] NAME
 *
 * iniparser lowercases keys and keeps only the last of duplicate keys, so
 * the original case of each NAME, its line and duplicates come from a line
 * scan of the same buffer that iniparser parses (handed to it through a
 * memfd, so both see the same bytes).
 *
 * Values are literal; ${HOME} and ${USER} are the only expansions (per-user
 * directories), done by exec and left to the shell by install.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/report.h"
#include "base/util.h"
#include "recover/plan.h"

#define PROFILE_READ_MAX (256u * 1024)

/* One problem found while reading or validating a file. */
typedef struct profile_problem {
        char *path;     /* the file as given */
        unsigned line;  /* 0: the whole file */
        severity sev;
        char *name;     /* the variable, NULL when none */
        char *message;  /* why, one line */
        char *source;   /* where the rule comes from, NULL when none */
        char *finding;  /* the catalog id a rule raised ("env.override-gfx"), NULL when none */
} profile_problem;

typedef struct problem_list {
        profile_problem *items;
        size_t n;
} problem_list;

/* Copies every string; message is printf-formatted. Returns 0 or -ENOMEM. */
int problem_add(problem_list *l, const char *path, unsigned line, severity sev, const char *name,
                const char *source, const char *fmt, ...) _printf_(7, 8);
void problem_list_clear(problem_list *l);
/* Order by line (file problems first), then severity. */
void problem_list_sort(problem_list *l);
/* As --check: 2 any critical, 1 any warning, else 0 (info does not count). */
int problem_list_exit_code(const problem_list *l);
bool problem_list_has(const problem_list *l, severity min);

typedef struct profile_setting {
        char *name;     /* original case */
        char *value;    /* as written (after iniparser's unquoting); may hold ${HOME}, ${USER} */
        char *reason;   /* NULL when missing */
        char *source;   /* NULL when missing */
        unsigned line;
} profile_setting;

typedef struct profile {
        char *path;
        char *name;
        char *description;
        strv gfx_targets;       /* "gfx1010" ...; "*" for any */
        strv rocm_versions;     /* "5.7" ...; "*" for any */
        char *device;           /* selector: "rdna1", a gfx target or a PCI slot; NULL: any */
        bool isolate_device;    /* add ROCR_VISIBLE_DEVICES when there are several AMD GPUs */
        profile_setting *env;
        size_t n_env;
} profile;

/*
 * Parse a profile from buf (len bytes, read from path). Problems of the
 * file itself (invalid UTF-8, NUL bytes, duplicate or invalid names, unsafe
 * values, missing [profile] keys) go to problems. Returns 0 with *ret set
 * (problems may be critical), -EBADMSG when iniparser cannot read the file
 * at all (a critical problem says why), -ENOMEM.
 */
int profile_parse(const char *path, const char *buf, size_t len, problem_list *problems, profile **ret);

/* Read a file (host path, regular file, at most PROFILE_READ_MAX) and parse it. */
int profile_load(const char *path, problem_list *problems, profile **ret);
profile *profile_free(profile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(profile *, profile_free);

/* A profile name: [a-z0-9][a-z0-9.-]*, at most 64 bytes (it becomes a file name). */
bool profile_name_valid(const char *name);

/* The shipped profiles' names in dir (NAME.ini, not rules.ini), sorted. */
int profile_dir_list(const char *dir, strv *ret);

/* DIR/NAME.ini after checking the name. -EINVAL for a bad name, -ENOENT when missing. */
int profile_dir_find(const char *dir, const char *name, char **ret);

/* ---- values, shared with the shell env-file validation ---- */

/* True when len bytes of s are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/*
 * Why a profile value cannot be used, or NULL when it can: control
 * characters (newline, NUL, ...), "$(" or backticks (command substitution),
 * any "$" other than ${HOME} and ${USER}, invalid UTF-8.
 */
const char *env_value_problem(const char *value, size_t len);

/*
 * Expand ${HOME} and ${USER} in value. Returns 0 or -ENOMEM; home/user may
 * be NULL (then expanded to "").
 */
int env_value_expand(const char *value, const char *home, const char *user, char **ret);

/*
 * value as one shell word for /etc/profile.d: literal text in single quotes
 * ('\'' for a quote), ${HOME} and ${USER} as "${HOME}" so the shell expands
 * them. "" for an empty value is "''". Returns NULL on ENOMEM.
 */
char *env_value_shell_quote(const char *value);

/* ---- the environment a profile gives on this root ---- */

struct gpu_targets;

typedef struct resolved_env {
        profile_setting *items; /* copies; line 0 for settings the doctor added */
        size_t n;
} resolved_env;

void resolved_env_clear(resolved_env *e);

/*
 * The profile's [env] plus what it asks for on this machine: with
 * isolate-device and more than one AMD GPU, ROCR_VISIBLE_DEVICES for the
 * GPU that device_override (--device) or the profile's device selects.
 * Returns 0, -ENODEV when several GPUs are present and none is selected
 * (*ret_why says why), -ENOMEM.
 */
int profile_resolve(const profile *p, const struct gpu_targets *t, const char *device_override,
                    resolved_env *ret, char **ret_why);

/*
 * The /etc/profile.d script for a resolved profile: a header naming the
 * profile, then per setting its reason as a comment and
 * `export NAME=<shell-quoted value>`. Returns NULL on ENOMEM.
 */
char *profile_render_shell(const profile *p, const resolved_env *e, const char *version);

#define PROFILE_INSTALL_PATH PLAN_PROFILE_PATH
