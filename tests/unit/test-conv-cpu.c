/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/selftest/conv_cpu.h"
#include "../../src/selftest/gemm_config.h"
#include "../../src/selftest/gemm_plan.h"
#include "../../src/selftest/sweep.h"

/* the largest tile configuration's block tile: the sweep has partial tiles even for it */
#define BIG_BM ((size_t) gemm_configs[GEMM_CFG_128x128].bm)
#define BIG_BN ((size_t) gemm_configs[GEMM_CFG_128x128].bn)

/* One case's buffers: inputs, two runs of the CPU pipeline, the reference. */
struct run {
        struct conv_dims d;
        float *x, *w, *y, *y2;
        double *ref, *abs_sum;
};

static void run_free(struct run *r)
{
        free(r->x);
        free(r->w);
        free(r->y);
        free(r->y2);
        free(r->ref);
        free(r->abs_sum);
}

static void run_alloc(const struct conv_shape *s, struct run *r)
{
        memset(r, 0, sizeof(*r));
        assert_int_equal(conv_shape_dims(s, &r->d), 0);
        r->x = malloc(r->d.x_len * sizeof(float));
        r->w = malloc(r->d.w_len * sizeof(float));
        r->y = malloc(r->d.y_len * sizeof(float));
        r->y2 = malloc(r->d.y_len * sizeof(float));
        r->ref = malloc(r->d.y_len * sizeof(double));
        r->abs_sum = malloc(r->d.y_len * sizeof(double));
        assert_true(r->x && r->w && r->y && r->y2 && r->ref && r->abs_sum);
}

/* Forward twice and the reference; y2 is poisoned first so unwritten outputs show. */
static void run_forward(const struct conv_shape *s, struct run *r)
{
        for (size_t i = 0; i < r->d.y_len; i++)
                r->y2[i] = NAN;
        assert_int_equal(conv_forward_cpu(s, NULL, r->x, r->w, r->y), 0);
        assert_int_equal(conv_forward_cpu(s, NULL, r->x, r->w, r->y2), 0);
        assert_int_equal(conv_reference(s, r->x, r->w, r->ref, r->abs_sum), 0);
}

/* The check under the plan the CPU backend runs s with (its own, split-K aware bound). */
static size_t run_check(const struct conv_shape *s, const struct run *r, struct conv_check *c)
{
        struct gemm_plan p;
        struct conv_sum sum;

        assert_int_equal(conv_plan(s, GEMM_PLAN_CPU_COMPUTE_UNITS, &p), 0);
        sum = conv_sum_plan(&p, r->d.k);
        return conv_check_bound(r->d.y_len, &sum, r->y, r->ref, r->abs_sum, c);
}

static void check_sweep(enum sweep_kind kind)
{
        const struct conv_shape *cases;
        size_t n;

        cases = sweep_cases(kind, &n);
        assert_non_null(cases);
        assert_true(n > 0);
        for (size_t i = 0; i < n; i++) {
                struct conv_check c;
                struct run r;

                run_alloc(&cases[i], &r);
                conv_fill_random(r.x, r.d.x_len, 2 * i + 1);
                conv_fill_random(r.w, r.d.w_len, 2 * i + 2);
                run_forward(&cases[i], &r);
                assert_int_equal(run_check(&cases[i], &r, &c), 0);
                assert_int_equal(c.checked, r.d.y_len);
                assert_true(c.worst_ratio <= 1.0);
                assert_true(conv_outputs_identical(r.y, r.y2, r.d.y_len));
                /* and within the bound of one pass over K, whatever the plan */
                struct conv_sum plain = conv_sum_plain(r.d.k);
                assert_int_equal(conv_check_bound(r.d.y_len, &plain, r.y, r.ref, r.abs_sum, NULL), 0);
                run_free(&r);
        }
}

static void test_quick_sweep_passes(void **state)
{
        check_sweep(SWEEP_QUICK);
}

