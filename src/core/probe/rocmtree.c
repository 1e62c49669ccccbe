/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walks of the ROCm trees for files no package owns and patch leftovers.
 * Walks go by directory fd from a root opened through the sysroot, one
 * component at a time with O_NOFOLLOW (a symlink is an entry, never a
 * way out), stay on the root directory's file system, and stop at a
 * depth and an entry count that are recorded when reached.
 */
#include "probe/rocmtree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "base/util.h"

typedef struct walk_ctx {
        const pkgverify *pv;
        report *r;
        rocm_tree_facts *f;
        bool unowned;       /* report unowned files (ROCm trees), not only artifacts (DKMS sources) */
        dev_t dev;
        bool reported_unreadable;
} walk_ctx;

bool is_patch_artifact(const char *name)
{
        return endswith(name, ".orig") || endswith(name, ".rej") || endswith(name, ".bak") ||
                endswith(name, ".patch");
}

static void strv_array_free(char **a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(a[i]);
        free(a);
}

rocm_tree_facts *rocm_tree_facts_free(rocm_tree_facts *f)
{
        if (!f)
                return NULL;
        strv_array_free(f->unowned, f->n_unowned);
        strv_array_free(f->artifacts, f->n_artifacts);
        free(f);
        return NULL;
}

static int push(char ***a, size_t *n, const char *s)
{
        char **b = realloc(*a, (*n + 1) * sizeof(char *));

        if (!b)
                return -ENOMEM;
        *a = b;
        b[*n] = strdup(s);
        if (!b[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

static int walk(walk_ctx *w, int dfd, const char *path, unsigned depth)
{
        DIR *d;
        struct dirent *de;
        int fd, r = 0;

        fd = dup(dfd);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d))) {
                char child[PATH_MAX];
                struct stat st;
                int n;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (w->f->n_entries >= ROCM_WALK_MAX_ENTRIES) {
                        if (!w->f->truncated)
                                r = report_add_reason(w->r, "packages", path, "walk stopped at its entry bound", false);
                        w->f->truncated = true;
                        break;
                }
                w->f->n_entries++;
                n = snprintf(child, sizeof(child), "%s/%s", streq(path, "/") ? "" : path, de->d_name);
                if (n < 0 || (size_t)n >= sizeof(child))
                        continue; /* no such path on Linux */
                /* Only directories need their stat (file system, recursion). */
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        st.st_mode = S_IFREG;
                else if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* gone meanwhile */
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int cfd = -EBADF;

                        if (st.st_dev != w->dev)
                                continue; /* another file system mounted here */
                        if (depth + 1 > ROCM_WALK_MAX_DEPTH) {
                                if (!w->f->truncated)
                                        r = report_add_reason(w->r, "packages", child, "walk stopped at its depth bound",
                                                              false);
                                w->f->truncated = true;
                                continue;
                        }
                        cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0) {
                                if (!w->reported_unreadable)
                                        r = report_add_reason_errno(w->r, "packages", child, -errno, false);
                                w->reported_unreadable = true;
                                continue;
                        }
                        r = walk(w, cfd, child, depth + 1);
                        continue;
                }
                if (pkgverify_owns(w->pv, child))
                        continue;
                if (is_patch_artifact(de->d_name))
                        r = push(&w->f->artifacts, &w->f->n_artifacts, child);
                else if (w->unowned)
                        r = push(&w->f->unowned, &w->f->n_unowned, child);
        }
        closedir(d);
        return r;
}

