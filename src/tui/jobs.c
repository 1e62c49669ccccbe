/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Long work off the main thread, so keys and redraws never wait for it: an
 * inspection (rescan) or a self-test run, one at a time, in a worker thread
 * that reports through a lock-protected slot and a byte on a pipe the main
 * loop polls. Signals are blocked in the worker, so they reach the main
 * thread's poll().
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "base/util.h"
#include "recover/journal.h"
#include "selftest_cmd.h"

void jobs_wake(tui_app *a)
{
        (void)!write(a->wake[1], "x", 1);
}

static void *scan_main(void *p)
{
        tui_app *a = p;
        inspection *in = NULL;
        plan *pl = NULL;
        json_object *hist = NULL;
        char *pf = NULL;
        int r = inspect_run(&a->inspect, &in), rp = -ENODATA;

        if (r >= 0) {
                plan_options po = {.system_only = a->inspect.system_only};
                rp = plan_build(in, &po, &pl);
                /* what goes on screen is recorded: the confirmed run checks its files against it */
                if (rp >= 0 && (rp = plan_seal(in->sr, pl)) < 0)
                        pl = plan_free(pl);
        }
        /* The inspection and its plan go on screen now; the rest follows. */
        pthread_mutex_lock(&a->lock);
        a->scan_result = r < 0 ? NULL : in;
        a->scan_result_error = r < 0 ? r : 0;
        a->scan_plan = rp < 0 ? NULL : pl;
        a->scan_plan_error = rp < 0 ? rp : 0;
        a->scan_ready = true;
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);

        /* the gate's preview, the journal's runs and the profiles: all only read */
        if (pl)
                pf = preflight_view_line(a, in, pl);
        if (a->state_dir && journal_history(a->state_dir, &hist) < 0)
                hist = NULL;
        profiles_load(a);

        pthread_mutex_lock(&a->lock);
        a->scan_history = hist;
        a->scan_preflight = pf;
        a->job_done = true;
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
        return NULL;
}

static void copy_str(char *dst, size_t size, const char *s)
{
        snprintf(dst, size, "%s", s ? s : "");
}

/* The self-test's progress callback, in the worker thread. */
static void on_progress(const selftest_progress *p, void *userdata)
{
        tui_app *a = userdata;
        st_view *v = &a->st;

        pthread_mutex_lock(&a->lock);
        switch (p->kind) {
        case SELFTEST_PROGRESS_START:
                v->total = p->total_cases;
                break;
        case SELFTEST_PROGRESS_CASE_START:
        case SELFTEST_PROGRESS_HEARTBEAT:
        case SELFTEST_PROGRESS_CASE:
                if (p->index < 0 || p->index >= ST_MAX_CASES)
                        break;
                if ((unsigned)p->index >= v->n_cases)
                        v->n_cases = (unsigned)p->index + 1;
                v->current = p->index;
                if (p->name)
                        copy_str(v->cases[p->index].name, sizeof(v->cases[p->index].name), p->name);
                if (p->kind == SELFTEST_PROGRESS_HEARTBEAT) {
                        v->cases[p->index].fraction = p->fraction;
                        v->heartbeats++;
                }
                if (p->kind == SELFTEST_PROGRESS_CASE) {
                        st_case *c = &v->cases[p->index];
                        c->done = true;
                        c->pass = p->pass;
                        c->fraction = 1;
                        c->gflops = p->gflops;
                        c->ms = p->ms;
                        if (p->pass)
                                v->passed++;
                        else
                                v->failed++;
                        if (p->gflops > v->best_gflops)
                                v->best_gflops = p->gflops;
                        v->current = -1;
                }
                break;
        case SELFTEST_PROGRESS_DONE:
                copy_str(v->outcome, sizeof(v->outcome), p->outcome);
                copy_str(v->reason, sizeof(v->reason), p->reason);
                v->exit_code = p->exit_code;
                v->kernel_log_readable = p->kernel_log_readable;
                v->cancelled = p->cancelled;
                v->largest_passed = p->largest_size_passed;
                v->first_failed = p->first_failed_size;
                if (p->passed || p->failed) {
                        v->passed = p->passed;
                        v->failed = p->failed;
                }
                break;
        }
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
}

