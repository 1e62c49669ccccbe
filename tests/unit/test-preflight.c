/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The preflight gate on small fixture roots, one check at a time: a
 * read-only root, /boot/efi in fstab but not mounted, free space, the dpkg
 * locks (held by another process, and held by us until cleared), a running
 * dkms, and the kernel-side choice with headers, compiler, in-tree module,
 * Secure Boot and MokListRT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/util.h"
#include "recover/preflight.h"
#include "root/sysroot.h"

#include "fixture.h"

#define K "6.1.0-56-amd64"
#define SB_VAR "sys/firmware/efi/efivars/SecureBoot-" EFI_GLOBAL_GUID
#define MOK_VAR "sys/firmware/efi/efivars/MokListRT-" EFI_SHIM_LOCK_GUID

static char *root;

static void path_of(char *buf, size_t size, const char *rel)
{
        snprintf(buf, size, "%s/%s", root, rel);
}

static void rm(const char *rel)
{
        char p[4096];

        path_of(p, sizeof(p), rel);
        assert_int_equal(unlink(p), 0);
}

static int mkdir_at_root(const char *rel)
{
        char p[4096];

        path_of(p, sizeof(p), rel);
        return mkdir(p, 0755);
}

static void rmdir_at_root(const char *rel)
{
        char p[4096];

        path_of(p, sizeof(p), rel);
        assert_int_equal(rmdir(p), 0);
}

static const char MOUNTS_RW[] = "/dev/nvme0n1p2 / ext4 rw,relatime 0 0\n"
                                "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n";

/* A writable root with dpkg's directory, fstab without /boot, no kernels. */
static int setup(void **state)
{
        root = fixture_tmpdir("/tmp", "preflight");
        fixture_put(root, "proc/mounts", MOUNTS_RW);
        fixture_put(root, "etc/fstab", "UUID=2f1e / ext4 errors=remount-ro 0 1\n");
        fixture_put(root, "var/lib/dpkg/status", "");
        return 0;
}

static int teardown(void **state)
{
        fixture_rmrf(root);
        free(root);
        root = NULL;
        return 0;
}

static sysroot *open_root(void)
{
        sysroot *sr = NULL;

        assert_int_equal(sysroot_open(root, &sr), 0);
        return sr;
}

static const preflight_failure *find_failure(const preflight_result *r, preflight_check c)
{
        for (size_t i = 0; i < r->n_failures; i++)
                if (r->failures[i].check == c)
                        return &r->failures[i];
        return NULL;
}

static void run(const preflight_options *o, preflight_result *r)
{
        sysroot *sr = open_root();

        assert_int_equal(preflight_run(sr, o, r), 0);
        sysroot_free(sr);
}

static void test_all_clear(void **state)
{
        preflight_options o = {0};
        preflight_result r;

        run(&o, &r);
        assert_int_equal(r.n_failures, 0);
        assert_true(preflight_passed(&r));
        assert_true(r.lock_frontend_fd >= 0 && r.lock_fd >= 0);
        preflight_result_clear(&r);
}

static void test_root_read_only(void **state)
{
        preflight_options o = {.mount_checks_only = true};
        const preflight_failure *f;
        preflight_result r;

        fixture_put(root, "proc/mounts", "/dev/nvme0n1p2 / ext4 ro,relatime,errors=remount-ro 0 0\n");
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_ROOT_WRITABLE);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "mount -o remount,rw /"));
        preflight_result_clear(&r);

        /* --remount-rw remounts only the running system's /. */
        o.remount_rw = true;
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_ROOT_WRITABLE);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "only with --root /"));
        preflight_result_clear(&r);
        fixture_put(root, "proc/mounts", MOUNTS_RW);
}

static void test_proc_mounts_missing(void **state)
{
        preflight_options o = {.mount_checks_only = true};
        preflight_result r;

        /* A disk mounted at --root DIR has no /proc of its own: the directory's mount counts. */
        rm("proc/mounts");
        run(&o, &r);
        assert_null(find_failure(&r, PREFLIGHT_ROOT_WRITABLE));
        preflight_result_clear(&r);

        /* Unreadable is not missing. */
        assert_int_equal(mkdir_at_root("proc/mounts"), 0);
        run(&o, &r);
        assert_non_null(find_failure(&r, PREFLIGHT_ROOT_WRITABLE));
        preflight_result_clear(&r);
        rmdir_at_root("proc/mounts");
        fixture_put(root, "proc/mounts", MOUNTS_RW);
}

