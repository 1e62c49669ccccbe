/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Overview: the verdict with its counts; what is wrong, in plain words, one
 * line per problem (critical and warning findings, most serious first) with
 * the keys that act on them, or that nothing is; then a card per GPU (name,
 * PCI slot, gfx target, bound driver and where the running amdgpu came from,
 * its DKMS state for the running kernel) with live temperature, busy and
 * VRAM from sysfs, refreshed every second.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "draw.h"
#include "screen.h"

#define MAX_CARDS 8
#define MAX_PROBLEMS 64
#define PROBLEMS_MIN_SHOWN 3 /* at 80x24 the three most serious always fit */

/*
 * Within one severity, what acts on the system now comes first: the running
 * driver, then what the next boot loads, then what every process gets, then
 * what only a rebuild would use (README "What it finds"). Others keep the
 * report's order after these.
 */
static const char *const most_serious_first[] = {
        "kernel.patched-loaded",    "kernel.patched-installed", "kernel.patched-initramfs",
        "runtime.preload",          "env.override-gfx",         "runtime.modified",
        "kernel.patched-build",     "kernel.patched-source",
};

typedef struct problem {
        const finding *f; /* the first finding of its id */
        size_t files;     /* distinct evidence paths over every finding of the id (shown but for kernel.*,
                           * whose evidence is the module's places, not files a user keeps) */
        int rank;
} problem;

static int rank_of(const finding *f)
{
        int base = (SEVERITY_CRITICAL - (int)f->severity) * 100;

        for (size_t i = 0; i < ELEMENTSOF(most_serious_first); i++)
                if (streq(f->id, most_serious_first[i]))
                        return base + (int)i;
        return base + (int)ELEMENTSOF(most_serious_first);
}

static bool path_seen(const finding *const *fs, size_t n_fs, size_t upto_f, size_t upto_e, const char *path)
{
        for (size_t i = 0; i <= upto_f && i < n_fs; i++)
                for (size_t j = 0; j < fs[i]->n_evidence && (i < upto_f || j < upto_e); j++)
                        if (streq_ptr(fs[i]->evidence[j].path, path))
                                return true;
        return false;
}

/* The critical and warning findings, one entry per id, most serious first; returns how many. */
static size_t collect_problems(const report *rep, problem *ret, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < rep->n_findings; i++) {
                const finding *f = &rep->findings[i];
                const finding *same[16];
                size_t n_same = 0, k;

                if (f->severity < SEVERITY_WARNING)
                        continue;
                for (k = 0; k < n && !streq(ret[k].f->id, f->id); k++)
                        ;
                if (k < n || n == max)
                        continue; /* counted with the first finding of its id */
                for (size_t j = i; j < rep->n_findings && n_same < ELEMENTSOF(same); j++)
                        if (streq(rep->findings[j].id, f->id))
                                same[n_same++] = &rep->findings[j];
                ret[n] = (problem){.f = f, .rank = rank_of(f)};
                for (size_t a = 0; a < n_same; a++)
                        for (size_t e = 0; e < same[a]->n_evidence; e++)
                                if (same[a]->evidence[e].path && !path_seen(same, n_same, a, e, same[a]->evidence[e].path))
                                        ret[n].files++;
                n++;
        }
        /* insertion sort: stable, and n is small */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && ret[j].rank < ret[j - 1].rank; j--) {
                        problem t = ret[j];
                        ret[j] = ret[j - 1];
                        ret[j - 1] = t;
                }
        return n;
}

/* Lines of problems that fit above the GPU cards (never fewer than PROBLEMS_MIN_SHOWN). */
static size_t problems_shown(const tui_app *a, rect body, size_t n)
{
        int room = body.h - SUMMARY_ROWS - (a->in->n_devices ? CARD_ROWS : 0) - 3; /* borders, keys */
        size_t fit;

        if ((int)n > room)
                room--; /* the "more" line */
        fit = room < PROBLEMS_MIN_SHOWN ? PROBLEMS_MIN_SHOWN : (size_t)room;
        return n < fit ? n : fit;
}

