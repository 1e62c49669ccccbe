/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * profiles/rules.ini: iniparser reads the values; a line scan of the same
 * bytes gives the sections' original case, their lines, and refuses
 * duplicates (iniparser would silently keep one). iniparser 4.1 loads only
 * from a path, so the buffer goes through a memfd to keep "the same bytes".
 */
#include "check/rules_ini.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <iniparser.h>
#include <sys/mman.h>

#include "base/iniutil.h"
#include "base/util.h"
#include "root/sysroot.h"

#define RULES_FILE_MAX (1024u * 1024)

static const char *const match_names[_RULE_MATCH_MAX] = {
        [RULE_MATCH_ANY] = "any",
        [RULE_MATCH_BAD] = "bad",
        [RULE_MATCH_NOT_ALLOWED] = "not-allowed",
        [RULE_MATCH_LIBRARY_PATH] = "library-path",
        [RULE_MATCH_NONE] = "none",
};

const char *rule_match_to_string(rule_match m)
{
        return m >= 0 && m < _RULE_MATCH_MAX ? match_names[m] : NULL;
}

static rule_match rule_match_from_string(const char *s)
{
        for (int i = 0; i < _RULE_MATCH_MAX; i++)
                if (streq(s, match_names[i]))
                        return (rule_match)i;
        return _RULE_MATCH_INVALID;
}

static severity severity_from_string(const char *s)
{
        for (int i = 0; i < _SEVERITY_MAX; i++)
                if (streq(s, severity_to_string((severity)i)))
                        return (severity)i;
        return _SEVERITY_INVALID;
}

/* The findings an environment rule may raise (rdna1-doctor(8), FINDINGS). */
static bool finding_known(const char *id)
{
        static const char *const ids[] = {"env.override-gfx", "env.override-invalid", "env.hang-risk",
                                          "env.build-only", "env.ineffective", "runtime.preload",
                                          "runtime.library-path"};

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (streq(id, ids[i]))
                        return true;
        return false;
}

static void env_rule_clear(env_rule *r)
{
        free(r->name);
        free(r->finding);
        free(r->allowed);
        free(r->bad);
        free(r->reason);
        free(r->source);
        free(r->scoped_by);
        free(r->warn);
        free(r->warn_reason);
        free(r->format_finding);
        free(r->format_reason);
        for (size_t i = 0; i < r->n_targets; i++) {
                free(r->targets[i].gfx);
                free(r->targets[i].reason);
                free(r->targets[i].allowed);
                free(r->targets[i].bad);
                free(r->targets[i].warn);
                free(r->targets[i].warn_reason);
        }
        free(r->targets);
}

rules_db *rules_free(rules_db *db)
{
        if (!db)
                return NULL;
        for (size_t i = 0; i < db->n; i++)
                env_rule_clear(&db->rules[i]);
        free(db->rules);
        free(db->path);
        free(db);
        return NULL;
}

/* ---- the line scan ---- */

typedef struct scan_section {
        char *name;             /* original case */
        unsigned line;
        strv keys;              /* lowercased, as iniparser stores them */
        unsigned *key_lines;
} scan_section;

typedef struct scan {
        scan_section *s;
        size_t n;
} scan;

static void scan_clear(scan *sc)
{
        for (size_t i = 0; i < sc->n; i++) {
                free(sc->s[i].name);
                strv_clear(&sc->s[i].keys);
                free(sc->s[i].key_lines);
        }
        free(sc->s);
        *sc = (scan){0};
}

static void lowercase(char *s)
{
        for (; *s; s++)
                *s = (char)tolower((unsigned char)*s);
}

