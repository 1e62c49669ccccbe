/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bundle's members, the probe runner (one child per probe, a deadline,
 * members back through a pipe), the .tar.xz writer (libarchive) and the
 * safe creation of the output file. See bundle.h.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "base/util.h"
#include "bundle/bundle.h"

static const char *const probe_status_names[_PROBE_STATUS_MAX] = {
        [PROBE_OK] = "ok",
        [PROBE_FAILED] = "failed",
        [PROBE_TIMEOUT] = "timeout",
        [PROBE_SKIPPED] = "skipped",
};

const char *probe_status_to_string(probe_status s)
{
        return s >= 0 && s < _PROBE_STATUS_MAX ? probe_status_names[s] : NULL;
}

int bundle_new(bundle **ret)
{
        bundle *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        b->red = redactor_new();
        if (!b->red) {
                free(b);
                return -ENOMEM;
        }
        b->timeout_ms = BUNDLE_PROBE_TIMEOUT_MS;
        *ret = b;
        return 0;
}

bundle *bundle_free(bundle *b)
{
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n_members; i++) {
                free(b->members[i].name);
                free(b->members[i].data);
        }
        free(b->members);
        for (size_t i = 0; i < b->n_probes; i++) {
                free(b->probes[i].name);
                free(b->probes[i].error);
        }
        free(b->probes);
        redactor_free(b->red);
        free(b);
        return NULL;
}

