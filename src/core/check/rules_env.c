/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The environment audit (rdna1-doctor(8), FINDINGS): every place an environment variable or
 * a preloaded library can come from, parsed statically (envfile.c), judged
 * with profiles/rules.ini (rules_ini.c). Shell `source` chains and systemd
 * EnvironmentFile= are followed to a bounded depth and shown in the
 * evidence: "HSA_OVERRIDE_GFX_VERSION=10.3.0 (via /home/alice/.bashrc:12 →
 * /home/alice/rocm_rdna1_env.sh)". Users' files are read through homefile.c
 * (no symlinks, owner checked); system files through the sysroot.
 */

#include <fcntl.h>

#include "check/envaudit.h"

/* ---- PAM ---- */

/* Does any PAM stack run pam_env with user_readenv=1 (off by default since Linux-PAM 1.5)? */
static bool pam_reads_user_env(envaudit *a)
{
        char **names = NULL;
        size_t n = 0;
        bool found = false;

        if (sysroot_list_dir(a->in->sr, "/etc/pam.d", 512, &names, &n, NULL) < 0)
                return false;
        for (size_t i = 0; i < n && !found; i++) {
                _cleanup_free_ char *p = strdup_printf("/etc/pam.d/%s", names[i]), *buf = NULL;
                size_t len, pos = 0;

                if (!p || sysroot_read_file(a->in->sr, p, 256 * 1024, &buf, &len) < 0)
                        continue;
                while (pos < len && !found) {
                        const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                        size_t m = nl ? (size_t)(nl - l) : len - pos;
                        _cleanup_free_ char *copy = strndup(l, m);
                        char *t;

                        pos += m + (nl ? 1 : 0);
                        if (!copy)
                                break;
                        t = strstrip(copy);
                        found = t[0] != '#' && strstr(t, "pam_env.so") && strstr(t, "user_readenv=1");
                }
        }
        strv_free_array(names);
        return found;
}

/* ---- what pam_env gives every login session ---- */

static int load_session(envaudit *a)
{
        static const struct {
                const char *path;
                env_format fmt;
        } files[] = {
                {"/etc/environment", ENV_FORMAT_KEYVALUE},
                {"/etc/security/pam_env.conf", ENV_FORMAT_PAM_ENV},
        };

        for (size_t i = 0; i < ELEMENTSOF(files) && i < ELEMENTSOF(a->session); i++) {
                _cleanup_free_ char *buf = NULL;
                size_t len;
                int k = sysroot_read_file(a->in->sr, files[i].path, ENV_FILE_MAX, &buf, &len);

                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        continue; /* absent or unreadable: the audit itself says so when it reads the file */
                k = env_file_parse(files[i].fmt, buf, len, &a->session[i]);
                if (k == -ENOMEM)
                        return k;
        }
        return 0;
}

/* ---- scopes ---- */

static int audit_system(envaudit *a)
{
        static const char *const shell_files[] = {"/etc/profile", "/etc/bash.bashrc", "/etc/zsh/zshenv",
                                                  "/etc/zsh/zprofile", "/etc/zsh/zshrc"};
        int k;

        if ((k = envaudit_top(a, "/etc/environment", ENV_FORMAT_KEYVALUE)) < 0 ||
            (k = envaudit_dir(a, "/etc/environment.d", ".conf", ENV_FORMAT_KEYVALUE)) < 0 ||
            (k = envaudit_top(a, "/etc/security/pam_env.conf", ENV_FORMAT_PAM_ENV)) < 0)
                return k;
        /* profile.d first: /etc/profile sources it, and the shorter chain reads better. */
        if ((k = envaudit_dir(a, "/etc/profile.d", ".sh", ENV_FORMAT_SHELL)) < 0)
                return k;
        for (size_t i = 0; i < ELEMENTSOF(shell_files); i++)
                if ((k = envaudit_top(a, shell_files[i], ENV_FORMAT_SHELL)) < 0)
                        return k;
        if ((k = envaudit_top(a, "/etc/systemd/system.conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = envaudit_dir(a, "/etc/systemd/system.conf.d", ".conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = envaudit_top(a, "/etc/systemd/user.conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = envaudit_dir(a, "/etc/systemd/user.conf.d", ".conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = envaudit_unit_dir(a, "/etc/systemd/system")) < 0 ||
            (k = envaudit_unit_dir(a, "/etc/systemd/user")) < 0)
                return k;
        if ((k = envaudit_ld_preload(a)) < 0 || (k = envaudit_ld_conf(a)) < 0)
                return k;
        return 0;
}

typedef struct script_walk {
        envaudit *a;
        strv names;
} script_walk;

static int script_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                     void *userdata)
{
        script_walk *w = userdata;

        if (S_ISREG(st->st_mode) && endswith(name, ".sh"))
                return strv_push_dup(&w->names, name) < 0 ? -ENOMEM : WALK_CONTINUE;
        return WALK_SKIP;
}

static int kernel_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                     void *userdata)
{
        script_walk *w = userdata;

        if (depth == 0)
                return S_ISDIR(st->st_mode) ? WALK_CONTINUE : WALK_SKIP;
        if (S_ISREG(st->st_mode) && streq(name, "kernel.json"))
                return strv_push_dup(&w->names, relpath) < 0 ? -ENOMEM : WALK_CONTINUE;
        return WALK_SKIP;
}

