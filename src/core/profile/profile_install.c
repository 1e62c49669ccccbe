/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile/profile_install.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "profile/profile.h"
#include "recover/executor.h"
#include "recover/journal.h"
#include "recover/plan.h"
#include "root/fileops.h"
#include "root/sysroot.h"

char *env_line_disabled_text(const char *text)
{
        return strdup_printf("%s%s", PLAN_PROFILE_DISABLED_PREFIX, text);
}

static int build_plan(const install_request *req, plan **ret)
{
        _cleanup_(plan_freep) plan *p = plan_new(req->root);
        plan_action *a;

        if (!p)
                return -ENOMEM;
        a = plan_add(p, ACTION_INSTALL_PROFILE, NULL);
        if (!a || !(a->path = strdup(PROFILE_INSTALL_PATH)) || !(a->content = strdup(req->content)) ||
            !(a->why = strdup_printf("install the environment profile '%s' for login shells", req->profile_name)) ||
            !(a->undo = strdup("the previous file is put back, or the new one removed")) ||
            plan_action_add_touch(a, PROFILE_INSTALL_PATH) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_disable; i++) {
                const env_line_ref *ref = &req->disable[i];

                a = plan_add(p, ACTION_DISABLE_ENV_LINE, NULL);
                if (!a || !(a->path = strdup(ref->path)) || !(a->line_text = strdup(ref->text)) ||
                    !(a->why = strdup_printf("%s conflicts with the profile '%s'", ref->name, req->profile_name)) ||
                    !(a->undo = strdup("the journal's backup of the file is put back")) ||
                    plan_action_add_touch(a, ref->path) < 0)
                        return -ENOMEM;
                a->line = ref->line;
                a->profile_note = true;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* Why the run stopped: the first refused step's reason, as the journal has it. */
static char *first_failure(const journal *j)
{
        for (size_t i = 0; i < journal_n_steps(j); i++) {
                const journal_step *s = journal_get_step(j, i);
                const plan_action *a = &journal_plan(j)->actions[i];

                if (s->state == STEP_FAILED)
                        return strdup_printf("%s: %s", a->path ? a->path : "?", s->error ? s->error : "failed");
        }
        return strdup("failed");
}

int profile_install(const install_request *req, char **ret_journal_id, char **ret_error)
{
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        _cleanup_(plan_freep) plan *p = NULL;
        _cleanup_(journal_freep) journal *j = NULL;
        _cleanup_free_ char *state = NULL, *lockdir = NULL, *name = NULL;
        _cleanup_close_ int lock = -EBADF, dfd = -EBADF;
        exec_report rep = {0};
        exec_options eo = {0};
        int k;

        k = sysroot_open(req->root, &sr);
        if (k < 0)
                return k;
        k = build_plan(req, &p);
        if (k < 0)
                return k;
        k = journal_state_dir(req->root, req->state_dir, &state);
        if (k < 0)
                return k;
        /* The lock: /run/rdna1-doctor for the host, the state dir for another root. */
        lockdir = strdup(sr->is_host && !req->state_dir ? "/run/rdna1-doctor" : state);
        if (!lockdir)
                return -ENOMEM;
        if (mkdir(lockdir, 0700) < 0 && errno != EEXIST && errno != ENOENT)
                return -errno;
        k = fo_open_parent(sr, PROFILE_INSTALL_PATH, &dfd, &name);
        if (k < 0) {
                *ret_error = strdup_printf("cannot open the directory of %s: %s", PROFILE_INSTALL_PATH,
                                           strerror(-k));
                return k;
        }
        k = journal_lock(lockdir, &lock);
        if (k < 0)
                return k;
        k = journal_create(state, p, &j);
        if (k < 0)
                return k;
        /*
         * The executor runs the plan (one step per file, recover/executor.c):
         * a crashed install is finished by `--recover --resume` or undone by
         * `--rollback ID`, as a recovery is. It stops at a refused step.
         */
        eo.sr = sr;
        k = executor_run(j, &eo, &rep);
        if (k >= 0 && rep.failed) {
                *ret_error = first_failure(j);
                k = -EIO;
        }
        exec_report_clear(&rep);
        *ret_journal_id = strdup(journal_id(j));
        if (!*ret_journal_id && k >= 0)
                k = -ENOMEM;
        return k;
}
