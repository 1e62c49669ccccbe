/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "check/rocm_known_bad.h"

#define KIND(k) (1u << (k))

/*
 * Each entry states one claim its source makes. The ROCm issues are cited
 * where GitHub now keeps them: the former ROCm/ROCm (RadeonOpenCompute/ROCm)
 * tracker is ROCm/legacy-rocm-build, same numbers. A PyTorch wheel loads
 * the ROCm libraries it bundles, so a claim about PyTorch builds is judged
 * against torch.version.hip (ROCM_STACK_TORCH), never against an /opt/rocm
 * tree that no torch uses.
 */
static const rocm_known_bad table[] = {
        {
                .id = "torch-rocm-5.3-and-newer-on-gfx1010",
                .min = "5.3",
                .kinds = KIND(ROCM_STACK_TORCH),
                .gfx = "gfx1010",
                .reason = "a user reports that PyTorch 2 built on ROCm 5.3 or newer does not run on an RX 5700 XT "
                          "(gfx1010) with HSA_OVERRIDE_GFX_VERSION=10.3.0, where PyTorch 1.13.1 did, and that "
                          "PyTorch 2 compiled with ROCm 5.2 works",
                .source = "https://github.com/ROCm/legacy-rocm-build/issues/2527 (\"Regression in rocm 5.3 and "
                          "newer for gfx1010\", the opening report)",
        },
        {
                .id = "rocm-5.2-on-ubuntu-24.04",
                .min = "5.2",
                .max = "5.2",
                .kinds = KIND(ROCM_STACK_OPT),
                .os_id = "ubuntu",
                .os_version = "24.04",
                .reason = "ROCm 5.2's packages depend on packages newer Ubuntu releases do not ship (already on "
                          "22.04: rocm-llvm5.2.0 needs libstdc++-5-dev or libstdc++-7-dev and rocm-gdb5.2.0 "
                          "libpython3.8, \"not installable\"); AMD supports Ubuntu 24.04 from ROCm 6.2.0 on",
                .source = "https://github.com/ROCm/legacy-rocm-build/issues/1713 (\"rocm-gdb5.2.0 : Depends: "
                          "libpython3.8 but it is not installable\", and rocm-llvm5.2.0 on libstdc++-5-dev or "
                          "libstdc++-7-dev); https://github.com/ROCm/legacy-rocm-build/issues/2993 (Ubuntu 24.04 "
                          "support: \"Documentation for just-released ROCm 6.2.0 lists official support for Ubuntu "
                          "24.04\"; 6.1.2 did not)",
        },
};

/* The number at *p ("10" of "10.1"), advancing past it and one dot; 0 for anything else. */
static unsigned long next_component(const char **p)
{
        unsigned long v = 0;

        if (isdigit((unsigned char)**p))
                v = strtoul(*p, (char **)p, 10);
        while (**p && **p != '.')
                (*p)++;
        if (**p == '.')
                (*p)++;
        return v;
}

int rocm_release_cmp(const char *a, const char *b)
{
        while (*b) {
                unsigned long x = next_component(&a), y = next_component(&b);

                if (x != y)
                        return x < y ? -1 : 1;
        }
        return 0;
}

static bool setting_has_gfx(const rocm_setting *s, const char *gfx)
{
        for (size_t i = 0; i < s->n_gfx; i++)
                if (streq(s->gfx[i], gfx))
                        return true;
        return false;
}

static bool applies(const rocm_known_bad *k, const char *version, rocm_stack_kind kind, const rocm_setting *s)
{
        if (!(k->kinds & KIND(kind)))
                return false;
        if ((k->min && rocm_release_cmp(version, k->min) < 0) || (k->max && rocm_release_cmp(version, k->max) > 0))
                return false;
        if (k->gfx && !setting_has_gfx(s, k->gfx))
                return false;
        if (k->os_id && (!s->os_id || !streq(s->os_id, k->os_id)))
                return false;
        if (k->os_version && (!s->os_version || !streq(s->os_version, k->os_version)))
                return false;
        return true;
}

const rocm_known_bad *rocm_known_bad_next(const char *version, rocm_stack_kind kind, const rocm_setting *s,
                                          size_t *iter)
{
        if (!version || !isdigit((unsigned char)*version))
                return NULL;
        for (; *iter < ELEMENTSOF(table); (*iter)++)
                if (applies(&table[*iter], version, kind, s))
                        return &table[(*iter)++];
        return NULL;
}
