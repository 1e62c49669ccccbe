/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "parse/dpkg.h"

#include "base/util.h"

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

        while (buf_next_line(buf, len, &pos, &line, &n)) {
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

        while (buf_next_line(buf, len, &pos, &line, &n)) {
                _cleanup_free_ char *heap = NULL;
                char md5[33], stack[1024], *path;
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
                /* Most paths fit the stack buffer: no allocation per line. */
                path = plen + 2 <= sizeof(stack) ? stack : (heap = malloc(plen + 2));
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

/* ---- whole status file ---- */

static int strndup_checked(const char *v, size_t n, char **ret)
{
        char *s;

        if (memchr(v, '\0', n))
                return -EBADMSG;
        s = strndup(v, n);
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

static void dpkg_pkg_clear(dpkg_pkg *p)
{
        free(p->name);
        free(p->arch);
        free(p->version);
        free(p->status);
        free(p->multi_arch);
        for (size_t i = 0; i < p->n_conffiles; i++)
                free(p->conffiles[i].path);
        free(p->conffiles);
        *p = (dpkg_pkg){0};
}

void dpkg_pkgs_free(dpkg_pkg *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                dpkg_pkg_clear(&p[i]);
        free(p);
}

/* " /etc/foo 0123...abcd [obsolete]" */
static int conffile_line(dpkg_pkg *p, const char *line, size_t n)
{
        const char *end = line + n, *path, *sp;
        dpkg_conffile c = {0}, *a;
        size_t plen;

        while (line < end && (*line == ' ' || *line == '\t'))
                line++;
        if (line >= end || *line != '/')
                return 0;
        path = line;
        /* The path may hold spaces: the digest is the second-to-last or last word. */
        sp = end;
        while (sp > path && sp[-1] != ' ')
                sp--;
        if (sp <= path)
                return 0;
        if (((size_t)(end - sp) == 8 && memcmp(sp, "obsolete", 8) == 0) ||
            ((size_t)(end - sp) == 17 && memcmp(sp, "remove-on-upgrade", 17) == 0)) {
                /* a flag word after the digest */
                c.obsolete = true;
                end = sp - 1;
                sp = end;
                while (sp > path && sp[-1] != ' ')
                        sp--;
                if (sp <= path)
                        return 0;
        }
        plen = (size_t)(sp - 1 - path);
        if ((size_t)(end - sp) == 32) {
                for (int i = 0; i < 32; i++) {
                        char ch = sp[i];

                        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
                                c.md5[0] = '\0';
                                break;
                        }
                        c.md5[i] = (char)(ch | 0x20);
                        c.md5[i + 1] = '\0';
                }
        }
        if (memchr(path, '\0', plen))
                return -EBADMSG;
        c.path = strndup(path, plen);
        if (!c.path)
                return -ENOMEM;
        a = realloc(p->conffiles, (p->n_conffiles + 1) * sizeof(*a));
        if (!a) {
                free(c.path);
                return -ENOMEM;
        }
        p->conffiles = a;
        a[p->n_conffiles++] = c;
        return 0;
}

int dpkg_status_parse(const char *buf, size_t len, dpkg_pkg **ret, size_t *ret_n)
{
        dpkg_pkg *pkgs = NULL, cur = {0};
        size_t n = 0, pos = 0, ln;
        const char *line, *v;
        size_t vlen;
        bool in_conffiles = false, have = false;
        int r = 0;

        for (;;) {
                bool more = buf_next_line(buf, len, &pos, &line, &ln);

                if (more && ln > 0 && line[ln - 1] == '\r')
                        ln--;
                if (!more || ln == 0) {
                        /* end of a stanza */
                        if (have && cur.name) {
                                dpkg_pkg *a = realloc(pkgs, (n + 1) * sizeof(*a));

                                if (!a) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                pkgs = a;
                                pkgs[n++] = cur;
                                cur = (dpkg_pkg){0};
                        } else
                                dpkg_pkg_clear(&cur);
                        have = in_conffiles = false;
                        if (!more)
                                break;
                        continue;
                }
                have = true;
                if (line[0] == ' ' || line[0] == '\t') {
                        if (in_conffiles) {
                                r = conffile_line(&cur, line, ln);
                                if (r < 0)
                                        goto fail;
                        }
                        continue;
                }
                in_conffiles = false;
                if (field_is(line, ln, "Package", &v, &vlen))
                        r = strndup_checked(v, vlen, &cur.name);
                else if (field_is(line, ln, "Architecture", &v, &vlen))
                        r = strndup_checked(v, vlen, &cur.arch);
                else if (field_is(line, ln, "Version", &v, &vlen))
                        r = strndup_checked(v, vlen, &cur.version);
                else if (field_is(line, ln, "Status", &v, &vlen))
                        r = strndup_checked(v, vlen, &cur.status);
                else if (field_is(line, ln, "Multi-Arch", &v, &vlen))
                        r = strndup_checked(v, vlen, &cur.multi_arch);
                else if (field_is(line, ln, "Conffiles", &v, &vlen))
                        in_conffiles = true;
                if (r < 0)
                        goto fail;
        }
        *ret = pkgs;
        *ret_n = n;
        return 0;
fail:
        dpkg_pkg_clear(&cur);
        dpkg_pkgs_free(pkgs, n);
        return r;
}

bool dpkg_status_has_files(const char *status)
{
        const char *state;

        if (!status)
                return false;
        /* "want flag state": the last word */
        state = strrchr(status, ' ');
        state = state ? state + 1 : status;
        return streq(state, "installed") || streq(state, "half-configured") || streq(state, "unpacked") ||
                streq(state, "triggers-awaited") || streq(state, "triggers-pending") ||
                streq(state, "half-installed");
}

/* ---- diversions ---- */

void dpkg_diversions_free(dpkg_diversion *d, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(d[i].from);
                free(d[i].to);
                free(d[i].package);
        }
        free(d);
}

int dpkg_diversions_parse(const char *buf, size_t len, dpkg_diversion **ret, size_t *ret_n)
{
        dpkg_diversion *d = NULL;
        size_t n = 0, pos = 0;
        const char *l[3];
        size_t ll[3];
        int r;

        for (;;) {
                dpkg_diversion *a;
                int k;

                for (k = 0; k < 3; k++)
                        if (!buf_next_line(buf, len, &pos, &l[k], &ll[k]))
                                break;
                if (k < 3)
                        break;
                a = realloc(d, (n + 1) * sizeof(*a));
                if (!a) {
                        r = -ENOMEM;
                        goto fail;
                }
                d = a;
                d[n] = (dpkg_diversion){0};
                n++;
                if ((r = strndup_checked(l[0], ll[0], &d[n - 1].from)) < 0 ||
                    (r = strndup_checked(l[1], ll[1], &d[n - 1].to)) < 0 ||
                    (r = strndup_checked(l[2], ll[2], &d[n - 1].package)) < 0)
                        goto fail;
        }
        *ret = d;
        *ret_n = n;
        return 0;
fail:
        dpkg_diversions_free(d, n);
        return r;
}

char *dpkg_archive_name(const char *package, const char *version, const char *arch)
{
        _cleanup_free_ char *v = NULL;
        const char *colon = strchr(version, ':');

        if (colon)
                v = strdup_printf("%.*s%%3a%s", (int)(colon - version), version, colon + 1);
        else
                v = strdup(version);
        if (!v)
                return NULL;
        return strdup_printf("%s_%s_%s.deb", package, v, arch ? arch : "all");
}
