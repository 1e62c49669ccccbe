/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "watch/watchdog.h"

#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "base/util.h"
#include "root/sysroot.h"

#define LINE_MAX_BYTES (64 * 1024)
#define STDERR_KEEP 4096
#define KERNEL_LINES_MAX 64
#define POLL_MS 50
#define REAP_GIVE_UP_MS 5000

static const char *const outcome_table[_SELFTEST_OUTCOME_MAX] = {
        [SELFTEST_PASS] = "pass",
        [SELFTEST_WRONG_RESULT] = "wrong-result",
        [SELFTEST_CRASH] = "crash",
        [SELFTEST_HANG] = "hang",
        [SELFTEST_GPU_RESET] = "gpu-reset",
        [SELFTEST_NOT_RUN] = "not-run",
};

const char *selftest_outcome_to_string(selftest_outcome o)
{
        return o >= 0 && o < _SELFTEST_OUTCOME_MAX ? outcome_table[o] : NULL;
}

int selftest_outcome_exit_code(selftest_outcome o)
{
        static const int codes[_SELFTEST_OUTCOME_MAX] = {0, 20, 21, 22, 23, 3};

        return o >= 0 && o < _SELFTEST_OUTCOME_MAX ? codes[o] : 3;
}

bool kernel_line_is_gpu_reset(const char *l)
{
        return strstr(l, "GPU reset") || strstr(l, "gpu reset") || strstr(l, "device wedged") ||
               strstr(l, "GPU recovery") || strstr(l, "ring reset");
}

bool kernel_line_is_gpu_fault(const char *l)
{
        return kernel_line_is_gpu_reset(l) || (strstr(l, "ring ") && strstr(l, "timeout")) ||
               strstr(l, "Memory access fault") || strstr(l, "GCVM_L2_PROTECTION_FAULT") ||
               strstr(l, "VM_L2_PROTECTION_FAULT") || strstr(l, "page fault") || strstr(l, "amdgpu: GPU hang");
}

char proc_state(pid_t pid)
{
        char path[64], buf[1024];
        const char *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* comm may contain ')' and spaces: the state follows the last ')'. */
        p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p[2] : 0;
}

/* Field 4 (ppid) and 22 (starttime) of /proc/PID/stat. */
static bool proc_ppid_start(pid_t pid, pid_t *ret_ppid, unsigned long long *ret_start)
{
        char path[64], buf[1024];
        const char *p;
        ssize_t n;
        int fd, ppid;
        unsigned long long start;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &ppid, &start) != 2)
                return false;
        *ret_ppid = ppid;
        *ret_start = start;
        return true;
}

enum { EXEC_STAGE_SETUP = 1, EXEC_STAGE_DROP, EXEC_STAGE_EXEC };

typedef struct line_buf {
        char *buf;
        size_t len;
        bool overflow; /* a line longer than LINE_MAX_BYTES */
} line_buf;

typedef struct run {
        const watchdog_options *o;
        watchdog_result *res;
        pid_t pid;
        unsigned long long start_time;
        line_buf out;
        char errbuf[STDERR_KEEP];
        size_t errlen;
        bool errwrapped;
        bool saw_line, saw_end, end_wrong, saw_error, violation;
        int case_open;          /* index of the case started and not finished, -1 none */
        uint64_t case_started_ms, last_line_ms, begin_ms;
        int kmsg_fd;
        strv klines;
} run;

