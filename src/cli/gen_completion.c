/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen-completion: writes rdna1-doctor's bash completion from the command
 * table (options.c) to stdout. Run at build time (packaging/bash-completion/
 * meson.build); the installed tool has no flag for it. Fails, and so fails
 * the build, when the table breaks its own rules (cli_options_verify).
 * "gen-completion --options" lists the table's options for the tests.
 *
 * The script knows which command the words so far name (the modes of
 * options.h) and offers the options that go with it, the words of a fixed
 * choice, profile names from the data directory, and files, directories or
 * programs where an option takes one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"

static void print_reply(cli_arg kind, const char *metavar)
{
        size_t pos = 0, len;
        const char *word;

        switch (kind) {
        case ARG_FILE:
                printf("compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))");
                break;
        case ARG_DIR:
                printf("compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\"))");
                break;
        case ARG_PROGRAM:
                printf("COMPREPLY=($(compgen -c -- \"$cur\"))");
                break;
        case ARG_PROFILE:
                printf("_rdna1_doctor_profiles \"$cur\"");
                break;
        case ARG_ACTION:
                printf("COMPREPLY=($(compgen -W \"");
                for (size_t i = 0; i < cli_profile_actions_n; i++)
                        printf("%s%s", i ? " " : "", cli_profile_actions[i].name);
                printf("\" -- \"$cur\"))");
                break;
        case ARG_CHOICE:
                printf("COMPREPLY=($(compgen -W \"");
                for (int i = 0; cli_choice_next(metavar, &pos, &word, &len); i++)
                        printf("%s%.*s", i ? " " : "", (int)len, word);
                printf("\" -- \"$cur\"))");
                break;
        default:
                printf(":"); /* a number, a run ID, a PCI slot: nothing to offer */
                break;
        }
}

/* The option names (--x) that go with the commands of mask modes, space-separated. */
static void print_option_names(unsigned modes)
{
        const char *sep = "";

        for (cli_opt id = 0; id < _OPT_MAX; id++) {
                const cli_option *o = cli_option_find(id);

                if (id == OPT_EXEC || !(cli_option_modes(id) & modes))
                        continue;
                printf("%s--%s", sep, o->name);
                sep = " ";
        }
}

static void print_mode_function(void)
{
        printf("# The command the words before the cursor name: one of");
        for (unsigned m = 1; m < _CLI_MODE_END; m <<= 1)
                printf(" %s", cli_mode_key(m));
        printf(",\n# or nothing yet.\n"
               "_rdna1_doctor_mode()\n{\n"
               "        local i mode='' resume=''\n"
               "        if [[ ${COMP_WORDS[1]-} == exec ]]; then\n"
               "                echo %s\n"
               "                return\n"
               "        fi\n"
               "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "                case ${COMP_WORDS[i]} in\n"
               "                --%s)\n"
               "                        echo %s # its --profile NAME is an option, not the profile command\n"
               "                        return ;;\n"
               "                --%s) resume=1 ;;\n"
               "                --%s)\n"
               "                        case ${COMP_WORDS[i+1]-} in\n",
               cli_mode_key(CLI_EXEC), cli_option_find(OPT_SELFTEST)->name, cli_mode_key(CLI_SELFTEST),
               cli_option_find(OPT_RESUME)->name, cli_option_find(OPT_PROFILE)->name);
        for (size_t i = 0; i < cli_profile_actions_n; i++)
                printf("                        %s) mode=%s ;;\n", cli_profile_actions[i].name,
                       cli_mode_key(cli_profile_actions[i].mode));
        printf("                        *) mode=%s ;;\n"
               "                        esac ;;\n",
               cli_mode_key(CLI_PROFILE));
        for (size_t i = 0; i < cli_options_n; i++) {
                const cli_option *o = &cli_options[i];

                if (o->selects && o->id != OPT_PROFILE && o->id != OPT_SELFTEST && o->id != OPT_EXEC)
                        printf("                --%s) mode=%s ;;\n", o->name, cli_mode_key(o->selects));
        }
        printf("                esac\n"
               "        done\n"
               "        [[ $mode == %s && -n $resume ]] && mode=%s\n"
               "        echo \"$mode\"\n"
               "}\n\n",
               cli_mode_key(CLI_RECOVER), cli_mode_key(CLI_RESUME));
}

static void print_profiles_function(void)
{
        printf("# Profile names from the data directory (as rdna1-doctor finds them), or a path.\n"
               "_rdna1_doctor_profiles()\n{\n"
               "        local cur=$1 f names=''\n"
               "        if [[ $cur == */* ]]; then\n"
               "                compopt -o filenames 2>/dev/null\n"
               "                COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "                return\n"
               "        fi\n"
               "        for f in \"${RDNA1_DOCTOR_DATADIR:-%s}\"/profiles/*.ini; do\n"
               "                [[ -e $f ]] || continue\n"
               "                f=${f##*/}\n"
               "                f=${f%%.ini}\n"
               "                [[ $f == rules ]] || names+=\" $f\" # rules.ini is the rules, not a profile\n"
               "        done\n"
               "        COMPREPLY=($(compgen -W \"$names\" -- \"$cur\"))\n"
               "}\n\n",
               PKGDATADIR);
}

