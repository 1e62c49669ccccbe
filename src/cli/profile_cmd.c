/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --profile list|show|validate|diff|install and `exec --profile NAME -- CMD`:
 * the front end of the profile core (profile.h, profile_check.h,
 * profile_install.h, exec_env.h). main.c parses the command line (args.h)
 * and hands the profile commands here.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <sysexits.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"
#include "check/gpu_targets.h"
#include "check/rules_ini.h"
#include "config.h"
#include "paths.h"
#include "demo_root.h"
#include "profile/exec_env.h"
#include "profile/profile.h"
#include "profile/profile_check.h"
#include "profile/profile_install.h"
#include "profile/shell_env.h"
#include "profile_cmd.h"
#include "root/users.h"
#include "torch_warn.h"

#define EXIT_UNKNOWN 3
#define EXIT_INSTALL_PARTIAL 11
#define EXIT_INSTALL_REFUSED 12
#define EXIT_EXEC_CANNOT_RUN 126
#define PROFILES_SCHEMA "rdna1-doctor/profiles/1"

typedef profile_cli pcli;

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* ---- small output helpers ---- */

/* Escaped copies of untrusted text for the terminal; freed on the next round. */
static const char *esc(const char *s)
{
        static char *ring[16];
        static unsigned next;
        char *e;

        if (!s)
                return "";
        e = escape_untrusted(s, strlen(s), 4096);
        free(ring[next]);
        ring[next] = e;
        next = (next + 1) % ELEMENTSOF(ring);
        return e ? e : "?";
}

static json_object *jstr(const char *s)
{
        _cleanup_free_ char *e = NULL;

        if (!s)
                return NULL;
        e = escape_untrusted(s, strlen(s), 4096);
        return e ? json_object_new_string(e) : NULL;
}

