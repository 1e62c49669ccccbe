/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "check/inspect.h"

typedef struct output_options {
        bool color;
        bool quiet;
        bool verbose;
} output_options;

/*
 * Render the inspection as the rdna1-doctor/1 JSON document (json-c).
 * Returns 0, or < 0 errno when the document could not be built; then
 * nothing has been written (never partial JSON).
 */
int output_json(FILE *f, const inspection *in, int exit_code);

/* Human-readable report, grouped by severity. */
int output_text(FILE *f, const inspection *in, int exit_code, const output_options *o);

/* Should colour be used on this stream (tty, NO_COLOR, TERM=dumb, --no-color)? */
bool output_want_color(FILE *f, bool no_color_flag);

/*
 * The package hooks' summary (--summary): verdict, counts, one line per
 * finding "SEVERITY ID [kernel=K]... [device=SLOT]", the probes that could
 * not run, the next step. Nothing read from a file but kernel and device
 * names (escaped, one word each).
 */
int output_summary(FILE *f, const inspection *in, int exit_code);