static void test_standard_sweep_passes(void **state)
{
        /* about a second optimised; sanitizer builds keep to the quick sweep */
#if defined(__SANITIZE_ADDRESS__)
        skip();
#else
        check_sweep(SWEEP_STANDARD);
#endif
}

static void test_sweep_shapes(void **state)
{
        bool crosses_42 = false, crosses_44 = false, reaches_224 = false, edge_n = false;
        bool big_m = false, k1 = false, k5 = false, s2 = false, nopad = false, c64 = false;
        const struct conv_shape *cases;
        size_t n;

        cases = sweep_cases(SWEEP_STANDARD, &n);
        assert_non_null(cases);
        for (size_t i = 0; i < n; i++) {
                const struct conv_shape *s = &cases[i];
                struct conv_dims d;

                assert_int_equal(conv_shape_dims(s, &d), 0);
                crosses_42 |= s->h == 42;
                crosses_44 |= s->h == 44;
                reaches_224 |= s->h == 224;
                edge_n |= d.n % BIG_BN != 0;
                big_m |= d.m > BIG_BM;
                k1 |= s->kh == 1;
                k5 |= s->kh == 5;
                s2 |= s->stride == 2;
                nopad |= s->pad == 0 && s->kh > 1;
                c64 |= s->cin == 64 && s->cout == 64;
        }
        assert_true(crosses_42 && crosses_44 && reaches_224 && edge_n && big_m);
        assert_true(k1 && k5 && s2 && nopad && c64);

        /* the quick sweep still has partial tiles in M and N and two M tiles */
        cases = sweep_cases(SWEEP_QUICK, &n);
        edge_n = big_m = false;
        for (size_t i = 0; i < n; i++) {
                struct conv_dims d;

                assert_int_equal(conv_shape_dims(&cases[i], &d), 0);
                edge_n |= d.n % BIG_BN != 0;
                big_m |= d.m > BIG_BM && d.m % BIG_BM != 0;
        }
        assert_true(edge_n && big_m);

        assert_int_equal(sweep_kind_from_string("quick"), SWEEP_QUICK);
        assert_int_equal(sweep_kind_from_string("standard"), SWEEP_STANDARD);
        assert_int_equal(sweep_kind_from_string("stress"), _SWEEP_KIND_INVALID);
        assert_string_equal(sweep_kind_to_string(SWEEP_STANDARD), "standard");
        assert_null(sweep_kind_to_string(_SWEEP_KIND_MAX));
        assert_null(sweep_cases(_SWEEP_KIND_MAX, &n));
}

/* 42x42 with 130 output channels: partial last tiles in M (130 = 128 + 2) and N (1764). */
static const struct conv_shape edge_shape = {
        .n = 2, .cin = 3, .h = 42, .w = 42, .cout = 130, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
};

