/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a profile: a line scan for what iniparser loses (original case,
 * line numbers, duplicates, what it would silently cut off), then iniparser
 * on the very same bytes for the values.
 */
#include "profile/profile.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "base/iniutil.h"
#include "parse/envfile.h"
#include "root/sysroot.h"

/* iniparser's line buffer (ASCIILINESZ): longer lines are an error there. */
#define INI_LINE_MAX 1023

int problem_add(problem_list *l, const char *path, unsigned line, severity sev, const char *name,
                const char *source, const char *fmt, ...)
{
        profile_problem *grown, *p;
        va_list ap;
        char *msg;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        grown = realloc(l->items, (l->n + 1) * sizeof(*grown));
        if (!grown) {
                free(msg);
                return -ENOMEM;
        }
        l->items = grown;
        p = &l->items[l->n];
        *p = (profile_problem){
                .path = path ? strdup(path) : NULL,
                .line = line,
                .sev = sev,
                .name = name ? strdup(name) : NULL,
                .message = msg,
                .source = source ? strdup(source) : NULL,
        };
        l->n++;
        if ((path && !p->path) || (name && !p->name) || (source && !p->source))
                return -ENOMEM;
        return 0;
}

void problem_list_clear(problem_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                free(l->items[i].name);
                free(l->items[i].message);
                free(l->items[i].source);
                free(l->items[i].finding);
        }
        free(l->items);
        *l = (problem_list){0};
}

static int problem_cmp(const void *a, const void *b)
{
        const profile_problem *x = a, *y = b;

        if (!streq_ptr(x->path, y->path))
                return strcmp(x->path ? x->path : "", y->path ? y->path : "");
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return (int)y->sev - (int)x->sev;
}

void problem_list_sort(problem_list *l)
{
        /* qsort is not stable: equal keys keep no order, which is fine for output per line. */
        if (l->n > 1)
                qsort(l->items, l->n, sizeof(*l->items), problem_cmp);
}

bool problem_list_has(const problem_list *l, severity min)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].sev >= min)
                        return true;
        return false;
}

int problem_list_exit_code(const problem_list *l)
{
        if (problem_list_has(l, SEVERITY_CRITICAL))
                return 2;
        return problem_list_has(l, SEVERITY_WARNING) ? 1 : 0;
}

/* ---- the line scan ---- */

typedef struct ini_line {
        char *section;  /* lowercased, as iniparser keys it */
        char *key;      /* original case, trimmed */
        char *raw;      /* the value text as written, trimmed */
        unsigned line;
} ini_line;

typedef struct ini_scan {
        ini_line *keys;
        size_t n;
} ini_scan;

static void ini_scan_clear(ini_scan *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->keys[i].section);
                free(s->keys[i].key);
                free(s->keys[i].raw);
        }
        free(s->keys);
        *s = (ini_scan){0};
}

