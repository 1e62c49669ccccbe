/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TUI's key table and what the keys do (nav.c), without a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curses.h>
#include <string.h>

#include "confirm.h"
#include "keys.h"
#include "nav.h"

static void test_table_unique(void **state)
{
        /* A key bound twice would make the help lie about one of them. */
        for (size_t i = 0; i < tui_n_keys; i++)
                for (size_t k = 0; k < KEY_BINDING_MAX_KEYS && tui_keys[i].keys[k]; k++)
                        for (size_t j = 0; j < tui_n_keys; j++)
                                for (size_t l = 0; l < KEY_BINDING_MAX_KEYS && tui_keys[j].keys[l]; l++)
                                        if (i != j || k != l)
                                                assert_int_not_equal(tui_keys[i].keys[k], tui_keys[j].keys[l]);
        for (size_t i = 0; i < tui_n_keys; i++) {
                assert_non_null(tui_keys[i].label);
                assert_non_null(tui_keys[i].help);
                assert_true(strlen(tui_keys[i].label) <= 14); /* the help screen's key column */
                assert_non_null(key_scope_title(tui_keys[i].scope));
                assert_true(tui_keys[i].keys[0] != 0);
        }
}

static void test_lookup(void **state)
{
        assert_int_equal(tui_key_action('?'), ACT_HELP);
        assert_int_equal(tui_key_action(KEY_F(1)), ACT_HELP);
        assert_int_equal(tui_key_action('\t'), ACT_NEXT_SCREEN);
        assert_int_equal(tui_key_action(KEY_BTAB), ACT_PREV_SCREEN);
        assert_int_equal(tui_key_action('q'), ACT_QUIT);
        assert_int_equal(tui_key_action('r'), ACT_RESCAN);
        assert_int_equal(tui_key_action('j'), ACT_DOWN);
        assert_int_equal(tui_key_action(KEY_DOWN), ACT_DOWN);
        assert_int_equal(tui_key_action('k'), ACT_UP);
        assert_int_equal(tui_key_action(KEY_UP), ACT_UP);
        assert_int_equal(tui_key_action('\n'), ACT_ENTER);
        assert_int_equal(tui_key_action('\r'), ACT_ENTER);
        assert_int_equal(tui_key_action(KEY_ENTER), ACT_ENTER);
        assert_int_equal(tui_key_action(27), ACT_BACK);
        for (int d = 1; d <= 6; d++)
                assert_int_equal(tui_key_action('0' + d), ACT_SCREEN_1 + d - 1);
        assert_int_equal(tui_key_action('7'), ACT_NONE);
        assert_int_equal(tui_key_action('x'), ACT_NONE);
        assert_int_equal(tui_key_action(0), ACT_NONE);
        assert_int_equal(tui_key_action(KEY_RESIZE), ACT_NONE);
        /* every action the table names is found back from its first key */
        for (size_t i = 0; i < tui_n_keys; i++)
                assert_int_equal(tui_key_action(tui_keys[i].keys[0]), tui_keys[i].action);
        assert_ptr_equal(tui_key_binding(ACT_QUIT)->action, ACT_QUIT);
        assert_null(tui_key_binding(ACT_NONE));
}

static void test_nav(void **state)
{
        nav_state n = {.current = SCREEN_OVERVIEW};

        /* Tab visits the six screens in order and wraps; help is not a tab stop */
        for (int i = 1; i <= 6; i++) {
                assert_true(nav_apply(&n, ACT_NEXT_SCREEN));
                assert_int_equal(n.current, i % 6);
        }
        assert_true(nav_apply(&n, ACT_PREV_SCREEN));
        assert_int_equal(n.current, SCREEN_HISTORY);
        assert_true(nav_apply(&n, ACT_SCREEN_2));
        assert_int_equal(n.current, SCREEN_FINDINGS);
        /* help and back, by ? and by Esc */
        assert_true(nav_apply(&n, ACT_HELP));
        assert_int_equal(n.current, SCREEN_HELP);
        assert_true(nav_apply(&n, ACT_HELP));
        assert_int_equal(n.current, SCREEN_FINDINGS);
        nav_apply(&n, ACT_HELP);
        assert_true(nav_apply(&n, ACT_BACK));
        assert_int_equal(n.current, SCREEN_FINDINGS);
        /* Esc elsewhere belongs to the screen */
        assert_false(nav_apply(&n, ACT_BACK));
        /* Tab from help goes on from the first tab */
        nav_apply(&n, ACT_HELP);
        nav_apply(&n, ACT_PREV_SCREEN);
        assert_int_equal(n.current, SCREEN_HISTORY);
        /* requests */
        assert_true(nav_apply(&n, ACT_RESCAN));
        assert_true(n.rescan);
        assert_false(n.quit);
        assert_true(nav_apply(&n, ACT_QUIT));
        assert_true(n.quit);
        /* screen keys are not global */
        assert_false(nav_apply(&n, ACT_DOWN));
        assert_false(nav_apply(&n, ACT_ENTER));
        assert_false(nav_apply(&n, ACT_START));
}

