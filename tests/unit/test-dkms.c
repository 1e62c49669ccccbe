/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "base/report.h"
#include "base/util.h"
#include "probe/dkms.h"
#include "root/sysroot.h"

#include "fixture.h"

/* ------------------------------------------------------------------ */
/* dkms_conf_parse                                                      */
/* ------------------------------------------------------------------ */

typedef struct parsed {
        dkms_conf_assign *a;
        size_t n;
} parsed;

static parsed parse_n(const char *buf, size_t len)
{
        parsed p = {0};

        assert_int_equal(dkms_conf_parse(buf, len, &p.a, &p.n), 0);
        return p;
}

static parsed parse(const char *buf)
{
        return parse_n(buf, strlen(buf));
}

static void parsed_free(parsed *p)
{
        dkms_conf_assign_free_array(p->a, p->n);
        *p = (parsed){0};
}

/* The assignment of NAME[index] (last one wins, as in bash), or NULL. */
static const dkms_conf_assign *get(const parsed *p, const char *name, int index)
{
        const dkms_conf_assign *found = NULL;

        for (size_t i = 0; i < p->n; i++)
                if (streq(p->a[i].name, name) && p->a[i].index == index)
                        found = &p->a[i];
        return found;
}

static void assert_assign(const parsed *p, const char *name, int index, const char *value, unsigned line)
{
        const dkms_conf_assign *a = get(p, name, index);

        if (!a)
                fail_msg("%s[%d] not found", name, index);
        assert_string_equal(a->value, value);
        if (line)
                assert_int_equal(a->line, line);
}

static void test_conf_amdgpu_shape(void **state)
{
        /* The shape of ROCm/amdgpu drivers/gpu/drm/amd/dkms/dkms.conf (written here, not copied). */
        static const char conf[] =
                "PACKAGE_NAME=\"amdgpu\"\n"                         /* 1 */
                "PACKAGE_VERSION=\"6.16.6-2238411.24.04\"\n"        /* 2 */
                "AUTOINSTALL=\"yes\"\n"                             /* 3 */
                "# not all OS supports weak module updates\n"      /* 4 */
                "NO_WEAK_MODULES=\"yes\"\n"                         /* 5 */
                "\n"                                               /* 6 */
                "BUILT_MODULE_NAME[0]=\"amdgpu\"\n"                 /* 7 */
                "BUILT_MODULE_LOCATION[0]=\"amd/amdgpu\"\n"         /* 8 */
                "DEST_MODULE_LOCATION[0]=\"/kernel/drivers/gpu/drm/amd/amdgpu\"\n" /* 9 */
                "BUILT_MODULE_NAME[1]=\"amdttm\"\n"                 /* 10 */
                "BUILT_MODULE_NAME[8]=\"amddrm_suballoc_helper\"\n" /* 11 */
                "PATCH[0]=\"rdna1-memory-fix.patch\"\n"             /* 12 */
                "MAKE[0]=\"'make' KERNELVER=$kernelver\"\n"         /* 13 */
                "PRE_BUILD=\"pre-build.sh $kernelver\"\n";          /* 14 */
        parsed p = parse(conf);

        assert_int_equal(p.n, 12);
        assert_assign(&p, "PACKAGE_NAME", -1, "amdgpu", 1);
        assert_assign(&p, "PACKAGE_VERSION", -1, "6.16.6-2238411.24.04", 2);
        assert_assign(&p, "NO_WEAK_MODULES", -1, "yes", 5);
        assert_assign(&p, "BUILT_MODULE_NAME", 0, "amdgpu", 7);
        assert_assign(&p, "BUILT_MODULE_LOCATION", 0, "amd/amdgpu", 8);
        assert_assign(&p, "BUILT_MODULE_NAME", 8, "amddrm_suballoc_helper", 11);
        assert_assign(&p, "PATCH", 0, "rdna1-memory-fix.patch", 12);
        /* "$" is never expanded; single quotes inside double quotes stay. */
        assert_assign(&p, "MAKE", 0, "'make' KERNELVER=$kernelver", 13);
        assert_assign(&p, "PRE_BUILD", -1, "pre-build.sh $kernelver", 14);
        parsed_free(&p);
        (void)state;
}

static void test_conf_quotes(void **state)
{
        static const char conf[] =
                "A='single $x \"y\" \\n'\n"
                "B=\"dq \\\"esc\\\" \\$HOME \\\\ \\n back\"\n"
                "C=unq\\ uoted\n"
                "D=mixed'a b'\"c d\"e\n"
                "E=\n"
                "F=\"\"\n"
                "G=$(echo a b)\n"
                "H=${kernelver}x\n"
                "I=`uname -r`\n"
                "J=\"multi\nline\"\n"
                "K=after\n"
                "L=a=b\n";
        parsed p = parse(conf);

        assert_assign(&p, "A", -1, "single $x \"y\" \\n", 1);
        /* In double quotes only \" \\ \$ \` lose their backslash. */
        assert_assign(&p, "B", -1, "dq \"esc\" $HOME \\ \\n back", 2);
        assert_assign(&p, "C", -1, "unq uoted", 3);
        assert_assign(&p, "D", -1, "mixeda bc de", 4);
        assert_assign(&p, "E", -1, "", 5);
        assert_assign(&p, "F", -1, "", 6);
        assert_assign(&p, "G", -1, "$(echo a b)", 7);
        assert_assign(&p, "H", -1, "${kernelver}x", 8);
        assert_assign(&p, "I", -1, "`uname -r`", 9);
        assert_assign(&p, "J", -1, "multi\nline", 10);
        assert_assign(&p, "K", -1, "after", 12);
        assert_assign(&p, "L", -1, "a=b", 13);
        assert_int_equal(p.n, 12);
        parsed_free(&p);
        (void)state;
}

