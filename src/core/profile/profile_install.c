/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile/profile_install.h"

#include <fcntl.h>
#include <md5.h>
#include <sys/stat.h>

#include "base/fault.h"
#include "base/util.h"
#include "profile/profile.h"
#include "recover/journal.h"
#include "recover/plan.h"
#include "root/fileops.h"
#include "root/sysroot.h"


#define ENV_FILE_MAX (1024u * 1024)

char *env_line_disabled_text(const char *text)
{
        return strdup_printf("# disabled by rdna1-doctor --profile install: %s", text);
}

static void md5_hex(const void *buf, size_t len, char out[33])
{
        MD5Data(buf, len, out);
}

/*
 * Write dirfd/name through the one write path (root/fileops.h fo_replace:
 * O_EXCL temp, metadata on the descriptor, fsync, rename, directory fsync,
 * fault points): an existing file keeps its owner, mode, xattrs and times
 * (cur: open on it), a new one is root's, 0644.
 */
static int replace_file(int dirfd, const char *name, int cur, const struct stat *st, const char *buf, size_t len)
{
        fo_meta meta = {.mode = 0644, .atime = {.tv_nsec = UTIME_NOW}, .mtime = {.tv_nsec = UTIME_NOW},
                        .xattr_from_fd = -1};
        fo_buffer b = {buf, len};

        if (cur >= 0)
                meta = (fo_meta){.mode = st->st_mode & 07777, .uid = st->st_uid, .gid = st->st_gid,
                                 .atime = st->st_atim, .mtime = {.tv_nsec = UTIME_NOW}, .xattr_from_fd = cur};
        return fo_replace(dirfd, name, &meta, fo_write_buffer, &b);
}

static int step_install_script(journal *j, size_t step, int dfd, const char *name, const char *path,
                               const char *content)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char md5[33];
        int k;

        k = journal_begin_step(j, step);
        if (k < 0)
                return k;
        fd = fo_open_regular(dfd, name, &st);
        if (fd >= 0) {
                k = fo_check_mutable(fd);
                if (k < 0)
                        return journal_step_failed(j, step, "immutable or append-only (chattr); refused, not forced"),
                               k;
                k = journal_backup_fd_at(j, step, path, dfd, fd, UINT64_MAX, NULL);
        } else if (fd == -ENOENT)
                k = journal_note_absent(j, step, path);
        else
                k = fd == -EINVAL ? (journal_step_failed(j, step, "not a regular file"), -EINVAL) : fd;
        if (k < 0) {
                journal_step_failed(j, step, strerror(-k));
                return k;
        }
        md5_hex(content, strlen(content), md5);
        k = journal_record_intended(j, step, path, md5);
        if (k < 0)
                return k;
        k = replace_file(dfd, name, fd, &st, content, strlen(content));
        if (k < 0) {
                journal_step_failed(j, step, strerror(-k));
                return k;
        }
        k = journal_record_after(j, step, path, md5);
        if (k >= 0)
                k = fault_point("after-recorded");
        if (k >= 0)
                k = journal_step_done(j, step);
        return k < 0 ? k : fault_point("step-done");
}

/* Comment out line ref->line of ref->path, after checking it still reads ref->text. */
static int step_disable_line(journal *j, size_t step, const sysroot *sr, const env_line_ref *ref, char **ret_error)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *buf = NULL, *out = NULL, *repl = NULL, *name = NULL;
        const char *b, *e;
        struct stat st;
        size_t len, n;
        unsigned lineno = 1;
        char md5[33];
        int k;

        k = journal_begin_step(j, step);
        if (k < 0)
                return k;
        k = fo_open_parent(sr, ref->path, &dfd, &name);
        if (k < 0)
                return journal_step_failed(j, step, strerror(-k)), k;
        fd = fo_open_regular(dfd, name, &st);
        if (fd == -EINVAL)
                return journal_step_failed(j, step, "not a regular file"), -EINVAL;
        if (fd < 0)
                return journal_step_failed(j, step, strerror(-fd)), fd;
        k = fo_check_mutable(fd);
        if (k < 0)
                return journal_step_failed(j, step, "immutable or append-only (chattr); refused, not forced"), k;
        k = read_fd_capped(fd, ENV_FILE_MAX, &buf, &len);
        if (k < 0)
                return journal_step_failed(j, step, strerror(-k)), k;
        /* Find the line, and check it is the one planned. */
        for (b = buf; lineno < ref->line && b < buf + len; lineno++) {
                const char *nl = memchr(b, '\n', (size_t)(buf + len - b));
                b = nl ? nl + 1 : buf + len;
        }
        e = memchr(b, '\n', (size_t)(buf + len - b));
        if (!e)
                e = buf + len;
        if (lineno != ref->line || (size_t)(e - b) != strlen(ref->text) || memcmp(b, ref->text, (size_t)(e - b)) != 0) {
                *ret_error = strdup_printf("%s:%u changed since it was read; nothing was changed there", ref->path,
                                           ref->line);
                journal_step_failed(j, step, "the line changed since it was planned");
                return -ESTALE;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        k = journal_backup_fd_at(j, step, ref->path, dfd, fd, UINT64_MAX, NULL);
        if (k < 0)
                return journal_step_failed(j, step, strerror(-k)), k;
        repl = env_line_disabled_text(ref->text);
        if (!repl)
                return -ENOMEM;
        n = (size_t)(b - buf);
        out = malloc(len + strlen(repl) + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, buf, n);
        memcpy(out + n, repl, strlen(repl));
        memcpy(out + n + strlen(repl), e, (size_t)(buf + len - e));
        len = n + strlen(repl) + (size_t)(buf + len - e);
        out[len] = '\0';
        md5_hex(out, len, md5);
        k = journal_record_intended(j, step, ref->path, md5);
        if (k < 0)
                return k;
        k = replace_file(dfd, name, fd, &st, out, len);
        if (k < 0)
                return journal_step_failed(j, step, strerror(-k)), k;
        k = journal_record_after(j, step, ref->path, md5);
        if (k >= 0)
                k = fault_point("after-recorded");
        if (k >= 0)
                k = journal_step_done(j, step);
        return k < 0 ? k : fault_point("step-done");
}