static void test_inject_errors_fail(void **state)
{
        const unsigned single[] = { CONV_INJECT_FIRST, CONV_INJECT_EDGE_M, CONV_INJECT_EDGE_N,
                                    CONV_INJECT_EDGE_MN };
        struct conv_check c;
        struct run r;
        size_t pos[4];

        run_alloc(&edge_shape, &r);
        assert_int_not_equal(r.d.m % BIG_BM, 0);
        assert_int_not_equal(r.d.n % BIG_BN, 0);
        conv_fill_random(r.x, r.d.x_len, 11);
        conv_fill_random(r.w, r.d.w_len, 12);
        run_forward(&edge_shape, &r);
        assert_int_equal(run_check(&edge_shape, &r, &c), 0);

        /* every position alone, each in its own tile, must fail the check */
        for (size_t i = 0; i < 4; i++) {
                memcpy(r.y, r.y2, r.d.y_len * sizeof(float));
                assert_int_equal(conv_inject_errors(&edge_shape, r.y, single[i], pos), 1);
                assert_int_equal(run_check(&edge_shape, &r, &c), 1);
                assert_int_equal(c.first_bad, pos[0]);
                assert_true(isinf(c.worst_ratio));
                assert_false(conv_outputs_identical(r.y, r.y2, r.d.y_len));
        }

        /* the corner element is in the last tile in both M and N of the last image */
        memcpy(r.y, r.y2, r.d.y_len * sizeof(float));
        assert_int_equal(conv_inject_errors(&edge_shape, r.y, CONV_INJECT_EDGE_MN, pos), 1);
        size_t in_img = pos[0] % (r.d.m * r.d.n);
        assert_int_equal(pos[0] / (r.d.m * r.d.n), edge_shape.n - 1);
        assert_true(in_img / r.d.n >= r.d.m / BIG_BM * BIG_BM);
        assert_true(in_img % r.d.n >= r.d.n / BIG_BN * BIG_BN);

        memcpy(r.y, r.y2, r.d.y_len * sizeof(float));
        assert_int_equal(conv_inject_errors(&edge_shape, r.y, CONV_INJECT_ALL, pos), 4);
        assert_int_equal(run_check(&edge_shape, &r, &c), 4);
        assert_int_equal(c.first_bad, 0);

        /* a 1x1 output makes every choice the same element: corrupted once */
        const struct conv_shape one = { 1, 1, 1, 1, 1, 1, 1, 1, 0 };
        float y1 = 0.5f;
        assert_int_equal(conv_inject_errors(&one, &y1, CONV_INJECT_ALL, pos), 1);
        assert_true(y1 > 1e6f);
        assert_int_equal(conv_inject_errors(NULL, &y1, CONV_INJECT_ALL, pos), -EINVAL);
        run_free(&r);
}

/*
 * x alternates +2^20 / -2^20 by channel and the weights are 1, so outputs
 * are sums of the noise while the float accumulation rounds at the scale of
 * 2^20: the result is far off relative to itself but within the bound.
 */
static void test_cancellation_passes(void **state)
{
        const struct conv_shape s = {
                .n = 1, .cin = 64, .h = 44, .w = 44, .cout = 3, .kh = 3, .kw = 3, .stride = 1,
                .pad = 1,
        };
        double worst_rel = 0.0;
        struct conv_check c;
        struct run r;

        run_alloc(&s, &r);
        conv_fill_cancellation(r.x, r.d.x_len, (size_t) s.h * s.w, 21);
        for (size_t i = 0; i < r.d.w_len; i++)
                r.w[i] = 1.0f;
        run_forward(&s, &r);
        assert_int_equal(run_check(&s, &r, &c), 0);
        assert_true(conv_outputs_identical(r.y, r.y2, r.d.y_len));

        for (size_t i = 0; i < r.d.y_len; i++) {
                double rel = fabs(r.y[i] - r.ref[i]) / fmax(fabs(r.ref[i]), 1e-30);

                worst_rel = fmax(worst_rel, rel);
                /* the sums really cancel: |result| is tiny next to sum |a*b| */
                assert_true(fabs(r.ref[i]) < 1e-3 * r.abs_sum[i]);
        }
        /* a relative tolerance of 1e-3 would have failed this correct result */
        assert_true(worst_rel > 1e-3);
        run_free(&r);
}

