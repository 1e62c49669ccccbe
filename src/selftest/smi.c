/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ROCm SMI through dlopen: the functions and their types are smi_abi.h's
 * (checked against rocm_smi.h by tests/selftest/test-smi-abi.c), so that no
 * ROCm header or library is needed to build. Loading and rsmi_init run in
 * a thread under a deadline: a card whose sysfs reads block must not stop
 * the self-test from starting.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "config.h"
#include "smi.h"
#include "smi_abi.h"

struct smi {
        void *lib;
        uint32_t index;
        bool initialized;       /* rsmi_init succeeded: smi_close() shuts it down */
        char library[256];
        struct smi_functions fn;
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

_printf_(3, 4) static void set_error(smi_error *err, const char *library, const char *fmt, ...)
{
        va_list ap;

        snprintf(err->library, sizeof(err->library), "%s", library);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
}

/* dlopen the first library of the list that loads; its name into s->library. */
static int smi_dlopen(smi *s, smi_error *err)
{
        const char *override = RDNA1_TEST_HOOKS ? getenv("RDNA1_SELFTEST_SMI_LIB") : NULL;

        if (override && *override) {
                _cleanup_free_ char *list = strdup(override);
                char *save = NULL;

                if (!list)
                        return -ENOMEM;
                for (char *n = strtok_r(list, ":", &save); n && !s->lib; n = strtok_r(NULL, ":", &save))
                        if ((s->lib = dlopen(n, RTLD_NOW | RTLD_LOCAL)))
                                snprintf(s->library, sizeof(s->library), "%s", n);
                if (!s->lib)
                        set_error(err, "", "no ROCm SMI library (tried %s)", override);
                return s->lib ? 0 : -ENOENT;
        }
        for (size_t i = 0; i < ELEMENTSOF(smi_libs) && !s->lib; i++)
                if ((s->lib = dlopen(smi_libs[i], RTLD_NOW | RTLD_LOCAL)))
                        snprintf(s->library, sizeof(s->library), "%s", smi_libs[i]);
        if (!s->lib)
                set_error(err, "", "no ROCm SMI library (librocm_smi64.so.7/.6/.5/.1; Debian: librocm-smi64-1)");
        return s->lib ? 0 : -ENOENT;
}

static const char *smi_status_text(const smi *s, smi_status st)
{
        const char *text = NULL;

        if (s->fn.status_string(st, &text) != SMI_STATUS_SUCCESS || !text)
                return "unknown status";
        return text;
}

/* Load, resolve every function of smi_abi.h, rsmi_init, find the device. */
static int smi_start(smi *s, uint64_t want, const char *slot, smi_error *err)
{
        smi_status st;
        uint32_t n = 0;
        int r;

        r = smi_dlopen(s, err);
        if (r < 0)
                return r;
#define SMI_RESOLVE(member, symbol)                                                             \
        *(void **)&s->fn.member = dlsym(s->lib, #symbol);                                       \
        if (!s->fn.member) {                                                                    \
                set_error(err, s->library, "%s has no %s: not a ROCm SMI it can use", s->library, #symbol); \
                return -ENOENT;                                                                 \
        }
        SMI_FUNCTIONS(SMI_RESOLVE)
#undef SMI_RESOLVE
        st = s->fn.init(SMI_INIT_FLAG_ALL_GPUS);
        if (st != SMI_STATUS_SUCCESS) {
                set_error(err, s->library, "%s: rsmi_init failed: %s (status %u)", s->library, smi_status_text(s, st),
                          st);
                return -EIO;
        }
        s->initialized = true;
        if (s->fn.num_monitor_devices(&n) != SMI_STATUS_SUCCESS)
                n = 0;
        for (uint32_t i = 0; i < n; i++) {
                uint64_t id;

                if (s->fn.dev_pci_id_get(i, &id) == SMI_STATUS_SUCCESS && id == want) {
                        s->index = i;
                        return 0;
                }
        }
        set_error(err, s->library, "%s: no GPU at PCI slot %s among its %u device(s)", s->library, slot, n);
        return -ENODEV;
}

smi *smi_close(smi *s)
{
        if (!s)
                return NULL;
        if (s->initialized)
                s->fn.shut_down();
        /* like libamdhip64, the library stays mapped (its threads may outlive shut_down) */
        free(s);
        return NULL;
}

/* What the opening thread and smi_open() share; the last of the two to let go frees it. */
typedef struct smi_opener {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool done, abandoned;
        uint64_t want;
        char slot[64];
        smi *s;
        int r;
        smi_error err;
} smi_opener;

static void smi_opener_free(smi_opener *o)
{
        smi_close(o->s);
        pthread_cond_destroy(&o->cond);
        pthread_mutex_destroy(&o->lock);
        free(o);
}

static void *smi_open_thread(void *userdata)
{
        smi_opener *o = userdata;
        bool abandoned;
        int r;

        r = smi_start(o->s, o->want, o->slot, &o->err);
        pthread_mutex_lock(&o->lock);
        o->r = r;
        o->done = true;
        abandoned = o->abandoned;
        pthread_cond_signal(&o->cond);
        pthread_mutex_unlock(&o->lock);
        if (abandoned)
                smi_opener_free(o); /* smi_open() gave up on it and returned */
        return NULL;
}

static int smi_opener_new(uint64_t want, const char *slot, smi_opener **ret)
{
        pthread_condattr_t ca;
        smi_opener *o;

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->s = calloc(1, sizeof(*o->s));
        if (!o->s) {
                free(o);
                return -ENOMEM;
        }
        o->want = want;
        snprintf(o->slot, sizeof(o->slot), "%s", slot);
        pthread_mutex_init(&o->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&o->cond, &ca);
        pthread_condattr_destroy(&ca);
        *ret = o;
        return 0;
}

/* Start the opening thread with every signal blocked: they are the main thread's to take. */
static int smi_opener_start(smi_opener *o, pthread_t *ret)
{
        sigset_t all, old;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(ret, NULL, smi_open_thread, o);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

int smi_open(const char *pci_slot, unsigned timeout_ms, smi_error *ret_err, smi **ret)
{
        struct timespec deadline;
        smi_opener *o;
        pthread_t thread;
        uint64_t want;
        int r;

        r = smi_bdfid_from_slot(pci_slot, &want);
        if (r < 0) {
                set_error(ret_err, "", "'%s' is not a PCI slot (DOMAIN:BUS:DEVICE.FUNCTION)", pci_slot ? pci_slot : "");
                return r;
        }
        r = smi_opener_new(want, pci_slot, &o);
        if (r < 0) {
                set_error(ret_err, "", "out of memory");
                return r;
        }
        r = smi_opener_start(o, &thread);
        if (r < 0) {
                set_error(ret_err, "", "cannot start a thread for ROCm SMI: %s", strerror(-r));
                smi_opener_free(o);
                return r;
        }

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&o->lock);
        while (!o->done && pthread_cond_timedwait(&o->cond, &o->lock, &deadline) != ETIMEDOUT)
                ;
        if (!o->done) {
                /* blocked in dlopen or rsmi_init: leave it behind, it frees itself if it ever returns */
                o->abandoned = true;
                pthread_mutex_unlock(&o->lock);
                pthread_detach(thread);
                set_error(ret_err, "", "ROCm SMI did not start within %u ms (loading the library or rsmi_init blocked)",
                          timeout_ms);
                return -ETIMEDOUT;
        }
        pthread_mutex_unlock(&o->lock);
        pthread_join(thread, NULL);
        r = o->r;
        if (r < 0)
                *ret_err = o->err;
        else
                *ret = TAKE_PTR(o->s);
        smi_opener_free(o);
        return r;
}

const char *smi_library(const smi *s)
{
        return s->library;
}

int smi_sample(smi *s, double *ret_temperature_c, int *ret_busy_percent)
{
        int64_t milli;
        uint32_t busy;
        double t = -1;
        int b = -1;

        if (s->fn.dev_temp_metric_get(s->index, SMI_TEMP_TYPE_EDGE, SMI_TEMP_CURRENT, &milli) == SMI_STATUS_SUCCESS &&
            milli >= 0)
                t = (double)milli / 1000.0;
        if (s->fn.dev_busy_percent_get(s->index, &busy) == SMI_STATUS_SUCCESS && busy <= 100)
                b = (int)busy;
        if (t < 0 && b < 0)
                return -EIO;
        *ret_temperature_c = t;
        *ret_busy_percent = b;
        return 0;
}
