/* SPDX-License-Identifier: GPL-2.0-or-later */
/* profiles/rules.ini: loading (with its errors' lines) and judging NAME=VALUE per gfx target. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/util.h"
#include "check/rules_ini.h"

static void load_bad(const char *text, unsigned want_line);

static rules_db *shipped(void)
{
        _cleanup_free_ char *path = strdup_printf("%s/profiles/rules.ini", getenv("RDNA1_TEST_SRCDIR"));
        rules_db *db = NULL;
        unsigned line = 0;

        assert_int_equal(rules_load(path, &db, &line), 0);
        return db;
}

static void judge(const rules_db *db, const char *name, const char *value, const char *gfx, int want,
                  const char *want_finding, severity sev)
{
        rule_verdict v;

        assert_int_equal(rules_judge(db, name, value, gfx, &v), want);
        if (want) {
                assert_string_equal(v.finding, want_finding);
                assert_int_equal(v.severity, sev);
                assert_non_null(v.reason);
                assert_non_null(v.source);
        } else
                assert_null(v.finding);
}

static void test_shipped_rules(void **state)
{
        rules_db *db = shipped();
        const env_rule *r;

        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", "gfx1010", 1, "env.override-gfx", SEVERITY_CRITICAL);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.0", "gfx1010", 0, NULL, 0);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "9.0.0", "gfx1010", 1, "env.override-gfx", SEVERITY_CRITICAL);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", "gfx1036", 1, "env.override-gfx", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", NULL, 1, "env.override-gfx", SEVERITY_WARNING);
        /* gfx1011/gfx1012: their own value is fine, gfx1010's (rocBLAS#1331) a warning, RDNA2's critical */
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.1", "gfx1011", 0, NULL, 0);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.0", "gfx1011", 1, "env.override-gfx", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", "gfx1011", 1, "env.override-gfx", SEVERITY_CRITICAL);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.2", "gfx1012", 0, NULL, 0);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.0", "gfx1012", 1, "env.override-gfx", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", "gfx1012", 1, "env.override-gfx", SEVERITY_CRITICAL);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.2", "gfx1010", 1, "env.override-gfx", SEVERITY_CRITICAL);
        {
                rule_verdict v;

                assert_int_equal(rules_judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.0", "gfx1012", &v), 1);
                assert_non_null(strstr(v.reason, "rocBLAS#1331"));
                assert_int_equal(rules_judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", "gfx1012", &v), 1);
                assert_non_null(strstr(v.reason, "gfx1012"));
                assert_non_null(strstr(v.reason, "can hang"));
        }
        /* a value libhsakmt refuses: its own finding, whatever the target */
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.3", "gfx1010", 1, "env.override-invalid", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "gfx1030", NULL, 1, "env.override-invalid", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "64.0.0", "gfx1010", 1, "env.override-invalid", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "10.1.0 ", "gfx1010", 1, "env.override-invalid", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION", "", "gfx1010", 0, NULL, 0);
        /* the per-node form is known (a glob), with the same format check */
        judge(db, "HSA_OVERRIDE_GFX_VERSION_1", "10.3.0", NULL, 1, "env.override-gfx", SEVERITY_WARNING);
        judge(db, "HSA_OVERRIDE_GFX_VERSION_1", "10.3.x", NULL, 1, "env.override-invalid", SEVERITY_WARNING);
        /* allocators are preloaded on purpose: a warning; anything else beside them stays critical */
        judge(db, "LD_PRELOAD", "libtcmalloc.so.4", NULL, 1, "runtime.preload", SEVERITY_WARNING);
        judge(db, "LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", NULL, 1, "runtime.preload",
              SEVERITY_WARNING);
        judge(db, "LD_PRELOAD", "libjemalloc.so.2:/usr/local/lib/librdna1_shim.so", NULL, 1, "runtime.preload",
              SEVERITY_CRITICAL);
        judge(db, "MIOPEN_FIND_ENFORCE", "3", "gfx1010", 1, "env.hang-risk", SEVERITY_WARNING);
        judge(db, "MIOPEN_FIND_ENFORCE", "search", NULL, 1, "env.hang-risk", SEVERITY_WARNING);
        judge(db, "MIOPEN_FIND_ENFORCE", "1", "gfx1010", 0, NULL, 0);
        judge(db, "MIOPEN_DEBUG_CONV_WINOGRAD", "0", "gfx1010", 1, "env.hang-risk", SEVERITY_INFO);
        judge(db, "PYTORCH_ROCM_ARCH", "gfx1030", "gfx1010", 1, "env.build-only", SEVERITY_INFO);
        judge(db, "LD_PRELOAD", "/usr/local/lib/librdna1_shim.so", NULL, 1, "runtime.preload", SEVERITY_CRITICAL);
        judge(db, "LD_PRELOAD", "", NULL, 0, NULL, 0);
        judge(db, "LD_LIBRARY_PATH", "/home/alice/rocm-5.7/lib:$LD_LIBRARY_PATH", NULL, 1,
              "runtime.library-path", SEVERITY_WARNING);
        judge(db, "LD_LIBRARY_PATH", "/opt/rocm/lib:/usr/local/cuda/lib64", NULL, 0, NULL, 0);
        judge(db, "HSA_ENABLE_SDMA", "0", "gfx1010", 0, NULL, 0);
        judge(db, "EDITOR", "vi", "gfx1010", 0, NULL, 0);

        r = rules_find(db, "HSA_OVERRIDE_GFX_VERSION");
        assert_non_null(r);
        assert_string_equal(r->name, "HSA_OVERRIDE_GFX_VERSION"); /* original case, not iniparser's */
        assert_true(r->line > 1);
        assert_null(rules_find(db, "EDITOR"));
        assert_non_null(rules_find(db, "MIOPEN_DEBUG_CONV_DIRECT"));
        rules_free(db);
}

