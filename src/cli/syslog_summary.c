/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <syslog.h>

#include "base/util.h"
#include "syslog_summary.h"

void syslog_summary(bool root_is_host, const char *mode, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL, *safe = NULL;
        va_list ap;
        int n;

        if (!root_is_host)
                return;
        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        /* one line, no control characters: a log line is read on terminals too */
        safe = escape_untrusted(text, (size_t)n, 400);
        openlog("rdna1-doctor", LOG_PID, LOG_DAEMON);
        syslog(LOG_NOTICE, "%s: %s", mode, safe ? safe : "");
        closelog();
}
