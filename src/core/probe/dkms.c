/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DKMS tree probe. Layout (dkms 2.3 .. 3.4, docs/DOMAIN.md §4):
 *   /var/lib/dkms/M/V/source -> /usr/src/M-V        (absolute link, resolved in the root)
 *   /var/lib/dkms/M/V/K/A/module/NAME.ko[.gz|.xz|.zst]
 *   /var/lib/dkms/M/V/K/A/log/make.log               (successful build)
 *   /var/lib/dkms/M/V/build/make.log                 (left by a failed build)
 *   /var/lib/dkms/M/kernel-K-A -> V/K/A              (what dkms calls installed)
 *   /var/lib/dkms/M/original_module/                 (backups, not a version)
 * Every path goes through the sysroot, so links are resolved as the
 * inspected system would resolve them and never leave the root.
 */
#include "probe/dkms.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "parse/ko_scan.h"

#define DKMS_TREE "/var/lib/dkms"
#define DKMS_ETC "/etc/dkms"
#define DKMS_MODULE_PREFIX "amdgpu"

/* Bounds for damaged or hostile trees. */
#define MAX_TREE_ENTRIES 4096
#define MAX_MODULES 64
#define MAX_VERSIONS 256
#define MAX_KERNELS 256
#define MAX_ARCHS 16
#define MAX_MODULE_FILES 1024
#define CONF_READ_MAX (4u * 1024 * 1024)
#define MAKE_LOG_READ_MAX (8u * 1024 * 1024)
#define ERROR_LINE_MAX 4096

static const char *const state_table[_DKMS_STATE_MAX] = {
        [DKMS_STATE_ADDED] = "added",
        [DKMS_STATE_BUILT] = "built",
        [DKMS_STATE_INSTALLED] = "installed",
        [DKMS_STATE_BROKEN] = "broken",
};

const char *dkms_state_to_string(dkms_state s)
{
        if (s < 0 || s >= _DKMS_STATE_MAX)
                return NULL;
        return state_table[s];
}

/* ---- freeing ---- */

static void patch_ref_clear(dkms_patch_ref *p)
{
        free(p->conf_path);
        free(p->name);
        free(p->patch_path);
}

static void source_clear(dkms_source *s)
{
        free(s->module);
        free(s->version);
        free(s->source_dir);
        for (size_t i = 0; i < s->n_patches; i++)
                patch_ref_clear(&s->patches[i]);
        free(s->patches);
        free(s->failed_log);
        free(s->failed_log_error);
        strv_free_array(s->built_module_names);
}

static void build_clear(dkms_build *b)
{
        free(b->module);
        free(b->version);
        free(b->kernel);
        free(b->arch);
        strv_free_array(b->module_files);
}

dkms_facts *dkms_facts_free(dkms_facts *f)
{
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_sources; i++)
                source_clear(&f->sources[i]);
        free(f->sources);
        for (size_t i = 0; i < f->n_builds; i++)
                build_clear(&f->builds[i]);
        free(f->builds);
        free(f);
        return NULL;
}

