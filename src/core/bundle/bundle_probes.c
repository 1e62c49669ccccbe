/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What goes into the bundle: an allow-list of sources, each read by one
 * probe in its own child (bundle.c). Nothing from a user's shell files goes
 * in except what the findings already quote (the matched settings).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "base/util.h"
#include "bundle/bundle.h"
#include "probe/bootlog.h"
#include "probe/ko_signer.h"
#include "root/users.h"

#define LOG_TAIL_MAX (256u * 1024)
#define LOG_READ_MAX (8u * 1024 * 1024)
#define SMALL_MAX (64u * 1024)
#define KFD_NODES_MAX 64
#define KFD_SUB_MAX 16
#define JOURNAL_RUNS_MAX 10
#define JOURNAL_FILE_MAX (1024u * 1024)
#define KERN_LINES_MAX 2000

/* ---- helpers (child side) ---- */

static int add_file(const inspection *in, bundle_out *out, const char *member, const char *path, size_t max)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k = sysroot_read_file(in->sr, path, max ? max : SMALL_MAX, &buf, &len);

        if (k < 0)
                return k == -ENOENT ? 0 : k;
        return bundle_out_add(out, member, buf, len);
}

/* The last `max` bytes of a log, starting at a line. */
static int add_log_tail(const sysroot *sr, bundle_out *out, const char *member, const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t len, off = 0;
        int k = sysroot_read_file(sr, path, LOG_READ_MAX, &buf, &len);

        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return bundle_out_addf(out, member, "(not readable: %s)\n", strerror(-k));
        if (len > LOG_TAIL_MAX) {
                const char *nl;
                off = len - LOG_TAIL_MAX;
                nl = memchr(buf + off, '\n', len - off);
                if (nl)
                        off = (size_t)(nl - buf) + 1;
        }
        return bundle_out_add(out, member, buf + off, len - off);
}

typedef struct text {
        char *p;
        size_t len;
} text;

static int text_addf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int text_addf(text *t, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        char *n;
        int l;

        va_start(ap, fmt);
        l = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (l < 0)
                return -ENOMEM;
        n = realloc(t->p, t->len + (size_t)l + 1);
        if (!n)
                return -ENOMEM;
        t->p = n;
        memcpy(t->p + t->len, s, (size_t)l + 1);
        t->len += (size_t)l;
        return 0;
}

static void text_clear(text *t)
{
        free(t->p);
        *t = (text){0};
}

static int text_emit(text *t, bundle_out *out, const char *member)
{
        int k = bundle_out_add(out, member, t->p ? t->p : "", t->len);

        text_clear(t);
        return k;
}

/* ---- probes ---- */

static int probe_pci(const inspection *in, bundle_out *out, void *userdata)
{
        static const char *const attrs[] = {
                "vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "class", "boot_vga",
                "current_link_speed", "current_link_width", "max_link_speed", "max_link_width", "numa_node",
        };
        _cleanup_(text_clear) text t = {0};

        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];

                if (text_addf(&t, "[%s] %s gfx_target=%s driver=%s kfd_node=%d\n", g->pci_slot, g->name ? g->name : "",
                              g->gfx_target ? g->gfx_target : "-", g->driver ? g->driver : "-", g->kfd_node) < 0)
                        return -ENOMEM;
                for (size_t a = 0; a < ELEMENTSOF(attrs); a++) {
                        _cleanup_free_ char *path = strdup_printf("/sys/bus/pci/devices/%s/%s", g->pci_slot, attrs[a]);
                        _cleanup_free_ char *v = NULL;

                        if (!path)
                                return -ENOMEM;
                        if (sysroot_read_line(in->sr, path, &v) < 0)
                                continue;
                        if (text_addf(&t, "  %s=%s\n", attrs[a], v) < 0)
                                return -ENOMEM;
                }
        }
        if (in->n_devices == 0 && text_addf(&t, "%s\n", in->live ? "no PCI display devices" :
                                            "no running system: devices not probed") < 0)
                return -ENOMEM;
        return text_emit(&t, out, "devices/pci.txt");
}

