/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The spawn module against real commands: exit status, exec failure, a
 * clean environment, stdin from /dev/null, no inherited fds, its own
 * process group, the SIGTERM -> SIGKILL timeout with nothing left behind,
 * the journal record, and the chroot in a private mount namespace.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/spawn_cmd.h"
#include "base/util.h"

#include "fixture.h"

static int run_capture(const char *const *argv, unsigned timeout_ms, spawn_result *res, char **out)
{
        spawn_options o = {.argv = argv, .timeout_ms = timeout_ms, .term_grace_ms = 300};

        return spawn_capture(&o, 0, res, out);
}

static void test_exit_status(void **state)
{
        const char *t[] = {"/bin/true", NULL}, *f[] = {"/bin/false", NULL};
        spawn_options o = {.argv = t};
        spawn_result res;

        assert_int_equal(spawn_run(&o, &res), 0);
        assert_true(spawn_result_ok(&res));
        o.argv = f;
        assert_int_equal(spawn_run(&o, &res), 0);
        assert_int_equal(res.exit_status, 1);
        assert_false(spawn_result_ok(&res));
        assert_false(res.exec_failed);
}

static void test_exec_failure(void **state)
{
        const char *missing[] = {"/nonexistent/dkms", NULL}, *relative[] = {"dkms", NULL};
        spawn_options o = {.argv = missing};
        spawn_result res;
        _cleanup_free_ char *why = NULL;

        assert_int_equal(spawn_run(&o, &res), 0);
        assert_true(res.exec_failed);
        assert_int_equal(res.exec_errno, ENOENT);
        assert_int_equal(res.exit_status, 127);
        why = spawn_result_describe(&res);
        assert_non_null(strstr(why, "cannot execute"));

        /* No PATH search: a bare name is refused before anything runs. */
        o.argv = relative;
        assert_int_equal(spawn_run(&o, &res), -EINVAL);
}

static void test_clean_environment(void **state)
{
        const char *argv[] = {"/usr/bin/env", NULL};
        const char *extra[] = {"DKMS_EXTRA=1", NULL}, *bad[] = {"PATH=/tmp", NULL};
        spawn_options o = {.argv = argv, .extra_env = extra};
        _cleanup_free_ char *out = NULL;
        spawn_result res;

        setenv("RDNA1_SECRET_FROM_PARENT", "leak", 1);
        setenv("LD_PRELOAD", "/nonexistent.so", 1);
        assert_int_equal(spawn_capture(&o, 0, &res, &out), 0);
        unsetenv("LD_PRELOAD");
        assert_true(spawn_result_ok(&res));
        assert_non_null(strstr(out, "PATH=" SPAWN_PATH "\n"));
        assert_non_null(strstr(out, "DKMS_EXTRA=1\n"));
        assert_null(strstr(out, "RDNA1_SECRET_FROM_PARENT"));
        assert_null(strstr(out, "LD_PRELOAD"));

        /* PATH is not the caller's to change. */
        o.extra_env = bad;
        assert_int_equal(spawn_run(&o, &res), -EINVAL);
}

static void test_stdin_and_fds(void **state)
{
        const char *cat[] = {"/bin/cat", NULL}, *ls[] = {"/bin/ls", "/proc/self/fd", NULL};
        _cleanup_free_ char *out = NULL, *fds = NULL;
        spawn_result res;
        int leak;

        /* cat on /dev/null ends at once with nothing. */
        assert_int_equal(run_capture(cat, 5000, &res, &out), 0);
        assert_true(spawn_result_ok(&res));
        assert_string_equal(out, "");

        leak = dup2(STDERR_FILENO, 57); /* not O_CLOEXEC on purpose */
        assert_int_equal(leak, 57);
        assert_int_equal(run_capture(ls, 5000, &res, &fds), 0);
        close(leak);
        assert_true(spawn_result_ok(&res));
        /* 0 1 2, and the directory ls itself opened (3). */
        assert_string_equal(fds, "0\n1\n2\n3\n");
}

