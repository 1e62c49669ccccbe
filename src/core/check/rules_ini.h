/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * profiles/rules.ini: what the doctor knows about environment variables —
 * which values are fine, which are known to hurt, on which gfx target, why,
 * and where that knowledge comes from. The environment audit judges every
 * setting it finds with it, and `--profile validate` judges a profile's
 * [env] with the same rules.
 *
 * One section per variable, or per glob of variables ("MIOPEN_DEBUG_*");
 * iniparser reads the values, a line scan of the same buffer gives the
 * original case and the line of each section (iniparser lowercases keys
 * and keeps one of duplicates, which the scan refuses).
 *
 *   [HSA_OVERRIDE_GFX_VERSION]
 *   finding = env.override-gfx        catalog id raised when the value is bad
 *   severity = warning                default severity of a bad value
 *   match = any | bad | not-allowed | library-path
 *   bad = 3 4 SEARCH                  space-separated fnmatch patterns (match = bad)
 *   allowed = 10.1.0                  values that are fine (match = not-allowed)
 *   severity.gfx1010 = critical       per gfx target: severity/reason/allowed/bad/warn/warn_reason
 *   allowed.gfx1010 = 10.1.0
 *   warn.gfx1011 = 10.1.0             bad values judged a warning, with warn_reason.gfx1011 as
 *   warn_reason.gfx1011 = ...         their reason (plain warn/warn_reason: every target)
 *   format = gfx-version              a value that is not MAJOR.MINOR.STEP raises format_finding
 *   format_finding = ...              (format_severity, format_reason) instead of the rest
 *   reason = ...
 *   source = ...                      where this is known from (field report, ROCm docs, issue)
 *   scoped_by = ROCR_VISIBLE_DEVICES HIP_VISIBLE_DEVICES   (informational)
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/report.h"
#include "base/util.h"

typedef enum rule_match {
        RULE_MATCH_ANY,         /* any value is a finding (LD_PRELOAD, PYTORCH_ROCM_ARCH) */
        RULE_MATCH_BAD,         /* values matching `bad` are findings */
        RULE_MATCH_NOT_ALLOWED, /* values not matching `allowed` are findings */
        RULE_MATCH_LIBRARY_PATH, /* a private ROCm tree ahead of the packaged one */
        RULE_MATCH_NONE,        /* known and harmless: never a finding */
        _RULE_MATCH_MAX,
        _RULE_MATCH_INVALID = -22,
} rule_match;

const char *rule_match_to_string(rule_match m);

typedef struct rule_target {
        char *gfx;              /* "gfx1010" */
        severity severity;
        bool has_severity;
        char *reason;           /* NULL: the rule's */
        char *allowed;          /* NULL: the rule's */
        char *bad;              /* NULL: the rule's */
        char *warn;             /* NULL: the rule's */
        char *warn_reason;      /* NULL: the rule's */
} rule_target;

typedef struct env_rule {
        char *name;             /* original case, may be a glob ("MIOPEN_DEBUG_*") */
        unsigned line;          /* line of the section header in rules.ini */
        char *finding;          /* "env.hang-risk" */
        severity severity;
        rule_match match;
        char *allowed;          /* space-separated patterns, may be NULL */
        char *bad;
        char *reason;
        char *source;
        char *scoped_by;        /* may be NULL */
        char *warn;             /* bad values that are only a warning (every list element matches), may be NULL */
        char *warn_reason;      /* their reason; set whenever warn is */
        bool format_gfx_version; /* format = gfx-version: a value not MAJOR.MINOR.STEP is format_finding */
        char *format_finding;
        severity format_severity;
        char *format_reason;
        rule_target *targets;
        size_t n_targets;
} env_rule;

typedef struct rules_db {
        char *path;             /* the file it was read from */
        env_rule *rules;        /* exact names first, then globs, each in file order */
        size_t n;
} rules_db;

/*
 * Load rules.ini from path. Returns 0, -ENOENT, -ENOMEM, or -EBADMSG with
 * *ret_line (may be NULL) set to the offending line: unreadable INI, a
 * section without finding/reason/source, an unknown finding id, match or
 * severity, a duplicate section or key.
 */
int rules_load(const char *path, rules_db **ret, unsigned *ret_line);
/* Same from a buffer (tests, `--profile validate`); path only names it. */
int rules_load_buffer(const char *path, const char *buf, size_t len, rules_db **ret, unsigned *ret_line);
rules_db *rules_free(rules_db *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(rules_db *, rules_free);

/* Tests: load as where /proc is missing (iniparser reads the file itself, checked against the scan). */
void rules_set_no_memfd(bool v);

/* The rule for a variable: an exact name first, then the first glob that matches. NULL: unknown. */
const env_rule *rules_find(const rules_db *db, const char *name);

typedef struct rule_verdict {
        const env_rule *rule;   /* the rule that judged (NULL: unknown variable) */
        const char *finding;    /* catalog id, NULL when the value is fine */
        severity severity;
        const char *reason;     /* target-specific when there is one */
        const char *source;
} rule_verdict;

/*
 * Judge NAME=VALUE for gfx target gfx (NULL or "" when unknown: the
 * rule's defaults). Returns 1 when the value is bad (ret->finding set),
 * 0 when it is fine or the variable unknown (ret->rule tells which).
 * library-path rules are judged by rules_library_path_bad().
 */
int rules_judge(const rules_db *db, const char *name, const char *value, const char *gfx,
                rule_verdict *ret);

/* Is value a gfx version libhsakmt accepts (MAJOR.MINOR.STEP, major <= 63, minor and step <= 255)? */
bool rules_gfx_version_valid(const char *value);

/*
 * For a LD_LIBRARY_PATH-like value: the first element that is a private
 * ROCm tree (a ROCm library directory outside /opt/rocm*, /usr/lib*,
 * /lib*) standing ahead of the packaged ones, or NULL. *ret_len gets its
 * length in value.
 */
const char *rules_library_path_bad(const char *value, size_t *ret_len);