static int walk_root(walk_ctx *w, const sysroot *sr, const char *path, bool unowned)
{
        _cleanup_close_ int fd = sysroot_openat(sr, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        struct stat st;

        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP ? 0 :
                        report_add_reason_errno(w->r, "packages", path, fd, false);
        if (fstat(fd, &st) < 0)
                return -errno;
        w->dev = st.st_dev;
        w->unowned = unowned;
        return walk(w, fd, path, 0);
}

/* Names in a directory that start with prefix and are real directories (not symlinks). */
static int dirs_with_prefix(const sysroot *sr, const char *dir, const char *prefix, char ***ret, size_t *ret_n)
{
        _cleanup_(strv_free_arrayp) char **names = NULL;
        char **out = NULL;
        size_t n = 0, n_out = 0;
        int r;

        r = sysroot_list_dir(sr, dir, 4096, &names, &n, NULL);
        if (r < 0)
                return r == -ENOENT || r == -ENOTDIR ? 0 : r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (!startswith(names[i], prefix))
                        continue;
                p = strdup_printf("%s/%s", dir, names[i]);
                if (!p)
                        goto oom;
                if (sysroot_lstat(sr, p, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (push(&out, &n_out, p) < 0)
                        goto oom;
        }
        *ret = out;
        *ret_n = n_out;
        return 0;
oom:
        strv_array_free(out, n_out);
        return -ENOMEM;
}

static const char *const rocm_dir_stems[] = {
        "rocm", "rocblas", "rocfft", "rocrand", "rocsolver", "rocsparse", "hipblas", "hipblaslt", "hipfft",
        "hipsparse", "hiprand", "miopen", "tensile", "rccl", "hip", "hsa",
};

/* The distribution's ROCm directories: owned directories named like a ROCm component. */
static bool is_rocm_dir_name(const char *path)
{
        const char *base = strrchr(path, '/');

        base = base ? base + 1 : path;
        for (size_t i = 0; i < ELEMENTSOF(rocm_dir_stems); i++)
                if (startswith(base, rocm_dir_stems[i]))
                        return true;
        return false;
}

int rocm_tree_walk(const sysroot *sr, const pkgverify *pv, report *r, rocm_tree_facts **ret)
{
        rocm_tree_facts *f = calloc(1, sizeof(*f));
        char **roots = NULL, **dkms = NULL;
        size_t n_roots = 0, n_dkms = 0;
        walk_ctx w;
        int k;

        if (!f)
                return -ENOMEM;
        w = (walk_ctx){.pv = pv, .r = r, .f = f};
        k = dirs_with_prefix(sr, "/opt", "rocm", &roots, &n_roots);
        if (k < 0)
                goto out;
        /* ROCm-named directories of the distribution's packages (/usr/lib/x86_64-linux-gnu/rocblas). */
        for (size_t i = 0; i < pv->owned.n_slots; i++) {
                const char *p = pv->owned.slots[i];
                struct stat st;

                if (!p || !(startswith(p, "/usr/lib/") || startswith(p, "/usr/share/") || startswith(p, "/usr/libexec/")) ||
                    startswith(p, "/usr/share/doc/") || !is_rocm_dir_name(p))
                        continue;
                if (sysroot_lstat(sr, p, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (push(&roots, &n_roots, p) < 0) {
                        k = -ENOMEM;
                        goto out;
                }
        }
        if (n_roots)
                qsort(roots, n_roots, sizeof(char *), strcmp_ptr);
        for (size_t i = 0; i < n_roots; i++) {
                const char *rest;

                /* nested in the previous walked root: already covered */
                if (i > 0 && (rest = startswith(roots[i], roots[i - 1])) && *rest == '/') {
                        free(roots[i]);
                        roots[i] = strdup(roots[i - 1]);
                        if (!roots[i]) {
                                k = -ENOMEM;
                                goto out;
                        }
                        continue;
                }
                if (i > 0 && streq(roots[i], roots[i - 1]))
                        continue;
                k = walk_root(&w, sr, roots[i], true);
                if (k < 0)
                        goto out;
        }
        k = dirs_with_prefix(sr, "/usr/src", "amdgpu-", &dkms, &n_dkms);
        for (size_t i = 0; k >= 0 && i < n_dkms; i++)
                k = walk_root(&w, sr, dkms[i], false);
out:
        strv_array_free(roots, n_roots);
        strv_array_free(dkms, n_dkms);
        if (k < 0) {
                rocm_tree_facts_free(f);
                return k;
        }
        if (f->n_unowned)
                qsort(f->unowned, f->n_unowned, sizeof(char *), strcmp_ptr);
        if (f->n_artifacts)
                qsort(f->artifacts, f->n_artifacts, sizeof(char *), strcmp_ptr);
        *ret = f;
        return 0;
}
