/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One Python site directory: startup hooks (.pth, sitecustomize.py,
 * usercustomize.py) that touch the ROCm stack, and ROCm libraries bundled
 * in wheels whose bytes no longer match the wheel's RECORD.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sha2.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/python_audit.h"
#include "parse/pyscan.h"

#define SITE_ENTRIES_MAX 20000
#define PTH_READ_MAX (256u * 1024)       /* site.py reads them whole; real ones are a few lines */
#define MODULE_READ_MAX (1024u * 1024)
#define RECORD_READ_MAX (32u * 1024 * 1024) /* torch's RECORD is a few MB */
#define PTH_IMPORTS_MAX 8
#define MATCHES_PER_FILE 10
#define HASH_CHUNK (1024u * 1024)

int py_finding_add(py_audit *a, py_finding *pf, const char *path, unsigned line, const char *detail)
{
        if (!pf->f) {
                pf->f = report_add_finding(a->in->report, pf->id, pf->sev, NULL, pf->title, pf->fix, false);
                if (!pf->f)
                        return -ENOMEM;
        }
        if (pf->n_evidence >= PY_EVIDENCE_MAX) {
                pf->n_dropped++;
                return 0;
        }
        pf->n_evidence++;
        return finding_add_evidence(pf->f, path, line, detail);
}

static char *site_child(const py_site *s, const char *rel)
{
        return strdup_printf("%s/%s", s->path, rel);
}

static void site_reason(py_audit *a, const py_site *s, const char *rel, int err)
{
        _cleanup_free_ char *path = rel ? site_child(s, rel) : strdup(s->path);

        report_add_reason_errno(a->in->report, "python", path, err, false);
}

/* A regular file in the site directory; *ret_st gets its stat. */
int py_site_open(const py_site *s, const sysroot *sr, const char *rel, struct stat *ret_st)
{
        if (s->h) {
                _cleanup_free_ char *full = strdup_printf("%s/%s", s->rel, rel);
                if (!full)
                        return -ENOMEM;
                return home_open_regular(s->h, full, ret_st);
        } else {
                _cleanup_free_ char *path = site_child(s, rel);
                int fd;

                if (!path)
                        return -ENOMEM;
                fd = sysroot_open_regular(sr, path);
                if (fd >= 0 && ret_st && fstat(fd, ret_st) < 0) {
                        int k = -errno;
                        close(fd);
                        return k;
                }
                return fd;
        }
}

int py_site_read(const py_site *s, const sysroot *sr, const char *rel, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = py_site_open(s, sr, rel, NULL);

        if (fd < 0)
                return fd;
        return read_fd_capped(fd, max, ret, ret_len);
}

/* An error that says "not there" rather than "could not look". */
static bool is_absent(int err)
{
        return err == -ENOENT || err == -ENOTDIR;
}

/*
 * Read rel of the site directory to scan it. What is absent (and with
 * skip_dir, a directory) is nothing to scan; what cannot be read becomes a
 * reason in the report.
 * Returns: -ENOMEM, 0 when there is nothing to scan, 1 with *ret and *ret_len set.
 */
static int site_read_scan(py_audit *a, const py_site *s, const char *rel, size_t max, bool skip_dir,
                          char **ret, size_t *ret_len)
{
        int k = py_site_read(s, a->in->sr, rel, max, ret, ret_len);

        if (k == -ENOMEM)
                return k;
        if ((skip_dir && k == -EISDIR) || is_absent(k))
                return 0;
        if (k < 0) {
                site_reason(a, s, rel, k);
                return 0;
        }
        return 1;
}

