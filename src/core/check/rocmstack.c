/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack.rocm: which ROCm versions are installed (trees in /opt/rocm*,
 * the distribution's HIP packages), the ones known to be bad on this
 * machine (rocm_known_bad.c), and AMD apt sources that no longer fit the
 * system (another release's codename, a ROCm version not installed).
 */
#include <ctype.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/rocm_coverage.h"
#include "check/rocm_known_bad.h"
#include "check/rocmstack.h"

#define MAX_VERSIONS 32
#define MAX_STALE 16
#define SOURCES_MAX (1u << 20)

typedef struct stack_version {
        char *version;   /* "5.7.1" */
        rocm_stack_kind kind;
        char *path;      /* evidence path */
        char *detail;
} stack_version;

typedef struct stack {
        stack_version v[MAX_VERSIONS];
        size_t n;
        char *codename;  /* VERSION_CODENAME of the root, NULL when unknown */
        char *os_id;     /* ID and VERSION_ID */
        char *os_version;
        strv stale_details, stale_paths;
        unsigned stale_lines[MAX_STALE];
} stack;

static void stack_clear(stack *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].version);
                free(s->v[i].path);
                free(s->v[i].detail);
        }
        free(s->codename);
        free(s->os_id);
        free(s->os_version);
        strv_clear(&s->stale_details);
        strv_clear(&s->stale_paths);
}

/* "1:5.2.3-3" -> "5.2.3"; "5.7.1.50701-98~22.04" -> "5.7.1". NULL when it does not start with a digit. */
static char *upstream_triple(const char *v)
{
        const char *colon = strchr(v, ':'), *p;
        int dots = 0;

        if (colon)
                v = colon + 1;
        if (!isdigit((unsigned char)*v))
                return NULL;
        for (p = v; *p && (isdigit((unsigned char)*p) || *p == '.'); p++)
                if (*p == '.' && ++dots == 3)
                        break;
        while (p > v && p[-1] == '.')
                p--;
        return strndup(v, (size_t)(p - v));
}

static bool have_version(const stack *s, const char *v)
{
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->v[i].version, v))
                        return true;
        return false;
}

static int add_version(stack *s, rocm_stack_kind kind, const char *version, const char *path, const char *detail)
{
        stack_version *x;

        if (s->n >= MAX_VERSIONS)
                return 0;
        x = &s->v[s->n];
        x->kind = kind;
        x->version = strdup(version);
        x->path = path ? strdup(path) : NULL;
        x->detail = strdup(detail);
        if (!x->version || (path && !x->path) || !x->detail) {
                free(x->version);
                free(x->path);
                free(x->detail);
                return -ENOMEM;
        }
        s->n++;
        return 0;
}

