/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * ROCm stacks known to be bad in some setting (stack.rocm raises them as a
 * warning): a release range, which kind of install it is, the GPU it hurts
 * and the distribution release it does not fit, each with the reason and
 * where that is known from. A table in code, like rdna1_table.c: these are
 * facts about released software, not settings a user tunes.
 */

#include <stdbool.h>
#include <stddef.h>

typedef enum rocm_stack_kind {
        ROCM_STACK_OPT,          /* an AMD release tree, /opt/rocm-X */
        ROCM_STACK_DISTRIBUTION, /* the distribution's HIP packages */
        ROCM_STACK_TORCH,        /* a HIP build of torch, by its torch.version.hip */
        _ROCM_STACK_KIND_MAX,
} rocm_stack_kind;

typedef struct rocm_known_bad {
        const char *id;
        const char *min, *max;   /* inclusive release bounds ("5.3"; "5.2" = every 5.2.x); NULL: open */
        unsigned kinds;          /* 1u << rocm_stack_kind */
        const char *gfx;         /* only where a GPU of this target is present; NULL: any */
        const char *os_id;       /* os-release ID and VERSION_ID; NULL: any */
        const char *os_version;
        const char *reason;
        const char *source;
} rocm_known_bad;

/* What a stack is judged against: the root's GPUs and distribution release. */
typedef struct rocm_setting {
        const char *const *gfx;  /* gfx targets present */
        size_t n_gfx;
        const char *os_id;       /* NULL when unknown */
        const char *os_version;
} rocm_setting;

/*
 * Compare release a with bound b on as many components as b has ("5.2.3"
 * equals "5.2"; "5.10" is above "5.9"). Non-numeric parts compare as 0.
 */
int rocm_release_cmp(const char *a, const char *b);

/*
 * The next table entry, from *iter on (start at 0), that applies to
 * release version of this kind in this setting; NULL when none is left.
 */
const rocm_known_bad *rocm_known_bad_next(const char *version, rocm_stack_kind kind, const rocm_setting *s,
                                          size_t *iter);
