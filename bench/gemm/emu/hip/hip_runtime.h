// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-in for <hip/hip_runtime.h> that runs kernels/gemm_tiled.hip on CPU
 * threads (one std::thread per GPU thread, a barrier for __syncthreads), so
 * the kernel's indexing and edge handling can be checked without a GPU.
 * Blocks run one after another, which keeps function-static "__shared__"
 * arrays private to the running block. Slow; small shapes only.
 */
#pragma once
#include <cmath>
#include <cstdint>

struct emu_dim3 {
        unsigned x, y, z;
};
extern thread_local emu_dim3 threadIdx, blockIdx;
extern emu_dim3 blockDim, gridDim;
void __syncthreads();

struct alignas(16) float4 {
        float x, y, z, w;
};
static inline float4 make_float4(float x, float y, float z, float w)
{
        return float4{ x, y, z, w };
}

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
