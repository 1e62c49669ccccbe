/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/util.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

bool endswith(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int loop_write(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

ssize_t loop_read(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

static int mkdir_parents_mode(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int mkdir_p_mode(const char *path, mode_t parent_mode, mode_t mode)
{
        int r = mkdir_parents_mode(path, parent_mode);

        if (r < 0)
                return r;
        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

bool buf_next_line(const char *buf, size_t len, size_t *pos, const char **ret_line, size_t *ret_n)
{
        const char *l, *nl;
        size_t n;

        if (*pos >= len)
                return false;
        l = buf + *pos;
        nl = memchr(l, '\n', len - *pos);
        n = nl ? (size_t)(nl - l) : len - *pos;
        *pos += n + (nl ? 1 : 0);
        *ret_line = l;
        *ret_n = n;
        return true;
}

char *strstrip(char *s)
{
        char *e;

        while (*s && isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

/* Length of a valid UTF-8 sequence at s (at most avail bytes), 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t avail)
{
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n > avail)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        /* C1 controls (U+0080..U+009F) are terminal controls too. */
        if (cp >= 0x80 && cp <= 0x9f)
                return 0;
        return n;
}

char *escape_untrusted(const char *s, size_t len, size_t max_len)
{
        const unsigned char *p = (const unsigned char *)s;
        bool truncated = false;
        char *out, *o;

        if (max_len && len > max_len) {
                len = max_len;
                truncated = true;
        }
        out = malloc(len * 4 + 4);
        if (!out)
                return NULL;
        o = out;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_valid_len(p + i, len - i);

                if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
                        n = 0;
                if (n == 0) {
                        o += sprintf(o, "\\x%02x", p[i]);
                        i++;
                        continue;
                }
                memcpy(o, p + i, n);
                o += n;
                i += n;
        }
        if (truncated) {
                memcpy(o, "\xe2\x80\xa6", 3); /* … */
                o += 3;
        }
        *o = '\0';
        return out;
}

uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int safe_atou64(const char *s, int base, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno)
                return -errno;
        if (*end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int strv_push(strv *v, char *s)
{
        if (!s)
                return -ENOMEM;
        if (v->n + 2 > v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 8;
                char **n = realloc(v->items, cap * sizeof(char *));
                if (!n) {
                        free(s);
                        return -ENOMEM;
                }
                v->items = n;
                v->cap = cap;
        }
        v->items[v->n++] = s;
        v->items[v->n] = NULL;
        return 0;
}

int strv_push_dup(strv *v, const char *s)
{
        return strv_push(v, strdup(s));
}

bool strv_contains(const strv *v, const char *s)
{
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->items[i], s))
                        return true;
        return false;
}

int strcmp_ptr(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(strv *v)
{
        if (v->n > 1)
                qsort(v->items, v->n, sizeof(char *), strcmp_ptr);
}

void strv_clear(strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->items[i]);
        free(v->items);
        *v = (strv){0};
}

char *hex_encode(const uint8_t *buf, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        char *s = malloc(len * 2 + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                s[2 * i] = hex[buf[i] >> 4];
                s[2 * i + 1] = hex[buf[i] & 15];
        }
        s[len * 2] = '\0';
        return s;
}
