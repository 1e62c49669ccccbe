/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rdna1-doctor: command-line front end. The command table (options.h)
 * parses the command line (args.h); this runs the command it names: the
 * core's inspection rendered as a report, or one of the commands' front ends.
 */
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "args.h"
#include "base/log.h"
#include "base/util.h"
#include "bundle_cmd.h"
#include "cache_dir.h"
#include "check/inspect.h"
#include "config.h"
#include "paths.h"
#include "demo_root.h"
#include "output.h"
#include "profile_cmd.h"
#include "recover_cmd.h"
#include "selftest_cmd.h"
#include "syslog_summary.h"
#include "textfile.h"
#include "tui.h"

#define EXIT_UNKNOWN 3

typedef struct cli {
        const char *root;
        const char *state_dir;
        const char *textfile;
        bool check, json, quiet, verbose, no_color, system_only, demo, summary;
        unsigned time_limit;
        bool selftest;
        selftest_cli st;
        recover_cli rc;
        bundle_cli bundle;
} cli;

/* The parsed command line (args.h) in the front ends' own structures. */
static void cli_from_args(const cli_args *a, cli *c)
{
        c->root = a->value[OPT_ROOT];
        c->state_dir = a->value[OPT_STATE_DIR];
        c->textfile = a->value[OPT_TEXTFILE];
        c->check = a->set[OPT_CHECK];
        c->json = a->set[OPT_JSON];
        c->quiet = a->set[OPT_QUIET];
        c->verbose = a->set[OPT_VERBOSE];
        c->no_color = a->set[OPT_NO_COLOR];
        c->system_only = a->set[OPT_SYSTEM_ONLY];
        c->demo = a->set[OPT_DEMO];
        c->summary = a->set[OPT_SUMMARY];
        c->time_limit = a->seconds[OPT_TIME_LIMIT];

        c->selftest = a->mode == CLI_SELFTEST;
        c->st.sweep = a->set[OPT_QUICK] ? "quick" : a->set[OPT_STANDARD] ? "standard" : NULL;
        c->st.stress_seconds = a->seconds[OPT_STRESS];
        c->st.backend = a->value[OPT_BACKEND];
        c->st.device = a->value[OPT_DEVICE];
        c->st.framework = a->value[OPT_FRAMEWORK];
        c->st.profile = a->value[OPT_PROFILE];
        c->st.as_root = a->set[OPT_AS_ROOT];
        c->st.inject_errors = a->set[OPT_INJECT_ERRORS];

        c->rc.recover = a->mode == CLI_RECOVER || a->mode == CLI_RESUME;
        c->rc.resume = a->mode == CLI_RESUME;
        c->rc.rollback_id = a->value[OPT_ROLLBACK];
        c->rc.history = a->mode == CLI_HISTORY;
        c->rc.list_fault_points = a->mode == CLI_FAULTS;
        c->rc.dry_run = a->set[OPT_DRY_RUN];
        c->rc.yes = a->set[OPT_YES];
        c->rc.remount_rw = a->set[OPT_REMOUNT_RW];
        c->rc.in_tree = a->set[OPT_IN_TREE];
        c->rc.force_kernel = a->set[OPT_FORCE_KERNEL];
        c->rc.plan_file = a->value[OPT_PLAN_FILE];
        c->rc.reviewed_plan = a->value[OPT_REVIEWED_PLAN];

        c->bundle.path = a->value[OPT_BUNDLE];
        c->bundle.safe_mode = a->set[OPT_SAFE_MODE];
        c->bundle.dry_run = a->set[OPT_DRY_RUN];
}

static int profile_from_args(const cli_args *a)
{
        profile_cli p = {
                .exec_mode = a->mode == CLI_EXEC,
                .action = a->mode == CLI_EXEC ? a->value[OPT_PROFILE] : a->action,
                .arg = a->mode == CLI_EXEC ? a->value[OPT_PROFILE] : a->action_arg,
                .root = a->value[OPT_ROOT],
                .state_dir = a->value[OPT_STATE_DIR],
                .device = a->value[OPT_DEVICE],
                .json = a->set[OPT_JSON],
                .quiet = a->set[OPT_QUIET],
                .as_root = a->set[OPT_AS_ROOT],
                .disable_conflicts = a->set[OPT_DISABLE_CONFLICTS],
                .demo = a->set[OPT_DEMO],
                .dry_run = a->set[OPT_DRY_RUN],
                .cmd = a->command,
        };

        return profile_run_cli(&p);
}

