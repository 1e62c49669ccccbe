/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles: the profiles engine is not in this build yet. The screen says
 * so plainly; it becomes its own screen_profiles.c when it lands.
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

const screen_ops screen_profiles = {.id = SCREEN_PROFILES, .tab = "4 Profiles", .draw = profiles_draw};
