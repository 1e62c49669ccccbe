/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The file primitives of the recovery: every change is made relative to a
 * directory fd opened through the sysroot (or beneath a home without
 * symlinks), to a temp file next to the original, with the original's
 * owner, mode, xattrs (ACLs included) and timestamps, fsynced, renamed
 * over it and the directory fsynced. Immutable and append-only files are
 * refused, never forced. None of these follow a symlink in the last
 * component.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "root/sysroot.h"

/* Content writer for fo_replace: write to fd, return 0 or < 0 errno. */
typedef int (*fo_writer)(int fd, void *userdata);

/*
 * The parent directory of path (absolute) opened O_RDONLY|O_DIRECTORY through
 * the root, and the last component (path_split(): -EINVAL for none, ".", "..").
 */
int fo_open_parent(const sysroot *sr, const char *path, int *ret_dirfd, char **ret_base);

/*
 * Same beneath a home directory: path must start with home + "/"; every
 * component is resolved with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS from the
 * home's fd (itself opened through the root).
 */
int fo_open_parent_in_home(const sysroot *sr, const char *home, const char *path, int *ret_dirfd, char **ret_base);

/* Is path beneath home (a trailing slash in the passwd entry does not count)? */
bool fo_path_in_home(const char *home, const char *path);

/*
 * The parent of path opened through the root without following any symlink
 * (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS): for a directory a user
 * owns, where a link would be the user's to point anywhere. -ELOOP on a
 * symlink, -ENOSYS without openat2 (refused rather than walked).
 */
int fo_open_parent_nofollow(const sysroot *sr, const char *path, int *ret_dirfd, char **ret_base);

/*
 * Which directory a step wrote into: recorded with the backup, compared
 * before a resume or a rollback writes there again (docs/SECURITY.md).
 */
typedef struct fo_dir_id {
        dev_t dev;
        ino_t ino;
        uid_t uid;
        bool known;             /* false: an old journal without the record */
} fo_dir_id;
int fo_dir_id_get(int dirfd, fo_dir_id *ret);
/* 0 when dirfd is that directory (or nothing was recorded), -ESTALE when not. */
int fo_dir_id_check(int dirfd, const fo_dir_id *want);

/* Open dirfd/base for reading: regular file, no symlink, no FIFO. */
int fo_open_regular(int dirfd, const char *base, struct stat *ret_st);

/* -EPERM when the file is immutable or append-only (FS_IOC_GETFLAGS); 0 otherwise. */
int fo_check_mutable(int fd);

/* MD5 (hex) and size of everything readable from fd at its current offset. */
int fo_hash_fd(int fd, char ret_md5[33], uint64_t *ret_size);
/* Same, reading at most max bytes: -EFBIG for more (a user's file that grows while it is read). */
int fo_hash_fd_max(int fd, uint64_t max, char ret_md5[33], uint64_t *ret_size);
/* MD5 of dirfd/base (regular, no symlink); -ENOENT when absent. */
int fo_hash_at(int dirfd, const char *base, char ret_md5[33]);

/* Metadata to give the new file. */
typedef struct fo_meta {
        mode_t mode;
        uid_t uid;
        gid_t gid;
        struct timespec atime, mtime;
        int xattr_from_fd;      /* copy xattrs (ACLs too) from this fd; < 0: none */
} fo_meta;

/*
 * Replace dirfd/base with what writer writes: temp ".BASE.rdna1-doctor-new",
 * meta applied, fsync, renameat, fsync(dirfd). A stale temp from a crash is
 * removed first. Fault points "temp-written" and "replaced".
 */
int fo_replace(int dirfd, const char *base, const fo_meta *meta, fo_writer writer, void *userdata);

/*
 * Put a journal's backup back at dirfd/base through fo_replace: the bytes
 * of backup_fd from its start, which must hash to expect_md5 (else -EBADMSG
 * and nothing is replaced), with meta (xattrs: the backup keeps the
 * original's, fo_copy_xattrs). The one restore of the executor's rollback,
 * the kernel transaction and the profile install.
 */
int fo_restore(int dirfd, const char *base, int backup_fd, const char *expect_md5, const fo_meta *meta);

/* dirfd/base as a symlink to target: temp link, rename, directory fsync; fault points as fo_replace. */
int fo_restore_link(int dirfd, const char *base, const char *target);

/* Copy every extended attribute (ACLs too) of from to to; 0 when from's file system has none. */
int fo_copy_xattrs(int from, int to);

/*
 * Move dirfd/base to dstdir/dstname: renameat, or on EXDEV copy (meta kept)
 * + fsync + verify md5 + unlink. expect_md5 is the file's hash (from the
 * journal's backup). Fault point "moved" after the move.
 */
int fo_move(int dirfd, const char *base, int dstdir, const char *dstname, const char *expect_md5);

/* Remove the temp file fo_replace/fo_move leave when they die before the rename (0 when none). */
int fo_remove_temp(int dirfd, const char *base);

/* mkdir -p of rel beneath dirfd with no symlinks; returns an fd on the last directory. */
int fo_mkdir_beneath(int dirfd, const char *rel, mode_t mode);

/*
 * Open rel beneath dirfd as a directory nobody else can change: dirfd and every
 * directory on the way must be real directories (no symlink, no "..") owned by
 * root or by us and writable by no other user; with create, the missing ones are
 * made with exactly mode (whatever the umask), owned by us (root:root when run by
 * root, as dpkg makes /var/cache). Returns an fd on the last directory; -ENOENT
 * for a missing one without create, -EPERM for one another user owns or can write,
 * -ELOOP or -ENOTDIR for a symlink or a non-directory.
 */
int fo_open_trusted_dir(int dirfd, const char *rel, mode_t mode, bool create);

/* A buffer writer for fo_replace. */
typedef struct fo_buffer {
        const char *data;
        size_t len;
} fo_buffer;
int fo_write_buffer(int fd, void *userdata);

/*
 * The doctor's own files (journal records, the textfile): buf to dirfd/name
 * by an O_EXCL temp + fsync + renameat + fsync(dirfd). Files of the
 * inspected system go through fo_replace/fo_restore instead.
 */
int write_file_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
int fsync_dirfd(int dirfd);
