/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How a file step reaches its file: the one way the planner (to record
 * what it saw) and the executor (to change it) open a step's directory.
 */

#include <stdbool.h>
#include <sys/stat.h>

#include "recover/plan.h"
#include "root/sysroot.h"
#include "root/userdrop.h"

/*
 * The most of a user's file root hashes or copies into the journal:
 * start-up files and .pth files are a few KiB; a user can grow one (sparse,
 * costing no quota) after planning to fill /var (docs/SECURITY.md, 5).
 */
#define USER_FILE_MAX (16u * 1024 * 1024)

/*
 * The parent of path for step a: beneath the owner's home (user: the
 * loaded owner) without following links; a user's file elsewhere through
 * the root without following any symlink (the user's to point anywhere); a
 * system file (user NULL) through the root.
 */
int step_open_parent(const sysroot *sr, const plan_action *a, const user_ids *user, const char *path,
                     int *ret_dirfd, char **ret_base);

/* Is st the file a->planned recorded (always, when nothing was recorded)? */
bool step_file_is_planned(const plan_action *a, const struct stat *st);
