/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The environment audit's shared state (private to env_*.c and
 * rules_env.c): one scope at a time (the system, or one user's home), the
 * chain of files that sourced the one being read, and the rules.
 */

#include <stdbool.h>
#include <stddef.h>

#include "envfile.h"
#include "homefile.h"
#include "inspect.h"
#include "rules.h"
#include "users.h"
#include "util.h"

#define ENV_FILE_MAX (1024u * 1024)
#define VALUE_SHOWN_MAX 160    /* bytes of a value quoted in evidence */
#define CHAIN_MAX 8             /* source depth followed */
#define DIR_ENTRIES_MAX 4096    /* entries of one *.d directory looked at */
#define HOME_TOP_ENTRIES_MAX 20000 /* a home's top level, for ~/NAME.sh */

typedef struct frame {
        char *path;             /* as the system sees it */
        unsigned line;          /* the line in it that led further (0 for the last frame) */
        const env_file *file;   /* parsed, for variables that scope an override */
} frame;

typedef struct env_audit {
        inspection *in;
        rules_db *rules;
        const char *gfx;        /* the main GPU's target for device-independent rules */
        const root_user *user;  /* NULL: system scope */
        home *h;                /* NULL: system scope */
        strv visited;           /* files parsed in this scope */
        frame chain[CHAIN_MAX + 1];
        size_t depth;
        bool by_hand;           /* a ~/NAME.sh nothing sources */
        bool pam_user_env;      /* pam_env reads ~/.pam_environment (user_readenv=1) */
        bool ineffective;       /* the file being read is one nothing reads */
        const char *ineffective_why;
        /* /etc/environment and /etc/security/pam_env.conf as parsed (NULL when absent): pam_env
         * gives them to every login session, so their *_VISIBLE_DEVICES scope an override set in
         * any file such a session reads (shell startup files, Jupyter), not in system services */
        env_file *session[2];
} env_audit;

/* env_judge.c: findings from settings */
int env_add_evidence(env_audit *a, const char *id, severity sev, const char *slot, const char *path,
                     unsigned line, const char *detail, const char *var, const char *why);
int env_judge_entry(env_audit *a, const char *path, const env_entry *e);
int env_judge_by_hand(env_audit *a, const char *path, const env_file *f);
bool env_amd_gpu(const gpu_device *g);

/* env_read.c: files, source chains, directories */
bool env_in_home(const env_audit *a, const char *path, const char **ret_rel);
int env_file_reason(env_audit *a, const char *path, int err);
int env_audit_file(env_audit *a, const char *path, env_format fmt);
int env_audit_top(env_audit *a, const char *path, env_format fmt);
int env_audit_dir(env_audit *a, const char *dir, const char *suffix, env_format fmt);
int env_list_names(env_audit *a, const char *dir, const char *suffix, strv *ret);

/* env_ld.c: /etc/ld.so.preload, /etc/ld.so.conf(.d) */
int env_audit_ld_preload(env_audit *a);
int env_audit_ld_conf(env_audit *a);

/* env_units.c: systemd units and drop-ins */
int env_audit_unit_dir(env_audit *a, const char *dir);