static int audit_user(envaudit *a)
{
        /* Interactive files first: .profile usually sources .bashrc, and the shorter chain reads better. */
        static const char *const shell_files[] = {".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshenv",
                                                  ".zshrc", ".zprofile", ".zlogin", ".xprofile", ".xsessionrc"};
        walk_limits top = {.max_depth = 0, .max_entries = HOME_TOP_ENTRIES_MAX};
        walk_limits kern = {.max_depth = 1, .max_entries = 2000};
        script_walk w = {.a = a};
        const char *hp = a->h->path;
        int k = 0;

        for (size_t i = 0; k >= 0 && i < ELEMENTSOF(shell_files); i++) {
                _cleanup_free_ char *p = home_path(a->h, shell_files[i]);
                k = p ? envaudit_top(a, p, ENV_FORMAT_SHELL) : -ENOMEM;
        }
        if (k < 0)
                return k;
        {
                _cleanup_free_ char *p = home_path(a->h, ".pam_environment");
                if (!p)
                        return -ENOMEM;
                a->ineffective = !a->pam_user_env;
                a->ineffective_why = " (not read: pam_env reads ~/.pam_environment only with user_readenv=1, "
                                     "off by default since Linux-PAM 1.5)";
                k = envaudit_top(a, p, ENV_FORMAT_PAM_ENV);
                a->ineffective = false;
                a->ineffective_why = NULL;
                if (k < 0)
                        return k;
        }
#define SUB(rel, suffix, fmt)                                                   \
        do {                                                                    \
                _cleanup_free_ char *d = strdup_printf("%s/%s", hp, rel);     \
                k = d ? envaudit_dir(a, d, suffix, fmt) : -ENOMEM;                 \
                if (k < 0)                                                      \
                        return k;                                               \
        } while (0)
        SUB(".config/environment.d", ".conf", ENV_FORMAT_KEYVALUE);
        SUB(".config/plasma-workspace/env", ".sh", ENV_FORMAT_SHELL);
        SUB(".config/fish/conf.d", ".fish", ENV_FORMAT_FISH);
#undef SUB
        {
                _cleanup_free_ char *p = home_path(a->h, ".config/fish/config.fish");
                _cleanup_free_ char *u = home_path(a->h, ".config/systemd/user");
                if (!p || !u)
                        return -ENOMEM;
                if ((k = envaudit_top(a, p, ENV_FORMAT_FISH)) < 0 || (k = envaudit_unit_dir(a, u)) < 0)
                        return k;
        }

        /* Jupyter kernels: ~/.local/share/jupyter/kernels/NAME/kernel.json */
        k = home_walk(a->h, ".local/share/jupyter/kernels", &kern, kernel_cb, &w, a->in->report, "env", NULL);
        if (k < 0 && k != -ENOENT && k != -ENOTDIR && k != -ELOOP && k != -EACCES) {
                strv_clear(&w.names);
                return k;
        }
        for (size_t i = 0; i < w.names.n && k >= 0; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/.local/share/jupyter/kernels/%s", hp, w.names.items[i]);
                k = p ? envaudit_top(a, p, ENV_FORMAT_JUPYTER) : -ENOMEM;
        }
        strv_clear(&w.names);
        if (k < 0 && k == -ENOMEM)
                return k;

        /* Top-level ~/NAME.sh: whatever no startup file sourced runs only when sourced by hand. */
        k = home_walk(a->h, "", &top, script_cb, &w, a->in->report, "env", NULL);
        if (k < 0) {
                strv_clear(&w.names);
                return k == -ENOMEM ? k : envaudit_file_reason(a, hp, k);
        }
        for (size_t i = 0; i < w.names.n && k >= 0; i++) {
                _cleanup_free_ char *p = home_path(a->h, w.names.items[i]);
                if (!p) {
                        k = -ENOMEM;
                        break;
                }
                if (strv_contains(&a->visited, p))
                        continue;
                a->by_hand = true;
                k = envaudit_top(a, p, ENV_FORMAT_SHELL);
                a->by_hand = false;
        }
        strv_clear(&w.names);
        return k;
}

