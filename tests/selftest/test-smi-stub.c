/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smi.c's paths with a stand-in library (smi-stub.c), through
 * RDNA1_SELFTEST_SMI_LIB: a GPU found and read, rsmi_init failing, a
 * function missing, no library, no device at the slot, and rsmi_init
 * never returning, which smi_open() ends at its deadline (-ETIMEDOUT).
 *   test-smi-stub STUB.so STUB-NO-BUSY.so
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smi.h"

static int failures;

#define CHECK(cond, ...)                                        \
        do {                                                    \
                if (!(cond)) {                                  \
                        printf("FAIL: " __VA_ARGS__);           \
                        printf("\n");                           \
                        failures++;                             \
                }                                               \
        } while (0)

static int open_with(const char *lib, const char *mode, const char *slot, unsigned timeout_ms, smi_error *err,
                     smi **ret)
{
        int r;

        setenv("RDNA1_SELFTEST_SMI_LIB", lib, 1);
        setenv("RDNA1_SMI_STUB", mode, 1);
        *err = (smi_error){};
        r = smi_open(slot, timeout_ms, err, ret);
        printf("%s %s %s: %d, '%s'\n", mode, slot, lib, r, err->message);
        return r;
}

int main(int argc, char **argv)
{
        smi_error err;
        smi *s = NULL;
        double t;
        int busy, r;

        if (argc != 3) {
                fprintf(stderr, "usage: test-smi-stub STUB.so STUB-NO-BUSY.so\n");
                return 2;
        }

        r = open_with(argv[1], "good", "0000:03:00.0", 2000, &err, &s);
        CHECK(r == 0 && s, "good: smi_open %d", r);
        if (r == 0) {
                CHECK(strcmp(smi_library(s), argv[1]) == 0, "good: library '%s'", smi_library(s));
                r = smi_sample(s, &t, &busy);
                CHECK(r == 0 && t == 45.0 && busy == 37, "good: sample %d, %.1f C, %d %%", r, t, busy);
                s = smi_close(s);
        }

        r = open_with(argv[1], "good", "0000:04:00.0", 2000, &err, &s);
        CHECK(r == -ENODEV && strstr(err.message, "0000:04:00.0"), "another slot: %d '%s'", r, err.message);

        r = open_with(argv[1], "fail", "0000:03:00.0", 2000, &err, &s);
        CHECK(r == -EIO && strstr(err.message, "rsmi_init failed: stub: initialization failed (status 8)"),
              "init fails: %d '%s'", r, err.message);
        CHECK(strcmp(err.library, argv[1]) == 0, "init fails: library '%s'", err.library);

        r = open_with(argv[2], "good", "0000:03:00.0", 2000, &err, &s);
        CHECK(r == -ENOENT && strstr(err.message, "rsmi_dev_busy_percent_get"), "missing function: %d '%s'", r,
              err.message);

        r = open_with("/nonexistent/librocm_smi64.so.1", "good", "0000:03:00.0", 2000, &err, &s);
        CHECK(r == -ENOENT && !*err.library && strstr(err.message, "no ROCm SMI library"), "no library: %d '%s'", r,
              err.message);

        r = open_with(argv[1], "good", "03:00.0", 2000, &err, &s);
        CHECK(r == -EINVAL, "malformed slot: %d", r);

        /* the bound smi_open enforces, not a clock: rsmi_init never returns */
        r = open_with(argv[1], "hang", "0000:03:00.0", 200, &err, &s);
        CHECK(r == -ETIMEDOUT && strstr(err.message, "within 200 ms"), "hang: %d '%s'", r, err.message);
        CHECK(!s, "a failed smi_open touched *ret");

        if (failures)
                return 1;
        printf("ok smi.c with a stand-in library\n");
        return 0;
}
