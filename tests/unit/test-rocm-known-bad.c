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

        /* seed 003: PyTorch 2.2.2+rocm5.7 (torch.version.hip 5.7) on an RX 5600 XT (ROCm/ROCm#2527) */
        assert_int_equal(matches("5.7.31921-d1770ee1b", ROCM_STACK_TORCH, &noble_rdna1, &id), 1);
        assert_string_equal(id, "torch-rocm-5.3-and-newer-on-gfx1010");
        assert_int_equal(matches("6.2.41133", ROCM_STACK_TORCH, &jammy_rdna1, &id), 1);
        /* PyTorch 2 compiled with ROCm 5.2 works, says the same report */
        assert_int_equal(matches("5.2.21151", ROCM_STACK_TORCH, &jammy_rdna1, &id), 0);
        /* a ROCm tree or the distribution's HIP that no torch loads is no claim of that report:
         * a clean /opt/rocm-6.2.0 gets no warning */
        assert_int_equal(matches("6.2.0", ROCM_STACK_OPT, &jammy_rdna1, &id), 0);
        assert_int_equal(matches("5.7.1", ROCM_STACK_OPT, &noble_rdna1, &id), 0);
        assert_int_equal(matches("5.7.1", ROCM_STACK_DISTRIBUTION, &noble_rdna1, &id), 0);
        /* the same torch on another GPU, or where no GPU is known */
        assert_int_equal(matches("5.7.1", ROCM_STACK_TORCH, &noble_rdna2, &id), 0);
        assert_int_equal(matches("5.7.1", ROCM_STACK_TORCH, &unknown, &id), 0);
        /* ROCm 5.2 on Ubuntu 24.04 (seed 003, phase 2), whatever the GPU */
        assert_int_equal(matches("5.2.3", ROCM_STACK_OPT, &noble_rdna2, &id), 1);
        assert_string_equal(id, "rocm-5.2-on-ubuntu-24.04");
        assert_int_equal(matches("5.2.0", ROCM_STACK_OPT, &noble_rdna1, &id), 1);
        assert_int_equal(matches("5.2.3", ROCM_STACK_OPT, &unknown, &id), 0);
        /* not a release */
        assert_int_equal(matches("unknown", ROCM_STACK_OPT, &noble_rdna1, &id), 0);
        (void)state;
}

static void test_sources(void **state)
{
        const char *all[] = {"gfx1010", "gfx1011", "gfx1012", "gfx1030"};
        const rocm_setting any = { all, 4, "ubuntu", "24.04" };
        const char *versions[] = {"5.2", "5.3", "5.7", "6.2", "7.0"};
        size_t seen = 0;

        for (int kind = 0; kind < _ROCM_STACK_KIND_MAX; kind++)
                for (size_t v = 0; v < ELEMENTSOF(versions); v++) {
                        const rocm_known_bad *kb;
                        size_t iter = 0;

                        while ((kb = rocm_known_bad_next(versions[v], kind, &any, &iter))) {
                                assert_non_null(kb->source);
                                assert_true(strlen(kb->source) > 10);
                                assert_non_null(strstr(kb->source, "https://"));
                                assert_non_null(kb->reason);
                                seen++;
                        }
                }
        assert_true(seen >= 2);
        (void)state;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release_cmp),
                cmocka_unit_test(test_known_bad),
                cmocka_unit_test(test_sources),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
