/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The demo's private copy (see demo_copy.h). Copying and removing a tree
 * are cp(1)'s and rm(1)'s jobs; this file only decides where, makes the
 * private directory safely and refuses one that is not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/spawn_cmd.h"
#include "base/util.h"
#include "demo_copy.h"

/* The directory that holds the copy (not made). */
static char *copy_dir(const char *state_dir)
{
        const char *xdg, *home;

        if (state_dir)
                return strdup_printf("%s/demo", state_dir);
        if (geteuid() == 0)
                return strdup("/var/lib/rdna1-doctor/demo");
        xdg = getenv("XDG_STATE_HOME");
        if (xdg && xdg[0] == '/')
                return strdup_printf("%s/rdna1-doctor/demo", xdg);
        home = getenv("HOME");
        if (!home || home[0] != '/')
                return NULL;
        return strdup_printf("%s/.local/state/rdna1-doctor/demo", home);
}

int demo_copy_path(const char *state_dir, char **ret)
{
        _cleanup_free_ char *dir = copy_dir(state_dir);

        if (!dir)
                return -ENOENT; /* no state directory to use: no HOME */
        *ret = strdup_printf("%s/root", dir);
        return *ret ? 0 : -ENOMEM;
}

/* DIR itself: a real directory (not a link), ours, 0700. */
static int private_dir(const char *dir)
{
        struct stat st;
        int r;

        r = mkdir_p_mode(dir, 0700, 0700);
        if (r < 0)
                return r;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
                return -EPERM; /* a link or someone else's: not ours to write into */
        if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
                return -errno;
        return 0;
}

static int run(const char *const *argv, const char *what, bool quiet)
{
        spawn_options o = {.argv = argv, .output_fd = quiet ? -1 : STDERR_FILENO, .timeout_ms = 300000};
        spawn_result res;
        int r;

        r = spawn_run(&o, &res);
        if (r < 0)
                return r;
        if (!spawn_result_ok(&res)) {
                if (!quiet)
                        fprintf(stderr, "rdna1-doctor: %s failed (exit %d).\n", what, res.exit_status);
                return -EIO;
        }
        return 0;
}

int demo_copy_make(const char *demo_root, const char *state_dir, char **ret)
{
        _cleanup_free_ char *dir = copy_dir(state_dir), *root = NULL, *src = NULL;
        struct stat st;
        int r;

        if (!dir)
                return -ENOENT;
        r = private_dir(dir);
        if (r < 0)
                return r;
        root = strdup_printf("%s/root", dir);
        src = strdup_printf("%s/.", demo_root);
        if (!root || !src)
                return -ENOMEM;
        if (lstat(root, &st) == 0) {
                /* A copy's read-only directories (proc/, /root) must be writable to be removed. */
                const char *chmod_argv[] = {"/bin/chmod", "-R", "u+rwX", "--", root, NULL};
                const char *rm_argv[] = {"/bin/rm", "-rf", "--one-file-system", "--", root, NULL};

                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                r = run(chmod_argv, "making the old demo copy writable", false);
                if (r >= 0)
                        r = run(rm_argv, "removing the old demo copy", false);
                if (r < 0)
                        return r;
        }
        if (mkdir(root, 0700) < 0)
                return -errno;
        {
                /* -a: links copied as links, modes, times, owners (as root) kept */
                const char *cp_argv[] = {"/bin/cp", "-a", "--no-dereference", "--", src, root, NULL};

                /* as a user, cp names every file only root may read: one note instead */
                r = run(cp_argv, "copying the demo root", geteuid() != 0);
                if (r < 0 && geteuid() == 0)
                        return r;
                if (r < 0)
                        fprintf(stderr, "rdna1-doctor: note: files of the demo only root can read (/etc/shadow, /root, /home/alice) are not in this user's copy.\n");
        }
        *ret = TAKE_PTR(root);
        return 0;
}

int demo_copy_existing(const char *state_dir, char **ret)
{
        _cleanup_free_ char *root = NULL;
        struct stat st;
        int r;

        r = demo_copy_path(state_dir, &root);
        if (r < 0)
                return r;
        if (lstat(root, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        *ret = TAKE_PTR(root);
        return 0;
}
