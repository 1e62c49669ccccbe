/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile/exec_env.h"

#include <grp.h>
#include <sys/stat.h>

#include "base/util.h"
#include "root/users.h"

void exec_user_clear(exec_user *u)
{
        free(u->groups);
        free(u->name);
        free(u->home);
        *u = (exec_user){0};
}

static int parse_id(const char *s, unsigned *ret)
{
        uint64_t v;

        if (safe_atou64(s, 10, &v) < 0 || v >= (uint32_t)-1)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

int exec_user_from_env(const sysroot *sr, exec_user *ret)
{
        _cleanup_(root_users_freep) root_users *users = NULL;
        const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
        const char *pkexec_uid = getenv("PKEXEC_UID"), *doas_user = getenv("DOAS_USER");
        const root_user *ru = NULL;
        exec_user u = {0};
        unsigned id;
        int k;

        if (sudo_uid && *sudo_uid)
                u.via = "SUDO_UID";
        else if (pkexec_uid && *pkexec_uid)
                u.via = "PKEXEC_UID";
        else if (doas_user && *doas_user)
                u.via = "DOAS_USER";
        else
                return 0;

        k = root_users_load(sr, USERS_ALL, &users);
        if (k < 0 && k != -ENOENT)
                return k;
        if (streq(u.via, "DOAS_USER")) {
                ru = users ? root_users_find_name(users, doas_user) : NULL;
                if (!ru)
                        return -ENOENT;
                u.uid = ru->uid;
        } else {
                if (parse_id(streq(u.via, "SUDO_UID") ? sudo_uid : pkexec_uid, &id) < 0)
                        return -EINVAL;
                u.uid = id;
                ru = users ? root_users_find_uid(users, u.uid) : NULL;
        }
        if (ru)
                u.gid = ru->gid;
        else if (streq(u.via, "SUDO_UID") && sudo_gid && parse_id(sudo_gid, &id) == 0)
                u.gid = id;
        else
                return -ENOENT;

        u.groups = calloc(1 + (ru ? ru->n_groups : 0), sizeof(gid_t));
        if (!u.groups)
                return -ENOMEM;
        u.groups[u.n_groups++] = u.gid;
        for (size_t i = 0; ru && i < ru->n_groups; i++)
                if (ru->groups[i] != u.gid)
                        u.groups[u.n_groups++] = ru->groups[i];
        if (ru && (!(u.name = strdup(ru->name)) || !(u.home = strdup(ru->home)))) {
                exec_user_clear(&u);
                return -ENOMEM;
        }
        *ret = u;
        return 1;
}

static bool gid_listed(const exec_user *u, gid_t gid)
{
        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == gid)
                        return true;
        return false;
}

int exec_user_unprivileged(const sysroot *sr, const char *const *device_nodes, size_t n_nodes, exec_user *ret)
{
        _cleanup_(root_users_freep) root_users *users = NULL;
        const root_user *ru;
        exec_user u = {.uid = EXEC_NOBODY_UID, .gid = EXEC_NOBODY_GID, .via = "nobody"};
        int k;

        k = root_users_load(sr, USERS_ALL, &users);
        if (k < 0 && k != -ENOENT)
                return k;
        ru = users ? root_users_find_name(users, "nobody") : NULL;
        /* a "nobody" that is root in disguise is not nobody */
        if (ru && ru->uid != 0 && ru->gid != 0) {
                u.uid = ru->uid;
                u.gid = ru->gid;
                if (!(u.name = strdup(ru->name)) || !(u.home = strdup(ru->home)))
                        goto oom;
        } else if (!(u.name = strdup("nobody")) || !(u.home = strdup("/nonexistent")))
                goto oom;
        u.groups = calloc(1 + n_nodes, sizeof(gid_t));
        if (!u.groups)
                goto oom;
        u.groups[u.n_groups++] = u.gid;
        for (size_t i = 0; i < n_nodes; i++) {
                struct stat st;

                if (!device_nodes[i] || sysroot_stat(sr, device_nodes[i], &st) < 0)
                        continue;
                if (st.st_gid == 0 || (st.st_mode & (S_IRGRP | S_IWGRP)) != (S_IRGRP | S_IWGRP) ||
                    gid_listed(&u, st.st_gid))
                        continue;
                u.groups[u.n_groups++] = st.st_gid;
        }
        *ret = u;
        return 0;
oom:
        exec_user_clear(&u);
        return -ENOMEM;
}

