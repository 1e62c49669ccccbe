/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "parse/debsyms.h"

#include <archive.h>
#include <archive_entry.h>

#include "base/util.h"
#include "parse/dpkg.h"

#define CONTROL_MAX (256u * 1024)
#define MAX_SYMLINKS 200000u

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}
#define _cleanup_archive_ _cleanup_(archive_freep)

void deb_symlinks_free(deb_symlink *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].path);
                free(s[i].target);
        }
        free(s);
}

/* The inner tar reads the outer ar member's data through this. */
typedef struct member {
        struct archive *outer;
        char block[64 * 1024];
} member;

static la_ssize_t member_read(struct archive *inner, void *userdata, const void **buf)
{
        member *m = userdata;

        (void)inner;
        *buf = m->block;
        return archive_read_data(m->outer, m->block, sizeof(m->block));
}

static struct archive *open_member(member *m)
{
        struct archive *in = archive_read_new();

        if (!in)
                return NULL;
        if (archive_read_support_filter_all(in) != ARCHIVE_OK || archive_read_support_format_tar(in) != ARCHIVE_OK ||
            archive_read_open(in, m, NULL, member_read, NULL) != ARCHIVE_OK) {
                archive_read_free(in);
                return NULL;
        }
        return in;
}

/* "./usr/lib/x" -> "/usr/lib/x"; NULL for the top directory. */
static char *member_path(const char *name)
{
        while (name[0] == '.' && name[1] == '/')
                name++;
        while (*name == '/')
                name++;
        if (!*name || streq(name, "."))
                return NULL;
        return strdup_printf("/%s", name);
}

static int check_control(member *m, const char *package, const char *version, const char *arch)
{
        _cleanup_archive_ struct archive *in = open_member(m);
        struct archive_entry *e;

        if (!in)
                return -EBADMSG;
        while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                _cleanup_free_ char *buf = NULL, *v = NULL, *a = NULL;
                size_t len = 0;

                if (!name || (!streq(name, "./control") && !streq(name, "control")))
                        continue;
                buf = malloc(CONTROL_MAX + 1);
                if (!buf)
                        return -ENOMEM;
                for (;;) {
                        la_ssize_t k = archive_read_data(in, buf + len, CONTROL_MAX - len);

                        if (k < 0)
                                return -EBADMSG;
                        if (k == 0 || len + (size_t)k >= CONTROL_MAX)
                                break;
                        len += (size_t)k;
                }
                buf[len] = '\0';
                /* One stanza: found only under its own Package name. */
                if (dpkg_status_field(buf, len, package, "Version", &v) <= 0 ||
                    dpkg_status_field(buf, len, package, "Architecture", &a) <= 0)
                        return -ESTALE;
                if (!streq(v, version) || (arch && !streq(a, arch)))
                        return -ESTALE;
                return 0;
        }
        return -EBADMSG;
}

static int read_data(member *m, deb_symlink **ret, size_t *ret_n)
{
        _cleanup_archive_ struct archive *in = open_member(m);
        struct archive_entry *e;
        deb_symlink *s = NULL;
        size_t n = 0;
        int r;

        if (!in)
                return -EBADMSG;
        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                const char *target;
                deb_symlink *a;
                char *path;

                if (archive_entry_filetype(e) != AE_IFLNK)
                        continue;
                target = archive_entry_symlink(e);
                path = member_path(archive_entry_pathname(e) ?: "");
                if (!path || !target || n >= MAX_SYMLINKS) {
                        free(path);
                        continue;
                }
                a = realloc(s, (n + 1) * sizeof(*a));
                if (!a || !(a[n].target = strdup(target))) {
                        if (a)
                                s = a;
                        free(path);
                        deb_symlinks_free(s, n);
                        return -ENOMEM;
                }
                s = a;
                s[n++].path = path;
        }
        if (r != ARCHIVE_EOF) {
                deb_symlinks_free(s, n);
                return -EBADMSG;
        }
        *ret = s;
        *ret_n = n;
        return 0;
}

int deb_read_symlinks(int fd, const char *package, const char *version, const char *arch,
                      deb_symlink **ret, size_t *ret_n)
{
        _cleanup_archive_ struct archive *outer = archive_read_new();
        _cleanup_free_ member *m = malloc(sizeof(member));
        struct archive_entry *e;
        bool control_ok = false;
        int r;

        if (!outer || !m)
                return -ENOMEM;
        m->outer = outer;
        if (archive_read_support_format_ar(outer) != ARCHIVE_OK ||
            archive_read_open_fd(outer, fd, 64 * 1024) != ARCHIVE_OK)
                return -EBADMSG;
        while (archive_read_next_header(outer, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);

                if (!name)
                        continue;
                if (startswith(name, "control.tar")) {
                        r = check_control(m, package, version, arch);
                        if (r < 0)
                                return r;
                        control_ok = true;
                } else if (startswith(name, "data.tar")) {
                        if (!control_ok)
                                return -EBADMSG; /* dpkg-deb always writes control first */
                        return read_data(m, ret, ret_n);
                }
        }
        return -EBADMSG;
}
