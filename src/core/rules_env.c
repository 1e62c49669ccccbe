/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The environment audit (BRIEF §4): every place an environment variable or
 * a preloaded library can come from, parsed statically (envfile.c), judged
 * with profiles/rules.ini (rules.c). Shell `source` chains and systemd
 * EnvironmentFile= are followed to a bounded depth and shown in the
 * evidence: "HSA_OVERRIDE_GFX_VERSION=10.3.0 (via /home/alice/.bashrc:12 →
 * /home/alice/rocm_rdna1_env.sh)". Users' files are read through homefile.c
 * (no symlinks, owner checked); system files through the sysroot.
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "envfile.h"
#include "homefile.h"
#include "inspect.h"
#include "rules.h"
#include "users.h"
#include "util.h"

#define ENV_FILE_MAX (1024u * 1024)
#define VALUE_SHOWN_MAX 160    /* bytes of a value quoted in evidence */
#define CHAIN_MAX 8             /* source depth followed */
#define DIR_ENTRIES_MAX 4096    /* entries of one *.d directory looked at */
#define HOME_TOP_ENTRIES_MAX 20000 /* a home's top level, for ~/NAME.sh */

static const char *const override_var = "HSA_OVERRIDE_GFX_VERSION";

typedef struct frame {
        char *path;             /* as the system sees it */
        unsigned line;          /* the line in it that led further (0 for the last frame) */
        const env_file *file;   /* parsed, for variables that scope an override */
} frame;

typedef struct env_audit {
        inspection *in;
        rules_db *rules;
        const char *gfx;        /* the main GPU's target for device-independent rules */
        const root_user *user;  /* NULL: system scope */
        home *h;                /* NULL: system scope */
        strv visited;           /* files parsed in this scope */
        frame chain[CHAIN_MAX + 1];
        size_t depth;
        bool by_hand;           /* a ~/NAME.sh nothing sources */
        bool pam_user_env;      /* pam_env reads ~/.pam_environment (user_readenv=1) */
        bool ineffective;       /* the file being read is one nothing reads */
        const char *ineffective_why;
} env_audit;

/* ---- findings ---- */

static const struct {
        const char *id;
        const char *title;
        const char *fix;
        bool fixable;
} finding_texts[] = {
        {"env.override-gfx", "HSA_OVERRIDE_GFX_VERSION is set in an environment source",
         "Remove the setting (rdna1-doctor --recover comments the line out); an RDNA1 card runs with its own "
         "target, 10.1.0 for gfx1010, or with no override at all", true},
        {"env.hang-risk", "Settings known to stall or hang GPU work are set",
         "Remove the settings (rdna1-doctor --recover comments the lines out)", true},
        {"env.build-only", "Build-time variables are set in a runtime environment file",
         "They change nothing at run time: remove them, or keep them only in a build script", true},
        {"env.ineffective", "Settings in files nothing reads",
         "These files are not read at login: remove them, or move what is needed to a file that is read", false},
        {"runtime.preload", "Libraries are preloaded into processes",
         "Remove the entry (rdna1-doctor --recover comments it out): a preloaded shim runs inside every GPU process", true},
        {"runtime.library-path", "A private ROCm tree is searched before the packaged libraries",
         "Remove the directory from the library path so the packaged ROCm libraries load", true},
};

/*
 * Add a piece of evidence to the finding id (created on first use). why:
 * the rule's reason, added to the fix text once per variable ("Why
 * (NAME): ..."), so a finding that several variables raise explains each.
 */
static int add_evidence(env_audit *a, const char *id, severity sev, const char *slot, const char *path,
                        unsigned line, const char *detail, const char *var, const char *why)
{
        finding *f = report_find(a->in->report, id, slot);

        if (!f) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(finding_texts); i++)
                        if (streq(finding_texts[i].id, id))
                                break;
                if (i == ELEMENTSOF(finding_texts))
                        return -EINVAL;
                f = report_add_finding(a->in->report, id, sev, slot, finding_texts[i].title, finding_texts[i].fix,
                                       finding_texts[i].fixable);
                if (!f)
                        return -ENOMEM;
        }
        if (sev > f->severity)
                f->severity = sev;
        if (why && var) {
                _cleanup_free_ char *tag = strdup_printf("Why (%s): ", var);
                char *fix;

                if (!tag)
                        return -ENOMEM;
                if (!strstr(f->fix, tag)) {
                        fix = strdup_printf("%s. %s%s", f->fix, tag, why);
                        if (!fix)
                                return -ENOMEM;
                        free(f->fix);
                        f->fix = fix;
                }
        }
        /* The same setting reached twice (two users' chains into one system file) is one piece of evidence. */
        for (size_t i = 0; i < f->n_evidence; i++)
                if (streq_ptr(f->evidence[i].path, path) && f->evidence[i].line == line)
                        return 0;
        return finding_add_evidence(f, path, line, detail);
}

