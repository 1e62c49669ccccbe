/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Package integrity of the ROCm/amdgpu family (see pkgverify.h). The
 * database is read through the sysroot; file digests come from the hash
 * pool, which asks the hash cache first.
 */
#include "probe/pkgverify.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/util.h"
#include "parse/debsyms.h"
#include "probe/hashpool.h"

#define STATUS_MAX (256u << 20)
#define INFO_MAX (256u << 20)
#define DIVERSIONS_MAX (64u << 20)

static const char *const rocm_stems[] = {
        "hip", "amdhip", "hsa", "rocm", "rocr", "rocblas", "rocfft", "rocrand", "rocsolver", "rocsparse",
        "rocprim", "rocthrust", "roctracer", "rocprofiler", "rocalution", "rocwmma", "rocdecode", "miopen",
        "rccl", "amdgpu", "amd-comgr", "amd-smi", "comgr", "migraphx", "tensile",
};

bool pkg_name_is_rocm(const char *name)
{
        const char *n = startswith(name, "lib") ?: name;

        for (size_t i = 0; i < ELEMENTSOF(rocm_stems); i++)
                if (startswith(n, rocm_stems[i]))
                        return true;
        /* libdrm-amdgpu1, xserver-xorg-video-amdgpu */
        return strstr(name, "-amdgpu") != NULL;
}

/* A .list naming a file in a ROCm tree or the amdgpu DKMS source. */
static bool list_has_rocm_path(const char *buf, size_t len)
{
        static const char *const prefixes[] = {"/opt/rocm", "/usr/src/amdgpu-"};

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                _cleanup_free_ char *nl = strdup_printf("\n%s", prefixes[i]);

                if (strncmp(buf, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
                if (nl && memmem(buf, len, nl, strlen(nl)))
                        return true;
        }
        return false;
}

/* Is there anything named /opt/rocm* or /usr/src/amdgpu-* (file, directory or link)? */
static bool has_rocm_tree(const sysroot *sr)
{
        static const struct {
                const char *dir, *prefix;
        } places[] = {{"/opt", "rocm"}, {"/usr/src", "amdgpu-"}};
        bool found = false;

        for (size_t i = 0; i < ELEMENTSOF(places) && !found; i++) {
                char **names = NULL;
                size_t n = 0;
                int r = sysroot_list_dir(sr, places[i].dir, 0, &names, &n, NULL);

                if (r < 0)
                        found = r != -ENOENT && r != -ENOTDIR; /* cannot tell: read the lists */
                for (size_t j = 0; j < n && !found; j++)
                        found = startswith(names[j], places[i].prefix) != NULL;
                strv_free_array(names);
        }
        return found;
}

static void problem_clear(pv_problem *p)
{
        free(p->path);
        free(p->listed);
        free(p->target);
        free(p->want_target);
}

pkgverify *pkgverify_free(pkgverify *pv)
{
        if (!pv)
                return NULL;
        dpkg_pkgs_free(pv->pkgs, pv->n_pkgs);
        free(pv->relevant);
        free(pv->unverifiable);
        free(pv->symlinks_checked);
        free(pv->in_rocm_tree);
        free(pv->lists);
        free(pv->list_lens);
        dpkg_diversions_free(pv->diversions, pv->n_diversions);
        for (size_t i = 0; i < pv->n_problems; i++)
                problem_clear(&pv->problems[i]);
        free(pv->problems);
        strset_clear(&pv->owned);
        strset_clear(&pv->diverted);
        strv_clear(&pv->keep);
        free(pv);
        return NULL;
}

/* usrmerge: /bin, /sbin, /lib* that are symlinks to their /usr directories. */
static void find_usr_aliases(const sysroot *sr, pkgverify *pv)
{
        static const char *const dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = strdup_printf("/%s", dirs[i]), *target = NULL;
                _cleanup_free_ char *rel = strdup_printf("usr/%s", dirs[i]);

                if (!path || !rel || sysroot_readlink(sr, path, &target) < 0)
                        continue;
                if (streq(target, rel) || (target[0] == '/' && streq(target + 1, rel)))
                        snprintf(pv->usr_aliases[pv->n_usr_aliases++], sizeof(pv->usr_aliases[0]), "/%s", dirs[i]);
        }
}