/* A member name stays inside the archive's top directory: relative, no "..", printable. */
static bool member_name_ok(const char *name)
{
        if (!name[0] || name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static int add_member(bundle *b, const char *name, const char *data, size_t len, bool premasked)
{
        _cleanup_free_ char *masked = NULL, *mname = NULL;
        size_t mlen, nlen;
        void *n;

        if (!member_name_ok(name))
                return -EINVAL;
        if (len > BUNDLE_MEMBER_MAX)
                len = BUNDLE_MEMBER_MAX;
        if (premasked) {
                masked = strndup(data, len);
                mlen = len;
        } else {
                /* JSON (the journal's plan and steps, self-test records) by structure, not as text */
                int k = endswith(name, ".json") ? redact_json_text(b->red, data, len, &masked, &mlen) : -EBADMSG;

                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        masked = redact_text(b->red, data, len, &mlen);
        }
        /* names can carry a user's name too ("journal/…/cmd/…" never does; a home path might) */
        mname = redact_text(b->red, name, strlen(name), &nlen);
        if (!masked || !mname)
                return -ENOMEM;
        if (b->total + mlen > BUNDLE_TOTAL_MAX)
                return -EFBIG;
        n = realloc(b->members, (b->n_members + 1) * sizeof(bundle_member));
        if (!n)
                return -ENOMEM;
        b->members = n;
        b->members[b->n_members++] = (bundle_member){ .name = TAKE_PTR(mname), .data = TAKE_PTR(masked), .len = mlen };
        b->total += mlen;
        return 0;
}

int bundle_add(bundle *b, const char *name, const char *data, size_t len)
{
        return add_member(b, name, data, len, false);
}

int bundle_add_premasked(bundle *b, const char *name, const char *data, size_t len)
{
        return add_member(b, name, data, len, true);
}

static int record_probe(bundle *b, const char *name, probe_status st, const char *error, size_t members)
{
        void *n = realloc(b->probes, (b->n_probes + 1) * sizeof(probe_record));
        probe_record *p;

        if (!n)
                return -ENOMEM;
        b->probes = n;
        p = &b->probes[b->n_probes];
        *p = (probe_record){ .status = st, .members = members };
        p->name = strdup(name);
        if (error) {
                size_t l;
                /* errors can quote paths: mask them like the rest */
                p->error = redact_text(b->red, error, strlen(error), &l);
        }
        if (!p->name || (error && !p->error)) {
                free(p->name);
                free(p->error);
                return -ENOMEM;
        }
        b->n_probes++;
        return 0;
}

int bundle_skip(bundle *b, const char *name, const char *why)
{
        return record_probe(b, name, PROBE_SKIPPED, why, 0);
}

/* ---- the child's side ---- */

struct bundle_out {
        int fd;
};

/* Record: 'M', u32 name length, u64 data length, name, data. */
int bundle_out_add(bundle_out *out, const char *name, const char *data, size_t len)
{
        uint32_t nl = (uint32_t)strlen(name);
        uint64_t dl = len > BUNDLE_MEMBER_MAX ? BUNDLE_MEMBER_MAX : len;
        char hdr[13];
        int k;

        hdr[0] = 'M';
        memcpy(hdr + 1, &nl, 4);
        memcpy(hdr + 5, &dl, 8);
        k = loop_write(out->fd, hdr, sizeof(hdr));
        if (k == 0)
                k = loop_write(out->fd, name, nl);
        if (k == 0)
                k = loop_write(out->fd, data, (size_t)dl);
        return k;
}

int bundle_out_addf(bundle_out *out, const char *name, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return bundle_out_add(out, name, s, (size_t)n);
}

static void child_run(int fd, const inspection *in, bundle_probe_fn fn, void *userdata, const char *mode)
{
        bundle_out out = { .fd = fd };
        char end[5] = { 'E' };
        int32_t k;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (mode && streq(mode, "hang"))
                for (;;)
                        pause();
        k = mode && streq(mode, "fail") ? -EIO : fn(in, &out, userdata);
        memcpy(end + 1, &k, 4);
        (void)loop_write(fd, end, sizeof(end));
        _exit(0);
}

/* ---- the parent's side ---- */

/* Read everything the child writes until EOF or the deadline. 1: EOF, 0: timeout, < 0 error. */
static int read_until(int fd, int64_t deadline, char **buf, size_t *len)
{
        size_t cap = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int64_t left = deadline - (int64_t)now_ms();
                ssize_t n;
                int r;

                if (left <= 0)
                        return 0;
                r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        continue;
                if (*len + 65536 > cap) {
                        size_t ncap = cap ? cap * 2 : 131072;
                        char *nb;

                        if (ncap > BUNDLE_TOTAL_MAX + 65536)
                                return -EFBIG;
                        nb = realloc(*buf, ncap);
                        if (!nb)
                                return -ENOMEM;
                        *buf = nb;
                        cap = ncap;
                }
                n = read(fd, *buf + *len, cap - *len);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 1;
                *len += (size_t)n;
        }
}

/* Parse the child's records into members. Returns the probe's own result (0 or < 0), or -EBADMSG. */
static int parse_records(bundle *b, const char *buf, size_t len, size_t *ret_members)
{
        size_t i = 0, members = 0;

        while (i < len) {
                if (buf[i] == 'E' && len - i >= 5) {
                        int32_t k;
                        memcpy(&k, buf + i + 1, 4);
                        *ret_members = members;
                        return k;
                }
                if (buf[i] == 'M' && len - i >= 13) {
                        uint32_t nl;
                        uint64_t dl;
                        _cleanup_free_ char *name = NULL;
                        int r;

                        memcpy(&nl, buf + i + 1, 4);
                        memcpy(&dl, buf + i + 5, 8);
                        if (nl > 4096 || dl > len || 13 + (uint64_t)nl + dl > len - i)
                                break;
                        name = strndup(buf + i + 13, nl);
                        if (!name)
                                return -ENOMEM;
                        r = bundle_add(b, name, buf + i + 13 + nl, (size_t)dl);
                        if (r == -ENOMEM)
                                return r;
                        if (r == 0)
                                members++;
                        i += 13 + nl + (size_t)dl;
                        continue;
                }
                break;
        }
        *ret_members = members;
        return -EBADMSG; /* no end record: the child died */
}

int bundle_run_probe(bundle *b, const inspection *in, const char *name, bundle_probe_fn fn, void *userdata,
                     const char *fault)
{
        _cleanup_free_ char *buf = NULL, *err = NULL;
        const char *mode = NULL;
        size_t len = 0, members = 0;
        int pipefd[2], r, k;
        pid_t pid;

        /* test only: "NAME:hang" / "NAME:fail" */
        if (fault) {
                const char *colon = strchr(fault, ':');
                if (colon && (size_t)(colon - fault) == strlen(name) && strncmp(fault, name, strlen(name)) == 0)
                        mode = colon + 1;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return record_probe(b, name, PROBE_FAILED, strerror(errno), 0);
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                k = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return record_probe(b, name, PROBE_FAILED, strerror(k), 0);
        }
        if (pid == 0) {
                close(pipefd[0]);
                child_run(pipefd[1], in, fn, userdata, mode);
        }
        close(pipefd[1]);
        r = read_until(pipefd[0], (int64_t)(now_ms() + b->timeout_ms), &buf, &len);
        close(pipefd[0]);
        if (r <= 0) {
                /* Out of time (or unreadable): kill it; a child stuck in D state is left to init. */
                (void)kill(pid, SIGKILL);
                for (int i = 0; i < 50 && waitpid(pid, NULL, WNOHANG) == 0; i++)
                        usleep(10000);
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        err = strdup_printf("no answer within %u ms: stopped", b->timeout_ms);
                else
                        err = strdup_printf("reading its output failed: %s", strerror(-r));
                return err ? record_probe(b, name, r == 0 ? PROBE_TIMEOUT : PROBE_FAILED, err, 0) : -ENOMEM;
        }
        (void)waitpid(pid, NULL, 0);
        k = parse_records(b, buf, len, &members);
        if (k == -ENOMEM)
                return k;
        if (k == -EBADMSG)
                return record_probe(b, name, PROBE_FAILED, "the probe ended without finishing its output", members);
        if (k < 0) {
                err = strdup_printf("%s", strerror(-k));
                return err ? record_probe(b, name, PROBE_FAILED, err, members) : -ENOMEM;
        }
        return record_probe(b, name, PROBE_OK, NULL, members);
}

/* ---- the archive ---- */

static int add_entry(struct archive *a, const char *path, const char *data, size_t len, time_t now)
{
        struct archive_entry *e = archive_entry_new();
        int r = 0;

        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, path);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, now, 0);
        /* no owner names: they would say who made the bundle */
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        if (archive_write_header(a, e) != ARCHIVE_OK || (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len))
                r = -EIO;
        archive_entry_free(e);
        return r;
}

