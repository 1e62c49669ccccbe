/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command table (options.h). --help's groups follow the README's
 * sections; every sentence here is also what rdna1-doctor(8) says in
 * more words (tests/cli/manpage.sh checks that every option is there).
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "options.h"

/* The modes an option is "common" to: everything but the test-only fault-point list. */
#define CLI_COMMANDS (CLI_ALL & ~CLI_FAULTS)
/* Commands that print a report or a result a script may read. */
#define CLI_JSON (CLI_CHECK | CLI_RECOVER | CLI_RESUME | CLI_ROLLBACK | CLI_HISTORY | CLI_PROFILE | CLI_INSTALL | CLI_SELFTEST)

const cli_option cli_options[] = {
        /* ---- the interactive view */
        {OPT_NONE, NULL, 0, ARG_NONE, "(no command)", CLI_CHECK, 0, GROUP_VIEW, false,
         "on a terminal (standard input and output, TERM set and not dumb): the full-screen view of the same "
         "inspection (? there lists its keys); otherwise --check. --json, --quiet, --summary and --time-limit "
         "always mean --check"},
        {OPT_DEMO, "demo", 0, ARG_NONE, NULL,
         CLI_CHECK | CLI_RECOVER | CLI_RESUME | CLI_ROLLBACK | CLI_HISTORY | CLI_PROFILE | CLI_INSTALL | CLI_BUNDLE, 0,
         GROUP_VIEW, false,
         "work on the bundled demo root, an example machine with the common leftovers, instead of /: with no "
         "command the interactive view on a terminal. The demo is never written: --recover and --profile install "
         "make a fresh private copy (its path is printed), --history, --rollback and --resume use that copy"},

        /* ---- inspect and check */
        {OPT_CHECK, "check", 0, ARG_NONE, NULL, CLI_CHECK, CLI_CHECK, GROUP_INSPECT, false,
         "inspect the system and report what is wrong (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"},
        {OPT_SUMMARY, "summary", 0, ARG_NONE, NULL, CLI_CHECK, 0, GROUP_INSPECT, false,
         "print the verdict, counts, finding IDs (with kernels) and the next step; no file contents"},
        {OPT_VERBOSE, "verbose", 0, ARG_NONE, NULL, CLI_ALL, 0, GROUP_INSPECT, false,
         "also list the probes that failed without mattering to the verdict (the report; every command "
         "accepts it)"},
        {OPT_SYSTEM_ONLY, "system-only", 0, ARG_NONE, NULL, CLI_CHECK | CLI_RECOVER | CLI_BUNDLE, 0, GROUP_INSPECT,
         false, "skip users' home directories (the package hooks use it; also with --recover and --bundle)"},
        {OPT_TIME_LIMIT, "time-limit", 0, ARG_SECONDS, "SECONDS", CLI_CHECK | CLI_SELFTEST | CLI_BUNDLE, 0,
         GROUP_INSPECT, false,
         "give up after SECONDS (exit 3, nothing half-printed); also with --selftest and --bundle"},
        {OPT_TEXTFILE, "textfile", 0, ARG_DIR, "DIR", CLI_CHECK | CLI_SELFTEST | CLI_RECOVER | CLI_RESUME, 0,
         GROUP_INSPECT, false,
         "also write DIR/rdna1_doctor.prom for node_exporter's textfile collector: the verdict, findings, GPUs, "
         "the last self-test and recovery (after --selftest and --recover, which then check once more)"},

        /* ---- recover, roll back, history */
        {OPT_RECOVER, "recover", 0, ARG_NONE, NULL, CLI_RECOVER | CLI_RESUME, CLI_RECOVER, GROUP_RECOVER, false,
         "plan the repair of what --check finds and apply it through an undo journal, after asking (exit 0 done, "
         "10 done: reboot, 11 partial: --resume or --rollback ID, 12 refused, 3 nothing could be checked)"},
        {OPT_RESUME, "resume", 0, ARG_NONE, NULL, CLI_RECOVER | CLI_RESUME, 0, GROUP_RECOVER, false,
         "with --recover: finish the last interrupted recovery from its journal"},
        {OPT_IN_TREE, "in-tree", 0, ARG_NONE, NULL, CLI_RECOVER, 0, GROUP_RECOVER, false,
         "with --recover: remove the DKMS amdgpu so the in-tree driver loads, instead of rebuilding it"},
        {OPT_REMOUNT_RW, "remount-rw", 0, ARG_NONE, NULL, CLI_RECOVER | CLI_RESUME, 0, GROUP_RECOVER, false,
         "with --recover: remount a read-only root read-write first (recovery mode; only with --root /)"},
        {OPT_ROLLBACK, "rollback", 0, ARG_ID, "ID", CLI_ROLLBACK, CLI_ROLLBACK, GROUP_RECOVER, false,
         "undo run ID (a recovery or a profile install), newest step first; files changed since are skipped and "
         "listed (exit 0 done, 11 partial, 12 refused)"},
        {OPT_FORCE_KERNEL, "force-kernel", 0, ARG_NONE, NULL, CLI_ROLLBACK, 0, GROUP_RECOVER, false,
         "with --rollback --yes: also undo kernel-side steps off a terminal (on one, a typed confirmation is asked)"},
        {OPT_HISTORY, "history", 0, ARG_NONE, NULL, CLI_HISTORY, CLI_HISTORY, GROUP_RECOVER, false,
         "list the runs of this root, newest first (--json: rdna1-doctor/history/1)"},
        {OPT_REVIEWED_PLAN, "reviewed-plan", 0, ARG_FILE, "FILE", CLI_RECOVER, 0, GROUP_RECOVER, false,
         "with --recover: run exactly this plan, the one the interactive view showed and stored (ours only, in the "
         "state directory); refused (12) when a file it touches differs from what was shown"},
#if RDNA1_TEST_HOOKS /* not in the Debian package's build (meson -Dtest_hooks=false) */
        {OPT_LIST_FAULT_POINTS, "list-fault-points", 0, ARG_NONE, NULL, CLI_FAULTS, CLI_FAULTS, GROUP_RECOVER, true,
         "list the fault points of RDNA1_DOCTOR_FAULT"},
        {OPT_PLAN_FILE, "plan-file", 0, ARG_FILE, "FILE", CLI_RECOVER, 0, GROUP_RECOVER, true,
         "with --recover: apply this rdna1-doctor/plan/1 document instead of planning"},
#endif

        /* ---- environment profiles */
        {OPT_PROFILE, "profile", 0, ARG_ACTION, NULL, CLI_PROFILE | CLI_INSTALL, CLI_PROFILE, GROUP_PROFILES, false,
         "the environment profiles: list them, show one, validate a profile or a shell env file (exit as --check), "
         "diff one against the user's shells (exit 0 same, 1 different), install one as "
         "/etc/profile.d/rdna1-doctor.sh through the journal (exit 0 installed, 11 partial, 12 refused)"},
        {OPT_DISABLE_CONFLICTS, "disable-conflicts", 0, ARG_NONE, NULL, CLI_INSTALL, 0, GROUP_PROFILES, false,
         "with --profile install: also comment out conflicting lines in system files, in the same journaled run"},
        {OPT_EXEC, "exec", 0, ARG_COMMAND, "--profile NAME -- CMD [ARGS...]", CLI_EXEC, CLI_EXEC, GROUP_PROFILES,
         false,
         "run CMD without a shell, with a clean environment plus the profile, as the invoking user (exit: CMD's "
         "status, 127 not found, 126 cannot run or refused)"},
        {OPT_DEVICE, "device", 0, ARG_DEVICE, "PCI_SLOT", CLI_PROFILE | CLI_INSTALL | CLI_EXEC, 0, GROUP_PROFILES,
         false,
         "the GPU to judge settings for, and to isolate, when there are several (a PCI slot, a gfx target or rdna1)"},
        {OPT_AS_ROOT, "as-root", 0, ARG_NONE, NULL, CLI_EXEC, 0, GROUP_PROFILES, false,
         "with exec: run CMD as root instead of the invoking user"},

        /* ---- self-test */
        {OPT_SELFTEST, "selftest", 0, ARG_NONE, NULL, CLI_SELFTEST, CLI_SELFTEST, GROUP_SELFTEST, false,
         "run a convolution on the GPU in a helper, as the invoking user, under a watchdog, and check every result "
         "(exit 0 pass, 20 wrong result, 21 crash, 22 hang, 23 GPU reset, 3 could not run)"},
        {OPT_QUICK, "quick", 0, ARG_NONE, NULL, CLI_SELFTEST, 0, GROUP_SELFTEST, false, "a few small cases"},
        {OPT_STANDARD, "standard", 0, ARG_NONE, NULL, CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "the full sweep: feature maps on both sides of the ROCm 5.7 hang at 44x44, up to 224x224 (the default)"},
        {OPT_STRESS, "stress", 0, ARG_SECONDS, "SECONDS", CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "repeat the standard sweep for SECONDS"},
        {OPT_BACKEND, "backend", 0, ARG_CHOICE, "hip|cpu", CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "hip: the GPU through the HIP runtime (the default); cpu: the same pipeline on the CPU"},
        {OPT_DEVICE, "device", 0, ARG_DEVICE, "PCI_SLOT", CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "the GPU to test when there are several"},
        {OPT_FRAMEWORK, "framework", 0, ARG_PROGRAM, "PYTHON", CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "also run a PyTorch Conv2d sweep in PYTHON and report the largest feature map that passed"},
        {OPT_PROFILE, "profile", 0, ARG_PROFILE, "NAME", CLI_SELFTEST | CLI_EXEC, 0, GROUP_SELFTEST, false,
         "run the workload with a clean environment plus profile NAME, as exec does"},
        {OPT_AS_ROOT, "as-root", 0, ARG_NONE, NULL, CLI_SELFTEST, 0, GROUP_SELFTEST, false,
         "run the workload as root (default: the invoking user; nobody without sudo/pkexec/doas)"},
        {OPT_AS_ROOT, "as-root", 0, ARG_NONE, NULL, CLI_CHECK, 0, GROUP_SELFTEST, false,
         "in the interactive view: its self-test (key s) runs as root, as --selftest --as-root does"},
        {OPT_INJECT_ERRORS, "inject-errors", 0, ARG_NONE, NULL, CLI_SELFTEST, 0, GROUP_SELFTEST, true,
         "corrupt results (edge tiles too) so the run must fail"},

        /* ---- diagnostic bundle */
        {OPT_BUNDLE, "bundle", 0, ARG_FILE, "FILE", CLI_BUNDLE, CLI_BUNDLE, GROUP_BUNDLE, false,
         "write a redacted diagnostic bundle for a bug report (.tar.xz, mode 0600, owned by the invoking user; "
         "never over an existing file: exit 73)"},
        {OPT_SAFE_MODE, "safe-mode", 0, ARG_NONE, NULL, CLI_BUNDLE, 0, GROUP_BUNDLE, false,
         "skip the probes that touch the GPU"},

        /* ---- common options */
        {OPT_ROOT, "root", 0, ARG_DIR, "DIR", CLI_ALL, 0, GROUP_COMMON, false,
         "work on the system mounted at DIR instead of / (offline inspection; kernel-side steps are refused)"},
        {OPT_STATE_DIR, "state-dir", 0, ARG_DIR, "DIR", CLI_ALL, 0, GROUP_COMMON, false,
         "keep caches, journals and self-test records in DIR (default: ROOT/var/cache/rdna1-doctor and "
         "ROOT/var/lib/rdna1-doctor)"},
        {OPT_JSON, "json", 0, ARG_NONE, NULL, CLI_JSON, 0, GROUP_COMMON, false,
         "print one JSON document instead of text (the report: rdna1-doctor/1; each command's schema is in "
         "rdna1-doctor(8))"},
        {OPT_QUIET, "quiet", 0, ARG_NONE, NULL, CLI_ALL, 0, GROUP_COMMON, false,
         "print only the verdict line (the report, --profile validate), the result (--recover, --rollback, "
         "--selftest) or nothing (--bundle); the other commands print as usual"},
        {OPT_NO_COLOR, "no-color", 0, ARG_NONE, NULL, CLI_ALL, 0, GROUP_COMMON, false,
         "no colour (also when NO_COLOR is set and not empty, or TERM=dumb)"},
        {OPT_DRY_RUN, "dry-run", 0, ARG_NONE, NULL, CLI_CHANGING, 0, GROUP_COMMON, false,
         "with a command that changes something: show what it would do and change nothing. --recover prints its "
         "plan (--json: rdna1-doctor/plan/1), --recover --resume the steps left, --rollback ID the steps it would "
         "undo, --profile install the file it would write, exec the user, environment and command, --bundle FILE "
         "the files it would hold"},
        {OPT_YES, "yes", 0, ARG_NONE, NULL, CLI_CHANGING, 0, GROUP_COMMON, false,
         "do not ask. --recover asks on a terminal and needs --yes elsewhere; --rollback asks before undoing "
         "kernel-side steps (see --force-kernel); the other commands that change something never ask"},
        {OPT_VERSION, "version", 'V', ARG_NONE, NULL, CLI_ALL, 0, GROUP_COMMON, false,
         "print the version and exit"},
        {OPT_HELP, "help", 'h', ARG_NONE, NULL, CLI_ALL, 0, GROUP_COMMON, false, "print this help and exit"},
};
const size_t cli_options_n = sizeof(cli_options) / sizeof(cli_options[0]);