static int add_kfd_subdir(const inspection *in, bundle_out *out, const char *node, const char *sub)
{
        _cleanup_free_ char *dir = strdup_printf("%s/%s", node, sub);
        char **names = NULL;
        size_t n = 0;
        bool trunc;
        int k;

        if (!dir)
                return -ENOMEM;
        k = sysroot_list_dir(in->sr, dir, KFD_SUB_MAX, &names, &n, &trunc);
        if (k < 0)
                return 0;
        for (size_t i = 0; i < n && k >= 0; i++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s/properties", dir, names[i]);
                _cleanup_free_ char *member = path ? strdup_printf("kfd/%s", path + strlen("/sys/class/kfd/kfd/")) : NULL;

                k = member ? add_file(in, out, member, path, 0) : -ENOMEM;
        }
        strv_free_array(names);
        return k;
}

static int probe_kfd(const inspection *in, bundle_out *out, void *userdata)
{
        static const char topo[] = "/sys/class/kfd/kfd/topology";
        char **nodes = NULL;
        size_t n = 0;
        bool trunc;
        int k;

        if (add_file(in, out, "kfd/topology/generation_id", "/sys/class/kfd/kfd/topology/generation_id", 0) < 0 ||
            add_file(in, out, "kfd/topology/system_properties", "/sys/class/kfd/kfd/topology/system_properties", 0) < 0)
                return -EIO;
        k = sysroot_list_dir(in->sr, "/sys/class/kfd/kfd/topology/nodes", KFD_NODES_MAX, &nodes, &n, &trunc);
        if (k == -ENOENT)
                return bundle_out_addf(out, "kfd/README", "no KFD topology (%s)\n",
                                       in->live ? "amdgpu/KFD not up" : "no running system");
        if (k < 0)
                return k;
        for (size_t i = 0; i < n && k >= 0; i++) {
                static const char *const files[] = { "name", "gpu_id", "properties" };
                _cleanup_free_ char *node = strdup_printf("%s/nodes/%s", topo, nodes[i]);

                if (!node) {
                        k = -ENOMEM;
                        break;
                }
                for (size_t f = 0; f < ELEMENTSOF(files) && k >= 0; f++) {
                        _cleanup_free_ char *path = strdup_printf("%s/%s", node, files[f]);
                        _cleanup_free_ char *member = strdup_printf("kfd/topology/nodes/%s/%s", nodes[i], files[f]);
                        k = path && member ? add_file(in, out, member, path, 0) : -ENOMEM;
                }
                if (k >= 0)
                        k = add_kfd_subdir(in, out, node, "mem_banks");
                if (k >= 0)
                        k = add_kfd_subdir(in, out, node, "io_links");
        }
        strv_free_array(nodes);
        return k < 0 ? k : 0;
}

/* modinfo's signer, key and hash of a signed module file (initramfs members are not read again). */
static int signer_lines(const inspection *in, const scanned_module *s, text *t)
{
        ko_signature sig = {0};
        int k;

        if (!s->info.signature_appended || s->member)
                return 0;
        k = ko_signature_read(in->sr, s->path, &sig);
        if (k == -ENOMEM)
                return k;
        if (k <= 0)
                return text_addf(t, "  signer: unknown (%s)\n", k < 0 ? strerror(-k) : "libkmod reads no signature");
        k = text_addf(t, "  signer: %s\n  signing key: %s\n  signature hash: %s\n", sig.signer ? sig.signer : "-",
                      sig.key ? sig.key : "-", sig.hash ? sig.hash : "-");
        ko_signature_clear(&sig);
        return k;
}

