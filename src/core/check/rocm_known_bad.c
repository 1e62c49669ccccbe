/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "check/rocm_known_bad.h"

#define KIND(k) (1u << (k))

static const rocm_known_bad table[] = {
        {
                .id = "rocm-5.3-and-newer-on-gfx1010",
                .min = "5.3",
                .kinds = KIND(ROCM_STACK_OPT),
                .gfx = "gfx1010",
                .reason = "ROCm 5.3 and newer regressed on gfx1010: PyTorch built on them hangs the GPU in Conv2d "
                          "on feature maps of 44x44 and larger (42x42 and smaller pass), and no environment setting "
                          "fixes it",
                .source = "ROCm/ROCm#2527, \"Regression in rocm 5.3 and newer for gfx1010\"; a reported machine: ROCm 5.7 "
                          "+ PyTorch 2.2.2+rocm5.7",
        },
        {
                .id = "rocm-5.2-on-ubuntu-24.04",
                .min = "5.2",
                .max = "5.2",
                .kinds = KIND(ROCM_STACK_OPT),
                .os_id = "ubuntu",
                .os_version = "24.04",
                .reason = "ROCm 5.2 was not built for Ubuntu 24.04: its packages need libtinfo5, libncurses5 and "
                          "libstdc++-5-dev, which 24.04 does not ship, and its binaries predate glibc 2.39",
                .source = "a reported machine: ROCm 5.2 incompatible with Ubuntu 24.04",
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