static void test_conf_comments_and_indices(void **state)
{
        static const char conf[] =
                "# PATCH[0]=\"commented.patch\"\n"    /* 1 */
                "   # indented comment\n"            /* 2 */
                "PATCH[0]=foo.patch # trailing\n"    /* 3 */
                "\tPATCH[12]=\"twelve.patch\"\n"     /* 4 */
                "X=#not-a-comment\n"                 /* 5 */
                "PATCH[]=empty-index\n"              /* 6 */
                "PATCH[-1]=negative\n"               /* 7 */
                "PATCH[99999999]=huge\n"             /* 8 */
                "PATCH[1x]=bad\n"                    /* 9 */
                "NAME =spaced\n"                     /* 10 */
                "1A=digit\n"                         /* 11 */
                "export EXPORTED=5\n"                /* 12 */
                "A=1; B=2\n"                         /* 13 */
                "C=3 D=4\n"                          /* 14 */
                "E=5 make all\n"                     /* 15: env of a command */
                "F=6 && G=7\n"                       /* 16 */
                "H=8; echo I=9\n";                   /* 17 */
        parsed p = parse(conf);

        assert_null(get(&p, "PATCH", -1));
        assert_assign(&p, "PATCH", 0, "foo.patch", 3);
        assert_assign(&p, "PATCH", 12, "twelve.patch", 4);
        assert_assign(&p, "X", -1, "#not-a-comment", 5);
        assert_assign(&p, "EXPORTED", -1, "5", 12);
        assert_assign(&p, "A", -1, "1", 13);
        assert_assign(&p, "B", -1, "2", 13);
        assert_assign(&p, "C", -1, "3", 14);
        assert_assign(&p, "D", -1, "4", 14);
        assert_null(get(&p, "E", -1));
        assert_assign(&p, "F", -1, "6", 16);
        assert_assign(&p, "G", -1, "7", 16);
        assert_assign(&p, "H", -1, "8", 17);
        assert_null(get(&p, "I", -1));
        assert_null(get(&p, "NAME", -1));
        assert_int_equal(p.n, 11);
        for (size_t i = 0; i < p.n; i++)
                assert_string_not_equal(p.a[i].value, "commented.patch");
        parsed_free(&p);
        (void)state;
}

static void test_conf_continuation(void **state)
{
        static const char conf[] =
                "MAKE[0]=\"make \\\n  -C foo\"\n"   /* 1-2 */
                "A=abc\\\ndef\n"                    /* 3-4 */
                "\\\nB=after-bs\n"                   /* 5-6: empty continued line */
                "C='no \\\ncontinuation'\n"         /* 7-8: literal in single quotes */
                "PATCH[0]=\\\n\"cont.patch\"\n"      /* 9-10 */
                "D=last\n";                          /* 11 */
        parsed p = parse(conf);

        assert_assign(&p, "MAKE", 0, "make   -C foo", 1);
        assert_assign(&p, "A", -1, "abcdef", 3);
        assert_assign(&p, "B", -1, "after-bs", 6);
        assert_assign(&p, "C", -1, "no \\\ncontinuation", 7);
        assert_assign(&p, "PATCH", 0, "cont.patch", 9);
        assert_assign(&p, "D", -1, "last", 11);
        assert_int_equal(p.n, 6);
        parsed_free(&p);
        (void)state;
}

static void test_conf_junk(void **state)
{
        static const char conf[] =
                "if [ \"$kernelver\" = 5.4 ]; then\n"       /* 1 */
                "  PATCH[0]=\"in-if.patch\"\n"               /* 2: static: taken */
                "fi\n"                                       /* 3 */
                "echo \"quoted\nPATCH[1]=inside-string\n\"\n" /* 4-6: inside a string */
                "echo \"unterminated\n"                      /* 7 */
                "PATCH[2]=after-unterminated\n"              /* 8 */
                "B='unterminated value\n"                    /* 9 */
                "C=ok\n"                                     /* 10 */
                "@@@ ### ===\n"                              /* 11 */
                "=novalue\n"                                 /* 12 */
                "case $x in a) Y=1;; esac\n"                 /* 13 */
                "D=tail";                                    /* 14, no newline */
        parsed p = parse(conf);

        assert_assign(&p, "PATCH", 0, "in-if.patch", 2);
        assert_null(get(&p, "PATCH", 1));
        assert_assign(&p, "PATCH", 2, "after-unterminated", 8);
        assert_null(get(&p, "B", -1));
        assert_assign(&p, "C", -1, "ok", 10);
        assert_null(get(&p, "Y", -1));
        assert_assign(&p, "D", -1, "tail", 14);
        assert_int_equal(p.n, 4);
        parsed_free(&p);
        (void)state;
}

