/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TUI's layout as pure functions, over every size from 80x24 to 200x60 and some beyond. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "layout.h"

static const char *const tabs[] = {"1 Overview", "2 Findings", "3 Recovery", "4 Profiles",
                                   "5 Self-test", "6 History", "? Help"};
#define N_TABS (sizeof(tabs) / sizeof(tabs[0]))

static bool inside(rect in, rect outer)
{
        return in.y >= outer.y && in.x >= outer.x && in.h >= 0 && in.w >= 0 && in.y + in.h <= outer.y + outer.h &&
               in.x + in.w <= outer.x + outer.w;
}

static bool overlap(rect a, rect b)
{
        return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void check_size(int rows, int cols)
{
        rect screen = {0, 0, rows, cols}, cards[16];
        tui_layout l = layout_compute(rows, cols);
        int x[N_TABS], w[N_TABS];
        size_t fit;

        assert_false(l.too_small);
        assert_true(inside(l.tabs, screen));
        assert_true(inside(l.body, screen));
        assert_true(inside(l.status, screen));
        assert_false(overlap(l.tabs, l.body));
        assert_false(overlap(l.status, l.body));
        assert_int_equal(l.tabs.h + l.body.h + l.status.h, rows);
        assert_int_equal(l.status.y, rows - 1);

        /* every tab fits whole, in order, without touching the next */
        fit = layout_tabs(cols, tabs, N_TABS, x, w);
        assert_int_equal(fit, N_TABS);
        for (size_t i = 0; i < N_TABS; i++) {
                assert_int_equal(w[i], (int)strlen(tabs[i]));
                assert_true(x[i] + w[i] <= cols);
                if (i)
                        assert_true(x[i] > x[i - 1] + w[i - 1]);
        }

        /* the verdict box and the cards stay in the body and apart */
        for (size_t n = 0; n <= 6; n++) {
                size_t shown = layout_cards(l.body, n, cards, 16);
                rect sum = layout_summary(l.body);

                assert_true(inside(sum, l.body));
                assert_true(shown <= n);
                if (n > 0)
                        assert_true(shown >= (n > 1 ? 2u : 1u)); /* from 80x24 on, two GPUs always show */
                for (size_t i = 0; i < shown; i++) {
                        assert_true(inside(cards[i], l.body));
                        assert_true(cards[i].w >= TUI_MIN_COLS - 10 || cards[i].w >= CARD_MIN_COLS);
                        assert_false(overlap(cards[i], sum));
                        for (size_t j = 0; j < i; j++)
                                assert_false(overlap(cards[i], cards[j]));
                }
        }

        /* findings: list and detail inside the body; side by side only when wide */
        {
                split s = layout_split(l.body);

                assert_true(inside(s.list, l.body));
                assert_true(inside(s.detail, l.body));
                assert_int_equal(s.side_by_side, cols >= SPLIT_MIN_COLS);
                if (s.side_by_side) {
                        assert_false(overlap(s.list, s.detail));
                        assert_true(s.list.w >= 50 && s.detail.w >= 80);
                }
        }
}

static void test_all_sizes(void **state)
{
        for (int rows = 24; rows <= 60; rows++)
                for (int cols = 80; cols <= 200; cols++)
                        check_size(rows, cols);
        check_size(24, 500);
        check_size(300, 80);
}

static void test_too_small(void **state)
{
        assert_true(layout_compute(23, 80).too_small);
        assert_true(layout_compute(24, 79).too_small);
        assert_true(layout_compute(0, 0).too_small);
        assert_true(layout_compute(-1, -1).too_small);
        assert_false(layout_compute(24, 80).too_small);
}

static void test_tabs_narrow(void **state)
{
        int x[N_TABS], w[N_TABS];

        /* below 80 columns labels shrink but stay inside and apart */
        for (int cols = 79; cols >= 1; cols--) {
                size_t fit = layout_tabs(cols, tabs, N_TABS, x, w);
                for (size_t i = 0; i < fit; i++) {
                        assert_true(w[i] >= 1);
                        assert_true(x[i] + w[i] <= cols);
                        if (i)
                                assert_true(x[i] > x[i - 1] + w[i - 1] - 1);
                }
        }
}

static void test_bar(void **state)
{
        assert_int_equal(layout_bar_fill(10, 0), 0);
        assert_int_equal(layout_bar_fill(10, 0.5), 5);
        assert_int_equal(layout_bar_fill(10, 1), 10);
        assert_int_equal(layout_bar_fill(10, 7), 10);
        assert_int_equal(layout_bar_fill(10, -1), 0);
        assert_int_equal(layout_bar_fill(10, 0.0 / 0.0), 0);
        assert_int_equal(layout_bar_fill(0, 0.5), 0);
        for (int w = 1; w < 100; w++)
                for (int p = 0; p <= 100; p++) {
                        int f = layout_bar_fill(w, p / 100.0);
                        assert_true(f >= 0 && f <= w);
                }
}

static void test_scroll(void **state)
{
        assert_int_equal(layout_scroll(0, 0, 0, 10), 0);
        assert_int_equal(layout_scroll(0, 5, 100, 10), 0);
        assert_int_equal(layout_scroll(0, 15, 100, 10), 6);
        assert_int_equal(layout_scroll(50, 15, 100, 10), 15);
        assert_int_equal(layout_scroll(95, 99, 100, 10), 90);
        assert_int_equal(layout_scroll(0, 3, 5, 10), 0);
        assert_int_equal(layout_scroll(7, 200, 5, 10), 0);
        for (int n = 0; n < 40; n++)
                for (int rows = 1; rows < 12; rows++)
                        for (int sel = 0; sel < n; sel++)
                                for (int top = 0; top < n; top++) {
                                        int t = layout_scroll(top, sel, n, rows);
                                        assert_true(t >= 0 && t <= sel && sel < t + rows);
                                }
}

static void test_tail(void **state)
{
        const char *p = "/check/work/main/build-ci/data/demo";

        assert_int_equal(layout_tail("/short", 6), 0); /* fits exactly: whole */
        assert_int_equal(layout_tail("/short", 40), 0);
        /* 12 columns: the mark and the last 9 */
        assert_string_equal(p + layout_tail(p, 12), "data/demo");
        assert_string_equal(p + layout_tail(p, 4), "o");
        /* never starts inside a UTF-8 sequence: "é" is two bytes, one column */
        assert_string_equal("/xy/\xc3\xa9t\xc3\xa9" + layout_tail("/xy/\xc3\xa9t\xc3\xa9", 6), "\xc3\xa9t\xc3\xa9");
        (void)state;
}

static void test_duration(void **state)
{
        char b[32];

        layout_duration(0, b, sizeof(b));
        assert_string_equal(b, "0 s");
        layout_duration(59, b, sizeof(b));
        assert_string_equal(b, "59 s");
        layout_duration(185, b, sizeof(b));
        assert_string_equal(b, "3 min 05 s");
        layout_duration(3600 + 125, b, sizeof(b));
        assert_string_equal(b, "1 h 02 min");
        layout_duration(4000000000u, b, 6); /* cut, never past the buffer */
        assert_int_equal(strlen(b), 5);
        (void)state;
}

static void test_wrap(void **state)
{
        size_t next, n;
        const char *s = "Restore a clean amdgpu: take the patch out";

        n = layout_wrap(s, 20, &next);
        assert_int_equal(n, 15); /* "Restore a clean" */
        assert_int_equal(next, 16);
        n = layout_wrap("abcdefghij", 4, &next);
        assert_int_equal(n, 4);
        assert_int_equal(next, 4);
        n = layout_wrap("short", 20, &next);
        assert_int_equal(n, 5);
        n = layout_wrap("one\ntwo", 20, &next);
        assert_int_equal(n, 3);
        assert_int_equal(next, 4);
        n = layout_wrap("exactly ten more", 10, &next); /* "exactly te" cannot end mid-word: break at the space */
        assert_int_equal(n, 7);
        /* UTF-8: "…" is one column, three bytes */
        n = layout_wrap("\xe2\x80\xa6\xe2\x80\xa6\xe2\x80\xa6", 2, &next);
        assert_int_equal(n, 6);
        n = layout_wrap("x", 0, &next);
        assert_int_equal(n, 1);
        /* always progress, never past the end */
        for (int w = 1; w < 30; w++) {
                const char *p = s;
                int lines = 0;
                while (*p) {
                        n = layout_wrap(p, w, &next);
                        assert_true(n > 0 && next > 0 && next <= strlen(p));
                        assert_true(n <= (size_t)w);
                        p += next;
                        assert_true(++lines < 100);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_sizes), cmocka_unit_test(test_too_small), cmocka_unit_test(test_tabs_narrow),
                cmocka_unit_test(test_bar),       cmocka_unit_test(test_scroll),    cmocka_unit_test(test_wrap), cmocka_unit_test(test_tail), cmocka_unit_test(test_duration),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