static void set_reason(run *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(run *w, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        if (w->res->reason)
                return; /* the first reason is the cause */
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        w->res->reason = s;
}

static bool valid_utf8(const char *s, size_t len)
{
        _cleanup_free_ char *e = escape_untrusted(s, len, 0);

        /* escape_untrusted leaves valid printable UTF-8 as it is */
        return e && strlen(e) == len && memcmp(e, s, len) == 0;
}

static int handle_line(run *w, char *line, size_t len)
{
        static const char *const events[] = {"start", "case-start", "heartbeat", "case", "end", "error"};
        struct json_tokener *tok;
        json_object *o, *v;
        const char *ev;
        bool known = false;
        int r = 0;

        w->last_line_ms = now_ms();
        w->saw_line = true;
        if (len > 0 && line[len - 1] == '\r')
                line[--len] = '\0';
        if (len == 0)
                return 0;
        if (!valid_utf8(line, len)) {
                set_reason(w, "the helper wrote a line that is not valid UTF-8 text");
                return -EBADMSG;
        }
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, line, (int)len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "event", &v) || !json_object_is_type(v, json_type_string)) {
                json_tokener_free(tok);
                json_object_put(o);
                set_reason(w, "the helper wrote a line that is not a protocol object");
                return -EBADMSG;
        }
        json_tokener_free(tok);
        ev = json_object_get_string(v);
        for (size_t i = 0; i < ELEMENTSOF(events); i++)
                known |= streq(ev, events[i]);
        if (!known) {
                json_object_put(o);
                set_reason(w, "the helper sent an unknown event");
                return -EBADMSG;
        }
        if (streq(ev, "case-start")) {
                w->case_open = json_object_object_get_ex(o, "index", &v) ? json_object_get_int(v) : 0;
                w->case_started_ms = now_ms();
                w->res->last_case_started = w->case_open;
        } else if (streq(ev, "case")) {
                bool pass = json_object_object_get_ex(o, "result", &v) &&
                            streq_ptr(json_object_get_string(v), "pass");
                if (pass)
                        w->res->cases_passed++;
                else
                        w->res->cases_failed++;
                w->case_open = -1;
        } else if (streq(ev, "end")) {
                w->saw_end = true;
                w->end_wrong = !(json_object_object_get_ex(o, "result", &v) &&
                                 streq_ptr(json_object_get_string(v), "pass"));
        } else if (streq(ev, "error")) {
                w->saw_error = true;
                if (json_object_object_get_ex(o, "message", &v) && json_object_is_type(v, json_type_string)) {
                        const char *m = json_object_get_string(v);
                        _cleanup_free_ char *e = escape_untrusted(m, strlen(m), 512);
                        if (e)
                                set_reason(w, "%s", e);
                }
        }
        if (w->o->on_event)
                r = w->o->on_event(o, w->o->userdata);
        json_object_put(o);
        return r < 0 ? r : 0;
}

/* Consume what the helper's stdout has; complete lines go to handle_line. */
static int read_stdout(run *w, int fd, bool *ret_eof)
{
        char chunk[8192];

        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0) {
                        *ret_eof = true;
                        if (w->out.len > 0 || w->out.overflow) {
                                set_reason(w, "the helper's output ended in the middle of a line");
                                return -EBADMSG;
                        }
                        return 0;
                }
                for (ssize_t i = 0; i < n; i++) {
                        int r;

                        if (chunk[i] != '\n') {
                                if (w->out.len >= LINE_MAX_BYTES) {
                                        w->out.overflow = true;
                                        continue;
                                }
                                if (!w->out.buf) {
                                        w->out.buf = malloc(LINE_MAX_BYTES + 1);
                                        if (!w->out.buf)
                                                return -ENOMEM;
                                }
                                w->out.buf[w->out.len++] = chunk[i];
                                continue;
                        }
                        if (w->out.overflow) {
                                set_reason(w, "the helper wrote a line longer than %d KiB", LINE_MAX_BYTES / 1024);
                                return -EBADMSG;
                        }
                        if (w->out.buf)
                                w->out.buf[w->out.len] = '\0';
                        r = w->out.buf ? handle_line(w, w->out.buf, w->out.len) : 0;
                        w->out.len = 0;
                        if (r < 0)
                                return r;
                }
        }
}

static void read_stderr(run *w, int fd)
{
        char chunk[4096];
        ssize_t n;

        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                for (ssize_t i = 0; i < n; i++) {
                        w->errbuf[w->errlen++] = chunk[i];
                        if (w->errlen == STDERR_KEEP) {
                                w->errlen = 0;
                                w->errwrapped = true;
                        }
                }
}

