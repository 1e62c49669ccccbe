/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check/inspect.h"

#include <fcntl.h>

#include "base/util.h"
#include "parse/dpkg.h"
#include "watch/selftest_state.h"

#define DPKG_STATUS_MAX (256u * 1024 * 1024)

static bool dir_has_entries(const sysroot *sr, const char *path)
{
        char **names = NULL;
        size_t n = 0;

        if (sysroot_list_dir(sr, path, 1, &names, &n, NULL) < 0)
                return false;
        strv_free_array(names);
        return n > 0;
}

/* The Status: field of one package's stanza in the root's dpkg status file. */
static int dpkg_package_status(const sysroot *sr, report *r, const char *package, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        k = sysroot_read_file(sr, "/var/lib/dpkg/status", DPKG_STATUS_MAX, &buf, &len);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return report_add_reason_errno(r, "dpkg", "/var/lib/dpkg/status", k, false);
        k = dpkg_status_field(buf, len, package, "Status", ret);
        if (k == -EBADMSG)
                return report_add_reason_errno(r, "dpkg", "/var/lib/dpkg/status", k, false);
        return k < 0 ? k : 0;
}

static void map_devices_to_kfd(inspection *in)
{
        for (size_t i = 0; i < in->n_devices; i++) {
                gpu_device *g = &in->devices[i];
                const kfd_node *node;
                char buf[32];

                if (!in->kfd)
                        continue;
                node = kfd_find_node_for_pci(in->kfd, g->domain, g->bus, g->dev, g->fn);
                if (!node)
                        continue;
                g->kfd_node = (int)node->id;
                g->kfd_gfx_target_version = node->gfx_target_version;
                /* When KFD is up, it is the authority on the ISA target. */
                if (gfx_target_from_version(node->gfx_target_version, buf, sizeof(buf))) {
                        free(g->gfx_target);
                        g->gfx_target = strdup(buf);
                }
        }
}

static int collect_dyndbg_functions(inspection *in)
{
        in->dyndbg_functions = calloc(in->sigs->n + 1, sizeof(char *));
        if (!in->dyndbg_functions)
                return -ENOMEM;
        for (size_t i = 0, j = 0; i < in->sigs->n; i++)
                if (in->sigs->sigs[i].dyndbg_function)
                        in->dyndbg_functions[j++] = in->sigs->sigs[i].dyndbg_function;
        return 0;
}

static int probe_running_system(inspection *in)
{
        int r;

        r = sysroot_read_line(in->sr, "/proc/sys/kernel/osrelease", &in->osrelease);
        if (r < 0 && r != -ENOENT)
                report_add_reason_errno(in->report, "kernel", "/proc/sys/kernel/osrelease", r, true);
        r = pci_probe(in->sr, in->report, &in->devices, &in->n_devices);
        if (r < 0)
                return r;
        r = kfd_probe(in->sr, in->report, &in->kfd);
        if (r < 0)
                return r;
        r = module_probe(in->sr, in->report, in->dyndbg_functions, &in->module);
        if (r < 0)
                return r;
        r = taint_probe(in->sr, in->report, &in->taint);
        if (r < 0)
                return r;
        r = invoking_user_get(in->sr, &in->user);
        if (r < 0 && r != -ENOENT)
                report_add_reason_errno(in->report, "access", "/etc/passwd", r, false);
        map_devices_to_kfd(in);
        return 0;
}

/* The kernel side on disk, looked for with the signature db's module markers. */
static int probe_kernel_side(inspection *in)
{
        const char *markers[KO_MAX_MARKERS];
        kernels_probe_input pin = {
                .sr = in->sr, .report = in->report, .osrelease = in->osrelease,
                .dkms = in->dkms, .markers = markers, .cache = in->cache,
        };
        kernel_scan side;
        int r;

        for (size_t i = 0; in->sigs && i < in->sigs->n && pin.n_markers < KO_MAX_MARKERS; i++)
                if (in->sigs->sigs[i].ko_marker)
                        markers[pin.n_markers++] = in->sigs->sigs[i].ko_marker;
        r = kernels_probe(&pin, &side);
        in->kernels = side.kernels;
        in->n_kernels = side.n_kernels;
        in->modules = side.modules;
        in->n_modules = side.n_modules;
        return r;
}

