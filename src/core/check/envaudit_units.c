/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd units and drop-ins (Environment=, EnvironmentFile=) under
 * /etc/systemd/system, /etc/systemd/user and ~/.config/systemd/user.
 */
#include "check/envaudit.h"

#include <fcntl.h>

/* ---- systemd units ---- */

typedef struct unit_walk {
        envaudit *a;
        const char *base;       /* the walked directory as the system sees it */
        int err;
} unit_walk;

static bool unit_file_name(const char *relpath, const char *name)
{
        static const char *const types[] = {".service", ".socket", ".mount", ".swap"};
        const char *slash = strrchr(relpath, '/');

        /* drop-ins: foo.service.d/override.conf */
        if (slash && endswith(name, ".conf")) {
                _cleanup_free_ char *dir = strndup(relpath, (size_t)(slash - relpath));
                return dir && endswith(dir, ".d");
        }
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (endswith(name, types[i]))
                        return true;
        return false;
}

static int unit_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                   void *userdata)
{
        unit_walk *w = userdata;
        _cleanup_free_ char *path = NULL;
        int k;

        if (S_ISDIR(st->st_mode))
                return WALK_CONTINUE;
        if (!unit_file_name(relpath, name))
                return WALK_CONTINUE;
        path = strdup_printf("%s/%s", w->base, relpath);
        if (!path)
                return -ENOMEM;
        if (S_ISLNK(st->st_mode)) {
                /*
                 * Enablement links (*.wants/) and links to vendor units point at
                 * packaged files; a top-level link elsewhere is a `systemctl link`ed
                 * unit, read where it lies (system scope only: homes follow no links).
                 */
                _cleanup_free_ char *target = NULL;
                bool exists = false;

                if (w->a->h || depth > 0 || sysroot_chase(w->a->in->sr, path, &target, &exists) < 0 || !exists ||
                    startswith(target, "/lib/systemd/") || startswith(target, "/usr/lib/systemd/") ||
                    startswith(target, "/etc/systemd/system/") || streq(target, "/dev/null"))
                        return WALK_CONTINUE;
                free(path);
                path = TAKE_PTR(target);
        } else if (!S_ISREG(st->st_mode))
                return WALK_CONTINUE;
        w->a->depth = 0;
        k = envaudit_file(w->a, path, ENV_FORMAT_SYSTEMD);
        return k < 0 ? k : WALK_CONTINUE;
}

int envaudit_unit_dir(envaudit *a, const char *dir)
{
        walk_limits lim = {.max_depth = 2, .max_entries = 20000};
        unit_walk w = {.a = a, .base = dir};
        home *tree = NULL;
        int k;

        if (a->h) {
                const char *rel;
                if (!envaudit_in_home(a, dir, &rel))
                        return 0;
                k = home_walk(a->h, rel, &lim, unit_cb, &w, a->in->report, "env", NULL);
        } else {
                int fd = sysroot_openat(a->in->sr, dir, O_PATH | O_DIRECTORY);
                if (fd < 0)
                        return fd == -ENOMEM ? fd : envaudit_file_reason(a, dir, fd);
                k = home_open_fd(fd, dir, HOME_ANY_OWNER, 0, &tree);
                if (k < 0)
                        return k == -ENOMEM ? k : envaudit_file_reason(a, dir, k);
                k = home_walk(tree, "", &lim, unit_cb, &w, a->in->report, "env", NULL);
                home_free(tree);
        }
        if (k < 0 && k != -ENOMEM)
                return envaudit_file_reason(a, dir, k);
        return k;
}
