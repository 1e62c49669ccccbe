/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Help: generated from the key table (keys.c), grouped by where a key applies. */
#include "draw.h"
#include "screen.h"

#define HELP_MAX_LINES 64

typedef struct help_line {
        const char *label, *text;
        bool heading;
} help_line;

static int help_lines(help_line *out, int max)
{
        int n = 0;

        for (int s = 0; s < _SCOPE_MAX; s++) {
                if (n + 1 >= max)
                        break;
                if (n)
                        out[n++] = (help_line){"", "", false};
                out[n++] = (help_line){NULL, key_scope_title((key_scope)s), true};
                for (size_t i = 0; i < tui_n_keys && n < max; i++)
                        if ((int)tui_keys[i].scope == s)
                                out[n++] = (help_line){tui_keys[i].label, tui_keys[i].help, false};
        }
        return n;
}

static void help_draw(tui_app *a, rect body)
{
        help_line lines[HELP_MAX_LINES];
        int n = help_lines(lines, HELP_MAX_LINES), rows = body.h - 2;

        draw_text(body.y, body.x + 2, body.w - 4, "Keys   (Esc or ? returns; this screen is made from the key table)",
                  app_attr(a, C_TITLE));
        a->help.top = layout_scroll(a->help.top, a->help.top, n, rows);
        for (int i = 0; i < rows && a->help.top + i < n; i++) {
                const help_line *l = &lines[a->help.top + i];
                int y = body.y + 2 + i;

                if (l->heading)
                        draw_text(y, body.x + 2, body.w - 4, l->text, A_BOLD);
                else if (l->label) {
                        draw_text(y, body.x + 4, 14, l->label, app_attr(a, C_INFO));
                        draw_text(y, body.x + 20, body.w - 22, l->text, A_NORMAL);
                }
        }
}

static bool help_key(tui_app *a, tui_action act, int ch, rect body)
{
        help_line lines[HELP_MAX_LINES];
        int n = help_lines(lines, HELP_MAX_LINES), rows = body.h - 2;

        /* scroll: the "selection" is the top line */
        switch (act) {
        case ACT_UP:
        case ACT_PAGE_UP:
                a->help.top -= act == ACT_UP ? 1 : rows;
                break;
        case ACT_DOWN:
        case ACT_PAGE_DOWN:
                a->help.top += act == ACT_DOWN ? 1 : rows;
                break;
        case ACT_HOME:
                a->help.top = 0;
                break;
        case ACT_END:
                a->help.top = n;
                break;
        default:
                return false;
        }
        if (a->help.top > n - rows)
                a->help.top = n - rows;
        if (a->help.top < 0)
                a->help.top = 0;
        return true;
}

const screen_ops screen_help = {
        .id = SCREEN_HELP,
        .tab = "? Help",
        .draw = help_draw,
        .key = help_key,
};
