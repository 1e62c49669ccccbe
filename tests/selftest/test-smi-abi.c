/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The helper's ROCm SMI code (src/selftest/smi.c) against the real library:
 *
 * - at compile time, every function of smi_abi.h has, in the installed
 *   rocm_smi.h (Debian: librocm-smi-dev), exactly the type smi.c calls it
 *   with (_Generic: compatible types, without linking the library), and
 *   the constants agree: a mismatch fails this file's build;
 * - at run time, smi_open() loads the installed librocm_smi64 and resolves
 *   every function (dlsym of each name of SMI_FUNCTIONS in the library it
 *   loaded); on a machine without an AMD GPU, rsmi_init's failure is an
 *   error with its reason (-EIO), before SMI_OPEN_TIMEOUT_MS (-ETIMEDOUT is
 *   a failure here: the real library must not block without a GPU).
 *
 * Exit 0 pass, 1 fail, 77 skip (the library is not installed; a failure
 * with CI=true).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rocm_smi/rocm_smi.h>

#include "smi.h"
#include "smi_abi.h"

/* _Generic selects by type compatibility: 1 only when the real function has smi.c's type */
#define SMI_CHECK_TYPE(member, symbol)                                                            \
        _Static_assert(_Generic(&symbol, smi_##member##_fn *: 1, default: 0),                     \
                       #symbol " in rocm_smi.h does not have the type smi_abi.h gives it (smi_" #member "_fn)");
SMI_FUNCTIONS(SMI_CHECK_TYPE)
#undef SMI_CHECK_TYPE

_Static_assert(sizeof(rsmi_status_t) == sizeof(smi_status), "rsmi_status_t's size");
_Static_assert(_Generic((rsmi_status_t)0, smi_status: 1, default: 0), "rsmi_status_t is not unsigned int");
_Static_assert(_Generic((rsmi_temperature_metric_t)0, smi_temperature_metric: 1, default: 0),
               "rsmi_temperature_metric_t is not unsigned int");
_Static_assert((long)SMI_STATUS_SUCCESS == (long)RSMI_STATUS_SUCCESS, "RSMI_STATUS_SUCCESS");
_Static_assert((long)SMI_INIT_FLAG_ALL_GPUS == (long)RSMI_INIT_FLAG_ALL_GPUS, "RSMI_INIT_FLAG_ALL_GPUS");
_Static_assert((long)SMI_TEMP_TYPE_EDGE == (long)RSMI_TEMP_TYPE_EDGE, "RSMI_TEMP_TYPE_EDGE");
_Static_assert((long)SMI_TEMP_CURRENT == (long)RSMI_TEMP_CURRENT, "RSMI_TEMP_CURRENT");

static int failures;

#define CHECK(cond, ...)                                        \
        do {                                                    \
                if (!(cond)) {                                  \
                        printf("FAIL: " __VA_ARGS__);           \
                        printf("\n");                           \
                        failures++;                             \
                }                                               \
        } while (0)

static int skip(const char *why)
{
        const char *ci = getenv("CI");

        if (ci && strcmp(ci, "true") == 0) {
                printf("FAIL: %s (CI=true: it is a prerequisite)\n", why);
                return 1;
        }
        printf("SKIP: %s\n", why);
        return 77;
}

int main(void)
{
        smi_error err = {};
        smi *s = NULL;
        void *lib;
        int r;

        /* the name Debian's librocm-smi64-1 installs (Debian 12 and 13) */
        lib = dlopen("librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return skip("librocm_smi64.so.1 cannot be loaded (Debian: librocm-smi64-1)");
        /* the helper's own list of libraries, not an override */
        unsetenv("RDNA1_SELFTEST_SMI_LIB");

        r = smi_open("0000:03:00.0", SMI_OPEN_TIMEOUT_MS, &err, &s);
        printf("smi_open: %d (%s), library '%s': %s\n", r, r < 0 ? strerror(-r) : "ok", err.library, err.message);
        CHECK(r != -ENOENT, "smi.c could not load ROCm SMI or resolve its functions: %s", err.message);
        CHECK(r != -ETIMEDOUT, "ROCm SMI did not start within %u ms", SMI_OPEN_TIMEOUT_MS);
        if (r == 0) {
                printf("ROCm SMI sees a GPU at 0000:03:00.0 (%s)\n", smi_library(s));
                s = smi_close(s);
        } else
                CHECK(*err.message, "smi_open failed without a reason");

        /* what was loaded has every function smi.c resolves, by the names of the same list */
        if (*err.library) {
                void *h = dlopen(err.library, RTLD_NOW | RTLD_NOLOAD);

                CHECK(h, "%s is not the library smi.c loaded", err.library);
#define SMI_CHECK_SYMBOL(member, symbol) CHECK(!h || dlsym(h, #symbol), "%s has no %s", err.library, #symbol);
                SMI_FUNCTIONS(SMI_CHECK_SYMBOL)
#undef SMI_CHECK_SYMBOL
        }

        if (access("/dev/kfd", F_OK) != 0 && access("/sys/class/drm", F_OK) != 0) {
                /* no GPU and no DRM here: rsmi_init itself fails, and that is "no sensors" with its reason */
                CHECK(r == -EIO, "without a GPU: smi_open returned %d, want -EIO (rsmi_init failed)", r);
                CHECK(strstr(err.message, "rsmi_init failed"), "the reason does not name rsmi_init: %s", err.message);
                CHECK(strstr(err.library, "librocm_smi64.so."), "no library named: '%s'", err.library);
        } else
                printf("note: this machine has /dev/kfd or /sys/class/drm; the rsmi_init failure is not asserted\n");

        if (failures)
                return 1;
        printf("ok smi.c against %s\n", err.library);
        return 0;
}
