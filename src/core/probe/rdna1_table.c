/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "probe/rdna1_table.h"

#include <stdio.h>

#include "base/util.h"

/* Checked against amdgpu_drv.c: the Navi10, Navi14 and Navi12 blocks. */
static const rdna1_model models[] = {
        {0x7310, "Navi 10", "gfx1010", 100100},
        {0x7312, "Navi 10", "gfx1010", 100100},
        {0x7318, "Navi 10", "gfx1010", 100100},
        {0x7319, "Navi 10", "gfx1010", 100100},
        {0x731A, "Navi 10", "gfx1010", 100100},
        {0x731B, "Navi 10", "gfx1010", 100100},
        {0x731E, "Navi 10", "gfx1010", 100100},
        {0x731F, "Navi 10", "gfx1010", 100100},
        {0x7340, "Navi 14", "gfx1012", 100102},
        {0x7341, "Navi 14", "gfx1012", 100102},
        {0x7347, "Navi 14", "gfx1012", 100102},
        {0x734F, "Navi 14", "gfx1012", 100102},
        {0x7360, "Navi 12", "gfx1011", 100101},
        {0x7362, "Navi 12", "gfx1011", 100101},
};

const rdna1_model *rdna1_lookup(uint16_t vendor, uint16_t device)
{
        if (vendor != PCI_VENDOR_AMD)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(models); i++)
                if (models[i].device_id == device)
                        return &models[i];
        return NULL;
}

bool rdna1_gfx_version(uint64_t v)
{
        return v == 100100 || v == 100101 || v == 100102;
}

char *gfx_target_from_version(uint64_t v, char *buf, size_t size)
{
        unsigned major = (unsigned)(v / 10000), minor = (unsigned)(v / 100 % 100),
                 stepping = (unsigned)(v % 100);

        if (v == 0 || major == 0 || major > 99 || minor > 15 || stepping > 15)
                return NULL;
        /* The ISA name prints minor and stepping as one hex digit each. */
        snprintf(buf, size, "gfx%u%x%x", major, minor, stepping);
        return buf;
}
