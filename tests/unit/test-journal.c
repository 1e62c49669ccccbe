/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan's JSON round trip, the journal's records and backups, fault points. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <json-c/json.h>
#include <sys/stat.h>

#include "base/fault.h"
#include "base/md5io.h"
#include "base/util.h"
#include "recover/journal.h"
#include "recover/plan.h"

#include "fixture.h"

static plan *sample_plan(void)
{
        plan *p = plan_new("/");
        plan_action *a;

        assert_non_null(p);
        a = plan_add(p, ACTION_DKMS_REBUILD, "kernel.patched-build");
        a->kernel = strdup("6.8.0-48-generic");
        a = plan_add(p, ACTION_RESTORE_FILE, "runtime.modified");
        a->path = strdup("/opt/rocm/lib/libhsa-runtime64.so.1");
        a->source = SOURCE_DEB;
        a->expected_md5 = strdup("0123456789abcdef0123456789abcdef");
        a->expected_size = 42;
        assert_int_equal(plan_action_add_touch(a, a->path), 0);
        assert_int_equal(plan_action_add_touch(a, a->path), 0); /* once */
        a = plan_add(p, ACTION_DISABLE_ENV_LINE, "env.override-gfx");
        a->path = strdup("/etc/environment");
        a->line = 2;
        a = plan_add(p, ACTION_DISABLE_ENV_LINE, "env.hang-risk");
        a->path = strdup("/etc/environment");
        a->line = 3;
        a->planned = (plan_file_id){.known = true, .dev = 2049, .ino = UINT64_C(1) << 40, .size = 300u << 20,
                                    .mtime_sec = 1700000000, .mtime_nsec = 999999999};
        a = plan_add(p, ACTION_UPDATE_INITRAMFS, "kernel.patched-build");
        a->kernel = strdup("6.8.0-48-generic");
        a = plan_add(p, ACTION_REINSTALL_PACKAGE, "runtime.modified");
        a->package = strdup("hsa-rocr");
        assert_int_equal(plan_add_note(p, "note %d", 1), 0);
        assert_int_equal(plan_add_note(p, "note %d", 1), 0); /* once */
        plan_sort(p);
        return p;
}

static void test_plan_order_and_json(void **state)
{
        plan *p = sample_plan(), *q = NULL;
        json_object *o = NULL, *o2 = NULL;

        /* env first (bottom line first), files, packages, then kernel: rebuild before initramfs */
        assert_int_equal(p->actions[0].type, ACTION_DISABLE_ENV_LINE);
        assert_int_equal(p->actions[0].line, 3);
        assert_int_equal(p->actions[1].line, 2);
        assert_int_equal(p->actions[2].type, ACTION_RESTORE_FILE);
        assert_int_equal(p->actions[3].type, ACTION_REINSTALL_PACKAGE);
        assert_true(p->actions[3].irreversible);
        assert_int_equal(p->actions[4].type, ACTION_DKMS_REBUILD);
        assert_int_equal(p->actions[5].type, ACTION_UPDATE_INITRAMFS);
        assert_true(p->actions[5].kernel_side);
        assert_int_equal(p->n_notes, 1);
        assert_int_equal(p->actions[2].n_touches, 1);

        assert_int_equal(plan_to_json(p, &o), 0);
        assert_int_equal(plan_from_json(o, &q), 0);
        assert_int_equal(plan_to_json(q, &o2), 0);
        assert_string_equal(json_object_to_json_string(o), json_object_to_json_string(o2));
        assert_int_equal(q->actions[2].source, SOURCE_DEB);
        assert_int_equal(q->actions[2].expected_size, 42);
        assert_true(q->actions[0].planned.known);
        assert_int_equal(q->actions[0].planned.ino, UINT64_C(1) << 40);
        assert_int_equal(q->actions[0].planned.size, 300u << 20);
        assert_int_equal(q->actions[0].planned.mtime_nsec, 999999999);
        assert_false(q->actions[1].planned.known);
        json_object_put(o);
        json_object_put(o2);
        plan_free(q);

        /* another schema or an unknown action is refused */
        o = json_tokener_parse("{\"schema\":\"rdna1-doctor/plan/2\",\"actions\":[]}");
        assert_int_equal(plan_from_json(o, &q), -EBADMSG);
        json_object_put(o);
        o = json_tokener_parse("{\"schema\":\"rdna1-doctor/plan/1\",\"actions\":[{\"action\":\"rm-rf\"}]}");
        assert_int_equal(plan_from_json(o, &q), -EBADMSG);
        json_object_put(o);
        plan_free(p);
}

