/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/report.h"
#include "base/util.h"

/*
 * Allocation failures on demand: this test is linked with
 * -Wl,--wrap=realloc,--wrap=strdup (tests/unit/meson.build), so the
 * report's calls come here; fail_* makes the next call fail.
 */
static bool fail_realloc, fail_strdup;

void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

void *__wrap_realloc(void *p, size_t n)
{
        if (fail_realloc) {
                fail_realloc = false;
                return NULL;
        }
        return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
        if (fail_strdup) {
                fail_strdup = false;
                return NULL;
        }
        return __real_strdup(s);
}

static void test_exit_codes(void **state)
{
        report *r = report_new();

        assert_int_equal(report_exit_code(r), 0);
        assert_string_equal(report_verdict(r), "ok");
        report_add_finding(r, "device.rdna1", SEVERITY_INFO, "0000:03:00.0", "t", "", false);
        assert_int_equal(report_exit_code(r), 0);
        report_add_finding(r, "kernel.reboot-pending", SEVERITY_WARNING, NULL, "t", "f", false);
        assert_int_equal(report_exit_code(r), 1);
        report_add_reason(r, "dkms", "/var/lib/dkms", "Permission denied", false);
        assert_int_equal(report_exit_code(r), 1);
        report_add_reason(r, "dkms", "/var/lib/dkms", "Permission denied", true);
        assert_int_equal(r->n_reasons, 1); /* deduplicated, now matters */
        assert_int_equal(report_exit_code(r), 3);
        assert_string_equal(report_verdict(r), "unknown");
        report_add_finding(r, "kernel.patched-source", SEVERITY_CRITICAL, NULL, "t", "f", true);
        assert_int_equal(report_exit_code(r), 2);
        assert_string_equal(report_verdict(r), "critical");
        report_sort(r);
        assert_string_equal(r->findings[0].id, "kernel.patched-source");
        assert_string_equal(r->findings[2].id, "device.rdna1");
        report_free(r);
}

static void test_evidence_escaped(void **state)
{
        report *r = report_new();
        finding *f = report_add_finding(r, "kernel.dkms-broken", SEVERITY_WARNING, NULL, "t", "f", false);
        char big[2000];

        assert_int_equal(finding_add_evidence(f, "/var/lib/dkms/x/make.log", 3, "error: \x1b[31mred"), 0);
        assert_string_equal(f->evidence[0].detail, "error: \\x1b[31mred");
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        for (int i = 0; i < 20; i++)
                assert_int_equal(finding_add_evidence(f, NULL, 0, big), 0);
        assert_true(strlen(f->evidence[1].detail) < 600);
        assert_int_equal(f->n_evidence, 21);
        assert_ptr_equal(report_find(r, "kernel.dkms-broken", NULL), f);
        assert_null(report_find(r, "kernel.dkms-broken", "0000:03:00.0"));
        report_free(r);
}

/* A report that could not record something is partial: its verdict is never "ok". */
static void test_lost_never_ok(void **state)
{
        _cleanup_(report_freep) report *fnd = report_new(), *rsn = report_new(), *note = report_new(),
                                       *dup = report_new(), *crit = report_new();

        assert_non_null(fnd);
        assert_non_null(rsn);
        assert_non_null(note);
        assert_non_null(dup);
        assert_non_null(crit);

        /* The finding's array cannot grow. */
        fail_realloc = true;
        assert_null(report_add_finding(fnd, "kernel.patched-source", SEVERITY_CRITICAL, NULL, "t", "f", true));
        assert_false(fail_realloc); /* the failure was met, not skipped */
        assert_int_equal(fnd->n_findings, 0);
        assert_true(fnd->lost);
        assert_true(report_partial(fnd));
        assert_int_equal(report_exit_code(fnd), 3);
        assert_string_equal(report_verdict(fnd), "unknown");

        /* A copy inside the finding fails (the array has room: no realloc). */
        assert_non_null(report_add_finding(dup, "device.rdna1", SEVERITY_INFO, NULL, "t", "", false));
        assert_false(dup->lost);
        assert_string_equal(report_verdict(dup), "ok");
        fail_strdup = true;
        assert_null(report_add_finding(dup, "kernel.reboot-pending", SEVERITY_WARNING, NULL, "t", "f", false));
        assert_false(fail_strdup);
        assert_int_equal(dup->n_findings, 1);
        assert_true(dup->lost);
        assert_string_equal(report_verdict(dup), "unknown");

        /* A reason that would not have mattered is lost: still not "ok", nothing says what it was. */
        fail_realloc = true;
        assert_int_equal(report_add_reason(rsn, "dkms", "/var/lib/dkms", "Permission denied", false), -ENOMEM);
        assert_false(fail_realloc);
        assert_int_equal(rsn->n_reasons, 0);
        assert_true(rsn->lost);
        assert_int_equal(report_exit_code(rsn), 3);

        fail_realloc = true;
        assert_int_equal(report_add_note(note, "no running system: %s", "/"), -ENOMEM);
        assert_false(fail_realloc);
        assert_true(note->lost);
        assert_string_equal(report_verdict(note), "unknown");

        /* A critical finding that was recorded still says critical. */
        assert_non_null(report_add_finding(crit, "kernel.patched-source", SEVERITY_CRITICAL, NULL, "t", "f", true));
        fail_strdup = true;
        assert_null(report_add_finding(crit, "kernel.reboot-pending", SEVERITY_WARNING, NULL, "t", "f", false));
        assert_true(crit->lost);
        assert_int_equal(report_exit_code(crit), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_lost_never_ok),
                cmocka_unit_test(test_evidence_escaped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
