/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rdna1-selftest: the self-test helper. Runs the convolution sweep and
 * speaks the protocol of PROTOCOL.md on stdout (json-c, one object a line).
 * The doctor runs it as the invoking user under its watchdog.
 *
 *   rdna1-selftest --backend cpu|hip [--quick|--standard|--stress SECONDS]
 *                  [--device PCI_SLOT] [--inject-errors]
 *
 * Exit: 0 pass, 20 wrong result, 3 could not run, 64 usage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conv_cpu.h"
#include "gemm_config.h"
#include "sweep.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* Write one protocol line; the object is consumed. */
static void emit(json_object *o)
{
        pthread_mutex_lock(&out_lock);
        fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), stdout);
        fputc('\n', stdout);
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
        json_object_put(o);
}

static json_object *event(const char *name)
{
        json_object *o = json_object_new_object();

        if (!o)
                abort(); /* the helper's own OOM is a crash the watchdog classifies */
        json_object_object_add(o, "event", json_object_new_string(name));
        return o;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Heartbeats from a thread, so a long case still shows progress. */
static volatile int current_case = -1;
static volatile int total_cases;

static void *heartbeat_thread(void *arg)
{
        (void)arg;
        for (;;) {
                json_object *o;
                int c = current_case;

                sleep(1);
                o = event("heartbeat");
                json_object_object_add(o, "index", json_object_new_int(c < 0 ? 0 : c));
                json_object_object_add(o, "progress",
                                       json_object_new_double(total_cases > 0 ? (double)(c < 0 ? 0 : c) / total_cases : 0));
                emit(o);
        }
        return NULL;
}

static void emit_error(const char *message, const char *missing)
{
        json_object *o = event("error");

        json_object_object_add(o, "message", json_object_new_string(message));
        json_object_object_add(o, "missing", missing ? json_object_new_string(missing) : NULL);
        emit(o);
}

/*
 * The HIP runtime, loaded by versioned name only. This version checks that a
 * runtime and a device are there; running the kernel on the GPU needs the
 * code object loader, which is not in this version: it says so and exits 3.
 */
static int hip_probe(const char *device)
{
        static const char *const names[] = {"libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5"};
        const char *override = getenv("RDNA1_SELFTEST_HIP_LIB");
        int (*hip_init)(unsigned), (*hip_count)(int *);
        void *h = NULL;
        int count = 0;
        char msg[512];

        if (override && *override)
                h = dlopen(override, RTLD_NOW | RTLD_LOCAL);
        for (size_t i = 0; !h && !(override && *override) && i < sizeof(names) / sizeof(names[0]); i++)
                h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                emit_error("no HIP runtime found (tried libamdhip64.so.7, .so.6, .so.5); install ROCm's HIP runtime, "
                           "or use --backend cpu",
                           "libamdhip64.so");
                return 3;
        }
        *(void **)&hip_init = dlsym(h, "hipInit");
        *(void **)&hip_count = dlsym(h, "hipGetDeviceCount");
        if (!hip_init || !hip_count) {
                emit_error("the HIP runtime lacks hipInit/hipGetDeviceCount; use --backend cpu", "libamdhip64.so");
                return 3;
        }
        if (hip_init(0) != 0 || hip_count(&count) != 0 || count == 0) {
                snprintf(msg, sizeof(msg), "the HIP runtime sees no GPU%s%s (is amdgpu loaded with KFD, and may this "
                                           "user open /dev/kfd?); use --backend cpu",
                         device ? " at " : "", device ? device : "");
                emit_error(msg, "a GPU visible to HIP");
                return 3;
        }
        emit_error("running the kernel on the GPU is not in this version of rdna1-selftest; use --backend cpu",
                   "the HIP code-object runner");
        return 3;
}

typedef struct case_result {
        bool pass, repeatable;
        double ms, gflops, worst;
        size_t bad;
} case_result;

