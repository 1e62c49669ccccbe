// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CUDA build of the self-test's GEMM kernels (src/selftest/kernels/gemm_tiled.hip
 * through src/selftest/hip_cuda_compat.h), checked against the CPU reference
 * of conv_cpu.c and timed against cuBLAS SGEMM with TF32 off.
 *
 *   gemm_bench [--quick] [--check-only | --bench-only] [--csv FILE] [--reps N]
 *              [--matrix FILE]
 *
 * 1. correctness: odd GEMM shapes (NaN in padding, poisoned outputs, guard
 *    tails) under every tile configuration with and without split-K, and the
 *    quick (every configuration) + standard (the planned one) convolution
 *    sweeps (im2col + GEMM on the GPU, and the implicit GEMM, which must give
 *    the same bits) against the double-precision reference and its
 *    per-element bound; every case twice, compared bit for bit; injected
 *    errors (also in edge tiles) must be caught; a heavy-cancellation input
 *    must pass.
 * 2. throughput: 1024^3, 2048^3, 4096^3 and each sweep case's GEMM with the
 *    plan gemm_plan_select() makes for this GPU's SM count, median of --reps
 *    timed runs after warm-up (cudaEvent), as TFLOP/s and as a ratio to
 *    cublasSgemm / cublasSgemmStridedBatched (CUBLAS_DEFAULT_MATH: FP32);
 *    each sweep case's whole convolution under conv_plan(), as im2col + GEMM
 *    and as the implicit GEMM.
 * --quick: the quick sweep and small GEMMs only (for compute-sanitizer runs).
 * --csv writes each sweep case's shape and times for torch_conv.py.
 * --matrix times every configuration x split count on every sweep case and
 *    square into FILE (CSV), the data the planners' cost models are fitted
 *    to: the GEMM, and for sweep cases also the implicit GEMM and im2col.
 * Exit status: 0 all correct, 1 a correctness failure, 2 a CUDA/cuBLAS error.
 */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cublas_v2.h>

#include "../../src/selftest/kernels/gemm_tiled.hip"
#include "../../src/selftest/conv_cpu.h"
#include "../../src/selftest/sweep.h"

#define CK(call)                                                                        \
        do {                                                                            \
                cudaError_t e_ = (call);                                                \
                if (e_ != cudaSuccess) {                                                \
                        fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,   \
                                cudaGetErrorString(e_));                                \
                        exit(2);                                                        \
                }                                                                       \
        } while (0)
#define CKB(call)                                                                       \
        do {                                                                            \
                cublasStatus_t s_ = (call);                                             \
                if (s_ != CUBLAS_STATUS_SUCCESS) {                                      \
                        fprintf(stderr, "%s:%d: %s: cublas status %d\n", __FILE__,      \
                                __LINE__, #call, (int) s_);                             \
                        exit(2);                                                        \
                }                                                                       \
        } while (0)
#define CKL() CK(cudaGetLastError())

static int failures;
static int reps = 20;
static int sm_count;
static cublasHandle_t blas;

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

static void fail(const char *what)
{
        printf("FAIL: %s\n", what);
        failures++;
}

template <typename T> struct dbuf {
        T *p = nullptr;
        size_t n = 0;
        explicit dbuf(size_t count) : n(count) { CK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T))); }
        ~dbuf() { cudaFree(p); }
        void up(const T *h) { CK(cudaMemcpy(p, h, n * sizeof(T), cudaMemcpyHostToDevice)); }
        void down(T *h) const { CK(cudaMemcpy(h, p, n * sizeof(T), cudaMemcpyDeviceToHost)); }
        dbuf(const dbuf &) = delete;
        dbuf &operator=(const dbuf &) = delete;
};

/* the split-K workspace, grown on demand (never while a launch may use it: callers synchronize) */
static float *workspace;
static size_t workspace_len;

static float *workspace_for(size_t len)
{
        if (len > workspace_len) {
                CK(cudaDeviceSynchronize());
                CK(cudaFree(workspace));
                CK(cudaMalloc(&workspace, len * sizeof(float)));
                workspace_len = len;
        }
        return workspace;
}

