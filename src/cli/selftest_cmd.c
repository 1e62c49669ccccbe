/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rdna1-doctor --selftest: refuse when the machine is in no state for a GPU
 * run, then run the rdna1-selftest helper (or the framework probe) as the
 * invoking user under the watchdog, with an in-progress record around GPU
 * runs, and report the classified result.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "base/util.h"
#include "check/inspect.h"
#include "config.h"
#include "output.h"
#include "paths.h"
#include "profile/exec_env.h"
#include "profile_cmd.h"
#include "selftest_cmd.h"
#include "torch_warn.h"
#include "watch/selftest_state.h"
#include "watch/watchdog.h"

extern char **environ;

typedef struct run_state {
        const selftest_cli *c;
        json_object *cases;      /* array of case events */
        json_object *start;      /* the start event */
        int largest_size_passed; /* framework probe */
        double gflop_done, seconds_done; /* over the cases that reported a rate */
        int first_failed_size;
        int open_size;           /* size of the case started last and not finished */
        unsigned total_cases;
        char *error;             /* first complaint, for a progress callback */
        bool done_sent;
} run_state;

/* A complaint goes to stderr, or to the progress callback's final report. */
_printf_(3, 4) static void complain(const selftest_cli *c, run_state *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (!c->progress)
                vfprintf(stderr, fmt, ap);
        else if (s && !s->error && vasprintf(&s->error, fmt, ap) < 0)
                s->error = NULL;
        va_end(ap);
        if (c->progress && s && s->error)
                strstrip(s->error);
}

static void progress(const run_state *s, const selftest_progress *p)
{
        if (s->c->progress)
                s->c->progress(p, s->c->progress_userdata);
}

static const char *event_string(json_object *ev, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(ev, key, &v) ? json_object_get_string(v) : NULL;
}

static double event_double(json_object *ev, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(ev, key, &v) ? json_object_get_double(v) : 0;
}

static int event_int(json_object *ev, const char *key, int fallback)
{
        json_object *v;

        return json_object_object_get_ex(ev, key, &v) ? json_object_get_int(v) : fallback;
}

static int on_event(json_object *ev, void *userdata)
{
        run_state *s = userdata;
        json_object *v;
        const char *type;

        if (!json_object_object_get_ex(ev, "event", &v))
                return 0;
        type = json_object_get_string(v);
        if (streq(type, "start")) {
                json_object_put(s->start);
                s->start = json_object_get(ev);
                if (json_object_object_get_ex(ev, "cases", &v))
                        s->total_cases = (unsigned)json_object_get_int(v);
                progress(s, &(selftest_progress){.kind = SELFTEST_PROGRESS_START, .total_cases = s->total_cases});
                return 0;
        }
        if (streq(type, "case-start")) {
                json_object *size;
                s->open_size = json_object_object_get_ex(ev, "size", &size) ? json_object_get_int(size) : -1;
                if (s->c->progress) {
                        const char *raw = event_string(ev, "name");
                        _cleanup_free_ char *n = raw ? escape_untrusted(raw, strlen(raw), 120) : NULL;

                        progress(s, &(selftest_progress){.kind = SELFTEST_PROGRESS_CASE_START,
                                                         .index = event_int(ev, "index", -1), .name = n,
                                                         .total_cases = s->total_cases});
                }
                return 0;
        }
        if (streq(type, "heartbeat")) {
                progress(s, &(selftest_progress){.kind = SELFTEST_PROGRESS_HEARTBEAT, .index = event_int(ev, "index", -1),
                                                 .fraction = event_double(ev, "progress"),
                                                 .total_cases = s->total_cases});
                return 0;
        }
        if (!streq(type, "case"))
                return 0;
        s->open_size = -1;
        if (json_object_array_add(s->cases, json_object_get(ev)) < 0)
                return -ENOMEM;
        {
                json_object *name, *result, *gflops, *size;
                bool pass;

                json_object_object_get_ex(ev, "name", &name);
                json_object_object_get_ex(ev, "result", &result);
                pass = result && streq(json_object_get_string(result), "pass");
                if (event_double(ev, "gflops") > 0 && event_double(ev, "ms") > 0) {
                        s->gflop_done += event_double(ev, "gflops") * event_double(ev, "ms") / 1000.0;
                        s->seconds_done += event_double(ev, "ms") / 1000.0;
                }
                if (json_object_object_get_ex(ev, "size", &size)) {
                        int sz = json_object_get_int(size);
                        if (pass && sz > s->largest_size_passed && s->first_failed_size < 0)
                                s->largest_size_passed = sz;
                        if (!pass && s->first_failed_size < 0)
                                s->first_failed_size = sz;
                }
                if (s->c->progress) {
                        const char *raw = name ? json_object_get_string(name) : "?";
                        _cleanup_free_ char *n = escape_untrusted(raw, strlen(raw), 120);

                        progress(s, &(selftest_progress){.kind = SELFTEST_PROGRESS_CASE,
                                                         .index = event_int(ev, "index", -1), .name = n, .pass = pass,
                                                         .gflops = event_double(ev, "gflops"),
                                                         .ms = event_double(ev, "ms"), .total_cases = s->total_cases});
                } else if (!s->c->json && !s->c->quiet) {
                        _cleanup_free_ char *n = NULL;
                        const char *raw = name ? json_object_get_string(name) : "?";

                        n = escape_untrusted(raw, strlen(raw), 120);
                        printf("  case %zu/%u  %-40s %s", json_object_array_length(s->cases), s->total_cases,
                               n ? n : "?", pass ? "pass" : "WRONG RESULT");
                        if (json_object_object_get_ex(ev, "gflops", &gflops) && json_object_get_double(gflops) > 0) {
                                printf("  %.1f GFLOP/s", json_object_get_double(gflops));
                                /* only a GPU with a known peak reports it (PROTOCOL.md): null otherwise */
                                if (event_double(ev, "peak_fraction") > 0)
                                        printf(" (%.1f%% of FP32 peak)", 100.0 * event_double(ev, "peak_fraction"));
                        }
                        printf("\n");
                        fflush(stdout);
                }
        }
        return 0;
}