/* "NAME=VALUE (via A:1 → B:2 → C) (only when sourced by hand)" */
static char *setting_detail(const env_audit *a, const env_entry *e, const char *extra)
{
        _cleanup_free_ char *via = NULL;
        char *s;

        if (a->depth > 1) {
                size_t cap = 16;
                for (size_t i = 0; i < a->depth; i++)
                        cap += strlen(a->chain[i].path) + 24;
                via = malloc(cap);
                if (!via)
                        return NULL;
                strcpy(via, " (via ");
                for (size_t i = 0; i < a->depth; i++) {
                        size_t n = strlen(via);
                        if (i + 1 < a->depth)
                                snprintf(via + n, cap - n, "%s:%u → ", a->chain[i].path, a->chain[i].line);
                        else
                                snprintf(via + n, cap - n, "%s)", a->chain[i].path);
                }
        }
        /* A long value is cut so the chain after it still fits the evidence. */
        s = strdup_printf("%s=%.*s%s%s%s%s%s", e->name, VALUE_SHOWN_MAX, e->value,
                          strlen(e->value) > VALUE_SHOWN_MAX ? "…" : "", via ? via : "",
                          a->by_hand ? " (only when sourced by hand: no startup file sources it)" : "",
                          e->exported ? "" : " (not exported)", extra ? extra : "");
        return s;
}

/* ---- devices and override scoping ---- */

static bool amd_gpu(const gpu_device *g)
{
        return g->vendor_id == 0x1002 && g->gfx_target;
}

/*
 * The device's index as the ROCm runtime counts GPUs: in KFD node order
 * (devices without a node last, by PCI slot). ROCR_VISIBLE_DEVICES indexes
 * that list.
 */
static size_t rocr_index(const inspection *in, const gpu_device *g)
{
        size_t idx = 0;

        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *o = &in->devices[i];
                long ko = o->kfd_node >= 0 ? o->kfd_node : LONG_MAX, kg = g->kfd_node >= 0 ? g->kfd_node : LONG_MAX;

                if (o == g || !amd_gpu(o))
                        continue;
                if (ko < kg || (ko == kg && strcmp(o->pci_slot, g->pci_slot) < 0))
                        idx++;
        }
        return idx;
}

/*
 * Is the device at index idx hidden by a *_VISIBLE_DEVICES set in the same
 * chain (the file or a file that sources it)? A list of numbers can be
 * judged; UUIDs cannot, and then nothing is hidden.
 */
static bool scoped_away(const env_audit *a, size_t idx)
{
        static const char *const vars[] = {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES",
                                           "GPU_DEVICE_ORDINAL"};

        for (size_t v = 0; v < ELEMENTSOF(vars); v++)
                for (size_t d = 0; d < a->depth; d++) {
                        const env_entry *e = a->chain[d].file ? env_file_get(a->chain[d].file, vars[v]) : NULL;
                        _cleanup_free_ char *copy = NULL;
                        char *save = NULL;
                        bool listed = false, numeric = true;

                        if (!e)
                                continue;
                        copy = strdup(e->value);
                        if (!copy)
                                return false;
                        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                                uint64_t n;
                                if (safe_atou64(strstrip(t), 10, &n) < 0) {
                                        numeric = false;
                                        break;
                                }
                                listed = listed || n == idx;
                        }
                        if (numeric && !listed)
                                return true;
                }
        return false;
}

