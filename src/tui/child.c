/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recovery and rollback from the TUI run the doctor itself as a child,
 * `--recover --reviewed-plan FILE --yes --json` (the plan on screen, stored
 * by plan_reviewed_save: the child runs exactly it, or refuses when a file
 * it touches changed since it was shown) or `--rollback ID --yes --json` on the same root
 * and state directory: the very engine (lock, preflight, journal, executor)
 * that the command line uses, with the user's typed confirmation standing
 * for --yes (on --demo: `--demo --recover ...`, see demo_view.c). The
 * child gets no terminal (stdin /dev/null, output to pipes);
 * while it runs, the worker reads the journal's history every 200 ms for
 * live per-step progress. The result is the child's JSON document
 * (rdna1-doctor/recover/1) or, when it refused, its message.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "base/util.h"
#include "child_json.h"
#include "recover/journal.h"

extern char **environ;

#define OUT_MAX (1u << 20)
#define POLL_MS 200

/* The newest journal run (the one the child started), into the view. */
static void read_progress(tui_app *a, const char *known_before)
{
        json_object *h = NULL, *runs, *run, *steps;
        rec_view *v = &a->rec;

        if (journal_history(a->state_dir, &h) < 0)
                return;
        if (!json_object_object_get_ex(h, "runs", &runs) || json_object_array_length(runs) == 0)
                goto out;
        run = json_object_array_get_idx(runs, 0);
        /* a recovery: only a run newer than the last one we knew of */
        if (!v->rollback && known_before && streq_ptr(jstr(run, "id"), known_before))
                goto out;
        if (v->rollback) {
                /* a rollback works on the run it names */
                run = NULL;
                for (size_t i = 0; i < json_object_array_length(runs); i++)
                        if (streq_ptr(jstr(json_object_array_get_idx(runs, i), "id"), v->id))
                                run = json_object_array_get_idx(runs, i);
                if (!run)
                        goto out;
        }
        pthread_mutex_lock(&a->lock);
        copy_escaped(v->id, sizeof(v->id), jstr(run, "id"));
        copy_escaped(v->status, sizeof(v->status), jstr(run, "status"));
        v->n_steps = 0;
        if (json_object_object_get_ex(run, "steps", &steps))
                for (size_t i = 0; i < json_object_array_length(steps) && i < REC_MAX_STEPS; i++) {
                        json_object *s = json_object_array_get_idx(steps, i);
                        rec_step *r = &v->steps[v->n_steps++];

                        copy_escaped(r->action, sizeof(r->action), jstr(s, "action"));
                        copy_escaped(r->target, sizeof(r->target), jstr(s, "path") ? jstr(s, "path") : jstr(s, "kernel"));
                        copy_escaped(r->state, sizeof(r->state), jstr(s, "state"));
                }
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
out:
        json_object_put(h);
}

