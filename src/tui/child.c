/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recovery and rollback from the TUI run the doctor itself as a child,
 * `--recover --yes --json` or `--rollback ID --yes --json` on the same root
 * and state directory: the very engine (lock, preflight, journal, executor)
 * that the command line uses, with the user's typed confirmation standing
 * for --yes. The child gets no terminal (stdin /dev/null, output to pipes);
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
#include "journal.h"
#include "util.h"

extern char **environ;

#define OUT_MAX (1u << 20)
#define POLL_MS 200

static void copy_escaped(char *dst, size_t size, const char *s)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, size - 4);

        snprintf(dst, size, "%s", e ? e : "?");
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

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
                snprintf(rv->summary, sizeof(rv->summary), "Refused: nothing was changed.");
                break;
        default:
                snprintf(rv->summary, sizeof(rv->summary), "Ended with exit status %d.", code);
        }
        pthread_mutex_unlock(&a->lock);
        json_object_put(doc);
}

static void *child_main(void *p)
{
        tui_app *a = p;
        int out[2] = {-1, -1}, err[2] = {-1, -1}, status = 0, code;
        posix_spawn_file_actions_t fa;
        char *obuf = calloc(1, OUT_MAX + 1), *ebuf = calloc(1, OUT_MAX + 1);
        size_t olen = 0, elen = 0;
        _cleanup_free_ char *known = NULL;
        bool rollback;
        pid_t pid = -1;
        int r;

        pthread_mutex_lock(&a->lock);
        rollback = a->rec.rollback;
        pthread_mutex_unlock(&a->lock);
        if (!rollback && a->history) {
                json_object *runs;
                /* a->history is only replaced by a scan, which cannot run beside this job */
                if (json_object_object_get_ex(a->history, "runs", &runs) && json_object_array_length(runs) > 0)
                        known = strdup(jstr(json_object_array_get_idx(runs, 0), "id") ?: "");
        }
        if (!obuf || !ebuf || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                code = -1;
                goto done;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
        r = posix_spawn(&pid, a->child_argv[0], &fa, NULL, a->child_argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        close(err[1]);
        if (r != 0) {
                snprintf(ebuf, OUT_MAX, "cannot start %s: %s", a->child_argv[0], strerror(r));
                elen = strlen(ebuf);
                code = -1;
                goto done;
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
                read_progress(a, known);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        read_progress(a, known);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
done:
        if (out[0] >= 0)
                close(out[0]);
        if (err[0] >= 0)
                close(err[0]);
        if (obuf)
                obuf[olen] = '\0';
        if (ebuf)
                ebuf[elen] = '\0';
        take_result(a, obuf ? obuf : "", ebuf ? ebuf : "", code);
        free(obuf);
        free(ebuf);
        pthread_mutex_lock(&a->lock);
        a->rec.running = false;
        a->rec.finished = true;
        a->job_done = true;
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
        return NULL;
}

int jobs_start_child(tui_app *a, const char *rollback_id)
{
        char self[4096];
        ssize_t n;
        size_t k = 0;
        int r;

        if (a->job != JOB_NONE)
                return -EBUSY;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return -errno;
        self[n] = '\0';
#define ARG(s)                                                 \
        do {                                                   \
                if (!(a->child_argv[k++] = strdup(s)))         \
                        goto nomem;                            \
        } while (0)
        ARG(self);
        ARG("--root");
        ARG(a->opts->inspect.root);
        if (a->opts->state_dir) {
                ARG("--state-dir");
                ARG(a->opts->state_dir);
        }
        if (rollback_id) {
                ARG("--rollback");
                ARG(rollback_id);
        } else
                ARG("--recover");
        ARG("--yes");
        ARG("--json");
        if (a->opts->inspect.system_only)
                ARG("--system-only");
#undef ARG
        pthread_mutex_lock(&a->lock);
        a->rec = (rec_view){.running = true, .rollback = !!rollback_id, .exit_code = -1};
        if (rollback_id)
                snprintf(a->rec.id, sizeof(a->rec.id), "%s", rollback_id);
        pthread_mutex_unlock(&a->lock);
        r = jobs_start_worker(a, JOB_CHILD, child_main);
        if (r < 0)
                goto fail;
        return 0;
nomem:
        r = -ENOMEM;
fail:
        for (size_t i = 0; i < ELEMENTSOF(a->child_argv); i++)
                free(a->child_argv[i]), a->child_argv[i] = NULL;
        return r;
}
