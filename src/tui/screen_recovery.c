/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recovery: the plan for the current inspection (the planner of
 * --recover --dry-run), one line per step with the selected step's why,
 * undo and any block; Enter asks for "yes" typed out, then runs the real
 * `--recover` as a child (child.c) on exactly the plan on screen (stored,
 * with every file it touches as it was when shown: `--reviewed-plan`), and
 * shows its steps live from the journal, then the result and whether to
 * reboot. On the installed demo
 * the child works on a fresh private copy, and the view follows it there
 * (demo_view.c).
 */
#include <string.h>

#include "base/util.h"
#include "confirm.h"
#include "draw.h"
#include "screen.h"

#define DETAIL_ROWS 7
#define FOOT_ROWS 7      /* the run's result, reboot hint, messages, the way back */
#define PLAN_FOOT_ROWS 2 /* the hint or the typed confirmation */

/* Lines of the plan's step list in body. */
static int plan_rows(rect body)
{
        return body.h - 2 - DETAIL_ROWS - PLAN_FOOT_ROWS;
}

static int n_actions(const tui_app *a)
{
        return a->plan ? (int)a->plan->n_actions : 0;
}

static void action_target(const plan_action *x, char *buf, size_t size)
{
        if (x->type == ACTION_UPDATE_INITRAMFS && x->kernel)
                snprintf(buf, size, "initramfs of %s", x->kernel);
        else if (x->path)
                snprintf(buf, size, "%s", x->path);
        else if (x->kernel)
                snprintf(buf, size, "%s %s for %s", x->dkms_module ? x->dkms_module : "amdgpu",
                         x->dkms_version ? x->dkms_version : "", x->kernel);
        else if (x->package)
                snprintf(buf, size, "%s %s", x->package, x->version ? x->version : "");
        else
                snprintf(buf, size, "-");
}

static colour_kind state_colour(const char *state)
{
        return streq(state, "done") ? C_OK : streq(state, "failed") ? C_CRITICAL
               : streq(state, "running") ? C_INFO : C_NORMAL;
}

/* The run: live steps from the journal, then the result. */
static void draw_run(tui_app *a, rect body, const rec_view *v)
{
        int y = body.y, x, rows;

        x = body.x + 2;
        x += draw_text(y, x, body.w - 4, v->rollback ? "Rollback of " : "Recovery ", A_BOLD);
        x += draw_text(y, x, body.x + body.w - 2 - x, *v->id ? v->id : "(starting)", A_BOLD);
        if (*v->status)
                draw_fmt(y, x, body.x + body.w - 2 - x, app_attr(a, C_INFO), "   %s", v->status);
        y += 2;
        rows = body.h - 2 - FOOT_ROWS - 1;
        for (size_t i = 0; i < v->n_steps && (int)i < rows; i++, y++) {
                x = body.x + 2;
                x += draw_fmt(y, x, body.w - 4, A_NORMAL, "%2zu. %-18s ", i + 1, v->steps[i].action);
                x += draw_fmt(y, x, 14, app_attr(a, state_colour(v->steps[i].state)) | A_BOLD, "%-12s ",
                              v->steps[i].state);
                draw_text(y, x, body.x + body.w - 2 - x, v->steps[i].target, A_NORMAL);
        }
        if (v->running && v->n_steps == 0)
                draw_text(y++, body.x + 2, body.w - 4, "Planning and checking (lock, preflight)...", app_attr(a, C_DIM));
        y = body.y + body.h - FOOT_ROWS;
        if (v->running) {
                /* an amdgpu DKMS build takes many minutes: the count shows the run is alive */
                char took[32];

                layout_duration((unsigned)((now_ms() - v->started_ms) / 1000), took, sizeof(took));
                draw_fmt(y, body.x + 2, body.w - 4, app_attr(a, C_INFO),
                         "Running for %s: the same engine as rdna1-doctor --recover.", took);
                return;
        }
        x = body.x + 2;
        x += draw_fmt(y, x, body.w - 4, A_NORMAL, "[exit %d] ", v->exit_code);
        draw_text(y, x, body.x + body.w - 2 - x, v->summary,
                  app_attr(a, v->exit_code == 0 || v->exit_code == 10 ? C_OK : C_WARNING) | A_BOLD);
        y++;
        if (v->reboot)
                draw_text(y++, body.x + 2, body.w - 4, "Reboot now so that the clean amdgpu is the one that loads.",
                          app_attr(a, C_WARNING) | A_BOLD);
        for (size_t i = 0; i < v->n_messages && y < body.y + body.h - 1; i++)
                draw_text(y++, body.x + 2, body.w - 4, v->messages[i], A_NORMAL);
        draw_text(body.y + body.h - 1, body.x + 2, body.w - 4, "Enter: back to the plan of the new inspection.",
                  app_attr(a, C_DIM));
}

