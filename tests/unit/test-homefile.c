/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Users of a root, files beneath a home (no symlinks, no FIFOs, owner checked), the bounded walker. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/util.h"
#include "root/homefile.h"
#include "root/users.h"

#include "fixture.h"

static char *top;

/* TOP/REL belongs to UID (when we may chown). */
static void own(const char *rel, uid_t uid)
{
        _cleanup_free_ char *p = fixture_path(top, rel);

        if (geteuid() == 0)
                assert_int_equal(lchown(p, uid, uid), 0);
}

static void put(const char *rel, const char *text, uid_t uid)
{
        fixture_put(top, rel, text);
        own(rel, uid);
}

static void mkd(const char *rel, uid_t uid)
{
        fixture_mkdirs(top, rel);
        own(rel, uid);
}

static int setup(void **state)
{
        top = fixture_tmpdir("/var/tmp", "homefile");
        assert_int_equal(chmod(top, 0755), 0);
        mkd("etc", 0);
        mkd("home", 0);
        mkd("root", 0);
        mkd("usr", 0);
        mkd("home/alice", 1000);
        put("etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n"
            "daemon:x:1:1:daemon:/usr:/usr/sbin/nologin\n"
            "+nis::0:0:::\n"
            "broken line\n"
            "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
            "alias:x:1001:1000:Alice again:/home/alice:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", 0);
        put("etc/group", "root:x:0:\nsudo:x:27:alice\nrender:x:992: bob , alice\n", 0);
        put("etc/shadow", "alice:SECRET\n", 0);
        put("home/alice/.bashrc", "export A=1\n", 1000);
        fixture_symlink(top, "home/alice/.profile", "/etc/shadow");
        {
                _cleanup_free_ char *f = fixture_path(top, "home/alice/.fifo");
                assert_int_equal(mkfifo(f, 0644), 0);
        }
        fixture_symlink(top, "home/alice/dirlink", "/etc");
        put("home/alice/planted.sh", "export B=2\n", 4242);
        put("home/alice/rootowned.sh", "export C=3\n", 0);
        return 0;
}

static int teardown(void **state)
{
        fixture_rmrf(top);
        free(top);
        top = NULL;
        return 0;
}

static void test_users(void **state)
{
        sysroot *sr = NULL;
        root_users *u = NULL;
        const root_user *a;

        assert_int_equal(sysroot_open(top, &sr), 0);
        assert_int_equal(root_users_load(sr, USERS_ALL, &u), 0);
        assert_int_equal(u->n, 5);
        a = root_users_find_name(u, "alice");
        assert_non_null(a);
        assert_int_equal(a->uid, 1000);
        assert_string_equal(a->home, "/home/alice");
        assert_int_equal(a->n_groups, 2);
        assert_int_equal(a->groups[0], 27);
        assert_int_equal(a->groups[1], 992);
        assert_string_equal(root_users_group_name(u, 992), "render");
        assert_null(root_users_group_name(u, 4242));
        u = root_users_free(u);

        if (geteuid() == 0) {
                /* root, alice; daemon's /usr is root's, nobody has none, alias shares alice's */
                assert_int_equal(root_users_load(sr, USERS_WITH_HOME, &u), 0);
                assert_int_equal(u->n, 2);
                assert_string_equal(u->users[0].name, "root");
                assert_string_equal(u->users[1].name, "alice");
                u = root_users_free(u);
        }
        sysroot_free(sr);
}

