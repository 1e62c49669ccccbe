/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The card's FP32 peak from its compute units and engine clock as the KFD
 * topology and amdgpu's sysfs report them, so the self-test can say what
 * fraction of the peak each case reached (a throttled or unstable card
 * shows as a low fraction or a low current clock).
 */

struct gpu_peak {
        int compute_units;      /* simd_count / simd_per_cu of the KFD node */
        int max_sclk_mhz;       /* max_engine_clk_fcompute of the KFD node */
        double peak_gflops;     /* gpu_peak_gflops(compute_units, max_sclk_mhz) */
};

/* FP32 lanes of one RDNA1 compute unit (two SIMD32), each an FMA (2 FLOPs) per clock. */
#define GPU_FP32_LANES_PER_CU 64

/*
 * compute_units * GPU_FP32_LANES_PER_CU * 2 FLOPs * mhz, in GFLOP/s; 0 when
 * either is not positive. An RX 5600 XT (36 CUs, 1560 MHz): 7188.5.
 */
double gpu_peak_gflops(int compute_units, int mhz);

/*
 * The KFD node of the GPU at PCI slot ("0000:03:00.0") under root ("" or
 * "/" for the running system; a fixture directory in tests):
 * root/sys/class/kfd/kfd/topology/nodes/N/properties with that domain and
 * location_id.
 * Returns: 0; -EINVAL for a malformed slot; -ENOENT when no node matches
 * or it lacks simd_count, simd_per_cu or max_engine_clk_fcompute
 * (*ret untouched).
 */
int gpu_peak_read(const char *root, const char *pci_slot, struct gpu_peak *ret);

/*
 * The current engine clock: the line marked '*' in
 * root/sys/bus/pci/devices/SLOT/pp_dpm_sclk ("1: 1560Mhz *").
 * Returns: the clock in MHz, -ENOENT when the file or the mark is missing,
 * -EINVAL for a malformed slot.
 */
int gpu_sclk_now(const char *root, const char *pci_slot);
