/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files in users' homes, opened beneath the home without following any
 * symlink, and a bounded directory walker. See homefile.h for the rules.
 */
#include "root/homefile.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>

#include "base/util.h"

#define WALK_DEPTH_HARD_MAX 64
#define WALK_ENTRIES_DEFAULT 100000
#define REL_COMPONENTS_MAX 256

int home_open_fd(int fd, const char *path, uid_t uid, gid_t gid, home **ret)
{
        _cleanup_close_ int owned = fd;
        struct stat st;
        home *h;

        if (fstat(owned, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->path = strdup(path);
        if (!h->path) {
                free(h);
                return -ENOMEM;
        }
        h->fd = TAKE_FD(owned);
        h->uid = uid;
        h->gid = gid;
        h->dev = st.st_dev;
        *ret = h;
        return 0;
}

int home_open(const sysroot *sr, const root_user *user, home **ret)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        home *h;
        int k;

        if (!user->home || user->home[0] != '/')
                return -ENOENT;
        fd = sysroot_openat(sr, user->home, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Someone else's directory is not this user's home: its files say nothing about them. */
        if (st.st_uid != user->uid && st.st_uid != 0)
                return -EPERM;
        k = home_open_fd(TAKE_FD(fd), user->home, user->uid, user->gid, &h);
        if (k < 0)
                return k;
        h->no_openat2 = sr->no_openat2;
        *ret = h;
        return 0;
}

home *home_free(home *h)
{
        if (!h)
                return NULL;
        if (h->fd >= 0)
                close(h->fd);
        free(h->path);
        free(h);
        return NULL;
}

char *home_path(const home *h, const char *relpath)
{
        while (relpath[0] == '/')
                relpath++;
        if (!relpath[0] || streq(relpath, "."))
                return strdup(h->path);
        return strdup_printf("%s%s%s", h->path, endswith(h->path, "/") ? "" : "/", relpath);
}

/*
 * The fallback: one component at a time with O_NOFOLLOW, refusing every
 * symlink and every "..", the way RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS does.
 */
static int walk_beneath(int start, const char *relpath, int flags)
{
        _cleanup_free_ char *todo = strdup(relpath);
        _cleanup_close_ int cur = -EBADF;
        char *save = NULL, *c, *next;
        int fd;

        if (!todo)
                return -ENOMEM;
        cur = fcntl(start, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        c = strtok_r(todo, "/", &save);
        for (unsigned n = 0; c; c = next, n++) {
                struct stat st;

                next = strtok_r(NULL, "/", &save);
                if (streq(c, "."))
                        continue;
                if (streq(c, "..") || n >= REL_COMPONENTS_MAX)
                        return -EXDEV;
                fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (fstat(fd, &st) < 0) {
                        int k = -errno;
                        close(fd);
                        return k;
                }
                if (S_ISLNK(st.st_mode)) {
                        close(fd);
                        return -ELOOP;
                }
                if (!next) {
                        close(fd);
                        fd = openat(cur, c, flags | O_NOFOLLOW | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY));
                        return fd < 0 ? -errno : fd;
                }
                if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        return -ENOTDIR;
                }
                close(cur);
                cur = fd;
        }
        /* Only "." components: the start itself. */
        fd = openat(cur, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int home_openat(const home *h, const char *relpath, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY)),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = relpath;
        int fd;

        while (rel[0] == '/')
                rel++;
        if (!rel[0])
                rel = ".";
        if (!h->no_openat2) {
                fd = openat2_retry(h->fd, rel, &how);
                if (fd >= 0 || (fd != -ENOSYS && fd != -EAGAIN))
                        return fd;
        }
        return walk_beneath(h->fd, rel, flags);
}

static int check_regular(const struct stat *st, uid_t uid)
{
        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        /* A file the user does not own could have been planted for them; root's is the admin's. */
        if (uid != HOME_ANY_OWNER && st->st_uid != uid && st->st_uid != 0)
                return -EPERM;
        return 0;
}

/* Open for real only after the O_PATH probe said "regular": a FIFO or device is never opened. */
static int reopen_checked(const struct stat *a, int fd)
{
        struct stat b;

        if (fd < 0)
                return fd;
        if (fstat(fd, &b) < 0) {
                int k = -errno;
                close(fd);
                return k;
        }
        if (a->st_dev != b.st_dev || a->st_ino != b.st_ino || !S_ISREG(b.st_mode)) {
                close(fd);
                return -ESTALE;
        }
        return fd;
}

int home_open_regular(const home *h, const char *relpath, struct stat *ret_st)
{
        _cleanup_close_ int probe = -EBADF;
        struct stat st;
        int k, fd;

        probe = home_openat(h, relpath, O_PATH);
        if (probe < 0)
                return probe;
        if (fstat(probe, &st) < 0)
                return -errno;
        k = check_regular(&st, h->uid);
        if (k < 0)
                return k;
        fd = home_openat(h, relpath, O_RDONLY | O_NONBLOCK);
        fd = reopen_checked(&st, fd);
        if (fd >= 0 && ret_st)
                *ret_st = st;
        return fd;
}

int open_regular_at(int dirfd, const char *name, uid_t uid, struct stat *ret_st)
{
        _cleanup_close_ int probe = -EBADF;
        struct stat st;
        int k, fd;

        if (strchr(name, '/'))
                return -EINVAL;
        probe = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (probe < 0)
                return -errno;
        if (fstat(probe, &st) < 0)
                return -errno;
        k = check_regular(&st, uid);
        if (k < 0)
                return k;
        fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        fd = reopen_checked(&st, fd < 0 ? -errno : fd);
        if (fd >= 0 && ret_st)
                *ret_st = st;
        return fd;
}

int home_read_file(const home *h, const char *relpath, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = home_open_regular(h, relpath, NULL);

        if (fd < 0)
                return fd;
        return read_fd_capped(fd, max ? max : HOME_READ_MAX_DEFAULT, ret, ret_len);
}

/* ---- the walker ---- */

typedef struct walk_ctx {
        const home *h;
        const walk_limits *lim;
        walk_cb cb;
        void *userdata;
        report *r;
        const char *probe;
        const char *start;      /* the walk's start, relative to the home */
        walk_stats st;
        dev_t dev0;
        struct { dev_t dev; ino_t ino; } ancestors[WALK_DEPTH_HARD_MAX + 2];
        unsigned n_ancestors;
        size_t max_entries;
        bool stop;
} walk_ctx;

static bool reason_known(const report *r, const char *probe, const char *path)
{
        for (size_t i = 0; i < r->n_reasons; i++)
                if (streq(r->reasons[i].probe, probe) && streq_ptr(r->reasons[i].path, path))
                        return true;
        return false;
}

static void walk_report(walk_ctx *c, const char *relpath, int err, const char *text)
{
        _cleanup_free_ char *path = NULL, *full = NULL;

        if (!c->r)
                return;
        full = c->start[0] && relpath[0] ? strdup_printf("%s/%s", c->start, relpath)
                                         : strdup(c->start[0] ? c->start : relpath);
        if (!full)
                return;
        path = home_path(c->h, full);
        if (!path || reason_known(c->r, c->probe, path))
                return; /* each directory once, even over several walks */
        if (text)
                report_add_reason(c->r, c->probe, path, text, false);
        else
                report_add_reason_errno(c->r, c->probe, path, err, false);
}

/* Names of the directory at fd (consumed), at most budget + 1 of them. */
static int read_names(int fd, size_t budget, strv *ret)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        strv names = {0};
        int k = 0;

        if (!d) {
                k = -errno;
                close(fd);
                return k;
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                k = strv_push_dup(&names, de->d_name);
                if (k < 0 || names.n > budget)
                        break;
                errno = 0;
        }
        if (k == 0 && !de && errno != 0)
                k = -errno;
        closedir(d);
        if (k < 0) {
                strv_clear(&names);
                return k;
        }
        strv_sort(&names);
        *ret = names;
        return 0;
}