static int scan_lines(const char *buf, size_t len, scan *ret, unsigned *ret_line)
{
        scan sc = {0};
        size_t pos = 0;
        unsigned ln = 0;
        int k = 0;

        while (pos < len) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                _cleanup_free_ char *s = strndup(line, n);
                char *t, *eq;

                pos += n + (nl ? 1 : 0);
                ln++;
                if (!s) {
                        k = -ENOMEM;
                        break;
                }
                t = strstrip(s);
                if (!t[0] || t[0] == '#' || t[0] == ';')
                        continue;
                if (t[0] == '[') {
                        char *end = strchr(t, ']');
                        scan_section *ns;

                        if (!end || end == t + 1) {
                                k = -EBADMSG;
                                break;
                        }
                        *end = '\0';
                        for (size_t i = 0; i < sc.n; i++)
                                if (strcasecmp(sc.s[i].name, t + 1) == 0) {
                                        k = -EBADMSG; /* iniparser would merge the two */
                                        break;
                                }
                        if (k < 0)
                                break;
                        ns = realloc(sc.s, (sc.n + 1) * sizeof(*ns));
                        if (!ns) {
                                k = -ENOMEM;
                                break;
                        }
                        sc.s = ns;
                        sc.s[sc.n] = (scan_section){.name = strdup(t + 1), .line = ln};
                        if (!sc.s[sc.n].name) {
                                k = -ENOMEM;
                                break;
                        }
                        sc.n++;
                        continue;
                }
                eq = strchr(t, '=');
                if (!eq || sc.n == 0) {
                        k = -EBADMSG;
                        break;
                }
                *eq = '\0';
                t = strstrip(t);
                lowercase(t);
                {
                        scan_section *cur = &sc.s[sc.n - 1];
                        unsigned *kl;

                        if (strv_contains(&cur->keys, t)) {
                                k = -EBADMSG; /* iniparser keeps one of duplicates */
                                break;
                        }
                        k = strv_push_dup(&cur->keys, t);
                        if (k < 0)
                                break;
                        kl = realloc(cur->key_lines, cur->keys.n * sizeof(unsigned));
                        if (!kl) {
                                k = -ENOMEM;
                                break;
                        }
                        cur->key_lines = kl;
                        kl[cur->keys.n - 1] = ln;
                }
        }
        if (k < 0) {
                if (ret_line)
                        *ret_line = ln;
                scan_clear(&sc);
                return k;
        }
        *ret = sc;
        return 0;
}

/* ---- building the rules ---- */

static int dup_opt(dictionary *d, const char *sec, const char *key, char **ret)
{
        _cleanup_free_ char *full = NULL, *lsec = strdup(sec);
        const char *v;

        if (!lsec)
                return -ENOMEM;
        lowercase(lsec);
        full = strdup_printf("%s:%s", lsec, key);
        if (!full)
                return -ENOMEM;
        v = iniparser_getstring(d, full, NULL);
        if (!v) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(v);
        return *ret ? 1 : -ENOMEM;
}

static unsigned key_line(const scan_section *s, const char *key)
{
        for (size_t i = 0; i < s->keys.n; i++)
                if (streq(s->keys.items[i], key))
                        return s->key_lines[i];
        return s->line;
}

/* format = gfx-version: its finding, severity and reason, all required. */
static int build_format(dictionary *d, const scan_section *s, env_rule *r, unsigned *ret_line)
{
        _cleanup_free_ char *format = NULL, *sev = NULL;
        int k;

        if ((k = dup_opt(d, s->name, "format", &format)) < 0 ||
            (k = dup_opt(d, s->name, "format_finding", &r->format_finding)) < 0 ||
            (k = dup_opt(d, s->name, "format_severity", &sev)) < 0 ||
            (k = dup_opt(d, s->name, "format_reason", &r->format_reason)) < 0)
                return k;
        if (!format)
                return r->format_finding || sev || r->format_reason ? -EBADMSG : 0;
        *ret_line = key_line(s, "format");
        if (!streq(format, "gfx-version") || !r->format_finding || !finding_known(r->format_finding) || !sev ||
            !r->format_reason || !r->format_reason[0])
                return -EBADMSG;
        r->format_severity = severity_from_string(sev);
        if (r->format_severity < 0)
                return -EBADMSG;
        r->format_gfx_version = true;
        return 0;
}