static void test_process_group(void **state)
{
        const char *argv[] = {"/bin/sh", "-c", "read pid comm st ppid pgrp rest </proc/$$/stat; echo \"$pid $pgrp\"", NULL};
        _cleanup_free_ char *out = NULL;
        spawn_result res;
        int pid = 0, pgrp = -1;

        assert_int_equal(run_capture(argv, 5000, &res, &out), 0);
        assert_true(spawn_result_ok(&res));
        assert_int_equal(sscanf(out, "%d %d", &pid, &pgrp), 2);
        assert_int_equal(pid, pgrp);
        assert_int_not_equal(pgrp, getpgrp());
}

/* Processes whose command line carries the marker. */
static int count_marked(const char *marker)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[300], buf[4096];
                ssize_t len;
                int fd;

                if (atoi(de->d_name) <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                len = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (len <= 0)
                        continue;
                for (ssize_t i = 0; i < len; i++)
                        if (buf[i] == '\0')
                                buf[i] = ' ';
                buf[len] = '\0';
                if (strstr(buf, marker) && !strstr(buf, "/bin/sh"))
                        n++;
        }
        closedir(d);
        return n;
}

static void test_timeout_term(void **state)
{
        const char *argv[] = {"/bin/sleep", "4241", NULL};
        _cleanup_free_ char *out = NULL, *why = NULL;
        spawn_result res;

        assert_int_equal(run_capture(argv, 200, &res, &out), 0);
        assert_true(res.timed_out);
        assert_int_equal(res.term_signal, SIGTERM);
        assert_false(spawn_result_ok(&res));
        why = spawn_result_describe(&res);
        assert_non_null(strstr(why, "timed out"));
        assert_int_equal(count_marked("sleep 4241"), 0);
}

typedef struct ticks {
        unsigned n;
        unsigned last_ms;
        bool increasing;
} ticks;

static void on_tick(unsigned elapsed_ms, void *userdata)
{
        ticks *t = userdata;

        t->increasing = t->increasing && elapsed_ms > t->last_ms;
        t->last_ms = elapsed_ms;
        t->n++;
}

/* Progress on long work: ticks while the command runs (with no deadline too), none without tick_ms. */
static void test_ticks(void **state)
{
        const char *argv[] = {"/bin/sleep", "0.3", NULL};
        ticks t = {.increasing = true};
        spawn_options o = {.argv = argv, .on_tick = on_tick, .tick_ms = 50, .userdata = &t};
        spawn_result res;

        assert_int_equal(spawn_run(&o, &res), 0);
        assert_true(spawn_result_ok(&res));
        assert_true(t.n >= 1); /* the command runs 300 ms, a tick is due every 50 */
        assert_true(t.increasing);
        t = (ticks){.increasing = true};
        o.tick_ms = 0;
        assert_int_equal(spawn_run(&o, &res), 0);
        assert_int_equal(t.n, 0);
        (void)state;
}

static void test_timeout_kill_group(void **state)
{
        /* Ignores SIGTERM and leaves a grandchild in its group. */
        const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; /bin/sleep 4242 & /bin/sleep 4242; wait", NULL};
        _cleanup_free_ char *out = NULL;
        spawn_result res;

        assert_int_equal(run_capture(argv, 200, &res, &out), 0);
        assert_true(res.timed_out);
        assert_int_equal(res.term_signal, SIGKILL);
        for (int i = 0; i < 100 && count_marked("sleep 4242") > 0; i++)
                usleep(10000); /* the group got SIGKILL; let the kernel reap */
        assert_int_equal(count_marked("sleep 4242"), 0);
}