/* path, or its /usr form written to buf when it starts with a usrmerge alias (NULL: too long). */
static const char *canonical_in(const pkgverify *pv, const char *path, char *buf, size_t size)
{
        for (size_t i = 0; i < pv->n_usr_aliases; i++) {
                const char *rest = startswith(path, pv->usr_aliases[i]);

                if (rest && (*rest == '/' || *rest == '\0')) {
                        int n = snprintf(buf, size, "/usr%s", path);

                        return n >= 0 && (size_t)n < size ? buf : NULL;
                }
        }
        return path;
}

char *pkgverify_canonical(const pkgverify *pv, const char *path)
{
        for (size_t i = 0; i < pv->n_usr_aliases; i++) {
                const char *rest = startswith(path, pv->usr_aliases[i]);

                if (rest && (*rest == '/' || *rest == '\0'))
                        return strdup_printf("/usr%s", path);
        }
        return strdup(path);
}

/*
 * Add path's canonical form to a borrowed set, keeping a copy only when it
 * differs from path. owner 0: a plain member (diversions).
 */
static int add_canonical(pkgverify *pv, strset *set, const char *path, uint32_t owner)
{
        char buf[4096];
        const char *c = canonical_in(pv, path, buf, sizeof(buf));
        char *copy;

        if (!c)
                return 0;
        if (c != path) {
                if (strset_contains(set, c))
                        return owner ? strset_add_owned_by(set, c, owner) : 0;
                copy = strdup(c);
                if (!copy || strv_push(&pv->keep, copy) < 0)
                        return -ENOMEM;
                c = copy;
        }
        return owner ? strset_add_owned_by(set, c, owner) : strset_add_borrowed(set, c);
}

/* Does package i's .list name path (any usrmerge spelling)? */
static bool pkg_lists(const pkgverify *pv, size_t i, const char *path)
{
        char buf[4096], buf2[4096];
        const char *c = canonical_in(pv, path, buf, sizeof(buf));
        uint32_t owner;

        if (!c)
                return false;
        owner = strset_get_value(&pv->owned, c);
        if (owner != STRSET_SHARED)
                return owner == i + 1;
        /* listed by several packages (Multi-Arch: same files, directories): read this one's list */
        for (const char *l = pv->lists[i]; l && l < pv->lists[i] + pv->list_lens[i]; l += strlen(l) + 1) {
                const char *lc = canonical_in(pv, l, buf2, sizeof(buf2));

                if (lc && streq(lc, c))
                        return true;
        }
        return false;
}

bool pkgverify_owns(const pkgverify *pv, const char *path)
{
        char buf[4096];
        const char *c = canonical_in(pv, path, buf, sizeof(buf));

        return c && strset_contains(&pv->owned, c);
}

const dpkg_diversion *pkgverify_diversion(const pkgverify *pv, const char *path)
{
        char buf[4096], buf2[4096];
        const char *c = canonical_in(pv, path, buf, sizeof(buf));

        if (!c || !strset_contains(&pv->diverted, c))
                return NULL;
        for (size_t i = 0; i < pv->n_diversions; i++) {
                const char *from = canonical_in(pv, pv->diversions[i].from, buf2, sizeof(buf2));

                if (from && streq(from, c))
                        return &pv->diversions[i];
        }
        return NULL;
}