const cli_profile_action cli_profile_actions[] = {
        {"list", ARG_NONE, NULL, CLI_PROFILE},
        {"show", ARG_PROFILE, "NAME", CLI_PROFILE},
        {"validate", ARG_FILE, "FILE", CLI_PROFILE},
        {"diff", ARG_PROFILE, "NAME", CLI_PROFILE},
        {"install", ARG_PROFILE, "NAME", CLI_INSTALL},
};
const size_t cli_profile_actions_n = sizeof(cli_profile_actions) / sizeof(cli_profile_actions[0]);

static const char *const usage_lines[] = {
        "[--check] [OPTIONS]",
        "--recover [--dry-run] [--yes] [--resume] [--in-tree] [--remount-rw]",
        "--rollback ID [--dry-run] [--yes [--force-kernel]] | --history",
        "--profile list|show NAME|validate FILE|diff NAME|install NAME [--dry-run] [--yes]",
        "exec --profile NAME [--dry-run] -- CMD [ARGS...]",
        "--selftest [--quick|--standard|--stress SECONDS] [--backend hip|cpu] [--framework PYTHON]",
        "--bundle FILE [--safe-mode] [--dry-run]",
};

static const char *const group_titles[_GROUP_MAX] = {
        [GROUP_VIEW] = "Interactive view",
        [GROUP_INSPECT] = "Inspect and check",
        [GROUP_RECOVER] = "Recover, roll back, history",
        [GROUP_PROFILES] = "Environment profiles",
        [GROUP_SELFTEST] = "Self-test",
        [GROUP_BUNDLE] = "Diagnostic bundle",
        [GROUP_COMMON] = "Common options",
};