static int run_cpu_case(const struct conv_shape *s, bool inject, uint64_t seed, case_result *ret)
{
        struct conv_dims d;
        float *x = NULL, *w = NULL, *y = NULL, *y2 = NULL;
        double *ref = NULL, *abs = NULL, t0;
        struct conv_check chk;
        int r = -ENOMEM;

        if (conv_shape_dims(s, &d) < 0)
                return -EINVAL;
        x = malloc(d.x_len * sizeof(float));
        w = malloc(d.w_len * sizeof(float));
        y = malloc(d.y_len * sizeof(float));
        y2 = malloc(d.y_len * sizeof(float));
        ref = malloc(d.y_len * sizeof(double));
        abs = malloc(d.y_len * sizeof(double));
        if (!x || !w || !y || !y2 || !ref || !abs)
                goto out;
        conv_fill_random(x, d.x_len, seed);
        conv_fill_random(w, d.w_len, seed ^ 0x9e3779b97f4a7c15ull);
        t0 = now_s();
        r = conv_forward_cpu(s, x, w, y);
        if (r < 0)
                goto out;
        ret->ms = (now_s() - t0) * 1000;
        r = conv_forward_cpu(s, x, w, y2);
        if (r < 0)
                goto out;
        if (inject) {
                size_t pos[4];
                conv_inject_errors(s, y, CONV_INJECT_EDGE_MN | CONV_INJECT_FIRST, pos);
        }
        r = conv_reference(s, x, w, ref, abs);
        if (r < 0)
                goto out;
        ret->bad = conv_check_bound(d.y_len, d.k, y, ref, abs, &chk);
        ret->worst = chk.worst_ratio;
        ret->repeatable = conv_outputs_identical(y, y2, d.y_len);
        ret->pass = ret->bad == 0 && ret->repeatable;
        ret->gflops = ret->ms > 0 ? 2.0 * (double)d.m * (double)d.n * (double)d.k * s->n / (ret->ms * 1e6) : 0;
        r = 0;
out:
        free(x);
        free(w);
        free(y);
        free(y2);
        free(ref);
        free(abs);
        return r;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: rdna1-selftest --backend cpu|hip [--quick|--standard|--stress SECONDS] [--device PCI_SLOT]\n"
                   "                      [--inject-errors]\n"
                   "The rdna1-doctor self-test helper: speaks JSON lines on stdout (see rdna1-doctor(8)).\n"
                   "Exit: 0 pass, 20 wrong result, 3 could not run, 64 usage.\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"backend", required_argument, NULL, 'b'}, {"quick", no_argument, NULL, 'q'},
                {"standard", no_argument, NULL, 's'},      {"stress", required_argument, NULL, 'S'},
                {"device", required_argument, NULL, 'd'},  {"inject-errors", no_argument, NULL, 'i'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        const char *backend = NULL, *device = NULL;
        enum sweep_kind kind = SWEEP_STANDARD;
        unsigned stress = 0;
        bool inject = false;
        const struct conv_shape *cases;
        size_t n_cases;
        unsigned passed = 0, failed = 0;
        pthread_t hb;
        double deadline;
        json_object *o;
        int c;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        backend = optarg;
                        break;
                case 'q':
                        kind = SWEEP_QUICK;
                        break;
                case 's':
                        kind = SWEEP_STANDARD;
                        break;
                case 'S': {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (*end || v == 0 || v > 86400) {
                                usage(stderr);
                                return 64;
                        }
                        stress = (unsigned)v;
                        break;
                }
                case 'd':
                        device = optarg;
                        break;
                case 'i':
                        inject = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 64;
                }
        }
        if (optind < argc || !backend || (strcmp(backend, "cpu") != 0 && strcmp(backend, "hip") != 0)) {
                usage(stderr);
                return 64;
        }
        if (strcmp(backend, "hip") == 0)
                return hip_probe(device);

        cases = sweep_cases(kind, &n_cases);
        total_cases = stress ? 0 : (int)n_cases;
        o = event("start");
        json_object_object_add(o, "backend", json_object_new_string("cpu"));
        json_object_object_add(o, "sweep", json_object_new_string(stress ? "stress" : sweep_kind_to_string(kind)));
        json_object_object_add(o, "cases", json_object_new_int(stress ? 0 : (int)n_cases));
        json_object_object_add(o, "device", NULL);
        json_object_object_add(o, "runtime", NULL);
        {
                json_object *tile = json_object_new_object();
                json_object_object_add(tile, "bm", json_object_new_int(GEMM_BM));
                json_object_object_add(tile, "bn", json_object_new_int(GEMM_BN));
                json_object_object_add(tile, "bk", json_object_new_int(GEMM_BK));
                json_object_object_add(o, "tile", tile);
        }
        emit(o);
        if (pthread_create(&hb, NULL, heartbeat_thread, NULL) == 0)
                pthread_detach(hb);

        deadline = now_s() + stress;
        for (size_t i = 0, round = 0;; i++) {
                const struct conv_shape *s;
                case_result cr = {0};
                char name[128];
                int r;

                if (i == n_cases) {
                        if (!stress || now_s() >= deadline)
                                break;
                        i = 0;
                        round++;
                }
                s = &cases[i];
                conv_shape_format(s, name, sizeof(name));
                current_case = (int)(round * n_cases + i);
                o = event("case-start");
                json_object_object_add(o, "index", json_object_new_int(current_case));
                json_object_object_add(o, "name", json_object_new_string(name));
                emit(o);
                /* Errors go into the first case, whose corner is an edge tile in M and N. */
                r = run_cpu_case(s, inject && i == 0 && round == 0, 0x5eed0000ull + i, &cr);
                if (r < 0) {
                        fprintf(stderr, "rdna1-selftest: case %s: %s\n", name, strerror(-r));
                        return 21;
                }
                cr.pass ? passed++ : failed++;
                o = event("case");
                json_object_object_add(o, "index", json_object_new_int(current_case));
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "result", json_object_new_string(cr.pass ? "pass" : "wrong-result"));
                json_object_object_add(o, "ms", json_object_new_double(cr.ms));
                json_object_object_add(o, "gflops", json_object_new_double(cr.gflops));
                json_object_object_add(o, "bad_elements", json_object_new_int64((int64_t)cr.bad));
                json_object_object_add(o, "worst_ratio", json_object_new_double(cr.worst == cr.worst ? cr.worst : 1e308));
                json_object_object_add(o, "repeatable", json_object_new_boolean(cr.repeatable));
                emit(o);
        }
        o = event("end");
        json_object_object_add(o, "result", json_object_new_string(failed ? "wrong-result" : "pass"));
        json_object_object_add(o, "cases_passed", json_object_new_int((int)passed));
        json_object_object_add(o, "cases_failed", json_object_new_int((int)failed));
        emit(o);
        return failed ? 20 : 0;
}
