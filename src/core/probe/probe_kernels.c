/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel side on disk: for every installed kernel, the amdgpu that
 * modprobe would load (libkmod over that kernel's modules.dep, which depmod
 * wrote in its depmod.d search order: updates/ before kernel/), the other
 * amdgpu files beside it, the amdgpu inside its initramfs, and the modules
 * DKMS built. Every module is scanned by content (markers, build-id,
 * srcversion) through the scan cache.
 */
#include <fcntl.h>
#include <libkmod.h>

#include "base/util.h"
#include "parse/initramfs.h"
#include "probe/facts.h"

#define MAX_KERNELS 64
#define MAX_MODULE_FILES 64

typedef struct scan_ctx {
        const kernels_probe_input *in;
        kernel_scan *out;
        ko_cache *cache;
        const char *const *markers;
        size_t n_markers;
} scan_ctx;

const char *module_place_to_string(module_place p)
{
        static const char *const table[_PLACE_MAX] = {
                [PLACE_DKMS_BUILD] = "dkms-build",
                [PLACE_INSTALLED] = "installed",
                [PLACE_OTHER] = "other",
                [PLACE_INITRAMFS] = "initramfs",
        };
        return p >= 0 && p < _PLACE_MAX ? table[p] : NULL;
}

static scanned_module *add_scanned(kernel_scan *in, const char *path, const char *member,
                                   const char *kernel, module_place place, bool in_tree)
{
        scanned_module *m, *grown;

        grown = realloc(in->modules, (in->n_modules + 1) * sizeof(scanned_module));
        if (!grown)
                return NULL;
        in->modules = grown;
        m = &in->modules[in->n_modules];
        *m = (scanned_module){
                .path = strdup(path),
                .member = member ? strdup(member) : NULL,
                .kernel = kernel ? strdup(kernel) : NULL,
                .place = place,
                .in_tree = in_tree,
        };
        if (!m->path || (member && !m->member) || (kernel && !m->kernel)) {
                free(m->path);
                free(m->member);
                free(m->kernel);
                return NULL;
        }
        in->n_modules++;
        return m;
}

/* Scan one module file through the cache; failures become reasons. */
static int scan_module_file(scan_ctx *sc, const char *path, const char *kernel, module_place place,
                            bool in_tree)
{
        _cleanup_close_ int fd = -EBADF;
        scanned_module *m;
        struct stat st;
        ko_info info = {0};
        int r;

        /* The same file may be reached twice (installed and "other"). */
        for (size_t i = 0; i < sc->out->n_modules; i++)
                if (!sc->out->modules[i].member && streq(sc->out->modules[i].path, path) &&
                    sc->out->modules[i].place == place)
                        return 0;

        fd = sysroot_open_regular(sc->in->sr, path);
        if (fd < 0)
                return report_add_reason_errno(sc->in->report, "modules", path, fd, true);
        if (fstat(fd, &st) < 0)
                return report_add_reason_errno(sc->in->report, "modules", path, -errno, true);

        r = sc->cache ? ko_cache_lookup(sc->cache, path, &st, &info) : 0;
        if (r <= 0) {
                r = ko_scan_fd(fd, sc->markers, sc->n_markers, &info);
                if (r < 0) {
                        ko_info_clear(&info);
                        return report_add_reason_errno(sc->in->report, "modules", path, r, true);
                }
                if (sc->cache)
                        (void)ko_cache_store(sc->cache, path, &st, &info); /* a cache miss costs time, not truth */
        }
        m = add_scanned(sc->out, path, NULL, kernel, place, in_tree);
        if (!m) {
                ko_info_clear(&info);
                return -ENOMEM;
        }
        m->info = info;
        return 0;
}

