/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The package-integrity machinery: hash cache, hash pool, name rules, apt sources. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/util.h"
#include "check/rocmstack.h"
#include "probe/hashcache.h"
#include "probe/hashpool.h"
#include "probe/pkgverify.h"
#include "probe/rocmtree.h"
#include "root/sysroot.h"

#include "fixture.h"

static const uint8_t md5_abc[16] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
                                    0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72};

static hash_key key(uint64_t ino)
{
        return (hash_key){.dev = 1, .ino = ino, .size = 3, .mtime_ns = 5, .ctime_ns = 6};
}

static void test_cache_roundtrip_and_rejects(void **state)
{
        char *dir = fixture_tmpdir("/tmp", "unit-runtime"), *file = strdup_printf("%s/%s", dir, HASH_CACHE_FILE);
        hash_cache *c = NULL;
        hash_key k1 = key(10), k2 = key(11);
        uint8_t got[16];
        struct stat st;
        int fd;

        /* absent -> put -> save (0600, atomic) */
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_ABSENT);
        assert_false(hash_cache_lookup(c, "/opt/rocm/lib/a", &k1, got));
        assert_int_equal(hash_cache_put(c, "/opt/rocm/lib/a", &k1, md5_abc), 0);
        assert_int_equal(hash_cache_save(c), 1);
        c = hash_cache_free(c);
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* loaded: hit on the same key only */
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_LOADED);
        assert_int_equal(hash_cache_size(c), 1);
        assert_true(hash_cache_lookup(c, "/opt/rocm/lib/a", &k1, got));
        assert_memory_equal(got, md5_abc, 16);
        assert_false(hash_cache_lookup(c, "/opt/rocm/lib/a", &k2, got)); /* another inode */
        k2 = k1;
        k2.ctime_ns++;
        assert_false(hash_cache_lookup(c, "/opt/rocm/lib/a", &k2, got)); /* chmod/touch changes ctime */
        /* the same entry again: nothing to write */
        assert_int_equal(hash_cache_put(c, "/opt/rocm/lib/a", &k1, md5_abc), 0);
        assert_int_equal(hash_cache_save(c), 0);
        c = hash_cache_free(c);

        /* another root's cache is not ours */
        assert_int_equal(hash_cache_load(dir, "/other/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
        assert_false(hash_cache_lookup(c, "/opt/rocm/lib/a", &k1, got));
        c = hash_cache_free(c);

        /* a flipped byte anywhere is caught by the trailing digest */
        fd = open(file, O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "X", 1, 40), 1);
        close(fd);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
        assert_false(hash_cache_lookup(c, "/opt/rocm/lib/a", &k1, got));
        /* ... and rebuilt at the next save */
        assert_int_equal(hash_cache_put(c, "/opt/rocm/lib/a", &k1, md5_abc), 0);
        assert_int_equal(hash_cache_save(c), 1);
        c = hash_cache_free(c);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_LOADED);
        c = hash_cache_free(c);

        /* wrong mode: someone else could have written it */
        assert_int_equal(chmod(file, 0644), 0);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
        c = hash_cache_free(c);
        assert_int_equal(chmod(file, 0600), 0);

        /* another owner (as root: hand it to nobody) */
        if (geteuid() == 0) {
                assert_int_equal(chown(file, 65534, 65534), 0);
                assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
                assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
                c = hash_cache_free(c);
                assert_int_equal(chown(file, 0, 0), 0);
        }

        /* truncated */
        assert_int_equal(truncate(file, 30), 0);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
        c = hash_cache_free(c);

        /* a symlink in its place is never followed */
        assert_int_equal(unlink(file), 0);
        assert_int_equal(symlink("/etc/passwd", file), 0);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_REJECTED);
        c = hash_cache_free(c);
        assert_int_equal(unlink(file), 0);

        /* a world-writable directory is no place for it: no cache at all */
        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(hash_cache_load(dir, "/fix/root", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_UNUSABLE);
        assert_int_equal(hash_cache_put(c, "/opt/rocm/lib/a", &k1, md5_abc), 0);
        assert_int_equal(hash_cache_save(c), 0);
        c = hash_cache_free(c);
        assert_int_equal(access(file, F_OK), -1);
        assert_int_equal(chmod(dir, 0700), 0);

        fixture_rmrf(dir);
        free(file);
        free(dir);
}

static void test_cache_parse_garbage(void **state)
{
        hash_cache *c = NULL;
        uint8_t junk[64] = "RDNA1HC\n";

        assert_int_equal(hash_cache_load(NULL, "/", &c), 0);
        assert_int_equal(hash_cache_get_state(c), HASH_CACHE_UNUSABLE);
        assert_int_equal(hash_cache_parse(c, junk, sizeof(junk)), -EBADMSG);
        assert_int_equal(hash_cache_parse(c, junk, 4), -EBADMSG);
        hash_cache_free(c);
}

