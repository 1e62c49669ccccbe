/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rdna1-selftest: the self-test helper. Runs the convolution sweep on a
 * backend (cpu, hip), checks every output on the CPU against the
 * double-precision reference with the per-element bound, runs each case
 * twice for bitwise repeatability, and speaks PROTOCOL.md on stdout.
 * The doctor runs it as the invoking user under its watchdog.
 *
 * Exit: 0 pass, 20 wrong result, 3 could not run, 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "base/util.h"
#include "config.h"
#include "conv_cpu.h"
#include "gemm_config.h"
#include "gpu_peak.h"
#include "protocol.h"
#include "smi.h"
#include "sweep.h"

enum {
        EXIT_PASS = 0,
        EXIT_CANNOT_RUN = 3,
        EXIT_WRONG_RESULT = 20,
        EXIT_USAGE = 64,
};

typedef struct options {
        const char *backend;
        enum sweep_kind sweep;
        unsigned stress_seconds;
        bool inject_errors;
        backend_options bo;
} options;

typedef struct case_result {
        bool pass, repeatable;
        double ms, gflops, max_abs_err, worst_ratio;
        size_t bad, first_bad;
        int injected;           /* elements corrupted on purpose (--inject-errors) */
        char plan[32];          /* the GEMM's tile configuration and K chunks, "64x64/s4" */
        int sclk_mhz;           /* the engine clock right after the case; < 0 unknown */
} case_result;

/* The buffers of one case; NULL-safe release. */
typedef struct case_buffers {
        float *x, *w, *y, *y2;
        double *ref, *abs;
} case_buffers;

static void case_buffers_free(case_buffers *b)
{
        free(b->x);
        free(b->w);
        free(b->y);
        free(b->y2);
        free(b->ref);
        free(b->abs);
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: rdna1-selftest --backend cpu|hip [--quick|--standard|--stress SECONDS]\n"
                   "                      [--device PCI_SLOT] [--inject-errors] [--code-object PATH]\n"
                   "The rdna1-doctor self-test helper: convolution (tiled GEMM on im2col) checked against a\n"
                   "double-precision reference; JSON lines on stdout (see rdna1-doctor(8)).\n"
                   "Exit: 0 pass, 20 wrong result, 3 could not run, 64 usage.\n");
}

/* Returns: 1 to run, 0 for --help, < 0 for a usage error. */
static int parse_args(int argc, char **argv, options *ret)
{
        static const struct option opts[] = {
                {"backend", required_argument, NULL, 'b'},     {"quick", no_argument, NULL, 'q'},
                {"standard", no_argument, NULL, 's'},          {"stress", required_argument, NULL, 'S'},
                {"device", required_argument, NULL, 'd'},      {"inject-errors", no_argument, NULL, 'i'},
                {"code-object", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
                {},
        };
        options o = {.sweep = SWEEP_STANDARD};
        int c;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        o.backend = optarg;
                        break;
                case 'q':
                        o.sweep = SWEEP_QUICK;
                        o.stress_seconds = 0;
                        break;
                case 's':
                        o.sweep = SWEEP_STANDARD;
                        o.stress_seconds = 0;
                        break;
                case 'S': {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || *optarg == '-' || v == 0 || v > 86400)
                                return -EINVAL;
                        /* stress repeats the standard cases */
                        o.sweep = SWEEP_STANDARD;
                        o.stress_seconds = (unsigned)v;
                        break;
                }
                case 'd':
                        o.bo.device = optarg;
                        break;
                case 'i':
                        o.inject_errors = true;
                        break;
                case 'c':
                        o.bo.code_object = optarg;
                        break;
                case 'h':
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc || !o.backend || (!streq(o.backend, "cpu") && !streq(o.backend, "hip")))
                return -EINVAL;
        *ret = o;
        return 1;
}

static double max_abs_error(const float *y, const double *ref, size_t n)
{
        double m = 0;

        for (size_t i = 0; i < n; i++) {
                double e = fabs((double)y[i] - ref[i]);

                if (!(e <= m)) /* NaN wins */
                        m = e;
        }
        return m;
}

/*
 * One case: the backend's convolution twice on the same random inputs
 * (timed: the first), errors injected into the first output when asked,
 * then the bound check against the reference and the bitwise comparison.
 * Returns: 0 (the verdict is in ret), -ENOMEM, -EINVAL, -EIO (backend).
 */