/* The relative module path from modules.dep, when libkmod resolves one. */
static char *kmod_resolve(const sysroot *sr, const char *kernel, report *r)
{
        _cleanup_free_ char *dir = strdup_printf("/lib/modules/%s", kernel);
        _cleanup_free_ char *dep = strdup_printf("/lib/modules/%s/modules.dep.bin", kernel);
        _cleanup_free_ char *host = NULL;
        const char *const no_config[] = {NULL};
        struct kmod_list *list = NULL, *l;
        struct kmod_ctx *ctx;
        char *result = NULL;
        size_t prefix;

        if (!dir || !dep)
                return NULL;
        /* libkmod opens files by host path: only hand over a contained tree. */
        if (!sysroot_path_is_contained(sr, dir) ||
            (sysroot_exists(sr, dep) && !sysroot_path_is_contained(sr, dep))) {
                report_add_reason(r, "modules", dir, "symbolic link leaves the inspected root", true);
                return NULL;
        }
        host = sysroot_host_path(sr, dir);
        if (!host)
                return NULL;
        ctx = kmod_new(host, no_config);
        if (!ctx)
                return NULL;
        kmod_set_log_priority(ctx, 0);
        if (kmod_module_new_from_lookup(ctx, "amdgpu", &list) == 0) {
                kmod_list_foreach(l, list)
                {
                        struct kmod_module *mod = kmod_module_get_module(l);
                        const char *p = kmod_module_get_path(mod);

                        if (p && !result && streq(kmod_module_get_name(mod), "amdgpu")) {
                                prefix = strlen(host);
                                if (strncmp(p, host, prefix) == 0)
                                        result = strdup_printf("%s%s", dir, p + prefix);
                        }
                        kmod_module_unref(mod);
                }
                kmod_module_unref_list(list);
        }
        kmod_unref(ctx);
        return result;
}

/* Without a usable modules.dep: the depmod default order, updates/ first. */
static char *fallback_resolve(const sysroot *sr, const char *kernel)
{
        static const char *const dirs[] = {"updates/dkms", "updates", "kernel/drivers/gpu/drm/amd/amdgpu"};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                for (const char *const *s = ko_suffixes; *s; s++) {
                        char *p = strdup_printf("/lib/modules/%s/%s/amdgpu%s", kernel, dirs[i], *s);

                        if (!p)
                                return NULL;
                        if (sysroot_exists(sr, p))
                                return p;
                        free(p);
                }
        return NULL;
}

/* Every amdgpu file under the two places DKMS and the distribution use. */
static int scan_other_modules(scan_ctx *sc, const char *kernel)
{
        static const char *const dirs[] = {"updates/dkms", "updates", "kernel/drivers/gpu/drm/amd/amdgpu"};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *dir = strdup_printf("/lib/modules/%s/%s", kernel, dirs[i]);
                char **names = NULL;
                size_t n;
                int r;

                if (!dir)
                        return -ENOMEM;
                if (sysroot_list_dir(sc->in->sr, dir, 4096, &names, &n, NULL) < 0)
                        continue;
                for (size_t j = 0; j < n; j++) {
                        _cleanup_free_ char *p = NULL;

                        if (!ko_name_is_module_of(names[j], "amdgpu"))
                                continue;
                        p = strdup_printf("%s/%s", dir, names[j]);
                        r = p ? scan_module_file(sc, p, kernel, PLACE_OTHER, startswith(dirs[i], "kernel/") != NULL)
                              : -ENOMEM;
                        if (r < 0) {
                                strv_free_array(names);
                                return r;
                        }
                }
                strv_free_array(names);
        }
        return 0;
}

typedef struct initramfs_cb_data {
        scan_ctx *sc;
        const char *image;
        const char *kernel;
        strv members;
} initramfs_cb_data;

static int on_initramfs_module(const char *name, const ko_info *info, void *userdata)
{
        initramfs_cb_data *d = userdata;
        scanned_module *m = add_scanned(d->sc->out, d->image, name, d->kernel, PLACE_INITRAMFS,
                                        strstr(name, "/kernel/drivers/") != NULL);

        if (!m || ko_info_copy(info, &m->info) < 0)
                return -ENOMEM;
        return strv_push_dup(&d->members, name);
}