/* C = A B under plan p against the reference, with NaN padding and a guard after C. */
static void check_gemm(const struct gemm_plan *p, int M, int N, int K, int pad)
{
        struct conv_sum sum = conv_sum_plan(p, (size_t) K);
        int lda = K + pad, ldb = N + pad, ldc = N + pad;
        size_t na = (size_t) M * lda + 1, nb = (size_t) K * ldb + 1, nc = (size_t) M * ldc + 1;
        float *A = malloc(na * sizeof(float)), *B = malloc(nb * sizeof(float));
        float *C = malloc(nc * sizeof(float));
        double *ref = malloc(((size_t) M * N + 1) * sizeof(double));
        double *abs_sum = malloc(((size_t) M * N + 1) * sizeof(double));
        float *y = malloc(((size_t) M * N + 1) * sizeof(float));

        assert_true(A && B && C && ref && abs_sum && y);
        /* padding holds NaN: reading it would poison the result */
        for (size_t i = 0; i < na; i++)
                A[i] = NAN;
        for (size_t i = 0; i < nb; i++)
                B[i] = NAN;
        for (int m = 0; m < M; m++)
                conv_fill_random(A + (size_t) m * lda, K, 100 + m);
        for (int k = 0; k < K; k++)
                conv_fill_random(B + (size_t) k * ldb, N, 10000 + k);
        for (size_t i = 0; i < nc; i++)
                C[i] = -7.0f;

        assert_int_equal(gemm_tiled_cpu(p, M, N, K, A, lda, B, ldb, C, ldc), 0);
        gemm_reference(M, N, K, A, lda, B, ldb, ref, N, abs_sum);
        for (int m = 0; m < M; m++)
                for (int n = 0; n < ldc; n++) {
                        float v = C[(size_t) m * ldc + n];

                        if (n < N)
                                y[(size_t) m * N + n] = v;
                        else
                                assert_true(v == -7.0f);        /* padding untouched */
                }
        assert_true(C[nc - 1] == -7.0f);
        assert_int_equal(conv_check_bound((size_t) M * N, &sum, y, ref, abs_sum, NULL), 0);
        if (K == 0)
                for (size_t i = 0; i < (size_t) M * N; i++)
                        assert_true(y[i] == 0.0f);

        free(A);
        free(B);
        free(C);
        free(ref);
        free(abs_sum);
        free(y);
}

static void check_gemm_with(enum gemm_config_id id, int splits, int M, int N, int K, int pad)
{
        struct gemm_plan p;

        assert_int_equal(gemm_plan_make(id, splits, K, &p), 0);
        check_gemm(&p, M, N, K, pad);
}

/* Every tile configuration, with and without split-K, on edge-heavy sizes. */
static void test_gemm_odd_sizes(void **state)
{
        const int sizes[] = { 1, 3, 17, 33, 127, 129 };
        const int ks[] = { 0, 1, 5, 8, 17, 37 };

        for (int id = 0; id < _GEMM_CFG_MAX; id++) {
                for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                        for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
                                for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++)
                                        check_gemm_with(id, 1 + (int) (i + j + k) % 3, sizes[i], sizes[j], ks[k],
                                                        (int) (i + j + k) % 3);
                check_gemm_with(id, 1, 257, 300, 129, 4);
                check_gemm_with(id, 5, 257, 300, 129, 4);       /* chunks of 32 (BK 8, 16), the last 1 */
                check_gemm_with(id, GEMM_PLAN_MAX_SPLITS, 65, 70, 1000, 1);
        }
}

/*
 * Split-K changes the order of the sum, so its result differs from one pass
 * over K in the last bits, but is the same on every run: partials in fixed
 * chunks, added in chunk order.
 */
static void test_split_k_deterministic(void **state)
{
        const int M = 33, N = 47, K = 800;
        float *A = malloc((size_t) M * K * sizeof(float)), *B = malloc((size_t) K * N * sizeof(float));
        float *c1 = malloc((size_t) M * N * sizeof(float)), *c2 = malloc((size_t) M * N * sizeof(float));
        float *c0 = malloc((size_t) M * N * sizeof(float));
        struct gemm_plan one, split;

        assert_true(A && B && c1 && c2 && c0);
        conv_fill_random(A, (size_t) M * K, 3);
        conv_fill_random(B, (size_t) K * N, 4);
        assert_int_equal(gemm_plan_make(GEMM_CFG_32x64, 1, K, &one), 0);
        assert_int_equal(gemm_plan_make(GEMM_CFG_32x64, 8, K, &split), 0);
        assert_int_equal(split.splits, 8);
        assert_int_equal(gemm_tiled_cpu(&one, M, N, K, A, K, B, N, c0, N), 0);
        assert_int_equal(gemm_tiled_cpu(&split, M, N, K, A, K, B, N, c1, N), 0);
        assert_int_equal(gemm_tiled_cpu(&split, M, N, K, A, K, B, N, c2, N), 0);
        assert_true(conv_outputs_identical(c1, c2, (size_t) M * N));
        /* a different order really is taken: some output differs from the one-pass sum */
        assert_false(conv_outputs_identical(c0, c1, (size_t) M * N));

        /* a bad plan is refused */
        split.splits = 0;
        assert_int_equal(gemm_tiled_cpu(&split, M, N, K, A, K, B, N, c1, N), -EINVAL);
        assert_int_equal(gemm_tiled_cpu(NULL, M, N, K, A, K, B, N, c1, N), -EINVAL);
        free(A);
        free(B);
        free(c0);
        free(c1);
        free(c2);
}