static int jadd(json_object *o, const char *key, json_object *v)
{
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int jappend(json_object *a, json_object *v)
{
        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static json_object *jstrv(const strv *v)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < v->n; i++)
                if (jappend(a, jstr(v->items[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static json_object *doc_new(const char *command)
{
        json_object *d = json_object_new_object();

        if (d && (jadd(d, "schema", json_object_new_string(PROFILES_SCHEMA)) < 0 ||
                  jadd(d, "version", json_object_new_string(PACKAGE_VERSION)) < 0 ||
                  jadd(d, "command", json_object_new_string(command)) < 0)) {
                json_object_put(d);
                return NULL;
        }
        return d;
}

/* A complete document or nothing. */
static int doc_print(json_object *d)
{
        const char *s;

        if (!d)
                return -ENOMEM;
        s = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        if (printf("%s\n", s) < 0 || fflush(stdout) != 0)
                return -EIO;
        return 0;
}

static int fail(int code, const char *fmt, ...) _printf_(2, 3);
static int fail(int code, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "rdna1-doctor: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return code;
}

static char *profiles_dir(void)
{
        return strdup_printf("%s/profiles", doctor_datadir());
}

/* NAME from the profiles directory, or a path (anything with a '/'). */
static int profile_path(const char *arg, char **ret)
{
        _cleanup_free_ char *dir = NULL;

        if (strchr(arg, '/'))
                return (*ret = strdup(arg)) ? 0 : -ENOMEM;
        dir = profiles_dir();
        if (!dir)
                return -ENOMEM;
        return profile_dir_find(dir, arg, ret);
}

static int load_rules(rules_db **ret)
{
        _cleanup_free_ char *path = strdup_printf("%s/profiles/rules.ini", doctor_datadir());
        unsigned line = 0;
        int k;

        if (!path)
                return -ENOMEM;
        k = rules_load(path, ret, &line);
        if (k == -EBADMSG)
                fprintf(stderr, "rdna1-doctor: %s:%u: the rules file is broken.\n", path, line);
        else if (k < 0)
                log_error_errno(k, "cannot load %s", path);
        return k;
}

/* Print problems as FILE:LINE: severity: NAME: message (source: ...). */
static void problems_fprint(FILE *f, const problem_list *pl)
{
        for (size_t i = 0; i < pl->n; i++) {
                const profile_problem *p = &pl->items[i];

                if (p->line)
                        fprintf(f, "%s:%u: ", esc(p->path), p->line);
                else
                        fprintf(f, "%s: ", esc(p->path));
                fprintf(f, "%s: ", severity_to_string(p->sev));
                if (p->name)
                        fprintf(f, "%s: ", esc(p->name));
                fprintf(f, "%s", esc(p->message));
                if (p->source)
                        fprintf(f, " (source: %s)", esc(p->source));
                fputc('\n', f);
        }
}

static void problems_print(const problem_list *pl)
{
        problems_fprint(stdout, pl);
}

static json_object *problems_json(const problem_list *pl)
{
        _cleanup_json_ json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < pl->n; i++) {
                const profile_problem *p = &pl->items[i];
                json_object *o = json_object_new_object();

                if (jappend(a, o) < 0 || jadd(o, "path", jstr(p->path)) < 0 ||
                    jadd(o, "line", p->line ? json_object_new_int((int)p->line) : NULL) < 0 ||
                    jadd(o, "severity", json_object_new_string(severity_to_string(p->sev))) < 0 ||
                    jadd(o, "name", jstr(p->name)) < 0 || jadd(o, "finding", jstr(p->finding)) < 0 ||
                    jadd(o, "message", jstr(p->message)) < 0 ||
                    jadd(o, "source", jstr(p->source)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

static const char *verdict_of(int code)
{
        static const char *const v[] = {"ok", "warning", "critical", "unknown"};

        return code >= 0 && code <= 3 ? v[code] : "unknown";
}

/*
 * The root's GPUs and the set of targets to judge against: --device, else
 * the GPU an isolating profile selects (its settings reach no other GPU),
 * else all of them.
 */
static int targets_for(const pcli *c, const profile *p, gpu_targets *t, judge_set *js)
{
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        int k;

        k = sysroot_open(c->root, &sr);
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot open the root '%s': %s.", c->root, strerror(-k)), k;
        k = gpu_targets_detect(sr, NULL, t);
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot detect the GPUs of '%s': %s.", c->root, strerror(-k)), k;
        if (!c->device && p && p->isolate_device && p->device && t->n > 1 &&
            judge_set_make(t, p->device, js) == 0)
                return 0;
        k = judge_set_make(t, c->device, js);
        if (k == -ENODEV)
                return fail(EX_USAGE, "--device %s names no AMD GPU with a known gfx target in '%s'.", c->device,
                            c->root), k;
        return k;
}

static json_object *targets_json(const judge_set *js)
{
        _cleanup_json_ json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < js->n; i++) {
                json_object *o = json_object_new_object();

                if (jappend(a, o) < 0 || jadd(o, "gfx_target", json_object_new_string(js->items[i].gfx)) < 0 ||
                    jadd(o, "pci_slot", js->items[i].pci_slot ? json_object_new_string(js->items[i].pci_slot) : NULL) < 0 ||
                    jadd(o, "assumed", json_object_new_boolean(!js->items[i].pci_slot)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

/* Load NAME (or a path) and report its own problems; *ret NULL when unusable. */
static int load_named(const char *arg, problem_list *pl, profile **ret)
{
        _cleanup_free_ char *path = NULL;
        int k;

        k = profile_path(arg, &path);
        if (k == -EINVAL)
                return fail(EX_USAGE, "'%s' is not a profile name ([a-z0-9][a-z0-9.-]*) or a path.", esc(arg));
        if (k == -ENOENT)
                return fail(EX_USAGE, "no profile '%s' (see 'rdna1-doctor --profile list').", esc(arg));
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot find the profile '%s': %s.", esc(arg), strerror(-k));
        k = profile_load(path, pl, ret);
        if (k == -EBADMSG) {
                *ret = NULL;
                return 0;
        }
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot read the profile '%s': %s.", esc(path), strerror(-k));
        return 0;
}

/* ---- list ---- */

static int cmd_list(const pcli *c)
{
        _cleanup_free_ char *dir = profiles_dir();
        _cleanup_json_ json_object *doc = NULL, *arr = NULL;
        strv names = {0};
        int k;

        if (!dir)
                return EXIT_UNKNOWN;
        k = profile_dir_list(dir, &names);
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot list %s: %s.", dir, strerror(-k));
        arr = json_object_new_array();
        for (size_t i = 0; i < names.n && arr; i++) {
                _cleanup_(profile_freep) profile *p = NULL;
                _cleanup_free_ char *path = strdup_printf("%s/%s.ini", dir, names.items[i]);
                problem_list pl = {0};
                json_object *o;
                bool valid;

                if (!path || profile_load(path, &pl, &p) == -ENOMEM) {
                        problem_list_clear(&pl);
                        strv_clear(&names);
                        return fail(EXIT_UNKNOWN, "out of memory.");
                }
                valid = p && !problem_list_has(&pl, SEVERITY_CRITICAL);
                problem_list_clear(&pl);
                if (!c->json) {
                        printf("%-28s %-22s %s%s\n", esc(names.items[i]),
                               p && p->gfx_targets.n ? esc(p->gfx_targets.items[0]) : "-",
                               p && p->description ? esc(p->description) : "",
                               valid ? "" : " [invalid: see --profile validate]");
                        continue;
                }
                o = json_object_new_object();
                if (jappend(arr, o) < 0 || jadd(o, "name", jstr(names.items[i])) < 0 ||
                    jadd(o, "path", jstr(path)) < 0 || jadd(o, "valid", json_object_new_boolean(valid)) < 0 ||
                    jadd(o, "description", jstr(p ? p->description : NULL)) < 0 ||
                    jadd(o, "gfx_targets", p ? jstrv(&p->gfx_targets) : NULL) < 0 ||
                    jadd(o, "rocm_versions", p ? jstrv(&p->rocm_versions) : NULL) < 0)
                        arr = NULL;
        }
        strv_clear(&names);
        if (!c->json)
                return 0;
        doc = doc_new("list");
        if (!doc || !arr || jadd(doc, "profiles", TAKE_PTR(arr)) < 0)
                return fail(EXIT_UNKNOWN, "out of memory.");
        return doc_print(doc) < 0 ? EXIT_UNKNOWN : 0;
}

/* ---- show ---- */

static json_object *env_json(const resolved_env *e)
{
        _cleanup_json_ json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < e->n; i++) {
                const profile_setting *s = &e->items[i];
                json_object *o = json_object_new_object();

                if (jappend(a, o) < 0 || jadd(o, "name", jstr(s->name)) < 0 || jadd(o, "value", jstr(s->value)) < 0 ||
                    jadd(o, "reason", jstr(s->reason)) < 0 || jadd(o, "source", jstr(s->source)) < 0 ||
                    jadd(o, "line", s->line ? json_object_new_int((int)s->line) : NULL) < 0 ||
                    jadd(o, "added", json_object_new_boolean(s->line == 0)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

/* Load, resolve for this root; refuse a profile that cannot be read at all. */
static int load_resolved(const pcli *c, profile **ret_p, problem_list *pl, gpu_targets *t, judge_set *js,
                         resolved_env *e)
{
        _cleanup_free_ char *why = NULL;
        int k;

        k = load_named(c->arg, pl, ret_p);
        if (k != 0)
                return k;
        if (!*ret_p || problem_list_has(pl, SEVERITY_CRITICAL)) {
                problem_list_sort(pl);
                problems_fprint(stderr, pl);
                return fail(EXIT_UNKNOWN, "the profile '%s' is not valid.", esc(c->arg));
        }
        k = targets_for(c, *ret_p, t, js);
        if (k != 0)
                return k < 0 ? (k == -ENODEV ? EX_USAGE : EXIT_UNKNOWN) : k;
        k = profile_resolve(*ret_p, t, c->device, e, &why);
        if (k == -ENODEV)
                return fail(EX_USAGE, "%s.", why ? why : "no GPU selected");
        if (k < 0)
                return fail(EXIT_UNKNOWN, "out of memory.");
        return 0;
}

/* Undo what load_resolved() filled in (also after it failed half-way). */
static void resolved_clear(problem_list *pl, gpu_targets *t, judge_set *js, resolved_env *e)
{
        problem_list_clear(pl);
        resolved_env_clear(e);
        judge_set_clear(js);
        gpu_targets_clear(t);
}

static int cmd_show(const pcli *c)
{
        _cleanup_(profile_freep) profile *p = NULL;
        _cleanup_json_ json_object *doc = NULL, *o = NULL;
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        resolved_env e = {0};
        int k;

        k = load_resolved(c, &p, &pl, &t, &js, &e);
        if (k != 0)
                goto out;
        if (c->json) {
                doc = doc_new("show");
                o = json_object_new_object();
                if (!doc || !o || jadd(o, "name", jstr(p->name)) < 0 || jadd(o, "path", jstr(p->path)) < 0 ||
                    jadd(o, "description", jstr(p->description)) < 0 ||
                    jadd(o, "gfx_targets", jstrv(&p->gfx_targets)) < 0 ||
                    jadd(o, "rocm_versions", jstrv(&p->rocm_versions)) < 0 ||
                    jadd(o, "device", jstr(p->device)) < 0 ||
                    jadd(o, "isolate_device", json_object_new_boolean(p->isolate_device)) < 0 ||
                    jadd(o, "env", env_json(&e)) < 0 || jadd(doc, "profile", TAKE_PTR(o)) < 0 ||
                    jadd(doc, "targets", targets_json(&js)) < 0) {
                        k = fail(EXIT_UNKNOWN, "out of memory.");
                        goto out;
                }
                k = doc_print(doc) < 0 ? EXIT_UNKNOWN : 0;
                goto out;
        }
        printf("profile:     %s\n", esc(p->name));
        printf("file:        %s\n", esc(p->path));
        printf("description: %s\n", esc(p->description));
        printf("gfx targets: ");
        for (size_t i = 0; i < p->gfx_targets.n; i++)
                printf("%s%s", i ? " " : "", esc(p->gfx_targets.items[i]));
        printf("\nROCm:        ");
        for (size_t i = 0; i < p->rocm_versions.n; i++)
                printf("%s%s", i ? " " : "", esc(p->rocm_versions.items[i]));
        printf("\n\n");
        if (e.n == 0)
                printf("No variables: the profile works by what it leaves out (exec starts from a clean environment).\n");
        for (size_t i = 0; i < e.n; i++) {
                printf("%s=%s\n", esc(e.items[i].name), esc(e.items[i].value));
                if (e.items[i].reason)
                        printf("    why:    %s\n", esc(e.items[i].reason));
                if (e.items[i].source)
                        printf("    source: %s\n", esc(e.items[i].source));
        }
        k = 0;
out:
        resolved_clear(&pl, &t, &js, &e);
        return k;
}

/* ---- validate ---- */

static int cmd_validate(const pcli *c)
{
        _cleanup_(rules_freep) rules_db *db = NULL;
        _cleanup_(profile_freep) profile *p = NULL;
        _cleanup_json_ json_object *doc = NULL;
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        struct stat st;
        bool is_ini;
        size_t len;
        int k, code;

        fd = open(c->arg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                k = errno;
                return fail(EXIT_UNKNOWN, "cannot open '%s': %s.", esc(c->arg), strerror(k));
        }
        if (!S_ISREG(st.st_mode))
                return fail(EXIT_UNKNOWN, "'%s' is not a regular file.", esc(c->arg));
        k = read_fd_capped(fd, PROFILE_READ_MAX, &buf, &len);
        if (k < 0)
                return fail(EXIT_UNKNOWN, "cannot read '%s': %s.", esc(c->arg), strerror(-k));
        if (load_rules(&db) < 0)
                return EXIT_UNKNOWN;
        is_ini = profile_buffer_is_ini(c->arg, buf, len);
        if (is_ini) {
                k = profile_parse(c->arg, buf, len, &pl, &p);
                if (k < 0 && k != -EBADMSG) {
                        problem_list_clear(&pl);
                        return fail(EXIT_UNKNOWN, "cannot read '%s': %s.", esc(c->arg), strerror(-k));
                }
        }
        k = targets_for(c, p, &t, &js);
        if (k != 0) {
                problem_list_clear(&pl);
                gpu_targets_clear(&t);
                return k == -ENODEV ? EX_USAGE : EXIT_UNKNOWN;
        }
        if (is_ini)
                k = p ? profile_validate(p, db, &js, &pl) : 0;
        else
                k = envfile_validate(c->arg, buf, len, db, &js, &pl);
        if (k < 0) {
                code = fail(EXIT_UNKNOWN, "cannot validate '%s': %s.", esc(c->arg), strerror(-k));
                goto out;
        }
        problem_list_sort(&pl);
        code = problem_list_exit_code(&pl);
        if (c->json) {
                doc = doc_new("validate");
                if (!doc || jadd(doc, "file", jstr(c->arg)) < 0 ||
                    jadd(doc, "kind", json_object_new_string(is_ini ? "profile" : "shell")) < 0 ||
                    jadd(doc, "targets", targets_json(&js)) < 0 ||
                    jadd(doc, "verdict", json_object_new_string(verdict_of(code))) < 0 ||
                    jadd(doc, "exit_code", json_object_new_int(code)) < 0 ||
                    jadd(doc, "partial", json_object_new_boolean(false)) < 0 ||
                    jadd(doc, "problems", problems_json(&pl)) < 0 || doc_print(doc) < 0)
                        code = fail(EXIT_UNKNOWN, "cannot write the JSON document.");
                goto out;
        }
        if (!c->quiet)
                problems_print(&pl);
        printf("%s: %s (judged for", esc(c->arg), code == 0 ? "OK" : code == 1 ? "WARNING" : "CRITICAL");
        for (size_t i = 0; i < js.n; i++)
                printf(" %s%s%s%s", js.items[i].gfx, js.items[i].pci_slot ? " at " : " (assumed: no GPU found)",
                       js.items[i].pci_slot ? js.items[i].pci_slot : "", i + 1 < js.n ? "," : "");
        printf(")\n");
out:
        problem_list_clear(&pl);
        judge_set_clear(&js);
        gpu_targets_clear(&t);
        return code;
}

/* ---- diff, and the conflicts install can disable ---- */

typedef enum diff_status {
        DIFF_SAME,      /* the shells get the profile's value */
        DIFF_DIFFERS,   /* the shells get another value */
        DIFF_MISSING,   /* the profile sets it, the shells do not */
        DIFF_EXTRA,     /* the shells set a variable the rules know, the profile does not */
} diff_status;

static const char *const diff_status_names[] = {"same", "differs", "missing", "extra"};

/* Whose shells: the invoking user (sudo & co.), else whoever runs us; NULL when the root does not know them. */
static int diff_user(const sysroot *sr, root_users **ret_users, const root_user **ret)
{
        exec_user eu = {0};
        uid_t uid = getuid();
        int k;

        k = exec_user_from_env(sr, &eu);
        if (k > 0)
                uid = eu.uid;
        exec_user_clear(&eu);
        k = root_users_load(sr, USERS_ALL, ret_users);
        if (k < 0 && k != -ENOENT)
                return k;
        *ret = *ret_users ? root_users_find_uid(*ret_users, uid) : NULL;
        return 0;
}

static bool value_equal(const char *profile_value, const char *shell_value, const root_user *u)
{
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (env_value_expand(profile_value, u ? u->home : NULL, u ? u->name : NULL, &a) < 0)
                return false;
        b = shell_value_expand(shell_value, u ? u->home : NULL, u ? u->name : NULL);
        return b && streq(a, b);
}

static const profile_setting *resolved_get(const resolved_env *e, const char *name)
{
        for (size_t i = 0; i < e->n; i++)
                if (streq(e->items[i].name, name))
                        return &e->items[i];
        return NULL;
}

/* A shell setting is a conflict when the profile sets another value, or the rules find it bad. */
static bool shell_setting_conflicts(const shell_setting *s, const resolved_env *e, const rules_db *db,
                                    const judge_set *js, const root_user *u, const char **ret_finding)
{
        const profile_setting *ps = resolved_get(e, s->name);

        *ret_finding = NULL;
        if (ps)
                return !value_equal(ps->value, s->value, u);
        for (size_t i = 0; i < js->n; i++) {
                rule_verdict v = {0};

                if (rules_judge(db, s->name, s->value, js->items[i].gfx, &v) > 0) {
                        *ret_finding = v.finding;
                        return true;
                }
        }
        return false;
}

static int cmd_diff(const pcli *c)
{
        _cleanup_(profile_freep) profile *p = NULL;
        _cleanup_(rules_freep) rules_db *db = NULL;
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        _cleanup_(root_users_freep) root_users *users = NULL;
        _cleanup_json_ json_object *doc = NULL, *vars = NULL;
        const root_user *u = NULL;
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        resolved_env e = {0};
        shell_env sh = {0};
        strv names = {0};
        bool any_diff = false;
        int k;

        k = load_resolved(c, &p, &pl, &t, &js, &e);
        if (k != 0)
                goto out;
        if (load_rules(&db) < 0 || sysroot_open(c->root, &sr) < 0) {
                k = EXIT_UNKNOWN;
                goto out;
        }
        if (diff_user(sr, &users, &u) < 0 || shell_env_collect(sr, u, &sh) < 0) {
                k = fail(EXIT_UNKNOWN, "cannot read the environment files of '%s'.", c->root);
                goto out;
        }
        /* The profile's variables, then those the shells set that the rules know about. */
        for (size_t i = 0; i < e.n; i++)
                if (strv_push_dup(&names, e.items[i].name) < 0)
                        goto oom;
        for (size_t i = 0; i < sh.n; i++)
                if (sh.items[i].exported && !strv_contains(&names, sh.items[i].name) && rules_find(db, sh.items[i].name) &&
                    strv_push_dup(&names, sh.items[i].name) < 0)
                        goto oom;
        vars = json_object_new_array();
        if (!vars)
                goto oom;
        if (!c->json)
                printf("profile %s against the shells of %s (static reading of their startup files):\n",
                       esc(p->name), u ? esc(u->name) : "(an account the root does not know: system files only)");
        for (size_t i = 0; i < names.n; i++) {
                const profile_setting *ps = resolved_get(&e, names.items[i]);
                const shell_setting *ss = shell_env_final(&sh, names.items[i]);
                const char *fid = NULL;
                diff_status st;
                json_object *o;

                if (!ps)
                        st = DIFF_EXTRA;
                else if (!ss)
                        st = DIFF_MISSING;
                else
                        st = value_equal(ps->value, ss->value, u) ? DIFF_SAME : DIFF_DIFFERS;
                if (st == DIFF_EXTRA)
                        shell_setting_conflicts(ss, &e, db, &js, u, &fid);
                if (st != DIFF_SAME)
                        any_diff = true;
                if (!c->json) {
                        printf("  %c %s: profile %s%s%s, shells %s%s%s", "=~+-"[st], esc(names.items[i]),
                               ps ? "'" : "", ps ? esc(ps->value) : "(unset)", ps ? "'" : "", ss ? "'" : "",
                               ss ? esc(ss->value) : "(unset)", ss ? "'" : "");
                        if (ss)
                                printf(" (%s:%u)", esc(ss->path), ss->line);
                        if (fid)
                                printf(" [%s]", fid);
                        putchar('\n');
                        continue;
                }
                o = json_object_new_object();
                if (jappend(vars, o) < 0 || jadd(o, "name", jstr(names.items[i])) < 0 ||
                    jadd(o, "status", json_object_new_string(diff_status_names[st])) < 0 ||
                    jadd(o, "profile", ps ? jstr(ps->value) : NULL) < 0 ||
                    jadd(o, "shell", ss ? jstr(ss->value) : NULL) < 0 ||
                    jadd(o, "path", ss ? jstr(ss->path) : NULL) < 0 ||
                    jadd(o, "line", ss ? json_object_new_int((int)ss->line) : NULL) < 0 ||
                    jadd(o, "finding", fid ? json_object_new_string(fid) : NULL) < 0)
                        goto oom;
        }
        if (c->json) {
                doc = doc_new("diff");
                if (!doc || jadd(doc, "profile", jstr(p->name)) < 0 || jadd(doc, "user", u ? jstr(u->name) : NULL) < 0 ||
                    jadd(doc, "differs", json_object_new_boolean(any_diff)) < 0 ||
                    jadd(doc, "variables", TAKE_PTR(vars)) < 0 || doc_print(doc) < 0)
                        goto oom;
        } else if (sh.n_unreadable)
                printf("  (%zu file(s) could not be read)\n", sh.n_unreadable);
        /* Like diff(1): 0 the same, 1 different. */
        k = any_diff ? 1 : 0;
        goto out;
oom:
        k = fail(EXIT_UNKNOWN, "out of memory.");
out:
        strv_clear(&names);
        shell_env_clear(&sh);
        resolved_clear(&pl, &t, &js, &e);
        return k;
}

/* ---- install ---- */

static void env_line_refs_free(env_line_ref *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(r[i].path);
                free(r[i].text);
                free(r[i].name);
        }
        free(r);
}

/* --profile install --dry-run: what would be written and disabled; nothing is. Takes kept. */
static int install_dry_run(const pcli *c, const profile *p, const char *content, const env_line_ref *refs,
                           size_t n_refs, json_object *kept)
{
        _cleanup_json_ json_object *conflicts = kept, *doc = NULL, *dis = NULL;
        const char *line = content;

        if (c->json) {
                doc = doc_new("install");
                dis = json_object_new_array();
                for (size_t i = 0; dis && i < n_refs; i++) {
                        json_object *o = json_object_new_object();

                        if (jappend(dis, o) < 0 || jadd(o, "path", jstr(refs[i].path)) < 0 ||
                            jadd(o, "line", json_object_new_int((int)refs[i].line)) < 0 ||
                            jadd(o, "name", jstr(refs[i].name)) < 0)
                                return fail(EXIT_UNKNOWN, "out of memory.");
                }
                if (!doc || !dis || jadd(doc, "profile", jstr(p->name)) < 0 ||
                    jadd(doc, "path", json_object_new_string(PROFILE_INSTALL_PATH)) < 0 ||
                    jadd(doc, "dry_run", json_object_new_boolean(true)) < 0 || jadd(doc, "journal", NULL) < 0 ||
                    jadd(doc, "content", json_object_new_string(content)) < 0 ||
                    jadd(doc, "disabled", TAKE_PTR(dis)) < 0 || jadd(doc, "conflicts_kept", TAKE_PTR(conflicts)) < 0 ||
                    doc_print(doc) < 0)
                        return fail(EXIT_UNKNOWN, "cannot write the JSON document.");
                return 0;
        }
        printf("would install the profile '%s' as %s, through the journal:\n", esc(p->name), PROFILE_INSTALL_PATH);
        while (*line) {
                size_t len = strcspn(line, "\n");
                _cleanup_free_ char *l = strndup(line, len);

                printf("  | %s\n", l ? esc(l) : "?");
                line += len + (line[len] == '\n');
        }
        for (size_t i = 0; i < n_refs; i++)
                printf("would disable %s:%u (%s)\n", esc(refs[i].path), refs[i].line, esc(refs[i].name));
        printf("Dry run: nothing was changed.\n");
        return 0;
}

static int cmd_install(const pcli *c)
{
        _cleanup_(profile_freep) profile *p = NULL;
        _cleanup_(rules_freep) rules_db *db = NULL;
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        _cleanup_(root_users_freep) root_users *users = NULL;
        _cleanup_free_ char *content = NULL, *id = NULL, *err = NULL;
        const root_user *u = NULL;
        _cleanup_json_ json_object *kept = json_object_new_array(), *doc = NULL, *dis = NULL;
        env_line_ref *refs = NULL;
        size_t n_refs = 0;
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        resolved_env e = {0};
        shell_env sh = {0};
        install_request req;
        int k;

        k = load_resolved(c, &p, &pl, &t, &js, &e);
        if (k != 0) {
                k = k == EXIT_UNKNOWN ? EXIT_INSTALL_REFUSED : k;
                goto out;
        }
        if (load_rules(&db) < 0) {
                k = EXIT_UNKNOWN;
                goto out;
        }
        /* Refuse anything validate would not pass as OK: install never writes a doubtful profile. */
        if (profile_validate(p, db, &js, &pl) < 0)
                goto oom;
        if (problem_list_has(&pl, SEVERITY_WARNING)) {
                problem_list_sort(&pl);
                problems_print(&pl);
                k = fail(EXIT_INSTALL_REFUSED, "refusing to install '%s': it does not validate (nothing was written).",
                         esc(p->name));
                goto out;
        }
        if ((k = sysroot_open(c->root, &sr)) < 0) {
                k = fail(EXIT_UNKNOWN, "cannot open the root '%s': %s.", c->root, strerror(-k));
                goto out;
        }
        if (!kept || diff_user(sr, &users, &u) < 0 || shell_env_collect(sr, u, &sh) < 0)
                goto oom;
        for (size_t i = 0; i < sh.n; i++) {
                const shell_setting *s = &sh.items[i];
                const char *fid;
                env_line_ref *grown;

                if (streq(s->path, PROFILE_INSTALL_PATH) || !shell_setting_conflicts(s, &e, db, &js, u, &fid))
                        continue;
                if (s->in_home || !c->disable_conflicts) {
                        json_object *o = json_object_new_object();

                        if (jappend(kept, o) < 0 || jadd(o, "path", jstr(s->path)) < 0 ||
                            jadd(o, "line", json_object_new_int((int)s->line)) < 0 ||
                            jadd(o, "name", jstr(s->name)) < 0 || jadd(o, "in_home", json_object_new_boolean(s->in_home)) < 0)
                                goto oom;
                        if (!c->json)
                                printf("%s %s:%u: %s\n",
                                       s->in_home && c->disable_conflicts ? "left (a file in a home: use --recover):"
                                                                          : "conflicting line kept:",
                                       esc(s->path), s->line, esc(s->line_text));
                        continue;
                }
                grown = realloc(refs, (n_refs + 1) * sizeof(*refs));
                if (!grown)
                        goto oom;
                refs = grown;
                refs[n_refs++] = (env_line_ref){.path = strdup(s->path), .line = s->line,
                                                .text = strdup(s->line_text), .name = strdup(s->name)};
        }
        content = profile_render_shell(p, &e, PACKAGE_VERSION);
        if (!content)
                goto oom;
        if (c->dry_run) {
                k = install_dry_run(c, p, content, refs, n_refs, TAKE_PTR(kept));
                goto out;
        }
        req = (install_request){.root = c->root, .state_dir = c->state_dir, .profile_name = p->name,
                                .content = content, .disable = refs, .n_disable = n_refs};
        k = profile_install(&req, &id, &err);
        if (k == -EBUSY) {
                k = fail(EXIT_INSTALL_REFUSED, "another recovery or install is running; nothing was written.");
                goto out;
        }
        if (k < 0 && !id) {
                k = fail(EXIT_INSTALL_REFUSED, "%s; nothing was written.", err ? esc(err) : strerror(-k));
                goto out;
        }
        if (k < 0) {
                k = fail(EXIT_INSTALL_PARTIAL, "install stopped: %s. Journal %s: 'rdna1-doctor --recover --resume' "
                         "finishes it, 'rdna1-doctor --rollback %s' undoes what was done.",
                         err ? esc(err) : strerror(-k), id, id);
                goto out;
        }
        if (c->json) {
                doc = doc_new("install");
                dis = json_object_new_array();
                for (size_t i = 0; dis && i < n_refs; i++) {
                        json_object *o = json_object_new_object();

                        if (jappend(dis, o) < 0 || jadd(o, "path", jstr(refs[i].path)) < 0 ||
                            jadd(o, "line", json_object_new_int((int)refs[i].line)) < 0 || jadd(o, "name", jstr(refs[i].name)) < 0)
                                goto oom;
                }
                if (!doc || !dis || jadd(doc, "profile", jstr(p->name)) < 0 ||
                    jadd(doc, "path", json_object_new_string(PROFILE_INSTALL_PATH)) < 0 ||
                    jadd(doc, "journal", json_object_new_string(id)) < 0 || jadd(doc, "disabled", TAKE_PTR(dis)) < 0 ||
                    jadd(doc, "conflicts_kept", TAKE_PTR(kept)) < 0 || doc_print(doc) < 0)
                        goto oom;
                k = 0;
                goto out;
        }
        printf("installed the profile '%s' as %s (journal %s; 'rdna1-doctor --rollback %s' undoes it).\n",
               esc(p->name), PROFILE_INSTALL_PATH, id, id);
        for (size_t i = 0; i < n_refs; i++)
                printf("disabled %s:%u (%s)\n", esc(refs[i].path), refs[i].line, esc(refs[i].name));
        k = 0;
        goto out;
oom:
        k = fail(EXIT_UNKNOWN, "out of memory.");
out:
        env_line_refs_free(refs, n_refs);
        shell_env_clear(&sh);
        resolved_clear(&pl, &t, &js, &e);
        return k;
}

/* ---- exec ---- */

/*
 * A workload never runs under a profile the rules call critical for this
 * machine (an override that hangs gfx1010, say). Returns 0 or an exit code.
 */
static int refuse_critical(const profile *p, const judge_set *js)
{
        rules_db *db = NULL;
        problem_list pl = {0};
        int k;

        if (load_rules(&db) < 0)
                return EXIT_UNKNOWN;
        k = profile_validate(p, db, js, &pl);
        if (k < 0)
                k = fail(EXIT_UNKNOWN, "out of memory.");
        else if (problem_list_has(&pl, SEVERITY_CRITICAL)) {
                problem_list_sort(&pl);
                problems_fprint(stderr, &pl);
                k = fail(EXIT_UNKNOWN, "refusing to run anything under '%s': it is critical for this machine.",
                         esc(p->name));
        } else
                k = 0;
        problem_list_clear(&pl);
        rules_free(db);
        return k;
}

int profile_cmd_environment(const char *name, const char *root, const char *device, const exec_user *u,
                            char ***ret_env)
{
        _cleanup_(profile_freep) profile *p = NULL;
        const pcli c = {.arg = name, .root = root, .device = device};
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        resolved_env e = {0};
        int k;

        k = load_resolved(&c, &p, &pl, &t, &js, &e);
        if (k == 0)
                k = refuse_critical(p, &js);
        if (k == 0 && exec_env_build(&e, u, ret_env) < 0)
                k = fail(EXIT_UNKNOWN, "out of memory.");
        resolved_clear(&pl, &t, &js, &e);
        return k;
}

/* exec --dry-run: who would run what, with which environment; nothing runs. */
static int exec_dry_run(const pcli *c, const exec_user *u, char **env)
{
        bool path = false;

        for (char **e = env; e && *e; e++)
                path |= !!startswith(*e, "PATH=");
        if (u)
                printf("would run as %s (uid %u, from %s), without a shell:\n", u->name ? esc(u->name) : "?",
                       (unsigned)u->uid, u->via ? u->via : "?");
        else
                printf("would run as %s (uid %u), without a shell:\n", geteuid() == 0 ? "root" : "the caller",
                       (unsigned)geteuid());
        printf("  command:");
        for (char **a = c->cmd; *a; a++)
                printf(" %s", esc(*a));
        printf("\n  looked up in %s\n  environment (nothing else is passed):\n",
               path ? "its PATH" : "the PATH " EXEC_DEFAULT_PATH);
        for (char **e = env; e && *e; e++)
                printf("    %s\n", esc(*e));
        printf("Dry run: nothing was run.\n");
        return fflush(stdout) == 0 ? 0 : EXIT_EXEC_CANNOT_RUN;
}

static int cmd_exec(const pcli *c)
{
        _cleanup_(profile_freep) profile *p = NULL;
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        exec_user u = {0};
        problem_list pl = {0};
        gpu_targets t = {0};
        judge_set js = {0};
        resolved_env e = {0};
        char **env = NULL;
        bool drop = false;
        int k;

        k = load_resolved(c, &p, &pl, &t, &js, &e);
        if (k == 0 && refuse_critical(p, &js) != 0)
                k = EXIT_EXEC_CANNOT_RUN;
        if (k != 0) {
                k = k == EX_USAGE ? k : EXIT_EXEC_CANNOT_RUN;
                goto out;
        }
        if ((k = sysroot_open(c->root, &sr)) < 0) {
                k = fail(EXIT_EXEC_CANNOT_RUN, "cannot open the root '%s': %s.", c->root, strerror(-k));
                goto out;
        }
        if (geteuid() == 0 && !c->as_root) {
                k = exec_user_from_env(sr, &u);
                if (k == 0) {
                        k = fail(EXIT_EXEC_CANNOT_RUN, "running as root and not through sudo, pkexec or doas: "
                                                       "pass --as-root to run the command as root.");
                        goto out;
                }
                if (k == -ENOENT || k == -EINVAL) {
                        k = fail(EXIT_EXEC_CANNOT_RUN, "the invoking user (%s) is not an account of '%s'; "
                                                       "refusing to guess (--as-root runs the command as root).",
                                 u.via ? u.via : "SUDO_UID/PKEXEC_UID/DOAS_USER", c->root);
                        goto out;
                }
                if (k < 0) {
                        k = fail(EXIT_EXEC_CANNOT_RUN, "cannot read the accounts of '%s': %s.", c->root, strerror(-k));
                        goto out;
                }
                drop = u.uid != 0;
        }
        k = exec_env_build(&e, drop ? &u : NULL, &env);
        if (k < 0) {
                k = fail(EXIT_EXEC_CANNOT_RUN, "out of memory.");
                goto out;
        }
        {
                /* a Python workload under a native profile needs a torch with code for the GPU's target */
                const char *gfx[16];
                size_t n_gfx = 0;

                for (size_t i = 0; i < js.n && n_gfx < ELEMENTSOF(gfx); i++)
                        gfx[n_gfx++] = js.items[i].gfx;
                (void)torch_native_warn(c->cmd[0], env, gfx, n_gfx, p->name);
        }
        if (c->dry_run) {
                k = exec_dry_run(c, drop ? &u : NULL, env);
                goto out;
        }
        if (drop && (k = exec_drop_privileges(&u)) < 0) {
                k = fail(EXIT_EXEC_CANNOT_RUN, "cannot drop privileges to uid %u: %s.", (unsigned)u.uid, strerror(-k));
                goto out;
        }
        fflush(NULL);
        k = exec_command(c->cmd, env);
        fprintf(stderr, "rdna1-doctor: cannot run '%s': %s.\n", esc(c->cmd[0]),
                k == 127 ? "command not found" : "not executable");
out:
        exec_env_free(env);
        exec_user_clear(&u);
        resolved_clear(&pl, &t, &js, &e);
        return k;
}

/* ---- the command ---- */

int profile_run_cli(const profile_cli *cli)
{
        _cleanup_free_ char *demo = NULL, *copy = NULL;
        pcli c = *cli;

        if (c.demo) {
                demo = strdup_printf("%s/demo", doctor_datadir());
                if (!demo)
                        return EXIT_UNKNOWN;
                c.root = demo;
                /* the installed demo is never written: install works on a fresh private copy */
                if (!c.exec_mode && streq(c.action, "install") && !c.dry_run) {
                        int r = demo_root_for(demo, c.state_dir, true, true, &copy);

                        if (r > 0)
                                return r;
                        c.root = copy;
                }
        }
        if (!c.root)
                c.root = "/";
        if (c.exec_mode)
                return cmd_exec(&c);
        if (streq(c.action, "list"))
                return cmd_list(&c);
        if (streq(c.action, "show"))
                return cmd_show(&c);
        if (streq(c.action, "validate"))
                return cmd_validate(&c);
        if (streq(c.action, "diff"))
                return cmd_diff(&c);
        return cmd_install(&c);
}
