/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The command table: every command and option of rdna1-doctor, once. The
 * option parser (args.c), --help (cli_help_print) and the bash completion
 * (gen_completion.c, run at build time) are all made from it, so the three
 * cannot drift apart. Plain data and libc only: the completion generator
 * links this file on the build machine.
 *
 * An option may have several rows, one per group of --help it is explained
 * in (--device for the profiles and for the self-test); the rows of one
 * option share its name and whether it takes an argument, and together say
 * which commands it goes with.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The commands; one command line runs exactly one. */
typedef enum cli_mode {
        CLI_CHECK = 1u << 0,    /* --check, or no command: the report (or the interactive view) */
        CLI_RECOVER = 1u << 1,  /* --recover */
        CLI_RESUME = 1u << 2,   /* --recover --resume */
        CLI_ROLLBACK = 1u << 3, /* --rollback ID */
        CLI_HISTORY = 1u << 4,  /* --history */
        CLI_PROFILE = 1u << 5,  /* --profile list|show|validate|diff */
        CLI_INSTALL = 1u << 6,  /* --profile install NAME */
        CLI_EXEC = 1u << 7,     /* exec --profile NAME -- CMD */
        CLI_SELFTEST = 1u << 8, /* --selftest */
        CLI_BUNDLE = 1u << 9,   /* --bundle FILE */
        CLI_FAULTS = 1u << 10,  /* --list-fault-points (test only) */
        _CLI_MODE_END = 1u << 11,
} cli_mode;

#define CLI_ALL (_CLI_MODE_END - 1)
/* The commands that change something: each takes --dry-run and --yes. */
#define CLI_CHANGING (CLI_RECOVER | CLI_RESUME | CLI_ROLLBACK | CLI_INSTALL | CLI_EXEC | CLI_BUNDLE)

/* How the command line names a mode ("--profile install"), and a one-word key ("install"). */
const char *cli_mode_to_string(cli_mode m);
const char *cli_mode_key(cli_mode m);

typedef enum cli_opt {
        OPT_CHECK,
        OPT_DEMO,
        OPT_SUMMARY,
        OPT_VERBOSE,
        OPT_SYSTEM_ONLY,
        OPT_TIME_LIMIT,
        OPT_TEXTFILE,
        OPT_RECOVER,
        OPT_RESUME,
        OPT_IN_TREE,
        OPT_REMOUNT_RW,
        OPT_ROLLBACK,
        OPT_FORCE_KERNEL,
        OPT_HISTORY,
        OPT_REVIEWED_PLAN,
        OPT_LIST_FAULT_POINTS,
        OPT_PLAN_FILE,
        OPT_PROFILE,
        OPT_DISABLE_CONFLICTS,
        OPT_EXEC,               /* the word "exec" before the options, not an option */
        OPT_DEVICE,
        OPT_AS_ROOT,
        OPT_SELFTEST,
        OPT_QUICK,
        OPT_STANDARD,
        OPT_STRESS,
        OPT_BACKEND,
        OPT_FRAMEWORK,
        OPT_INJECT_ERRORS,
        OPT_BUNDLE,
        OPT_SAFE_MODE,
        OPT_ROOT,
        OPT_STATE_DIR,
        OPT_JSON,
        OPT_QUIET,
        OPT_NO_COLOR,
        OPT_DRY_RUN,
        OPT_YES,
        OPT_VERSION,
        OPT_HELP,
        _OPT_MAX,
        OPT_NONE = -1,          /* a line of --help that is no option: "(no command)" */
} cli_opt;

/* What an option's argument is: how it is checked, and what the completion offers. */
typedef enum cli_arg {
        ARG_NONE,
        ARG_FILE,
        ARG_DIR,
        ARG_PROFILE,            /* a profile name, or the path of a profile file */
        ARG_ACTION,             /* --profile's subcommand (cli_profile_actions) */
        ARG_ID,                 /* a recovery run's ID (--history lists them) */
        ARG_SECONDS,            /* 1-86400 */
        ARG_DEVICE,             /* a PCI slot (or, for the profiles, a gfx target or "rdna1") */
        ARG_PROGRAM,            /* a program looked up in PATH */
        ARG_CHOICE,             /* one of the words of the metavar, "hip|cpu" */
        ARG_COMMAND,            /* exec: CMD [ARGS...] after "--" */
} cli_arg;

typedef enum cli_group {
        GROUP_VIEW,
        GROUP_INSPECT,
        GROUP_RECOVER,
        GROUP_PROFILES,
        GROUP_SELFTEST,
        GROUP_BUNDLE,
        GROUP_COMMON,
        _GROUP_MAX,
} cli_group;

const char *cli_group_title(cli_group g);

typedef struct cli_option {
        cli_opt id;
        const char *name;       /* without "--"; "exec" for the word; NULL for a help-only line */
        char short_name;        /* -h, -V; else 0 */
        cli_arg arg;
        const char *metavar;    /* the argument as --help writes it: "DIR", "hip|cpu" */
        unsigned modes;         /* the commands it goes with (cli_mode bits) */
        cli_mode selects;       /* the command it names, 0 for a plain option */
        cli_group group;
        bool test_only;
        const char *help;       /* one sentence or a few, wrapped by cli_help_print */
} cli_option;

extern const cli_option cli_options[];
extern const size_t cli_options_n;

/* --profile's subcommands and what follows each. */
typedef struct cli_profile_action {
        const char *name;
        cli_arg arg;            /* ARG_NONE, ARG_PROFILE or ARG_FILE */
        const char *metavar;
        cli_mode mode;          /* CLI_PROFILE, or CLI_INSTALL for the one that changes something */
} cli_profile_action;

extern const cli_profile_action cli_profile_actions[];
extern const size_t cli_profile_actions_n;

const cli_profile_action *cli_profile_action_find(const char *name);

/* The first row of option id (its name and argument kind), or NULL. */
const cli_option *cli_option_find(cli_opt id);
/* The row of option id that goes with mode m (for the argument kind), else its first row. */
const cli_option *cli_option_for_mode(cli_opt id, cli_mode m);
/* Every command option id goes with (the union of its rows). */
unsigned cli_option_modes(cli_opt id);

/* Offset of getopt_long's value for option id (above every short option). */
#define CLI_OPT_VAL_BASE 0x100

/*
 * Fill ret (at least _OPT_MAX + 1 entries) with getopt_long's table: each
 * option once, terminated by a zero entry. Returns the number of options.
 */
size_t cli_getopt_table(struct option *ret);

/* Each choice of an ARG_CHOICE option in turn: *pos starts at 0; false at the end. */
bool cli_choice_next(const char *metavar, size_t *pos, const char **ret_word, size_t *ret_len);

/* --help: the usage lines, then each group's rows, then the exit codes. */
void cli_help_print(FILE *f);

/*
 * Check the table itself (the generator runs this at build time). Returns
 * 0, or -EINVAL after printing what is wrong to f.
 */
int cli_options_verify(FILE *f);