static char *strndup_lower(const char *s, size_t n)
{
        char *r = strndup(s, n);

        for (char *p = r; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return r;
}

static const char *skip_space(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

static const char *trim_end(const char *start, const char *end)
{
        while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
        return end;
}

/*
 * Scan buf line by line like iniparser does (sections, key = value,
 * ';'/'#' comments), recording each key with its line. Lines iniparser
 * would reject or read differently become critical problems here.
 */
static int ini_scan_buffer(const char *path, const char *buf, size_t len, problem_list *pl, ini_scan *ret)
{
        _cleanup_free_ char *section = strdup("");
        ini_scan s = {0};
        unsigned lineno = 0;
        int k = 0;

        if (!section)
                return -ENOMEM;
        for (const char *p = buf, *end = buf + len; p < end && k >= 0;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end, *b, *e, *eq;
                ini_line *grown;

                lineno++;
                b = skip_space(p, le);
                e = trim_end(b, le);
                p = nl ? nl + 1 : end;
                if ((size_t)(le - b) > INI_LINE_MAX) {
                        k = problem_add(pl, path, lineno, SEVERITY_CRITICAL, NULL, NULL,
                                        "line longer than %u bytes", INI_LINE_MAX);
                        continue;
                }
                if (b == e || *b == ';' || *b == '#')
                        continue;
                if (e[-1] == '\\') {
                        k = problem_add(pl, path, lineno, SEVERITY_CRITICAL, NULL, NULL,
                                        "continuation lines (a trailing backslash) are not allowed");
                        continue;
                }
                if (*b == '[') {
                        const char *close = memchr(b, ']', (size_t)(e - b));

                        if (!close || close + 1 != e) {
                                k = problem_add(pl, path, lineno, SEVERITY_CRITICAL, NULL, NULL,
                                                "malformed section header");
                                continue;
                        }
                        b = skip_space(b + 1, close);
                        free(section);
                        section = strndup_lower(b, (size_t)(trim_end(b, close) - b));
                        if (!section)
                                return ini_scan_clear(&s), -ENOMEM;
                        continue;
                }
                eq = memchr(b, '=', (size_t)(e - b));
                if (!eq) {
                        k = problem_add(pl, path, lineno, SEVERITY_CRITICAL, NULL, NULL,
                                        "neither a section, a NAME = VALUE line nor a comment");
                        continue;
                }
                grown = realloc(s.keys, (s.n + 1) * sizeof(*grown));
                if (!grown)
                        return ini_scan_clear(&s), -ENOMEM;
                s.keys = grown;
                s.keys[s.n] = (ini_line){
                        .section = strdup(section),
                        .key = strndup(b, (size_t)(trim_end(b, eq) - b)),
                        .raw = strndup(skip_space(eq + 1, e), (size_t)(e - skip_space(eq + 1, e))),
                        .line = lineno,
                };
                s.n++;
                if (!s.keys[s.n - 1].section || !s.keys[s.n - 1].key || !s.keys[s.n - 1].raw)
                        return ini_scan_clear(&s), -ENOMEM;
        }
        if (k < 0)
                return ini_scan_clear(&s), k;
        *ret = s;
        return 0;
}

/* The first earlier key of the same section with the same name, case folded like iniparser. */
static const ini_line *ini_scan_earlier(const ini_scan *s, size_t i)
{
        for (size_t j = 0; j < i; j++)
                if (streq(s->keys[j].section, s->keys[i].section) && strcasecmp(s->keys[j].key, s->keys[i].key) == 0)
                        return &s->keys[j];
        return NULL;
}

/* ---- iniparser on the same bytes ---- */

/* iniparser reads only from a path: give it the buffer through a memfd. */
static int ini_load_buffer(const char *buf, size_t len, dictionary **ret)
{
        _cleanup_close_ int fd = -EBADF;
        char fdpath[64];
        dictionary *d;
        int r;

        fd = memfd_create("rdna1-doctor-profile", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, buf, len);
        if (r < 0)
                return r;
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        iniparser_set_error_callback(iniparser_silent);
        d = iniparser_load(fdpath);
        if (!d)
                return access(fdpath, R_OK) < 0 ? -errno : -EBADMSG;
        *ret = d;
        return 0;
}

static const char *ini_get(dictionary *d, const char *section, const char *key)
{
        _cleanup_free_ char *full = strdup_printf("%s:%s", section, key);
        const char *v;

        if (!full)
                return NULL;
        for (char *p = full; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        v = iniparser_getstring(d, full, NULL);
        return v;
}

static int split_list(const char *s, strv *ret)
{
        _cleanup_free_ char *copy = strdup(s);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save))
                if (strv_push_dup(ret, t) < 0)
                        return -ENOMEM;
        return 0;
}

static bool gfx_target_valid(const char *s)
{
        const char *d = startswith(s, "gfx");
        size_t n;

        if (streq(s, "*"))
                return true;
        if (!d || !*d)
                return false;
        n = strspn(d, "0123456789abcdef");
        return d[n] == '\0' && n >= 3 && n <= 5;
}

profile *profile_free(profile *p)
{
        if (!p)
                return NULL;
        free(p->path);
        free(p->name);
        free(p->description);
        strv_clear(&p->gfx_targets);
        strv_clear(&p->rocm_versions);
        free(p->device);
        for (size_t i = 0; i < p->n_env; i++) {
                free(p->env[i].name);
                free(p->env[i].value);
                free(p->env[i].reason);
                free(p->env[i].source);
        }
        free(p->env);
        free(p);
        return NULL;
}

static const char *const profile_keys[] = {
        "name", "description", "gfx-targets", "rocm-versions", "device", "isolate-device",
};
static const char *const known_sections[] = {"profile", "env", "reason", "source"};

static bool in_list(const char *const *l, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static const ini_line *scan_find(const ini_scan *s, const char *section, const char *key)
{
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->keys[i].section, section) && strcasecmp(s->keys[i].key, key) == 0)
                        return &s->keys[i];
        return NULL;
}

static unsigned scan_line(const ini_scan *s, const char *section, const char *key)
{
        const ini_line *l = scan_find(s, section, key);

        return l ? l->line : 0;
}

/* The value problem of a line's raw text (quotes taken off), for lines iniparser will not show us. */
static const char *dup_value_problem(const char *raw)
{
        size_t n = strlen(raw);

        if (n >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[n - 1] == raw[0])
                return env_value_problem(raw + 1, n - 2);
        return env_value_problem(raw, n);
}

