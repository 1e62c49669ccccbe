/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line, checked against the command table: one command, every
 * option one that goes with it, arguments of the right kind. A usage error
 * says which option and why, and exits 64 (EX_USAGE).
 */
#include <stdarg.h>
#include <sysexits.h>

#include "args.h"
#include "base/util.h"

static int usage(const char *fmt, ...) _printf_(1, 2);
static int usage(const char *fmt, ...)
{
        va_list ap;

        fputs("rdna1-doctor: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'rdna1-doctor --help'.\n", stderr);
        return EX_USAGE;
}

/* "--recover, --rollback or exec": the commands of mask m, as a reader names them. */
static void modes_text(unsigned m, bool resume_is_recover, char *buf, size_t size)
{
        const char *names[16];
        size_t n = 0, len = 0;

        if ((m & CLI_RECOVER) || resume_is_recover)
                m &= ~CLI_RESUME;
        for (unsigned bit = 1; bit < _CLI_MODE_END && n < ELEMENTSOF(names); bit <<= 1) {
                if (!(m & bit))
                        continue;
                if (bit == CLI_INSTALL && (m & CLI_PROFILE))
                        continue; /* both: "--profile" below */
                names[n++] = bit == CLI_PROFILE && (m & CLI_INSTALL) ? "--profile"
                             : bit == CLI_RESUME && resume_is_recover ? "--recover"
                                                                       : cli_mode_to_string(bit);
        }
        buf[0] = 0;
        for (size_t i = 0; i < n && len < size; i++) {
                int k = snprintf(buf + len, size - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);

                if (k < 0)
                        break;
                len += (size_t)k;
        }
}

static const char *arg_needs(cli_arg kind)
{
        switch (kind) {
        case ARG_FILE:
                return "a file name";
        case ARG_DIR:
                return "a directory";
        case ARG_PROFILE:
                return "a profile name or the path of a profile";
        case ARG_ID:
                return "a run ID ('--history' lists them)";
        case ARG_SECONDS:
                return "a number of seconds (1-86400)";
        case ARG_DEVICE:
                return "a PCI slot";
        case ARG_PROGRAM:
                return "a program";
        default:
                return "an argument";
        }
}

/* The command: named by exactly one option (or "exec"), else --check. */
static int find_mode(cli_args *a, bool exec)
{
        const cli_option *named = NULL;
        const cli_profile_action *act;

        if (exec) {
                a->mode = CLI_EXEC;
                return 0;
        }
        for (size_t i = 0; i < cli_options_n; i++) {
                const cli_option *o = &cli_options[i];

                if (!o->selects || !a->set[o->id])
                        continue;
                if (o->id == OPT_PROFILE && a->set[OPT_SELFTEST])
                        continue; /* --selftest --profile NAME: the self-test under a profile */
                if (named)
                        return usage("--%s and --%s are separate commands; give one.", named->name, o->name);
                named = o;
        }
        a->mode = named ? named->selects : CLI_CHECK;
        if (a->mode == CLI_RECOVER && a->set[OPT_RESUME])
                a->mode = CLI_RESUME;
        if (a->mode != CLI_PROFILE)
                return 0;
        act = cli_profile_action_find(a->value[OPT_PROFILE]);
        if (!act)
                return usage("--profile takes list, show NAME, validate FILE, diff NAME or install NAME, not '%s'.",
                             a->value[OPT_PROFILE]);
        a->action = act->name;
        a->mode = act->mode;
        return 0;
}

/* Every option given goes with the command. */
static int check_modes(const cli_args *a)
{
        for (cli_opt id = 0; id < _OPT_MAX; id++) {
                const cli_option *o = cli_option_find(id);
                unsigned m = cli_option_modes(id);
                char list[256];

                if (!a->set[id] || (m & a->mode))
                        continue;
                modes_text(m, id == OPT_RESUME, list, sizeof(list));
                if (a->mode == CLI_CHECK && !a->set[OPT_CHECK])
                        return usage("--%s goes with %s.", o->name, list);
                return usage("--%s goes with %s, not with %s.", o->name, list,
                             a->mode == CLI_PROFILE ? a->action : cli_mode_to_string(a->mode));
        }
        return 0;
}

static int check_values(cli_args *a)
{
        for (cli_opt id = 0; id < _OPT_MAX; id++) {
                const cli_option *o = cli_option_for_mode(id, a->mode);
                const char *v = a->value[id], *word;
                size_t pos = 0, len;
                uint64_t n;

                if (!a->set[id] || o->arg == ARG_NONE || o->arg == ARG_ACTION)
                        continue;
                if (!v[0])
                        return usage("--%s needs %s.", o->name, arg_needs(o->arg));
                switch (o->arg) {
                case ARG_SECONDS:
                        if (safe_atou64(v, 10, &n) < 0 || n == 0 || n > 86400)
                                return usage("--%s needs a number of seconds (1-86400), not '%s'.", o->name, v);
                        a->seconds[id] = (unsigned)n;
                        break;
                case ARG_CHOICE:
                        while (cli_choice_next(o->metavar, &pos, &word, &len))
                                if (strlen(v) == len && strncmp(v, word, len) == 0)
                                        goto known;
                        return usage("--%s is one of %s, not '%s'.", o->name, o->metavar, v);
                known:
                        break;
                default:
                        break;
                }
        }
        return 0;
}