static void take_result(tui_app *a, const char *out, const char *err, int code)
{
        json_object *doc = json_tokener_parse(out), *v, *msgs;
        rec_view *rv = &a->rec;

        pthread_mutex_lock(&a->lock);
        rv->exit_code = code;
        if (doc && json_object_is_type(doc, json_type_object)) {
                if (jstr(doc, "id"))
                        copy_escaped(rv->id, sizeof(rv->id), jstr(doc, "id"));
                if (jstr(doc, "status"))
                        copy_escaped(rv->status, sizeof(rv->status), jstr(doc, "status"));
                rv->reboot = json_object_object_get_ex(doc, "reboot_required", &v) && json_object_get_boolean(v);
                if (json_object_object_get_ex(doc, "messages", &msgs))
                        for (size_t i = 0; i < json_object_array_length(msgs) && rv->n_messages < REC_MAX_MESSAGES; i++)
                                copy_escaped(rv->messages[rv->n_messages++], sizeof(rv->messages[0]),
                                             json_object_get_string(json_object_array_get_idx(msgs, i)));
        } else {
                /* refused before a journal existed: its message is on stderr, one line each */
                char *copy = strdup(err), *save = NULL;

                for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l && rv->n_messages < REC_MAX_MESSAGES;
                     l = strtok_r(NULL, "\n", &save))
                        copy_escaped(rv->messages[rv->n_messages++], sizeof(rv->messages[0]), l);
                free(copy);
        }
        switch (code) {
        case 0:
                snprintf(rv->summary, sizeof(rv->summary), rv->rollback ? "Rolled back." : "Done.");
                break;
        case 10:
                snprintf(rv->summary, sizeof(rv->summary), "Done: reboot to load the clean driver.");
                rv->reboot = true;
                break;
        case 11:
                snprintf(rv->summary, sizeof(rv->summary), "Partial: some steps were refused or failed; History (6) can "
                                                           "roll it back.");
                break;
        case 12:
                /* with a journal: a step found its file other than shown; the steps before it ran */
                snprintf(rv->summary, sizeof(rv->summary), "%s",
                         rv->id[0] && !rv->rollback
                                 ? "Refused: a file is not the one shown; steps before it were done, History (6) can "
                                   "roll them back."
                                 : "Refused: nothing was changed.");
                break;
        default:
                snprintf(rv->summary, sizeof(rv->summary), "Ended with exit status %d.", code);
        }
        pthread_mutex_unlock(&a->lock);
        json_object_put(doc);
}

