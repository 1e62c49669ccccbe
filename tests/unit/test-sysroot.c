/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <pthread.h>

#include "base/util.h"
#include "root/sysroot.h"

#include "fixture.h"

static char *root;
static char *outside;

static int setup(void **state)
{
        char p[4096];

        root = fixture_tmpdir("/tmp", "sysroot");
        outside = fixture_tmpdir("/tmp", "outside");
        fixture_put(outside, "secret", "OUTSIDE-SECRET\n");

        fixture_mkdirs(root, "etc");
        fixture_mkdirs(root, "sub");
        fixture_mkdirs(root, "sub/deeper");
        fixture_put(root, "etc/secret", "inside\n");
        fixture_put(root, "etc/hello", "hello world\n");
        fixture_put(root, "sub/deeper/file", "deep\n");
        /* absolute symlink pointing "out": must resolve inside the root */
        snprintf(p, sizeof(p), "%s/secret", outside);
        fixture_symlink(root, "abs-out", p);
        fixture_symlink(root, "abs-in", "/etc/secret");
        fixture_symlink(root, "sub/dotdot", "../../../../../../../../etc/secret");
        fixture_symlink(root, "loop-a", "loop-b");
        fixture_symlink(root, "loop-b", "loop-a");
        fixture_symlink(root, "magic", "/proc/self/root/etc/passwd");
        snprintf(p, sizeof(p), "%s/fifo", root);
        assert_int_equal(mkfifo(p, 0644), 0);
        *state = NULL;
        return 0;
}

static int teardown(void **state)
{
        fixture_rmrf(root);
        fixture_rmrf(outside);
        free(root);
        free(outside);
        root = outside = NULL;
        return 0;
}

static void check_reads(bool fallback)
{
        sysroot *sr = NULL;
        char *buf = NULL;
        size_t len;

        assert_int_equal(sysroot_open(root, &sr), 0);
        assert_false(sr->is_host);
        sysroot_set_no_openat2(sr, fallback);

        assert_int_equal(sysroot_read_file(sr, "/etc/hello", 0, &buf, &len), 0);
        assert_string_equal(buf, "hello world\n");
        assert_int_equal(len, 12);
        free(buf);

        /* An absolute link out of the root is re-rooted: it names /tmp/... inside. */
        assert_int_equal(sysroot_read_file(sr, "/abs-out", 0, &buf, &len), -ENOENT);
        assert_int_equal(sysroot_read_file(sr, "/abs-in", 0, &buf, &len), 0);
        assert_string_equal(buf, "inside\n");
        free(buf);
        /* ../ chains stop at the root. */
        assert_int_equal(sysroot_read_file(sr, "/sub/dotdot", 0, &buf, &len), 0);
        assert_string_equal(buf, "inside\n");
        free(buf);
        assert_int_equal(sysroot_read_file(sr, "/sub/../../../etc/hello", 0, &buf, &len), 0);
        free(buf);

        assert_int_equal(sysroot_read_file(sr, "/loop-a", 0, &buf, &len), -ELOOP);
        assert_int_equal(sysroot_read_file(sr, "/missing", 0, &buf, &len), -ENOENT);
        assert_int_equal(sysroot_read_file(sr, "/etc", 0, &buf, &len), -EISDIR);
        assert_int_equal(sysroot_read_file(sr, "/fifo", 0, &buf, &len), -EINVAL);
        assert_int_equal(sysroot_read_file(sr, "/etc/hello/x", 0, &buf, &len), -ENOTDIR);
        assert_int_equal(sysroot_read_file(sr, "/etc/hello", 5, &buf, &len), -EFBIG);
        /* /proc/self inside the root does not exist: no magic link to the host. */
        assert_true(sysroot_read_file(sr, "/magic", 0, &buf, &len) < 0);

        assert_true(sysroot_exists(sr, "/loop-a"));
        assert_false(sysroot_exists(sr, "/nope"));
        sr = sysroot_free(sr);
}

