/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * Which root a --demo action works on: the installed demo for reading,
 * its private copy (demo_copy.h) for writing. WRITE makes a fresh copy;
 * otherwise the existing copy is used, or the installed demo when
 * NEED_COPY is false and there is none. Says which on stderr. Returns 0 and
 * *ret, or an exit code (> 0) after an error message.
 */
int demo_root_for(const char *demo_root, const char *state_dir, bool write, bool need_copy, char **ret);
