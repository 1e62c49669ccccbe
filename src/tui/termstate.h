/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The terminal comes back as it was on every way out: a normal quit,
 * SIGTERM/SIGHUP/SIGINT (noted here, handled by the main loop, which
 * restores and re-raises), a crash (SIGSEGV, SIGABRT, SIGBUS, SIGFPE,
 * SIGILL: endwin() and the saved termios in the handler, then the signal
 * again with its default action). ^Z/fg is ncurses' own SIGTSTP handling,
 * which it installs because we leave SIGTSTP alone.
 */

/* Save the termios of fd and install the handlers; wake_fd gets a byte per signal. */
int term_setup(int tty_fd, int wake_fd);
/* The first terminating signal received, or 0. */
int term_pending_signal(void);
/* endwin() and the saved termios. Safe to call more than once. */
void term_restore(void);
/* After term_restore(): die of sig as if it had not been caught. */
_Noreturn void term_reraise(int sig);