const char *cli_group_title(cli_group g)
{
        return g >= 0 && g < _GROUP_MAX ? group_titles[g] : NULL;
}

static const struct {
        cli_mode mode;
        const char *name, *key;
} mode_names[] = {
        {CLI_CHECK, "--check", "check"},
        {CLI_RECOVER, "--recover", "recover"},
        {CLI_RESUME, "--recover --resume", "resume"},
        {CLI_ROLLBACK, "--rollback", "rollback"},
        {CLI_HISTORY, "--history", "history"},
        {CLI_PROFILE, "--profile list/show/validate/diff", "profile"},
        {CLI_INSTALL, "--profile install", "install"},
        {CLI_EXEC, "exec", "exec"},
        {CLI_SELFTEST, "--selftest", "selftest"},
        {CLI_BUNDLE, "--bundle", "bundle"},
        {CLI_FAULTS, "--list-fault-points", "faults"},
};

const char *cli_mode_to_string(cli_mode m)
{
        for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
                if (mode_names[i].mode == m)
                        return mode_names[i].name;
        return NULL;
}

const char *cli_mode_key(cli_mode m)
{
        for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
                if (mode_names[i].mode == m)
                        return mode_names[i].key;
        return NULL;
}

const cli_profile_action *cli_profile_action_find(const char *name)
{
        for (size_t i = 0; i < cli_profile_actions_n; i++)
                if (strcmp(cli_profile_actions[i].name, name) == 0)
                        return &cli_profile_actions[i];
        return NULL;
}

