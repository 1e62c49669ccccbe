/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/rocm_coverage.h"
#include "probe/gpu_coverage.h"

/* Per-target data directories of a ROCm tree (docs/DOMAIN.md §16). */
static const char *const opt_data_dirs[] = { "lib/rocblas/library", "lib/hipblaslt/library", "share/miopen/db" };

typedef struct coverage_ctx {
        const sysroot *sr;
        ko_cache *cache;
        const char *const *gfx;
        size_t n_gfx;
        report *r;
        finding *f;
        size_t libs;            /* libraries read */
        size_t skipped;         /* past ROCM_COVERAGE_LIBS_MAX */
} coverage_ctx;

/* "carries GPU code for gfx1030 gfx90a:xnack-; none for gfx1010" */
static char *coverage_text(const coverage_ctx *c, const char *what, const gpu_code *code)
{
        _cleanup_free_ char *list = gpu_code_list(code), *has = strdup(""), *lacks = strdup("");

        if (!list || !has || !lacks)
                return NULL;
        for (size_t i = 0; i < c->n_gfx; i++) {
                char **into = gpu_code_covers(code, c->gfx[i]) ? &has : &lacks;
                char *more;

                if (!gpu_target_is_rdna1(c->gfx[i]))
                        continue;
                more = strdup_printf("%s%s%s", *into, **into ? " " : "", c->gfx[i]);
                if (!more)
                        return NULL;
                free(*into);
                *into = more;
        }
        return strdup_printf("%s for %s%s%s%s%s%s", what, *list ? list : "no target",
                             code->truncated ? " (list cut at its bound)" : "", *has ? "; has " : "", has,
                             *lacks ? "; none for " : "", lacks);
}

static int add(coverage_ctx *c, const char *path, const char *prefix, const char *what, const gpu_code *code)
{
        _cleanup_free_ char *text = coverage_text(c, what, code), *detail = NULL;

        if (!text)
                return -ENOMEM;
        detail = strdup_printf("%s%s", prefix ? prefix : "", text);
        return detail ? finding_add_evidence(c->f, path, 0, detail) : -ENOMEM;
}

/*
 * A rocBLAS library directory: its GEMMs come from the Tensile files alone,
 * which may lack a target its other kernel files carry (Debian 13's
 * librocblas0 has Kernels.so-000-gfx1010.hsaco and no Tensile file for
 * gfx1010: docs/DOMAIN.md §17), so they get a line of their own.
 */
static int add_tensile(coverage_ctx *c, const char *dir, const char *prefix, const gpu_code *tensile)
{
        if (!strstr(dir, "rocblas"))
                return 0;
        return add(c, dir, prefix, "Tensile GEMM libraries (rocBLAS's GEMMs, by file name)", tensile);
}

/* One library: its offload bundles as evidence when it has device code. */
static int library(coverage_ctx *c, const char *path, const char *prefix)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *why = NULL;
        gpu_code code = {0};
        struct stat st;
        int k;

        if (sysroot_lstat(c->sr, path, &st) < 0 || !S_ISREG(st.st_mode))
                return 0; /* the soname links name the same file */
        if (c->libs >= ROCM_COVERAGE_LIBS_MAX) {
                c->skipped++;
                return 0;
        }
        fd = sysroot_open_regular(c->sr, path);
        if (fd < 0)
                return fd == -ENOMEM ? fd : 0;
        c->libs++;
        k = gpu_coverage_of_fd_cached(fd, path, c->cache, &code, &why);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                _cleanup_free_ char *msg = NULL;

                if (!why || startswith(why, "not an ELF64"))
                        return 0; /* no library: nothing to say about device code */
                msg = strdup_printf("device code not readable: %s", why);
                return msg ? report_add_reason(c->r, "rocm", path, msg, false) : -ENOMEM;
        }
        if (!code.has_fatbin || code.n == 0)
                return 0;
        return add(c, path, prefix, "carries GPU code", &code);
}

static bool is_shared_library(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        return startswith(base, "lib") && strstr(base, ".so") && !endswith(base, ".py");
}