static int build_plan(const install_request *req, plan **ret)
{
        _cleanup_(plan_freep) plan *p = plan_new(req->root);
        plan_action *a;

        if (!p)
                return -ENOMEM;
        a = plan_add(p, ACTION_INSTALL_PROFILE, NULL);
        if (!a || !(a->path = strdup(PROFILE_INSTALL_PATH)) ||
            !(a->why = strdup_printf("install the environment profile '%s' for login shells", req->profile_name)) ||
            !(a->undo = strdup("the previous file is put back, or the new one removed")) ||
            plan_action_add_touch(a, PROFILE_INSTALL_PATH) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < req->n_disable; i++) {
                const env_line_ref *ref = &req->disable[i];

                a = plan_add(p, ACTION_DISABLE_ENV_LINE, NULL);
                if (!a || !(a->path = strdup(ref->path)) || !(a->line_text = strdup(ref->text)) ||
                    !(a->why = strdup_printf("%s conflicts with the profile '%s'", ref->name, req->profile_name)) ||
                    !(a->undo = strdup("the journal's backup of the file is put back")) ||
                    plan_action_add_touch(a, ref->path) < 0)
                        return -ENOMEM;
                a->line = ref->line;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int profile_install(const install_request *req, char **ret_journal_id, char **ret_error)
{
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        _cleanup_(plan_freep) plan *p = NULL;
        _cleanup_(journal_freep) journal *j = NULL;
        _cleanup_free_ char *state = NULL, *lockdir = NULL, *name = NULL;
        _cleanup_close_ int lock = -EBADF, dfd = -EBADF;
        int k;

        k = sysroot_open(req->root, &sr);
        if (k < 0)
                return k;
        k = build_plan(req, &p);
        if (k < 0)
                return k;
        k = journal_state_dir(req->root, req->state_dir, &state);
        if (k < 0)
                return k;
        /* The lock: /run/rdna1-doctor for the host, the state dir for another root. */
        lockdir = strdup(sr->is_host && !req->state_dir ? "/run/rdna1-doctor" : state);
        if (!lockdir)
                return -ENOMEM;
        if (mkdir(lockdir, 0700) < 0 && errno != EEXIST && errno != ENOENT)
                return -errno;
        k = fo_open_parent(sr, PROFILE_INSTALL_PATH, &dfd, &name);
        if (k < 0) {
                *ret_error = strdup_printf("cannot open the directory of %s: %s", PROFILE_INSTALL_PATH,
                                           strerror(-k));
                return k;
        }
        k = journal_lock(lockdir, &lock);
        if (k < 0)
                return k;
        k = journal_create(state, p, &j);
        if (k < 0)
                return k;
        k = step_install_script(j, 0, dfd, name, PROFILE_INSTALL_PATH, req->content);
        for (size_t i = 0; i < req->n_disable && k >= 0; i++)
                k = step_disable_line(j, i + 1, sr, &req->disable[i], ret_error);
        journal_set_status(j, k < 0 ? RUN_PARTIAL : RUN_DONE);
        *ret_journal_id = strdup(journal_id(j));
        if (!*ret_journal_id && k >= 0)
                k = -ENOMEM;
        return k;
}
