/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * RDNA1 parts, from the kernel's amdgpu_drv.c pciidlist (CHIP_NAVI10/12/14)
 * and kfd_device.c (GC IP version -> gfx_target_version).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_VENDOR_AMD 0x1002

typedef struct rdna1_model {
        uint16_t device_id;
        const char *chip;           /* "Navi 10" */
        const char *gfx_target;     /* "gfx1010" */
        uint32_t gfx_target_version; /* KFD: 100100 */
} rdna1_model;

/* NULL when vendor/device is not an RDNA1 part. */
const rdna1_model *rdna1_lookup(uint16_t vendor, uint16_t device);

/* Is this KFD gfx_target_version an RDNA1 one (100100, 100101, 100102)? */
bool rdna1_gfx_version(uint64_t gfx_target_version);

/*
 * KFD gfx_target_version (major*10000 + minor*100 + stepping) to the ISA
 * name: 100100 -> "gfx1010", 100306 -> "gfx1036", 90010 -> "gfx90a".
 * Returns buf, or NULL when the value cannot be a target.
 */
char *gfx_target_from_version(uint64_t v, char *buf, size_t size);
