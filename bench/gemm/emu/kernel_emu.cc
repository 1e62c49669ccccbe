// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Runs gemm_tiled_f32_<config>, gemm_splitk_reduce_f32 and im2col_nchw_f32
 * from the real kernel source on CPU threads against conv_cpu.c's reference
 * and bound: odd GEMM shapes (edge tiles in M, N and K; aligned and
 * unaligned leading dimensions, a batch) under every tile configuration,
 * one pass and split-K, and the quick sweep with the planned configuration.
 * Exit 0 when everything passes.
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

typedef void (*gemm_kernel)(int, int, int, int, int, const float *, int, long long, const float *, int,
                            long long, float *, int, long long);
#define GEMM_KERNEL_PTR_(name, bm, bn, bk, tm, tn, wty, wtx) gemm_tiled_f32_##name,
static const gemm_kernel gemm_kernels[_GEMM_CFG_MAX] = { GEMM_CONFIGS(GEMM_KERNEL_PTR_) };
#undef GEMM_KERNEL_PTR_
typedef void (*conv_kernel)(int, int, int, int, int, const float *, int, long long, const float *, long long, int,
                            int, int, int, int, int, int, float *, int, long long);
#define GEMM_KERNEL_PTR_(name, bm, bn, bk, tm, tn, wty, wtx) gemm_conv_f32_##name,
static const conv_kernel conv_kernels[_GEMM_CFG_MAX] = { GEMM_CONFIGS(GEMM_KERNEL_PTR_) };
#undef GEMM_KERNEL_PTR_

/* y = conv(x, w) as an implicit GEMM under plan p (no col buffer) */
static void launch_conv_implicit(const gemm_plan &p, const conv_shape *s, const conv_dims &d, const float *x,
                                 const float *w, float *y)
{
        const gemm_config &c = gemm_configs[p.config];
        int M = (int) d.m, N = (int) d.n, K = (int) d.k;
        std::vector<float> work(gemm_plan_workspace(&p, M, N, (int) s->n));
        bool split = p.splits > 1;
        float *out = split ? work.data() : y;
        long long so = (long long) M * N;

        launch({ (unsigned) (N + c.bn - 1) / c.bn, (unsigned) (M + c.bm - 1) / c.bm, s->n * p.splits },
               { (unsigned) c.threads, 1, 1 }, [&] {
                       conv_kernels[p.config](M, N, K, p.k_chunk, p.splits, w, K, 0, x,
                                              (long long) s->cin * s->h * s->w, (int) s->h, (int) s->w,
                                              (int) s->kh, (int) s->kw, (int) s->stride, (int) s->pad,
                                              (int) d.wo, out, N, so);
               });
        if (split)
                launch({ 3, s->n, 1 }, { 32, 1, 1 },
                       [&] { gemm_splitk_reduce_f32(M, N, p.splits, work.data(), y, N, so); });
}

/* C = A B under plan p, as the HIP backend launches it */
static void launch_plan(const gemm_plan &p, int M, int N, int K, const float *A, int lda, long long sA,
                        const float *B, int ldb, long long sB, float *C, int ldc, long long sC, unsigned batch)
{
        const gemm_config &c = gemm_configs[p.config];
        std::vector<float> work(gemm_plan_workspace(&p, M, N, (int) batch));
        bool split = p.splits > 1;
        float *out = split ? work.data() : C;
        int ldo = split ? N : ldc;
        long long so = split ? (long long) M * N : sC;

        launch({ (unsigned) (N + c.bn - 1) / c.bn, (unsigned) (M + c.bm - 1) / c.bm, batch * p.splits },
               { (unsigned) c.threads, 1, 1 },
               [&] { gemm_kernels[p.config](M, N, K, p.k_chunk, p.splits, A, lda, sA, B, ldb, sB, out, ldo, so); });
        if (split)
                launch({ 3, batch, 1 }, { 32, 1, 1 },
                       [&] { gemm_splitk_reduce_f32(M, N, p.splits, work.data(), C, ldc, sC); });
}

static int check_gemm(const gemm_plan &p, int M, int N, int K, int lda, int ldb, int ldc, int batch, int offset)
{
        conv_sum sum = conv_sum_plan(&p, (size_t) K);
        char plan_name[32];
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
        launch_plan(p, M, N, K, a, lda, 0, b, ldb, (long long) K * ldb, c, ldc, (long long) M * ldc,
                    (unsigned) batch);
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
                bad += (int) conv_check_bound(y.size(), &sum, y.data(), ref.data(), abs_sum.data(), NULL);
        }
        for (size_t i = 0; i < (size_t) offset; i++)
                bad += C[i] != poison;
        for (size_t i = offset + (size_t) batch * M * ldc; i < C.size(); i++)
                bad += C[i] != poison;
        gemm_plan_format(&p, plan_name, sizeof(plan_name));
        printf("gemm %-12s M%d N%d K%d lda%d ldb%d ldc%d batch%d off%d: %s\n", plan_name, M, N, K, lda, ldb, ldc,
               batch, offset, bad ? "FAIL" : "ok");
        return bad != 0;
}

