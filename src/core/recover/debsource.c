/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clean sources from cached .deb files (debsource.h).
 */

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <md5.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "base/util.h"
#include "parse/dpkg.h"
#include "recover/debsource.h"
#include "root/sysroot.h"

#define APT_ARCHIVES "/var/cache/apt/archives"
#define DPKG_DEB_TIMEOUT_MS 30000

extern char **environ;

/*
 * Run argv with fd as the child's fd 3, capture stdout (at most 64 KiB).
 * A tiny local runner: the dpkg-deb query is read-only and short; the
 * spawn module (spawn.h) runs the commands that change the system.
 */
static int run_capture_fd3(const char *const *argv, int fd, int log_fd, char **ret_out, int *ret_status)
{
        static const char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        _cleanup_free_ char *out = NULL;
        size_t len = 0, cap = 65536;
        int pipefd[2], status, r;
        pid_t pid;

        out = malloc(cap + 1);
        if (!out)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        if (log_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
        else
                posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, fd, 3);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        r = -posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, (char *const *)envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                return r;
        }
        for (;;) {
                struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
                ssize_t n;

                r = poll(&p, 1, DPKG_DEB_TIMEOUT_MS);
                if (r == 0) {
                        kill(-pid, SIGKILL);
                        break;
                }
                if (r < 0 && errno == EINTR)
                        continue;
                n = read(pipefd[0], out + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (log_fd >= 0)
                        (void)!write(log_fd, out + len, (size_t)n);
                len += (size_t)n;
                if (len == cap)
                        break;
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        out[len] = 0;
        *ret_status = status;
        *ret_out = TAKE_PTR(out);
        return 0;
}

static int field_value(const char *out, const char *field, char **ret)
{
        _cleanup_free_ char *key = strdup_printf("%s: ", field);
        const char *p = out, *e;

        if (!key)
                return -ENOMEM;
        for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (startswith(p, key)) {
                        p += strlen(key);
                        e = strchrnul(p, '\n');
                        *ret = strndup(p, (size_t)(e - p));
                        return *ret ? 0 : -ENOMEM;
                }
        return -EBADMSG;
}

const char *const deb_control_argv[] = {"/usr/bin/dpkg-deb", "-f", "/proc/self/fd/3", "Package", "Version",
                                        "Architecture", NULL};

int deb_control_fields(const sysroot *sr, const char *debpath, char **ret_package, char **ret_version,
                       char **ret_arch)
{
        int status;

        return deb_control_fields_logged(sr, debpath, -1, &status, ret_package, ret_version, ret_arch);
}

int deb_control_fields_logged(const sysroot *sr, const char *debpath, int log_fd, int *ret_status,
                              char **ret_package, char **ret_version, char **ret_arch)
{
        _cleanup_close_ int fd = sysroot_open_regular(sr, debpath);
        _cleanup_free_ char *out = NULL, *p = NULL, *v = NULL, *a = NULL;
        int status, r;

        if (fd < 0)
                return fd;
        r = run_capture_fd3(deb_control_argv, fd, log_fd, &out, &status);
        if (r < 0)
                return r;
        *ret_status = status;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EBADMSG;
        if (field_value(out, "Package", &p) < 0 || field_value(out, "Version", &v) < 0 ||
            field_value(out, "Architecture", &a) < 0)
                return -EBADMSG;
        *ret_package = TAKE_PTR(p);
        *ret_version = TAKE_PTR(v);
        *ret_arch = TAKE_PTR(a);
        return 0;
}

/* The inner archive reads the data.tar member's bytes from the outer one. */
static la_ssize_t inner_read(struct archive *a, void *userdata, const void **buf)
{
        static char block[65536];
        struct archive *outer = userdata;
        la_ssize_t n = archive_read_data(outer, block, sizeof(block));

        (void)a;
        *buf = block;
        return n;
}

static bool member_matches(const char *entry, const char *member)
{
        if (entry[0] == '.' && entry[1] == '/')
                entry++;
        else if (entry[0] != '/') {
                /* "usr/src/x" */
                return streq(entry, member + 1);
        }
        return streq(entry, member);
}

static int copy_inner(struct archive *inner, const char *member, int out_fd, char ret_md5[33], uint64_t *ret_size,
                      uint64_t *ret_declared, struct timespec *ret_mtime)
{
        struct archive_entry *e;
        int r;

        while ((r = archive_read_next_header(inner, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                uint8_t buf[65536];
                uint64_t total = 0;
                MD5_CTX ctx;
                la_ssize_t n;

                if (!name || !member_matches(name, member))
                        continue;
                if (archive_entry_filetype(e) != AE_IFREG)
                        return -ENOENT;
                MD5Init(&ctx);
                while ((n = archive_read_data(inner, buf, sizeof(buf))) > 0) {
                        MD5Update(&ctx, buf, (size_t)n);
                        if (out_fd >= 0) {
                                int w = loop_write(out_fd, buf, (size_t)n);

                                if (w < 0)
                                        return w;
                        }
                        total += (uint64_t)n;
                }
                if (n < 0)
                        return -EBADMSG;
                MD5End(&ctx, ret_md5);
                *ret_size = total;
                *ret_declared = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : total;
                if (ret_mtime) {
                        ret_mtime->tv_sec = archive_entry_mtime(e);
                        ret_mtime->tv_nsec = archive_entry_mtime_nsec(e);
                }
                return 0;
        }
        return r == ARCHIVE_EOF ? -ENOENT : -EBADMSG;
}

/* Member of the inner tarball whose name starts with tarball ("data.tar", "control.tar"). */
static int tarball_member_copy(int deb_fd, const char *tarball, const char *member, int out_fd, char ret_md5[33],
                               uint64_t *ret_size, uint64_t *ret_declared_size, struct timespec *ret_mtime)
{
        struct archive *outer = archive_read_new();
        struct archive_entry *e;
        int r = -ENOENT;

        if (!outer)
                return -ENOMEM;
        archive_read_support_format_ar(outer);
        if (archive_read_open_fd(outer, deb_fd, 65536) != ARCHIVE_OK) {
                archive_read_free(outer);
                return -EBADMSG;
        }
        while (archive_read_next_header(outer, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                struct archive *inner;

                if (!name || !startswith(name, tarball))
                        continue;
                inner = archive_read_new();
                if (!inner) {
                        r = -ENOMEM;
                        break;
                }
                archive_read_support_format_tar(inner);
                archive_read_support_filter_all(inner);
                if (archive_read_open(inner, outer, NULL, inner_read, NULL) != ARCHIVE_OK)
                        r = -EBADMSG;
                else
                        r = copy_inner(inner, member, out_fd, ret_md5, ret_size, ret_declared_size, ret_mtime);
                archive_read_free(inner);
                break;
        }
        archive_read_free(outer);
        return r;
}

int deb_member_copy(int deb_fd, const char *member, int out_fd, char ret_md5[33], uint64_t *ret_size,
                    uint64_t *ret_declared_size, struct timespec *ret_mtime)
{
        return tarball_member_copy(deb_fd, "data.tar", member, out_fd, ret_md5, ret_size, ret_declared_size,
                                   ret_mtime);
}

int deb_find_clean_source(const sysroot *sr, const char *package, const char *version, const char *arch,
                          const char *member, const char *md5, char **ret_deb, uint64_t *ret_size,
                          char **ret_rejected)
{
        _cleanup_free_ char *prefix = strdup_printf("%s_", package);
        char **names = NULL;
        size_t n = 0;
        int r;

        if (!prefix)
                return -ENOMEM;
        r = sysroot_list_dir(sr, APT_ARCHIVES, 4096, &names, &n, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *path = NULL, *p = NULL, *v = NULL, *a = NULL, *why = NULL;
                _cleanup_close_ int fd = -EBADF;
                char got[33];
                uint64_t size, declared;

                if (!startswith(names[i], prefix) || !endswith(names[i], ".deb"))
                        continue;
                path = strdup_printf("%s/%s", APT_ARCHIVES, names[i]);
                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                if (deb_control_fields(sr, path, &p, &v, &a) < 0)
                        why = strdup_printf("%s: dpkg-deb cannot read its control fields", path);
                else if (!streq(p, package) || !streq_ptr(v, version) || !streq_ptr(a, arch))
                        why = strdup_printf("%s is %s %s (%s), not the installed %s %s (%s)", path, p, v, a,
                                            package, version ? version : "?", arch ? arch : "?");
                else if (!member) {
                        /* the archive itself is wanted (reinstall-package) */
                        *ret_deb = TAKE_PTR(path);
                        r = 1;
                        break;
                } else if ((fd = sysroot_open_regular(sr, path)) < 0 ||
                         deb_member_copy(fd, member, -1, got, &size, &declared, NULL) < 0)
                        why = strdup_printf("%s has no readable member %s", path, member);
                else if (!streq(got, md5) || size != declared)
                        why = strdup_printf("%s: %s does not match the package's md5sums", path, member);
                else {
                        *ret_deb = TAKE_PTR(path);
                        *ret_size = size;
                        r = 1;
                        break;
                }
                if (why && ret_rejected && !*ret_rejected)
                        *ret_rejected = TAKE_PTR(why);
        }
        strv_free_array(names);
        return r;
}

#define MD5SUMS_MAX (16u << 20)

/* md5sums lines as "path md5", sorted: two files agree when the lists are equal. */
static int md5sums_entry(const char *md5, const char *path, void *userdata)
{
        char *line = strdup_printf("%s %s", path, md5);

        return line ? strv_push(userdata, line) : -ENOMEM;
}

static int md5sums_sorted(const char *buf, size_t len, strv *ret)
{
        int r = md5sums_parse(buf, len, md5sums_entry, ret);

        if (r < 0)
                return r;
        strv_sort(ret);
        return 0;
}

/* The .deb's control member md5sums, read into memory; -ENOENT when it has none. */
static int deb_md5sums_read(const sysroot *sr, const char *debpath, char **ret, size_t *ret_len)
{
        _cleanup_close_ int deb = sysroot_open_regular(sr, debpath), mfd = -EBADF;
        uint64_t size, declared;
        char md5[33];
        int r;

        if (deb < 0)
                return deb;
        mfd = memfd_create("rdna1-doctor-md5sums", MFD_CLOEXEC);
        if (mfd < 0)
                return -errno;
        r = tarball_member_copy(deb, "control.tar", "/md5sums", mfd, md5, &size, &declared, NULL);
        if (r < 0)
                return r;
        if (size > MD5SUMS_MAX)
                return -EFBIG;
        if (lseek(mfd, 0, SEEK_SET) < 0)
                return -errno;
        return read_fd_capped(mfd, MD5SUMS_MAX, ret, ret_len);
}

int deb_md5sums_differ(const sysroot *sr, const char *debpath, const char *installed_md5sums, char **ret_why)
{
        _cleanup_free_ char *deb_buf = NULL, *inst_buf = NULL;
        _cleanup_(strv_clear) strv in_deb = {0}, installed = {0};
        size_t deb_len, inst_len, i;
        int r;

        r = sysroot_read_file(sr, installed_md5sums, MD5SUMS_MAX, &inst_buf, &inst_len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = deb_md5sums_read(sr, debpath, &deb_buf, &deb_len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = md5sums_sorted(deb_buf, deb_len, &in_deb);
        if (r >= 0)
                r = md5sums_sorted(inst_buf, inst_len, &installed);
        if (r < 0)
                return r;
        for (i = 0; i < in_deb.n && i < installed.n; i++)
                if (!streq(in_deb.items[i], installed.items[i]))
                        break;
        if (i == in_deb.n && i == installed.n)
                return 0;
        if (i < in_deb.n && i < installed.n) {
                const char *line = in_deb.items[i], *sp = strrchr(line, ' ');

                *ret_why = strdup_printf("%s: its md5sum of %.*s is not the installed package's", debpath,
                                         (int)(sp - line), line);
        } else
                *ret_why = strdup_printf("%s lists %zu files with md5sums, the installed package %zu", debpath,
                                         in_deb.n, installed.n);
        return *ret_why ? 1 : -ENOMEM;
}