static void test_list(void **state)
{
        list_state l = {0};

        /* empty list: nothing moves, nothing breaks */
        assert_true(list_apply(&l, ACT_DOWN, 0, 10));
        assert_int_equal(l.sel, 0);
        assert_int_equal(l.top, 0);
        for (int i = 0; i < 30; i++)
                list_apply(&l, ACT_DOWN, 25, 10);
        assert_int_equal(l.sel, 24);
        assert_int_equal(l.top, 15);
        list_apply(&l, ACT_HOME, 25, 10);
        assert_int_equal(l.sel, 0);
        assert_int_equal(l.top, 0);
        list_apply(&l, ACT_PAGE_DOWN, 25, 10);
        assert_int_equal(l.sel, 9);
        assert_int_equal(l.top, 0);
        list_apply(&l, ACT_PAGE_DOWN, 25, 10);
        assert_int_equal(l.sel, 18);
        assert_int_equal(l.top, 9);
        list_apply(&l, ACT_END, 25, 10);
        assert_int_equal(l.sel, 24);
        list_apply(&l, ACT_PAGE_UP, 25, 10);
        assert_int_equal(l.sel, 15);
        assert_int_equal(l.top, 15);
        list_apply(&l, ACT_UP, 25, 10);
        assert_int_equal(l.sel, 14);
        assert_int_equal(l.top, 14);
        assert_false(list_apply(&l, ACT_QUIT, 25, 10));
        /* the list shrank (rescan): selection and top come back into range */
        list_apply(&l, ACT_DOWN, 3, 10);
        assert_int_equal(l.sel, 2);
        assert_int_equal(l.top, 0);
}

static void test_confirm(void **state)
{
        char buf[16] = "";

        /* only the typed word confirms; q, digits and ? are letters here */
        assert_int_equal(confirm_key(buf, sizeof(buf), 'q'), CONFIRM_TYPING);
        assert_int_equal(confirm_key(buf, sizeof(buf), '?'), CONFIRM_TYPING);
        assert_string_equal(buf, "q?");
        assert_int_equal(confirm_key(buf, sizeof(buf), '\n'), CONFIRM_TYPING); /* wrong word: start over */
        assert_string_equal(buf, "");
        assert_int_equal(confirm_key(buf, sizeof(buf), '\n'), CONFIRM_TYPING); /* empty is no */
        confirm_key(buf, sizeof(buf), 'y');
        confirm_key(buf, sizeof(buf), 'e');
        confirm_key(buf, sizeof(buf), 'x');
        confirm_key(buf, sizeof(buf), KEY_BACKSPACE);
        confirm_key(buf, sizeof(buf), 's');
        assert_string_equal(buf, "yes");
        assert_int_equal(confirm_key(buf, sizeof(buf), KEY_UP), CONFIRM_TYPING); /* not a letter: ignored */
        assert_string_equal(buf, "yes");
        assert_int_equal(confirm_key(buf, sizeof(buf), '\r'), CONFIRM_ACCEPTED);
        assert_string_equal(buf, "");
        /* "YES", "yess" are not yes */
        for (const char *w = "YES"; *w; w++)
                confirm_key(buf, sizeof(buf), *w);
        assert_int_equal(confirm_key(buf, sizeof(buf), '\n'), CONFIRM_TYPING);
        for (const char *w = "yess"; *w; w++)
                confirm_key(buf, sizeof(buf), *w);
        assert_int_equal(confirm_key(buf, sizeof(buf), KEY_ENTER), CONFIRM_TYPING);
        /* Esc cancels; the buffer never overflows */
        for (int i = 0; i < 100; i++)
                confirm_key(buf, sizeof(buf), 'y');
        assert_int_equal(strlen(buf), sizeof(buf) - 1);
        assert_int_equal(confirm_key(buf, sizeof(buf), 27), CONFIRM_CANCELLED);
        assert_string_equal(buf, "");
}

/* The interpreter/profile field: anything typed is accepted, even empty; Esc keeps the text. */
static void test_line_edit(void **state)
{
        char buf[8] = "python3";

        assert_int_equal(line_edit_key(buf, sizeof(buf), 'x'), CONFIRM_TYPING); /* full: not taken */
        assert_string_equal(buf, "python3");
        line_edit_key(buf, sizeof(buf), KEY_BACKSPACE);
        line_edit_key(buf, sizeof(buf), 127);
        assert_int_equal(line_edit_key(buf, sizeof(buf), 'q'), CONFIRM_TYPING); /* q is a letter here */
        assert_string_equal(buf, "pythoq");
        assert_int_equal(line_edit_key(buf, sizeof(buf), KEY_UP), CONFIRM_TYPING);
        assert_string_equal(buf, "pythoq");
        assert_int_equal(line_edit_key(buf, sizeof(buf), '\n'), CONFIRM_ACCEPTED);
        assert_int_equal(line_edit_key(buf, sizeof(buf), 27), CONFIRM_CANCELLED);
        assert_string_equal(buf, "pythoq");
        buf[0] = '\0';
        assert_int_equal(line_edit_key(buf, sizeof(buf), KEY_BACKSPACE), CONFIRM_TYPING);
        assert_int_equal(line_edit_key(buf, sizeof(buf), KEY_ENTER), CONFIRM_ACCEPTED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_unique),
                cmocka_unit_test(test_lookup),
                cmocka_unit_test(test_nav),
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_confirm),
                cmocka_unit_test(test_line_edit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