static void test_conf_nul_crlf_empty(void **state)
{
        static const char nul[] = "A=1\nB=x\0y\nC=\"q\0\"\nD=4\n# \0 comment\nE=5\nF=6; \0\n";
        static const char crlf[] = "PACKAGE_NAME=\"amdgpu\"\r\nPATCH[0]=x.patch\r\n\r\nMAKE[0]=\"a \\\r\nb\"\r\nZ=1 \r\n";
        parsed p = parse_n(nul, sizeof(nul) - 1);

        assert_assign(&p, "A", -1, "1", 1);
        assert_null(get(&p, "B", -1));
        assert_null(get(&p, "C", -1));
        assert_assign(&p, "D", -1, "4", 4);
        assert_assign(&p, "E", -1, "5", 6);
        /* A line holding a NUL is dropped whole, like a binary file in bash. */
        assert_null(get(&p, "F", -1));
        assert_int_equal(p.n, 3);
        parsed_free(&p);

        p = parse(crlf);
        assert_assign(&p, "PACKAGE_NAME", -1, "amdgpu", 1);
        assert_assign(&p, "PATCH", 0, "x.patch", 2);
        assert_assign(&p, "MAKE", 0, "a b", 4);
        assert_assign(&p, "Z", -1, "1", 6);
        assert_int_equal(p.n, 4);
        parsed_free(&p);

        p = parse_n("", 0);
        assert_int_equal(p.n, 0);
        parsed_free(&p);
        p = parse("\n\n   \n# only comments\n");
        assert_int_equal(p.n, 0);
        parsed_free(&p);
        (void)state;
}

static void test_conf_huge(void **state)
{
        const size_t big = 1024 * 1024;
        _cleanup_free_ char *buf = malloc(big * 6 + 64);
        dkms_conf_assign *a = NULL;
        size_t n = 0, l = 0;
        parsed p;
        char *s;
        time_t t0 = time(NULL);

        assert_non_null(buf);
        /* A 1 MB quoted value. */
        l = (size_t)sprintf(buf, "PATCH[0]=\"");
        memset(buf + l, 'a', big);
        l += big;
        l += (size_t)sprintf(buf + l, "\"\nNEXT=1\n");
        p = parse_n(buf, l);
        assert_int_equal(p.n, 2);
        assert_int_equal(strlen(get(&p, "PATCH", 0)->value), big);
        assert_assign(&p, "NEXT", -1, "1", 2);
        parsed_free(&p);

        /* A 1 MB junk line, then an assignment. */
        memset(buf, 'x', big);
        buf[big / 2] = ' ';
        l = big;
        l += (size_t)sprintf(buf + l, "\nAFTER=2\n");
        p = parse_n(buf, l);
        assert_int_equal(p.n, 1);
        assert_assign(&p, "AFTER", -1, "2", 2);
        parsed_free(&p);

        /* A 1 MB line of chained assignments: bounded, and fast. */
        s = buf;
        for (size_t i = 0; i < big / 4; i++) {
                memcpy(s, "A=1;", 4);
                s += 4;
        }
        assert_int_equal(dkms_conf_parse(buf, (size_t)(s - buf), &a, &n), -E2BIG);
        /* Under the cap it works; the 1 MB line of 1-byte NUL checks stays linear. */
        p = parse_n(buf, 4 * 60000);
        assert_int_equal(p.n, 60000);
        assert_int_equal(p.a[59999].line, 1);
        parsed_free(&p);
        assert_true(time(NULL) - t0 < 20);
        (void)state;
}

/* ------------------------------------------------------------------ */
/* dkms_status_parse_line                                               */
/* ------------------------------------------------------------------ */

static void check_status(const char *line, const char *m, const char *v, const char *k, const char *a,
                         const char *st, const char *extra, const char *weak)
{
        dkms_status_entry e = {0};

        if (dkms_status_parse_line(line, &e) != 0)
                fail_msg("not parsed: %s", line);
        assert_string_equal(e.module, m);
        assert_string_equal(e.version, v);
        assert_true(streq_ptr(e.kernel, k));
        assert_true(streq_ptr(e.arch, a));
        assert_string_equal(e.state, st);
        if (!streq_ptr(e.extra, extra))
                fail_msg("extra '%s' != '%s' for %s", e.extra ? e.extra : "(null)", extra ? extra : "(null)", line);
        assert_true(streq_ptr(e.weak_from, weak));
        dkms_status_entry_clear(&e);
        assert_null(e.module);
}

static void test_status_formats(void **state)
{
        check_status("amdgpu, 1.9-211.el7, 3.10.0-862.11.6.el7.x86_64, x86_64: installed (original_module exists)",
                     "amdgpu", "1.9-211.el7", "3.10.0-862.11.6.el7.x86_64", "x86_64", "installed",
                     "original_module exists", NULL);
        check_status("i915-sriov-dkms/2025.03.26, 6.11.11-2-pve, x86_64: installed (WARNING! Diff between built and installed module!)",
                     "i915-sriov-dkms", "2025.03.26", "6.11.11-2-pve", "x86_64", "installed",
                     "WARNING! Diff between built and installed module!", NULL);
        check_status("amdgpu/6.16.6-2255209.24.04, 6.17.0-5-generic, x86_64: installed (Original modules exist)\n",
                     "amdgpu", "6.16.6-2255209.24.04", "6.17.0-5-generic", "x86_64", "installed",
                     "Original modules exist", NULL);
        check_status("amdgpu/6.16.6: added", "amdgpu", "6.16.6", NULL, NULL, "added", NULL, NULL);
        check_status("amdgpu, 1.9: added", "amdgpu", "1.9", NULL, NULL, "added", NULL, NULL);
        check_status("amdgpu/6.16.6: broken\r\n", "amdgpu", "6.16.6", NULL, NULL, "broken", NULL, NULL);
        check_status("nvidia, 535, 6.1.0-13-amd64, x86_64: installed-weak from 6.1.0-12-amd64", "nvidia", "535",
                     "6.1.0-13-amd64", "x86_64", "installed-weak", NULL, "6.1.0-12-amd64");
        check_status("amdgpu/6.16.6, 6.8.0-48-generic, x86_64: installed", "amdgpu", "6.16.6", "6.8.0-48-generic",
                     "x86_64", "installed", NULL, NULL);
        check_status("amdgpu/6.16.6, 6.8.0-48-generic, x86_64: built", "amdgpu", "6.16.6", "6.8.0-48-generic",
                     "x86_64", "built", NULL, NULL);
        check_status("amdgpu, 1.9, 4.15.0-20-generic, x86_64: installed (original_module exists) (WARNING! Missing some built modules!)",
                     "amdgpu", "1.9", "4.15.0-20-generic", "x86_64", "installed",
                     "original_module exists; WARNING! Missing some built modules!", NULL);
        (void)state;
}