/* The caches' directory: --state-dir, else ROOT/var/cache/rdna1-doctor (cache_dir.h). */
static char *cache_dir(const cli *c, const char *root)
{
        if (c->state_dir)
                return strdup(c->state_dir);
        if (c->demo)
                return NULL; /* the installed demo is read-only: no cache */
        return cache_dir_open(root, c->verbose);
}

/* The options of the check that --textfile runs after --selftest or --recover. */
static inspect_options textfile_inspect_options(const cli *c)
{
        return (inspect_options){.root = c->root, .datadir = doctor_datadir(), .state_dir = c->state_dir,
                                 .system_only = c->system_only};
}

/* Remember the recovery's exit code (not for a dry run) and write the textfile if asked. */
static int after_recover(const cli *c, int code)
{
        inspect_options io = textfile_inspect_options(c);
        int r;

        if (!c->rc.recover)
                return code;
        if (!c->rc.dry_run) {
                r = textfile_record_recovery(c->root, c->state_dir, code);
                if (r < 0 && c->textfile)
                        fprintf(stderr, "rdna1-doctor: cannot record the recovery's result: %s.\n", strerror(-r));
        }
        if (c->textfile && textfile_check_and_write(c->textfile, &io) < 0 && code == 0)
                return EXIT_UNKNOWN;
        return code;
}

/* Remember the self-test's result for this backend and write the textfile if asked. */
static int after_selftest(const cli *c, int code, double gflops)
{
        inspect_options io = textfile_inspect_options(c);
        selftest_result s = {.exit_code = code, .gflops = gflops, .time = (int64_t)time(NULL)};
        const char *backend = c->st.framework ? "framework" : c->st.backend;
        int r;

        snprintf(s.backend, sizeof(s.backend), "%s", backend);
        snprintf(s.outcome, sizeof(s.outcome), "%s",
                 code == 0    ? "pass"
                 : code == 20 ? "wrong-result"
                 : code == 21 ? "crash"
                 : code == 22 ? "hang"
                 : code == 23 ? "gpu-reset"
                              : "not-run");
        r = textfile_record_selftest(c->root, c->state_dir, &s);
        /* Without --textfile, a root we may not write (a user's CPU run) just keeps no record. */
        if (r < 0 && c->textfile)
                fprintf(stderr, "rdna1-doctor: cannot record the self-test's result: %s.\n", strerror(-r));
        if (c->textfile && textfile_check_and_write(c->textfile, &io) < 0 && code == 0)
                return EXIT_UNKNOWN;
        return code;
}

/* --check --textfile: the check just made, with the recorded self-test and recovery results. */
static int check_textfile(const cli *c, const inspection *in, int code, uint64_t start)
{
        run_results rr;
        int r;

        if (textfile_read_results(in, c->state_dir, &rr) < 0)
                rr = (run_results){0};
        r = textfile_write(c->textfile, &(textfile_input){.in = in, .exit_code = code,
                                                          .duration_seconds = (double)(now_ms() - start) / 1000.0,
                                                          .completion_time = (int64_t)time(NULL), .results = &rr});
        if (r < 0)
                fprintf(stderr, "rdna1-doctor: cannot write %s/%s: %s.\n", c->textfile, TEXTFILE_NAME,
                        r == -EPERM ? "the directory belongs to another user" : strerror(-r));
        return r;
}

