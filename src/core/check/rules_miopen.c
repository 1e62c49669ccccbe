/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * leftover.miopen-cache: MIOpen's per-user find/perf databases
 * (~/.config/miopen/gfx1030_36.HIP.2_20_0_….ufdb.txt, …_2.udb) and kernel
 * caches (~/.cache/miopen/<version>/gfx1030_36.ukdb) are named after the
 * gfx target they were built for. Caches for a target this machine does not
 * have were made under an override (HSA_OVERRIDE_GFX_VERSION=10.3.0 makes
 * an RX 5600 XT report gfx1030) or on another card; MIOpen would use them
 * again as soon as the override comes back.
 */
#include <sys/stat.h>

#include "base/util.h"
#include "check/python_audit.h"
#include "parse/pyscan.h"

#define MIOPEN_WALK_DEPTH 2     /* ~/.cache/miopen/<version>/<file> */
#define MIOPEN_WALK_ENTRIES 5000

typedef struct miopen_ctx {
        py_audit *a;
        const home *h;
        const char *base;       /* ".config/miopen" */
        const char *const *targets;
        size_t n_targets;
        const char *machine;    /* "gfx1010" or "gfx1010, gfx1036" */
        int error;
} miopen_ctx;

static bool target_present(const miopen_ctx *c, const char *t)
{
        for (size_t i = 0; i < c->n_targets; i++)
                if (streq(c->targets[i], t))
                        return true;
        return false;
}

static int on_entry(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                    void *userdata)
{
        miopen_ctx *c = userdata;
        _cleanup_free_ char *rel = NULL, *path = NULL, *detail = NULL;
        char target[16];
        int k;

        if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
                return WALK_CONTINUE;
        if (!miopen_name_target(name, target, sizeof(target)) || target_present(c, target))
                return WALK_CONTINUE;
        /* home_walk() gives paths relative to the home (its start included); be robust to either. */
        if (startswith(relpath, c->base) && relpath[strlen(c->base)] == '/')
                rel = strdup(relpath);
        else
                rel = strdup_printf("%s/%s", c->base, relpath);
        path = rel ? home_path(c->h, rel) : NULL;
        detail = strdup_printf("%s for %s; this machine's GPU%s %s", S_ISDIR(st->st_mode) ? "cache directory" : "built",
                               target, c->n_targets > 1 ? "s are" : " is", c->machine);
        if (!path || !detail) {
                c->error = -ENOMEM;
                return -ENOMEM;
        }
        k = py_finding_add(c->a, &c->a->miopen, path, 0, detail);
        if (k < 0) {
                c->error = k;
                return k;
        }
        /* A directory named for the other target is one leftover, not one per file in it. */
        return S_ISDIR(st->st_mode) ? WALK_SKIP : WALK_CONTINUE;
}

int miopen_cache_check_home(py_audit *a, const home *h, const char *const *targets, size_t n_targets)
{
        static const char *const bases[] = { ".config/miopen", ".cache/miopen" };
        const walk_limits lim = { .max_depth = MIOPEN_WALK_DEPTH, .max_entries = MIOPEN_WALK_ENTRIES };
        _cleanup_free_ char *machine = NULL;

        if (n_targets == 0)
                return 0; /* nothing to compare with: no AMD GPU known */
        for (size_t i = 0; i < n_targets; i++) {
                char *m = machine ? strdup_printf("%s, %s", machine, targets[i]) : strdup(targets[i]);
                if (!m)
                        return -ENOMEM;
                free(machine);
                machine = m;
        }
        for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
                miopen_ctx c = {
                        .a = a, .h = h, .base = bases[i], .targets = targets, .n_targets = n_targets,
                        .machine = machine,
                };
                int k = home_walk(h, bases[i], &lim, on_entry, &c, a->in->report, "miopen-cache", NULL);

                if (k == -ENOMEM || c.error == -ENOMEM)
                        return -ENOMEM;
                if (k < 0 && k != -ENOENT && k != -ENOTDIR) {
                        _cleanup_free_ char *path = home_path(h, bases[i]);
                        report_add_reason_errno(a->in->report, "miopen-cache", path, k, false);
                }
        }
        return 0;
}
