/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The executor (executor.h). Each file step: intent → backup (hash from the
 * same fd) → new content in a temp file with the old metadata → rename →
 * after-hash → done. On resume a step's state and the file's hash say
 * where it stopped: old content → do it, new content → record it, anything
 * else → refuse (someone changed the file since).
 */

#include <fcntl.h>
#include <md5.h>
#include <signal.h>
#include <stdarg.h>

#include "base/fault.h"
#include "base/spawn_cmd.h"
#include "recover/debsource.h"
#include "recover/executor.h"
#include "recover/kernel_step.h"
#include "recover/pkgfile.h"
#include "recover/stepfile.h"
#include "root/fileops.h"
#include "root/userdrop.h"

#define CONTENT_READ_MAX (256u * 1024 * 1024)

void exec_report_clear(exec_report *rep)
{
        strv_clear(&rep->messages);
        *rep = (exec_report){0};
}

/* A progress line for the caller only (not a message of the report). */
static void tell(exec_report *rep, const char *fmt, ...) _printf_(2, 3);
static void tell(exec_report *rep, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        if (!rep->on_line)
                return;
        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n >= 0)
                rep->on_line(s, rep->userdata);
}

static void say(exec_report *rep, const char *fmt, ...) _printf_(2, 3);
static void say(exec_report *rep, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        if (rep->on_line)
                rep->on_line(s, rep->userdata);
        strv_push(&rep->messages, s);
}

typedef struct step_ctx {
        journal *j;
        size_t idx;
        const plan_action *a;
        const exec_options *o;
        exec_report *rep;
        user_ids user;          /* in_home: the owner */
        bool have_user;
} step_ctx;

static void record_child(pid_t pid, void *ud)
{
        step_ctx *c = ud;

        (void)journal_set_child(c->j, c->idx, pid);
}

static int fail_step(step_ctx *c, int err, const char *fmt, ...) _printf_(3, 4);
static int fail_step(step_ctx *c, int err, const char *fmt, ...)
{
        _cleanup_free_ char *why = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        if (err < 0 && why) {
                char *w = strdup_printf("%s: %s", why, strerror(-err));

                if (w) {
                        free(why);
                        why = w;
                }
        }
        c->rep->failed++;
        say(c->rep, "step %zu %s %s: refused: %s", c->idx + 1, action_type_to_string(c->a->type),
            c->a->path ? c->a->path : (c->a->kernel ? c->a->kernel : ""), why ? why : "out of memory");
        r = journal_step_failed(c->j, c->idx, why ? why : "failed");
        return r < 0 ? r : 0;
}

static int finish_step(step_ctx *c, const char *path, const char *md5_after)
{
        int r;

        r = journal_record_after(c->j, c->idx, path, md5_after);
        if (r < 0)
                return r;
        r = fault_point("after-recorded");
        if (r < 0)
                return r;
        r = journal_step_done(c->j, c->idx);
        if (r < 0)
                return r;
        c->rep->done++;
        say(c->rep, "step %zu %s %s: done", c->idx + 1, action_type_to_string(c->a->type), path);
        return fault_point("step-done");
}

/*
 * Open the parent of a step's file (stepfile.h). The directory must be
 * the step owner's: a user's file is never written into a directory that
 * user does not own, nor a root step into a user's directory (-EPERM).
 */
static int open_parent(step_ctx *c, const char *path, int *ret_dirfd, char **ret_base)
{
        _cleanup_close_ int dirfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        uid_t want = geteuid(); /* root's, or ours when the demo runs on a user's copy */
        struct stat st;
        int r;

        if (c->a->in_home) {
                if (!c->have_user) {
                        r = user_ids_load(c->o->sr, c->a->owner_uid, &c->user);
                        if (r < 0)
                                return r;
                        c->have_user = true;
                }
                want = c->user.uid;
        }
        r = step_open_parent(c->o->sr, c->a, c->a->in_home ? &c->user : NULL, path, &dirfd, &base);
        if (r < 0)
                return r;
        if (fstat(dirfd, &st) < 0)
                return -errno;
        if (st.st_uid != want)
                return -EPERM;
        *ret_dirfd = TAKE_FD(dirfd);
        *ret_base = TAKE_PTR(base);
        return 0;
}

/* Why open_parent refused, for people. */
static const char *open_parent_why(const step_ctx *c, int r)
{
        if (r == -EPERM)
                return c->a->in_home ? "its directory is not owned by the file's owner: change it by hand"
                                     : "its directory is owned by a user: plan again (the step is that user's)";
        if (r == -ELOOP)
                return "a symbolic link is in the way (it is not followed)";
        return strerror(-r);
}


static journal_file *step_file(journal *j, size_t idx, const char *path)
{
        journal_step *s = journal_get_step(j, idx);

        for (size_t i = 0; s && i < s->n_files; i++)
                if (streq(s->files[i].path, path))
                        return &s->files[i];
        return NULL;
}
/*
 * A file step's directory, opened as the step writes into it, and the
 * journal's record of the file; a directory other than the one this run
 * backed the file up from is refused. Returns 0, 1 when the step was
 * refused (recorded), < 0 errno.
 */
static int open_step_dir(step_ctx *c, int *ret_dirfd, char **ret_base, const journal_file **ret_jf)
{
        const char *path = c->a->path;
        int r;

        r = open_parent(c, path, ret_dirfd, ret_base);
        if (r < 0)
                r = fail_step(c, 0, "cannot open the directory of %s: %s", path, open_parent_why(c, r));
        else if ((*ret_jf = step_file(c->j, c->idx, path)) && fo_dir_id_check(*ret_dirfd, &(*ret_jf)->dir) < 0)
                r = fail_step(c, 0, "the directory of %s is not the one this run backed it up from", path);
        else
                return 0;
        return r < 0 ? r : 1;
}