static void test_boot_efi_not_mounted(void **state)
{
        preflight_options o = {.mount_checks_only = true, .kernel_side = true};
        const preflight_failure *f;
        preflight_result r;

        fixture_put(root, "etc/fstab", "UUID=2f1e / ext4 errors=remount-ro 0 1\n"
                                       "UUID=8C4E-1F2A /boot/efi/ vfat umask=0077 0 1\n");
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_BOOT_MOUNTED);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "/boot/efi"));
        assert_non_null(strstr(f->reason, "not mounted"));
        preflight_result_clear(&r);

        /* Mounted read-only is not enough either. */
        fixture_put(root, "proc/mounts", "/dev/nvme0n1p2 / ext4 rw,relatime 0 0\n/dev/nvme0n1p1 /boot/efi vfat ro,relatime 0 0\n");
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_BOOT_MOUNTED);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "read-only"));
        preflight_result_clear(&r);

        fixture_put(root, "proc/mounts", "/dev/nvme0n1p2 / ext4 rw,relatime 0 0\n/dev/nvme0n1p1 /boot/efi vfat rw,relatime 0 0\n");
        run(&o, &r);
        assert_null(find_failure(&r, PREFLIGHT_BOOT_MOUNTED));
        preflight_result_clear(&r);

        /* Without kernel-side steps /boot does not matter. */
        fixture_put(root, "proc/mounts", MOUNTS_RW);
        o.kernel_side = false;
        run(&o, &r);
        assert_int_equal(r.n_failures, 0);
        preflight_result_clear(&r);
        /* nor with --remount-rw on a root that is not the running system's (nothing is mounted there) */
        o.remount_rw = true;
        run(&o, &r);
        assert_int_equal(r.n_failures, 0);
        preflight_result_clear(&r);
        fixture_put(root, "etc/fstab", "UUID=2f1e / ext4 errors=remount-ro 0 1\n");
}

static void test_free_space(void **state)
{
        preflight_options o = {.mount_checks_only = true, .file_backup_bytes = UINT64_MAX / 2};
        const preflight_failure *f;
        preflight_result r;

        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_FREE_SPACE);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "MiB free"));
        preflight_result_clear(&r);

        o.file_backup_bytes = 4096;
        run(&o, &r);
        assert_null(find_failure(&r, PREFLIGHT_FREE_SPACE));
        preflight_result_clear(&r);
}