static void read_kmsg(run *w)
{
        char rec[8192];

        if (w->kmsg_fd < 0)
                return;
        for (;;) {
                ssize_t n = read(w->kmsg_fd, rec, sizeof(rec) - 1);
                char *msg, *save = NULL, *line;

                if (n < 0) {
                        if (errno == EPIPE)
                                continue; /* records were overwritten: go on with the next */
                        return;
                }
                if (n == 0)
                        return;
                rec[n] = '\0';
                /* /dev/kmsg: "prio,seq,ts,flags;message\n"; a plain file may hold several lines. */
                for (line = strtok_r(rec, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        _cleanup_free_ char *e = NULL;

                        msg = strchr(line, ';');
                        msg = msg ? msg + 1 : line;
                        if (line[0] == ' ' || !kernel_line_is_gpu_fault(msg) || w->klines.n >= KERNEL_LINES_MAX)
                                continue;
                        e = escape_untrusted(msg, strlen(msg), 400);
                        if (e)
                                (void)strv_push(&w->klines, TAKE_PTR(e));
                }
        }
}

/* Real, effective and saved uid and gid, and the supplementary groups, exactly o's. */
#define NGROUPS_MAX_CHECK 65536

static bool ids_are(const watchdog_options *o)
{
        gid_t groups[NGROUPS_MAX_CHECK];
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        int n;

        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return false;
        if (ru != o->uid || eu != o->uid || su != o->uid || rg != o->gid || eg != o->gid || sg != o->gid)
                return false;
        n = getgroups(NGROUPS_MAX_CHECK, groups);
        if (n < 0 || (size_t)n != o->n_groups)
                return false;
        for (int i = 0; i < n; i++) {
                bool found = false;

                for (size_t j = 0; j < o->n_groups && !found; j++)
                        found = groups[i] == o->groups[j];
                if (!found)
                        return false;
        }
        return true;
}

/* The child could not become the helper: tell the parent why (exec_w is close-on-exec) and exit. */
static _Noreturn void child_fail(int exec_w, int stage, int error, int status)
{
        int msg[2] = {stage, error};

        (void)!write(exec_w, msg, sizeof(msg));
        _exit(status);
}

static _Noreturn void child_exec(const watchdog_options *o, int out_w, int err_w, int exec_w)
{
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        (void)setpgid(0, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
            dup2(err_w, STDERR_FILENO) < 0)
                child_fail(exec_w, EXEC_STAGE_SETUP, errno, 127);
        if (o->drop_privileges) {
                if (setgroups(o->n_groups, o->groups) < 0 || setresgid(o->gid, o->gid, o->gid) < 0 ||
                    setresuid(o->uid, o->uid, o->uid) < 0)
                        child_fail(exec_w, EXEC_STAGE_DROP, errno, 126);
                /* Make sure it stuck: every id is the user's, no way back to root. */
                if (!ids_are(o) || (o->uid != 0 && setuid(0) == 0))
                        child_fail(exec_w, EXEC_STAGE_DROP, EPERM, 126);
        }
        signal(SIGPIPE, SIG_DFL);
        execve(o->argv[0], o->argv, o->envp);
        child_fail(exec_w, EXEC_STAGE_EXEC, errno, errno == ENOENT ? 127 : 126);
}

/* Wait for the child's exec: 0 when it became the helper, else fills the result as "not run". */
static int wait_exec(run *w, int exec_r)
{
        int msg[2];
        ssize_t n;

        do
                n = read(exec_r, msg, sizeof(msg));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(msg))
                return 0; /* closed by the exec: the helper runs */
        w->res->exec_errno = msg[1] > 0 ? msg[1] : EIO;
        w->res->outcome = SELFTEST_NOT_RUN;
        switch (msg[0]) {
        case EXEC_STAGE_DROP:
                set_reason(w, "cannot switch to uid %u for the helper: %s", (unsigned)w->o->uid,
                           strerror(w->res->exec_errno));
                break;
        case EXEC_STAGE_EXEC:
                set_reason(w, "cannot run the helper %s: %s", w->o->argv[0], strerror(w->res->exec_errno));
                break;
        default:
                set_reason(w, "cannot set up the helper's process: %s", strerror(w->res->exec_errno));
        }
        return -1;
}