/* Names in the site directory, sorted, at most SITE_ENTRIES_MAX. */
static int site_list(const py_site *s, const sysroot *sr, char ***ret, size_t *ret_n, bool *ret_truncated)
{
        int fd;

        if (!s->h)
                return sysroot_list_dir(sr, s->path, SITE_ENTRIES_MAX, ret, ret_n, ret_truncated);
        fd = home_openat(s->h, s->rel, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return list_dir_fd(fd, SITE_ENTRIES_MAX, ret, ret_n, ret_truncated);
}

static int site_identity(const py_site *s, const sysroot *sr, struct stat *ret)
{
        _cleanup_close_ int fd = -EBADF;

        if (!s->h)
                return sysroot_stat(sr, s->path, ret);
        fd = home_openat(s->h, s->rel, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return fstat(fd, ret) < 0 ? -errno : 0;
}

/* ---- startup hooks ---- */

typedef struct match_ctx {
        py_audit *a;
        const char *path;
        const char *pth_path;   /* the .pth that imports this module, or NULL */
        unsigned pth_line;
        const char *pth_text;
        size_t pth_len;
        bool pth_reported;
} match_ctx;

static int add_line(py_audit *a, const char *path, unsigned lineno, const char *line, size_t len)
{
        _cleanup_free_ char *text = strndup(line, len);

        if (!text)
                return -ENOMEM;
        return py_finding_add(a, &a->hook, path, lineno, strstrip(text));
}

static int on_match(unsigned lineno, const char *line, size_t len, void *userdata)
{
        match_ctx *m = userdata;
        int k;

        /* The .pth line that runs the module comes first, once. */
        if (m->pth_path && !m->pth_reported) {
                k = add_line(m->a, m->pth_path, m->pth_line, m->pth_text, m->pth_len);
                if (k < 0)
                        return k;
                m->pth_reported = true;
        }
        return add_line(m->a, m->path, lineno, line, len) < 0 ? -ENOMEM : 0;
}

/* A module of the site directory that a .pth line imports: "name.py" or "name/__init__.py". */
static int scan_imported_module(py_audit *a, const py_site *s, const char *module, match_ctx *m)
{
        static const char *const forms[] = { "%s.py", "%s/__init__.py" };

        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                _cleanup_free_ char *rel = strdup_printf(forms[i], module);
                _cleanup_free_ char *path = NULL, *buf = NULL;
                size_t len;
                int k;

                if (!rel)
                        return -ENOMEM;
                k = py_site_read(s, a->in->sr, rel, MODULE_READ_MAX, &buf, &len);
                if (k == -ENOMEM)
                        return k;
                if (is_absent(k))
                        continue;
                if (k < 0) {
                        site_reason(a, s, rel, k);
                        return 0;
                }
                path = site_child(s, rel);
                if (!path)
                        return -ENOMEM;
                m->path = path;
                k = py_match_lines(buf, len, MATCHES_PER_FILE, on_match, m);
                return k < 0 ? k : 0;
        }
        return 0;
}

static int scan_pth(py_audit *a, const py_site *s, const char *name)
{
        _cleanup_free_ char *buf = NULL, *path = NULL;
        unsigned lineno = 0;
        size_t len, matched = 0;
        int k;

        k = site_read_scan(a, s, name, PTH_READ_MAX, true, &buf, &len);
        if (k <= 0)
                return k;
        a->stats.pth_files++;
        path = site_child(s, name);
        if (!path)
                return -ENOMEM;

        for (size_t i = 0; i < len;) {
                const char *line = buf + i, *nl = memchr(line, '\n', len - i);
                size_t l = nl ? (size_t)(nl - line) : len - i;
                char imports[PTH_IMPORTS_MAX][128];
                size_t n;

                i += l + 1;
                lineno++;
                if (l > 0 && line[l - 1] == '\r')
                        l--;
                if (!pth_line_is_exec(line, l))
                        continue;
                if (py_line_touches_rocm(line, l)) {
                        /* a file of a thousand hook lines is one hook: show the first few */
                        if (++matched > MATCHES_PER_FILE) {
                                a->hook.n_dropped++;
                                continue;
                        }
                        k = add_line(a, path, lineno, line, l);
                        if (k < 0)
                                return k;
                        continue;
                }
                /* "import rdna1_autoload": the hook's body is a module next to it. */
                n = pth_line_imports(line, l, imports, PTH_IMPORTS_MAX);
                for (size_t j = 0; j < n; j++) {
                        match_ctx m = {
                                .a = a, .pth_path = path, .pth_line = lineno, .pth_text = line, .pth_len = l,
                        };
                        k = scan_imported_module(a, s, imports[j], &m);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

int py_customize_scan(py_audit *a, const py_site *s, const char *name)
{
        _cleanup_free_ char *buf = NULL, *path = NULL;
        match_ctx m = { .a = a };
        size_t len;
        int k;

        k = site_read_scan(a, s, name, MODULE_READ_MAX, true, &buf, &len);
        if (k <= 0)
                return k;
        path = site_child(s, name);
        if (!path)
                return -ENOMEM;
        m.path = path;
        k = py_match_lines(buf, len, MATCHES_PER_FILE, on_match, &m);
        return k < 0 ? k : 0;
}

/* ---- wheel RECORDs ---- */

typedef struct record_ctx {
        py_audit *a;
        const py_site *s;
        const char *dist_info;
} record_ctx;

static int sha256_fd(int fd, uint8_t digest[SHA256_DIGEST_LENGTH], uint64_t *bytes)
{
        _cleanup_free_ uint8_t *buf = malloc(HASH_CHUNK);
        SHA2_CTX ctx;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        SHA256Init(&ctx);
        while ((n = loop_read(fd, buf, HASH_CHUNK)) > 0) {
                SHA256Update(&ctx, buf, (size_t)n);
                *bytes += (uint64_t)n;
        }
        if (n < 0)
                return (int)n;
        SHA256Final(digest, &ctx);
        return 0;
}

static bool site_entry_is_symlink(const record_ctx *c, const char *rel)
{
        struct stat st;

        if (c->s->h) {
                _cleanup_free_ char *full = strdup_printf("%s/%s", c->s->rel, rel);
                _cleanup_close_ int fd = -EBADF;
                _cleanup_free_ char *dir = NULL;
                char *slash;

                if (!full)
                        return false;
                /* The parent beneath the home, then the last component without following it. */
                slash = strrchr(full, '/');
                dir = strndup(full, (size_t)(slash - full));
                if (!dir)
                        return false;
                fd = home_openat(c->s->h, dir, O_PATH | O_DIRECTORY);
                return fd >= 0 && fstatat(fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        } else {
                _cleanup_free_ char *path = site_child(c->s, rel);
                return path && sysroot_lstat(c->a->in->sr, path, &st) == 0 && S_ISLNK(st.st_mode);
        }
}

static int check_wheel_lib(const record_ctx *c, const record_row *row)
{
        py_audit *a = c->a;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL, *detail = NULL, *key = NULL, *cached = NULL;
        uint8_t digest[SHA256_DIGEST_LENGTH];
        char got[64];
        struct stat st;
        int k;

        path = site_child(c->s, row->path);
        if (!path)
                return -ENOMEM;
        if (site_entry_is_symlink(c, row->path)) {
                detail = strdup_printf("a symbolic link where %s/RECORD lists a regular file", c->dist_info);
                return detail ? py_finding_add(a, &a->wheel, path, 0, detail) : -ENOMEM;
        }
        fd = py_site_open(c->s, a->in->sr, row->path, &st);
        if (fd == -ENOMEM)
                return fd;
        if (is_absent(fd))
                return 0; /* removed, not replaced: python.* is about what runs */
        if (fd < 0) {
                site_reason(a, c->s, row->path, fd);
                return 0;
        }
        a->stats.libs_checked++;
        if (row->has_size && (uint64_t)st.st_size != row->size) {
                detail = strdup_printf("size %jd differs from %s/RECORD (%ju bytes)", (intmax_t)st.st_size,
                                       c->dist_info, (uintmax_t)row->size);
                return detail ? py_finding_add(a, &a->wheel, path, 0, detail) : -ENOMEM;
        }
        /* torch's ROCm libraries are big: a digest is cached under the file's stat like a module scan */
        key = strdup_printf("sha256:%s", path);
        if (!key)
                return -ENOMEM;
        if (a->in->cache && ko_cache_lookup_text(a->in->cache, key, &st, &cached) > 0 && strlen(cached) < sizeof(got)) {
                strcpy(got, cached);
        } else {
                k = sha256_fd(fd, digest, &a->stats.bytes_hashed);
                if (k == -ENOMEM)
                        return k;
                if (k < 0) {
                        site_reason(a, c->s, row->path, k);
                        return 0;
                }
                k = sha256_record_digest(digest, got, sizeof(got));
                if (k < 0)
                        return k;
                if (a->in->cache)
                        (void)ko_cache_store_text(a->in->cache, key, &st, got); /* a cache only saves time */
        }
        if (streq(got, row->digest))
                return 0;
        detail = strdup_printf("sha256 differs from %s/RECORD", c->dist_info);
        return detail ? py_finding_add(a, &a->wheel, path, 0, detail) : -ENOMEM;
}

static int on_record_row(const record_row *row, void *userdata)
{
        const record_ctx *c = userdata;
        const char *base = strrchr(row->path, '/');

        base = base ? base + 1 : row->path;
        if (!rocm_wheel_lib_name(base) || !record_path_is_local(row->path) || !row->algo[0])
                return 0;
        if (!streq(row->algo, "sha256")) {
                _cleanup_free_ char *path = site_child(c->s, row->path);
                _cleanup_free_ char *msg = strdup_printf("RECORD hash '%s' is not sha256: not compared", row->algo);

                if (!path || !msg)
                        return -ENOMEM;
                return report_add_reason(c->a->in->report, "python", path, msg, false);
        }
        return check_wheel_lib(c, row);
}

static int scan_record(py_audit *a, const py_site *s, const char *dist_info)
{
        _cleanup_free_ char *rel = strdup_printf("%s/RECORD", dist_info);
        _cleanup_free_ char *buf = NULL;
        record_ctx c = { .a = a, .s = s, .dist_info = dist_info };
        size_t len;
        int k;

        if (!rel)
                return -ENOMEM;
        k = site_read_scan(a, s, rel, RECORD_READ_MAX, false, &buf, &len);
        if (k <= 0)
                return k;
        a->stats.records++;
        k = record_parse(buf, len, on_record_row, &c);
        return k < 0 ? k : 0;
}

/* ---- the directory ---- */

static int site_seen(py_audit *a, const struct stat *st)
{
        void *n;

        for (size_t i = 0; i < a->n_seen; i++)
                if (a->seen[i].dev == st->st_dev && a->seen[i].ino == st->st_ino)
                        return 1;
        n = realloc(a->seen, (a->n_seen + 1) * sizeof(*a->seen));
        if (!n)
                return -ENOMEM;
        a->seen = n;
        a->seen[a->n_seen].dev = st->st_dev;
        a->seen[a->n_seen].ino = st->st_ino;
        a->n_seen++;
        return 0;
}

int py_site_scan(py_audit *a, const py_site *s)
{
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        struct stat st;
        int k;

        k = site_identity(s, a->in->sr, &st);
        if (is_absent(k))
                return 0;
        if (k < 0) {
                site_reason(a, s, NULL, k);
                return k == -ENOMEM ? k : 0;
        }
        k = site_seen(a, &st);
        if (k != 0)
                return k < 0 ? k : 0;
        k = site_list(s, a->in->sr, &names, &n, &truncated);
        if (k < 0) {
                site_reason(a, s, NULL, k);
                return k == -ENOMEM ? k : 0;
        }
        a->stats.sites++;
        if (truncated) {
                _cleanup_free_ char *msg = strdup_printf("more than %u entries: only the first %u (by name) were checked",
                                                         SITE_ENTRIES_MAX, SITE_ENTRIES_MAX);
                if (!msg || report_add_reason(a->in->report, "python", s->path, msg, false) < 0) {
                        strv_free_array(names);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < n && k >= 0; i++) {
                const char *name = names[i];

                if (endswith(name, ".pth"))
                        k = scan_pth(a, s, name);
                else if (streq(name, "sitecustomize.py") || streq(name, "usercustomize.py"))
                        k = py_customize_scan(a, s, name);
                else if (endswith(name, ".dist-info"))
                        k = scan_record(a, s, name);
                else if (streq(name, "torch"))
                        k = py_torch_scan(a, s);
        }
        strv_free_array(names);
        return k < 0 ? k : 0;
}
