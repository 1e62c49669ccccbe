/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake helper that sits in the D state: a parent blocked in vfork() while
 * its child is stopped shows 'D' in /proc/PID/stat. It first says it started
 * a case, so the watchdog's per-case deadline applies.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
        printf("{\"event\":\"start\",\"backend\":\"cpu\",\"sweep\":\"quick\",\"cases\":1}\n");
        printf("{\"event\":\"case-start\",\"index\":0,\"name\":\"vfork\"}\n");
        fflush(stdout);
        if (vfork() == 0) {
                raise(SIGSTOP);
                _exit(0);
        }
        return 0;
}