/* The helper's stderr for a person: every line escaped on its own, the newlines kept. */
static char *escape_lines(const char *s, size_t len)
{
        char *out = malloc(len * 4 + 4), *o = out;

        if (!out)
                return NULL;
        while (len > 0) {
                const char *nl = memchr(s, '\n', len);
                size_t n = nl ? (size_t)(nl - s) : len;
                _cleanup_free_ char *e = escape_untrusted(s, n, 0);

                if (!e) {
                        free(out);
                        return NULL;
                }
                o = stpcpy(o, e);
                if (nl && n + 1 < len)
                        *o++ = '\n';
                s += n + !!nl;
                len -= n + !!nl;
        }
        *o = '\0';
        return out;
}

/* Kill the helper's process group and every descendant reparented to us after it started. */
static int kill_survivors(run *w, bool count)
{
        int killed = 0;
        DIR *d;
        struct dirent *de;

        if (kill(-w->pid, SIGKILL) == 0 && count)
                killed++;
        d = opendir("/proc");
        if (!d)
                return killed;
        while ((de = readdir(d))) {
                pid_t pid = (pid_t)atoi(de->d_name), ppid;
                unsigned long long start;

                if (pid <= 0 || pid == w->pid)
                        continue;
                if (!proc_ppid_start(pid, &ppid, &start) || ppid != getpid() || start < w->start_time)
                        continue;
                if (kill(pid, SIGKILL) == 0 && count)
                        killed++;
        }
        closedir(d);
        return killed;
}

static void reap_survivors(run *w)
{
        uint64_t until = now_ms() + REAP_GIVE_UP_MS;

        /* Reparented processes are our children now: reap them, bounded. */
        do {
                int k = kill_survivors(w, false);
                pid_t p;

                while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
                        ;
                if (k == 0 && p <= 0) {
                        /* nothing left that we can see */
                        DIR *d = opendir("/proc");
                        bool any = false;
                        struct dirent *de;

                        while (d && (de = readdir(d))) {
                                pid_t pid = (pid_t)atoi(de->d_name), ppid;
                                unsigned long long start;

                                if (pid > 0 && pid != w->pid && proc_ppid_start(pid, &ppid, &start) &&
                                    ppid == getpid() && start >= w->start_time)
                                        any = true;
                        }
                        if (d)
                                closedir(d);
                        if (!any)
                                return;
                }
                usleep(20000);
        } while (now_ms() < until);
}

/* SIGTERM to the group, SIGKILL after the grace time. */
static void stop_group(run *w)
{
        uint64_t until;

        w->res->killed_by_watchdog = true;
        if (proc_state(w->pid) == 'D')
                w->res->d_state_seen = true;
        kill(-w->pid, SIGTERM);
        until = now_ms() + w->o->term_grace_ms;
        while (now_ms() < until) {
                if (waitpid(w->pid, NULL, WNOHANG) == w->pid) {
                        w->pid = -w->pid; /* reaped; keep the group id for the sweep */
                        return;
                }
                usleep(20000);
        }
        kill(-w->pid, SIGKILL);
}

static void terminate(run *w, const char *why, unsigned long long limit_ms)
{
        set_reason(w, "%s exceeded %llu ms", why, limit_ms);
        stop_group(w);
}