static int build_rule(dictionary *d, const scan_section *s, env_rule *r, unsigned *ret_line)
{
        _cleanup_free_ char *sev = NULL, *match = NULL;
        int k;

        r->name = strdup(s->name);
        r->line = s->line;
        if (!r->name)
                return -ENOMEM;
        *ret_line = s->line;
        if ((k = dup_opt(d, s->name, "finding", &r->finding)) < 0 ||
            (k = dup_opt(d, s->name, "severity", &sev)) < 0 ||
            (k = dup_opt(d, s->name, "match", &match)) < 0 ||
            (k = dup_opt(d, s->name, "allowed", &r->allowed)) < 0 ||
            (k = dup_opt(d, s->name, "bad", &r->bad)) < 0 ||
            (k = dup_opt(d, s->name, "reason", &r->reason)) < 0 ||
            (k = dup_opt(d, s->name, "source", &r->source)) < 0 ||
            (k = dup_opt(d, s->name, "scoped_by", &r->scoped_by)) < 0 ||
            (k = dup_opt(d, s->name, "warn", &r->warn)) < 0 ||
            (k = dup_opt(d, s->name, "warn_reason", &r->warn_reason)) < 0)
                return k;
        /* every rule says why and where that is known from */
        if (!r->reason || !r->reason[0] || !r->source || !r->source[0] || !match)
                return -EBADMSG;
        if (!r->warn != !r->warn_reason)
                return -EBADMSG;
        k = build_format(d, s, r, ret_line);
        if (k < 0)
                return k;
        *ret_line = s->line;
        r->match = rule_match_from_string(match);
        if (r->match < 0) {
                *ret_line = key_line(s, "match");
                return -EBADMSG;
        }
        if (r->match != RULE_MATCH_NONE && (!r->finding || !finding_known(r->finding) || !sev)) {
                *ret_line = key_line(s, r->finding ? "finding" : "match");
                return -EBADMSG;
        }
        r->severity = sev ? severity_from_string(sev) : SEVERITY_INFO;
        if (r->severity < 0) {
                *ret_line = key_line(s, "severity");
                return -EBADMSG;
        }
        if (r->match == RULE_MATCH_BAD && !r->bad)
                return -EBADMSG;

        /* Per-target keys: severity.gfx1010, reason.gfx1010, allowed.gfx1010, bad.gfx1010. */
        for (size_t i = 0; i < s->keys.n; i++) {
                const char *key = s->keys.items[i], *dot = strchr(key, '.');
                _cleanup_free_ char *val = NULL;
                rule_target *t = NULL;

                if (!dot) {
                        static const char *const plain[] = {"finding", "severity", "match", "allowed", "bad",
                                                            "reason", "source", "scoped_by", "warn",
                                                            "warn_reason", "format", "format_finding",
                                                            "format_severity", "format_reason"};
                        bool ok = false;
                        for (size_t j = 0; j < ELEMENTSOF(plain); j++)
                                ok = ok || streq(key, plain[j]);
                        if (!ok) {
                                *ret_line = s->key_lines[i];
                                return -EBADMSG;
                        }
                        continue;
                }
                for (size_t j = 0; j < r->n_targets; j++)
                        if (streq(r->targets[j].gfx, dot + 1))
                                t = &r->targets[j];
                if (!t) {
                        rule_target *nt = realloc(r->targets, (r->n_targets + 1) * sizeof(*nt));
                        if (!nt)
                                return -ENOMEM;
                        r->targets = nt;
                        t = &r->targets[r->n_targets];
                        *t = (rule_target){.gfx = strdup(dot + 1)};
                        if (!t->gfx)
                                return -ENOMEM;
                        r->n_targets++;
                }
                k = dup_opt(d, s->name, key, &val);
                if (k < 0)
                        return k;
                *ret_line = s->key_lines[i];
                if (!val)
                        return -EBADMSG;
                if (startswith(key, "severity.")) {
                        t->severity = severity_from_string(val);
                        t->has_severity = true;
                        if (t->severity < 0)
                                return -EBADMSG;
                } else if (startswith(key, "reason."))
                        t->reason = TAKE_PTR(val);
                else if (startswith(key, "allowed."))
                        t->allowed = TAKE_PTR(val);
                else if (startswith(key, "bad."))
                        t->bad = TAKE_PTR(val);
                else if (startswith(key, "warn."))
                        t->warn = TAKE_PTR(val);
                else if (startswith(key, "warn_reason."))
                        t->warn_reason = TAKE_PTR(val);
                else
                        return -EBADMSG;
        }
        /* a target's warn values need a reason of their own, or the rule's */
        for (size_t i = 0; i < r->n_targets; i++)
                if (r->targets[i].warn && !r->targets[i].warn_reason && !r->warn_reason) {
                        *ret_line = s->line;
                        return -EBADMSG;
                }
        return 0;
}

static bool is_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

static bool no_memfd;

void rules_set_no_memfd(bool v)
{
        no_memfd = v;
}

/* Does the file at path hold exactly buf? */
static bool file_equals(const char *path, const char *buf, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        _cleanup_free_ char *again = NULL;
        size_t n;

        return fd >= 0 && read_fd_capped(fd, RULES_FILE_MAX, &again, &n) == 0 && n == len &&
               memcmp(again, buf, len) == 0;
}