static int judge_override(env_audit *a, const char *path, const env_entry *e)
{
        _cleanup_free_ char *detail = setting_detail(a, e, NULL);
        bool any = false;
        int k;

        if (!detail)
                return -ENOMEM;
        for (size_t i = 0; i < a->in->n_devices; i++) {
                const gpu_device *g = &a->in->devices[i];
                rule_verdict v;

                if (!amd_gpu(g))
                        continue;
                any = true;
                if (scoped_away(a, rocr_index(a->in, g)))
                        continue;
                if (rules_judge(a->rules, e->name, e->value, g->gfx_target, &v) <= 0)
                        continue;
                k = add_evidence(a, v.finding, v.severity, g->pci_slot, path, e->line, detail, e->name, v.reason);
                if (k < 0)
                        return k;
        }
        if (!any) {
                /* No AMD GPU known (offline root, none present): judged without a target. */
                rule_verdict v;

                if (rules_judge(a->rules, e->name, e->value, NULL, &v) > 0)
                        return add_evidence(a, v.finding, v.severity, NULL, path, e->line, detail, e->name, v.reason);
        }
        return 0;
}

static int judge_entry(env_audit *a, const char *path, const env_entry *e)
{
        _cleanup_free_ char *detail = NULL;
        rule_verdict v;
        int k;

        if (a->ineffective) {
                /* Say it is not read; judge it all the same only when a rule knows the variable. */
                if (!rules_find(a->rules, e->name))
                        return 0;
                detail = setting_detail(a, e, a->ineffective_why);
                if (!detail)
                        return -ENOMEM;
                return add_evidence(a, "env.ineffective", SEVERITY_INFO, NULL, path, e->line, detail, NULL, NULL);
        }
        if (a->by_hand && rules_find(a->rules, e->name)) {
                detail = setting_detail(a, e, NULL);
                if (!detail)
                        return -ENOMEM;
                k = add_evidence(a, "env.ineffective", SEVERITY_INFO, NULL, path, e->line, detail, NULL, NULL);
                if (k < 0)
                        return k;
                free(detail);
                detail = NULL;
        }
        if (streq(e->name, override_var))
                return judge_override(a, path, e);
        if (rules_judge(a->rules, e->name, e->value, a->gfx, &v) <= 0)
                return 0;
        detail = setting_detail(a, e, NULL);
        if (!detail)
                return -ENOMEM;
        return add_evidence(a, v.finding, v.severity, NULL, path, e->line, detail, e->name, v.reason);
}

/* ---- reading ---- */

static bool in_home(const env_audit *a, const char *path, const char **ret_rel)
{
        const char *rest;

        if (!a->h)
                return false;
        rest = startswith(path, a->h->path);
        if (!rest || (rest[0] != '/' && rest[0] != '\0'))
                return false;
        *ret_rel = rest[0] == '/' ? rest + 1 : rest;
        return true;
}

/* Record why a file was not read; a permission problem makes the check partial. */
static int file_reason(env_audit *a, const char *path, int err)
{
        const char *text;

        switch (err) {
        case -ENOENT:
        case -ENOTDIR:
        case -EISDIR:
                return 0;
        case -ELOOP:
                text = a->h ? "a symbolic link: files in homes are read only beneath the home, without following links"
                            : "too many levels of symbolic links";
                break;
        case -EXDEV:
                text = "leads out of the home: not read";
                break;
        case -EINVAL:
                text = "not a regular file (FIFO, socket or device): not read";
                break;
        case -EPERM:
                text = "owned by another user: not read as this user's file";
                break;
        case -EFBIG:
                text = "larger than 1 MiB: not read";
                break;
        case -EKEYREJECTED:
                text = "not readable by the user whose file sources it: not read";
                break;
        case -EACCES:
                return report_add_reason_errno(a->in->report, "env", path, err, true);
        default:
                return report_add_reason_errno(a->in->report, "env", path, err, false);
        }
        return report_add_reason(a->in->report, "env", path, text, false);
}

/*
 * Read path (as the system sees it): beneath the home through homefile.c,
 * elsewhere through the root. A system file reached from a user's file is
 * read only if the user could read it (world-readable or theirs): their
 * `. /etc/shadow` must not make root quote it.
 */
static int read_env_file(env_audit *a, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        const char *rel;
        struct stat st;

        if (in_home(a, path, &rel))
                return home_read_file(a->h, rel, ENV_FILE_MAX, ret, ret_len);
        fd = sysroot_open_regular(a->in->sr, path);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (a->user && !(st.st_mode & S_IROTH) && st.st_uid != a->user->uid)
                return -EKEYREJECTED; /* not theirs to read: not a reason that makes the check partial */
        return read_fd_capped(fd, ENV_FILE_MAX, ret, ret_len);
}

