/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The root of the inspected system. Every system path the doctor reads is
 * opened through one of these, never with a plain open(): symlinks are
 * resolved as if the root were "/" (openat2 RESOLVE_IN_ROOT), magic links
 * are refused, reads are size-capped and take regular files only.
 *
 * Paths given to these functions are absolute paths as the inspected
 * system sees them ("/usr/src/amdgpu-1.0/dkms.conf"), never prefixed with
 * the root directory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/util.h"

#define SYSROOT_READ_MAX_DEFAULT (4u * 1024 * 1024)

typedef struct sysroot {
        int dirfd;          /* O_PATH|O_DIRECTORY on the root */
        char *path;         /* as given (canonical), e.g. "/" or "/tmp/fix" */
        bool is_host;       /* the root is the running system's "/" */
        bool no_openat2;    /* openat2 unavailable: component walk fallback */
} sysroot;

/*
 * Open the root directory. Returns 0, or < 0 errno (-ENOENT when missing,
 * -ENOTDIR when not a directory).
 */
int sysroot_open(const char *path, sysroot **ret);
sysroot *sysroot_free(sysroot *sr);
DEFINE_TRIVIAL_CLEANUP_FUNC(sysroot *, sysroot_free);

/* Force the O_NOFOLLOW component-walk fallback (tests). */
void sysroot_set_no_openat2(sysroot *sr, bool v);

/*
 * Open path inside the root. flags are open(2) flags (O_RDONLY, O_PATH,
 * O_DIRECTORY, ...). O_NOCTTY|O_CLOEXEC are always added.
 * Returns an fd >= 0, or < 0 errno: -ENOENT, -ELOOP (symlink loop or magic
 * link), -EACCES, -EXDEV (escape attempt the kernel refused), ...
 */
int sysroot_openat(const sysroot *sr, const char *path, int flags);

/* Same, relative to an fd already opened through this root. */
int sysroot_openat_fd(const sysroot *sr, int dirfd, const char *relpath, int flags);

/*
 * openat2(2) with how, again while the kernel answers EAGAIN (at most 32
 * tries). For the openers here and in homefile.c, which fall back to a
 * component walk where this gives -ENOSYS (no openat2) or -EAGAIN.
 * Returns: an fd >= 0, or < 0 errno.
 */
struct open_how;
int openat2_retry(int dirfd, const char *path, const struct open_how *how);

/*
 * Canonical form of path as the inspected system sees it: every symlink
 * resolved inside the root (absolute targets restart at the root, ".."
 * stops there). Once a component is missing the rest is appended
 * lexically, so a dangling link still names its target; *ret_exists tells
 * which. Returns 0, -ELOOP, -EACCES, -ENOMEM, ...
 */
int sysroot_chase(const sysroot *sr, const char *path, char **ret, bool *ret_exists);

/* stat() through the root (follows symlinks inside the root). */
int sysroot_stat(const sysroot *sr, const char *path, struct stat *ret);
/* lstat() through the root: the last component is not followed. */
int sysroot_lstat(const sysroot *sr, const char *path, struct stat *ret);

/*
 * Read a whole regular file, at most max bytes (0 = SYSROOT_READ_MAX_DEFAULT).
 * Opens O_NONBLOCK so a FIFO never blocks; refuses anything that is not a
 * regular file with -EINVAL (FIFO, socket, device) or -EISDIR.
 * A file larger than max gives -EFBIG. The buffer is NUL-terminated
 * (*ret_len excludes the NUL) and may contain NUL bytes.
 */
int sysroot_read_file(const sysroot *sr, const char *path, size_t max,
                      char **ret, size_t *ret_len);

/*
 * Open a regular file for reading (O_RDONLY|O_NONBLOCK), checked with an
 * O_PATH probe first: -EINVAL for FIFOs, sockets and devices, -EISDIR.
 */
int sysroot_open_regular(const sysroot *sr, const char *path);

/* Same on an fd opened with sysroot_openat (takes no ownership). */
int read_fd_capped(int fd, size_t max, char **ret, size_t *ret_len);

/*
 * Read a file of at most a few KiB and strip trailing whitespace; for sysfs
 * and procfs attributes ("0x1002\n").
 */
int sysroot_read_line(const sysroot *sr, const char *path, char **ret);

/* readlink() of path's last component inside the root (NUL-terminated). */
int sysroot_readlink(const sysroot *sr, const char *path, char **ret);

/* Does path exist (without following the last symlink)? */
bool sysroot_exists(const sysroot *sr, const char *path);

/*
 * List a directory's entry names (no "." and ".."), sorted, at most
 * max_entries (0 = 65536). When truncated, *ret_truncated is set (may be
 * NULL). The list is a NULL-terminated array; free with strv_free_array().
 */
int sysroot_list_dir(const sysroot *sr, const char *path, size_t max_entries,
                     char ***ret, size_t *ret_n, bool *ret_truncated);
void strv_free_array(char **a);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free_array);

/* The same for a directory fd already open (O_DIRECTORY); takes ownership of fd. */
int list_dir_fd(int fd, size_t max_entries, char ***ret, size_t *ret_n, bool *ret_truncated);

/*
 * Join the root's path and an inspected-system path, for tools that need a
 * host path (libpci sysfs.path, libkmod dirname). Returns NULL on ENOMEM.
 */
char *sysroot_host_path(const sysroot *sr, const char *path);

/*
 * True when path, resolved the ordinary way from the host, lands on the same
 * inode as when resolved inside the root: no symlink in it leaves the root.
 * Used before handing a path to a library that opens it directly.
 */
bool sysroot_path_is_contained(const sysroot *sr, const char *path);
