/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles: the shipped environment profiles (--profile list), Enter shows
 * the selected one's difference to the shells' environment (--profile
 * diff), v checks it against this system (--profile validate), i and a
 * typed yes install it (--profile install, journaled: the
 * History screen rolls it back). When this build has no --profile, the
 * screen says so.
 */
#include <string.h>

#include "base/util.h"
#include "confirm.h"
#include "draw.h"
#include "screen.h"

static int list_rows(rect body)
{
        return body.h / 2 - 2;
}

static void profiles_draw(tui_app *a, rect body)
{
        prof_view *p = malloc(sizeof(*p));
        int y = body.y, rows = list_rows(body);

        if (!p)
                return;
        pthread_mutex_lock(&a->lock);
        *p = a->prof;
        pthread_mutex_unlock(&a->lock);
        if (!p->available) {
                draw_text(y + 1, body.x + 2, body.w - 4, "Profiles", app_attr(a, C_TITLE));
                draw_text(y + 3, body.x + 2, body.w - 4,
                          *p->unavailable ? p->unavailable : (a->in ? "Reading the profiles..." : "Inspecting..."),
                          A_NORMAL);
                if (*p->unavailable) {
                        int yy = y + 5;
                        draw_wrapped((rect){yy, body.x + 2, 3, body.w - 4}, &yy, 0,
                                     "With them, this screen lists the shipped profiles, shows the difference to the "
                                     "current environment and installs one.", app_attr(a, C_DIM));
                }
                free(p);
                return;
        }
        draw_fmt(y++, body.x + 2, body.w - 4, app_attr(a, C_TITLE), "%zu profile%s   (Enter: diff, v: validate, i: install)", p->n,
                 p->n == 1 ? "" : "s");
        a->prof_list.top = layout_scroll(a->prof_list.top, a->prof_list.sel, (int)p->n, rows);
        for (int i = 0; i < rows && a->prof_list.top + i < (int)p->n; i++) {
                int idx = a->prof_list.top + i, x = body.x + 1;
                bool sel = idx == a->prof_list.sel;
                attr_t base = sel ? A_REVERSE : A_NORMAL;

                if (sel)
                        mvhline(y + i, body.x, ' ' | base, body.w);
                x += draw_fmt(y + i, x, body.w - 2, base, "%-26s %-9s ", p->name[idx], p->gfx[idx]);
                if (!p->valid[idx])
                        x += draw_text(y + i, x, body.x + body.w - x, "INVALID ", base | app_attr(a, C_WARNING));
                draw_text(y + i, x, body.x + body.w - 1 - x, p->desc[idx], base);
        }
        y = body.y + body.h / 2;
        draw_hline(y++, body.x + 1, body.w - 2);
        if (p->busy)
                draw_fmt(y++, body.x + 2, body.w - 4, app_attr(a, C_INFO), "%s %s...", p->what, p->of);
        else if (*p->of) {
                draw_fmt(y++, body.x + 2, body.w - 4, A_BOLD, "--profile %s %s: exit %d", p->what, p->of, p->exit_code);
                for (size_t i = 0; i < p->n_lines && y < body.y + body.h - 1; i++)
                        draw_wrapped((rect){y, body.x + 2, body.y + body.h - 1 - y, body.w - 4}, &y, 4, p->lines[i],
                                     A_NORMAL);
        }
        y = body.y + body.h - 1;
        if (a->confirm) {
                int x = body.x + 2;
                x += draw_fmt(y, x, body.w - 4, A_BOLD, "Install %s? Type %s and press Enter (Esc cancels): ",
                              p->n ? p->name[a->prof_list.sel] : "?", CONFIRM_WORD);
                x += draw_text(y, x, body.x + body.w - 2 - x, a->confirm_buf, A_BOLD | A_UNDERLINE);
                mvaddch(y, x, '_' | A_BLINK);
        }
        free(p);
}

static bool profiles_key(tui_app *a, tui_action act, int ch, rect body)
{
        char name[64] = "";
        bool available;
        size_t n;
        int r;

        pthread_mutex_lock(&a->lock);
        available = a->prof.available;
        n = a->prof.n;
        if (n && a->prof_list.sel < (int)n)
                memcpy(name, a->prof.name[a->prof_list.sel], sizeof(name));
        pthread_mutex_unlock(&a->lock);
        if (a->confirm) {
                confirm_result c = confirm_key(a->confirm_buf, sizeof(a->confirm_buf), ch);

                if (c == CONFIRM_CANCELLED)
                        a->confirm = false;
                else if (c == CONFIRM_ACCEPTED) {
                        a->confirm = false;
                        r = jobs_start_profile(a, "install", name);
                        if (r < 0)
                                app_message(a, "Cannot install: %s", r == -EBUSY ? "busy" : strerror(-r));
                }
                return true;
        }
        if (!available || !n)
                return false;
        if (act == ACT_ENTER || act == ACT_VALIDATE || act == ACT_INSTALL) {
                if (a->job != JOB_NONE) {
                        app_message(a, "Busy: wait for the running job to end.");
                        return true;
                }
                if (act != ACT_INSTALL) {
                        const char *what = act == ACT_ENTER ? "diff" : "validate";

                        r = jobs_start_profile(a, what, name);
                        if (r < 0)
                                app_message(a, "Cannot start the %s: %s", what, strerror(-r));
                } else {
                        a->confirm = true;
                        a->confirm_buf[0] = '\0';
                }
                return true;
        }
        return list_apply(&a->prof_list, act, (int)n, list_rows(body));
}

static void profiles_leave(tui_app *a)
{
        a->confirm = false;
}

const screen_ops screen_profiles = {
        .id = SCREEN_PROFILES,
        .tab = "4 Profiles",
        .draw = profiles_draw,
        .key = profiles_key,
        .leave = profiles_leave,
};
