/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rdna1-doctor: command-line front end. Parses options, runs the core's
 * inspection and renders it. Modes are a table; --help is generated from it.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "base/util.h"
#include "bundle_cmd.h"
#include "check/inspect.h"
#include "config.h"
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

typedef struct option_help {
        const char *flags;
        const char *help;
} option_help;

static const option_help mode_help[] = {
        {"(no mode)", "on a terminal: the interactive view (TUI; ? there lists its keys); otherwise --check"},
        {"--check", "inspect the system and report findings (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"},
        {"--demo", "the default mode on the bundled demo root (the seeds' broken machine): the TUI on a terminal"},
        {"--recover", "plan and apply the repair, through an undo journal (exit 0 done, 10 done: reboot,\n"
                      "                         11 partial: --resume or --rollback ID, 12 refused, 3 nothing could be checked)"},
        {"--rollback ID", "undo recovery ID in reverse order; files changed since are skipped and reported"},
        {"--history", "list the recoveries of this root (--json: rdna1-doctor/history/1)"},
        {"--selftest", "convolution self-test under a watchdog (exit 0 pass, 20 wrong result, 21 crash, 22 hang,\n"
                       "                         23 GPU reset, 3 could not run)"},
        {"--profile list|show NAME|validate FILE|diff NAME|install NAME",
         "\n                         environment profiles: list them, show one, validate a profile or a shell env file\n"
         "                         (exit as --check), diff against the user's shells, install as\n"
         "                         /etc/profile.d/rdna1-doctor.sh through the journal (--disable-conflicts)"},
        {"exec --profile NAME -- CMD [ARGS...]",
         "\n                         run CMD with a clean environment plus the profile, as the invoking user\n"
         "                         (exit: CMD's status, 127 not found, 126 cannot run)"},
        {"--bundle FILE", "write a redacted diagnostic bundle (.tar.xz, mode 0600, owned by the invoking user)\n"
                          "                         for a bug report; --safe-mode skips probes that touch the GPU"},
        {"--version", "print the version and exit"},
        {"--help", "print this help and exit"},
};

static const option_help common_help[] = {
        {"--root DIR", "inspect the system mounted at DIR instead of / (offline inspection)"},
        {"--state-dir DIR", "keep the scan cache in DIR (default: ROOT/var/cache/rdna1-doctor)"},
        {"--json", "print one rdna1-doctor/1 JSON document instead of text"},
        {"--quiet", "print only the verdict line"},
        {"--summary", "print the verdict, counts, finding IDs (with kernels) and the next step; no file contents"},
        {"--verbose", "also list probes that failed without mattering"},
        {"--no-color", "no colour (also when NO_COLOR is set and not empty, or TERM=dumb)"},
        {"--system-only", "skip users' home directories (used by the package hooks)"},
        {"--time-limit SECONDS", "give up after SECONDS (exit 3, nothing half-printed)"},
        {"--textfile DIR", "also write DIR/rdna1_doctor.prom for node_exporter's textfile collector\n"
                           "                         (with --check, --selftest or --recover; see docs/fleet.md)"},
};

static const option_help recover_help[] = {
        {"--dry-run", "print the plan (--json: rdna1-doctor/plan/1) and change nothing"},
        {"--yes", "apply without asking (needed when not on a terminal)"},
        {"--resume", "finish the last interrupted recovery from its journal"},
        {"--in-tree", "remove the DKMS amdgpu so the in-tree driver loads, instead of rebuilding it"},
        {"--remount-rw", "remount a read-only root read-write first (recovery mode)"},
        {"--force-kernel", "with --rollback --yes: also undo kernel-side steps without a terminal"},
        {"--list-fault-points", "test only: list the fault points of RDNA1_DOCTOR_FAULT"},
        {"--plan-file FILE", "test only: apply this rdna1-doctor/plan/1 document instead of planning"},
};

