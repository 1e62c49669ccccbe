/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Python installs (python.*, leftover.miopen-cache).
 * Not written yet: a placeholder so the orchestrator's order is fixed.
 */

#include "inspect.h"

int rules_python_apply(inspection *in)
{
        (void)in;
        return 0;
}
