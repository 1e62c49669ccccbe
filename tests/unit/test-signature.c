/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signature database and code-based matcher.
 *
 * Group "self" needs nothing but the repository. Group "upstream" runs
 * against the real kfd_crat.c from Debian's linux-source package (taken at
 * test time, never stored in the repository) with the seed 004 patch
 * inserted the way the seed describes, and mutated the ways a user would
 * mutate it. Without the upstream text that group is skipped (exit 77),
 * or fails when CI=true.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "parse/ctokens.h"
#include "parse/signature.h"

#include "fixture.h"

#define UPSTREAM_TARBALL "/usr/src/linux-source-6.1.tar.xz"

static const char *srcdir;
static signature_db *db;
static char *upstream;      /* real kfd_crat.c, NUL-terminated */
static size_t upstream_len;
static unsigned anchor_line; /* line of "flags |= HSA_MEM_FLAGS_NON_VOLATILE;" */

/* The statement the seed patch follows, and the seed's lines (tabs, kernel style). */
static const char ANCHOR[] = "\t\t\t\tflags |= HSA_MEM_FLAGS_NON_VOLATILE;\n";

static const char SEED_TABS[] =
        "\t\t\t/* RDNA1 FIX for device 0x731F */\n"
        "\t\t\tif (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev) {\n"
        "\t\t\t\tuint16_t device_id = dev->gpu->adev->pdev->device;\n"
        "\t\t\t\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM) {\n"
        "\t\t\t\t\tpr_debug(\"KFD: Enabling fine-grained for RDNA1 0x%x\\n\", device_id);\n"
        "\t\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
        "\t\t\t\t}\n"
        "\t\t\t}\n";

/* As printed in the seed document: 4-space steps. */
static const char SEED_SPACES[] =
        "            /* RDNA1 FIX for device 0x731F */\n"
        "            if (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev) {\n"
        "                uint16_t device_id = dev->gpu->adev->pdev->device;\n"
        "                if (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM) {\n"
        "                    pr_debug(\"KFD: Enabling fine-grained for RDNA1 0x%x\\n\", device_id);\n"
        "                    flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
        "                }\n"
        "            }\n";

static const char SEED_NO_COMMENT[] =
        "\t\t\tif (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev) {\n"
        "\t\t\t\tuint16_t device_id = dev->gpu->adev->pdev->device;\n"
        "\t\t\t\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM) {\n"
        "\t\t\t\t\tpr_debug(\"KFD: Enabling fine-grained for RDNA1 0x%x\\n\", device_id);\n"
        "\t\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
        "\t\t\t\t}\n"
        "\t\t\t}\n";

static const char SEED_ALLMAN[] =
        "\t\t\t/* RDNA1 FIX for device 0x731F */\n"
        "\t\t\tif (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev)\n"
        "\t\t\t{\n"
        "\t\t\t\tuint16_t device_id = dev->gpu->adev->pdev->device;\n"
        "\t\t\t\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM)\n"
        "\t\t\t\t{\n"
        "\t\t\t\t\tpr_debug(\"KFD: Enabling fine-grained for RDNA1 0x%x\\n\",\n"
        "\t\t\t\t\t\t device_id);\n"
        "\t\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
        "\t\t\t\t}\n"
        "\t\t\t}\n";

/* The pr_debug dropped, so the inner if guards one statement: braces removed there. */
static const char SEED_SINGLE_STMT[] =
        "\t\t\t/* RDNA1 FIX for device 0x731F */\n"
        "\t\t\tif (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev) {\n"
        "\t\t\t\tuint16_t device_id = dev->gpu->adev->pdev->device;\n"
        "\t\t\t\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM)\n"
        "\t\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
        "\t\t\t}\n";

/* What a half-done removal leaves: the statement, without any guard. */
static const char SEED_FLAGS_ONLY[] = "\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n";

/* ---------------------------------------------------------------------- */
/* Helpers */