/* Why a GPU run must not start now; NULL when it may. */
/* NAME's value in a NULL-terminated "NAME=VALUE" array, or NULL. */
static const char *env_lookup(char *const *envp, const char *name)
{
        size_t n = strlen(name);

        for (; envp && *envp; envp++)
                if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

/* envp: the environment the workload will get. */
static char *refusal(const selftest_cli *c, const inspection *in, char *const *envp)
{
        static const char *const blocking[] = {"kernel.patched-loaded", "selftest.hang", "device.driver-disabled",
                                               "device.no-driver", "device.no-kfd"};
        _cleanup_free_ char *preload = NULL;
        const char *override = env_lookup(envp, "HSA_OVERRIDE_GFX_VERSION");
        const char *preload_env = env_lookup(envp, "LD_PRELOAD");

        if (!in->sr->is_host)
                return strdup("GPU self-tests run on the running system only (--root is not /); use --backend cpu");
        for (size_t i = 0; i < ELEMENTSOF(blocking); i++) {
                finding *f = report_find(in->report, blocking[i], NULL);
                if (f)
                        return strdup_printf("%s: %s", f->id, f->title);
        }
        if (sysroot_read_file(in->sr, "/etc/ld.so.preload", 65536, &preload, NULL) == 0 && *strstrip(preload))
                return strdup("runtime.preload: /etc/ld.so.preload loads a library into every process; remove it first");
        if (preload_env && *preload_env)
                return strdup("runtime.preload: LD_PRELOAD is set in this environment; unset it first");
        if (override && *override && !streq(override, "10.1.0"))
                for (size_t i = 0; i < in->n_devices; i++)
                        if (in->devices[i].rdna1 && streq_ptr(in->devices[i].gfx_target, "gfx1010"))
                                return strdup_printf("env.override-gfx: HSA_OVERRIDE_GFX_VERSION=%s makes this gfx1010 "
                                                     "card run another target's code, which can hang it (10.1.0 is "
                                                     "its own value); unset it first", override);
        return NULL;
}

/*
 * The interpreter as an absolute path: a bare name is looked up in PATH, as a
 * shell would. Not resolved through symbolic links: a venv's bin/python3 is
 * a link to the system's, and only the link's path makes Python use the venv.
 */
static char *resolve_program(const char *name)
{
        return torch_warn_resolve(name, environ);
}

static char **helper_argv(const selftest_cli *c)
{
        strv v = {0};
        char num[32];

        if (c->framework) {
                if (strv_push(&v, resolve_program(c->framework)) < 0 ||
                    strv_push(&v, strdup_printf("%s/selftest/framework_probe.py", c->datadir)) < 0)
                        goto fail;
                return v.items;
        }
        if (strv_push_dup(&v, selftest_helper_path()) < 0 ||
            strv_push_dup(&v, "--backend") < 0 || strv_push_dup(&v, c->backend) < 0)
                goto fail;
        if (c->stress_seconds) {
                snprintf(num, sizeof(num), "%u", c->stress_seconds);
                if (strv_push_dup(&v, "--stress") < 0 || strv_push_dup(&v, num) < 0)
                        goto fail;
        } else if (strv_push(&v, strdup_printf("--%s", c->sweep)) < 0)
                goto fail;
        if (c->device && (strv_push_dup(&v, "--device") < 0 || strv_push_dup(&v, c->device) < 0))
                goto fail;
        if (c->inject_errors && strv_push_dup(&v, "--inject-errors") < 0)
                goto fail;
        return v.items;
fail:
        strv_clear(&v);
        return NULL;
}

static unsigned env_ms(const char *name, unsigned fallback)
{
        uint64_t v;
        const char *s = getenv(name);

        return s && safe_atou64(s, 10, &v) == 0 && v > 0 && v < 86400000 ? (unsigned)v : fallback;
}

static int print_result(const selftest_cli *c, const inspection *in, const run_state *s,
                        const watchdog_result *wr, const char *refused, int code)
{
        const char *outcome = refused ? "refused" : selftest_outcome_to_string(wr->outcome);

        if (c->progress) {
                run_state *rs = (run_state *)s;
                _cleanup_free_ char *why = refused ? strdup(refused) : NULL;

                if (!why && rs && rs->error)
                        why = strdup(rs->error);
                else if (!why && wr->reason)
                        why = strdup(wr->reason);
                c->progress(&(selftest_progress){.kind = SELFTEST_PROGRESS_DONE, .outcome = outcome, .reason = why,
                                                 .passed = wr ? wr->cases_passed : 0,
                                                 .failed = wr ? wr->cases_failed : 0, .exit_code = code,
                                                 .kernel_log_readable = wr && wr->kernel_log_readable,
                                                 .cancelled = wr && wr->cancelled,
                                                 .largest_size_passed = rs ? rs->largest_size_passed : -1,
                                                 .first_failed_size = rs ? rs->first_failed_size : -1},
                            c->progress_userdata);
                if (rs)
                        rs->done_sent = true;
                return 0;
        }
        if (c->json) {
                json_object *doc = json_object_new_object(), *klines = json_object_new_array();
                int r = 0;

                if (!doc || !klines) {
                        json_object_put(doc);
                        json_object_put(klines);
                        return -ENOMEM;
                }
                for (size_t i = 0; wr && i < wr->n_kernel_lines; i++)
                        json_object_array_add(klines, json_object_new_string(wr->kernel_lines[i]));
                json_object_object_add(doc, "schema", json_object_new_string("rdna1-doctor/selftest/1"));
                json_object_object_add(doc, "version", json_object_new_string(PACKAGE_VERSION));
                json_object_object_add(doc, "root", json_object_new_string(in->sr->path));
                json_object_object_add(doc, "backend", json_object_new_string(c->framework ? "framework" : c->backend));
                json_object_object_add(doc, "profile", c->profile ? json_object_new_string(c->profile) : NULL);
                json_object_object_add(doc, "sweep", json_object_new_string(c->framework ? "framework"
                                                                            : c->stress_seconds ? "stress" : c->sweep));
                json_object_object_add(doc, "outcome", json_object_new_string(outcome));
                json_object_object_add(doc, "exit_code", json_object_new_int(code));
                json_object_object_add(doc, "reason", refused ? json_object_new_string(refused)
                                                      : wr->reason ? json_object_new_string(wr->reason) : NULL);
                json_object_object_add(doc, "device", s && s->start ? json_object_get(json_object_object_get(s->start, "device")) : NULL);
                /* the heartbeats' sensors (ROCm SMI), or why a GPU run had none */
                json_object_object_add(doc, "sensors", s && s->start ? json_object_get(json_object_object_get(s->start, "sensors")) : NULL);
                json_object_object_add(doc, "no_sensors", s && s->start ? json_object_get(json_object_object_get(s->start, "no_sensors")) : NULL);
                json_object_object_add(doc, "cases_passed", json_object_new_int(wr ? (int)wr->cases_passed : 0));
                json_object_object_add(doc, "cases_failed", json_object_new_int(wr ? (int)wr->cases_failed : 0));
                json_object_object_add(doc, "cases", s ? json_object_get(s->cases) : json_object_new_array());
                json_object_object_add(doc, "kernel_log_readable", json_object_new_boolean(wr && wr->kernel_log_readable));
                json_object_object_add(doc, "kernel_log", klines);
                json_object_object_add(doc, "d_state_seen", json_object_new_boolean(wr && wr->d_state_seen));
                if (c->framework) {
                        json_object_object_add(doc, "largest_size_passed",
                                               s && s->largest_size_passed > 0 ? json_object_new_int(s->largest_size_passed) : NULL);
                        json_object_object_add(doc, "first_failure_size",
                                               s && s->first_failed_size > 0 ? json_object_new_int(s->first_failed_size) : NULL);
                }
                if (printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                           JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
                        r = -EIO;
                json_object_put(doc);
                return r;
        }
        if (refused) {
                fprintf(stderr, "rdna1-doctor: self-test refused: %s\n", refused);
                return 0;
        }
        printf("Self-test %s: %s", c->framework ? "(framework probe)" : c->backend, outcome);
        if (wr->reason)
                printf(" (%s)", wr->reason);
        printf(", %u passed, %u failed, exit %d\n", wr->cases_passed, wr->cases_failed, code);
        if (c->framework && s->largest_size_passed > 0)
                printf("Largest feature map that passed: %dx%d\n", s->largest_size_passed, s->largest_size_passed);
        if (c->framework && wr->outcome != SELFTEST_PASS && s->first_failed_size > 0)
                printf("First failure: %dx%d (%s)\n", s->first_failed_size, s->first_failed_size, outcome);
        else if (c->framework && wr->outcome != SELFTEST_PASS && wr->last_case_started >= 0)
                printf("First failure: case %d (%s)\n", wr->last_case_started + 1, outcome);
        if (s->start && event_string(s->start, "no_sensors")) {
                const char *raw = event_string(s->start, "no_sensors");
                _cleanup_free_ char *why = escape_untrusted(raw, strlen(raw), 300);

                printf("Sensors: none (%s)\n", why ? why : "unknown");
        }
        if (!wr->kernel_log_readable)
                printf("Kernel log: unknown (not readable)\n");
        for (size_t i = 0; i < wr->n_kernel_lines; i++)
                printf("Kernel log: %s\n", wr->kernel_lines[i]);
        if (wr->exec_errno == EACCES && geteuid() == 0 && !c->as_root)
                printf("The helper runs as an unprivileged user here (root with no invoking user runs it as nobody),\n"
                       "who cannot reach it: a build tree under /root is closed to others. Build in a directory\n"
                       "others can read, or pass --as-root to run the self-test as root.\n");
        if (wr->exec_errno && !c->framework)
                printf("The helper comes with the rdna1-doctor package (apt install --reinstall rdna1-doctor);\n"
                       "in a source tree, `ninja -C BUILDDIR` builds it as BUILDDIR/src/selftest/rdna1-selftest.\n");
        if (wr->stderr_tail && *wr->stderr_tail && wr->outcome != SELFTEST_PASS)
                printf("Helper said:\n%s\n", wr->stderr_tail);
        if (wr->outcome == SELFTEST_HANG || wr->outcome == SELFTEST_GPU_RESET)
                printf("GPU self-tests are refused until the next boot.\n");
        return 0;
}

/* nobody, with the groups that own /dev/kfd and the RDNA1 cards' render nodes for a GPU run */
static int selftest_unprivileged_user(const inspection *in, bool gpu, exec_user *ret)
{
        _cleanup_free_ const char **nodes = calloc(1 + in->n_devices, sizeof(char *));
        size_t n = 0;

        if (!nodes)
                return -ENOMEM;
        if (gpu) {
                nodes[n++] = "/dev/kfd";
                for (size_t i = 0; i < in->n_devices; i++)
                        if (in->devices[i].rdna1 && in->devices[i].render_node)
                                nodes[n++] = in->devices[i].render_node;
        }
        return exec_user_unprivileged(in->sr, nodes, n, ret);
}

int selftest_run_cli(const selftest_cli *c)
{
        inspect_options io = {.root = c->root, .datadir = c->datadir, .state_dir = c->state_dir};
        _cleanup_free_ char *refused = NULL, *state_path = NULL, *boot_id = NULL;
        _cleanup_close_ int state_fd = -EBADF;
        bool gpu = c->framework || !streq(c->backend, "cpu");
        run_state s = {.c = c, .largest_size_passed = -1, .first_failed_size = -1, .open_size = -1};
        watchdog_result wr = {0};
        watchdog_options wo;
        inspection *in = NULL;
        char **argv = NULL, **profile_env = NULL;
        exec_user u = {0};
        bool as_user = false;
        int r, code = 3;

        r = inspect_run(&io, &in);
        if (r < 0) {
                complain(c, &s, "rdna1-doctor: cannot inspect '%s': %s.\n", c->root, strerror(-r));
                goto out;
        }
        if (geteuid() == 0 && !c->as_root) {
                /*
                 * Root for someone (sudo, pkexec, doas): the helper runs as that user, with
                 * the account's own uid, gid and groups (SUDO_GID where the root's passwd
                 * does not know it), never with root's group by accident (docs/SECURITY.md).
                 */
                r = exec_user_from_env(in->sr, &u);
                if (r == -ENOENT || r == -EINVAL)
                        refused = strdup_printf("the invoking user (%s) is %s the root's /etc/passwd and no SUDO_GID "
                                                "gives its group: the helper is not run with a guessed group; "
                                                "run it as that user, or --as-root", u.via ? u.via : "SUDO_UID/PKEXEC_UID",
                                                r == -EINVAL ? "malformed, or not in" : "not in");
                else if (r < 0) {
                        complain(c, &s, "rdna1-doctor: cannot look up the invoking user: %s.\n", strerror(-r));
                        goto out;
                }
                if (r == 0) {
                        /*
                         * Root with no one behind it (a root login, recovery mode): the helper
                         * still does not run as root, but as nobody with the groups of the GPU's
                         * device nodes (docs/SECURITY.md).
                         */
                        r = selftest_unprivileged_user(in, gpu, &u);
                        if (r < 0) {
                                complain(c, &s, "rdna1-doctor: cannot set up the unprivileged user for the helper: %s.\n",
                                         strerror(-r));
                                goto out;
                        }
                        if (!c->json && !c->quiet && !c->progress)
                                fprintf(stderr, "Note: run as root, not through sudo, pkexec or doas: the self-test runs as "
                                                "%s (uid %u); --as-root runs it as root.\n",
                                        u.name, (unsigned)u.uid);
                        r = 1;
                }
                as_user = r > 0;
                r = 0;
        }
        if (!refused && c->profile) {
                /* The workload gets a clean environment plus the profile, as with `exec`. */
                code = profile_cmd_environment(c->profile, c->root, c->device, as_user ? &u : NULL, &profile_env);
                if (code != 0) {
                        r = 0;
                        goto out;
                }
                code = 3;
        } else if (!refused && as_user) {
                /* the cleaned environment of `exec`, not root's */
                r = exec_env_build(NULL, &u, &profile_env);
                if (r < 0)
                        goto out;
        }
        if (c->framework && !refused) {
                /* the probe imports torch: under a native environment it needs code for the GPU's target */
                const char *gfx[16];
                size_t n_gfx = inspection_gfx_targets(in, gfx, ELEMENTSOF(gfx));

                (void)torch_native_warn(c->framework, profile_env ? profile_env : environ, gfx, n_gfx, c->profile);
        }
        if (gpu && !refused)
                refused = refusal(c, in, profile_env ? profile_env : environ);
        if (refused) {
                print_result(c, in, NULL, NULL, refused, 3);
                s.done_sent = true;
                exec_env_free(profile_env);
                exec_user_clear(&u);
                inspection_free(in);
                return 3;
        }
        if (gpu && !c->json && !c->progress)
                fprintf(stderr, "Note: if this card drives your display, a GPU hang or reset ends the desktop session; "
                                "run the self-test from a text console (Ctrl+Alt+F3) or over ssh.\n");

        s.cases = json_object_new_array();
        argv = helper_argv(c);
        if (!s.cases || !argv) {
                if (c->framework)
                        complain(c, &s, "rdna1-doctor: cannot find the Python interpreter '%s'.\n", c->framework);
                r = -ENOENT;
                goto out;
        }
        if (gpu) {
                state_fd = selftest_dir_open(in->sr, c->state_dir, true, &state_path);
                if (state_fd < 0) {
                        complain(c, &s, "rdna1-doctor: cannot record the self-test in %s: %s; not starting a GPU run.\n",
                                state_path ? state_path : "the state directory", strerror(-state_fd));
                        r = state_fd;
                        goto out;
                }
                if (sysroot_read_line(in->sr, "/proc/sys/kernel/random/boot_id", &boot_id) < 0)
                        boot_id = strdup("unknown");
                r = boot_id ? selftest_record_begin(state_fd, boot_id, c->framework ? "framework" : c->backend) : -ENOMEM;
                if (r < 0) {
                        complain(c, &s, "rdna1-doctor: cannot write the in-progress record: %s.\n", strerror(-r));
                        goto out;
                }
        }

        wo = (watchdog_options){
                .argv = argv,
                .envp = profile_env ? profile_env : environ,
                /* The workload runs as the invoking user unless --as-root. */
                .drop_privileges = as_user || (!c->as_root && in->user.uid != geteuid()),
                .uid = as_user ? u.uid : in->user.uid,
                .gid = as_user ? u.gid : in->user.gid,
                .groups = as_user ? u.groups : in->user.groups,
                .n_groups = as_user ? u.n_groups : in->user.n_groups,
                .case_deadline_ms = env_ms("RDNA1_SELFTEST_CASE_DEADLINE_MS", c->framework ? 60000 : 120000),
                .no_progress_ms = env_ms("RDNA1_SELFTEST_NO_PROGRESS_MS", 30000),
                .total_deadline_ms = c->stress_seconds ? (c->stress_seconds + 120) * 1000u : 0,
                .term_grace_ms = 3000,
                .kmsg_path = in->sr->is_host ? "/dev/kmsg" : NULL,
                .on_event = on_event,
                .userdata = &s,
                .cancel = c->cancel,
        };
        if (!c->json && !c->quiet && !c->progress)
                printf("Running the %s self-test...\n", c->framework ? "framework" : c->backend);
        r = watchdog_run(&wo, &wr);
        if (r < 0) {
                complain(c, &s, "rdna1-doctor: cannot start '%s': %s.\n", argv[0], strerror(-r));
                if (gpu)
                        (void)selftest_record_finish(state_fd, boot_id, c->framework ? "framework" : c->backend,
                                                     "not-run", "helper could not be started");
                code = 3;
                r = 0;
                goto report;
        }
        if (gpu) {
                r = selftest_record_finish(state_fd, boot_id, c->framework ? "framework" : c->backend,
                                           selftest_outcome_to_string(wr.outcome), wr.reason);
                if (r < 0)
                        complain(c, &s, "rdna1-doctor: could not record the result: %s.\n", strerror(-r));
        }
        code = selftest_outcome_exit_code(wr.outcome);
        /* A hang or crash has no case line: the failure is the case that was running. */
        if (wr.outcome != SELFTEST_PASS && s.first_failed_size < 0 && s.open_size > 0)
                s.first_failed_size = s.open_size;
report:
        r = print_result(c, in, &s, &wr, NULL, code);
out:
        if (c->progress && !s.done_sent)
                c->progress(&(selftest_progress){.kind = SELFTEST_PROGRESS_DONE, .outcome = "not-run",
                                                 .reason = s.error, .exit_code = 3,
                                                 .largest_size_passed = -1, .first_failed_size = -1},
                            c->progress_userdata);
        free(s.error);
        watchdog_result_clear(&wr);
        strv_free_array(argv);
        exec_env_free(profile_env);
        exec_user_clear(&u);
        json_object_put(s.cases);
        json_object_put(s.start);
        inspection_free(in);
        if (c->ret_gflops)
                *c->ret_gflops = s.seconds_done > 0 ? s.gflop_done / s.seconds_done : 0;
        return r < 0 ? 3 : code;
}
