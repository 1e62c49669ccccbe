/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser for one line of `dkms status` output. The formats (docs/DOMAIN.md §4):
 *   <= 2.8.5:      "M, V, K, A: STATE[ (EXTRA)]"     and "M, V: added" (2.3)
 *   2.8.6 .. 3.x:  "M/V, K, A: STATE[ (EXTRA)]"      and "M/V: added|broken"
 *   weak installs: "M, V, K, A: installed-weak from KERNEL"
 * dkms also prints "Warning: ..." and "Error! ..." lines around these; they
 * are not status lines.
 */
#include "parse/dkms_parse.h"

#include "base/util.h"

static const char *const known_states[] = {
        "added", "built", "installed", "installed-weak", "broken",
};

static bool state_known(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(known_states); i++)
                if (streq(s, known_states[i]))
                        return true;
        return false;
}

/* A field of the head: non-empty, no blanks or control bytes, no ':'. */
static bool field_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ':' || *s == ',')
                        return false;
        return true;
}

void dkms_status_entry_clear(dkms_status_entry *e)
{
        if (!e)
                return;
        free(e->module);
        free(e->version);
        free(e->kernel);
        free(e->arch);
        free(e->state);
        free(e->extra);
        free(e->weak_from);
        *e = (dkms_status_entry){0};
}

/*
 * Split the head ("M/V, K, A" or "M, V, K, A" or "M/V" or "M, V") in place.
 * Returns 0 or -EINVAL.
 */
static int split_head(char *head, char **f, size_t *ret_n)
{
        size_t n = 0;
        char *p = head;

        for (;;) {
                char *sep = strstr(p, ", ");

                if (n >= 4)
                        return -EINVAL;
                f[n++] = p;
                if (!sep)
                        break;
                *sep = '\0';
                p = sep + 2;
        }
        *ret_n = n;
        return 0;
}

/*
 * The text after the state: " (a) (b)" gives "a; b"; " from K" gives weak_from.
 * Returns 0 or -EINVAL / -ENOMEM.
 */
static int parse_tail(const char *state, const char *tail, char **ret_extra, char **ret_weak)
{
        _cleanup_free_ char *extra = NULL, *weak = NULL;
        const char *p = tail;

        if (streq(state, "installed-weak")) {
                const char *k = startswith(p, " from ");
                size_t l;

                if (!k)
                        return -EINVAL;
                l = strcspn(k, " ");
                if (l == 0)
                        return -EINVAL;
                weak = strndup(k, l);
                if (!weak)
                        return -ENOMEM;
                if (!field_ok(weak))
                        return -EINVAL;
                p = k + l;
        }
        while (*p) {
                const char *open = startswith(p, " (");
                const char *close;
                char *n;

                if (!open)
                        return -EINVAL;
                close = strchr(open, ')');
                if (!close || close == open)
                        return -EINVAL;
                if (extra)
                        n = strdup_printf("%s; %.*s", extra, (int)(close - open), open);
                else
                        n = strndup(open, (size_t)(close - open));
                if (!n)
                        return -ENOMEM;
                free(extra);
                extra = n;
                p = close + 1;
        }
        *ret_extra = TAKE_PTR(extra);
        *ret_weak = TAKE_PTR(weak);
        return 0;
}

int dkms_status_parse_line(const char *line, dkms_status_entry *ret)
{
        _cleanup_free_ char *copy = NULL, *tail = NULL;
        _cleanup_free_ char *extra = NULL, *weak = NULL;
        dkms_status_entry e = {0};
        char *f[4], *colon, *state, *state_end, *mod, *ver, *slash;
        bool has_kernel;
        size_t n, l;
        int r;

        if (!line)
                return -EINVAL;
        copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        /* Trailing newline, CR, blanks. */
        l = strlen(copy);
        while (l > 0 && (copy[l - 1] == '\n' || copy[l - 1] == '\r' || copy[l - 1] == ' ' || copy[l - 1] == '\t'))
                copy[--l] = '\0';
        if (startswith(copy, "Warning:") || startswith(copy, "Error!") || startswith(copy, "Error:"))
                return -EINVAL;

        colon = strstr(copy, ": ");
        if (!colon)
                return -EINVAL;
        *colon = '\0';
        state = colon + 2;
        /* The tail keeps its leading blank: " (extra)", " from K". */
        state_end = state + strcspn(state, " ");
        tail = strdup(state_end);
        if (!tail)
                return -ENOMEM;
        *state_end = '\0';
        if (!state_known(state))
                return -EINVAL;

        r = split_head(copy, f, &n);
        if (r < 0)
                return r;
        mod = f[0];
        slash = strchr(mod, '/');
        if (n == 1 || n == 3) {
                /* "M/V" form. */
                if (!slash)
                        return -EINVAL;
                *slash = '\0';
                ver = slash + 1;
        } else {
                if (slash)
                        return -EINVAL;
                ver = f[1];
        }
        if (!field_ok(mod) || !field_ok(ver) || strchr(ver, '/'))
                return -EINVAL;

        has_kernel = n >= 3;
        if (has_kernel && (!field_ok(f[n - 2]) || !field_ok(f[n - 1])))
                return -EINVAL;
        /* built/installed need a kernel; added/broken name none in any version. */
        if (has_kernel != (streq(state, "built") || streq(state, "installed") || streq(state, "installed-weak")))
                return -EINVAL;

        r = parse_tail(state, tail, &extra, &weak);
        if (r < 0)
                return r;

        e.module = strdup(mod);
        e.version = strdup(ver);
        e.state = strdup(state);
        if (has_kernel) {
                e.kernel = strdup(f[n - 2]);
                e.arch = strdup(f[n - 1]);
        }
        e.extra = TAKE_PTR(extra);
        e.weak_from = TAKE_PTR(weak);
        if (!e.module || !e.version || !e.state || (has_kernel && (!e.kernel || !e.arch))) {
                dkms_status_entry_clear(&e);
                return -ENOMEM;
        }
        *ret = e;
        return 0;
}