/* Read /var/lib/dpkg/info/NAME:ARCH.EXT, else NAME.EXT (dpkg's own order for multi-arch names). */
static int read_info(const sysroot *sr, const dpkg_pkg *p, const char *ext, char **ret, size_t *ret_len,
                     char **ret_path)
{
        int r = -ENOENT;

        for (int pass = 0; pass < 2 && r == -ENOENT; pass++) {
                _cleanup_free_ char *path = NULL;

                if (pass == 0 && !p->arch)
                        continue;
                path = pass == 0 ? strdup_printf("/var/lib/dpkg/info/%s:%s.%s", p->name, p->arch, ext)
                                 : strdup_printf("/var/lib/dpkg/info/%s.%s", p->name, ext);
                if (!path)
                        return -ENOMEM;
                r = sysroot_read_file(sr, path, INFO_MAX, ret, ret_len);
                if (r >= 0 && ret_path)
                        *ret_path = TAKE_PTR(path);
                else if (r != -ENOENT && ret_path)
                        *ret_path = TAKE_PTR(path);
        }
        return r;
}

/*
 * One line per path; "/." is dpkg's name for the root directory. Lines are
 * cut in place: the sets borrow them from buf, which the caller keeps.
 */
static int list_parse(pkgverify *pv, char *buf, size_t len, size_t pkg)
{
        char *p = buf, *end = buf + len;

        while (p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                int r;

                p[n] = '\0'; /* the newline, or the NUL after the buffer */
                if (n > 0 && p[0] == '/' && strlen(p) == n && !(n == 2 && p[1] == '.')) {
                        r = add_canonical(pv, &pv->owned, p, (uint32_t)pkg + 1);
                        if (r < 0)
                                return r;
                }
                p += n + 1;
        }
        return 0;
}

typedef struct job_meta {
        size_t pkg;
        char *listed;      /* path in the package; NULL when the job's path is it */
        char md5[33];      /* expected */
        bool conffile;
} job_meta;

typedef struct collect {
        pkgverify *pv;
        const dpkg_pkg *pkg;
        size_t pkg_index;
        hash_job *jobs;
        job_meta *meta;
        size_t n_jobs, cap_jobs;
        size_t *n_md5;
} collect;

static bool is_conffile(const dpkg_pkg *p, const char *path)
{
        for (size_t i = 0; i < p->n_conffiles; i++)
                if (streq(p->conffiles[i].path, path))
                        return true;
        return false;
}

static int add_job(collect *c, const char *path, const char *md5, bool conffile)
{
        const dpkg_diversion *d = pkgverify_diversion(c->pv, path);
        const char *check = path;
        job_meta *m;

        /* Diverted by someone else: dpkg put this package's file at the diverted-to name. */
        if (d && !streq(d->package, c->pkg->name))
                check = d->to;
        if (c->n_jobs == c->cap_jobs) {
                size_t cap = c->cap_jobs ? c->cap_jobs * 2 : 1024;
                hash_job *j = realloc(c->jobs, cap * sizeof(*j));
                job_meta *mm;

                if (!j)
                        return -ENOMEM;
                c->jobs = j;
                mm = realloc(c->meta, cap * sizeof(*mm));
                if (!mm)
                        return -ENOMEM;
                c->meta = mm;
                c->cap_jobs = cap;
        }
        m = &c->meta[c->n_jobs];
        *m = (job_meta){.pkg = c->pkg_index, .conffile = conffile};
        snprintf(m->md5, sizeof(m->md5), "%s", md5);
        c->jobs[c->n_jobs] = (hash_job){.path = strdup(check)};
        if (!c->jobs[c->n_jobs].path)
                return -ENOMEM;
        if (check != path) {
                m->listed = strdup(path);
                if (!m->listed) {
                        free((char *)c->jobs[c->n_jobs].path);
                        return -ENOMEM;
                }
        }
        c->n_jobs++;
        return 0;
}

static int on_md5sum(const char *md5, const char *path, void *userdata)
{
        collect *c = userdata;

        (*c->n_md5)++;
        /* Taken over by another package (Replaces): gone from our .list, the new owner verifies it. */
        if (!pkg_lists(c->pv, c->pkg_index, path))
                return 0;
        if (is_conffile(c->pkg, path))
                return 0;
        return add_job(c, path, md5, false);
}