/* case "$mode:$prev" arms: each option's argument, by the row for that command. */
static void print_argument_arms(void)
{
        for (size_t i = 0; i < cli_options_n; i++) {
                const cli_option *o = &cli_options[i];
                const char *sep = "";

                if (!o->name || o->id == OPT_EXEC || o->arg == ARG_NONE)
                        continue;
                printf("        ");
                if (o->modes == CLI_ALL) {
                        printf("*:--%s", o->name);
                } else {
                        for (unsigned m = 1; m < _CLI_MODE_END; m <<= 1)
                                if (o->modes & m) {
                                        printf("%s%s:--%s", sep, cli_mode_key(m), o->name);
                                        sep = " | ";
                                }
                        /* no command named yet: the option's first row */
                        if (cli_option_find(o->id) == o)
                                printf(" | :--%s", o->name);
                }
                printf(")\n                ");
                print_reply(o->arg, o->metavar);
                printf("\n                return ;;\n");
        }
}

static void print_main_function(void)
{
        printf("_rdna1_doctor()\n{\n"
               "        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} mode opts i\n"
               "        COMPREPLY=()\n"
               "        # exec --profile NAME -- CMD [ARGS...]: the command, then its own arguments\n"
               "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "                if [[ ${COMP_WORDS[i]} == -- ]]; then\n"
               "                        if ((i == COMP_CWORD - 1)); then\n"
               "                                COMPREPLY=($(compgen -c -- \"$cur\"))\n"
               "                        else\n"
               "                                compopt -o filenames 2>/dev/null\n"
               "                                COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "                        fi\n"
               "                        return\n"
               "                fi\n"
               "        done\n"
               "        mode=$(_rdna1_doctor_mode)\n"
               "        case \"$mode:$prev\" in\n");
        print_argument_arms();
        printf("        esac\n"
               "        # what follows a --profile subcommand\n"
               "        if [[ ${COMP_WORDS[COMP_CWORD-2]-} == --%s && ($mode == %s || $mode == %s) ]]; then\n"
               "                case $prev in\n",
               cli_option_find(OPT_PROFILE)->name, cli_mode_key(CLI_PROFILE), cli_mode_key(CLI_INSTALL));
        for (size_t i = 0; i < cli_profile_actions_n; i++) {
                if (cli_profile_actions[i].arg == ARG_NONE)
                        continue;
                printf("                %s)\n                        ", cli_profile_actions[i].name);
                print_reply(cli_profile_actions[i].arg, cli_profile_actions[i].metavar);
                printf("\n                        return ;;\n");
        }
        printf("                esac\n"
               "        fi\n"
               "        # the options that go with the command named so far (all of them before one is)\n"
               "        case $mode in\n");
        for (unsigned m = 1; m < _CLI_MODE_END; m <<= 1) {
                printf("        %s) opts=\"", cli_mode_key(m));
                print_option_names(m);
                printf("\" ;;\n");
        }
        printf("        *) opts=\"");
        print_option_names(CLI_ALL);
        printf("\" ;;\n"
               "        esac\n"
               "        if [[ $cur == -* ]]; then\n"
               "                COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
               "        elif ((COMP_CWORD == 1)); then\n"
               "                COMPREPLY=($(compgen -W \"exec $opts\" -- \"$cur\"))\n"
               "        fi\n"
               "}\n"
               "complete -F _rdna1_doctor rdna1-doctor\n");
}

/* --options: each option of the table once, "--name" or "--name METAVAR" (tests/cli/completion.sh). */
static void print_options(void)
{
        for (cli_opt id = 0; id < _OPT_MAX; id++) {
                const cli_option *o = cli_option_find(id);

                if (id == OPT_EXEC)
                        continue;
                if (o->arg == ARG_NONE)
                        printf("--%s\n", o->name);
                else
                        printf("--%s %s\n", o->name, o->metavar ? o->metavar : "ACTION");
        }
}

int main(int argc, char **argv)
{
        if (cli_options_verify(stderr) < 0) {
                fprintf(stderr, "gen-completion: the command table in src/cli/options.c is inconsistent.\n");
                return EXIT_FAILURE;
        }
        if (argc == 2 && strcmp(argv[1], "--options") == 0) {
                print_options();
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        if (argc != 1) {
                fprintf(stderr, "usage: gen-completion [--options]\n");
                return EXIT_FAILURE;
        }
        printf("# SPDX-License-Identifier: GPL-2.0-or-later\n"
               "# bash completion for rdna1-doctor(8). Generated at build time by\n"
               "# src/cli/gen_completion.c from the command table in src/cli/options.c,\n"
               "# which also makes the option parser and --help: change the table, not\n"
               "# this file. Plain bash (compgen), so it works with or without the\n"
               "# bash-completion package's helpers.\n"
               "# shellcheck shell=bash disable=SC2207 # COMPREPLY=($(compgen ...)) is the completion idiom\n\n");
        print_mode_function();
        print_profiles_function();
        print_main_function();
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
