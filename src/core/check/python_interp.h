/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The torch a Python interpreter would import, found without running it
 * (for `exec --profile` and `--selftest --framework`, which start one).
 * The site directories follow Python's own order (site.py): a venv's
 * (the interpreter's bin/../pyvenv.cfg; the system's too when it says
 * include-system-site-packages = true), else the user's
 * ~/.local/lib/python3.X/site-packages, then the prefix's
 * local/lib/python3.X/dist-packages, lib/python3/dist-packages (Debian) and
 * lib/python3.X/site-packages (conda and upstream builds).
 */

#include "check/python_audit.h"

#define PYTHON_INTERP_SITES_MAX 32

/*
 * interp: the absolute path that will be run, as given (a venv's
 * bin/python3 is a symbolic link to the system's; following it would lose
 * the venv). home: the home of the user it runs as (NULL: no user site).
 * Returns 1 with *ret and *ret_site (malloc'd) for the first site whose
 * torch is a HIP build, 0 when the first torch found is none (or there is
 * no torch), -ENOMEM, or another negative errno (with *ret_site and
 * *ret_why set) when that torch's libtorch_hip.so cannot be read.
 */
int python_interpreter_torch(const sysroot *sr, const char *interp, const char *home_dir, ko_cache *cache,
                             torch_build *ret, char **ret_site, char **ret_why);
