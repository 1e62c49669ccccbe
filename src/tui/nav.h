/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the screen-independent keys do, as pure functions over small state
 * structs (tests/unit/test-tui-keys.c drives them without a terminal).
 */

#include <stdbool.h>

#include "keys.h"

/* The screens, in tab order; SCREEN_HELP is reached with ?/F1 only. */
typedef enum screen_id {
        SCREEN_OVERVIEW,
        SCREEN_FINDINGS,
        SCREEN_RECOVERY,
        SCREEN_PROFILES,
        SCREEN_SELFTEST,
        SCREEN_HISTORY,
        SCREEN_HELP,
        _SCREEN_MAX,
} screen_id;

#define TUI_N_TABS SCREEN_HELP

typedef struct nav_state {
        screen_id current;
        screen_id before_help; /* where Esc on the help screen returns */
        bool quit;
        bool rescan;           /* the caller starts a rescan and clears this */
        bool redraw;
} nav_state;

/*
 * Apply a global action. Returns true when it was one (the state changed
 * or a request flag is set), false when the screen should handle it.
 */
bool nav_apply(nav_state *n, tui_action a);

typedef struct list_state {
        int sel;   /* selected line, 0..n-1 (0 when empty) */
        int top;   /* first visible line */
} list_state;

/* Move a selection over n lines with rows visible; returns whether it was a list action. */
bool list_apply(list_state *l, tui_action a, int n, int rows);
