/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "termstate.h"

static struct termios saved;
static int saved_fd = -1;
static int wake = -1;
static volatile sig_atomic_t pending;
static volatile sig_atomic_t restored;

static void on_terminate(int sig)
{
        int e = errno;

        if (!pending)
                pending = sig;
        if (wake >= 0)
                (void)!write(wake, "s", 1);
        errno = e;
}

/*
 * A crash: put the terminal back before dying. endwin() is not
 * async-signal-safe, but the process is going down anyway and a terminal
 * left in raw mode is worse; tcsetattr() after it is safe and restores the
 * modes even if endwin() could not finish.
 */
static void on_crash(int sig)
{
        if (!restored) {
                restored = 1;
                endwin();
                if (saved_fd >= 0)
                        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        }
        raise(sig); /* SA_RESETHAND: the default action now */
}

int term_setup(int tty_fd, int wake_fd)
{
        static const int terminating[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
        static const int crashing[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
        struct sigaction sa = {0};

        if (tcgetattr(tty_fd, &saved) == 0)
                saved_fd = tty_fd;
        wake = wake_fd;
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_terminate;
        sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR */
        for (size_t i = 0; i < sizeof(terminating) / sizeof(terminating[0]); i++)
                if (sigaction(terminating[i], &sa, NULL) < 0)
                        return -errno;
        sa.sa_handler = on_crash;
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        for (size_t i = 0; i < sizeof(crashing) / sizeof(crashing[0]); i++)
                if (sigaction(crashing[i], &sa, NULL) < 0)
                        return -errno;
        /* A dying terminal must not kill us mid-write before the restore. */
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

int term_pending_signal(void)
{
        return pending;
}

void term_restore(void)
{
        if (restored)
                return;
        restored = 1;
        if (!isendwin())
                endwin();
        if (saved_fd >= 0)
                tcsetattr(saved_fd, TCSAFLUSH, &saved);
}

_Noreturn void term_reraise(int sig)
{
        sigset_t s;

        signal(sig, SIG_DFL);
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        raise(sig);
        _exit(128 + sig);
}
