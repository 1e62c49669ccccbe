/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-test: the real rdna1-selftest helper under the watchdog, with the
 * CPU backend (the same pipeline on the CPU) or HIP (the GPU; refused on a
 * fixture root or while the machine is not fit for it, with the reason).
 * Live: overall and per-case progress bars, GFLOP/s, the watchdog's state;
 * then the result table and the classified outcome. f runs the framework
 * probe (torch convolutions at growing feature-map sizes) the same way; c
 * cancels a run (the watchdog stops the helper's process group).
 */
#include <string.h>

#include "base/util.h"
#include "confirm.h"
#include "draw.h"
#include "screen.h"

#define HEADER_ROWS 8

static void selftest_draw(tui_app *a, rect body)
{
        st_view v;
        int y = body.y, x, w = body.w - 4, rows;
        unsigned shown_total;
        const char *wd;

        pthread_mutex_lock(&a->lock);
        v = a->st;
        pthread_mutex_unlock(&a->lock);

        x = body.x + 2;
        x += draw_text(y, x, w, "Backend ", A_NORMAL);
        x += draw_text(y, x, w, a->st_hip ? "hip" : "cpu", A_BOLD);
        x += draw_text(y, x, body.x + 2 + w - x, " (b: cpu/hip)   Sweep ", A_NORMAL);
        x += draw_text(y, x, body.x + 2 + w - x, a->st_standard ? "standard" : "quick", A_BOLD);
        draw_text(y, x, body.x + 2 + w - x, v.running ? " (w: quick/standard)" : " (w: quick/standard)   s: start",
                  A_NORMAL);
        y++;
        if (a->st_prompt) {
                const char *buf = a->st_prompt == 1 ? a->st_python : a->st_profile;

                x = body.x + 2;
                x += draw_text(y, x, w, a->st_prompt == 1 ? "Python interpreter: " : "Profile (empty: none): ",
                               A_BOLD);
                x += draw_text(y, x, body.x + 2 + w - x, buf, A_BOLD | A_UNDERLINE);
                draw_text(y++, x, body.x + 2 + w - x, "_  Enter: next  Esc: cancel", A_NORMAL);
        } else if (v.framework)
                draw_fmt(y++, body.x + 2, w, app_attr(a, C_DIM), "Framework probe with %s%s%s: torch, growing feature maps.",
                         a->st_python, a->st_profile[0] ? ", profile " : "", a->st_profile);
        else
                draw_text(y++, body.x + 2, w,
                  a->st_hip ? "A GPU hang ends the desktop session on this card: use a text console or ssh."
                            : "The same convolution pipeline on the CPU: tests the harness, not the GPU.",
                  app_attr(a, a->st_hip ? C_WARNING : C_DIM));

        /* the watchdog's state */
        wd = v.running && a->st_cancel ? "stopping the helper's process group (cancelled)"
             : v.running ? (v.current >= 0 ? "running, watching the case deadline and progress" : "running")
             : v.finished ? "finished" : "idle";
        x = body.x + 2;
        x += draw_text(y, x, w, "Watchdog ", A_NORMAL);
        x += draw_text(y, x, body.x + 2 + w - x, wd, v.running ? app_attr(a, C_INFO) | A_BOLD : A_NORMAL);
        if (v.running && v.current >= 0)
                draw_fmt(y, x, body.x + 2 + w - x, A_NORMAL, " (case %d)", v.current + 1);
        y++;

        shown_total = v.total ? v.total : v.n_cases;
        x = body.x + 2;
        x += draw_text(y, x, w, "Progress ", A_NORMAL);
        draw_bar(y, x, 32, shown_total ? (double)(v.passed + v.failed) / shown_total : 0, app_attr(a, C_BAR));
        x += 32;
        draw_fmt(y, x, body.x + 2 + w - x, A_NORMAL, " %u/%u cases   best %.1f GFLOP/s", v.passed + v.failed,
                 shown_total, v.best_gflops);
        y++;

        x = body.x + 2;
        if (v.finished) {
                bool pass = streq(v.outcome, "pass");
                int ry = y + 1;

                x += draw_text(y, x, w, "Result ", A_NORMAL);
                x += draw_text(y, x, body.x + 2 + w - x, v.cancelled ? "cancelled" : v.outcome, app_attr(a, pass ? C_OK : C_CRITICAL) | A_BOLD);
                x += draw_fmt(y, x, body.x + 2 + w - x, A_NORMAL, ", %u passed, %u failed, exit %d", v.passed,
                              v.failed, v.exit_code);
                if (v.framework) {
                        x = body.x + 4;
                        if (v.largest_passed > 0)
                                x += draw_fmt(ry, x, body.x + 2 + w - x, A_NORMAL, "largest passed %dx%d", v.largest_passed,
                                              v.largest_passed);
                        else
                                x += draw_text(ry, x, body.x + 2 + w - x, "no size passed", A_NORMAL);
                        if (!pass && v.first_failed > 0)
                                draw_fmt(ry, x, body.x + 2 + w - x, A_NORMAL, "; first failure %dx%d: %s", v.first_failed,
                                         v.first_failed, v.outcome);
                        ry++;
                }
                if (*v.reason)
                        draw_wrapped((rect){ry, body.x + 4, v.framework ? 1 : 2, w - 2}, &ry, 0, v.reason, A_NORMAL);
        } else if (!v.running) {
                draw_text(y, x, w, "Press s to run the self-test. It runs the real helper under the watchdog.",
                          app_attr(a, C_DIM));
        }
        y = body.y + HEADER_ROWS - 1;
        draw_fmt(y, body.x + 2, w, app_attr(a, C_TITLE), "%4s  %-36s %-12s %-8s %s", "#", "case", "progress", "result",
                 "GFLOP/s");
        y++;
        rows = body.y + body.h - y;
        if (v.running && v.current >= 0)
                a->st_list.sel = v.current; /* follow the running case */
        a->st_list.top = layout_scroll(a->st_list.top, a->st_list.sel, (int)v.n_cases, rows);
        for (int i = 0; i < rows && a->st_list.top + i < (int)v.n_cases; i++) {
                int idx = a->st_list.top + i;
                const st_case *c = &v.cases[idx];
                int cx = body.x + 2;

                cx += draw_fmt(y + i, cx, w, A_NORMAL, "%4d  %-36.36s ", idx + 1, c->name);
                draw_bar(y + i, cx, 12, c->done ? 1 : c->fraction, app_attr(a, C_BAR));
                cx += 13;
                if (c->done)
                        draw_fmt(y + i, cx, body.x + 2 + w - cx, app_attr(a, c->pass ? C_OK : C_CRITICAL), "%-8s %.1f",
                                 c->pass ? "pass" : "WRONG", c->gflops);
                else if (v.running && idx == v.current)
                        draw_text(y + i, cx, body.x + 2 + w - cx, "running", app_attr(a, C_INFO));
                else if (!v.running)
                        draw_text(y + i, cx, body.x + 2 + w - cx, v.cancelled ? "cancelled" : v.outcome,
                                  app_attr(a, C_CRITICAL));
        }
}

static bool selftest_key(tui_app *a, tui_action act, int ch, rect body)
{
        bool running;
        int r;

        pthread_mutex_lock(&a->lock);
        running = a->st.running;
        pthread_mutex_unlock(&a->lock);
        if (a->st_prompt) {
                char *buf = a->st_prompt == 1 ? a->st_python : a->st_profile;
                size_t size = a->st_prompt == 1 ? sizeof(a->st_python) : sizeof(a->st_profile);

                switch (line_edit_key(buf, size, ch)) {
                case CONFIRM_CANCELLED:
                        a->st_prompt = 0;
                        a->confirm = false;
                        app_message(a, "Framework probe not started.");
                        break;
                case CONFIRM_ACCEPTED:
                        if (a->st_prompt == 1 && !buf[0]) {
                                app_message(a, "Type the Python interpreter (python3, or a path).");
                                break;
                        }
                        if (a->st_prompt == 1) {
                                a->st_prompt = 2;
                                break;
                        }
                        a->st_prompt = 0;
                        a->confirm = false;
                        a->st_framework = true;
                        r = jobs_start_selftest(a);
                        if (r == -EBUSY)
                                app_message(a, "Busy: wait for the inspection to finish.");
                        else if (r < 0)
                                app_message(a, "Cannot start the framework probe: %s", strerror(-r));
                        break;
                case CONFIRM_TYPING:
                        break;
                }
                return true;
        }
        if (act != ACT_CANCEL)
                a->st_cancel_armed = false;
        switch (act) {
        case ACT_CANCEL:
                if (!running) {
                        app_message(a, "No self-test is running.");
                        return true;
                }
                if (a->st_cancel) {
                        app_message(a, "Stopping the self-test...");
                        return true;
                }
                if (!a->st_cancel_armed) {
                        a->st_cancel_armed = true;
                        app_message(a, "c again stops the running self-test.");
                        return true;
                }
                a->st_cancel = true; /* the watchdog sees it within its poll interval */
                app_message(a, "Stopping the self-test...");
                return true;
        case ACT_FRAMEWORK:
                if (running) {
                        app_message(a, "Wait for the running self-test to end.");
                        return true;
                }
                if (!a->st_python[0])
                        snprintf(a->st_python, sizeof(a->st_python), "python3");
                a->st_prompt = 1;
                a->confirm = true; /* every key goes to the field */
                return true;
        case ACT_START:
                if (running) {
                        app_message(a, "The self-test is already running.");
                        return true;
                }
                a->st_framework = false;
                r = jobs_start_selftest(a);
                if (r == -EBUSY)
                        app_message(a, "Busy: wait for the inspection to finish.");
                else if (r < 0)
                        app_message(a, "Cannot start the self-test: %s", strerror(-r));
                return true;
        case ACT_BACKEND:
        case ACT_SWEEP:
                if (running) {
                        app_message(a, "Wait for the running self-test to end.");
                        return true;
                }
                if (act == ACT_BACKEND)
                        a->st_hip = !a->st_hip;
                else
                        a->st_standard = !a->st_standard;
                return true;
        default:
                return list_apply(&a->st_list, act, (int)a->st.n_cases, body.h - HEADER_ROWS);
        }
}

const screen_ops screen_selftest = {
        .id = SCREEN_SELFTEST,
        .tab = "5 Self-test",
        .draw = selftest_draw,
        .key = selftest_key,
};