void exec_env_free(char **env)
{
        for (char **p = env; p && *p; p++)
                free(*p);
        free(env);
}

static int env_push(char ***env, size_t *n, char *entry)
{
        char **grown;

        if (!entry)
                return -ENOMEM;
        grown = realloc(*env, (*n + 2) * sizeof(char *));
        if (!grown) {
                free(entry);
                return -ENOMEM;
        }
        *env = grown;
        grown[(*n)++] = entry;
        grown[*n] = NULL;
        return 0;
}

int exec_env_build(const resolved_env *e, const exec_user *u, char ***ret)
{
        static const char *const keep[] = {EXEC_KEEP_VARS};
        char **env = calloc(1, sizeof(char *));
        const char *home = getenv("HOME"), *user = getenv("USER");
        size_t n = 0;
        int k = 0;

        if (!env)
                return -ENOMEM;
        if (u) {
                home = u->home;
                user = u->name;
        }
        for (size_t i = 0; i < ELEMENTSOF(keep) && k >= 0; i++) {
                const char *v = getenv(keep[i]);

                if (streq(keep[i], "HOME"))
                        v = home;
                else if (streq(keep[i], "USER"))
                        v = user;
                else if (streq(keep[i], "PATH") && !v)
                        v = EXEC_DEFAULT_PATH;
                if (v)
                        k = env_push(&env, &n, strdup_printf("%s=%s", keep[i], v));
        }
        for (size_t i = 0; e && i < e->n && k >= 0; i++) {
                _cleanup_free_ char *value = NULL;

                /* A profile setting replaces a kept variable of the same name. */
                for (size_t j = 0; j < n; j++) {
                        size_t l = strlen(e->items[i].name);

                        if (strncmp(env[j], e->items[i].name, l) == 0 && env[j][l] == '=') {
                                free(env[j]);
                                memmove(&env[j], &env[j + 1], (n - j) * sizeof(char *));
                                n--;
                                break;
                        }
                }
                k = env_value_expand(e->items[i].value, home, user, &value);
                if (k >= 0)
                        k = env_push(&env, &n, strdup_printf("%s=%s", e->items[i].name, value));
        }
        if (k < 0) {
                exec_env_free(env);
                return k;
        }
        *ret = env;
        return 0;
}

int exec_drop_privileges(const exec_user *u)
{
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        if (setgroups(u->n_groups, u->groups) < 0)
                return -errno;
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return -errno;
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return -errno;
        if (ru != u->uid || eu != u->uid || su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid)
                return -EPERM;
        /* Dropping from root to a user must be for good. */
        if (u->uid != 0 && setresuid(0, 0, 0) == 0)
                return -EPERM;
        return 0;
}

static const char *env_get(char *const envp[], const char *name)
{
        size_t l = strlen(name);

        for (size_t i = 0; envp[i]; i++)
                if (strncmp(envp[i], name, l) == 0 && envp[i][l] == '=')
                        return envp[i] + l + 1;
        return NULL;
}

static int exit_for_errno(int err)
{
        return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

int exec_command(char *const argv[], char *const envp[])
{
        const char *path, *cmd = argv[0];
        _cleanup_free_ char *copy = NULL;
        int saved = ENOENT;
        char *save = NULL;

        if (!cmd || !*cmd)
                return 127;
        if (strchr(cmd, '/')) {
                execve(cmd, argv, envp);
                return exit_for_errno(errno);
        }
        path = env_get(envp, "PATH");
        copy = strdup(path ? path : EXEC_DEFAULT_PATH);
        if (!copy)
                return 126;
        /* An empty PATH element means the current directory (POSIX); skip it: never run what lies in cwd. */
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = NULL;

                if (dir[0] != '/')
                        continue;
                full = strdup_printf("%s/%s", dir, cmd);
                if (!full)
                        return 126;
                execve(full, argv, envp);
                /* Remember that something was there but could not run (like execvp). */
                if (errno != ENOENT && errno != ENOTDIR)
                        saved = errno;
        }
        return exit_for_errno(saved);
}
