/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TUI's main loop: one poll() over the terminal and the worker's wake
 * pipe with a one-second timeout (telemetry), keys mapped through the key
 * table to actions, global actions first (nav.c), then the screen's. Long
 * work runs in jobs.c's worker; the first frame is drawn before the first
 * inspection has finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/log.h"
#include "base/util.h"
#include "draw.h"
#include "recover/journal.h"
#include "screen.h"
#include "termstate.h"
#include "tui.h"

#define TICK_MS 1000

static const screen_ops *const screens[_SCREEN_MAX] = {
        [SCREEN_OVERVIEW] = &screen_overview, [SCREEN_FINDINGS] = &screen_findings,
        [SCREEN_RECOVERY] = &screen_recovery, [SCREEN_PROFILES] = &screen_profiles,
        [SCREEN_SELFTEST] = &screen_selftest, [SCREEN_HISTORY] = &screen_history,
        [SCREEN_HELP] = &screen_help,
};

const screen_ops *screen_get(screen_id id)
{
        return id >= 0 && id < _SCREEN_MAX ? screens[id] : NULL;
}

bool tui_wanted(void)
{
        const char *term = getenv("TERM");

        return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && term && *term && !streq(term, "dumb");
}

static bool no_color_env(void)
{
        const char *v = getenv("NO_COLOR");

        return v && *v;
}

attr_t app_attr(const tui_app *a, colour_kind k)
{
        /* Without colour, emphasis alone carries the meaning. */
        static const attr_t mono[_C_MAX] = {
                [C_CRITICAL] = A_BOLD, [C_WARNING] = A_BOLD, [C_TAB_ACTIVE] = A_REVERSE,
                [C_TITLE] = A_BOLD, [C_OK] = A_BOLD,
        };

        if (k <= C_NORMAL || k >= _C_MAX)
                return A_NORMAL;
        if (!a->color)
                return mono[k];
        return COLOR_PAIR(k) | (k == C_TITLE || k == C_CRITICAL || k == C_TAB_ACTIVE ? A_BOLD : 0);
}

void app_message(tui_app *a, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(a->message, sizeof(a->message), fmt, ap);
        va_end(ap);
        a->dirty = true;
}

static void colours_init(tui_app *a)
{
        static const short fg[_C_MAX] = {
                [C_CRITICAL] = COLOR_RED, [C_WARNING] = COLOR_YELLOW, [C_INFO] = COLOR_CYAN,
                [C_OK] = COLOR_GREEN, [C_TAB] = COLOR_WHITE, [C_TAB_ACTIVE] = COLOR_BLACK,
                [C_TITLE] = COLOR_CYAN, [C_DIM] = COLOR_BLUE, [C_BAR] = COLOR_GREEN,
        };

        a->color = !a->opts->no_color && !no_color_env() && has_colors() && start_color() == OK;
        if (!a->color)
                return;
        use_default_colors();
        for (int k = C_CRITICAL; k < _C_MAX; k++)
                init_pair((short)k, fg[k], k == C_TAB_ACTIVE ? COLOR_CYAN : k == C_TAB ? COLOR_BLUE : -1);
}

static void draw_tabs(tui_app *a)
{
        const char *labels[_SCREEN_MAX];
        int x[_SCREEN_MAX], w[_SCREEN_MAX];
        size_t fit;

        for (int i = 0; i < _SCREEN_MAX; i++)
                labels[i] = screens[i]->tab;
        attron(app_attr(a, C_TAB));
        mvhline(0, 0, ' ', a->cols);
        attroff(app_attr(a, C_TAB));
        fit = layout_tabs(a->cols, labels, _SCREEN_MAX, x, w);
        for (size_t i = 0; i < fit; i++) {
                bool cur = (int)i == (int)a->nav.current;
                char buf[64];

                snprintf(buf, sizeof(buf), "%.*s", w[i], labels[i]);
                draw_text(0, x[i], w[i], buf, cur ? app_attr(a, C_TAB_ACTIVE) | A_BOLD : app_attr(a, C_TAB));
        }
}