static void on_alarm(int sig)
{
        static const char msg[] = "rdna1-doctor: time limit reached, nothing was reported\n";

        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(EXIT_UNKNOWN);
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *demo_root = NULL, *demo_copy = NULL, *cache = NULL, *cachedir = NULL;
        cli c = {0};
        cli_args a;
        inspect_options io = {0};
        inspection *in = NULL;
        output_options oo;
        double gflops = 0;
        uint64_t start;
        int r, code;

        r = cli_args_parse(argc, argv, &a);
        if (r != 0)
                return r;
        if (a.set[OPT_HELP]) {
                cli_help_print(stdout);
                return EXIT_SUCCESS;
        }
        if (a.set[OPT_VERSION]) {
                printf("rdna1-doctor %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }
        if (a.mode & (CLI_PROFILE | CLI_INSTALL | CLI_EXEC))
                return profile_from_args(&a);
        cli_from_args(&a, &c);
        if (!c.root)
                c.root = "/";
        if (c.demo) {
                demo_root = strdup_printf("%s/demo", doctor_datadir());
                if (!demo_root)
                        return EXIT_UNKNOWN;
                c.root = demo_root;
        }
        if (c.rc.recover || c.rc.rollback_id || c.rc.history || c.rc.list_fault_points) {
                /* the installed demo is never written: a private copy is (demo_root.h) */
                if (c.demo) {
                        free(demo_copy);
                        demo_copy = NULL;
                        r = demo_root_for(demo_root, c.state_dir, c.rc.recover && !c.rc.dry_run && !c.rc.resume,
                                          c.rc.rollback_id || c.rc.history || c.rc.resume, &demo_copy);
                        if (r > 0)
                                return r;
                        c.root = demo_copy;
                }
                c.rc.root = c.root;
                c.rc.state_dir = c.state_dir;
                c.rc.datadir = doctor_datadir();
                c.rc.json = c.json;
                c.rc.quiet = c.quiet;
                c.rc.system_only = c.system_only;
                code = recover_run_cli(&c.rc);
                return after_recover(&c, code);
        }
        if (c.selftest) {
                c.st.root = c.root;
                c.st.state_dir = c.state_dir;
                c.st.datadir = doctor_datadir();
                c.st.json = c.json;
                c.st.quiet = c.quiet;
                if (!c.st.sweep)
                        c.st.sweep = "standard";
                if (!c.st.backend)
                        c.st.backend = "hip";
                if (c.time_limit) {
                        signal(SIGALRM, on_alarm);
                        alarm(c.time_limit);
                }
                c.st.ret_gflops = &gflops;
                r = selftest_run_cli(&c.st);
                r = after_selftest(&c, r, gflops);
                syslog_summary(streq(c.root, "/"), "selftest", "backend %s, sweep %s: exit %d (%s)", c.st.backend,
                               c.st.stress_seconds ? "stress" : c.st.sweep, r,
                               r == 0 ? "pass" : r == 20 ? "wrong result" : r == 21 ? "crash" : r == 22 ? "hang" :
                               r == 23 ? "GPU reset" : "could not run");
                return r;
        }
        if (c.time_limit) {
                signal(SIGALRM, on_alarm);
                alarm(c.time_limit);
        }

        /* a dry run writes nothing, not even a cache */
        cachedir = c.bundle.dry_run ? NULL : cache_dir(&c, c.root);
        if (cachedir)
                cache = strdup_printf("%s/ko-scan.cache", cachedir);
        io = (inspect_options){.root = c.root, .datadir = doctor_datadir(), .cache_path = cache, .state_dir = c.state_dir,
                              .cache_dir = cachedir, .system_only = c.system_only};
        if (c.bundle.path) {
                c.bundle.quiet = c.quiet;
                return bundle_run_cli(&c.bundle, &io);
        }
        /* No mode (or --demo) on a terminal: the interactive view. */
        if (!c.check && !c.textfile && !c.json && !c.quiet && !c.summary && !c.time_limit && tui_wanted()) {
                tui_options to = {.inspect = io, .datadir = doctor_datadir(), .state_dir = c.state_dir,
                                  .no_color = c.no_color, .demo = c.demo, .selftest_as_root = c.st.as_root};
                return tui_run(&to);
        }
        start = now_ms();
        r = inspect_run(&io, &in);
        if (r == -EBADMSG) {
                fprintf(stderr, "rdna1-doctor: cannot load the patch signatures from %s/signatures.\n", doctor_datadir());
                return EXIT_UNKNOWN;
        }
        if (r < 0) {
                log_error_errno(r, "cannot inspect '%s'", c.root);
                return EXIT_UNKNOWN;
        }

        code = report_exit_code(in->report);
        oo = (output_options){
                .color = !c.json && output_want_color(stdout, c.no_color),
                .quiet = c.quiet,
                .verbose = c.verbose,
        };
        alarm(0);
        /* A lost textfile is "could not check something" (3), below only critical (2). */
        if (c.textfile && check_textfile(&c, in, code, start) < 0 && code != 2)
                code = EXIT_UNKNOWN;
        r = c.json      ? output_json(stdout, in, code)
            : c.summary ? output_summary(stdout, in, code)
                        : output_text(stdout, in, code, &oo);
        inspection_free(in);
        if (r < 0) {
                log_error_errno(r, "could not write the report");
                return EXIT_UNKNOWN;
        }
        return code;
}
