/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "check/inspect.h"

typedef struct bundle_cli {
        const char *path;       /* --bundle FILE */
        bool safe_mode;         /* --safe-mode: no probe that touches the GPU */
        bool dry_run;           /* --dry-run: collect and list the members; write nothing */
        bool quiet;
} bundle_cli;

/*
 * --bundle: inspect (io), collect the listed sources, mask them and write
 * the .tar.xz. Returns 0 written, 73 (EX_CANTCREAT) when FILE cannot be
 * created (it exists, or the directory is not writable for the invoking
 * user), 3 when nothing could be inspected. With dry_run nothing is
 * written: the members are listed, and an existing FILE is 73 as it would be.
 */
int bundle_run_cli(const bundle_cli *c, const inspect_options *io);