static void test_journal_records(void **state)
{
        _cleanup_free_ char *dir = fixture_tmpdir("/tmp", "journal");
        _cleanup_free_ char *src = NULL;
        plan *p = sample_plan();
        journal *j = NULL, *k = NULL;
        const journal_file *f = NULL;
        json_object *h = NULL, *runs;
        const char *argv[] = {"/bin/true", "x", NULL};
        char *name = NULL;
        int fd, log;

        src = strdup_printf("%s/src", dir);
        fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0640);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "hello\n", 6), 6);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

        assert_int_equal(journal_create(dir, p, &j), 0);
        assert_int_equal(journal_status(j), RUN_RUNNING);
        assert_int_equal(journal_begin_step(j, 0), 0);
        assert_int_equal(journal_backup_fd(j, 0, "/etc/environment", fd, &f), 0);
        assert_string_equal(f->md5, "b1946ac92492d2347c6235b4d2611184"); /* md5("hello\n") */
        assert_int_equal(f->size, 6);
        assert_int_equal(f->mode, 0640);
        /* a second backup of the same file keeps the first */
        assert_int_equal(journal_backup_fd(j, 0, "/etc/environment", fd, &f), 0);
        assert_int_equal(journal_get_step(j, 0)->n_files, 1);
        assert_int_equal(journal_record_after(j, 0, "/etc/environment", "00000000000000000000000000000000"), 0);
        /* a symlink (dkms's kernel-K-ARCH) is kept by its target: no backup file, md5 of the text */
        assert_int_equal(journal_backup_link(j, 0, "/var/lib/dkms/amdgpu/kernel-6.1.0-1-amd64-x86_64",
                                             "6.16.6/6.1.0-1-amd64/x86_64"), 0);
        assert_int_equal(journal_backup_link(j, 0, "/var/lib/dkms/amdgpu/kernel-6.1.0-1-amd64-x86_64", "other"), 0);
        assert_int_equal(journal_backup_link(j, 0, "/x", ""), -EINVAL);
        assert_int_equal(journal_get_step(j, 0)->n_files, 2);
        assert_int_equal(journal_command_output(j, 0, &log, &name), 0);
        assert_int_equal(write(log, "out\n", 4), 4);
        close(log);
        assert_int_equal(journal_record_command(j, 0, argv, 0, name), 0);
        assert_int_equal(journal_step_done(j, 0), 0);
        assert_int_equal(journal_step_failed(j, 1, "refused: test"), 0);
        assert_int_equal(journal_set_status(j, RUN_PARTIAL), 0);

        /* read back as --resume and --rollback do */
        assert_int_equal(journal_open(dir, journal_id(j), &k), 0);
        assert_int_equal(journal_status(k), RUN_PARTIAL);
        assert_int_equal(journal_get_step(k, 0)->state, STEP_DONE);
        assert_int_equal(journal_get_step(k, 1)->state, STEP_FAILED);
        assert_string_equal(journal_get_step(k, 1)->error, "refused: test");
        assert_int_equal(journal_get_step(k, 2)->state, STEP_PENDING);
        f = &journal_get_step(k, 0)->files[0];
        assert_string_equal(f->md5, "b1946ac92492d2347c6235b4d2611184");
        assert_true(f->has_after);
        {
                char buf[16] = {0};
                int b = journal_open_backup(k, f);

                assert_true(b >= 0);
                assert_int_equal(read(b, buf, sizeof(buf)), 6);
                assert_string_equal(buf, "hello\n");
                close(b);
        }
        f = &journal_get_step(k, 0)->files[1];
        assert_true(f->existed);
        assert_null(f->backup);
        assert_string_equal(f->link_target, "6.16.6/6.1.0-1-amd64/x86_64"); /* the first record stands */
        assert_string_equal(f->md5, "8c07802345f2390f817f6ec74f907b68");
        assert_null(journal_get_step(k, 0)->files[0].link_target);
        assert_string_equal(journal_get_step(k, 0)->commands[0].argv[0], "/bin/true");
        assert_string_equal(journal_get_step(k, 0)->commands[0].output, name);

        assert_int_equal(journal_history(dir, &h), 0);
        assert_true(json_object_object_get_ex(h, "runs", &runs));
        assert_int_equal(json_object_array_length(runs), 1);
        json_object_put(h);

        /* ids are checked: no path tricks */
        {
                journal *x = NULL;

                assert_int_equal(journal_open(dir, "../../etc", &x), -ENOENT);
                assert_null(x);
        }

        journal_free(k);
        journal_free(j);
        plan_free(p);
        free(name);
        close(fd);
        fixture_rmrf(dir);
}

