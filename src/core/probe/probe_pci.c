/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Display devices through libpci's sysfs backend pointed at the root's
 * /sys. libpci opens paths itself, so every device entry is first checked
 * to stay inside the root; a tree with an escaping link is not handed over.
 */
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>

#include "base/util.h"
#include "probe/facts.h"

#define MAX_PCI_DEVICES 4096

static __thread jmp_buf *pci_error_jump;

_printf_(1, 2) __attribute__((noreturn)) static void pci_error_cb(char *msg, ...)
{
        /* libpci expects error() not to return. */
        if (pci_error_jump)
                longjmp(*pci_error_jump, 1);
        abort();
}

_printf_(1, 2) static void pci_quiet_cb(char *msg, ...)
{
}

void gpu_devices_free(gpu_device *d, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(d[i].pci_slot);
                free(d[i].name);
                free(d[i].gfx_target);
                free(d[i].driver);
                free(d[i].render_node);
        }
        free(d);
}

static int check_contained(const sysroot *sr, report *r)
{
        char **names = NULL;
        size_t n;
        bool truncated;
        int k;

        k = sysroot_list_dir(sr, "/sys/bus/pci/devices", MAX_PCI_DEVICES, &names, &n, &truncated);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = strdup_printf("/sys/bus/pci/devices/%s", names[i]);

                if (!p) {
                        k = -ENOMEM;
                        break;
                }
                if (!sysroot_path_is_contained(sr, p)) {
                        report_add_reason(r, "pci", p, "symbolic link leaves the inspected root", true);
                        k = -EXDEV;
                }
        }
        strv_free_array(names);
        return k < 0 ? k : (int)n;
}

static char *bound_driver(const sysroot *sr, const char *slot)
{
        _cleanup_free_ char *p = strdup_printf("/sys/bus/pci/devices/%s/driver", slot);
        _cleanup_free_ char *target = NULL;
        const char *base;

        if (!p || sysroot_readlink(sr, p, &target) < 0)
                return NULL;
        base = strrchr(target, '/');
        return strdup(base ? base + 1 : target);
}

static char *render_node(const sysroot *sr, const char *slot)
{
        _cleanup_free_ char *p = strdup_printf("/sys/bus/pci/devices/%s/drm", slot);
        char **names = NULL;
        char *node = NULL;
        size_t n;

        if (!p || sysroot_list_dir(sr, p, 64, &names, &n, NULL) < 0)
                return NULL;
        for (size_t i = 0; i < n && !node; i++)
                if (startswith(names[i], "renderD"))
                        node = strdup_printf("/dev/dri/%s", names[i]);
        strv_free_array(names);
        return node;
}

static int add_device(const sysroot *sr, struct pci_access *pacc, struct pci_dev *d, gpu_device *g)
{
        char namebuf[256];
        const char *name;

        pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS);
        *g = (gpu_device){
                .domain = (unsigned)d->domain,
                .bus = d->bus,
                .dev = d->dev,
                .fn = d->func,
                .vendor_id = d->vendor_id,
                .device_id = d->device_id,
                .subsys_vendor_id = d->subsys_vendor_id,
                .subsys_device_id = d->subsys_id,
                .revision = d->rev_id,
                .class_code = ((uint32_t)d->device_class << 8) | d->prog_if,
                .kfd_node = -1,
        };
        g->pci_slot = strdup_printf("%04x:%02x:%02x.%u", g->domain, g->bus, g->dev, g->fn);
        if (!g->pci_slot)
                return -ENOMEM;
        name = pci_lookup_name(pacc, namebuf, sizeof(namebuf), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                               d->vendor_id, d->device_id);
        g->name = strdup(name ? name : "");
        g->rdna1 = rdna1_lookup(g->vendor_id, g->device_id);
        if (g->rdna1)
                g->gfx_target = strdup(g->rdna1->gfx_target);
        g->driver = bound_driver(sr, g->pci_slot);
        g->render_node = render_node(sr, g->pci_slot);
        return g->name ? 0 : -ENOMEM;
}

typedef struct pci_scan {
        gpu_device *devs;
        size_t n;
        int error;
} pci_scan;

/*
 * The part that runs under libpci's error handler: nothing here is a local
 * that changes after setjmp(), all state lives in *scan.
 */
static __attribute__((noinline)) void run_libpci(const sysroot *sr, struct pci_access *pacc, report *r,
                                                 pci_scan *scan)
{
        jmp_buf jump;

        pci_error_jump = &jump;
        if (setjmp(jump)) {
                pci_error_jump = NULL;
                report_add_reason(r, "pci", "/sys/bus/pci/devices", "libpci could not read the device tree", true);
                gpu_devices_free(scan->devs, scan->n);
                scan->devs = NULL;
                scan->n = 0;
                return;
        }
        pci_init(pacc);
        pci_scan_bus(pacc);
        for (struct pci_dev *d = pacc->devices; d; d = d->next) {
                gpu_device *grown;

                pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS);
                /* Base class 0x03: display controllers (VGA, 3D, other). */
                if ((d->device_class >> 8) != 0x03)
                        continue;
                grown = realloc(scan->devs, (scan->n + 1) * sizeof(gpu_device));
                if (!grown) {
                        scan->error = -ENOMEM;
                        break;
                }
                scan->devs = grown;
                scan->error = add_device(sr, pacc, d, &scan->devs[scan->n]);
                scan->n++;
                if (scan->error < 0)
                        break;
        }
        pci_error_jump = NULL;
}

int pci_probe(const sysroot *sr, report *r, gpu_device **ret, size_t *ret_n)
{
        _cleanup_free_ char *sysfs = NULL;
        struct pci_access *pacc;
        pci_scan scan = {0};
        int k;

        k = check_contained(sr, r);
        if (k == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0; /* no PCI bus in this root */
        }
        if (k < 0) {
                if (k != -EXDEV)
                        report_add_reason_errno(r, "pci", "/sys/bus/pci/devices", k, true);
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        /* libpci's sysfs.path is the bus directory: it reads <path>/devices. */
        sysfs = sysroot_host_path(sr, "/sys/bus/pci");
        if (!sysfs)
                return -ENOMEM;
        pacc = pci_alloc();
        if (!pacc)
                return -ENOMEM;
        pacc->error = pci_error_cb;
        pacc->warning = pci_quiet_cb;
        pacc->debug = pci_quiet_cb;
        pacc->method = PCI_ACCESS_SYS_BUS_PCI;
        pci_set_param(pacc, (char *)"sysfs.path", sysfs);
        run_libpci(sr, pacc, r, &scan);
        pci_cleanup(pacc);
        if (scan.error < 0) {
                gpu_devices_free(scan.devs, scan.n);
                return scan.error;
        }
        *ret = scan.devs;
        *ret_n = scan.n;
        return 0;
}
