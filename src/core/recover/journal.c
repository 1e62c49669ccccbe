/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The undo journal (journal.h): one directory per run, records replaced
 * atomically, backups fsynced before a record names them.
 */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "base/fault.h"
#include "base/md5io.h"
#include "base/util.h"
#include "recover/journal.h"
#include "root/sysroot.h"

struct journal {
        char *id;
        int state_fd;   /* STATE */
        int dirfd;      /* STATE/journal/<id> */
        plan *plan;
        run_status status;
        pid_t pid;
        time_t started, updated;
        char *root;
        journal_step *steps;
        size_t n_steps;
};

static const char *const run_status_names[_RUN_STATUS_MAX] = {
        [RUN_RUNNING] = "running",
        [RUN_PARTIAL] = "partial",
        [RUN_DONE] = "done",
        [RUN_ROLLING_BACK] = "rolling-back",
        [RUN_ROLLED_BACK] = "rolled-back",
};

static const char *const step_state_names[_STEP_STATE_MAX] = {
        [STEP_PENDING] = "pending",
        [STEP_INTENT] = "intent",
        [STEP_APPLIED] = "applied",
        [STEP_DONE] = "done",
        [STEP_FAILED] = "failed",
        [STEP_ROLLED_BACK] = "rolled-back",
};

const char *run_status_to_string(run_status s)
{
        return s >= 0 && s < _RUN_STATUS_MAX ? run_status_names[s] : NULL;
}

run_status run_status_from_string(const char *s)
{
        for (int i = 0; s && i < _RUN_STATUS_MAX; i++)
                if (streq(s, run_status_names[i]))
                        return (run_status)i;
        return _RUN_STATUS_INVALID;
}

const char *step_state_to_string(step_state s)
{
        return s >= 0 && s < _STEP_STATE_MAX ? step_state_names[s] : NULL;
}

step_state step_state_from_string(const char *s)
{
        for (int i = 0; s && i < _STEP_STATE_MAX; i++)
                if (streq(s, step_state_names[i]))
                        return (step_state)i;
        return _STEP_STATE_INVALID;
}

/* ---- crash-safe writes ---- */

static int write_json_atomic(int dirfd, const char *name, json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (!s)
                return -ENOMEM;
        return write_file_atomic(dirfd, name, s, strlen(s), 0600);
}

static int read_json(int dirfd, const char *name, json_object **ret)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *buf = NULL;
        json_object *o;
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        r = read_fd_capped(fd, 64u * 1024 * 1024, &buf, &len);
        if (r < 0)
                return r;
        o = json_tokener_parse(buf);
        if (!o)
                return -EBADMSG;
        *ret = o;
        return 0;
}