static int opt_trees(const sysroot *sr, stack *s)
{
        char **names = NULL;
        size_t n = 0;
        int r = sysroot_list_dir(sr, "/opt", 4096, &names, &n, NULL);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = NULL, *info = NULL, *ver = NULL, *detail = NULL;
                const char *v = startswith(names[i], "rocm");
                struct stat st;

                if (!v || (*v && *v != '-'))
                        continue;
                path = strdup_printf("/opt/%s", names[i]);
                info = strdup_printf("/opt/%s/.info/version", names[i]);
                if (!path || !info) {
                        r = -ENOMEM;
                        break;
                }
                if (sysroot_lstat(sr, path, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue; /* /opt/rocm -> rocm-5.7.1 names the same tree */
                if (*v == '-')
                        ver = upstream_triple(v + 1);
                if (!ver) {
                        _cleanup_free_ char *line = NULL;

                        if (sysroot_read_line(sr, info, &line) >= 0)
                                ver = upstream_triple(line);
                }
                if (!ver)
                        ver = strdup("unknown");
                detail = strdup_printf("ROCm %s", ver);
                if (!ver || !detail) {
                        r = -ENOMEM;
                        break;
                }
                r = add_version(s, ROCM_STACK_OPT, ver, path, detail);
        }
        strv_free_array(names);
        return r;
}

/*
 * The distribution's HIP/ROCm libraries (Debian's libamdhip64-5 5.2.3 and
 * friends) are one stack even where components carry their own versions
 * (Debian 12: rocBLAS 5.3.3 beside HIP 5.2.3): named by the HIP runtime,
 * else ROCr, else the first package.
 */
static int distro_packages(const pkgverify *pv, stack *s)
{
        static const char *const prefer[] = {"libamdhip64", "hip-runtime", "libhsa-runtime64", ""};
        _cleanup_free_ char *ver = NULL, *detail = NULL;

        for (size_t w = 0; w < ELEMENTSOF(prefer); w++)
                for (size_t i = 0; i < pv->n_pkgs; i++) {
                        const dpkg_pkg *p = &pv->pkgs[i];

                        if (!pv->relevant[i] || pv->in_rocm_tree[i] || !p->version || strstr(p->name, "amdgpu") ||
                            !startswith(p->name, prefer[w]))
                                continue;
                        ver = upstream_triple(p->version);
                        if (!ver)
                                continue;
                        detail = strdup_printf("ROCm %s from the distribution (%s %s)", ver, p->name, p->version);
                        if (!detail)
                                return -ENOMEM;
                        return add_version(s, ROCM_STACK_DISTRIBUTION, ver, "/var/lib/dpkg/status", detail);
                }
        return 0;
}

int apt_radeon_source(const char *uri, const char *suite, char **ret_product, char **ret_version)
{
        const char *p = NULL, *prod;
        char *product = NULL, *version = NULL;
        size_t n;

        (void)suite;
        if ((p = startswith(uri, "https://")) || (p = startswith(uri, "http://")))
                ;
        else
                return 0;
        p = startswith(p, "repo.radeon.com/");
        if (!p)
                return 0;
        if ((prod = startswith(p, "amdgpu/")))
                product = strdup("amdgpu");
        else if ((prod = startswith(p, "rocm/")))
                product = strdup("rocm");
        else
                return 0;
        if (!product)
                return -ENOMEM;
        /* the first path component that is a version or "latest" */
        for (p = prod; *p; p += n + (p[n] == '/')) {
                n = strcspn(p, "/");
                if (n && (isdigit((unsigned char)*p) || (n == 6 && strncmp(p, "latest", 6) == 0))) {
                        version = strndup(p, n);
                        if (!version) {
                                free(product);
                                return -ENOMEM;
                        }
                        break;
                }
                if (!p[n])
                        break;
        }
        *ret_product = product;
        *ret_version = version;
        return 1;
}

/* Check one source; a stale one is kept in s->stale_* (the first MAX_STALE). */
static int check_source(stack *s, const char *path, unsigned line, const char *uri, const char *suite)
{
        _cleanup_free_ char *product = NULL, *version = NULL, *why = NULL;
        int r = apt_radeon_source(uri, suite, &product, &version);

        if (r <= 0)
                return r;
        if (s->codename && suite && !startswith(suite, s->codename) && strchr("abcdefghijklmnopqrstuvwxyz", suite[0]) &&
            !streq(suite, "ubuntu") && !streq(suite, "debian") && !streq(suite, "main"))
                why = strdup_printf("%s %s for %s, the system is %s", product, version ?: "", suite, s->codename);
        else if (streq(product, "rocm") && version && isdigit((unsigned char)version[0])) {
                _cleanup_free_ char *v = upstream_triple(version);

                if (v && !have_version(s, v))
                        why = strdup_printf("rocm %s, not installed", version);
        }
        if (!why || s->stale_details.n >= MAX_STALE)
                return 0;
        if (strv_push(&s->stale_details, TAKE_PTR(why)) < 0 || strv_push_dup(&s->stale_paths, path) < 0)
                return -ENOMEM;
        s->stale_lines[s->stale_paths.n - 1] = line;
        return 0;
}

static int scan_sources_file(const sysroot *sr, stack *s, const char *path)
{
        _cleanup_free_ char *buf = NULL, *uris = NULL, *suites = NULL;
        unsigned lineno = 0, uri_line = 0;
        bool deb822 = endswith(path, ".sources"), enabled = true;
        size_t len;
        char *line, *cur;
        int r = sysroot_read_file(sr, path, SOURCES_MAX, &buf, &len);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        cur = buf;
        if (memchr(buf, '\0', len))
                return 0;
        /* line by line, counting every line (evidence names it) */
        while (cur) {
                char *nl = strchr(cur, '\n');

                if (nl)
                        *nl = '\0';
                line = cur;
                lineno++;
                cur = nl ? nl + 1 : NULL;
                line = strstrip(line);
                if (deb822) {
                        const char *v;

                        if (!*line) {
                                if (uris && enabled) {
                                        r = check_source(s, path, uri_line, uris, suites);
                                        if (r < 0)
                                                return r;
                                }
                                free(uris);
                                free(suites);
                                uris = suites = NULL;
                                enabled = true;
                        } else if ((v = startswith(line, "URIs:"))) {
                                free(uris);
                                uris = strdup(strstrip((char *)v));
                                uri_line = lineno;
                                if (!uris)
                                        return -ENOMEM;
                                uris[strcspn(uris, " \t")] = '\0';
                        } else if ((v = startswith(line, "Suites:"))) {
                                free(suites);
                                suites = strdup(strstrip((char *)v));
                                if (!suites)
                                        return -ENOMEM;
                                suites[strcspn(suites, " \t")] = '\0';
                        } else if ((v = startswith(line, "Enabled:")))
                                enabled = !strstr(v, "no");
                } else {
                        char *tok[8] = {0}, *sp = NULL;
                        size_t nt = 0;

                        if (line[0] == '#' || (!startswith(line, "deb ") && !startswith(line, "deb-src ")))
                                goto next;
                        /* drop "[arch=amd64 signed-by=...]" */
                        if (strchr(line, '[') && strchr(line, ']')) {
                                char *a = strchr(line, '['), *b = strchr(a, ']');

                                memset(a, ' ', (size_t)(b - a + 1));
                        }
                        for (char *t = strtok_r(line, " \t", &sp); t && nt < ELEMENTSOF(tok); t = strtok_r(NULL, " \t", &sp))
                                tok[nt++] = t;
                        if (nt >= 3) {
                                r = check_source(s, path, lineno, tok[1], tok[2]);
                                if (r < 0)
                                        return r;
                        }
                }
        next:
                if (!cur)
                        break;
        }
        if (deb822 && uris && enabled)
                return check_source(s, path, uri_line, uris, suites);
        return 0;
}

/* KEY's value in the root's os-release (unquoted), NULL when absent. */
static char *os_release_value(const char *buf, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                const char *v;
                size_t n;

                if (strncmp(p, key, klen) != 0 || p[klen] != '=')
                        continue;
                v = p + klen + 1;
                if (*v == '"' || *v == '\'')
                        v++;
                n = strcspn(v, "\"'\n");
                return n ? strndup(v, n) : NULL;
        }
        return NULL;
}

