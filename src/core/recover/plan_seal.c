/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reviewed plan (plan.h, README.md "Recovery"): the plan a person saw
 * and confirmed, with every file its runnable steps touch recorded as it
 * was then, is the plan that runs. Before the journal starts, the files are
 * looked at again the way the executor opens them (through the root,
 * beneath a user's home without symlinks); any difference refuses the whole
 * run. The TUI stores the plan it showed for its child in the state
 * directory, where only we can write, never in /tmp.
 */

#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <md5.h>
#include <sha2.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "recover/plan.h"
#include "root/fileops.h"
#include "root/userdrop.h"

/* A user's file is fingerprinted up to this size (the executor refuses to copy a larger one anyway). */
#define SEAL_USER_HASH_MAX (16u * 1024 * 1024)
#define REVIEWED_PLAN_MAX (64u * 1024 * 1024)
#define REVIEWED_SUBDIR "reviewed"

/*
 * One pass over fd for the seal's SHA-256 and the executor's MD5, stopping
 * with -EFBIG past max (0: no limit); *ret_size the bytes read.
 */
static int sha256_md5_fd(int fd, uint64_t max, char ret_sha[SHA256_DIGEST_STRING_LENGTH], char ret_md5[33],
                         uint64_t *ret_size)
{
        uint8_t buf[64 * 1024];
        uint64_t total = 0;
        SHA2_CTX ctx;
        MD5_CTX mctx;

        SHA256Init(&ctx);
        MD5Init(&mctx);
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                total += (uint64_t)n;
                if (max && total > max)
                        return -EFBIG;
                SHA256Update(&ctx, buf, (size_t)n);
                MD5Update(&mctx, buf, (size_t)n);
        }
        SHA256End(&ctx, ret_sha);
        MD5End(&mctx, ret_md5);
        *ret_size = total;
        return 0;
}

/* SHA-256 of fd's content, stopping with -EFBIG past max (0: no limit). */
static int sha256_fd(int fd, uint64_t max, char ret[SHA256_DIGEST_STRING_LENGTH])
{
        char md5[33];
        uint64_t size;

        return sha256_md5_fd(fd, max, ret, md5, &size);
}

/* The parent of path opened as the executor opens it for a (executor.c open_parent). */
static int open_parent_like_step(const sysroot *sr, const plan_action *a, const char *path, int *ret_dirfd,
                                 char **ret_base)
{
        user_ids u;
        int r;

        if (!a->in_home)
                return fo_open_parent(sr, path, ret_dirfd, ret_base);
        r = user_ids_load(sr, a->owner_uid, &u);
        if (r < 0)
                return r;
        r = fo_path_in_home(u.home, path) ? fo_open_parent_in_home(sr, u.home, path, ret_dirfd, ret_base)
                                          : fo_open_parent_nofollow(sr, path, ret_dirfd, ret_base);
        user_ids_clear(&u);
        return r;
}

/* What path is now, as one line (see plan_seal in plan.h). */
static int fingerprint(const sysroot *sr, const plan_action *a, const char *path, char **ret)
{
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        char hex[SHA256_DIGEST_STRING_LENGTH];
        struct stat st, st2;
        int r;

        r = open_parent_like_step(sr, a, path, &dirfd, &base);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT) {
                *ret = strdup("absent");
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                goto unreadable;
        if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                r = -errno;
                if (r == -ENOENT) {
                        *ret = strdup("absent");
                        return *ret ? 0 : -ENOMEM;
                }
                goto unreadable;
        }
        if (S_ISDIR(st.st_mode))
                *ret = strdup("directory");
        else if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(dirfd, base, target, sizeof(target));

                if (n < 0) {
                        r = -errno;
                        goto unreadable;
                }
                SHA256Data((const uint8_t *)target, (size_t)n, hex);
                *ret = strdup_printf("symlink sha256:%s", hex);
        } else if (S_ISREG(st.st_mode)) {
                bool capped = a->in_home || st.st_uid != geteuid();

                if (capped && (uint64_t)st.st_size > SEAL_USER_HASH_MAX) {
                        *ret = strdup_printf("file %" PRIu64 " unhashed", (uint64_t)st.st_size);
                        return *ret ? 0 : -ENOMEM;
                }
                fd = fo_open_regular(dirfd, base, &st2);
                if (fd < 0) {
                        r = fd;
                        goto unreadable;
                }
                r = sha256_fd(fd, capped ? SEAL_USER_HASH_MAX : 0, hex);
                if (r == -EFBIG) {
                        *ret = strdup_printf("file %" PRIu64 " unhashed", (uint64_t)st2.st_size);
                        return *ret ? 0 : -ENOMEM;
                }
                if (r < 0)
                        goto unreadable;
                *ret = strdup_printf("file %" PRIu64 " sha256:%s", (uint64_t)st2.st_size, hex);
        } else
                *ret = strdup_printf("other %o", (unsigned)(st.st_mode & S_IFMT));
        return *ret ? 0 : -ENOMEM;
