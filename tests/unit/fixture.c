/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

char *fixture_tmpdir(const char *parent, const char *tag)
{
        const char *tmp = getenv("TMPDIR");
        char *dir = NULL;

        if (!parent)
                parent = tmp && *tmp ? tmp : "/tmp";
        assert_true(asprintf(&dir, "%s/rdna1-%s-XXXXXX", parent, tag) > 0);
        if (!mkdtemp(dir))
                fail_msg("mkdtemp %s: %m", dir);
        return dir;
}

char *fixture_path(const char *root, const char *rel)
{
        char *p = NULL;

        assert_true(asprintf(&p, "%s%s%s", root, rel && *rel ? "/" : "", rel ? rel : "") > 0);
        return p;
}

void fixture_mkdirs(const char *root, const char *rel)
{
        char *p = fixture_path(root, rel);
        char *end = p + strlen(p);

        /* Only below ROOT: it exists. */
        for (char *s = p + strlen(root) + 1; s < end; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        fail_msg("mkdir %s: %m", p);
                *s = '/';
        }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                fail_msg("mkdir %s: %m", p);
        free(p);
}

/* mkdir -p of the directory REL is in (below ROOT: nothing for ROOT itself). */
static void mkdirs_parent(const char *root, const char *rel)
{
        char *dir, *slash;

        if (!rel || !*rel)
                return;
        dir = strdup(rel);
        assert_non_null(dir);
        slash = strrchr(dir, '/');
        if (slash) {
                *slash = '\0';
                fixture_mkdirs(root, dir);
        }
        free(dir);
}

void fixture_write(const char *root, const char *rel, const void *data, size_t len, mode_t mode)
{
        char *p = fixture_path(root, rel);
        int fd;

        mkdirs_parent(root, rel);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                fail_msg("open %s: %m", p);
        if (write(fd, data, len) != (ssize_t)len)
                fail_msg("write %s: %m", p);
        if (fchmod(fd, mode) < 0)
                fail_msg("chmod %s: %m", p);
        assert_int_equal(close(fd), 0);
        free(p);
}

void fixture_put(const char *root, const char *rel, const char *text)
{
        fixture_write(root, rel, text, strlen(text), 0644);
}

void fixture_symlink(const char *root, const char *rel, const char *target)
{
        char *p = fixture_path(root, rel);

        mkdirs_parent(root, rel);
        if (symlink(target, p) < 0)
                fail_msg("symlink %s -> %s: %m", p, target);
        free(p);
}

/* Removes NAME in DFD; stays on DEV. Returns 0 or the first negative errno. */
static int rmrf_at(int dfd, const char *name, dev_t dev)
{
        struct stat st;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
        if (st.st_dev != dev)
                return -EXDEV; /* a mount point: never descend into it */
        /* A test may have left it without r/w/x for its owner (EACCES cases). */
        if ((st.st_mode & 0700) != 0700)
                (void)fchmodat(dfd, name, 0700, 0);
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                int k;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                k = rmrf_at(dirfd(d), de->d_name, dev);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r == 0)
                r = -errno;
        return r;
}

void fixture_rmrf(const char *path)
{
        struct stat st;
        int r;

        if (!path || !*path)
                return;
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        fail_msg("lstat %s: %m", path);
                return;
        }
        r = rmrf_at(AT_FDCWD, path, st.st_dev);
        if (r < 0)
                fail_msg("rm -rf %s: %s", path, strerror(-r));
}
