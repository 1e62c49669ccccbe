/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/util.h"
#include "parse/dpkg.h"

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

static const char full_status[] =
        "Package: hsa-rocr\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.11.0.50701-98~22.04\n"
        "Multi-Arch: same\nDescription: x\n continuation: not a field\n\n"
        "Package: rocm-agree\nStatus: install ok installed\nConffiles:\n"
        " /etc/rocm/a.conf 0123456789abcdef0123456789ABCDEF\n"
        " /etc/rocm/with space.conf 0123456789abcdef0123456789abcdef\n"
        " /etc/rocm/old.conf 0123456789abcdef0123456789abcdef obsolete\n"
        " /etc/rocm/new.conf newconffile\n"
        "Version: 2\n\n\n"
        "Package: gone\nStatus: deinstall ok config-files\n\n"
        "Status: install ok installed\nVersion: no package field\n";

static void test_status_parse(void **state)
{
        dpkg_pkg *p = NULL;
        size_t n = 0;

        assert_int_equal(dpkg_status_parse(full_status, strlen(full_status), &p, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(p[0].name, "hsa-rocr");
        assert_string_equal(p[0].arch, "amd64");
        assert_string_equal(p[0].version, "1.11.0.50701-98~22.04");
        assert_string_equal(p[0].multi_arch, "same");
        assert_int_equal(p[0].n_conffiles, 0);
        assert_true(dpkg_status_has_files(p[0].status));
        assert_string_equal(p[1].version, "2");
        assert_int_equal(p[1].n_conffiles, 4);
        assert_string_equal(p[1].conffiles[0].path, "/etc/rocm/a.conf");
        assert_string_equal(p[1].conffiles[0].md5, "0123456789abcdef0123456789abcdef");
        assert_false(p[1].conffiles[0].obsolete);
        assert_string_equal(p[1].conffiles[1].path, "/etc/rocm/with space.conf");
        assert_string_equal(p[1].conffiles[2].path, "/etc/rocm/old.conf");
        assert_true(p[1].conffiles[2].obsolete);
        assert_string_equal(p[1].conffiles[3].path, "/etc/rocm/new.conf");
        assert_string_equal(p[1].conffiles[3].md5, "");
        assert_false(dpkg_status_has_files(p[2].status));
        dpkg_pkgs_free(p, n);
        assert_int_equal(dpkg_status_parse("Package: a\nVersion: 1\0\n", 22, &p, &n), -EBADMSG);
        assert_int_equal(dpkg_status_parse("", 0, &p, &n), 0);
        assert_int_equal(n, 0);
        dpkg_pkgs_free(p, n);
}

static void test_diversions(void **state)
{
        static const char d[] = "/usr/lib/x/libhsa.so.1\n/usr/lib/x/libhsa.so.1.distrib\n:\n"
                                "/opt/rocm/lib/a\n/opt/rocm/lib/a.real\nrocm-shim\n/cut\n/cut.to\n";
        dpkg_diversion *v = NULL;
        size_t n = 0;

        assert_int_equal(dpkg_diversions_parse(d, strlen(d), &v, &n), 0);
        assert_int_equal(n, 2); /* the incomplete triple is dropped */
        assert_string_equal(v[0].to, "/usr/lib/x/libhsa.so.1.distrib");
        assert_string_equal(v[0].package, ":");
        assert_string_equal(v[1].package, "rocm-shim");
        dpkg_diversions_free(v, n);
}

static void test_archive_name(void **state)
{
        char *s = dpkg_archive_name("amdgpu-dkms", "1:6.16.6.60204-2238411.24.04", "all");

        assert_string_equal(s, "amdgpu-dkms_1%3a6.16.6.60204-2238411.24.04_all.deb");
        free(s);
        s = dpkg_archive_name("libamdhip64-5", "5.2.3-3", "amd64");
        assert_string_equal(s, "libamdhip64-5_5.2.3-3_amd64.deb");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_field),
                cmocka_unit_test(test_md5sums),
                cmocka_unit_test(test_status_parse),
                cmocka_unit_test(test_diversions),
                cmocka_unit_test(test_archive_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