unreadable:
        *ret = strdup_printf("unreadable: %s", strerror(-r));
        return *ret ? 0 : -ENOMEM;
}

/* Each (action, path) the runnable steps touch, once per path: fn(a, path). */
typedef int (*touch_fn)(const sysroot *sr, const plan_action *a, const char *path, void *userdata);

static int for_each_touch(const sysroot *sr, const plan *p, touch_fn fn, void *userdata)
{
        strv seen = {0};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < p->n_actions; i++) {
                const plan_action *a = &p->actions[i];

                if (a->blocked)
                        continue; /* not run: nothing of it is touched */
                for (size_t k = 0; r >= 0 && k <= a->n_touches; k++) {
                        const char *path = k < a->n_touches ? a->touches[k] : a->path;

                        if (!path || path[0] != '/' || strv_contains(&seen, path))
                                continue;
                        r = strv_push_dup(&seen, path);
                        if (r >= 0)
                                r = fn(sr, a, path, userdata);
                }
        }
        strv_clear(&seen);
        return r;
}

static int seal_one(const sysroot *sr, const plan_action *a, const char *path, void *userdata)
{
        plan *p = userdata;
        plan_file_seal *s;
        char *fp = NULL;
        int r;

        r = fingerprint(sr, a, path, &fp);
        if (r < 0)
                return r;
        s = reallocarray(p->seals, p->n_seals + 1, sizeof(plan_file_seal));
        if (!s) {
                free(fp);
                return -ENOMEM;
        }
        p->seals = s;
        s = &p->seals[p->n_seals];
        *s = (plan_file_seal){.path = strdup(path), .fingerprint = fp};
        if (!s->path) {
                free(fp);
                return -ENOMEM;
        }
        p->n_seals++;
        return 0;
}

int plan_seal(const sysroot *sr, plan *p)
{
        int r;

        for (size_t i = 0; i < p->n_seals; i++) {
                free(p->seals[i].path);
                free(p->seals[i].fingerprint);
        }
        p->n_seals = 0;
        r = for_each_touch(sr, p, seal_one, p);
        if (r < 0)
                return r;
        p->sealed = true;
        return 0;
}

static int push_line(strv *v, const char *fmt, const char *a, const char *b, const char *c)
{
        char *s = strdup_printf(fmt, a, b, c);

        return s ? strv_push(v, s) : -ENOMEM;
}

typedef struct check_ctx {
        const plan *p;
        strv *changed;
        int n;
} check_ctx;

static int check_one(const sysroot *sr, const plan_action *a, const char *path, void *userdata)
{
        _cleanup_free_ char *now = NULL;
        check_ctx *c = userdata;
        const char *was = NULL;
        int r;

        for (size_t i = 0; i < c->p->n_seals && !was; i++)
                if (streq(c->p->seals[i].path, path))
                        was = c->p->seals[i].fingerprint;
        r = fingerprint(sr, a, path, &now);
        if (r < 0)
                return r;
        /* unhashed or unreadable cannot show that it is the same */
        if (was && streq(was, now) && startswith(now, "unreadable") == NULL && !endswith(now, " unhashed"))
                return 0;
        c->n++;
        if (!was)
                return push_line(c->changed, "%s: not in the plan that was shown%s%s", path, "", "");
        if (streq(was, now))
                return push_line(c->changed, "%s: cannot be compared with what was shown (%s)%s", path, now, "");
        return push_line(c->changed, "%s: shown as %s, now %s", path, was, now);
}

int plan_seal_check(const sysroot *sr, const plan *p, strv *changed)
{
        check_ctx c = {.p = p, .changed = changed};
        int r;

        if (!p->sealed)
                return -EINVAL;
        r = for_each_touch(sr, p, check_one, &c);
        return r < 0 ? r : c.n;
}

static const char *seal_of(const plan *p, const char *path)
{
        for (size_t i = 0; i < p->n_seals; i++)
                if (streq(p->seals[i].path, path))
                        return p->seals[i].fingerprint;
        return NULL;
}

