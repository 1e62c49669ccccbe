/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile/shell_env.h"

#include "parse/envfile.h"
#include "root/homefile.h"
#include <ctype.h>

#include "base/util.h"

#define SHELL_FILE_MAX (1024u * 1024)

typedef struct collector {
        const sysroot *sr;
        const root_user *user;
        home *home;
        shell_env *env;
        strv seen;              /* files read, so a loop of sources ends */
} collector;

void shell_env_clear(shell_env *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].name);
                free(e->items[i].value);
                free(e->items[i].path);
                free(e->items[i].line_text);
        }
        free(e->items);
        *e = (shell_env){0};
}

const shell_setting *shell_env_final(const shell_env *e, const char *name)
{
        for (size_t i = e->n; i > 0; i--)
                if (streq(e->items[i - 1].name, name) && e->items[i - 1].exported)
                        return &e->items[i - 1];
        return NULL;
}

static char *line_of(const char *buf, size_t len, unsigned line)
{
        const char *b = buf, *e;

        for (unsigned n = 1; n < line && b < buf + len; n++) {
                const char *nl = memchr(b, '\n', (size_t)(buf + len - b));
                b = nl ? nl + 1 : buf + len;
        }
        e = memchr(b, '\n', (size_t)(buf + len - b));
        return strndup(b, (size_t)((e ? e : buf + len) - b));
}

static int read_one(collector *c, const char *path, bool in_home, env_format fmt, unsigned depth);

/* A sourced path we can resolve without running anything: /abs, ~/x, $HOME/x, ${HOME}/x. */
static int follow_ref(collector *c, const char *ref, unsigned depth)
{
        const char *rest;

        if (ref[0] == '/')
                return read_one(c, ref, false, ENV_FORMAT_SHELL, depth);
        if (!c->home)
                return 0;
        if (!(rest = startswith(ref, "~/")) && !(rest = startswith(ref, "$HOME/")) &&
            !(rest = startswith(ref, "${HOME}/")))
                return 0;
        return read_one(c, rest, true, ENV_FORMAT_SHELL, depth);
}

static int read_one(collector *c, const char *path, bool in_home, env_format fmt, unsigned depth)
{
        _cleanup_free_ char *buf = NULL, *shown = NULL;
        env_file *f = NULL;
        size_t len;
        int k;

        if (depth > SHELL_ENV_SOURCE_DEPTH)
                return 0;
        shown = in_home ? home_path(c->home, path) : strdup(path);
        if (!shown)
                return -ENOMEM;
        if (strv_contains(&c->seen, shown))
                return 0;
        if ((k = strv_push_dup(&c->seen, shown)) < 0)
                return k;
        k = in_home ? home_read_file(c->home, path, SHELL_FILE_MAX, &buf, &len)
                    : sysroot_read_file(c->sr, path, SHELL_FILE_MAX, &buf, &len);
        if (k == -ENOENT)
                return 0;
        if (k < 0) {
                c->env->n_unreadable++;
                return 0;
        }
        k = env_file_parse(fmt, buf, len, &f);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        /* Settings and sources in line order, so a sourced file lands where it is sourced. */
        for (size_t i = 0, r = 0; (i < f->n_entries || r < f->n_refs) && k >= 0;) {
                bool take_ref = r < f->n_refs && (i >= f->n_entries || f->refs[r].line < f->entries[i].line);

                if (take_ref) {
                        if (f->refs[r].kind == ENV_REF_SOURCE)
                                k = follow_ref(c, f->refs[r].path, depth + 1);
                        r++;
                        continue;
                }
                shell_setting *grown = realloc(c->env->items, (c->env->n + 1) * sizeof(*grown)), *s;
                if (!grown) {
                        k = -ENOMEM;
                        break;
                }
                c->env->items = grown;
                s = &c->env->items[c->env->n++];
                *s = (shell_setting){
                        .name = strdup(f->entries[i].name),
                        .value = strdup(f->entries[i].value),
                        .path = strdup(shown),
                        .line = f->entries[i].line,
                        .line_text = line_of(buf, len, f->entries[i].line),
                        .in_home = in_home,
                        .exported = f->entries[i].exported,
                };
                if (!s->name || !s->value || !s->path || !s->line_text)
                        k = -ENOMEM;
                i++;
        }
        env_file_free(f);
        return k;
}

int shell_env_collect(const sysroot *sr, const root_user *user, shell_env *ret)
{
        static const char *const home_files[] = {".profile", ".bash_profile", ".bashrc"};
        char **names = NULL;
        size_t n = 0;
        shell_env env = {0};
        collector c = {.sr = sr, .user = user, .env = &env};
        int k;

        if (user && home_open(sr, user, &c.home) < 0)
                c.home = NULL;
        k = read_one(&c, "/etc/environment", false, ENV_FORMAT_KEYVALUE, 0);
        if (k >= 0)
                k = read_one(&c, "/etc/profile", false, ENV_FORMAT_SHELL, 0);
        if (k >= 0 && sysroot_list_dir(sr, "/etc/profile.d", 4096, &names, &n, NULL) >= 0) {
                for (size_t i = 0; i < n && k >= 0; i++) {
                        _cleanup_free_ char *p = NULL;

                        if (!endswith(names[i], ".sh"))
                                continue;
                        p = strdup_printf("/etc/profile.d/%s", names[i]);
                        k = p ? read_one(&c, p, false, ENV_FORMAT_SHELL, 0) : -ENOMEM;
                }
                strv_free_array(names);
        }
        if (k >= 0)
                k = read_one(&c, "/etc/bash.bashrc", false, ENV_FORMAT_SHELL, 0);
        for (size_t i = 0; c.home && i < ELEMENTSOF(home_files) && k >= 0; i++)
                k = read_one(&c, home_files[i], true, ENV_FORMAT_SHELL, 0);
        home_free(c.home);
        strv_clear(&c.seen);
        if (k < 0) {
                shell_env_clear(&env);
                return k;
        }
        *ret = env;
        return 0;
}

char *shell_value_expand(const char *value, const char *home_dir, const char *user)
{
        static const struct {
                const char *ref;
                bool is_home;
        } refs[] = {{"${HOME}", true}, {"$HOME", true}, {"${USER}", false}, {"$USER", false}};
        size_t cap = strlen(value) + 1 + 4 * (home_dir ? strlen(home_dir) : 0) + 4 * (user ? strlen(user) : 0);
        char *out, *o;

        /* Each reference is at least 5 bytes: room for a replacement every 5 input bytes. */
        cap = strlen(value) * (1 + (home_dir ? strlen(home_dir) : 0) + (user ? strlen(user) : 0)) + cap;
        out = o = malloc(cap);
        if (!out)
                return NULL;
        for (const char *p = value; *p;) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(refs); i++)
                        if (startswith(p, refs[i].ref)) {
                                /* $HOMEX is another variable */
                                const char *after = p + strlen(refs[i].ref);
                                if (refs[i].ref[1] != '{' && (*after == '_' || isalnum((unsigned char)*after)))
                                        continue;
                                break;
                        }
                if (i < ELEMENTSOF(refs)) {
                        const char *with = refs[i].is_home ? home_dir : user;
                        o = stpcpy(o, with ? with : "");
                        p += strlen(refs[i].ref);
                } else
                        *o++ = *p++;
        }
        *o = '\0';
        return out;
}
