/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/passwd and /etc/group of the inspected root, parsed by hand (they are
 * colon-separated lines; NSS would read the host's accounts instead).
 */
#include "root/users.h"

#include <fcntl.h>

#include "base/util.h"

#define ACCOUNT_FILE_MAX (16u * 1024 * 1024)
#define ACCOUNT_FIELDS 7
#define USER_GROUPS_MAX 65536

typedef struct fields {
        const char *f[ACCOUNT_FIELDS];
        size_t len[ACCOUNT_FIELDS];
        size_t n;
} fields;

static void split_colons(const char *line, size_t n, fields *ret)
{
        size_t start = 0;

        *ret = (fields){0};
        for (size_t i = 0; i <= n && ret->n < ACCOUNT_FIELDS; i++) {
                if (i < n && line[i] != ':')
                        continue;
                ret->f[ret->n] = line + start;
                ret->len[ret->n] = i - start;
                ret->n++;
                start = i + 1;
        }
}

static bool field_id(const fields *a, size_t idx, uint32_t *ret)
{
        char tmp[16];
        uint64_t v;

        if (idx >= a->n || a->len[idx] == 0 || a->len[idx] >= sizeof(tmp))
                return false;
        memcpy(tmp, a->f[idx], a->len[idx]);
        tmp[a->len[idx]] = '\0';
        if (safe_atou64(tmp, 10, &v) < 0 || v >= UINT32_MAX)
                return false;
        *ret = (uint32_t)v;
        return true;
}

typedef int (*line_cb)(root_users *u, const fields *a);

static int foreach_line(root_users *u, const char *buf, size_t len, size_t min_fields, line_cb cb)
{
        size_t pos = 0;

        while (pos < len) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                fields a;
                int k;

                pos += n + (nl ? 1 : 0);
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                /* NIS compat lines and lines with NUL bytes are not accounts of this root. */
                if (n == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' || memchr(line, '\0', n))
                        continue;
                split_colons(line, n, &a);
                if (a.n < min_fields || a.len[0] == 0)
                        continue;
                k = cb(u, &a);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int passwd_cb(root_users *u, const fields *a)
{
        root_user x = {0}, *n;
        uint32_t uid, gid;

        if (!field_id(a, 2, &uid) || !field_id(a, 3, &gid))
                return 0;
        x.uid = uid;
        x.gid = gid;
        x.name = strndup(a->f[0], a->len[0]);
        x.home = strndup(a->f[5], a->len[5]);
        x.shell = a->n > 6 ? strndup(a->f[6], a->len[6]) : strdup("");
        if (!x.name || !x.home || !x.shell)
                goto oom;
        n = realloc(u->users, (u->n + 1) * sizeof(*n));
        if (!n)
                goto oom;
        u->users = n;
        u->users[u->n++] = x;
        return 0;
oom:
        free(x.name);
        free(x.home);
        free(x.shell);
        return -ENOMEM;
}

int passwd_parse(root_users *u, const char *buf, size_t len)
{
        return foreach_line(u, buf, len, 6, passwd_cb);
}

static bool in_member_list(const char *s, size_t n, const char *name)
{
        size_t start = 0, nl = strlen(name);

        for (size_t i = 0; i <= n; i++) {
                size_t a, b;

                if (i < n && s[i] != ',')
                        continue;
                a = start;
                b = i;
                while (a < b && (s[a] == ' ' || s[a] == '\t'))
                        a++;
                while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
                        b--;
                if (b - a == nl && memcmp(s + a, name, nl) == 0)
                        return true;
                start = i + 1;
        }
        return false;
}

static int user_add_group(root_user *x, gid_t gid)
{
        gid_t *g;

        for (size_t i = 0; i < x->n_groups; i++)
                if (x->groups[i] == gid)
                        return 0;
        if (x->n_groups >= USER_GROUPS_MAX)
                return 0;
        g = realloc(x->groups, (x->n_groups + 1) * sizeof(gid_t));
        if (!g)
                return -ENOMEM;
        x->groups = g;
        x->groups[x->n_groups++] = gid;
        return 0;
}

static int group_cb(root_users *u, const fields *a)
{
        root_group *ng;
        uint32_t gid;

        if (!field_id(a, 2, &gid))
                return 0;
        ng = realloc(u->groups, (u->n_groups + 1) * sizeof(*ng));
        if (!ng)
                return -ENOMEM;
        u->groups = ng;
        ng[u->n_groups].gid = gid;
        ng[u->n_groups].name = strndup(a->f[0], a->len[0]);
        if (!ng[u->n_groups].name)
                return -ENOMEM;
        u->n_groups++;
        if (a->n < 4)
                return 0;
        for (size_t i = 0; i < u->n; i++) {
                int k;

                if (!in_member_list(a->f[3], a->len[3], u->users[i].name))
                        continue;
                k = user_add_group(&u->users[i], gid);
                if (k < 0)
                        return k;
        }
        return 0;
}

int group_parse(root_users *u, const char *buf, size_t len)
{
        return foreach_line(u, buf, len, 3, group_cb);
}

static void root_user_clear(root_user *x)
{
        free(x->name);
        free(x->home);
        free(x->shell);
        free(x->groups);
        *x = (root_user){0};
}

root_users *root_users_free(root_users *u)
{
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n; i++)
                root_user_clear(&u->users[i]);
        free(u->users);
        for (size_t i = 0; i < u->n_groups; i++)
                free(u->groups[i].name);
        free(u->groups);
        free(u);
        return NULL;
}

/*
 * A home counts when it is a directory in the root owned by the user (root
 * owns its own). daemon:/usr/sbin exists but is root's: not a home. A
 * regular user's (uid >= 1000, login.defs' UID_MIN default) home left owned
 * by root, as an image builder may leave it, still counts.
 */
static bool home_is_theirs(const sysroot *sr, const root_user *x)
{
        struct stat st;

        if (x->home[0] != '/' || streq(x->home, "/"))
                return false;
        if (sysroot_stat(sr, x->home, &st) < 0 || !S_ISDIR(st.st_mode))
                return false;
        if (st.st_uid == x->uid)
                return true;
        return st.st_uid == 0 && x->uid >= 1000 && x->uid != 65534;
}

static bool home_seen(const root_users *u, size_t upto, const char *home)
{
        for (size_t i = 0; i < upto; i++)
                if (u->users[i].home_present && streq(u->users[i].home, home))
                        return true;
        return false;
}

int root_users_load(const sysroot *sr, users_select sel, root_users **ret)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        root_users *u;
        size_t pwlen, grlen = 0, kept = 0;
        int k;

        k = sysroot_read_file(sr, "/etc/passwd", ACCOUNT_FILE_MAX, &pw, &pwlen);
        if (k < 0)
                return k;
        k = sysroot_read_file(sr, "/etc/group", ACCOUNT_FILE_MAX, &gr, &grlen);
        if (k < 0 && k != -ENOENT)
                return k;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        k = passwd_parse(u, pw, pwlen);
        if (k >= 0 && gr)
                k = group_parse(u, gr, grlen);
        if (k < 0) {
                root_users_free(u);
                return k;
        }

        for (size_t i = 0; i < u->n; i++)
                u->users[i].home_present = home_is_theirs(sr, &u->users[i]) &&
                                           !home_seen(u, i, u->users[i].home);
        if (sel == USERS_WITH_HOME) {
                for (size_t i = 0; i < u->n; i++) {
                        if (u->users[i].home_present)
                                u->users[kept++] = u->users[i];
                        else
                                root_user_clear(&u->users[i]);
                }
                u->n = kept;
        }
        *ret = u;
        return 0;
}

const root_user *root_users_find_uid(const root_users *u, uid_t uid)
{
        for (size_t i = 0; u && i < u->n; i++)
                if (u->users[i].uid == uid)
                        return &u->users[i];
        return NULL;
}

const root_user *root_users_find_name(const root_users *u, const char *name)
{
        for (size_t i = 0; u && i < u->n; i++)
                if (streq(u->users[i].name, name))
                        return &u->users[i];
        return NULL;
}

const char *root_users_group_name(const root_users *u, gid_t gid)
{
        for (size_t i = 0; u && i < u->n_groups; i++)
                if (u->groups[i].gid == gid)
                        return u->groups[i].name;
        return NULL;
}
