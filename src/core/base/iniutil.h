/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What every iniparser user in the core needs: a cleanup for the
 * dictionary and an error callback that prints nothing (the core never
 * prints; iniparser would otherwise write to stderr).
 */

#include <iniparser.h>

static inline void dictionary_freep(dictionary **d)
{
        if (*d)
                iniparser_freedict(*d);
}

static inline int iniparser_silent(const char *fmt __attribute__((unused)), ...)
{
        return 0;
}
