/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Does this command line belong to the profile front end (--profile ..., exec ...)? */
bool profile_cmd_wanted(int argc, char **argv);

/* Run it; returns the exit code (BRIEF §3). */
int profile_cmd_main(int argc, char **argv);