static int walk_dir(walk_ctx *c, int dirfd, const char *rel, unsigned depth)
{
        strv names = {0};
        int k, fd;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                c->st.unreadable++;
                walk_report(c, rel, -errno, NULL);
                return 0;
        }
        k = read_names(fd, c->max_entries - c->st.entries, &names);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                c->st.unreadable++;
                walk_report(c, rel, k, NULL);
                return 0;
        }
        c->st.dirs++;

        for (size_t i = 0; i < names.n && !c->stop; i++) {
                _cleanup_free_ char *child = NULL;
                const char *name = names.items[i];
                struct stat st;

                if (c->st.entries >= c->max_entries) {
                        c->st.truncated = true;
                        c->stop = true;
                        break;
                }
                c->st.entries++;
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* vanished meanwhile */
                child = rel[0] ? strdup_printf("%s/%s", rel, name) : strdup(name);
                if (!child) {
                        k = -ENOMEM;
                        goto out;
                }
                k = c->cb(dirfd, name, child, &st, depth, c->userdata);
                if (k < 0)
                        goto out;
                if (k == WALK_STOP) {
                        c->stop = true;
                        break;
                }
                if (k == WALK_SKIP || !S_ISDIR(st.st_mode))
                        continue;
                if (depth >= c->lim->max_depth || depth >= WALK_DEPTH_HARD_MAX) {
                        c->st.too_deep++;
                        continue;
                }
                if (!c->lim->cross_fs && st.st_dev != c->dev0) {
                        c->st.other_fs++;
                        continue;
                }
                {
                        bool loop = false;
                        _cleanup_close_ int sub = -EBADF;
                        struct stat sst;

                        for (unsigned a = 0; a < c->n_ancestors; a++)
                                if (c->ancestors[a].dev == st.st_dev && c->ancestors[a].ino == st.st_ino)
                                        loop = true;
                        if (loop) {
                                /* A bind mount of an ancestor: walking on would never end. */
                                c->st.loops++;
                                walk_report(c, child, 0, "directory loop (same device and inode as a parent), not entered");
                                continue;
                        }
                        sub = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                c->st.unreadable++;
                                walk_report(c, child, -errno, NULL);
                                continue;
                        }
                        if (fstat(sub, &sst) < 0 || sst.st_dev != st.st_dev || sst.st_ino != st.st_ino)
                                continue; /* replaced meanwhile */
                        c->ancestors[c->n_ancestors].dev = sst.st_dev;
                        c->ancestors[c->n_ancestors].ino = sst.st_ino;
                        c->n_ancestors++;
                        k = walk_dir(c, sub, child, depth + 1);
                        c->n_ancestors--;
                        if (k < 0)
                                goto out;
                }
        }
        k = 0;
