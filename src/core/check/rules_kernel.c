/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-side rules: turn the probes' facts into the device.* and kernel.*
 * findings of the catalog (rdna1-doctor(8), FINDINGS). Nothing here reads the root except
 * the DKMS source files that are matched against the signatures.
 */
#include <fcntl.h>
#include <md5.h>

#include "base/util.h"
#include "check/inspect.h"
#include "parse/dpkg.h"

#define SOURCE_READ_MAX (16u * 1024 * 1024)
#define MD5SUMS_MAX (64u * 1024 * 1024)
#define MAX_EVIDENCE 20

/*
 * What a manual recovery needs and what --recover does (docs/DOMAIN.md §4):
 * dkms 3.0.10 answers 'dkms build' of a module already built for a kernel
 * with "already built ... skip" unless --force, and 'dkms install --force'
 * only reinstalls what is built, so the patched .ko comes back unless the
 * source is clean and rebuilt first. A package whose postinst runs dkms's
 * common.postinst adds, builds and installs the module again whenever it is
 * configured (a reinstall or an upgrade), which undoes a 'dkms remove'.
 */
static const char FIX_RECOVER[] =
        "Restore a clean amdgpu. 'rdna1-doctor --recover' does it: it puts the packaged source file back "
        "(from the package's cached .deb or a FILE.orig, checked against the package's md5sums; without "
        "either it stops and names the 'apt-get install --reinstall' to run), then per kernel runs 'dkms build "
        "--force' (plain 'dkms build' skips a module already built for that kernel), checks the new module "
        "carries no patch, runs 'dkms install --force', depmod and 'update-initramfs -u -k KERNEL'; with "
        "--in-tree, or where a rebuild is not possible, it runs 'dkms remove' for that kernel so the "
        "distribution's in-tree driver loads. By hand, clean the source first: 'dkms install --force' alone "
        "reinstalls the patched module already built. A 'dkms remove' lasts until the amdgpu-dkms package "
        "is configured again: a package whose postinst runs dkms's common.postinst adds, builds and installs "
        "the module on every reinstall or upgrade, so remove or purge the package to keep the in-tree "
        "driver. Reboot afterwards.";

/* ---- helpers ---- */

static const signature *signature_for_marker_bit(const inspection *in, unsigned bit)
{
        unsigned j = 0;

        for (size_t i = 0; i < in->sigs->n; i++) {
                if (!in->sigs->sigs[i].ko_marker)
                        continue;
                if (j++ == bit)
                        return &in->sigs->sigs[i];
        }
        return NULL;
}

static const signature *first_marked_signature(const inspection *in, const ko_info *info)
{
        for (unsigned bit = 0; bit < KO_MAX_MARKERS; bit++)
                if (info->markers_found & (1u << bit))
                        return signature_for_marker_bit(in, bit);
        return NULL;
}

static bool build_id_equal(const ko_info *info, const module_facts *m)
{
        return info->build_id_len > 0 && info->build_id_len == m->build_id_len &&
               memcmp(info->build_id, m->build_id, m->build_id_len) == 0;
}

const scanned_module *inspection_loaded_match(const inspection *in)
{
        const module_facts *m = in->module;

        if (!m || !m->loaded)
                return NULL;
        for (size_t i = 0; i < in->n_modules; i++)
                if (build_id_equal(&in->modules[i].info, m))
                        return &in->modules[i];
        if (!m->srcversion)
                return NULL;
        for (size_t i = 0; i < in->n_modules; i++)
                if (streq_ptr(in->modules[i].info.srcversion, m->srcversion))
                        return &in->modules[i];
        return NULL;
}

const char *inspection_driver_origin(const inspection *in)
{
        const scanned_module *match;

        if (!in->live || !in->module || !in->module->proc_modules_present)
                return "unknown";
        if (!in->module->loaded)
                return "none";
        match = inspection_loaded_match(in);
        if (match)
                return match->in_tree ? "in-tree" : "dkms";
        /* DKMS builds set MODULE_VERSION and are out-of-tree ("O" taint). */
        if (in->module->version || (in->module->taint && strchr(in->module->taint, 'O')))
                return "dkms";
        if (in->module->build_id_len > 0)
                return "unknown";
        return "in-tree";
}

static const kernel_facts *running_kernel(const inspection *in)
{
        for (size_t i = 0; i < in->n_kernels; i++)
                if (in->kernels[i].running)
                        return &in->kernels[i];
        return NULL;
}

