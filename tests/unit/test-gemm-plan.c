/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../src/selftest/conv_cpu.h"
#include "../../src/selftest/gemm_plan.h"
#include "../../src/selftest/sweep.h"

static void test_make(void **state)
{
        struct gemm_plan p, untouched;

        /* K = 800, BK 8: 4 chunks of 200 */
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 4, 800, &p), 0);
        assert_int_equal(p.config, GEMM_CFG_64x64);
        assert_int_equal(p.splits, 4);
        assert_int_equal(p.k_chunk, 200);
        assert_int_equal(gemm_plan_check(&p, 800), 0);

        /* chunks round up to BK (16 here): 100 -> 112, and then 3 chunks cover K */
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64t4, 4, 300, &p), 0);
        assert_int_equal(p.k_chunk, 80);
        assert_int_equal(p.splits, 4);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 7, 50, &p), 0);
        assert_int_equal(p.k_chunk, 8);
        assert_int_equal(p.splits, 7);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 16, 20, &p), 0);
        assert_int_equal(p.k_chunk, 8);
        assert_int_equal(p.splits, 3);                  /* no empty chunk */
        assert_int_equal(gemm_plan_check(&p, 20), 0);

        /* K no longer than one step, or K = 0: one pass */
        assert_int_equal(gemm_plan_make(GEMM_CFG_128x128, 8, 8, &p), 0);
        assert_int_equal(p.splits, 1);
        assert_int_equal(p.k_chunk, 8);
        assert_int_equal(gemm_plan_make(GEMM_CFG_128x128, 8, 0, &p), 0);
        assert_int_equal(p.splits, 1);
        assert_int_equal(p.k_chunk, 0);

        memset(&untouched, 0x5a, sizeof(untouched));
        p = untouched;
        assert_int_equal(gemm_plan_make(_GEMM_CFG_MAX, 1, 10, &p), -EINVAL);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 0, 10, &p), -EINVAL);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, GEMM_PLAN_MAX_SPLITS + 1, 1000, &p), -EINVAL);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 1, -1, &p), -EINVAL);
        assert_memory_equal(&p, &untouched, sizeof(p));
}

static void test_check(void **state)
{
        struct gemm_plan p;

        assert_int_equal(gemm_plan_make(GEMM_CFG_32x64, 4, 100, &p), 0);
        assert_int_equal(gemm_plan_check(&p, 100), 0);
        assert_int_equal(gemm_plan_check(&p, 200), -EINVAL);   /* would leave K uncovered */
        assert_int_equal(gemm_plan_check(&p, 70), -EINVAL);    /* the last chunk would be empty */
        p.k_chunk = 25;                                         /* not a multiple of BK */
        assert_int_equal(gemm_plan_check(&p, 100), -EINVAL);
        assert_int_equal(gemm_plan_make(GEMM_CFG_32x64, 1, 100, &p), 0);
        assert_int_equal(gemm_plan_check(&p, 100), 0);
        assert_int_equal(gemm_plan_check(&p, 101), -EINVAL);
        assert_int_equal(gemm_plan_check(NULL, 1), -EINVAL);
        p.config = _GEMM_CFG_MAX;
        assert_int_equal(gemm_plan_check(&p, 100), -EINVAL);
}

/*
 * The error bound of split-K: each chunk is one fma sequence (depth <=
 * k_chunk), then the s partials are added in order (s - 1 more roundings),
 * so depth = k_chunk + s - 1, which is never more than K: the bound of one
 * pass over K holds for every plan.
 */