/* The distribution's ROCm packages (those outside /opt/rocm*): their libraries and per-target files. */
static int distribution_packages(coverage_ctx *c, const pkgverify *pv)
{
        for (size_t i = 0; i < pv->n_pkgs; i++) {
                const dpkg_pkg *p = &pv->pkgs[i];
                _cleanup_free_ char *prefix = NULL;
                gpu_code names = {0}, tensile = {0};
                const char *names_at = NULL;
                int k;

                if (!pv->relevant[i] || pv->in_rocm_tree[i] || !pv->lists || !pv->lists[i] ||
                    strstr(p->name, "amdgpu"))
                        continue;
                prefix = strdup_printf("%s %s: ", p->name, p->version ? p->version : "");
                if (!prefix)
                        return -ENOMEM;
                for (const char *l = pv->lists[i]; l < pv->lists[i] + pv->list_lens[i]; l += strlen(l) + 1) {
                        char t[GPU_TARGET_ID_MAX];

                        if (!startswith(l, "/usr/lib"))
                                continue;
                        if (is_shared_library(l)) {
                                k = library(c, l, prefix);
                                if (k < 0)
                                        return k;
                        } else if ((strstr(l, "/library/") || strstr(l, "/miopen/db/")) &&
                                   gpu_file_target(strrchr(l, '/') + 1, t, sizeof(t))) {
                                gpu_code_add(&names, t);
                                if (startswith(strrchr(l, '/') + 1, "TensileLibrary"))
                                        gpu_code_add(&tensile, t);
                                names_at = names_at ?: l;
                        }
                }
                if (names.n) {
                        _cleanup_free_ char *dir = strndup(names_at, (size_t)(strrchr(names_at, '/') - names_at));

                        k = dir ? add(c, dir, prefix, "per-target kernel and database files", &names) : -ENOMEM;
                        if (k >= 0)
                                k = add_tensile(c, dir, prefix, &tensile);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

/* An AMD release tree: lib/lib*.so*, and the per-target data directories. */
static int opt_tree(coverage_ctx *c, const char *tree)
{
        _cleanup_free_ char *lib = strdup_printf("%s/lib", tree);
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        int k = 0;

        if (!lib)
                return -ENOMEM;
        if (sysroot_list_dir(c->sr, lib, ROCM_COVERAGE_DIR_ENTRIES, &names, &n, NULL) >= 0) {
                for (size_t i = 0; k >= 0 && i < n; i++) {
                        _cleanup_free_ char *path = NULL;

                        if (!is_shared_library(names[i]))
                                continue;
                        path = strdup_printf("%s/%s", lib, names[i]);
                        k = path ? library(c, path, NULL) : -ENOMEM;
                }
                strv_free_array(names);
                if (k < 0)
                        return k;
        }
        for (size_t d = 0; d < ELEMENTSOF(opt_data_dirs); d++) {
                _cleanup_free_ char *dir = strdup_printf("%s/%s", tree, opt_data_dirs[d]);
                gpu_code code = {0}, tensile = {0};

                if (!dir)
                        return -ENOMEM;
                names = NULL;
                n = 0;
                k = sysroot_list_dir(c->sr, dir, ROCM_COVERAGE_DIR_ENTRIES, &names, &n, &truncated);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        continue;
                gpu_coverage_of_names(names, n, &code);
                code.truncated |= truncated;
                for (size_t j = 0; j < n; j++)
                        if (startswith(names[j], "TensileLibrary"))
                                gpu_coverage_of_names(&names[j], 1, &tensile);
                tensile.truncated |= truncated;
                strv_free_array(names);
                if (code.n && (k = add(c, dir, NULL, "per-target kernel and database files", &code)) < 0)
                        return k;
                if (code.n && (k = add_tensile(c, dir, NULL, &tensile)) < 0)
                        return k;
        }
        return 0;
}

int rocm_coverage_evidence(const sysroot *sr, const pkgverify *pv, ko_cache *cache, const char *const *gfx,
                           size_t n_gfx, report *r, finding *f)
{
        coverage_ctx c = { .sr = sr, .cache = cache, .gfx = gfx, .n_gfx = n_gfx, .r = r, .f = f };
        char **names = NULL;
        size_t n = 0;
        int k = 0;

        if (sysroot_list_dir(sr, "/opt", 4096, &names, &n, NULL) >= 0) {
                for (size_t i = 0; k >= 0 && i < n; i++) {
                        _cleanup_free_ char *tree = NULL;
                        const char *v = startswith(names[i], "rocm");
                        struct stat st;

                        if (!v || (*v && *v != '-'))
                                continue;
                        tree = strdup_printf("/opt/%s", names[i]);
                        if (!tree) {
                                k = -ENOMEM;
                                break;
                        }
                        if (sysroot_lstat(sr, tree, &st) < 0 || !S_ISDIR(st.st_mode))
                                continue; /* /opt/rocm -> rocm-X names the same tree */
                        k = opt_tree(&c, tree);
                }
                strv_free_array(names);
        }
        if (k >= 0 && pv)
                k = distribution_packages(&c, pv);
        if (k >= 0 && c.skipped) {
                _cleanup_free_ char *more = strdup_printf("... and %zu more libraries not read (at most %u per run)",
                                                          c.skipped, ROCM_COVERAGE_LIBS_MAX);

                k = more ? finding_add_evidence(f, NULL, 0, more) : -ENOMEM;
        }
        return k < 0 ? k : 0;
}
