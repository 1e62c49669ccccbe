/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The part of ROCm SMI's C interface (rocm_smi.h, docs/DOMAIN.md §7) that
 * smi.c uses, in plain C types so that the helper builds without ROCm. This
 * is the one declaration of it: smi.c resolves exactly SMI_FUNCTIONS with
 * these types, and tests/selftest/test-smi-abi.c checks each type and
 * constant against the installed rocm_smi.h at compile time.
 */

#include <stdint.h>

/*
 * rsmi_status_t is an enum whose largest value is 0xFFFFFFFF
 * (RSMI_STATUS_UNKNOWN_ERROR): its type is unsigned int, not int.
 * rsmi_temperature_metric_t has small non-negative values only: unsigned
 * int as well.
 */
typedef unsigned int smi_status;
typedef unsigned int smi_temperature_metric;

enum {
        SMI_STATUS_SUCCESS = 0,
        SMI_INIT_FLAG_ALL_GPUS = 1,
        SMI_TEMP_TYPE_EDGE = 0,
        SMI_TEMP_CURRENT = 0,
};

typedef smi_status smi_init_fn(uint64_t init_flags);
typedef smi_status smi_shut_down_fn(void);
typedef smi_status smi_status_string_fn(smi_status status, const char **status_string);
typedef smi_status smi_num_monitor_devices_fn(uint32_t *num_devices);
typedef smi_status smi_dev_pci_id_get_fn(uint32_t dv_ind, uint64_t *bdfid);
typedef smi_status smi_dev_temp_metric_get_fn(uint32_t dv_ind, uint32_t sensor_type, smi_temperature_metric metric,
                                              int64_t *temperature);
typedef smi_status smi_dev_busy_percent_get_fn(uint32_t dv_ind, uint32_t *busy_percent);

/*
 * X(member, symbol): every function smi.c resolves, as the member of
 * struct smi_functions (of type smi_<member>_fn *) and its name in the
 * library. All are required: a library that lacks one gives no sensors.
 */
#define SMI_FUNCTIONS(X)                                        \
        X(init, rsmi_init)                                      \
        X(shut_down, rsmi_shut_down)                            \
        X(status_string, rsmi_status_string)                    \
        X(num_monitor_devices, rsmi_num_monitor_devices)        \
        X(dev_pci_id_get, rsmi_dev_pci_id_get)                  \
        X(dev_temp_metric_get, rsmi_dev_temp_metric_get)        \
        X(dev_busy_percent_get, rsmi_dev_busy_percent_get)

struct smi_functions {
#define SMI_FUNCTION_MEMBER(member, symbol) smi_##member##_fn *member;
        SMI_FUNCTIONS(SMI_FUNCTION_MEMBER)
#undef SMI_FUNCTION_MEMBER
};
