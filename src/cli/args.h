/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The command line, parsed by the command table (options.h): which command
 * it runs and the options given. Nothing here knows what a command does;
 * main.c hands the values to the command's front end.
 */

#include <stdbool.h>

#include "options.h"

typedef struct cli_args {
        cli_mode mode;
        bool set[_OPT_MAX];             /* given on the command line */
        const char *value[_OPT_MAX];    /* the argument of an option that takes one */
        unsigned seconds[_OPT_MAX];     /* an ARG_SECONDS argument as a number */
        const char *action;             /* --profile's subcommand (list, show, ...), else NULL */
        const char *action_arg;         /* its NAME or FILE, else NULL */
        char **command;                 /* exec: CMD [ARGS...], NULL-terminated (a tail of argv) */
} cli_args;

/*
 * Parse argv into *ret. --help and --version stop the parse: they are set
 * in ret->set and nothing else is checked. Returns 0, or EX_USAGE (64)
 * after printing what is wrong and "Try 'rdna1-doctor --help'." to stderr.
 */
int cli_args_parse(int argc, char **argv, cli_args *ret);
