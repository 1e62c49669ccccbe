/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sha2.h>

#include "base/util.h"
#include "parse/pyscan.h"

#define S(x) x, strlen(x)

static void test_pth_exec(void **state)
{
        /* site.addpackage(): only "import " / "import\t" at column 0 run */
        assert_true(pth_line_is_exec(S("import os; os.environ['A'] = '1'")));
        assert_true(pth_line_is_exec(S("import\tfoo")));
        assert_false(pth_line_is_exec(S(" import os")));
        assert_false(pth_line_is_exec(S("importlib")));
        assert_false(pth_line_is_exec(S("import")));
        assert_false(pth_line_is_exec(S("#import os")));
        assert_false(pth_line_is_exec(S("/opt/rocm/lib/python3/site-packages")));
        assert_false(pth_line_is_exec(S("Import os")));
}

static void test_pth_imports(void **state)
{
        char names[4][128];

        assert_int_equal(pth_line_imports(S("import rdna1_autoload"), names, 4), 1);
        assert_string_equal(names[0], "rdna1_autoload");
        assert_int_equal(pth_line_imports(S("import a.b, c as d; import e ;x=1"), names, 4), 3);
        assert_string_equal(names[0], "a");
        assert_string_equal(names[1], "c");
        assert_string_equal(names[2], "e");
        /* setuptools' distutils-precedence.pth imports only os */
        assert_int_equal(pth_line_imports(S("import os; var = 'SETUPTOOLS_USE_DISTUTILS'; "
                                            "enabled = os.environ.get(var, 'local') == 'local'; "
                                            "enabled and __import__('_distutils_hack').add_shim(); "),
                                          names, 4), 1);
        assert_string_equal(names[0], "os");
        /* capped */
        assert_int_equal(pth_line_imports(S("import a, b, c, d, e, f"), names, 4), 4);
        assert_int_equal(pth_line_imports(S("x = 1"), names, 4), 0);
}

static void test_touches_rocm(void **state)
{
        static const char *const yes[] = {
                "os.environ['HSA_OVERRIDE_GFX_VERSION'] = '10.3.0'",
                "import torch",
                "os.environ.setdefault(\"ROCR_VISIBLE_DEVICES\", \"0\")",
                "ctypes.CDLL('/opt/rocm-5.7.0/lib/libMIOpen.so')",
                "if torch.version.hip:",
                "HIP_VISIBLE_DEVICES=0",
                "arch = 'gfx1030'",
                "os.environ['PYTORCH_ROCM_ARCH'] = 'GFX1010'",
                "    os.environ['MIOPEN_FIND_ENFORCE'] = '3'",
                "load('librocblas.so.3')",
                "x = 'amdgpu'",
                "ROCBLAS_TENSILE_LIBPATH='/home/a/tensile'",
        };
        static const char *const no[] = {
                "# os.environ['HSA_OVERRIDE_GFX_VERSION'] = '10.3.0'",
                "   # import torch",
                "import os",
                "chip = relationship = ship",
                "import apport_python_hook",
                "gfx = 1",
                "sys.path.insert(0, '/opt/tools')",
                "",
        };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (!py_line_touches_rocm(S(yes[i])))
                        fail_msg("should match: %s", yes[i]);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (py_line_touches_rocm(S(no[i])))
                        fail_msg("should not match: %s", no[i]);
}

static int collect_lines(unsigned lineno, const char *line, size_t len, void *userdata)
{
        strv *v = userdata;
        return strv_push(v, strdup_printf("%u:%.*s", lineno, (int)len, line));
}

static void test_match_lines(void **state)
{
        static const char buf[] =
                "import os\r\n"
                "# HSA_OVERRIDE_GFX_VERSION in a comment\n"
                "os.environ['HSA_OVERRIDE_GFX_VERSION'] = '10.3.0'\r\n"
                "\n"
                "import torch\n"
                "x = 1\0import torch\n"
                "torch.backends.cudnn.enabled = False"; /* no newline at the end */
        strv v = {0};

        assert_int_equal(py_match_lines(buf, sizeof(buf) - 1, 0, collect_lines, &v), 4);
        assert_int_equal(v.n, 4);
        assert_string_equal(v.items[0], "3:os.environ['HSA_OVERRIDE_GFX_VERSION'] = '10.3.0'");
        assert_string_equal(v.items[1], "5:import torch");
        assert_int_equal(strncmp(v.items[2], "6:x = 1", 7), 0);
        assert_string_equal(v.items[3], "7:torch.backends.cudnn.enabled = False");
        strv_clear(&v);
        /* bounded */
        assert_int_equal(py_match_lines(buf, sizeof(buf) - 1, 2, collect_lines, &v), 2);
        strv_clear(&v);
}

static int collect_rows(const record_row *row, void *userdata)
{
        strv *v = userdata;
        return strv_push(v, strdup_printf("%u|%s|%s|%s|%s", row->line, row->path, row->algo, row->digest,
                                          row->has_size ? "sized" : "-"));
}

static int collect_sizes(const record_row *row, void *userdata)
{
        uint64_t *sum = userdata;
        *sum += row->size;
        return 0;
}

