/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ROCm SMI through dlopen: the signatures are those of rocm_smi.h (ROCm
 * 5.0 to 5.7 and later, docs/DOMAIN.md §7), declared here with plain C types so
 * that no ROCm header or library is needed to build.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "smi.h"

typedef int rsmi_status;

enum {
        RSMI_STATUS_SUCCESS = 0,
        RSMI_INIT_FLAG_ALL_GPUS = 1,
        RSMI_TEMP_TYPE_EDGE = 0,
        RSMI_TEMP_CURRENT = 0,
};

struct smi {
        void *lib;
        uint32_t index;
        rsmi_status (*init)(uint64_t flags);
        rsmi_status (*shut_down)(void);
        rsmi_status (*num_monitor_devices)(uint32_t *n);
        rsmi_status (*dev_pci_id_get)(uint32_t dv, uint64_t *bdfid);
        rsmi_status (*dev_temp_metric_get)(uint32_t dv, uint32_t sensor, int metric, int64_t *temperature);
        rsmi_status (*dev_busy_percent_get)(uint32_t dv, uint32_t *busy);
};

static const char *const smi_libs[] = {"librocm_smi64.so.7", "librocm_smi64.so.6", "librocm_smi64.so.5",
                                       "librocm_smi64.so.1"};

int smi_bdfid_from_slot(const char *pci_slot, uint64_t *ret)
{
        unsigned dom, bus, dev, fn;
        int n = 0;

        if (!pci_slot || sscanf(pci_slot, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 || pci_slot[n] ||
            bus > 0xff || dev > 0x1f || fn > 7)
                return -EINVAL;
        *ret = ((uint64_t)dom << 32) | ((uint64_t)bus << 8) | ((uint64_t)dev << 3) | fn;
        return 0;
}

static void *smi_dlopen(void)
{
        const char *override = getenv("RDNA1_SELFTEST_SMI_LIB");
        void *h = NULL;

        if (override && *override) {
                _cleanup_free_ char *list = strdup(override);
                char *save = NULL;

                if (!list)
                        return NULL;
                for (char *n = strtok_r(list, ":", &save); n && !h; n = strtok_r(NULL, ":", &save))
                        h = dlopen(n, RTLD_NOW | RTLD_LOCAL);
                return h;
        }
        for (size_t i = 0; i < ELEMENTSOF(smi_libs) && !h; i++)
                h = dlopen(smi_libs[i], RTLD_NOW | RTLD_LOCAL);
        return h;
}

smi *smi_close(smi *s)
{
        if (!s)
                return NULL;
        if (s->shut_down)
                s->shut_down();
        /* like libamdhip64, the library stays mapped (its threads may outlive shut_down) */
        free(s);
        return NULL;
}

int smi_open(const char *pci_slot, smi **ret)
{
        smi *s;
        uint64_t want;
        uint32_t n = 0;
        int r;

        r = smi_bdfid_from_slot(pci_slot, &want);
        if (r < 0)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->lib = smi_dlopen();
        if (!s->lib) {
                free(s);
                return -ENOENT;
        }
        *(void **)&s->init = dlsym(s->lib, "rsmi_init");
        *(void **)&s->num_monitor_devices = dlsym(s->lib, "rsmi_num_monitor_devices");
        *(void **)&s->dev_pci_id_get = dlsym(s->lib, "rsmi_dev_pci_id_get");
        *(void **)&s->dev_temp_metric_get = dlsym(s->lib, "rsmi_dev_temp_metric_get");
        *(void **)&s->dev_busy_percent_get = dlsym(s->lib, "rsmi_dev_busy_percent_get");
        if (!s->init || !s->num_monitor_devices || !s->dev_pci_id_get || !s->dev_temp_metric_get ||
            !s->dev_busy_percent_get || !dlsym(s->lib, "rsmi_shut_down")) {
                free(s);
                return -ENOENT;
        }
        if (s->init(RSMI_INIT_FLAG_ALL_GPUS) != RSMI_STATUS_SUCCESS) {
                free(s);
                return -EIO;
        }
        /* from here on smi_close() must shut it down */
        *(void **)&s->shut_down = dlsym(s->lib, "rsmi_shut_down");
        if (s->num_monitor_devices(&n) != RSMI_STATUS_SUCCESS)
                n = 0;
        for (uint32_t i = 0; i < n; i++) {
                uint64_t id;

                if (s->dev_pci_id_get(i, &id) == RSMI_STATUS_SUCCESS && id == want) {
                        s->index = i;
                        *ret = s;
                        return 0;
                }
        }
        smi_close(s);
        return -ENODEV;
}

int smi_sample(smi *s, double *ret_temperature_c, int *ret_busy_percent)
{
        int64_t milli;
        uint32_t busy;
        double t = -1;
        int b = -1;

        if (s->dev_temp_metric_get(s->index, RSMI_TEMP_TYPE_EDGE, RSMI_TEMP_CURRENT, &milli) == RSMI_STATUS_SUCCESS &&
            milli >= 0)
                t = (double)milli / 1000.0;
        if (s->dev_busy_percent_get(s->index, &busy) == RSMI_STATUS_SUCCESS && busy <= 100)
                b = (int)busy;
        if (t < 0 && b < 0)
                return -EIO;
        *ret_temperature_c = t;
        *ret_busy_percent = b;
        return 0;
}
