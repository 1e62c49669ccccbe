/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Does a Python environment's torch have GPU code for this machine's RDNA1
 * card? A HIP build of torch carries device code only for the gfx targets
 * it was built for (PYTORCH_ROCM_ARCH); without code for the card's own
 * target it cannot use the GPU, and HSA_OVERRIDE_GFX_VERSION only makes the
 * runtime load another target's code on it. Read statically: the version
 * from torch/version.py, the targets from the offload bundles of
 * torch/lib/libtorch_hip.so, and, as evidence, the offload bundles of the
 * ROCm libraries the wheel bundles (libamdhip64, librocblas, libMIOpen,
 * libhipblaslt), their per-target file names (rocBLAS and hipBLASLt
 * kernels, MIOpen databases), the offload bundles of torchvision's and
 * bitsandbytes' HIP libraries beside it, and triton's version (README.md,
 * Environment audit).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/python_audit.h"
#include "check/rocm_coverage.h"
#include "check/rocm_known_bad.h"
#include "parse/torch_version.h"

#define VERSION_PY_MAX (64u * 1024)
#define DATA_DIR_ENTRIES_MAX 20000
#define PACKAGE_ENTRIES_MAX 4096

/* The wheel's bundled per-target data, where PyTorch's wheel build puts it (docs/DOMAIN.md §16). */
static const struct {
        const char *rel;
        size_t offset;
        const char *what;
} data_dirs[] = {
        { "torch/lib/rocblas/library", offsetof(torch_build, blas), "bundled rocBLAS kernels for " },
        { "torch/lib/hipblaslt/library", offsetof(torch_build, blaslt), "bundled hipBLASLt kernels for " },
        { "torch/share/miopen/db", offsetof(torch_build, miopen), "bundled MIOpen databases for " },
};

void torch_build_clear(torch_build *b)
{
        free(b->version);
        free(b->hip);
        *b = (torch_build){0};
}

/* Names in the site directory's subdirectory rel. */
static int site_list_sub(const py_site *s, const sysroot *sr, const char *rel, size_t max, char ***ret,
                         size_t *ret_n, bool *ret_truncated)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (!s->h) {
                path = strdup_printf("%s/%s", s->path, rel);
                if (!path)
                        return -ENOMEM;
                return sysroot_list_dir(sr, path, max, ret, ret_n, ret_truncated);
        }
        path = strdup_printf("%s/%s", s->rel, rel);
        if (!path)
                return -ENOMEM;
        fd = home_openat(s->h, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return list_dir_fd(fd, max, ret, ret_n, ret_truncated);
}

/* The device code of the site's library rel: 0 read, or -errno with *ret_why for a broken one. */
static int site_lib_code(const py_site *s, const sysroot *sr, ko_cache *cache, const char *rel, gpu_code *code,
                         char **ret_why)
{
        _cleanup_close_ int fd = py_site_open(s, sr, rel, NULL);
        _cleanup_free_ char *path = NULL;

        if (fd < 0)
                return fd;
        path = strdup_printf("%s/%s", s->path, rel);
        if (!path)
                return -ENOMEM;
        return gpu_coverage_of_fd_cached(fd, path, cache, code, ret_why);
}

int torch_build_read(const py_site *s, const sysroot *sr, ko_cache *cache, torch_build *ret, char **ret_why)
{
        _cleanup_free_ char *text = NULL;
        torch_build b = {0};
        size_t len = 0;
        int k;

        k = py_site_read(s, sr, "torch/version.py", VERSION_PY_MAX, &text, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return 0; /* not an installed torch (a source tree, a namespace), or unreadable: nothing to judge */
        k = torch_version_parse(text, len, &b.version, &b.hip);
        if (k < 0)
                return k;
        if (!b.hip) {
                torch_build_clear(&b);
                return 0; /* a CUDA or CPU build */
        }
        k = site_lib_code(s, sr, cache, "torch/lib/libtorch_hip.so", &b.code, ret_why);
        if (k == -ENOENT && ret_why) {
                free(*ret_why);
                *ret_why = strdup("torch says it is a HIP build, but has no libtorch_hip.so");
                k = *ret_why ? -ENOENT : -ENOMEM;
        }
        if (k < 0) {
                *ret = b; /* the version is still worth naming */
                return k;
        }
        for (size_t i = 0; i < ELEMENTSOF(data_dirs); i++) {
                char **names = NULL;
                size_t n = 0;
                bool truncated = false;
                gpu_code *c = (gpu_code *)((char *)&b + data_dirs[i].offset);

                k = site_list_sub(s, sr, data_dirs[i].rel, DATA_DIR_ENTRIES_MAX, &names, &n, &truncated);
                if (k == -ENOMEM) {
                        torch_build_clear(&b);
                        return k;
                }
                if (k < 0)
                        continue; /* not bundled (older wheels have no MIOpen databases) */
                gpu_coverage_of_names(names, n, c);
                c->truncated |= truncated;
                if (c == &b.blas) {
                        /* rocBLAS's GEMMs come from the Tensile files alone (docs/DOMAIN.md §17) */
                        for (size_t j = 0; j < n; j++)
                                if (startswith(names[j], "TensileLibrary"))
                                        gpu_coverage_of_names(&names[j], 1, &b.blas_tensile);
                        b.blas_tensile.truncated |= truncated;
                }
                strv_free_array(names);
        }
        *ret = b;
        return 1;
}

static int torch_reason(py_audit *a, const py_site *s, const char *rel, const char *what)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", s->path, rel);

        if (!path || report_add_reason(a->in->report, "python", path, what, false) < 0)
                return -ENOMEM;
        return 0;
}