/* A child holding dpkg's lock the way dpkg does; returns its pid. */
static pid_t hold_lock(const char *rel)
{
        int ready[2];
        pid_t pid;
        char c;

        assert_int_equal(pipe(ready), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char p[4096];
                struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
                int fd;

                path_of(p, sizeof(p), rel);
                fd = open(p, O_RDWR | O_CREAT, 0640);
                if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
                        _exit(1);
                (void)write(ready[1], "x", 1);
                pause();
                _exit(0);
        }
        close(ready[1]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        return pid;
}

static void test_dpkg_lock(void **state)
{
        preflight_options o = {0};
        const preflight_failure *f;
        preflight_result r;
        char want[64];
        pid_t pid;
        int status;

        pid = hold_lock("var/lib/dpkg/lock-frontend");
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_DPKG_LOCK);
        assert_non_null(f);
        snprintf(want, sizeof(want), "process %d", (int)pid);
        assert_non_null(strstr(f->reason, want));
        assert_true(r.lock_fd < 0 && r.lock_frontend_fd < 0);
        preflight_result_clear(&r);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);

        /* The second lock alone blocks too (a dpkg run without a frontend). */
        pid = hold_lock("var/lib/dpkg/lock");
        run(&o, &r);
        assert_non_null(find_failure(&r, PREFLIGHT_DPKG_LOCK));
        preflight_result_clear(&r);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);

        /* Passed: we hold both until cleared; another process cannot take them. */
        run(&o, &r);
        assert_true(preflight_passed(&r));
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                sysroot *sr = NULL;
                int a, b, holder;

                if (sysroot_open(root, &sr) < 0)
                        _exit(2);
                _exit(dpkg_lock_take(sr, &a, &b, &holder) == -EBUSY && holder == getppid() ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        preflight_result_clear(&r);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                sysroot *sr = NULL;
                int a, b, holder;

                if (sysroot_open(root, &sr) < 0)
                        _exit(2);
                _exit(dpkg_lock_take(sr, &a, &b, &holder) == 0 ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The TUI's preview: a held lock is seen, nothing is taken, and absent lock files are not made. */
static void test_dpkg_lock_preview(void **state)
{
        preflight_options o = {.preview = true};
        _cleanup_free_ char *front = strdup_printf("%s/var/lib/dpkg/lock-frontend", root);
        _cleanup_free_ char *lock = strdup_printf("%s/var/lib/dpkg/lock", root);
        const preflight_failure *f;
        preflight_result r;
        char want[64];
        pid_t pid;
        int status;

        unlink(front);
        unlink(lock);
        run(&o, &r);
        assert_true(preflight_passed(&r));
        assert_true(r.lock_fd < 0 && r.lock_frontend_fd < 0);
        preflight_result_clear(&r);
        assert_int_equal(access(front, F_OK), -1);
        assert_int_equal(access(lock, F_OK), -1);

        pid = hold_lock("var/lib/dpkg/lock");
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_DPKG_LOCK);
        assert_non_null(f);
        snprintf(want, sizeof(want), "process %d", (int)pid);
        assert_non_null(strstr(f->reason, want));
        preflight_result_clear(&r);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
}

static void test_dkms_running(void **state)
{
        preflight_options o = {0};
        const preflight_failure *f;
        preflight_result r;

        fixture_put(root, "proc/4242/comm", "bash\n");
        fixture_write(root, "proc/4242/cmdline", "/bin/bash\0/usr/sbin/dkms\0autoinstall\0", 37, 0444);
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_DKMS_RUNNING);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "pid 4242"));
        preflight_result_clear(&r);

        fixture_write(root, "proc/4242/cmdline", "/usr/bin/vim\0dkms.conf\0", 23, 0444);
        run(&o, &r);
        assert_null(find_failure(&r, PREFLIGHT_DKMS_RUNNING));
        preflight_result_clear(&r);
        fixture_put(root, "proc/4242/comm", "dkms\n");
        run(&o, &r);
        assert_non_null(find_failure(&r, PREFLIGHT_DKMS_RUNNING));
        preflight_result_clear(&r);
        rm("proc/4242/comm");
        rm("proc/4242/cmdline");
}

static void put_exe(const char *rel)
{
        fixture_write(root, rel, "#!/bin/sh\n", 10, 0755);
}

static void put_toolchain(void)
{
        fixture_put(root, "lib/modules/" K "/build/Makefile", "# kbuild\n");
        fixture_put(root, "lib/modules/" K "/build/.config", "#\nCONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14) 12.2.0\"\n");
        put_exe("usr/bin/gcc-12");
        put_exe("usr/bin/make");
        put_exe("usr/sbin/dkms");
}

static void assess(bool in_tree, const secure_boot_state *sb, preflight_kernel *k)
{
        sysroot *sr = open_root();

        assert_int_equal(preflight_kernel_assess(sr, K, in_tree, sb, k), 0);
        sysroot_free(sr);
}