static void test_status_malformed(void **state)
{
        static const char *const bad[] = {
                "",
                "\n",
                "amdgpu",
                "amdgpu/6.16.6",
                "amdgpu/6.16.6: weird",
                "amdgpu/6.16.6: installed",                    /* no kernel */
                "amdgpu/6.16.6, 6.8.0, x86_64: added",         /* added names no kernel */
                "amdgpu, 6.16.6, 6.8.0: installed",            /* three fields without '/' */
                "amdgpu/6.16.6, extra, 6.8.0, x86_64: installed",
                "amdgpu/1/2, 6.8.0, x86_64: installed",        /* '/' in the version */
                "amdgpu/, 6.8.0, x86_64: installed",
                "/6.16.6: added",
                "amdgpu/6.16.6, , x86_64: installed",
                "amdgpu/6.16.6, 6.8.0, x86_64: installed (unterminated",
                "amdgpu/6.16.6, 6.8.0, x86_64: installed junk",
                "amdgpu/6.16.6, 6.8.0, x86_64: installed ()",
                "amdgpu, 535, 6.1.0, x86_64: installed-weak",
                "amdgpu, 535, 6.1.0, x86_64: installed-weak from ",
                "amdgpu 6.16.6, 6.8.0, x86_64: installed",
                "Warning: amdgpu/6.16.6, 6.8.0-48-generic, x86_64: installed",
                "Warning: The pre-build script is not executable.",
                "Error! Could not locate dkms.conf file.",
                "Error! Module version C502C9F63988A81945CAABD for amdgpu.ko",
                "Error: bad",
                "amdgpu/6.16.6, 6.8.0\x1b[31m, x86_64: installed",
                "Deprecated feature: REMAKE_INITRD (/usr/src/amdgpu-1.0/dkms.conf)",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                dkms_status_entry e = {.module = (char *)"sentinel"};

                if (dkms_status_parse_line(bad[i], &e) != -EINVAL)
                        fail_msg("accepted: '%s'", bad[i]);
                /* ret untouched on failure */
                assert_string_equal(e.module, "sentinel");
                assert_null(e.version);
        }
        (void)state;
}

/* ------------------------------------------------------------------ */
/* dkms_probe on fixture trees                                          */
/* ------------------------------------------------------------------ */

#define VER "6.16.6-2238411.24.04"
#define K1 "6.8.0-48-generic"
#define K2 "6.8.0-50-generic"
#define K4 "6.8.0-51-generic"

static char *base;
static char *root;

static void pathf(char *out, size_t sz, const char *rel)
{
        snprintf(out, sz, "%s/%s", root, rel);
}

static int fixture_setup(void **state)
{
        base = fixture_tmpdir("/tmp", "dkms");
        /* Traversable, so that the unprivileged child of the EACCES test gets in. */
        assert_int_equal(chmod(base, 0755), 0);
        root = fixture_path(base, "root");
        fixture_mkdirs(root, NULL);
        fixture_put(base, "outside/usr/src/amdgpu-" VER "-out/dkms.conf", "PATCH[0]=\"outside.patch\"\n");
        *state = NULL;
        return 0;
}

static int fixture_teardown(void **state)
{
        fixture_rmrf(base);
        free(base);
        free(root);
        base = root = NULL;
        (void)state;
        return 0;
}

/* Empty the root between scenarios. */
static void root_reset(void)
{
        fixture_rmrf(root);
        fixture_mkdirs(root, NULL);
}

static const dkms_source *find_source(const dkms_facts *f, const char *module, const char *version)
{
        for (size_t i = 0; i < f->n_sources; i++)
                if (streq(f->sources[i].module, module) && streq(f->sources[i].version, version))
                        return &f->sources[i];
        fail_msg("no source %s/%s", module, version);
        return NULL;
}

static const dkms_build *find_build(const dkms_facts *f, const char *version, const char *kernel)
{
        for (size_t i = 0; i < f->n_builds; i++)
                if (streq(f->builds[i].version, version) && streq_ptr(f->builds[i].kernel, kernel))
                        return &f->builds[i];
        return NULL;
}

static const reason *find_reason(const report *r, const char *path)
{
        for (size_t i = 0; i < r->n_reasons; i++)
                if (streq(r->reasons[i].probe, "dkms") && streq_ptr(r->reasons[i].path, path))
                        return &r->reasons[i];
        return NULL;
}

