/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Fault points, TEST ONLY. The crash-safety tests make the recovery die at
 * each named point in turn: RDNA1_DOCTOR_FAULT=NAME kills the process with
 * SIGKILL the first time it reaches NAME, NAME@N the N-th time.
 * NAME:ENOSPC (or :EIO) makes the point fail with that error instead;
 * NAME:STOP stops the process (SIGSTOP) there until the test, having acted
 * (swapped a file), sends SIGCONT.
 * `rdna1-doctor --list-fault-points` prints the names. Unset in normal use;
 * then a fault point costs one getenv(). Builds with -Dtest_hooks=false (the
 * Debian package) ignore the variable.
 */

/* Returns 0, or the injected -errno. Does not return when told to die. */
int fault_point(const char *name);

/* NULL-terminated list of every point's name, in the order a step meets them. */
extern const char *const fault_point_names[];