out:
        strv_clear(&names);
        return k;
}

int home_walk(const home *h, const char *relstart, const walk_limits *lim, walk_cb cb,
              void *userdata, report *r, const char *probe, walk_stats *ret_stats)
{
        _cleanup_close_ int start = -EBADF;
        walk_ctx c = {
                .h = h, .lim = lim, .cb = cb, .userdata = userdata, .r = r,
                .probe = probe ? probe : "walk",
        };
        const char *rel = relstart ? relstart : "";
        struct stat st;
        int k;

        while (rel[0] == '/')
                rel++;
        if (streq(rel, "."))
                rel = "";
        c.max_entries = lim->max_entries ? lim->max_entries : WALK_ENTRIES_DEFAULT;
        start = home_openat(h, rel, O_PATH | O_DIRECTORY);
        if (start < 0)
                return start;
        if (fstat(start, &st) < 0)
                return -errno;
        c.dev0 = st.st_dev;
        c.ancestors[0].dev = st.st_dev;
        c.ancestors[0].ino = st.st_ino;
        c.n_ancestors = 1;
        c.start = rel;
        k = walk_dir(&c, start, "", 0);
        if (k < 0)
                return k;
        if (c.st.truncated && r) {
                /* A note, not an ignored reason: it shows in the JSON document. */
                _cleanup_free_ char *path = home_path(h, rel);
                if (path)
                        report_add_note(r, "%s: %s stopped after %zu entries (limit); the rest was not checked",
                                        c.probe, path, c.st.entries);
        }
        if (ret_stats)
                *ret_stats = c.st;
        return 0;
}