const cli_option *cli_option_find(cli_opt id)
{
        for (size_t i = 0; i < cli_options_n; i++)
                if (cli_options[i].id == id)
                        return &cli_options[i];
        return NULL;
}

const cli_option *cli_option_for_mode(cli_opt id, cli_mode m)
{
        for (size_t i = 0; i < cli_options_n; i++)
                if (cli_options[i].id == id && (cli_options[i].modes & m))
                        return &cli_options[i];
        return cli_option_find(id);
}

unsigned cli_option_modes(cli_opt id)
{
        unsigned m = 0;

        for (size_t i = 0; i < cli_options_n; i++)
                if (cli_options[i].id == id)
                        m |= cli_options[i].modes;
        return m;
}

size_t cli_getopt_table(struct option *ret)
{
        size_t n = 0;

        for (cli_opt id = 0; id < _OPT_MAX; id++) {
                const cli_option *o = cli_option_find(id);

                if (!o || !o->name || id == OPT_EXEC)
                        continue;
                ret[n++] = (struct option){o->name, o->arg == ARG_NONE ? no_argument : required_argument, NULL,
                                           CLI_OPT_VAL_BASE + (int)id};
        }
        ret[n] = (struct option){0};
        return n;
}

bool cli_choice_next(const char *metavar, size_t *pos, const char **ret_word, size_t *ret_len)
{
        const char *s = metavar + *pos;
        size_t len;

        if (!*s)
                return false;
        len = strcspn(s, "|");
        *ret_word = s;
        *ret_len = len;
        *pos += len + (s[len] == '|');
        return true;
}

