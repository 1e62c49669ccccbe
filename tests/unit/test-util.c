/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/util.h"

static void check_escape(const char *in, size_t len, size_t max, const char *want)
{
        char *s = escape_untrusted(in, len, max);

        assert_non_null(s);
        assert_string_equal(s, want);
        free(s);
}

static void test_escape(void **state)
{
        check_escape("plain text", 10, 0, "plain text");
        check_escape("\x1b]0;pwned\x07", 10, 0, "\\x1b]0;pwned\\x07");
        check_escape("a\0b", 3, 0, "a\\x00b");
        check_escape("tab\there\n", 9, 0, "tab\\x09here\\x0a");
        check_escape("caf\xc3\xa9", 5, 0, "caf\xc3\xa9");         /* valid UTF-8 kept */
        check_escape("\xc3(", 2, 0, "\\xc3(");                    /* invalid UTF-8 escaped */
        check_escape("\xc2\x9b" "31m", 5, 0, "\\xc2\\x9b31m");    /* C1 CSI escaped */
        check_escape("\xed\xa0\x80", 3, 0, "\\xed\\xa0\\x80");    /* surrogate */
        check_escape("abcdef", 6, 3, "abc\xe2\x80\xa6");
        check_escape("\x7f", 1, 0, "\\x7f");
}

static void test_atou(void **state)
{
        uint64_t v;

        assert_int_equal(safe_atou64("123", 10, &v), 0);
        assert_int_equal(v, 123);
        assert_int_equal(safe_atou64("0x1002", 16, &v), 0);
        assert_int_equal(v, 0x1002);
        assert_int_equal(safe_atou64("abc", 10, &v), -EINVAL);
        assert_int_equal(safe_atou64("-1", 10, &v), -EINVAL);
        assert_int_equal(safe_atou64("", 10, &v), -EINVAL);
        assert_int_equal(safe_atou64(" 1", 10, &v), -EINVAL);
        assert_int_equal(safe_atou64("1 ", 10, &v), -EINVAL);
        assert_int_equal(safe_atou64("99999999999999999999999", 10, &v), -ERANGE);
}

static void test_strv(void **state)
{
        strv v = {0};

        for (int i = 0; i < 100; i++)
                assert_int_equal(strv_push(&v, strdup_printf("%d", i)), 0);
        assert_int_equal(v.n, 100);
        assert_true(strv_contains(&v, "42"));
        assert_false(strv_contains(&v, "100"));
        assert_null(v.items[100]);
        strv_clear(&v);
        assert_int_equal(v.n, 0);
}

static void test_misc(void **state)
{
        char buf[] = "  x y \n";
        uint8_t id[] = {0xde, 0xad, 0x01};
        char *h = hex_encode(id, 3);

        assert_string_equal(strstrip(buf), "x y");
        assert_string_equal(h, "dead01");
        free(h);
        assert_true(endswith("amdgpu.ko.zst", ".zst"));
        assert_false(endswith("a", ".zst"));
        assert_string_equal(startswith("amdgpu.ko", "amdgpu"), ".ko");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_atou),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_misc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
