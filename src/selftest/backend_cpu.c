/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CPU backend: conv_forward_cpu(), the same im2col + tiled GEMM (tile
 * configurations of gemm_config.h, K chunks of the plan) as the HIP
 * kernels, so CI runs the whole pipeline and its checks without a GPU.
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"

static int cpu_conv(selftest_backend *b, const struct conv_shape *s, const struct gemm_plan *plan, const float *x,
                    const float *w, float *y)
{
        (void)b;
        if (!plan)
                return -EINVAL;
        return conv_forward_cpu(s, plan, x, w, y);
}

static void cpu_destroy(selftest_backend *b)
{
        free(b);
}

int backend_cpu_open(const backend_options *o, backend_error *ret_err, selftest_backend **ret)
{
        selftest_backend *b;

        (void)o;
        (void)ret_err;
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->name = "cpu";
        b->conv = cpu_conv;
        b->destroy = cpu_destroy;
        *ret = b;
        return 0;
}

int backend_plan(const selftest_backend *b, const struct conv_shape *s, struct gemm_plan *ret)
{
        int cus = b->has_device && b->device.compute_units > 0 ? b->device.compute_units : GEMM_PLAN_CPU_COMPUTE_UNITS;

        return conv_plan(s, cus, ret);
}

selftest_backend *backend_free(selftest_backend *b)
{
        if (b)
                b->destroy(b);
        return NULL;
}
