/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The watchdog against misbehaving fake helpers (tests/fake-helpers/): each
 * run is classified as expected and leaves no process behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/util.h"
#include "watch/watchdog.h"

extern char **environ;
static char fakes[4096];
static char kmsg[] = "/tmp/rdna1-kmsg-XXXXXX";
static volatile bool cancel_now; /* the runs' cancel flag (test_cancel sets it) */

/*
 * The fakes run with a marker in their environment that no other process on
 * the machine has (other tests may run fakes beside this one): whatever
 * still carries it after a run is a survivor of this test.
 */
static char mark[64];

/* The current environment (setenv() included) plus the marker. */
static char **marked_env(void)
{
        size_t n = 0;
        char **e;

        while (environ[n])
                n++;
        e = calloc(n + 2, sizeof(char *));
        assert_non_null(e);
        memcpy(e, environ, n * sizeof(char *));
        e[n] = mark;
        return e;
}

static int count_marked(void)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        size_t mlen = strlen(mark);
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                static char buf[65536];
                char path[300];
                ssize_t len;
                int fd;

                if (atoi(de->d_name) <= 0 || atoi(de->d_name) == getpid())
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/environ", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                len = read(fd, buf, sizeof(buf));
                close(fd);
                for (ssize_t i = 0; len > 0 && i + (ssize_t)mlen <= len; i++)
                        if ((i == 0 || buf[i - 1] == '\0') && memcmp(buf + i, mark, mlen) == 0 &&
                            (i + (ssize_t)mlen == len || buf[i + mlen] == '\0')) {
                                n++;
                                break;
                        }
        }
        closedir(d);
        return n;
}

static watchdog_result run_fake(const char *name, unsigned case_ms, unsigned silence_ms)
{
        char path[4200];
        char *argv[] = {path, NULL};
        char **env = marked_env();
        watchdog_options o = {
                .argv = argv,
                .envp = env,
                .case_deadline_ms = case_ms,
                .no_progress_ms = silence_ms,
                .term_grace_ms = 300,
                .kmsg_path = kmsg,
                .cancel = &cancel_now,
        };
        watchdog_result r;

        if (name[0] == '/')
                snprintf(path, sizeof(path), "%s", name);
        else
                snprintf(path, sizeof(path), "%s/%s", fakes, name);
        assert_int_equal(watchdog_run(&o, &r), 0);
        free(env);
        /* Nothing of it may survive. */
        assert_int_equal(count_marked(), 0);
        return r;
}

static void expect(const char *name, selftest_outcome want, unsigned case_ms, unsigned silence_ms)
{
        watchdog_result r = run_fake(name, case_ms, silence_ms);

        if (r.outcome != want)
                print_error("%s: outcome %s (%s), want %s\n", name, selftest_outcome_to_string(r.outcome),
                            r.reason ? r.reason : "-", selftest_outcome_to_string(want));
        assert_int_equal(r.outcome, want);
        assert_true(want == SELFTEST_PASS || r.reason != NULL);
        watchdog_result_clear(&r);
}

static void test_pass_and_wrong(void **state)
{
        watchdog_result r = run_fake("good", 2000, 2000);

        assert_int_equal(r.outcome, SELFTEST_PASS);
        assert_int_equal(r.cases_passed, 1);
        assert_int_equal(r.exit_status, 0);
        assert_true(r.kernel_log_readable);
        watchdog_result_clear(&r);
        expect("wrong", SELFTEST_WRONG_RESULT, 2000, 2000);
        expect("error", SELFTEST_NOT_RUN, 2000, 2000);
}

static void test_crashes(void **state)
{
        watchdog_result r = run_fake("segv", 2000, 2000);

        assert_int_equal(r.outcome, SELFTEST_CRASH);
        assert_int_equal(r.term_signal, SIGSEGV);
        watchdog_result_clear(&r);
        expect("noend", SELFTEST_CRASH, 2000, 2000);
        expect("bigline", SELFTEST_CRASH, 5000, 5000);
        expect("badutf8", SELFTEST_CRASH, 2000, 2000);
        expect("halfjson", SELFTEST_CRASH, 2000, 2000);
        expect("unknown", SELFTEST_CRASH, 2000, 2000);
}

/* A helper that never started is "not run" (exit 3) naming its path, never a crash. */
static void test_not_started(void **state)
{
        watchdog_result r = run_fake("/nonexistent/rdna1-selftest", 2000, 2000);

        assert_int_equal(r.outcome, SELFTEST_NOT_RUN);
        assert_int_equal(r.exec_errno, ENOENT);
        assert_non_null(r.reason);
        assert_non_null(strstr(r.reason, "/nonexistent/rdna1-selftest"));
        watchdog_result_clear(&r);
        r = run_fake("/etc/passwd", 2000, 2000); /* not executable */
        assert_int_equal(r.outcome, SELFTEST_NOT_RUN);
        assert_true(r.exec_errno == EACCES || r.exec_errno == ENOEXEC);
        watchdog_result_clear(&r);
}

