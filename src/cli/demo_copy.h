/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The private copy of the demo root that --demo's write actions (--recover,
 * --profile install) and their --rollback/--history work on: the installed
 * demo under /usr/share stays read-only. The copy lives in DIR/root, DIR
 * (mode 0700, ours) being
 *   STATE_DIR/demo                          with --state-dir,
 *   /var/lib/rdna1-doctor/demo              as root,
 *   $XDG_STATE_HOME/rdna1-doctor/demo       as a user (~/.local/state),
 * never under /tmp. Copied by cp -a: symlinks stay links (the demo's
 * absolute links mean its own root), modes, times and, as root, owners kept.
 */

/* DIR/root, whether or not it exists yet. */
int demo_copy_path(const char *state_dir, char **ret);

/* A fresh copy of DEMO_ROOT (an old one is removed first): its path. */
int demo_copy_make(const char *demo_root, const char *state_dir, char **ret);

/* The existing copy's path, -ENOENT when none was made yet. */
int demo_copy_existing(const char *state_dir, char **ret);