static int run_case(selftest_backend *be, const struct conv_shape *s, bool inject, uint64_t seed,
                    case_result *ret)
{
        _cleanup_(case_buffers_free) case_buffers b = {0};
        case_result cr = {0};
        struct conv_dims d;
        struct conv_check chk;
        struct conv_sum sum;
        struct gemm_plan plan;
        double t0;
        int r;

        r = conv_shape_dims(s, &d);
        if (r < 0)
                return r;
        r = backend_plan(be, s, &plan);
        if (r < 0)
                return r;
        gemm_plan_format(&plan, cr.plan, sizeof(cr.plan));
        /* split-K sums in another order than one pass over K: its own (never larger) bound */
        sum = conv_sum_plan(&plan, d.k);
        b.x = malloc(d.x_len * sizeof(float));
        b.w = malloc(d.w_len * sizeof(float));
        b.y = malloc(d.y_len * sizeof(float));
        b.y2 = malloc(d.y_len * sizeof(float));
        b.ref = malloc(d.y_len * sizeof(double));
        b.abs = malloc(d.y_len * sizeof(double));
        if (!b.x || !b.w || !b.y || !b.y2 || !b.ref || !b.abs)
                return -ENOMEM;
        conv_fill_random(b.x, d.x_len, seed);
        conv_fill_random(b.w, d.w_len, seed ^ 0x9e3779b97f4a7c15ull);

        t0 = now_s();
        r = be->conv(be, s, &plan, b.x, b.w, b.y);
        if (r < 0)
                return r;
        cr.ms = (now_s() - t0) * 1000.0;
        proto_heartbeat_now(); /* between chunks: a long case shows progress without the timer too */
        r = be->conv(be, s, &plan, b.x, b.w, b.y2);
        if (r < 0)
                return r;
        /* judged before any injection: the two runs themselves must agree bit for bit */
        cr.repeatable = conv_outputs_identical(b.y, b.y2, d.y_len);
        if (inject) {
                size_t pos[4];

                /* the corner tile: partial in M (and N) for every sweep case, the hardest place to notice */
                cr.injected = conv_inject_errors(s, b.y, CONV_INJECT_EDGE_MN, pos);
                if (cr.injected < 0)
                        return cr.injected;
        }
        r = conv_reference(s, b.x, b.w, b.ref, b.abs);
        if (r < 0)
                return r;
        cr.bad = conv_check_bound(d.y_len, &sum, b.y, b.ref, b.abs, &chk);
        cr.first_bad = chk.first_bad;
        cr.worst_ratio = chk.worst_ratio;
        cr.max_abs_err = max_abs_error(b.y, b.ref, d.y_len);
        cr.pass = cr.bad == 0 && cr.repeatable;
        cr.gflops = cr.ms > 0 ? 2.0 * (double)d.m * (double)d.n * (double)d.k * s->n / (cr.ms * 1e6) : 0;
        *ret = cr;
        return 0;
}

static json_object *device_json(const selftest_backend *be)
{
        json_object *o;

        if (!be->has_device)
                return NULL;
        o = json_object_new_object();
        if (!o)
                abort();
        json_object_object_add(o, "pci_slot", *be->device.pci_slot ? json_object_new_string(be->device.pci_slot) : NULL);
        json_object_object_add(o, "name", *be->device.name ? json_object_new_string(be->device.name) : NULL);
        json_object_object_add(o, "gfx_target",
                               *be->device.gfx_target ? json_object_new_string(be->device.gfx_target) : NULL);
        json_object_object_add(o, "compute_units",
                               be->device.compute_units >= 0 ? json_object_new_int(be->device.compute_units) : NULL);
        return o;
}

/* The device's FP32 peak (KFD topology); peak_gflops 0 when unknown or on the CPU backend. */
static struct gpu_peak device_peak;

/*
 * The heartbeats' sensors: ROCm SMI's library, or why there are none (NULL
 * for a run without a GPU, where none are looked for).
 */
typedef struct sensors_state {
        const char *library;
        const char *missing;
} sensors_state;

