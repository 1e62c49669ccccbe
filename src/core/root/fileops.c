/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crash-safe file primitives of the recovery (fileops.h).
 */

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "base/fault.h"
#include "base/md5io.h"
#include "base/path.h"
#include "base/util.h"
#include "root/fileops.h"

int fo_open_parent(const sysroot *sr, const char *path, int *ret_dirfd, char **ret_base)
{
        _cleanup_free_ char *parent = NULL, *base = NULL;
        int fd, r;

        if (!path || path[0] != '/')
                return -EINVAL;
        r = path_split(path, &parent, &base);
        if (r < 0)
                return r;
        fd = sysroot_openat(sr, parent, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        *ret_dirfd = fd;
        *ret_base = TAKE_PTR(base);
        return 0;
}

static int openat2_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        do
                fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        return fd < 0 ? -errno : fd;
}

/* parent beneath home ("/home/bob/" written with a trailing slash too); *ret_rel points into parent. */
static int path_in_home(const char *home, const char *parent, const char **ret_rel)
{
        size_t n = strlen(home);
        const char *rel;

        while (n > 1 && home[n - 1] == '/')
                n--;
        if (n <= 1 || strncmp(parent, home, n) != 0)
                return -EXDEV;
        rel = parent + n;
        if (*rel && *rel != '/')
                return -EXDEV;
        *ret_rel = rel;
        return 0;
}

bool fo_path_in_home(const char *home, const char *path)
{
        const char *rel;

        return home && path && path_in_home(home, path, &rel) >= 0 && *rel == '/';
}

int fo_open_parent_nofollow(const sysroot *sr, const char *path, int *ret_dirfd, char **ret_base)
{
        _cleanup_free_ char *parent = NULL, *base = NULL;
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd, r;

        r = path_split(path, &parent, &base);
        if (r < 0)
                return r;
        fd = openat2_retry(sr->dirfd, parent, &how);
        if (fd < 0)
                return fd; /* -ENOSYS too: no way to open it without following links, so not at all */
        *ret_dirfd = fd;
        *ret_base = TAKE_PTR(base);
        return 0;
}