static int count_entries(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

/* A backup copies at most the cap it is given: a larger (sparse) file is refused, and no copy is left behind. */
static void test_backup_cap(void **state)
{
        _cleanup_free_ char *dir = fixture_tmpdir("/tmp", "journal-cap");
        _cleanup_free_ char *src = NULL, *backups = NULL;
        plan *p = sample_plan();
        journal *j = NULL;
        const journal_file *f = NULL;
        char md5[33];
        uint64_t size = 0;
        int fd;

        src = strdup_printf("%s/big", dir);
        fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 64 << 20), 0); /* sparse: no disk space */
        assert_int_equal(journal_create(dir, p, &j), 0);
        assert_int_equal(journal_begin_step(j, 0), 0);
        assert_int_equal(journal_backup_fd_at(j, 0, "/home/a/.bashrc", -EBADF, fd, 16 << 20, &f), -EFBIG);
        assert_int_equal(journal_get_step(j, 0)->n_files, 0);
        backups = strdup_printf("%s/journal/%s/backups", dir, journal_id(j));
        assert_int_equal(count_entries(backups), 0);
        /* grown between the size check and the copy: the copy stops at the cap and is deleted */
        assert_int_equal(ftruncate(fd, 16 << 20), 0);
        assert_int_equal(md5_copy_fd_max(fd, -1, (16 << 20) - 1, md5, &size), -EFBIG);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(md5_copy_fd_max(fd, -1, 16 << 20, md5, &size), 0);
        assert_int_equal(size, 16 << 20);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(journal_backup_fd_at(j, 0, "/home/a/.bashrc", -EBADF, fd, 16 << 20, &f), 0);
        assert_int_equal(f->size, 16 << 20);

        journal_free(j);
        plan_free(p);
        close(fd);
        fixture_rmrf(dir);
}

static void test_lock(void **state)
{
        _cleanup_free_ char *dir = fixture_tmpdir("/tmp", "lock");
        int a = -1, b = -1;

        assert_int_equal(journal_lock(dir, &a), 0);
        assert_int_equal(journal_lock(dir, &b), -EBUSY); /* another open file description */
        close(a);
        assert_int_equal(journal_lock(dir, &b), 0);
        close(b);
        fixture_rmrf(dir);
}

static void test_fault_points(void **state)
{
        setenv("RDNA1_DOCTOR_FAULT", "backup-copy:ENOSPC", 1);
        assert_int_equal(fault_point("backup-copy"), -ENOSPC);
        assert_int_equal(fault_point("backup-recorded"), 0);
        setenv("RDNA1_DOCTOR_FAULT", "replaced:EIO", 1);
        assert_int_equal(fault_point("replaced"), -EIO);
        assert_int_equal(fault_point("replace"), 0); /* whole names only */
        unsetenv("RDNA1_DOCTOR_FAULT");
        assert_int_equal(fault_point("replaced"), 0);
        assert_string_equal(fault_point_names[0], "step-intent");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plan_order_and_json),
                cmocka_unit_test(test_journal_records),
                cmocka_unit_test(test_backup_cap),
                cmocka_unit_test(test_lock),
                cmocka_unit_test(test_fault_points),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
