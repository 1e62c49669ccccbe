/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles: the shipped ones read cleanly; bad input is refused with its
 * line; values become shell words that the audit's parser (and sh) read
 * back as exactly the profile's environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "fixture.h"
#include "parse/envfile.h"
#include "profile/exec_env.h"
#include "profile/profile.h"

static const char *const shipped[] = {"gfx1010-native", "miopen-rocm57-conservative", "diagnostic"};

static char *srcpath(const char *rel)
{
        const char *src = getenv("RDNA1_TEST_SRCDIR");

        return strdup_printf("%s/%s", src ? src : ".", rel);
}

static void test_shipped_profiles_parse(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(shipped); i++) {
                _cleanup_free_ char *rel = strdup_printf("profiles/%s.ini", shipped[i]);
                _cleanup_free_ char *path = srcpath(rel);
                problem_list pl = {0};
                profile *p = NULL;

                assert_int_equal(profile_load(path, &pl, &p), 0);
                assert_non_null(p);
                for (size_t j = 0; j < pl.n; j++)
                        print_error("%s:%u: %s\n", pl.items[j].path, pl.items[j].line, pl.items[j].message);
                assert_int_equal(pl.n, 0);
                assert_string_equal(p->name, shipped[i]);
                assert_true(p->gfx_targets.n >= 1);
                for (size_t j = 0; j < p->n_env; j++) {
                        assert_non_null(p->env[j].reason);
                        assert_non_null(p->env[j].source);
                        assert_true(p->env[j].line > 0);
                }
                problem_list_clear(&pl);
                profile_free(p);
        }
}

static const char header[] = "[profile]\nname = t\ndescription = d\ngfx-targets = gfx1010\n";

/* Parse header + body; assert a problem of severity sev on line, naming name (may be NULL). */
static void want_problem(const char *body, size_t body_len, unsigned line, severity sev, const char *needle)
{
        _cleanup_free_ char *buf = malloc(sizeof(header) + body_len);
        problem_list pl = {0};
        profile *p = NULL;
        bool found = false;
        int k;

        assert_non_null(buf);
        memcpy(buf, header, sizeof(header) - 1);
        memcpy(buf + sizeof(header) - 1, body, body_len);
        k = profile_parse("t.ini", buf, sizeof(header) - 1 + body_len, &pl, &p);
        assert_true(k == 0 || k == -EBADMSG);
        for (size_t i = 0; i < pl.n; i++)
                if (pl.items[i].line == line && pl.items[i].sev == sev &&
                    (!needle || strstr(pl.items[i].message, needle)))
                        found = true;
        if (!found)
                for (size_t i = 0; i < pl.n; i++)
                        print_error("got %u %s %s\n", pl.items[i].line, severity_to_string(pl.items[i].sev),
                                    pl.items[i].message);
        assert_true(found);
        /* A critical problem never yields a setting with that value. */
        for (size_t i = 0; p && i < p->n_env; i++)
                assert_null(env_value_problem(p->env[i].value, strlen(p->env[i].value)));
        problem_list_clear(&pl);
        profile_free(p);
}
#define WANT(body, line, sev, needle) want_problem(body, sizeof(body) - 1, line, sev, needle)

static void test_bad_input(void **state)
{
        /* lines: header is 4 lines, [env] is line 5, the first setting line 6 */
        WANT("[env]\nA = 1\na = 2\n", 7, SEVERITY_CRITICAL, "duplicate");
        WANT("[env]\nBAD-NAME = 1\n", 6, SEVERITY_CRITICAL, "not a valid environment variable name");
        WANT("[env]\n1X = 1\n", 6, SEVERITY_CRITICAL, "not a valid environment variable name");
        WANT("[env]\nA = $(reboot)\n", 6, SEVERITY_CRITICAL, "$(");
        WANT("[env]\nA = `reboot`\n", 6, SEVERITY_CRITICAL, "backtick");
        WANT("[env]\nA = $PATH\n", 6, SEVERITY_CRITICAL, "other than ${HOME}");
        WANT("[env]\nA = \"x\x1by\"\n", 6, SEVERITY_CRITICAL, "control character");
        WANT("[env]\nA = a;b\n", 6, SEVERITY_CRITICAL, "comment");
        WANT("[env]\nA = 1 \\\n", 6, SEVERITY_CRITICAL, "continuation");
        WANT("[env]\nA = 1\n[reason]\nA = r\nA = s\n", 9, SEVERITY_CRITICAL, "duplicate");
        WANT("[env]\nA = 1\n", 6, SEVERITY_WARNING, "no [reason]");
        WANT("[env]\njunk line\n", 6, SEVERITY_CRITICAL, "neither");
        WANT("[env]\nA = \xff\xfe\n", 0, SEVERITY_CRITICAL, "UTF-8");
        want_problem("[env]\nA = x\0y\n", 13, 0, SEVERITY_CRITICAL, "NUL");
}