/* ---- --help */

#define HELP_INDENT 25
#define HELP_WIDTH 100

/* Words of text from column col on, wrapped at HELP_WIDTH with HELP_INDENT after a break. */
static void print_wrapped(FILE *f, const char *text, size_t col)
{
        const char *s = text;

        while (*s) {
                size_t word = strcspn(s, " ");

                if (col > HELP_INDENT && col + 1 + word > HELP_WIDTH) {
                        fprintf(f, "\n%*s", HELP_INDENT, "");
                        col = HELP_INDENT;
                } else if (col > HELP_INDENT || s != text) {
                        fputc(' ', f);
                        col++;
                }
                fprintf(f, "%.*s", (int)word, s);
                col += word;
                s += word;
                s += strspn(s, " ");
        }
        fputc('\n', f);
}

/* "--profile list|show NAME|...", "exec --profile NAME -- ...", "--version, -V" */
static size_t print_flags(FILE *f, const cli_option *o)
{
        int n = 0;

        if (!o->name)
                return (size_t)fprintf(f, "  %s", o->metavar);
        if (o->id == OPT_EXEC)
                return (size_t)fprintf(f, "  exec %s", o->metavar);
        n += fprintf(f, "  --%s", o->name);
        if (o->arg == ARG_ACTION)
                for (size_t i = 0; i < cli_profile_actions_n; i++)
                        n += fprintf(f, "%s%s%s%s", i ? "|" : " ", cli_profile_actions[i].name,
                                     cli_profile_actions[i].metavar ? " " : "",
                                     cli_profile_actions[i].metavar ? cli_profile_actions[i].metavar : "");
        else if (o->metavar)
                n += fprintf(f, " %s", o->metavar);
        if (o->short_name)
                n += fprintf(f, ", -%c", o->short_name);
        return n < 0 ? 0 : (size_t)n;
}

static void print_row(FILE *f, const cli_option *o)
{
        size_t col = print_flags(f, o);
        char text[1024];

        /* the text starts in column HELP_INDENT, below the flags when they are longer */
        if (col + 1 > HELP_INDENT)
                fprintf(f, "\n%*s", HELP_INDENT, "");
        else
                fprintf(f, "%*s", (int)(HELP_INDENT - col), "");
        col = HELP_INDENT;
        snprintf(text, sizeof(text), "%s%s", o->test_only ? "test only: " : "", o->help);
        print_wrapped(f, text, col);
}

