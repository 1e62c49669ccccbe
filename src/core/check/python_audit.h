/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The Python audit's shared state (rules_python.c walks the installs,
 * python_site.c checks one site directory, rules_miopen.c the MIOpen
 * caches). Internal to the core.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check/inspect.h"
#include "probe/gpu_coverage.h"
#include "probe/ko_cache.h"
#include "root/homefile.h"

/* Evidence kept per finding; the rest is counted in one closing line. */
#define PY_EVIDENCE_MAX 50

typedef struct py_finding {
        const char *id;
        severity sev;
        const char *title;
        const char *fix;
        finding *f;             /* made on first evidence */
        size_t n_evidence;
        size_t n_dropped;
} py_finding;

typedef struct py_stats {
        size_t sites;           /* site directories scanned */
        size_t pth_files;
        size_t records;         /* RECORD files read */
        size_t libs_checked;    /* ROCm libraries compared with their RECORD */
        uint64_t bytes_hashed;
        size_t prefixes;        /* venvs and conda envs found under homes */
} py_stats;

/* One HIP build of torch judged against one RDNA1 target: what runs there without an override. */
typedef struct py_torch_env {
        char *site;             /* the site directory holding torch/ */
        const char *gfx;        /* the card's target (from the audit's targets) */
        bool native;            /* its GPU code covers gfx */
} py_torch_env;

typedef struct py_audit {
        inspection *in;
        py_finding hook;        /* python.startup-hook */
        py_finding wheel;       /* python.modified-wheel-lib */
        py_finding miopen;      /* leftover.miopen-cache */
        py_finding no_native;   /* python.no-native-code */
        py_finding native;      /* python.native-code */
        const char *const *targets; /* the machine's gfx targets, each once */
        size_t n_targets;
        struct { dev_t dev; ino_t ino; } *seen; /* site directories already scanned */
        size_t n_seen;
        py_stats stats;
        py_torch_env *torch_envs; /* every HIP torch found, per RDNA1 target */
        size_t n_torch_envs;
        size_t bundled_libs;    /* ROCm libraries of torch wheels read (at most ROCM_COVERAGE_LIBS_MAX a run) */
} py_audit;

/*
 * One site directory: a system tree (h == NULL; files are opened through
 * the root) or one beneath a user's home (opened relative to the home
 * without following symlinks, owner checked).
 */
typedef struct py_site {
        const home *h;
        const char *rel;        /* the site directory relative to h (user trees) */
        const char *path;       /* as the inspected system sees it */
} py_site;

/* Add evidence to a lazily made finding (capped at PY_EVIDENCE_MAX). Returns 0 or -ENOMEM. */
int py_finding_add(py_audit *a, py_finding *pf, const char *path, unsigned line, const char *detail);

/*
 * Check one site directory: .pth files with executable lines touching the
 * ROCm stack (directly or through a module of the same directory they
 * import), sitecustomize.py/usercustomize.py, and the ROCm libraries of
 * every *.dist-info/RECORD. A directory already scanned (same device and
 * inode) is skipped. Problems reading it become reasons that do not
 * matter. Returns 0, or -ENOMEM.
 */
int py_site_scan(py_audit *a, const py_site *s);

/* A regular file rel of the site directory, opened without following symlinks out: an fd or -errno. */
int py_site_open(const py_site *s, const sysroot *sr, const char *rel, struct stat *ret_st);
int py_site_read(const py_site *s, const sysroot *sr, const char *rel, size_t max, char **ret, size_t *ret_len);

/*
 * A HIP build of torch in the site directory (torch/version.py says
 * torch.version.hip): which gfx targets its torch/lib/libtorch_hip.so
 * carries code for, judged against each RDNA1 GPU of the machine
 * (python.no-native-code, python.native-code); as evidence beside it, the
 * device code of the ROCm libraries the wheel bundles (libamdhip64.so*,
 * librocblas.so*, libMIOpen.so*, libhipblaslt.so*: at most
 * ROCM_COVERAGE_LIBS_MAX a run), their per-target data files, torchvision,
 * bitsandbytes and triton beside it. Returns 0 or -ENOMEM.
 */
int py_torch_scan(py_audit *a, const py_site *s);

/* What a HIP build of torch carries GPU code for (python_torch.c). */
typedef struct torch_build {
        char *version;          /* torch.__version__; NULL when version.py has none */
        char *hip;              /* torch.version.hip */
        gpu_code code;          /* torch/lib/libtorch_hip.so's offload bundles */
        gpu_code blas;          /* torch/lib/rocblas/library: targets named by its files */
        gpu_code blas_tensile;  /* of them the Tensile GEMM libraries (TensileLibrary*) */
        gpu_code blaslt;        /* torch/lib/hipblaslt/library */
        gpu_code miopen;        /* torch/share/miopen/db */
} torch_build;

/*
 * The torch of site directory s, read without running anything; device
 * code results are cached in cache (may be NULL). Returns 1 with *ret
 * filled for a HIP build, 0 for none (no torch/version.py, or a CUDA/CPU
 * build), -ENOMEM, or another negative errno when the HIP build's
 * libtorch_hip.so cannot be read (-ENOENT: missing; -EBADMSG: not a
 * library, or broken bundles): then *ret holds the version and *ret_why
 * (malloc'd, may stay NULL) says why.
 */
int torch_build_read(const py_site *s, const sysroot *sr, ko_cache *cache, torch_build *ret, char **ret_why);
void torch_build_clear(torch_build *b);

/* Remember what a torch runs on target gfx (for py_advice_apply). Returns 0 or -ENOMEM. */
int py_torch_env_add(py_audit *a, const char *site, const char *gfx, bool native);
void py_torch_envs_free(py_audit *a);

/*
 * Pair "remove the override" with what then runs: append to the fix of
 * device.rdna1 and env.override-gfx, per environment, whether its torch
 * has code for the card's own target. Returns 0 or -ENOMEM.
 */
int py_advice_apply(py_audit *a);

/* A Python file (sitecustomize.py in /usr/lib/python3.X, ...) checked on its own. */
int py_customize_scan(py_audit *a, const py_site *s, const char *name);

/*
 * MIOpen user databases and kernel caches in h (~/.config/miopen,
 * ~/.cache/miopen) whose names say they were built for a gfx target that
 * none of targets[] is. Returns 0 or -ENOMEM.
 */
int miopen_cache_check_home(py_audit *a, const home *h, const char *const *targets, size_t n_targets);
