/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which gfx targets a profile or env file is judged against: the AMD GPUs
 * of the root (PCI, with KFD's gfx_target_version when KFD is up), and the
 * index ROCR_VISIBLE_DEVICES would give each.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/report.h"
#include "root/sysroot.h"

/* When the root shows no GPU, judge as if an RX 5600 XT (gfx1010, docs/DOMAIN.md §15) were there. */
#define GPU_TARGET_DEFAULT "gfx1010"

typedef struct gpu_target {
        char *pci_slot;         /* "0000:03:00.0"; NULL for the default target */
        char *gfx;              /* "gfx1010"; NULL when unknown (non-RDNA1 without KFD) */
        bool rdna1;
        int agent_index;        /* ROCr's GPU agent index: KFD GPU node order, else PCI order */
        bool index_from_kfd;
} gpu_target;

typedef struct gpu_targets {
        gpu_target *items;
        size_t n;               /* AMD GPUs found (0: none) */
} gpu_targets;

/* Detect the AMD GPUs of the root; problems reading go to r (may be NULL). */
int gpu_targets_detect(const sysroot *sr, report *r, gpu_targets *ret);
void gpu_targets_clear(gpu_targets *t);

/*
 * Pick the GPU a selector names: a PCI slot ("0000:03:00.0" or "03:00.0"),
 * a gfx target ("gfx1010"), or "rdna1" (the first RDNA1 GPU). NULL selects
 * nothing. Returns the target or NULL.
 */
const gpu_target *gpu_targets_select(const gpu_targets *t, const char *selector);
