/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who signed a module: real certificates from openssl, a real appended
 * signature from the kernel's scripts/sign-file (from the installed
 * headers), compared through the PKCS#7 signer's issuer and serial.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>

#include "base/util.h"
#include "parse/module_sig.h"

#include "fixture.h"

static char *dir;
static char sign_file[4096];

static void prereq_missing(const char *why)
{
        const char *ci = getenv("CI");

        print_message("SKIP: %s\n", why);
        if (ci && streq(ci, "true"))
                fail_msg("prerequisite missing under CI=true: %s", why);
        skip();
}

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...)
{
        char cmd[16384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static int read_file(const char *name, uint8_t **ret, size_t *ret_len)
{
        char p[4200];
        struct stat st;
        uint8_t *buf;
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        buf = malloc((size_t)st.st_size);
        assert_non_null(buf);
        assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
        close(fd);
        *ret = buf;
        *ret_len = (size_t)st.st_size;
        return 0;
}

static int open_in_dir(const char *name)
{
        char p[4200];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return open(p, O_RDONLY | O_CLOEXEC);
}

static int setup(void **state)
{
        glob_t g;

        dir = fixture_tmpdir("/tmp", "modsig");
        /* The kernel's own signing tool, from the installed headers (linux-kbuild). */
        if (glob("/usr/lib/linux-kbuild-*/scripts/sign-file", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
                snprintf(sign_file, sizeof(sign_file), "%s", g.gl_pathv[g.gl_pathc - 1]);
                globfree(&g);
        } else if (glob("/lib/modules/*/build/scripts/sign-file", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
                snprintf(sign_file, sizeof(sign_file), "%s", g.gl_pathv[g.gl_pathc - 1]);
                globfree(&g);
        }
        return 0;
}

static int teardown(void **state)
{
        fixture_rmrf(dir);
        free(dir);
        dir = NULL;
        return 0;
}

static void make_key(const char *name)
{
        assert_int_equal(sh("cd '%s' && openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 "
                            "-subj '/CN=rdna1-doctor %s/' -keyout %s.key -outform DER -out %s.der "
                            ">/dev/null 2>&1", dir, name, name, name), 0);
}

static void test_signer(void **state)
{
        _cleanup_free_ uint8_t *a = NULL, *b = NULL;
        const uint8_t *issuer, *serial;
        size_t a_len, b_len, issuer_len, serial_len;
        int fd;

        if (!sign_file[0] || access(sign_file, X_OK) < 0)
                prereq_missing("no scripts/sign-file (apt-get install linux-headers-amd64)");
        if (sh("command -v openssl >/dev/null") != 0)
                prereq_missing("no openssl (apt-get install openssl)");

        make_key("enrolled");
        make_key("other");
        assert_int_equal(read_file("enrolled.der", &a, &a_len), 0);
        assert_int_equal(read_file("other.der", &b, &b_len), 0);
        assert_int_equal(x509_issuer_serial(a, a_len, &issuer, &issuer_len, &serial, &serial_len), 0);
        assert_int_equal(issuer[0], 0x30);
        assert_int_equal(serial[0], 0x02);

        /* A stand-in module: an ELF header and some bytes; sign-file appends to anything. */
        assert_int_equal(sh("cd '%s' && { printf '\\177ELF\\002\\001\\001'; head -c 4000 /dev/zero; } >plain.ko && "
                            "cp plain.ko signed.ko && '%s' sha256 enrolled.key enrolled.der signed.ko && "
                            "xz -k -c signed.ko >signed.ko.xz", dir, sign_file), 0);

        fd = open_in_dir("signed.ko");
        assert_true(fd >= 0);
        assert_int_equal(module_signed_by(fd, a, a_len), 1);
        assert_int_equal(module_signed_by(fd, b, b_len), 0);
        close(fd);

        fd = open_in_dir("plain.ko");
        assert_true(fd >= 0);
        assert_int_equal(module_signed_by(fd, a, a_len), -ENODATA);
        close(fd);

        fd = open_in_dir("signed.ko.xz");
        assert_true(fd >= 0);
        assert_int_equal(module_signed_by(fd, a, a_len), -EMEDIUMTYPE);
        close(fd);

        /* Compressed as Ubuntu ships them: decompressed in memory by the real tools. */
        assert_int_equal(sh("cd '%s' && zstd -q -k signed.ko -o signed.ko.zst && gzip -k -c signed.ko >signed.ko.gz && "
                            "head -c 100 signed.ko.xz >broken.ko.xz", dir), 0);
        static const char *const compressed[] = {"signed.ko.xz", "signed.ko.zst", "signed.ko.gz"};
        for (size_t i = 0; i < ELEMENTSOF(compressed); i++) {
                char p[4200];

                snprintf(p, sizeof(p), "%s/%s", dir, compressed[i]);
                fd = open_in_dir(compressed[i]);
                assert_true(fd >= 0);
                assert_int_equal(module_signed_by_path(fd, p, a, a_len), 1);
                assert_int_equal(module_signed_by_path(fd, p, b, b_len), 0);
                close(fd);
        }
        {
                char p[4200];

                snprintf(p, sizeof(p), "%s/broken.ko.xz", dir);
                fd = open_in_dir("broken.ko.xz");
                assert_true(fd >= 0);
                assert_int_equal(module_signed_by_path(fd, p, a, a_len), -EBADMSG);
                close(fd);
        }

        /* Not a certificate. */
        assert_int_equal(x509_issuer_serial((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &issuer, &issuer_len,
                                            &serial, &serial_len), -EBADMSG);
        assert_int_equal(x509_issuer_serial(a, 10, &issuer, &issuer_len, &serial, &serial_len), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_signer),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