/*
 * Initramfs results are cached under "IMAGE#MEMBER" keys, with an index
 * entry "IMAGE#" whose name field lists the members, one per line.
 */
static int initramfs_from_cache(scan_ctx *sc, const char *image, const char *kernel, const struct stat *st)
{
        _cleanup_free_ char *key = strdup_printf("%s#", image);
        ko_info index = {0};
        char *save = NULL, *member;
        int r;

        if (!key || !sc->cache || ko_cache_lookup(sc->cache, key, st, &index) <= 0)
                return 0;
        for (member = index.name ? strtok_r(index.name, "\n", &save) : NULL; member;
             member = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *k = strdup_printf("%s#%s", image, member);
                ko_info info = {0};
                scanned_module *m;

                if (!k || ko_cache_lookup(sc->cache, k, st, &info) <= 0) {
                        ko_info_clear(&index);
                        return 0; /* incomplete: rescan */
                }
                m = add_scanned(sc->out, image, member, kernel, PLACE_INITRAMFS,
                                strstr(member, "/kernel/drivers/") != NULL);
                if (!m) {
                        ko_info_clear(&info);
                        ko_info_clear(&index);
                        return -ENOMEM;
                }
                m->info = info;
        }
        ko_info_clear(&index);
        r = 1;
        return r;
}

static int scan_initramfs(scan_ctx *sc, kernel_facts *k)
{
        static const char *const patterns[] = {"/boot/initrd.img-%s", "/boot/initramfs-%s.img"};
        initramfs_cb_data d = {.sc = sc, .kernel = k->version};
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t first;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(patterns) && !k->initramfs_path; i++) {
                _cleanup_free_ char *p = strdup_printf(patterns[i], k->version);

                if (!p)
                        return -ENOMEM;
                if (sysroot_exists(sc->in->sr, p))
                        k->initramfs_path = TAKE_PTR(p);
        }
        if (!k->initramfs_path)
                return 0;

        fd = sysroot_open_regular(sc->in->sr, k->initramfs_path);
        if (fd < 0 || fstat(fd, &st) < 0) {
                k->initramfs_error = fd < 0 ? fd : -errno;
                return report_add_reason_errno(sc->in->report, "initramfs", k->initramfs_path,
                                               k->initramfs_error, true);
        }
        r = initramfs_from_cache(sc, k->initramfs_path, k->version, &st);
        if (r != 0)
                return r < 0 ? r : 0;

        first = sc->out->n_modules;
        d.image = k->initramfs_path;
        r = initramfs_scan_fd(fd, sc->markers, sc->n_markers, on_initramfs_module, &d);
        if (r < 0) {
                strv_clear(&d.members);
                if (r == -ENOMEM)
                        return r;
                k->initramfs_error = r;
                return report_add_reason_errno(sc->in->report, "initramfs", k->initramfs_path, r, true);
        }
        if (sc->cache) {
                _cleanup_free_ char *key = strdup_printf("%s#", k->initramfs_path);
                ko_info index = {0};
                size_t len = 0;

                for (size_t i = 0; i < d.members.n; i++)
                        len += strlen(d.members.items[i]) + 1;
                index.name = calloc(1, len + 1);
                for (size_t i = 0; index.name && i < d.members.n; i++) {
                        strcat(index.name, d.members.items[i]);
                        strcat(index.name, "\n");
                }
                for (size_t i = first; i < sc->out->n_modules; i++) {
                        _cleanup_free_ char *mk = strdup_printf("%s#%s", k->initramfs_path,
                                                                sc->out->modules[i].member);
                        if (mk)
                                (void)ko_cache_store(sc->cache, mk, &st, &sc->out->modules[i].info);
                }
                if (key && index.name)
                        (void)ko_cache_store(sc->cache, key, &st, &index);
                ko_info_clear(&index);
        }
        strv_clear(&d.members);
        return 0;
}

