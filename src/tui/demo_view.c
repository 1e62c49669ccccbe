/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --demo on a terminal: the view opens on the installed demo, which is
 * never written. A write from the view (a recovery, a rollback, a profile
 * install) runs its child with --demo, which works on the demo's private
 * copy (demo_copy.h); once that child has ended the view moves to the copy,
 * so the screens show what the write did, and later writes go to the same
 * copy (--root COPY) rather than to a fresh one.
 */
#include <stdio.h>

#include "app.h"
#include "base/util.h"
#include "demo_copy.h"
#include "recover/journal.h"

bool demo_view_on_copy(const tui_app *a)
{
        return a->opts->demo && a->demo_copy;
}

/* The journal the History screen reads on --demo: the copy's, made or not. */
int demo_view_state_dir(const tui_app *a, char **ret)
{
        _cleanup_free_ char *copy = NULL;
        int r = demo_copy_path(a->opts->state_dir, &copy);

        return r < 0 ? r : journal_state_dir(copy, a->opts->state_dir, ret);
}

/*
 * The state directory the recovery child sees is made fresh with a fresh
 * copy on the demo: the plan goes into the copies' own private directory,
 * which stays (demo_copy.h), elsewhere into the journal's state directory.
 */
int demo_view_reviewed_dir(const tui_app *a, char **ret)
{
        _cleanup_free_ char *copy = NULL;
        char *slash;
        int r;

        if (!a->opts->demo) {
                if (!a->state_dir)
                        return -ENOENT;
                *ret = strdup(a->state_dir);
                return *ret ? 0 : -ENOMEM;
        }
        r = demo_copy_path(a->opts->state_dir, &copy);
        if (r < 0)
                return r;
        slash = strrchr(copy, '/');
        if (!slash || slash == copy)
                return -EINVAL;
        *slash = '\0';
        *ret = TAKE_PTR(copy);
        return 0;
}

void demo_view_follow_copy(tui_app *a)
{
        _cleanup_free_ char *copy = NULL, *state = NULL;
        sysroot *sr = NULL;
        int r;

        if (!a->opts->demo || a->demo_copy)
                return;
        r = demo_copy_existing(a->opts->state_dir, &copy);
        if (r == -ENOENT)
                return; /* the child refused before it made one */
        if (r >= 0)
                r = journal_state_dir(copy, a->opts->state_dir, &state);
        if (r >= 0)
                r = sysroot_open(copy, &sr);
        if (r < 0) {
                app_message(a, "Cannot open the demo's private copy: %s", strerror(-r));
                return;
        }
        sysroot_free(a->sr);
        a->sr = sr;
        free(a->state_dir);
        a->state_dir = TAKE_PTR(state);
        a->demo_copy = TAKE_PTR(copy);
        a->inspect.root = a->demo_copy;
}
