/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Drawing helpers over stdscr: clipped text (UTF-8 aware; any control
 * character is shown escaped, never sent to the terminal), boxes with the
 * terminal's line-drawing characters (ACS), progress bars, wrapped text.
 */

#include "app.h"

/* Draw at most maxw columns of s; returns the columns used. */
int draw_text(int y, int x, int maxw, const char *s, attr_t attr);
/* printf into a line, clipped. */
int draw_fmt(int y, int x, int maxw, attr_t attr, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Text that came from an inspected file, escaped once more (escaping is idempotent). */
int draw_untrusted(int y, int x, int maxw, const char *s, attr_t attr);
/* The same for a path: when it is too long, its start gives way to an ellipsis. */
int draw_untrusted_tail(int y, int x, int maxw, const char *s, attr_t attr);
/* Wrapped paragraph in r starting at line *y (advanced), with indent for follow-up lines. */
void draw_wrapped(rect r, int *y, int indent, const char *s, attr_t attr);
void draw_box(rect r, const char *title, attr_t title_attr);
void draw_bar(int y, int x, int w, double fraction, attr_t attr);
void draw_hline(int y, int x, int w);
