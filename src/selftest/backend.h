/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The self-test's compute backends behind one interface: each runs the
 * convolution forward (the tiled GEMM of gemm_config.h on im2col's matrix:
 * built by im2col on the CPU, gathered while loading in the HIP kernel;
 * with the tile configuration and K chunks of a gemm_plan) on its device; the caller
 * checks the output on the CPU against the reference.
 */

#include <stdbool.h>

#include "conv_cpu.h"

typedef struct selftest_device {
        char pci_slot[64];      /* "0000:03:00.0" */
        char name[256];
        char gfx_target[32];    /* "gfx1010"; "" when unknown */
        int compute_units;      /* < 0 when unknown */
} selftest_device;

/* Why a backend could not start: the `error` event's message and missing fields. */
typedef struct backend_error {
        char message[768];
        char missing[256];
} backend_error;

typedef struct backend_options {
        const char *device;             /* PCI slot, or NULL for the first device */
        const char *code_object;        /* path to gemm_tiled.co, or NULL for the default */
} backend_options;

typedef struct selftest_backend selftest_backend;
struct selftest_backend {
        const char *name;               /* "cpu", "hip" */
        const char *runtime;            /* e.g. "libamdhip64.so.6"; NULL for none */
        bool has_device;
        selftest_device device;
        /*
         * y = conv(x, w) on the backend's device, its GEMM run as plan says
         * (backend_plan()).
         * Returns: 0, -EINVAL for a bad shape or plan, -ENOMEM, -EIO for a
         * runtime error (its text goes to the backend's error buffer, see below).
         */
        int (*conv)(selftest_backend *b, const struct conv_shape *s, const struct gemm_plan *plan, const float *x,
                    const float *w, float *y);
        void (*destroy)(selftest_backend *b);
        char last_error[512];           /* text of the last -EIO from conv */
};

/*
 * Open a backend. On failure ret_err says what is missing (for the `error`
 * event) and *ret is untouched.
 * Returns: 0; -ENOENT (runtime or code object missing), -ENODEV (no usable
 * device), -ENOMEM, -EIO (the runtime failed).
 */
int backend_cpu_open(const backend_options *o, backend_error *ret_err, selftest_backend **ret);
int backend_hip_open(const backend_options *o, backend_error *ret_err, selftest_backend **ret);

/*
 * The plan for shape s on b's device (its compute units; the CPU backend
 * plans for GEMM_PLAN_CPU_COMPUTE_UNITS, an RDNA1 card's).
 * Returns: 0, -EINVAL for a bad shape.
 */
int backend_plan(const selftest_backend *b, const struct conv_shape *s, struct gemm_plan *ret);

/* NULL-safe; returns NULL. */
selftest_backend *backend_free(selftest_backend *b);
