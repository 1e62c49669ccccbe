/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/selftest/gpu_peak.h"

static char root[256];

static void write_file(const char *rel, const char *text)
{
        char path[512], dir[512], *slash;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        for (char *p = dir + strlen(root) + 1; (slash = strchr(p, '/')); p = slash + 1) {
                *slash = '\0';
                mkdir(dir, 0755);
                *slash = '/';
        }
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* A KFD topology as amdgpu writes it (key value lines): the CPU node, then an RX 5600 XT at 03:00.0. */
static int setup(void **state)
{
        snprintf(root, sizeof(root), "/tmp/rdna1-gpu-peak.XXXXXX");
        assert_non_null(mkdtemp(root));
        write_file("sys/class/kfd/kfd/topology/nodes/0/properties",
                   "cpu_cores_count 12\nsimd_count 0\nsimd_per_cu 0\nlocation_id 0\ndomain 0\n"
                   "max_engine_clk_ccompute 3800\n");
        write_file("sys/class/kfd/kfd/topology/nodes/1/properties",
                   "cpu_cores_count 0\nsimd_count 72\nmax_waves_per_simd 20\nwave_front_size 32\n"
                   "simd_per_cu 2\ngfx_target_version 100100\nvendor_id 4098\ndevice_id 29471\n"
                   "location_id 768\ndomain 0\nmax_engine_clk_fcompute 1560\nmax_engine_clk_ccompute 3800\n");
        write_file("sys/bus/pci/devices/0000:03:00.0/pp_dpm_sclk", "0: 800Mhz\n1: 1300Mhz *\n2: 1560Mhz\n");
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static void test_peak_formula(void **state)
{
        /* 36 CUs x 64 lanes x 2 FLOPs x 1.56 GHz */
        assert_true(fabs(gpu_peak_gflops(36, 1560) - 7188.48) < 1e-6);
        assert_true(gpu_peak_gflops(0, 1560) == 0.0);
        assert_true(gpu_peak_gflops(36, -1) == 0.0);
}

static void test_read_fixture(void **state)
{
        struct gpu_peak p, untouched;

        assert_int_equal(gpu_peak_read(root, "0000:03:00.0", &p), 0);
        assert_int_equal(p.compute_units, 36);
        assert_int_equal(p.max_sclk_mhz, 1560);
        assert_true(fabs(p.peak_gflops - 7188.48) < 1e-6);
        /* the slot without leading zeros is the same device */
        assert_int_equal(gpu_peak_read(root, "0:3:0.0", &p), 0);
        assert_int_equal(p.compute_units, 36);

        memset(&untouched, 0x5a, sizeof(untouched));
        p = untouched;
        assert_int_equal(gpu_peak_read(root, "0000:04:00.0", &p), -ENOENT);
        assert_int_equal(gpu_peak_read(root, "0000:03:00.0/../x", &p), -EINVAL);
        assert_int_equal(gpu_peak_read(root, "garbage", &p), -EINVAL);
        assert_int_equal(gpu_peak_read(root, NULL, &p), -EINVAL);
        assert_memory_equal(&p, &untouched, sizeof(p));

        assert_int_equal(gpu_sclk_now(root, "0000:03:00.0"), 1300);
        assert_int_equal(gpu_sclk_now(root, "0000:04:00.0"), -ENOENT);
        assert_int_equal(gpu_sclk_now(root, "03:00.0"), -EINVAL);
}

/* A node without its clock: no peak rather than a guess. */
static void test_missing_clock(void **state)
{
        struct gpu_peak p;

        write_file("sys/class/kfd/kfd/topology/nodes/2/properties",
                   "simd_count 44\nsimd_per_cu 2\nlocation_id 1280\ndomain 0\n");
        assert_int_equal(gpu_peak_read(root, "0000:05:00.0", &p), -ENOENT);
        write_file("sys/bus/pci/devices/0000:05:00.0/pp_dpm_sclk", "0: 800Mhz\n1: 1300Mhz\n");
        assert_int_equal(gpu_sclk_now(root, "0000:05:00.0"), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_peak_formula),
                cmocka_unit_test(test_read_fixture),
                cmocka_unit_test(test_missing_clock),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