/* C = A B as plan p says: the tile kernel, and for split-K the ordered reduction. */
static void launch_plan(const gemm_plan &p, int M, int N, int K, const float *A, int lda, long long sA,
                        const float *B, int ldb, long long sB, float *C, int ldc, long long sC, int batch)
{
        const gemm_config &c = gemm_configs[p.config];
        dim3 grid((N + c.bn - 1) / c.bn, (M + c.bm - 1) / c.bm, batch * p.splits);

        if (gemm_plan_check(&p, K) < 0) {
                fprintf(stderr, "invalid plan for K=%d\n", K);
                exit(2);
        }
        if (p.splits == 1) {
                gemm_kernels[p.config]<<<grid, c.threads>>>(M, N, K, p.k_chunk, 1, A, lda, sA, B, ldb, sB,
                                                            C, ldc, sC);
                CKL();
                return;
        }
        float *w = workspace_for(gemm_plan_workspace(&p, M, N, batch));
        long long mn = (long long) M * N;
        unsigned blocks = (unsigned) std::min<long long>((mn + 255) / 256, 65535);

        gemm_kernels[p.config]<<<grid, c.threads>>>(M, N, K, p.k_chunk, p.splits, A, lda, sA, B, ldb, sB,
                                                    w, N, mn);
        CKL();
        gemm_splitk_reduce_f32<<<dim3(blocks, batch), 256>>>(M, N, p.splits, w, C, ldc, sC);
        CKL();
}

/* y = conv(x, w) under plan p as an implicit GEMM (gemm_conv_f32_*): no im2col, no col buffer. */
static void launch_conv_implicit(const gemm_plan &p, const conv_shape &s, const conv_dims &d, const float *x,
                                 const float *w, float *y)
{
        const gemm_config &c = gemm_configs[p.config];
        int M = (int) d.m, N = (int) d.n, K = (int) d.k;
        dim3 grid((N + c.bn - 1) / c.bn, (M + c.bm - 1) / c.bm, s.n * p.splits);
        long long mn = (long long) M * N, sx = (long long) s.cin * s.h * s.w;
        float *out = p.splits > 1 ? workspace_for(gemm_plan_workspace(&p, M, N, (int) s.n)) : y;

        if (gemm_plan_check(&p, K) < 0) {
                fprintf(stderr, "invalid plan for K=%d\n", K);
                exit(2);
        }
        conv_kernels[p.config]<<<grid, c.threads>>>(M, N, K, p.k_chunk, p.splits, w, K, 0, x, sx, (int) s.h,
                                                    (int) s.w, (int) s.kh, (int) s.kw, (int) s.stride,
                                                    (int) s.pad, (int) d.wo, out, N, mn);
        CKL();
        if (p.splits > 1) {
                unsigned blocks = (unsigned) std::min<long long>((mn + 255) / 256, 65535);
                gemm_splitk_reduce_f32<<<dim3(blocks, s.n), 256>>>(M, N, p.splits, out, y, N, mn);
                CKL();
        }
}

static gemm_plan plan_for(int M, int N, int K, int batch)
{
        gemm_plan p;

        gemm_plan_select(M, N, K, batch, sm_count, &p);
        return p;
}

static void launch_gemm(int M, int N, int K, const float *A, int lda, long long sA, const float *B,
                        int ldb, long long sB, float *C, int ldc, long long sC, int batch)
{
        launch_plan(plan_for(M, N, K, batch), M, N, K, A, lda, sA, B, ldb, sB, C, ldc, sC, batch);
}

/* cuBLAS is column-major: row-major C = A B is column-major C^T = B^T A^T. */
static void launch_cublas(int M, int N, int K, const float *A, int lda, long long sA,
                          const float *B, int ldb, long long sB, float *C, int ldc, long long sC,
                          int batch)
{
        const float one = 1.0f, zero = 0.0f;

        if (batch == 1)
                CKB(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, ldb, A, lda,
                                &zero, C, ldc));
        else
                CKB(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B,
                                              ldb, sB, A, lda, sA, &zero, C, ldc, sC, batch));
}

