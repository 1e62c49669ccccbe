/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: findings → typed actions (plan.h). Environment fixes first.
 */

#include "inspect.h"
#include "plan.h"
#include "util.h"

int plan_build(inspection *in, const plan_options *o, plan **ret)
{
        plan *p = plan_new(in->sr->path);

        if (!p)
                return -ENOMEM;
        p->in_tree = o && o->in_tree;
        plan_sort(p);
        *ret = p;
        return 0;
}
