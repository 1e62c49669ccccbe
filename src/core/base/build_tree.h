/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A program of this project run from its own meson build directory finds
 * the build's data and helper there, with no environment variable
 * (README "Building from the tree"). Only builds configured with
 * -Dtest_hooks=true (the default) know their build directory; the Debian
 * package is built with -Dtest_hooks=false and always uses the install
 * prefix. An installed copy (meson install) is another file than the
 * build's, so it never looks into the build directory either.
 */

/*
 * When the running executable is the build tree's BUILD_ROOT/REL_EXE (the
 * same file: device and inode), sets *ret_path to BUILD_ROOT/REL_TARGET
 * (malloc'd) and returns 0; -ENOENT when it is not (or the build has no
 * test hooks), -ENOMEM.
 */
int build_tree_path(const char *rel_exe, const char *rel_target, char **ret_path);