int inspect_run(const inspect_options *opts, inspection **ret)
{
        _cleanup_free_ char *sigdir = NULL;
        inspection *in;
        int r;

        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->report = report_new();
        if (!in->report) {
                free(in);
                return -ENOMEM;
        }
        in->opts = opts;
        r = sysroot_open(opts->root ? opts->root : "/", &in->sr);
        if (r < 0)
                goto fail;

        sigdir = strdup_printf("%s/signatures", opts->datadir);
        if (!sigdir) {
                r = -ENOMEM;
                goto fail;
        }
        r = signature_db_load(sigdir, &in->sigs);
        if (r < 0) {
                /* The tool's own data is broken or missing: refuse rather than report "clean". */
                if (r != -ENOMEM)
                        r = -EBADMSG;
                goto fail;
        }
        r = collect_dyndbg_functions(in);
        if (r < 0)
                goto fail;

        in->live = dir_has_entries(in->sr, "/proc") || dir_has_entries(in->sr, "/sys");
        if (in->live) {
                r = probe_running_system(in);
                if (r < 0)
                        goto fail;
        } else if (!sysroot_exists(in->sr, "/etc") && !sysroot_exists(in->sr, "/usr")) {
                /* An empty mount point is not a clean system. */
                report_add_reason(in->report, "root", "/", "does not look like a Linux root (no /etc, no /usr): "
                                  "is the file system mounted?", true);
        } else
                report_add_note(in->report, "%s has no running system (empty /proc and /sys): the loaded module, "
                                "KFD and devices were not checked", in->sr->path);

        /* modprobe.d is on disk: read it even without a running system. */
        r = cmdline_probe(in->sr, in->report, &in->cmdline);
        if (r < 0)
                goto fail;
        r = dkms_probe(in->sr, in->report, &in->dkms);
        if (r < 0)
                goto fail;
        r = dpkg_package_status(in->sr, in->report, "amdgpu-dkms", &in->dkms_package_status);
        if (r < 0)
                goto fail;
        if (opts->cache_path) {
                const char *markers[KO_MAX_MARKERS];
                size_t n = 0;

                for (size_t i = 0; i < in->sigs->n && n < KO_MAX_MARKERS; i++)
                        if (in->sigs->sigs[i].ko_marker)
                                markers[n++] = in->sigs->sigs[i].ko_marker;
                if (ko_cache_open(opts->cache_path, markers, n, &in->cache) < 0)
                        in->cache = NULL; /* an unusable cache only costs time */
        }
        r = probe_kernel_side(in);
        if (r < 0)
                goto fail;
        r = rules_kernel_apply(in);
        if (r < 0)
                goto fail;
        r = rules_runtime_apply(in);
        if (r < 0)
                goto fail;
        r = rules_env_apply(in);
        if (r < 0)
                goto fail;
        r = rules_python_apply(in);
        if (r < 0)
                goto fail;
        {
                _cleanup_free_ char *state_path = NULL;
                _cleanup_close_ int state_fd = selftest_dir_open(in->sr, opts->state_dir, false, &state_path);

                r = rules_selftest_apply(in, state_fd, state_path);
                if (r < 0)
                        goto fail;
        }
        if (in->cache)
                (void)ko_cache_save(in->cache); /* a cache that cannot be written only costs time */
        report_sort(in->report);
        in->opts = NULL;
        *ret = in;
        return 0;
fail:
        inspection_free(in);
        return r;
}

int state_subdir_open(const sysroot *sr, const char *state_dir, const char *sub, bool create, char **ret_path)
{
        _cleanup_close_ int base = -EBADF;
        _cleanup_free_ char *rel = NULL;
        char *path;
        int fd;

        if (state_dir) {
                base = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                path = strdup_printf("%s/%s", state_dir, sub);
                if (base < 0) {
                        free(path);
                        return -errno;
                }
                fd = state_dir_open(base, sub, create);
        } else {
                base = sysroot_openat(sr, "/", O_RDONLY | O_DIRECTORY);
                path = strdup_printf("/var/lib/rdna1-doctor/%s", sub);
                rel = strdup_printf("var/lib/rdna1-doctor/%s", sub);
                if (base < 0 || !rel) {
                        free(path);
                        return base < 0 ? base : -ENOMEM;
                }
                fd = state_dir_open(base, rel, create);
        }
        if (!path) {
                if (fd >= 0)
                        close(fd);
                return -ENOMEM;
        }
        *ret_path = path;
        return fd;
}

int selftest_dir_open(const sysroot *sr, const char *state_dir, bool create, char **ret_path)
{
        return state_subdir_open(sr, state_dir, "selftest", create, ret_path);
}

size_t inspection_gfx_targets(const inspection *in, const char **targets, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < in->n_devices && n < max; i++) {
                const char *t = in->devices[i].gfx_target;
                bool dup = false;

                if (!t || in->devices[i].vendor_id != 0x1002)
                        continue;
                for (size_t j = 0; j < n; j++)
                        dup = dup || streq(targets[j], t);
                if (!dup)
                        targets[n++] = t;
        }
        return n;
}

inspection *inspection_free(inspection *in)
{
        if (!in)
                return NULL;
        gpu_devices_free(in->devices, in->n_devices);
        kfd_facts_free(in->kfd);
        cmdline_facts_free(in->cmdline);
        module_facts_free(in->module);
        invoking_user_clear(&in->user);
        dkms_facts_free(in->dkms);
        kernel_scan_clear(&(kernel_scan){in->kernels, in->n_kernels, in->modules, in->n_modules});
        free(in->dkms_package_status);
        free(in->osrelease);
        free(in->dyndbg_functions);
        signature_db_free(in->sigs);
        ko_cache_free(in->cache);
        report_free(in->report);
        sysroot_free(in->sr);
        free(in);
        return NULL;
}
