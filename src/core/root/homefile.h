/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Safe access to files in users' homes (docs/ARCHITECTURE.md). RESOLVE_IN_ROOT does not
 * help when ~/.bashrc -> /etc/shadow resolves inside the root, so files in a
 * home are opened relative to the home directory with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) (an O_NOFOLLOW walk where
 * openat2 is missing): no symlink is followed at all, nothing leaves the
 * home. Only regular files owned by the user or root are read, with
 * O_NONBLOCK|O_NOCTTY (a FIFO never blocks), size-capped.
 *
 * The directory walker is bounded in depth and entries, stays on one
 * filesystem, never follows symlinks, detects loops (bind mounts) by
 * device and inode, reports each unreadable directory once and records a
 * truncation; the Python audit uses it too, on system directories.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/report.h"
#include "base/util.h"
#include "root/sysroot.h"
#include "root/users.h"

#define HOME_READ_MAX_DEFAULT (1024u * 1024)
/* As a home's uid: files of any owner are read (system trees opened with home_open_fd). */
#define HOME_ANY_OWNER ((uid_t)-1)

typedef struct home {
        int fd;                 /* O_PATH|O_DIRECTORY on the home, opened through the sysroot */
        char *path;             /* as the inspected system sees it: "/home/alice" */
        uid_t uid;
        gid_t gid;
        dev_t dev;              /* the home's filesystem (walks stay on it) */
        bool no_openat2;        /* use the O_NOFOLLOW walk (openat2 missing, or forced by tests) */
} home;

/*
 * Open user's home through the root (the home path itself may contain
 * symlinks, resolved inside the root). The home must be a directory owned
 * by the user or by root. Returns 0, or < 0 errno: -ENOENT, -ENOTDIR,
 * -EPERM (owned by someone else), ...
 */
int home_open(const sysroot *sr, const root_user *user, home **ret);
/* Same for any directory fd of the root (system trees); takes ownership of fd. */
int home_open_fd(int fd, const char *path, uid_t uid, gid_t gid, home **ret);
home *home_free(home *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(home *, home_free);

/*
 * Open relpath beneath the home without following any symlink (a symlink
 * anywhere in relpath gives -ELOOP, ".." out of the home -EXDEV). flags are
 * open(2) flags; O_NOFOLLOW|O_CLOEXEC|O_NOCTTY are added.
 */
int home_openat(const home *h, const char *relpath, int flags);

/*
 * Open a regular file beneath the home for reading: -ELOOP for a symlink,
 * -EINVAL for a FIFO, socket or device (never opened for real), -EISDIR,
 * -EPERM when owned by neither the user nor root. *ret_st (may be NULL)
 * gets the file's stat. Returns the fd.
 */
int home_open_regular(const home *h, const char *relpath, struct stat *ret_st);

/* The same checks for a name inside a directory fd the walker gave (owner: uid or root). */
int open_regular_at(int dirfd, const char *name, uid_t uid, struct stat *ret_st);

/* Read a whole regular file beneath the home (max 0 = HOME_READ_MAX_DEFAULT; -EFBIG above). */
int home_read_file(const home *h, const char *relpath, size_t max, char **ret, size_t *ret_len);

/* "/home/alice" + "/" + relpath, as the inspected system sees it. NULL on ENOMEM. */
char *home_path(const home *h, const char *relpath);

/* ---- bounded directory walk ---- */

typedef struct walk_limits {
        unsigned max_depth;     /* 0 = only the start directory's entries */
        size_t max_entries;     /* entries looked at, in all; 0 = 100000 */
        bool cross_fs;          /* false: stay on the start's filesystem */
} walk_limits;

typedef struct walk_stats {
        size_t entries;         /* directory entries looked at */
        size_t dirs;            /* directories read */
        size_t unreadable;      /* directories that could not be read (reported once each) */
        size_t loops;           /* directories skipped as already visited (same dev/ino) */
        size_t other_fs;        /* directories skipped as being on another filesystem */
        size_t too_deep;        /* directories not entered for max_depth */
        bool truncated;         /* stopped at max_entries */
} walk_stats;

typedef enum walk_action {
        WALK_CONTINUE,          /* go on (descend when it is a directory) */
        WALK_SKIP,              /* do not descend into this directory */
        WALK_STOP,              /* end the walk */
} walk_action;

/*
 * Called for each entry (not "." and ".."), lstat'ed, symlinks included
 * but never followed. dirfd is the entry's directory (valid during the
 * call), relpath is relative to the walk's start ("a/b/name"), depth 0 for
 * the start's own entries. Return a walk_action, or < 0 errno to abort.
 */
typedef int (*walk_cb)(int dirfd, const char *name, const char *relpath, const struct stat *st,
                       unsigned depth, void *userdata);

/*
 * Walk relstart beneath h ("" or "." for the home itself), depth first,
 * entries of a directory in name order. Unreadable directories (once each)
 * and loops are added to r (may be NULL) as reasons of probe `probe` that
 * do not matter; a truncation becomes a note ("PROBE: PATH stopped after N
 * entries (limit)..."), which the JSON document shows. Paths are as the
 * system sees them.
 * Returns 0 (also when truncated: see *ret_stats), -ENOENT/-ENOTDIR/-ELOOP
 * for a bad start, or the callback's < 0.
 */
int home_walk(const home *h, const char *relstart, const walk_limits *lim, walk_cb cb,
              void *userdata, report *r, const char *probe, walk_stats *ret_stats);