static bool gpu_code_covers_any_rdna1(const py_audit *a, const gpu_code *code)
{
        for (size_t i = 0; i < a->n_targets; i++)
                if (gpu_target_is_rdna1(a->targets[i]) && gpu_code_covers(code, a->targets[i]))
                        return true;
        return false;
}

/* Known-bad PyTorch builds (rocm_known_bad.c, by torch.version.hip), as evidence of this torch's finding. */
static int known_bad(py_audit *a, const char *version, const char *hip, const char *lib)
{
        const rocm_setting setting = { .gfx = a->targets, .n_gfx = a->n_targets };
        const rocm_known_bad *kb;
        size_t iter = 0;

        while ((kb = rocm_known_bad_next(hip, ROCM_STACK_TORCH, &setting, &iter))) {
                _cleanup_free_ char *d = strdup_printf("known bad: torch %s (torch.version.hip %s): %s; known from %s",
                                                       version ? version : "(version unknown)", hip, kb->reason,
                                                       kb->source);
                int k;

                if (!d)
                        return -ENOMEM;
                k = py_finding_add(a, &a->no_native, lib, 0, d);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* "; bundled rocBLAS kernels for gfx1030 gfx90a" for each data directory with names, "" for none. */
static char *data_dirs_text(const torch_build *b)
{
        _cleanup_free_ char *out = strdup("");

        for (size_t i = 0; out && i < ELEMENTSOF(data_dirs); i++) {
                const gpu_code *c = (const gpu_code *)((const char *)b + data_dirs[i].offset);
                _cleanup_free_ char *list = NULL;
                char *more;

                if (!c->n)
                        continue;
                list = gpu_code_list(c);
                if (!list)
                        return NULL;
                if (c == &b->blas) {
                        /*
                         * The names say which targets have some file; rocBLAS's GEMMs need a
                         * Tensile library for the target (docs/DOMAIN.md §17).
                         */
                        _cleanup_free_ char *tensile = gpu_code_list(&b->blas_tensile);

                        more = tensile ? strdup_printf("%s; %s%s (by file name; Tensile GEMM libraries for %s)%s", out,
                                                       data_dirs[i].what, list,
                                                       *tensile ? tensile : "no target", c->truncated ? " (cut at its bound)" : "")
                                       : NULL;
                } else
                        more = strdup_printf("%s; %s%s%s", out, data_dirs[i].what, list,
                                             c->truncated ? " (cut at its bound)" : "");
                free(out);
                out = more;
        }
        return TAKE_PTR(out);
}

/*
 * A HIP library of another package in the site (torchvision/_C.so,
 * bitsandbytes/libbitsandbytes_rocm62.so): evidence beside torch's, for
 * each RDNA1 target. Libraries without device code are not judged.
 */
static int judge_companion(py_audit *a, const py_site *s, const char *label, const char *rel)
{
        _cleanup_free_ char *why = NULL, *path = NULL, *list = NULL;
        gpu_code code = {0};
        int k;

        k = site_lib_code(s, a->in->sr, a->in->cache, rel, &code, &why);
        if (k == -ENOMEM)
                return k;
        if (k == -ENOENT || k == -ENOTDIR)
                return 0;
        if (k < 0) {
                _cleanup_free_ char *msg = strdup_printf("device code not readable: %s", why ? why : strerror(-k));

                return msg ? torch_reason(a, s, rel, msg) : -ENOMEM;
        }
        if (!code.has_fatbin)
                return 0;
        path = strdup_printf("%s/%s", s->path, rel);
        list = gpu_code_list(&code);
        if (!path || !list)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_targets; i++) {
                const char *gfx = a->targets[i];
                bool native = gpu_code_covers(&code, gfx);
                _cleanup_free_ char *detail = NULL;

                if (!gpu_target_is_rdna1(gfx))
                        continue;
                detail = strdup_printf("%s: %s code for %s; its GPU code covers %s%s", label, native ? "has" : "has no",
                                       gfx, *list ? list : "no target",
                                       code.truncated ? " (list cut at its bound)" : "");
                if (!detail)
                        return -ENOMEM;
                k = py_finding_add(a, native ? &a->native : &a->no_native, path, 0, detail);
                if (k < 0)
                        return k;
                k = py_torch_env_add(a, s->path, gfx, native);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* torchvision's extension and bitsandbytes' HIP libraries, where the site has them. */
static int judge_companions(py_audit *a, const py_site *s)
{
        _cleanup_free_ char *tv_text = NULL, *tv_version = NULL, *tv_hip = NULL, *label = NULL;
        char **names = NULL;
        size_t len = 0, n = 0;
        int k;

        k = py_site_read(s, a->in->sr, "torchvision/version.py", VERSION_PY_MAX, &tv_text, &len);
        if (k == -ENOMEM)
                return k;
        if (k >= 0) {
                k = torch_version_parse(tv_text, len, &tv_version, &tv_hip);
                if (k < 0)
                        return k;
                label = strdup_printf("torchvision %s", tv_version ? tv_version : "(version unknown)");
                if (!label)
                        return -ENOMEM;
                k = judge_companion(a, s, label, "torchvision/_C.so");
                if (k < 0)
                        return k;
        }
        k = site_list_sub(s, a->in->sr, "bitsandbytes", PACKAGE_ENTRIES_MAX, &names, &n, NULL);
        if (k == -ENOMEM)
                return k;
        for (size_t i = 0; k >= 0 && i < n; i++) {
                _cleanup_free_ char *rel = NULL, *lbl = NULL;

                /* libbitsandbytes_rocm62.so, libbitsandbytes_hip_nohipblaslt.so; not the CUDA or CPU ones */
                if (!startswith(names[i], "libbitsandbytes_") || !endswith(names[i], ".so") ||
                    (!strstr(names[i], "rocm") && !strstr(names[i], "hip")))
                        continue;
                rel = strdup_printf("bitsandbytes/%s", names[i]);
                lbl = strdup_printf("bitsandbytes (%s)", names[i]);
                k = rel && lbl ? judge_companion(a, s, lbl, rel) : -ENOMEM;
        }
        strv_free_array(names);
        return k == -ENOMEM ? k : 0;
}

/*
 * The ROCm libraries a wheel bundles in torch/lib (docs/DOMAIN.md §16):
 * read like libtorch_hip.so, as evidence of which of them carry code for
 * the card. rocBLAS keeps GPU code in the library and in the per-target
 * files of rocblas/library, and the two can disagree (docs/DOMAIN.md §17),
 * so the library's line says which of the two it is.
 */
static const struct {
        const char *name;       /* the file name up to ".so" */
        const char *note;       /* said after its targets, or NULL */
} bundled_libs[] = {
        { "libamdhip64", NULL },
        { "librocblas", "this is the library's own code; rocBLAS's Tensile GEMM kernels are separate files "
                        "(rocblas/library, named in libtorch_hip.so's line)" },
        { "libMIOpen", NULL },
        { "libhipblaslt", NULL },
};

#define BUNDLED_LIB_FILES_MAX 32u /* libraries of one torch/lib judged (soname links name the same file) */

/* "libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.6.1.40093": a bundled library's file name. */
static bool is_bundled_lib(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(bundled_libs); i++) {
                const char *rest = startswith(name, bundled_libs[i].name);

                if (!rest || !(rest = startswith(rest, ".so")))
                        continue;
                if (*rest == '\0' || *rest == '.')
                        return true;
        }
        return false;
}

static const char *bundled_lib_note(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(bundled_libs); i++)
                if (startswith(name, bundled_libs[i].name))
                        return bundled_libs[i].note;
        return NULL;
}

/* The finding torch's own code puts this torch in for target gfx. */
static py_finding *torch_finding(py_audit *a, const torch_build *b, const char *gfx)
{
        return gpu_code_covers(&b->code, gfx) ? &a->native : &a->no_native;
}

/* One evidence line per RDNA1 target: "<label>: <what the library has for gfx>". */
static int bundled_lib_add(py_audit *a, const torch_build *b, const char *path, const char *label, const char *name,
                           const gpu_code *code, const char *problem)
{
        _cleanup_free_ char *list = code ? gpu_code_list(code) : strdup("");
        const char *note = bundled_lib_note(name);

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_targets; i++) {
                const char *gfx = a->targets[i];
                _cleanup_free_ char *detail = NULL;
                int k;

                if (!gpu_target_is_rdna1(gfx))
                        continue;
                if (problem)
                        detail = strdup_printf("%s bundles %s: %s", label, name, problem);
                else if (!code->has_fatbin || code->n == 0)
                        detail = strdup_printf("%s bundles %s: no code for %s; it has no GPU code of its own (%s)",
                                               label, name, gfx,
                                               code->has_fatbin ? "its .hip_fatbin names no GPU target"
                                                                : "no .hip_fatbin section");
                else
                        detail = strdup_printf("%s bundles %s: %s code for %s; its own GPU code (.hip_fatbin) covers %s%s%s%s",
                                               label, name, gpu_code_covers(code, gfx) ? "has" : "has no", gfx, list,
                                               code->truncated ? " (list cut at its bound)" : "", note ? "; " : "",
                                               note ? note : "");
                if (!detail)
                        return -ENOMEM;
                k = py_finding_add(a, torch_finding(a, b, gfx), path, 0, detail);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* torch/lib's bundled ROCm libraries, each read once (bounded per run), as evidence beside libtorch_hip.so. */
static int bundled_libs_evidence(py_audit *a, const py_site *s, const torch_build *b)
{
        _cleanup_free_ char *label = strdup_printf("torch %s", b->version ? b->version : "(version unknown)");
        struct { dev_t dev; ino_t ino; } seen[BUNDLED_LIB_FILES_MAX];
        size_t n_seen = 0, n = 0;
        char **names = NULL;
        int k;

        if (!label)
                return -ENOMEM;
        k = site_list_sub(s, a->in->sr, "torch/lib", PACKAGE_ENTRIES_MAX, &names, &n, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return 0; /* libtorch_hip.so was read from it: a directory that went away is nothing to add */
        k = 0;
        for (size_t i = 0; k >= 0 && i < n && n_seen < BUNDLED_LIB_FILES_MAX; i++) {
                _cleanup_free_ char *rel = NULL, *path = NULL, *why = NULL, *problem = NULL;
                _cleanup_close_ int fd = -EBADF;
                gpu_code code = {0};
                struct stat st;
                bool dup = false;

                if (!is_bundled_lib(names[i]))
                        continue;
                rel = strdup_printf("torch/lib/%s", names[i]);
                path = strdup_printf("%s/torch/lib/%s", s->path, names[i]);
                if (!rel || !path) {
                        k = -ENOMEM;
                        break;
                }
                fd = py_site_open(s, a->in->sr, rel, &st);
                if (fd == -ENOMEM) {
                        k = fd;
                        break;
                }
                if (fd < 0)
                        continue; /* a link out of the site, a directory, gone: not the wheel's file */
                for (size_t j = 0; j < n_seen; j++)
                        dup |= seen[j].dev == st.st_dev && seen[j].ino == st.st_ino;
                if (dup)
                        continue; /* the soname link of a library already judged */
                seen[n_seen].dev = st.st_dev;
                seen[n_seen].ino = st.st_ino;
                n_seen++;
                if (a->bundled_libs >= ROCM_COVERAGE_LIBS_MAX) {
                        problem = strdup_printf("not read (at most %u bundled libraries are read per run)",
                                                ROCM_COVERAGE_LIBS_MAX);
                        k = problem ? bundled_lib_add(a, b, path, label, names[i], NULL, problem) : -ENOMEM;
                        continue;
                }
                a->bundled_libs++;
                k = gpu_coverage_of_fd_cached(fd, path, a->in->cache, &code, &why);
                if (k == -ENOMEM)
                        break;
                if (k < 0) {
                        /* a cut or hostile file is a reason beside the others, never the end of the audit */
                        problem = strdup_printf("its GPU code could not be read: %s", why ? why : strerror(-k));
                        k = problem ? bundled_lib_add(a, b, path, label, names[i], NULL, problem) : -ENOMEM;
                        continue;
                }
                k = bundled_lib_add(a, b, path, label, names[i], &code, NULL);
        }
        strv_free_array(names);
        return k < 0 ? k : 0;
}

/*
 * triton beside a HIP torch: what its version is (triton/__init__.py, read
 * as text) and that it is judged by no prebuilt code: its AMD backend
 * compiles each kernel at run time for the target the HIP runtime reports,
 * and is active only when torch can use the GPU (docs/DOMAIN.md §16).
 */
static int triton_evidence(py_audit *a, const py_site *s, const torch_build *b)
{
        _cleanup_free_ char *text = NULL, *version = NULL, *hip = NULL, *path = NULL;
        size_t len = 0;
        int k;

        k = py_site_read(s, a->in->sr, "triton/__init__.py", VERSION_PY_MAX, &text, &len);
        if (k == -ENOMEM)
                return k;
        if (k == -ENOENT || k == -ENOTDIR)
                return 0;
        if (k >= 0 && torch_version_parse(text, len, &version, &hip) < 0)
                return -ENOMEM;
        path = strdup_printf("%s/triton/__init__.py", s->path);
        if (!path)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_targets; i++) {
                const char *gfx = a->targets[i];
                _cleanup_free_ char *detail = NULL;

                if (!gpu_target_is_rdna1(gfx))
                        continue;
                detail = strdup_printf("triton %s beside this torch: no prebuilt GPU code to judge; its AMD backend "
                                       "compiles each kernel at run time for the target the HIP runtime reports "
                                       "for the GPU, and its AMD driver is active only where "
                                       "torch.cuda.is_available() is true",
                                       version ? version : "(version unknown)");
                if (!detail)
                        return -ENOMEM;
                k = py_finding_add(a, torch_finding(a, b, gfx), path, 0, detail);
                if (k < 0)
                        return k;
        }
        return 0;
}

int py_torch_scan(py_audit *a, const py_site *s)
{
        _cleanup_free_ char *why = NULL, *lib = NULL, *list = NULL, *data = NULL;
        torch_build b = {0};
        int k;

        k = torch_build_read(s, a->in->sr, a->in->cache, &b, &why);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                _cleanup_free_ char *msg = NULL;

                if (k == -ENOENT && why)
                        msg = strdup(why);
                else if (k == -EBADMSG || why)
                        msg = strdup_printf("device code not readable: %s", why ? why : strerror(-k));
                else {
                        _cleanup_free_ char *path = strdup_printf("%s/torch/lib/libtorch_hip.so", s->path);

                        torch_build_clear(&b);
                        if (!path)
                                return -ENOMEM;
                        report_add_reason_errno(a->in->report, "python", path, k, false);
                        return judge_companions(a, s);
                }
                torch_build_clear(&b);
                k = msg ? torch_reason(a, s, "torch/lib/libtorch_hip.so", msg) : -ENOMEM;
                return k < 0 ? k : judge_companions(a, s);
        }
        if (k == 0)
                return judge_companions(a, s);
        list = gpu_code_list(&b.code);
        data = data_dirs_text(&b);
        lib = strdup_printf("%s/torch/lib/libtorch_hip.so", s->path);
        if (!list || !data || !lib) {
                torch_build_clear(&b);
                return -ENOMEM;
        }
        for (size_t i = 0; i < a->n_targets; i++) {
                const char *gfx = a->targets[i];
                bool native = gpu_code_covers(&b.code, gfx);
                _cleanup_free_ char *detail = NULL;

                if (!gpu_target_is_rdna1(gfx))
                        continue;
                detail = strdup_printf("torch %s (torch.version.hip %s): %s code for %s; its GPU code covers %s%s%s",
                                       b.version ? b.version : "(version unknown)", b.hip, native ? "has" : "has no",
                                       gfx, *list ? list : "no target",
                                       b.code.truncated ? " (list cut at its bound)" : "", data);
                if (!detail) {
                        k = -ENOMEM;
                        goto out;
                }
                k = py_finding_add(a, native ? &a->native : &a->no_native, lib, 0, detail);
                if (k < 0)
                        goto out;
        }
        /* the known-bad reports are about torch running another target's code on the card */
        k = gpu_code_covers_any_rdna1(a, &b.code) ? 0 : known_bad(a, b.version, b.hip, lib);
        if (k >= 0)
                k = bundled_libs_evidence(a, s, &b);
        if (k >= 0)
                k = triton_evidence(a, s, &b);
        if (k >= 0)
                k = judge_companions(a, s);
out:
        torch_build_clear(&b);
        return k;
}