/* Every shipped rule says why and where that is known from; so does every per-target text. */
static void test_shipped_sources(void **state)
{
        rules_db *db = shipped();

        assert_true(db->n > 10);
        for (size_t i = 0; i < db->n; i++) {
                const env_rule *r = &db->rules[i];

                assert_non_null(r->source);
                assert_true(strlen(r->source) > 8);
                assert_non_null(r->reason);
                assert_true(strlen(r->reason) > 8);
                for (size_t t = 0; t < r->n_targets; t++)
                        assert_true(!r->targets[t].reason || strlen(r->targets[t].reason) > 8);
                assert_true(!r->warn || (r->warn_reason && strlen(r->warn_reason) > 8));
                assert_true(!r->format_gfx_version || strlen(r->format_reason) > 8);
        }
        rules_free(db);
}

/* warn and format keys: loaded, checked, and refused when half there */
static void test_warn_format(void **state)
{
        static const char text[] =
                "[A]\nfinding = runtime.preload\nmatch = any\nseverity = critical\nreason = r\nsource = s\n"
                "warn = \"x* y*\"\nwarn_reason = mild\n"
                "[B]\nfinding = env.override-gfx\nmatch = any\nseverity = info\nreason = r\nsource = s\n"
                "format = gfx-version\nformat_finding = env.override-invalid\nformat_severity = critical\n"
                "format_reason = refused\nallowed.gfx1011 = 10.1.1\nwarn.gfx1011 = 10.1.0\n"
                "warn_reason.gfx1011 = near\n";
        rules_db *db = NULL;
        unsigned line = 0;
        rule_verdict v;

        assert_int_equal(rules_load_buffer("t.ini", text, sizeof(text) - 1, &db, &line), 0);
        assert_int_equal(rules_judge(db, "A", "x1 y2", NULL, &v), 1);
        assert_int_equal(v.severity, SEVERITY_WARNING);
        assert_string_equal(v.reason, "mild");
        assert_int_equal(rules_judge(db, "A", "x1 z", NULL, &v), 1);
        assert_int_equal(v.severity, SEVERITY_CRITICAL);
        assert_string_equal(v.reason, "r");
        assert_int_equal(rules_judge(db, "B", "10.1.0", "gfx1011", &v), 1);
        assert_int_equal(v.severity, SEVERITY_WARNING);
        assert_string_equal(v.reason, "near");
        assert_int_equal(rules_judge(db, "B", "10.1.1", "gfx1011", &v), 0);
        assert_int_equal(rules_judge(db, "B", "1.2", "gfx1011", &v), 1);
        assert_string_equal(v.finding, "env.override-invalid");
        assert_int_equal(v.severity, SEVERITY_CRITICAL);
        assert_string_equal(v.reason, "refused");
        rules_free(db);

        assert_true(rules_gfx_version_valid("10.1.0"));
        assert_true(rules_gfx_version_valid("63.255.255"));
        assert_false(rules_gfx_version_valid("63.256.0"));
        assert_false(rules_gfx_version_valid("10.1"));
        assert_false(rules_gfx_version_valid("10.1.0.0"));
        assert_false(rules_gfx_version_valid("+10.1.0"));
        assert_false(rules_gfx_version_valid("10..0"));
        assert_false(rules_gfx_version_valid("00010.1.0"));
        assert_false(rules_gfx_version_valid(""));

        /* warn without its reason, format half given, an empty source */
        load_bad("[A]\nfinding = runtime.preload\nmatch = any\nseverity = info\nreason = r\nsource = s\nwarn = x\n", 1);
        load_bad("[A]\nfinding = env.override-gfx\nmatch = any\nseverity = info\nreason = r\nsource = s\n"
                 "format = gfx-version\n", 7);
        load_bad("[A]\nfinding = env.override-gfx\nmatch = any\nseverity = info\nreason = r\nsource = s\n"
                 "format_reason = x\n", 1);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = r\nsource = \"\"\n", 1);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = r\nsource = s\n"
                 "warn.gfx1010 = x\n", 1);
}

