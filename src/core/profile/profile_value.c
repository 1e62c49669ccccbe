/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Environment names and values: what a profile may contain, and how a
 * value becomes a shell word or an exec environment entry.
 */
#include "profile/profile.h"

#include <stdint.h>

bool utf8_valid(const char *str, size_t len)
{
        const unsigned char *s = (const unsigned char *)str;

        for (size_t i = 0; i < len;) {
                size_t n;
                uint32_t cp;

                if (s[i] < 0x80) {
                        i++;
                        continue;
                }
                if (s[i] >= 0xc2 && s[i] <= 0xdf)
                        n = 2, cp = s[i] & 0x1f;
                else if (s[i] >= 0xe0 && s[i] <= 0xef)
                        n = 3, cp = s[i] & 0x0f;
                else if (s[i] >= 0xf0 && s[i] <= 0xf4)
                        n = 4, cp = s[i] & 0x07;
                else
                        return false;
                if (n > len - i)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return true;
}

/* The expansions a value may use: per-user directories need the home. */
static const char *const expansions[] = {"${HOME}", "${USER}"};

static const char *expansion_at(const char *p)
{
        for (size_t i = 0; i < ELEMENTSOF(expansions); i++)
                if (startswith(p, expansions[i]))
                        return expansions[i];
        return NULL;
}

const char *env_value_problem(const char *value, size_t len)
{
        if (memchr(value, '\0', len))
                return "the value contains a NUL byte";
        if (!utf8_valid(value, len))
                return "the value is not valid UTF-8";
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)value[i];

                if (c == '\n' || c == '\r')
                        return "the value contains a line break";
                if (c < 0x20 || c == 0x7f)
                        return "the value contains a control character";
                if (c == '`')
                        return "the value contains a backtick (command substitution)";
                if (c == '$' && i + 1 < len && value[i + 1] == '(')
                        return "the value contains $( (command substitution)";
                if (c == '$' && !expansion_at(value + i))
                        return "the value contains $ other than ${HOME} or ${USER} (no other expansion is done)";
        }
        return NULL;
}

int env_value_expand(const char *value, const char *home, const char *user, char **ret)
{
        size_t n = 0, cap = strlen(value) + 1;
        char *out = malloc(cap);

        if (!out)
                return -ENOMEM;
        for (const char *p = value; *p;) {
                const char *e = expansion_at(p), *with = NULL;
                size_t add;

                if (e)
                        with = streq(e, "${HOME}") ? (home ? home : "") : (user ? user : "");
                add = e ? strlen(with) : 1;
                if (n + add + 1 > cap) {
                        char *grown;

                        cap = (n + add + 1) * 2;
                        grown = realloc(out, cap);
                        if (!grown) {
                                free(out);
                                return -ENOMEM;
                        }
                        out = grown;
                }
                if (e) {
                        memcpy(out + n, with, add);
                        p += strlen(e);
                } else
                        out[n] = *p++;
                n += add;
        }
        out[n] = '\0';
        *ret = out;
        return 0;
}

char *env_value_shell_quote(const char *value)
{
        /* Worst case: every byte a quote ('\'' is 4 bytes), plus the quotes. */
        char *out = malloc(strlen(value) * 4 + 16), *o = out;
        bool open = false;

        if (!out)
                return NULL;
        for (const char *p = value; *p;) {
                const char *e = expansion_at(p);

                if (e) {
                        if (open)
                                *o++ = '\'';
                        open = false;
                        o += sprintf(o, "\"%s\"", e);
                        p += strlen(e);
                        continue;
                }
                if (*p == '\'') {
                        if (open)
                                *o++ = '\'';
                        open = false;
                        o = stpcpy(o, "\\'");
                        p++;
                        continue;
                }
                if (!open)
                        *o++ = '\'';
                open = true;
                *o++ = *p++;
        }
        if (open)
                *o++ = '\'';
        if (o == out)
                o = stpcpy(o, "''");
        *o = '\0';
        return out;
}