static const scanned_module *installed_module(const inspection *in, const kernel_facts *k)
{
        if (!k || !k->module_path)
                return NULL;
        for (size_t i = 0; i < in->n_modules; i++)
                if (in->modules[i].place == PLACE_INSTALLED && streq(in->modules[i].path, k->module_path))
                        return &in->modules[i];
        return NULL;
}

/* ---- device.* ---- */

static bool driver_disabled(const inspection *in)
{
        return in->cmdline && in->cmdline->n_entries > 0;
}

static int rule_devices(inspection *in)
{
        bool any = false;

        if (!in->live)
                return 0;
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                _cleanup_free_ char *title = NULL, *detail = NULL, *path = NULL, *fix = NULL;
                finding *f;

                if (!g->rdna1)
                        continue;
                any = true;
                title = strdup_printf("RDNA1 GPU: %s (%s, %s)", g->name && *g->name ? g->name : g->rdna1->chip,
                                      g->rdna1->chip, g->gfx_target ? g->gfx_target : g->rdna1->gfx_target);
                detail = g->kfd_node >= 0 && g->kfd_gfx_target_version
                                 ? strdup_printf("PCI %04x:%04x rev %02x, KFD node %d gfx_target_version %llu",
                                                 g->vendor_id, g->device_id, g->revision, g->kfd_node,
                                                 (unsigned long long)g->kfd_gfx_target_version)
                                 : g->kfd_node >= 0
                                 ? strdup_printf("PCI %04x:%04x rev %02x, KFD node %d (gfx_target_version unreadable)",
                                                 g->vendor_id, g->device_id, g->revision, g->kfd_node)
                                 : strdup_printf("PCI %04x:%04x rev %02x", g->vendor_id, g->device_id, g->revision);
                path = strdup_printf("/sys/bus/pci/devices/%s", g->pci_slot);
                /* docs/DOMAIN.md §8: "not officially supported and are not tested" (ROCm/rocBLAS#1331) */
                fix = strdup_printf("%s is not officially supported by ROCm. Run it as itself: the native profile, "
                                    "no HSA_OVERRIDE_GFX_VERSION; an override to another family (10.3.0 is "
                                    "RDNA2) can hang the GPU or crash the program.",
                                    g->gfx_target ? g->gfx_target : g->rdna1->gfx_target);
                if (!title || !detail || !path || !fix)
                        return -ENOMEM;
                f = report_add_finding(in->report, "device.rdna1", SEVERITY_INFO, g->pci_slot, title, fix, false);
                if (!f || finding_add_evidence(f, path, 0, detail) < 0)
                        return -ENOMEM;
                if (g->kfd_node >= 0 && g->kfd_gfx_target_version && !rdna1_gfx_version(g->kfd_gfx_target_version))
                        finding_add_evidence(f, "/sys/class/kfd/kfd/topology", 0,
                                             "KFD reports a non-RDNA1 gfx_target_version for this device");
        }
        if (!any && !report_add_finding(in->report, "device.not-found", SEVERITY_INFO, NULL,
                                        "No RDNA1 GPU found (the software audit still runs)", "", false))
                return -ENOMEM;
        return 0;
}

