/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <curses.h>
#include <string.h>

#include "confirm.h"

confirm_result line_edit_key(char *buf, size_t size, int ch)
{
        size_t len = strlen(buf);

        switch (ch) {
        case 27:
                return CONFIRM_CANCELLED;
        case '\n':
        case '\r':
        case KEY_ENTER:
                return CONFIRM_ACCEPTED;
        case KEY_BACKSPACE:
        case 127:
        case 8:
                if (len)
                        buf[len - 1] = '\0';
                return CONFIRM_TYPING;
        default:
                if (ch >= 0x20 && ch < 0x7f && len + 1 < size) {
                        buf[len] = (char)ch;
                        buf[len + 1] = '\0';
                }
                return CONFIRM_TYPING;
        }
}

/* The same field, but Enter accepts only the word and Esc or Enter always clear it. */
confirm_result confirm_key(char *buf, size_t size, int ch)
{
        confirm_result r = line_edit_key(buf, size, ch);
        bool word;

        if (r == CONFIRM_TYPING)
                return r;
        word = strcmp(buf, CONFIRM_WORD) == 0;
        buf[0] = '\0';
        if (r == CONFIRM_CANCELLED)
                return r;
        return word ? CONFIRM_ACCEPTED : CONFIRM_TYPING; /* anything else: start over */
}