static const dkms_patch_ref *find_patch(const dkms_source *s, const char *name)
{
        for (size_t i = 0; i < s->n_patches; i++)
                if (streq(s->patches[i].name, name))
                        return &s->patches[i];
        return NULL;
}

static void probe(bool fallback, report **ret_r, dkms_facts **ret_f)
{
        sysroot *sr = NULL;

        *ret_r = report_new();
        assert_non_null(*ret_r);
        assert_int_equal(sysroot_open(root, &sr), 0);
        sysroot_set_no_openat2(sr, fallback);
        assert_int_equal(dkms_probe(sr, *ret_r, ret_f), 0);
        assert_non_null(*ret_f);
        sysroot_free(sr);
}

static void build_main_tree(void)
{
        char p[4096];

        /* An installed build, a built-only one, an add-only version. */
        fixture_put(root, "usr/src/amdgpu-" VER "/dkms.conf",
                    "PACKAGE_NAME=\"amdgpu\"\n"
                    "PACKAGE_VERSION=\"" VER "\"\n"
                    "BUILT_MODULE_NAME[1]=\"amdttm\"\n"
                    "BUILT_MODULE_NAME[0]=\"amdgpu\"\n"
                    "PATCH[0]=\"rdna1-memory-fix.patch\"\n");
        fixture_put(root, "usr/src/amdgpu-" VER "/patches/rdna1-memory-fix.patch", "--- a\n+++ b\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/" VER "/source", "/usr/src/amdgpu-" VER);
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/module/amdgpu.ko.zst", "zst");
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/module/amdttm.ko.zst", "zst");
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/module/README", "not a module");
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/log/make.log", "error: old, but this build succeeded\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/kernel-" K1 "-x86_64", VER "/" K1 "/x86_64");
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K2 "/x86_64/module/amdgpu.ko", "ko");
        /* An absolute active link also counts. */
        fixture_put(root, "var/lib/dkms/amdgpu/" VER "/" K4 "/x86_64/module/amdgpu.ko.xz", "xz");
        fixture_symlink(root, "var/lib/dkms/amdgpu/kernel-" K4 "-x86_64", "/var/lib/dkms/amdgpu/" VER "/" K4 "/x86_64/");
        /* A dangling active link for a kernel with no build. */
        fixture_symlink(root, "var/lib/dkms/amdgpu/kernel-6.0.0-1-generic-x86_64", VER "/6.0.0-1-generic/x86_64");
        fixture_put(root, "var/lib/dkms/amdgpu/original_module/" K1 "/x86_64/amdgpu.ko", "orig");

        fixture_put(root, "usr/src/amdgpu-7.0-added/dkms.conf", "PACKAGE_NAME=amdgpu\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/7.0-added/source", "/usr/src/amdgpu-7.0-added");

        /* Broken: the source the link names is gone. */
        fixture_symlink(root, "var/lib/dkms/amdgpu/5.0-gone/source", "/usr/src/amdgpu-5.0-gone");
        fixture_put(root, "var/lib/dkms/amdgpu/5.0-gone/" K1 "/x86_64/module/amdgpu.ko", "ko");
        /* Broken: no link at all. */
        fixture_mkdirs(root, "var/lib/dkms/amdgpu/4.0-nolink");

        /* A failed build: make.log stays in build/, with an escape sequence in the error. */
        fixture_put(root, "usr/src/amdgpu-8.0-failed/dkms.conf", "PACKAGE_NAME=amdgpu\r\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/8.0-failed/source", "/usr/src/amdgpu-8.0-failed");
        fixture_put(root, "var/lib/dkms/amdgpu/8.0-failed/build/make.log",
                    "DKMS make.log for amdgpu-8.0-failed for kernel " K1 " (x86_64)\n"
                    "make -C /lib/modules/" K1 "/build M=/var/lib/dkms/amdgpu/8.0-failed/build\n"
                    "amd/amdkfd/kfd_crat.c:1122:9: \x1b[01;31merror: \x1b[m'HSA_MEM_FLAGS_HOT_PLUGGABLE' undeclared\r\n"
                    "make[2]: *** [scripts/Makefile.build:243: amd/amdkfd/kfd_crat.o] Error 1\n");

        /* The source link is relative and goes through a symlinked /usr/src entry. */
        fixture_symlink(root, "usr/src/amdgpu-9.0-rel", "/opt/amdgpu-9.0-rel");
        fixture_put(root, "opt/amdgpu-9.0-rel/dkms.conf", "PATCH[0]=rel.patch\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/9.0-rel/source", "../../../../../usr/src/amdgpu-9.0-rel");

        /* An absolute link to a directory that exists on the host, outside the root only. */
        snprintf(p, sizeof(p), "%s/outside/usr/src/amdgpu-" VER "-out", base);
        fixture_symlink(root, "var/lib/dkms/amdgpu/1.0-abs-out/source", p);
        /* A ../ chain that climbs out of the root on the host (there: the same directory). */
        fixture_symlink(root, "var/lib/dkms/amdgpu/1.0-dotdot/source", "../../../../../../outside/usr/src/amdgpu-" VER "-out");
        /* A symlink loop. */
        fixture_symlink(root, "usr/src/loop-a", "/usr/src/loop-b");
        fixture_symlink(root, "usr/src/loop-b", "loop-a");
        fixture_symlink(root, "var/lib/dkms/amdgpu/1.0-loop/source", "/usr/src/loop-a");

        /* /etc/dkms: amdgpu*.conf adds PATCH[]; framework.conf and another module's file do not. */
        fixture_put(root, "etc/dkms/amdgpu.conf", "# local patches\nPATCH[1]=\"extra.patch\"\n");
        fixture_put(root, "etc/dkms/framework.conf", "PATCH[0]=framework.patch\n");
        fixture_put(root, "etc/dkms/amdgpu-pro.conf", "PATCH[0]=pro.patch\n");
        fixture_put(root, "usr/src/amdgpu-pro-20.45/dkms.conf", "PACKAGE_NAME=amdgpu-pro\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu-pro/20.45/source", "/usr/src/amdgpu-pro-20.45");

        /* Not ours. */
        fixture_put(root, "var/lib/dkms/mok.key", "key");
        fixture_put(root, "usr/src/nvidia-535/dkms.conf", "PATCH[0]=nv.patch\n");
        fixture_symlink(root, "var/lib/dkms/nvidia/535/source", "/usr/src/nvidia-535");
        fixture_put(root, "var/lib/dkms/amdgpu-file", "a file named like a module");
}