/* Collapse "//" and "/./" (NULL on ENOMEM); ".." stays and is refused when opened. */
static char *normalize(const char *p)
{
        char *s = strdup(p), *w = s;

        if (!s)
                return NULL;
        for (const char *r = s; *r;) {
                if (r[0] == '/' && r[1] == '/') {
                        r++;
                        continue;
                }
                if (r[0] == '/' && r[1] == '.' && (r[2] == '/' || r[2] == '\0')) {
                        r += 2;
                        continue;
                }
                *w++ = *r++;
        }
        *w = '\0';
        if (w > s + 1 && w[-1] == '/')
                w[-1] = '\0';
        return s;
}

/* A `source` argument as the system sees it, or NULL when only the shell could know it. */
static char *resolve_ref(const env_audit *a, const env_ref *r)
{
        const char *p = r->path, *rest;
        _cleanup_free_ char *joined = NULL;

        if (a->h && ((rest = startswith(p, "~/")) || (rest = startswith(p, "$HOME/")) ||
                     (rest = startswith(p, "${HOME}/")) || (rest = startswith(p, "%h/"))))
                joined = strdup_printf("%s/%s", a->h->path, rest);
        else if (p[0] == '/')
                joined = strdup(p);
        else if (a->h && r->kind == ENV_REF_SOURCE && p[0] != '~' && p[0] != '$')
                joined = strdup_printf("%s/%s", a->h->path, p); /* login shells start in the home */
        else
                return NULL;
        if (!joined || strpbrk(joined, "$`*?[~%"))
                return NULL;
        return normalize(joined);
}

static int audit_file(env_audit *a, const char *path, env_format fmt);

