/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * ROCm SMI, dlopen()ed at run time (librocm_smi64.so.7/.6/.5/.1): the
 * temperature and busy % of the GPU under test, for the heartbeats. All of
 * it is optional: without the library, the device or a working rsmi_init
 * the self-test runs without the readings ("no sensors", with the reason).
 * The functions it resolves and their types are in smi_abi.h.
 */

#include <stdint.h>

typedef struct smi smi;

/* Why there are no sensors (smi_open's failure). */
typedef struct smi_error {
        char library[256];      /* the ROCm SMI library that was loaded; "" when none */
        char message[512];
} smi_error;

/*
 * How long smi_open() waits for ROCm SMI to load and start: rsmi_init reads
 * the sysfs files of every GPU, and a hung card can block that read.
 */
#define SMI_OPEN_TIMEOUT_MS 5000u

/*
 * "0000:03:00.0" -> the BDFID ROCm SMI uses:
 * (domain << 32) | (bus << 8) | (device << 3) | function.
 * Returns: 0, -EINVAL for a malformed slot.
 */
int smi_bdfid_from_slot(const char *pci_slot, uint64_t *ret);

/*
 * Load ROCm SMI and find the device at pci_slot, waiting at most
 * timeout_ms for the library to load and rsmi_init to return (it runs in
 * a thread that is left behind when it takes longer). In builds with test
 * hooks, RDNA1_SELFTEST_SMI_LIB (':'-separated names or paths) replaces
 * the list of libraries. On failure ret_err says why and *ret is untouched.
 * Returns: 0; -ENOENT (no library, or a function of smi_abi.h missing),
 * -EIO (rsmi_init failed), -ENODEV (no device at that slot), -ETIMEDOUT
 * (not started within timeout_ms), -EINVAL, -ENOMEM, -EAGAIN (no thread).
 */
int smi_open(const char *pci_slot, unsigned timeout_ms, smi_error *ret_err, smi **ret);

/* The library the readings come from, e.g. "librocm_smi64.so.1". */
const char *smi_library(const smi *s);

/*
 * Current edge temperature (degrees C) and busy %, each -1 when the sensor
 * cannot be read. Returns: 0 when at least one reading was made, else -EIO.
 */
int smi_sample(smi *s, double *ret_temperature_c, int *ret_busy_percent);

/* rsmi_shut_down (when rsmi_init succeeded) and free; NULL-safe, returns NULL. */
smi *smi_close(smi *s);
