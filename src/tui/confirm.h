/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The typed confirmation before a recovery or a rollback: the user types
 * "yes" and Enter (Esc cancels). While it is open every key goes to it, so
 * q, digits and ? are just letters. Pure: tests/unit/test-tui-keys.c.
 */

#include <stdbool.h>
#include <stddef.h>

#define CONFIRM_WORD "yes"

typedef enum confirm_result {
        CONFIRM_TYPING,
        CONFIRM_ACCEPTED,
        CONFIRM_CANCELLED,
} confirm_result;

/* Feed one key (curses code) to buf (size bytes). */
confirm_result confirm_key(char *buf, size_t size, int ch);
/* A one-line text field: Enter accepts whatever is typed, Esc cancels (buf kept). */
confirm_result line_edit_key(char *buf, size_t size, int ch);
