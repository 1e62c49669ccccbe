/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * One screen of the TUI: a table of small operations, one file each
 * (screen_*.c). The main loop calls draw() for the current screen with the
 * body rectangle, key() with each key's action (and the raw key), resize()
 * after the terminal changed size, enter()/leave() when switching.
 */

#include <stdbool.h>

#include "app.h"

typedef struct screen_ops {
        screen_id id;
        const char *tab;    /* tab label: "1 Overview" */
        void (*enter)(tui_app *a);
        void (*leave)(tui_app *a);
        void (*draw)(tui_app *a, rect body);
        bool (*key)(tui_app *a, tui_action act, int ch, rect body); /* true: handled */
        void (*resize)(tui_app *a, rect body);
} screen_ops;

extern const screen_ops screen_overview;
extern const screen_ops screen_findings;
extern const screen_ops screen_recovery;
extern const screen_ops screen_profiles;
extern const screen_ops screen_selftest;
extern const screen_ops screen_history;
extern const screen_ops screen_help;

const screen_ops *screen_get(screen_id id);
