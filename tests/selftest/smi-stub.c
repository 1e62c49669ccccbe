/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in librocm_smi64 for the unit test of smi.c (test-smi-stub.c) and
 * the helper's sensors test (sensors.sh), built from smi_abi.h's types.
 * RDNA1_SMI_STUB picks what rsmi_init does: "good" (one GPU at
 * 0000:03:00.0, 45 degrees C, 37 % busy), "fail" (RSMI_STATUS_INIT_ERROR,
 * 8), "hang" (never returns). Built with -DSTUB_NO_BUSY it lacks
 * rsmi_dev_busy_percent_get.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smi_abi.h"

#define STUB_INIT_ERROR 8u
#define STUB_BDFID ((uint64_t)0x03 << 8) /* 0000:03:00.0 */

smi_init_fn rsmi_init;
smi_shut_down_fn rsmi_shut_down;
smi_status_string_fn rsmi_status_string;
smi_num_monitor_devices_fn rsmi_num_monitor_devices;
smi_dev_pci_id_get_fn rsmi_dev_pci_id_get;
smi_dev_temp_metric_get_fn rsmi_dev_temp_metric_get;
smi_dev_busy_percent_get_fn rsmi_dev_busy_percent_get;

static int initialized;

smi_status rsmi_init(uint64_t init_flags)
{
        const char *mode = getenv("RDNA1_SMI_STUB");

        if (init_flags != SMI_INIT_FLAG_ALL_GPUS)
                return 1; /* RSMI_STATUS_INVALID_ARGS */
        if (mode && strcmp(mode, "hang") == 0)
                for (;;)
                        pause();
        if (mode && strcmp(mode, "fail") == 0)
                return STUB_INIT_ERROR;
        initialized = 1;
        return SMI_STATUS_SUCCESS;
}

smi_status rsmi_shut_down(void)
{
        initialized = 0;
        return SMI_STATUS_SUCCESS;
}

smi_status rsmi_status_string(smi_status status, const char **status_string)
{
        *status_string = status == STUB_INIT_ERROR ? "stub: initialization failed" : "stub: some status";
        return SMI_STATUS_SUCCESS;
}

smi_status rsmi_num_monitor_devices(uint32_t *num_devices)
{
        *num_devices = initialized ? 1 : 0;
        return SMI_STATUS_SUCCESS;
}

smi_status rsmi_dev_pci_id_get(uint32_t dv_ind, uint64_t *bdfid)
{
        if (!initialized || dv_ind != 0)
                return 1;
        *bdfid = STUB_BDFID;
        return SMI_STATUS_SUCCESS;
}

smi_status rsmi_dev_temp_metric_get(uint32_t dv_ind, uint32_t sensor_type, smi_temperature_metric metric,
                                    int64_t *temperature)
{
        if (!initialized || dv_ind != 0 || sensor_type != SMI_TEMP_TYPE_EDGE || metric != SMI_TEMP_CURRENT)
                return 1;
        *temperature = 45000; /* millidegrees */
        return SMI_STATUS_SUCCESS;
}

#ifndef STUB_NO_BUSY
smi_status rsmi_dev_busy_percent_get(uint32_t dv_ind, uint32_t *busy_percent)
{
        if (!initialized || dv_ind != 0)
                return 1;
        *busy_percent = 37;
        return SMI_STATUS_SUCCESS;
}
#endif