static void test_long_line(void **state)
{
        char body[2100] = "[env]\nA = ";
        size_t n = strlen(body);

        memset(body + n, 'x', 1500);
        body[n + 1500] = '\n';
        want_problem(body, n + 1501, 6, SEVERITY_CRITICAL, "longer than");
}

static void test_missing_profile_keys(void **state)
{
        static const char text[] = "[env]\nA = 1\n";
        problem_list pl = {0};
        profile *p = NULL;

        assert_int_equal(profile_parse("t.ini", text, sizeof(text) - 1, &pl, &p), 0);
        assert_true(problem_list_has(&pl, SEVERITY_CRITICAL));
        assert_int_equal(problem_list_exit_code(&pl), 2);
        problem_list_clear(&pl);
        profile_free(p);
}

static void test_value_checks(void **state)
{
        assert_null(env_value_problem("${HOME}/.cache/x", 16));
        assert_null(env_value_problem("a b 'c' \"d\" \\e", 14));
        assert_non_null(env_value_problem("a\nb", 3));
        assert_non_null(env_value_problem("${HOME", 6));
        assert_non_null(env_value_problem("\xc0\x80", 2)); /* overlong NUL */
        assert_true(utf8_valid("gr\xc3\xbc\xc3\x9f", 6));
        assert_false(utf8_valid("\xed\xa0\x80", 3)); /* a surrogate */
}

static void test_quote(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"FAST", "'FAST'"},
                {"", "''"},
                {"it's", "'it'\\''s'"},
                {"${HOME}/x", "\"${HOME}\"'/x'"},
                {"a${USER}b${HOME}", "'a'\"${USER}\"'b'\"${HOME}\""},
                {"'", "\\'"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *q = env_value_shell_quote(cases[i].in);

                assert_string_equal(q, cases[i].out);
        }
}

static void test_expand(void **state)
{
        _cleanup_free_ char *a = NULL, *b = NULL;

        assert_int_equal(env_value_expand("${HOME}/c-${USER}", "/home/al", "al", &a), 0);
        assert_string_equal(a, "/home/al/c-al");
        assert_int_equal(env_value_expand("${HOME}", NULL, NULL, &b), 0);
        assert_string_equal(b, "");
}

/*
 * Round trip: the profile.d script install writes, read back by the
 * audit's static parser, gives exactly the profile's settings (names,
 * values with ${HOME} unexpanded, all exported), in order.
 */
static void test_round_trip_audit_parser(void **state)
{
        static const char text[] =
                "[profile]\nname = rt\ndescription = round trip: it's \"quoted\"\ngfx-targets = gfx1010\n"
                "[env]\n"
                "PLAIN = FAST\n"
                "SPACES = \"a b  c\"\n"
                "QUOTE = it's\n"
                "HOMEDIR = ${HOME}/.cache/miopen ${USER}\n"
                "EMPTY =\n"
                "BACKSLASH = a\\b\n"
                "UTF = gr\xc3\xbc\xc3\x9f\n"
                "[reason]\nPLAIN = r\nSPACES = r\nQUOTE = r\nHOMEDIR = r\nEMPTY = r\nBACKSLASH = r\nUTF = r\n"
                "[source]\nPLAIN = s\nSPACES = s\nQUOTE = s\nHOMEDIR = s\nEMPTY = s\nBACKSLASH = s\nUTF = s\n";
        problem_list pl = {0};
        profile *p = NULL;
        resolved_env e = {0};
        env_file *f = NULL;
        _cleanup_free_ char *script = NULL;

        assert_int_equal(profile_parse("rt.ini", text, sizeof(text) - 1, &pl, &p), 0);
        for (size_t j = 0; j < pl.n; j++)
                print_error("%u: %s\n", pl.items[j].line, pl.items[j].message);
        assert_int_equal(pl.n, 0);
        assert_int_equal(p->n_env, 7);
        assert_int_equal(profile_resolve(p, NULL, NULL, &e, NULL), 0);
        script = profile_render_shell(p, &e, "0.0");
        assert_non_null(script);
        assert_int_equal(env_file_parse(ENV_FORMAT_SHELL, script, strlen(script), &f), 0);
        assert_int_equal(f->n_entries, p->n_env);
        assert_int_equal(f->n_skipped, 0);
        for (size_t i = 0; i < p->n_env; i++) {
                assert_string_equal(f->entries[i].name, p->env[i].name);
                assert_string_equal(f->entries[i].value, p->env[i].value);
                assert_true(f->entries[i].exported);
        }
        env_file_free(f);
        resolved_env_clear(&e);
        problem_list_clear(&pl);
        profile_free(p);
}

