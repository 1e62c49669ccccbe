/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * torch/version.py, read as text (never run): the generated file a PyTorch
 * build writes, with lines such as
 *   __version__ = '2.2.2+rocm5.7'
 *   hip: Optional[str] = '5.7.31921-d1770ee1b'
 * ("hip = None" or no hip line in CUDA and CPU builds).
 */

#include <stddef.h>

/*
 * Parse text[0..len). *ret_version and *ret_hip get malloc'd strings, or
 * NULL when the line is absent or None. Returns 0 or -ENOMEM; both outputs
 * are set only on success.
 */
int torch_version_parse(const char *text, size_t len, char **ret_version, char **ret_hip);