static void test_depth_bound(void **state)
{
        struct gemm_plan p;

        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 1, 800, &p), 0);
        assert_int_equal(gemm_plan_depth(&p, 800), 800);
        assert_int_equal(gemm_plan_make(GEMM_CFG_64x64, 4, 800, &p), 0);
        assert_int_equal(gemm_plan_depth(&p, 800), 200 + 3);
        assert_int_equal(gemm_plan_depth(&p, 0), 0);

        for (int id = 0; id < _GEMM_CFG_MAX; id++)
                for (int K = 0; K <= 600; K += 7)
                        for (int s = 1; s <= GEMM_PLAN_MAX_SPLITS; s++) {
                                struct conv_sum sp, plain = conv_sum_plain((size_t) K);

                                assert_int_equal(gemm_plan_make(id, s, K, &p), 0);
                                assert_int_equal(gemm_plan_check(&p, K), 0);
                                assert_true(gemm_plan_depth(&p, K) <= (size_t) K);
                                sp = conv_sum_plan(&p, (size_t) K);
                                assert_int_equal(sp.terms, K);
                                assert_int_equal(sp.ops, K ? (size_t) K + p.splits - 1 : 0);
                                /* the split-K bound, without the FTZ term, is never looser */
                                assert_true(conv_gamma(sp.depth) <= conv_gamma(plain.depth));
                        }
}

static void test_workspace_format(void **state)
{
        struct gemm_plan p;
        char buf[32];

        assert_int_equal(gemm_plan_make(GEMM_CFG_32x128, 1, 800, &p), 0);
        assert_int_equal(gemm_plan_workspace(&p, 32, 441, 3), 0);
        gemm_plan_format(&p, buf, sizeof(buf));
        assert_string_equal(buf, "32x128");
        assert_int_equal(gemm_plan_make(GEMM_CFG_32x128, 4, 800, &p), 0);
        assert_int_equal(gemm_plan_workspace(&p, 32, 441, 3), 4 * 32 * 441 * 3);
        gemm_plan_format(&p, buf, sizeof(buf));
        assert_string_equal(buf, "32x128/s4");
        gemm_plan_format(&p, buf, 4);
        assert_string_equal(buf, "32x");
}

/* The chooser is pure: equal arguments, equal plans, and every plan it makes is valid. */
static void test_select_pure_and_valid(void **state)
{
        const int dims[] = { 0, 1, 16, 32, 33, 64, 130, 441, 1764, 4096, 50176 };
        const int ks[] = { 0, 1, 27, 64, 144, 576, 800, 4096 };
        const int cus[] = { -1, 0, 1, 36, 132 };

        for (size_t a = 0; a < sizeof(dims) / sizeof(dims[0]); a++)
                for (size_t b = 0; b < sizeof(dims) / sizeof(dims[0]); b++)
                        for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++)
                                for (size_t c = 0; c < sizeof(cus) / sizeof(cus[0]); c++) {
                                        struct gemm_plan p1, p2;

                                        memset(&p1, 0, sizeof(p1));
                                        memset(&p2, 0xff, sizeof(p2));
                                        gemm_plan_select(dims[a], dims[b], ks[k], 1 + (int) c % 3, cus[c], &p1);
                                        gemm_plan_select(dims[a], dims[b], ks[k], 1 + (int) c % 3, cus[c], &p2);
                                        assert_memory_equal(&p1, &p2, sizeof(p1));
                                        assert_int_equal(gemm_plan_check(&p1, ks[k]), 0);
                                        if (p1.splits > 1)
                                                assert_true(p1.k_chunk >= GEMM_PLAN_MIN_CHUNK_STEPS *
                                                                                  gemm_configs[p1.config].bk);
                                        /* and the implicit GEMM's chooser */
                                        memset(&p1, 0, sizeof(p1));
                                        memset(&p2, 0xff, sizeof(p2));
                                        gemm_plan_select_implicit(dims[a], dims[b], ks[k], 1 + (int) c % 3, cus[c], &p1);
                                        gemm_plan_select_implicit(dims[a], dims[b], ks[k], 1 + (int) c % 3, cus[c], &p2);
                                        assert_memory_equal(&p1, &p2, sizeof(p1));
                                        assert_int_equal(gemm_plan_check(&p1, ks[k]), 0);
                                        if (p1.splits > 1)
                                                assert_true(p1.k_chunk >= GEMM_PLAN_MIN_CHUNK_STEPS *
                                                                                  gemm_configs[p1.config].bk);
                                }
}

