/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The static environment-file parsers: what is a setting, with which line, and what is not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/util.h"
#include "parse/envfile.h"

static env_file *parse(env_format fmt, const char *text)
{
        env_file *f = NULL;

        assert_int_equal(env_file_parse(fmt, text, strlen(text), &f), 0);
        assert_non_null(f);
        return f;
}

/* Assert entry i is name=value at line, exported or not. */
static void want(const env_file *f, size_t i, const char *name, const char *value, unsigned line, bool exported)
{
        assert_true(i < f->n_entries);
        assert_string_equal(f->entries[i].name, name);
        assert_string_equal(f->entries[i].value, value);
        assert_int_equal(f->entries[i].line, line);
        assert_int_equal(f->entries[i].exported, exported);
}

static void test_seed_002(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL,
                            "#!/bin/bash\n"
                            "# ROCm RDNA1 Environment Configuration\n"
                            "\n"
                            "export HSA_OVERRIDE_GFX_VERSION=10.3.0\n"
                            "export MIOPEN_DEBUG_CONV_IMPLICIT_GEMM=0\n"
                            "export MIOPEN_FIND_ENFORCE=3\n"
                            "export PYTORCH_ROCM_ARCH=gfx1030\n"
                            "\n"
                            "echo \"ROCm RDNA1 environment configured HSA_OVERRIDE_GFX_VERSION=9\"\n");

        assert_int_equal(f->n_entries, 4);
        want(f, 0, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 4, true);
        want(f, 2, "MIOPEN_FIND_ENFORCE", "3", 6, true);
        want(f, 3, "PYTORCH_ROCM_ARCH", "gfx1030", 7, true);
        assert_string_equal(f->entries[0].raw, "HSA_OVERRIDE_GFX_VERSION=10.3.0");
        env_file_free(f);
}

static void test_export_forms(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL,
                            "export A=1 B=2\n"                          /* 1 */
                            "declare -x C='three' D\n"                  /* 2 */
                            "E=\"five # not a comment\" # a comment\n"  /* 3 */
                            "export E\n"                                /* 4 */
                            "typeset F=6\n"                             /* 5 */
                            "export G=a\\\n"                            /* 6 */
                            "b H=8\n"                                   /* 7 */
                            "X=${UNSET_VAR:-10.3.0}\n"                  /* 8 */
                            "Y=\"${X:-nope}\"\n"                        /* 9 */
                            "Z='${X:-literal}'\n"                       /* 10 */
                            "export -n N=1\n");                         /* 11 */

        want(f, 0, "A", "1", 1, true);
        want(f, 1, "B", "2", 1, true);
        want(f, 2, "C", "three", 2, true);
        assert_true(f->entries[2].quoted);
        want(f, 3, "E", "five # not a comment", 3, true); /* exported by line 4 */
        want(f, 4, "F", "6", 5, false);
        want(f, 5, "G", "ab", 6, true);
        want(f, 6, "H", "8", 7, true);
        want(f, 7, "X", "10.3.0", 8, false);
        want(f, 8, "Y", "10.3.0", 9, false);
        want(f, 9, "Z", "${X:-literal}", 10, false);
        want(f, 10, "N", "1", 11, false);
        assert_int_equal(f->n_entries, 11);
        env_file_free(f);
}

static void test_not_assignments(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL,
                            "# export HSA_OVERRIDE_GFX_VERSION=10.3.0\n"        /* 1 comment */
                            "cat > /tmp/x <<EOF\n"                              /* 2 */
                            "export HSA_OVERRIDE_GFX_VERSION=10.3.0\n"          /* 3 heredoc body */
                            "EOF\n"                                             /* 4 */
                            "cat <<-'END' | tee y\n"                            /* 5 */
                            "\tMIOPEN_FIND_ENFORCE=3\n"                         /* 6 */
                            "\tEND\n"                                           /* 7 */
                            "case \"$x\" in\n"                                  /* 8 */
                            "  HSA_OVERRIDE_GFX_VERSION=*) echo pattern ;;\n"   /* 9 */
                            "  *) export IN_CASE=1 ;;\n"                        /* 10 */
                            "esac\n"                                            /* 11 */
                            "LD_PRELOAD=/x.so some_command\n"                   /* 12 one command only */
                            "echo LD_PRELOAD=/y.so\n"                           /* 13 argument */
                            "v=$(X=1; echo)\n"                                  /* 14 */
                            "for i in A=1; do :; done\n"                        /* 15 */
                            "AFTER=ok\n");                                      /* 16 */

        assert_int_equal(f->n_entries, 3);
        want(f, 0, "IN_CASE", "1", 10, true);
        want(f, 1, "v", "$(X=1; echo)", 14, false);
        want(f, 2, "AFTER", "ok", 16, false);
        env_file_free(f);
}

