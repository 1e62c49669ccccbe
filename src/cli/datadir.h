/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdlib.h>

#include "config.h"

/*
 * The data directory (rules.ini, profiles/, signatures/, demo/):
 * $RDNA1_DOCTOR_DATADIR when set and not empty (the tests, a build tree),
 * else the installed one.
 */
static inline const char *datadir(void)
{
        const char *d = getenv("RDNA1_DOCTOR_DATADIR");

        return d && *d ? d : PKGDATADIR;
}