static int probe_one_kernel(scan_ctx *sc, kernel_facts *k)
{
        _cleanup_free_ char *image = strdup_printf("/boot/vmlinuz-%s", k->version);
        int r;

        if (!image)
                return -ENOMEM;
        k->has_image = sysroot_exists(sc->in->sr, image);
        k->running = streq_ptr(k->version, sc->in->osrelease);

        k->module_path = kmod_resolve(sc->in->sr, k->version, sc->in->report);
        if (!k->module_path)
                k->module_path = fallback_resolve(sc->in->sr, k->version);
        if (k->module_path) {
                _cleanup_free_ char *intree = strdup_printf("/lib/modules/%s/kernel/", k->version);

                k->module_in_tree = intree && startswith(k->module_path, intree);
                r = scan_module_file(sc, k->module_path, k->version, PLACE_INSTALLED, k->module_in_tree);
                if (r < 0)
                        return r;
        }
        r = scan_other_modules(sc, k->version);
        if (r < 0)
                return r;
        return scan_initramfs(sc, k);
}

static int scan_dkms_builds(scan_ctx *sc)
{
        const dkms_facts *f = sc->in->dkms;

        for (size_t i = 0; f && i < f->n_builds; i++)
                for (size_t j = 0; j < f->builds[i].n_module_files; j++) {
                        const char *p = f->builds[i].module_files[j];
                        int r;

                        /* Only amdgpu carries KFD; its siblings (amdttm, ...) do not. */
                        if (!ko_name_is_module_of(p, "amdgpu"))
                                continue;
                        r = scan_module_file(sc, p, f->builds[i].kernel, PLACE_DKMS_BUILD, false);
                        if (r < 0)
                                return r;
                }
        return 0;
}

int kernels_probe(const kernels_probe_input *in, kernel_scan *ret)
{
        scan_ctx sc = {.in = in, .out = ret, .cache = in->cache,
                       .markers = in->markers, .n_markers = in->n_markers < KO_MAX_MARKERS ? in->n_markers : KO_MAX_MARKERS};
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        int r;

        *ret = (kernel_scan){0};
        r = sysroot_list_dir(in->sr, "/lib/modules", MAX_KERNELS, &names, &n, &truncated);
        if (r == -ENOENT)
                r = 0;
        else if (r < 0)
                report_add_reason_errno(in->report, "modules", "/lib/modules", r, true), r = 0;
        else if (truncated)
                report_add_reason(in->report, "modules", "/lib/modules", "too many kernels, only the first were checked", true);

        if (names)
                qsort(names, n, sizeof(char *), strcmp_ptr);
        ret->kernels = calloc(n ? n : 1, sizeof(kernel_facts));
        if (!ret->kernels)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *p = strdup_printf("/lib/modules/%s", names[i]);
                struct stat st;

                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                /* A kernel is a directory with its own modules (not "build" links of headers). */
                if (sysroot_stat(in->sr, p, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                ret->kernels[ret->n_kernels].version = strdup(names[i]);
                if (!ret->kernels[ret->n_kernels].version) {
                        r = -ENOMEM;
                        break;
                }
                r = probe_one_kernel(&sc, &ret->kernels[ret->n_kernels++]);
        }
        strv_free_array(names);
        if (r >= 0)
                r = scan_dkms_builds(&sc);
        return r < 0 ? r : 0;
}

void kernel_scan_clear(kernel_scan *k)
{
        for (size_t i = 0; i < k->n_kernels; i++) {
                free(k->kernels[i].version);
                free(k->kernels[i].module_path);
                free(k->kernels[i].initramfs_path);
        }
        free(k->kernels);
        for (size_t i = 0; i < k->n_modules; i++) {
                free(k->modules[i].path);
                free(k->modules[i].member);
                free(k->modules[i].kernel);
                ko_info_clear(&k->modules[i].info);
        }
        free(k->modules);
        *k = (kernel_scan){0};
}
