/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Static parsers of environment files: shell startup files, KEY=VALUE files
 * (/etc/environment, environment.d), pam_env.conf, systemd units
 * (Environment=, EnvironmentFile=, DefaultEnvironment=), fish config and
 * Jupyter kernel.json "env". Nothing is executed or expanded beyond
 * ${X:-default} with what the same file set: the result is what a careful
 * reader sees, with the line of each setting.
 *
 * Shell rules: `export A=1 B=2`, `declare -x`/`typeset -x`, `readonly`,
 * `local`, quotes, trailing comments, backslash-newline continuation,
 * `export NAME` after an assignment (marks it exported), `set -a`, several
 * commands on a line (`;`, `&&`, `||`, `then`, `do`, ...). Not assignments:
 * comments, heredoc bodies, `case` patterns, assignments that prefix a
 * command (`A=1 cmd` sets A for cmd only), words inside $(...) or `...`.
 * `.` and `source` are recorded with their argument, unexpanded.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

typedef enum env_format {
        ENV_FORMAT_SHELL,       /* sh/bash/zsh startup files, profile.d scripts */
        ENV_FORMAT_KEYVALUE,    /* /etc/environment, environment.d *.conf: KEY=VALUE */
        ENV_FORMAT_PAM_ENV,     /* pam_env.conf, ~/.pam_environment: VAR DEFAULT= OVERRIDE= (or KEY=VALUE) */
        ENV_FORMAT_SYSTEMD,     /* unit files and drop-ins, system.conf: Environment=, EnvironmentFile=, DefaultEnvironment= */
        ENV_FORMAT_FISH,        /* config.fish: set -x/-gx/--export NAME VALUE... */
        ENV_FORMAT_JUPYTER,     /* kernel.json: the "env" object */
        _ENV_FORMAT_MAX,
        _ENV_FORMAT_INVALID = -22,
} env_format;

const char *env_format_to_string(env_format f);

typedef struct env_entry {
        char *name;
        char *value;            /* quotes removed; ${X:-D} replaced (X from this file, else D); $X kept */
        char *raw;              /* the setting as written ("HSA_OVERRIDE_GFX_VERSION=10.3.0"), for evidence */
        unsigned line;          /* 1-based; the first line of a continued line */
        bool exported;          /* reaches child processes (export, declare -x, set -a, every non-shell format) */
        bool quoted;            /* the value was (partly) quoted */
        bool is_default;        /* pam_env DEFAULT= (OVERRIDE= and KEY=VALUE are not) */
        char *section;          /* systemd: "Service", "Manager", ...; else NULL */
} env_entry;

typedef enum env_ref_kind {
        ENV_REF_SOURCE,         /* shell `. FILE` / `source FILE` */
        ENV_REF_ENVIRONMENT_FILE, /* systemd EnvironmentFile= */
        _ENV_REF_KIND_MAX,
        _ENV_REF_KIND_INVALID = -22,
} env_ref_kind;

typedef struct env_ref {
        env_ref_kind kind;
        char *path;             /* quotes removed, not expanded ("$HOME/x.sh", "~/x.sh") */
        unsigned line;
        bool optional;          /* systemd "-/path": a missing file is fine */
        char *section;          /* systemd section, else NULL */
} env_ref;

typedef struct env_file {
        env_format format;
        env_entry *entries;     /* in file order */
        size_t n_entries;
        env_ref *refs;
        size_t n_refs;
        size_t n_skipped;       /* lines the parser did not understand (kept out) */
} env_file;

/*
 * Parse buf (len bytes; NUL bytes end a line's meaning but not the
 * parse). Returns 0 (never fails on bad syntax: what cannot be read is
 * counted in n_skipped), -ENOMEM, or -EBADMSG for ENV_FORMAT_JUPYTER when
 * the JSON itself is broken.
 */
int env_file_parse(env_format fmt, const char *buf, size_t len, env_file **ret);
env_file *env_file_free(env_file *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(env_file *, env_file_free);

/* The last entry named name, or NULL. */
const env_entry *env_file_get(const env_file *f, const char *name);

/* Is name a valid variable name ([A-Za-z_][A-Za-z0-9_]*)? n: bytes of name to take. */
bool env_name_valid(const char *name, size_t n);
