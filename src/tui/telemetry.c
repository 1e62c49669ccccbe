/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live GPU numbers from amdgpu's sysfs attributes in the inspected root
 * (docs/ARCHITECTURE.md: sysfs/hwmon is the TUI's primary source; no ROCm library is
 * ever loaded here): the PCI device's gpu_busy_percent and
 * mem_info_vram_used/total, and hwmon/hwmonN/temp1_input below it. That device
 * directory is /sys/class/drm/cardN/device of the card.
 */
#include <stdlib.h>

#include "app.h"
#include "base/util.h"

static int read_u64(const sysroot *sr, const char *path, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = sysroot_read_line(sr, path, &s);

        if (r < 0)
                return r;
        return safe_atou64(s, 10, ret);
}

int telemetry_read(const sysroot *sr, const char *pci_slot, telemetry *ret)
{
        _cleanup_free_ char *dev = strdup_printf("/sys/bus/pci/devices/%s", pci_slot);
        _cleanup_free_ char *hwdir = NULL;
        char **hw = NULL;
        size_t n = 0;
        uint64_t v;
        telemetry t = {0};

        if (!dev)
                return -ENOMEM;
        {
                _cleanup_free_ char *p = strdup_printf("%s/gpu_busy_percent", dev);
                if (p && read_u64(sr, p, &v) == 0 && v <= 100) {
                        t.has_busy = true;
                        t.busy_percent = (unsigned)v;
                }
        }
        {
                _cleanup_free_ char *pu = strdup_printf("%s/mem_info_vram_used", dev);
                _cleanup_free_ char *pt = strdup_printf("%s/mem_info_vram_total", dev);
                uint64_t used, total;

                if (pu && pt && read_u64(sr, pu, &used) == 0 && read_u64(sr, pt, &total) == 0 && total > 0) {
                        t.has_vram = true;
                        t.vram_used = used;
                        t.vram_total = total;
                }
        }
        hwdir = strdup_printf("%s/hwmon", dev);
        if (hwdir && sysroot_list_dir(sr, hwdir, 16, &hw, &n, NULL) >= 0) {
                for (size_t i = 0; i < n && !t.has_temp; i++) {
                        _cleanup_free_ char *p = strdup_printf("%s/%s/temp1_input", hwdir, hw[i]);
                        if (p && read_u64(sr, p, &v) == 0 && v < 200000) {
                                t.has_temp = true;
                                t.temp_mc = (long)v;
                        }
                }
                strv_free_array(hw);
        }
        *ret = t;
        return 0;
}

void telemetry_refresh(tui_app *a)
{
        size_t n = a->in ? a->in->n_devices : 0;

        if (!a->sr)
                return;
        if (n != a->n_tele) {
                telemetry *t = reallocarray(a->tele, n ? n : 1, sizeof(*t));
                if (!t)
                        return;
                a->tele = t;
                a->n_tele = n;
        }
        for (size_t i = 0; i < n; i++)
                if (telemetry_read(a->sr, a->in->devices[i].pci_slot, &a->tele[i]) < 0)
                        a->tele[i] = (telemetry){0};
}
