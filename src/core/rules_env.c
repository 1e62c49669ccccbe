/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * environment sources (env.*, runtime.preload, runtime.library-path).
 * Not written yet: a placeholder so the orchestrator's order is fixed.
 */

#include "inspect.h"

int rules_env_apply(inspection *in)
{
        (void)in;
        return 0;
}