/* Make room for one more element of size in *array holding n. */
static int grow_one(void **array, size_t n, size_t size)
{
        void *p;

        /* Capacity is the next power of two (at least 4) above n. */
        if (n >= 4 && (n & (n - 1)))
                return 0;
        if (n != 0 && n < 4)
                return 0;
        p = realloc(*array, (n < 4 ? 4 : n * 2) * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}

/* ---- context ---- */

typedef struct etc_conf {
        char *path;          /* "/etc/dkms/amdgpu.conf" */
        dkms_conf_assign *a;
        size_t n;
} etc_conf;

typedef struct probe_ctx {
        const sysroot *sr;
        report *r;
        dkms_facts *f;
        char **etc_names;    /* entries of /etc/dkms, sorted */
        char **modules;      /* probed module names (for /etc/dkms file ownership) */
        size_t n_modules;
} probe_ctx;

/* Record a reason; only ENOMEM comes back as an error. */
static int add_reason(probe_ctx *c, const char *path, int err, bool matters)
{
        return report_add_reason_errno(c->r, "dkms", path, err, matters) < 0 ? -ENOMEM : 0;
}

static int add_reason_text(probe_ctx *c, const char *path, const char *text, bool matters)
{
        return report_add_reason(c->r, "dkms", path, text, matters) < 0 ? -ENOMEM : 0;
}

/*
 * List a directory of the tree. A missing directory gives an empty list
 * (returns 0, *ret NULL); another error becomes a reason (matters) and
 * gives an empty list too. Only ENOMEM is returned.
 */
static int list_dir(probe_ctx *c, const char *path, size_t max, char ***ret, size_t *ret_n)
{
        bool truncated = false;
        int r;

        *ret = NULL;
        *ret_n = 0;
        r = sysroot_list_dir(c->sr, path, max, ret, ret_n, &truncated);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return add_reason(c, path, r, true);
        if (truncated)
                return add_reason_text(c, path, "too many entries, only the first ones were inspected", true);
        return 0;
}

/* stat() through the root; a vanished entry is not a directory, other errors are reasons. */
static int stat_dir(probe_ctx *c, const char *path, bool *ret_is_dir)
{
        struct stat st;
        int r;

        *ret_is_dir = false;
        r = sysroot_stat(c->sr, path, &st);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return add_reason(c, path, r, true);
        *ret_is_dir = S_ISDIR(st.st_mode);
        return 0;
}

/* ---- dkms.conf and /etc/dkms ---- */

static int source_add_patch(dkms_source *s, const char *conf_path, const dkms_conf_assign *a,
                            const char *source_dir)
{
        dkms_patch_ref p = {
                .conf_path = strdup(conf_path),
                .line = a->line,
                .name = strdup(a->value),
                .patch_path = strdup_printf("%s/patches/%s", source_dir, a->value),
        };

        if (!p.conf_path || !p.name || !p.patch_path || grow_one((void **)&s->patches, s->n_patches, sizeof(p)) < 0) {
                patch_ref_clear(&p);
                return -ENOMEM;
        }
        s->patches[s->n_patches++] = p;
        return 0;
}

/* Every PATCH[] is kept, even one a later line overrides: checking it costs little. */
static int source_add_patches(dkms_source *s, const char *conf_path, const dkms_conf_assign *a, size_t n,
                              const char *source_dir)
{
        for (size_t i = 0; i < n; i++) {
                int r;

                if (!streq(a[i].name, "PATCH") || !a[i].value[0])
                        continue;
                r = source_add_patch(s, conf_path, &a[i], source_dir);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_assign_index(const void *x, const void *y)
{
        const dkms_conf_assign *a = *(dkms_conf_assign *const *)x, *b = *(dkms_conf_assign *const *)y;

        return (a->index > b->index) - (a->index < b->index);
}

/* BUILT_MODULE_NAME[n], by index; a later assignment to the same index wins, as in bash. */
static int source_set_module_names(dkms_source *s, const dkms_conf_assign *a, size_t n)
{
        _cleanup_free_ const dkms_conf_assign **pick = calloc(n + 1, sizeof(*pick));
        size_t k = 0;
        char **names;

        if (!pick)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t j;

                if (!streq(a[i].name, "BUILT_MODULE_NAME"))
                        continue;
                for (j = 0; j < k && pick[j]->index != a[i].index; j++)
                        ;
                pick[j] = &a[i];
                if (j == k)
                        k++;
        }
        if (k == 0)
                return 0;
        qsort(pick, k, sizeof(*pick), cmp_assign_index);
        names = calloc(k + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < k; i++) {
                names[i] = strdup(pick[i]->value);
                if (!names[i]) {
                        strv_free_array(names);
                        return -ENOMEM;
                }
        }
        s->built_module_names = names;
        s->n_built_module_names = k;
        return 0;
}

static int read_conf(probe_ctx *c, const char *path, dkms_conf_assign **ret, size_t *ret_n)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        *ret = NULL;
        *ret_n = 0;
        r = sysroot_read_file(c->sr, path, CONF_READ_MAX, &buf, &len);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return add_reason(c, path, r, true); /* PATCH[] may hide there */
        r = dkms_conf_parse(buf, len, ret, ret_n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_reason(c, path, r, true);
        return 0;
}

/*
 * Does /etc/dkms/NAME belong to module? dkms itself sources
 * /etc/dkms/<module>[-<version>[-<kernel>[-<arch>]]].conf (docs/DOMAIN.md §4),
 * and a PATCH[] in any <module>*.conf is just as suspicious, so all are read. When several probed modules
 * share a prefix (amdgpu, amdgpu-pro), the longest matching name owns the file.
 */
static bool etc_conf_owned_by(const probe_ctx *c, const char *name, const char *module)
{
        if (!startswith(name, module) || !endswith(name, ".conf") || strlen(name) <= strlen(".conf"))
                return false;
        for (size_t i = 0; i < c->n_modules; i++)
                if (strlen(c->modules[i]) > strlen(module) && startswith(c->modules[i], module) &&
                    startswith(name, c->modules[i]))
                        return false;
        return true;
}

static void etc_confs_free(etc_conf *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(e[i].path);
                dkms_conf_assign_free_array(e[i].a, e[i].n);
        }
        free(e);
}

static int etc_confs_load(probe_ctx *c, const char *module, etc_conf **ret, size_t *ret_n)
{
        etc_conf *e = NULL;
        size_t n = 0;

        for (char **name = c->etc_names; name && *name; name++) {
                _cleanup_free_ char *path = NULL;
                etc_conf x = {0};
                int r;

                if (!etc_conf_owned_by(c, *name, module))
                        continue;
                path = strdup_printf(DKMS_ETC "/%s", *name);
                if (!path)
                        goto oom;
                r = read_conf(c, path, &x.a, &x.n);
                if (r < 0)
                        goto oom;
                if (grow_one((void **)&e, n, sizeof(*e)) < 0) {
                        dkms_conf_assign_free_array(x.a, x.n);
                        goto oom;
                }
                x.path = TAKE_PTR(path);
                e[n++] = x;
        }
        *ret = e;
        *ret_n = n;
        return 0;
oom:
        etc_confs_free(e, n);
        return -ENOMEM;
}

/* ---- make.log of a failed build ---- */

/* Read at most max bytes; *ret_truncated when more were there. */
static int read_head(int fd, size_t max, char **ret, size_t *ret_len, bool *ret_truncated)
{
        _cleanup_free_ char *buf = malloc(max + 1);
        size_t len;
        char extra;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        n = loop_read(fd, buf, max);
        if (n < 0)
                return (int)n;
        len = (size_t)n;
        *ret_truncated = false;
        if (len == max) {
                do
                        n = read(fd, &extra, 1);
                while (n < 0 && errno == EINTR);
                *ret_truncated = n > 0;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static bool is_error_line(const char *l, size_t n)
{
        return memmem(l, n, "error:", 6) || memmem(l, n, "Error ", 6) || memmem(l, n, "*** ", 4);
}

/*
 * First error of a make.log: the first line naming "error:" (gcc), "Error "
 * (make's "Error 2") or "*** " (make's own messages). The line is kept raw up
 * to a NUL byte, without its line ending, at most ERROR_LINE_MAX bytes.
 */
static int find_first_error(const char *buf, size_t len, char **ret, unsigned *ret_line)
{
        const char *p = buf, *end = buf + len;
        unsigned line = 1;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;

                if (is_error_line(p, (size_t)(e - p))) {
                        size_t n = (size_t)(e - p);
                        char *s;

                        if (n > 0 && p[n - 1] == '\r')
                                n--;
                        if (n > ERROR_LINE_MAX)
                                n = ERROR_LINE_MAX;
                        s = strndup(p, n); /* stops at a NUL byte */
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        *ret_line = line;
                        return 1;
                }
                if (!nl)
                        break;
                p = nl + 1;
                line++;
        }
        return 0;
}

static int probe_failed_log(probe_ctx *c, dkms_source *s)
{
        _cleanup_free_ char *path = strdup_printf(DKMS_TREE "/%s/%s/build/make.log", s->module, s->version);
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        int r;

        if (!path)
                return -ENOMEM;
        if (!sysroot_exists(c->sr, path))
                return 0;
        s->failed_log = strdup(path);
        if (!s->failed_log)
                return -ENOMEM;
        /* Only the quote is lost when the log cannot be read: not a reason that matters. */
        fd = sysroot_open_regular(c->sr, path);
        if (fd == -ENOMEM)
                return fd;
        if (fd < 0)
                return add_reason(c, path, fd, false);
        r = read_head(fd, MAKE_LOG_READ_MAX, &buf, &len, &s->failed_log_truncated);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_reason(c, path, r, false);
        r = find_first_error(buf, len, &s->failed_log_error, &s->failed_log_line);
        return r < 0 ? r : 0;
}

/* ---- source ---- */

static int probe_source(probe_ctx *c, dkms_source *s, const etc_conf *etc, size_t n_etc)
{
        _cleanup_free_ char *link = strdup_printf(DKMS_TREE "/%s/%s/source", s->module, s->version);
        _cleanup_free_ char *conf_path = NULL, *dir = NULL;
        dkms_conf_assign *a = NULL;
        size_t n = 0;
        bool exists = false, is_dir = false;
        const char *patch_base;
        int r;

        if (!link)
                return -ENOMEM;
        /* No link at all: dkms calls that broken; nothing to resolve. */
        if (sysroot_exists(c->sr, link)) {
                r = sysroot_chase(c->sr, link, &dir, &exists);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        r = add_reason(c, link, r, true);
                        if (r < 0)
                                return r;
                } else
                        s->source_dir = TAKE_PTR(dir); /* kept for a dangling link too */
        }
        if (exists && s->source_dir) {
                r = stat_dir(c, s->source_dir, &is_dir);
                if (r < 0)
                        return r;
        }
        s->source_missing = !is_dir;

        if (!s->source_missing) {
                conf_path = strdup_printf("%s/dkms.conf", s->source_dir);
                if (!conf_path)
                        return -ENOMEM;
                r = read_conf(c, conf_path, &a, &n);
                if (r < 0)
                        return r;
                r = source_add_patches(s, conf_path, a, n, s->source_dir);
                if (r >= 0)
                        r = source_set_module_names(s, a, n);
                dkms_conf_assign_free_array(a, n);
                if (r < 0)
                        return r;
        }

        /* dkms applies PATCH[] from <source_tree>/<module>-<version>/patches. */
        patch_base = s->source_dir;
        if (!patch_base) {
                dir = strdup_printf("/usr/src/%s-%s", s->module, s->version);
                if (!dir)
                        return -ENOMEM;
                patch_base = dir;
        }
        for (size_t i = 0; i < n_etc; i++) {
                r = source_add_patches(s, etc[i].path, etc[i].a, etc[i].n, patch_base);
                if (r < 0)
                        return r;
        }
        return probe_failed_log(c, s);
}

/* ---- builds ---- */

static int list_module_files(probe_ctx *c, const char *base, char ***ret, size_t *ret_n)
{
        _cleanup_free_ char *dir = strdup_printf("%s/module", base);
        char **names = NULL, **out;
        size_t n = 0, k = 0;
        int r;

        if (!dir)
                return -ENOMEM;
        r = list_dir(c, dir, MAX_MODULE_FILES, &names, &n);
        if (r < 0)
                return r;
        out = calloc(n + 1, sizeof(char *));
        if (!out) {
                strv_free_array(names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (!ko_name_is_module(names[i]))
                        continue;
                out[k] = strdup_printf("%s/%s", dir, names[i]);
                if (!out[k]) {
                        strv_free_array(names);
                        strv_free_array(out);
                        return -ENOMEM;
                }
                k++;
        }
        strv_free_array(names);
        *ret = out;
        *ret_n = k;
        return 0;
}

/* dkms's own test: kernel-K-A points at this V/K/A. Compared by inode, so any spelling of the link works. */
static int build_is_installed(probe_ctx *c, const char *module, const char *kernel, const char *arch,
                              const char *base, bool *ret)
{
        _cleanup_free_ char *link = strdup_printf(DKMS_TREE "/%s/kernel-%s-%s", module, kernel, arch);
        struct stat a, b;
        int r;

        *ret = false;
        if (!link)
                return -ENOMEM;
        if (!sysroot_exists(c->sr, link))
                return 0;
        r = sysroot_stat(c->sr, link, &a);
        if (r == -ENOENT)
                return 0; /* dangling: installed nowhere */
        if (r < 0)
                return r == -ENOMEM ? r : add_reason(c, link, r, false);
        r = sysroot_stat(c->sr, base, &b);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        *ret = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        return 0;
}

static int add_build(probe_ctx *c, const char *module, const char *version, const char *kernel,
                     const char *arch, dkms_state state, char **files, size_t n_files)
{
        dkms_facts *f = c->f;
        dkms_build b = {
                .module = strdup(module),
                .version = strdup(version),
                .kernel = kernel ? strdup(kernel) : NULL,
                .arch = arch ? strdup(arch) : NULL,
                .state = state,
                .module_files = files,
                .n_module_files = n_files,
        };

        if (!b.module || !b.version || (kernel && !b.kernel) || (arch && !b.arch) ||
            grow_one((void **)&f->builds, f->n_builds, sizeof(b)) < 0) {
                build_clear(&b);
                return -ENOMEM;
        }
        f->builds[f->n_builds++] = b;
        return 0;
}

static int probe_arch(probe_ctx *c, const char *module, const char *version, const char *kernel,
                      const char *arch)
{
        _cleanup_free_ char *base = strdup_printf(DKMS_TREE "/%s/%s/%s/%s", module, version, kernel, arch);
        char **files = NULL;
        size_t n = 0;
        bool installed;
        int r;

        if (!base)
                return -ENOMEM;
        r = build_is_installed(c, module, kernel, arch, base, &installed);
        if (r < 0)
                return r;
        r = list_module_files(c, base, &files, &n);
        if (r < 0)
                return r;
        return add_build(c, module, version, kernel, arch, installed ? DKMS_STATE_INSTALLED : DKMS_STATE_BUILT,
                         files, n);
}

static int probe_kernel(probe_ctx *c, const char *module, const char *version, const char *kernel,
                        size_t *n_builds)
{
        _cleanup_free_ char *dir = strdup_printf(DKMS_TREE "/%s/%s/%s", module, version, kernel);
        char **archs = NULL;
        size_t n = 0;
        int r = 0;

        if (!dir)
                return -ENOMEM;
        r = list_dir(c, dir, MAX_ARCHS, &archs, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = NULL;
                bool is_dir;

                if (archs[i][0] == '.')
                        continue;
                p = strdup_printf("%s/%s", dir, archs[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = stat_dir(c, p, &is_dir);
                if (r < 0 || !is_dir)
                        continue;
                r = probe_arch(c, module, version, kernel, archs[i]);
                if (r >= 0)
                        (*n_builds)++;
        }
        strv_free_array(archs);
        return r < 0 ? r : 0;
}

static bool is_version_meta(const char *name)
{
        return streq(name, "source") || streq(name, "build") || streq(name, "log") || streq(name, "tmp") ||
               name[0] == '.';
}

/* ---- versions and modules ---- */

static int add_source(probe_ctx *c, const char *module, const char *version, dkms_source **ret)
{
        dkms_facts *f = c->f;
        dkms_source s = {.module = strdup(module), .version = strdup(version)};

        if (!s.module || !s.version || grow_one((void **)&f->sources, f->n_sources, sizeof(s)) < 0) {
                source_clear(&s);
                return -ENOMEM;
        }
        f->sources[f->n_sources] = s;
        *ret = &f->sources[f->n_sources++];
        return 0;
}

static int probe_version(probe_ctx *c, const char *module, const char *version, const etc_conf *etc,
                         size_t n_etc)
{
        _cleanup_free_ char *dir = strdup_printf(DKMS_TREE "/%s/%s", module, version);
        char **names = NULL;
        size_t n = 0, n_kernels = 0, n_builds = 0;
        dkms_source *s;
        bool missing;
        int r;

        if (!dir)
                return -ENOMEM;
        r = add_source(c, module, version, &s);
        if (r < 0)
                return r;
        r = probe_source(c, s, etc, n_etc);
        if (r < 0)
                return r;
        missing = s->source_missing;

        r = list_dir(c, dir, MAX_TREE_ENTRIES, &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = NULL;
                bool is_dir;

                if (is_version_meta(names[i]))
                        continue;
                p = strdup_printf("%s/%s", dir, names[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = stat_dir(c, p, &is_dir);
                if (r < 0 || !is_dir)
                        continue;
                if (++n_kernels > MAX_KERNELS) {
                        r = add_reason_text(c, dir, "too many kernels, only the first ones were inspected", true);
                        break;
                }
                r = probe_kernel(c, module, version, names[i], &n_builds);
        }
        strv_free_array(names);
        if (r < 0)
                return r;

        /* dkms prints "M/V: broken" or "M/V: added" without a kernel. */
        if (missing)
                return add_build(c, module, version, NULL, NULL, DKMS_STATE_BROKEN, NULL, 0);
        if (n_builds == 0)
                return add_build(c, module, version, NULL, NULL, DKMS_STATE_ADDED, NULL, 0);
        return 0;
}

static int probe_module(probe_ctx *c, const char *module)
{
        _cleanup_free_ char *dir = strdup_printf(DKMS_TREE "/%s", module);
        etc_conf *etc = NULL;
        char **names = NULL;
        size_t n = 0, n_etc = 0, n_versions = 0;
        int r;

        if (!dir)
                return -ENOMEM;
        r = etc_confs_load(c, module, &etc, &n_etc);
        if (r < 0)
                return r;
        r = list_dir(c, dir, MAX_TREE_ENTRIES, &names, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = NULL;
                bool is_dir;

                if (names[i][0] == '.' || streq(names[i], "original_module") || startswith(names[i], "kernel-"))
                        continue;
                p = strdup_printf("%s/%s", dir, names[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = stat_dir(c, p, &is_dir);
                if (r < 0 || !is_dir)
                        continue;
                if (++n_versions > MAX_VERSIONS) {
                        r = add_reason_text(c, dir, "too many versions, only the first ones were inspected", true);
                        break;
                }
                r = probe_version(c, module, names[i], etc, n_etc);
        }
        strv_free_array(names);
        etc_confs_free(etc, n_etc);
        return r < 0 ? r : 0;
}

static int probe_tree(probe_ctx *c)
{
        char **names = NULL, **etc_names = NULL;
        size_t n = 0, n_etc = 0;
        strv modules = {0};
        int r;

        r = list_dir(c, DKMS_TREE, MAX_TREE_ENTRIES, &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = NULL;
                bool is_dir;

                if (!startswith(names[i], DKMS_MODULE_PREFIX))
                        continue;
                p = strdup_printf(DKMS_TREE "/%s", names[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = stat_dir(c, p, &is_dir);
                if (r < 0 || !is_dir)
                        continue;
                if (modules.n >= MAX_MODULES) {
                        r = add_reason_text(c, DKMS_TREE, "too many modules, only the first ones were inspected", true);
                        break;
                }
                r = strv_push_dup(&modules, names[i]);
        }
        strv_free_array(names);
        if (r < 0 || modules.n == 0) {
                strv_clear(&modules);
                return r;
        }

        r = list_dir(c, DKMS_ETC, MAX_TREE_ENTRIES, &etc_names, &n_etc);
        c->etc_names = etc_names;
        c->modules = modules.items;
        c->n_modules = modules.n;
        for (size_t i = 0; i < modules.n && r >= 0; i++)
                r = probe_module(c, modules.items[i]);
        strv_free_array(etc_names);
        c->etc_names = NULL;
        c->modules = NULL;
        strv_clear(&modules);
        return r;
}

int dkms_probe(const sysroot *sr, report *r, dkms_facts **ret)
{
        probe_ctx c = {.sr = sr, .r = r};
        int k;

        if (!sr || !r || !ret)
                return -EINVAL;
        c.f = calloc(1, sizeof(dkms_facts));
        if (!c.f)
                return -ENOMEM;
        k = probe_tree(&c);
        if (k < 0) {
                dkms_facts_free(c.f);
                return k;
        }
        *ret = c.f;
        return 0;
}
