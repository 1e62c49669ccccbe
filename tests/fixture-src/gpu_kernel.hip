// SPDX-License-Identifier: GPL-2.0-or-later
// A small HIP library: real device code for the bundle reader's tests
// (tests/unit/test-gpu-bundle.c) and the coverage probe's torch trees.
#include <hip/hip_runtime.h>

__global__ void rdna1_fixture_add1(float *x)
{
        x[threadIdx.x] += 1.0f;
}

extern "C" int rdna1_fixture_launch(float *x)
{
        hipLaunchKernelGGL(rdna1_fixture_add1, dim3(1), dim3(32), 0, 0, x);
        return 0;
}