static void os_release(const sysroot *sr, stack *s)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;

        if (sysroot_read_file(sr, "/etc/os-release", 65536, &buf, &len) < 0 &&
            sysroot_read_file(sr, "/usr/lib/os-release", 65536, &buf, &len) < 0)
                return;
        if (memchr(buf, '\0', len))
                return;
        s->codename = os_release_value(buf, "VERSION_CODENAME");
        s->os_id = os_release_value(buf, "ID");
        s->os_version = os_release_value(buf, "VERSION_ID");
}

/* Evidence for each table entry that applies to an installed stack; returns how many, or -ENOMEM. */
static int known_bad_evidence(const stack *s, const rocm_setting *setting, finding *f)
{
        int n = 0;

        for (size_t i = 0; i < s->n; i++) {
                const rocm_known_bad *kb;
                size_t iter = 0;

                while ((kb = rocm_known_bad_next(s->v[i].version, s->v[i].kind, setting, &iter))) {
                        _cleanup_free_ char *d = NULL;

                        n++;
                        if (!f)
                                continue;
                        d = strdup_printf("known bad: %s: %s; known from %s", s->v[i].detail, kb->reason, kb->source);
                        if (!d || finding_add_evidence(f, s->v[i].path, 0, d) < 0)
                                return -ENOMEM;
                }
        }
        return n;
}