static void check_main_tree(bool fallback)
{
        const dkms_source *s;
        const dkms_build *b;
        const dkms_patch_ref *pr;
        const reason *rs;
        dkms_facts *f = NULL;
        report *r = NULL;
        char p[4096];

        probe(fallback, &r, &f);

        /* Installed, built, added. */
        s = find_source(f, "amdgpu", VER);
        assert_false(s->source_missing);
        assert_string_equal(s->source_dir, "/usr/src/amdgpu-" VER);
        assert_null(s->failed_log);
        assert_int_equal(s->n_built_module_names, 2);
        assert_string_equal(s->built_module_names[0], "amdgpu");
        assert_string_equal(s->built_module_names[1], "amdttm");
        assert_null(s->built_module_names[2]);
        pr = find_patch(s, "rdna1-memory-fix.patch");
        assert_non_null(pr);
        assert_string_equal(pr->conf_path, "/usr/src/amdgpu-" VER "/dkms.conf");
        assert_int_equal(pr->line, 5);
        assert_string_equal(pr->patch_path, "/usr/src/amdgpu-" VER "/patches/rdna1-memory-fix.patch");
        pr = find_patch(s, "extra.patch");
        assert_non_null(pr);
        assert_string_equal(pr->conf_path, "/etc/dkms/amdgpu.conf");
        assert_int_equal(pr->line, 2);
        assert_string_equal(pr->patch_path, "/usr/src/amdgpu-" VER "/patches/extra.patch");
        assert_null(find_patch(s, "framework.patch"));
        assert_null(find_patch(s, "pro.patch"));
        assert_int_equal(s->n_patches, 2);

        b = find_build(f, VER, K1);
        assert_non_null(b);
        assert_int_equal(b->state, DKMS_STATE_INSTALLED);
        assert_string_equal(b->arch, "x86_64");
        assert_int_equal(b->n_module_files, 2);
        assert_string_equal(b->module_files[0], "/var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/module/amdgpu.ko.zst");
        assert_string_equal(b->module_files[1], "/var/lib/dkms/amdgpu/" VER "/" K1 "/x86_64/module/amdttm.ko.zst");
        assert_null(b->module_files[2]);
        b = find_build(f, VER, K2);
        assert_non_null(b);
        assert_int_equal(b->state, DKMS_STATE_BUILT);
        assert_int_equal(b->n_module_files, 1);
        b = find_build(f, VER, K4);
        assert_non_null(b);
        assert_int_equal(b->state, DKMS_STATE_INSTALLED);
        assert_null(find_build(f, VER, NULL));
        assert_null(find_build(f, VER, "6.0.0-1-generic"));
        assert_string_equal(dkms_state_to_string(DKMS_STATE_INSTALLED), "installed");
        assert_null(dkms_state_to_string(_DKMS_STATE_MAX));

        s = find_source(f, "amdgpu", "7.0-added");
        assert_false(s->source_missing);
        b = find_build(f, "7.0-added", NULL);
        assert_non_null(b);
        assert_int_equal(b->state, DKMS_STATE_ADDED);
        assert_null(b->arch);
        /* /etc/dkms applies to every version. */
        assert_non_null(find_patch(s, "extra.patch"));

        /* Broken: dangling link keeps its target; the old build is still listed. */
        s = find_source(f, "amdgpu", "5.0-gone");
        assert_true(s->source_missing);
        assert_string_equal(s->source_dir, "/usr/src/amdgpu-5.0-gone");
        pr = find_patch(s, "extra.patch");
        assert_non_null(pr);
        assert_string_equal(pr->patch_path, "/usr/src/amdgpu-5.0-gone/patches/extra.patch");
        assert_int_equal(find_build(f, "5.0-gone", NULL)->state, DKMS_STATE_BROKEN);
        assert_int_equal(find_build(f, "5.0-gone", K1)->state, DKMS_STATE_BUILT);
        s = find_source(f, "amdgpu", "4.0-nolink");
        assert_true(s->source_missing);
        assert_null(s->source_dir);
        assert_int_equal(find_build(f, "4.0-nolink", NULL)->state, DKMS_STATE_BROKEN);

        /* Failed build. */
        s = find_source(f, "amdgpu", "8.0-failed");
        assert_string_equal(s->failed_log, "/var/lib/dkms/amdgpu/8.0-failed/build/make.log");
        assert_string_equal(s->failed_log_error,
                            "amd/amdkfd/kfd_crat.c:1122:9: \x1b[01;31merror: \x1b[m'HSA_MEM_FLAGS_HOT_PLUGGABLE' undeclared");
        assert_int_equal(s->failed_log_line, 3);
        assert_false(s->failed_log_truncated);
        assert_int_equal(find_build(f, "8.0-failed", NULL)->state, DKMS_STATE_ADDED);

        /* Relative link through a symlinked directory, resolved in the root. */
        s = find_source(f, "amdgpu", "9.0-rel");
        assert_false(s->source_missing);
        assert_string_equal(s->source_dir, "/opt/amdgpu-9.0-rel");
        pr = find_patch(s, "rel.patch");
        assert_non_null(pr);
        assert_string_equal(pr->conf_path, "/opt/amdgpu-9.0-rel/dkms.conf");
        assert_string_equal(pr->patch_path, "/opt/amdgpu-9.0-rel/patches/rel.patch");

        /* Links that lead out of the root on the host are re-rooted: missing in here. */
        s = find_source(f, "amdgpu", "1.0-abs-out");
        assert_true(s->source_missing);
        snprintf(p, sizeof(p), "%s/outside/usr/src/amdgpu-" VER "-out", base);
        assert_string_equal(s->source_dir, p);
        assert_null(find_patch(s, "outside.patch"));
        s = find_source(f, "amdgpu", "1.0-dotdot");
        assert_true(s->source_missing);
        assert_string_equal(s->source_dir, "/outside/usr/src/amdgpu-" VER "-out");
        assert_null(find_patch(s, "outside.patch"));

        /* A loop is a reason, and dkms would call it broken. */
        s = find_source(f, "amdgpu", "1.0-loop");
        assert_true(s->source_missing);
        assert_null(s->source_dir);
        rs = find_reason(r, "/var/lib/dkms/amdgpu/1.0-loop/source");
        assert_non_null(rs);
        assert_true(rs->matters);
        assert_string_equal(rs->error, "symbolic link loop or link not allowed");

        /* amdgpu-pro owns amdgpu-pro.conf. */
        s = find_source(f, "amdgpu-pro", "20.45");
        assert_non_null(find_patch(s, "pro.patch"));
        assert_null(find_patch(s, "extra.patch"));

        /* Only amdgpu*; nothing else went wrong. */
        for (size_t i = 0; i < f->n_sources; i++)
                assert_true(startswith(f->sources[i].module, "amdgpu"));
        assert_int_equal(f->n_sources, 10);
        assert_int_equal(r->n_reasons, 1);

        dkms_facts_free(f);
        report_free(r);
}

