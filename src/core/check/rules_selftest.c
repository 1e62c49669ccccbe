/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * selftest.hang and selftest.crashed-previous-boot, from the self-test
 * records (selftest_state.h) and the root's boot id.
 */
#include <fcntl.h>
#include <time.h>

#include "base/util.h"
#include "check/inspect.h"
#include "probe/bootlog.h"
#include "watch/selftest_state.h"

static char *format_time(int64_t t)
{
        char buf[64];
        time_t tt = (time_t)t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
                return strdup("an unknown time");
        return strdup(buf);
}

/* That boot's amdgpu/KFD kernel lines as evidence, or why there are none. */
static int add_boot_log_evidence(inspection *in, finding *f, const char *boot_id)
{
        _cleanup_free_ char *detail = NULL;
        bootlog log = {0};
        int r;

        r = bootlog_read(in->sr, boot_id, &log);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                detail = strdup("kernel log of that boot: unknown (no persistent journal in /var/log/journal)");
        else if (r < 0)
                detail = strdup_printf("kernel log of that boot: unknown (%s)", strerror(-r));
        else if (log.n_matched == 0)
                detail = strdup_printf("kernel log of that boot: no amdgpu, KFD or GPU-reset lines in %zu kernel "
                                       "messages%s", log.n_examined, log.truncated ? " (stopped early)" : "");
        else if (log.n_matched > log.n_lines)
                detail = strdup_printf("kernel log of that boot: the last %zu of %zu GPU lines follow",
                                       log.n_lines, log.n_matched);
        r = -ENOMEM;
        if (detail && finding_add_evidence(f, "/var/log/journal", 0, detail) < 0)
                goto out;
        for (size_t i = 0; i < log.n_lines; i++) {
                _cleanup_free_ char *line = strdup_printf("kernel: %s", log.lines[i]);

                if (!line || finding_add_evidence(f, "/var/log/journal", 0, line) < 0)
                        goto out;
        }
        r = 0;
out:
        bootlog_clear(&log);
        return r;
}

int rules_selftest_apply(inspection *in, int state_fd, const char *state_path)
{
        _cleanup_free_ char *boot_id = NULL, *ip_path = NULL, *last_path = NULL;
        selftest_records recs = {0};
        int r;

        if (state_fd < 0)
                return 0;
        r = selftest_records_read(state_fd, &recs);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return report_add_reason_errno(in->report, "selftest", state_path, r, false);
        if (in->live) {
                r = sysroot_read_line(in->sr, "/proc/sys/kernel/random/boot_id", &boot_id);
                if (r < 0 && r != -ENOENT)
                        report_add_reason_errno(in->report, "selftest", "/proc/sys/kernel/random/boot_id", r, false);
        }
        ip_path = strdup_printf("%s/in-progress.json", state_path);
        last_path = strdup_printf("%s/last.json", state_path);
        if (!ip_path || !last_path) {
                r = -ENOMEM;
                goto out;
        }

        /* Offline (no boot id) any unfinished run is from an earlier boot. */
        if (recs.in_progress.present && (!in->live || (boot_id && !streq(boot_id, recs.in_progress.boot_id)))) {
                _cleanup_free_ char *when = format_time(recs.in_progress.time), *detail = NULL;
                finding *f = report_add_finding(
                        in->report, "selftest.crashed-previous-boot", SEVERITY_CRITICAL, NULL,
                        "A self-test started on an earlier boot never recorded its end (the machine locked up or reset)",
                        "Read that boot's kernel log ('journalctl -k -b -1'), remove what the other findings name, then "
                        "run 'rdna1-doctor --selftest' again from a text console.",
                        false);

                detail = strdup_printf("%s self-test started %s on boot %s, no end recorded",
                                       recs.in_progress.backend ? recs.in_progress.backend : "a", when ? when : "?",
                                       recs.in_progress.boot_id);
                if (!f || !detail || finding_add_evidence(f, ip_path, 0, detail) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = add_boot_log_evidence(in, f, recs.in_progress.boot_id);
                if (r < 0)
                        goto out;
        }
        if (recs.last.present && boot_id && streq(boot_id, recs.last.boot_id) && recs.last.outcome &&
            (streq(recs.last.outcome, "hang") || streq(recs.last.outcome, "gpu-reset"))) {
                _cleanup_free_ char *when = format_time(recs.last.time), *detail = NULL;
                finding *f = report_add_finding(in->report, "selftest.hang", SEVERITY_CRITICAL, NULL,
                                                "The last self-test on this boot hung the GPU; GPU tests are refused "
                                                "until reboot",
                                                "Reboot before using the GPU for compute again.", false);

                detail = strdup_printf("%s at %s: %s", recs.last.outcome, when ? when : "?",
                                       recs.last.reason ? recs.last.reason : "no reason recorded");
                if (!f || !detail || finding_add_evidence(f, last_path, 0, detail) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        r = 0;
out:
        selftest_records_clear(&recs);
        return r;
}
