/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * History: the journal's recovery runs of this root, newest first (the
 * document of --history), each with its steps; Enter asks for "yes" and
 * rolls the selected run back through the real `--rollback ID` (child.c).
 * Runs that changed the kernel side are left to the command line, where
 * --force-kernel says so explicitly.
 */
#include <json-c/json.h>
#include <string.h>

#include "base/util.h"
#include "confirm.h"
#include "draw.h"
#include "screen.h"

static json_object *runs(const tui_app *a)
{
        json_object *r;

        return a->history && json_object_object_get_ex(a->history, "runs", &r) ? r : NULL;
}

static int n_runs(const tui_app *a)
{
        json_object *r = runs(a);

        return r ? (int)json_object_array_length(r) : 0;
}

static const char *field(json_object *o, const char *key)
{
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static bool kernel_side(json_object *run)
{
        json_object *steps;

        if (!json_object_object_get_ex(run, "steps", &steps))
                return false;
        for (size_t i = 0; i < json_object_array_length(steps); i++) {
                json_object *s = json_object_array_get_idx(steps, i);
                action_type t = action_type_from_string(field(s, "action"));

                if (t >= 0 && action_type_is_kernel_side(t) && streq(field(s, "state"), "done"))
                        return true;
        }
        return false;
}

static void history_draw(tui_app *a, rect body)
{
        int n = n_runs(a), y = body.y, rows = body.h / 2 - 2;
        rec_view v;

        pthread_mutex_lock(&a->lock);
        v = a->rec;
        pthread_mutex_unlock(&a->lock);
        draw_text(y++, body.x + 2, body.w - 4,
                  a->opts->demo ? "Recoveries of the demo's private copy, newest first"
                                : "Recoveries of this root, newest first",
                  app_attr(a, C_TITLE));
        draw_fmt(y++, body.x + 2, body.w - 4, A_BOLD, "%-28s %-14s %s", "run", "status", "steps done/total");
        if (!a->history)
                draw_text(y, body.x + 2, body.w - 4, a->in ? "The journal could not be read." : "Inspecting...",
                          app_attr(a, C_DIM));
        else if (n == 0)
                draw_text(y, body.x + 2, body.w - 4, "No recovery has run on this root.", app_attr(a, C_DIM));
        a->hist_list.top = layout_scroll(a->hist_list.top, a->hist_list.sel, n, rows);
        for (int i = 0; i < rows && a->hist_list.top + i < n; i++) {
                int idx = a->hist_list.top + i;
                json_object *run = json_object_array_get_idx(runs(a), (size_t)idx);
                bool sel = idx == a->hist_list.sel;
                attr_t base = sel ? A_REVERSE : A_NORMAL;
                char line[256];

                if (sel)
                        mvhline(y + i, body.x, ' ' | base, body.w);
                snprintf(line, sizeof(line), "%-28s %-14s %s/%s", field(run, "id"), field(run, "status"),
                         field(run, "steps_done"), field(run, "steps_total"));
                draw_untrusted(y + i, body.x + 2, body.w - 4, line, base);
        }
        y = body.y + body.h / 2;
        draw_hline(y++, body.x + 1, body.w - 2);
        if (v.rollback && (v.running || v.finished)) {
                int x = body.x + 2;

                x += draw_fmt(y, x, body.w - 4, A_BOLD, "Rollback of %s: ", v.id);
                if (!v.running)
                        x += draw_fmt(y, x, body.x + body.w - 2 - x, A_NORMAL, "[exit %d] ", v.exit_code);
                draw_text(y, x, body.x + body.w - 2 - x, v.running ? "running" : v.summary, A_BOLD);
                y++;
                for (size_t i = 0; i < v.n_steps && y < body.y + body.h - 2; i++)
                        draw_fmt(y++, body.x + 4, body.w - 6, A_NORMAL, "%2zu. %-18s %-12s %s", i + 1, v.steps[i].action,
                                 v.steps[i].state, v.steps[i].target);
                for (size_t i = 0; i < v.n_messages && y < body.y + body.h - 1; i++)
                        draw_text(y++, body.x + 4, body.w - 6, v.messages[i], A_NORMAL);
        } else if (n > 0) {
                json_object *run = json_object_array_get_idx(runs(a), (size_t)a->hist_list.sel), *steps;

                if (json_object_object_get_ex(run, "steps", &steps))
                        for (size_t i = 0; i < json_object_array_length(steps) && y < body.y + body.h - 2; i++) {
                                json_object *s = json_object_array_get_idx(steps, i);
                                char line[512];

                                snprintf(line, sizeof(line), "%2zu. %-18s %-12s %s", i + 1, field(s, "action"),
                                         field(s, "state"), *field(s, "path") ? field(s, "path") : field(s, "kernel"));
                                draw_untrusted(y++, body.x + 4, body.w - 6, line, A_NORMAL);
                        }
        }
        y = body.y + body.h - 1;
        if (a->confirm) {
                int x = body.x + 2;

                x += draw_fmt(y, x, body.w - 4, A_BOLD, "Roll back this run? Type %s and press Enter (Esc cancels): ",
                              CONFIRM_WORD);
                x += draw_text(y, x, body.x + body.w - 2 - x, a->confirm_buf, A_BOLD | A_UNDERLINE);
                mvaddch(y, x, '_' | A_BLINK);
        } else if (n > 0)
                draw_text(y, body.x + 2, body.w - 4, "Enter: roll the selected run back (you will be asked to type yes).",
                          app_attr(a, C_DIM));
}

static bool history_key(tui_app *a, tui_action act, int ch, rect body)
{
        json_object *run = n_runs(a) ? json_object_array_get_idx(runs(a), (size_t)a->hist_list.sel) : NULL;

        if (a->confirm) {
                confirm_result c = confirm_key(a->confirm_buf, sizeof(a->confirm_buf), ch);

                if (c == CONFIRM_CANCELLED)
                        a->confirm = false;
                else if (c == CONFIRM_ACCEPTED) {
                        _cleanup_free_ char *id = strdup(field(run, "id"));
                        int r;

                        a->confirm = false;
                        r = id ? jobs_start_child(a, id) : -ENOMEM;
                        if (r < 0)
                                app_message(a, "Cannot start the rollback: %s", r == -EBUSY ? "busy" : strerror(-r));
                }
                return true;
        }
        if (act == ACT_ENTER && run) {
                if (a->job != JOB_NONE)
                        app_message(a, "Busy: wait for the running job to end.");
                else if (kernel_side(run))
                        app_message(a, "This run changed the kernel side: roll it back with rdna1-doctor --rollback %s.",
                                    field(run, "id"));
                else {
                        a->confirm = true;
                        a->confirm_buf[0] = '\0';
                }
                return true;
        }
        return list_apply(&a->hist_list, act, n_runs(a), body.h / 2 - 2);
}

static void history_leave(tui_app *a)
{
        a->confirm = false;
}

const screen_ops screen_history = {
        .id = SCREEN_HISTORY,
        .tab = "6 History",
        .draw = history_draw,
        .key = history_key,
        .leave = history_leave,
};
