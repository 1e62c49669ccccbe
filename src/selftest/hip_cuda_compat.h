/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Lets the HIP kernel sources in kernels/ build with nvcc, for checking and
 * benchmarking on NVIDIA hardware. HIP's kernel language is CUDA's, so only
 * the few HIP-only names used there are mapped. Included instead of
 * <hip/hip_runtime.h> when __CUDACC__ is defined.
 */

#include <cuda_runtime.h>

#define hipLaunchKernelGGL(kernel, grid, block, shmem, stream, ...)            \
        kernel<<<(grid), (block), (shmem), (stream)>>>(__VA_ARGS__)

/*
 * CUDA's second __launch_bounds__ argument is a minimum of blocks per SM,
 * HIP's is not: ask nvcc for two resident blocks (at most 128 registers).
 */
#define GEMM_LAUNCH_BOUNDS(threads) __launch_bounds__(threads, 2)
