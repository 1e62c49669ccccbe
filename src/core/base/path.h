/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Splitting a path into the directory that holds it and its name. */

/*
 * "/etc/profile.d/x.sh" → "/etc/profile.d" and "x.sh"; "/x" → "/" and "x";
 * "a/b" → "a" and "b". Both are new strings.
 * Returns: -EINVAL when path has no '/' or its last component is empty,
 * "." or ".." (it names no entry of a directory), -ENOMEM, else 0.
 */
int path_split(const char *path, char **ret_dir, char **ret_base);
