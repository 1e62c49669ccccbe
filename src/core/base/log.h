/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The front ends' one way to report a failed call on stderr (systemd's
 * log_error_errno, without the log levels): what was being done, then the
 * errno's text.
 */

#include "base/util.h"

/*
 * Print "rdna1-doctor: <fmt ...>: <strerror(-err)>.\n" to stderr.
 * err is a negative errno (a positive one is taken as its negative).
 * Returns: the negative errno, so that `return log_error_errno(r, ...);` works.
 */
int log_error_errno(int err, const char *fmt, ...) _printf_(2, 3);