static int rule_driver_state(inspection *in)
{
        if (!in->live)
                return 0;
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                finding *f;

                if (!g->rdna1)
                        continue;
                if (!g->driver || !streq(g->driver, "amdgpu")) {
                        if (driver_disabled(in)) {
                                f = report_add_finding(in->report, "device.driver-disabled", SEVERITY_INFO, g->pci_slot,
                                                       "amdgpu is not loaded on purpose (recovery mode, nomodeset or a blacklist)",
                                                       "Expected in recovery mode. Otherwise remove the setting shown and reboot.",
                                                       false);
                                if (!f)
                                        return -ENOMEM;
                                for (size_t j = 0; j < in->cmdline->n_entries && j < MAX_EVIDENCE; j++) {
                                        const disable_entry *e = &in->cmdline->entries[j];
                                        if (finding_add_evidence(f, e->path, e->line, e->text) < 0)
                                                return -ENOMEM;
                                }
                                continue;
                        }
                        f = report_add_finding(in->report, "device.no-driver", SEVERITY_CRITICAL, g->pci_slot,
                                               "No driver is bound to the RDNA1 GPU",
                                               "Check the kernel log for amdgpu errors ('journalctl -k -b | grep amdgpu'); a "
                                               "broken DKMS amdgpu shows in the kernel.* findings.",
                                               false);
                        {
                                _cleanup_free_ char *link = strdup_printf("/sys/bus/pci/devices/%s/driver", g->pci_slot);
                                _cleanup_free_ char *d = g->driver ? strdup_printf("bound to %s, not amdgpu", g->driver)
                                                                   : strdup("no driver link");

                                if (!f || !link || !d || finding_add_evidence(f, link, 0, d) < 0)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (!in->kfd || !in->kfd->dev_kfd_present || !in->kfd->topology_present || g->kfd_node < 0) {
                        f = report_add_finding(in->report, "device.no-kfd", SEVERITY_CRITICAL, g->pci_slot,
                                               "amdgpu is bound but the KFD compute interface is missing",
                                               "Check the kernel log for 'kfd' errors; KFD needs CONFIG_HSA_AMD and a "
                                               "working amdgpu firmware set.", false);
                        if (!f)
                                return -ENOMEM;
                        if ((!in->kfd || !in->kfd->dev_kfd_present) &&
                            finding_add_evidence(f, "/dev/kfd", 0, "missing") < 0)
                                return -ENOMEM;
                        if ((!in->kfd || !in->kfd->topology_present) &&
                            finding_add_evidence(f, "/sys/class/kfd/kfd/topology", 0, "missing") < 0)
                                return -ENOMEM;
                        if (in->kfd && in->kfd->topology_present && g->kfd_node < 0 &&
                            finding_add_evidence(f, "/sys/class/kfd/kfd/topology/nodes", 0,
                                                 "no node with this PCI domain and location_id") < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int rule_permissions(inspection *in)
{
        if (!in->live || !in->kfd || !in->kfd->dev_kfd_present)
                return 0;
        /* Root without sudo opens everything: nothing to report. */
        if (in->user.uid == 0)
                return 0;
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                const char *nodes[2] = {"/dev/kfd", g->render_node};
                finding *f = NULL;

                if (!g->rdna1 || !g->driver || !streq(g->driver, "amdgpu"))
                        continue;
                for (size_t j = 0; j < 2; j++) {
                        node_access a = {0};
                        int r;

                        if (!nodes[j])
                                continue;
                        r = node_access_check(in->sr, &in->user, nodes[j], &a);
                        if (r < 0) {
                                node_access_clear(&a);
                                report_add_reason_errno(in->report, "access", nodes[j], r, true);
                                continue;
                        }
                        if (a.present && !a.can_read_write) {
                                _cleanup_free_ char *title = NULL, *fix = NULL;
                                const char *who = in->user.name ? in->user.name : "the invoking user";

                                if (!f) {
                                        title = strdup_printf("%s cannot open the GPU compute devices", who);
                                        fix = strdup_printf("sudo usermod -aG render,video %s, then log out and back in "
                                                            "(group changes need a new login).", who);
                                        if (!title || !fix) {
                                                node_access_clear(&a);
                                                return -ENOMEM;
                                        }
                                        f = report_add_finding(in->report, "device.permissions", SEVERITY_WARNING,
                                                               g->pci_slot, title, fix, false);
                                }
                                if (!f || finding_add_evidence(f, nodes[j], 0, a.why ? a.why : "no read-write access") < 0) {
                                        node_access_clear(&a);
                                        return -ENOMEM;
                                }
                        }
                        node_access_clear(&a);
                }
        }
        return 0;
}

/* ---- kernel.patched-source / kernel.source-modified ---- */

typedef struct md5_entry {
        char *path; /* "/usr/src/amdgpu-V/..." */
        char md5[33];
} md5_entry;

typedef struct md5_collect {
        const char *dir; /* "/usr/src/amdgpu-V" */
        md5_entry *list;
        size_t n;
} md5_collect;

static int collect_md5(const char *md5, const char *path, void *userdata)
{
        md5_collect *c = userdata;
        size_t dl = strlen(c->dir);
        md5_entry *grown;

        if (strncmp(path, c->dir, dl) != 0 || path[dl] != '/')
                return 0;
        grown = realloc(c->list, (c->n + 1) * sizeof(md5_entry));
        if (!grown)
                return -ENOMEM;
        c->list = grown;
        c->list[c->n].path = strdup(path);
        if (!c->list[c->n].path)
                return -ENOMEM;
        memcpy(c->list[c->n].md5, md5, 33);
        c->n++;
        return 0;
}

/* md5sums entries of the amdgpu DKMS packages that lie under dir. */
static int load_source_md5sums(const inspection *in, const char *dir, md5_entry **ret, size_t *ret_n)
{
        md5_collect c = {.dir = dir};
        char **names = NULL;
        size_t n_names;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (sysroot_list_dir(in->sr, "/var/lib/dpkg/info", 0, &names, &n_names, NULL) < 0)
                return 0;
        for (size_t i = 0; i < n_names && r >= 0; i++) {
                _cleanup_free_ char *p = NULL, *buf = NULL;
                size_t len;

                if (!startswith(names[i], "amdgpu") || !endswith(names[i], ".md5sums"))
                        continue;
                p = strdup_printf("/var/lib/dpkg/info/%s", names[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = sysroot_read_file(in->sr, p, MD5SUMS_MAX, &buf, &len);
                if (r < 0) {
                        report_add_reason_errno(in->report, "dpkg", p, r, false);
                        r = 0;
                        continue;
                }
                r = md5sums_parse(buf, len, collect_md5, &c);
                if (r > 0) {
                        report_add_reason(in->report, "dpkg", p, "malformed lines skipped", false);
                        r = 0;
                }
        }
        strv_free_array(names);
        if (r < 0) {
                for (size_t i = 0; i < c.n; i++)
                        free(c.list[i].path);
                free(c.list);
                return r;
        }
        *ret = c.list;
        *ret_n = c.n;
        return 0;
}

static int md5_of_file(const inspection *in, const char *path, char out[33])
{
        _cleanup_close_ int fd = sysroot_open_regular(in->sr, path);
        uint8_t buf[65536];
        MD5_CTX ctx;
        ssize_t n;

        if (fd < 0)
                return fd;
        MD5Init(&ctx);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                MD5Update(&ctx, buf, (size_t)n);
        if (n < 0)
                return -errno;
        MD5End(&ctx, out);
        return 0;
}

/*
 * The packaged files under a DKMS source dir that differ from their
 * md5sums, one per line: "M PATH" (changed), "D PATH" (missing),
 * "E PATH" (unreadable). Hashing a real amdgpu-dkms tree (thousands of
 * files) on every check is too slow, so the answer is cached under a key
 * that holds a stamp of every listed file's stat (device, inode, size,
 * mtime, ctime): a change to any file rehashes the tree.
 */
static int source_tree_changes(inspection *in, const char *dir, const md5_entry *sums, size_t n, char **ret)
{
        _cleanup_free_ char *key = NULL, *list = NULL;
        struct stat zero = {0};
        size_t len = 0, cap = 0;
        char stamp[33];
        MD5_CTX ctx;

        MD5Init(&ctx);
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                uint64_t f[5] = {0};

                if (sysroot_stat(in->sr, sums[i].path, &st) == 0) {
                        f[0] = st.st_dev;
                        f[1] = st.st_ino;
                        f[2] = (uint64_t)st.st_size;
                        f[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
                        f[4] = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
                }
                MD5Update(&ctx, (const uint8_t *)sums[i].path, strlen(sums[i].path) + 1);
                MD5Update(&ctx, (const uint8_t *)sums[i].md5, 32);
                MD5Update(&ctx, (const uint8_t *)f, sizeof(f));
        }
        MD5End(&ctx, stamp);
        key = strdup_printf("srctree:%s:%s", dir, stamp);
        if (!key)
                return -ENOMEM;
        if (in->cache && ko_cache_lookup_text(in->cache, key, &zero, ret) > 0)
                return 0;

        list = strdup("");
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char md5[33];
                int r = md5_of_file(in, sums[i].path, md5);
                char kind = r == -ENOENT ? 'D' : r < 0 ? 'E' : streq(md5, sums[i].md5) ? 0 : 'M';
                size_t need;

                if (r == -ENOMEM)
                        return r;
                if (!kind)
                        continue;
                need = len + strlen(sums[i].path) + 4;
                if (need > cap) {
                        char *grown = realloc(list, need * 2);
                        if (!grown)
                                return -ENOMEM;
                        list = grown;
                        cap = need * 2;
                }
                len += (size_t)sprintf(list + len, "%c %s\n", kind, sums[i].path);
        }
        /* a list too long for one cache entry is simply not cached */
        if (in->cache && len < 60000)
                (void)ko_cache_store_text(in->cache, key, &zero, list);
        *ret = TAKE_PTR(list);
        return 0;
}

static int add_sig_evidence(finding *f, const char *path, const sig_match *m)
{
        _cleanup_free_ char *detail = strdup_printf("%s: %u of %u patch statements present (%s)",
                                                    m->sig->id, m->n_found, m->n_total, m->sig->title);

        return detail ? finding_add_evidence(f, path, m->first_line, detail) : -ENOMEM;
}

static finding *patched_source_finding(inspection *in)
{
        finding *f = report_find(in->report, "kernel.patched-source", NULL);

        if (f)
                return f;
        return report_add_finding(in->report, "kernel.patched-source", SEVERITY_CRITICAL, NULL,
                                  "The amdgpu DKMS source carries a known unsafe patch", FIX_RECOVER, true);
}

static int check_source_file(inspection *in, const char *path, bool *ret_matched)
{
        _cleanup_free_ char *buf = NULL;
        sig_match m;
        size_t len;
        int r;

        *ret_matched = false;
        r = sysroot_read_file(in->sr, path, SOURCE_READ_MAX, &buf, &len);
        if (r < 0)
                return r;
        r = signature_match_source(in->sigs, path, buf, len, &m);
        if (r <= 0)
                return r;
        *ret_matched = true;
        return add_sig_evidence(patched_source_finding(in), path, &m);
}

static int rule_patched_source(inspection *in)
{
        finding *modified = NULL;
        size_t n_modified = 0;

        for (size_t i = 0; in->dkms && i < in->dkms->n_sources; i++) {
                const dkms_source *s = &in->dkms->sources[i];
                md5_entry *sums = NULL;
                size_t n_sums = 0;
                strv checked = {0}, matched_paths = {0};
                int r;

                if (s->source_missing || !s->source_dir)
                        continue;

                /* The files the signatures name, whether or not a package owns them. */
                for (size_t j = 0; j < in->sigs->n; j++) {
                        _cleanup_free_ char *p = strdup_printf("%s/%s", s->source_dir, in->sigs->sigs[j].file);
                        bool matched;

                        if (!p)
                                return -ENOMEM;
                        if (strv_contains(&checked, p))
                                continue;
                        r = check_source_file(in, p, &matched);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 && r != -ENOENT)
                                report_add_reason_errno(in->report, "dkms-source", p, r, true);
                        if (matched && strv_push_dup(&matched_paths, p) < 0)
                                return -ENOMEM;
                        if (strv_push(&checked, TAKE_PTR(p)) < 0)
                                return -ENOMEM;
                }

                /* Patches dkms applies at build time (PATCH[] in dkms.conf or /etc/dkms). */
                for (size_t j = 0; j < s->n_patches; j++) {
                        const dkms_patch_ref *p = &s->patches[j];
                        _cleanup_free_ char *buf = NULL, *line = NULL;
                        sig_match m;
                        size_t len;
                        finding *f;

                        r = sysroot_read_file(in->sr, p->patch_path, SOURCE_READ_MAX, &buf, &len);
                        if (r < 0) {
                                report_add_reason_errno(in->report, "dkms-source", p->patch_path, r, true);
                                continue;
                        }
                        r = signature_match_patch(in->sigs, buf, len, &m);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                        f = patched_source_finding(in);
                        line = strdup_printf("PATCH[] names %s", p->name);
                        if (!f || !line || finding_add_evidence(f, p->conf_path, p->line, line) < 0 ||
                            add_sig_evidence(f, p->patch_path, &m) < 0)
                                return -ENOMEM;
                }

                /* Everything else the package shipped: changed files no signature explains. */
                r = load_source_md5sums(in, s->source_dir, &sums, &n_sums);
                if (r < 0)
                        return r;
                {
                        _cleanup_free_ char *changes = NULL;
                        char *save = NULL, *line;

                        r = source_tree_changes(in, s->source_dir, sums, n_sums, &changes);
                        if (r < 0)
                                return r;
                        for (line = strtok_r(changes, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                                const char *path = line + 2;
                                bool matched = false;

                                if (line[0] == 'E') {
                                        report_add_reason(in->report, "dkms-source", path, "could not be read", false);
                                        continue;
                                }
                                if (strv_contains(&checked, path))
                                        matched = strv_contains(&matched_paths, path);
                                else if (line[0] == 'M')
                                        /* A modified file might still carry a known patch. */
                                        (void)check_source_file(in, path, &matched);
                                if (matched)
                                        continue;
                                if (!modified) {
                                        modified = report_add_finding(in->report, "kernel.source-modified", SEVERITY_WARNING,
                                                                      NULL, "An amdgpu DKMS source file differs from its package",
                                                                      "Compare with the package ('dpkg --verify amdgpu-dkms'); "
                                                                      "'apt-get install --reinstall amdgpu-dkms' restores the packaged files.",
                                                                      true);
                                        if (!modified)
                                                return -ENOMEM;
                                }
                                if (n_modified++ < MAX_EVIDENCE &&
                                    finding_add_evidence(modified, path, 0,
                                                         line[0] == 'D' ? "missing (listed in the package's md5sums)"
                                                                        : "md5 differs from the package's md5sums") < 0)
                                        return -ENOMEM;
                        }
                }
                for (size_t j = 0; j < n_sums; j++)
                        free(sums[j].path);
                free(sums);
                strv_clear(&checked);
                strv_clear(&matched_paths);
        }
        if (modified && n_modified > MAX_EVIDENCE) {
                _cleanup_free_ char *more = strdup_printf("and %zu more files", n_modified - MAX_EVIDENCE);

                if (!more || finding_add_evidence(modified, NULL, 0, more) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- kernel.patched-build / -installed / -initramfs ---- */

static int marker_detail(const inspection *in, const scanned_module *m, char **ret)
{
        const signature *sig = first_marked_signature(in, &m->info);
        _cleanup_free_ char *id = ko_info_build_id_hex(&m->info);

        *ret = strdup_printf("%s%s%s%s marker present%s%s", m->member ? "member " : "", m->member ? m->member : "",
                             m->member ? ": " : "", sig ? sig->id : "patch", id ? ", build-id " : "", id ? id : "");
        return *ret ? 0 : -ENOMEM;
}

static int rule_patched_modules(inspection *in)
{
        static const struct {
                module_place place;
                const char *id, *title;
        } kinds[] = {
                {PLACE_DKMS_BUILD, "kernel.patched-build", "DKMS built a patched amdgpu module"},
                {PLACE_INSTALLED, "kernel.patched-installed", "modprobe would load a patched amdgpu"},
                {PLACE_INITRAMFS, "kernel.patched-initramfs", "An initramfs contains a patched amdgpu"},
        };

        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                finding *f = NULL;

                for (size_t i = 0; i < in->n_modules; i++) {
                        const scanned_module *m = &in->modules[i];
                        _cleanup_free_ char *detail = NULL;

                        if (m->place != kinds[k].place || !m->info.markers_found)
                                continue;
                        if (!f)
                                f = report_add_finding(in->report, kinds[k].id, SEVERITY_CRITICAL, NULL, kinds[k].title,
                                                       FIX_RECOVER, true);
                        if (!f || marker_detail(in, m, &detail) < 0)
                                return -ENOMEM;
                        if (m->kernel && m->place != PLACE_DKMS_BUILD) {
                                char *with = strdup_printf("kernel %s, %s", m->kernel, detail);
                                free(detail);
                                detail = with;
                                if (!detail)
                                        return -ENOMEM;
                        }
                        if (finding_add_evidence(f, m->path, 0, detail) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* ---- kernel.patched-loaded ---- */

static int rule_patched_loaded(inspection *in)
{
        const module_facts *mf = in->module;
        finding *f = NULL;

        if (!mf || !mf->loaded)
                return 0;
        /* Without build-id, srcversion or dynamic-debug sites nothing tells what runs. */
        if (mf->build_id_len == 0 && !mf->srcversion && !mf->dyndbg_readable &&
            report_add_reason(in->report, "module", "/sys/module/amdgpu",
                              "the loaded amdgpu cannot be identified (build-id note and dynamic-debug control "
                              "not readable; run as root)", true) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_modules; i++) {
                const scanned_module *m = &in->modules[i];
                _cleanup_free_ char *detail = NULL, *id = NULL;
                bool by_id = build_id_equal(&m->info, mf);
                bool by_src = !by_id && mf->srcversion && streq_ptr(m->info.srcversion, mf->srcversion);

                if (!m->info.markers_found || (!by_id && !by_src))
                        continue;
                if (!f)
                        f = report_add_finding(in->report, "kernel.patched-loaded", SEVERITY_CRITICAL, NULL,
                                               "The running amdgpu is a patched build", FIX_RECOVER, true);
                id = ko_info_build_id_hex(&m->info);
                detail = by_id ? strdup_printf("build-id %s equals %s%s%s", id ? id : "?", m->path,
                                               m->member ? ":" : "", m->member ? m->member : "")
                               : strdup_printf("srcversion %s equals %s%s%s", mf->srcversion, m->path,
                                               m->member ? ":" : "", m->member ? m->member : "");
                if (!f || !detail ||
                    finding_add_evidence(f, by_id ? "/sys/module/amdgpu/notes/.note.gnu.build-id"
                                                  : "/sys/module/amdgpu/srcversion",
                                         0, detail) < 0)
                        return -ENOMEM;
                break; /* one file proves it; the others are listed under their own findings */
        }
        for (size_t i = 0; i < mf->n_sites; i++) {
                const dyndbg_site *s = &mf->sites[i];

                for (size_t j = 0; j < in->sigs->n; j++) {
                        const signature *sig = &in->sigs->sigs[j];
                        _cleanup_free_ char *detail = NULL;

                        if (!sig->ko_marker || !sig->dyndbg_function || !streq_ptr(s->module, sig->module) ||
                            !streq_ptr(s->function, sig->dyndbg_function) || !streq_ptr(s->format, sig->ko_marker))
                                continue;
                        if (!f)
                                f = report_add_finding(in->report, "kernel.patched-loaded", SEVERITY_CRITICAL, NULL,
                                                       "The running amdgpu is a patched build", FIX_RECOVER, true);
                        detail = strdup_printf("dynamic-debug site [%s]%s at %s:%u has the %s format", s->module,
                                               s->function, s->file ? s->file : "?", s->line, sig->id);
                        if (!f || !detail || finding_add_evidence(f, "/proc/dynamic_debug/control", 0, detail) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* ---- kernel.kfd-flags-anomaly ---- */

static int rule_kfd_flags(inspection *in)
{
        for (size_t i = 0; in->kfd && i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                const kfd_node *node = NULL;

                if (g->kfd_node < 0)
                        continue;
                for (size_t j = 0; j < in->kfd->n_nodes; j++)
                        if ((int)in->kfd->nodes[j].id == g->kfd_node)
                                node = &in->kfd->nodes[j];
                /* Discrete GPUs only: an APU's heaps are system memory. */
                if (!node || node->cpu_cores_count != 0)
                        continue;
                for (size_t b = 0; b < node->n_mem_banks; b++) {
                        const kfd_mem_bank *mb = &node->mem_banks[b];
                        _cleanup_free_ char *path = NULL, *detail = NULL;
                        finding *f;

                        /* heap_type 1/2: FB_PUBLIC/FB_PRIVATE; flag bit 0: HSA_MEM_FLAGS_HOT_PLUGGABLE */
                        if ((mb->heap_type != 1 && mb->heap_type != 2) || !(mb->flags & 1) || !g->rdna1)
                                continue;
                        path = strdup_printf("/sys/class/kfd/kfd/topology/nodes/%u/mem_banks/%u/properties",
                                             node->id, mb->id);
                        detail = strdup_printf("heap_type %llu flags %llu (HOT_PLUGGABLE)",
                                               (unsigned long long)mb->heap_type, (unsigned long long)mb->flags);
                        f = report_add_finding(in->report, "kernel.kfd-flags-anomaly", SEVERITY_INFO, g->pci_slot,
                                               "The GPU's framebuffer heap is reported hot-pluggable (unexpected; not "
                                               "proof of the patch)", "Check which amdgpu is loaded ('rdna1-doctor --check').",
                                               false);
                        if (!path || !detail || !f || finding_add_evidence(f, path, 0, detail) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* ---- kernel.reboot-pending ---- */

static int rule_reboot_pending(inspection *in)
{
        const module_facts *mf = in->module;
        const kernel_facts *k = running_kernel(in);
        const scanned_module *next = installed_module(in, k);
        _cleanup_free_ char *loaded_id = NULL, *next_id = NULL, *detail = NULL;
        bool differs;
        finding *f;

        if (!mf || !mf->loaded || !next)
                return 0;
        if (mf->build_id_len > 0 && next->info.build_id_len > 0)
                differs = !build_id_equal(&next->info, mf);
        else if (mf->srcversion && next->info.srcversion)
                differs = !streq(mf->srcversion, next->info.srcversion);
        else
                return 0; /* no identity to compare: say nothing rather than guess */
        if (!differs)
                return 0;

        if (mf->build_id_len) {
                loaded_id = hex_encode(mf->build_id, mf->build_id_len);
                next_id = ko_info_build_id_hex(&next->info);
        }
        detail = strdup_printf("loaded amdgpu %s%s differs from %s%s%s, which would load now",
                               loaded_id ? "build-id " : "srcversion ",
                               loaded_id ? loaded_id : (mf->srcversion ? mf->srcversion : "?"), next->path,
                               next_id ? " build-id " : "", next_id ? next_id : "");
        f = report_add_finding(in->report, "kernel.reboot-pending", SEVERITY_WARNING, NULL,
                               "The loaded amdgpu is not the module that would load now: reboot to use it",
                               "Reboot (after checking the installed module with 'rdna1-doctor --check').", false);
        if (!detail || !f || finding_add_evidence(f, k->module_path, 0, detail) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- kernel.dkms-broken ---- */

static finding *dkms_broken_finding(inspection *in)
{
        finding *f = report_find(in->report, "kernel.dkms-broken", NULL);

        if (f)
                return f;
        return report_add_finding(in->report, "kernel.dkms-broken", SEVERITY_WARNING, NULL,
                                  "The DKMS amdgpu is not in a working state for every kernel",
                                  "Fix the cause quoted (a failed make.log usually means a patched or too old source for that "
                                  "kernel), then 'dkms autoinstall -k KERNEL'; or 'dkms remove' the DKMS amdgpu so the "
                                  "in-tree driver loads (reinstalling or upgrading the amdgpu-dkms package builds it "
                                  "again: remove or purge the package to keep the in-tree driver).", true);
}

static bool dkms_installed_for(const inspection *in, const char *kernel)
{
        for (size_t i = 0; in->dkms && i < in->dkms->n_builds; i++)
                if (in->dkms->builds[i].state == DKMS_STATE_INSTALLED && streq_ptr(in->dkms->builds[i].kernel, kernel))
                        return true;
        return false;
}

static int rule_dkms_broken(inspection *in)
{
        finding *f;

        if (in->dkms_package_status && !endswith(in->dkms_package_status, " installed")) {
                _cleanup_free_ char *d = strdup_printf("amdgpu-dkms Status: %s", in->dkms_package_status);

                f = dkms_broken_finding(in);
                if (!f || !d || finding_add_evidence(f, "/var/lib/dpkg/status", 0, d) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; in->dkms && i < in->dkms->n_sources; i++) {
                const dkms_source *s = &in->dkms->sources[i];
                _cleanup_free_ char *d = NULL, *path = NULL;

                if (s->source_missing) {
                        path = strdup_printf("/var/lib/dkms/%s/%s/source", s->module, s->version);
                        f = dkms_broken_finding(in);
                        if (!f || !path || finding_add_evidence(f, path, 0, "source directory missing (dkms: broken)") < 0)
                                return -ENOMEM;
                }
                if (s->failed_log) {
                        d = strdup_printf("build failed: %s", s->failed_log_error ? s->failed_log_error : "(no error line found)");
                        f = dkms_broken_finding(in);
                        if (!f || !d || finding_add_evidence(f, s->failed_log, s->failed_log_line, d) < 0)
                                return -ENOMEM;
                }
        }
        /* A kernel with an image but without any installed DKMS amdgpu, while DKMS has one. */
        if (!in->dkms || in->dkms->n_sources == 0)
                return 0;
        for (size_t i = 0; i < in->n_kernels; i++) {
                const kernel_facts *k = &in->kernels[i];
                _cleanup_free_ char *d = NULL, *path = NULL;

                if (!k->has_image || dkms_installed_for(in, k->version))
                        continue;
                d = strdup_printf("%s/%s is not installed for kernel %s", in->dkms->sources[0].module,
                                  in->dkms->sources[0].version, k->version);
                path = strdup_printf("/var/lib/dkms/%s", in->dkms->sources[0].module);
                f = dkms_broken_finding(in);
                if (!f || !d || !path || finding_add_evidence(f, path, 0, d) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- kernel.tainted ---- */

static int rule_tainted(inspection *in)
{
        _cleanup_free_ char *d = NULL;
        finding *f;

        if (!in->taint.present || in->taint.value == 0)
                return 0;
        d = taint_describe(in->taint.value);
        f = report_add_finding(in->report, "kernel.tainted", SEVERITY_INFO, NULL, "The running kernel is tainted",
                               "Informational: out-of-tree (O) and unsigned (E) come from DKMS modules.", false);
        if (!d || !f)
                return -ENOMEM;
        {
                _cleanup_free_ char *line = strdup_printf("%llu: %s", (unsigned long long)in->taint.value, d);
                if (!line || finding_add_evidence(f, "/proc/sys/kernel/tainted", 0, line) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int rules_kernel_apply(inspection *in)
{
        int (*const rules[])(inspection *) = {
                rule_devices,         rule_driver_state, rule_permissions, rule_patched_source,
                rule_patched_modules, rule_patched_loaded, rule_kfd_flags,  rule_reboot_pending,
                rule_dkms_broken,     rule_tainted,
        };

        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                int r = rules[i](in);
                if (r < 0)
                        return r;
        }
        return 0;
}