static char *xstrdup(const char *s)
{
        char *c = strdup(s);
        assert_non_null(c);
        return c;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0, n;

        if (!f)
                return -errno;
        do {
                if (cap - len < 65536) {
                        char *b = realloc(buf, cap + 65536 + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        cap += 65536;
                }
                n = fread(buf + len, 1, cap - len, f);
                len += n;
        } while (n > 0);
        if (ferror(f))
                return -EIO;
        if (!buf && !(buf = calloc(1, 1)))
                return -ENOMEM;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Copy of s with every `from` replaced by `to`. */
static char *replace_all(const char *s, const char *from, const char *to)
{
        size_t lf = strlen(from), lt = strlen(to), n = 0;
        char *out, *o;

        for (const char *p = strstr(s, from); p; p = strstr(p + lf, from))
                n++;
        out = malloc(strlen(s) + n * lt + 1);
        assert_non_null(out);
        o = out;
        for (const char *p = s, *q; ; p = q + lf) {
                q = strstr(p, from);
                if (!q) {
                        strcpy(o, p);
                        break;
                }
                memcpy(o, p, (size_t) (q - p));
                o += q - p;
                memcpy(o, to, lt);
                o += lt;
        }
        return out;
}

static void assert_once(const char *s, const char *what)
{
        const char *p = strstr(s, what);

        assert_non_null(p);
        assert_null(strstr(p + 1, what));
}

/* Copy of s with text inserted right after the only occurrence of anchor. */
static char *insert_after(const char *s, const char *anchor, const char *text)
{
        _cleanup_free_ char *with = NULL;

        assert_once(s, anchor);
        with = strdup_printf("%s%s", anchor, text);
        assert_non_null(with);
        return replace_all(s, anchor, with);
}

static char *replace_once(const char *s, const char *from, const char *to)
{
        assert_once(s, from);
        return replace_all(s, from, to);
}

static unsigned line_of(const char *s, const char *p)
{
        unsigned line = 1;

        for (; s < p; s++)
                if (*s == '\n')
                        line++;
        return line;
}

static char *patched_upstream(const char *seed)
{
        return insert_after(upstream, ANCHOR, seed);
}

static int match_str(const char *s, sig_match *m)
{
        return signature_match_source(db, "/usr/src/amdgpu-6.16.6-2238411.24.04/amd/amdkfd/kfd_crat.c",
                                      s, strlen(s), m);
}

static void assert_match_line(const char *s, unsigned line, bool complete)
{
        sig_match m = {0};

        assert_int_equal(match_str(s, &m), 1);
        assert_non_null(m.sig);
        assert_string_equal(m.sig->id, "kfd-crat-hot-pluggable-0x731f");
        assert_int_equal(m.first_line, line);
        assert_int_equal(m.n_total, 5);
        assert_int_equal(m.complete, complete);
        if (complete)
                assert_int_equal(m.n_found, 5);
}

static void assert_no_match(const char *s, size_t len)
{
        sig_match m = { .n_found = 4242 };

        assert_int_equal(signature_match_source(db, "amd/amdkfd/kfd_crat.c", s, len, &m), 0);
        /* untouched on "no match" */
        assert_int_equal(m.n_found, 4242);
}

static char *shipped_diff(size_t *ret_len)
{
        _cleanup_free_ char *p = strdup_printf("%s/recovery/signatures/kfd-crat-hot-pluggable-0x731f.diff", srcdir);
        char *buf;

        assert_non_null(p);
        assert_int_equal(read_file(p, &buf, ret_len), 0);
        return buf;
}

/* ---------------------------------------------------------------------- */
/* ctokens */

static void test_ctokens_basic(void **state)
{
        static const char src[] =
                "a->b |= 0x731FUL; /* gone\n */ x={\"s\\\"t\" 'c'};// tail\r\n"
                "#define Z \\\n  12u\n"
                "if(p&&q)y<<=2;1.5f 0XABcdLL";
        static const char *const want[] = {
                "a", "->", "b", "|=", "0x731f", ";", "x", "=", "\"s\\\"t\"", "'c'", ";",
                "#", "define", "Z", "12", "if", "(", "p", "&&", "q", ")", "y", "<<=", "2", ";",
                "1.5f", "0xabcd",
        };
        static const unsigned want_line[] = {
                1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
                3, 3, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
                5, 5,
        };
        ctokens *t = NULL;

        assert_int_equal(ctokens_parse(src, strlen(src), &t), 0);
        assert_int_equal(t->n, ELEMENTSOF(want));
        for (size_t i = 0; i < t->n; i++) {
                assert_string_equal(ctokens_text(t, i), want[i]);
                assert_int_equal(t->toks[i].line, want_line[i]);
        }
        assert_int_equal(t->toks[0].kind, CTOKEN_IDENT);
        assert_int_equal(t->toks[4].kind, CTOKEN_NUMBER);
        assert_int_equal(t->toks[8].kind, CTOKEN_STRING);
        assert_int_equal(t->toks[9].kind, CTOKEN_CHAR);
        assert_int_equal(t->toks[1].kind, CTOKEN_PUNCT);
        assert_null(ctokens_text(t, t->n));
        ctokens_free(t);
}

static void test_ctokens_find(void **state)
{
        static const char hay_src[] = "if (x)\n{\n  flags |= A;\n}\nflags |= A;\n";
        ctokens *hay = NULL, *needle = NULL, *guard = NULL;
        size_t pos;

        assert_int_equal(ctokens_parse(hay_src, strlen(hay_src), &hay), 0);
        assert_int_equal(ctokens_parse("flags |= A;", 11, &needle), 0);
        assert_int_equal(ctokens_parse("if (x)", 6, &guard), 0);

        pos = ctokens_find(hay, 0, needle);
        assert_int_equal(pos, 4);
        assert_int_equal(hay->toks[pos].line, 3);
        assert_true(ctokens_preceded_by(hay, pos, guard));
        pos = ctokens_find(hay, pos + 1, needle);
        assert_int_equal(pos, 8);
        assert_int_equal(hay->toks[pos].line, 5);
        assert_false(ctokens_preceded_by(hay, pos, guard));
        assert_int_equal(ctokens_find(hay, pos + 1, needle), (size_t) -1);
        assert_false(ctokens_preceded_by(hay, 0, guard));
        assert_false(ctokens_match_at(hay, hay->n, needle));

        ctokens_free(hay);
        ctokens_free(needle);
        ctokens_free(guard);
}

static void test_ctokens_limits(void **state)
{
        ctokens *t = NULL;
        char one = 'x';

        assert_int_equal(ctokens_parse(&one, (size_t) CTOKENS_MAX_INPUT + 1, &t), -EFBIG);
        assert_null(t);
        {
                /* 5 M one-byte tokens: more than CTOKENS_MAX_TOKENS. */
                const size_t n = 5u * 1024u * 1024u;
                _cleanup_free_ char *many = malloc(n);
                sig_match m = { .n_found = 4242 };

                assert_non_null(many);
                memset(many, ';', n);
                assert_int_equal(ctokens_parse(many, n, &t), -EFBIG);
                assert_null(t);
                assert_int_equal(signature_match_source(db, NULL, many, n, &m), -EFBIG);
                assert_int_equal(m.n_found, 4242);
        }
        assert_int_equal(ctokens_parse(NULL, 0, &t), 0);
        assert_int_equal(t->n, 0);
        t = ctokens_free(t);
        assert_null(ctokens_free(NULL));
}

/* ---------------------------------------------------------------------- */
/* Database */

static void test_db_shipped(void **state)
{
        const signature *s;
        static const char *const names[] = {
                "guard", "pdev_device", "device_check", "pr_debug_format", "hot_pluggable",
        };

        assert_int_equal(db->n, 1);
        s = &db->sigs[0];
        assert_string_equal(s->id, "kfd-crat-hot-pluggable-0x731f");
        assert_string_equal(s->file, "amd/amdkfd/kfd_crat.c");
        assert_string_equal(s->module, "amdgpu");
        assert_string_equal(s->dyndbg_function, "kfd_parse_subtype_mem");
        assert_string_equal(s->ko_marker, "KFD: Enabling fine-grained for RDNA1 0x%x\n");
        assert_non_null(strstr(s->source, "field report"));
        assert_true(endswith(s->diff_path, "/kfd-crat-hot-pluggable-0x731f.diff"));
        assert_int_equal(access(s->diff_path, R_OK), 0);
        assert_int_equal(s->n_markers, ELEMENTSOF(names));
        for (size_t i = 0; i < s->n_markers; i++) {
                assert_string_equal(s->markers[i].name, names[i]);
                assert_non_null(s->markers[i].tokens);
                assert_int_equal(s->markers[i].clean_count, 0);
                assert_int_equal(s->markers[i].strong, i < 4);
        }
        /* the backslash survives iniparser 4.1 and 4.2 alike (the .ini says why it is unquoted) */
        assert_string_equal(s->markers[3].code, "/* pr_debug format */ \"KFD: Enabling fine-grained for RDNA1 0x%x\\n\"");
        assert_string_equal(s->markers[4].code, "flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;");
        assert_non_null(s->markers[4].not_after_tokens);
        assert_null(s->markers[0].not_after);
}

/* Write the shipped .ini with `from` replaced by `to` into a fresh dir and load it. */
static int load_mutated_ini(const char *from, const char *to, bool with_diff)
{
        _cleanup_free_ char *ini_path = strdup_printf("%s/recovery/signatures/kfd-crat-hot-pluggable-0x731f.ini", srcdir);
        _cleanup_free_ char *ini = NULL, *mut = NULL, *dir = fixture_tmpdir(NULL, "signature"), *p = NULL, *d = NULL;
        signature_db *x = NULL;
        size_t len, dlen;
        int r;

        assert_int_equal(read_file(ini_path, &ini, &len), 0);
        if (from)
                assert_non_null(strstr(ini, from));
        mut = from ? replace_all(ini, from, to) : xstrdup(ini);
        p = strdup_printf("%s/kfd-crat-hot-pluggable-0x731f.ini", dir);
        assert_non_null(p);
        fixture_write(p, NULL, mut, strlen(mut), 0644);
        if (with_diff) {
                _cleanup_free_ char *dp = strdup_printf("%s/kfd-crat-hot-pluggable-0x731f.diff", dir);
                d = shipped_diff(&dlen);
                fixture_write(dp, NULL, d, dlen, 0644);
        }

        r = signature_db_load(dir, &x);
        if (r >= 0) {
                assert_int_equal(x->n, 1);
                signature_db_free(x);
        }
        fixture_rmrf(dir);
        return r;
}

static void test_db_broken(void **state)
{
        static const char *const required[] = {
                "id = ", "title = ", "file = ", "module = ", "ko_marker = ", "dyndbg_function = ",
                "source = ", "diff = ",
        };
        _cleanup_free_ char *dir = fixture_tmpdir(NULL, "signature");
        signature_db *x = NULL;

        /* The unmodified copy loads: the failures below are the mutations' doing. */
        assert_int_equal(load_mutated_ini(NULL, NULL, true), 0);

        for (size_t i = 0; i < ELEMENTSOF(required); i++) {
                _cleanup_free_ char *to = strdup_printf("x%s", required[i]);
                assert_int_equal(load_mutated_ini(required[i], to, true), -EBADMSG);
        }
        assert_int_equal(load_mutated_ini(NULL, NULL, false), -EBADMSG);
        assert_int_equal(load_mutated_ini("strong = false", "strong = maybe", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("code = == 0x731F", "kode = == 0x731F", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("code = == 0x731F", "code = /* only a comment */", true),
                         -EBADMSG);
        assert_int_equal(load_mutated_ini("code = == 0x731F\nclean_count = 0",
                                          "code = == 0x731F\nclean_count = -1", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("0x%x\\n\ndyndbg", "0x%x\\q\ndyndbg", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("diff = kfd-crat-hot-pluggable-0x731f.diff",
                                          "diff = ../kfd-crat-hot-pluggable-0x731f.diff", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("[marker:", "[mark:", true), -EBADMSG);
        assert_int_equal(load_mutated_ini("[signature]", "[signature", true), -EBADMSG);

        /* An empty dir is an empty db; a missing dir is an error. */
        assert_int_equal(signature_db_load(dir, &x), 0);
        assert_int_equal(x->n, 0);
        x = signature_db_free(x);
        fixture_rmrf(dir);
        assert_int_equal(signature_db_load(dir, &x), -ENOENT);
        assert_null(x);
        assert_null(signature_db_free(NULL));
}

/* ---------------------------------------------------------------------- */
/* Patch files */

static int match_patch_str(const char *s, sig_match *m)
{
        return signature_match_patch(db, s, strlen(s), m);
}

static void test_patch_shipped(void **state)
{
        _cleanup_free_ char *diff = NULL, *crlf = NULL;
        size_t len;
        sig_match m = {0};

        diff = shipped_diff(&len);
        assert_int_equal(signature_match_patch(db, diff, len, &m), 1);
        assert_true(m.complete);
        assert_true(m.strong);
        assert_int_equal(m.n_found, 5);
        /* Line 7 of the .diff is "+\t\t\tif (dev->gpu && …" (line 6 is the comment). */
        assert_int_equal(m.first_line, 7);
        assert_string_equal(m.first_marker, "guard");

        crlf = replace_all(diff, "\n", "\r\n");
        m = (sig_match) {0};
        assert_int_equal(match_patch_str(crlf, &m), 1);
        assert_true(m.complete);
        assert_int_equal(m.first_line, 7);
}

static void test_patch_reverse_and_other(void **state)
{
        _cleanup_free_ char *diff = NULL, *rev1 = NULL, *rev2 = NULL, *rev3 = NULL, *other_file = NULL;
        size_t len;
        sig_match m = { .n_found = 4242 };

        /* The reverse patch (removing the seed's lines) removes, never adds. */
        diff = shipped_diff(&len);
        rev1 = replace_all(diff, "\n+", "\n@PLUS@");
        rev2 = replace_all(rev1, "\n-", "\n+");
        rev3 = replace_all(rev2, "\n@PLUS@", "\n-");
        assert_non_null(strstr(rev3, "\n-\t\t\tif (dev->gpu"));
        assert_int_equal(match_patch_str(rev3, &m), 0);

        /* The same lines added to another file are not this signature. */
        other_file = replace_all(diff, "kfd_crat.c", "kfd_topology.c");
        assert_int_equal(match_patch_str(other_file, &m), 0);
        assert_int_equal(m.n_found, 4242);

        /* A patch that only touches other code. */
        assert_int_equal(match_patch_str(
                "--- a/amd/amdkfd/kfd_crat.c\n"
                "+++ b/amd/amdkfd/kfd_crat.c\n"
                "@@ -10,3 +10,3 @@\n"
                " static int foo(void)\n"
                "-\treturn 1;\n"
                "+\treturn 2;\n"
                " }\n", &m), 0);

        /* Code next to the patch's lines (context) is not what the patch adds. */
        assert_int_equal(match_patch_str(
                "--- a/amd/amdkfd/kfd_crat.c\n"
                "+++ b/amd/amdkfd/kfd_crat.c\n"
                "@@ -1120,2 +1120,3 @@\n"
                " \t\t\t\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM) {\n"
                "+\t\t\t\t\tcount++;\n"
                " \t\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n", &m), 0);

        /* Re-indenting the upstream guarded statement is not the patch. */
        assert_int_equal(match_patch_str(
                "--- a/amd/amdkfd/kfd_crat.c\n"
                "+++ b/amd/amdkfd/kfd_crat.c\n"
                "@@ -1029,2 +1029,2 @@\n"
                " \t\t\tif (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)\n"
                "-\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
                "+        flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n", &m), 0);

        /* Adding the guarded statement (restoring upstream) is not the patch either. */
        assert_int_equal(match_patch_str(
                "--- a/amd/amdkfd/kfd_crat.c\n"
                "+++ b/amd/amdkfd/kfd_crat.c\n"
                "@@ -1029,0 +1029,2 @@\n"
                "+\t\t\tif (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)\n"
                "+\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n", &m), 0);
        assert_int_equal(m.n_found, 4242);
}

static void test_patch_flags_only(void **state)
{
        sig_match m = {0};

        assert_int_equal(match_patch_str(
                "diff -u a/amd/amdkfd/kfd_crat.c b/amd/amdkfd/kfd_crat.c\n"
                "--- a/amd/amdkfd/kfd_crat.c\t2025-11-08 10:00:00.000000000 +0100\n"
                "+++ b/amd/amdkfd/kfd_crat.c\t2025-11-08 10:05:00.000000000 +0100\n"
                "@@ -1031,2 +1031,3 @@\n"
                " \t\t\tif (mem->flags & CRAT_MEM_FLAGS_NON_VOLATILE)\n"
                " \t\t\t\tflags |= HSA_MEM_FLAGS_NON_VOLATILE;\n"
                "+\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n", &m), 1);
        assert_int_equal(m.n_found, 1);
        assert_false(m.strong);
        assert_false(m.complete);
        assert_int_equal(m.first_line, 7);
        assert_string_equal(m.first_marker, "hot_pluggable");

        /* A copy already in the context is not the patch's: the line is the added one's. */
        m = (sig_match) {0};
        assert_int_equal(match_patch_str(
                "--- a/amd/amdkfd/kfd_crat.c\n"
                "+++ b/amd/amdkfd/kfd_crat.c\n"
                "@@ -1031,2 +1031,3 @@\n"
                " \t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n"
                " \t\t\tx = 1;\n"
                "+\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n", &m), 1);
        assert_int_equal(m.first_line, 6);

        /* Hunks without file headers still count (path unknown). */
        m = (sig_match) {0};
        assert_int_equal(match_patch_str(
                "@@ -1,1 +1,2 @@\n"
                " x;\n"
                "+if (device_id == 0x731fU) y;\n", &m), 1);
        assert_true(m.strong);
        assert_int_equal(m.first_line, 3);
}

/* ---------------------------------------------------------------------- */
/* Junk */

static void assert_junk_ok(const char *buf, size_t len)
{
        sig_match m = { .n_found = 4242 };

        assert_int_equal(signature_match_source(db, NULL, buf, len, &m), 0);
        assert_int_equal(signature_match_patch(db, buf, len, &m), 0);
        assert_int_equal(m.n_found, 4242);
}

static void test_junk(void **state)
{
        static const char nul[] = "int x;\0\0\0/*\0*/ flags \0|= HSA_MEM_FLAGS_HOT_PLUGGABLE\0;\n";
        const size_t big = 1024 * 1024;
        _cleanup_free_ char *rnd = malloc(big), *line = malloc(big + 1);
        unsigned seed = 12345;

        assert_non_null(rnd);
        assert_non_null(line);

#define JUNK(s) assert_junk_ok(s, sizeof(s) - 1)
        JUNK(nul);
        JUNK("");
        JUNK("/* never closed\n flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n");
        JUNK("\"never closed \\");
        JUNK("'");
        JUNK("\\");
        JUNK("0x");
        JUNK("@@ -1,1000000 +1,1000000 @@\n+");
        JUNK("@@ -1 +1 @@\n");
#undef JUNK

        /* A broken hunk header starts no hunk (as C, that text would match). */
        {
                static const char s1[] = "@@ -a,b +c,d @@\n+flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n";
                sig_match m = {0};

                assert_int_equal(signature_match_patch(db, s1, sizeof(s1) - 1, &m), 0);
                assert_int_equal(signature_match_source(db, NULL, s1, sizeof(s1) - 1, &m), 1);
        }

        /* An unterminated literal ends at its line: the next line is read again. */
        {
                static const char s2[] = "\"never closed\nflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;";
                sig_match m = {0};

                assert_int_equal(signature_match_source(db, NULL, s2, sizeof(s2) - 1, &m), 1);
                assert_int_equal(m.first_line, 2);
        }

        for (size_t i = 0; i < big; i++) {
                seed = seed * 1103515245u + 12345u;
                rnd[i] = (char) (seed >> 16);
        }
        assert_junk_ok(rnd, big);

        /* One 1 MB line: an identifier, then a run of operators. */
        memset(line, 'a', big / 2);
        memset(line + big / 2, '|', big / 2);
        line[big] = '\0';
        assert_junk_ok(line, big);
        memset(line, '/', big);
        assert_junk_ok(line, big);
        memset(line, '\\', big);
        assert_junk_ok(line, big);
}

/* ---------------------------------------------------------------------- */
/* Upstream: the real kfd_crat.c, clean and patched */

/* The older driver's guarded member form, standing alone, is no patch either. */
static void test_older_member_form(void **state)
{
        static const char older[] =
                "static int kfd_parse_subtype_mem(struct crat_subtype_memory *mem)\n{\n"
                "\tif (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)\n"
                "\t\tprops->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n}\n";
        static const char unguarded[] =
                "static int kfd_parse_subtype_mem(struct crat_subtype_memory *mem)\n{\n"
                "\tprops->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n}\n";
        sig_match m = {0};

        assert_no_match(older, sizeof(older) - 1);
        assert_int_equal(signature_match_source(db, NULL, unguarded, sizeof(unguarded) - 1, &m), 1);
        assert_int_equal(m.first_line, 3);
}

static void test_upstream_clean(void **state)
{
        sig_match m = {0};

        assert_no_match(upstream, upstream_len);
        /* The upstream statement is there once, under its CRAT flag. */
        assert_once(upstream, "flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;");
        assert_int_equal(signature_match_source(db, NULL, upstream, upstream_len, &m), 0);
}

static void test_upstream_patched(void **state)
{
        _cleanup_free_ char *p = patched_upstream(SEED_TABS);
        sig_match m = {0};

        assert_match_line(p, anchor_line + 2, true);
        assert_int_equal(match_str(p, &m), 1);
        assert_true(m.strong);
        assert_string_equal(m.first_marker, "guard");

        /* The file filter: a suffix at a component boundary, or no path at all. */
        assert_int_equal(signature_match_source(db, NULL, p, strlen(p), &m), 1);
        assert_int_equal(signature_match_source(db, "amd/amdkfd/kfd_crat.c", p, strlen(p), &m), 1);
        assert_int_equal(signature_match_source(db, "/usr/src/a/amd/amdkfd/kfd_topology.c", p, strlen(p), &m), 0);
        assert_int_equal(signature_match_source(db, "/usr/src/a/xamd/amdkfd/kfd_crat.c", p, strlen(p), &m), 0);
}

static void test_upstream_layouts(void **state)
{
        _cleanup_free_ char *spaces = patched_upstream(SEED_SPACES);
        _cleanup_free_ char *no_comment = patched_upstream(SEED_NO_COMMENT);
        _cleanup_free_ char *allman = patched_upstream(SEED_ALLMAN);
        _cleanup_free_ char *single = patched_upstream(SEED_SINGLE_STMT);
        _cleanup_free_ char *tabs = patched_upstream(SEED_TABS);
        _cleanup_free_ char *t2s = replace_all(tabs, "\t", "        ");
        _cleanup_free_ char *s2t = replace_all(spaces, "        ", "\t");
        _cleanup_free_ char *nobrace1 = replace_all(tabs, "{", "");
        _cleanup_free_ char *nobrace = replace_all(nobrace1, "}", "");
        _cleanup_free_ char *crlf = replace_all(tabs, "\n", "\r\n");

        assert_match_line(spaces, anchor_line + 2, true);
        assert_match_line(no_comment, anchor_line + 1, true);
        assert_match_line(allman, anchor_line + 2, true);
        assert_match_line(t2s, anchor_line + 2, true);
        assert_match_line(s2t, anchor_line + 2, true);
        assert_match_line(nobrace, anchor_line + 2, true);
        assert_match_line(crlf, anchor_line + 2, true);
        /* No pr_debug left: everything else still is. */
        assert_match_line(single, anchor_line + 2, false);
        {
                sig_match m = {0};
                assert_int_equal(match_str(single, &m), 1);
                assert_int_equal(m.n_found, 4);
        }
}

static void test_upstream_shifted(void **state)
{
        _cleanup_free_ char *tabs = patched_upstream(SEED_TABS), *block = NULL, *shifted = NULL;
        _cleanup_free_ char *first_line = NULL;
        const char *nl = strchr(upstream, '\n');
        size_t cap = 300 * 64, used = 0;

        /* 300 lines of blanks and comments (both kinds, some multi-line) after line 1. */
        block = calloc(1, cap);
        assert_non_null(block);
        for (unsigned i = 0; i < 300; i++) {
                const char *l;
                if (i % 3 == 0)
                        l = "\n";
                else if (i % 3 == 1)
                        l = "// flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n";
                else if (i % 30 == 2)
                        l = "/* a comment that spans\n";
                else if (i % 30 == 5)
                        l = "   two lines */\n";
                else
                        l = "/* device_id == 0x731F */\n";
                used += (size_t) snprintf(block + used, cap - used, "%s", l);
        }
        assert_non_null(nl);
        first_line = strndup(tabs, (size_t) (nl - upstream) + 1);
        shifted = strdup_printf("%s%s%s", first_line, block, tabs + (nl - upstream) + 1);
        assert_non_null(shifted);
        assert_int_equal(line_of(shifted, shifted + strlen(shifted)),
                         line_of(tabs, tabs + strlen(tabs)) + 300);
        assert_match_line(shifted, anchor_line + 2 + 300, true);
}

static void test_upstream_half_removed(void **state)
{
        _cleanup_free_ char *p = patched_upstream(SEED_FLAGS_ONLY);
        _cleanup_free_ char *crlf = replace_all(p, "\n", "\r\n");
        sig_match m = {0};

        assert_int_equal(match_str(p, &m), 1);
        assert_int_equal(m.n_found, 1);
        assert_false(m.strong);
        assert_false(m.complete);
        assert_int_equal(m.first_line, anchor_line + 1);
        assert_string_equal(m.first_marker, "hot_pluggable");
        m = (sig_match) {0};
        assert_int_equal(match_str(crlf, &m), 1);
        assert_int_equal(m.first_line, anchor_line + 1);
}

static void test_upstream_numbers(void **state)
{
        _cleanup_free_ char *lower = patched_upstream(SEED_TABS), *suffix = NULL;
        char *x = strstr(lower, "== 0x731F");

        assert_non_null(x);
        x[8] = 'f';
        assert_match_line(lower, anchor_line + 2, true);

        suffix = replace_once(lower, "== 0x731f", "== 0X731FU");
        assert_match_line(suffix, anchor_line + 2, true);
}

static void test_upstream_unrelated(void **state)
{
        _cleanup_free_ char *comment = replace_once(upstream, "The base is set to 0x8000_0000 + 0x1000",
                                                    "The base is set to 0x8000_0000 + 0x2000");
        _cleanup_free_ char *constant = replace_once(upstream, "gpu_processor_id_low = 0x80001000;",
                                                     "gpu_processor_id_low = 0x80002000;");
        _cleanup_free_ char *func = strdup_printf(
                "%s\nstatic int rdna1_unrelated(struct kfd_topology_device *dev)\n{\n"
                "\tuint32_t flags = 0;\n\n\tif (dev->gpu)\n\t\tflags |= HSA_MEM_FLAGS_NON_VOLATILE;\n"
                "\treturn flags;\n}\n", upstream);
        /* Reflowing the upstream guarded statement is still upstream. */
        _cleanup_free_ char *braced = replace_once(upstream,
                "if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)\n\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;",
                "if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE) {\n"
                "\t\t\t\t/* why */ flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n\t\t\t}");
        _cleanup_free_ char *crlf = replace_all(upstream, "\n", "\r\n");
        _cleanup_free_ char *t2s = replace_all(upstream, "\t", "        ");

        assert_non_null(func);
        assert_no_match(comment, strlen(comment));
        assert_no_match(constant, strlen(constant));
        assert_no_match(func, strlen(func));
        assert_no_match(braced, strlen(braced));
        assert_no_match(crlf, strlen(crlf));
        assert_no_match(t2s, strlen(t2s));
}

/*
 * Older kfd_crat.c (and kfd_topology.c before the CRAT parser moved) wrote
 * the memory flags straight into the properties, `props->flags |= ...;`,
 * under the same CRAT guard (docs/DOMAIN.md §5). Those spellings are made
 * here from the real file at test time (no kernel text is stored in the
 * repository): the guarded member form is clean, an unguarded one is not.
 */
static void test_upstream_older_spellings(void **state)
{
        _cleanup_free_ char *hp = replace_once(upstream, "\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;",
                                               "\t\t\t\tprops->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;");
        _cleanup_free_ char *props = replace_once(hp, "\t\t\t\tflags |= HSA_MEM_FLAGS_NON_VOLATILE;",
                                                  "\t\t\t\tprops->flags |= HSA_MEM_FLAGS_NON_VOLATILE;");
        _cleanup_free_ char *chain = replace_once(upstream, "\t\t\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;",
                                                  "\t\t\t\tdev->mem.props->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;");
        _cleanup_free_ char *braced = replace_once(props, "if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)\n",
                                                   "if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE) {\n");
        _cleanup_free_ char *braced2 = replace_once(braced, "props->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n",
                                                    "props->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n\t\t\t}\n");
        _cleanup_free_ char *unguarded = NULL;
        sig_match m = {0};

        assert_no_match(props, strlen(props));
        assert_no_match(chain, strlen(chain));
        assert_no_match(braced2, strlen(braced2));

        /* The seed's statement in the older spelling, without the guard, is still the patch. */
        unguarded = insert_after(props, "\t\t\t\tprops->flags |= HSA_MEM_FLAGS_NON_VOLATILE;\n",
                                 "\t\t\tprops->flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;\n");
        assert_int_equal(match_str(unguarded, &m), 1);
        assert_int_equal(m.n_found, 1);
        assert_string_equal(m.first_marker, "hot_pluggable");
        assert_false(m.strong);
}

/* Run argv, stdout and stderr to /dev/null; returns the exit status or -1. */
static int run_quiet(char *const argv[])
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static bool have_program(const char *name)
{
        char *argv[] = { (char *) "sh", (char *) "-c", NULL, NULL };
        _cleanup_free_ char *cmd = strdup_printf("command -v %s", name);

        argv[2] = cmd;
        return run_quiet(argv) == 0;
}

/* The shipped .diff applies with real patch(1), gives the seed's file, and reverses cleanly. */
static void test_upstream_real_patch(void **state)
{
        _cleanup_free_ char *dir = NULL, *sub = NULL, *file = NULL, *diff_path = NULL;
        _cleanup_free_ char *want = patched_upstream(SEED_TABS), *got = NULL, *back = NULL;
        size_t len;
        sig_match m = {0};

        if (!have_program("patch")) {
                if (streq_ptr(getenv("CI"), "true"))
                        fail_msg("patch(1) is not installed");
                skip();
        }

        dir = fixture_tmpdir(NULL, "signature");
        sub = strdup_printf("%s/amd/amdkfd", dir);
        file = strdup_printf("%s/kfd_crat.c", sub);
        diff_path = strdup_printf("%s/recovery/signatures/kfd-crat-hot-pluggable-0x731f.diff", srcdir);
        assert_non_null(file);
        assert_non_null(diff_path);
        {
                _cleanup_free_ char *amd = strdup_printf("%s/amd", dir);
                assert_int_equal(mkdir(amd, 0700), 0);
                assert_int_equal(mkdir(sub, 0700), 0);
        }
        fixture_write(file, NULL, upstream, upstream_len, 0644);

        {
                char *argv[] = { (char *) "patch", (char *) "-p1", (char *) "-s", (char *) "-F0",
                                 (char *) "--no-backup-if-mismatch", (char *) "-d", dir,
                                 (char *) "-i", diff_path, NULL };
                assert_int_equal(run_quiet(argv), 0);
        }
        assert_int_equal(read_file(file, &got, &len), 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
        assert_int_equal(match_str(got, &m), 1);
        assert_true(m.complete);

        {
                char *argv[] = { (char *) "patch", (char *) "-R", (char *) "-p1", (char *) "-s",
                                 (char *) "-F0", (char *) "--no-backup-if-mismatch", (char *) "-d", dir,
                                 (char *) "-i", diff_path, NULL };
                assert_int_equal(run_quiet(argv), 0);
        }
        assert_int_equal(read_file(file, &back, &len), 0);
        assert_int_equal(len, upstream_len);
        assert_memory_equal(back, upstream, len);

        fixture_rmrf(dir);
}

/* ---------------------------------------------------------------------- */
/* Setup */

static int setup_db(void **state)
{
        _cleanup_free_ char *dir = strdup_printf("%s/recovery/signatures", srcdir);

        if (!dir || signature_db_load(dir, &db) < 0) {
                fprintf(stderr, "cannot load %s\n", dir ? dir : "(null)");
                return -1;
        }
        return 0;
}

static int teardown_db(void **state)
{
        db = signature_db_free(db);
        return 0;
}

/* Path printed by tests/upstream-source.sh, when that helper exists and works. */
static char *upstream_from_helper(void)
{
        _cleanup_free_ char *script = strdup_printf("%s/tests/upstream-source.sh", srcdir);
        _cleanup_free_ char *cmd = NULL;
        char buf[4096];
        FILE *f;

        if (!script || access(script, X_OK) < 0)
                return NULL;
        cmd = strdup_printf("'%s' 2>/dev/null", script);
        if (!cmd || !(f = popen(cmd, "re")))
                return NULL;
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
        if (pclose(f) != 0)
                return NULL;
        strstrip(buf);
        return buf[0] == '/' && access(buf, R_OK) == 0 ? strdup(buf) : NULL;
}

/* The cached upstream file; extracted from the linux-source tarball once. Returns NULL with *why. */
static char *find_upstream(const char **why)
{
        _cleanup_free_ char *cache = strdup_printf("%s/tests/.cache/upstream", srcdir);
        _cleanup_free_ char *path = NULL, *tmp = NULL, *cmd = NULL;
        char *p = upstream_from_helper();

        if (p)
                return p;
        if (!cache)
                return NULL;
        path = strdup_printf("%s/kfd_crat.c", cache);
        if (path && access(path, R_OK) == 0)
                return TAKE_PTR(path);
        if (access(UPSTREAM_TARBALL, R_OK) < 0) {
                *why = "no " UPSTREAM_TARBALL " (apt install linux-source-6.1)";
                return NULL;
        }
        /* Extract to a temporary name and rename: parallel runs never see half a file. */
        tmp = strdup_printf("%s.tmp.%d", path, (int) getpid());
        cmd = strdup_printf("mkdir -p '%s' && tar -xJf " UPSTREAM_TARBALL
                            " -O --occurrence=1 --wildcards '*/amdkfd/kfd_crat.c' > '%s' && test -s '%s' && mv -f '%s' '%s'",
                            cache, tmp, tmp, tmp, path);
        if (!tmp || !cmd)
                return NULL;
        if (system(cmd) != 0) {
                unlink(tmp);
                *why = "extracting kfd_crat.c from " UPSTREAM_TARBALL " failed";
                return NULL;
        }
        return TAKE_PTR(path);
}

static int setup_upstream(void **state)
{
        const char *a;

        if (setup_db(state) < 0)
                return -1;
        a = strstr(upstream, ANCHOR);
        if (!a) {
                fprintf(stderr, "upstream kfd_crat.c lacks the anchor statement\n");
                return -1;
        }
        anchor_line = line_of(upstream, a);
        return 0;
}

int main(void)
{
        const struct CMUnitTest self_tests[] = {
                cmocka_unit_test(test_ctokens_basic),
                cmocka_unit_test(test_ctokens_find),
                cmocka_unit_test(test_ctokens_limits),
                cmocka_unit_test(test_db_shipped),
                cmocka_unit_test(test_db_broken),
                cmocka_unit_test(test_patch_shipped),
                cmocka_unit_test(test_patch_reverse_and_other),
                cmocka_unit_test(test_patch_flags_only),
                cmocka_unit_test(test_junk),
                cmocka_unit_test(test_older_member_form),
        };
        const struct CMUnitTest upstream_tests[] = {
                cmocka_unit_test(test_upstream_clean),
                cmocka_unit_test(test_upstream_patched),
                cmocka_unit_test(test_upstream_layouts),
                cmocka_unit_test(test_upstream_shifted),
                cmocka_unit_test(test_upstream_half_removed),
                cmocka_unit_test(test_upstream_numbers),
                cmocka_unit_test(test_upstream_unrelated),
                cmocka_unit_test(test_upstream_older_spellings),
                cmocka_unit_test(test_upstream_real_patch),
        };
        _cleanup_free_ char *path = NULL;
        const char *why = "cannot locate the upstream kfd_crat.c";
        int r;

        srcdir = getenv("RDNA1_TEST_SRCDIR");
        if (!srcdir) {
                fprintf(stderr, "RDNA1_TEST_SRCDIR is not set\n");
                return 1;
        }

        r = cmocka_run_group_tests_name("signature-self", self_tests, setup_db, teardown_db);

        path = find_upstream(&why);
        if (!path || read_file(path, &upstream, &upstream_len) < 0) {
                fprintf(stderr, "SKIP upstream tests: %s\n", why);
                if (r != 0 || streq_ptr(getenv("CI"), "true"))
                        return 1;
                return 77;
        }
        r |= cmocka_run_group_tests_name("signature-upstream", upstream_tests, setup_upstream, teardown_db);
        free(upstream);
        return r != 0;
}