/* Every configuration's output is bitwise repeatable, and they all meet the bound, on a sweep case. */
static void test_every_config_on_a_conv(void **state)
{
        const struct conv_shape s = { .n = 2, .cin = 16, .h = 21, .w = 19, .cout = 40, .kh = 3, .kw = 3,
                                      .stride = 1, .pad = 1 };
        struct run r;

        run_alloc(&s, &r);
        conv_fill_random(r.x, r.d.x_len, 31);
        conv_fill_random(r.w, r.d.w_len, 32);
        assert_int_equal(conv_reference(&s, r.x, r.w, r.ref, r.abs_sum), 0);
        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                for (int splits = 1; splits <= 4; splits += 3) {
                        struct gemm_plan p;
                        struct conv_sum sum;

                        assert_int_equal(gemm_plan_make(id, splits, (int) r.d.k, &p), 0);
                        sum = conv_sum_plan(&p, r.d.k);
                        assert_int_equal(conv_forward_cpu(&s, &p, r.x, r.w, r.y), 0);
                        assert_int_equal(conv_forward_cpu(&s, &p, r.x, r.w, r.y2), 0);
                        assert_true(conv_outputs_identical(r.y, r.y2, r.d.y_len));
                        assert_int_equal(conv_check_bound(r.d.y_len, &sum, r.y, r.ref, r.abs_sum, NULL), 0);
                }
        run_free(&r);
}

static void test_bound(void **state)
{
        struct conv_sum ten = conv_sum_plain(10);
        double ref = 1.0, abs_sum = 100.0, b = conv_bound(&ten, abs_sum);
        struct conv_check c;
        float y;

        assert_true(fabs(conv_gamma(1) - 0x1p-24 / (1 - 0x1p-24)) < 1e-30);
        assert_true(conv_gamma(100) > 100 * 0x1p-24);
        assert_true(isinf(conv_gamma((size_t) 1 << 24)));
        assert_true(b >= conv_gamma(10) * abs_sum && b < 1.001 * conv_gamma(10) * abs_sum);

        /* just inside passes, just outside fails */
        y = (float) (ref + 0.9 * b);
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, &c), 0);
        assert_true(c.worst_ratio > 0.5 && c.worst_ratio <= 1.0);
        y = (float) (ref + 1.1 * b);
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, &c), 1);

        /* NaN and Inf never pass, even against an infinite bound */
        y = NAN;
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, &c), 1);
        assert_int_equal(c.first_bad, 0);
        y = INFINITY;
        abs_sum = INFINITY;
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, NULL), 1);

        /* all terms zero: only an exact zero passes */
        ref = 0.0;
        abs_sum = 0.0;
        y = 0.0f;
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, NULL), 0);
        y = 1e-6f;
        assert_int_equal(conv_check_bound(1, &ten, &y, &ref, &abs_sum, NULL), 1);
}

