/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * ROCm SMI, dlopen()ed at run time (librocm_smi64.so.7/.6/.5/.1): the
 * temperature and busy % of the GPU under test, for the heartbeats. All of
 * it is optional: without the library or the device the self-test runs
 * without the readings.
 */

#include <stdint.h>

typedef struct smi smi;

/*
 * "0000:03:00.0" -> the BDFID ROCm SMI uses:
 * (domain << 32) | (bus << 8) | (device << 3) | function.
 * Returns: 0, -EINVAL for a malformed slot.
 */
int smi_bdfid_from_slot(const char *pci_slot, uint64_t *ret);

/*
 * Load ROCm SMI and find the device at pci_slot. RDNA1_SELFTEST_SMI_LIB
 * (':'-separated names or paths) replaces the list of libraries.
 * Returns: 0; -ENOENT (no library or a symbol missing), -EIO (rsmi_init
 * failed), -ENODEV (no device at that slot), -EINVAL, -ENOMEM.
 */
int smi_open(const char *pci_slot, smi **ret);

/*
 * Current edge temperature (degrees C) and busy %, each -1 when the sensor
 * cannot be read. Returns: 0 when at least one reading was made, else -EIO.
 */
int smi_sample(smi *s, double *ret_temperature_c, int *ret_busy_percent);

/* rsmi_shut_down and free; NULL-safe, returns NULL. */
smi *smi_close(smi *s);
