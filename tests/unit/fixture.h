/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Scratch trees for the unit tests: a temporary directory, mkdir -p, files
 * with a mode, symlinks, and a recursive remove that never follows a
 * symlink. Paths are ROOT/REL (REL relative, or NULL/"" for ROOT itself).
 * Every helper asserts through cmocka: a fixture that cannot be made fails
 * the test that needed it, with the path and the error.
 */

#include <stddef.h>
#include <sys/types.h>

/*
 * Creates PARENT/rdna1-TAG-XXXXXX (mode 0700, as mkdtemp makes it); PARENT
 * NULL means $TMPDIR, else /tmp. Returns: the path, to free().
 */
char *fixture_tmpdir(const char *parent, const char *tag);

/* ROOT/REL as a new string, to free(). */
char *fixture_path(const char *root, const char *rel);

/* mkdir -p ROOT/REL: each missing directory with mode 0755 (less the umask); existing ones are fine. */
void fixture_mkdirs(const char *root, const char *rel);

/*
 * Writes ROOT/REL (LEN bytes of DATA), creating its parent directories;
 * an existing file is truncated, a symlink there is refused (never written
 * through). The file ends with exactly MODE (no umask).
 */
void fixture_write(const char *root, const char *rel, const void *data, size_t len, mode_t mode);

/* fixture_write() of a string, mode 0644. */
void fixture_put(const char *root, const char *rel, const char *text);

/* A symlink ROOT/REL -> TARGET, creating its parent directories. */
void fixture_symlink(const char *root, const char *rel, const char *target);

/*
 * rm -rf PATH on one file system: symlinks are removed, never followed;
 * directories a test left unreadable are made accessible first. NULL, ""
 * and a missing PATH are fine.
 */
void fixture_rmrf(const char *path);