int watchdog_run(const watchdog_options *o, watchdog_result *ret)
{
        int out[2] = {-1, -1}, err[2] = {-1, -1}, ex[2] = {-1, -1};
        watchdog_result res = {.exit_status = -1, .last_case_started = -1};
        run w = {.o = o, .res = &res, .case_open = -1, .kmsg_fd = -1};
        bool out_eof = false, err_eof = false, exited = false, gave_up = false;
        pid_t ppid_unused;
        int status = 0, r = 0;

        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
                r = -errno;
                goto close_pipes;
        }
        if (o->kmsg_path) {
                w.kmsg_fd = open(o->kmsg_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (w.kmsg_fd >= 0) {
                        res.kernel_log_readable = true;
                        (void)lseek(w.kmsg_fd, 0, SEEK_END);
                }
        }
        w.begin_ms = w.last_line_ms = now_ms();
        w.pid = fork();
        if (w.pid < 0) {
                r = -errno;
                goto close_pipes;
        }
        if (w.pid == 0)
                child_exec(o, out[1], err[1], ex[1]);
        (void)setpgid(w.pid, w.pid); /* both sides, against the race */
        close(ex[1]);
        ex[1] = -1;
        if (wait_exec(&w, ex[0]) < 0) {
                /* Never became the helper: reap it, report "not run" with the path. */
                while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR)
                        ;
                res.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                *ret = res;
                res = (watchdog_result){0};
                goto close_pipes;
        }
        (void)proc_ppid_start(w.pid, &ppid_unused, &w.start_time);
        close(out[1]);
        close(err[1]);
        out[1] = err[1] = -1;
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(err[0], F_SETFL, O_NONBLOCK);

        while (!exited) {
                struct pollfd pfd[2] = {{.fd = out_eof ? -1 : out[0], .events = POLLIN},
                                        {.fd = err_eof ? -1 : err[0], .events = POLLIN}};
                uint64_t t;
                pid_t p;

                (void)poll(pfd, 2, POLL_MS);
                if (!out_eof && (pfd[0].revents & (POLLIN | POLLHUP))) {
                        int k = read_stdout(&w, out[0], &out_eof);
                        if (k == -ENOMEM) {
                                r = k;
                                break;
                        }
                        if (k < 0) {
                                w.violation = true;
                                w.last_line_ms = now_ms(); /* the give-up clock starts at the kill */
                                kill(-w.pid, SIGKILL);
                        }
                }
                if (!err_eof && (pfd[1].revents & (POLLIN | POLLHUP))) {
                        read_stderr(&w, err[0]);
                        if (pfd[1].revents & POLLHUP && !(pfd[1].revents & POLLIN))
                                err_eof = true;
                }
                read_kmsg(&w);

                p = waitpid(w.pid, &status, WNOHANG);
                if (p == w.pid) {
                        exited = true;
                        break;
                }
                if (proc_state(w.pid) == 'D')
                        res.d_state_seen = true;
                if (res.killed_by_watchdog || w.violation) {
                        /* Killed: give it a bounded time to go (D state may keep it). */
                        if (!gave_up && now_ms() - w.last_line_ms > REAP_GIVE_UP_MS + o->term_grace_ms) {
                                gave_up = true;
                                break;
                        }
                        continue;
                }
                t = now_ms();
                if (o->cancel && *o->cancel) {
                        res.cancelled = true;
                        set_reason(&w, "cancelled by the user");
                        stop_group(&w);
                } else if (w.case_open >= 0 && o->case_deadline_ms && t - w.case_started_ms > o->case_deadline_ms) {
                        char what[64];
                        snprintf(what, sizeof(what), "case %d", w.case_open + 1);
                        terminate(&w, what, o->case_deadline_ms);
                } else if (o->no_progress_ms && t - w.last_line_ms > o->no_progress_ms)
                        terminate(&w, "silence (no output)", o->no_progress_ms);
                else if (o->total_deadline_ms && t - w.begin_ms > o->total_deadline_ms)
                        terminate(&w, "the whole run", o->total_deadline_ms);
                if (w.pid < 0) { /* reaped inside terminate() */
                        w.pid = -w.pid;
                        exited = true;
                        status = -1;
                        break;
                }
                if (res.killed_by_watchdog)
                        w.last_line_ms = now_ms(); /* the give-up clock starts at the kill */
        }

        /* Drain what is left to read, without waiting for writers that may survive. */
        if (!out_eof && !w.violation) {
                int k = read_stdout(&w, out[0], &out_eof);
                if (k < 0 && k != -ENOMEM)
                        w.violation = true;
        }
        read_stderr(&w, err[0]);
        read_kmsg(&w);

        if (exited && status != -1) {
                if (WIFEXITED(status))
                        res.exit_status = WEXITSTATUS(status);
                else if (WIFSIGNALED(status))
                        res.term_signal = WTERMSIG(status);
        }
        res.survivors_killed = kill_survivors(&w, true);
        if (!gave_up)
                reap_survivors(&w);

        /* Classify: kernel trouble, then the watchdog, then the helper's own word. */
        if (res.n_kernel_lines || w.klines.n) {
                bool reset = false;
                for (size_t i = 0; i < w.klines.n; i++)
                        reset |= kernel_line_is_gpu_reset(w.klines.items[i]);
                res.outcome = reset || res.killed_by_watchdog ? SELFTEST_GPU_RESET : SELFTEST_CRASH;
                set_reason(&w, "the kernel reported GPU trouble during the run");
        } else if (res.cancelled) {
                res.outcome = SELFTEST_NOT_RUN;
                if (gave_up)
                        set_reason(&w, "cancelled, but stuck in uninterruptible sleep (D); a reboot is needed");
        } else if (res.killed_by_watchdog) {
                res.outcome = SELFTEST_HANG;
                if (gave_up)
                        set_reason(&w, "stuck in uninterruptible sleep (D); a reboot is needed");
        } else if (w.violation) {
                res.outcome = SELFTEST_CRASH;
        } else if (res.term_signal) {
                res.outcome = SELFTEST_CRASH;
                set_reason(&w, "the helper was killed by signal %d (%s)", res.term_signal, strsignal(res.term_signal));
        } else if (w.saw_error && res.exit_status == 3) {
                res.outcome = SELFTEST_NOT_RUN;
                set_reason(&w, "the helper could not run");
        } else if (!w.saw_line && (res.exit_status == 126 || res.exit_status == 127)) {
                /* the dynamic loader's or an interpreter's "cannot execute": it never started */
                res.outcome = SELFTEST_NOT_RUN;
                set_reason(&w, "the helper %s could not start (status %d)", o->argv[0], res.exit_status);
        } else if (!w.saw_end || (res.exit_status != 0 && res.exit_status != 20)) {
                res.outcome = SELFTEST_CRASH;
                set_reason(&w, w.saw_end ? "the helper exited with status %d" : "the helper exited (status %d) without finishing",
                           res.exit_status);
        } else if (w.end_wrong || res.exit_status == 20 || res.cases_failed) {
                res.outcome = SELFTEST_WRONG_RESULT;
                set_reason(&w, "%u case(s) gave wrong results", res.cases_failed);
        } else
                res.outcome = SELFTEST_PASS;

        if (w.klines.n) {
                res.kernel_lines = w.klines.items;
                res.n_kernel_lines = w.klines.n;
                w.klines = (strv){0};
        }
        {
                char tail[STDERR_KEEP + 1];
                size_t n = 0;

                if (w.errwrapped) {
                        memcpy(tail, w.errbuf + w.errlen, STDERR_KEEP - w.errlen);
                        n = STDERR_KEEP - w.errlen;
                }
                memcpy(tail + n, w.errbuf, w.errlen);
                n += w.errlen;
                res.stderr_tail = escape_lines(tail, n);
        }
        *ret = res;
        res = (watchdog_result){0};
close_pipes:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
                if (ex[i] >= 0)
                        close(ex[i]);
        }
        if (w.kmsg_fd >= 0)
                close(w.kmsg_fd);
        free(w.out.buf);
        strv_clear(&w.klines);
        watchdog_result_clear(&res);
        return r;
}

void watchdog_result_clear(watchdog_result *r)
{
        strv_free_array(r->kernel_lines);
        free(r->reason);
        free(r->stderr_tail);
        *r = (watchdog_result){.exit_status = -1, .last_case_started = -1};
}