static void draw_status(tui_app *a)
{
        int y = a->rows - 1, x = 0, right;
        const char *busy = a->job == JOB_SCAN ? "inspecting..." : a->job == JOB_SELFTEST ? "self-test running" : NULL;
        static const char hint[] = "? help  q quit";

        right = a->cols - (int)sizeof(hint);
        if (*a->message)
                x += draw_text(y, x, right - 1, a->message, A_BOLD);
        else if (a->in) {
                size_t c[_SEVERITY_MAX];
                int code = report_exit_code(a->in->report);

                report_count(a->in->report, c);
                x += draw_fmt(y, x, right - 1, app_attr(a, code == 2 ? C_CRITICAL : code ? C_WARNING : C_OK), "%s",
                              report_verdict(a->in->report));
                x += draw_fmt(y, x, right - 1 - x, A_NORMAL, "  %zu critical  %zu warning  %zu info", c[SEVERITY_CRITICAL],
                              c[SEVERITY_WARNING], c[SEVERITY_INFO]);
        }
        if (busy)
                draw_fmt(y, x, right - 1 - x, app_attr(a, C_INFO), "  [%s]", busy);
        draw_text(y, right, a->cols - right, hint, app_attr(a, C_DIM));
}

static rect body_rect(const tui_app *a)
{
        return a->layout.body;
}

static void draw_all(tui_app *a)
{
        erase();
        if (a->layout.too_small) {
                draw_fmt(0, 0, a->cols, A_BOLD, "rdna1-doctor needs at least %dx%d (this is %dx%d); q quits.",
                         TUI_MIN_COLS, TUI_MIN_ROWS, a->cols, a->rows);
        } else {
                draw_tabs(a);
                screens[a->nav.current]->draw(a, body_rect(a));
                draw_status(a);
        }
        wnoutrefresh(stdscr);
        doupdate();
        a->dirty = false;
}

static void resize(tui_app *a)
{
        getmaxyx(stdscr, a->rows, a->cols);
        a->layout = layout_compute(a->rows, a->cols);
        for (int i = 0; i < _SCREEN_MAX; i++)
                if (screens[i]->resize)
                        screens[i]->resize(a, a->layout.body);
        a->dirty = true;
}

static void switch_screen(tui_app *a, screen_id from)
{
        if (from == a->nav.current)
                return;
        if (screens[from]->leave)
                screens[from]->leave(a);
        if (screens[a->nav.current]->enter)
                screens[a->nav.current]->enter(a);
}

static void handle_key(tui_app *a, int ch)
{
        tui_action act = tui_key_action(ch);
        screen_id before = a->nav.current;

        if (ch == KEY_RESIZE) {
                resize(a);
                return;
        }
        a->message[0] = '\0';
        a->dirty = true;
        /* While a confirmation is typed, every key is a letter for it. */
        if (a->confirm && !a->layout.too_small && screens[a->nav.current]->key) {
                screens[a->nav.current]->key(a, act, ch, a->layout.body);
                return;
        }
        if (act == ACT_QUIT && a->job == JOB_CHILD) {
                app_message(a, "A recovery is running: wait for it to end before quitting.");
                return;
        }
        /* Quitting stops a running self-test: ask once more. */
        if (act == ACT_QUIT && a->job == JOB_SELFTEST && !a->quit_armed) {
                a->quit_armed = true;
                app_message(a, "A self-test is running: q again stops it and quits.");
                return;
        }
        a->quit_armed = false;
        if (a->layout.too_small) {
                if (act == ACT_QUIT)
                        a->nav.quit = true;
                return;
        }
        /* The screen sees Esc/Back first (detail -> list), then the globals. */
        if (act == ACT_BACK && screens[a->nav.current]->key &&
            screens[a->nav.current]->key(a, act, ch, a->layout.body))
                return;
        if (nav_apply(&a->nav, act)) {
                switch_screen(a, before);
                if (a->nav.rescan) {
                        int r = jobs_start_scan(a);

                        a->nav.rescan = false;
                        if (r == -EBUSY)
                                app_message(a, "Busy: %s is running.", a->job == JOB_SCAN ? "an inspection" : "the self-test");
                        else if (r < 0)
                                app_message(a, "Cannot start the inspection: %s", strerror(-r));
                }
                if (a->nav.redraw) {
                        a->nav.redraw = false;
                        clearok(curscr, TRUE);
                }
                return;
        }
        if (screens[a->nav.current]->key)
                (void)screens[a->nav.current]->key(a, act, ch, a->layout.body);
}

/*
 * Test and benchmark hook (documented as such in the man page):
 * RDNA1_DOCTOR_TUI_EXIT=first-frame quits after the first frame is on the
 * terminal; =report after the first frame that shows the inspection.
 */
static bool exit_hook(const tui_app *a)
{
        const char *v = getenv("RDNA1_DOCTOR_TUI_EXIT");

        if (!v)
                return false;
        if (streq(v, "first-frame"))
                return true;
        return streq(v, "report") && (a->in || a->scan_error < 0);
}