/* Rows the problems box takes. */
static int problems_rows(const tui_app *a, rect body, const problem *p, size_t n)
{
        size_t shown;

        if (n == 0)
                return 3 + (report_partial(a->in->report) ? 1 : 0);
        shown = problems_shown(a, body, n);
        return 2 + (int)shown + (shown < n) + 1;
}

static void draw_problems(tui_app *a, rect body, int y, const problem *p, size_t n)
{
        size_t shown, c[_SEVERITY_MAX] = {0};
        bool fixable = false;
        rect r = {y, body.x, problems_rows(a, body, p, n), body.w};
        int w = r.w - 4, x;

        draw_box(r, n ? "What is wrong" : "What is wrong: nothing", app_attr(a, C_TITLE));
        y++;
        if (n == 0) {
                report_count(a->in->report, c);
                x = r.x + 2;
                x += draw_text(y, x, w, "No problems found: nothing needs repairing.", app_attr(a, C_OK) | A_BOLD);
                if (c[SEVERITY_INFO])
                        draw_fmt(y, x, r.x + 2 + w - x, app_attr(a, C_DIM), "   2: %zu note(s)", c[SEVERITY_INFO]);
                if (report_partial(a->in->report))
                        draw_text(y + 1, r.x + 2, w, "Some checks could not run: 2 lists what is missing.",
                                  app_attr(a, C_WARNING));
                return;
        }
        shown = problems_shown(a, body, n);
        for (size_t i = 0; i < n; i++)
                fixable |= p[i].f->fixable;
        for (size_t i = 0; i < shown; i++) {
                bool crit = p[i].f->severity == SEVERITY_CRITICAL;

                x = r.x + 2;
                x += draw_text(y, x, w, crit ? "critical " : "warning  ",
                               app_attr(a, crit ? C_CRITICAL : C_WARNING) | A_BOLD);
                x += draw_untrusted(y, x, r.x + 2 + w - x, p[i].f->title, A_NORMAL);
                if (p[i].files > 1 && !startswith(p[i].f->id, "kernel."))
                        draw_fmt(y, x, r.x + 2 + w - x, A_NORMAL, " (%zu files)", p[i].files);
                y++;
        }
        if (shown < n)
                draw_fmt(y++, r.x + 2, w, app_attr(a, C_DIM), "... and %zu more (2 lists them all)", n - shown);
        draw_text(y, r.x + 2, w,
                  fixable ? "3: plan the repair (asks before changing anything)   2: details and fixes"
                          : "2: details and the manual fixes",
                  app_attr(a, C_INFO));
}

static colour_kind verdict_colour(int code)
{
        return code == 2 ? C_CRITICAL : code == 1 || code == 3 ? C_WARNING : C_OK;
}

static void draw_summary(tui_app *a, rect r)
{
        const inspection *in = a->in;
        size_t c[_SEVERITY_MAX] = {0};
        int code, x, y = r.y + 1;

        draw_box(r, "Verdict", app_attr(a, C_TITLE));
        if (!in) {
                draw_text(y, r.x + 2, r.w - 4, a->scan_error < 0 ? "The inspection failed." : "Inspecting...",
                          app_attr(a, C_DIM));
                if (a->scan_error < 0)
                        draw_fmt(y + 1, r.x + 2, r.w - 4, A_NORMAL, "%s", strerror(-a->scan_error));
                return;
        }
        report_count(in->report, c);
        code = report_exit_code(in->report);
        x = r.x + 2;
        {
                char v[16];
                size_t i;

                for (i = 0; report_verdict(in->report)[i] && i < sizeof(v) - 1; i++)
                        v[i] = (char)toupper((unsigned char)report_verdict(in->report)[i]);
                v[i] = '\0';
                x += draw_text(y, x, r.w - 4, v, app_attr(a, verdict_colour(code)) | A_BOLD);
        }
        x += draw_text(y, x, r.x + r.w - 2 - x, "   ", A_NORMAL);
        x += draw_fmt(y, x, r.x + r.w - 2 - x, app_attr(a, C_CRITICAL), "%zu critical", c[SEVERITY_CRITICAL]);
        x += draw_text(y, x, r.x + r.w - 2 - x, "  ", A_NORMAL);
        x += draw_fmt(y, x, r.x + r.w - 2 - x, app_attr(a, C_WARNING), "%zu warning", c[SEVERITY_WARNING]);
        x += draw_text(y, x, r.x + r.w - 2 - x, "  ", A_NORMAL);
        x += draw_fmt(y, x, r.x + r.w - 2 - x, app_attr(a, C_INFO), "%zu info", c[SEVERITY_INFO]);
        draw_fmt(y, x, r.x + r.w - 2 - x, A_NORMAL, "%s   exit %d%s", report_partial(in->report) ? "   partial" : "",
                 code, c[SEVERITY_CRITICAL] + c[SEVERITY_WARNING] ? "   2: findings and fixes" : "");
        y++;
        x = r.x + 2;
        x += draw_text(y, x, r.w - 4, "Root ", A_NORMAL);
        {
                /* the demo's tag always shows; a long root loses its start instead */
                const char *tag = !a->opts->demo        ? ""
                                  : demo_view_on_copy(a) ? "  (the demo's private copy)"
                                                         : "  (demo: writes go to a private copy)";
                int room = r.x + r.w - 2 - x - (int)strlen(tag);

                x += draw_untrusted_tail(y, x, room < 8 ? 8 : room, in->sr->path, app_attr(a, C_DIM));
                draw_text(y, x, r.x + r.w - 2 - x, tag, app_attr(a, C_INFO));
        }
}