static void launch_im2col(const conv_shape &s, const conv_dims &d, const float *x, float *col)
{
        long long total = (long long) d.col_len;
        unsigned blocks = (unsigned) std::min<long long>((total + 255) / 256, 65535);

        hipLaunchKernelGGL(im2col_nchw_f32, dim3(blocks, s.n), dim3(256), 0, 0, x, col,
                           (int) s.cin, (int) s.h, (int) s.w, (int) s.kh, (int) s.kw,
                           (int) s.stride, (int) s.pad, (int) d.ho, (int) d.wo);
        CKL();
}

/* median of reps timed runs of f() after 3 warm-ups, in ms */
template <typename F> static double time_ms(F f)
{
        std::vector<float> t(reps);
        cudaEvent_t a, b;

        CK(cudaEventCreate(&a));
        CK(cudaEventCreate(&b));
        for (int i = 0; i < 3; i++)
                f();
        CK(cudaDeviceSynchronize());
        for (int i = 0; i < reps; i++) {
                CK(cudaEventRecord(a));
                f();
                CK(cudaEventRecord(b));
                CK(cudaEventSynchronize(b));
                CK(cudaEventElapsedTime(&t[i], a, b));
        }
        CK(cudaEventDestroy(a));
        CK(cudaEventDestroy(b));
        std::sort(t.begin(), t.end());
        return reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
}

/* ---- correctness ------------------------------------------------------- */

/*
 * A GEMM with padding columns (NaN), guard tails (NaN in inputs, poison in
 * C), optional misaligned base pointers; checked per element against the
 * double reference, C's padding and tail must be untouched.
 */
static void check_gemm(const gemm_plan &p, int M, int N, int K, int pad, int offset, int batch)
{
        conv_sum sum = conv_sum_plan(&p, (size_t) K);
        char plan_name[32];
        const float poison = 1234.5f;
        const size_t guard = 1024;
        int lda = K + pad, ldb = N + pad, ldc = N + pad;
        size_t na = offset + (size_t) M * lda + guard, nb = offset + (size_t) batch * K * ldb + guard;
        size_t nc = offset + (size_t) batch * M * ldc + guard;
        std::vector<float> A(na, NAN), B(nb, NAN), C(nc), y((size_t) M * N);
        std::vector<double> ref((size_t) M * N), abs_sum((size_t) M * N);
        char what[160];
        size_t bad = 0;

        for (int m = 0; m < M; m++)
                conv_fill_random(&A[offset + (size_t) m * lda], K, 7 * m + 1);
        for (int k = 0; k < batch * K; k++)
                conv_fill_random(&B[offset + (size_t) k * ldb], N, 7 * k + 2);

        dbuf<float> dA(na), dB(nb), dC(nc);
        dA.up(A.data());
        dB.up(B.data());
        std::fill(C.begin(), C.end(), poison);
        dC.up(C.data());
        launch_plan(p, M, N, K, dA.p + offset, lda, 0, dB.p + offset, ldb, (long long) K * ldb,
                    dC.p + offset, ldc, (long long) M * ldc, batch);
        dC.down(C.data());

        for (int z = 0; z < batch; z++) {
                const float *c = &C[offset + (size_t) z * M * ldc];

                gemm_reference(M, N, K, &A[offset], lda, &B[offset + (size_t) z * K * ldb], ldb,
                               ref.data(), N, abs_sum.data());
                for (int m = 0; m < M; m++)
                        for (int n = 0; n < ldc; n++) {
                                if (n < N)
                                        y[(size_t) m * N + n] = c[(size_t) m * ldc + n];
                                else
                                        bad += c[(size_t) m * ldc + n] != poison;
                        }
                bad += conv_check_bound(y.size(), &sum, y.data(), ref.data(), abs_sum.data(), NULL);
        }
        for (size_t i = 0; i < (size_t) offset; i++)
                bad += C[i] != poison;
        for (size_t i = offset + (size_t) batch * M * ldc; i < nc; i++)
                bad += C[i] != poison;

        gemm_plan_format(&p, plan_name, sizeof(plan_name));
        snprintf(what, sizeof(what), "gemm %-12s M=%d N=%d K=%d pad=%d offset=%d batch=%d", plan_name, M, N, K,
                 pad, offset, batch);
        if (bad)
                fail(what);
        else
                printf("ok    %s\n", what);
}

