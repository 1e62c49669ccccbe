/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-only fault points (fault.h). */

#include <signal.h>

#include "base/fault.h"
#include "base/util.h"
#include "config.h"

const char *const fault_point_names[] = {
        "step-intent",          /* intent recorded, nothing backed up */
        "backup-copy",          /* backup file open, not yet written */
        "backup-recorded",      /* backup fsynced and named in the step record */
        "temp-written",         /* new content in a temp file next to the original */
        "replaced",             /* temp renamed over the original, after-hash not recorded */
        "moved",                /* quarantine: file moved, not yet recorded */
        "after-recorded",       /* after-hash recorded, step not marked done */
        "step-done",            /* step marked done, next not begun */
        "rollback-restored",    /* rollback: one file put back, step not marked */
        "deb-verified",         /* reinstall: the .deb's copy verified, dpkg not yet run */
        NULL,
};

static unsigned hits; /* only the configured point counts */

int fault_point(const char *name)
{
#if RDNA1_TEST_HOOKS
        const char *spec = getenv("RDNA1_DOCTOR_FAULT");
#else
        const char *spec = NULL; /* builds without test hooks (the Debian package) have none */
#endif
        const char *rest;
        uint64_t nth = 1;

        if (!spec || !*spec)
                return 0;
        rest = startswith(spec, name);
        if (!rest || (*rest && *rest != '@' && *rest != ':'))
                return 0;
        if (*rest == ':') {
                if (streq(rest + 1, "STOP")) {
                        raise(SIGSTOP); /* the test acts here, then sends SIGCONT */
                        return 0;
                }
                if (streq(rest + 1, "ENOSPC"))
                        return -ENOSPC;
                return -EIO;
        }
        if (*rest == '@' && (safe_atou64(rest + 1, 10, &nth) < 0 || nth == 0))
                return 0;
        if (++hits == nth)
                raise(SIGKILL);
        return 0;
}
