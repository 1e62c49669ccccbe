/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/path.h"

#include "base/util.h"

int path_split(const char *path, char **ret_dir, char **ret_base)
{
        _cleanup_free_ char *dir = NULL, *base = NULL;
        const char *slash = path ? strrchr(path, '/') : NULL;

        if (!slash || !slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
                return -EINVAL;
        dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        base = strdup(slash + 1);
        if (!dir || !base)
                return -ENOMEM;
        *ret_dir = TAKE_PTR(dir);
        *ret_base = TAKE_PTR(base);
        return 0;
}
