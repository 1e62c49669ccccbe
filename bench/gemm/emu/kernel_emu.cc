// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Runs gemm_tiled_f32 and im2col_nchw_f32 from the real kernel source on CPU
 * threads against conv_cpu.c's reference and bound: odd GEMM shapes
 * (edge tiles in M, N and K; aligned and unaligned leading dimensions, a
 * batch) and the quick sweep. Exit 0 when everything passes.
 */
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "hip/hip_runtime.h"
#include "../../../src/selftest/kernels/gemm_tiled.hip"
#include "../../../src/selftest/conv_cpu.h"
#include "../../../src/selftest/sweep.h"

thread_local emu_dim3 threadIdx, blockIdx;
emu_dim3 blockDim, gridDim;
static std::barrier<> *bar;

void __syncthreads()
{
        bar->arrive_and_wait();
}

static void launch(emu_dim3 grid, emu_dim3 block, const std::function<void()> &body)
{
        unsigned n = block.x * block.y * block.z;
        std::barrier<> b(n);

        bar = &b;
        gridDim = grid;
        blockDim = block;
        for (unsigned z = 0; z < grid.z; z++)
                for (unsigned y = 0; y < grid.y; y++)
                        for (unsigned x = 0; x < grid.x; x++) {
                                std::vector<std::thread> th;
                                for (unsigned t = 0; t < n; t++)
                                        th.emplace_back([&, t, x, y, z] {
                                                threadIdx = { t, 0, 0 };
                                                blockIdx = { x, y, z };
                                                body();
                                        });
                                for (auto &t : th)
                                        t.join();
                        }
}

/*
 * Padding columns (lda > K, ldb > N) and a tail after each matrix hold NaN,
 * so a load the kernel should have predicated off turns its outputs into
 * NaN; C's padding and tail hold a poison value that must survive.
 */
static const size_t guard = 4096;
static const float poison = 1234.5f;

static int check_gemm(int M, int N, int K, int lda, int ldb, int ldc, int batch, int offset)
{
        const float nan = NAN;
        /* offset (floats) misaligns the base pointers to force scalar paths */
        std::vector<float> A(offset + (size_t) M * lda + guard, nan),
                B(offset + (size_t) batch * K * ldb + guard, nan),
                C(offset + (size_t) batch * M * ldc + guard, poison);
        std::vector<double> ref((size_t) M * N), abs_sum((size_t) M * N);
        int bad = 0;

        float *a = A.data() + offset, *b = B.data() + offset, *c = C.data() + offset;
        for (int m = 0; m < M; m++)
                conv_fill_random(a + (size_t) m * lda, K, 1 + m);
        for (int k = 0; k < batch * K; k++)
                conv_fill_random(b + (size_t) k * ldb, N, 100000 + k);
        launch({ (unsigned) (N + GEMM_BN - 1) / GEMM_BN, (unsigned) (M + GEMM_BM - 1) / GEMM_BM,
                 (unsigned) batch },
               { GEMM_THREADS, 1, 1 }, [&] {
                       gemm_tiled_f32(M, N, K, a, lda, 0, b, ldb, (long long) K * ldb, c, ldc,
                                      (long long) M * ldc);
               });
        for (int z = 0; z < batch; z++) {
                std::vector<float> y((size_t) M * N);
                gemm_reference(M, N, K, a, lda, b + (size_t) z * K * ldb, ldb, ref.data(), N,
                               abs_sum.data());
                for (int m = 0; m < M; m++)
                        for (int n = 0; n < ldc; n++) {
                                float v = c[(size_t) z * M * ldc + (size_t) m * ldc + n];
                                if (n < N)
                                        y[(size_t) m * N + n] = v;
                                else if (v != poison)
                                        bad++;  /* wrote outside M x N */
                        }
                bad += (int) conv_check_bound(y.size(), K, y.data(), ref.data(), abs_sum.data(), NULL);
        }
        for (size_t i = 0; i < (size_t) offset; i++)
                bad += C[i] != poison;
        for (size_t i = offset + (size_t) batch * M * ldc; i < C.size(); i++)
                bad += C[i] != poison;
        printf("gemm M%d N%d K%d lda%d ldb%d ldc%d batch%d off%d: %s\n", M, N, K, lda, ldb, ldc,
               batch, offset, bad ? "FAIL" : "ok");
        return bad != 0;
}

static int check_conv(const conv_shape *s)
{
        conv_dims d;
        char name[96];

        conv_shape_dims(s, &d);
        conv_shape_format(s, name, sizeof(name));
        std::vector<float> x(d.x_len + guard, NAN), w(d.w_len + guard, NAN),
                col(d.col_len * s->n + guard, poison), y(d.y_len + guard, poison);
        std::vector<double> ref(d.y_len), abs_sum(d.y_len);
        conv_fill_random(x.data(), d.x_len, 3);
        conv_fill_random(w.data(), d.w_len, 4);
        launch({ 7, s->n, 1 }, { 64, 1, 1 }, [&] {
                im2col_nchw_f32(x.data(), col.data(), s->cin, s->h, s->w, s->kh, s->kw, s->stride,
                                s->pad, (int) d.ho, (int) d.wo);
        });
        launch({ (unsigned) (d.n + GEMM_BN - 1) / GEMM_BN, (unsigned) (d.m + GEMM_BM - 1) / GEMM_BM,
                 s->n },
               { GEMM_THREADS, 1, 1 }, [&] {
                       gemm_tiled_f32(d.m, d.n, d.k, w.data(), d.k, 0, col.data(), d.n,
                                      (long long) d.col_len, y.data(), d.n, (long long) (d.m * d.n));
               });
        conv_reference(s, x.data(), w.data(), ref.data(), abs_sum.data());
        size_t bad = conv_check_bound(d.y_len, d.k, y.data(), ref.data(), abs_sum.data(), NULL);
        for (size_t i = d.y_len; i < y.size(); i++)
                bad += y[i] != poison;
        for (size_t i = d.col_len * s->n; i < col.size(); i++)
                bad += col[i] != poison;
        printf("conv %s: %s\n", name, bad ? "FAIL" : "ok");
        return bad != 0;
}

int main()
{
        int fail = 0;
        size_t n;

        fail += check_gemm(1, 1, 1, 1, 1, 1, 1, 0);
        fail += check_gemm(129, 131, 17, 20, 132, 136, 1, 0);     /* aligned lds, edges */
        fail += check_gemm(129, 131, 17, 17, 131, 131, 1, 0);     /* unaligned lds */
        fail += check_gemm(128, 128, 16, 16, 128, 128, 2, 0);     /* exact tiles, batch */
        fail += check_gemm(130, 260, 9, 12, 260, 260, 1, 1);      /* misaligned bases */
        fail += check_gemm(5, 7, 0, 4, 8, 8, 1, 0);               /* K = 0 */
        fail += check_gemm(3, 250, 33, 36, 252, 251, 1, 0);
        const conv_shape *cs = sweep_cases(SWEEP_QUICK, &n);
        for (size_t i = 0; i < n; i++)
                fail += check_conv(&cs[i]);
        printf("%s\n", fail ? "FAILED" : "all passed");
        return fail ? 1 : 0;
}