static void emit_start(const options *o, const selftest_backend *be, size_t n_cases, const sensors_state *sensors)
{
        json_object *ev = proto_event("start"), *tiles = json_object_new_array();

        if (!tiles)
                abort();
        json_object_object_add(ev, "backend", json_object_new_string(be->name));
        json_object_object_add(ev, "sweep", json_object_new_string(o->stress_seconds ? "stress"
                                                                   : sweep_kind_to_string(o->sweep)));
        json_object_object_add(ev, "cases", json_object_new_int(o->stress_seconds ? 0 : (int)n_cases));
        json_object_object_add(ev, "device", device_json(be));
        json_object_object_add(ev, "runtime", be->runtime ? json_object_new_string(be->runtime) : NULL);
        for (int c = 0; c < _GEMM_CFG_MAX; c++)
                json_object_array_add(tiles, json_object_new_string(gemm_configs[c].name));
        json_object_object_add(ev, "tile_configs", tiles);
        json_object_object_add(ev, "fp32_peak_gflops",
                               device_peak.peak_gflops > 0 ? json_object_new_double(device_peak.peak_gflops) : NULL);
        json_object_object_add(ev, "max_sclk_mhz",
                               device_peak.max_sclk_mhz > 0 ? json_object_new_int(device_peak.max_sclk_mhz) : NULL);
        json_object_object_add(ev, "sensors", sensors->library ? json_object_new_string(sensors->library) : NULL);
        if (sensors->missing)
                json_object_object_add(ev, "no_sensors", json_object_new_string(sensors->missing));
        json_object_object_add(ev, "inject_errors", json_object_new_boolean(o->inject_errors));
        (void)proto_emit(ev);
}

static void emit_case(int index, const char *name, const case_result *cr)
{
        json_object *ev = proto_event("case");

        json_object_object_add(ev, "index", json_object_new_int(index));
        json_object_object_add(ev, "name", json_object_new_string(name));
        json_object_object_add(ev, "result", json_object_new_string(cr->pass ? "pass" : "wrong-result"));
        json_object_object_add(ev, "ms", json_object_new_double(cr->ms));
        json_object_object_add(ev, "gflops", json_object_new_double(cr->gflops));
        json_object_object_add(ev, "plan", json_object_new_string(cr->plan));
        /* the whole case (transfers included) against the card's peak: low when throttled or slow */
        json_object_object_add(ev, "peak_fraction", device_peak.peak_gflops > 0
                                                            ? json_object_new_double(cr->gflops / device_peak.peak_gflops)
                                                            : NULL);
        json_object_object_add(ev, "sclk_mhz", cr->sclk_mhz > 0 ? json_object_new_int(cr->sclk_mhz) : NULL);
        json_object_object_add(ev, "max_abs_err", proto_new_double(cr->max_abs_err));
        json_object_object_add(ev, "worst_ratio", proto_new_double(cr->worst_ratio));
        json_object_object_add(ev, "bad_elements", json_object_new_int64((int64_t)cr->bad));
        if (cr->bad)
                json_object_object_add(ev, "first_bad_element", json_object_new_int64((int64_t)cr->first_bad));
        json_object_object_add(ev, "repeatable", json_object_new_boolean(cr->repeatable));
        if (cr->injected > 0)
                json_object_object_add(ev, "injected_errors", json_object_new_int(cr->injected));
        (void)proto_emit(ev);
}

static void smi_sampler(void *userdata, proto_sample *ret)
{
        smi *s = userdata;

        if (smi_sample(s, &ret->temperature_c, &ret->busy_percent) < 0) {
                ret->temperature_c = -1;
                ret->busy_percent = -1;
        }
}

/*
 * The PCI slot whose sensors the heartbeats carry: the backend's GPU. With
 * test hooks (-Dtest_hooks=true), RDNA1_SELFTEST_SENSORS_SLOT gives one to
 * a CPU run, so that ROCm SMI's paths run on machines without a GPU.
 */
static const char *sensors_slot(const selftest_backend *be)
{
        const char *v = RDNA1_TEST_HOOKS ? getenv("RDNA1_SELFTEST_SENSORS_SLOT") : NULL;

        if (be->has_device)
                return be->device.pci_slot;
        return v && *v ? v : NULL;
}

static int open_backend(const options *o, selftest_backend **ret)
{
        backend_error err = {};
        int r;

        r = streq(o->backend, "hip") ? backend_hip_open(&o->bo, &err, ret) : backend_cpu_open(&o->bo, &err, ret);
        if (r < 0) {
                if (!*err.message)
                        snprintf(err.message, sizeof(err.message), "the %s backend cannot start: %s; use --backend cpu",
                                 o->backend, strerror(-r));
                proto_error(err.message, *err.missing ? err.missing : NULL);
                fprintf(stderr, "rdna1-selftest: %s\n", err.message);
        }
        return r;
}