/* Does the package ship a regular file that is not a conffile (so md5sums are due)? */
static bool ships_regular_file(const sysroot *sr, const pkgverify *pv, size_t i)
{
        const dpkg_pkg *p = &pv->pkgs[i];

        for (const char *l = pv->lists[i]; l && l < pv->lists[i] + pv->list_lens[i]; l += strlen(l) + 1) {
                struct stat st;

                if (l[0] != '/' || is_conffile(p, l))
                        continue;
                if (sysroot_lstat(sr, l, &st) == 0 && S_ISREG(st.st_mode))
                        return true;
        }
        return false;
}

static int add_problem(pkgverify *pv, size_t pkg, const char *path, const char *listed, pv_state state, int error,
                       const char *target, const char *want_target)
{
        pv_problem *a = realloc(pv->problems, (pv->n_problems + 1) * sizeof(*a)), *p;

        if (!a)
                return -ENOMEM;
        pv->problems = a;
        p = &a[pv->n_problems];
        *p = (pv_problem){.pkg = pkg, .state = state, .error = error};
        p->path = strdup(path);
        p->listed = listed ? strdup(listed) : NULL;
        p->target = target ? strdup(target) : NULL;
        p->want_target = want_target ? strdup(want_target) : NULL;
        if (!p->path || (listed && !p->listed) || (target && !p->target) || (want_target && !p->want_target)) {
                problem_clear(p);
                return -ENOMEM;
        }
        pv->n_problems++;
        return 0;
}

/* Packaged symlinks against the cached .deb of exactly this package build. */
static int check_symlinks(const sysroot *sr, pkgverify *pv, size_t i, report *r)
{
        const dpkg_pkg *p = &pv->pkgs[i];
        _cleanup_free_ char *name = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        deb_symlink *links = NULL;
        size_t n = 0;
        int k;

        if (!p->version)
                return 0;
        name = dpkg_archive_name(p->name, p->version, p->arch);
        if (!name)
                return -ENOMEM;
        path = strdup_printf("/var/cache/apt/archives/%s", name);
        if (!path)
                return -ENOMEM;
        fd = sysroot_open_regular(sr, path);
        if (fd < 0)
                return 0; /* no archive: symlinks cannot be checked (dpkg cannot either) */
        k = deb_read_symlinks(fd, p->name, p->version, p->arch, &links, &n);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add_reason(r, "dpkg", path, k == -ESTALE ? "cached .deb is another build of the package"
                                                                       : "cached .deb is damaged", false);
        pv->symlinks_checked[i] = true;
        for (size_t j = 0; j < n && k >= 0; j++) {
                _cleanup_free_ char *now = NULL;
                int e;

                if (!pkg_lists(pv, i, links[j].path))
                        continue; /* taken over, or not installed */
                e = sysroot_readlink(sr, links[j].path, &now);
                if (e == -ENOMEM)
                        k = e;
                else if (e < 0 || !streq(now, links[j].target))
                        k = add_problem(pv, i, links[j].path, NULL, e == -ENOENT ? PV_MISSING : PV_SYMLINK_CHANGED, 0,
                                        e < 0 ? NULL : now, links[j].target);
        }
        deb_symlinks_free(links, n);
        return k < 0 ? k : 0;
}

static int cmp_problem(const void *a, const void *b)
{
        return strcmp(((const pv_problem *)a)->path, ((const pv_problem *)b)->path);
}

static int hexbyte(const char *s)
{
        int v = 0;

        for (int i = 0; i < 2; i++) {
                char c = s[i];

                v = v * 16 + (c >= 'a' ? c - 'a' + 10 : c - '0');
        }
        return v;
}

static bool md5_equal(const uint8_t got[16], const char *want)
{
        if (strlen(want) != 32)
                return false;
        for (int i = 0; i < 16; i++)
                if (got[i] != hexbyte(want + 2 * i))
                        return false;
        return true;
}