static void test_reads_openat2(void **state)
{
        check_reads(false);
}

static void test_reads_fallback(void **state)
{
        check_reads(true);
}

static void test_open_missing_root(void **state)
{
        sysroot *sr = NULL;

        assert_int_equal(sysroot_open("/nonexistent/rdna1/root", &sr), -ENOENT);
        assert_null(sr);
}

static void test_list_dir(void **state)
{
        sysroot *sr = NULL;
        char **names = NULL;
        size_t n;
        bool trunc;

        assert_int_equal(sysroot_open(root, &sr), 0);
        assert_int_equal(sysroot_list_dir(sr, "/etc", 0, &names, &n, &trunc), 0);
        assert_int_equal(n, 2);
        assert_false(trunc);
        assert_string_equal(names[0], "hello");
        assert_string_equal(names[1], "secret");
        strv_free_array(names);
        assert_int_equal(sysroot_list_dir(sr, "/etc", 1, &names, &n, &trunc), 0);
        assert_int_equal(n, 1);
        assert_true(trunc);
        strv_free_array(names);
        assert_int_equal(sysroot_list_dir(sr, "/fifo", 0, &names, &n, &trunc), -ENOTDIR);
        sysroot_free(sr);
}

static void test_readlink_and_containment(void **state)
{
        sysroot *sr = NULL;
        char *t = NULL;

        assert_int_equal(sysroot_open(root, &sr), 0);
        assert_int_equal(sysroot_readlink(sr, "/abs-in", &t), 0);
        assert_string_equal(t, "/etc/secret");
        free(t);
        assert_int_equal(sysroot_readlink(sr, "/etc/hello", &t), -EINVAL);
        assert_true(sysroot_path_is_contained(sr, "/etc/hello"));
        assert_true(sysroot_path_is_contained(sr, "/sub"));
        /* resolved from the host, abs-in points at the host's /etc/secret */
        assert_false(sysroot_path_is_contained(sr, "/abs-in"));
        sysroot_free(sr);
}

static volatile bool renaming;

static void *renamer(void *arg)
{
        char a[4200], b[4200];

        snprintf(a, sizeof(a), "%s/ren-a", outside);
        snprintf(b, sizeof(b), "%s/ren-b", outside);
        close(open(a, O_CREAT | O_WRONLY, 0644));
        while (renaming) {
                rename(a, b);
                rename(b, a);
        }
        return NULL;
}

/*
 * openat2(RESOLVE_IN_ROOT) answers EAGAIN when any rename in the system
 * races with a ".." step; a path through "../" links must still resolve
 * (regression: a PCI device's driver link read as missing under load).
 */
static void test_dotdot_under_concurrent_renames(void **state)
{
        sysroot *sr = NULL;
        pthread_t t;
        int failures = 0;

        assert_int_equal(sysroot_open(root, &sr), 0);
        renaming = true;
        assert_int_equal(pthread_create(&t, NULL, renamer, NULL), 0);
        for (int i = 0; i < 20000; i++) {
                char *buf = NULL;
                size_t len;

                if (sysroot_read_file(sr, "/sub/dotdot", 0, &buf, &len) != 0)
                        failures++;
                free(buf);
        }
        renaming = false;
        pthread_join(t, NULL);
        assert_int_equal(failures, 0);
        sysroot_free(sr);
}

static void test_host_path(void **state)
{
        sysroot *sr = NULL;
        char *p;

        assert_int_equal(sysroot_open("/", &sr), 0);
        assert_true(sr->is_host);
        p = sysroot_host_path(sr, "/etc/x");
        assert_string_equal(p, "/etc/x");
        free(p);
        sysroot_free(sr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reads_openat2),
                cmocka_unit_test(test_reads_fallback),
                cmocka_unit_test(test_open_missing_root),
                cmocka_unit_test(test_list_dir),
                cmocka_unit_test(test_readlink_and_containment),
                cmocka_unit_test(test_host_path),
                cmocka_unit_test(test_dotdot_under_concurrent_renames),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
