/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --recover [--dry-run] [--resume], --rollback ID, --history: the front end
 * of the planner, the journal and the executor. Decides and prints; the
 * core never does.
 */

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/statvfs.h>

#include "base/fault.h"
#include "base/log.h"
#include "base/util.h"
#include "check/inspect.h"
#include "recover/executor.h"
#include "recover/journal.h"
#include "recover/plan.h"
#include "config.h"
#include "recover_cmd.h"
#include "recover_gate.h"
#include "syslog_summary.h"

#define RECOVER_SCHEMA "rdna1-doctor/recover/1"

/* Strings from the plan and the journal came from inspected files: escaped for the terminal. */
static char *esc(const char *s, size_t max)
{
        return escape_untrusted(s ? s : "", s ? strlen(s) : 0, max);
}

static void print_escaped(FILE *f, const char *prefix, const char *s)
{
        _cleanup_free_ char *e = esc(s, 0);

        fprintf(f, "%s%s\n", prefix, e ? e : "?");
}

static int print_json(json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (!s)
                return -ENOMEM;
        if (fputs(s, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout) != 0)
                return -EIO;
        return 0;
}

static void print_plan_text(FILE *f, const plan *p)
{
        _cleanup_free_ char *root = esc(p->root, 0);

        bool kernel = false;

        for (size_t i = 0; i < p->n_actions; i++)
                kernel |= p->actions[i].kernel_side;
        fprintf(f, "Recovery plan for %s: %zu step%s%s%s\n", root ? root : "?", p->n_actions,
                p->n_actions == 1 ? "" : "s", kernel ? ", kernel side: " : "",
                !kernel ? "" : p->in_tree ? "remove the DKMS amdgpu, the in-tree one loads" : "rebuild where possible");
        for (size_t i = 0; i < p->n_actions; i++) {
                const plan_action *a = &p->actions[i];
                _cleanup_free_ char *path = esc(a->path       ? a->path
                                                : a->kernel ? a->kernel
                                                : a->package ? a->package
                                                             : "", 0);

                fprintf(f, "  %zu. %-17s %s", i + 1, action_type_to_string(a->type), path ? path : "?");
                if (a->line)
                        fprintf(f, ":%u", a->line);
                fprintf(f, "  [%s]%s%s\n", a->finding_id ? a->finding_id : "-", a->irreversible ? " (irreversible)" : "",
                        a->in_home ? " (as the file's owner)" : "");
                print_escaped(f, "     why:   ", a->why);
                if (a->type == ACTION_REINSTALL_PACKAGE && a->source_path) {
                        _cleanup_free_ char *src = esc(a->source_path, 0);

                        fprintf(f, "     from:  %s (dpkg -i, maintainer scripts run)\n", src ? src : "?");
                }
                if (a->type == ACTION_RESTORE_FILE && a->source != SOURCE_NONE) {
                        _cleanup_free_ char *src = esc(a->source_path, 0);

                        fprintf(f, "     from:  %s (%s, md5 %s verified)\n", src ? src : "?",
                                source_kind_to_string(a->source), a->expected_md5);
                }
                for (size_t k = 0; k < a->n_touches; k++)
                        print_escaped(f, "     touches: ", a->touches[k]);
                print_escaped(f, "     undo:  ", a->undo);
                if (a->blocked)
                        print_escaped(f, "     BLOCKED: ", a->blocked_reason);
        }
        for (size_t i = 0; i < p->n_notes; i++)
                print_escaped(f, "  note: ", p->notes[i]);
        if (p->reboot_required)
                fprintf(f, "A reboot is needed after the kernel-side steps.\n");
}

