/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "root/sysroot.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "base/util.h"

#define MAX_SYMLINKS 40
#define MAX_WALK_DEPTH 256

static int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
#ifdef SYS_openat2
        return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
#else
        errno = ENOSYS;
        return -1;
#endif
}

int openat2_retry(int dirfd, const char *path, const struct open_how *how)
{
        int fd;

        /* Under RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel answers EAGAIN
         * when a rename anywhere in the system raced with a ".." step: retry. */
        for (int attempt = 0; attempt < 32; attempt++) {
                fd = sys_openat2(dirfd, path, how);
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN)
                        break;
        }
        return -errno;
}

int sysroot_open(const char *path, sysroot **ret)
{
        _cleanup_free_ char *canon = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st, host;
        sysroot *sr;

        canon = realpath(path, NULL);
        if (!canon)
                return -errno;
        fd = open(canon, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;

        sr = calloc(1, sizeof(*sr));
        if (!sr)
                return -ENOMEM;
        sr->is_host = stat("/", &host) == 0 && host.st_dev == st.st_dev && host.st_ino == st.st_ino;
        sr->dirfd = TAKE_FD(fd);
        sr->path = TAKE_PTR(canon);
        *ret = sr;
        return 0;
}

sysroot *sysroot_free(sysroot *sr)
{
        if (!sr)
                return NULL;
        if (sr->dirfd >= 0)
                close(sr->dirfd);
        free(sr->path);
        free(sr);
        return NULL;
}

void sysroot_set_no_openat2(sysroot *sr, bool v)
{
        sr->no_openat2 = v;
}

/* Pop the next path component off *p (a mutable string); NULL at the end. */
static char *next_component(char **p)
{
        char *s = *p, *e;

        while (*s == '/')
                s++;
        if (!*s)
                return NULL;
        e = strchr(s, '/');
        if (e) {
                *e = '\0';
                *p = e + 1;
        } else
                *p = s + strlen(s);
        return s;
}

static bool only_slashes(const char *s)
{
        while (*s == '/')
                s++;
        return *s == '\0';
}

/*
 * Fallback for kernels without openat2(): walk the path one component at a
 * time with O_NOFOLLOW, resolving symlinks ourselves as if the root were "/"
 * (absolute targets restart at the root, ".." never climbs above it).
 */
static int walk_open(const sysroot *sr, int start_fd, const char *path, int flags)
{
        int stack[MAX_WALK_DEPTH];
        size_t depth = 0;
        unsigned links = 0;
        _cleanup_free_ char *todo = strdup(path);
        char *cursor, *c;
        int r;

        if (!todo)
                return -ENOMEM;
        if (path[0] == '/')
                start_fd = sr->dirfd;
        stack[depth] = fcntl(start_fd, F_DUPFD_CLOEXEC, 3);
        if (stack[depth] < 0)
                return -errno;

        cursor = todo;
        for (;;) {
                int cur = stack[depth], fd;
                struct stat st;
                bool last;

                c = next_component(&cursor);
                if (!c) {
                        /* The path named a directory we are standing on. */
                        fd = openat(cur, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY);
                        r = fd < 0 ? -errno : fd;
                        goto out;
                }
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        if (depth > 0)
                                close(stack[depth--]);
                        continue;
                }
                last = only_slashes(cursor);

                fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        goto out;
                }
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        close(fd);
                        goto out;
                }
                if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                        char *joined;

                        close(fd);
                        if (n < 0) {
                                r = -errno;
                                goto out;
                        }
                        target[n] = '\0';
                        if (++links > MAX_SYMLINKS) {
                                r = -ELOOP;
                                goto out;
                        }
                        joined = strdup_printf("%s/%s", target, cursor);
                        if (!joined) {
                                r = -ENOMEM;
                                goto out;
                        }
                        free(todo);
                        todo = cursor = joined;
                        if (target[0] == '/')
                                while (depth > 0)
                                        close(stack[depth--]);
                        continue;
                }
                if (last) {
                        close(fd);
                        fd = openat(cur, c, flags | O_NOFOLLOW | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY));
                        r = fd < 0 ? -errno : fd;
                        goto out;
                }
                if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        r = -ENOTDIR;
                        goto out;
                }
                if (depth + 1 >= MAX_WALK_DEPTH) {
                        close(fd);
                        r = -ENAMETOOLONG;
                        goto out;
                }
                stack[++depth] = fd;
        }