static int audit_users(envaudit *a)
{
        root_users *users = NULL;
        int k;

        k = root_users_load(a->in->sr, USERS_WITH_HOME, &users);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return k == -ENOMEM ? k : report_add_reason_errno(a->in->report, "env", "/etc/passwd", k, true);
        a->pam_user_env = pam_reads_user_env(a);
        for (size_t i = 0; i < users->n && k >= 0; i++) {
                const root_user *u = &users->users[i];

                k = home_open(a->in->sr, u, &a->h);
                if (k < 0) {
                        k = k == -ENOMEM ? k : envaudit_file_reason(a, u->home, k);
                        continue;
                }
                {
                        /* Not root: a home we cannot list is one reason, not one per file. */
                        _cleanup_close_ int probe = home_openat(a->h, ".", O_RDONLY | O_DIRECTORY);
                        if (probe < 0) {
                                a->h = home_free(a->h);
                                k = probe == -EACCES ? report_add_reason(a->in->report, "env", u->home,
                                                                        "home not readable: its environment files were not checked", true)
                                                     : envaudit_file_reason(a, u->home, probe);
                                continue;
                        }
                }
                a->user = u;
                strv_clear(&a->visited);
                k = audit_user(a);
                a->h = home_free(a->h);
                a->user = NULL;
        }
        root_users_free(users);
        return k;
}

static const char *main_gfx(const inspection *in)
{
        for (size_t i = 0; i < in->n_devices; i++)
                if (in->devices[i].rdna1 && in->devices[i].gfx_target)
                        return in->devices[i].gfx_target;
        for (size_t i = 0; i < in->n_devices; i++)
                if (envaudit_amd_gpu(&in->devices[i]))
                        return in->devices[i].gfx_target;
        return NULL;
}

int rules_env_apply(inspection *in)
{
        _cleanup_free_ char *path = NULL;
        envaudit a = {.in = in};
        unsigned line = 0;
        int k;

        path = strdup_printf("%s/profiles/rules.ini", in->opts && in->opts->datadir ? in->opts->datadir : ".");
        if (!path)
                return -ENOMEM;
        k = rules_load(path, &a.rules, &line);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                /* Without its rules the audit cannot judge anything: that matters. */
                _cleanup_free_ char *msg = line ? strdup_printf("rules file unusable (line %u): environment not checked", line)
                                                : strdup_printf("rules file unusable (%s): environment not checked",
                                                                strerror(-k));
                return report_add_reason(in->report, "env", path, msg ? msg : "rules file unusable", true);
        }
        a.gfx = main_gfx(in);

        k = load_session(&a);
        if (k >= 0)
                k = audit_system(&a);
        strv_clear(&a.visited);
        if (k >= 0 && !(in->opts && in->opts->system_only))
                k = audit_users(&a);
        strv_clear(&a.visited);
        home_free(a.h);
        rules_free(a.rules);
        for (size_t i = 0; i < ELEMENTSOF(a.session); i++)
                env_file_free(a.session[i]);
        return k;
}
