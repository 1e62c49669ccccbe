/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dynamic linker's own sources: /etc/ld.so.preload (runtime.preload)
 * and /etc/ld.so.conf(.d) (runtime.library-path).
 */
#include "check/envaudit.h"

/* ---- the dynamic linker ---- */

typedef int (*ld_line_fn)(envaudit *a, const char *path, unsigned line, char *text);

/*
 * Call fn for each line of one of the linker's files (line numbers from
 * 1), with a copy of the line whose comment is cut off: '#' starts one in
 * both files (ld.so(8), glibc >= 2.x). A file that cannot be read is a
 * reason in the report, not an error.
 * Returns: < 0 (-ENOMEM, or fn's error), else 0.
 */
static int ld_for_each_line(envaudit *a, const char *path, ld_line_fn fn)
{
        _cleanup_free_ char *buf = NULL;
        size_t len, pos = 0, n;
        unsigned line = 0;
        const char *l;
        int k;

        k = sysroot_read_file(a->in->sr, path, ENV_FILE_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return envaudit_file_reason(a, path, k);
        while (buf_next_line(buf, len, &pos, &l, &n)) {
                _cleanup_free_ char *copy = strndup(l, n);
                char *hash;

                line++;
                if (!copy)
                        return -ENOMEM;
                hash = strchr(copy, '#');
                if (hash)
                        *hash = '\0';
                k = fn(a, path, line, copy);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ld.so.preload: white-space or colon separated; every library named is evidence. */
static int audit_preload_line(envaudit *a, const char *path, unsigned line, char *text)
{
        const rule_verdict *vp = NULL;
        rule_verdict v;
        char *save = NULL;
        int k;

        for (char *w = strtok_r(text, " \t:\r", &save); w; w = strtok_r(NULL, " \t:\r", &save)) {
                _cleanup_free_ char *detail = strdup(w);

                if (rules_judge(a->rules, "LD_PRELOAD", w, a->gfx, &v) > 0)
                        vp = &v;
                if (!detail)
                        return -ENOMEM;
                k = envaudit_add_evidence(a, "runtime.preload", vp ? vp->severity : SEVERITY_CRITICAL, NULL, path, line,
                                 detail, "LD_PRELOAD", vp ? vp->reason : NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

int envaudit_ld_preload(envaudit *a)
{
        return ld_for_each_line(a, "/etc/ld.so.preload", audit_preload_line);
}

/* ld.so.conf(.d): one directory a line; include and hwcap lines are not directories. */
static int audit_ld_conf_line(envaudit *a, const char *path, unsigned line, char *text)
{
        const env_rule *r = rules_find(a->rules, "LD_LIBRARY_PATH");
        char *t = strstrip(text);
        int k;

        if (!t[0] || startswith(t, "include") || startswith(t, "hwcap"))
                return 0;
        if (!rules_library_path_bad(t, NULL))
                return 0;
        k = envaudit_add_evidence(a, "runtime.library-path", r ? r->severity : SEVERITY_WARNING, NULL, path, line, t,
                         "ld.so.conf", r ? r->reason : NULL);
        return k < 0 ? k : 0;
}

static int audit_ld_conf_file(envaudit *a, const char *path)
{
        return ld_for_each_line(a, path, audit_ld_conf_line);
}

int envaudit_ld_conf(envaudit *a)
{
        strv names = {0};
        int k;

        k = audit_ld_conf_file(a, "/etc/ld.so.conf");
        if (k >= 0)
                k = envaudit_list_names(a, "/etc/ld.so.conf.d", ".conf", &names);
        for (size_t i = 0; k >= 0 && i < names.n; i++) {
                _cleanup_free_ char *p = strdup_printf("/etc/ld.so.conf.d/%s", names.items[i]);
                k = p ? audit_ld_conf_file(a, p) : -ENOMEM;
        }
        strv_clear(&names);
        return k;
}
