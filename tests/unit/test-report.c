/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/report.h"
#include "base/util.h"

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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_evidence_escaped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
