/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/spawn_cmd.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <json-c/json.h>

#include "base/util.h"

#define POLL_MS 20
#define CAPTURE_MAX_DEFAULT (1024u * 1024)

static bool root_is_host(const char *root)
{
        return !root || streq(root, "/");
}

/* Write errno to the report pipe and die: the parent learns why exec failed. */
_Noreturn static void child_fail(int report_fd, int err)
{
        ssize_t _unused_ n = write(report_fd, &err, sizeof(err));
        _exit(127);
}

/*
 * In the child, between fork and exec: only async-signal-safe calls.
 * envp was built by the parent.
 */
_Noreturn static void child_exec(const spawn_options *o, char *const *envp, pid_t parent, int report_fd)
{
        sigset_t none;
        int null_fd, out_fd;

        (void)setpgid(0, 0);
        /* Die with the doctor; and if it already died, do not run at all. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(127);

        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)signal(sig, SIG_DFL);
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                child_fail(report_fd, errno);
        out_fd = o->output_fd >= 0 ? o->output_fd : null_fd;
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(out_fd, STDERR_FILENO) < 0)
                child_fail(report_fd, errno);
        /* Everything else closes, except the exec report pipe (it is O_CLOEXEC). */
        if ((report_fd > 3 && syscall(SYS_close_range, 3u, (unsigned)report_fd - 1, 0u) < 0) ||
            syscall(SYS_close_range, (unsigned)report_fd + 1, ~0u, 0u) < 0)
                for (int fd = 3; fd < 65536; fd++) /* kernels before 5.9 */
                        if (fd != report_fd)
                                (void)close(fd);

        if (!root_is_host(o->root)) {
                /* Private mount namespace first: nothing mounted later is seen outside. */
                if (unshare(CLONE_NEWNS) < 0)
                        child_fail(report_fd, errno);
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        child_fail(report_fd, errno);
                if (chdir(o->root) < 0 || chroot(".") < 0)
                        child_fail(report_fd, errno);
        }
        if (chdir(o->cwd ? o->cwd : "/") < 0)
                child_fail(report_fd, errno);

        execve(o->argv[0], (char *const *)o->argv, envp);
        child_fail(report_fd, errno);
}