struct conv_gpu {
        conv_shape s;
        conv_dims d;
        gemm_plan plan;
        dbuf<float> x, w, col, y;

        explicit conv_gpu(const conv_shape &shape, const conv_dims &dims, const gemm_plan &p)
                : s(shape), d(dims), plan(p), x(dims.x_len), w(dims.w_len), col(dims.col_len * shape.n),
                  y(dims.y_len)
        {
        }
        void gemm(const gemm_plan &p, float *out)
        {
                launch_plan(p, (int) d.m, (int) d.n, (int) d.k, w.p, (int) d.k, 0, col.p, (int) d.n,
                            (long long) d.col_len, out, (int) d.n, (long long) (d.m * d.n), (int) s.n);
        }
        void run()
        {
                launch_im2col(s, d, x.p, col.p);
                gemm(plan, y.p);
        }
        void run_implicit() { launch_conv_implicit(plan, s, d, x.p, w.p, y.p); }
        /* poison the output first: an unwritten element reads as NaN */
        void run_poisoned(std::vector<float> &out, bool implicit = false)
        {
                CK(cudaMemset(y.p, 0xff, d.y_len * sizeof(float)));
                if (implicit)
                        run_implicit();
                else
                        run();
                CK(cudaDeviceSynchronize());
                y.down(out.data());
        }
};

enum fill_kind { FILL_RANDOM, FILL_CANCEL };

/* Returns: false on a correctness failure (already reported). plan NULL: the planned one. */
static bool check_conv(const conv_shape &s, uint64_t seed, fill_kind fk, bool inject, const gemm_plan *plan)
{
        conv_dims d;
        gemm_plan p;
        char name[96], what[256], plan_name[32];

        if (conv_shape_dims(&s, &d) < 0) {
                fail("invalid sweep shape");
                return false;
        }
        conv_shape_format(&s, name, sizeof(name));
        /* the self-test's plan: conv_plan() (the implicit GEMM's planner) */
        if (plan)
                p = *plan;
        else
                conv_plan(&s, sm_count, &p);
        gemm_plan_format(&p, plan_name, sizeof(plan_name));
        conv_sum sum = conv_sum_plan(&p, d.k);

        std::vector<float> x(d.x_len), w(d.w_len), y(d.y_len), y2(d.y_len);
        std::vector<double> ref(d.y_len), abs_sum(d.y_len);
        if (fk == FILL_CANCEL) {
                conv_fill_cancellation(x.data(), d.x_len, (size_t) s.h * s.w, seed);
                std::fill(w.begin(), w.end(), 1.0f);
        } else {
                conv_fill_random(x.data(), d.x_len, seed);
                conv_fill_random(w.data(), d.w_len, seed + 1);
        }

        conv_gpu g(s, d, p);
        g.x.up(x.data());
        g.w.up(w.data());
        g.run_poisoned(y);
        g.run_poisoned(y2);
        /* the implicit GEMM: the same sums in the same order, so the same bits, and repeatable */
        std::vector<float> yi(d.y_len), yi2(d.y_len);
        g.run_poisoned(yi, true);
        g.run_poisoned(yi2, true);
        bool implicit_same = conv_outputs_identical(y.data(), yi.data(), d.y_len) &&
                             conv_outputs_identical(yi.data(), yi2.data(), d.y_len);
        conv_reference(&s, x.data(), w.data(), ref.data(), abs_sum.data());

        conv_check c;
        size_t bad = conv_check_bound(d.y_len, &sum, y.data(), ref.data(), abs_sum.data(), &c);
        bool same = conv_outputs_identical(y.data(), y2.data(), d.y_len);
        snprintf(what, sizeof(what), "conv %-34s %-12s %s bad=%zu worst=%.3g bitwise-repeat=%s implicit-identical=%s",
                 name, plan_name, fk == FILL_CANCEL ? "cancel" : "random", bad, c.worst_ratio, same ? "yes" : "NO",
                 implicit_same ? "yes" : "NO");
        if (bad || !same || !implicit_same) {
                fail(what);
                return false;
        }
        printf("ok    %s\n", what);

        if (inject) {
                size_t pos[4];
                int n = conv_inject_errors(&s, y.data(), CONV_INJECT_ALL, pos);
                size_t caught = conv_check_bound(d.y_len, &sum, y.data(), ref.data(), abs_sum.data(), NULL);
                if (n <= 0 || caught != (size_t) n) {
                        snprintf(what, sizeof(what), "inject %s: %d injected, %zu caught", name, n, caught);
                        fail(what);
                        return false;
                }
        }
        return true;
}