static void test_kernel_choice(void **state)
{
        preflight_kernel k;

        /* Nothing: no headers and no in-tree module. */
        assess(false, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_NONE);
        assert_non_null(strstr(k.reason, "headers"));
        assert_non_null(strstr(k.reason, "no in-tree amdgpu.ko"));
        preflight_kernel_clear(&k);

        /* The in-tree module: the default becomes in-tree. */
        fixture_put(root, "lib/modules/" K "/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz", "\xfd" "7zXZ");
        assess(false, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_IN_TREE);
        assert_string_equal(k.in_tree_ko, "/lib/modules/" K "/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz");
        assert_non_null(strstr(k.reason, "headers"));
        preflight_kernel_clear(&k);

        /* Headers but not the compiler named by the kernel's .config. */
        put_toolchain();
        rm("usr/bin/gcc-12");
        put_exe("usr/bin/gcc");
        assess(false, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_IN_TREE);
        assert_string_equal(k.compiler_wanted, "gcc-12");
        assert_non_null(strstr(k.reason, "gcc-12"));
        preflight_kernel_clear(&k);

        put_exe("usr/bin/gcc-12");
        assess(false, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_REBUILD);
        assert_true(k.headers);
        assert_string_equal(k.compiler, "/usr/bin/gcc-12");
        preflight_kernel_clear(&k);

        /* --in-tree wins over a possible rebuild, but only with the in-tree module. */
        assess(true, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_IN_TREE);
        preflight_kernel_clear(&k);
        rm("lib/modules/" K "/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz");
        assess(true, NULL, &k);
        assert_int_equal(k.choice, KERNEL_CHOICE_NONE);
        assert_non_null(strstr(k.reason, "without a driver"));
        preflight_kernel_clear(&k);
}

/* One EFI_SIGNATURE_LIST of type t with one entry of data. */
static size_t esl(uint8_t *out, const uint8_t t[16], const uint8_t *data, size_t len)
{
        uint32_t list = (uint32_t)(28 + 16 + len), hdr = 0, sig = (uint32_t)(16 + len);

        memcpy(out, t, 16);
        memcpy(out + 16, &list, 4);
        memcpy(out + 20, &hdr, 4);
        memcpy(out + 24, &sig, 4);
        memset(out + 28, 0x11, 16); /* owner */
        memcpy(out + 44, data, len);
        return list;
}

