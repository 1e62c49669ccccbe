/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "base/path.h"
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

static void test_strcmp_ptr(void **state)
{
        const char *v[] = {"rocm-6.0", "amdgpu", "rocm-5.7", "Z"}, *key = "rocm-5.7";

        qsort(v, ELEMENTSOF(v), sizeof(char *), strcmp_ptr);
        assert_string_equal(v[0], "Z");
        assert_string_equal(v[1], "amdgpu");
        assert_string_equal(v[2], "rocm-5.7");
        assert_string_equal(v[3], "rocm-6.0");
        assert_ptr_equal(bsearch(&key, v, ELEMENTSOF(v), sizeof(char *), strcmp_ptr), &v[2]);
}

/* mkdir -p: the parents get one mode, the directory another; what exists stays as it is. */
static void test_mkdir_p(void **state)
{
        char top[] = "/tmp/test-util-XXXXXX";
        _cleanup_free_ char *leaf = NULL, *mid = NULL, *file = NULL;
        mode_t old = umask(0);
        struct stat st;

        assert_non_null(mkdtemp(top));
        assert_int_equal(chmod(top, 0711), 0);
        leaf = strdup_printf("%s/a/b/c", top);
        mid = strdup_printf("%s/a/b", top);
        file = strdup_printf("%s/f", top);

        assert_int_equal(mkdir_p_mode(leaf, 0755, 0700), 0);
        assert_int_equal(stat(mid, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(stat(leaf, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(stat(top, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711); /* existing: untouched */
        assert_int_equal(mkdir_p_mode(leaf, 0700, 0755), 0); /* again: nothing changes */
        assert_int_equal(stat(leaf, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);

        /* A file in the way is an error, not a directory. */
        assert_int_equal(mknod(file, S_IFREG | 0600, 0), 0);
        free(leaf);
        leaf = strdup_printf("%s/f/x", top);
        assert_int_equal(mkdir_p_mode(leaf, 0755, 0700), -ENOTDIR);

        umask(old);
        assert_int_equal(unlink(file), 0);
        free(leaf);
        leaf = strdup_printf("%s/a/b/c", top);
        assert_int_equal(rmdir(leaf), 0);
        assert_int_equal(rmdir(mid), 0);
        free(mid);
        mid = strdup_printf("%s/a", top);
        assert_int_equal(rmdir(mid), 0);
        assert_int_equal(rmdir(top), 0);
}

static void check_split(const char *path, const char *dir, const char *base)
{
        char *d = NULL, *b = NULL;

        assert_int_equal(path_split(path, &d, &b), 0);
        assert_string_equal(d, dir);
        assert_string_equal(b, base);
        free(d);
        free(b);
}

static void test_path_split(void **state)
{
        char *d = NULL, *b = NULL;

        check_split("/etc/profile.d/x.sh", "/etc/profile.d", "x.sh");
        check_split("/x", "/", "x");
        check_split("lib/modules/amdgpu.ko", "lib/modules", "amdgpu.ko");
        check_split("/a//b", "/a/", "b");
        for (const char *const *p = (const char *const[]){"x", "", "/", "/etc/", "/etc/.", "/etc/..", "a/..", NULL}; *p; p++)
                assert_int_equal(path_split(*p, &d, &b), -EINVAL);
        assert_int_equal(path_split(NULL, &d, &b), -EINVAL);
        assert_null(d); /* untouched on failure */
        assert_null(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_atou),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_misc),
                cmocka_unit_test(test_strcmp_ptr),
                cmocka_unit_test(test_mkdir_p),
                cmocka_unit_test(test_path_split),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
