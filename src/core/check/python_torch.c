/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Does a Python environment's torch have GPU code for this machine's RDNA1
 * card? A HIP build of torch carries device code only for the gfx targets
 * it was built for (PYTORCH_ROCM_ARCH); without code for the card's own
 * target it cannot use the GPU, and HSA_OVERRIDE_GFX_VERSION only makes the
 * runtime load another target's code on it. Read statically: the version
 * from torch/version.py, the targets from the offload bundles of
 * torch/lib/libtorch_hip.so and the file names of the bundled rocBLAS
 * (README.md, Environment audit).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/python_audit.h"
#include "check/rocm_known_bad.h"
#include "parse/torch_version.h"
#include "probe/gpu_coverage.h"

#define VERSION_PY_MAX (64u * 1024)
#define ROCBLAS_ENTRIES_MAX 20000

/* Names in the site directory's subdirectory rel (bundled rocBLAS kernels). */
static int site_list_sub(const py_site *s, const sysroot *sr, const char *rel, char ***ret, size_t *ret_n,
                         bool *ret_truncated)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (!s->h) {
                path = strdup_printf("%s/%s", s->path, rel);
                if (!path)
                        return -ENOMEM;
                return sysroot_list_dir(sr, path, ROCBLAS_ENTRIES_MAX, ret, ret_n, ret_truncated);
        }
        path = strdup_printf("%s/%s", s->rel, rel);
        if (!path)
                return -ENOMEM;
        fd = home_openat(s->h, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return list_dir_fd(fd, ROCBLAS_ENTRIES_MAX, ret, ret_n, ret_truncated);
}

static int torch_reason(py_audit *a, const py_site *s, const char *rel, const char *what)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", s->path, rel);

        if (!path || report_add_reason(a->in->report, "python", path, what, false) < 0)
                return -ENOMEM;
        return 0;
}

/* The targets of torch/lib/libtorch_hip.so: 1 when read, 0 when absent or unreadable (a reason), -ENOMEM. */
static int torch_hip_code(py_audit *a, const py_site *s, gpu_code *code)
{
        static const char rel[] = "torch/lib/libtorch_hip.so";
        _cleanup_close_ int fd = py_site_open(s, a->in->sr, rel, NULL);
        _cleanup_free_ char *why = NULL;
        int k;

        if (fd == -ENOMEM)
                return fd;
        if (fd == -ENOENT)
                return torch_reason(a, s, rel, "torch says it is a HIP build, but has no libtorch_hip.so");
        if (fd < 0) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", s->path, rel);

                if (!path)
                        return -ENOMEM;
                report_add_reason_errno(a->in->report, "python", path, fd, false);
                return 0;
        }
        k = gpu_coverage_of_fd(fd, code, &why);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                _cleanup_free_ char *msg = strdup_printf("device code not readable: %s", why ? why : strerror(-k));

                return msg ? torch_reason(a, s, rel, msg) : -ENOMEM;
        }
        return 1;
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

int py_torch_scan(py_audit *a, const py_site *s)
{
        _cleanup_free_ char *text = NULL, *version = NULL, *hip = NULL, *lib = NULL, *list = NULL,
                *blas_list = NULL;
        gpu_code code = {0}, blas = {0};
        char **names = NULL;
        size_t len = 0, n = 0;
        bool truncated = false;
        int k;

        k = py_site_read(s, a->in->sr, "torch/version.py", VERSION_PY_MAX, &text, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return 0; /* not an installed torch (a source tree, a namespace), or unreadable: nothing to judge */
        k = torch_version_parse(text, len, &version, &hip);
        if (k < 0)
                return k;
        if (!hip)
                return 0; /* a CUDA or CPU build */
        k = torch_hip_code(a, s, &code);
        if (k <= 0)
                return k;
        k = site_list_sub(s, a->in->sr, "torch/lib/rocblas/library", &names, &n, &truncated);
        if (k == -ENOMEM)
                return k;
        if (k >= 0) {
                gpu_coverage_of_names(names, n, &blas);
                strv_free_array(names);
        }
        list = gpu_code_list(&code);
        blas_list = gpu_code_list(&blas);
        lib = strdup_printf("%s/torch/lib/libtorch_hip.so", s->path);
        if (!list || !blas_list || !lib)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_targets; i++) {
                const char *gfx = a->targets[i];
                bool native = gpu_code_covers(&code, gfx);
                _cleanup_free_ char *detail = NULL;

                if (!gpu_target_is_rdna1(gfx))
                        continue;
                detail = strdup_printf("torch %s (torch.version.hip %s): %s code for %s; its GPU code covers %s%s%s%s",
                                       version ? version : "(version unknown)", hip, native ? "has" : "has no",
                                       gfx, *list ? list : "no target",
                                       blas.n ? "; bundled rocBLAS kernels for " : "", blas_list,
                                       code.truncated ? " (list cut at its bound)" : "");
                if (!detail)
                        return -ENOMEM;
                k = py_finding_add(a, native ? &a->native : &a->no_native, lib, 0, detail);
                if (k < 0)
                        return k;
                k = py_torch_env_add(a, s->path, gfx, native);
                if (k < 0)
                        return k;
        }
        /* the known-bad reports are about torch running another target's code on the card */
        return gpu_code_covers_any_rdna1(a, &code) ? 0 : known_bad(a, version, hip, lib);
}
