/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The environment audit's shared state (private to env_*.c and
 * rules_env.c): one scope at a time (the system, or one user's home), the
 * chain of files that sourced the one being read, and the rules.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"
#include "check/inspect.h"
#include "check/rules_ini.h"
#include "parse/envfile.h"
#include "root/homefile.h"
#include "root/users.h"

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

typedef struct envaudit {
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
} envaudit;

/* envaudit_judge.c: findings from settings */
int envaudit_add_evidence(envaudit *a, const char *id, severity sev, const char *slot, const char *path,
                     unsigned line, const char *detail, const char *var, const char *why);
int envaudit_judge_entry(envaudit *a, const char *path, const env_entry *e);
int envaudit_judge_by_hand(envaudit *a, const char *path, const env_file *f);
bool envaudit_amd_gpu(const gpu_device *g);

/* envaudit_read.c: files, source chains, directories */
bool envaudit_in_home(const envaudit *a, const char *path, const char **ret_rel);
int envaudit_file_reason(envaudit *a, const char *path, int err);
int envaudit_file(envaudit *a, const char *path, env_format fmt);
int envaudit_top(envaudit *a, const char *path, env_format fmt);
int envaudit_dir(envaudit *a, const char *dir, const char *suffix, env_format fmt);
int envaudit_list_names(envaudit *a, const char *dir, const char *suffix, strv *ret);

/* envaudit_ld.c: /etc/ld.so.preload, /etc/ld.so.conf(.d) */
int envaudit_ld_preload(envaudit *a);
int envaudit_ld_conf(envaudit *a);

/* envaudit_units.c: systemd units and drop-ins */
int envaudit_unit_dir(envaudit *a, const char *dir);
