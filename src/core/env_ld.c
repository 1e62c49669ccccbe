/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dynamic linker's own sources: /etc/ld.so.preload (runtime.preload)
 * and /etc/ld.so.conf(.d) (runtime.library-path).
 */
#include "env_audit.h"

/* ---- the dynamic linker ---- */

/*
 * Read one of the linker's files. Returns: 1 with *ret and *ret_len set;
 * else -ENOMEM, or what env_file_reason() made of the error (0: recorded
 * or absent, nothing to audit).
 */
static int ld_read(env_audit *a, const char *path, char **ret, size_t *ret_len)
{
        int k = sysroot_read_file(a->in->sr, path, ENV_FILE_MAX, ret, ret_len);

        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return env_file_reason(a, path, k);
        return 1;
}

int env_audit_ld_preload(env_audit *a)
{
        static const char path[] = "/etc/ld.so.preload";
        _cleanup_free_ char *buf = NULL;
        size_t len, pos = 0, n;
        unsigned line = 0;
        const char *l;
        int k;

        k = ld_read(a, path, &buf, &len);
        if (k <= 0)
                return k;
        while (buf_next_line(buf, len, &pos, &l, &n)) {
                _cleanup_free_ char *copy = strndup(l, n);
                const rule_verdict *vp = NULL;
                rule_verdict v;
                char *save = NULL, *hash;

                line++;
                if (!copy)
                        return -ENOMEM;
                /* ld.so(8): white-space or colon separated; '#' starts a comment (glibc >= 2.x). */
                hash = strchr(copy, '#');
                if (hash)
                        *hash = '\0';
                for (char *w = strtok_r(copy, " \t:\r", &save); w; w = strtok_r(NULL, " \t:\r", &save)) {
                        _cleanup_free_ char *detail = strdup(w);

                        if (rules_judge(a->rules, "LD_PRELOAD", w, a->gfx, &v) > 0)
                                vp = &v;
                        if (!detail)
                                return -ENOMEM;
                        k = env_add_evidence(a, "runtime.preload", vp ? vp->severity : SEVERITY_CRITICAL, NULL, path, line,
                                         detail, "LD_PRELOAD", vp ? vp->reason : NULL);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

static int audit_ld_conf_file(env_audit *a, const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t len, pos = 0, n;
        unsigned line = 0;
        const char *l;
        int k;

        k = ld_read(a, path, &buf, &len);
        if (k <= 0)
                return k;
        while (buf_next_line(buf, len, &pos, &l, &n)) {
                _cleanup_free_ char *copy = strndup(l, n);
                const env_rule *r = rules_find(a->rules, "LD_LIBRARY_PATH");
                char *t, *hash;

                line++;
                if (!copy)
                        return -ENOMEM;
                hash = strchr(copy, '#');
                if (hash)
                        *hash = '\0';
                t = strstrip(copy);
                if (!t[0] || startswith(t, "include") || startswith(t, "hwcap"))
                        continue;
                if (!rules_library_path_bad(t, NULL))
                        continue;
                k = env_add_evidence(a, "runtime.library-path", r ? r->severity : SEVERITY_WARNING, NULL, path, line, t,
                                 "ld.so.conf", r ? r->reason : NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

int env_audit_ld_conf(env_audit *a)
{
        strv names = {0};
        int k;

        k = audit_ld_conf_file(a, "/etc/ld.so.conf");
        if (k >= 0)
                k = env_list_names(a, "/etc/ld.so.conf.d", ".conf", &names);
        for (size_t i = 0; k >= 0 && i < names.n; i++) {
                _cleanup_free_ char *p = strdup_printf("/etc/ld.so.conf.d/%s", names.items[i]);
                k = p ? audit_ld_conf_file(a, p) : -ENOMEM;
        }
        strv_clear(&names);
        return k;
}
