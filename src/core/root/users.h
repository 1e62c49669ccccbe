/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The accounts of the inspected root, from ITS /etc/passwd and /etc/group
 * (never getpwnam(): with --root the host's NSS knows other people). The
 * per-user audits (environment files, Python under homes) walk the users
 * that have a home in the root.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"
#include "root/sysroot.h"

typedef struct root_user {
        char *name;
        uid_t uid;
        gid_t gid;              /* primary group */
        char *home;             /* as written in /etc/passwd ("/home/alice") */
        char *shell;            /* may be "" */
        gid_t *groups;          /* supplementary: every /etc/group entry listing the name */
        size_t n_groups;
        bool home_present;      /* the home is a directory in the root owned by the user (or, uid >= 1000, root) */
} root_user;

typedef struct root_group {
        char *name;
        gid_t gid;
} root_group;

typedef struct root_users {
        root_user *users;       /* in /etc/passwd order */
        size_t n;
        root_group *groups;     /* every well-formed /etc/group line, in file order */
        size_t n_groups;
} root_users;

typedef enum users_select {
        USERS_ALL,              /* every well-formed passwd line */
        USERS_WITH_HOME,        /* root plus every user whose home exists and is theirs */
} users_select;

/*
 * Read the root's /etc/passwd and /etc/group. With USERS_WITH_HOME only root
 * and users whose home is a directory in the root owned by them are kept
 * (system accounts such as daemon:/usr/sbin or nobody:/nonexistent drop
 * out), and a home shared by several accounts is listed once (first user).
 * NIS "+"/"-" lines, comments and malformed lines are skipped.
 * Returns 0, -ENOENT when /etc/passwd is missing, < 0 errno otherwise.
 */
int root_users_load(const sysroot *sr, users_select sel, root_users **ret);
root_users *root_users_free(root_users *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(root_users *, root_users_free);

const root_user *root_users_find_uid(const root_users *u, uid_t uid);
const root_user *root_users_find_name(const root_users *u, const char *name);
/* The name of a group (the first line with that gid), or NULL. */
const char *root_users_group_name(const root_users *u, gid_t gid);

/* Parsers, exposed for unit tests; they append to u. */
int passwd_parse(root_users *u, const char *buf, size_t len);
int group_parse(root_users *u, const char *buf, size_t len);