static void draw_plan(tui_app *a, rect body)
{
        int n = n_actions(a), y = body.y, rows = plan_rows(body);
        size_t blocked = 0;

        if (!a->in) {
                draw_text(y, body.x + 2, body.w - 4, "Inspecting...", app_attr(a, C_DIM));
                return;
        }
        if (!a->plan) {
                draw_fmt(y, body.x + 2, body.w - 4, app_attr(a, C_WARNING), "No plan: %s",
                         strerror(-(a->plan_error ? a->plan_error : -ENODATA)));
                return;
        }
        for (int i = 0; i < n; i++)
                blocked += a->plan->actions[i].blocked;
        draw_fmt(y++, body.x + 2, body.w - 4, app_attr(a, C_TITLE), "Plan: %d step%s%s%s", n, n == 1 ? "" : "s",
                 blocked ? ", some blocked" : "", a->plan->reboot_required ? ", reboot afterwards" : "");
        if (n > 0) {
                /* the gate's preview: a refusal may take a second line, the list one less */
                rect pr = {y, body.x + 2, 2, body.w - 4};
                int top = y;

                draw_wrapped(pr, &y, 4, a->preflight ? a->preflight : "Preflight: checking...",
                             app_attr(a, !a->preflight                            ? C_DIM
                                         : startswith(a->preflight, "Preflight:") ? C_OK
                                                                                  : C_WARNING));
                rows -= y - top - 1;
        } else
                y++;
        a->rec_list.top = layout_scroll(a->rec_list.top, a->rec_list.sel, n, rows);
        for (int i = 0; i < rows && a->rec_list.top + i < n; i++) {
                int idx = a->rec_list.top + i, x = body.x + 1;
                const plan_action *act = &a->plan->actions[idx];
                bool sel = idx == a->rec_list.sel;
                attr_t base = sel ? A_REVERSE : A_NORMAL;
                char target[512];

                action_target(act, target, sizeof(target));
                if (sel)
                        mvhline(y + i, body.x, ' ' | base, body.w);
                x += draw_fmt(y + i, x, body.w - 2, base, "%2d. %-18s ", idx + 1, action_type_to_string(act->type));
                if (act->blocked)
                        x += draw_text(y + i, x, body.x + body.w - x, "BLOCKED ", base | app_attr(a, C_WARNING));
                draw_untrusted(y + i, x, body.x + body.w - 1 - x, target, base);
        }
        if (n == 0) {
                draw_text(y, body.x + 2, body.w - 4, "Nothing to do: no finding has a recovery step.", app_attr(a, C_OK));
                for (size_t i = 0; i < a->plan->n_notes && y + 1 + (int)i < body.y + body.h - PLAN_FOOT_ROWS; i++)
                        draw_untrusted(y + 1 + (int)i, body.x + 4, body.w - 6, a->plan->notes[i], app_attr(a, C_DIM));
        }
        /* the selected step: why, how it is undone, what blocks it */
        y = body.y + body.h - DETAIL_ROWS - PLAN_FOOT_ROWS;
        if (n > 0) {
                const plan_action *act = &a->plan->actions[a->rec_list.sel];
                rect r = {y, body.x + 2, DETAIL_ROWS, body.w - 4};
                _cleanup_free_ char *why = strdup_printf("Why: %s", act->why ? act->why : "-");
                _cleanup_free_ char *undo = strdup_printf("Undo: %s%s", act->undo ? act->undo : "-",
                                                          act->irreversible ? " (irreversible)" : "");

                draw_hline(y++, body.x + 1, body.w - 2);
                r.y = y;
                draw_wrapped(r, &y, 5, why ? why : "?", A_NORMAL);
                draw_wrapped(r, &y, 6, undo ? undo : "?", A_NORMAL);
                if (act->blocked && act->blocked_reason) {
                        _cleanup_free_ char *b = strdup_printf("Blocked: %s", act->blocked_reason);
                        draw_wrapped(r, &y, 9, b ? b : "?", app_attr(a, C_WARNING));
                }
        }
        y = body.y + body.h - 1;
        if (a->confirm) {
                int x = body.x + 2;
                x += draw_fmt(y, x, body.w - 4, A_BOLD, "Apply these %d steps? Type %s and press Enter (Esc cancels): ",
                              n, CONFIRM_WORD);
                x += draw_text(y, x, body.x + body.w - 2 - x, a->confirm_buf, A_BOLD | A_UNDERLINE);
                mvaddch(y, x, '_' | A_BLINK);
        } else if (n > 0)
                draw_text(y, body.x + 2, body.w - 4,
                          a->opts->demo && !demo_view_on_copy(a)
                                  ? "Enter: apply the plan to a fresh private copy of the demo (type yes)."
                                  : "Enter: apply exactly this plan (type yes); refused if a file changes first.",
                          app_attr(a, C_DIM));
}