int plan_seal_check_fd(const plan *p, const char *path, int fd, uint64_t max, char ret_md5[33], char **ret_why)
{
        _cleanup_free_ char *now = NULL;
        char sha[SHA256_DIGEST_STRING_LENGTH], md5[33];
        const char *was;
        uint64_t size;
        int r;

        if (!p->sealed)
                return -EINVAL;
        r = sha256_md5_fd(fd, max, sha, md5, &size);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        now = strdup_printf("file %" PRIu64 " sha256:%s", size, sha);
        if (!now)
                return -ENOMEM;
        memcpy(ret_md5, md5, sizeof(md5));
        was = seal_of(p, path);
        if (was && streq(was, now))
                return 0;
        if (ret_why) {
                *ret_why = was ? strdup_printf("shown as %s, now %s", was, now)
                               : strdup_printf("not in the plan that was shown, now %s", now);
                if (!*ret_why)
                        return -ENOMEM;
        }
        return 1;
}

/* ---- storing the reviewed plan ---- */

/* dirfd is a directory only we may write into: ours, no group/other write, or root's and sticky. */
static bool dir_is_safe(const struct stat *st, bool last)
{
        if (!S_ISDIR(st->st_mode))
                return false;
        if (last)
                return st->st_uid == geteuid() && (st->st_mode & 0077) == 0;
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return false;
        return !(st->st_mode & 0022) || (st->st_uid == 0 && (st->st_mode & S_ISVTX));
}

/*
 * Open the directory dir (absolute) component by component without
 * following symlinks, each one checked by dir_is_safe.
 */
static int open_safe_dir(const char *dir, int *ret)
{
        _cleanup_free_ char *copy = strdup(dir);
        _cleanup_close_ int fd = -EBADF;
        char *save = NULL, *part, *next;
        struct stat st;

        if (!copy)
                return -ENOMEM;
        if (dir[0] != '/')
                return -EINVAL;
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        part = strtok_r(copy, "/", &save);
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!dir_is_safe(&st, !part))
                return -EPERM;
        for (; part; part = next) {
                int nfd;

                next = strtok_r(NULL, "/", &save);
                if (streq(part, ".") || streq(part, ".."))
                        return -EINVAL;
                nfd = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return errno == ENOTDIR ? -ELOOP : -errno;
                close(fd);
                fd = nfd;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (!dir_is_safe(&st, !next))
                        return -EPERM;
        }
        *ret = TAKE_FD(fd);
        return 0;
}

int plan_reviewed_save(const char *dir, const plan *p, char **ret)
{
        _cleanup_free_ char *sub = NULL, *name = NULL, *path = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        json_object *o = NULL;
        const char *text;
        int r;

        if (!p->sealed)
                return -EINVAL;
        sub = strdup_printf("%s/" REVIEWED_SUBDIR, dir);
        name = strdup_printf("plan-%ld-%llu.json", (long)getpid(), (unsigned long long)now_ms());
        if (!sub || !name)
                return -ENOMEM;
        r = mkdir_p_mode(sub, 0755, 0700);
        if (r < 0)
                return r;
        r = open_safe_dir(sub, &dfd);
        if (r < 0)
                return r;
        r = plan_to_json(p, &o);
        if (r < 0)
                return r;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        fd = text ? openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -ENOMEM;
        if (fd < 0) {
                r = text ? -errno : -ENOMEM;
                json_object_put(o);
                return r;
        }
        r = loop_write(fd, text, strlen(text));
        json_object_put(o);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dfd, name, 0);
                return r;
        }
        path = strdup_printf("%s/%s", sub, name);
        if (!path) {
                (void)unlinkat(dfd, name, 0);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

int plan_reviewed_load(const char *path, plan **ret)
{
        _cleanup_free_ char *dir = NULL, *buf = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        json_object *o;
        const char *slash = strrchr(path, '/');
        struct stat st;
        plan *p = NULL;
        size_t len;
        int r;

        if (path[0] != '/' || !slash || !slash[1])
                return -EINVAL;
        dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        r = open_safe_dir(dir, &dfd);
        if (r < 0)
                return r;
        fd = openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) || st.st_nlink != 1)
                return -EPERM;
        r = read_fd_capped(fd, REVIEWED_PLAN_MAX, &buf, &len);
        if (r < 0)
                return r;
        o = json_tokener_parse(buf);
        if (!o)
                return -EBADMSG;
        r = plan_from_json(o, &p);
        json_object_put(o);
        if (r < 0)
                return r;
        if (!p->sealed) {
                plan_free(p);
                return -EBADMSG;
        }
        *ret = p;
        return 0;
}