/* Checks of the line scan alone: duplicates, unknown sections and keys, names. */
static int check_scan(const char *path, const ini_scan *s, problem_list *pl)
{
        int k = 0;

        for (size_t i = 0; i < s->n && k >= 0; i++) {
                const ini_line *l = &s->keys[i], *dup = ini_scan_earlier(s, i);

                if (dup) {
                        k = problem_add(pl, path, l->line, SEVERITY_CRITICAL, l->key, NULL,
                                        "duplicate key in [%s] (first on line %u); iniparser would keep only this one",
                                        l->section, dup->line);
                        continue;
                }
                if (!in_list(known_sections, ELEMENTSOF(known_sections), l->section)) {
                        k = problem_add(pl, path, l->line, SEVERITY_WARNING, l->key, NULL,
                                        "key outside the sections [profile], [env], [reason] and [source]; ignored");
                        continue;
                }
                if (streq(l->section, "profile") && !in_list(profile_keys, ELEMENTSOF(profile_keys), l->key)) {
                        k = problem_add(pl, path, l->line, SEVERITY_WARNING, l->key, NULL,
                                        "unknown key in [profile]; ignored");
                        continue;
                }
                if (streq(l->section, "profile"))
                        continue;
                if (!env_name_valid(l->key, strlen(l->key))) {
                        k = problem_add(pl, path, l->line, SEVERITY_CRITICAL, l->key, NULL,
                                        "not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
                        continue;
                }
                if (!streq(l->section, "env")) {
                        if (!scan_find(s, "env", l->key))
                                k = problem_add(pl, path, l->line, SEVERITY_WARNING, l->key, NULL,
                                                "[%s] entry for a variable that [env] does not set", l->section);
                        continue;
                }
                /* iniparser ends an unquoted value at ';' or '#': say so rather than cut a value. */
                if (l->raw[0] != '"' && l->raw[0] != '\'' && strpbrk(l->raw, ";#")) {
                        k = problem_add(pl, path, l->line, SEVERITY_CRITICAL, l->key, NULL,
                                        "unquoted value with ';' or '#': the rest would be read as a comment; "
                                        "put the value in double quotes");
                        continue;
                }
                /* Each line's own text too: iniparser keeps only the last of duplicates. */
                if (dup_value_problem(l->raw))
                        k = problem_add(pl, path, l->line, SEVERITY_CRITICAL, l->key, NULL, "%s",
                                        dup_value_problem(l->raw));
        }
        return k;
}

static int profile_fill(const char *path, dictionary *d, const ini_scan *s, problem_list *pl, profile *p)
{
        const char *v;
        int k;

        if (!(p->path = strdup(path)))
                return -ENOMEM;
        v = ini_get(d, "profile", "name");
        if (!v || !*v)
                k = problem_add(pl, path, 0, SEVERITY_CRITICAL, NULL, NULL, "[profile] has no name");
        else if (!profile_name_valid(v))
                k = problem_add(pl, path, scan_line(s, "profile", "name"), SEVERITY_CRITICAL, NULL, NULL,
                                "profile name must be [a-z0-9][a-z0-9.-]*, at most 64 characters");
        else
                k = (p->name = strdup(v)) ? 0 : -ENOMEM;
        if (k < 0)
                return k;
        v = ini_get(d, "profile", "description");
        if (!v || !*v)
                k = problem_add(pl, path, 0, SEVERITY_WARNING, NULL, NULL, "[profile] has no description");
        else
                k = (p->description = strdup(v)) ? 0 : -ENOMEM;
        if (k < 0)
                return k;

        v = ini_get(d, "profile", "gfx-targets");
        if (!v || !*v)
                k = problem_add(pl, path, 0, SEVERITY_CRITICAL, NULL, NULL,
                                "[profile] has no gfx-targets (the GPUs it applies to, or *)");
        else
                k = split_list(v, &p->gfx_targets);
        if (k < 0)
                return k;
        for (size_t i = 0; i < p->gfx_targets.n; i++)
                if (!gfx_target_valid(p->gfx_targets.items[i]) &&
                    (k = problem_add(pl, path, scan_line(s, "profile", "gfx-targets"), SEVERITY_CRITICAL, NULL, NULL,
                                     "gfx-targets: '%s' is not a gfx target (gfx1010) or *",
                                     p->gfx_targets.items[i])) < 0)
                        return k;
        v = ini_get(d, "profile", "rocm-versions");
        if ((k = split_list(v && *v ? v : "*", &p->rocm_versions)) < 0)
                return k;
        v = ini_get(d, "profile", "device");
        if (v && *v && !(p->device = strdup(v)))
                return -ENOMEM;
        k = iniparser_getboolean(d, "profile:isolate-device", -1);
        if (k == -1 && ini_get(d, "profile", "isolate-device") &&
            (k = problem_add(pl, path, scan_line(s, "profile", "isolate-device"), SEVERITY_CRITICAL, NULL, NULL,
                             "isolate-device is yes or no")) < 0)
                return k;
        p->isolate_device = k == 1;

        for (size_t i = 0; i < s->n; i++) {
                const ini_line *l = &s->keys[i];
                profile_setting *grown, *e;
                const char *why;

                if (!streq(l->section, "env") || ini_scan_earlier(s, i) || !env_name_valid(l->key, strlen(l->key)))
                        continue;
                v = ini_get(d, "env", l->key);
                if (!v)
                        v = "";
                why = env_value_problem(v, strlen(v));
                if (why) {
                        /* Said already by the line scan when the line's own text has it. */
                        if (!dup_value_problem(l->raw) &&
                            (k = problem_add(pl, path, l->line, SEVERITY_CRITICAL, l->key, NULL, "%s", why)) < 0)
                                return k;
                        continue;
                }
                grown = realloc(p->env, (p->n_env + 1) * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                p->env = grown;
                e = &p->env[p->n_env++];
                *e = (profile_setting){.name = strdup(l->key), .value = strdup(v), .line = l->line};
                if (!e->name || !e->value)
                        return -ENOMEM;
                v = ini_get(d, "reason", l->key);
                if (v && *v && !(e->reason = strdup(v)))
                        return -ENOMEM;
                v = ini_get(d, "source", l->key);
                if (v && *v && !(e->source = strdup(v)))
                        return -ENOMEM;
                if (!e->reason && (k = problem_add(pl, path, l->line, SEVERITY_WARNING, l->key, NULL,
                                                   "no [reason] for this setting")) < 0)
                        return k;
                if (!e->source && (k = problem_add(pl, path, l->line, SEVERITY_WARNING, l->key, NULL,
                                                   "no [source] for this setting")) < 0)
                        return k;
        }
        return 0;
}

int profile_parse(const char *path, const char *buf, size_t len, problem_list *pl, profile **ret)
{
        _cleanup_(dictionary_freep) dictionary *d = NULL;
        _cleanup_(profile_freep) profile *p = NULL;
        ini_scan s = {0};
        int k;

        /* Bytes iniparser cannot be trusted with: stop before it sees them. */
        if (memchr(buf, '\0', len)) {
                k = problem_add(pl, path, 0, SEVERITY_CRITICAL, NULL, NULL, "the file contains NUL bytes");
                return k < 0 ? k : -EBADMSG;
        }
        if (!utf8_valid(buf, len)) {
                k = problem_add(pl, path, 0, SEVERITY_CRITICAL, NULL, NULL, "the file is not valid UTF-8");
                return k < 0 ? k : -EBADMSG;
        }
        k = ini_scan_buffer(path, buf, len, pl, &s);
        if (k < 0)
                return k;
        k = check_scan(path, &s, pl);
        if (k < 0)
                goto out;
        k = ini_load_buffer(buf, len, &d);
        if (k == -EBADMSG) {
                k = problem_add(pl, path, 0, SEVERITY_CRITICAL, NULL, NULL, "iniparser cannot read the file");
                k = k < 0 ? k : -EBADMSG;
                goto out;
        }
        if (k < 0)
                goto out;
        p = calloc(1, sizeof(*p));
        if (!p) {
                k = -ENOMEM;
                goto out;
        }
        k = profile_fill(path, d, &s, pl, p);
        if (k < 0)
                goto out;
        *ret = TAKE_PTR(p);
out:
        ini_scan_clear(&s);
        return k;
}

int profile_load(const char *path, problem_list *pl, profile **ret)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len;
        int k;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        k = read_fd_capped(fd, PROFILE_READ_MAX, &buf, &len);
        if (k < 0)
                return k;
        return profile_parse(path, buf, len, pl, ret);
}

bool profile_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 64 || !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

int profile_dir_list(const char *dir, strv *ret)
{
        DIR *dp = opendir(dir);
        struct dirent *de;
        strv names = {0};
        int k = 0;

        if (!dp)
                return -errno;
        while ((de = readdir(dp))) {
                size_t n = strlen(de->d_name);

                if (n <= 4 || !endswith(de->d_name, ".ini") || streq(de->d_name, "rules.ini"))
                        continue;
                k = strv_push(&names, strndup(de->d_name, n - 4));
                if (k < 0)
                        break;
        }
        closedir(dp);
        if (k < 0) {
                strv_clear(&names);
                return k;
        }
        if (names.n > 1)
                qsort(names.items, names.n, sizeof(char *), strcmp_ptr);
        *ret = names;
        return 0;
}

int profile_dir_find(const char *dir, const char *name, char **ret)
{
        _cleanup_free_ char *path = NULL;

        if (!profile_name_valid(name) || streq(name, "rules"))
                return -EINVAL;
        path = strdup_printf("%s/%s.ini", dir, name);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0)
                return -errno;
        *ret = TAKE_PTR(path);
        return 0;
}