int bundle_write_archive(const bundle *b, const char *top, const char *manifest, int fd)
{
        struct archive *a = archive_write_new();
        time_t now = time(NULL);
        int r = 0;

        if (!a)
                return -ENOMEM;
        if (archive_write_add_filter_xz(a) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_fd(a, fd) != ARCHIVE_OK) {
                archive_write_free(a);
                return -EIO;
        }
        {
                _cleanup_free_ char *p = strdup_printf("%s/manifest.json", top);
                r = p ? add_entry(a, p, manifest, strlen(manifest), now) : -ENOMEM;
        }
        for (size_t i = 0; i < b->n_members && r == 0; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", top, b->members[i].name);
                r = p ? add_entry(a, p, b->members[i].data, b->members[i].len, now) : -ENOMEM;
        }
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
                r = -EIO;
        archive_write_free(a);
        return r;
}

/* ---- the output file ---- */

static int copy_into_new(const char *path, int src_fd)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        char chunk[65536];
        off_t off = 0;
        int k = 0;

        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0600) < 0)
                k = -errno;
        for (;;) {
                ssize_t n;

                if (k < 0)
                        break;
                n = pread(src_fd, chunk, sizeof(chunk), off);
                if (n < 0) {
                        k = -errno;
                        break;
                }
                if (n == 0)
                        break;
                k = loop_write(fd, chunk, (size_t)n);
                off += n;
        }
        if (k == 0 && fsync(fd) < 0)
                k = -errno;
        if (k < 0)
                (void)unlink(path); /* as the same user that made it */
        return k;
}

int bundle_write_file(const char *path, uid_t uid, gid_t gid, int src_fd)
{
        pid_t pid;
        int status;

        if (geteuid() != 0 || uid == 0)
                return copy_into_new(path, src_fd);

        /* As root for someone else: create and fill the file as that user, in a child. */
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int k;

                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(126);
                k = copy_into_new(path, src_fd);
                _exit(k < 0 ? (-k & 0x7f) : 0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status))
                return -EIO;
        if (WEXITSTATUS(status) == 126)
                return -EPERM;
        return -(int)WEXITSTATUS(status);
}