static void test_pool(void **state)
{
        char *dir = fixture_tmpdir("/tmp", "unit-runtime"), *sub = strdup_printf("%s/opt", dir), *cdir = strdup_printf("%s/cache", dir);
        hash_job jobs[6] = {
                {.path = "/opt/a"}, {.path = "/opt/b"}, {.path = "/opt/missing"},
                {.path = "/opt/fifo"}, {.path = "/opt/link"}, {.path = "/opt/escape"},
        };
        hash_cache *c = NULL;
        sysroot *sr = NULL;
        char *fifo = strdup_printf("%s/opt/fifo", dir), *link = strdup_printf("%s/opt/link", dir),
             *esc = strdup_printf("%s/opt/escape", dir);

        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(mkdir(cdir, 0700), 0);
        fixture_put(dir, "opt/a", "abc");
        fixture_put(dir, "opt/b", "abc");
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(symlink("/opt/a", link), 0);     /* inside the root: followed there */
        assert_int_equal(symlink("/etc/hostname", esc), 0); /* the root has none: not the host's */
        assert_int_equal(sysroot_open(dir, &sr), 0);

        assert_int_equal(hash_cache_load(cdir, sr->path, &c), 0);
        assert_int_equal(hash_jobs_run(sr, jobs, ELEMENTSOF(jobs), c, 4), 0);
        assert_int_equal(jobs[0].error, 0);
        assert_memory_equal(jobs[0].md5, md5_abc, 16);
        assert_false(jobs[0].cached);
        assert_int_equal(jobs[1].error, 0);
        assert_int_equal(jobs[2].error, -ENOENT);
        assert_int_equal(jobs[3].error, -EINVAL); /* FIFO: refused, never blocks */
        assert_int_equal(jobs[4].error, 0);
        assert_memory_equal(jobs[4].md5, md5_abc, 16);
        assert_int_equal(jobs[5].error, -ENOENT);
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(hash_cache_put(c, jobs[i].path, &jobs[i].key, jobs[i].md5), 0);
        assert_int_equal(hash_cache_save(c), 1);
        c = hash_cache_free(c);

        /* warm: answered by the cache; a rewritten file is read again */
        fixture_put(dir, "opt/b", "abcd");
        assert_int_equal(hash_cache_load(cdir, sr->path, &c), 0);
        assert_int_equal(hash_jobs_run(sr, jobs, 2, c, 0), 0);
        assert_true(jobs[0].cached);
        assert_false(jobs[1].cached);
        assert_memory_not_equal(jobs[1].md5, md5_abc, 16);
        c = hash_cache_free(c);

        sysroot_free(sr);
        fixture_rmrf(dir);
        free(dir), free(sub), free(cdir), free(fifo), free(link), free(esc);
}

static void test_names(void **state)
{
        assert_true(pkg_name_is_rocm("hsa-rocr6.2.4"));
        assert_true(pkg_name_is_rocm("libhsa-runtime64-1"));
        assert_true(pkg_name_is_rocm("libamdhip64-5"));
        assert_true(pkg_name_is_rocm("librocm-smi64-1"));
        assert_true(pkg_name_is_rocm("miopen-hip"));
        assert_true(pkg_name_is_rocm("librocblas0"));
        assert_true(pkg_name_is_rocm("amdgpu-dkms"));
        assert_true(pkg_name_is_rocm("libdrm-amdgpu1"));
        assert_false(pkg_name_is_rocm("libchipcard-libgwenhywfar79-plugins"));
        assert_false(pkg_name_is_rocm("librocksdb8.7"));
        assert_false(pkg_name_is_rocm("adduser"));
        assert_true(is_patch_artifact("kfd_crat.c.orig"));
        assert_true(is_patch_artifact("kfd_crat.c.rej"));
        assert_true(is_patch_artifact("x.bak"));
        assert_true(is_patch_artifact("rdna1.patch"));
        assert_false(is_patch_artifact("kfd_crat.c"));
        assert_false(is_patch_artifact("origin.c"));
}

static void test_apt_sources(void **state)
{
        char *prod = NULL, *ver = NULL;

        assert_int_equal(apt_radeon_source("https://repo.radeon.com/rocm/apt/5.7.1", "jammy", &prod, &ver), 1);
        assert_string_equal(prod, "rocm");
        assert_string_equal(ver, "5.7.1");
        free(prod), free(ver);
        assert_int_equal(apt_radeon_source("https://repo.radeon.com/amdgpu/6.2.4/ubuntu", "noble", &prod, &ver), 1);
        assert_string_equal(prod, "amdgpu");
        assert_string_equal(ver, "6.2.4");
        free(prod), free(ver);
        assert_int_equal(apt_radeon_source("http://repo.radeon.com/amdgpu/latest/ubuntu", "noble", &prod, &ver), 1);
        assert_string_equal(ver, "latest");
        free(prod), free(ver);
        assert_int_equal(apt_radeon_source("http://deb.debian.org/debian", "bookworm", &prod, &ver), 0);
        assert_int_equal(apt_radeon_source("https://repo.radeon.com.evil.example/rocm/apt/5.7", "x", &prod, &ver), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cache_roundtrip_and_rejects),
                cmocka_unit_test(test_cache_parse_garbage),
                cmocka_unit_test(test_pool),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_apt_sources),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