int pkgverify_run(const sysroot *sr, const char *cache_dir, unsigned nthreads, report *r, pkgverify **ret)
{
        _cleanup_free_ char *status = NULL, *div = NULL;
        pkgverify *pv = calloc(1, sizeof(*pv));
        hash_cache *cache = NULL;
        collect c = {0};
        size_t len, n_md5 = 0;
        bool trees;
        int k;

        if (!pv)
                return -ENOMEM;
        c.pv = pv;
        c.n_md5 = &n_md5;
        pv->owned.borrowed = pv->diverted.borrowed = true;
        find_usr_aliases(sr, pv);

        k = sysroot_read_file(sr, "/var/lib/dpkg/status", STATUS_MAX, &status, &len);
        if (k == -ENOENT) {
                *ret = pv;
                return 0;
        }
        if (k < 0) {
                k = report_add_reason_errno(r, "dpkg", "/var/lib/dpkg/status", k, true);
                if (k < 0)
                        goto fail;
                *ret = pv;
                return 0;
        }
        k = dpkg_status_parse(status, len, &pv->pkgs, &pv->n_pkgs);
        if (k == -EBADMSG) {
                k = report_add_reason_errno(r, "dpkg", "/var/lib/dpkg/status", k, true);
                if (k < 0)
                        goto fail;
                *ret = pv;
                return 0;
        }
        if (k < 0)
                goto fail;

        k = sysroot_read_file(sr, "/var/lib/dpkg/diversions", DIVERSIONS_MAX, &div, &len);
        if (k >= 0)
                k = dpkg_diversions_parse(div, len, &pv->diversions, &pv->n_diversions);
        if (k == -ENOMEM)
                goto fail;
        if (k < 0 && k != -ENOENT)
                (void)report_add_reason_errno(r, "dpkg", "/var/lib/dpkg/diversions", k, false);
        for (size_t i = 0; i < pv->n_diversions; i++) {
                k = add_canonical(pv, &pv->owned, pv->diversions[i].to, STRSET_SHARED);
                if (k >= 0)
                        k = add_canonical(pv, &pv->diverted, pv->diversions[i].from, 0);
                if (k < 0)
                        goto fail;
        }

        pv->relevant = calloc(pv->n_pkgs ?: 1, sizeof(bool));
        pv->unverifiable = calloc(pv->n_pkgs ?: 1, sizeof(bool));
        pv->symlinks_checked = calloc(pv->n_pkgs ?: 1, sizeof(bool));
        pv->in_rocm_tree = calloc(pv->n_pkgs ?: 1, sizeof(bool));
        pv->lists = calloc(pv->n_pkgs ?: 1, sizeof(char *));
        pv->list_lens = calloc(pv->n_pkgs ?: 1, sizeof(size_t));
        if (!pv->relevant || !pv->unverifiable || !pv->symlinks_checked || !pv->in_rocm_tree || !pv->lists ||
            !pv->list_lens) {
                k = -ENOMEM;
                goto fail;
        }

        trees = has_rocm_tree(sr);
        for (size_t i = 0; i < pv->n_pkgs; i++) {
                dpkg_pkg *p = &pv->pkgs[i];
                _cleanup_free_ char *list = NULL, *md5 = NULL, *list_path = NULL, *md5_path = NULL;
                size_t list_len = 0, md5_len = 0;

                if (!dpkg_status_has_files(p->status))
                        continue;
                /* Without a ROCm tree on disk only the names can make a package relevant:
                 * do not read every package's list for nothing. */
                if (!trees && !pkg_name_is_rocm(p->name))
                        continue;
                k = read_info(sr, p, "list", &list, &list_len, &list_path);
                if (k == -ENOMEM)
                        goto fail;
                pv->in_rocm_tree[i] = k >= 0 && list_has_rocm_path(list, list_len);
                if (!pkg_name_is_rocm(p->name) && !pv->in_rocm_tree[i])
                        continue;
                pv->relevant[i] = true;
                if (k < 0) {
                        if (k != -ENOENT)
                                (void)report_add_reason_errno(r, "dpkg", list_path, k, true);
                        continue;
                }
                {
                        char *l = TAKE_PTR(list);

                        k = strv_push(&pv->keep, l); /* the sets borrow its lines */
                        if (k < 0)
                                goto fail;
                        pv->lists[i] = l;
                        pv->list_lens[i] = list_len;
                        k = list_parse(pv, l, list_len, i);
                }
                if (k < 0)
                        goto fail;
                k = read_info(sr, p, "md5sums", &md5, &md5_len, &md5_path);
                if (k == -ENOMEM)
                        goto fail;
                if (k == -ENOENT)
                        pv->unverifiable[i] = ships_regular_file(sr, pv, i);
                else if (k < 0)
                        (void)report_add_reason_errno(r, "dpkg", md5_path, k, true);
                else if (k >= 0) {
                        /* An unterminated last line is a cut file, not a path: drop it. */
                        if (md5_len > 0 && md5[md5_len - 1] != '\n') {
                                char *nl = memrchr(md5, '\n', md5_len);

                                md5_len = nl ? (size_t)(nl - md5 + 1) : 0;
                                (void)report_add_reason(r, "dpkg", md5_path, "last line cut off", false);
                        }
                        c.pkg = p;
                        c.pkg_index = i;
                        k = md5sums_parse(md5, md5_len, on_md5sum, &c);
                        if (k > 0)
                                (void)report_add_reason(r, "dpkg", md5_path, "malformed lines skipped", false);
                }
                if (k == -ENOENT || (k < 0 && k != -ENOMEM))
                        k = 0; /* recorded above: the conffiles and symlinks are still checked */
                for (size_t j = 0; k >= 0 && j < p->n_conffiles; j++) {
                        const dpkg_conffile *cf = &p->conffiles[j];

                        if (cf->obsolete || !cf->md5[0] || !pkg_lists(pv, i, cf->path))
                                continue;
                        c.pkg = p;
                        c.pkg_index = i;
                        k = add_job(&c, cf->path, cf->md5, true);
                }
                if (k >= 0)
                        k = check_symlinks(sr, pv, i, r);
                if (k < 0)
                        goto fail;
        }

        k = hash_cache_load(cache_dir, sr->path, &cache);
        if (k < 0)
                goto fail;
        pv->cache_state = hash_cache_get_state(cache);
        k = hash_jobs_run(sr, c.jobs, c.n_jobs, cache, nthreads);
        if (k < 0)
                goto fail;
        for (size_t j = 0; j < c.n_jobs; j++) {
                hash_job *job = &c.jobs[j];
                job_meta *m = &c.meta[j];

                pv->n_files++;
                if (job->cached)
                        pv->n_cached++;
                if (job->cached)
                        hash_cache_keep(cache, job->cache_ref);
                else if (job->error == 0 && hash_cache_put(cache, job->path, &job->key, job->md5) < 0) {
                        k = -ENOMEM;
                        goto fail;
                }
                if (job->error == 0 && md5_equal(job->md5, m->md5))
                        continue;
                if (m->conffile)
                        k = add_problem(pv, m->pkg, job->path, m->listed,
                                        job->error == -ENOENT ? PV_MISSING : PV_CONFFILE_CHANGED, job->error, NULL, NULL);
                else
                        k = add_problem(pv, m->pkg, job->path, m->listed,
                                        job->error == 0 ? PV_MODIFIED :
                                        job->error == -ENOENT ? PV_MISSING :
                                        job->error == -EINVAL ? PV_NOT_REGULAR : PV_UNREADABLE,
                                        job->error, NULL, NULL);
                if (k < 0)
                        goto fail;
                /* A missing conffile is an admin choice too: keep it as a conffile change. */
                if (m->conffile && job->error == -ENOENT)
                        pv->problems[pv->n_problems - 1].state = PV_CONFFILE_CHANGED;
        }
        (void)hash_cache_save(cache); /* a cache that cannot be written only costs time */
        if (pv->n_problems)
                qsort(pv->problems, pv->n_problems, sizeof(pv_problem), cmp_problem);
        k = 0;
        *ret = pv;
        pv = NULL;
fail:
        for (size_t j = 0; j < c.n_jobs; j++) {
                free((char *)c.jobs[j].path);
                free(c.meta[j].listed);
        }
        free(c.jobs);
        free(c.meta);
        hash_cache_free(cache);
        pkgverify_free(pv);
        return k;
}
