/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The interactive view (rdna1-doctor(8), INTERACTIVE VIEW): `rdna1-doctor` on a terminal, and
 * `--demo` on a terminal. main.c decides; everything else is here.
 */

#include <stdbool.h>

#include "check/inspect.h"

typedef struct tui_options {
        inspect_options inspect; /* the strings stay valid while tui_run() runs */
        const char *datadir;
        const char *state_dir;   /* --state-dir or NULL (self-test records) */
        bool no_color;           /* --no-color; NO_COLOR is checked here too */
        bool demo;
        bool selftest_as_root;   /* --as-root: the self-test's helper runs as root */
} tui_options;

/* stdin and stdout are terminals and TERM is set and not "dumb". */
bool tui_wanted(void);

/*
 * Run the TUI until the user quits. Returns the --check exit code of the
 * last inspection (3 when there was none). On SIGTERM, SIGHUP or SIGINT the
 * terminal is restored and the signal re-raised.
 */
int tui_run(const tui_options *o);