static int read_backup(const journal *j, const journal_file *f, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = journal_open_backup(j, f);
        char md5[33];
        int r;

        if (fd < 0)
                return fd;
        r = read_fd_capped(fd, CONTENT_READ_MAX, ret, ret_len);
        if (r < 0)
                return r;
        /* a backup that does not hash to its record is never used */
        MD5Data((const uint8_t *)*ret, *ret_len, md5);
        if (!streq(md5, f->md5)) {
                free(*ret);
                *ret = NULL;
                return -EBADMSG;
        }
        return 0;
}

/* Has a step of this run before idx changed path already? */
static bool changed_earlier_in_run(const journal *j, size_t idx, const char *path)
{
        const plan *p = journal_plan(j);

        for (size_t k = 0; k < idx; k++) {
                step_state st = journal_get_step(j, k)->state;

                if ((st == STEP_DONE || st == STEP_APPLIED) && streq_ptr(p->actions[k].path, path))
                        return true;
        }
        return false;
}

/*
 * The MD5 of a step's file (fd, at most max bytes) into cur. A plan that
 * was shown and confirmed (plan_seal.c) is compared here too, on this
 * descriptor, in the same read (docs/SECURITY.md, 4): the file about to be
 * backed up must be the one that was shown, not only the one compared
 * before the journal started. A file an earlier step of this run changed
 * is what that step left: its own checks (the line's text) hold. Returns
 * 0, 1 when it differs from what was shown (*ret_why says how), < 0 errno.
 */
static int hash_step_file(step_ctx *c, int fd, uint64_t max, bool fresh, char cur[33], char **ret_why)
{
        const plan *p = journal_plan(c->j);

        if (!p->sealed || !fresh || changed_earlier_in_run(c->j, c->idx, c->a->path))
                return fo_hash_fd_max(fd, max, cur, NULL);
        return plan_seal_check_fd(p, c->a->path, fd, max == UINT64_MAX ? 0 : max, cur, ret_why);
}

/*
 * The checks before a file step's backup, and the backup (once per step):
 * a user's file must be the owner's and at most USER_FILE_MAX (hashed and
 * copied no further), a file not yet backed up the one the plan saw (a user
 * may grow it in between: docs/SECURITY.md, 5), none immutable, a backup
 * made now the bytes that were hashed (a resumed step finds its backup made
 * and the file perhaps already new). Its hash into cur, *jf the journal's
 * record. Returns 0, 1 when the step was refused (recorded), < 0 errno.
 */
