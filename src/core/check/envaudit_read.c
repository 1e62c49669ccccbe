/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading environment files: beneath a home through homefile.c, elsewhere
 * through the root; `source` and EnvironmentFile= chains followed to
 * CHAIN_MAX levels; *.d directories listed in name order.
 */
#include "check/envaudit.h"

#include <dirent.h>
#include <fcntl.h>

/* ---- reading ---- */

bool envaudit_in_home(const envaudit *a, const char *path, const char **ret_rel)
{
        const char *rest;

        if (!a->h)
                return false;
        rest = startswith(path, a->h->path);
        if (!rest || (rest[0] != '/' && rest[0] != '\0'))
                return false;
        *ret_rel = rest[0] == '/' ? rest + 1 : rest;
        return true;
}

/* Record why a file was not read; a permission problem makes the check partial. */
int envaudit_file_reason(envaudit *a, const char *path, int err)
{
        const char *text;

        switch (err) {
        case -ENOENT:
        case -ENOTDIR:
        case -EISDIR:
                return 0;
        case -ELOOP:
                text = a->h ? "a symbolic link: files in homes are read only beneath the home, without following links"
                            : "too many levels of symbolic links";
                break;
        case -EXDEV:
                text = "leads out of the home: not read";
                break;
        case -EINVAL:
                text = "not a regular file (FIFO, socket or device): not read";
                break;
        case -EPERM:
                text = "owned by another user: not read as this user's file";
                break;
        case -EFBIG:
                text = "larger than 1 MiB: not read";
                break;
        case -EKEYREJECTED:
                text = "not readable by the user whose file sources it: not read";
                break;
        case -EACCES:
                return report_add_reason_errno(a->in->report, "env", path, err, true);
        default:
                return report_add_reason_errno(a->in->report, "env", path, err, false);
        }
        return report_add_reason(a->in->report, "env", path, text, false);
}

/*
 * Read path (as the system sees it): beneath the home through homefile.c,
 * elsewhere through the root. A system file reached from a user's file is
 * read only if the user could read it (world-readable or theirs): their
 * `. /etc/shadow` must not make root quote it.
 */
static int read_env_file(envaudit *a, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        const char *rel;
        struct stat st;

        if (envaudit_in_home(a, path, &rel))
                return home_read_file(a->h, rel, ENV_FILE_MAX, ret, ret_len);
        fd = sysroot_open_regular(a->in->sr, path);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (a->user && !(st.st_mode & S_IROTH) && st.st_uid != a->user->uid)
                return -EKEYREJECTED; /* not theirs to read: not a reason that makes the check partial */
        return read_fd_capped(fd, ENV_FILE_MAX, ret, ret_len);
}

/* Collapse "//" and "/./" (NULL on ENOMEM); ".." stays and is refused when opened. */
static char *normalize(const char *p)
{
        char *s = strdup(p), *w = s;

        if (!s)
                return NULL;
        for (const char *r = s; *r;) {
                if (r[0] == '/' && r[1] == '/') {
                        r++;
                        continue;
                }
                if (r[0] == '/' && r[1] == '.' && (r[2] == '/' || r[2] == '\0')) {
                        r += 2;
                        continue;
                }
                *w++ = *r++;
        }
        *w = '\0';
        if (w > s + 1 && w[-1] == '/')
                w[-1] = '\0';
        return s;
}

/* A `source` argument as the system sees it, or NULL when only the shell could know it. */
static char *resolve_ref(const envaudit *a, const env_ref *r)
{
        const char *p = r->path, *rest;
        _cleanup_free_ char *joined = NULL;

        if (a->h && ((rest = startswith(p, "~/")) || (rest = startswith(p, "$HOME/")) ||
                     (rest = startswith(p, "${HOME}/")) || (rest = startswith(p, "%h/"))))
                joined = strdup_printf("%s/%s", a->h->path, rest);
        else if (p[0] == '/')
                joined = strdup(p);
        else if (a->h && r->kind == ENV_REF_SOURCE && p[0] != '~' && p[0] != '$')
                joined = strdup_printf("%s/%s", a->h->path, p); /* login shells start in the home */
        else
                return NULL;
        if (!joined || strpbrk(joined, "$`*?[~%"))
                return NULL;
        return normalize(joined);
}

