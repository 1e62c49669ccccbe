/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The helper's side of PROTOCOL.md: one json-c object per stdout line,
 * written whole under a lock (the heartbeat thread writes too), and the
 * heartbeat timer itself.
 */

#include <json-c/json.h>
#include <stdbool.h>

/*
 * Keep the real stdout for the protocol only: it moves to a private fd and
 * fd 1 becomes stderr, so that a library writing to stdout (the HIP
 * runtime, ROCm SMI) cannot break a line. Call before loading either.
 * Returns: 0, or a negative errno (the protocol then goes to stdout as is).
 */
int proto_init(void);

/* A new {"event": name} object. Aborts on OOM: the watchdog classifies that as a crash. */
json_object *proto_event(const char *name);

/*
 * Write o as one line on stdout and flush; o is consumed.
 * Returns: 0, or -EIO when stdout is gone (the doctor stopped reading).
 */
int proto_emit(json_object *o);

/* A JSON number, or null for NaN/Inf (the protocol carries plain JSON only). */
json_object *proto_new_double(double v);

/* The `error` event: the helper could not run at all (the caller then exits 3). */
void proto_error(const char *message, const char *missing);

/*
 * Filled in by the heartbeat thread's sampler, when the sensor is there;
 * negative means "not available".
 */
typedef struct proto_sample {
        double temperature_c;
        int busy_percent;
} proto_sample;

typedef void (*proto_sampler)(void *userdata, proto_sample *ret);

/*
 * Start the heartbeat thread: a `heartbeat` every interval_ms with the
 * progress set by proto_set_progress() and, when sampler is not NULL, its
 * readings. Returns: 0, or a negative errno from pthread_create.
 */
int proto_heartbeat_start(unsigned interval_ms, proto_sampler sampler, void *userdata);

/* Stop and join the thread, so that no heartbeat follows the `end` event. NOP when not running. */
void proto_heartbeat_stop(void);

/* What the next heartbeat reports: the current case and the run's progress (0..1). */
void proto_set_progress(int index, double progress);

/* Emit one heartbeat now, between chunks of work (the same content as the timer's). */
void proto_heartbeat_now(void);