static void test_probe_tree(void **state)
{
        root_reset();
        build_main_tree();
        check_main_tree(false);
        check_main_tree(true);
        (void)state;
}

static void test_probe_empty(void **state)
{
        dkms_facts *f = NULL;
        report *r = NULL;

        root_reset();
        probe(false, &r, &f);
        assert_int_equal(f->n_sources, 0);
        assert_int_equal(f->n_builds, 0);
        assert_int_equal(r->n_reasons, 0);
        dkms_facts_free(f);
        report_free(r);

        /* A tree with no amdgpu, and /var/lib/dkms as a file. */
        fixture_put(root, "var/lib/dkms/nvidia/535/.keep", "");
        probe(false, &r, &f);
        assert_int_equal(f->n_sources, 0);
        assert_int_equal(r->n_reasons, 0);
        dkms_facts_free(f);
        report_free(r);

        root_reset();
        fixture_put(root, "var/lib/dkms", "not a directory");
        probe(false, &r, &f);
        assert_int_equal(f->n_sources, 0);
        assert_non_null(find_reason(r, "/var/lib/dkms"));
        assert_true(report_partial(r));
        dkms_facts_free(f);
        report_free(r);
        assert_null(dkms_facts_free(NULL));
        (void)state;
}

static void alarm_handler(int sig)
{
        (void)sig;
        /* cmocka cannot fail from a signal handler; a hung read is a failure. */
        _exit(99);
}

