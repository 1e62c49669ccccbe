/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <curses.h>
#include <string.h>

#include "confirm.h"

confirm_result confirm_key(char *buf, size_t size, int ch)
{
        size_t len = strlen(buf);

        switch (ch) {
        case 27:
                buf[0] = '\0';
                return CONFIRM_CANCELLED;
        case '\n':
        case '\r':
        case KEY_ENTER:
                if (strcmp(buf, CONFIRM_WORD) == 0) {
                        buf[0] = '\0';
                        return CONFIRM_ACCEPTED;
                }
                buf[0] = '\0'; /* anything else: start over */
                return CONFIRM_TYPING;
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