/* Where /proc is missing (a bare chroot) the file is read by path, the same bytes all the same. */
static void test_without_memfd(void **state)
{
        rules_set_no_memfd(true);
        test_shipped_rules(state);
        {
                rules_db *db = NULL;
                static const char text[] = "[A]\nmatch = none\nreason = r\nsource = s\n";
                /* no path to fall back on: refused, not guessed */
                assert_int_equal(rules_load_buffer("t.ini", text, strlen(text), &db, NULL), -EBADMSG);
        }
        rules_set_no_memfd(false);
}

static void test_library_path(void **state)
{
        size_t n = 0;
        const char *v = "/opt/rocm-5.7.0/lib:/home/bob/miopen-patched/lib:/usr/lib";

        assert_ptr_equal(rules_library_path_bad(v, &n), v + strlen("/opt/rocm-5.7.0/lib:"));
        assert_int_equal(n, strlen("/home/bob/miopen-patched/lib"));
        assert_null(rules_library_path_bad("/usr/lib/x86_64-linux-gnu:/opt/rocm/lib", NULL));
        assert_non_null(rules_library_path_bad("/home/a/venv/lib/python3.12/site-packages/torch/lib", NULL));
        assert_null(rules_library_path_bad("", NULL));
}

static void load_bad(const char *text, unsigned want_line)
{
        rules_db *db = NULL;
        unsigned line = 0;

        assert_int_equal(rules_load_buffer("t.ini", text, strlen(text), &db, &line), -EBADMSG);
        assert_null(db);
        assert_int_equal(line, want_line);
}

static void test_errors(void **state)
{
        /* a duplicate section (iniparser would merge) and a duplicate key (iniparser keeps one) */
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = r\nsource = s\n[a]\n", 7);
        load_bad("[A]\nfinding = env.hang-risk\nfinding = env.build-only\n", 3);
        /* unknown finding id, match, severity, key */
        load_bad("\n[A]\nfinding = env.nope\nmatch = any\nseverity = info\nreason = r\nsource = s\n", 3);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = sometimes\nseverity = info\nreason = r\nsource = s\n", 3);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = bad\nreason = r\nsource = s\n", 4);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = r\nsource = s\ncolour = red\n", 7);
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = r\nsource = s\nseverity.gfx1010 = huge\n", 7);
        /* no reason/source */
        load_bad("[A]\nfinding = env.hang-risk\nmatch = any\nseverity = info\n", 1);
        /* a key before any section */
        load_bad("finding = x\n", 1);
}

static void test_glob_order(void **state)
{
        static const char text[] =
                "[MIOPEN_*]\nfinding = env.hang-risk\nmatch = any\nseverity = info\nreason = \"glob\"\nsource = s\n"
                "[MIOPEN_LOG_LEVEL]\nmatch = none\nreason = \"exact\"\nsource = s\n";
        rules_db *db = NULL;
        rule_verdict v;

        assert_int_equal(rules_load_buffer("t.ini", text, strlen(text), &db, NULL), 0);
        assert_int_equal(rules_judge(db, "MIOPEN_LOG_LEVEL", "7", NULL, &v), 0);
        assert_string_equal(v.rule->reason, "exact");
        assert_int_equal(rules_judge(db, "MIOPEN_OTHER", "7", NULL, &v), 1);
        assert_string_equal(v.reason, "glob");
        rules_free(db);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_rules),
                cmocka_unit_test(test_without_memfd),
                cmocka_unit_test(test_library_path),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_glob_order),
                cmocka_unit_test(test_shipped_sources),
                cmocka_unit_test(test_warn_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
