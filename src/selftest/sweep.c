/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "sweep.h"

#define ELEMS(x) (sizeof(x) / sizeof((x)[0]))

/* Fields: n, cin, h, w, cout, kh, kw, stride, pad */
#define CASE(n_, cin_, h_, w_, cout_, k_, s_, p_)                               \
        { .n = n_, .cin = cin_, .h = h_, .w = w_, .cout = cout_, .kh = k_,      \
          .kw = k_, .stride = s_, .pad = p_ }

static const struct conv_shape quick_cases[] = {
        CASE(1, 3, 8, 8, 16, 3, 1, 1),          /* one partial tile in M and N */
        CASE(2, 4, 13, 11, 5, 3, 2, 1),         /* odd everything, batch of 2 */
        CASE(1, 3, 12, 12, 129, 1, 1, 0),       /* M = 129: second M tile has 1 row */
        CASE(1, 3, 17, 23, 7, 5, 2, 0),         /* 5x5, no padding */
        CASE(1, 16, 42, 42, 16, 3, 1, 1),       /* ROCm 5.7 hang: last size that passed, N = 1764 */
        CASE(1, 8, 44, 44, 32, 5, 1, 2),        /* ROCm 5.7 hang: first size that hung, N = 1936 */
};

/*
 * Work stays around 1.3 G multiply-adds so the CPU backend finishes the
 * standard sweep in seconds; the wide channel counts go with the small
 * feature maps of the 42/44 boundary, the large maps keep narrow channels.
 */
static const struct conv_shape standard_cases[] = {
        /* around the boundary: 40 .. 64 */
        CASE(1, 3, 40, 40, 16, 3, 1, 1),
        CASE(1, 16, 40, 40, 32, 3, 1, 1),
        CASE(1, 64, 40, 40, 64, 3, 1, 1),
        CASE(1, 3, 42, 42, 16, 3, 1, 1),
        CASE(1, 16, 42, 42, 32, 3, 1, 1),
        CASE(1, 32, 42, 42, 32, 5, 2, 2),
        CASE(1, 64, 42, 42, 64, 1, 1, 0),
        CASE(1, 64, 42, 42, 64, 3, 1, 1),
        CASE(1, 3, 44, 44, 16, 3, 1, 1),
        CASE(1, 16, 44, 44, 32, 3, 1, 1),
        CASE(1, 32, 44, 44, 32, 5, 2, 2),
        CASE(1, 64, 44, 44, 64, 1, 1, 0),
        CASE(1, 64, 44, 44, 64, 3, 1, 1),
        CASE(2, 16, 44, 44, 16, 3, 1, 1),
        CASE(1, 3, 48, 48, 16, 3, 1, 1),
        CASE(1, 32, 48, 48, 32, 5, 1, 2),
        CASE(1, 64, 48, 48, 64, 3, 2, 1),
        CASE(1, 3, 64, 64, 16, 3, 1, 1),
        CASE(1, 16, 64, 64, 32, 3, 1, 0),
        CASE(1, 64, 64, 64, 64, 1, 1, 0),
        CASE(1, 64, 64, 64, 64, 3, 1, 1),
        /* larger maps */
        CASE(1, 3, 96, 96, 16, 3, 1, 1),
        CASE(1, 16, 96, 96, 32, 3, 2, 1),
        CASE(1, 32, 96, 96, 64, 1, 1, 0),
        CASE(1, 3, 128, 128, 16, 5, 1, 2),
        CASE(1, 16, 128, 128, 32, 3, 2, 1),
        CASE(1, 32, 128, 128, 64, 1, 1, 0),
        CASE(1, 3, 160, 160, 16, 3, 1, 1),
        CASE(1, 16, 160, 160, 16, 5, 2, 2),
        CASE(1, 3, 224, 224, 16, 3, 1, 1),
        CASE(1, 16, 224, 224, 32, 3, 2, 1),
        CASE(1, 32, 224, 224, 64, 1, 2, 0),
        CASE(1, 64, 224, 224, 64, 3, 2, 1),
        /* odd shapes: M over one tile, no padding, odd sizes */
        CASE(1, 5, 37, 41, 130, 3, 2, 1),
        CASE(3, 7, 45, 43, 24, 5, 1, 0),
};

static const char *const sweep_kind_table[_SWEEP_KIND_MAX] = {
        [SWEEP_QUICK] = "quick",
        [SWEEP_STANDARD] = "standard",
};

const struct conv_shape *sweep_cases(enum sweep_kind kind, size_t *ret_n)
{
        switch (kind) {
        case SWEEP_QUICK:
                *ret_n = ELEMS(quick_cases);
                return quick_cases;
        case SWEEP_STANDARD:
                *ret_n = ELEMS(standard_cases);
                return standard_cases;
        default:
                return NULL;
        }
}

const char *sweep_kind_to_string(enum sweep_kind kind)
{
        if (kind < 0 || kind >= _SWEEP_KIND_MAX)
                return NULL;
        return sweep_kind_table[kind];
}

enum sweep_kind sweep_kind_from_string(const char *s)
{
        if (!s)
                return _SWEEP_KIND_INVALID;
        for (int i = 0; i < _SWEEP_KIND_MAX; i++)
                if (strcmp(s, sweep_kind_table[i]) == 0)
                        return (enum sweep_kind) i;
        return _SWEEP_KIND_INVALID;
}