/* ---- throughput -------------------------------------------------------- */

static void bench_square(int n)
{
        size_t len = (size_t) n * n;
        std::vector<float> h(len), c1(len), c2(len);
        dbuf<float> A(len), B(len), C(len), C2(len);

        conv_fill_random(h.data(), len, 42);
        A.up(h.data());
        conv_fill_random(h.data(), len, 43);
        B.up(h.data());

        gemm_plan p = plan_for(n, n, n, 1);
        char plan_name[32];
        gemm_plan_format(&p, plan_name, sizeof(plan_name));
        double ours = time_ms([&] { launch_gemm(n, n, n, A.p, n, 0, B.p, n, 0, C.p, n, 0, 1); });
        double ref = time_ms([&] { launch_cublas(n, n, n, A.p, n, 0, B.p, n, 0, C2.p, n, 0, 1); });
        double flop = 2.0 * n * n * (double) n;

        /* sanity of the timed result: normwise distance to cuBLAS's */
        C.down(c1.data());
        C2.down(c2.data());
        double num = 0, den = 0;
        for (size_t i = 0; i < len; i++) {
                num += (double) (c1[i] - c2[i]) * (c1[i] - c2[i]);
                den += (double) c2[i] * c2[i];
        }
        double rel = std::sqrt(num / den);
        printf("gemm %5d^3 %-12s ours %8.3f ms %6.2f TFLOP/s   cublas %8.3f ms %6.2f TFLOP/s   ratio %5.1f%%   |ours-cublas|/|cublas| %.1e\n",
               n, plan_name, ours, flop / ours / 1e9, ref, flop / ref / 1e9, 100.0 * ref / ours, rel);
        if (!(rel < 1e-5))
                fail("square gemm differs from cuBLAS");
}

