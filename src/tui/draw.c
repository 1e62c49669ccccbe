/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "base/util.h"
#include "draw.h"

int draw_text(int y, int x, int maxw, const char *s, attr_t attr)
{
        wchar_t buf[512];
        mbstate_t st = {0};
        size_t len = strlen(s), i = 0;
        int cols = 0, n = 0;

        if (maxw <= 0 || y < 0 || x < 0)
                return 0;
        while (i < len && n < (int)ELEMENTSOF(buf) - 1) {
                wchar_t wc;
                size_t k = mbrtowc(&wc, s + i, len - i, &st);
                int w;

                if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
                        /* not UTF-8: one byte, shown as '?' (never sent raw) */
                        memset(&st, 0, sizeof(st));
                        wc = L'?';
                        k = 1;
                }
                if (iswcntrl((wint_t)wc))
                        wc = L'?';
                w = wcwidth(wc);
                if (w < 0) {
                        wc = L'?';
                        w = 1;
                }
                if (cols + w > maxw)
                        break;
                buf[n++] = wc;
                cols += w;
                i += k;
        }
        buf[n] = L'\0';
        attron(attr);
        mvaddnwstr(y, x, buf, n);
        attroff(attr);
        return cols;
}

int draw_fmt(int y, int x, int maxw, attr_t attr, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return draw_text(y, x, maxw, buf, attr);
}

int draw_untrusted(int y, int x, int maxw, const char *s, attr_t attr)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, 4096);

        return draw_text(y, x, maxw, e ? e : "?", attr);
}

int draw_untrusted_tail(int y, int x, int maxw, const char *s, attr_t attr)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, 4096);
        size_t start;

        if (!e || maxw <= (int)strlen(TAIL_MARK))
                return draw_text(y, x, maxw, e ? e : "?", attr);
        start = layout_tail(e, maxw);
        if (start == 0)
                return draw_text(y, x, maxw, e, attr);
        x += draw_text(y, x, maxw, TAIL_MARK, attr);
        return (int)strlen(TAIL_MARK) + draw_text(y, x, maxw - (int)strlen(TAIL_MARK), e + start, attr);
}

void draw_wrapped(rect r, int *y, int indent, const char *s, attr_t attr)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, 8192);
        const char *p = e ? e : "?";
        bool first = true;

        while (*p && *y < r.y + r.h) {
                int off = first ? 0 : indent;
                size_t next, n = layout_wrap(p, r.w - off, &next);
                char line[2048];

                if (n >= sizeof(line))
                        n = sizeof(line) - 1;
                memcpy(line, p, n);
                line[n] = '\0';
                draw_text(*y, r.x + off, r.w - off, line, attr);
                (*y)++;
                p += next;
                first = false;
        }
}

void draw_hline(int y, int x, int w)
{
        if (w > 0)
                mvhline(y, x, ACS_HLINE, w);
}

void draw_box(rect r, const char *title, attr_t title_attr)
{
        if (r.h < 2 || r.w < 2)
                return;
        mvaddch(r.y, r.x, ACS_ULCORNER);
        mvhline(r.y, r.x + 1, ACS_HLINE, r.w - 2);
        mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
        mvvline(r.y + 1, r.x, ACS_VLINE, r.h - 2);
        mvvline(r.y + 1, r.x + r.w - 1, ACS_VLINE, r.h - 2);
        mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
        mvhline(r.y + r.h - 1, r.x + 1, ACS_HLINE, r.w - 2);
        mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
        if (title && *title && r.w > 6) {
                int used;

                mvaddch(r.y, r.x + 2, ' ');
                used = draw_text(r.y, r.x + 3, r.w - 6, title, title_attr);
                mvaddch(r.y, r.x + 3 + used, ' ');
        }
}

void draw_bar(int y, int x, int w, double fraction, attr_t attr)
{
        int inner = w - 2, fill;

        if (w < 3)
                return;
        fill = layout_bar_fill(inner, fraction);
        mvaddch(y, x, '[');
        attron(attr);
        for (int i = 0; i < fill; i++)
                mvaddch(y, x + 1 + i, '#');
        attroff(attr);
        for (int i = fill; i < inner; i++)
                mvaddch(y, x + 1 + i, '.');
        mvaddch(y, x + w - 1, ']');
}