static void test_one_line_case_and_lists(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL,
                            "case $- in *i*) ;; *) return;; esac\n"
                            "case $x in A=1) export B=2;; esac\n"
                            "[ -d /opt/x ] && export LD_LIBRARY_PATH=\"$HOME/rocm/lib:$LD_LIBRARY_PATH\"\n"
                            "if true; then export IFV=1; fi\n"
                            "set -a\n"
                            "ALL=1\n"
                            "set +a\n"
                            "NOT=1\n");

        want(f, 0, "B", "2", 2, true);
        want(f, 1, "LD_LIBRARY_PATH", "$HOME/rocm/lib:$LD_LIBRARY_PATH", 3, true);
        want(f, 2, "IFV", "1", 4, true);
        want(f, 3, "ALL", "1", 6, true);
        want(f, 4, "NOT", "1", 8, false);
        assert_int_equal(f->n_entries, 5);
        env_file_free(f);
}

static void test_source(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL,
                            "# ~/.bashrc\n"
                            "if [ -f ~/rocm_rdna1_env.sh ]; then\n"
                            "    source ~/rocm_rdna1_env.sh\n"
                            "fi\n"
                            ". \"$HOME/.bash_aliases\"\n"
                            "echo source nothing\n");

        assert_int_equal(f->n_refs, 2);
        assert_int_equal(f->refs[0].kind, ENV_REF_SOURCE);
        assert_string_equal(f->refs[0].path, "~/rocm_rdna1_env.sh");
        assert_int_equal(f->refs[0].line, 3);
        assert_string_equal(f->refs[1].path, "$HOME/.bash_aliases");
        assert_int_equal(f->refs[1].line, 5);
        env_file_free(f);
}

static void test_escape_kept_raw(void **state)
{
        env_file *f = parse(ENV_FORMAT_SHELL, "export HSA_OVERRIDE_GFX_VERSION=$'\\e]0;x'\"\x1b[31m\"\n");

        assert_int_equal(f->n_entries, 1);
        /* The parser keeps the bytes; escaping is the report's job. */
        assert_non_null(strchr(f->entries[0].value, '\x1b'));
        env_file_free(f);
}

static void test_keyvalue(void **state)
{
        env_file *f = parse(ENV_FORMAT_KEYVALUE,
                            "PATH=\"/usr/local/sbin:/usr/bin\"\n"
                            "# HSA_OVERRIDE_GFX_VERSION=1\n"
                            "\n"
                            "HSA_OVERRIDE_GFX_VERSION=10.3.0\n"
                            "junk line\n"
                            "export ROCR_VISIBLE_DEVICES='0'\n");

        assert_int_equal(f->n_entries, 3);
        want(f, 0, "PATH", "/usr/local/sbin:/usr/bin", 1, true);
        want(f, 1, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 4, true);
        want(f, 2, "ROCR_VISIBLE_DEVICES", "0", 6, true);
        assert_int_equal(f->n_skipped, 1);
        env_file_free(f);
}

static void test_pam_env(void **state)
{
        env_file *f = parse(ENV_FORMAT_PAM_ENV,
                            "# comment\n"
                            "REMOTEHOST     DEFAULT=localhost OVERRIDE=@{PAM_RHOST}\n"
                            "HSA_OVERRIDE_GFX_VERSION DEFAULT=\"10.3.0\"\n"
                            "MIOPEN_FIND_ENFORCE=3\n"
                            "NOVALUE\n");

        assert_int_equal(f->n_entries, 3);
        want(f, 0, "REMOTEHOST", "@{PAM_RHOST}", 2, true);
        assert_false(f->entries[0].is_default);
        want(f, 1, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 3, true);
        assert_true(f->entries[1].is_default);
        want(f, 2, "MIOPEN_FIND_ENFORCE", "3", 4, true);
        env_file_free(f);
}

static void test_systemd(void **state)
{
        env_file *f = parse(ENV_FORMAT_SYSTEMD,
                            "[Service]\n"
                            "Environment=\"OLLAMA_HOST=0.0.0.0\"\n"
                            "Environment=\"HSA_OVERRIDE_GFX_VERSION=10.3.0\" \"B=two words\" C=3\n"
                            "# Environment=COMMENTED=1\n"
                            "EnvironmentFile=-/etc/default/ollama\n"
                            "Environment=LONG=a \\\n"
                            "  LONG2=b\n"
                            "[Manager]\n"
                            "DefaultEnvironment=LD_PRELOAD=/usr/lib/shim.so\n");

        assert_int_equal(f->n_entries, 7);
        want(f, 0, "OLLAMA_HOST", "0.0.0.0", 2, true);
        want(f, 1, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 3, true);
        assert_string_equal(f->entries[1].section, "Service");
        want(f, 2, "B", "two words", 3, true);
        want(f, 3, "C", "3", 3, true);
        want(f, 4, "LONG", "a", 6, true);
        want(f, 5, "LONG2", "b", 6, true);
        want(f, 6, "LD_PRELOAD", "/usr/lib/shim.so", 9, true);
        assert_string_equal(f->entries[6].section, "Manager");
        assert_int_equal(f->n_refs, 1);
        assert_int_equal(f->refs[0].kind, ENV_REF_ENVIRONMENT_FILE);
        assert_string_equal(f->refs[0].path, "/etc/default/ollama");
        assert_true(f->refs[0].optional);
        env_file_free(f);

        f = parse(ENV_FORMAT_SYSTEMD, "[Manager]\nDefaultEnvironment=LD_PRELOAD=/usr/lib/shim.so\n");
        want(f, 0, "LD_PRELOAD", "/usr/lib/shim.so", 2, true);
        assert_string_equal(f->entries[0].section, "Manager");
        env_file_free(f);

        /* An empty Environment= resets what came before in that section. */
        f = parse(ENV_FORMAT_SYSTEMD, "[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n");
        assert_int_equal(f->n_entries, 1);
        want(f, 0, "B", "2", 4, true);
        env_file_free(f);
}