/* The sweep; returns the exit code. */
static int run_sweep(const options *o, selftest_backend *be)
{
        const struct conv_shape *cases;
        size_t n_cases;
        unsigned passed = 0, failed = 0;
        double start = now_s(), deadline = start + o->stress_seconds;
        json_object *ev;

        cases = sweep_cases(o->sweep, &n_cases);
        if (!cases || n_cases == 0) {
                proto_error("no self-test cases for this sweep", "the sweep's cases");
                return EXIT_CANNOT_RUN;
        }
        for (size_t i = 0, round = 0;; i++) {
                case_result cr = {};
                char name[128];
                int index, r;

                if (i == n_cases) {
                        if (!o->stress_seconds || now_s() >= deadline)
                                break;
                        i = 0;
                        round++;
                }
                index = (int)(round * n_cases + i);
                conv_shape_format(&cases[i], name, sizeof(name));
                proto_set_progress(index, o->stress_seconds ? (now_s() - start) / o->stress_seconds
                                                            : (double)i / (double)n_cases);
                ev = proto_event("case-start");
                json_object_object_add(ev, "index", json_object_new_int(index));
                json_object_object_add(ev, "name", json_object_new_string(name));
                (void)proto_emit(ev);

                r = run_case(be, &cases[i], o->inject_errors && index == 0, 0x5eed0000ull + i, &cr);
                if (r < 0) {
                        char msg[768];

                        /* the run could not complete: no verdict on correctness */
                        snprintf(msg, sizeof(msg), "case %s: %s%s%s; use --backend cpu", name, strerror(-r),
                                 *be->last_error ? ": " : "", be->last_error);
                        proto_heartbeat_stop();
                        proto_error(msg, r == -ENOMEM ? "memory" : "a working GPU run");
                        fprintf(stderr, "rdna1-selftest: %s\n", msg);
                        return EXIT_CANNOT_RUN;
                }
                cr.sclk_mhz = be->has_device ? gpu_sclk_now("/", be->device.pci_slot) : -1;
                if (cr.pass)
                        passed++;
                else {
                        failed++;
                        fprintf(stderr, "rdna1-selftest: case %d (%s): wrong result, %zu element(s) outside the bound%s\n",
                                index, name, cr.bad, cr.repeatable ? "" : ", not repeatable");
                }
                emit_case(index, name, &cr);
        }
        proto_set_progress((int)n_cases, 1);
        proto_heartbeat_stop();
        ev = proto_event("end");
        json_object_object_add(ev, "result", json_object_new_string(failed ? "wrong-result" : "pass"));
        json_object_object_add(ev, "cases_passed", json_object_new_int((int)passed));
        json_object_object_add(ev, "cases_failed", json_object_new_int((int)failed));
        (void)proto_emit(ev);
        return failed ? EXIT_WRONG_RESULT : EXIT_PASS;
}

int main(int argc, char **argv)
{
        selftest_backend *be = NULL;
        smi *sensors = NULL;
        smi_error smi_err = {};
        sensors_state ss = {};
        const char *slot;
        size_t n_cases;
        options o;
        int r, code;

        r = parse_args(argc, argv, &o);
        if (r <= 0) {
                usage(r == 0 ? stdout : stderr);
                return r == 0 ? EXIT_PASS : EXIT_USAGE;
        }
        r = proto_init();
        if (r < 0)
                fprintf(stderr, "rdna1-selftest: cannot set stdout aside (%s), ignoring.\n", strerror(-r));
        r = open_backend(&o, &be);
        if (r < 0)
                return EXIT_CANNOT_RUN;
        /* the peak is optional too: without KFD's topology the cases carry GFLOP/s only */
        if (be->has_device && gpu_peak_read("/", be->device.pci_slot, &device_peak) < 0)
                device_peak = (struct gpu_peak){0};
        /* readings are optional: without ROCm SMI the heartbeats carry progress only */
        slot = sensors_slot(be);
        if (slot && smi_open(slot, SMI_OPEN_TIMEOUT_MS, &smi_err, &sensors) < 0) {
                ss.missing = smi_err.message;
                fprintf(stderr, "rdna1-selftest: no sensors: %s; the self-test runs without temperature and busy "
                                "readings.\n", smi_err.message);
        }
        ss.library = sensors ? smi_library(sensors) : NULL;
        if (!sweep_cases(o.sweep, &n_cases))
                n_cases = 0;
        emit_start(&o, be, n_cases, &ss);
        r = proto_heartbeat_start(500, sensors ? smi_sampler : NULL, sensors);
        if (r < 0)
                fprintf(stderr, "rdna1-selftest: no heartbeat thread (%s), heartbeats between cases only\n",
                        strerror(-r));
        code = run_sweep(&o, be);
        proto_heartbeat_stop();
        smi_close(sensors);
        backend_free(be);
        return code;
}
