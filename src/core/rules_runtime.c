/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ROCm and amdgpu package integrity (runtime.*, leftover.patch-artifact, stack.rocm).
 * Not written yet: a placeholder so the orchestrator's order is fixed.
 */

#include "inspect.h"

int rules_runtime_apply(inspection *in)
{
        (void)in;
        return 0;
}
