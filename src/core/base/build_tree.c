/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The build tree's own paths (build_tree.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/build_tree.h"
#include "config.h"

int build_tree_path(const char *rel_exe, const char *rel_target, char **ret_path)
{
#if RDNA1_TEST_HOOKS
        struct stat self, built;
        char *exe = NULL, *target = NULL;
        int r;

        if (asprintf(&exe, "%s/%s", RDNA1_BUILD_ROOT, rel_exe) < 0)
                return -ENOMEM;
        r = stat("/proc/self/exe", &self) == 0 && stat(exe, &built) == 0 &&
            self.st_dev == built.st_dev && self.st_ino == built.st_ino;
        free(exe);
        if (!r)
                return -ENOENT;
        if (asprintf(&target, "%s/%s", RDNA1_BUILD_ROOT, rel_target) < 0)
                return -ENOMEM;
        *ret_path = target;
        return 0;
#else
        (void)rel_exe;
        (void)rel_target;
        (void)ret_path;
        return -ENOENT;
#endif
}
