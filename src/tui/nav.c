/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "layout.h"
#include "nav.h"

static void go(nav_state *n, screen_id s)
{
        if (s == SCREEN_HELP && n->current != SCREEN_HELP)
                n->before_help = n->current;
        n->current = s;
}

bool nav_apply(nav_state *n, tui_action a)
{
        switch (a) {
        case ACT_QUIT:
                n->quit = true;
                return true;
        case ACT_HELP:
                go(n, n->current == SCREEN_HELP ? n->before_help : SCREEN_HELP);
                return true;
        case ACT_NEXT_SCREEN:
                go(n, n->current >= TUI_N_TABS - 1 ? 0 : n->current + 1);
                return true;
        case ACT_PREV_SCREEN:
                go(n, n->current == 0 || n->current >= TUI_N_TABS ? TUI_N_TABS - 1 : n->current - 1);
                return true;
        case ACT_SCREEN_1 ... ACT_SCREEN_6:
                go(n, (screen_id)(a - ACT_SCREEN_1));
                return true;
        case ACT_RESCAN:
                n->rescan = true;
                return true;
        case ACT_REDRAW:
                n->redraw = true;
                return true;
        case ACT_BACK:
                if (n->current != SCREEN_HELP)
                        return false;
                go(n, n->before_help);
                return true;
        default:
                return false;
        }
}

bool list_apply(list_state *l, tui_action a, int n, int rows)
{
        int page = rows > 1 ? rows - 1 : 1;

        switch (a) {
        case ACT_UP:
                l->sel--;
                break;
        case ACT_DOWN:
                l->sel++;
                break;
        case ACT_PAGE_UP:
                l->sel -= page;
                break;
        case ACT_PAGE_DOWN:
                l->sel += page;
                break;
        case ACT_HOME:
                l->sel = 0;
                break;
        case ACT_END:
                l->sel = n - 1;
                break;
        default:
                return false;
        }
        if (l->sel >= n)
                l->sel = n - 1;
        if (l->sel < 0)
                l->sel = 0;
        l->top = layout_scroll(l->top, l->sel, n, rows);
        return true;
}