int run_capture(char *const argv[], char **ret_out, char **ret_err, void (*tick)(void *), void *userdata)
{
        int out[2] = {-1, -1}, err[2] = {-1, -1}, status = 0, r;
        posix_spawn_file_actions_t fa;
        char *obuf = calloc(1, OUT_MAX + 1), *ebuf = calloc(1, OUT_MAX + 1);
        size_t olen = 0, elen = 0;
        pid_t pid = -1;

        *ret_out = *ret_err = NULL;
        if (!obuf || !ebuf || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = -errno ?: -ENOMEM;
                goto fail;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
        r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        close(err[1]);
        if (r != 0) {
                r = -r;
                goto fail;
        }
        for (int open_fds = 2; open_fds > 0;) {
                struct pollfd pf[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
                int n = poll(pf, 2, POLL_MS);

                if (n < 0 && errno != EINTR)
                        break;
                for (int i = 0; i < 2; i++) {
                        char *buf = i ? ebuf : obuf;
                        size_t *len = i ? &elen : &olen;
                        char tmp[4096];
                        ssize_t k;

                        if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        k = read(pf[i].fd, tmp, sizeof(tmp));
                        if (k <= 0) {
                                close(i ? err[0] : out[0]);
                                (i ? err : out)[0] = -1;
                                open_fds--;
                                continue;
                        }
                        if (*len + (size_t)k <= OUT_MAX) {
                                memcpy(buf + *len, tmp, (size_t)k);
                                *len += (size_t)k;
                        }
                }
                if (tick)
                        tick(userdata);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (out[0] >= 0)
                close(out[0]);
        if (err[0] >= 0)
                close(err[0]);
        obuf[olen] = '\0';
        ebuf[elen] = '\0';
        *ret_out = obuf;
        *ret_err = ebuf;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
fail:
        if (out[0] >= 0)
                close(out[0]);
        if (err[0] >= 0)
                close(err[0]);
        free(obuf);
        free(ebuf);
        return r;
}

typedef struct tick_ctx {
        tui_app *a;
        const char *known;
} tick_ctx;

static void on_tick(void *p)
{
        tick_ctx *t = p;

        read_progress(t->a, t->known);
}

static void *child_main(void *p)
{
        tui_app *a = p;
        _cleanup_free_ char *known = NULL, *out = NULL, *err = NULL;
        bool rollback;
        tick_ctx t = {.a = a};
        int code;

        pthread_mutex_lock(&a->lock);
        rollback = a->rec.rollback;
        pthread_mutex_unlock(&a->lock);
        if (!rollback && a->history) {
                json_object *runs;
                /* a->history is only replaced by a scan, which cannot run beside this job */
                if (json_object_object_get_ex(a->history, "runs", &runs) && json_object_array_length(runs) > 0)
                        known = strdup(jstr(json_object_array_get_idx(runs, 0), "id") ?: "");
        }
        t.known = known;
        code = run_capture(a->child_argv, &out, &err, on_tick, &t);
        if (code < -1) {
                free(err);
                err = strdup_printf("cannot start %s: %s", a->child_argv[0], strerror(-code));
                code = -1;
        }
        read_progress(a, known);
        take_result(a, out ? out : "", err ? err : "", code);
        pthread_mutex_lock(&a->lock);
        a->rec.running = false;
        a->rec.finished = true;
        a->job_done = true;
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
        return NULL;
}

int self_argv(const tui_app *a, strv *ret)
{
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                return -errno;
        self[n] = '\0';
        if (strv_push_dup(ret, self) < 0)
                return -ENOMEM;
        if (a->opts->demo && !demo_view_on_copy(a)) {
                /* the child's writes go to a private copy, never the installed demo */
                if (strv_push_dup(ret, "--demo") < 0)
                        return -ENOMEM;
        } else if (strv_push_dup(ret, "--root") < 0 || strv_push_dup(ret, a->inspect.root) < 0)
                return -ENOMEM;
        if (a->opts->state_dir &&
            (strv_push_dup(ret, "--state-dir") < 0 || strv_push_dup(ret, a->opts->state_dir) < 0))
                return -ENOMEM;
        return (int)ret->n;
}

/* The plan on screen, stored for the child to run exactly (README.md, Recovery): *ret its path. */
static int store_reviewed_plan(tui_app *a, char **ret)
{
        _cleanup_free_ char *dir = NULL;
        int r;

        if (!a->plan || !a->plan->sealed)
                return -ENODATA;
        r = demo_view_reviewed_dir(a, &dir);
        return r < 0 ? r : plan_reviewed_save(dir, a->plan, ret);
}

int jobs_start_child(tui_app *a, const char *rollback_id)
{
        _cleanup_free_ char *reviewed = NULL;
        strv v = {0};
        int r;

        if (a->job != JOB_NONE)
                return -EBUSY;
        r = self_argv(a, &v);
        if (r >= 0 && rollback_id)
                r = strv_push_dup(&v, "--rollback") < 0 || strv_push_dup(&v, rollback_id) < 0 ? -ENOMEM : 0;
        else if (r >= 0) {
                r = store_reviewed_plan(a, &reviewed);
                if (r >= 0)
                        r = strv_push_dup(&v, "--recover") < 0 || strv_push_dup(&v, "--reviewed-plan") < 0 ||
                                            strv_push_dup(&v, reviewed) < 0 ? -ENOMEM : 0;
        }
        if (r >= 0)
                r = strv_push_dup(&v, "--yes") < 0 || strv_push_dup(&v, "--json") < 0 ? -ENOMEM : 0;
        if (r >= 0 && a->opts->inspect.system_only)
                r = strv_push_dup(&v, "--system-only");
        if (r < 0 || v.n >= ELEMENTSOF(a->child_argv)) {
                if (reviewed)
                        (void)unlink(reviewed);
                strv_clear(&v);
                return r < 0 ? r : -E2BIG;
        }
        for (size_t i = 0; i < v.n; i++)
                a->child_argv[i] = v.items[i];
        free(v.items);
        pthread_mutex_lock(&a->lock);
        a->rec = (rec_view){.running = true, .rollback = !!rollback_id, .exit_code = -1, .started_ms = now_ms()};
        if (rollback_id)
                snprintf(a->rec.id, sizeof(a->rec.id), "%s", rollback_id);
        pthread_mutex_unlock(&a->lock);
        r = jobs_start_worker(a, JOB_CHILD, child_main, a);
        if (r < 0) {
                for (size_t i = 0; i < ELEMENTSOF(a->child_argv); i++)
                        free(a->child_argv[i]), a->child_argv[i] = NULL;
                if (reviewed)
                        (void)unlink(reviewed);
                return r;
        }
        free(a->reviewed_plan);
        a->reviewed_plan = TAKE_PTR(reviewed);
        return r;
}
