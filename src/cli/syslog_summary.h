/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One line per self-test, recovery or rollback in the system log (syslog(3):
 * journald or rsyslog pick it up), so that what the doctor did to a machine
 * can be found later without the doctor. Only for the running system
 * (--root /): a run against a mounted disk is not this machine's history.
 */

#include <stdbool.h>

/* mode: "selftest", "recover", "rollback"; the line is "<mode>: <text>". */
void syslog_summary(bool root_is_host, const char *mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