static int check_and_back_up(step_ctx *c, int dirfd, int fd, const struct stat *st, const char *verb, char cur[33],
                             const journal_file **jf)
{
        const plan_action *a = c->a;
        _cleanup_free_ char *unreviewed = NULL;
        uint64_t max = a->in_home ? USER_FILE_MAX : UINT64_MAX;
        bool backed_up = *jf && (*jf)->backup;
        int r;

        if (a->in_home && st->st_uid != c->user.uid)
                r = fail_step(c, 0, "%s in %s's home is owned by uid %u, not by %s: %s it by hand", a->path,
                              c->user.name, (unsigned)st->st_uid, c->user.name, verb);
        else if ((uint64_t)st->st_size > max)
                r = fail_step(c, 0, "%s is %llu bytes, more than the %u MiB a user's file may be: not copied into the "
                              "journal; %s it by hand", a->path, (unsigned long long)st->st_size, USER_FILE_MAX >> 20,
                              verb);
        else if (!backed_up && !step_file_is_planned(a, st))
                r = fail_step(c, 0, "%s is not the file that was planned (now %llu bytes, planned %llu; or another "
                              "file, or changed since): not copied; plan again", a->path,
                              (unsigned long long)st->st_size, (unsigned long long)a->planned.size);
        else if (fo_check_mutable(fd) < 0)
                r = fail_step(c, 0, "%s is immutable or append-only (chattr); refused, not forced", a->path);
        else if ((r = hash_step_file(c, fd, max, !backed_up, cur, &unreviewed)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                r = fail_step(c, r < 0 ? r : -errno, "cannot read %s%s", a->path,
                              r == -EFBIG ? " (it grew past the limit while it was read)" : "");
        else if (r > 0) {
                c->rep->unreviewed++;
                r = fail_step(c, 0, "%s is not the file the plan showed (%s): not changed; look at the new plan and "
                              "confirm that one", a->path, unreviewed ? unreviewed : "out of memory");
        } else if (!backed_up && (r = journal_backup_fd_at(c->j, c->idx, a->path, dirfd, fd, max, jf)) < 0)
                r = fail_step(c, r, "could not back up %s (the original is untouched)", a->path);
        else if (!backed_up && !streq((*jf)->md5, cur))
                r = fail_step(c, 0, "%s changed while it was backed up", a->path);
        else
                return 0;
        return r < 0 ? r : 1;
}

/* ---- new content ---- */

/*
 * The backup with line n commented out ("# ", or for --profile install its
 * PLAN_PROFILE_DISABLED_PREFIX) or, for ld.so.preload, removed.
 */
static int env_line_content(const plan_action *a, const char *old, size_t len, char **ret, size_t *ret_len)
{
        const char *p = old, *end = old + len, *ls = NULL, *le = NULL;
        bool remove = streq(a->path, "/etc/ld.so.preload") && !a->profile_note;
        const char *prefix = a->profile_note ? PLAN_PROFILE_DISABLED_PREFIX : "# ";
        char *out;
        size_t n = 0;

        for (unsigned i = 1; p <= end; i++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));

                if (i == a->line) {
                        ls = p;
                        le = nl ? nl : end;
                        break;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        if (!ls)
                return -ENOENT;
        if (a->line_text && ((size_t)(le - ls) != strlen(a->line_text) || memcmp(ls, a->line_text, (size_t)(le - ls)) != 0))
                return -ESTALE; /* the file changed since planning */
        out = malloc(len + strlen(prefix) + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, old, (size_t)(ls - old));
        n = (size_t)(ls - old);
        if (remove) {
                if (le < end)
                        le++; /* its newline too */
        } else {
                memcpy(out + n, prefix, strlen(prefix));
                n += strlen(prefix);
                memcpy(out + n, ls, (size_t)(le - ls));
                n += (size_t)(le - ls);
        }
        memcpy(out + n, le, (size_t)(end - le));
        n += (size_t)(end - le);
        *ret = out;
        *ret_len = n;
        return 0;
}

typedef struct source_writer {
        const sysroot *sr;
        const plan_action *a;
} source_writer;

/* Copy the verified clean source into fd; md5 and size checked on the bytes copied. */
static int write_clean_source(int fd, void *userdata)
{
        const source_writer *w = userdata;
        const plan_action *a = w->a;
        _cleanup_close_ int in = -EBADF;
        char md5[33];
        uint64_t size, declared;
        int r;

        in = sysroot_open_regular(w->sr, a->source_path);
        if (in < 0)
                return in;
        if (a->source == SOURCE_DEB) {
                /* the control fields were checked again just before (check_deb_again) */
                r = deb_member_copy(in, a->member ? a->member : a->path, fd, md5, &size, &declared, NULL);
                if (r < 0)
                        return r;
                if (size != declared)
                        return -EBADMSG;
        } else if (a->source == SOURCE_BACKUP) {
                uint8_t buf[65536];
                MD5_CTX ctx;
                ssize_t n;

                MD5Init(&ctx);
                size = 0;
                while ((n = read(in, buf, sizeof(buf))) > 0) {
                        fo_buffer b = {(const char *)buf, (size_t)n};

                        MD5Update(&ctx, buf, (size_t)n);
                        r = fo_write_buffer(fd, &b);
                        if (r < 0)
                                return r;
                        size += (uint64_t)n;
                }
                if (n < 0)
                        return -errno;
                MD5End(&ctx, md5);
        } else
                return -ENOENT;
        if (!a->expected_md5 || !streq(md5, a->expected_md5) || size != a->expected_size)
                return -EBADMSG;
        return 0;
}

/*
 * The .deb could have been swapped since planning: ask dpkg-deb again, its
 * argv, status and output kept in the run's directory.
 */
static int check_deb_again(step_ctx *c, const char *deb)
{
        const plan_action *a = c->a;
        _cleanup_free_ char *name = NULL, *p = NULL, *v = NULL, *ar = NULL;
        _cleanup_close_ int log = -EBADF;
        int status = 0, r, q;

        r = journal_command_output(c->j, c->idx, &log, &name);
        if (r < 0)
                return r;
        r = deb_control_fields_logged(c->o->sr, deb, log, &status, &p, &v, &ar);
        q = journal_record_command(c->j, c->idx, deb_control_argv, r < 0 && r != -EBADMSG ? r : status, name);
        if (q < 0)
                return q;
        if (r < 0)
                return r;
        if (!streq(p, a->package) || !streq_ptr(v, a->version) || !streq_ptr(ar, a->arch))
                return -EBADMSG;
        return 0;
}

/* ---- children for home files ---- */

typedef struct home_replace {
        int dirfd;
        const char *base;
        const fo_meta *meta;
        fo_buffer buf;
} home_replace;

static int home_replace_fn(void *userdata)
{
        home_replace *h = userdata;

        return fo_replace(h->dirfd, h->base, h->meta, fo_write_buffer, &h->buf);
}

/* ---- replace steps: disable-env-line, restore-file ---- */

static int do_replace(step_ctx *c)
{
        const plan_action *a = c->a;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *base = NULL, *old = NULL, *new = NULL;
        const journal_file *jf;
        struct stat st;
        char cur[33], want[33];
        size_t old_len, new_len = 0;
        int r;

        r = open_step_dir(c, &dirfd, &base, &jf);
        if (r != 0)
                return r < 0 ? r : 0;
        fd = fo_open_regular(dirfd, base, &st);
        if (fd < 0)
                return fail_step(c, fd, "cannot open %s", a->path);
        r = check_and_back_up(c, dirfd, fd, &st, "change", cur, &jf);
        if (r != 0)
                return r < 0 ? r : 0;
        if (a->type == ACTION_DISABLE_ENV_LINE) {
                r = read_backup(c->j, jf, &old, &old_len);
                if (r < 0)
                        return fail_step(c, r, "cannot read the journal's backup of %s", a->path);
                r = env_line_content(a, old, old_len, &new, &new_len);
                if (r == -ESTALE || r == -ENOENT)
                        return fail_step(c, 0, "line %u of %s is not what was planned any more; plan again", a->line,
                                         a->path);
                if (r < 0)
                        return fail_step(c, r, "cannot edit %s", a->path);
                MD5Data((const uint8_t *)new, new_len, want);
        } else {
                if (!a->expected_md5)
                        return fail_step(c, 0, "no md5sum for %s", a->path);
                snprintf(want, sizeof(want), "%s", a->expected_md5);
        }

        if (streq(cur, want))
                /* already new: an interrupted run got this far, or nothing to change */
                return finish_step(c, a->path, want);
        if (!streq(cur, jf->md5))
                return fail_step(c, 0, "%s changed since this run backed it up; left as it is", a->path);

        {
                fo_meta meta = {.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid, .atime = st.st_atim,
                                .mtime = st.st_mtim, .xattr_from_fd = fd};

                if (a->type == ACTION_DISABLE_ENV_LINE && a->in_home) {
                        home_replace h = {.dirfd = dirfd, .base = base, .meta = &meta, .buf = {new, new_len}};

                        r = run_as_user(&c->user, home_replace_fn, &h, record_child, c);
                } else if (a->type == ACTION_DISABLE_ENV_LINE) {
                        fo_buffer b = {new, new_len};

                        r = fo_replace(dirfd, base, &meta, fo_write_buffer, &b);
                } else {
                        source_writer w = {.sr = c->o->sr, .a = a};

                        r = a->source == SOURCE_DEB ? check_deb_again(c, a->source_path) : 0;
                        if (r >= 0)
                                r = fo_replace(dirfd, base, &meta, write_clean_source, &w);
                        if (r == -EBADMSG)
                                return fail_step(c, 0, "the clean source %s does not verify against the md5sums of %s "
                                                 "any more (the original is untouched)", a->source_path, a->package);
                }
                if (r < 0)
                        return fail_step(c, r, "could not write %s (the original is untouched)", a->path);
        }
        r = fo_hash_at(dirfd, base, cur);
        if (r < 0 || !streq(cur, want))
                return fail_step(c, r, "%s does not hold the expected content after the change", a->path);
        return finish_step(c, a->path, want);
}

/* ---- install-profile: --profile install's script ---- */

/*
 * Write the profile's script (the plan holds it) at PLAN_PROFILE_PATH: a
 * new file is ours, 0644; an existing one is backed up first and keeps its
 * owner, mode and xattrs. The hash it is about to write is recorded before
 * the write (journal_record_intended), so a rollback after a crash in
 * between knows it. On resume a file that holds that content already is
 * finished, one this run created that holds anything else is refused.
 */
static int do_install_profile(step_ctx *c)
{
        const plan_action *a = c->a;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        const journal_file *jf;
        fo_meta meta = {.mode = 0644, .uid = geteuid(), .gid = getegid(), .atime = {.tv_nsec = UTIME_NOW},
                        .mtime = {.tv_nsec = UTIME_NOW}, .xattr_from_fd = -1};
        fo_buffer b = {a->content, a->content ? strlen(a->content) : 0};
        struct stat st;
        char cur[33], want[33];
        int r;

        if (!a->content || !streq_ptr(a->path, PLAN_PROFILE_PATH) || a->in_home)
                return fail_step(c, 0, "an install-profile step writes only %s, with the script the plan holds",
                                 PLAN_PROFILE_PATH);
        r = open_step_dir(c, &dirfd, &base, &jf);
        if (r != 0)
                return r < 0 ? r : 0;
        MD5Data((const uint8_t *)b.data, b.len, want);
        fd = fo_open_regular(dirfd, base, &st);
        if (fd == -ENOENT) {
                if (jf && jf->existed)
                        return fail_step(c, 0, "%s is gone since this run backed it up; left as it is", a->path);
                r = jf ? 0 : journal_note_absent(c->j, c->idx, a->path);
                if (r < 0)
                        return r;
        } else if (fd < 0)
                return fail_step(c, fd, "cannot open %s", a->path);
        else if (jf && !jf->existed) {
                /* made by an interrupted attempt of this run, or by someone else since */
                r = fo_hash_fd(fd, cur, NULL);
                if (r < 0)
                        return fail_step(c, r, "cannot read %s", a->path);
                if (streq(cur, want))
                        return finish_step(c, a->path, want);
                return fail_step(c, 0, "%s appeared since this run began and is not what it writes; left as it is",
                                 a->path);
        } else {
                r = check_and_back_up(c, dirfd, fd, &st, "change", cur, &jf);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (streq(cur, want))
                        return finish_step(c, a->path, want); /* already new */
                if (!streq(cur, jf->md5))
                        return fail_step(c, 0, "%s changed since this run backed it up; left as it is", a->path);
                meta = (fo_meta){.mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid, .atime = st.st_atim,
                                 .mtime = {.tv_nsec = UTIME_NOW}, .xattr_from_fd = fd};
        }
        r = journal_record_intended(c->j, c->idx, a->path, want);
        if (r < 0)
                return r;
        r = fo_replace(dirfd, base, &meta, fo_write_buffer, &b);
        if (r < 0)
                return fail_step(c, r, "could not write %s (%s)", a->path,
                                 fd >= 0 ? "the original is untouched" : "nothing was created");
        r = fo_hash_at(dirfd, base, cur);
        if (r < 0 || !streq(cur, want))
                return fail_step(c, r, "%s does not hold the expected content after the change", a->path);
        return finish_step(c, a->path, want);
}

/* ---- quarantine ---- */

typedef struct home_move {
        int dirfd;              /* from dirfd/base */
        int dstfd;              /* to dstfd/name, or when < 0 ... */
        int homefd;             /* ... to homefd/qrel/name, made here */
        const char *base, *qrel, *name, *md5;
} home_move;

static int home_move_fn(void *userdata)
{
        home_move *h = userdata;
        _cleanup_close_ int q = h->dstfd >= 0 ? fcntl(h->dstfd, F_DUPFD_CLOEXEC, 3)
                                              : fo_mkdir_beneath(h->homefd, h->qrel, 0700);

        if (q < 0)
                return q;
        return fo_move(h->dirfd, h->base, q, h->name, h->md5);
}

static int quarantine_dir(step_ctx *c, char **ret_dir, char **ret_rel)
{
        if (c->a->in_home) {
                *ret_rel = strdup_printf(".local/share/rdna1-doctor/quarantine/%s", journal_id(c->j));
                *ret_dir = strdup_printf("%s/%s", c->user.home, *ret_rel ? *ret_rel : "");
        } else {
                *ret_rel = strdup_printf("var/lib/rdna1-doctor/quarantine/%s", journal_id(c->j));
                *ret_dir = strdup_printf("/%s", *ret_rel ? *ret_rel : "");
        }
        return *ret_rel && *ret_dir ? 0 : -ENOMEM;
}

static int do_quarantine(step_ctx *c)
{
        const plan_action *a = c->a;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF, homefd = -EBADF, qfd = -EBADF;
        _cleanup_free_ char *base = NULL, *qdir = NULL, *qrel = NULL, *name = NULL, *dest = NULL;
        const journal_file *jf;
        struct stat st;
        char cur[33], there[33];
        bool src_exists;
        int r;

        r = pkgfile_is_packaged(c->o->sr, a->path);
        if (r != 0)
                return fail_step(c, r < 0 ? r : 0, "%s is listed by a package: it is restored, never quarantined",
                                 a->path);
        r = open_step_dir(c, &dirfd, &base, &jf);
        if (r != 0)
                return r < 0 ? r : 0;
        r = quarantine_dir(c, &qdir, &qrel);
        if (r < 0)
                return r;
        name = strdup_printf("%04zu-%s", c->idx + 1, base);
        dest = strdup_printf("%s/%s", qdir, name ? name : "");
        if (!name || !dest)
                return -ENOMEM;
        if (a->in_home) {
                homefd = sysroot_openat(c->o->sr, c->user.home, O_RDONLY | O_DIRECTORY);
                if (homefd < 0)
                        return fail_step(c, homefd, "cannot open %s", c->user.home);
        } else {
                qfd = fo_mkdir_beneath(c->o->sr->dirfd, qrel, 0700);
                if (qfd < 0)
                        return fail_step(c, qfd, "cannot make the quarantine %s", qdir);
        }

        fd = fo_open_regular(dirfd, base, &st);
        src_exists = fd >= 0;
        if (fd < 0 && fd != -ENOENT)
                return fail_step(c, fd, "cannot open %s", a->path);
        if (!src_exists) {
                /* moved by an interrupted run? */
                _cleanup_close_ int qd = -EBADF;
                _cleanup_free_ char *qparent = NULL;

                if (!jf || !jf->backup)
                        return fail_step(c, 0, "%s is gone", a->path);
                r = a->in_home ? fo_open_parent_in_home(c->o->sr, c->user.home, dest, &qd, &qparent)
                               : fo_open_parent(c->o->sr, dest, &qd, &qparent);
                if (r >= 0 && fo_hash_at(qd, qparent, there) >= 0 && streq(there, jf->md5))
                        return finish_step(c, a->path, "");
                return fail_step(c, 0, "%s is gone and not in the quarantine", a->path);
        }
        r = check_and_back_up(c, dirfd, fd, &st, "move", cur, &jf);
        if (r != 0)
                return r < 0 ? r : 0;
        if (!streq(cur, jf->md5))
                return fail_step(c, 0, "%s changed since this run backed it up; left as it is", a->path);
        r = journal_record_moved(c->j, c->idx, a->path, dest);
        if (r < 0)
                return r;
        if (a->in_home) {
                home_move h = {.dirfd = dirfd, .dstfd = -1, .homefd = homefd, .base = base, .qrel = qrel, .name = name,
                               .md5 = jf->md5};

                r = run_as_user(&c->user, home_move_fn, &h, record_child, c);
        } else {
                /* a copy left by a crash between copy and unlink is verified again by fo_move */
                r = fo_move(dirfd, base, qfd, name, jf->md5);
                if (r == -EEXIST || r == -ENOTEMPTY)
                        r = -EEXIST;
        }
        if (r < 0)
                return fail_step(c, r, "could not move %s to %s", a->path, dest);
        return finish_step(c, a->path, "");
}

/* ---- reinstall-package ---- */

#define DPKG "/usr/bin/dpkg"
#define DPKG_TIMEOUT_MS (30u * 60 * 1000)

/* dpkg -i of the cached .deb, run as apt runs it (frontend lock ours), argv and output in the journal. */
static int run_dpkg_install(step_ctx *c, const char *deb, int *ret_status)
{
        static const char *const env[] = {"DPKG_FRONTEND_LOCKED=1", "DEBIAN_FRONTEND=noninteractive", NULL};
        const char *argv[] = {DPKG, "--force-confold", "-i", deb, NULL};
        preflight_result *pf = c->o->kernel->pf;
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int log = -EBADF;
        spawn_options so = {.argv = argv, .extra_env = env, .timeout_ms = DPKG_TIMEOUT_MS,
                            .on_start = record_child, .userdata = c};
        spawn_result res;
        int r, q;

        r = journal_command_output(c->j, c->idx, &log, &name);
        if (r < 0)
                return r;
        so.output_fd = log;
        preflight_dpkg_lock_release(pf);
        r = spawn_run(&so, &res);
        q = preflight_dpkg_lock_retake(c->o->sr, pf);
        (void)journal_set_child(c->j, c->idx, 0);
        (void)fsync(log);
        *ret_status = r < 0 ? r : spawn_result_wait_status(&res);
        r = journal_record_command(c->j, c->idx, argv, *ret_status, name);
        if (q < 0)
                say(c->rep, "the dpkg lock could not be taken back after dpkg ran (%s)", strerror(-q));
        return r < 0 ? r : (*ret_status == 0 ? 0 : -EIO);
}

/*
 * The planner's deb_md5sums_differ, again just before dpkg runs (the .deb
 * could have been swapped). Returns 0 when it is the installed build, 1
 * when the step was refused (recorded), < 0 errno.
 */
static int check_same_build(step_ctx *c, const char *deb)
{
        const plan_action *a = c->a;
        _cleanup_free_ char *why = NULL;
        pkgfile pf = {0};
        int r;

        if (a->n_touches == 0)
                return 0;
        r = pkgfile_lookup(c->o->sr, a->touches[0], &pf);
        if (r > 0 && pf.md5sums_path)
                r = deb_md5sums_differ(c->o->sr, deb, pf.md5sums_path, &why);
        pkgfile_clear(&pf);
        if (r < 0)
                r = fail_step(c, r, "cannot compare %s with the installed %s", a->source_path, a->package);
        else if (r > 0 && why)
                r = fail_step(c, 0, "%s: another build than the installed one; nothing was changed", why);
        else
                return 0;
        return r < 0 ? r : 1;
}

/*
 * The cached .deb of the installed version, reinstalled by dpkg: only on
 * the running system after the gate (its dpkg lock is handed to dpkg), the
 * .deb asked again, a copy of each changed regular file kept in the
 * journal for the user. Irreversible: rollback leaves it (those copies
 * are the broken files; putting them back would undo the repair).
 */
/* The journal's copy of the .deb goes once dpkg ran (or did not): it can be large. */
static void unlink_and_free(char **path)
{
        if (*path)
                (void)unlink(*path);
        free(*path);
}

static int do_reinstall(step_ctx *c)
{
        const plan_action *a = c->a;
        _cleanup_(unlink_and_free) char *deb = NULL;
        int status = 0, r;

        if (!c->o->kernel_allowed)
                return fail_step(c, 0, "reinstalling %s runs its maintainer scripts: only on the running system "
                                       "(--root /)", a->package);
        if (!c->o->kernel || !c->o->kernel->pf)
                return fail_step(c, 0, "reinstall-package runs only after the preflight gate; nothing was changed");
        if (!a->source_path)
                return fail_step(c, 0, "no cached .deb of %s was planned", a->package);
        /* dpkg gets the bytes that were verified: a root-only copy in the journal, not the cache's path */
        {
                _cleanup_close_ int in = sysroot_open_regular(c->o->sr, a->source_path);

                if (in < 0)
                        return fail_step(c, in, "cannot open %s", a->source_path);
                r = journal_copy_input(c->j, c->idx, "package.deb", in, &deb);
                if (r < 0)
                        return fail_step(c, r, "cannot copy %s into the journal", a->source_path);
        }
        r = check_deb_again(c, deb);
        if (r < 0)
                return fail_step(c, r == -EBADMSG ? 0 : r, "%s is not %s %s (%s) any more", a->source_path, a->package,
                                 a->version ? a->version : "?", a->arch ? a->arch : "?");
        r = check_same_build(c, deb);
        if (r != 0)
                return r < 0 ? r : 0;
        r = fault_point("deb-verified");
        if (r < 0)
                return fail_step(c, r, "dpkg -i %s was not run", a->source_path);
        for (size_t i = 0; i < a->n_touches; i++) {
                _cleanup_close_ int fd = sysroot_open_regular(c->o->sr, a->touches[i]);

                if (fd < 0)
                        continue; /* a symlink or a missing file: nothing to keep */
                r = journal_backup_fd(c->j, c->idx, a->touches[i], fd, NULL);
                if (r < 0)
                        return fail_step(c, r, "cannot keep a copy of %s", a->touches[i]);
        }
        tell(c->rep, "step %zu: dpkg -i %s: running (at most %u min)", c->idx + 1, a->source_path,
             DPKG_TIMEOUT_MS / 60000u);
        r = run_dpkg_install(c, deb, &status);
        if (r == -EIO)
                return fail_step(c, 0, "dpkg -i %s failed (status %d; its output is in the journal)", a->source_path,
                                 status);
        if (r < 0)
                return fail_step(c, r, "dpkg -i %s could not run", a->source_path);
        r = journal_step_done(c->j, c->idx);
        if (r < 0)
                return r;
        c->rep->done++;
        say(c->rep, "step %zu %s %s %s: done", c->idx + 1, action_type_to_string(a->type), a->package,
            a->version ? a->version : "");
        return fault_point("step-done");
}

/* ---- kernel side (kernel_step.c, kernel_tx.c) ---- */

static int do_kernel(step_ctx *c)
{
        _cleanup_free_ char *why = NULL, *note = NULL;
        int r;

        r = kernel_step_run(c->j, c->idx, c->o->sr, c->o->kernel, &why, &note);
        if (r < 0)
                return fail_step(c, r, "the kernel transaction for %s could not run", c->a->kernel);
        if (why)
                return fail_step(c, 0, "%s", why);
        r = journal_step_done(c->j, c->idx);
        if (r < 0)
                return r;
        c->rep->done++;
        c->rep->kernel_changed = true;
        say(c->rep, "step %zu %s %s: done%s%s%s", c->idx + 1, action_type_to_string(c->a->type), c->a->kernel,
            note ? " (" : "", note ? note : "", note ? ")" : "");
        return fault_point("step-done");
}

/* ---- the run ---- */

/*
 * Step idx of this run has just rewritten its file: a later step on the same
 * file (another line of one env file) was planned against the file as it
 * was, so its identity is taken again from what this step left. Only after a
 * step run here: a --resume keeps the recorded identity, and a file changed
 * while the run was stopped is refused (docs/SECURITY.md, 5).
 */
static int rerecord_later_steps(journal *j, size_t idx, const sysroot *sr)
{
        plan *p = journal_plan_for_update(j);
        const char *path = p->actions[idx].path;

        for (size_t k = idx + 1; k < p->n_actions; k++) {
                plan_action *b = &p->actions[k];

                if (b->path && !b->kernel_side && b->planned.known && streq(b->path, path)) {
                        int r = plan_record_file(sr, b);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int run_step(journal *j, size_t idx, const exec_options *o, exec_report *rep)
{
        const plan_action *a = &journal_plan(j)->actions[idx];
        journal_step *s = journal_get_step(j, idx);
        step_ctx c = {.j = j, .idx = idx, .a = a, .o = o, .rep = rep};
        int r;

        if (s->state == STEP_DONE) {
                rep->done++;
                return 0;
        }
        if (s->state == STEP_ROLLED_BACK)
                return 0;
        if (s->state == STEP_APPLIED) {
                r = journal_step_done(j, idx);
                if (r >= 0)
                        rep->done++;
                return r;
        }
        r = journal_begin_step(j, idx);
        if (r < 0)
                return r;
        r = fault_point("step-intent");
        if (r < 0)
                return r;
        if (a->blocked)
                r = fail_step(&c, 0, "%s", a->blocked_reason ? a->blocked_reason : "blocked when planned");
        else if (a->kernel_side && !o->kernel_allowed)
                r = fail_step(&c, 0, "kernel-side steps never run against --root DIR (they would use the host's "
                                     "tools and kernel); run the recovery on that system itself");
        else if (a->kernel_side && !o->kernel)
                r = fail_step(&c, 0, "kernel-side steps run only after the preflight gate; "
                                     "nothing was changed for %s", a->kernel ? a->kernel : "this kernel");
        else if (a->kernel_side)
                r = do_kernel(&c);
        else if (a->type == ACTION_DISABLE_ENV_LINE || a->type == ACTION_RESTORE_FILE)
                r = do_replace(&c);
        else if (a->type == ACTION_QUARANTINE)
                r = do_quarantine(&c);
        else if (a->type == ACTION_REINSTALL_PACKAGE)
                r = do_reinstall(&c);
        else if (a->type == ACTION_INSTALL_PROFILE)
                r = do_install_profile(&c);
        else
                r = fail_step(&c, 0, "unknown action");
        if (c.have_user)
                user_ids_clear(&c.user);
        if (r >= 0 && s->state == STEP_DONE && !a->kernel_side && a->path)
                r = rerecord_later_steps(j, idx, o->sr);
        return r;
}

static bool plan_is_profile_install(const plan *p)
{
        return p->n_actions > 0 && p->actions[0].type == ACTION_INSTALL_PROFILE;
}

int executor_run(journal *j, const exec_options *o, exec_report *rep)
{
        size_t n = journal_n_steps(j);
        int r;

        r = journal_set_status(j, RUN_RUNNING);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = run_step(j, i, o, rep);
                if (r < 0)
                        return r; /* the journal could not be written: stop where it is */
                /* --profile install is one unit: its conflicting lines are not disabled without the profile */
                if (rep->failed && plan_is_profile_install(journal_plan(j)))
                        break;
        }
        return journal_set_status(j, rep->failed ? RUN_PARTIAL : RUN_DONE);
}

int executor_check_orphans(const journal *j, pid_t *ret_pid)
{
        pid_t pid = journal_pid(j);

        if (pid > 0 && pid != getpid() && kill(pid, 0) == 0 && journal_status(j) == RUN_RUNNING) {
                *ret_pid = pid;
                return -EBUSY;
        }
        for (size_t i = 0; i < journal_n_steps(j); i++) {
                pid_t child = journal_get_step(j, i)->child;

                if (child > 0 && kill(child, 0) == 0) {
                        *ret_pid = child;
                        return -EBUSY;
                }
        }
        return 0;
}

/* ---- rollback ---- */

/*
 * What a replace step writes, for a run that died between the rename and
 * the after-hash record: recomputed from the backup (env lines) or the plan.
 */
static bool step_new_md5(step_ctx *c, const journal_file *f, char ret[33])
{
        _cleanup_free_ char *old = NULL, *new = NULL;
        size_t old_len, new_len;

        if (f->has_after) {
                snprintf(ret, 33, "%s", f->md5_after);
                return true;
        }
        if (c->a->type == ACTION_RESTORE_FILE && c->a->expected_md5) {
                snprintf(ret, 33, "%s", c->a->expected_md5);
                return true;
        }
        if (c->a->type != ACTION_DISABLE_ENV_LINE || !f->backup || read_backup(c->j, f, &old, &old_len) < 0 ||
            env_line_content(c->a, old, old_len, &new, &new_len) < 0)
                return false;
        MD5Data((const uint8_t *)new, new_len, ret);
        return true;
}

static int unlink_temp_fn(void *userdata)
{
        home_replace *h = userdata;

        return fo_remove_temp(h->dirfd, h->base);
}

typedef struct home_restore {
        int dirfd, backup_fd;
        const char *base, *md5;
        const fo_meta *meta;
} home_restore;

static int home_restore_fn(void *userdata)
{
        home_restore *h = userdata;

        return fo_restore(h->dirfd, h->base, h->backup_fd, h->md5, h->meta);
}

static int rollback_file(step_ctx *c, const journal_file *f)
{
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF, bfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        fo_meta meta = {.mode = f->mode, .uid = f->uid, .gid = f->gid, .atime = f->atime, .mtime = f->mtime,
                        .xattr_from_fd = -1};
        struct stat st;
        char cur[33], want[33];
        int r;

        r = open_parent(c, f->path, &dirfd, &base);
        if (r >= 0 && fo_dir_id_check(dirfd, &f->dir) < 0)
                r = -ESTALE;
        if (r < 0) {
                c->rep->skipped++;
                say(c->rep, "rollback step %zu: cannot open the directory of %s (%s); skipped, its copy stays in %s",
                    c->idx + 1, f->path,
                    r == -ESTALE ? "it is not the directory the file was backed up from" : open_parent_why(c, r),
                    f->moved_to ? f->moved_to : "the journal");
                return 0;
        }
        /* a temp file of a run that died before its rename */
        if (c->a->in_home) {
                home_replace h = {.dirfd = dirfd, .base = base};

                r = run_as_user(&c->user, unlink_temp_fn, &h, record_child, c);
        } else
                r = fo_remove_temp(dirfd, base);
        if (r < 0)
                return r;
        fd = fo_open_regular(dirfd, base, &st);
        if (fd >= 0 && fo_hash_fd(fd, cur, NULL) < 0)
                cur[0] = 0;
        if (fd >= 0 && f->existed && streq(cur, f->md5))
                return 0; /* already the old content */
        if (f->moved_to) {
                _cleanup_close_ int qd = -EBADF;
                _cleanup_free_ char *qbase = NULL;
                char there[33];

                if (fd >= 0 || fd != -ENOENT) {
                        c->rep->skipped++;
                        say(c->rep, "rollback step %zu: %s exists again and differs from the quarantined file; "
                                    "skipped (the quarantined copy stays in %s)", c->idx + 1, f->path, f->moved_to);
                        return 0;
                }
                r = c->a->in_home ? fo_open_parent_in_home(c->o->sr, c->user.home, f->moved_to, &qd, &qbase)
                                  : fo_open_parent(c->o->sr, f->moved_to, &qd, &qbase);
                if (r >= 0 && fo_hash_at(qd, qbase, there) >= 0 && streq(there, f->md5)) {
                        if (c->a->in_home) {
                                home_move h = {.dirfd = qd, .dstfd = dirfd, .homefd = -1, .base = qbase, .name = base,
                                               .md5 = f->md5};

                                r = run_as_user(&c->user, home_move_fn, &h, record_child, c);
                        } else
                                r = fo_move(qd, qbase, dirfd, base, f->md5);
                        if (r < 0)
                                return r;
                        return fault_point("rollback-restored");
                }
                /* the quarantined copy is gone: the journal's backup brings the file back */
        } else if (!f->existed) {
                if (fd >= 0 && f->has_after && streq(cur, f->md5_after)) {
                        if (unlinkat(dirfd, base, 0) < 0)
                                return -errno;
                        return fsync_dirfd(dirfd);
                }
                if (fd >= 0) {
                        c->rep->skipped++;
                        say(c->rep, "rollback step %zu: %s changed since the recovery; skipped", c->idx + 1, f->path);
                }
                return 0;
        } else if (fd < 0 || !step_new_md5(c, f, want) || !streq(cur, want)) {
                c->rep->skipped++;
                say(c->rep, "rollback step %zu: %s %s since the recovery; skipped (its backup stays in the journal)",
                    c->idx + 1, f->path, fd < 0 ? "was removed" : "changed");
                return 0;
        }

        /* the backup carries the original's xattrs (journal_backup_fd_at) */
        bfd = journal_open_backup(c->j, f);
        if (bfd < 0)
                return bfd;
        meta.xattr_from_fd = bfd;
        if (c->a->in_home) {
                home_restore h = {.dirfd = dirfd, .backup_fd = bfd, .base = base, .md5 = f->md5, .meta = &meta};

                r = run_as_user(&c->user, home_restore_fn, &h, record_child, c);
        } else
                r = fo_restore(dirfd, base, bfd, f->md5, &meta);
        if (r < 0)
                return r;
        return fault_point("rollback-restored");
}

static int rollback_step(journal *j, size_t idx, const exec_options *o, exec_report *rep)
{
        const plan_action *a = &journal_plan(j)->actions[idx];
        journal_step *s = journal_get_step(j, idx);
        step_ctx c = {.j = j, .idx = idx, .a = a, .o = o, .rep = rep};
        size_t skipped = rep->skipped;
        int r = 0;

        if (s->state == STEP_PENDING || s->state == STEP_ROLLED_BACK)
                return 0;
        if (a->irreversible) {
                if (s->state == STEP_FAILED && s->n_commands == 0)
                        return journal_step_rolled_back(j, idx, "nothing had changed");
                rep->skipped++;
                say(rep, "rollback step %zu %s %s: irreversible (dpkg ran its maintainer scripts); the journal keeps "
                         "the replaced files; skipped", idx + 1, action_type_to_string(a->type),
                    a->package ? a->package : "");
                return 0;
        }
        if (a->kernel_side) {
                size_t n_skipped = 0;

                if (s->state == STEP_FAILED && s->n_files == 0)
                        return journal_step_rolled_back(j, idx, "nothing had changed");
                r = o->kernel_allowed ? kernel_step_rollback(j, idx, o->sr, &rep->messages, &n_skipped) : -EPERM;
                if (r < 0 || n_skipped) {
                        rep->skipped += n_skipped ? n_skipped : 1;
                        say(rep, "rollback step %zu %s %s: %s; skipped", idx + 1, action_type_to_string(a->type),
                            a->kernel ? a->kernel : "",
                            r == -EPERM ? "kernel-side steps are rolled back only on the running system"
                            : r < 0 ? strerror(-r) : "some files were left as they are");
                        return 0;
                }
                r = journal_step_rolled_back(j, idx, NULL);
                if (r >= 0) {
                        rep->done++;
                        rep->kernel_changed = true;
                        say(rep, "step %zu %s %s: rolled back", idx + 1, action_type_to_string(a->type), a->kernel);
                }
                return r;
        }
        if (a->in_home) {
                r = user_ids_load(o->sr, a->owner_uid, &c.user);
                if (r < 0) {
                        rep->skipped++;
                        say(rep, "rollback step %zu: no user %u in the root's /etc/passwd; skipped", idx + 1,
                            (unsigned)a->owner_uid);
                        return 0;
                }
                c.have_user = true;
        }
        for (size_t k = s->n_files; k > 0 && r >= 0; k--) {
                r = rollback_file(&c, &s->files[k - 1]);
                if (r < 0) {
                        rep->skipped++;
                        say(rep, "rollback step %zu: could not put %s back: %s", idx + 1, s->files[k - 1].path,
                            strerror(-r));
                        r = 0;
                }
        }
        if (c.have_user)
                user_ids_clear(&c.user);
        if (rep->skipped != skipped)
                return 0; /* stays as it was: a later --rollback can try again */
        r = journal_step_rolled_back(j, idx, NULL);
        if (r >= 0) {
                rep->done++;
                say(rep, "step %zu %s %s: rolled back", idx + 1, action_type_to_string(a->type),
                    a->path ? a->path : "");
        }
        return r;
}

/* The run's system quarantine directory, once every file went back: empty, so removed. */
static void remove_empty_quarantine(journal *j, const exec_options *o)
{
        _cleanup_close_ int dirfd = sysroot_openat(o->sr, "/var/lib/rdna1-doctor/quarantine", O_RDONLY | O_DIRECTORY);

        if (dirfd >= 0)
                (void)unlinkat(dirfd, journal_id(j), AT_REMOVEDIR); /* fails, harmlessly, unless empty */
}

int executor_rollback(journal *j, const exec_options *o, exec_report *rep)
{
        int r;

        r = journal_set_status(j, RUN_ROLLING_BACK);
        if (r < 0)
                return r;
        for (size_t i = journal_n_steps(j); i > 0; i--) {
                r = rollback_step(j, i - 1, o, rep);
                if (r < 0)
                        return r;
        }
        remove_empty_quarantine(j, o);
        return journal_set_status(j, rep->skipped ? RUN_PARTIAL : RUN_ROLLED_BACK);
}