/* DKMS state of amdgpu for the running kernel (or the first one), "none" when absent. */
static void dkms_line(const inspection *in, char *buf, size_t size)
{
        const dkms_build *pick = NULL;

        for (size_t i = 0; in->dkms && i < in->dkms->n_builds; i++) {
                const dkms_build *b = &in->dkms->builds[i];

                if (!b->module || !startswith(b->module, "amdgpu"))
                        continue;
                if (!pick || (in->osrelease && streq_ptr(b->kernel, in->osrelease)))
                        pick = b;
        }
        if (!pick) {
                snprintf(buf, size, "none");
                return;
        }
        snprintf(buf, size, "%s %s %s%s%s", pick->module, pick->version ? pick->version : "?",
                 dkms_state_to_string(pick->state), pick->kernel ? " for " : "", pick->kernel ? pick->kernel : "");
}

static void draw_card(tui_app *a, rect r, size_t i)
{
        const gpu_device *g = &a->in->devices[i];
        const telemetry *t = i < a->n_tele ? &a->tele[i] : NULL;
        char title[64], dk[256];
        int y = r.y + 1, x, w = r.w - 4, barw;

        snprintf(title, sizeof(title), "GPU %s", g->pci_slot);
        draw_box(r, title, app_attr(a, C_TITLE));
        draw_untrusted(y++, r.x + 2, w, g->name ? g->name : "(unknown device)", A_BOLD);

        x = r.x + 2;
        x += draw_fmt(y, x, w, A_NORMAL, "%04x:%04x  ", g->vendor_id, g->device_id);
        x += draw_untrusted(y, x, r.x + 2 + w - x, g->gfx_target ? g->gfx_target : "no gfx target", A_NORMAL);
        x += draw_text(y, x, r.x + 2 + w - x, g->rdna1 ? " (RDNA1)" : "", app_attr(a, C_INFO));
        x += draw_text(y, x, r.x + 2 + w - x, "  driver ", A_NORMAL);
        x += draw_untrusted(y, x, r.x + 2 + w - x, g->driver ? g->driver : "none",
                            g->driver ? A_NORMAL : app_attr(a, C_WARNING));
        if (g->driver && streq(g->driver, "amdgpu"))
                x += draw_fmt(y, x, r.x + 2 + w - x, A_NORMAL, " (%s)", inspection_driver_origin(a->in));
        if (g->driver && g->kfd_node < 0)
                draw_text(y, x, r.x + 2 + w - x, "  no KFD node", app_attr(a, C_WARNING));
        else if (g->kfd_node >= 0)
                draw_fmt(y, x, r.x + 2 + w - x, A_NORMAL, "  KFD node %d", g->kfd_node);
        y++;

        dkms_line(a->in, dk, sizeof(dk));
        x = r.x + 2;
        x += draw_text(y, x, w, "DKMS ", A_NORMAL);
        draw_untrusted(y++, x, r.x + 2 + w - x, dk, A_NORMAL);
        x = r.x + 2;
        x += draw_text(y, x, w, "Kernel ", A_NORMAL);
        x += draw_untrusted(y, x, r.x + 2 + w - x, a->in->osrelease ? a->in->osrelease : "not running", A_NORMAL);
        if (g->render_node) {
                x += draw_text(y, x, r.x + 2 + w - x, "   render node ", A_NORMAL);
                draw_untrusted(y, x, r.x + 2 + w - x, g->render_node, A_NORMAL);
        }
        y++;

        /* Live numbers: one line, bars sized to what is left. */
        x = r.x + 2;
        if (!t || (!t->has_temp && !t->has_busy && !t->has_vram)) {
                draw_text(y, x, w, "No live telemetry (no amdgpu sysfs attributes for this device).", app_attr(a, C_DIM));
                return;
        }
        if (t->has_temp)
                x += draw_fmt(y, x, w, A_NORMAL, "Temp %ld C   ", t->temp_mc / 1000);
        else
                x += draw_text(y, x, w, "Temp ?   ", app_attr(a, C_DIM));
        barw = (r.x + 2 + w - x - 34) / 2;
        if (barw < 5)
                barw = 5;
        if (t->has_busy) {
                x += draw_text(y, x, r.x + 2 + w - x, "Busy ", A_NORMAL);
                draw_bar(y, x, barw, t->busy_percent / 100.0, app_attr(a, C_BAR));
                x += barw;
                x += draw_fmt(y, x, r.x + 2 + w - x, A_NORMAL, " %3u%%   ", t->busy_percent);
        }
        if (t->has_vram) {
                x += draw_text(y, x, r.x + 2 + w - x, "VRAM ", A_NORMAL);
                draw_bar(y, x, barw, (double)t->vram_used / (double)t->vram_total, app_attr(a, C_BAR));
                x += barw;
                draw_fmt(y, x, r.x + 2 + w - x, A_NORMAL, " %llu/%llu MiB", (unsigned long long)(t->vram_used >> 20),
                         (unsigned long long)(t->vram_total >> 20));
        }
}