/*
 * One sweep case: im2col + GEMM under the planned configuration against the
 * reference; then the implicit GEMM under `configs` (the planned one, or
 * every configuration with 1 and 3 chunks) must give the same bits.
 */
static int check_conv(const conv_shape *s, bool every_config)
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
        gemm_plan p;
        conv_plan(s, GEMM_PLAN_CPU_COMPUTE_UNITS, &p);
        conv_sum sum = conv_sum_plan(&p, d.k);
        launch_plan(p, (int) d.m, (int) d.n, (int) d.k, w.data(), (int) d.k, 0, col.data(), (int) d.n,
                    (long long) d.col_len, y.data(), (int) d.n, (long long) (d.m * d.n), s->n);
        conv_reference(s, x.data(), w.data(), ref.data(), abs_sum.data());
        size_t bad = conv_check_bound(d.y_len, &sum, y.data(), ref.data(), abs_sum.data(), NULL);
        for (size_t i = d.y_len; i < y.size(); i++)
                bad += y[i] != poison;
        for (size_t i = d.col_len * s->n; i < col.size(); i++)
                bad += col[i] != poison;
        printf("conv %s: %s\n", name, bad ? "FAIL" : "ok");

        std::vector<gemm_plan> plans{ p };
        for (int id = 0; every_config && id < _GEMM_CFG_MAX; id++)
                for (int splits : { 1, 3 }) {
                        gemm_plan q;
                        gemm_plan_make((gemm_config_id) id, splits, (int) d.k, &q);
                        plans.push_back(q);
                }
        for (const gemm_plan &q : plans) {
                char plan_name[32];
                std::vector<float> yi(d.y_len + guard, poison), y2(d.y_len + guard, poison);
                size_t bad_i = 0;

                /* the reference result of this plan: im2col + the explicit GEMM */
                launch_plan(q, (int) d.m, (int) d.n, (int) d.k, w.data(), (int) d.k, 0, col.data(), (int) d.n,
                            (long long) d.col_len, y2.data(), (int) d.n, (long long) (d.m * d.n), s->n);
                launch_conv_implicit(q, s, d, x.data(), w.data(), yi.data());
                for (size_t i = 0; i < yi.size(); i++)
                        bad_i += memcmp(&yi[i], &y2[i], sizeof(float)) != 0;
                gemm_plan_format(&q, plan_name, sizeof(plan_name));
                printf("conv %s implicit %s: %s\n", name, plan_name, bad_i ? "FAIL (differs from im2col + GEMM)" : "ok");
                bad += bad_i;
        }
        return bad != 0;
}

int main()
{
        int fail = 0;
        size_t n;

        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                for (int splits : { 1, 3 }) {
                        auto plan = [&](int K) {
                                gemm_plan p;
                                gemm_plan_make((gemm_config_id) id, splits, K, &p);
                                return p;
                        };
                        fail += check_gemm(plan(1), 1, 1, 1, 1, 1, 1, 1, 0);
                        fail += check_gemm(plan(17), 129, 131, 17, 20, 132, 136, 1, 0); /* aligned lds, edges */
                        fail += check_gemm(plan(17), 129, 131, 17, 17, 131, 131, 1, 0); /* unaligned lds */
                        fail += check_gemm(plan(16), 128, 128, 16, 16, 128, 128, 2, 0); /* exact tiles, batch */
                        fail += check_gemm(plan(9), 130, 260, 9, 12, 260, 260, 1, 1);   /* misaligned bases */
                        fail += check_gemm(plan(0), 5, 7, 0, 4, 8, 8, 1, 0);            /* K = 0 */
                        fail += check_gemm(plan(33), 3, 250, 33, 36, 252, 251, 1, 0);
                        fail += check_gemm(plan(100), 33, 70, 100, 100, 72, 70, 2, 0);  /* K >> M, N */
                }
        const conv_shape *cs = sweep_cases(SWEEP_QUICK, &n);
        for (size_t i = 0; i < n; i++)
                fail += check_conv(&cs[i], i < 3);
        printf("%s\n", fail ? "FAILED" : "all passed");
        return fail ? 1 : 0;
}
