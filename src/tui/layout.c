/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "layout.h"

tui_layout layout_compute(int rows, int cols)
{
        tui_layout l = {0};

        if (rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) {
                l.too_small = true;
                l.body = (rect){0, 0, rows > 0 ? rows : 0, cols > 0 ? cols : 0};
                return l;
        }
        l.tabs = (rect){0, 0, 1, cols};
        l.status = (rect){rows - 1, 0, 1, cols};
        l.body = (rect){1, 0, rows - 2, cols};
        return l;
}

size_t layout_tabs(int cols, const char *const *labels, size_t n, int *x, int *w)
{
        int total = 0, gap = 2, pos = 1;
        size_t fit = 0;

        for (size_t i = 0; i < n; i++)
                total += (int)strlen(labels[i]) + (i ? gap : 0);
        /* Too wide: shrink the gaps to one column, then cut labels evenly. */
        if (total + 2 > cols) {
                gap = 1;
                total -= (int)(n ? n - 1 : 0);
        }
        for (size_t i = 0; i < n; i++) {
                int len = (int)strlen(labels[i]);

                if (total + 2 > cols) {
                        int each = (cols - 2 - (int)(n - 1) * gap) / (int)n;
                        if (len > each)
                                len = each;
                }
                if (len < 1 || pos + len > cols)
                        break;
                x[i] = pos;
                w[i] = len;
                pos += len + gap;
                fit++;
        }
        return fit;
}

rect layout_summary(rect body)
{
        return (rect){body.y, body.x, SUMMARY_ROWS, body.w};
}

size_t layout_cards(rect body, size_t n_devices, rect *ret, size_t max)
{
        int top = body.y + SUMMARY_ROWS, avail = body.h - SUMMARY_ROWS;
        int per_row = n_devices > 1 && body.w >= 2 * CARD_MIN_COLS ? 2 : 1;
        int card_w = body.w / per_row;
        size_t n = 0;

        for (size_t i = 0; i < n_devices && n < max; i++) {
                int row = (int)i / per_row, col = (int)i % per_row;
                rect c = {top + row * CARD_ROWS, body.x + col * card_w, CARD_ROWS,
                          col == per_row - 1 ? body.w - col * card_w : card_w};

                if ((row + 1) * CARD_ROWS > avail)
                        break;
                ret[n++] = c;
        }
        return n;
}

split layout_split(rect body)
{
        split s = {0};

        if (body.w >= SPLIT_MIN_COLS) {
                int lw = body.w * 2 / 5;

                s.side_by_side = true;
                s.list = (rect){body.y, body.x, body.h, lw};
                s.detail = (rect){body.y, body.x + lw, body.h, body.w - lw};
        } else {
                s.list = body;
                s.detail = body;
        }
        return s;
}

int layout_bar_fill(int w, double fraction)
{
        if (w <= 0 || !(fraction > 0)) /* also NaN */
                return 0;
        if (fraction >= 1)
                return w;
        return (int)(fraction * w);
}

int layout_scroll(int top, int sel, int n, int rows)
{
        if (rows <= 0 || n <= 0)
                return 0;
        if (sel < 0)
                sel = 0;
        if (sel >= n)
                sel = n - 1;
        if (sel < top)
                top = sel;
        if (sel >= top + rows)
                top = sel - rows + 1;
        if (top > n - rows)
                top = n - rows;
        return top < 0 ? 0 : top;
}

static size_t utf8_seq_len(unsigned char c)
{
        return c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
}

size_t layout_wrap(const char *s, int width, size_t *ret_next)
{
        size_t i = 0, last_space = 0, len = strlen(s);
        int col = 0;

        if (width < 1)
                width = 1;
        while (i < len && s[i] != '\n') {
                size_t n = utf8_seq_len((unsigned char)s[i]);

                if (col == width)
                        break;
                if (s[i] == ' ')
                        last_space = i;
                if (i + n > len)
                        n = len - i;
                i += n;
                col++;
        }
        if (i < len && s[i] != '\n' && s[i] != ' ' && last_space > 0)
                i = last_space; /* break at the last space that fits */
        if (i == 0 && len > 0)
                i = utf8_seq_len((unsigned char)s[0]);
        *ret_next = i;
        while (*ret_next < len && (s[*ret_next] == ' ' || s[*ret_next] == '\n'))
                if (s[(*ret_next)++] == '\n')
                        break;
        return i;
}

size_t layout_tail(const char *s, int width)
{
        size_t len = strlen(s), i = len;
        int cols = 0;

        for (size_t j = 0; j < len; j += utf8_seq_len((unsigned char)s[j]))
                cols++;
        if (cols <= width)
                return 0;
        /* walk back over whole sequences until width - 3 columns are taken */
        for (cols = 0; i > 0 && cols < width - (int)strlen(TAIL_MARK); cols++) {
                i--;
                while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
                        i--;
        }
        return i;
}

void layout_duration(unsigned seconds, char *buf, size_t size)
{
        if (seconds < 60)
                snprintf(buf, size, "%u s", seconds);
        else if (seconds < 3600)
                snprintf(buf, size, "%u min %02u s", seconds / 60, seconds % 60);
        else
                snprintf(buf, size, "%u h %02u min", seconds / 3600, seconds % 3600 / 60);
}