static int mkdirat_p(int dirfd, const char *name, mode_t mode)
{
        if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* ---- paths ---- */

int journal_state_dir(const char *root, const char *state_dir, char **ret)
{
        char *s;

        if (state_dir)
                s = strdup(state_dir);
        else
                s = strdup_printf("%s%s", streq(root, "/") ? "" : root, PLAN_STATE_DIR);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool id_valid(const char *id)
{
        if (!id || !*id || strlen(id) > 64)
                return false;
        for (const char *c = id; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-'))
                        return false;
        return true;
}

/* ---- records ---- */

static json_object *file_to_json(const journal_file *f)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "path", json_object_new_string(f->path));
        json_object_object_add(o, "existed", json_object_new_boolean(f->existed));
        if (f->backup)
                json_object_object_add(o, "backup", json_object_new_string(f->backup));
        if (f->existed) {
                json_object_object_add(o, "md5", json_object_new_string(f->md5));
                json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
                json_object_object_add(o, "mode", json_object_new_int64(f->mode));
                json_object_object_add(o, "uid", json_object_new_int64(f->uid));
                json_object_object_add(o, "gid", json_object_new_int64(f->gid));
                json_object_object_add(o, "atime_sec", json_object_new_int64(f->atime.tv_sec));
                json_object_object_add(o, "atime_nsec", json_object_new_int64(f->atime.tv_nsec));
                json_object_object_add(o, "mtime_sec", json_object_new_int64(f->mtime.tv_sec));
                json_object_object_add(o, "mtime_nsec", json_object_new_int64(f->mtime.tv_nsec));
        }
        if (f->has_after)
                json_object_object_add(o, "md5_after", json_object_new_string(f->md5_after));
        if (f->moved_to)
                json_object_object_add(o, "moved_to", json_object_new_string(f->moved_to));
        if (f->link_target)
                json_object_object_add(o, "link", json_object_new_string(f->link_target));
        if (f->dir.known) {
                json_object_object_add(o, "dir_dev", json_object_new_int64((int64_t)f->dir.dev));
                json_object_object_add(o, "dir_ino", json_object_new_int64((int64_t)f->dir.ino));
                json_object_object_add(o, "dir_uid", json_object_new_int64(f->dir.uid));
        }
        return o;
}

static int step_write(journal *j, size_t idx)
{
        const journal_step *s = &j->steps[idx];
        _cleanup_free_ char *name = strdup_printf("steps/%04zu.json", idx + 1);
        json_object *o = json_object_new_object(), *files = json_object_new_array(),
                    *cmds = json_object_new_array();
        int r;

        if (!name || !o || !files || !cmds) {
                json_object_put(o);
                json_object_put(files);
                json_object_put(cmds);
                return -ENOMEM;
        }
        json_object_object_add(o, "step", json_object_new_int64((int64_t)idx + 1));
        json_object_object_add(o, "state", json_object_new_string(step_state_to_string(s->state)));
        if (s->child)
                json_object_object_add(o, "child", json_object_new_int64(s->child));
        if (s->error)
                json_object_object_add(o, "error", json_object_new_string(s->error));
        for (size_t i = 0; i < s->n_files; i++)
                json_object_array_add(files, file_to_json(&s->files[i]));
        json_object_object_add(o, "files", files);
        for (size_t i = 0; i < s->n_commands; i++) {
                json_object *c = json_object_new_object(), *argv = json_object_new_array();

                for (char **a = s->commands[i].argv; a && *a; a++)
                        json_object_array_add(argv, json_object_new_string(*a));
                json_object_object_add(c, "argv", argv);
                json_object_object_add(c, "status", json_object_new_int64(s->commands[i].status));
                if (s->commands[i].output)
                        json_object_object_add(c, "output", json_object_new_string(s->commands[i].output));
                json_object_array_add(cmds, c);
        }
        json_object_object_add(o, "commands", cmds);
        {
                _cleanup_close_ int sfd = openat(j->dirfd, "steps", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                r = sfd < 0 ? -errno : write_json_atomic(sfd, name + strlen("steps/"), o);
        }
        json_object_put(o);
        return r;
}

static int run_write(journal *j)
{
        json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        j->updated = time(NULL);
        json_object_object_add(o, "id", json_object_new_string(j->id));
        json_object_object_add(o, "status", json_object_new_string(run_status_to_string(j->status)));
        json_object_object_add(o, "pid", json_object_new_int64(j->pid));
        json_object_object_add(o, "root", json_object_new_string(j->root ? j->root : "/"));
        json_object_object_add(o, "started", json_object_new_int64(j->started));
        json_object_object_add(o, "updated", json_object_new_int64(j->updated));
        json_object_object_add(o, "steps", json_object_new_int64((int64_t)j->n_steps));
        r = write_json_atomic(j->dirfd, "run.json", o);
        json_object_put(o);
        return r;
}

static void step_clear(journal_step *s)
{
        for (size_t i = 0; i < s->n_files; i++) {
                free(s->files[i].path);
                free(s->files[i].backup);
                free(s->files[i].moved_to);
                free(s->files[i].link_target);
        }
        free(s->files);
        for (size_t i = 0; i < s->n_commands; i++) {
                strv_free_array(s->commands[i].argv);
                free(s->commands[i].output);
        }
        free(s->commands);
        free(s->error);
}

journal *journal_free(journal *j)
{
        if (!j)
                return NULL;
        for (size_t i = 0; i < j->n_steps; i++)
                step_clear(&j->steps[i]);
        free(j->steps);
        plan_free(j->plan);
        if (j->dirfd >= 0)
                close(j->dirfd);
        if (j->state_fd >= 0)
                close(j->state_fd);
        free(j->root);
        free(j->id);
        free(j);
        return NULL;
}

static journal *journal_alloc(void)
{
        journal *j = calloc(1, sizeof(*j));

        if (j) {
                j->dirfd = -EBADF;
                j->state_fd = -EBADF;
        }
        return j;
}

int journal_create(const char *state_dir, const plan *p, journal **ret)
{
        journal *j = journal_alloc();
        _cleanup_close_ int jfd = -EBADF;
        json_object *po = NULL;
        struct tm tm;
        char stamp[32];
        int r;

        if (!j)
                return -ENOMEM;
        r = mkdir_p_mode(state_dir, 0755, 0700);
        if (r < 0)
                goto fail;
        j->state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j->state_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = mkdirat_p(j->state_fd, JOURNAL_SUBDIR, 0700);
        if (r < 0)
                goto fail;
        jfd = openat(j->state_fd, JOURNAL_SUBDIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (jfd < 0) {
                r = -errno;
                goto fail;
        }
        j->started = time(NULL);
        gmtime_r(&j->started, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        /* ids sort by time; a second run in the same second gets a suffix */
        for (unsigned n = 0;; n++) {
                free(j->id);
                j->id = n ? strdup_printf("%s-%u", stamp, n) : strdup(stamp);
                if (!j->id) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (mkdirat(jfd, j->id, 0700) == 0)
                        break;
                if (errno != EEXIST || n > 1000) {
                        r = -errno;
                        goto fail;
                }
        }
        j->dirfd = openat(jfd, j->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (j->dirfd < 0) {
                r = -errno;
                goto fail;
        }
        r = mkdirat_p(j->dirfd, "steps", 0700);
        if (r >= 0)
                r = mkdirat_p(j->dirfd, "backups", 0700);
        if (r >= 0)
                r = mkdirat_p(j->dirfd, "cmd", 0700);
        if (r < 0)
                goto fail;
        r = plan_to_json(p, &po);
        if (r < 0)
                goto fail;
        /* keep our own copy: the journal is read back the same way on --resume */
        r = plan_from_json(po, &j->plan);
        if (r >= 0)
                r = write_json_atomic(j->dirfd, "plan.json", po);
        json_object_put(po);
        if (r < 0)
                goto fail;
        j->root = strdup(p->root);
        j->n_steps = p->n_actions;
        j->steps = calloc(j->n_steps ? j->n_steps : 1, sizeof(*j->steps));
        if (!j->root || !j->steps) {
                r = -ENOMEM;
                goto fail;
        }
        j->status = RUN_RUNNING;
        j->pid = getpid();
        r = run_write(j);
        if (r >= 0)
                r = fsync_dirfd(jfd);
        if (r < 0)
                goto fail;
        *ret = j;
        return 0;
fail:
        journal_free(j);
        return r;
}

static int file_from_json(json_object *o, journal_file *f)
{
        json_object *v;

        if (!json_object_object_get_ex(o, "path", &v))
                return -EBADMSG;
        f->path = strdup(json_object_get_string(v));
        if (!f->path)
                return -ENOMEM;
        f->existed = json_object_object_get_ex(o, "existed", &v) && json_object_get_boolean(v);
        if (json_object_object_get_ex(o, "backup", &v) && !(f->backup = strdup(json_object_get_string(v))))
                return -ENOMEM;
        if (json_object_object_get_ex(o, "md5", &v))
                snprintf(f->md5, sizeof(f->md5), "%s", json_object_get_string(v));
#define GETI(key, field, type) \
        if (json_object_object_get_ex(o, key, &v)) f->field = (type)json_object_get_int64(v)
        GETI("size", size, uint64_t);
        GETI("mode", mode, mode_t);
        GETI("uid", uid, uid_t);
        GETI("gid", gid, gid_t);
        GETI("atime_sec", atime.tv_sec, time_t);
        GETI("atime_nsec", atime.tv_nsec, long);
        GETI("mtime_sec", mtime.tv_sec, time_t);
        GETI("mtime_nsec", mtime.tv_nsec, long);
        f->dir.known = json_object_object_get_ex(o, "dir_ino", &v);
        GETI("dir_dev", dir.dev, dev_t);
        GETI("dir_ino", dir.ino, ino_t);
        GETI("dir_uid", dir.uid, uid_t);
#undef GETI
        if (json_object_object_get_ex(o, "md5_after", &v)) {
                f->has_after = true;
                snprintf(f->md5_after, sizeof(f->md5_after), "%s", json_object_get_string(v));
        }
        if (json_object_object_get_ex(o, "moved_to", &v) && !(f->moved_to = strdup(json_object_get_string(v))))
                return -ENOMEM;
        if (json_object_object_get_ex(o, "link", &v) && !(f->link_target = strdup(json_object_get_string(v))))
                return -ENOMEM;
        return 0;
}

static int step_read(journal *j, size_t idx)
{
        _cleanup_free_ char *name = strdup_printf("steps/%04zu.json", idx + 1);
        journal_step *s = &j->steps[idx];
        json_object *o = NULL, *v, *arr;
        int r;

        if (!name)
                return -ENOMEM;
        r = read_json(j->dirfd, name, &o);
        if (r == -ENOENT)
                return 0; /* pending */
        if (r < 0)
                return r;
        r = -EBADMSG;
        if (!json_object_object_get_ex(o, "state", &v))
                goto out;
        s->state = step_state_from_string(json_object_get_string(v));
        if (s->state < 0)
                goto out;
        if (json_object_object_get_ex(o, "child", &v))
                s->child = (pid_t)json_object_get_int64(v);
        if (json_object_object_get_ex(o, "error", &v) && !(s->error = strdup(json_object_get_string(v)))) {
                r = -ENOMEM;
                goto out;
        }
        if (json_object_object_get_ex(o, "files", &arr) && json_object_is_type(arr, json_type_array)) {
                size_t n = json_object_array_length(arr);

                s->files = calloc(n ? n : 1, sizeof(*s->files));
                if (!s->files) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < n; i++) {
                        r = file_from_json(json_object_array_get_idx(arr, i), &s->files[i]);
                        s->n_files = i + 1;
                        if (r < 0)
                                goto out;
                }
        }
        if (json_object_object_get_ex(o, "commands", &arr) && json_object_is_type(arr, json_type_array)) {
                size_t n = json_object_array_length(arr);

                s->commands = calloc(n ? n : 1, sizeof(*s->commands));
                if (!s->commands) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < n; i++) {
                        json_object *c = json_object_array_get_idx(arr, i), *argv;
                        journal_command *jc = &s->commands[i];
                        strv sv = {0};

                        s->n_commands = i + 1;
                        if (json_object_object_get_ex(c, "argv", &argv))
                                for (size_t k = 0; k < json_object_array_length(argv); k++)
                                        if (strv_push_dup(&sv, json_object_get_string(json_object_array_get_idx(argv, k))) < 0) {
                                                strv_clear(&sv);
                                                r = -ENOMEM;
                                                goto out;
                                        }
                        jc->argv = sv.items;
                        if (json_object_object_get_ex(c, "status", &v))
                                jc->status = (int)json_object_get_int64(v);
                        if (json_object_object_get_ex(c, "output", &v))
                                jc->output = strdup(json_object_get_string(v));
                }
        }
        r = 0;
out:
        json_object_put(o);
        return r;
}

int journal_open(const char *state_dir, const char *id, journal **ret)
{
        journal *j;
        json_object *o = NULL, *v;
        _cleanup_free_ char *sub = NULL;
        int r;

        if (!id_valid(id))
                return -ENOENT;
        j = journal_alloc();
        if (!j)
                return -ENOMEM;
        j->state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j->state_fd < 0) {
                r = -errno;
                goto fail;
        }
        sub = strdup_printf("%s/%s", JOURNAL_SUBDIR, id);
        if (!sub || !(j->id = strdup(id))) {
                r = -ENOMEM;
                goto fail;
        }
        j->dirfd = openat(j->state_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (j->dirfd < 0) {
                r = -errno;
                goto fail;
        }
        r = read_json(j->dirfd, "plan.json", &o);
        if (r < 0)
                goto fail;
        r = plan_from_json(o, &j->plan);
        json_object_put(o);
        o = NULL;
        if (r < 0)
                goto fail;
        r = read_json(j->dirfd, "run.json", &o);
        if (r < 0)
                goto fail;
        r = -EBADMSG;
        if (!json_object_object_get_ex(o, "status", &v) ||
            (j->status = run_status_from_string(json_object_get_string(v))) < 0)
                goto fail;
        if (json_object_object_get_ex(o, "pid", &v))
                j->pid = (pid_t)json_object_get_int64(v);
        if (json_object_object_get_ex(o, "started", &v))
                j->started = json_object_get_int64(v);
        if (json_object_object_get_ex(o, "updated", &v))
                j->updated = json_object_get_int64(v);
        j->root = strdup(j->plan->root);
        j->n_steps = j->plan->n_actions;
        j->steps = calloc(j->n_steps ? j->n_steps : 1, sizeof(*j->steps));
        if (!j->root || !j->steps) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < j->n_steps; i++) {
                r = step_read(j, i);
                if (r < 0)
                        goto fail;
        }
        json_object_put(o);
        *ret = j;
        return 0;
fail:
        json_object_put(o);
        journal_free(j);
        return r;
}

const char *journal_id(const journal *j)
{
        return j->id;
}

int journal_dirfd(const journal *j)
{
        return j->dirfd;
}

const plan *journal_plan(const journal *j)
{
        return j->plan;
}

plan *journal_plan_for_update(journal *j)
{
        return j->plan;
}

run_status journal_status(const journal *j)
{
        return j->status;
}

pid_t journal_pid(const journal *j)
{
        return j->pid;
}

journal_step *journal_get_step(const journal *j, size_t step)
{
        return step < j->n_steps ? &j->steps[step] : NULL;
}

size_t journal_n_steps(const journal *j)
{
        return j->n_steps;
}

int journal_set_status(journal *j, run_status s)
{
        j->status = s;
        j->pid = getpid();
        return run_write(j);
}

int journal_begin_step(journal *j, size_t step)
{
        if (step >= j->n_steps)
                return -EINVAL;
        if (j->steps[step].state == STEP_PENDING || j->steps[step].state == STEP_FAILED)
                j->steps[step].state = STEP_INTENT;
        return step_write(j, step);
}

static journal_file *step_find_file(journal_step *s, const char *path)
{
        for (size_t i = 0; i < s->n_files; i++)
                if (streq(s->files[i].path, path))
                        return &s->files[i];
        return NULL;
}

static journal_file *step_add_file(journal_step *s, const char *path)
{
        journal_file *n = realloc(s->files, (s->n_files + 1) * sizeof(*n));

        if (!n)
                return NULL;
        s->files = n;
        n = &s->files[s->n_files];
        *n = (journal_file){0};
        n->path = strdup(path);
        if (!n->path)
                return NULL;
        s->n_files++;
        return n;
}


int journal_backup_fd(journal *j, size_t step, const char *path, int fd, const journal_file **ret)
{
        return journal_backup_fd_at(j, step, path, -EBADF, fd, UINT64_MAX, ret);
}

int journal_backup_fd_at(journal *j, size_t step, const char *path, int dirfd, int fd, uint64_t max,
                         const journal_file **ret)
{
        fo_dir_id dir = {0};
        journal_step *s;
        journal_file *f;
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int bfd = -EBADF, bdir = -EBADF;
        struct statvfs vfs;
        struct stat st;
        char md5[33];
        uint64_t size;
        int r;

        if (step >= j->n_steps)
                return -EINVAL;
        s = &j->steps[step];
        f = step_find_file(s, path);
        if (f && f->backup) {
                /* already backed up by an earlier, interrupted attempt: keep the first */
                if (ret)
                        *ret = f;
                return 0;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (dirfd >= 0) {
                r = fo_dir_id_get(dirfd, &dir);
                if (r < 0)
                        return r;
        }
        name = strdup_printf("%04zu-%zu", step + 1, s->n_files);
        if (!name)
                return -ENOMEM;
        if ((uint64_t)st.st_size > max)
                return -EFBIG;
        bdir = openat(j->dirfd, "backups", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bdir < 0)
                return -errno;
        /* the size seen now, not the one planned: the file may have grown since */
        if (fstatvfs(bdir, &vfs) >= 0 && (uint64_t)st.st_size > (uint64_t)vfs.f_bavail * vfs.f_frsize)
                return -ENOSPC;
        bfd = openat(bdir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (bfd < 0)
                return -errno;
        r = fault_point("backup-copy");
        if (r >= 0)
                r = md5_copy_fd_max(fd, bfd, max, md5, &size);
        /* the backup carries the original's xattrs (ACLs, capabilities): a restore takes them from it */
        if (r >= 0 && (r = fo_copy_xattrs(fd, bfd)) == -ENOTSUP)
                r = 0; /* the journal's file system holds none: the restore keeps what it can */
        if (r >= 0 && fsync(bfd) < 0)
                r = -errno;
        if (r >= 0)
                r = fsync_dirfd(bdir);
        if (r < 0) {
                unlinkat(bdir, name, 0);
                return r;
        }
        f = step_add_file(s, path);
        if (!f)
                return -ENOMEM;
        f->existed = true;
        f->backup = strdup_printf("backups/%s", name);
        if (!f->backup)
                return -ENOMEM;
        memcpy(f->md5, md5, sizeof(md5));
        f->size = size;
        f->mode = st.st_mode & 07777;
        f->uid = st.st_uid;
        f->gid = st.st_gid;
        f->atime = st.st_atim;
        f->mtime = st.st_mtim;
        f->dir = dir;
        r = step_write(j, step);
        if (r < 0)
                return r;
        r = fault_point("backup-recorded");
        if (r < 0)
                return r;
        if (ret)
                *ret = f;
        return 0;
}

int journal_backup_link(journal *j, size_t step, const char *path, const char *target)
{
        journal_step *s;
        journal_file *f;

        if (step >= j->n_steps || !target || !*target)
                return -EINVAL;
        s = &j->steps[step];
        if (step_find_file(s, path))
                return 0; /* an earlier, interrupted attempt's record is the one from before */
        f = step_add_file(s, path);
        if (!f)
                return -ENOMEM;
        f->existed = true;
        f->link_target = strdup(target);
        if (!f->link_target)
                return -ENOMEM;
        md5_buf(target, strlen(target), f->md5);
        f->size = strlen(target);
        f->mode = 0777;
        return step_write(j, step);
}

int journal_note_absent(journal *j, size_t step, const char *path)
{
        journal_step *s;

        if (step >= j->n_steps)
                return -EINVAL;
        s = &j->steps[step];
        if (step_find_file(s, path))
                return 0;
        if (!step_add_file(s, path))
                return -ENOMEM;
        return step_write(j, step);
}

int journal_record_moved(journal *j, size_t step, const char *path, const char *moved_to)
{
        journal_file *f;

        if (step >= j->n_steps)
                return -EINVAL;
        f = step_find_file(&j->steps[step], path);
        if (!f)
                return -ENOENT;
        free(f->moved_to);
        f->moved_to = strdup(moved_to);
        if (!f->moved_to)
                return -ENOMEM;
        return step_write(j, step);
}

/* The md5 the file has (applied) or is about to have (intended) after the step. */
static int record_md5_after(journal *j, size_t step, const char *path, const char *md5, bool applied)
{
        journal_file *f;

        if (step >= j->n_steps)
                return -EINVAL;
        f = step_find_file(&j->steps[step], path);
        if (!f) {
                f = step_add_file(&j->steps[step], path);
                if (!f)
                        return -ENOMEM;
        }
        f->has_after = true;
        snprintf(f->md5_after, sizeof(f->md5_after), "%s", md5 ? md5 : "");
        if (applied)
                j->steps[step].state = STEP_APPLIED;
        return step_write(j, step);
}

int journal_record_after(journal *j, size_t step, const char *path, const char *md5)
{
        return record_md5_after(j, step, path, md5, true);
}

int journal_record_intended(journal *j, size_t step, const char *path, const char *md5)
{
        return record_md5_after(j, step, path, md5, false); /* the state stays: nothing is applied yet */
}


int journal_open_backup(const journal *j, const journal_file *f)
{
        int fd;

        if (!f->backup)
                return -ENOENT;
        fd = openat(j->dirfd, f->backup, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int journal_copy_input(journal *j, size_t step, const char *name, int fd, char **ret_path)
{
        _cleanup_free_ char *rel = NULL, *proc = NULL, *dir = NULL, *path = NULL;
        _cleanup_close_ int out = -EBADF;
        char md5[33];
        int r;

        if (step >= j->n_steps || !name || strchr(name, '/'))
                return -EINVAL;
        rel = strdup_printf("cmd/%04zu-%s", step + 1, name);
        proc = strdup_printf("/proc/self/fd/%d", j->dirfd);
        if (!rel || !proc)
                return -ENOMEM;
        {
                char buf[PATH_MAX];
                ssize_t n = readlink(proc, buf, sizeof(buf) - 1); /* the run's directory as opened */

                if (n < 0)
                        return -errno;
                buf[n] = '\0';
                dir = strdup(buf);
                if (!dir)
                        return -ENOMEM;
        }
        path = strdup_printf("%s/%s", dir, rel);
        if (!path)
                return -ENOMEM;
        /* a copy of an earlier, interrupted attempt is made again */
        if (unlinkat(j->dirfd, rel, 0) < 0 && errno != ENOENT)
                return -errno;
        out = openat(j->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        r = md5_copy_fd(fd, out, md5, NULL);
        if (r >= 0 && fsync(out) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(j->dirfd, rel, 0);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

int journal_command_output(journal *j, size_t step, int *ret_fd, char **ret_name)
{
        _cleanup_free_ char *name = NULL;
        int fd;

        if (step >= j->n_steps)
                return -EINVAL;
        name = strdup_printf("cmd/%04zu-%zu.log", step + 1, j->steps[step].n_commands);
        if (!name)
                return -ENOMEM;
        fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_APPEND, 0600);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        *ret_name = TAKE_PTR(name);
        return 0;
}

int journal_record_command(journal *j, size_t step, const char *const *argv, int status, const char *output_name)
{
        journal_step *s;
        journal_command *n;
        strv sv = {0};

        if (step >= j->n_steps)
                return -EINVAL;
        s = &j->steps[step];
        for (const char *const *a = argv; a && *a; a++)
                if (strv_push_dup(&sv, *a) < 0) {
                        strv_clear(&sv);
                        return -ENOMEM;
                }
        n = realloc(s->commands, (s->n_commands + 1) * sizeof(*n));
        if (!n) {
                strv_clear(&sv);
                return -ENOMEM;
        }
        s->commands = n;
        n[s->n_commands] = (journal_command){.argv = sv.items, .status = status,
                                            .output = output_name ? strdup(output_name) : NULL};
        s->n_commands++;
        return step_write(j, step);
}

int journal_set_child(journal *j, size_t step, pid_t pid)
{
        if (step >= j->n_steps)
                return -EINVAL;
        j->steps[step].child = pid;
        return step_write(j, step);
}

static int step_set(journal *j, size_t step, step_state st, const char *error)
{
        journal_step *s;

        if (step >= j->n_steps)
                return -EINVAL;
        s = &j->steps[step];
        s->state = st;
        s->child = 0;
        free(s->error);
        s->error = NULL;
        if (error && !(s->error = strdup(error)))
                return -ENOMEM;
        return step_write(j, step);
}

int journal_step_done(journal *j, size_t step)
{
        return step_set(j, step, STEP_DONE, NULL);
}

int journal_step_failed(journal *j, size_t step, const char *error)
{
        return step_set(j, step, STEP_FAILED, error);
}

int journal_step_rolled_back(journal *j, size_t step, const char *note)
{
        return step_set(j, step, STEP_ROLLED_BACK, note);
}

int journal_write_verify_flag(const char *root, const char *id)
{
        _cleanup_free_ char *dir = NULL, *line = strdup_printf("%s\n", id);
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (!line)
                return -ENOMEM;
        r = journal_state_dir(root, NULL, &dir);
        if (r < 0)
                return r;
        r = mkdir_p_mode(dir, 0755, 0700);
        if (r < 0)
                return r;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        return write_file_atomic(dfd, "verify-pending", line, strlen(line), 0644);
}

/* ---- history ---- */

static int id_cmp_desc(const void *a, const void *b)
{
        return -strcmp(*(char *const *)a, *(char *const *)b);
}

int journal_history(const char *state_dir, json_object **ret)
{
        _cleanup_free_ char *jdir = strdup_printf("%s/%s", state_dir, JOURNAL_SUBDIR);
        json_object *doc = json_object_new_object(), *runs = json_object_new_array();
        strv ids = {0};
        DIR *d;

        if (!jdir || !doc || !runs) {
                json_object_put(doc);
                json_object_put(runs);
                return -ENOMEM;
        }
        json_object_object_add(doc, "schema", json_object_new_string(HISTORY_SCHEMA));
        json_object_object_add(doc, "runs", runs);
        d = opendir(jdir);
        if (d) {
                struct dirent *de;

                while ((de = readdir(d)))
                        if (id_valid(de->d_name) && strv_push_dup(&ids, de->d_name) < 0)
                                break;
                closedir(d);
        }
        if (ids.n)
                qsort(ids.items, ids.n, sizeof(char *), id_cmp_desc);
        for (size_t i = 0; i < ids.n; i++) {
                journal *j = NULL;
                json_object *o = json_object_new_object(), *acts = json_object_new_array();
                size_t done = 0, failed = 0, rolled = 0;

                json_object_object_add(o, "id", json_object_new_string(ids.items[i]));
                if (journal_open(state_dir, ids.items[i], &j) < 0) {
                        json_object_object_add(o, "status", json_object_new_string("unreadable"));
                        json_object_put(acts);
                        json_object_array_add(runs, o);
                        continue;
                }
                json_object_object_add(o, "status", json_object_new_string(run_status_to_string(j->status)));
                json_object_object_add(o, "root", json_object_new_string(j->root));
                json_object_object_add(o, "started", json_object_new_int64(j->started));
                json_object_object_add(o, "updated", json_object_new_int64(j->updated));
                for (size_t k = 0; k < j->n_steps; k++) {
                        const plan_action *a = &j->plan->actions[k];
                        json_object *s = json_object_new_object();

                        done += j->steps[k].state == STEP_DONE;
                        failed += j->steps[k].state == STEP_FAILED;
                        rolled += j->steps[k].state == STEP_ROLLED_BACK;
                        json_object_object_add(s, "action", json_object_new_string(action_type_to_string(a->type)));
                        if (a->path)
                                json_object_object_add(s, "path", json_object_new_string(a->path));
                        if (a->kernel)
                                json_object_object_add(s, "kernel", json_object_new_string(a->kernel));
                        json_object_object_add(s, "state", json_object_new_string(step_state_to_string(j->steps[k].state)));
                        json_object_array_add(acts, s);
                }
                json_object_object_add(o, "steps_total", json_object_new_int64((int64_t)j->n_steps));
                json_object_object_add(o, "steps_done", json_object_new_int64((int64_t)done));
                json_object_object_add(o, "steps_failed", json_object_new_int64((int64_t)failed));
                json_object_object_add(o, "steps_rolled_back", json_object_new_int64((int64_t)rolled));
                json_object_object_add(o, "steps", acts);
                json_object_array_add(runs, o);
                journal_free(j);
        }
        strv_clear(&ids);
        *ret = doc;
        return 0;
}

int journal_lock(const char *lockdir, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mkdir_p_mode(lockdir, 0755, 0700);
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *p = strdup_printf("%s/recover.lock", lockdir);

                if (!p)
                        return -ENOMEM;
                fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        }
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