static void test_probe_fifo_and_big_log(void **state)
{
        const size_t big = 9u * 1024 * 1024;
        _cleanup_free_ char *buf = malloc(big);
        const dkms_source *s;
        const reason *rs;
        dkms_facts *f = NULL;
        report *r = NULL;
        char p[4096];

        assert_non_null(buf);
        root_reset();
        fixture_put(root, "usr/src/amdgpu-1.0/dkms.conf", "PACKAGE_NAME=amdgpu\n");
        fixture_symlink(root, "var/lib/dkms/amdgpu/1.0/source", "/usr/src/amdgpu-1.0");
        fixture_mkdirs(root, "var/lib/dkms/amdgpu/1.0/build");
        pathf(p, sizeof(p), "var/lib/dkms/amdgpu/1.0/build/make.log");
        assert_int_equal(mkfifo(p, 0644), 0);
        /* dkms.conf a FIFO too. */
        fixture_symlink(root, "var/lib/dkms/amdgpu/2.0/source", "/usr/src/amdgpu-2.0");
        fixture_mkdirs(root, "usr/src/amdgpu-2.0");
        pathf(p, sizeof(p), "usr/src/amdgpu-2.0/dkms.conf");
        assert_int_equal(mkfifo(p, 0644), 0);

        /* 9 MiB log: an error in the first line is found, one after 8 MiB is not. */
        fixture_put(root, "usr/src/amdgpu-3.0/dkms.conf", "");
        fixture_symlink(root, "var/lib/dkms/amdgpu/3.0/source", "/usr/src/amdgpu-3.0");
        memset(buf, 'x', big);
        for (size_t i = 100; i < big; i += 100)
                buf[i] = '\n';
        memcpy(buf + big - 50, "late error: too far\n", 20);
        fixture_write(root, "var/lib/dkms/amdgpu/3.0/build/make.log", buf, big, 0644);
        fixture_put(root, "usr/src/amdgpu-4.0/dkms.conf", "");
        fixture_symlink(root, "var/lib/dkms/amdgpu/4.0/source", "/usr/src/amdgpu-4.0");
        memcpy(buf + 101, "cc1: error: early\n", 18);
        fixture_write(root, "var/lib/dkms/amdgpu/4.0/build/make.log", buf, big, 0644);

        signal(SIGALRM, alarm_handler);
        alarm(30);
        probe(false, &r, &f);
        alarm(0);

        s = find_source(f, "amdgpu", "1.0");
        assert_string_equal(s->failed_log, "/var/lib/dkms/amdgpu/1.0/build/make.log");
        assert_null(s->failed_log_error);
        rs = find_reason(r, "/var/lib/dkms/amdgpu/1.0/build/make.log");
        assert_non_null(rs);
        assert_false(rs->matters);
        assert_string_equal(rs->error, "not a regular file");

        s = find_source(f, "amdgpu", "2.0");
        assert_false(s->source_missing);
        rs = find_reason(r, "/usr/src/amdgpu-2.0/dkms.conf");
        assert_non_null(rs);
        assert_true(rs->matters);

        s = find_source(f, "amdgpu", "3.0");
        assert_true(s->failed_log_truncated);
        assert_null(s->failed_log_error);
        s = find_source(f, "amdgpu", "4.0");
        assert_true(s->failed_log_truncated);
        assert_string_equal(s->failed_log_error, "cc1: error: early");
        assert_int_equal(s->failed_log_line, 2);
        assert_int_equal(r->n_reasons, 2);
        dkms_facts_free(f);
        report_free(r);
        (void)state;
}

/*
 * Probe as an unprivileged user (the process itself, or a child that drops
 * to nobody when we are root: root reads everything). Returns the child's
 * verdict: 0 = the unreadable path gave a reason that matters.
 */
static int probe_unprivileged(const char *unreadable)
{
        pid_t pid;
        int status;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dkms_facts *f = NULL;
                sysroot *sr = NULL;
                report *r = report_new();
                const reason *rs;

                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                       setresuid(65534, 65534, 65534) < 0))
                        _exit(10);
                if (!r || sysroot_open(root, &sr) < 0)
                        _exit(11);
                if (dkms_probe(sr, r, &f) < 0)
                        _exit(12);
                rs = find_reason(r, unreadable);
                if (!rs)
                        _exit(13);
                if (!rs->matters || !report_partial(r) || !streq(rs->error, strerror(EACCES)))
                        _exit(14);
                if (f->n_sources != 0)
                        _exit(15);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 10 && !streq_ptr(getenv("CI"), "true")) {
                /* e.g. a user namespace without uid 65534: a visible skip. */
                fprintf(stderr, "SKIP: cannot drop to uid 65534 to test an unreadable tree\n");
                skip();
        }
        return WEXITSTATUS(status);
}

static void test_probe_unreadable(void **state)
{
        char p[4096];

        root_reset();
        fixture_put(root, "usr/src/amdgpu-1.0/dkms.conf", "");
        fixture_symlink(root, "var/lib/dkms/amdgpu/1.0/source", "/usr/src/amdgpu-1.0");
        pathf(p, sizeof(p), "var/lib/dkms/amdgpu");
        assert_int_equal(chmod(p, 0), 0);
        assert_int_equal(probe_unprivileged("/var/lib/dkms/amdgpu"), 0);
        assert_int_equal(chmod(p, 0755), 0);

        pathf(p, sizeof(p), "var/lib/dkms");
        assert_int_equal(chmod(p, 0), 0);
        assert_int_equal(probe_unprivileged("/var/lib/dkms"), 0);
        assert_int_equal(chmod(p, 0755), 0);
        (void)state;
}

int main(void)
{
        const struct CMUnitTest conf_tests[] = {
                cmocka_unit_test(test_conf_amdgpu_shape),
                cmocka_unit_test(test_conf_quotes),
                cmocka_unit_test(test_conf_comments_and_indices),
                cmocka_unit_test(test_conf_continuation),
                cmocka_unit_test(test_conf_junk),
                cmocka_unit_test(test_conf_nul_crlf_empty),
                cmocka_unit_test(test_conf_huge),
                cmocka_unit_test(test_status_formats),
                cmocka_unit_test(test_status_malformed),
        };
        const struct CMUnitTest probe_tests[] = {
                cmocka_unit_test(test_probe_tree),
                cmocka_unit_test(test_probe_empty),
                cmocka_unit_test(test_probe_fifo_and_big_log),
                cmocka_unit_test(test_probe_unreadable),
        };
        int r;

        r = cmocka_run_group_tests_name("dkms-parsers", conf_tests, NULL, NULL);
        r += cmocka_run_group_tests_name("dkms-probe", probe_tests, fixture_setup, fixture_teardown);
        return r ? 1 : 0;
}