/*
 * iniparser 4.1 reads only paths: hand it the very bytes the line scan saw
 * through a memfd. Without /proc (a bare chroot) it reads path itself, and
 * the file must still hold the same bytes afterwards.
 */
static dictionary *ini_load_bytes(const char *buf, size_t len, const char *path)
{
        _cleanup_close_ int fd = no_memfd ? -EBADF : memfd_create("rdna1-rules", MFD_CLOEXEC);
        char fdpath[64];
        dictionary *d;

        if (fd < 0 || loop_write(fd, buf, len) < 0)
                goto direct;
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        if (access(fdpath, R_OK) == 0)
                return iniparser_load(fdpath);
direct:
        if (!path)
                return NULL;
        d = iniparser_load(path);
        if (d && !file_equals(path, buf, len)) {
                iniparser_freedict(d);
                return NULL; /* changed under us: what iniparser read is not what was scanned */
        }
        return d;
}

static int load_buffer(const char *path, bool path_is_file, const char *buf, size_t len, rules_db **ret,
                       unsigned *ret_line)
{
        _cleanup_(dictionary_freep) dictionary *d = NULL;
        scan sc = {0};
        rules_db *db;
        unsigned line = 0;
        int k;

        if (memchr(buf, '\0', len))
                return -EBADMSG;
        k = scan_lines(buf, len, &sc, &line);
        if (k < 0) {
                if (ret_line)
                        *ret_line = line;
                return k;
        }
        iniparser_set_error_callback(iniparser_silent);
        d = ini_load_bytes(buf, len, path_is_file ? path : NULL);
        if (!d) {
                scan_clear(&sc);
                return errno == ENOMEM ? -ENOMEM : -EBADMSG;
        }
        db = calloc(1, sizeof(*db));
        if (!db || !(db->path = strdup(path ? path : "rules.ini")) ||
            !(db->rules = calloc(sc.n ? sc.n : 1, sizeof(env_rule)))) {
                rules_free(db);
                scan_clear(&sc);
                return -ENOMEM;
        }
        /* Exact names first, then globs: the most specific rule wins. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < sc.n; i++) {
                        if (is_glob(sc.s[i].name) != (pass == 1))
                                continue;
                        k = build_rule(d, &sc.s[i], &db->rules[db->n], &line);
                        db->n++;
                        if (k < 0) {
                                if (ret_line)
                                        *ret_line = line;
                                rules_free(db);
                                scan_clear(&sc);
                                return k;
                        }
                }
        scan_clear(&sc);
        *ret = db;
        return 0;
}

int rules_load_buffer(const char *path, const char *buf, size_t len, rules_db **ret, unsigned *ret_line)
{
        return load_buffer(path, false, buf, len, ret, ret_line);
}

int rules_load(const char *path, rules_db **ret, unsigned *ret_line)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        if (fd < 0)
                return -errno;
        k = read_fd_capped(fd, RULES_FILE_MAX, &buf, &len);
        if (k < 0)
                return k == -EFBIG ? -EBADMSG : k;
        return load_buffer(path, true, buf, len, ret, ret_line);
}

const env_rule *rules_find(const rules_db *db, const char *name)
{
        if (!db)
                return NULL;
        for (size_t i = 0; i < db->n; i++)
                if (!is_glob(db->rules[i].name) && streq(db->rules[i].name, name))
                        return &db->rules[i];
        for (size_t i = 0; i < db->n; i++)
                if (is_glob(db->rules[i].name) && fnmatch(db->rules[i].name, name, 0) == 0)
                        return &db->rules[i];
        return NULL;
}

/* Does value match one of the space-separated patterns? */
static bool matches_any(const char *patterns, const char *value)
{
        _cleanup_free_ char *copy = patterns ? strdup(patterns) : NULL;
        char *save = NULL;

        if (!copy)
                return false;
        for (char *p = strtok_r(copy, " \t,", &save); p; p = strtok_r(NULL, " \t,", &save))
                if (fnmatch(p, value, FNM_CASEFOLD) == 0)
                        return true;
        return false;
}

/* Does every element of a list value (space or colon separated) match one of the patterns? */
static bool all_match(const char *patterns, const char *value)
{
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        bool any = false;

        if (!copy)
                return false;
        for (char *w = strtok_r(copy, " \t:", &save); w; w = strtok_r(NULL, " \t:", &save)) {
                if (!matches_any(patterns, w))
                        return false;
                any = true;
        }
        return any;
}

/*
 * MAJOR.MINOR.STEP as libhsakmt accepts it: three decimal numbers, major at
 * most 63, minor and step at most 255 (docs/DOMAIN.md §8). Stricter than its
 * sscanf("%u.%u.%u%c") in refusing signs and spaces, which no one means.
 */
bool rules_gfx_version_valid(const char *value)
{
        static const unsigned max[3] = {63, 255, 255};
        const char *p = value;

        for (int i = 0; i < 3; i++) {
                unsigned long n = 0;
                const char *start = p;

                while (*p >= '0' && *p <= '9' && p - start < 4)
                        n = n * 10 + (unsigned long)(*p++ - '0');
                if (p == start || (*p >= '0' && *p <= '9') || n > max[i])
                        return false;
                if (i < 2 && *p++ != '.')
                        return false;
        }
        return *p == '\0';
}

int rules_judge(const rules_db *db, const char *name, const char *value, const char *gfx,
                rule_verdict *ret)
{
        const env_rule *r = rules_find(db, name);
        const rule_target *t = NULL;
        const char *allowed, *bad, *warn;
        bool is_bad;

        *ret = (rule_verdict){.rule = r};
        if (!r)
                return 0;
        /* a value the runtime refuses is that, whatever the target */
        if (r->format_gfx_version && value[0] && !rules_gfx_version_valid(value)) {
                ret->finding = r->format_finding;
                ret->severity = r->format_severity;
                ret->reason = r->format_reason;
                ret->source = r->source;
                return 1;
        }
        for (size_t i = 0; gfx && i < r->n_targets; i++)
                if (streq(r->targets[i].gfx, gfx))
                        t = &r->targets[i];
        allowed = t && t->allowed ? t->allowed : r->allowed;
        bad = t && t->bad ? t->bad : r->bad;
        if (allowed && matches_any(allowed, value))
                return 0;
        switch (r->match) {
        case RULE_MATCH_ANY:
                is_bad = value[0] != '\0';
                break;
        case RULE_MATCH_BAD:
                is_bad = matches_any(bad, value);
                break;
        case RULE_MATCH_NOT_ALLOWED:
                is_bad = true;
                break;
        case RULE_MATCH_LIBRARY_PATH:
                is_bad = rules_library_path_bad(value, NULL) != NULL;
                break;
        default:
                is_bad = false;
        }
        if (!is_bad)
                return 0;
        ret->finding = r->finding;
        ret->severity = t && t->has_severity ? t->severity : r->severity;
        ret->reason = t && t->reason ? t->reason : r->reason;
        ret->source = r->source;
        warn = t && t->warn ? t->warn : r->warn;
        if (warn && all_match(warn, value)) {
                ret->severity = SEVERITY_WARNING;
                ret->reason = t && t->warn_reason ? t->warn_reason : r->warn_reason;
        }
        return 1;
}

static bool packaged_dir(const char *p, size_t n)
{
        static const char *const prefixes[] = {"/opt/rocm", "/usr/lib", "/usr/lib64", "/lib", "/lib64"};

        /* A wheel's copy (torch/lib) is private even under /usr/lib/python3. */
        if (memmem(p, n, "-packages/", 10))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t l = strlen(prefixes[i]);
                if (n >= l && memcmp(p, prefixes[i], l) == 0 &&
                    (n == l || p[l] == '/' || p[l] == '-' || p[l] == '.' || isdigit((unsigned char)p[l])))
                        return true;
        }
        return false;
}

static bool rocm_like(const char *p, size_t n)
{
        static const char *const words[] = {"rocm", "hip", "miopen", "rocblas", "tensile", "hsa", "torch/lib",
                                            "amdgpu"};

        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                size_t l = strlen(words[i]);
                for (size_t j = 0; j + l <= n; j++)
                        if (strncasecmp(p + j, words[i], l) == 0)
                                return true;
        }
        return false;
}

const char *rules_library_path_bad(const char *value, size_t *ret_len)
{
        const char *p = value;

        while (p && *p) {
                const char *end = strchr(p, ':');
                size_t n = end ? (size_t)(end - p) : strlen(p);

                /* Anything in LD_LIBRARY_PATH is searched before ld.so.cache's packaged ROCm. */
                if (n > 0 && rocm_like(p, n) && !packaged_dir(p, n)) {
                        if (ret_len)
                                *ret_len = n;
                        return p;
                }
                p = end ? end + 1 : NULL;
        }
        return NULL;
}
