/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Package ownership of a path, from the dpkg database of the root.
 */

#include "base/util.h"
#include "parse/dpkg.h"
#include "recover/pkgfile.h"

#define INFO_DIR "/var/lib/dpkg/info"
#define DPKG_DB_READ_MAX (256u * 1024 * 1024)

void pkgfile_clear(pkgfile *p)
{
        free(p->package);
        free(p->version);
        free(p->arch);
        free(p->md5);
        free(p->md5sums_path);
        *p = (pkgfile){0};
}

/* Does the .list buffer hold path as a whole line? */
static bool list_has(const char *buf, size_t len, const char *path)
{
        size_t pl = strlen(path);
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *hit = memmem(p, (size_t)(end - p), path, pl);

                if (!hit)
                        return false;
                if ((hit == buf || hit[-1] == '\n') && (hit + pl == end || hit[pl] == '\n'))
                        return true;
                p = hit + 1;
        }
        return false;
}

/* Name of the package whose .list names path (caller frees), NULL none. */
static int find_owner(const sysroot *sr, const char *path, char **ret)
{
        char **names = NULL;
        size_t n = 0;
        int r;

        r = sysroot_list_dir(sr, INFO_DIR, 0, &names, &n, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *p = NULL, *buf = NULL;
                size_t len;

                if (!endswith(names[i], ".list"))
                        continue;
                p = strdup_printf("%s/%s", INFO_DIR, names[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                if (sysroot_read_file(sr, p, DPKG_DB_READ_MAX, &buf, &len) < 0)
                        continue;
                if (list_has(buf, len, path)) {
                        *ret = strndup(names[i], strlen(names[i]) - strlen(".list"));
                        r = *ret ? 1 : -ENOMEM;
                }
        }
        strv_free_array(names);
        return r;
}

int pkgfile_is_packaged(const sysroot *sr, const char *path)
{
        _cleanup_free_ char *owner = NULL;

        return find_owner(sr, path, &owner);
}

typedef struct md5_find {
        const char *path;
        char *md5;
} md5_find;

static int md5_cb(const char *md5, const char *path, void *userdata)
{
        md5_find *f = userdata;

        if (!f->md5 && streq(path, f->path) && !(f->md5 = strdup(md5)))
                return -ENOMEM;
        return 0;
}

int pkgfile_lookup(const sysroot *sr, const char *path, pkgfile *ret)
{
        _cleanup_free_ char *owner = NULL, *p = NULL, *status = NULL, *conf = NULL;
        pkgfile pf = {0};
        md5_find mf = {.path = path};
        char *colon;
        size_t len;
        int r;

        r = find_owner(sr, path, &owner);
        if (r <= 0)
                return r;
        p = strdup_printf("%s/%s.md5sums", INFO_DIR, owner);
        if (!p)
                return -ENOMEM;
        if (sysroot_read_file(sr, p, DPKG_DB_READ_MAX, &status, &len) >= 0) {
                r = md5sums_parse(status, len, md5_cb, &mf);
                if (r < 0)
                        return r;
        }
        free(status);
        status = NULL;
        pf.md5 = mf.md5;
        pf.md5sums_path = TAKE_PTR(p);
        colon = strchr(owner, ':');
        if (colon)
                *colon = 0;
        pf.package = strdup(owner);
        if (!pf.package) {
                pkgfile_clear(&pf);
                return -ENOMEM;
        }
        r = sysroot_read_file(sr, "/var/lib/dpkg/status", DPKG_DB_READ_MAX, &status, &len);
        if (r >= 0) {
                if (dpkg_status_field(status, len, pf.package, "Version", &pf.version) < 0 ||
                    dpkg_status_field(status, len, pf.package, "Architecture", &pf.arch) < 0) {
                        pkgfile_clear(&pf);
                        return -ENOMEM;
                }
                if (dpkg_status_field(status, len, pf.package, "Conffiles", &conf) < 0)
                        conf = NULL;
        }
        /* Conffiles' entries are continuation lines; look for the path in the stanza text */
        if (status) {
                _cleanup_free_ char *needle = strdup_printf("\n %s ", path);
                const char *stanza = NULL;
                _cleanup_free_ char *key = strdup_printf("Package: %s\n", pf.package);

                if (needle && key && (stanza = strstr(status, key))) {
                        const char *end = strstr(stanza, "\n\n");
                        const char *hit = strstr(stanza, needle);

                        pf.conffile = hit && (!end || hit < end);
                }
        }
        *ret = pf;
        return 1;
}

int pkgindex_load(const sysroot *sr, pkgindex *ret)
{
        char **names = NULL;
        size_t n = 0;
        strv v = {0};
        int r;

        r = sysroot_list_dir(sr, INFO_DIR, 0, &names, &n, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL, *buf = NULL;
                size_t len;

                if (!endswith(names[i], ".list"))
                        continue;
                p = strdup_printf("%s/%s", INFO_DIR, names[i]);
                if (!p) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (sysroot_read_file(sr, p, DPKG_DB_READ_MAX, &buf, &len) < 0)
                        continue;
                for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
                        nl = memchr(line, '\n', (size_t)(buf + len - line));
                        if (!nl)
                                nl = buf + len;
                        *nl = 0;
                        if (*line == '/' && strv_push_dup(&v, line) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
        }
        strv_free_array(names);
        if (v.n)
                qsort(v.items, v.n, sizeof(char *), strcmp_ptr);
        *ret = (pkgindex){.paths = v.items, .n = v.n};
        return 0;
fail:
        strv_free_array(names);
        strv_clear(&v);
        return r;
}

bool pkgindex_contains(const pkgindex *idx, const char *path)
{
        return idx->n && bsearch(&path, idx->paths, idx->n, sizeof(char *), strcmp_ptr);
}

void pkgindex_clear(pkgindex *idx)
{
        for (size_t i = 0; i < idx->n; i++)
                free(idx->paths[i]);
        free(idx->paths);
        *idx = (pkgindex){0};
}
