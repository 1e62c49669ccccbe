/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../core/base/util.h"
#include "gpu_peak.h"

/*
 * 64 FP32 lanes per RDNA1 CU: an RX 5600 XT has 2304 shaders on 36 CUs at
 * 1560 MHz (GPU-Z report, https://pastebin.com/LAixQmyg): 2304 lanes * 2
 * FLOPs * 1.56 GHz = 7.19 TFLOP/s.
 */
double gpu_peak_gflops(int compute_units, int mhz)
{
        if (compute_units <= 0 || mhz <= 0)
                return 0.0;
        return (double) compute_units * GPU_FP32_LANES_PER_CU * 2.0 * mhz / 1000.0;
}

/* "0000:03:00.0" -> domain, location_id, and the slot respelt canonically for paths. */
static int parse_slot(const char *slot, unsigned *dom, unsigned *loc, char canon[static 16])
{
        unsigned bus, dev, fn;
        char tail;

        if (!slot || strspn(slot, "0123456789abcdefABCDEF:.") != strlen(slot) ||
            sscanf(slot, "%x:%x:%x.%x%c", dom, &bus, &dev, &fn, &tail) != 4 || *dom > 0xffff || bus > 255 ||
            dev > 31 || fn > 7)
                return -EINVAL;
        *loc = (bus << 8) | (dev << 3) | fn;
        snprintf(canon, 16, "%04x:%02x:%02x.%x", *dom, bus, dev, fn);
        return 0;
}

static const char *root_or_empty(const char *root)
{
        return root && strcmp(root, "/") != 0 ? root : "";
}

int gpu_peak_read(const char *root, const char *pci_slot, struct gpu_peak *ret)
{
        unsigned dom, loc;
        char slot[16];
        int r;

        r = parse_slot(pci_slot, &dom, &loc, slot);
        if (r < 0)
                return r;
        /* nodes are numbered from 0 without gaps (kfd_topology.c) */
        for (unsigned node = 0; node < 256; node++) {
                long simds = -1, per_cu = -1, mhz = -1, location = -1, domain = 0;
                _cleanup_fclose_ FILE *f = NULL;
                char path[4096], line[256];

                snprintf(path, sizeof(path), "%s/sys/class/kfd/kfd/topology/nodes/%u/properties", root_or_empty(root),
                         node);
                f = fopen(path, "re");
                if (!f)
                        break;
                while (fgets(line, sizeof(line), f)) {
                        sscanf(line, "simd_count %ld", &simds);
                        sscanf(line, "simd_per_cu %ld", &per_cu);
                        sscanf(line, "max_engine_clk_fcompute %ld", &mhz);
                        sscanf(line, "location_id %ld", &location);
                        sscanf(line, "domain %ld", &domain);
                }
                if (location != (long) loc || domain != (long) dom)
                        continue;
                if (simds <= 0 || per_cu <= 0 || mhz <= 0 || simds / per_cu > 100000 || mhz > 100000)
                        return -ENOENT;
                *ret = (struct gpu_peak){
                        .compute_units = (int) (simds / per_cu),
                        .max_sclk_mhz = (int) mhz,
                        .peak_gflops = gpu_peak_gflops((int) (simds / per_cu), (int) mhz),
                };
                return 0;
        }
        return -ENOENT;
}

int gpu_sclk_now(const char *root, const char *pci_slot)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[4096], line[256];
        unsigned dom, loc;
        char slot[16];
        int r;

        r = parse_slot(pci_slot, &dom, &loc, slot);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/pp_dpm_sclk", root_or_empty(root), slot);
        f = fopen(path, "re");
        if (!f)
                return -ENOENT;
        while (fgets(line, sizeof(line), f)) {
                unsigned level, mhz;

                if (strchr(line, '*') && sscanf(line, "%u: %uMhz", &level, &mhz) == 2 && mhz > 0 && mhz < 100000)
                        return (int) mhz;
        }
        return -ENOENT;
}