static void check_home_files(bool no_openat2)
{
        sysroot *sr = NULL;
        root_users *u = NULL;
        home *h = NULL;
        char *buf = NULL;
        size_t len;

        assert_int_equal(sysroot_open(top, &sr), 0);
        assert_int_equal(root_users_load(sr, USERS_ALL, &u), 0);
        assert_int_equal(home_open(sr, root_users_find_name(u, "alice"), &h), 0);
        h->no_openat2 = no_openat2;
        assert_string_equal(h->path, "/home/alice");

        assert_int_equal(home_read_file(h, ".bashrc", 0, &buf, &len), 0);
        assert_string_equal(buf, "export A=1\n");
        free(buf);
        buf = NULL;
        /* ~/.profile -> /etc/shadow: never opened, whatever the root */
        assert_int_equal(home_read_file(h, ".profile", 0, &buf, &len), -ELOOP);
        assert_int_equal(home_read_file(h, "dirlink/shadow", 0, &buf, &len), -ELOOP);
        assert_int_equal(home_read_file(h, "../../etc/shadow", 0, &buf, &len), -EXDEV);
        /* a FIFO is refused without blocking */
        assert_int_equal(home_read_file(h, ".fifo", 0, &buf, &len), -EINVAL);
        assert_int_equal(home_read_file(h, "missing", 0, &buf, &len), -ENOENT);
        if (geteuid() == 0) {
                assert_int_equal(home_read_file(h, "planted.sh", 0, &buf, &len), -EPERM);
                assert_int_equal(home_read_file(h, "rootowned.sh", 0, &buf, &len), 0);
                free(buf);
                buf = NULL;
        }
        assert_int_equal(home_read_file(h, ".bashrc", 4, &buf, &len), -EFBIG);
        assert_null(buf);
        home_free(h);
        root_users_free(u);
        sysroot_free(sr);
}

static void test_home_files(void **state)
{
        check_home_files(false);
        check_home_files(true);
}

typedef struct counter {
        size_t files, links;
} counter;

static int count_cb(int dirfd, const char *name, const char *relpath, const struct stat *st, unsigned depth,
                    void *userdata)
{
        counter *c = userdata;

        if (S_ISREG(st->st_mode))
                c->files++;
        if (S_ISLNK(st->st_mode))
                c->links++;
        return WALK_CONTINUE;
}

static void test_walk_bounds(void **state)
{
        sysroot *sr = NULL;
        root_users *u = NULL;
        home *h = NULL;
        report *r = report_new();
        walk_limits lim = {.max_depth = 3, .max_entries = 500};
        walk_stats st;
        counter c = {0};

        mkd("home/alice/many", 1000);
        for (int i = 0; i < 2000; i++) {
                _cleanup_free_ char *rel = strdup_printf("home/alice/many/f%04d", i);
                put(rel, "", 1000);
        }
        mkd("home/alice/d1", 1000);
        mkd("home/alice/d1/d2", 1000);
        mkd("home/alice/d1/d2/d3", 1000);
        mkd("home/alice/d1/d2/d3/d4", 1000);
        mkd("home/alice/d1/d2/d3/d4/d5", 1000);
        put("home/alice/d1/d2/d3/d4/d5/deep.sh", "", 1000);

        assert_int_equal(sysroot_open(top, &sr), 0);
        assert_int_equal(root_users_load(sr, USERS_ALL, &u), 0);
        assert_int_equal(home_open(sr, root_users_find_name(u, "alice"), &h), 0);

        /* the 2000 files are cut at 500 entries, and the report says so */
        assert_int_equal(home_walk(h, "many", &lim, count_cb, &c, r, "env", &st), 0);
        assert_true(st.truncated);
        assert_int_equal(st.entries, 500);
        assert_int_equal(c.files, 500);
        assert_int_equal(r->n_notes, 1);
        assert_non_null(strstr(r->notes[0], "/home/alice/many stopped after 500 entries"));

        /* depth: d1/d2/d3/d4 is entered no further */
        c = (counter){0};
        lim.max_entries = 100000;
        assert_int_equal(home_walk(h, "d1", &lim, count_cb, &c, r, "env", &st), 0);
        assert_false(st.truncated);
        assert_int_equal(st.too_deep, 1);
        assert_int_equal(c.files, 0);

        /* symlinks are seen, never followed */
        c = (counter){0};
        lim.max_depth = 0;
        assert_int_equal(home_walk(h, "", &lim, count_cb, &c, NULL, "env", &st), 0);
        assert_int_equal(c.links, 2);
        {
                int k = home_walk(h, "dirlink", &lim, count_cb, &c, NULL, "env", &st);
                assert_true(k == -ELOOP || k == -ENOTDIR); /* O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR */
        }

        home_free(h);
        root_users_free(u);
        sysroot_free(sr);
        report_free(r);
}