static const option_help selftest_help[] = {
        {"--quick", "a few small cases (with --selftest)"},
        {"--standard", "the full sweep across the seed's 42/44 boundary up to 224x224 (default)"},
        {"--stress SECONDS", "repeat the standard sweep for SECONDS"},
        {"--backend hip|cpu", "hip: the GPU through the HIP runtime (default); cpu: the same pipeline on the CPU"},
        {"--device PCI_SLOT", "the GPU to test when there are several"},
        {"--framework PYTHON", "also run the seed's PyTorch Conv2d sweep in PYTHON (opt-in)"},
        {"--profile NAME", "run the workload with a clean environment plus profile NAME (as exec does)"},
        {"--as-root", "run the workload (or exec's command) as root instead of the invoking user"},
        {"--inject-errors", "test only: corrupt results (edge tiles too) so the run must fail"},
};

static void print_help(FILE *f)
{
        fprintf(f, "Usage: rdna1-doctor [--check] [OPTIONS]\n"
                   "Find and explain the leftovers of unsafe ROCm/amdgpu fixes on machines with an AMD RDNA1 GPU\n"
                   "(Radeon RX 5500/5600/5700, gfx1010/gfx1011/gfx1012).\n\nModes:\n");
        for (size_t i = 0; i < ELEMENTSOF(mode_help); i++)
                fprintf(f, "  %-22s %s\n", mode_help[i].flags, mode_help[i].help);
        fprintf(f, "\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(common_help); i++)
                fprintf(f, "  %-22s %s\n", common_help[i].flags, common_help[i].help);
        fprintf(f, "\nRecovery options:\n");
        for (size_t i = 0; i < ELEMENTSOF(recover_help); i++)
                fprintf(f, "  %-22s %s\n", recover_help[i].flags, recover_help[i].help);
        fprintf(f, "\nSelf-test options:\n");
        for (size_t i = 0; i < ELEMENTSOF(selftest_help); i++)
                fprintf(f, "  %-22s %s\n", selftest_help[i].flags, selftest_help[i].help);
        fprintf(f, "\nExit codes (--check):\n"
                   "  0 OK   1 WARNING   2 CRITICAL   3 UNKNOWN (something that matters could not be checked;\n"
                   "  JSON then has \"partial\": true and the reasons)   64 usage error\n"
                   "Exit codes (--profile install): 0 installed, 11 partial (see the journal), 12 refused.\n"
                   "Profile options: --device PCI_SLOT (which GPU to judge or isolate), --disable-conflicts.\n"
                   "Exit codes (--recover): 0 done   10 done, reboot required   11 partial (journal ID printed;\n"
                   "  --resume or --rollback ID)   12 refused (preflight, read-only root, not confirmed)   3 nothing could be checked\n"
                   "\nSee rdna1-doctor(8).\n");
}

enum {
        OPT_CHECK = 0x100,
        OPT_DEMO,
        OPT_ROOT,
        OPT_STATE_DIR,
        OPT_JSON,
        OPT_QUIET,
        OPT_VERBOSE,
        OPT_NO_COLOR,
        OPT_SYSTEM_ONLY,
        OPT_TIME_LIMIT,
        OPT_VERSION,
        OPT_HELP,
        OPT_PROFILE,
        OPT_SELFTEST,
        OPT_QUICK,
        OPT_STANDARD,
        OPT_STRESS,
        OPT_BACKEND,
        OPT_DEVICE,
        OPT_FRAMEWORK,
        OPT_AS_ROOT,
        OPT_INJECT_ERRORS,
        OPT_RECOVER,
        OPT_ROLLBACK,
        OPT_HISTORY,
        OPT_DRY_RUN,
        OPT_YES,
        OPT_RESUME,
        OPT_REMOUNT_RW,
        OPT_IN_TREE,
        OPT_FORCE_KERNEL,
        OPT_LIST_FAULT_POINTS,
        OPT_PLAN_FILE,
        OPT_SUMMARY,
        OPT_BUNDLE,
        OPT_SAFE_MODE,
        OPT_TEXTFILE,
};

static int usage_error(const char *fmt, const char *arg)
{
        fprintf(stderr, "rdna1-doctor: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'rdna1-doctor --help'.\n");
        return EX_USAGE;
}

/* Which recovery mode, and options that only go with it. */
static int recover_check_args(cli *c)
{
        recover_cli *r = &c->rc;
        int modes = r->recover + !!r->rollback_id + r->history + r->list_fault_points;

        if (modes > 1)
                return usage_error("%s", "--recover, --rollback and --history are separate modes.");
        if (modes && c->selftest)
                return usage_error("%s", "--recover, --rollback and --history go without --selftest.");
        if (c->demo && r->list_fault_points)
                return usage_error("%s", "--list-fault-points does not run on the demo root.");
        if (!r->recover && (r->dry_run || r->resume || r->remount_rw || r->in_tree || r->plan_file))
                return usage_error("%s", "--dry-run, --resume, --remount-rw, --in-tree and --plan-file go with --recover.");
        if (!r->recover && !r->rollback_id && r->yes)
                return usage_error("%s", "--yes goes with --recover or --rollback.");
        if (!r->rollback_id && r->force_kernel)
                return usage_error("%s", "--force-kernel goes with --rollback.");
        if (r->resume && (r->dry_run || r->plan_file || r->in_tree))
                return usage_error("%s", "--resume continues the journal's own plan: no --dry-run, --in-tree or --plan-file.");
        return -1; /* go on */
}

static int parse_args(int argc, char **argv, cli *c)
{
        static const struct option opts[] = {
                {"check", no_argument, NULL, OPT_CHECK},
                {"demo", no_argument, NULL, OPT_DEMO},
                {"root", required_argument, NULL, OPT_ROOT},
                {"state-dir", required_argument, NULL, OPT_STATE_DIR},
                {"json", no_argument, NULL, OPT_JSON},
                {"quiet", no_argument, NULL, OPT_QUIET},
                {"verbose", no_argument, NULL, OPT_VERBOSE},
                {"no-color", no_argument, NULL, OPT_NO_COLOR},
                {"system-only", no_argument, NULL, OPT_SYSTEM_ONLY},
                {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
                {"version", no_argument, NULL, OPT_VERSION},
                {"help", no_argument, NULL, OPT_HELP},
                {"recover", no_argument, NULL, OPT_RECOVER},
                {"rollback", required_argument, NULL, OPT_ROLLBACK},
                {"history", no_argument, NULL, OPT_HISTORY},
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                {"yes", no_argument, NULL, OPT_YES},
                {"resume", no_argument, NULL, OPT_RESUME},
                {"remount-rw", no_argument, NULL, OPT_REMOUNT_RW},
                {"in-tree", no_argument, NULL, OPT_IN_TREE},
                {"force-kernel", no_argument, NULL, OPT_FORCE_KERNEL},
                {"list-fault-points", no_argument, NULL, OPT_LIST_FAULT_POINTS},
                {"plan-file", required_argument, NULL, OPT_PLAN_FILE},
                {"profile", required_argument, NULL, OPT_PROFILE},
                {"selftest", no_argument, NULL, OPT_SELFTEST},
                {"quick", no_argument, NULL, OPT_QUICK},
                {"standard", no_argument, NULL, OPT_STANDARD},
                {"stress", required_argument, NULL, OPT_STRESS},
                {"backend", required_argument, NULL, OPT_BACKEND},
                {"device", required_argument, NULL, OPT_DEVICE},
                {"framework", required_argument, NULL, OPT_FRAMEWORK},
                {"as-root", no_argument, NULL, OPT_AS_ROOT},
                {"inject-errors", no_argument, NULL, OPT_INJECT_ERRORS},
                {"summary", no_argument, NULL, OPT_SUMMARY},
                {"bundle", required_argument, NULL, OPT_BUNDLE},
                {"safe-mode", no_argument, NULL, OPT_SAFE_MODE},
                {"textfile", required_argument, NULL, OPT_TEXTFILE},
                {},
        };
        int o, idx;

        opterr = 0;
        while ((o = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
                uint64_t v;

                switch (o) {
                case OPT_CHECK:
                        c->check = true;
                        break;
                case OPT_DEMO:
                        c->demo = true;
                        break;
                case OPT_ROOT:
                        c->root = optarg;
                        break;
                case OPT_STATE_DIR:
                        c->state_dir = optarg;
                        break;
                case OPT_JSON:
                        c->json = true;
                        break;
                case OPT_QUIET:
                        c->quiet = true;
                        break;
                case OPT_SUMMARY:
                        c->summary = true;
                        break;
                case OPT_VERBOSE:
                        c->verbose = true;
                        break;
                case OPT_NO_COLOR:
                        c->no_color = true;
                        break;
                case OPT_SYSTEM_ONLY:
                        c->system_only = true;
                        break;
                case OPT_TIME_LIMIT:
                        if (safe_atou64(optarg, 10, &v) < 0 || v == 0 || v > 86400)
                                return usage_error("--time-limit needs a number of seconds (1-86400), not '%s'.", optarg);
                        c->time_limit = (unsigned)v;
                        break;
                case OPT_SELFTEST:
                        c->selftest = true;
                        break;
                case OPT_QUICK:
                case OPT_STANDARD:
                        c->st.sweep = o == OPT_QUICK ? "quick" : "standard";
                        break;
                case OPT_STRESS:
                        if (safe_atou64(optarg, 10, &v) < 0 || v == 0 || v > 86400)
                                return usage_error("--stress needs a number of seconds (1-86400), not '%s'.", optarg);
                        c->st.stress_seconds = (unsigned)v;
                        break;
                case OPT_BACKEND:
                        if (!streq(optarg, "hip") && !streq(optarg, "cpu"))
                                return usage_error("--backend is hip or cpu, not '%s'.", optarg);
                        c->st.backend = optarg;
                        break;
                case OPT_DEVICE:
                        c->st.device = optarg;
                        break;
                case OPT_FRAMEWORK:
                        c->st.framework = optarg;
                        break;
                case OPT_AS_ROOT:
                        c->st.as_root = true;
                        break;
                case OPT_INJECT_ERRORS:
                        c->st.inject_errors = true;
                        break;
                case OPT_RECOVER:
                        c->rc.recover = true;
                        break;
                case OPT_ROLLBACK:
                        c->rc.rollback_id = optarg;
                        break;
                case OPT_HISTORY:
                        c->rc.history = true;
                        break;
                case OPT_DRY_RUN:
                        c->rc.dry_run = true;
                        break;
                case OPT_YES:
                        c->rc.yes = true;
                        break;
                case OPT_RESUME:
                        c->rc.resume = true;
                        break;
                case OPT_REMOUNT_RW:
                        c->rc.remount_rw = true;
                        break;
                case OPT_IN_TREE:
                        c->rc.in_tree = true;
                        break;
                case OPT_FORCE_KERNEL:
                        c->rc.force_kernel = true;
                        break;
                case OPT_LIST_FAULT_POINTS:
                        c->rc.list_fault_points = true;
                        break;
                case OPT_PLAN_FILE:
                        c->rc.plan_file = optarg;
                        break;
                case OPT_BUNDLE:
                        if (!optarg[0])
                                return usage_error("%s", "--bundle needs a file name.");
                        c->bundle.path = optarg;
                        break;
                case OPT_TEXTFILE:
                        c->textfile = optarg;
                        break;
                case OPT_SAFE_MODE:
                        c->bundle.safe_mode = true;
                        break;
                case 'V':
                case OPT_VERSION:
                        printf("rdna1-doctor %s\n", PACKAGE_VERSION);
                        return EXIT_SUCCESS;
                case 'h':
                case OPT_HELP:
                        print_help(stdout);
                        return EXIT_SUCCESS;
                case OPT_PROFILE:
                        /* Only --selftest gets here: profile_cmd.c takes every other --profile. */
                        c->st.profile = optarg;
                        break;
                case '?':
                default:
                        if (optopt && optopt < 0x100)
                                return usage_error("unknown or incomplete option '-%c'.", (char[]){(char)optopt, 0});
                        return usage_error("unknown option or missing argument: '%s'.", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'.", argv[optind]);
        if (c->demo && c->root)
                return usage_error("%s", "--demo and --root cannot be combined.");
        if (!c->selftest && (c->st.sweep || c->st.stress_seconds || c->st.backend || c->st.device ||
                             c->st.framework || c->st.inject_errors))
                return usage_error("%s", "--quick, --standard, --stress, --backend, --device, --framework and "
                                         "--inject-errors go with --selftest.");
        if (c->summary && (c->json || c->quiet || c->selftest))
                return usage_error("%s", "--summary goes with --check, not with --json, --quiet or --selftest.");
        if (c->selftest && c->demo)
                return usage_error("%s", "--selftest does not run on the demo root.");
        if (c->bundle.safe_mode && !c->bundle.path)
                return usage_error("%s", "--safe-mode goes with --bundle.");
        if (c->bundle.path && (c->selftest || c->json))
                return usage_error("%s", "--bundle writes a file; it does not combine with --selftest or --json.");
        if (c->textfile && (c->bundle.path || c->rc.rollback_id || c->rc.history || c->rc.list_fault_points))
                return usage_error("%s", "--textfile goes with --check, --selftest or --recover.");
        if (c->st.stress_seconds && c->st.sweep)
                return usage_error("%s", "--stress replaces --quick/--standard.");
        return recover_check_args(c);
}

static const char *datadir(void)
{
        const char *d = getenv("RDNA1_DOCTOR_DATADIR");

        return d && *d ? d : PKGDATADIR;
}

/* The caches' directory: --state-dir, else ROOT/var/cache/rdna1-doctor (only if it can be made). */
static char *cache_dir(const cli *c, const char *root)
{
        _cleanup_free_ char *dir = NULL;

        if (c->state_dir)
                return strdup(c->state_dir);
        if (c->demo)
                return NULL; /* the installed demo is read-only: no cache */
        dir = strdup_printf("%s/var/cache/rdna1-doctor", streq(root, "/") ? "" : root);
        if (!dir)
                return NULL;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return NULL;
        return TAKE_PTR(dir);
}

/* The options of the check that --textfile runs after --selftest or --recover. */
static inspect_options textfile_inspect_options(const cli *c)
{
        return (inspect_options){.root = c->root, .datadir = datadir(), .state_dir = c->state_dir,
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
        inspect_options io = {0};
        double gflops = 0;
        inspection *in = NULL;
        output_options oo;
        uint64_t start;
        int r, code;

        if (profile_cmd_wanted(argc, argv))
                return profile_cmd_main(argc, argv);
        r = parse_args(argc, argv, &c);
        if (r >= 0)
                return r;
        if (!c.root)
                c.root = "/";
        if (c.demo) {
                demo_root = strdup_printf("%s/demo", datadir());
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
                c.rc.datadir = datadir();
                c.rc.json = c.json;
                c.rc.quiet = c.quiet;
                c.rc.system_only = c.system_only;
                code = recover_run_cli(&c.rc);
                return after_recover(&c, code);
        }
        if (c.selftest) {
                c.st.root = c.root;
                c.st.state_dir = c.state_dir;
                c.st.datadir = datadir();
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

        cachedir = cache_dir(&c, c.root);
        if (cachedir)
                cache = strdup_printf("%s/ko-scan.cache", cachedir);
        io = (inspect_options){.root = c.root, .datadir = datadir(), .cache_path = cache, .state_dir = c.state_dir,
                              .cache_dir = cachedir, .system_only = c.system_only};
        if (c.bundle.path) {
                c.bundle.quiet = c.quiet;
                return bundle_run_cli(&c.bundle, &io);
        }
        /* No mode (or --demo) on a terminal: the interactive view. */
        if (!c.check && !c.textfile && !c.json && !c.quiet && !c.summary && !c.time_limit && tui_wanted()) {
                tui_options to = {.inspect = io, .datadir = datadir(), .state_dir = c.state_dir,
                                  .no_color = c.no_color, .demo = c.demo};
                return tui_run(&to);
        }
        start = now_ms();
        r = inspect_run(&io, &in);
        if (r == -EBADMSG) {
                fprintf(stderr, "rdna1-doctor: cannot load the patch signatures from %s/signatures.\n", datadir());
                return EXIT_UNKNOWN;
        }
        if (r < 0) {
                fprintf(stderr, "rdna1-doctor: cannot inspect '%s': %s.\n", c.root, strerror(-r));
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
                fprintf(stderr, "rdna1-doctor: could not write the report: %s.\n", strerror(-r));
                return EXIT_UNKNOWN;
        }
        return code;
}