int fo_dir_id_get(int dirfd, fo_dir_id *ret)
{
        struct stat st;

        if (fstat(dirfd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        *ret = (fo_dir_id){.dev = st.st_dev, .ino = st.st_ino, .uid = st.st_uid, .known = true};
        return 0;
}

int fo_dir_id_check(int dirfd, const fo_dir_id *want)
{
        fo_dir_id cur;
        int r;

        if (!want->known)
                return 0;
        r = fo_dir_id_get(dirfd, &cur);
        if (r < 0)
                return r;
        return cur.dev == want->dev && cur.ino == want->ino && cur.uid == want->uid ? 0 : -ESTALE;
}

int fo_open_parent_in_home(const sysroot *sr, const char *home, const char *path, int *ret_dirfd, char **ret_base)
{
        _cleanup_free_ char *parent = NULL, *base = NULL;
        _cleanup_close_ int hfd = -EBADF;
        const char *rel;
        int fd, r;

        if (!path || path[0] != '/')
                return -EINVAL;
        r = path_split(path, &parent, &base);
        if (r < 0)
                return r;
        r = path_in_home(home, parent, &rel);
        if (r < 0)
                return r;
        while (*rel == '/')
                rel++;
        hfd = sysroot_openat(sr, home, O_RDONLY | O_DIRECTORY);
        if (hfd < 0)
                return hfd;
        fd = openat2_beneath(hfd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        *ret_dirfd = fd;
        *ret_base = TAKE_PTR(base);
        return 0;
}

int fo_open_regular(int dirfd, const char *base, struct stat *ret_st)
{
        struct stat st;
        int fd;

        if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        if (ret_st)
                *ret_st = st;
        return fd;
}

int fo_check_mutable(int fd)
{
        int flags = 0;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return 0; /* tmpfs & co. have no such flags: nothing can make it immutable */
        return flags & (FS_IMMUTABLE_FL | FS_APPEND_FL) ? -EPERM : 0;
}

int fo_hash_fd(int fd, char ret_md5[33], uint64_t *ret_size)
{
        return md5_copy_fd(fd, -1, ret_md5, ret_size);
}

int fo_hash_fd_max(int fd, uint64_t max, char ret_md5[33], uint64_t *ret_size)
{
        return md5_copy_fd_max(fd, -1, max, ret_md5, ret_size);
}

int fo_hash_at(int dirfd, const char *base, char ret_md5[33])
{
        _cleanup_close_ int fd = fo_open_regular(dirfd, base, NULL);

        if (fd < 0)
                return fd;
        return fo_hash_fd(fd, ret_md5, NULL);
}

int fo_copy_xattrs(int from, int to)
{
        _cleanup_free_ char *names = NULL;
        ssize_t len = flistxattr(from, NULL, 0);

        if (len < 0)
                return errno == ENOTSUP ? 0 : -errno;
        if (len == 0)
                return 0;
        names = malloc((size_t)len);
        if (!names)
                return -ENOMEM;
        len = flistxattr(from, names, (size_t)len);
        if (len < 0)
                return -errno;
        for (char *n = names; n < names + len; n += strlen(n) + 1) {
                _cleanup_free_ char *val = NULL;
                ssize_t vl = fgetxattr(from, n, NULL, 0);

                if (vl < 0)
                        return -errno;
                val = malloc(vl ? (size_t)vl : 1);
                if (!val)
                        return -ENOMEM;
                vl = fgetxattr(from, n, val, (size_t)vl);
                if (vl < 0)
                        return -errno;
                if (fsetxattr(to, n, val, (size_t)vl, 0) < 0)
                        return -errno;
        }
        return 0;
}

static int apply_meta(int fd, const fo_meta *m)
{
        struct timespec ts[2] = {m->atime, m->mtime};
        int r;

        /* owner first: chown clears set-id bits that fchmod then sets */
        if (fchown(fd, m->uid, m->gid) < 0)
                return -errno;
        if (fchmod(fd, m->mode & 07777) < 0)
                return -errno;
        if (m->xattr_from_fd >= 0) {
                r = fo_copy_xattrs(m->xattr_from_fd, fd);
                if (r < 0)
                        return r;
        }
        if (futimens(fd, ts) < 0)
                return -errno;
        return 0;
}

static char *temp_name(const char *base)
{
        return strdup_printf(".%s.rdna1-doctor-new", base);
}

int fo_replace(int dirfd, const char *base, const fo_meta *meta, fo_writer writer, void *userdata)
{
        _cleanup_free_ char *tmp = temp_name(base);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!tmp)
                return -ENOMEM;
        if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = writer(fd, userdata);
        if (r >= 0)
                r = apply_meta(fd, meta);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0)
                r = fault_point("temp-written");
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        if (renameat(dirfd, tmp, dirfd, base) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        r = fsync_dirfd(dirfd);
        if (r < 0)
                return r;
        return fault_point("replaced");
}

typedef struct restore_writer {
        int from;
        const char *md5;
} restore_writer;

static int write_restore(int fd, void *userdata)
{
        const restore_writer *w = userdata;
        char md5[33];
        int r;

        if (lseek(w->from, 0, SEEK_SET) < 0)
                return -errno;
        r = md5_copy_fd(w->from, fd, md5, NULL);
        if (r < 0)
                return r;
        return w->md5 && !streq(md5, w->md5) ? -EBADMSG : 0; /* a backup that does not hash to its record */
}

int fo_restore(int dirfd, const char *base, int backup_fd, const char *expect_md5, const fo_meta *meta)
{
        restore_writer w = {.from = backup_fd, .md5 = expect_md5};

        return fo_replace(dirfd, base, meta, write_restore, &w);
}

int fo_restore_link(int dirfd, const char *base, const char *target)
{
        _cleanup_free_ char *tmp = temp_name(base);
        int r;

        if (!tmp)
                return -ENOMEM;
        if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
                return -errno;
        if (symlinkat(target, dirfd, tmp) < 0)
                return -errno;
        r = fault_point("temp-written");
        if (r >= 0 && renameat(dirfd, tmp, dirfd, base) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        r = fsync_dirfd(dirfd);
        return r < 0 ? r : fault_point("replaced");
}

int fo_move(int dirfd, const char *base, int dstdir, const char *dstname, const char *expect_md5)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        struct stat st;
        char md5[33];
        int r;

        if (renameat(dirfd, base, dstdir, dstname) == 0) {
                r = fsync_dirfd(dstdir);
                if (r >= 0)
                        r = fsync_dirfd(dirfd);
                return r < 0 ? r : fault_point("moved");
        }
        if (errno != EXDEV)
                return -errno;
        /* another filesystem: copy, keep metadata, fsync, verify, then unlink */
        in = fo_open_regular(dirfd, base, &st);
        if (in < 0)
                return in;
        tmp = temp_name(dstname);
        if (!tmp)
                return -ENOMEM;
        unlinkat(dstdir, tmp, 0);
        out = openat(dstdir, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        {
                uint8_t buf[65536];
                ssize_t n;

                while ((n = read(in, buf, sizeof(buf))) > 0) {
                        fo_buffer b = {(const char *)buf, (size_t)n};

                        r = fo_write_buffer(out, &b);
                        if (r < 0)
                                goto fail;
                }
                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        r = apply_meta(out, &(fo_meta){.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
                                       .atime = st.st_atim, .mtime = st.st_mtim, .xattr_from_fd = in});
        if (r >= 0 && fsync(out) < 0)
                r = -errno;
        if (r < 0)
                goto fail;
        if (lseek(out, 0, SEEK_SET) < 0 || (r = fo_hash_fd(out, md5, NULL)) < 0) {
                r = r < 0 ? r : -errno;
                goto fail;
        }
        if (expect_md5 && !streq(md5, expect_md5)) {
                r = -EIO;
                goto fail;
        }
        if (renameat(dstdir, tmp, dstdir, dstname) < 0) {
                r = -errno;
                goto fail;
        }
        r = fsync_dirfd(dstdir);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, base, 0) < 0)
                return -errno;
        r = fsync_dirfd(dirfd);
        return r < 0 ? r : fault_point("moved");
fail:
        unlinkat(dstdir, tmp, 0);
        return r;
}

int fo_remove_temp(int dirfd, const char *base)
{
        _cleanup_free_ char *tmp = temp_name(base);
        struct stat st;

        if (!tmp)
                return -ENOMEM;
        if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISREG(st.st_mode))
                return -EEXIST; /* not ours */
        if (unlinkat(dirfd, tmp, 0) < 0)
                return -errno;
        return fsync_dirfd(dirfd);
}

int fo_mkdir_beneath(int dirfd, const char *rel, mode_t mode)
{
        _cleanup_free_ char *copy = strdup(rel);
        _cleanup_close_ int cur = -EBADF;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        cur = openat2_beneath(dirfd, ".", O_RDONLY | O_DIRECTORY, 0);
        if (cur < 0)
                return cur;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (streq(c, ".") || streq(c, ".."))
                        return -EINVAL;
                if (mkdirat(cur, c, mode) < 0 && errno != EEXIST)
                        return -errno;
                next = openat2_beneath(cur, c, O_RDONLY | O_DIRECTORY, 0);
                if (next < 0)
                        return next;
                close(cur);
                cur = next;
        }
        return TAKE_FD(cur);
}

