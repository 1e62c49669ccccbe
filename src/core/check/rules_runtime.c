/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ROCm and amdgpu package integrity: runtime.modified, runtime.diverted,
 * runtime.unverifiable, runtime.unowned, leftover.patch-artifact and
 * stack.rocm. The facts come from pkgverify.c (dpkg database and hashes)
 * and rocmtree.c (walks); this file only words them.
 */

#include "base/util.h"
#include "check/inspect.h"
#include "check/rocmstack.h"
#include "probe/pkgverify.h"
#include "probe/rocmtree.h"

/* Evidence entries per finding before "... and N more". */
#define MAX_EVIDENCE 50

static int add_more(finding *f, size_t total)
{
        _cleanup_free_ char *d = NULL;

        if (total <= MAX_EVIDENCE)
                return 0;
        d = strdup_printf("... and %zu more", total - MAX_EVIDENCE);
        return d ? finding_add_evidence(f, NULL, 0, d) : -ENOMEM;
}

static bool in_rocm_paths(const char *p)
{
        return startswith(p, "/opt/rocm") || startswith(p, "/usr/src/amdgpu-");
}

static char *problem_detail(const pkgverify *pv, const pv_problem *p)
{
        const dpkg_pkg *pkg = &pv->pkgs[p->pkg];
        const char *v = pkg->version ?: "?";

        switch (p->state) {
        case PV_MODIFIED:
                return strdup_printf("md5 differs from %s %s%s%s", pkg->name, v, p->listed ? ", diverted from " : "",
                                     p->listed ?: "");
        case PV_MISSING:
                return strdup_printf("missing; shipped by %s %s", pkg->name, v);
        case PV_NOT_REGULAR:
                return strdup_printf("not a regular file; %s %s ships one", pkg->name, v);
        case PV_SYMLINK_CHANGED:
                if (!p->target)
                        return strdup_printf("not a symlink; %s %s ships one to %s", pkg->name, v, p->want_target);
                return strdup_printf("symlink to %s; %s %s ships %s", p->target, pkg->name, v, p->want_target);
        default:
                return NULL;
        }
}

