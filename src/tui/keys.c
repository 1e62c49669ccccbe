/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <curses.h>

#include "keys.h"

#define CTRL_(c) ((c) & 0x1f)

/* The one key table. Order is the help screen's order. */
const key_binding tui_keys[] = {
        {{'?', KEY_F(1)}, "?  F1", ACT_HELP, SCOPE_GLOBAL, "this help (any screen key leaves it)"},
        {{'\t'}, "Tab", ACT_NEXT_SCREEN, SCOPE_GLOBAL, "next screen"},
        {{KEY_BTAB}, "Shift+Tab", ACT_PREV_SCREEN, SCOPE_GLOBAL, "previous screen"},
        {{'1'}, "1", ACT_SCREEN_1, SCOPE_GLOBAL, "Overview: devices, driver, live telemetry, verdict"},
        {{'2'}, "2", ACT_SCREEN_2, SCOPE_GLOBAL, "Findings: list, Enter for evidence and fix"},
        {{'3'}, "3", ACT_SCREEN_3, SCOPE_GLOBAL, "Recovery: the plan, Enter and typed yes apply it"},
        {{'4'}, "4", ACT_SCREEN_4, SCOPE_GLOBAL, "Profiles: list, Enter diff, v validate, i install"},
        {{'5'}, "5", ACT_SCREEN_5, SCOPE_GLOBAL, "Self-test: run it, live progress and results"},
        {{'6'}, "6", ACT_SCREEN_6, SCOPE_GLOBAL, "History: recovery runs, Enter and typed yes roll one back"},
        {{'r'}, "r", ACT_RESCAN, SCOPE_GLOBAL, "inspect the system again"},
        {{CTRL_('l')}, "Ctrl+L", ACT_REDRAW, SCOPE_GLOBAL, "redraw the screen"},
        {{'q', 'Q'}, "q", ACT_QUIT, SCOPE_GLOBAL, "quit"},
        {{KEY_UP, 'k'}, "Up  k", ACT_UP, SCOPE_LISTS, "previous line"},
        {{KEY_DOWN, 'j'}, "Down  j", ACT_DOWN, SCOPE_LISTS, "next line"},
        {{KEY_PPAGE}, "PgUp", ACT_PAGE_UP, SCOPE_LISTS, "page up"},
        {{KEY_NPAGE, ' '}, "PgDn  Space", ACT_PAGE_DOWN, SCOPE_LISTS, "page down"},
        {{KEY_HOME, 'g'}, "Home  g", ACT_HOME, SCOPE_LISTS, "first line"},
        {{KEY_END, 'G'}, "End  G", ACT_END, SCOPE_LISTS, "last line"},
        {{'\n', '\r', KEY_ENTER, KEY_RIGHT}, "Enter", ACT_ENTER, SCOPE_LISTS, "open the finding; Recovery: apply; History: roll back"},
        {{27, KEY_BACKSPACE, KEY_LEFT, 127}, "Esc  Left", ACT_BACK, SCOPE_LISTS, "back to the list"},
        {{'s'}, "s", ACT_START, SCOPE_SELFTEST, "start the self-test"},
        {{'b'}, "b", ACT_BACKEND, SCOPE_SELFTEST, "backend: cpu (the same pipeline on the CPU) or hip (the GPU)"},
        {{'w'}, "w", ACT_SWEEP, SCOPE_SELFTEST, "sweep: quick or standard"},
        {{'f'}, "f", ACT_FRAMEWORK, SCOPE_SELFTEST, "framework probe: asks for the Python (and a profile), Esc cancels"},
        {{'c'}, "c", ACT_CANCEL, SCOPE_SELFTEST, "cancel the running self-test (press twice)"},
        {{'v'}, "v", ACT_VALIDATE, SCOPE_PROFILES, "validate the selected profile on this system"},
        {{'i'}, "i", ACT_INSTALL, SCOPE_PROFILES, "install the selected profile (asks you to type yes)"},
};
const size_t tui_n_keys = sizeof(tui_keys) / sizeof(tui_keys[0]);

tui_action tui_key_action(int key)
{
        if (key == 0)
                return ACT_NONE;
        for (size_t i = 0; i < tui_n_keys; i++)
                for (size_t k = 0; k < KEY_BINDING_MAX_KEYS && tui_keys[i].keys[k]; k++)
                        if (tui_keys[i].keys[k] == key)
                                return tui_keys[i].action;
        return ACT_NONE;
}

const key_binding *tui_key_binding(tui_action a)
{
        for (size_t i = 0; i < tui_n_keys; i++)
                if (tui_keys[i].action == a)
                        return &tui_keys[i];
        return NULL;
}

const char *key_scope_title(key_scope s)
{
        static const char *const titles[_SCOPE_MAX] = {
                [SCOPE_GLOBAL] = "Everywhere",
                [SCOPE_LISTS] = "Lists (Findings, Self-test results, Help)",
                [SCOPE_SELFTEST] = "Self-test screen",
                [SCOPE_PROFILES] = "Profiles screen (Enter: the difference to the shells' environment)",
        };

        return s >= 0 && s < _SCOPE_MAX ? titles[s] : NULL;
}
