/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Python installs (python.startup-hook, python.modified-wheel-lib), the
 * GPU code of their torch (python.no-native-code, python.native-code) and
 * the MIOpen caches beside them (leftover.miopen-cache).
 *
 * Where Python looks: the system's site/dist-packages under /usr/lib,
 * /usr/lib64 and /usr/local/lib; and, unless --system-only, for root and
 * every user with a home: ~/.local/lib/python3.X/site-packages, the venvs
 * (a pyvenv.cfg) and conda environments (a conda-meta/) found by a bounded
 * walk of the home, and the usual places those live. Everything under a
 * home is opened relative to it without following symlinks (homefile.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/python_audit.h"
#include "check/gpu_targets.h"
#include "parse/pyscan.h"
#include "probe/gpu_coverage.h"
#include "root/users.h"

/* The home walk that finds environments: deep enough for ~/src/proj/.venv, bounded in entries. */
#define ENV_WALK_DEPTH 4
#define ENV_WALK_ENTRIES 20000
#define PREFIXES_MAX 128
#define LIB_ENTRIES_MAX 256

static const char FIX_HOOK[] =
        "These lines run in every Python process of that installation, before your program. Remove the hook "
        "(or the lines shown) unless you added it on purpose, and set ROCm variables for one command instead "
        "('rdna1-doctor exec --profile NAME -- python3 ...').";
/*
 * PyTorch's ROCm wheels (VERSION+rocmX.Y) come from its own index,
 * https://download.pytorch.org/whl/rocmX.Y (pytorch.github.io
 * published_versions.json: "pip3 install torch ... --index-url
 * https://download.pytorch.org/whl/..."): PyPI has no such version.
 */
static const char FIX_WHEEL[] =
        "A library inside the wheel was replaced (a patched or copied-in build). Reinstall the wheel in that "
        "environment from the index it came from to get the published bytes back: 'pip install "
        "--force-reinstall --no-deps PACKAGE==VERSION', with '--index-url https://download.pytorch.org/whl/rocmX.Y' "
        "for a PyTorch ROCm wheel (a version ending in +rocmX.Y).";
static const char FIX_MIOPEN[] =
        "MIOpen built these for another GPU target, usually while HSA_OVERRIDE_GFX_VERSION was set. Delete them "
        "(MIOpen rebuilds what it needs for this card) so they cannot come back into use with the override.";

/*
 * Sources (each claim below states what its source says):
 *   PYTORCH_ROCM_ARCH "specify which AMD GPU targets to build for": PyTorch's setup.py,
 *     https://github.com/pytorch/pytorch/blob/main/setup.py (added by pytorch/pytorch#61706)
 *   TheRock declares gfx1010 ("AMD RX 5700"), gfx1011 and gfx1012 ("AMD RX 5500") in its
 *     gfx101X-dgpu family: https://github.com/ROCm/TheRock/blob/main/cmake/therock_amdgpu_targets.cmake
 *   Debian's ROCm packages are built for "central lists which are maintained per-distribution by
 *     the Debian ROCm Team": rocm-target-arch(1), pkg-rocm-tools
 *   HSA_OVERRIDE_GFX_VERSION makes the runtime report another gfx version for the agent, and so load
 *     that target's code objects: ROCR-Runtime, https://github.com/ROCm/ROCR-Runtime (libhsakmt topology.c)
 * (docs/DOMAIN.md §8, §18)
 */
static const char FIX_WAYS[] =
        "Ways to get code for %s: build PyTorch with PYTORCH_ROCM_ARCH=%s (PyTorch's setup.py: \"specify which "
        "AMD GPU targets to build for\", https://github.com/pytorch/pytorch/blob/main/setup.py); AMD's TheRock "
        "community builds, which declare a gfx101X-dgpu family of gfx1010, gfx1011 and gfx1012 "
        "(https://github.com/ROCm/TheRock/blob/main/cmake/therock_amdgpu_targets.cmake); or the distribution's "
        "ROCm packages where its target list includes %s (Debian's are built for a per-distribution list kept "
        "by the Debian ROCm Team, rocm-target-arch(1)). HSA_OVERRIDE_GFX_VERSION is not one of them: it adds "
        "no code, it makes the ROCm runtime present the card as another target (libhsakmt topology.c, "
        "https://github.com/ROCm/ROCR-Runtime).";
static const char FIX_NO_NATIVE[] =
        "This torch carries GPU code only for the targets listed, none of them this card's own (%s), so it "
        "cannot use the card as itself (kernels fail to launch). %s Then run it without the override.";
static const char FIX_NO_NATIVE_OVERRIDE[] =
        "An HSA_OVERRIDE_GFX_VERSION setting was found on this machine (env.override-gfx): with it, this torch "
        "runs another target's GPU code on this card; without it, it cannot use the card at all, because it "
        "carries no code for the card's own target (%s). %s Then remove the override.";
static const char FIX_NATIVE[] =
        "Nothing to do: this torch carries GPU code for the card's own target and runs on it without "
        "HSA_OVERRIDE_GFX_VERSION.";

/* Dirs the environment walk does not enter: big, and never the home of a venv. */
static const char *const walk_skip[] = {
        "lib", "lib64", "include", "share", "pkgs", "bin", "sbin", "node_modules", "site-packages",
        "dist-packages", "__pycache__", ".git", ".cache", ".local", ".config", ".npm", ".cargo", ".rustup",
        ".mozilla", ".thunderbird", ".steam", ".wine", ".var", ".vscode", ".vscode-server", ".gradle", ".m2",
        ".ccache", ".ollama", ".gnupg", ".ssh", ".pki", "snap",
};

/*
 * Where environments usually are, looked at before the bounded walk so that
 * a home full of data cannot hide them: directories that are an environment
 * themselves, and containers whose subdirectories are (one level deep).
 */
static const char *const env_direct[] = {
        "venv", ".venv", "env", "miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba",
};
static const char *const env_containers[] = {
        "venvs", ".venvs", "envs", ".virtualenvs", ".local/share/virtualenvs", ".local/share/pipx/venvs",
        ".pyenv/versions", ".conda/envs", "miniconda3/envs", "anaconda3/envs", "miniforge3/envs",
        "mambaforge/envs", "micromamba/envs",
};

/* ---- system trees ---- */

static int scan_system_lib(py_audit *a, const char *libdir)
{
        char **names = NULL;
        size_t n = 0;
        bool truncated;
        int k;

        k = sysroot_list_dir(a->in->sr, libdir, LIB_ENTRIES_MAX * 16, &names, &n, &truncated);
        if (k == -ENOENT || k == -ENOTDIR)
                return 0;
        if (k < 0) {
                report_add_reason_errno(a->in->report, "python", libdir, k, false);
                return k == -ENOMEM ? k : 0;
        }
        for (size_t i = 0; i < n && k >= 0; i++) {
                static const char *const kinds[] = { "site-packages", "dist-packages" };
                _cleanup_free_ char *pydir = NULL;

                if (!startswith(names[i], "python3"))
                        continue;
                pydir = strdup_printf("%s/%s", libdir, names[i]);
                if (!pydir) {
                        k = -ENOMEM;
                        break;
                }
                /* sitecustomize.py may sit beside the standard library (Debian links it to /etc). */
                {
                        const py_site s = { .path = pydir };
                        k = py_customize_scan(a, &s, "sitecustomize.py");
                }
                for (size_t j = 0; j < ELEMENTSOF(kinds) && k >= 0; j++) {
                        _cleanup_free_ char *path = strdup_printf("%s/%s", pydir, kinds[j]);
                        const py_site s = { .path = path };

                        if (!path) {
                                k = -ENOMEM;
                                break;
                        }
                        k = py_site_scan(a, &s);
                }
        }
        strv_free_array(names);
        return k < 0 ? k : 0;
}

static int scan_system(py_audit *a)
{
        static const char *const libdirs[] = { "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64" };

        for (size_t i = 0; i < ELEMENTSOF(libdirs); i++) {
                int k = scan_system_lib(a, libdirs[i]);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- under a home ---- */

/* The names in a directory beneath the home (no symlink followed), at most max. */
static int home_list(const home *h, const char *rel, size_t max, strv *ret)
{
        _cleanup_close_ int fd = home_openat(h, rel, O_RDONLY | O_DIRECTORY);
        struct dirent *de;
        DIR *d;
        int k = 0;

        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF;
        while ((de = readdir(d)) && ret->n < max) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                k = strv_push_dup(ret, de->d_name);
                if (k < 0)
                        break;
        }
        closedir(d);
        return k;
}

/* Every lib/python3.X/site-packages of a prefix (the home itself when prefix is ""). */
static int scan_prefix(py_audit *a, const home *h, const char *prefix)
{
        static const char *const libs[] = { "lib", "lib64" };
        int k = 0;

        for (size_t i = 0; i < ELEMENTSOF(libs) && k >= 0; i++) {
                _cleanup_free_ char *librel = prefix[0] ? strdup_printf("%s/%s", prefix, libs[i]) : strdup(libs[i]);
                strv names = {0};

                if (!librel)
                        return -ENOMEM;
                k = home_list(h, librel, LIB_ENTRIES_MAX, &names);
                if (k < 0) {
                        strv_clear(&names);
                        if (k == -ENOMEM)
                                return k;
                        /* lib64 -> lib is a symlink in every venv: not followed, and not needed */
                        if (k != -ENOENT && k != -ENOTDIR && k != -ELOOP) {
                                _cleanup_free_ char *path = home_path(h, librel);
                                report_add_reason_errno(a->in->report, "python", path, k, false);
                        }
                        k = 0;
                        continue;
                }
                for (size_t j = 0; j < names.n && k >= 0; j++) {
                        _cleanup_free_ char *rel = NULL, *path = NULL;

                        if (!startswith(names.items[j], "python3"))
                                continue;
                        rel = strdup_printf("%s/%s/site-packages", librel, names.items[j]);
                        path = rel ? home_path(h, rel) : NULL;
                        if (!path) {
                                k = -ENOMEM;
                                break;
                        }
                        k = py_site_scan(a, &(py_site){ .h = h, .rel = rel, .path = path });
                }
                strv_clear(&names);
        }
        return k;
}

typedef struct env_walk {
        const char *start;      /* the walk's start, relative to the home ("" for the home) */
        strv prefixes;          /* relative to the home */
        bool full;
        int error;
} env_walk;

static int add_prefix(env_walk *w, const char *relpath, const char *name)
{
        size_t l = strlen(relpath) - strlen(name);
        _cleanup_free_ char *dir = strndup(relpath, l > 0 ? l - 1 : 0);
        _cleanup_free_ char *prefix = NULL;

        if (!dir)
                return -ENOMEM;
        /* home_walk() gives paths relative to the home (its start included); be robust to either. */
        if (!w->start[0] || (startswith(dir, w->start) && dir[strlen(w->start)] == '/'))
                prefix = TAKE_PTR(dir);
        else
                prefix = dir[0] ? strdup_printf("%s/%s", w->start, dir) : strdup(w->start);
        if (!prefix)
                return -ENOMEM;
        if (strv_contains(&w->prefixes, prefix))
                return 0;
        if (w->prefixes.n >= PREFIXES_MAX) {
                w->full = true;
                return 0;
        }
        return strv_push(&w->prefixes, TAKE_PTR(prefix));
}

static int on_home_entry(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                         void *userdata)
{
        env_walk *w = userdata;
        int k;

        if (S_ISREG(st->st_mode) && streq(name, "pyvenv.cfg")) {
                k = add_prefix(w, relpath, name);
                return k < 0 ? (w->error = k) : WALK_CONTINUE;
        }
        if (!S_ISDIR(st->st_mode))
                return WALK_CONTINUE;
        if (streq(name, "conda-meta")) {
                k = add_prefix(w, relpath, name);
                return k < 0 ? (w->error = k) : WALK_SKIP;
        }
        for (size_t i = 0; i < ELEMENTSOF(walk_skip); i++)
                if (streq(name, walk_skip[i]))
                        return WALK_SKIP;
        return WALK_CONTINUE;
}

/* Is rel itself a venv (pyvenv.cfg) or a conda prefix (conda-meta/)? */
static int probe_direct(const home *h, const char *rel, env_walk *w)
{
        static const struct {
                const char *name;
                mode_t type;
        } marks[] = { { "pyvenv.cfg", S_IFREG }, { "conda-meta", S_IFDIR } };

        for (size_t i = 0; i < ELEMENTSOF(marks); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", rel, marks[i].name);
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (!p)
                        return -ENOMEM;
                fd = home_openat(h, p, O_PATH);
                if (fd < 0 || fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != marks[i].type)
                        continue;
                w->start = "";
                return add_prefix(w, p, marks[i].name);
        }
        return 0;
}

static int scan_home(py_audit *a, const home *h, const char *const *targets, size_t n_targets)
{
        env_walk w = { .start = "" };
        walk_limits lim = { .max_depth = ENV_WALK_DEPTH, .max_entries = ENV_WALK_ENTRIES };
        int k;

        /* ~/.local (pip install --user; usercustomize.py lives here) */
        k = scan_prefix(a, h, ".local");
        if (k == -ENOMEM)
                return k;

        /* the usual places first, then a bounded walk of the home */
        for (size_t i = 0; i < ELEMENTSOF(env_direct); i++) {
                k = probe_direct(h, env_direct[i], &w);
                if (k < 0)
                        goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(env_containers); i++) {
                walk_limits one = { .max_depth = 1, .max_entries = ENV_WALK_ENTRIES };

                w.start = env_containers[i];
                k = home_walk(h, env_containers[i], &one, on_home_entry, &w, a->in->report, "python", NULL);
                if (k == -ENOMEM || w.error == -ENOMEM)
                        goto out;
        }
        w.start = "";
        k = home_walk(h, "", &lim, on_home_entry, &w, a->in->report, "python", NULL);
        if (k == -ENOMEM || w.error == -ENOMEM)
                goto out;
        if (w.full) {
                k = report_add_reason(a->in->report, "python", h->path,
                                      "more than 128 Python environments: the rest were not checked", false);
                if (k < 0)
                        goto out;
        }
        a->stats.prefixes += w.prefixes.n;
        for (size_t i = 0; i < w.prefixes.n; i++) {
                k = scan_prefix(a, h, w.prefixes.items[i]);
                if (k < 0)
                        goto out;
        }
        k = miopen_cache_check_home(a, h, targets, n_targets);
out:
        strv_clear(&w.prefixes);
        if (w.error == -ENOMEM)
                k = -ENOMEM;
        return k == -ENOMEM ? k : 0;
}

static int scan_homes(py_audit *a, const char *const *targets, size_t n_targets)
{
        root_users *users = NULL;
        int k;

        k = root_users_load(a->in->sr, USERS_WITH_HOME, &users);
        if (k == -ENOENT)
                return 0;
        if (k < 0) {
                report_add_reason_errno(a->in->report, "python", "/etc/passwd", k, false);
                return k == -ENOMEM ? k : 0;
        }
        for (size_t i = 0; i < users->n; i++) {
                home *h = NULL;

                k = home_open(a->in->sr, &users->users[i], &h);
                if (k == -ENOMEM)
                        break;
                if (k < 0) {
                        if (k != -ENOENT && k != -ENOTDIR)
                                report_add_reason_errno(a->in->report, "python", users->users[i].home, k, false);
                        k = 0;
                        continue;
                }
                k = scan_home(a, h, targets, n_targets);
                home_free(h);
                if (k < 0)
                        break;
        }
        root_users_free(users);
        return k < 0 ? k : 0;
}

/* The gfx targets of this machine's AMD GPUs, each once. */
static void finish_finding(py_finding *pf)
{
        _cleanup_free_ char *more = NULL;

        if (!pf->f || pf->n_dropped == 0)
                return;
        more = strdup_printf("... and %zu more", pf->n_dropped);
        if (more)
                (void)finding_add_evidence(pf->f, NULL, 0, more);
}

int rules_python_apply(inspection *in)
{
        py_audit a = {
                .in = in,
                .hook = { .id = "python.startup-hook", .sev = SEVERITY_WARNING, .fix = FIX_HOOK,
                          .title = "Python startup hooks touch the ROCm stack" },
                .wheel = { .id = "python.modified-wheel-lib", .sev = SEVERITY_WARNING, .fix = FIX_WHEEL,
                           .title = "ROCm libraries inside Python wheels differ from the wheel's RECORD" },
                .miopen = { .id = "leftover.miopen-cache", .sev = SEVERITY_INFO, .fix = FIX_MIOPEN,
                            .title = "MIOpen caches built for another GPU target" },
                .no_native = { .id = "python.no-native-code", .sev = SEVERITY_WARNING,
                               .title = "A Python environment's torch has no GPU code for this RDNA1 card" },
                .native = { .id = "python.native-code", .sev = SEVERITY_INFO, .fix = FIX_NATIVE,
                            .title = "A Python environment's torch has GPU code for this RDNA1 card" },
        };
        const char *targets[16];
        size_t n_targets = inspection_gfx_targets(in, targets, ELEMENTSOF(targets));
        _cleanup_free_ char *own = NULL, *ways = NULL, *no_native_fix = NULL;
        bool override = false;
        int k;

        a.targets = targets;
        a.n_targets = n_targets;
        /* the card's own targets, named in the fix ("gfx1012", "gfx1010 or gfx1012") */
        for (size_t i = 0; i < n_targets; i++) {
                char *n;

                if (!gpu_target_is_rdna1(targets[i]))
                        continue;
                n = own ? strdup_printf("%s or %s", own, targets[i]) : strdup(targets[i]);
                if (!n)
                        return -ENOMEM;
                free(own);
                own = n;
        }
        if (!own && !(own = strdup(GPU_TARGET_DEFAULT)))
                return -ENOMEM;
        /* rules_env ran before: an override it found reaches Python processes started from those files */
        for (size_t i = 0; i < in->report->n_findings; i++)
                override = override || streq(in->report->findings[i].id, "env.override-gfx");
        ways = strdup_printf(FIX_WAYS, own, own, own);
        no_native_fix = ways ? strdup_printf(override ? FIX_NO_NATIVE_OVERRIDE : FIX_NO_NATIVE, own, ways) : NULL;
        if (!no_native_fix)
                return -ENOMEM;
        a.no_native.fix = no_native_fix;
        if (override) {
                a.no_native.sev = SEVERITY_CRITICAL;
                a.no_native.title = "A Python environment's torch has no GPU code for this RDNA1 card, "
                                    "and an override makes it run another target's code";
        }

        k = scan_system(&a);
        if (k >= 0 && !(in->opts && in->opts->system_only))
                k = scan_homes(&a, targets, n_targets);
        finish_finding(&a.hook);
        finish_finding(&a.wheel);
        finish_finding(&a.miopen);
        finish_finding(&a.no_native);
        finish_finding(&a.native);
        if (k >= 0)
                k = py_advice_apply(&a);
        py_torch_envs_free(&a);
        free(a.seen);
        return k < 0 ? k : 0;
}
