/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dpkg.h"

#include "util.h"

/* Next line of buf[0..len) starting at *pos; NUL bytes end nothing special. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **ret, size_t *ret_len)
{
        const char *nl;

        if (*pos >= len)
                return false;
        *ret = buf + *pos;
        nl = memchr(*ret, '\n', len - *pos);
        *ret_len = nl ? (size_t)(nl - *ret) : len - *pos;
        *pos += *ret_len + 1;
        return true;
}

static bool field_is(const char *line, size_t n, const char *field, const char **ret_value, size_t *ret_vlen)
{
        size_t fl = strlen(field);

        /* Field names are case-insensitive in deb822. */
        if (n < fl + 1 || strncasecmp(line, field, fl) != 0 || line[fl] != ':')
                return false;
        line += fl + 1;
        n -= fl + 1;
        while (n > 0 && (*line == ' ' || *line == '\t'))
                line++, n--;
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                n--;
        *ret_value = line;
        *ret_vlen = n;
        return true;
}

int dpkg_status_field(const char *buf, size_t len, const char *package, const char *field, char **ret)
{
        const char *line, *v;
        size_t pos = 0, n, vlen;
        bool in_stanza = false;

        while (next_line(buf, len, &pos, &line, &n)) {
                if (n == 0 || (n == 1 && line[0] == '\r')) {
                        in_stanza = false; /* a blank line ends the stanza */
                        continue;
                }
                if (field_is(line, n, "Package", &v, &vlen)) {
                        in_stanza = vlen == strlen(package) && memcmp(v, package, vlen) == 0;
                        continue;
                }
                if (in_stanza && field_is(line, n, field, &v, &vlen)) {
                        char *s = strndup(v, vlen);

                        if (!s)
                                return -ENOMEM;
                        if (memchr(v, '\0', vlen)) {
                                free(s);
                                return -EBADMSG;
                        }
                        *ret = s;
                        return 1;
                }
        }
        return 0;
}

int md5sums_parse(const char *buf, size_t len, md5sums_cb cb, void *userdata)
{
        const char *line;
        size_t pos = 0, n;
        int bad = 0;

        while (next_line(buf, len, &pos, &line, &n)) {
                _cleanup_free_ char *path = NULL;
                char md5[33];
                const char *p;
                size_t plen;
                int r;

                if (n > 0 && line[n - 1] == '\r')
                        n--;
                if (n == 0)
                        continue;
                if (n < 35 || line[32] != ' ' || line[33] != ' ' || memchr(line, '\0', n)) {
                        bad++;
                        continue;
                }
                for (int i = 0; i < 32; i++) {
                        char c = line[i];

                        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                                goto malformed;
                        md5[i] = (char)(c | 0x20);
                }
                md5[32] = '\0';
                p = line + 34;
                plen = n - 34;
                while (plen > 0 && *p == '/')
                        p++, plen--;
                if (plen == 0)
                        goto malformed;
                path = malloc(plen + 2);
                if (!path)
                        return -ENOMEM;
                path[0] = '/';
                memcpy(path + 1, p, plen);
                path[plen + 1] = '\0';
                r = cb(md5, path, userdata);
                if (r < 0)
                        return r;
                continue;
        malformed:
                bad++;
        }
        return bad;
}
