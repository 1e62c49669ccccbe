/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Before `exec --profile` or `--selftest --framework` starts a Python
 * interpreter: when the environment it gets sets no HSA_OVERRIDE_GFX_VERSION
 * (the GPU runs as its own target) and the torch that interpreter imports
 * carries no GPU code for an RDNA1 target of gfx[], a warning on stderr
 * says so (python.no-native-code, rdna1-doctor(8)). Nothing is refused or
 * run: the torch is found and read as files (check/python_interp.h).
 *
 * cmd: the command as given ("python3", "/home/u/venv/bin/python");
 * looked up in envp's PATH like exec does. Returns the number of warnings.
 */

#include <stddef.h>

int torch_native_warn(const char *cmd, char *const *envp, const char *const *gfx, size_t n_gfx,
                      const char *profile_name);

/* cmd as an absolute path that is not resolved through symbolic links (a venv's bin/python3 is one); NULL if not found. */
char *torch_warn_resolve(const char *cmd, char *const *envp);
