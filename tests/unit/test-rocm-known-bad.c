/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "base/util.h"
#include "check/rocm_known_bad.h"

static void test_release_cmp(void **state)
{
        assert_int_equal(rocm_release_cmp("5.2.3", "5.2"), 0); /* compared on the bound's components */
        assert_true(rocm_release_cmp("5.2.3", "5.3") < 0);
        assert_true(rocm_release_cmp("5.7.1", "5.3") > 0);
        assert_true(rocm_release_cmp("5.10", "5.9") > 0);  /* numbers, not text */
        assert_true(rocm_release_cmp("6", "5.3") > 0);
        assert_true(rocm_release_cmp("5", "5.3") < 0);     /* a missing component is 0 */
        assert_int_equal(rocm_release_cmp("5.3", "5.3.0"), 0);
        (void)state;
}

static size_t matches(const char *version, rocm_stack_kind kind, const rocm_setting *s, const char **first)
{
        const rocm_known_bad *k;
        size_t iter = 0, n = 0;

        *first = NULL;
        while ((k = rocm_known_bad_next(version, kind, s, &iter))) {
                if (!*first)
                        *first = k->id;
                assert_non_null(k->reason);
                assert_non_null(k->source);
                n++;
        }
        return n;
}

static void test_known_bad(void **state)
{
        const char *rdna1[] = {"gfx1010"}, *rdna2[] = {"gfx1030"}, *id;
        const rocm_setting noble_rdna1 = { rdna1, 1, "ubuntu", "24.04" };
        const rocm_setting noble_rdna2 = { rdna2, 1, "ubuntu", "24.04" };
        const rocm_setting jammy_rdna1 = { rdna1, 1, "ubuntu", "22.04" };
        const rocm_setting unknown = { NULL, 0, NULL, NULL };

        /* seed 003: ROCm 5.7 (under PyTorch 2.2.2+rocm5.7) on an RX 5600 XT */
        assert_int_equal(matches("5.7.1", ROCM_STACK_OPT, &noble_rdna1, &id), 1);
        assert_string_equal(id, "rocm-5.3-and-newer-on-gfx1010");
        assert_int_equal(matches("6.2.4", ROCM_STACK_OPT, &jammy_rdna1, &id), 1);
        /* the last release that runs on gfx1010, and the distribution's own build */
        assert_int_equal(matches("5.2.3", ROCM_STACK_OPT, &jammy_rdna1, &id), 0);
        assert_int_equal(matches("5.7.1", ROCM_STACK_DISTRIBUTION, &noble_rdna1, &id), 0);
        /* the same stack is fine on another GPU, or where no GPU is known */
        assert_int_equal(matches("5.7.1", ROCM_STACK_OPT, &noble_rdna2, &id), 0);
        assert_int_equal(matches("5.7.1", ROCM_STACK_OPT, &unknown, &id), 0);
        /* ROCm 5.2 on Ubuntu 24.04 (seed 003, phase 2), whatever the GPU */
        assert_int_equal(matches("5.2.3", ROCM_STACK_OPT, &noble_rdna2, &id), 1);
        assert_string_equal(id, "rocm-5.2-on-ubuntu-24.04");
        assert_int_equal(matches("5.2.0", ROCM_STACK_OPT, &noble_rdna1, &id), 1);
        assert_int_equal(matches("5.2.3", ROCM_STACK_OPT, &unknown, &id), 0);
        /* not a release */
        assert_int_equal(matches("unknown", ROCM_STACK_OPT, &noble_rdna1, &id), 0);
        (void)state;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release_cmp),
                cmocka_unit_test(test_known_bad),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