out:
        for (size_t i = 0; i <= depth; i++)
                close(stack[i]);
        return r;
}

/*
 * Canonical form of path as the inspected system sees it: every symlink
 * resolved inside the root (absolute targets restart at the root, ".." stops
 * there). Once a component is missing the rest is appended lexically, so a
 * dangling link still names its target; *ret_exists tells which.
 * Returns 0, -ELOOP, -EACCES, -ENOMEM, ...
 */
int sysroot_chase(const sysroot *sr, const char *path, char **ret, bool *ret_exists)
{
        _cleanup_free_ char *todo = strdup(path), *done = strdup("");
        unsigned links = 0;
        bool exists = true;
        char *cursor = todo, *comp;

        if (!todo || !done)
                return -ENOMEM;
        while ((comp = next_component(&cursor))) {
                _cleanup_free_ char *cand = NULL, *target = NULL;
                struct stat st;
                int r;

                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        char *slash = strrchr(done, '/');

                        if (slash)
                                *slash = '\0';
                        continue;
                }
                cand = strdup_printf("%s/%s", done, comp);
                if (!cand)
                        return -ENOMEM;
                if (exists) {
                        r = sysroot_lstat(sr, cand, &st);
                        if (r == -ENOENT || r == -ENOTDIR)
                                exists = false;
                        else if (r < 0)
                                return r;
                        else if (S_ISLNK(st.st_mode)) {
                                char *next;

                                if (++links > MAX_SYMLINKS)
                                        return -ELOOP;
                                r = sysroot_readlink(sr, cand, &target);
                                if (r < 0)
                                        return r;
                                next = strdup_printf("%s/%s", target, cursor);
                                if (!next)
                                        return -ENOMEM;
                                free(todo);
                                todo = cursor = next;
                                if (target[0] == '/')
                                        done[0] = '\0';
                                continue;
                        }
                }
                free(done);
                done = TAKE_PTR(cand);
        }
        if (!done[0]) {
                free(done);
                done = strdup("/");
                if (!done)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(done);
        *ret_exists = exists;
        return 0;
}

int sysroot_openat_fd(const sysroot *sr, int dirfd, const char *relpath, int flags)
{
        struct open_how how = {
                /* openat2() refuses O_NOCTTY beside O_PATH. */
                .flags = (uint64_t)(flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY)),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = relpath;
        int fd;

        /* An absolute path is relative to the root, never to dirfd. */
        if (rel[0] == '/') {
                dirfd = sr->dirfd;
                while (*rel == '/')
                        rel++;
        }
        if (!*rel)
                rel = ".";

        if (!sr->no_openat2) {
                if (dirfd != sr->dirfd)
                        /* RESOLVE_IN_ROOT scopes to dirfd; beneath a subdirectory
                         * of the root, an absolute symlink must still go to the
                         * root: use the walk, which knows both. */
                        return walk_open(sr, dirfd, rel, flags);
                /* No openat2, or it kept racing with renames: walk by hand. */
                fd = openat2_retry(dirfd, rel, &how);
                if (fd >= 0 || (fd != -ENOSYS && fd != -EAGAIN))
                        return fd;
        }
        return walk_open(sr, dirfd, rel, flags);
}

int sysroot_openat(const sysroot *sr, const char *path, int flags)
{
        return sysroot_openat_fd(sr, sr->dirfd, path, flags);
}

static int stat_through(const sysroot *sr, const char *path, int extra, struct stat *ret)
{
        _cleanup_close_ int fd = sysroot_openat(sr, path, O_PATH | extra);

        if (fd < 0)
                return fd;
        if (fstat(fd, ret) < 0)
                return -errno;
        return 0;
}

int sysroot_stat(const sysroot *sr, const char *path, struct stat *ret)
{
        return stat_through(sr, path, 0, ret);
}

int sysroot_lstat(const sysroot *sr, const char *path, struct stat *ret)
{
        return stat_through(sr, path, O_NOFOLLOW, ret);
}

bool sysroot_exists(const sysroot *sr, const char *path)
{
        struct stat st;

        return sysroot_lstat(sr, path, &st) == 0;
}