static int read_plan_file(const char *path, const char *root, plan **ret)
{
        json_object *o = json_object_from_file(path);
        plan *p = NULL;
        int r;

        if (!o)
                return -EBADMSG;
        r = plan_from_json(o, &p);
        json_object_put(o);
        if (r < 0)
                return r;
        free(p->root);
        p->root = strdup(root);
        if (!p->root) {
                plan_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

static int make_plan(const recover_cli *c, plan **ret)
{
        inspect_options io = {.root = c->root, .datadir = c->datadir, .state_dir = c->state_dir,
                              .system_only = c->system_only};
        plan_options po = {.in_tree = c->in_tree, .system_only = c->system_only};
        inspection *in = NULL;
        int r;

        if (c->plan_file)
                return read_plan_file(c->plan_file, c->root, ret);
        if (c->reviewed_plan) {
                plan *p = NULL;

                r = plan_reviewed_load(c->reviewed_plan, &p);
                if (r < 0)
                        return r;
                free(p->root);
                p->root = strdup(c->root);
                if (!p->root) {
                        plan_free(p);
                        return -ENOMEM;
                }
                *ret = p;
                return 0;
        }
        r = inspect_run(&io, &in);
        if (r < 0)
                return r;
        r = plan_build(in, &po, ret);
        inspection_free(in);
        return r;
}

/* The lock's directory: /run for the host, the state dir with --root/--state-dir. */
static char *lock_dir(const recover_cli *c, const char *state)
{
        if (!c->state_dir && streq(c->root, "/"))
                return strdup("/run/rdna1-doctor");
        return strdup(state);
}

static bool root_read_only(const char *root)
{
        struct statvfs sv;

        return statvfs(root, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static bool ask(const char *question, const char *answer)
{
        char line[64];

        fprintf(stderr, "%s", question);
        fflush(stderr);
        if (!fgets(line, sizeof(line), stdin))
                return false;
        line[strcspn(line, "\n")] = 0;
        return streq(strstrip(line), answer);
}

static bool on_tty(void)
{
        return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

static int take_lock(const recover_cli *c, const char *state, int *ret_fd)
{
        _cleanup_free_ char *dir = lock_dir(c, state);
        int r;

        if (!dir)
                return -ENOMEM;
        r = journal_lock(dir, ret_fd);
        if (r == -EBUSY)
                fprintf(stderr, "rdna1-doctor: another recovery is running (%s/recover.lock is held); one at a time.\n",
                        dir);
        else if (r < 0)
                log_error_errno(r, "cannot take the lock in %s", dir);
        return r;
}

static int report_run(const recover_cli *c, journal *j, exec_report *rep, bool rollback)
{
        int code;

        if (rollback)
                code = rep->skipped || rep->failed ? EXIT_RECOVER_PARTIAL : EXIT_RECOVER_DONE;
        else if (rep->unreviewed)
                code = EXIT_RECOVER_REFUSED; /* a file was not what the confirmed plan showed */
        else
                code = rep->failed ? EXIT_RECOVER_PARTIAL : rep->kernel_changed ? EXIT_RECOVER_REBOOT : EXIT_RECOVER_DONE;
        if (c->json) {
                json_object *o = json_object_new_object(), *msgs = json_object_new_array();

                if (!o || !msgs) {
                        json_object_put(o);
                        json_object_put(msgs);
                        return EXIT_RECOVER_UNKNOWN;
                }
                json_object_object_add(o, "schema", json_object_new_string(RECOVER_SCHEMA));
                json_object_object_add(o, "id", json_object_new_string(journal_id(j)));
                json_object_object_add(o, "operation", json_object_new_string(rollback ? "rollback" : "recover"));
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(journal_status(j))));
                json_object_object_add(o, "exit_code", json_object_new_int(code));
                json_object_object_add(o, "steps_done", json_object_new_int64((int64_t)rep->done));
                json_object_object_add(o, "steps_failed", json_object_new_int64((int64_t)rep->failed));
                json_object_object_add(o, "files_skipped", json_object_new_int64((int64_t)rep->skipped));
                json_object_object_add(o, "reboot_required", json_object_new_boolean(rep->kernel_changed));
                for (size_t i = 0; i < rep->messages.n; i++) {
                        _cleanup_free_ char *e = esc(rep->messages.items[i], 0);

                        json_object_array_add(msgs, json_object_new_string(e ? e : "?"));
                }
                json_object_object_add(o, "messages", msgs);
                if (print_json(o) < 0)
                        code = EXIT_RECOVER_UNKNOWN;
                json_object_put(o);
                return code;
        }
        /* the messages were printed as they came (print_live) */
        if (rollback)
                printf("%s %s: %zu step%s rolled back%s.\n", code ? "Partial rollback of" : "Rolled back", journal_id(j),
                       rep->done, rep->done == 1 ? "" : "s",
                       rep->skipped ? ", files changed since were skipped (listed above)" : "");
        else if (code == EXIT_RECOVER_REFUSED)
                printf("Refused: %zu step%s found a file that is not the one the plan showed (listed above); %zu done. "
                       "Journal %s: 'rdna1-doctor --rollback %s' undoes what was done; look at the new plan "
                       "('rdna1-doctor --recover') and confirm that one.\n",
                       rep->unreviewed, rep->unreviewed == 1 ? "" : "s", rep->done, journal_id(j), journal_id(j));
        else if (code == EXIT_RECOVER_PARTIAL)
                printf("Partial recovery: %zu done, %zu refused or failed. Journal %s: "
                       "'rdna1-doctor --recover --resume' retries, 'rdna1-doctor --rollback %s' undoes.\n",
                       rep->done, rep->failed, journal_id(j), journal_id(j));
        else
                printf("Recovery done (%zu step%s, journal %s)%s\n", rep->done, rep->done == 1 ? "" : "s", journal_id(j),
                       code == EXIT_RECOVER_REBOOT ? ": reboot to load the clean driver." : ".");
        return code;
}

/*
 * The newest run, when it did not finish (running or partial). An older
 * partial run is not resumed behind a newer one's back.
 */
static int find_resumable(const char *state, char **ret)
{
        json_object *h = NULL, *runs, *run, *st, *id;
        int r;

        r = journal_history(state, &h);
        if (r < 0)
                return r;
        r = -ENOENT;
        if (json_object_object_get_ex(h, "runs", &runs) && json_object_array_length(runs) > 0 &&
            (run = json_object_array_get_idx(runs, 0)) && json_object_object_get_ex(run, "status", &st) &&
            json_object_object_get_ex(run, "id", &id) &&
            (streq(json_object_get_string(st), "running") || streq(json_object_get_string(st), "partial"))) {
                *ret = strdup(json_object_get_string(id));
                r = *ret ? 0 : -ENOMEM;
        }
        json_object_put(h);
        return r;
}

/* The run a --recover/--resume/--rollback acted on, for its system-log line. */
static char logged_run_id[64];

static const char *recover_exit_meaning(int code)
{
        switch (code) {
        case EXIT_RECOVER_DONE:
                return "done";
        case EXIT_RECOVER_REBOOT:
                return "done, reboot required";
        case EXIT_RECOVER_PARTIAL:
                return "partial";
        case EXIT_RECOVER_REFUSED:
                return "refused";
        default:
                return "nothing could be checked";
        }
}

/* Text mode: each step's outcome and the progress of long steps as they happen. */
static void print_live(const char *line, void *userdata)
{
        (void)userdata;
        print_escaped(stdout, "  ", line);
        fflush(stdout);
}

static int run_journal(const recover_cli *c, const sysroot *sr, journal *j, bool rollback, const kernel_ctx *kc)
{
        bool live = !c->json && !c->quiet;
        kernel_ctx k = kc ? *kc : (kernel_ctx){0};
        exec_options eo = {.sr = sr, .kernel_allowed = sr->is_host && streq(c->root, "/"),
                           .force_kernel = c->force_kernel, .kernel = kc ? &k : NULL};
        exec_report rep = {.on_line = live ? print_live : NULL};
        pid_t pid;
        int r, code;

        k.on_progress = rep.on_line;

        snprintf(logged_run_id, sizeof(logged_run_id), "%s", journal_id(j));
        r = executor_check_orphans(j, &pid);
        if (r == -EBUSY) {
                fprintf(stderr, "rdna1-doctor: process %d of run %s is still running; wait for it (or end it) first.\n",
                        (int)pid, journal_id(j));
                return EXIT_RECOVER_REFUSED;
        }
        r = rollback ? executor_rollback(j, &eo, &rep) : executor_run(j, &eo, &rep);
        if (r < 0) {
                for (size_t i = 0; !live && i < rep.messages.n; i++)
                        print_escaped(stderr, "  ", rep.messages.items[i]);
                fprintf(stderr, "rdna1-doctor: the journal of %s could not be written (%s); stopped. "
                                "'rdna1-doctor --recover --resume' continues once that is fixed.\n",
                        journal_id(j), strerror(-r));
                exec_report_clear(&rep);
                return EXIT_RECOVER_PARTIAL;
        }
        code = report_run(c, j, &rep, rollback);
        exec_report_clear(&rep);
        return code;
}

/* Does a --resume (or a --rollback) of this step have anything to do? */
static bool step_left(const journal_step *s, bool rollback)
{
        if (rollback)
                return s->state != STEP_PENDING && s->state != STEP_ROLLED_BACK;
        return s->state != STEP_DONE && s->state != STEP_ROLLED_BACK;
}

static const char *step_preview(const plan_action *a, const journal_step *s, bool rollback)
{
        if (!rollback)
                return s->state == STEP_APPLIED ? "changed already: recorded as done" : "would run";
        if (a->irreversible)
                return "irreversible: left as it is";
        if (a->kernel_side)
                return "kernel side: on the running system only, after a typed confirmation or --yes --force-kernel";
        return "would be put back (a file changed since is skipped)";
}

/*
 * --recover --resume --dry-run and --rollback ID --dry-run: the steps of
 * run j that would be resumed, or undone newest first. Reads the journal
 * only: no lock is taken, nothing is written.
 */
static int print_journal_preview(const recover_cli *c, const journal *j, bool rollback)
{
        size_t n = journal_n_steps(j), left = 0;

        for (size_t i = 0; i < n; i++)
                left += step_left(journal_get_step(j, i), rollback);
        if (c->json) {
                json_object *o = json_object_new_object(), *steps = json_object_new_array();
                int r = 0;

                if (!o || !steps) {
                        json_object_put(o);
                        json_object_put(steps);
                        return EXIT_RECOVER_UNKNOWN;
                }
                json_object_object_add(o, "schema", json_object_new_string(RECOVER_SCHEMA));
                json_object_object_add(o, "id", json_object_new_string(journal_id(j)));
                json_object_object_add(o, "operation", json_object_new_string(rollback ? "rollback" : "resume"));
                json_object_object_add(o, "dry_run", json_object_new_boolean(true));
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(journal_status(j))));
                for (size_t k = n; k > 0; k--) {
                        size_t i = rollback ? k - 1 : n - k;
                        const plan_action *a = &journal_plan(j)->actions[i];
                        const journal_step *s = journal_get_step(j, i);
                        _cleanup_free_ char *path = esc(a->path ? a->path : a->kernel ? a->kernel : a->package, 0);
                        json_object *st = json_object_new_object();

                        if (!step_left(s, rollback))
                                continue;
                        if (!st) {
                                r = -ENOMEM;
                                break;
                        }
                        json_object_object_add(st, "step", json_object_new_int64((int64_t)i + 1));
                        json_object_object_add(st, "action", json_object_new_string(action_type_to_string(a->type)));
                        json_object_object_add(st, "path", path ? json_object_new_string(path) : NULL);
                        json_object_object_add(st, "state", json_object_new_string(step_state_to_string(s->state)));
                        json_object_object_add(st, "kernel_side", json_object_new_boolean(a->kernel_side));
                        json_object_object_add(st, "irreversible", json_object_new_boolean(a->irreversible));
                        json_object_array_add(steps, st);
                }
                json_object_object_add(o, "steps", steps);
                if (r >= 0)
                        r = print_json(o);
                json_object_put(o);
                return r < 0 ? EXIT_RECOVER_UNKNOWN : EXIT_RECOVER_DONE;
        }
        if (c->quiet)
                return EXIT_RECOVER_DONE;
        printf("%s %s (%s): %zu step%s%s\n", rollback ? "Rolling back" : "Resuming", journal_id(j),
               run_status_to_string(journal_status(j)), left, left == 1 ? "" : "s",
               !left ? "" : rollback ? ", newest first:" : " left:");
        for (size_t k = n; k > 0; k--) {
                size_t i = rollback ? k - 1 : n - k;
                const plan_action *a = &journal_plan(j)->actions[i];
                const journal_step *s = journal_get_step(j, i);
                _cleanup_free_ char *path = esc(a->path ? a->path : a->kernel ? a->kernel : a->package, 0);

                if (!step_left(s, rollback))
                        continue;
                printf("  %zu. %-17s %s  [%s] %s\n", i + 1, action_type_to_string(a->type), path ? path : "?",
                       step_state_to_string(s->state), step_preview(a, s, rollback));
                for (size_t f = 0; rollback && f < s->n_files; f++)
                        print_escaped(stdout, "     file: ", s->files[f].path);
        }
        printf("Dry run: nothing was changed.\n");
        return EXIT_RECOVER_DONE;
}

static int cmd_history(const recover_cli *c, const char *state)
{
        json_object *h = NULL, *runs;
        int r;

        r = journal_history(state, &h);
        if (r < 0) {
                log_error_errno(r, "cannot list the journal");
                return EXIT_RECOVER_UNKNOWN;
        }
        if (c->json) {
                r = print_json(h);
                json_object_put(h);
                return r < 0 ? EXIT_RECOVER_UNKNOWN : 0;
        }
        json_object_object_get_ex(h, "runs", &runs);
        if (json_object_array_length(runs) == 0)
                printf("No recovery has run on this root.\n");
        for (size_t i = 0; i < json_object_array_length(runs); i++) {
                json_object *run = json_object_array_get_idx(runs, i), *v;
                const char *id = "", *st = "";
                int64_t done = 0, total = 0;

                if (json_object_object_get_ex(run, "id", &v))
                        id = json_object_get_string(v);
                if (json_object_object_get_ex(run, "status", &v))
                        st = json_object_get_string(v);
                if (json_object_object_get_ex(run, "steps_done", &v))
                        done = json_object_get_int64(v);
                if (json_object_object_get_ex(run, "steps_total", &v))
                        total = json_object_get_int64(v);
                printf("%-22s %-13s %" PRId64 "/%" PRId64 " steps done\n", id, st, done, total);
        }
        json_object_put(h);
        return 0;
}

static int cmd_rollback(const recover_cli *c, const sysroot *sr, const char *state)
{
        _cleanup_close_ int lock = -EBADF;
        journal *j = NULL;
        bool kernel = false;
        int r, code;

        if (!c->dry_run && take_lock(c, state, &lock) < 0)
                return EXIT_RECOVER_REFUSED;
        r = journal_open(state, c->rollback_id, &j);
        if (r < 0) {
                _cleanup_free_ char *id = esc(c->rollback_id, 64);

                fprintf(stderr, "rdna1-doctor: no readable recovery '%s' in %s/journal: %s ('--history' lists them).\n",
                        id ? id : "?", state, strerror(-r));
                return EXIT_RECOVER_UNKNOWN;
        }
        if (c->dry_run) {
                code = print_journal_preview(c, j, true);
                journal_free(j);
                return code;
        }
        for (size_t i = 0; i < journal_n_steps(j); i++) {
                step_state st = journal_get_step(j, i)->state;

                if (journal_plan(j)->actions[i].kernel_side && st != STEP_PENDING && st != STEP_ROLLED_BACK &&
                    !(st == STEP_FAILED && journal_get_step(j, i)->n_files == 0))
                        kernel = true;
        }
        if (kernel && !c->force_kernel) {
                if (!on_tty()) {
                        fprintf(stderr, "rdna1-doctor: run %s changed kernel modules or an initramfs; rolling that back "
                                        "needs a typed confirmation on a terminal, or --yes --force-kernel.\n", journal_id(j));
                        journal_free(j);
                        return EXIT_RECOVER_REFUSED;
                }
                if (!ask("This puts the patched kernel modules and initramfs back. Type 'rollback kernel' to go on: ",
                         "rollback kernel")) {
                        fprintf(stderr, "rdna1-doctor: not confirmed; nothing was changed.\n");
                        journal_free(j);
                        return EXIT_RECOVER_REFUSED;
                }
        } else if (kernel && !c->yes) {
                fprintf(stderr, "rdna1-doctor: --force-kernel goes with --yes.\n");
                journal_free(j);
                return EXIT_RECOVER_REFUSED;
        }
        code = run_journal(c, sr, j, true, NULL);
        journal_free(j);
        return code;
}

static int cmd_resume(const recover_cli *c, const sysroot *sr, const char *state)
{
        _cleanup_close_ int lock = -EBADF;
        _cleanup_free_ char *id = NULL;
        journal *j = NULL;
        int r, code;

        if (!c->dry_run && take_lock(c, state, &lock) < 0)
                return EXIT_RECOVER_REFUSED;
        r = find_resumable(state, &id);
        if (r == -ENOENT) {
                printf("No interrupted recovery to resume in %s/journal.\n", state);
                return EXIT_RECOVER_DONE;
        }
        if (r >= 0)
                r = journal_open(state, id, &j);
        if (r < 0) {
                log_error_errno(r, "cannot read the journal in %s", state);
                return EXIT_RECOVER_UNKNOWN;
        }
        if (c->dry_run) {
                code = print_journal_preview(c, j, false);
                journal_free(j);
                return code;
        }
        if (!c->json && !c->quiet)
                printf("Resuming %s.\n", journal_id(j));
        {
                recover_gate g;

                code = recover_gate_run(c, sr, journal_plan(j), state, &g);
                if (code == 0)
                        code = run_journal(c, sr, j, false, recover_gate_kernel(&g));
                recover_gate_clear(&g);
        }
        journal_free(j);
        return code;
}

/*
 * The plan that was shown is the plan that runs: the files it touches are
 * compared with what they were when it was shown (the TUI's reviewed plan,
 * or the question on a terminal); any difference refuses the whole run.
 */
static int check_reviewed(const sysroot *sr, const plan *p)
{
        strv changed = {0};
        int r;

        r = plan_seal_check(sr, p, &changed);
        if (r < 0) {
                log_error_errno(r, "cannot compare the files of the plan with what was shown");
                strv_clear(&changed);
                return EXIT_RECOVER_REFUSED;
        }
        if (r == 0)
                return 0;
        fprintf(stderr, "rdna1-doctor: %d file%s changed since the plan was shown; nothing was changed:\n", r,
                r == 1 ? "" : "s");
        for (size_t i = 0; i < changed.n; i++)
                print_escaped(stderr, "  ", changed.items[i]);
        fprintf(stderr, "rdna1-doctor: look at the new plan ('rdna1-doctor --recover', or screen 3 of the view) "
                        "and confirm that one.\n");
        strv_clear(&changed);
        return EXIT_RECOVER_REFUSED;
}

static int cmd_recover(const recover_cli *c, const sysroot *sr, const char *state)
{
        _cleanup_close_ int lock = -EBADF;
        plan *p = NULL;
        journal *j = NULL;
        size_t runnable = 0;
        int r, code;

        if (c->reviewed_plan && (c->plan_file || c->dry_run)) {
                fprintf(stderr, "rdna1-doctor: --reviewed-plan runs a plan that was shown; it goes with neither "
                                "--plan-file nor --dry-run.\n");
                return EXIT_RECOVER_REFUSED;
        }
        r = make_plan(c, &p);
        if (c->reviewed_plan && r < 0 && r != -ENOMEM) {
                _cleanup_free_ char *path = esc(c->reviewed_plan, 0);

                fprintf(stderr, "rdna1-doctor: %s is not a reviewed plan this run may use (%s): it must be a plan "
                                "the view stored, in a directory only %s can write; nothing was changed.\n",
                        path ? path : "?", r == -EPERM ? "owned or writable by someone else"
                                           : r == -ELOOP ? "a symbolic link is on its path" : strerror(-r),
                        geteuid() == 0 ? "root" : "this user");
                return EXIT_RECOVER_REFUSED;
        }
        /* asked on a terminal: what is shown now is recorded, and checked once confirmed */
        if (r >= 0 && !c->reviewed_plan && !c->plan_file && !c->yes && !c->dry_run && on_tty()) {
                r = plan_seal(sr, p);
                if (r < 0)
                        plan_free(p);
        }
        if (r == -EBADMSG && !c->plan_file) {
                fprintf(stderr, "rdna1-doctor: cannot load the patch signatures from %s/signatures.\n", c->datadir);
                return EXIT_RECOVER_UNKNOWN;
        }
        if (r < 0) {
                log_error_errno(r, "cannot plan a recovery of '%s'", c->root);
                return EXIT_RECOVER_UNKNOWN;
        }
        if (c->json && c->dry_run) {
                json_object *o = NULL;

                r = plan_to_json(p, &o);
                if (r >= 0)
                        r = print_json(o);
                json_object_put(o);
                plan_free(p);
                return r < 0 ? EXIT_RECOVER_UNKNOWN : EXIT_RECOVER_DONE;
        }
        if (!c->json && !c->quiet)
                print_plan_text(stdout, p);
        for (size_t i = 0; i < p->n_actions; i++)
                runnable += !p->actions[i].blocked;
        if (c->dry_run) {
                if (!c->json && !c->quiet)
                        printf("Dry run: nothing was changed.\n");
                plan_free(p);
                return EXIT_RECOVER_DONE;
        }
        if (p->n_actions == 0) {
                if (!c->json)
                        printf("Nothing to recover.\n");
                plan_free(p);
                return EXIT_RECOVER_DONE;
        }
        /* --remount-rw: the preflight gate remounts (only with --root /) or says why not. */
        if (!c->remount_rw && root_read_only(c->root)) {
                _cleanup_free_ char *root = esc(c->root, 0);

                fprintf(stderr, "rdna1-doctor: %s is mounted read-only (recovery mode); nothing was changed. "
                                "Remount it first:\n    mount -o remount,rw %s\n",
                        root ? root : "?", root ? root : "?");
                plan_free(p);
                return EXIT_RECOVER_REFUSED;
        }
        if (runnable == 0) {
                fprintf(stderr, "rdna1-doctor: every step is blocked (see BLOCKED above); nothing was changed.\n");
                plan_free(p);
                return EXIT_RECOVER_PARTIAL;
        }
        if (!c->yes) {
                if (!on_tty()) {
                        fprintf(stderr, "rdna1-doctor: not on a terminal: add --yes to apply this plan "
                                        "(--dry-run shows it); nothing was changed.\n");
                        plan_free(p);
                        return EXIT_RECOVER_REFUSED;
                }
                if (!ask("Apply this plan? Type 'yes' to go on: ", "yes")) {
                        fprintf(stderr, "rdna1-doctor: not confirmed; nothing was changed.\n");
                        plan_free(p);
                        return EXIT_RECOVER_REFUSED;
                }
        }
        if (take_lock(c, state, &lock) < 0) {
                plan_free(p);
                return EXIT_RECOVER_REFUSED;
        }
        recover_gate g;
        code = recover_gate_run(c, sr, p, state, &g);
        if (code != 0) {
                plan_free(p);
                return code;
        }
        if (p->sealed) {
                code = check_reviewed(sr, p);
                if (code == 0 && plan_record_files(sr, p) < 0)
                        code = EXIT_RECOVER_REFUSED; /* -ENOMEM */
                if (code != 0) {
                        recover_gate_clear(&g);
                        plan_free(p);
                        return code;
                }
                /*
                 * Each step now checks its file against what was just compared: the
                 * same files as when shown, or, for the demo, their fresh private
                 * copies (whose device and inodes the plan could not know).
                 */
        }
        r = journal_create(state, p, &j);
        plan_free(p);
        if (r < 0) {
                fprintf(stderr, "rdna1-doctor: cannot start the journal in %s: %s; nothing was changed.\n", state,
                        strerror(-r));
                recover_gate_clear(&g);
                return EXIT_RECOVER_REFUSED;
        }
        if (!c->json && !c->quiet)
                printf("Journal %s (%s/journal/%s).\n", journal_id(j), state, journal_id(j));
        code = run_journal(c, sr, j, false, recover_gate_kernel(&g));
        recover_gate_clear(&g); /* drops the dpkg locks */
        journal_free(j);
        return code;
}

int recover_run_cli(const recover_cli *c)
{
        _cleanup_free_ char *state = NULL;
        sysroot *sr = NULL;
        int r, code;

#if RDNA1_TEST_HOOKS
        if (c->list_fault_points) {
                printf("# test only: RDNA1_DOCTOR_FAULT=NAME[@N|:ENOSPC|:EIO] kills the recovery at NAME\n");
                for (const char *const *n = fault_point_names; *n; n++)
                        printf("%s\n", *n);
                return 0;
        }
#endif
        r = journal_state_dir(c->root, c->state_dir, &state);
        if (r < 0)
                return EXIT_RECOVER_UNKNOWN;
        if (c->history)
                return cmd_history(c, state);
        r = sysroot_open(c->root, &sr);
        if (r < 0) {
                log_error_errno(r, "cannot open the root '%s'", c->root);
                return EXIT_RECOVER_UNKNOWN;
        }
        if (c->rollback_id)
                code = cmd_rollback(c, sr, state);
        else if (c->resume)
                code = cmd_resume(c, sr, state);
        else
                code = cmd_recover(c, sr, state);
        if (!c->dry_run)
                syslog_summary(sr->is_host && streq(c->root, "/"), c->rollback_id ? "rollback" : "recover",
                               "%s%s%s: exit %d (%s)", c->resume ? "resume" : c->rollback_id ? "rollback" : "recover",
                               logged_run_id[0] ? " of run " : "", logged_run_id, code, recover_exit_meaning(code));
        sysroot_free(sr);
        return code;
}