static int modified(inspection *in, const pkgverify *pv)
{
        finding *f = NULL;
        size_t total = 0;
        int r;

        for (size_t i = 0; i < pv->n_problems; i++) {
                const pv_problem *p = &pv->problems[i];
                _cleanup_free_ char *d = NULL;

                if (p->state == PV_UNREADABLE) {
                        r = report_add_reason_errno(in->report, "packages", p->path, p->error, true);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (p->state == PV_CONFFILE_CHANGED) {
                        /* An admin change, not an integrity failure: a note at most. */
                        _cleanup_free_ char *e = escape_untrusted(p->path, strlen(p->path), 256);

                        r = report_add_note(in->report, "conffile %s of %s differs from the package (an admin change, "
                                            "not an integrity failure)", e ?: "?", pv->pkgs[p->pkg].name);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The DKMS sources are the kernel rules' (kernel.source-modified / kernel.patched-source). */
                if (startswith(p->path, "/usr/src/"))
                        continue;
                if (!f) {
                        f = report_add_finding(in->report, "runtime.modified", SEVERITY_CRITICAL, NULL,
                                               "ROCm package files differ from their packages",
                                               "reinstall the packages named in the evidence (apt-get install "
                                               "--reinstall PACKAGE); keep copies of changed files first",
                                               false);
                        if (!f)
                                return -ENOMEM;
                }
                if (++total > MAX_EVIDENCE)
                        continue;
                d = problem_detail(pv, p);
                if (!d)
                        return -ENOMEM;
                r = finding_add_evidence(f, p->path, 0, d);
                if (r < 0)
                        return r;
        }
        return f ? add_more(f, total) : 0;
}

static int diverted(inspection *in, const pkgverify *pv)
{
        finding *f = NULL;
        size_t total = 0;

        for (size_t i = 0; i < pv->n_diversions; i++) {
                const dpkg_diversion *d = &pv->diversions[i];
                bool by_rocm = false;
                _cleanup_free_ char *detail = NULL;
                int r;

                for (size_t j = 0; j < pv->n_pkgs && !by_rocm; j++)
                        by_rocm = pv->relevant[j] && streq(pv->pkgs[j].name, d->package);
                if (!by_rocm && !in_rocm_paths(d->from) && !in_rocm_paths(d->to)) {
                        /* owned by a relevant package? (the diverted-to names are in owned: check from) */
                        _cleanup_free_ char *c = pkgverify_canonical(pv, d->from);
                        bool owned = false;

                        if (!c)
                                return -ENOMEM;
                        owned = strset_contains(&pv->owned, c);
                        if (!owned)
                                continue;
                }
                if (!f) {
                        f = report_add_finding(in->report, "runtime.diverted", SEVERITY_WARNING, NULL,
                                               "ROCm or amdgpu files are diverted (dpkg-divert)",
                                               "remove the diversion with dpkg-divert --rename --remove PATH once the "
                                               "replacement is gone",
                                               false);
                        if (!f)
                                return -ENOMEM;
                }
                if (++total > MAX_EVIDENCE)
                        continue;
                detail = streq(d->package, ":") ? strdup_printf("local diversion to %s", d->to)
                                                : strdup_printf("diverted to %s by %s", d->to, d->package);
                if (!detail)
                        return -ENOMEM;
                r = finding_add_evidence(f, d->from, 0, detail);
                if (r < 0)
                        return r;
        }
        return f ? add_more(f, total) : 0;
}

static int unverifiable(inspection *in, const pkgverify *pv)
{
        finding *f = NULL;
        size_t total = 0;

        for (size_t i = 0; i < pv->n_pkgs; i++) {
                _cleanup_free_ char *d = NULL;
                int r;

                if (!pv->unverifiable[i])
                        continue;
                if (!f) {
                        f = report_add_finding(in->report, "runtime.unverifiable", SEVERITY_INFO, NULL,
                                               "ROCm packages ship no md5sums: their files cannot be verified",
                                               "reinstall from a repository whose packages carry md5sums", false);
                        if (!f)
                                return -ENOMEM;
                }
                if (++total > MAX_EVIDENCE)
                        continue;
                d = strdup_printf("%s %s has no md5sums", pv->pkgs[i].name, pv->pkgs[i].version ?: "?");
                if (!d)
                        return -ENOMEM;
                r = finding_add_evidence(f, "/var/lib/dpkg/info", 0, d);
                if (r < 0)
                        return r;
        }
        return f ? add_more(f, total) : 0;
}

/*
 * One evidence line per file, the file itself as the path: the recovery
 * planner quarantines evidence paths, so never name a directory here.
 */
static int per_file(report *rep, const char *id, severity sev, const char *title, const char *fix, char **paths,
                    size_t n, const char *what)
{
        finding *f;

        if (n == 0)
                return 0;
        f = report_add_finding(rep, id, sev, NULL, title, fix, false);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n && i < MAX_EVIDENCE; i++) {
                int r = finding_add_evidence(f, paths[i], 0, what);

                if (r < 0)
                        return r;
        }
        return add_more(f, n);
}

int rules_runtime_apply(inspection *in)
{
        const inspect_options *o = in->opts;
        pkgverify *pv = NULL;
        rocm_tree_facts *t = NULL;
        int r;

        r = pkgverify_run(in->sr, o ? o->cache_dir : NULL, 0, in->report, &pv);
        if (r < 0)
                return r;
        r = modified(in, pv);
        if (r >= 0)
                r = diverted(in, pv);
        if (r >= 0)
                r = unverifiable(in, pv);
        if (r >= 0)
                r = rocm_tree_walk(in->sr, pv, in->report, &t);
        if (r >= 0)
                r = per_file(in->report, "runtime.unowned", SEVERITY_WARNING,
                            "Files no package owns inside ROCm package directories",
                            "move them out of the packaged tree (untarred libraries shadow the packaged ones); "
                            "reinstall the package if it was overwritten",
                            t->unowned, t->n_unowned, "no package owns it");
        if (r >= 0)
                r = per_file(in->report, "leftover.patch-artifact", SEVERITY_INFO,
                            "Patch leftovers in DKMS or ROCm trees",
                            "remove them after checking the tree; a *.orig is the pre-patch file and can restore it",
                            t->artifacts, t->n_artifacts, "patch leftover");
        if (r >= 0) {
                const char *targets[16];
                size_t n = inspection_gfx_targets(in, targets, ELEMENTSOF(targets));

                r = rocm_stack_apply(in->sr, pv, in->cache, targets, n, in->report);
        }
        rocm_tree_facts_free(t);
        pkgverify_free(pv);
        return r < 0 ? r : 0;
}