/* A device node stand-in: mode, and (as root) owner root and group gid; returns the group it got. */
static gid_t put_node(const char *top, const char *rel, mode_t mode, gid_t gid)
{
        _cleanup_free_ char *p = fixture_path(top, rel);
        struct stat st;

        fixture_write(top, rel, "", 0, mode);
        if (geteuid() == 0)
                assert_int_equal(lchown(p, 0, gid), 0);
        assert_int_equal(chmod(p, mode), 0);
        assert_int_equal(lstat(p, &st), 0);
        return st.st_gid;
}

/* Root with no invoking user: nobody of the root, plus the groups of the GPU's nodes, never group 0. */
static void test_unprivileged_user(void **state)
{
        _cleanup_free_ char *top = fixture_tmpdir("/var/tmp", "unpriv");
        const char *nodes[] = {"/dev/kfd", "/dev/dri/renderD128", "/dev/dri/card0", "/dev/missing", NULL};
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        exec_user u = {0};
        gid_t render;

        fixture_put(top, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        fixture_put(top, "etc/group", "root:x:0:\nvideo:x:44:\nrender:x:109:\nnogroup:x:65534:\n");
        fixture_mkdirs(top, "dev/dri");
        render = put_node(top, "dev/kfd", 0660, 109);
        put_node(top, "dev/dri/renderD128", 0660, 109);
        put_node(top, "dev/dri/card0", 0600, 44); /* the group may not read and write: not needed */
        assert_int_equal(sysroot_open(top, &sr), 0);

        assert_int_equal(exec_user_unprivileged(sr, nodes, ELEMENTSOF(nodes), &u), 0);
        assert_int_equal(u.uid, 65534);
        assert_int_equal(u.gid, 65534);
        assert_string_equal(u.name, "nobody");
        assert_string_equal(u.home, "/nonexistent");
        assert_string_equal(u.via, "nobody");
        assert_int_equal(u.groups[0], 65534);
        if (render != 0) {
                assert_int_equal(u.n_groups, 2);
                assert_int_equal(u.groups[1], render);
        } else
                assert_int_equal(u.n_groups, 1);
        exec_user_clear(&u);

        /* no nodes asked for (a CPU run): nobody's own group only */
        assert_int_equal(exec_user_unprivileged(sr, NULL, 0, &u), 0);
        assert_int_equal(u.n_groups, 1);
        assert_int_equal(u.groups[0], 65534);
        exec_user_clear(&u);

        /* a node of group 0, even group read-write, gives nothing of root's */
        if (geteuid() == 0) {
                put_node(top, "dev/kfd", 0666, 0);
                assert_int_equal(exec_user_unprivileged(sr, nodes, 1, &u), 0);
                assert_int_equal(u.n_groups, 1);
                assert_int_equal(u.groups[0], 65534);
                exec_user_clear(&u);
        }

        /* no nobody, or a "nobody" that is root: the kernel's overflow ids */
        fixture_put(top, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:0:0::/root:/bin/sh\n");
        assert_int_equal(exec_user_unprivileged(sr, NULL, 0, &u), 0);
        assert_int_equal(u.uid, EXEC_NOBODY_UID);
        assert_int_equal(u.gid, EXEC_NOBODY_GID);
        assert_string_equal(u.home, "/nonexistent");
        exec_user_clear(&u);
        fixture_put(top, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        assert_int_equal(exec_user_unprivileged(sr, NULL, 0, &u), 0);
        assert_int_equal(u.uid, EXEC_NOBODY_UID);
        assert_int_equal(u.gid, EXEC_NOBODY_GID);
        exec_user_clear(&u);

        fixture_rmrf(top);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_profiles_parse),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_missing_profile_keys),
                cmocka_unit_test(test_value_checks),
                cmocka_unit_test(test_quote),
                cmocka_unit_test(test_expand),
                cmocka_unit_test(test_round_trip_audit_parser),
                cmocka_unit_test(test_unprivileged_user),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
