/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where things go on the screen, as pure functions of its size (no curses
 * state), so every size from 80x24 up can be checked by a unit test
 * (tests/unit/test-tui-layout.c).
 */

#include <stdbool.h>
#include <stddef.h>

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24

typedef struct rect {
        int y, x, h, w;
} rect;

typedef struct tui_layout {
        bool too_small;  /* below 80x24: only a "make the window larger" line */
        rect tabs;       /* top line: the screens */
        rect body;       /* between */
        rect status;     /* bottom line: verdict, busy state, key hints */
} tui_layout;

tui_layout layout_compute(int rows, int cols);

/*
 * Tab labels on one line of width cols: fills x[i] and w[i] (label i is
 * drawn at x[i], w[i] cells wide, possibly shortened). Returns the number of
 * labels that fit (all of them from 80 columns on).
 */
size_t layout_tabs(int cols, const char *const *labels, size_t n, int *x, int *w);

/*
 * Overview: a verdict box on top, then one card per device. A card is
 * CARD_ROWS high; cards go side by side when two fit in the width, else
 * stacked. Returns the cards that fit in body (the rest is summarised).
 */
#define CARD_ROWS 7
#define CARD_MIN_COLS 70
#define SUMMARY_ROWS 4
size_t layout_cards(rect body, size_t n_devices, rect *ret, size_t max);
rect layout_summary(rect body);

/*
 * Findings: list and detail side by side when the body is wide enough
 * (>= SPLIT_MIN_COLS), else one at a time (the detail replaces the list).
 */
#define SPLIT_MIN_COLS 140
typedef struct split {
        bool side_by_side;
        rect list, detail;
} split;
split layout_split(rect body);

/* Filled cells of a progress bar of width w for fraction (clamped to 0..1). */
int layout_bar_fill(int w, double fraction);

/* First line to show so that sel is visible in a list of n lines with rows visible. */
int layout_scroll(int top, int sel, int n, int rows);

/*
 * Word wrap: the length in bytes of the first line of s that fits in width
 * columns (counting UTF-8 sequences as one column), breaking after a space
 * when one is there. *ret_next is where the next line starts (spaces
 * skipped). Never returns 0 for a non-empty s.
 */
size_t layout_wrap(const char *s, int width, size_t *ret_next);

/*
 * A path too long for width columns keeps its end, where the part that
 * tells paths apart is: returns the byte offset of the longest tail that
 * fits in width - 3 columns (the three left are for TAIL_MARK), or 0 when
 * all of s fits. Columns are counted as layout_wrap counts them. ASCII, so
 * that it shows in any locale and on TERM=linux.
 */
#define TAIL_MARK "..."
size_t layout_tail(const char *s, int width);

/* "42 s", "3 min 05 s", "1 h 02 min": an elapsed time in a few characters. */
void layout_duration(unsigned seconds, char *buf, size_t size);
