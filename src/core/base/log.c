/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/log.h"

#include <stdarg.h>

int log_error_errno(int err, const char *fmt, ...)
{
        int saved = errno;
        va_list ap;

        if (err > 0)
                err = -err;
        fputs("rdna1-doctor: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, ": %s.\n", strerror(-err));
        errno = saved;
        return err;
}