static int follow_refs(envaudit *a, const char *path, const env_file *f)
{
        for (size_t i = 0; i < f->n_refs; i++) {
                const env_ref *r = &f->refs[i];
                _cleanup_free_ char *target = resolve_ref(a, r);
                int k;

                if (!target)
                        continue; /* needs the shell to know ($ZDOTDIR, globs): not guessed */
                if (a->depth > CHAIN_MAX) {
                        report_add_note(a->in->report, "env: %s:%u sources files deeper than %d levels; not followed",
                                        path, r->line, CHAIN_MAX);
                        continue;
                }
                a->chain[a->depth - 1].line = r->line;
                k = envaudit_file(a, target, r->kind == ENV_REF_ENVIRONMENT_FILE ? ENV_FORMAT_KEYVALUE
                                          : f->format == ENV_FORMAT_FISH ? ENV_FORMAT_FISH : ENV_FORMAT_SHELL);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Parse one file, judge its settings, follow what it sources. */
int envaudit_file(envaudit *a, const char *path, env_format fmt)
{
        _cleanup_free_ char *buf = NULL;
        env_file *f = NULL;
        size_t len;
        int k;

        if (strv_contains(&a->visited, path))
                return 0; /* read already, or a source loop */
        k = strv_push_dup(&a->visited, path);
        if (k < 0)
                return k;
        k = read_env_file(a, path, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return envaudit_file_reason(a, path, k);
        k = env_file_parse(fmt, buf, len, &f);
        if (k == -EBADMSG)
                return report_add_reason(a->in->report, "env", path, "not valid JSON: not read", false);
        if (k < 0)
                return k;

        a->chain[a->depth] = (frame){.path = (char *)path, .file = f};
        a->depth++;
        if (a->by_hand && a->depth == 1)
                k = envaudit_judge_by_hand(a, path, f);
        for (size_t i = 0; i < f->n_entries && k >= 0; i++)
                k = envaudit_judge_entry(a, path, &f->entries[i]);
        if (k >= 0)
                k = follow_refs(a, path, f);
        a->depth--;
        a->chain[a->depth] = (frame){0};
        env_file_free(f);
        return k;
}

/* Every regular entry of dir ending in suffix, sorted, through the root or the home. */
int envaudit_list_names(envaudit *a, const char *dir, const char *suffix, strv *ret)
{
        _cleanup_close_ int fd = -EBADF;
        const char *rel;
        char **names = NULL;
        size_t n = 0;
        bool truncated = false;
        int k = 0;

        if (envaudit_in_home(a, dir, &rel)) {
                /* Listing needs a real fd beneath the home; names only, files are opened one by one. */
                DIR *d;
                struct dirent *de;

                fd = home_openat(a->h, rel, O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        return fd == -ENOMEM ? fd : envaudit_file_reason(a, dir, fd);
                d = fdopendir(TAKE_FD(fd));
                if (!d)
                        return -errno;
                while ((de = readdir(d)) && ret->n < DIR_ENTRIES_MAX)
                        if (de->d_name[0] != '.' && endswith(de->d_name, suffix) && (k = strv_push_dup(ret, de->d_name)) < 0)
                                break;
                closedir(d);
                if (k >= 0 && ret->n > 1)
                        strv_sort(ret);
                return k;
        }
        k = sysroot_list_dir(a->in->sr, dir, DIR_ENTRIES_MAX, &names, &n, &truncated);
        if (k < 0)
                return k == -ENOMEM ? k : envaudit_file_reason(a, dir, k);
        for (size_t i = 0; i < n && k >= 0; i++)
                if (names[i][0] != '.' && endswith(names[i], suffix))
                        k = strv_push_dup(ret, names[i]);
        strv_free_array(names);
        if (truncated)
                report_add_note(a->in->report, "env: %s has more than %d entries; only the first were read", dir,
                                DIR_ENTRIES_MAX);
        return k;
}

int envaudit_dir(envaudit *a, const char *dir, const char *suffix, env_format fmt)
{
        strv names = {0};
        int k;

        k = envaudit_list_names(a, dir, suffix, &names);
        for (size_t i = 0; k >= 0 && i < names.n; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names.items[i]);
                k = p ? envaudit_file(a, p, fmt) : -ENOMEM;
        }
        strv_clear(&names);
        return k;
}

int envaudit_top(envaudit *a, const char *path, env_format fmt)
{
        a->depth = 0;
        return envaudit_file(a, path, fmt);
}
