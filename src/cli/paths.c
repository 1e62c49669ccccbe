/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The data directory and the helper's path (paths.h). */

#include <stdlib.h>

#include "base/build_tree.h"
#include "config.h"
#include "paths.h"

#if RDNA1_TEST_HOOKS
static const char *test_variable(const char *name)
{
        const char *v = getenv(name);

        return v && *v ? v : NULL;
}
#else
/* The Debian package's build: no test variables (not even their names in the binary). */
#define test_variable(name) NULL
#endif

/* The build tree's REL when this binary is the build tree's, else FALLBACK. Computed once. */
static const char *resolve(char **cache, const char *rel, const char *fallback)
{
        if (!*cache && build_tree_path("src/cli/rdna1-doctor", rel, cache) < 0)
                return fallback;
        return *cache;
}

const char *doctor_datadir(void)
{
        static char *build;
        const char *v = test_variable("RDNA1_DOCTOR_DATADIR");

        return v ? v : resolve(&build, "data", PKGDATADIR);
}

const char *selftest_helper_path(void)
{
        static char *build;
        const char *v = test_variable("RDNA1_SELFTEST_HELPER");

        return v ? v : resolve(&build, "src/selftest/rdna1-selftest", PKGLIBEXECDIR "/rdna1-selftest");
}