static const uint8_t X509_GUID[16] = {0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                                      0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
static const uint8_t SHA256_GUID[16] = {0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
                                        0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
static const uint8_t CERT[] = "\x30\x82\x01\x0a-dkms-mok-certificate-DER";
static const uint8_t OTHER[] = "\x30\x82\x01\x0a-some-distro-certificate";

static void test_signature_lists(void **state)
{
        uint8_t buf[1024], hash[32] = {0};
        size_t n = 0;

        n += esl(buf + n, SHA256_GUID, hash, sizeof(hash));
        n += esl(buf + n, X509_GUID, OTHER, sizeof(OTHER));
        assert_int_equal(efi_signature_lists_contain_x509(buf, n, CERT, sizeof(CERT)), 0);
        n += esl(buf + n, X509_GUID, CERT, sizeof(CERT));
        assert_int_equal(efi_signature_lists_contain_x509(buf, n, CERT, sizeof(CERT)), 1);
        /* A hash list holding the same bytes is not an enrolled certificate. */
        n = esl(buf, SHA256_GUID, CERT, sizeof(CERT));
        assert_int_equal(efi_signature_lists_contain_x509(buf, n, CERT, sizeof(CERT)), 0);
        /* Truncated and inconsistent lists. */
        n = esl(buf, X509_GUID, CERT, sizeof(CERT));
        assert_int_equal(efi_signature_lists_contain_x509(buf, n - 1, CERT, sizeof(CERT)), -EBADMSG);
        buf[24] = 7; /* SignatureSize below the owner GUID */
        assert_int_equal(efi_signature_lists_contain_x509(buf, n, CERT, sizeof(CERT)), -EBADMSG);
        assert_int_equal(efi_signature_lists_contain_x509(buf, 0, CERT, sizeof(CERT)), 0);
}

static void put_sb(uint8_t value)
{
        uint8_t v[5] = {6, 0, 0, 0, value};

        fixture_write(root, SB_VAR, v, sizeof(v), 0644);
}

static void put_moklist_var(const uint8_t *cert, size_t len)
{
        uint8_t buf[1024];
        uint32_t attrs = 6;
        size_t n;

        memcpy(buf, &attrs, 4);
        n = 4 + esl(buf + 4, X509_GUID, cert, len);
        fixture_write(root, MOK_VAR, buf, n, 0644);
}

static void probe_sb(secure_boot_state *s)
{
        sysroot *sr = open_root();

        assert_int_equal(secure_boot_probe(sr, false, s), 0);
        sysroot_free(sr);
}

static void test_secure_boot(void **state)
{
        preflight_options o = {.kernel_side = true};
        const char *kernels[] = {K, NULL};
        const preflight_failure *f;
        secure_boot_state s;
        preflight_result r;
        uint8_t buf[512];
        size_t n;

        o.kernels = kernels;
        put_toolchain();

        probe_sb(&s);
        assert_int_equal(s.state, SECURE_BOOT_ABSENT);
        assert_string_equal(s.cert_path, DKMS_MOK_CERT_DEFAULT);
        assert_null(s.cert);
        secure_boot_state_clear(&s);

        put_sb(0);
        probe_sb(&s);
        assert_int_equal(s.state, SECURE_BOOT_OFF);
        secure_boot_state_clear(&s);

        /* On, dkms's key not enrolled, no in-tree module: refused. */
        put_sb(1);
        fixture_write(root, "var/lib/dkms/mok.pub", CERT, sizeof(CERT), 0644);
        put_moklist_var(OTHER, sizeof(OTHER));
        probe_sb(&s);
        assert_int_equal(s.state, SECURE_BOOT_ON);
        assert_int_equal(s.enrolled, 0);
        secure_boot_state_clear(&s);
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_KERNEL_SIDE);
        assert_non_null(f);
        assert_string_equal(f->kernel, K);
        assert_non_null(strstr(f->reason, "Secure Boot is on"));
        assert_non_null(strstr(f->reason, "not enrolled"));
        assert_non_null(strstr(f->reason, "mokutil --import"));
        preflight_result_clear(&r);

        /* ... with the in-tree module: the default is in-tree, noted, not refused. */
        fixture_put(root, "lib/modules/" K "/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko", "\177ELF");
        run(&o, &r);
        assert_true(preflight_passed(&r));
        assert_int_equal(preflight_result_kernel(&r, K)->choice, KERNEL_CHOICE_IN_TREE);
        assert_int_equal(r.n_notes, 1);
        assert_non_null(strstr(r.notes[0], "not enrolled"));
        preflight_result_clear(&r);
        rm("lib/modules/" K "/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko");

        /* Enrolled (as shim mirrors it in mok-variables, no attributes): rebuild. */
        n = esl(buf, X509_GUID, CERT, sizeof(CERT));
        fixture_write(root, "sys/firmware/efi/mok-variables/MokListRT", buf, n, 0400);
        run(&o, &r);
        assert_true(preflight_passed(&r));
        assert_int_equal(preflight_result_kernel(&r, K)->choice, KERNEL_CHOICE_REBUILD);
        assert_int_equal(r.sb.enrolled, 1);
        preflight_result_clear(&r);

        /* A key dkms is told to use elsewhere (framework.conf mok_certificate=). */
        fixture_put(root, "etc/dkms/framework.conf", "# local\nmok_signing_key=/root/k.key\nmok_certificate=\"/root/k.der\"\n");
        probe_sb(&s);
        assert_string_equal(s.cert_path, "/root/k.der");
        assert_int_equal(s.enrolled, 0); /* no such file: nothing to be enrolled */
        secure_boot_state_clear(&s);
        rm("etc/dkms/framework.conf");

        /* An unreadable state is not "off". */
        fixture_write(root, SB_VAR, "\x06\x00", 2, 0644);
        probe_sb(&s);
        assert_int_equal(s.state, SECURE_BOOT_UNKNOWN);
        secure_boot_state_clear(&s);
        run(&o, &r);
        f = find_failure(&r, PREFLIGHT_KERNEL_SIDE);
        assert_non_null(f);
        assert_non_null(strstr(f->reason, "Secure Boot state cannot be read"));
        preflight_result_clear(&r);

        rm(SB_VAR);
        rm(MOK_VAR);
        rm("sys/firmware/efi/mok-variables/MokListRT");
        rm("var/lib/dkms/mok.pub");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_clear),
                cmocka_unit_test(test_root_read_only),
                cmocka_unit_test(test_proc_mounts_missing),
                cmocka_unit_test(test_boot_efi_not_mounted),
                cmocka_unit_test(test_free_space),
                cmocka_unit_test(test_dpkg_lock_preview),
                cmocka_unit_test(test_dpkg_lock),
                cmocka_unit_test(test_dkms_running),
                cmocka_unit_test(test_kernel_choice),
                cmocka_unit_test(test_signature_lists),
                cmocka_unit_test(test_secure_boot),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
