/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON lines on stdout for the doctor's watchdog. Lines are written with a
 * single fwrite under a mutex and flushed at once, so a heartbeat from the
 * timer thread can never split an event line.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;

int proto_init(void)
{
        int fd;

        fflush(stdout);
        fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        out = fdopen(fd, "w");
        if (!out) {
                int r = -errno;

                close(fd);
                return r;
        }
        /* from here on stray stdout writes (HIP, ROCm SMI) land on stderr, not in the protocol */
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                return -errno;
        return 0;
}

json_object *proto_event(const char *name)
{
        json_object *o = json_object_new_object(), *n = json_object_new_string(name);

        if (!o || !n)
                abort();
        json_object_object_add(o, "event", n);
        return o;
}

int proto_emit(json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        FILE *f;
        int r = 0;

        if (!s)
                abort();
        pthread_mutex_lock(&out_lock);
        f = out ? out : stdout;
        if (fputs(s, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF)
                r = -EIO;
        pthread_mutex_unlock(&out_lock);
        json_object_put(o);
        return r;
}

json_object *proto_new_double(double v)
{
        return isfinite(v) ? json_object_new_double(v) : NULL;
}

void proto_error(const char *message, const char *missing)
{
        json_object *o = proto_event("error");

        json_object_object_add(o, "message", json_object_new_string(message));
        json_object_object_add(o, "missing", missing ? json_object_new_string(missing) : NULL);
        (void)proto_emit(o);
}

/* Heartbeat state: written by the main thread, read by the timer. */
static pthread_mutex_t hb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hb_cond = PTHREAD_COND_INITIALIZER;
static pthread_t hb_thread;
static bool hb_running, hb_stop;
static unsigned hb_interval_ms;
static proto_sampler hb_sampler;
static void *hb_userdata;
static int hb_index;
static double hb_progress;

void proto_set_progress(int index, double progress)
{
        pthread_mutex_lock(&hb_lock);
        hb_index = index < 0 ? 0 : index;
        hb_progress = progress < 0 ? 0 : progress > 1 ? 1 : progress;
        pthread_mutex_unlock(&hb_lock);
}

void proto_heartbeat_now(void)
{
        json_object *o = proto_event("heartbeat");
        proto_sample smp = {.temperature_c = -1, .busy_percent = -1};
        int index;
        double progress;

        pthread_mutex_lock(&hb_lock);
        index = hb_index;
        progress = hb_progress;
        pthread_mutex_unlock(&hb_lock);
        /* hb_sampler is set before the thread starts and cleared after it is joined */
        if (hb_sampler)
                hb_sampler(hb_userdata, &smp);
        json_object_object_add(o, "index", json_object_new_int(index));
        json_object_object_add(o, "progress", json_object_new_double(progress));
        if (smp.temperature_c >= 0)
                json_object_object_add(o, "temperature_c", json_object_new_double(smp.temperature_c));
        if (smp.busy_percent >= 0)
                json_object_object_add(o, "busy_percent", json_object_new_int(smp.busy_percent));
        (void)proto_emit(o);
}

static void *heartbeat_main(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&hb_lock);
        while (!hb_stop) {
                struct timespec until;
                int r;

                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += hb_interval_ms / 1000;
                until.tv_nsec += (long)(hb_interval_ms % 1000) * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                do
                        r = pthread_cond_timedwait(&hb_cond, &hb_lock, &until);
                while (r == 0 && !hb_stop);
                if (hb_stop)
                        break;
                pthread_mutex_unlock(&hb_lock);
                proto_heartbeat_now();
                pthread_mutex_lock(&hb_lock);
        }
        pthread_mutex_unlock(&hb_lock);
        return NULL;
}

int proto_heartbeat_start(unsigned interval_ms, proto_sampler sampler, void *userdata)
{
        pthread_condattr_t attr;
        int r;

        if (hb_running)
                return -EBUSY;
        /* a monotonic clock for the waits: a clock change must not stop the heartbeats */
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_destroy(&hb_cond);
        pthread_cond_init(&hb_cond, &attr);
        pthread_condattr_destroy(&attr);
        hb_interval_ms = interval_ms ? interval_ms : 500;
        hb_sampler = sampler;
        hb_userdata = userdata;
        hb_stop = false;
        r = pthread_create(&hb_thread, NULL, heartbeat_main, NULL);
        if (r != 0) {
                hb_sampler = NULL;
                return -r;
        }
        hb_running = true;
        return 0;
}

void proto_heartbeat_stop(void)
{
        if (!hb_running)
                return;
        pthread_mutex_lock(&hb_lock);
        hb_stop = true;
        pthread_cond_signal(&hb_cond);
        pthread_mutex_unlock(&hb_lock);
        pthread_join(hb_thread, NULL);
        hb_running = false;
        hb_sampler = NULL;
        hb_userdata = NULL;
}