/* A directory that only root or we can change (fo_open_trusted_dir). */
static int check_trusted_dir(int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022))
                return -EPERM;
        return 0;
}

int fo_open_trusted_dir(int dirfd, const char *rel, mode_t mode, bool create)
{
        _cleanup_free_ char *copy = strdup(rel);
        _cleanup_close_ int cur = -EBADF;
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        cur = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return -errno;
        r = check_trusted_dir(cur);
        if (r < 0)
                return r;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                bool made = false;
                int next;

                if (streq(c, ".") || streq(c, ".."))
                        return -EINVAL;
                if (create) {
                        if (mkdirat(cur, c, mode) == 0)
                                made = true;
                        else if (errno != EEXIST)
                                return -errno;
                }
                next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno; /* a symlink: -ELOOP or -ENOTDIR */
                close(cur);
                cur = next;
                /* Ours alone from mkdir to here: the parent is writable by no one else. */
                if (made && ((geteuid() == 0 && fchown(cur, 0, 0) < 0) || fchmod(cur, mode) < 0))
                        return -errno;
                r = check_trusted_dir(cur);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(cur);
}

int fo_write_buffer(int fd, void *userdata)
{
        const fo_buffer *b = userdata;

        return loop_write(fd, b->data, b->len);
}

int fsync_dirfd(int dirfd)
{
        return fsync(dirfd) < 0 ? -errno : 0;
}

int write_file_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
        _cleanup_free_ char *tmp = strdup_printf(".%s.tmp", name);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!tmp)
                return -ENOMEM;
        /* A stale temp file (a crash, or planted by someone who may write here) is removed, never reused. */
        if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        /* The mode asked for, not the one the umask leaves (a textfile must be readable by node_exporter). */
        r = fchmod(fd, mode) < 0 ? -errno : loop_write(fd, buf, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return fsync_dirfd(dirfd);
}
