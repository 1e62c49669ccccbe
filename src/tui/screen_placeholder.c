/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recovery, Profiles and History: their engines (planner and journal,
 * profiles) are not in this build yet. The screens say so plainly and
 * point at what exists; each becomes its own screen_*.c when they land.
 */
#include "draw.h"
#include "screen.h"
#include "util.h"

static void draw_lines(tui_app *a, rect body, const char *title, const char *const *lines)
{
        int y = body.y + 1;
        rect t = {body.y, body.x + 2, body.h, body.w - 4};

        draw_text(y++, t.x, t.w, title, app_attr(a, C_TITLE));
        y++;
        for (size_t i = 0; lines[i] && y < t.y + t.h; i++) {
                draw_wrapped((rect){y, t.x, t.y + t.h - y, t.w}, &y, 0, lines[i], A_NORMAL);
                y++;
        }
}

static void recovery_draw(tui_app *a, rect body)
{
        static const char *const lines[] = {
                "Recovery is not in this build of rdna1-doctor.",
                "It will show the plan for the fixable findings, ask for a typed confirmation, run it step by step "
                "through the journal and tell you whether to reboot.",
                "Until then: the Findings screen (2) shows the fix for each finding.",
                NULL,
        };
        size_t fixable = 0;

        for (size_t i = 0; a->in && i < a->in->report->n_findings; i++)
                fixable += a->in->report->findings[i].fixable;
        draw_lines(a, body, "Recovery", lines);
        if (a->in)
                draw_fmt(body.y + body.h - 2, body.x + 2, body.w - 4, app_attr(a, C_DIM),
                         "%zu of the findings are marked fixable.", fixable);
}

static void profiles_draw(tui_app *a, rect body)
{
        static const char *const lines[] = {
                "Profiles are not in this build of rdna1-doctor.",
                "They will list the shipped environment profiles, show the difference to the current environment, "
                "validate and install them.",
                NULL,
        };
        draw_lines(a, body, "Profiles", lines);
}

static void history_draw(tui_app *a, rect body)
{
        static const char *const lines[] = {
                "History is not in this build of rdna1-doctor.",
                "It will list the recovery journal's runs and roll one back.",
                NULL,
        };
        draw_lines(a, body, "History", lines);
}

const screen_ops screen_recovery = {.id = SCREEN_RECOVERY, .tab = "3 Recovery", .draw = recovery_draw};
const screen_ops screen_profiles = {.id = SCREEN_PROFILES, .tab = "4 Profiles", .draw = profiles_draw};
const screen_ops screen_history = {.id = SCREEN_HISTORY, .tab = "6 History", .draw = history_draw};