/* What the table is for: big squares, small M, and K >> M*N. */
static void test_select_shapes(void **state)
{
        struct gemm_plan p;

        /* a large square fills any card with the biggest tile, in one pass */
        gemm_plan_select(4096, 4096, 4096, 1, 36, &p);
        assert_int_equal(p.config, GEMM_CFG_128x128);
        assert_int_equal(p.splits, 1);
        gemm_plan_select(4096, 4096, 4096, 1, 132, &p);
        assert_int_equal(p.config, GEMM_CFG_128x128);
        assert_int_equal(p.splits, 1);

        /* M = cout = 16: a 128-row tile would be 7/8 padding */
        gemm_plan_select(16, 50176, 27, 1, 36, &p);
        assert_true(gemm_configs[p.config].bm <= 32);

        /* 32 x 441 x 800 (c32x42x42 -> 32 k5x5 s2): 4 tiles of 128x128 for 132 SMs; split K */
        gemm_plan_select(32, 441, 800, 1, 132, &p);
        assert_true(p.splits > 1);
        assert_true(gemm_configs[p.config].bm <= 64);
        /* the same shape on 36 CUs needs fewer chunks than on 132 */
        {
                struct gemm_plan small;

                gemm_plan_select(32, 441, 800, 1, 36, &small);
                assert_true(small.splits * gemm_configs[p.config].bm * gemm_configs[p.config].bn <=
                            p.splits * gemm_configs[small.config].bm * gemm_configs[small.config].bn);
        }

        /* unknown compute units plan as the CPU backend does */
        {
                struct gemm_plan a, b;

                gemm_plan_select(64, 1764, 576, 1, 0, &a);
                gemm_plan_select(64, 1764, 576, 1, GEMM_PLAN_CPU_COMPUTE_UNITS, &b);
                assert_memory_equal(&a, &b, sizeof(a));
        }
}

/*
 * The implicit GEMM pays per B element gathered, once per block row of
 * tiles: where the GEMM chooser takes a 16-row tile for cout = 32, the
 * implicit one takes a taller tile (fewer gathers per FMA).
 */
static void test_select_implicit(void **state)
{
        struct gemm_plan g, i;

        gemm_plan_select(32, 1764, 144, 1, 132, &g);
        gemm_plan_select_implicit(32, 1764, 144, 1, 132, &i);
        assert_true(gemm_configs[i.config].bm > gemm_configs[g.config].bm);
        /* a large square still takes the biggest tile in one pass */
        gemm_plan_select_implicit(4096, 4096, 4096, 1, 36, &i);
        assert_int_equal(i.config, GEMM_CFG_128x128);
        assert_int_equal(i.splits, 1);
}

/* conv_plan is the implicit chooser on the per-image GEMM: M = cout, N = ho*wo, K = cin*kh*kw, batch n. */
static void test_conv_plan(void **state)
{
        const struct conv_shape s = { .n = 1, .cin = 32, .h = 42, .w = 42, .cout = 32, .kh = 5, .kw = 5,
                                      .stride = 2, .pad = 2 };
        struct conv_shape bad = s;
        struct gemm_plan a, b;

        assert_int_equal(conv_plan(&s, 132, &a), 0);
        gemm_plan_select_implicit(32, 441, 800, 1, 132, &b);
        assert_memory_equal(&a, &b, sizeof(a));
        bad.stride = 0;
        assert_int_equal(conv_plan(&bad, 132, &a), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_make),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_depth_bound),
                cmocka_unit_test(test_workspace_format),
                cmocka_unit_test(test_select_pure_and_valid),
                cmocka_unit_test(test_select_shapes),
                cmocka_unit_test(test_select_implicit),
                cmocka_unit_test(test_conv_plan),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