static void test_record(void **state)
{
        static const char rec[] =
                "torch/lib/libMIOpen.so,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
                "torch-2.2.2.dist-info/RECORD,,\r\n"
                "\"odd,name \"\"q\"\".py\",sha256=abc,12\n"
                "\"multi\nline.py\",sha256=def,3\n"
                "short,row\n"
                "bad-size,sha256=x,12a\n"
                "nohash,md5,1\n"
                "\n"
                "../../../bin/torchrun,sha256=ghi,100"; /* no newline at the end */
        strv v = {0};
        uint64_t sum = 0;

        /* three malformed rows: two fields, a bad size, a hash without '=' */
        assert_int_equal(record_parse(rec, sizeof(rec) - 1, collect_rows, &v), 3);
        assert_int_equal(v.n, 5);
        assert_string_equal(v.items[0], "1|torch/lib/libMIOpen.so|sha256|47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU|sized");
        assert_string_equal(v.items[1], "2|torch-2.2.2.dist-info/RECORD|||-");
        assert_string_equal(v.items[2], "3|odd,name \"q\".py|sha256|abc|sized");
        assert_string_equal(v.items[3], "4|multi\nline.py|sha256|def|sized");
        assert_string_equal(v.items[4], "10|../../../bin/torchrun|sha256|ghi|sized");
        strv_clear(&v);
        assert_int_equal(record_parse(rec, sizeof(rec) - 1, collect_sizes, &sum), 3);
        assert_int_equal(sum, 0 + 12 + 3 + 100);
        assert_int_equal(record_parse("", 0, collect_rows, &v), 0);
        assert_int_equal(v.n, 0);
        /* an unterminated quote ends the file without reading past it */
        assert_int_equal(record_parse("\"abc,sha256=x,1", 15, collect_rows, &v), 1);
        strv_clear(&v);
}

static void test_record_path(void **state)
{
        assert_true(record_path_is_local("torch/lib/libMIOpen.so"));
        assert_true(record_path_is_local("a..b/c"));
        assert_false(record_path_is_local("../../bin/x"));
        assert_false(record_path_is_local("torch/../../etc/shadow"));
        assert_false(record_path_is_local("/etc/shadow"));
        assert_false(record_path_is_local(""));
        assert_false(record_path_is_local("a/.."));
}

static void test_wheel_lib_names(void **state)
{
        static const char *const yes[] = {
                "libMIOpen.so", "libamdhip64.so", "libamdhip64.so.6", "librocblas.so.4.0.60000",
                "libhsa-runtime64.so.1", "libamdhip64-53b3d7b3.so", "libhipblaslt.so", "librccl.so.1",
                "libroctx64.so", "libhsa-runtime64-8b9a2c1f.so.1.11.0",
        };
        static const char *const no[] = {
                "libtorch_hip.so", "libMIOpen.so.bak", "libamdhip64.a", "libamdhip64-xyz.so", "libc10.so",
                "libMIOpenDriver", "librocblas.sox", "libhipblas_foo.so",
        };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (!rocm_wheel_lib_name(yes[i]))
                        fail_msg("should match: %s", yes[i]);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (rocm_wheel_lib_name(no[i]))
                        fail_msg("should not match: %s", no[i]);
}

static void test_digest(void **state)
{
        uint8_t d[SHA256_DIGEST_LENGTH];
        SHA2_CTX c;
        char out[64];

        /* sha256("") as pip writes it in RECORD */
        SHA256Init(&c);
        SHA256Final(d, &c);
        assert_int_equal(sha256_record_digest(d, out, sizeof(out)), 0);
        assert_string_equal(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        /* sha256("hello\n"): "/" and "+" of the standard alphabet become "_" and "-" */
        SHA256Init(&c);
        SHA256Update(&c, (const uint8_t *)"hello\n", 6);
        SHA256Final(d, &c);
        assert_int_equal(sha256_record_digest(d, out, sizeof(out)), 0);
        assert_string_equal(out, "WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM");
        assert_int_equal(sha256_record_digest(d, out, 44), -ENOBUFS);
}

static void test_miopen_names(void **state)
{
        static const struct {
                const char *name, *target;
        } cases[] = {
                { "gfx1030_36.HIP.2_20_0_a1b2c3d4.ufdb.txt", "gfx1030" },
                { "gfx1010_36_2.udb", "gfx1010" },
                { "gfx1151_20.ukdb", "gfx1151" },
                { "gfx90a6e.ukdb", "gfx90a" },
                { "gfx906_60.cd.updb.txt", "gfx906" },
                { "gfx908_nosramecc_120.ukdb", "gfx908" },
                { "gfx1030", "gfx1030" },
                { "gfx803_64.HIP.fdb.txt", "gfx803" },
        };
        static const char *const no[] = {
                "miopen_1.0.0.udb", "gfx", "gfxabc", "gfx10", "2.20.0.a1b2c3d4", "gfx1030x.ukdb", "GFX1030_36.ukdb",
                "gfx10AB_36.ukdb",
        };
        char t[16];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (!miopen_name_target(cases[i].name, t, sizeof(t)))
                        fail_msg("should parse: %s", cases[i].name);
                assert_string_equal(t, cases[i].target);
        }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (miopen_name_target(no[i], t, sizeof(t)))
                        fail_msg("should not parse: %s (got %s)", no[i], t);
        assert_false(miopen_name_target("gfx1030_36.ukdb", t, 4));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pth_exec),
                cmocka_unit_test(test_pth_imports),
                cmocka_unit_test(test_touches_rocm),
                cmocka_unit_test(test_match_lines),
                cmocka_unit_test(test_record),
                cmocka_unit_test(test_record_path),
                cmocka_unit_test(test_wheel_lib_names),
                cmocka_unit_test(test_digest),
                cmocka_unit_test(test_miopen_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