static void test_shape_dims(void **state)
{
        struct conv_shape s = { .n = 2, .cin = 3, .h = 7, .w = 5, .cout = 4, .kh = 3, .kw = 3,
                                .stride = 2, .pad = 1 };
        struct conv_dims d, untouched;
        char buf[64];

        assert_int_equal(conv_shape_dims(&s, &d), 0);
        assert_int_equal(d.ho, 4);
        assert_int_equal(d.wo, 3);
        assert_int_equal(d.m, 4);
        assert_int_equal(d.n, 12);
        assert_int_equal(d.k, 27);
        assert_int_equal(d.x_len, 2 * 3 * 7 * 5);
        assert_int_equal(d.w_len, 4 * 27);
        assert_int_equal(d.y_len, 2 * 4 * 12);
        assert_int_equal(d.col_len, 27 * 12);
        conv_shape_format(&s, buf, sizeof(buf));
        assert_string_equal(buf, "n2 c3x7x5 -> 4 k3x3 s2 p1");

        memset(&untouched, 0x5a, sizeof(untouched));
        d = untouched;
        s.stride = 0;
        assert_int_equal(conv_shape_dims(&s, &d), -EINVAL);
        s.stride = 1;
        s.kh = 10;              /* larger than the padded input (7 + 2) */
        assert_int_equal(conv_shape_dims(&s, &d), -EINVAL);
        s.kh = 3;
        s.h = s.w = 65536;      /* 65536^2 pixels do not fit an int */
        assert_int_equal(conv_shape_dims(&s, &d), -EINVAL);
        assert_memory_equal(&d, &untouched, sizeof(d));
        assert_int_equal(conv_shape_dims(NULL, &d), -EINVAL);
        assert_int_equal(conv_forward_cpu(&s, NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(conv_reference(&s, NULL, NULL, NULL, NULL), -EINVAL);
}

/* im2col against hand-computed columns: 1 channel 3x3, 2x2 kernel, pad 1, stride 2 */
static void test_im2col(void **state)
{
        const struct conv_shape s = { .n = 1, .cin = 1, .h = 3, .w = 3, .cout = 1, .kh = 2,
                                      .kw = 2, .stride = 2, .pad = 1 };
        const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        /* outputs at (oh, ow) in {0,1}^2 read rows/cols 2*o - 1 + {0,1} */
        const float want[4][4] = {
                { 0, 0, 0, 5 },         /* tap (0,0) */
                { 0, 0, 4, 6 },         /* tap (0,1) */
                { 0, 2, 0, 8 },         /* tap (1,0) */
                { 1, 3, 7, 9 },         /* tap (1,1) */
        };
        float col[16];

        conv_im2col(&s, x, col);
        assert_memory_equal(col, want, sizeof(col));
}

static void test_fill(void **state)
{
        float a[257], b[257];
        bool neg = false, pos = false;

        conv_fill_random(a, 257, 5);
        conv_fill_random(b, 257, 5);
        assert_memory_equal(a, b, sizeof(a));
        conv_fill_random(b, 257, 6);
        assert_memory_not_equal(a, b, sizeof(a));
        for (size_t i = 0; i < 257; i++) {
                assert_true(a[i] >= -1.0f && a[i] < 1.0f);
                neg |= a[i] < -0.5f;
                pos |= a[i] > 0.5f;
        }
        assert_true(neg && pos);
        conv_fill_random(a, 257, 0);    /* seed 0 still gives values */
        assert_true(a[0] != 0.0f || a[1] != 0.0f);

        conv_fill_cancellation(a, 8, 2, 1);
        assert_true(a[0] > 1e6f && a[1] > 1e6f && a[2] < -1e6f && a[3] < -1e6f && a[4] > 1e6f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quick_sweep_passes),
                cmocka_unit_test(test_standard_sweep_passes),
                cmocka_unit_test(test_sweep_shapes),
                cmocka_unit_test(test_inject_errors_fail),
                cmocka_unit_test(test_cancellation_passes),
                cmocka_unit_test(test_gemm_odd_sizes),
                cmocka_unit_test(test_split_k_deterministic),
                cmocka_unit_test(test_every_config_on_a_conv),
                cmocka_unit_test(test_bound),
                cmocka_unit_test(test_shape_dims),
                cmocka_unit_test(test_im2col),
                cmocka_unit_test(test_fill),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