static double median_of(std::vector<double> v)
{
        std::sort(v.begin(), v.end());
        size_t n = v.size();
        return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void bench_sweep(const conv_shape *cases, size_t n, FILE *csv)
{
        std::vector<double> ratios;

        printf("\n%-36s %5s %6s %5s %-12s | %9s %9s %6s | %-12s %9s %9s\n", "conv case (per-image GEMM M N K)", "M",
               "N", "K", "plan", "ours ms", "cublas ms", "ratio", "conv plan", "im2col+gemm ms", "implicit ms");
        if (csv)
                fprintf(csv, "n,cin,h,w,cout,kh,kw,stride,pad,m,n_gemm,k,plan,ours_gemm_ms,cublas_gemm_ms,ours_conv_ms,"
                             "ours_implicit_ms,conv_plan\n");
        for (size_t i = 0; i < n; i++) {
                const conv_shape &s = cases[i];
                conv_dims d;
                char name[96], plan_name[32];

                conv_shape_dims(&s, &d);
                conv_shape_format(&s, name, sizeof(name));
                int M = (int) d.m, N = (int) d.n, K = (int) d.k, b = (int) s.n;
                gemm_plan p = plan_for(M, N, K, b), cp;
                char conv_plan_name[32];
                gemm_plan_format(&p, plan_name, sizeof(plan_name));
                /* the whole convolution runs under the self-test's plan, the GEMM alone under the GEMM planner's */
                conv_plan(&s, sm_count, &cp);
                gemm_plan_format(&cp, conv_plan_name, sizeof(conv_plan_name));
                std::vector<float> h(std::max(d.x_len, d.w_len));
                conv_gpu g(s, d, cp);
                dbuf<float> y2(d.y_len);
                conv_fill_random(h.data(), d.x_len, 5);
                g.x.up(h.data());
                conv_fill_random(h.data(), d.w_len, 6);
                g.w.up(h.data());
                g.run();

                long long sB = (long long) d.col_len, sC = (long long) (d.m * d.n);
                double ours = time_ms([&] { g.gemm(p, g.y.p); });
                double ref = time_ms([&] { launch_cublas(M, N, K, g.w.p, K, 0, g.col.p, N, sB, y2.p, N, sC, b); });
                double conv = time_ms([&] { g.run(); });
                double implicit = time_ms([&] { g.run_implicit(); });
                ratios.push_back(ref / ours);
                printf("%-36s %5d %6d %5d %-12s | %9.4f %9.4f %5.1f%% | %-12s %9.4f %9.4f\n", name, M, N, K,
                       plan_name, ours, ref, 100.0 * ref / ours, conv_plan_name, conv, implicit);
                if (csv)
                        fprintf(csv, "%u,%u,%u,%u,%u,%u,%u,%u,%u,%d,%d,%d,%s,%.5f,%.5f,%.5f,%.5f,%s\n", s.n, s.cin, s.h,
                                s.w, s.cout, s.kh, s.kw, s.stride, s.pad, M, N, K, plan_name, ours, ref, conv,
                                implicit, conv_plan_name);
        }
        if (!ratios.empty())
                printf("sweep GEMMs vs cuBLAS: median %.1f%%, min %.1f%% (%zu cases)\n", 100 * median_of(ratios),
                       100 * *std::min_element(ratios.begin(), ratios.end()), ratios.size());
}

/*
 * Every configuration x split count on one GEMM shape (B batched), as CSV
 * rows; with g (a convolution) also its implicit GEMM under each plan, and
 * im2col alone.
 */
static void matrix_shape(FILE *f, const char *name, int M, int N, int K, int batch, const float *A, long long sA,
                         const float *B, long long sB, float *C, float *C2, conv_gpu *g = nullptr)
{
        long long sC = (long long) M * N;
        double ref = time_ms([&] { launch_cublas(M, N, K, A, K, sA, B, N, sB, C2, N, sC, batch); });
        gemm_plan chosen = plan_for(M, N, K, batch);

        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                for (int want = 1; want <= GEMM_PLAN_MAX_SPLITS; want *= 2) {
                        gemm_plan p;

                        if (gemm_plan_make((gemm_config_id) id, want, K, &p) < 0 || p.splits != want)
                                continue;
                        double ms = time_ms([&] { launch_plan(p, M, N, K, A, K, sA, B, N, sB, C, N, sC, batch); });
                        fprintf(f, "%s,gemm,%d,%d,%d,%d,%s,%d,%d,%.5f,%.5f,%d\n", name, M, N, K, batch,
                                gemm_configs[id].name, p.splits, p.k_chunk, ms, ref,
                                p.config == chosen.config && p.splits == chosen.splits);
                        if (!g)
                                continue;
                        ms = time_ms([&] { launch_conv_implicit(p, g->s, g->d, g->x.p, g->w.p, C); });
                        fprintf(f, "%s,implicit,%d,%d,%d,%d,%s,%d,%d,%.5f,%.5f,%d\n", name, M, N, K, batch,
                                gemm_configs[id].name, p.splits, p.k_chunk, ms, ref,
                                p.config == chosen.config && p.splits == chosen.splits);
                }
        if (g) {
                double ms = time_ms([&] { launch_im2col(g->s, g->d, g->x.p, g->col.p); });
                fprintf(f, "%s,im2col,%d,%d,%d,%d,-,0,0,%.5f,%.5f,0\n", name, M, N, K, batch, ms, ref);
        }
}

static void bench_matrix(const conv_shape *cases, size_t n, const char *path)
{
        FILE *f = fopen(path, "w");

        if (!f) {
                perror(path);
                exit(2);
        }
        fprintf(f, "case,path,m,n,k,batch,config,splits,k_chunk,ms,cublas_ms,chosen\n");
        for (size_t i = 0; i < n; i++) {
                conv_dims d;
                char name[96];

                conv_shape_dims(&cases[i], &d);
                conv_shape_format(&cases[i], name, sizeof(name));
                conv_gpu g(cases[i], d, plan_for((int) d.m, (int) d.n, (int) d.k, (int) cases[i].n));
                dbuf<float> y2(d.y_len);
                std::vector<float> h(std::max(d.x_len, d.w_len));
                conv_fill_random(h.data(), d.x_len, 5);
                g.x.up(h.data());
                conv_fill_random(h.data(), d.w_len, 6);
                g.w.up(h.data());
                g.run();
                matrix_shape(f, name, (int) d.m, (int) d.n, (int) d.k, (int) cases[i].n, g.w.p, 0, g.col.p,
                             (long long) d.col_len, g.y.p, y2.p, &g);
        }
        for (int sz : { 1024, 2048, 4096 }) {
                size_t len = (size_t) sz * sz;
                std::vector<float> h(len);
                dbuf<float> A(len), B(len), C(len), C2(len);
                char name[32];

                conv_fill_random(h.data(), len, 42);
                A.up(h.data());
                B.up(h.data());
                snprintf(name, sizeof(name), "square %d", sz);
                matrix_shape(f, name, sz, sz, sz, 1, A.p, 0, B.p, 0, C.p, C2.p);
        }
        fclose(f);
        printf("matrix of configurations x splits written to %s\n", path);
}

int main(int argc, char **argv)
{
        bool quick = false, bench_only = false, check_only = false;
        const char *csv_path = nullptr, *matrix_path = nullptr;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--quick"))
                        quick = true;
                else if (!strcmp(argv[i], "--bench-only"))
                        bench_only = true;
                else if (!strcmp(argv[i], "--check-only"))
                        check_only = true;
                else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
                        csv_path = argv[++i];
                else if (!strcmp(argv[i], "--matrix") && i + 1 < argc)
                        matrix_path = argv[++i];
                else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
                        reps = std::max(1, atoi(argv[++i]));
                else {
                        fprintf(stderr, "usage: %s [--quick] [--check-only | --bench-only] [--csv FILE] [--reps N] [--matrix FILE]\n", argv[0]);
                        return 64;
                }
        }

        cudaDeviceProp p;
        int drv = 0, rt = 0, blas_ver = 0;
        CK(cudaGetDeviceProperties(&p, 0));
        CK(cudaDriverGetVersion(&drv));
        CK(cudaRuntimeGetVersion(&rt));
        CKB(cublasCreate(&blas));
        CKB(cublasGetVersion(blas, &blas_ver));
        /* FP32 throughout: no TF32 tensor-core path for cuBLAS either */
        CKB(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH));
        sm_count = p.multiProcessorCount;
        printf("device: %s, sm_%d%d, %d SMs, L2 %d MB; driver API %d, runtime %d, cuBLAS %d\n", p.name,
               p.major, p.minor, p.multiProcessorCount, p.l2CacheSize >> 20, drv, rt, blas_ver);
        for (int id = 0; id < _GEMM_CFG_MAX; id++) {
                const gemm_config &c = gemm_configs[id];
                printf("tile %-9s BM=%3d BN=%3d BK=%2d TM=%d TN=%d threads=%3d LDS=%5d bytes\n", c.name, c.bm, c.bn,
                       c.bk, c.tm, c.tn, c.threads, c.lds_bytes);
        }
        printf("plans for %d SMs (gemm_plan_select)\n\n", sm_count);

        size_t nq, ns;
        const conv_shape *qc = sweep_cases(SWEEP_QUICK, &nq);
        const conv_shape *sc = sweep_cases(SWEEP_STANDARD, &ns);

        if (!bench_only) {
                const int odd[][6] = {
                        /* M, N, K, pad, offset, batch */
                        { 1, 1, 1, 0, 0, 1 },     { 129, 131, 17, 3, 0, 1 }, { 129, 131, 17, 0, 0, 1 },
                        { 128, 128, 16, 0, 0, 2 }, { 130, 260, 9, 3, 1, 1 },  { 5, 7, 0, 1, 0, 1 },
                        { 3, 250, 33, 3, 0, 1 },  { 33, 70, 1000, 1, 0, 2 }, { 257, 509, 100, 0, 0, 3 },
                        { 1000, 1003, 517, 1, 0, 1 }, { 1024, 1024, 1024, 0, 0, 1 },
                };
                for (auto &o : odd) {
                        bool small = (size_t) o[0] * o[1] * o[2] < 100000000;

                        if (quick && !small)
                                continue;
                        /* the planned configuration, and on small shapes every one, one pass and split in 3 */
                        check_gemm(plan_for(o[0], o[1], o[2], o[5]), o[0], o[1], o[2], o[3], o[4], o[5]);
                        for (int id = 0; small && id < _GEMM_CFG_MAX; id++)
                                for (int splits : { 1, 3 }) {
                                        gemm_plan pl;
                                        gemm_plan_make((gemm_config_id) id, splits, o[2], &pl);
                                        check_gemm(pl, o[0], o[1], o[2], o[3], o[4], o[5]);
                                }
                }

                int inject_ok = 0, inject_n = 0;
                for (size_t i = 0; i < nq; i++, inject_n++)
                        inject_ok += check_conv(qc[i], 100 + i, FILL_RANDOM, true, nullptr);
                /* every configuration, one pass and split-K, on the quick sweep */
                for (size_t i = 0; i < nq; i++)
                        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                                for (int splits : { 1, 4 }) {
                                        conv_dims d;
                                        gemm_plan pl;
                                        conv_shape_dims(&qc[i], &d);
                                        gemm_plan_make((gemm_config_id) id, splits, (int) d.k, &pl);
                                        inject_n++;
                                        inject_ok += check_conv(qc[i], 300 + i, FILL_RANDOM, true, &pl);
                                }
                if (!quick)
                        for (size_t i = 0; i < ns; i++, inject_n++)
                                inject_ok += check_conv(sc[i], 200 + i, FILL_RANDOM, true, nullptr);
                const conv_shape cancel = { 1, 64, 44, 44, 3, 3, 3, 1, 1 };
                check_conv(cancel, 7, FILL_CANCEL, false, nullptr);
                for (int id = 0; id < _GEMM_CFG_MAX; id++) {
                        gemm_plan pl;
                        gemm_plan_make((gemm_config_id) id, 4, 64 * 9, &pl);
                        check_conv(cancel, 7, FILL_CANCEL, false, &pl);
                }
                printf("correctness: %d failure(s); injected errors caught in %d of %d cases\n\n",
                       failures, inject_ok, inject_n);
        }

        if (!check_only) {
                bench_square(1024);
                bench_square(2048);
                bench_square(4096);
        }

        if (!check_only && !bench_only) {
                FILE *csv = csv_path ? fopen(csv_path, "w") : nullptr;
                if (csv_path && !csv) {
                        perror(csv_path);
                        return 2;
                }
                bench_sweep(quick ? qc : sc, quick ? nq : ns, csv);
                if (csv)
                        fclose(csv);
        }
        if (matrix_path)
                bench_matrix(sc, ns, matrix_path);

        cublasDestroy(blas);
        cudaFree(workspace);
        printf("\n%s\n", failures ? "RESULT: FAILED" : "RESULT: all checks passed");
        return failures ? 1 : 0;
}
