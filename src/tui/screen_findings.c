/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Findings: the list (critical first), Enter for one finding's detail —
 * why, the evidence (path:line and the matched setting, escaped by the
 * report), and the fix. Side by side from SPLIT_MIN_COLS columns on.
 */
#include "base/util.h"
#include "draw.h"
#include "screen.h"

static const char *const sev_tag[_SEVERITY_MAX] = {
        [SEVERITY_INFO] = "info",
        [SEVERITY_WARNING] = "WARN",
        [SEVERITY_CRITICAL] = "CRIT",
};

static colour_kind sev_colour(severity s)
{
        return s == SEVERITY_CRITICAL ? C_CRITICAL : s == SEVERITY_WARNING ? C_WARNING : C_INFO;
}

static int n_findings(const tui_app *a)
{
        return a->in ? (int)a->in->report->n_findings : 0;
}

/* Rows of the list itself: the rect less its header line. */
static int list_rows(rect r)
{
        return r.h - 1;
}

static void draw_list(tui_app *a, rect r, bool focus)
{
        int n = n_findings(a), rows = list_rows(r);
        size_t reasons = 0;

        for (size_t i = 0; a->in && i < a->in->report->n_reasons; i++)
                reasons += a->in->report->reasons[i].matters;
        if (!a->in) {
                draw_text(r.y, r.x + 1, r.w - 2, a->scan_error < 0 ? "The inspection failed." : "Inspecting...",
                          app_attr(a, C_DIM));
                return;
        }
        int hx = r.x + 1 + draw_fmt(r.y, r.x + 1, r.w - 2, app_attr(a, C_TITLE), "%d finding%s%s", n,
                                    n == 1 ? "" : "s", reasons ? "; could not check: " : "  (Enter: evidence and fix)");
        if (reasons) {
                char buf[256] = "";
                size_t len = 0;

                for (size_t i = 0; i < a->in->report->n_reasons && len < sizeof(buf) - 2; i++)
                        if (a->in->report->reasons[i].matters)
                                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? ", " : "",
                                                        a->in->report->reasons[i].probe);
                draw_untrusted(r.y, hx, r.x + r.w - 1 - hx, buf, app_attr(a, C_WARNING));
        }
        a->findings.top = layout_scroll(a->findings.top, a->findings.sel, n, rows);
        for (int i = 0; i < rows && a->findings.top + i < n; i++) {
                int idx = a->findings.top + i, y = r.y + 1 + i, x = r.x + 1;
                const finding *f = &a->in->report->findings[idx];
                bool sel = idx == a->findings.sel;
                attr_t base = sel && focus ? A_REVERSE : sel ? A_BOLD : A_NORMAL;

                if (sel)
                        mvhline(y, r.x, ' ' | base, r.w);
                mvaddch(y, r.x, sel ? '>' | base : ' ');
                x += draw_fmt(y, x, r.w - 2, base | app_attr(a, sev_colour(f->severity)), "%-4s", sev_tag[f->severity]);
                x += draw_text(y, x, r.x + r.w - x, " ", base);
                x += draw_untrusted(y, x, r.x + r.w - x, f->id, base | A_BOLD);
                x += draw_text(y, x, r.x + r.w - x, "  ", base);
                draw_untrusted(y, x, r.x + r.w - x - 1, f->title, base);
        }
        if (n == 0)
                draw_text(r.y + 2, r.x + 2, r.w - 4, "Nothing to report.", app_attr(a, C_OK));
}

static void draw_detail(tui_app *a, rect r)
{
        const finding *f;
        rect t = {r.y, r.x + 1, r.h, r.w - 2};
        int y = r.y;

        if (!a->in || n_findings(a) == 0)
                return;
        f = &a->in->report->findings[a->findings.sel];
        {
                int x = t.x;
                x += draw_fmt(y, x, t.w, app_attr(a, sev_colour(f->severity)) | A_BOLD, "%s ",
                              severity_to_string(f->severity));
                x += draw_untrusted(y, x, t.x + t.w - x, f->id, A_BOLD);
                if (f->pci_slot) {
                        x += draw_text(y, x, t.x + t.w - x, "  device ", A_NORMAL);
                        x += draw_untrusted(y, x, t.x + t.w - x, f->pci_slot, A_NORMAL);
                }
                draw_fmt(y, x, t.x + t.w - x, app_attr(a, C_DIM), "   [%d/%d]%s", a->findings.sel + 1, n_findings(a),
                         layout_split((rect){0, 0, 1, a->cols}).side_by_side ? "" : "  Esc: list");
                y++;
        }
        draw_wrapped(t, &y, 0, f->title, A_NORMAL);
        y++;
        if (y < t.y + t.h)
                draw_text(y++, t.x, t.w, "Evidence", app_attr(a, C_TITLE));
        for (size_t i = 0; i < f->n_evidence && y < t.y + t.h; i++) {
                const evidence *e = &f->evidence[i];
                _cleanup_free_ char *line = NULL;

                if (e->path && e->line)
                        line = strdup_printf("%s:%u%s%s", e->path, e->line, e->detail ? "  " : "", e->detail ? e->detail : "");
                else
                        line = strdup_printf("%s%s%s", e->path ? e->path : "", e->path && e->detail ? "  " : "",
                                             e->detail ? e->detail : "");
                draw_wrapped((rect){y, t.x + 2, t.y + t.h - y, t.w - 2}, &y, 4, line ? line : "?", A_NORMAL);
        }
        if (f->n_evidence == 0 && y < t.y + t.h)
                draw_text(y++, t.x + 2, t.w - 2, "(none recorded)", app_attr(a, C_DIM));
        y++;
        if (f->fix && *f->fix && y < t.y + t.h) {
                draw_text(y++, t.x, t.w, "Fix", app_attr(a, C_TITLE));
                draw_wrapped((rect){y, t.x + 2, t.y + t.h - y, t.w - 2}, &y, 0, f->fix, A_NORMAL);
        }
        if (y + 1 < t.y + t.h)
                draw_text(y + 1, t.x, t.w,
                          f->fixable ? "Recovery can do this (rdna1-doctor --recover; screen 3 when built in)."
                                     : "Not fixed automatically: follow the fix above.",
                          app_attr(a, C_DIM));
}

static void findings_draw(tui_app *a, rect body)
{
        split s = layout_split(body);

        if (s.side_by_side) {
                draw_list(a, s.list, !a->findings_detail);
                mvvline(s.detail.y, s.detail.x, ACS_VLINE, s.detail.h);
                s.detail.x += 1;
                s.detail.w -= 1;
                draw_detail(a, s.detail);
        } else if (a->findings_detail) {
                draw_detail(a, s.detail);
        } else {
                draw_list(a, s.list, true);
        }
}

static bool findings_key(tui_app *a, tui_action act, int ch, rect body)
{
        split s = layout_split(body);

        if (act == ACT_ENTER && n_findings(a) > 0) {
                a->findings_detail = true;
                return true;
        }
        if (act == ACT_BACK && a->findings_detail) {
                a->findings_detail = false;
                return true;
        }
        /* In the one-at-a-time layout, moving in the detail moves to the next finding. */
        return list_apply(&a->findings, act, n_findings(a), list_rows(s.list));
}

static void findings_enter(tui_app *a)
{
        a->findings_detail = false;
}

const screen_ops screen_findings = {
        .id = SCREEN_FINDINGS,
        .tab = "2 Findings",
        .enter = findings_enter,
        .draw = findings_draw,
        .key = findings_key,
};
