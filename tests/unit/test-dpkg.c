/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dpkg.h"
#include "util.h"

static const char status[] =
        "Package: adduser\nStatus: install ok installed\nVersion: 3.134\n\n"
        "Package: amdgpu-dkms\nStatus: install ok half-configured\nPriority: optional\n"
        "Description: amdgpu driver\n Status: not a field\n\n"
        "Package: amdgpu-dkms-firmware\nstatus: install ok installed\n";

static void test_status_field(void **state)
{
        char *v = NULL;

        assert_int_equal(dpkg_status_field(status, strlen(status), "amdgpu-dkms", "Status", &v), 1);
        assert_string_equal(v, "install ok half-configured");
        free(v);
        /* field names are case-insensitive, package names exact */
        assert_int_equal(dpkg_status_field(status, strlen(status), "amdgpu-dkms-firmware", "Status", &v), 1);
        assert_string_equal(v, "install ok installed");
        free(v);
        assert_int_equal(dpkg_status_field(status, strlen(status), "amdgpu", "Status", &v), 0);
        assert_int_equal(dpkg_status_field(status, strlen(status), "adduser", "Depends", &v), 0);
        /* a field of the next stanza does not leak into a stanza that lacks it */
        assert_int_equal(dpkg_status_field(status, strlen(status), "adduser", "Priority", &v), 0);
        /* truncated file, NUL bytes, CRLF */
        assert_int_equal(dpkg_status_field("Package: x\nStat", 15, "x", "Status", &v), 0);
        assert_int_equal(dpkg_status_field("Package: x\r\nStatus: a\0b\n", 24, "x", "Status", &v), -EBADMSG);
        assert_int_equal(dpkg_status_field("Package: x\r\nStatus: ok\r\n", 24, "x", "Status", &v), 1);
        assert_string_equal(v, "ok");
        free(v);
        assert_int_equal(dpkg_status_field("", 0, "x", "Status", &v), 0);
}

static int collect(const char *md5, const char *path, void *userdata)
{
        strv *v = userdata;
        return strv_push(v, strdup_printf("%s %s", md5, path));
}

static void test_md5sums(void **state)
{
        static const char good[] =
                "53c0d4afe4bc4eccb5cb234d2e06ef4d  usr/bin/dpkg\n"
                "2BA08FECE3B3434A669F3C529BBEA383  /usr/sbin/adduser\r\n"
                "\n"
                "53c0d4afe4bc4eccb5cb234d2e06ef4d usr/one-space\n"  /* malformed */
                "zzc0d4afe4bc4eccb5cb234d2e06ef4d  usr/nothex\n"    /* malformed */
                "53c0d4afe4bc4eccb5cb234d2e06ef4d  \n"              /* no path */
                "53c0d4afe4bc4ecc\n"                                /* truncated */
                "53c0d4afe4bc4eccb5cb234d2e06ef4d  usr/src/amdgpu-1/a b.c\n"
                "53c0d4afe4bc4eccb5cb234d2e06ef4d  usr/last-no-newline";
        strv v = {0};

        assert_int_equal(md5sums_parse(good, sizeof(good) - 1, collect, &v), 4);
        assert_int_equal(v.n, 4);
        assert_string_equal(v.items[0], "53c0d4afe4bc4eccb5cb234d2e06ef4d /usr/bin/dpkg");
        assert_string_equal(v.items[1], "2ba08fece3b3434a669f3c529bbea383 /usr/sbin/adduser");
        assert_string_equal(v.items[2], "53c0d4afe4bc4eccb5cb234d2e06ef4d /usr/src/amdgpu-1/a b.c");
        assert_string_equal(v.items[3], "53c0d4afe4bc4eccb5cb234d2e06ef4d /usr/last-no-newline");
        strv_clear(&v);
        /* NUL in a line */
        assert_int_equal(md5sums_parse("53c0d4afe4bc4eccb5cb234d2e06ef4d  a\0b\n", 38, collect, &v), 1);
        assert_int_equal(v.n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_field),
                cmocka_unit_test(test_md5sums),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