static void *selftest_main(void *p)
{
        tui_app *a = p;
        selftest_cli c = {
                .root = a->inspect.root,
                .state_dir = a->opts->state_dir,
                .datadir = a->opts->datadir,
                .sweep = a->st_standard ? "standard" : "quick",
                .backend = a->st_hip ? "hip" : "cpu",
                .progress = on_progress,
                .progress_userdata = a,
                /* main thread fields, left alone while the run goes on */
                .framework = a->st_framework ? a->st_python : NULL,
                .profile = a->st_framework && a->st_profile[0] ? a->st_profile : NULL,
                .cancel = &a->st_cancel,
                .as_root = a->opts->selftest_as_root,
        };

        (void)selftest_run_cli(&c);
        pthread_mutex_lock(&a->lock);
        a->st.running = false;
        a->st.finished = true;
        a->job_done = true;
        pthread_mutex_unlock(&a->lock);
        jobs_wake(a);
        return NULL;
}

static int start(tui_app *a, job_kind kind, void *(*fn)(void *), void *arg)
{
        sigset_t all, old;
        int r;

        if (a->job != JOB_NONE)
                return -EBUSY;
        a->job_done = false;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&a->worker, NULL, fn, arg);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        a->job = kind;
        return 0;
}

int jobs_start_scan(tui_app *a)
{
        return start(a, JOB_SCAN, scan_main, a);
}

int jobs_start_worker(tui_app *a, job_kind kind, void *(*fn)(void *), void *arg)
{
        return start(a, kind, fn, arg);
}

int jobs_start_selftest(tui_app *a)
{
        pthread_mutex_lock(&a->lock);
        a->st = (st_view){.running = true, .current = -1, .framework = a->st_framework,
                          .largest_passed = -1, .first_failed = -1};
        pthread_mutex_unlock(&a->lock);
        a->st_list = (list_state){0};
        a->st_cancel = false;
        a->st_cancel_armed = false;
        return start(a, JOB_SELFTEST, selftest_main, a);
}

void jobs_collect(tui_app *a)
{
        char buf[64];
        bool done, ready;

        while (read(a->wake[0], buf, sizeof(buf)) > 0)
                ;
        a->dirty = true;
        pthread_mutex_lock(&a->lock);
        done = a->job_done;
        ready = a->job == JOB_SCAN && a->scan_ready;
        a->scan_ready = false;
        pthread_mutex_unlock(&a->lock);
        if (ready) {
                /* the worker is past these fields: they are ours now */
                a->scans++;
                a->scan_error = a->scan_result_error;
                plan_free(a->plan);
                a->plan = TAKE_PTR(a->scan_plan);
                free(a->preflight);
                a->preflight = NULL;
                a->plan_error = a->scan_plan_error;
                a->rec_list.sel = a->rec_list.top = 0;
                if (a->scan_result) {
                        inspection_free(a->in);
                        a->in = TAKE_PTR(a->scan_result);
                        /* keep the selection in range of the new list */
                        a->findings.sel = 0;
                        a->findings.top = 0;
                        a->findings_detail = false;
                        telemetry_refresh(a);
                }
        }
        if (a->job == JOB_NONE || !done)
                return;
        pthread_join(a->worker, NULL);
        if (a->job == JOB_SCAN) {
                json_object_put(a->history);
                a->history = TAKE_PTR(a->scan_history);
                free(a->preflight);
                a->preflight = TAKE_PTR(a->scan_preflight);
        }
        if (a->job == JOB_PROFILE) {
                bool installed;

                pthread_mutex_lock(&a->lock);
                installed = streq(a->prof.what, "install");
                pthread_mutex_unlock(&a->lock);
                if (installed) {
                        a->nav.rescan = true; /* the environment changed */
                        demo_view_follow_copy(a);
                }
        }
        if (a->job == JOB_CHILD) {
                for (size_t i = 0; i < ELEMENTSOF(a->child_argv); i++)
                        free(a->child_argv[i]), a->child_argv[i] = NULL;
                if (a->reviewed_plan)
                        (void)unlink(a->reviewed_plan); /* used once: the journal keeps what ran */
                free(a->reviewed_plan);
                a->reviewed_plan = NULL;
                a->nav.rescan = true; /* the machine changed: look again */
                demo_view_follow_copy(a);
        }
        a->job = JOB_NONE;
}