static void test_leftovers_killed(void **state)
{
        /* Exits at once but leaves a background child in its group. */
        const char *argv[] = {"/bin/sh", "-c", "/bin/sleep 4243 & exit 3", NULL};
        spawn_options o = {.argv = argv};
        spawn_result res;

        assert_int_equal(spawn_run(&o, &res), 0);
        assert_int_equal(res.exit_status, 3);
        for (int i = 0; i < 100 && count_marked("sleep 4243") > 0; i++)
                usleep(10000);
        assert_int_equal(count_marked("sleep 4243"), 0);
}

static void test_logged(void **state)
{
        _cleanup_free_ char *dir = fixture_tmpdir("/tmp", "spawn");
        const char *argv[] = {"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 4", NULL};
        spawn_options o = {.argv = argv};
        char buf[512];
        spawn_result res;
        ssize_t n;
        int dfd, fd;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        assert_int_equal(spawn_run_logged(&o, dfd, "001-test", &res), 0);
        assert_int_equal(res.exit_status, 4);

        fd = openat(dfd, "001-test.log", O_RDONLY);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "to-stdout\n"));
        assert_non_null(strstr(buf, "to-stderr\n"));

        fd = openat(dfd, "001-test.json", O_RDONLY);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "\"exit_status\":4"));
        assert_non_null(strstr(buf, "\"/bin/sh\""));

        /* A record is never overwritten, and names stay in the directory. */
        assert_int_equal(spawn_run_logged(&o, dfd, "001-test", &res), -EEXIST);
        assert_int_equal(spawn_run_logged(&o, dfd, "../escape", &res), -EINVAL);

        close(dfd);
        fixture_rmrf(dir);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
        char buf[65536];
        int in = open(from, O_RDONLY | O_CLOEXEC), out;
        ssize_t n;

        assert_true(in >= 0);
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
}

/* A root holding only /bin/cat and the libraries it needs, and a marker file. */
static void test_chroot(void **state)
{
        _cleanup_free_ char *root = NULL;
        char path[4200];
        const char *argv[] = {"/bin/cat", "/marker", NULL};
        static const char *const libs[] = {
                "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
        };
        _cleanup_free_ char *out = NULL;
        spawn_options o = {.argv = argv};
        spawn_result res;

        for (size_t i = 0; i < ELEMENTSOF(libs); i++)
                assert_int_equal(access(libs[i], R_OK), 0); /* Debian 12 x86-64 */
        root = fixture_tmpdir("/tmp", "spawn-root");
        o.root = root;
        fixture_mkdirs(root, "bin");
        fixture_mkdirs(root, "lib/x86_64-linux-gnu");
        fixture_mkdirs(root, "lib64");
        snprintf(path, sizeof(path), "%s/bin/cat", root);
        copy_file("/bin/cat", path, 0755);
        for (size_t i = 0; i < ELEMENTSOF(libs); i++) {
                snprintf(path, sizeof(path), "%s%s", root, libs[i]);
                copy_file(libs[i], path, 0755);
        }
        fixture_put(root, "marker", "inside the root\n");

        assert_int_equal(spawn_capture(&o, 0, &res, &out), 0);
        assert_true(spawn_result_ok(&res));
        assert_string_equal(out, "inside the root\n");

        /* The host's files are out of reach: /etc/hostname is not in the root. */
        argv[1] = "/etc/hostname";
        free(out);
        out = NULL;
        assert_int_equal(spawn_capture(&o, 0, &res, &out), 0);
        assert_int_equal(res.exit_status, 1);

        fixture_rmrf(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_exec_failure),
                cmocka_unit_test(test_clean_environment),
                cmocka_unit_test(test_stdin_and_fds),
                cmocka_unit_test(test_process_group),
                cmocka_unit_test(test_timeout_term),
                cmocka_unit_test(test_ticks),
                cmocka_unit_test(test_timeout_kill_group),
                cmocka_unit_test(test_leftovers_killed),
                cmocka_unit_test(test_logged),
                cmocka_unit_test(test_chroot),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