static int build_env(const spawn_options *o, strv *env)
{
        static const char *const base[] = {
                "PATH=" SPAWN_PATH, "LC_ALL=C", "LANG=C", "HOME=/root", "SHELL=/bin/sh",
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(base); i++) {
                r = strv_push_dup(env, base[i]);
                if (r < 0)
                        return r;
        }
        for (const char *const *e = o->extra_env; e && *e; e++) {
                if (!strchr(*e, '=') || startswith(*e, "PATH="))
                        return -EINVAL; /* PATH is fixed on purpose */
                r = strv_push_dup(env, *e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void kill_group(pid_t pgid, int sig)
{
        (void)kill(-pgid, sig);
}

/*
 * Wait for pid with a deadline; escalate SIGTERM -> SIGKILL to the group.
 * Returns the wait status.
 */
static int wait_with_deadline(pid_t pid, const spawn_options *o, bool *ret_timed_out)
{
        uint64_t start = now_ms(), deadline = o->timeout_ms ? start + o->timeout_ms : 0, kill_at = 0;
        uint64_t next_tick = o->on_tick && o->tick_ms ? start + o->tick_ms : 0;
        unsigned grace = o->term_grace_ms ? o->term_grace_ms : SPAWN_TERM_GRACE_MS_DEFAULT;
        int status = 0;

        *ret_timed_out = false;
        for (;;) {
                pid_t w = waitpid(pid, &status, deadline || next_tick ? WNOHANG : 0);

                if (w == pid)
                        return status;
                if (w < 0 && errno != EINTR)
                        return status; /* cannot happen for our own child; do not spin */
                if (!deadline && !next_tick)
                        continue;
                uint64_t t = now_ms();
                if (next_tick && t >= next_tick) {
                        o->on_tick((unsigned)(t - start), o->userdata);
                        next_tick = t + o->tick_ms;
                }
                if (deadline && !*ret_timed_out && t >= deadline) {
                        *ret_timed_out = true;
                        kill_group(pid, SIGTERM);
                        kill_at = t + grace;
                } else if (kill_at && t >= kill_at) {
                        kill_group(pid, SIGKILL);
                        kill_at = 0;
                }
                (void)poll(NULL, 0, POLL_MS);
        }
}

int spawn_run(const spawn_options *o, spawn_result *ret)
{
        _cleanup_(strv_clear) strv env = {0};
        _cleanup_close_ int report_r = -EBADF, report_w = -EBADF;
        spawn_result res = {.exit_status = -1};
        int pipefd[2], status, err = 0, r;
        bool timed_out;
        pid_t parent = getpid(), pid;
        ssize_t n;

        if (!o || !o->argv || !o->argv[0] || o->argv[0][0] != '/')
                return -EINVAL;
        if (!root_is_host(o->root) && o->root[0] != '/')
                return -EINVAL;
        r = build_env(o, &env);
        if (r < 0)
                return r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        report_r = pipefd[0];
        report_w = pipefd[1];

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_exec(o, env.items, parent, report_w);
        (void)setpgid(pid, pid); /* both sides, against the race */
        if (o->on_start)
                o->on_start(pid, o->userdata);
        report_w = -EBADF;
        close(pipefd[1]);

        status = wait_with_deadline(pid, o, &timed_out);
        /* Nothing of the group outlives the command (make's children, a daemon). */
        kill_group(pid, SIGKILL);

        do
                n = read(report_r, &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(err) && err != 0) {
                res.exec_failed = true;
                res.exec_errno = err;
        }
        res.timed_out = timed_out;
        if (WIFEXITED(status))
                res.exit_status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                res.term_signal = WTERMSIG(status);
        *ret = res;
        return 0;
}

int spawn_capture(const spawn_options *o, size_t max, spawn_result *ret, char **ret_output)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        spawn_options copy;
        spawn_result res;
        size_t len = 0;
        ssize_t n;
        int r;

        if (!max)
                max = CAPTURE_MAX_DEFAULT;
        fd = memfd_create("rdna1-doctor-spawn", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        copy = *o;
        copy.output_fd = fd;
        r = spawn_run(&copy, &res);
        if (r < 0)
                return r;

        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        /* the child wrote through the same open file: read it from the start */
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        n = loop_read(fd, buf, max);
        if (n < 0)
                return (int)n;
        len = (size_t)n;
        buf[len] = '\0';
        *ret = res;
        *ret_output = TAKE_PTR(buf);
        return 0;
}

int spawn_result_wait_status(const spawn_result *r)
{
        if (r->term_signal)
                return r->term_signal & 0x7f;
        return (r->exit_status & 0xff) << 8;
}

char *spawn_result_describe(const spawn_result *r)
{
        if (r->exec_failed)
                return strdup_printf("cannot execute: %s", strerror(r->exec_errno));
        if (r->timed_out)
                return strdup_printf("timed out (killed by %s)",
                                     r->term_signal ? sigabbrev_np(r->term_signal) : "SIGTERM");
        if (r->term_signal)
                return strdup_printf("killed by SIG%s", sigabbrev_np(r->term_signal));
        return strdup_printf("exit %d", r->exit_status);
}

static int write_all_fsync(int fd, const char *buf, size_t len)
{
        int r = loop_write(fd, buf, len);

        if (r < 0)
                return r;
        return fsync(fd) < 0 ? -errno : 0;
}

static int record_status(int dirfd, const char *name, const spawn_options *o, const spawn_result *res)
{
        _cleanup_free_ char *fname = strdup_printf("%s.json", name);
        _cleanup_close_ int fd = -EBADF;
        json_object *doc, *argv;
        const char *text;
        int r;

        if (!fname)
                return -ENOMEM;
        doc = json_object_new_object();
        argv = json_object_new_array();
        if (!doc || !argv) {
                json_object_put(doc);
                json_object_put(argv);
                return -ENOMEM;
        }
        for (const char *const *a = o->argv; *a; a++)
                json_object_array_add(argv, json_object_new_string(*a));
        json_object_object_add(doc, "argv", argv);
        json_object_object_add(doc, "root", json_object_new_string(o->root ? o->root : "/"));
        json_object_object_add(doc, "exit_status", json_object_new_int(res->exit_status));
        json_object_object_add(doc, "signal", json_object_new_int(res->term_signal));
        json_object_object_add(doc, "timed_out", json_object_new_boolean(res->timed_out));
        json_object_object_add(doc, "exec_failed", json_object_new_boolean(res->exec_failed));
        text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        fd = openat(dirfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                json_object_put(doc);
                return r;
        }
        r = write_all_fsync(fd, text, strlen(text));
        if (r >= 0)
                r = write_all_fsync(fd, "\n", 1);
        json_object_put(doc);
        return r;
}

int spawn_run_logged(const spawn_options *o, int dirfd, const char *name, spawn_result *ret)
{
        _cleanup_free_ char *fname = NULL;
        _cleanup_close_ int fd = -EBADF;
        spawn_options copy;
        spawn_result res;
        int r;

        if (!name || !*name || strchr(name, '/'))
                return -EINVAL;
        fname = strdup_printf("%s.log", name);
        if (!fname)
                return -ENOMEM;
        fd = openat(dirfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
        if (fd < 0)
                return -errno;
        copy = *o;
        copy.output_fd = fd;
        r = spawn_run(&copy, &res);
        if (r < 0)
                return r;
        if (fsync(fd) < 0)
                return -errno;
        r = record_status(dirfd, name, o, &res);
        if (r < 0)
                return r;
        (void)fsync(dirfd);
        *ret = res;
        return 0;
}