static int probe_modules(const inspection *in, bundle_out *out, void *userdata)
{
        const module_facts *m = in->module;
        const scanned_module *match = inspection_loaded_match(in);
        _cleanup_free_ char *buf = NULL;
        _cleanup_(text_clear) text t = {0};
        size_t len;
        int k;

        /* /proc/modules without the load addresses */
        k = sysroot_read_file(in->sr, "/proc/modules", LOG_READ_MAX, &buf, &len);
        if (k >= 0) {
                for (char *line = buf, *nl; line && *line; line = nl) {
                        char *addr;

                        nl = strchr(line, '\n');
                        if (nl)
                                *nl++ = '\0';
                        addr = strstr(line, " 0x");
                        if (addr)
                                *addr = '\0';
                        if (text_addf(&t, "%s\n", line) < 0)
                                return -ENOMEM;
                }
                k = text_emit(&t, out, "modules/proc-modules.txt");
                if (k < 0)
                        return k;
        }

        if (text_addf(&t, "driver origin: %s\n", inspection_driver_origin(in)) < 0)
                return -ENOMEM;
        if (m) {
                _cleanup_free_ char *bid = m->build_id_len ? hex_encode(m->build_id, m->build_id_len) : NULL;

                if (text_addf(&t, "loaded: %s\nstate: %s\ninitstate: %s\ntaint: %s\nbuild-id: %s\nsrcversion: %s\n"
                                  "version: %s\ndynamic-debug sites of known patches: %zu\n",
                              m->loaded ? "yes" : "no", m->state ? m->state : "-", m->initstate ? m->initstate : "-",
                              m->taint ? m->taint : "-", bid ? bid : "unknown", m->srcversion ? m->srcversion : "unknown",
                              m->version ? m->version : "-", m->n_sites) < 0)
                        return -ENOMEM;
        }
        if (match && text_addf(&t, "matches: %s%s%s (%s)\n", match->path, match->member ? " member " : "",
                               match->member ? match->member : "", module_place_to_string(match->place)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_modules; i++) {
                const scanned_module *s = &in->modules[i];
                _cleanup_free_ char *bid = ko_info_build_id_hex(&s->info);

                if (text_addf(&t, "\n[%s]%s%s\n  place: %s%s\n  kernel: %s\n  build-id: %s\n  srcversion: %s\n"
                                  "  version: %s\n  vermagic: %s\n  signature appended: %s\n  patch markers: 0x%x\n",
                              s->path, s->member ? " member " : "", s->member ? s->member : "",
                              module_place_to_string(s->place), s->in_tree ? " (in-tree)" : "",
                              s->kernel ? s->kernel : "-", bid ? bid : "-",
                              s->info.srcversion ? s->info.srcversion : "-", s->info.version ? s->info.version : "-",
                              s->info.vermagic ? s->info.vermagic : "-", s->info.signature_appended ? "yes" : "no",
                              s->info.markers_found) < 0)
                        return -ENOMEM;
                k = signer_lines(in, s, &t);
                if (k < 0)
                        return k;
        }
        return text_emit(&t, out, "modules/amdgpu.txt");
}

static int probe_dkms(const inspection *in, bundle_out *out, void *userdata)
{
        const dkms_facts *d = in->dkms;
        _cleanup_(text_clear) text t = {0};
        int k;

        if (!d || (d->n_builds == 0 && d->n_sources == 0))
                return bundle_out_addf(out, "dkms/status.txt", "no amdgpu DKMS module\n");
        /* `dkms status`'s 3.x format, made from the root's /var/lib/dkms (no command runs) */
        for (size_t i = 0; i < d->n_builds; i++) {
                const dkms_build *bd = &d->builds[i];
                if (text_addf(&t, "%s/%s%s%s%s%s: %s\n", bd->module, bd->version, bd->kernel ? ", " : "",
                              bd->kernel ? bd->kernel : "", bd->arch ? ", " : "", bd->arch ? bd->arch : "",
                              dkms_state_to_string(bd->state)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < d->n_sources; i++) {
                const dkms_source *s = &d->sources[i];
                if (text_addf(&t, "# source %s/%s: %s%s\n", s->module, s->version, s->source_dir ? s->source_dir : "-",
                              s->source_missing ? " (missing)" : "") < 0)
                        return -ENOMEM;
                for (size_t p = 0; p < s->n_patches; p++)
                        if (text_addf(&t, "#   PATCH %s (%s:%u)\n", s->patches[p].name, s->patches[p].conf_path,
                                      s->patches[p].line) < 0)
                                return -ENOMEM;
        }
        if (in->dkms_package_status && text_addf(&t, "# amdgpu-dkms package: %s\n", in->dkms_package_status) < 0)
                return -ENOMEM;
        k = text_emit(&t, out, "dkms/status.txt");
        /* the last make.log of each build: build/ (last build) and per kernel log/ */
        for (size_t i = 0; i < d->n_sources && k >= 0; i++) {
                const dkms_source *s = &d->sources[i];
                _cleanup_free_ char *path = strdup_printf("/var/lib/dkms/%s/%s/build/make.log", s->module, s->version);
                _cleanup_free_ char *member = strdup_printf("dkms/%s-%s/build-make.log", s->module, s->version);

                k = path && member ? add_log_tail(in->sr, out, member, path) : -ENOMEM;
        }
        for (size_t i = 0; i < d->n_builds && k >= 0; i++) {
                const dkms_build *bd = &d->builds[i];
                _cleanup_free_ char *path = NULL, *member = NULL;

                if (!bd->kernel || !bd->arch)
                        continue;
                path = strdup_printf("/var/lib/dkms/%s/%s/%s/%s/log/make.log", bd->module, bd->version, bd->kernel, bd->arch);
                member = strdup_printf("dkms/%s-%s/%s-%s-make.log", bd->module, bd->version, bd->kernel, bd->arch);
                k = path && member ? add_log_tail(in->sr, out, member, path) : -ENOMEM;
        }
        return k < 0 ? k : 0;
}

typedef struct state_ctx {
        const char *state_dir;  /* host path of --state-dir, or NULL */
} state_ctx;

/* The doctor's state directory as a root of its own (--state-dir), or the inspected root's. */
static int state_root(const inspection *in, const state_ctx *c, sysroot **ret_own, const sysroot **ret, const char **ret_base)
{
        if (c->state_dir) {
                int k = sysroot_open(c->state_dir, ret_own);
                if (k < 0)
                        return k;
                *ret = *ret_own;
                *ret_base = "";
        } else {
                *ret = in->sr;
                *ret_base = "/var/lib/rdna1-doctor";
        }
        return 0;
}

static int add_journal_dir(const sysroot *sr, bundle_out *out, const char *run_dir, const char *run, const char *sub,
                           const char *suffix)
{
        _cleanup_free_ char *dir = strdup_printf("%s/%s", run_dir, sub);
        char **names = NULL;
        size_t n = 0;
        bool trunc;
        int k;

        if (!dir)
                return -ENOMEM;
        if (sysroot_list_dir(sr, dir, 1000, &names, &n, &trunc) < 0)
                return 0;
        k = 0;
        for (size_t i = 0; i < n && k >= 0; i++) {
                _cleanup_free_ char *path = NULL, *member = NULL, *buf = NULL;
                size_t len;

                if (!endswith(names[i], suffix))
                        continue;
                path = strdup_printf("%s/%s", dir, names[i]);
                member = strdup_printf("journal/%s/%s/%s", run, sub, names[i]);
                if (!path || !member) {
                        k = -ENOMEM;
                        break;
                }
                if (sysroot_read_file(sr, path, JOURNAL_FILE_MAX, &buf, &len) >= 0)
                        k = bundle_out_add(out, member, buf, len);
        }
        strv_free_array(names);
        return k;
}

static int probe_journal(const inspection *in, bundle_out *out, void *userdata)
{
        _cleanup_(sysroot_freep) sysroot *own = NULL;
        const sysroot *sr;
        const char *base;
        _cleanup_free_ char *jdir = NULL;
        char **runs = NULL;
        size_t n = 0, first;
        bool trunc;
        int k;

        k = state_root(in, userdata, &own, &sr, &base);
        if (k < 0)
                return bundle_out_addf(out, "journal/README", "no state directory (%s)\n", strerror(-k));
        jdir = strdup_printf("%s/journal", base);
        if (!jdir)
                return -ENOMEM;
        k = sysroot_list_dir(sr, jdir, 100000, &runs, &n, &trunc);
        if (k == -ENOENT)
                return bundle_out_addf(out, "journal/README", "no recovery journal\n");
        if (k < 0)
                return k;
        /* run ids sort by time: the last ones, with their plans, step records and command logs (never backups) */
        first = n > JOURNAL_RUNS_MAX ? n - JOURNAL_RUNS_MAX : 0;
        for (size_t i = first; i < n && k >= 0; i++) {
                static const char *const top[] = { "run.json", "plan.json" };
                _cleanup_free_ char *run_dir = strdup_printf("%s/%s", jdir, runs[i]);

                if (!run_dir) {
                        k = -ENOMEM;
                        break;
                }
                for (size_t f = 0; f < ELEMENTSOF(top) && k >= 0; f++) {
                        _cleanup_free_ char *path = strdup_printf("%s/%s", run_dir, top[f]);
                        _cleanup_free_ char *member = strdup_printf("journal/%s/%s", runs[i], top[f]);
                        _cleanup_free_ char *buf = NULL;
                        size_t len;

                        if (!path || !member) {
                                k = -ENOMEM;
                                break;
                        }
                        if (sysroot_read_file(sr, path, JOURNAL_FILE_MAX, &buf, &len) >= 0)
                                k = bundle_out_add(out, member, buf, len);
                }
                if (k >= 0)
                        k = add_journal_dir(sr, out, run_dir, runs[i], "steps", ".json");
                if (k >= 0)
                        k = add_journal_dir(sr, out, run_dir, runs[i], "cmd", ".log");
        }
        strv_free_array(runs);
        return k < 0 ? k : 0;
}

static int probe_selftest(const inspection *in, bundle_out *out, void *userdata)
{
        static const char *const files[] = { "last.json", "in-progress.json" };
        _cleanup_(sysroot_freep) sysroot *own = NULL;
        const sysroot *sr;
        const char *base;
        int k = state_root(in, userdata, &own, &sr, &base);

        if (k < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(files) && k >= 0; i++) {
                _cleanup_free_ char *path = strdup_printf("%s/selftest/%s", base, files[i]);
                _cleanup_free_ char *member = strdup_printf("selftest/%s", files[i]);
                _cleanup_free_ char *buf = NULL;
                size_t len;

                if (!path || !member)
                        return -ENOMEM;
                if (sysroot_read_file(sr, path, JOURNAL_FILE_MAX, &buf, &len) >= 0)
                        k = bundle_out_add(out, member, buf, len);
        }
        return k < 0 ? k : 0;
}

/* GPU lines of a syslog-style file (kern.log, kern.log.1: this boot and earlier ones), the last ones. */
static int add_kern_log(const inspection *in, bundle_out *out, const char *path, const char *member)
{
        _cleanup_free_ char *buf = NULL;
        size_t len, n = 0, start;
        char **lines;
        _cleanup_(text_clear) text t = {0};
        int k = sysroot_read_file(in->sr, path, LOG_READ_MAX * 4, &buf, &len);

        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return bundle_out_addf(out, member, "(not readable: %s)\n", strerror(-k));
        lines = calloc(KERN_LINES_MAX, sizeof(char *));
        if (!lines)
                return -ENOMEM;
        /* a ring of the last KERN_LINES_MAX matching lines */
        for (char *line = buf, *nl; line < buf + len; line = nl) {
                nl = memchr(line, '\n', (size_t)(buf + len - line));
                if (nl)
                        *nl++ = '\0';
                else
                        nl = buf + len;
                if (bootlog_line_matches(line))
                        lines[n++ % KERN_LINES_MAX] = line;
        }
        start = n > KERN_LINES_MAX ? n - KERN_LINES_MAX : 0;
        for (size_t i = start; i < n && k >= 0; i++)
                k = text_addf(&t, "%s\n", lines[i % KERN_LINES_MAX]);
        free(lines);
        if (k < 0)
                return k;
        if (n == 0 && text_addf(&t, "(no amdgpu/KFD lines)\n") < 0)
                return -ENOMEM;
        return text_emit(&t, out, member);
}

static int probe_kernel_log(const inspection *in, bundle_out *out, void *userdata)
{
        _cleanup_free_ char *boot_id = NULL;
        _cleanup_(text_clear) text t = {0};
        int k;

        /* this boot, from the persistent journal */
        if (in->live && sysroot_read_line(in->sr, "/proc/sys/kernel/random/boot_id", &boot_id) >= 0) {
                bootlog b = {0};

                k = bootlog_read(in->sr, boot_id, &b);
                if (k >= 0) {
                        for (size_t i = 0; i < b.n_lines; i++)
                                if (text_addf(&t, "%s\n", b.lines[i]) < 0) {
                                        bootlog_clear(&b);
                                        return -ENOMEM;
                                }
                        if (text_addf(&t, "(%zu matching of %zu kernel lines of this boot; the last %zu shown)\n",
                                      b.n_matched, b.n_examined, b.n_lines) < 0) {
                                bootlog_clear(&b);
                                return -ENOMEM;
                        }
                        bootlog_clear(&b);
                } else if (text_addf(&t, "(journal of this boot not readable: %s)\n", strerror(-k)) < 0)
                        return -ENOMEM;
                k = text_emit(&t, out, "kernel-log/journal-this-boot.txt");
                if (k < 0)
                        return k;
        }
        /* the boot before, from the same journal */
        if (in->live && boot_id) {
                char prev[33];
                bootlog b = {0};

                if (journal_previous_boot(in->sr, boot_id, prev) >= 0 && bootlog_read(in->sr, prev, &b) >= 0) {
                        for (size_t i = 0; i < b.n_lines; i++)
                                if (text_addf(&t, "%s\n", b.lines[i]) < 0) {
                                        bootlog_clear(&b);
                                        return -ENOMEM;
                                }
                        k = text_addf(&t, "(%zu matching of %zu kernel lines of the previous boot; the last %zu shown)\n",
                                      b.n_matched, b.n_examined, b.n_lines);
                        bootlog_clear(&b);
                        if (k < 0)
                                return k;
                        k = text_emit(&t, out, "kernel-log/journal-previous-boot.txt");
                        if (k < 0)
                                return k;
                }
        }
        /* syslog's files hold this boot and the ones before */
        k = add_kern_log(in, out, "/var/log/kern.log", "kernel-log/kern.log.txt");
        if (k >= 0)
                k = add_kern_log(in, out, "/var/log/kern.log.1", "kernel-log/kern.log.1.txt");
        return k;
}

static bool env_finding(const char *id)
{
        return startswith(id, "env.") || streq(id, "runtime.preload") || streq(id, "runtime.library-path") ||
               streq(id, "python.startup-hook");
}

static int probe_environment(const inspection *in, bundle_out *out, void *userdata)
{
        const report *r = in->report;
        _cleanup_(text_clear) text t = {0};

        if (text_addf(&t, "# environment findings: only the matched settings, as the findings quote them\n") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding *f = &r->findings[i];

                if (!env_finding(f->id))
                        continue;
                if (text_addf(&t, "%s (%s)%s%s\n", f->id, severity_to_string(f->severity), f->pci_slot ? " @" : "",
                              f->pci_slot ? f->pci_slot : "") < 0)
                        return -ENOMEM;
                for (size_t e = 0; e < f->n_evidence; e++) {
                        const evidence *ev = &f->evidence[e];
                        if (text_addf(&t, "  %s", ev->path ? ev->path : "") < 0 ||
                            (ev->line && text_addf(&t, ":%u", ev->line) < 0) ||
                            text_addf(&t, "  %s\n", ev->detail ? ev->detail : "") < 0)
                                return -ENOMEM;
                }
        }
        return text_emit(&t, out, "environment.txt");
}

static bool rocm_package(const char *name)
{
        static const char *const parts[] = {
                "rocm", "hip", "hsa", "miopen", "rocblas", "amdgpu", "rccl", "comgr", "rocprof", "roctracer",
                "rocsolver", "rocfft", "rocrand", "rocsparse", "tensile",
        };

        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                if (strstr(name, parts[i]))
                        return true;
        return false;
}

static int probe_rocm(const inspection *in, bundle_out *out, void *userdata)
{
        _cleanup_free_ char *status = NULL, *link = NULL;
        char **names = NULL;
        size_t n = 0, len;
        bool trunc;
        _cleanup_(text_clear) text t = {0};

        if (sysroot_readlink(in->sr, "/opt/rocm", &link) >= 0 && text_addf(&t, "/opt/rocm -> %s\n", link) < 0)
                return -ENOMEM;
        if (sysroot_list_dir(in->sr, "/opt", 1000, &names, &n, &trunc) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = NULL, *v = NULL;

                        if (!startswith(names[i], "rocm"))
                                continue;
                        path = strdup_printf("/opt/%s/.info/version", names[i]);
                        if (!path) {
                                strv_free_array(names);
                                return -ENOMEM;
                        }
                        (void)sysroot_read_line(in->sr, path, &v);
                        if (text_addf(&t, "/opt/%s: %s\n", names[i], v ? v : "(no .info/version)") < 0) {
                                strv_free_array(names);
                                return -ENOMEM;
                        }
                }
                strv_free_array(names);
        }
        /* installed packages of the ROCm/amdgpu stack, from the dpkg status file */
        if (sysroot_read_file(in->sr, "/var/lib/dpkg/status", LOG_READ_MAX * 8, &status, &len) >= 0) {
                char pkg[256] = "", ver[256] = "", st[256] = "";

                for (char *line = status, *nl; line && line < status + len; line = nl) {
                        nl = strchr(line, '\n');
                        if (nl)
                                *nl++ = '\0';
                        if (startswith(line, "Package: "))
                                snprintf(pkg, sizeof(pkg), "%s", line + 9);
                        else if (startswith(line, "Version: "))
                                snprintf(ver, sizeof(ver), "%s", line + 9);
                        else if (startswith(line, "Status: "))
                                snprintf(st, sizeof(st), "%s", line + 8);
                        else if (!line[0] || !nl) {
                                if (pkg[0] && rocm_package(pkg) && text_addf(&t, "dpkg %s %s (%s)\n", pkg, ver, st) < 0)
                                        return -ENOMEM;
                                pkg[0] = ver[0] = st[0] = '\0';
                        }
                }
        }
        if (t.len == 0 && text_addf(&t, "no ROCm installation found\n") < 0)
                return -ENOMEM;
        return text_emit(&t, out, "rocm-versions.txt");
}

/* Touches the GPU: hwmon and amdgpu's sysfs attributes ask the SMU firmware. Skipped with --safe-mode. */
static int probe_hwmon(const inspection *in, bundle_out *out, void *userdata)
{
        static const char *const dev_attrs[] = {
                "gpu_busy_percent", "mem_busy_percent", "mem_info_vram_total", "mem_info_vram_used",
                "pp_dpm_sclk", "pp_dpm_mclk", "power_dpm_force_performance_level",
        };
        static const char *const hw_prefixes[] = { "name", "temp", "power", "fan", "pwm", "in", "freq" };
        _cleanup_(text_clear) text t = {0};

        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                _cleanup_free_ char *dev = strdup_printf("/sys/bus/pci/devices/%s", g->pci_slot);
                _cleanup_free_ char *hwdir = dev ? strdup_printf("%s/hwmon", dev) : NULL;
                char **hw = NULL;
                size_t n = 0;
                bool trunc;

                if (!hwdir)
                        return -ENOMEM;
                if (g->vendor_id != 0x1002)
                        continue;
                if (text_addf(&t, "[%s]\n", g->pci_slot) < 0)
                        return -ENOMEM;
                for (size_t a = 0; a < ELEMENTSOF(dev_attrs); a++) {
                        _cleanup_free_ char *path = strdup_printf("%s/%s", dev, dev_attrs[a]);
                        _cleanup_free_ char *v = NULL, *buf = NULL;
                        size_t len;

                        if (!path)
                                return -ENOMEM;
                        if (sysroot_read_file(in->sr, path, 4096, &buf, &len) < 0)
                                continue;
                        v = strstrip(buf) == buf ? TAKE_PTR(buf) : NULL;
                        if (v && text_addf(&t, "  %s: %s\n", dev_attrs[a], v) < 0)
                                return -ENOMEM;
                }
                if (sysroot_list_dir(in->sr, hwdir, 16, &hw, &n, &trunc) < 0)
                        continue;
                for (size_t h = 0; h < n; h++) {
                        _cleanup_free_ char *hdir = strdup_printf("%s/%s", hwdir, hw[h]);
                        char **files = NULL;
                        size_t nf = 0;

                        if (!hdir || sysroot_list_dir(in->sr, hdir, 256, &files, &nf, &trunc) < 0)
                                continue;
                        for (size_t f = 0; f < nf; f++) {
                                _cleanup_free_ char *path = NULL, *v = NULL;
                                bool want = false;

                                for (size_t p = 0; p < ELEMENTSOF(hw_prefixes); p++)
                                        want = want || startswith(files[f], hw_prefixes[p]);
                                if (!want || strchr(files[f], '.'))
                                        continue;
                                path = strdup_printf("%s/%s", hdir, files[f]);
                                if (path && sysroot_read_line(in->sr, path, &v) >= 0)
                                        (void)text_addf(&t, "  %s/%s: %s\n", hw[h], files[f], v);
                        }
                        strv_free_array(files);
                }
                strv_free_array(hw);
        }
        if (t.len == 0 && text_addf(&t, "no AMD GPU\n") < 0)
                return -ENOMEM;
        return text_emit(&t, out, "hwmon.txt");
}

/* ---- what to mask ---- */

static int learn_line(bundle *b, const inspection *in, redact_class c, const char *path)
{
        _cleanup_free_ char *v = NULL;
        int k = sysroot_read_line(in->sr, path, &v);

        if (k < 0)
                return k == -ENOMEM ? k : 0;
        return redactor_add(b->red, c, v);
}

int bundle_learn_secrets(bundle *b, const inspection *in)
{
        static const char *const dmi[] = {
                "product_serial", "board_serial", "chassis_serial", "product_uuid", "board_asset_tag",
                "chassis_asset_tag",
        };
        root_users *users = NULL;
        char **names = NULL;
        size_t n = 0;
        bool trunc;
        int k;

        /* people: every account with a uid of a person, and the invoking user */
        if (root_users_load(in->sr, USERS_ALL, &users) >= 0) {
                for (size_t i = 0; i < users->n; i++)
                        if (users->users[i].uid >= 1000 && users->users[i].uid != 65534) {
                                k = redactor_add(b->red, REDACT_USER, users->users[i].name);
                                if (k < 0) {
                                        root_users_free(users);
                                        return k;
                                }
                        }
                root_users_free(users);
        }
        if (in->user.name && in->user.uid != 0 && (k = redactor_add(b->red, REDACT_USER, in->user.name)) < 0)
                return k;
        /* the machine */
        if ((k = learn_line(b, in, REDACT_HOST, "/etc/hostname")) < 0 ||
            (k = learn_line(b, in, REDACT_HOST, "/proc/sys/kernel/hostname")) < 0)
                return k;
        if (in->sr->is_host) {
                char host[256];
                if (gethostname(host, sizeof(host) - 1) == 0) {
                        host[sizeof(host) - 1] = '\0';
                        if ((k = redactor_add(b->red, REDACT_HOST, host)) < 0)
                                return k;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(dmi); i++) {
                _cleanup_free_ char *path = strdup_printf("/sys/class/dmi/id/%s", dmi[i]);
                if (!path || (k = learn_line(b, in, REDACT_SERIAL, path)) < 0)
                        return -ENOMEM;
        }
        if (sysroot_list_dir(in->sr, "/sys/class/net", 256, &names, &n, &trunc) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = strdup_printf("/sys/class/net/%s/address", names[i]);
                        if (!path || (k = learn_line(b, in, REDACT_MAC, path)) < 0) {
                                strv_free_array(names);
                                return -ENOMEM;
                        }
                }
                strv_free_array(names);
        }
        /* KFD unique_id values: masked in every member, not only on their "unique_id" line */
        names = NULL;
        n = 0;
        if (sysroot_list_dir(in->sr, "/sys/class/kfd/kfd/topology/nodes", KFD_NODES_MAX, &names, &n, &trunc) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = strdup_printf("/sys/class/kfd/kfd/topology/nodes/%s/properties", names[i]);
                        _cleanup_free_ char *buf = NULL;
                        size_t len;
                        const char *p;

                        if (!path || sysroot_read_file(in->sr, path, SMALL_MAX, &buf, &len) < 0)
                                continue;
                        p = strstr(buf, "unique_id ");
                        if (p) {
                                _cleanup_free_ char *v = strndup(p + 10, strcspn(p + 10, "\n"));
                                if (v && !streq(v, "0") && redactor_add(b->red, REDACT_KFD_UNIQUE_ID, v) < 0) {
                                        strv_free_array(names);
                                        return -ENOMEM;
                                }
                        }
                }
                strv_free_array(names);
        }
        return 0;
}

/* ---- all of it ---- */

int bundle_collect(bundle *b, const inspection *in, bool safe_mode, const char *state_dir, const char *fault)
{
        state_ctx sc = { .state_dir = state_dir };
        static const struct {
                const char *name;
                bundle_probe_fn fn;
                bool touches_gpu;
                bool state;
        } probes[] = {
                { "devices", probe_pci, false, false },
                { "kfd-topology", probe_kfd, false, false },
                { "modules", probe_modules, false, false },
                { "dkms", probe_dkms, false, false },
                { "journal", probe_journal, false, true },
                { "selftest", probe_selftest, false, true },
                { "kernel-log", probe_kernel_log, false, false },
                { "environment", probe_environment, false, false },
                { "rocm", probe_rocm, false, false },
                { "hwmon", probe_hwmon, true, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                int k;

                if (safe_mode && probes[i].touches_gpu)
                        k = bundle_skip(b, probes[i].name, "--safe-mode: touches the GPU");
                else
                        k = bundle_run_probe(b, in, probes[i].name, probes[i].fn, probes[i].state ? &sc : NULL, fault);
                if (k < 0)
                        return k;
        }
        return 0;
}