static void recovery_draw(tui_app *a, rect body)
{
        rec_view v;

        pthread_mutex_lock(&a->lock);
        v = a->rec;
        pthread_mutex_unlock(&a->lock);
        if (!v.rollback && (v.running || v.finished))
                draw_run(a, body, &v);
        else
                draw_plan(a, body);
}

static bool recovery_key(tui_app *a, tui_action act, int ch, rect body)
{
        if (a->confirm) {
                confirm_result c = confirm_key(a->confirm_buf, sizeof(a->confirm_buf), ch);
                int r;

                if (c == CONFIRM_CANCELLED)
                        a->confirm = false;
                else if (c == CONFIRM_ACCEPTED) {
                        a->confirm = false;
                        r = jobs_start_child(a, NULL);
                        if (r < 0)
                                app_message(a, "Cannot start the recovery: %s", r == -EBUSY ? "busy" : strerror(-r));
                }
                return true;
        }
        if (act == ACT_ENTER) {
                bool result_shown;

                pthread_mutex_lock(&a->lock);
                result_shown = !a->rec.rollback && a->rec.finished && a->job != JOB_CHILD;
                if (result_shown)
                        a->rec.finished = false; /* Enter leaves the result for the new plan */
                pthread_mutex_unlock(&a->lock);
                if (result_shown)
                        return true;
                if (a->job != JOB_NONE)
                        app_message(a, "Busy: wait for the running job to end.");
                else if (n_actions(a) == 0)
                        app_message(a, "Nothing to recover.");
                else {
                        a->confirm = true;
                        a->confirm_buf[0] = '\0';
                }
                return true;
        }
        return list_apply(&a->rec_list, act, n_actions(a), plan_rows(body));
}

static void recovery_leave(tui_app *a)
{
        a->confirm = false;
}

const screen_ops screen_recovery = {
        .id = SCREEN_RECOVERY,
        .tab = "3 Recovery",
        .draw = recovery_draw,
        .key = recovery_key,
        .leave = recovery_leave,
};