int tui_run(const tui_options *o)
{
        tui_app a = {.opts = o, .inspect = o->inspect, .nav = {.current = SCREEN_OVERVIEW}, .wake = {-1, -1}};
        const char *term = getenv("TERM");
        int code = 3, sig = 0, r;

        setlocale(LC_ALL, "");
        /*
         * The Linux console (recovery mode's VT) may lack the Unicode box
         * glyphs that ncurses uses there in a UTF-8 locale (its terminfo
         * says U8#1): 0 overrides that and selects the terminal's own
         * alternate character set (ACS, SO/SI) instead.
         */
        if (term && (streq(term, "linux") || startswith(term, "linux-")))
                setenv("NCURSES_NO_UTF8_ACS", "0", 1);
        if (pipe2(a.wake, O_NONBLOCK | O_CLOEXEC) < 0) {
                fprintf(stderr, "rdna1-doctor: cannot create a pipe: %m.\n");
                return 3;
        }
        pthread_mutex_init(&a.lock, NULL);
        r = sysroot_open(o->inspect.root, &a.sr);
        if (r < 0) {
                log_error_errno(r, "cannot inspect '%s'", o->inspect.root);
                code = 3;
                goto out_pipe;
        }
        if (term_setup(STDIN_FILENO, a.wake[1]) < 0) {
                fprintf(stderr, "rdna1-doctor: cannot install signal handlers: %m.\n");
                goto out_pipe;
        }
        if (!initscr()) {
                fprintf(stderr, "rdna1-doctor: cannot initialise the terminal.\n");
                goto out_pipe;
        }
        {
                /* Designate the ACS character set where the terminal needs it (linux: ESC ) 0). */
                char *enacs = tigetstr("enacs");
                if (enacs && enacs != (char *)-1)
                        putp(enacs);
        }
        cbreak();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        curs_set(0);
        colours_init(&a);
        resize(&a);

        r = o->demo ? demo_view_state_dir(&a, &a.state_dir) : journal_state_dir(o->inspect.root, o->state_dir, &a.state_dir);
        if (r < 0)
                a.state_dir = NULL; /* History then says the journal could not be read */
        r = jobs_start_scan(&a);
        if (r < 0)
                app_message(&a, "Cannot start the inspection: %s", strerror(-r));
        draw_all(&a);
        if (exit_hook(&a) && streq(getenv("RDNA1_DOCTOR_TUI_EXIT"), "first-frame"))
                a.nav.quit = true;

        while (!a.nav.quit) {
                struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = a.wake[0], .events = POLLIN}};
                int ch, n;

                n = poll(p, 2, TICK_MS);
                if ((sig = term_pending_signal()))
                        break;
                if (n < 0 && errno != EINTR)
                        break;
                if (n == 0) {
                        telemetry_refresh(&a);
                        a.dirty = true;
                }
                if (n > 0 && (p[1].revents & POLLIN)) {
                        jobs_collect(&a);
                        if (a.nav.rescan && a.job == JOB_NONE) {
                                a.nav.rescan = false;
                                (void)jobs_start_scan(&a);
                        }
                }
                if (n > 0 && (p[0].revents & (POLLHUP | POLLERR)) && !(p[0].revents & POLLIN)) {
                        sig = SIGHUP; /* the terminal went away */
                        break;
                }
                /* After EINTR too: SIGWINCH arrives here as KEY_RESIZE. */
                while ((ch = getch()) != ERR)
                        handle_key(&a, ch);
                if (a.dirty && !a.nav.quit) {
                        draw_all(&a);
                        if (exit_hook(&a))
                                a.nav.quit = true;
                }
        }

        term_restore();
        if (sig)
                term_reraise(sig); /* the worker and its helper die with us */
        if (a.job != JOB_NONE)
                /* quit during a job: the inspection only reads; the helper dies with us (PDEATHSIG) */
                _exit(a.in ? report_exit_code(a.in->report) : 3);
        if (a.in)
                code = report_exit_code(a.in->report);
        inspection_free(a.in);
        plan_free(a.plan);
        json_object_put(a.history);
        free(a.state_dir);
        free(a.demo_copy);
        free(a.reviewed_plan);
        free(a.preflight);
        free(a.tele);
out_pipe:
        sysroot_free(a.sr);
        close(a.wake[0]);
        close(a.wake[1]);
        return code;
}