static void overview_draw(tui_app *a, rect body)
{
        rect cards[MAX_CARDS];
        problem probs[MAX_PROBLEMS];
        size_t n, shown, n_probs;
        int y, rows;

        draw_summary(a, layout_summary(body));
        if (!a->in)
                return;
        n_probs = collect_problems(a->in->report, probs, ELEMENTSOF(probs));
        rows = problems_rows(a, body, probs, n_probs);
        draw_problems(a, body, body.y + SUMMARY_ROWS, probs, n_probs);
        /* the cards go below the problems */
        body.y += rows;
        body.h -= rows;
        n = a->in->n_devices;
        shown = layout_cards(body, n, cards, MAX_CARDS);
        for (size_t i = 0; i < shown; i++)
                draw_card(a, cards[i], i);
        y = shown ? cards[shown - 1].y + CARD_ROWS : body.y + SUMMARY_ROWS;
        if (shown < n && y < body.y + body.h)
                draw_fmt(y++, body.x + 2, body.w - 4, app_attr(a, C_DIM),
                         "%zu more device(s); enlarge the window to see them.", n - shown);
        if (n == 0 && y < body.y + body.h) {
                draw_text(y++, body.x + 2, body.w - 4,
                          a->in->live ? "No display devices found."
                                      : "No running system in this root: devices, loaded driver and KFD not probed.",
                          app_attr(a, C_DIM));
        }
        for (size_t i = 0; i < a->in->report->n_notes && y < body.y + body.h; i++) {
                rect r = {y, body.x + 2, body.y + body.h - y, body.w - 4};
                draw_wrapped(r, &y, 2, a->in->report->notes[i], app_attr(a, C_DIM));
        }
}

static bool overview_key(tui_app *a, tui_action act, int ch, rect body)
{
        if (act == ACT_ENTER) {
                a->nav.current = SCREEN_FINDINGS;
                return true;
        }
        return false;
}

const screen_ops screen_overview = {
        .id = SCREEN_OVERVIEW,
        .tab = "1 Overview",
        .draw = overview_draw,
        .key = overview_key,
};