static int follow_refs(env_audit *a, const char *path, const env_file *f)
{
        for (size_t i = 0; i < f->n_refs; i++) {
                const env_ref *r = &f->refs[i];
                _cleanup_free_ char *target = resolve_ref(a, r);
                int k;

                if (!target)
                        continue; /* needs the shell to know ($ZDOTDIR, globs): not guessed */
                if (a->depth > CHAIN_MAX) {
                        report_add_note(a->in->report, "env: %s:%u sources files deeper than %d levels; not followed",
                                        path, r->line, CHAIN_MAX);
                        continue;
                }
                a->chain[a->depth - 1].line = r->line;
                k = audit_file(a, target, r->kind == ENV_REF_ENVIRONMENT_FILE ? ENV_FORMAT_KEYVALUE
                                          : f->format == ENV_FORMAT_FISH ? ENV_FORMAT_FISH : ENV_FORMAT_SHELL);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Parse one file, judge its settings, follow what it sources. */
static int audit_file(env_audit *a, const char *path, env_format fmt)
{
        _cleanup_free_ char *buf = NULL;
        env_file *f = NULL;
        size_t len;
        int k;

        if (strv_contains(&a->visited, path))
                return 0; /* read already, or a source loop */
        k = strv_push_dup(&a->visited, path);
        if (k < 0)
                return k;
        k = read_env_file(a, path, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return file_reason(a, path, k);
        k = env_file_parse(fmt, buf, len, &f);
        if (k == -EBADMSG)
                return report_add_reason(a->in->report, "env", path, "not valid JSON: not read", false);
        if (k < 0)
                return k;

        a->chain[a->depth] = (frame){.path = (char *)path, .file = f};
        a->depth++;
        for (size_t i = 0; i < f->n_entries && k >= 0; i++)
                k = judge_entry(a, path, &f->entries[i]);
        if (k >= 0)
                k = follow_refs(a, path, f);
        a->depth--;
        a->chain[a->depth] = (frame){0};
        env_file_free(f);
        return k;
}

static int cmp_names(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every regular entry of dir ending in suffix, sorted, through the root or the home. */
static int list_names(env_audit *a, const char *dir, const char *suffix, strv *ret)
{
        _cleanup_close_ int fd = -EBADF;
        const char *rel;
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        int k = 0;

        if (in_home(a, dir, &rel)) {
                /* Listing needs a real fd beneath the home; names only, files are opened one by one. */
                DIR *d;
                struct dirent *de;

                fd = home_openat(a->h, rel, O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        return fd == -ENOMEM ? fd : file_reason(a, dir, fd);
                d = fdopendir(TAKE_FD(fd));
                if (!d)
                        return -errno;
                while ((de = readdir(d)) && ret->n < DIR_ENTRIES_MAX)
                        if (de->d_name[0] != '.' && endswith(de->d_name, suffix) && (k = strv_push_dup(ret, de->d_name)) < 0)
                                break;
                closedir(d);
                if (k >= 0 && ret->n > 1)
                        qsort(ret->items, ret->n, sizeof(char *), cmp_names);
                return k;
        }
        k = sysroot_list_dir(a->in->sr, dir, DIR_ENTRIES_MAX, &names, &n, &truncated);
        if (k < 0)
                return k == -ENOMEM ? k : file_reason(a, dir, k);
        for (size_t i = 0; i < n && k >= 0; i++)
                if (names[i][0] != '.' && endswith(names[i], suffix))
                        k = strv_push_dup(ret, names[i]);
        strv_free_array(names);
        if (truncated)
                report_add_note(a->in->report, "env: %s has more than %d entries; only the first were read", dir,
                                DIR_ENTRIES_MAX);
        return k;
}

static int audit_dir(env_audit *a, const char *dir, const char *suffix, env_format fmt)
{
        strv names = {0};
        int k;

        k = list_names(a, dir, suffix, &names);
        for (size_t i = 0; k >= 0 && i < names.n; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names.items[i]);
                k = p ? audit_file(a, p, fmt) : -ENOMEM;
        }
        strv_clear(&names);
        return k;
}

static int audit_top(env_audit *a, const char *path, env_format fmt)
{
        a->depth = 0;
        return audit_file(a, path, fmt);
}

/* ---- the dynamic linker ---- */

static int audit_ld_preload(env_audit *a)
{
        static const char path[] = "/etc/ld.so.preload";
        _cleanup_free_ char *buf = NULL;
        size_t len, pos = 0;
        unsigned line = 0;
        int k;

        k = sysroot_read_file(a->in->sr, path, ENV_FILE_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return file_reason(a, path, k);
        while (pos < len) {
                const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - l) : len - pos;
                _cleanup_free_ char *copy = strndup(l, n);
                const rule_verdict *vp = NULL;
                rule_verdict v;
                char *save = NULL, *hash;

                pos += n + (nl ? 1 : 0);
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
                        k = add_evidence(a, "runtime.preload", vp ? vp->severity : SEVERITY_CRITICAL, NULL, path, line,
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
        size_t len, pos = 0;
        unsigned line = 0;
        int k;

        k = sysroot_read_file(a->in->sr, path, ENV_FILE_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return file_reason(a, path, k);
        while (pos < len) {
                const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - l) : len - pos;
                _cleanup_free_ char *copy = strndup(l, n);
                const env_rule *r = rules_find(a->rules, "LD_LIBRARY_PATH");
                char *t, *hash;

                pos += n + (nl ? 1 : 0);
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
                k = add_evidence(a, "runtime.library-path", r ? r->severity : SEVERITY_WARNING, NULL, path, line, t,
                                 "ld.so.conf", r ? r->reason : NULL);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int audit_ld_conf(env_audit *a)
{
        strv names = {0};
        int k;

        k = audit_ld_conf_file(a, "/etc/ld.so.conf");
        if (k >= 0)
                k = list_names(a, "/etc/ld.so.conf.d", ".conf", &names);
        for (size_t i = 0; k >= 0 && i < names.n; i++) {
                _cleanup_free_ char *p = strdup_printf("/etc/ld.so.conf.d/%s", names.items[i]);
                k = p ? audit_ld_conf_file(a, p) : -ENOMEM;
        }
        strv_clear(&names);
        return k;
}

/* ---- systemd units ---- */

typedef struct unit_walk {
        env_audit *a;
        const char *base;       /* the walked directory as the system sees it */
        int err;
} unit_walk;

static bool unit_file_name(const char *relpath, const char *name)
{
        static const char *const types[] = {".service", ".socket", ".mount", ".swap"};
        const char *slash = strrchr(relpath, '/');

        /* drop-ins: foo.service.d/override.conf */
        if (slash && endswith(name, ".conf")) {
                _cleanup_free_ char *dir = strndup(relpath, (size_t)(slash - relpath));
                return dir && endswith(dir, ".d");
        }
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (endswith(name, types[i]))
                        return true;
        return false;
}

static int unit_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                   void *userdata)
{
        unit_walk *w = userdata;
        _cleanup_free_ char *path = NULL;
        int k;

        if (S_ISDIR(st->st_mode))
                return WALK_CONTINUE;
        if (!unit_file_name(relpath, name))
                return WALK_CONTINUE;
        path = strdup_printf("%s/%s", w->base, relpath);
        if (!path)
                return -ENOMEM;
        if (S_ISLNK(st->st_mode)) {
                /*
                 * Enablement links (*.wants/) and links to vendor units point at
                 * packaged files; a top-level link elsewhere is a `systemctl link`ed
                 * unit, read where it lies (system scope only: homes follow no links).
                 */
                _cleanup_free_ char *target = NULL;
                bool exists = false;

                if (w->a->h || depth > 0 || sysroot_chase(w->a->in->sr, path, &target, &exists) < 0 || !exists ||
                    startswith(target, "/lib/systemd/") || startswith(target, "/usr/lib/systemd/") ||
                    startswith(target, "/etc/systemd/system/") || streq(target, "/dev/null"))
                        return WALK_CONTINUE;
                free(path);
                path = TAKE_PTR(target);
        } else if (!S_ISREG(st->st_mode))
                return WALK_CONTINUE;
        w->a->depth = 0;
        k = audit_file(w->a, path, ENV_FORMAT_SYSTEMD);
        return k < 0 ? k : WALK_CONTINUE;
}

static int audit_unit_dir(env_audit *a, const char *dir)
{
        walk_limits lim = {.max_depth = 2, .max_entries = 20000};
        unit_walk w = {.a = a, .base = dir};
        home *tree = NULL;
        int k;

        if (a->h) {
                const char *rel;
                if (!in_home(a, dir, &rel))
                        return 0;
                k = home_walk(a->h, rel, &lim, unit_cb, &w, a->in->report, "env", NULL);
        } else {
                int fd = sysroot_openat(a->in->sr, dir, O_PATH | O_DIRECTORY);
                if (fd < 0)
                        return fd == -ENOMEM ? fd : file_reason(a, dir, fd);
                k = home_open_fd(fd, dir, HOME_ANY_OWNER, 0, &tree);
                if (k < 0)
                        return k == -ENOMEM ? k : file_reason(a, dir, k);
                k = home_walk(tree, "", &lim, unit_cb, &w, a->in->report, "env", NULL);
                home_free(tree);
        }
        if (k < 0 && k != -ENOMEM)
                return file_reason(a, dir, k);
        return k;
}

/* ---- PAM ---- */

/* Does any PAM stack run pam_env with user_readenv=1 (off by default since Linux-PAM 1.5)? */
static bool pam_reads_user_env(env_audit *a)
{
        char **names = NULL;
        size_t n = 0;
        bool found = false;

        if (sysroot_list_dir(a->in->sr, "/etc/pam.d", 512, &names, &n, NULL) < 0)
                return false;
        for (size_t i = 0; i < n && !found; i++) {
                _cleanup_free_ char *p = strdup_printf("/etc/pam.d/%s", names[i]), *buf = NULL;
                size_t len, pos = 0;

                if (!p || sysroot_read_file(a->in->sr, p, 256 * 1024, &buf, &len) < 0)
                        continue;
                while (pos < len && !found) {
                        const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                        size_t m = nl ? (size_t)(nl - l) : len - pos;
                        _cleanup_free_ char *copy = strndup(l, m);
                        char *t;

                        pos += m + (nl ? 1 : 0);
                        if (!copy)
                                break;
                        t = strstrip(copy);
                        found = t[0] != '#' && strstr(t, "pam_env.so") && strstr(t, "user_readenv=1");
                }
        }
        strv_free_array(names);
        return found;
}

/* ---- scopes ---- */

static int audit_system(env_audit *a)
{
        static const char *const shell_files[] = {"/etc/profile", "/etc/bash.bashrc", "/etc/zsh/zshenv",
                                                  "/etc/zsh/zprofile", "/etc/zsh/zshrc"};
        int k;

        if ((k = audit_top(a, "/etc/environment", ENV_FORMAT_KEYVALUE)) < 0 ||
            (k = audit_dir(a, "/etc/environment.d", ".conf", ENV_FORMAT_KEYVALUE)) < 0 ||
            (k = audit_top(a, "/etc/security/pam_env.conf", ENV_FORMAT_PAM_ENV)) < 0)
                return k;
        /* profile.d first: /etc/profile sources it, and the shorter chain reads better. */
        if ((k = audit_dir(a, "/etc/profile.d", ".sh", ENV_FORMAT_SHELL)) < 0)
                return k;
        for (size_t i = 0; i < ELEMENTSOF(shell_files); i++)
                if ((k = audit_top(a, shell_files[i], ENV_FORMAT_SHELL)) < 0)
                        return k;
        if ((k = audit_top(a, "/etc/systemd/system.conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = audit_dir(a, "/etc/systemd/system.conf.d", ".conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = audit_top(a, "/etc/systemd/user.conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = audit_dir(a, "/etc/systemd/user.conf.d", ".conf", ENV_FORMAT_SYSTEMD)) < 0 ||
            (k = audit_unit_dir(a, "/etc/systemd/system")) < 0 ||
            (k = audit_unit_dir(a, "/etc/systemd/user")) < 0)
                return k;
        if ((k = audit_ld_preload(a)) < 0 || (k = audit_ld_conf(a)) < 0)
                return k;
        return 0;
}

typedef struct script_walk {
        env_audit *a;
        strv names;
} script_walk;

static int script_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                     void *userdata)
{
        script_walk *w = userdata;

        if (S_ISREG(st->st_mode) && endswith(name, ".sh"))
                return strv_push_dup(&w->names, name) < 0 ? -ENOMEM : WALK_CONTINUE;
        return WALK_SKIP;
}

static int kernel_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                     void *userdata)
{
        script_walk *w = userdata;

        if (depth == 0)
                return S_ISDIR(st->st_mode) ? WALK_CONTINUE : WALK_SKIP;
        if (S_ISREG(st->st_mode) && streq(name, "kernel.json"))
                return strv_push_dup(&w->names, relpath) < 0 ? -ENOMEM : WALK_CONTINUE;
        return WALK_SKIP;
}

static int audit_user(env_audit *a)
{
        /* Interactive files first: .profile usually sources .bashrc, and the shorter chain reads better. */
        static const char *const shell_files[] = {".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshenv",
                                                  ".zshrc", ".zprofile", ".zlogin", ".xprofile", ".xsessionrc"};
        walk_limits top = {.max_depth = 0, .max_entries = HOME_TOP_ENTRIES_MAX};
        walk_limits kern = {.max_depth = 1, .max_entries = 2000};
        script_walk w = {.a = a};
        const char *hp = a->h->path;
        int k = 0;

        for (size_t i = 0; k >= 0 && i < ELEMENTSOF(shell_files); i++) {
                _cleanup_free_ char *p = home_path(a->h, shell_files[i]);
                k = p ? audit_top(a, p, ENV_FORMAT_SHELL) : -ENOMEM;
        }
        if (k < 0)
                return k;
        {
                _cleanup_free_ char *p = home_path(a->h, ".pam_environment");
                if (!p)
                        return -ENOMEM;
                a->ineffective = !a->pam_user_env;
                a->ineffective_why = " (not read: pam_env reads ~/.pam_environment only with user_readenv=1, "
                                     "off by default since Linux-PAM 1.5)";
                k = audit_top(a, p, ENV_FORMAT_PAM_ENV);
                a->ineffective = false;
                a->ineffective_why = NULL;
                if (k < 0)
                        return k;
        }
#define SUB(rel, suffix, fmt)                                                   \
        do {                                                                    \
                _cleanup_free_ char *d = strdup_printf("%s/%s", hp, rel);     \
                k = d ? audit_dir(a, d, suffix, fmt) : -ENOMEM;                 \
                if (k < 0)                                                      \
                        return k;                                               \
        } while (0)
        SUB(".config/environment.d", ".conf", ENV_FORMAT_KEYVALUE);
        SUB(".config/plasma-workspace/env", ".sh", ENV_FORMAT_SHELL);
        SUB(".config/fish/conf.d", ".fish", ENV_FORMAT_FISH);
#undef SUB
        {
                _cleanup_free_ char *p = home_path(a->h, ".config/fish/config.fish");
                _cleanup_free_ char *u = home_path(a->h, ".config/systemd/user");
                if (!p || !u)
                        return -ENOMEM;
                if ((k = audit_top(a, p, ENV_FORMAT_FISH)) < 0 || (k = audit_unit_dir(a, u)) < 0)
                        return k;
        }

        /* Jupyter kernels: ~/.local/share/jupyter/kernels/NAME/kernel.json */
        k = home_walk(a->h, ".local/share/jupyter/kernels", &kern, kernel_cb, &w, a->in->report, "env", NULL);
        if (k < 0 && k != -ENOENT && k != -ENOTDIR && k != -ELOOP && k != -EACCES) {
                strv_clear(&w.names);
                return k;
        }
        for (size_t i = 0; i < w.names.n && k >= 0; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/.local/share/jupyter/kernels/%s", hp, w.names.items[i]);
                k = p ? audit_top(a, p, ENV_FORMAT_JUPYTER) : -ENOMEM;
        }
        strv_clear(&w.names);
        if (k < 0 && k == -ENOMEM)
                return k;

        /* Top-level ~/NAME.sh: whatever no startup file sourced runs only when sourced by hand. */
        k = home_walk(a->h, "", &top, script_cb, &w, a->in->report, "env", NULL);
        if (k < 0) {
                strv_clear(&w.names);
                return k == -ENOMEM ? k : file_reason(a, hp, k);
        }
        for (size_t i = 0; i < w.names.n && k >= 0; i++) {
                _cleanup_free_ char *p = home_path(a->h, w.names.items[i]);
                if (!p) {
                        k = -ENOMEM;
                        break;
                }
                if (strv_contains(&a->visited, p))
                        continue;
                a->by_hand = true;
                k = audit_top(a, p, ENV_FORMAT_SHELL);
                a->by_hand = false;
        }
        strv_clear(&w.names);
        return k;
}

static int audit_users(env_audit *a)
{
        root_users *users = NULL;
        int k;

        k = root_users_load(a->in->sr, USERS_WITH_HOME, &users);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return k == -ENOMEM ? k : report_add_reason_errno(a->in->report, "env", "/etc/passwd", k, true);
        a->pam_user_env = pam_reads_user_env(a);
        for (size_t i = 0; i < users->n && k >= 0; i++) {
                const root_user *u = &users->users[i];

                k = home_open(a->in->sr, u, &a->h);
                if (k < 0) {
                        k = k == -ENOMEM ? k : file_reason(a, u->home, k);
                        continue;
                }
                {
                        /* Not root: a home we cannot list is one reason, not one per file. */
                        _cleanup_close_ int probe = home_openat(a->h, ".", O_RDONLY | O_DIRECTORY);
                        if (probe < 0) {
                                a->h = home_free(a->h);
                                k = probe == -EACCES ? report_add_reason(a->in->report, "env", u->home,
                                                                        "home not readable: its environment files were not checked", true)
                                                     : file_reason(a, u->home, probe);
                                continue;
                        }
                }
                a->user = u;
                strv_clear(&a->visited);
                k = audit_user(a);
                a->h = home_free(a->h);
                a->user = NULL;
        }
        root_users_free(users);
        return k;
}

static const char *main_gfx(const inspection *in)
{
        for (size_t i = 0; i < in->n_devices; i++)
                if (in->devices[i].rdna1 && in->devices[i].gfx_target)
                        return in->devices[i].gfx_target;
        for (size_t i = 0; i < in->n_devices; i++)
                if (amd_gpu(&in->devices[i]))
                        return in->devices[i].gfx_target;
        return NULL;
}

int rules_env_apply(inspection *in)
{
        _cleanup_free_ char *path = NULL;
        env_audit a = {.in = in};
        unsigned line = 0;
        int k;

        path = strdup_printf("%s/profiles/rules.ini", in->opts && in->opts->datadir ? in->opts->datadir : ".");
        if (!path)
                return -ENOMEM;
        k = rules_load(path, &a.rules, &line);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                /* Without its rules the audit cannot judge anything: that matters. */
                _cleanup_free_ char *msg = line ? strdup_printf("rules file unusable (line %u): environment not checked", line)
                                                : strdup_printf("rules file unusable (%s): environment not checked",
                                                                strerror(-k));
                return report_add_reason(in->report, "env", path, msg ? msg : "rules file unusable", true);
        }
        a.gfx = main_gfx(in);

        k = audit_system(&a);
        strv_clear(&a.visited);
        if (k >= 0 && !(in->opts && in->opts->system_only))
                k = audit_users(&a);
        strv_clear(&a.visited);
        home_free(a.h);
        rules_free(a.rules);
        return k;
}