void cli_help_print(FILE *f)
{
        for (size_t i = 0; i < sizeof(usage_lines) / sizeof(usage_lines[0]); i++)
                fprintf(f, "%s rdna1-doctor %s\n", i ? "      " : "Usage:", usage_lines[i]);
        fprintf(f, "Find and explain the leftovers of unsafe ROCm/amdgpu fixes on machines with an AMD RDNA1 GPU\n"
                   "(Radeon RX 5500/5600/5700, gfx1010/gfx1011/gfx1012), and undo them.\n");
        for (cli_group g = 0; g < _GROUP_MAX; g++) {
                fprintf(f, "\n%s:\n", group_titles[g]);
                for (size_t i = 0; i < cli_options_n; i++)
                        if (cli_options[i].group == g)
                                print_row(f, &cli_options[i]);
        }
        fprintf(f, "\nExit codes: 0 OK (or done), 1 WARNING, 2 CRITICAL, 3 UNKNOWN (something that matters could not\n"
                   "be checked; JSON then has \"partial\": true and the reasons), 64 usage error; the commands above\n"
                   "name their own.\n"
                   "\nSee rdna1-doctor(8).\n");
}

/* ---- the table's own rules */

int cli_options_verify(FILE *f)
{
        unsigned selected = 0;
        int r = 0;

        for (cli_opt id = 0; id < _OPT_MAX; id++)
                if (!cli_option_find(id) && (RDNA1_TEST_HOOKS || (id != OPT_LIST_FAULT_POINTS && id != OPT_PLAN_FILE))) {
                        fprintf(f, "option %d has no row\n", (int)id);
                        r = -EINVAL;
                }
        for (size_t i = 0; i < cli_options_n; i++) {
                const cli_option *o = &cli_options[i], *first = o->id == OPT_NONE ? o : cli_option_find(o->id);
                const char *what = o->name ? o->name : o->metavar;

                if (!o->help || !o->modes || (o->modes & ~CLI_ALL) || o->group >= _GROUP_MAX) {
                        fprintf(f, "%s: no help, no command or no group\n", what);
                        r = -EINVAL;
                }
                if (o->id != OPT_NONE && (!o->name || strcmp(first->name, o->name) != 0 ||
                                          (first->arg == ARG_NONE) != (o->arg == ARG_NONE))) {
                        fprintf(f, "%s: its rows differ in name or in taking an argument\n", what);
                        r = -EINVAL;
                }
                if ((o->arg == ARG_CHOICE && (!o->metavar || !strchr(o->metavar, '|'))) ||
                    (o->arg != ARG_NONE && o->arg != ARG_ACTION && !o->metavar)) {
                        fprintf(f, "%s: an argument needs its metavar (choices as a|b)\n", what);
                        r = -EINVAL;
                }
                if (o->selects && !(o->modes & o->selects)) {
                        fprintf(f, "%s: names a command it does not go with\n", what);
                        r = -EINVAL;
                }
                selected |= o->selects;
                /* every row of one option explains it for other commands: no command twice */
                for (size_t k = 0; k < i; k++)
                        if (cli_options[k].id == o->id && o->id != OPT_NONE && (cli_options[k].modes & o->modes)) {
                                fprintf(f, "%s: two rows for the same command\n", what);
                                r = -EINVAL;
                        }
        }
        /* every command is named by some row (resume and install through --recover and --profile) */
        /* without test hooks, --list-fault-points (the only row naming CLI_FAULTS) is not built */
        if (!RDNA1_TEST_HOOKS)
                selected |= CLI_FAULTS;
        if ((selected | CLI_RESUME | CLI_INSTALL) != CLI_ALL) {
                fprintf(f, "a command no option names: %#x\n", CLI_ALL & ~(selected | CLI_RESUME | CLI_INSTALL));
                r = -EINVAL;
        }
        for (unsigned m = 1; m < _CLI_MODE_END; m <<= 1)
                if (!cli_mode_to_string(m) || !cli_mode_key(m)) {
                        fprintf(f, "command %#x has no name\n", m);
                        r = -EINVAL;
                }
        return r;
}