/* Collect the stacks and apt sources; keeps what it found on error (stack_clear frees it). */
static int collect(const sysroot *sr, const pkgverify *pv, stack *s)
{
        char **names = NULL;
        size_t n_names = 0;
        int k;

        os_release(sr, s);
        k = opt_trees(sr, s);
        if (k >= 0)
                k = distro_packages(pv, s);
        if (k >= 0)
                k = scan_sources_file(sr, s, "/etc/apt/sources.list");
        if (k >= 0 && sysroot_list_dir(sr, "/etc/apt/sources.list.d", 1024, &names, &n_names, NULL) >= 0) {
                for (size_t i = 0; k >= 0 && i < n_names; i++) {
                        _cleanup_free_ char *p = NULL;

                        if (!endswith(names[i], ".list") && !endswith(names[i], ".sources"))
                                continue;
                        p = strdup_printf("/etc/apt/sources.list.d/%s", names[i]);
                        k = p ? scan_sources_file(sr, s, p) : -ENOMEM;
                }
                strv_free_array(names);
        }
        return k;
}

static int raise_finding(const stack *s, const sysroot *sr, const pkgverify *pv, ko_cache *cache,
                         const char *const *gfx, size_t n_gfx, report *r)
{
        const rocm_setting setting = { .gfx = gfx, .n_gfx = n_gfx, .os_id = s->os_id, .os_version = s->os_version };
        int n_bad, k = 0;
        const char *title;
        finding *f;

        n_bad = known_bad_evidence(s, &setting, NULL);
        if (s->n == 0 && s->stale_details.n == 0)
                return 0;
        title = n_bad > 0  ? "A ROCm stack known to fail on this machine is installed"
                : s->n > 1 ? "Several ROCm versions are installed side by side"
                : s->n > 0 ? "Installed ROCm version"
                           : "Stale AMD apt sources";
        f = report_add_finding(r, "stack.rocm",
                               n_bad > 0 || s->n > 1 || s->stale_details.n ? SEVERITY_WARNING : SEVERITY_INFO,
                               NULL, title,
                               n_bad > 0 ? "remove the stack the evidence names (for gfx1010: the distribution's HIP, "
                                           "or a ROCm release and PyTorch built for gfx1010, instead), and the apt "
                                           "sources that would bring it back"
                               : s->n > 1
                                       ? "keep one ROCm stack (for gfx1010: the distribution's HIP, or a ROCm release "
                                         "built for it) and remove the others; stale apt sources pull mismatched "
                                         "packages"
                                       : "remove apt sources for releases that are not installed or are for another "
                                         "distribution release",
                               false);
        if (!f)
                return -ENOMEM;
        if (n_bad > 0)
                k = known_bad_evidence(s, &setting, f);
        for (size_t i = 0; k >= 0 && i < s->n; i++)
                k = finding_add_evidence(f, s->v[i].path, 0, s->v[i].detail);
        for (size_t i = 0; k >= 0 && i < s->stale_details.n; i++) {
                _cleanup_free_ char *d = strdup_printf("stale apt source: %s", s->stale_details.items[i]);

                k = d ? finding_add_evidence(f, s->stale_paths.items[i], s->stale_lines[i], d) : -ENOMEM;
        }
        /* what the installed stacks carry GPU code for */
        if (k >= 0 && s->n > 0)
                k = rocm_coverage_evidence(sr, pv, cache, gfx, n_gfx, r, f);
        return k < 0 ? k : 0;
}

int rocm_stack_apply(const sysroot *sr, const pkgverify *pv, ko_cache *cache, const char *const *gfx, size_t n_gfx,
                     report *r)
{
        stack s = {0};
        int k = collect(sr, pv, &s);

        if (k >= 0)
                k = raise_finding(&s, sr, pv, cache, gfx, n_gfx, r);
        stack_clear(&s);
        return k < 0 ? k : 0;
}