/* What follows the options: exec's command, a --profile subcommand's argument, else nothing. */
static int check_operands(cli_args *a, int argc, char **argv)
{
        const cli_profile_action *act = a->action ? cli_profile_action_find(a->action) : NULL;

        if (a->mode == CLI_EXEC) {
                if (!a->set[OPT_PROFILE])
                        return usage("exec needs --profile NAME.");
                if (optind < 2 || !streq(argv[optind - 1], "--"))
                        return usage("exec needs '--' before the command: exec --profile NAME -- CMD [ARGS...].");
                if (optind >= argc)
                        return usage("exec needs a command after '--'.");
                a->command = argv + optind;
                return 0;
        }
        if (act && act->arg != ARG_NONE) {
                if (optind >= argc)
                        return usage("--profile %s needs %s.", act->name, act->metavar);
                a->action_arg = argv[optind++];
        }
        if (optind < argc)
                return usage("unexpected argument '%s'.", argv[optind]);
        return 0;
}

/* Options that go with the same command but not with each other. */
static int check_combinations(const cli_args *a)
{
        if (a->set[OPT_DEMO] && a->set[OPT_ROOT])
                return usage("--demo and --root cannot be combined.");
        if (a->set[OPT_SUMMARY] && (a->set[OPT_JSON] || a->set[OPT_QUIET]))
                return usage("--summary does not go with --json or --quiet.");
        if (a->set[OPT_STRESS] && (a->set[OPT_QUICK] || a->set[OPT_STANDARD]))
                return usage("--stress replaces --quick and --standard.");
        if (a->set[OPT_QUICK] && a->set[OPT_STANDARD])
                return usage("--quick and --standard are two sweeps; give one.");
        return 0;
}

/* An option getopt_long refused: unknown, ambiguous, or its argument missing or unwanted. */
static int bad_option(int c, const char *word)
{
        const cli_option *o = optopt >= CLI_OPT_VAL_BASE ? cli_option_find(optopt - CLI_OPT_VAL_BASE) : NULL;

        if (o && c == ':')
                return usage("--%s needs %s.", o->name, o->metavar ? o->metavar : arg_needs(o->arg));
        if (o)
                return usage("--%s takes no argument.", o->name);
        if (optopt > 0)
                return usage("unknown option '-%c'.", optopt);
        return usage("unknown or ambiguous option '%s'.", word);
}

int cli_args_parse(int argc, char **argv, cli_args *ret)
{
        struct option longopts[_OPT_MAX + 1];
        bool exec = argc > 1 && streq(argv[1], "exec");
        /* exec: parsed from the word after it; stops at the first operand, so CMD's options are never ours */
        int n = exec ? argc - 1 : argc, c, r;
        char **v = exec ? argv + 1 : argv;
        cli_args a = {0};

        cli_getopt_table(longopts);
        optind = 0; /* glibc: start over, also when called again */
        opterr = 0;
        while ((c = getopt_long(n, v, exec ? "+:hV" : ":hV", longopts, NULL)) != -1) {
                cli_opt id;

                if (c == 'h' || c == 'V') {
                        *ret = (cli_args){0};
                        ret->set[c == 'h' ? OPT_HELP : OPT_VERSION] = true;
                        return 0;
                }
                if (c < CLI_OPT_VAL_BASE || c >= CLI_OPT_VAL_BASE + _OPT_MAX)
                        return bad_option(c, v[optind - 1]);
                id = c - CLI_OPT_VAL_BASE;
                if (id == OPT_HELP || id == OPT_VERSION) {
                        *ret = (cli_args){0};
                        ret->set[id] = true;
                        return 0;
                }
                if (a.set[id] && optarg && !streq(a.value[id], optarg))
                        return usage("--%s given twice ('%s', '%s').", cli_option_find(id)->name, a.value[id], optarg);
                a.set[id] = true;
                a.value[id] = optarg;
        }
        r = find_mode(&a, exec);
        if (r == 0)
                r = check_modes(&a);
        if (r == 0)
                r = check_values(&a);
        if (r == 0)
                r = check_operands(&a, n, v);
        if (r == 0)
                r = check_combinations(&a);
        if (r == 0)
                *ret = a;
        return r;
}