/*
 * A bind mount of a directory under itself is a loop no symlink rule stops:
 * the walker must notice the same device and inode as a parent. Needs a
 * private mount namespace (root); the host's mounts are never touched.
 */
static void test_walk_loop(void **state)
{
        _cleanup_free_ char *src = strdup_printf("%s/home/alice/loopy", top);
        _cleanup_free_ char *dst = strdup_printf("%s/home/alice/loopy/inner/again", top);
        sysroot *sr = NULL;
        root_users *u = NULL;
        home *h = NULL;
        report *r = report_new();
        walk_limits lim = {.max_depth = 10, .max_entries = 1000};
        walk_stats st;
        counter c = {0};
        pid_t pid;
        int status;

        if (geteuid() != 0) {
                if (getenv("CI") && streq(getenv("CI"), "true"))
                        fail_msg("the loop test needs root (a private mount namespace) under CI=true");
                print_message("SKIP part: loop test needs root\n");
                report_free(r);
                return;
        }
        mkd("home/alice/loopy", 1000);
        mkd("home/alice/loopy/inner", 1000);
        mkd("home/alice/loopy/inner/again", 1000);
        put("home/alice/loopy/inner/file", "", 1000);

        /* In a child: unshare the mount namespace, bind, walk, report through the exit status. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(3);
                if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                        _exit(4);
                if (sysroot_open(top, &sr) < 0 || root_users_load(sr, USERS_ALL, &u) < 0 ||
                    home_open(sr, root_users_find_name(u, "alice"), &h) < 0)
                        _exit(5);
                if (home_walk(h, "loopy", &lim, count_cb, &c, r, "env", &st) < 0)
                        _exit(6);
                /* loopy/inner/again is loopy again: not entered, said once, the walk ends. */
                if (st.loops != 1 || st.truncated || c.files != 1 || r->n_reasons != 1 ||
                    !strstr(r->reasons[0].error, "loop"))
                        _exit(7);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        report_free(r);
}

/* As another user: an unreadable directory is one ignored reason, however many walks meet it. */
static void test_walk_unreadable_once(void **state)
{
        _cleanup_free_ char *locked = strdup_printf("%s/home/alice/locked", top);
        pid_t pid;
        int status;

        if (geteuid() != 0) {
                if (getenv("CI") && streq(getenv("CI"), "true"))
                        fail_msg("the unreadable-directory test needs root (to become another user) under CI=true");
                print_message("SKIP part: needs root\n");
                return;
        }
        mkd("home/alice/locked", 1000);
        assert_int_equal(chmod(locked, 0700), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                walk_limits lim = {.max_depth = 2, .max_entries = 100000};
                report *r = report_new();
                sysroot *sr = NULL;
                root_users *u = NULL;
                home *h = NULL;
                walk_stats st;
                counter c = {0};

                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(3);
                if (sysroot_open(top, &sr) < 0 || root_users_load(sr, USERS_ALL, &u) < 0 ||
                    home_open(sr, root_users_find_name(u, "alice"), &h) < 0)
                        _exit(4);
                for (int i = 0; i < 2; i++)
                        if (home_walk(h, "", &lim, count_cb, &c, r, "env", &st) < 0 || st.unreadable != 1)
                                _exit(5);
                if (r->n_reasons != 1 || !streq(r->reasons[0].path, "/home/alice/locked") || r->reasons[0].matters)
                        _exit(6);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_users),
                cmocka_unit_test(test_home_files),
                cmocka_unit_test(test_walk_bounds),
                cmocka_unit_test(test_walk_loop),
                cmocka_unit_test(test_walk_unreadable_once),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