int read_fd_capped(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap;
        struct stat st;

        if (max == 0)
                max = SYSROOT_READ_MAX_DEFAULT;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;

        /* procfs and sysfs report size 0 or 4096: do not trust st_size. */
        cap = st.st_size > 0 && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096;
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        size_t ncap = cap * 2;
                        char *nb;

                        if (cap > max)
                                return -EFBIG;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        nb = realloc(buf, ncap + 1);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap = ncap;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/*
 * Open a file for reading only if it is a regular file: probe with O_PATH
 * first, so a device node is never opened for real (opening some devices
 * has side effects) and a FIFO never blocks.
 */
int sysroot_open_regular(const sysroot *sr, const char *path)
{
        _cleanup_close_ int probe = -EBADF, fd = -EBADF;
        struct stat a, b;

        probe = sysroot_openat(sr, path, O_PATH);
        if (probe < 0)
                return probe;
        if (fstat(probe, &a) < 0)
                return -errno;
        if (S_ISDIR(a.st_mode))
                return -EISDIR;
        if (!S_ISREG(a.st_mode))
                return -EINVAL;
        fd = sysroot_openat(sr, path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        if (fstat(fd, &b) < 0)
                return -errno;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ESTALE; /* swapped under us */
        return TAKE_FD(fd);
}

int sysroot_read_file(const sysroot *sr, const char *path, size_t max, char **ret,
                      size_t *ret_len)
{
        _cleanup_close_ int fd = sysroot_open_regular(sr, path);

        if (fd < 0)
                return fd;
        return read_fd_capped(fd, max, ret, ret_len);
}

int sysroot_read_line(const sysroot *sr, const char *path, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = sysroot_read_file(sr, path, 64 * 1024, &buf, &len);
        if (r < 0)
                return r;
        if (memchr(buf, '\0', len))
                return -EBADMSG;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
                buf[--len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int sysroot_readlink(const sysroot *sr, const char *path, char **ret)
{
        _cleanup_close_ int fd = sysroot_openat(sr, path, O_PATH | O_NOFOLLOW);
        char buf[PATH_MAX];
        ssize_t n;

        if (fd < 0)
                return fd;
        n = readlinkat(fd, "", buf, sizeof(buf) - 1);
        if (n < 0)
                return errno == ENOENT ? -EINVAL : -errno; /* not a symlink */
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

void strv_free_array(char **a)
{
        if (!a)
                return;
        for (char **p = a; *p; p++)
                free(*p);
        free(a);
}

int list_dir_fd(int fd, size_t max_entries, char ***ret, size_t *ret_n, bool *ret_truncated)
{
        strv v = {0};
        bool truncated = false;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (max_entries == 0)
                max_entries = 65536;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (v.n >= max_entries) {
                        truncated = true;
                        break;
                }
                r = strv_push_dup(&v, de->d_name);
                if (r < 0)
                        break;
                errno = 0;
        }
        if (r == 0 && !de && !truncated && errno)
                r = -errno;
        closedir(d);
        if (r < 0) {
                strv_clear(&v);
                return r;
        }
        if (!v.items) {
                v.items = calloc(1, sizeof(char *));
                if (!v.items)
                        return -ENOMEM;
        }
        qsort(v.items, v.n, sizeof(char *), strcmp_ptr);
        *ret = v.items;
        if (ret_n)
                *ret_n = v.n;
        if (ret_truncated)
                *ret_truncated = truncated;
        return 0;
}

int sysroot_list_dir(const sysroot *sr, const char *path, size_t max_entries, char ***ret,
                     size_t *ret_n, bool *ret_truncated)
{
        int fd = sysroot_openat(sr, path, O_RDONLY | O_DIRECTORY);

        if (fd < 0)
                return fd;
        return list_dir_fd(fd, max_entries, ret, ret_n, ret_truncated);
}

char *sysroot_host_path(const sysroot *sr, const char *path)
{
        while (*path == '/')
                path++;
        if (streq(sr->path, "/"))
                return strdup_printf("/%s", path);
        return strdup_printf("%s/%s", sr->path, path);
}

bool sysroot_path_is_contained(const sysroot *sr, const char *path)
{
        _cleanup_free_ char *host = sysroot_host_path(sr, path);
        _cleanup_close_ int inside = -EBADF, outside = -EBADF;
        struct stat a, b;

        if (!host)
                return false;
        inside = sysroot_openat(sr, path, O_PATH);
        outside = open(host, O_PATH | O_CLOEXEC);
        if (inside < 0 || outside < 0)
                return false;
        if (fstat(inside, &a) < 0 || fstat(outside, &b) < 0)
                return false;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