static void test_fish(void **state)
{
        env_file *f = parse(ENV_FORMAT_FISH,
                            "if status is-interactive\n"
                            "    set -gx HSA_OVERRIDE_GFX_VERSION 10.3.0\n"
                            "end\n"
                            "set -g NOT_EXPORTED 1\n"
                            "set --export PATHS /a /b\n"
                            "set -e HSA_OVERRIDE_GFX_VERSION\n"
                            "source ~/x.fish\n");

        assert_int_equal(f->n_entries, 3);
        want(f, 0, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 2, true);
        want(f, 1, "NOT_EXPORTED", "1", 4, false);
        want(f, 2, "PATHS", "/a /b", 5, true);
        assert_int_equal(f->n_refs, 1);
        env_file_free(f);
}

static void test_jupyter(void **state)
{
        env_file *f = parse(ENV_FORMAT_JUPYTER,
                            "{\n"
                            " \"argv\": [\"python3\", \"-m\", \"ipykernel_launcher\"],\n"
                            " \"display_name\": \"ROCm\",\n"
                            " \"env\": {\n"
                            "  \"HSA_OVERRIDE_GFX_VERSION\": \"10.3.0\",\n"
                            "  \"N\": 3\n"
                            " }\n"
                            "}\n");

        assert_int_equal(f->n_entries, 2);
        want(f, 0, "HSA_OVERRIDE_GFX_VERSION", "10.3.0", 5, true);
        want(f, 1, "N", "3", 6, true);
        env_file_free(f);

        {
                env_file *g = NULL;
                assert_int_equal(env_file_parse(ENV_FORMAT_JUPYTER, "{\"env\": ", 8, &g), -EBADMSG);
                assert_null(g);
        }
}

static void test_garbage_terminates(void **state)
{
        /* Unterminated quotes, lone operators, NUL bytes: no crash, no hang. */
        static const char junk[] = "export A=\"unterminated\n$(((\n`\n<<\n<<EOF\n)\n;;\nesac\ncase\n\0B=1\n'";
        env_file *f = NULL;

        for (int fmt = 0; fmt < _ENV_FORMAT_MAX; fmt++) {
                int k = env_file_parse((env_format)fmt, junk, sizeof(junk) - 1, &f);
                assert_true(k == 0 || k == -EBADMSG);
                f = env_file_free(f);
        }
}

/* Random bytes biased towards shell syntax: every format terminates, nothing leaks (ASan). */
static void test_random_input(void **state)
{
        static const char alphabet[] = "AZ_az09=$'\"\\`(){}[];&|<>#\n\t -:.,@%~*?!";
        unsigned seed = 12345;
        char buf[512];

        for (int iter = 0; iter < 3000; iter++) {
                size_t n = (size_t)(rand_r(&seed) % sizeof(buf));

                for (size_t i = 0; i < n; i++) {
                        int x = rand_r(&seed);
                        buf[i] = x % 16 == 0 ? (char)(x >> 8) : alphabet[(size_t)(x >> 4) % (sizeof(alphabet) - 1)];
                }
                for (int fmt = 0; fmt < _ENV_FORMAT_MAX; fmt++) {
                        env_file *f = NULL;
                        int k = env_file_parse((env_format)fmt, buf, n, &f);

                        assert_true(k == 0 || k == -EBADMSG);
                        for (size_t i = 0; f && i < f->n_entries; i++) {
                                assert_true(f->entries[i].line >= 1);
                                assert_true(env_name_valid(f->entries[i].name, strlen(f->entries[i].name)));
                        }
                        env_file_free(f);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seed_002),
                cmocka_unit_test(test_export_forms),
                cmocka_unit_test(test_not_assignments),
                cmocka_unit_test(test_one_line_case_and_lists),
                cmocka_unit_test(test_source),
                cmocka_unit_test(test_escape_kept_raw),
                cmocka_unit_test(test_keyvalue),
                cmocka_unit_test(test_pam_env),
                cmocka_unit_test(test_systemd),
                cmocka_unit_test(test_fish),
                cmocka_unit_test(test_jupyter),
                cmocka_unit_test(test_garbage_terminates),
                cmocka_unit_test(test_random_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
