/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The TUI's keys: one table, from which both the key handling and the help
 * screen are made, so the two cannot disagree. Lookups are pure functions
 * (no curses state), tested by tests/unit/test-tui-keys.c.
 */

#include <stdbool.h>
#include <stddef.h>

typedef enum tui_action {
        ACT_NONE,
        ACT_QUIT,
        ACT_HELP,
        ACT_NEXT_SCREEN,
        ACT_PREV_SCREEN,
        ACT_SCREEN_1, /* ... ACT_SCREEN_1 + TUI_N_TABS - 1 */
        ACT_SCREEN_2,
        ACT_SCREEN_3,
        ACT_SCREEN_4,
        ACT_SCREEN_5,
        ACT_SCREEN_6,
        ACT_RESCAN,
        ACT_UP,
        ACT_DOWN,
        ACT_PAGE_UP,
        ACT_PAGE_DOWN,
        ACT_HOME,
        ACT_END,
        ACT_ENTER,
        ACT_BACK,
        ACT_START,   /* self-test: start a run */
        ACT_BACKEND, /* self-test: cpu <-> hip */
        ACT_SWEEP,   /* self-test: quick <-> standard */
        ACT_VALIDATE, /* profiles: --profile validate the selected one */
        ACT_INSTALL, /* profiles: install the selected one */
        ACT_FRAMEWORK, /* self-test: the framework probe (asks for the interpreter) */
        ACT_CANCEL,  /* self-test: stop the running one */
        ACT_REDRAW,
        _ACT_MAX,
} tui_action;

/* Where a binding applies; the help screen groups by it. */
typedef enum key_scope {
        SCOPE_GLOBAL,
        SCOPE_LISTS,
        SCOPE_SELFTEST,
        SCOPE_PROFILES,
        _SCOPE_MAX,
} key_scope;

#define KEY_BINDING_MAX_KEYS 4

typedef struct key_binding {
        int keys[KEY_BINDING_MAX_KEYS]; /* curses key codes, 0-terminated */
        const char *label;              /* how help shows the keys: "?  F1" */
        tui_action action;
        key_scope scope;
        const char *help;
} key_binding;

extern const key_binding tui_keys[];
extern const size_t tui_n_keys;

/* The action bound to a key code, ACT_NONE when none. */
tui_action tui_key_action(int key);
/* The first binding of an action (for hints in the status line), or NULL. */
const key_binding *tui_key_binding(tui_action a);
const char *key_scope_title(key_scope s);
