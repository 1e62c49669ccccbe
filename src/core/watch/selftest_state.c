/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "watch/selftest_state.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <time.h>

#include "base/util.h"
#include "root/sysroot.h"

#define RECORD_MAX 65536

static const char IN_PROGRESS[] = "in-progress.json";
static const char LAST[] = "last.json";

static void record_clear(selftest_record *r)
{
        free(r->boot_id);
        free(r->backend);
        free(r->outcome);
        free(r->reason);
        *r = (selftest_record){0};
}

void selftest_records_clear(selftest_records *r)
{
        record_clear(&r->in_progress);
        record_clear(&r->last);
}

static int dup_string(json_object *o, const char *key, bool required, char **ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return required ? -EBADMSG : 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int read_record(int dirfd, const char *name, selftest_record *ret)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        selftest_record rec = {.present = true};
        json_object *o, *v;
        size_t len;
        int r;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        r = read_fd_capped(fd, RECORD_MAX, &buf, &len);
        if (r < 0)
                return r == -EFBIG || r == -EINVAL ? -EBADMSG : r;
        o = json_tokener_parse(buf);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        r = dup_string(o, "boot_id", true, &rec.boot_id);
        if (r >= 0)
                r = dup_string(o, "backend", false, &rec.backend);
        if (r >= 0)
                r = dup_string(o, "outcome", false, &rec.outcome);
        if (r >= 0)
                r = dup_string(o, "reason", false, &rec.reason);
        if (r >= 0 && json_object_object_get_ex(o, "time", &v) && json_object_is_type(v, json_type_int))
                rec.time = json_object_get_int64(v);
        if (r >= 0 && json_object_object_get_ex(o, "pid", &v) && json_object_is_type(v, json_type_int))
                rec.pid = json_object_get_int64(v);
        json_object_put(o);
        if (r < 0) {
                record_clear(&rec);
                return r;
        }
        *ret = rec;
        return 0;
}

int selftest_records_read(int dirfd, selftest_records *ret)
{
        selftest_records recs = {0};
        int r;

        r = read_record(dirfd, IN_PROGRESS, &recs.in_progress);
        if (r >= 0)
                r = read_record(dirfd, LAST, &recs.last);
        if (r < 0) {
                selftest_records_clear(&recs);
                return r;
        }
        *ret = recs;
        return 0;
}

/* Replace name in dirfd with content: temp file, fsync, rename, fsync of the directory. */
static int write_atomic(int dirfd, const char *name, const char *content)
{
        _cleanup_free_ char *tmp = strdup_printf(".%s.%d.tmp", name, (int)getpid());
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!tmp)
                return -ENOMEM;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, content, strlen(content));
        if (r >= 0 && (fsync(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0))
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dirfd, tmp, 0);
                return r;
        }
        return fsync(dirfd) < 0 ? -errno : 0;
}

static int write_record(int dirfd, const char *name, const char *boot_id, const char *backend,
                        const char *outcome, const char *reason)
{
        json_object *o = json_object_new_object();
        int r = -ENOMEM;

        if (!o)
                return -ENOMEM;
        if (json_object_object_add(o, "boot_id", json_object_new_string(boot_id)) == 0 &&
            json_object_object_add(o, "backend", backend ? json_object_new_string(backend) : NULL) == 0 &&
            json_object_object_add(o, "outcome", outcome ? json_object_new_string(outcome) : NULL) == 0 &&
            json_object_object_add(o, "reason", reason ? json_object_new_string(reason) : NULL) == 0 &&
            json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL))) == 0 &&
            json_object_object_add(o, "pid", json_object_new_int64(getpid())) == 0)
                r = write_atomic(dirfd, name, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return r;
}

int selftest_record_begin(int dirfd, const char *boot_id, const char *backend)
{
        return write_record(dirfd, IN_PROGRESS, boot_id, backend, NULL, NULL);
}

int selftest_record_finish(int dirfd, const char *boot_id, const char *backend, const char *outcome,
                           const char *reason)
{
        int r = write_record(dirfd, LAST, boot_id, backend, outcome, reason);

        if (r < 0)
                return r;
        if (unlinkat(dirfd, IN_PROGRESS, 0) < 0 && errno != ENOENT)
                return -errno;
        return fsync(dirfd) < 0 ? -errno : 0;
}

int state_dir_open(int parent_fd, const char *relpath, bool create)
{
        _cleanup_free_ char *copy = strdup(relpath);
        _cleanup_close_ int cur = -EBADF;
        char *save = NULL, *comp;

        if (!copy)
                return -ENOMEM;
        cur = fcntl(parent_fd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return -errno;
        /* Component by component, never following a symlink. */
        for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                int next;

                if (create && mkdirat(cur, comp, 0700) < 0 && errno != EEXIST)
                        return -errno;
                next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                close(cur);
                cur = next;
        }
        return TAKE_FD(cur);
}