static void test_hangs(void **state)
{
        watchdog_result r = run_fake("hang", 300, 5000);

        assert_int_equal(r.outcome, SELFTEST_HANG);
        assert_true(r.killed_by_watchdog);
        assert_int_equal(r.last_case_started, 0);
        assert_non_null(strstr(r.reason, "case 1"));
        watchdog_result_clear(&r);
        expect("ignore-term", SELFTEST_HANG, 300, 5000);
        /* no heartbeats, no case open: the no-progress timeout */
        r = run_fake("silent", 5000, 300);
        assert_int_equal(r.outcome, SELFTEST_HANG);
        assert_non_null(strstr(r.reason, "silence"));
        watchdog_result_clear(&r);
}

/* A cancelled run: the group stopped (SIGKILL for one that ignores SIGTERM), "not-run", nothing left. */
static void test_cancel(void **state)
{
        const char *helpers[] = {"hang", "ignore-term"};

        cancel_now = true;
        for (size_t i = 0; i < 2; i++) {
                watchdog_result r = run_fake(helpers[i], 60000, 60000);

                assert_int_equal(r.outcome, SELFTEST_NOT_RUN);
                assert_int_equal(selftest_outcome_exit_code(r.outcome), 3);
                assert_true(r.cancelled);
                assert_non_null(strstr(r.reason, "cancelled"));
                watchdog_result_clear(&r);
        }
        cancel_now = false;
}

static void test_setsid_grandchild_killed(void **state)
{
        watchdog_result r = run_fake("setsid", 2000, 2000);

        assert_int_equal(r.outcome, SELFTEST_PASS);
        assert_true(r.survivors_killed >= 1);
        watchdog_result_clear(&r);
}

static void test_d_state(void **state)
{
        const char *builddir = getenv("RDNA1_TEST_BUILDDIR");
        char path[4096];
        watchdog_result r;

        snprintf(path, sizeof(path), "%s/tests/unit/vfork_stop", builddir ? builddir : ".");
        r = run_fake(path, 400, 5000);
        assert_int_equal(r.outcome, SELFTEST_HANG);
        assert_true(r.d_state_seen);
        watchdog_result_clear(&r);
}

static void test_gpu_reset(void **state)
{
        watchdog_result r;

        setenv("FAKE_KMSG", kmsg, 1);
        r = run_fake("gpureset", 500, 5000);
        assert_int_equal(r.outcome, SELFTEST_GPU_RESET);
        assert_int_equal(r.n_kernel_lines, 1);
        assert_non_null(strstr(r.kernel_lines[0], "GPU reset"));
        watchdog_result_clear(&r);
        /* old lines before the start do not count */
        r = run_fake("good", 2000, 2000);
        assert_int_equal(r.outcome, SELFTEST_PASS);
        watchdog_result_clear(&r);
}

static void test_privilege_drop(void **state)
{
        char path[4200];
        char *argv[] = {path, NULL};
        gid_t groups[] = {65534};
        watchdog_options o = {
                .argv = argv, .envp = environ, .drop_privileges = true,
                .uid = 65534, .gid = 65534, .groups = groups, .n_groups = 1,
                .case_deadline_ms = 2000, .no_progress_ms = 2000, .term_grace_ms = 300,
        };
        watchdog_result r;
        char *name = NULL;

        if (geteuid() != 0) {
                print_message("skipped: the privilege drop needs root\n");
                if (getenv("CI") && streq(getenv("CI"), "true"))
                        fail_msg("CI=true: the privilege-drop test must run as root");
                skip();
        }
        snprintf(path, sizeof(path), "%s/whoami", fakes);
        assert_int_equal(watchdog_run(&o, &r), 0);
        (void)name;
        assert_int_equal(r.outcome, SELFTEST_PASS);
        watchdog_result_clear(&r);
}

static void test_kernel_lines(void **state)
{
        assert_true(kernel_line_is_gpu_fault("amdgpu 0000:03:00.0: [drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring gfx_0.0.0 timeout"));
        assert_true(kernel_line_is_gpu_reset("amdgpu 0000:03:00.0: amdgpu: GPU reset begin!"));
        assert_true(kernel_line_is_gpu_fault("amdgpu: Memory access fault by GPU node-1"));
        assert_false(kernel_line_is_gpu_fault("usb 1-1: new high-speed USB device"));
        assert_int_equal(proc_state(getpid()), 'R');
        assert_int_equal(proc_state(999999999), 0);
}

static int setup(void **state)
{
        const char *src = getenv("RDNA1_TEST_SRCDIR");
        int fd;

        snprintf(fakes, sizeof(fakes), "%s/tests/fake-helpers", src ? src : ".");
        snprintf(mark, sizeof(mark), "RDNA1_WATCHDOG_TEST_MARK=%d", (int)getpid());
        fd = mkstemp(kmsg);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "6,1,1,-;amdgpu: GPU reset begin! (an old line)\n", 47), 47);
        close(fd);
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

static int teardown(void **state)
{
        unlink(kmsg);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_lines),
                cmocka_unit_test(test_pass_and_wrong),
                cmocka_unit_test(test_crashes),
                cmocka_unit_test(test_not_started),
                cmocka_unit_test(test_hangs),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_setsid_grandchild_killed),
                cmocka_unit_test(test_d_state),
                cmocka_unit_test(test_gpu_reset),
                cmocka_unit_test(test_privilege_drop),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
