/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The TUI's state, shared by the main loop, the screens and the worker
 * thread. The main thread owns everything except the fields marked
 * "under lock", which the worker writes.
 */

#include <curses.h>
#include <pthread.h>
#include <stdint.h>

#include "base/util.h"
#include "check/inspect.h"
#include "layout.h"
#include "nav.h"
#include "recover/plan.h"
#include "tui.h"

/* Live numbers of one GPU from amdgpu's sysfs (and hwmon) in the inspected root. */
typedef struct telemetry {
        bool has_temp, has_busy, has_vram;
        long temp_mc;           /* millidegrees Celsius */
        unsigned busy_percent;
        uint64_t vram_used, vram_total;
} telemetry;

#define ST_MAX_CASES 512
#define ST_NAME_MAX 96

typedef struct st_case {
        char name[ST_NAME_MAX]; /* escaped */
        bool done, pass;
        double fraction, gflops, ms;
} st_case;

/* What the self-test screen shows; written by the worker under lock. */
typedef struct st_view {
        bool running, finished;
        unsigned total;         /* from the start event (0: stress) */
        int current;            /* index of the running case, -1 none */
        st_case cases[ST_MAX_CASES];
        unsigned n_cases;       /* cases seen */
        unsigned passed, failed;
        double best_gflops;
        char outcome[32];
        char reason[512];
        int exit_code;
        bool kernel_log_readable;
        unsigned heartbeats;
        bool framework;         /* the framework probe (--framework), not the helper */
        bool cancelled;         /* stopped from the screen (c) */
        int largest_passed;     /* framework probe: feature-map size, -1 none */
        int first_failed;       /* framework probe: -1 none */
} st_view;

/* One step of a recovery or rollback as the journal has it now. */
typedef struct rec_step {
        char action[24];
        char target[160];       /* path or kernel, escaped */
        char state[16];         /* pending, running, done, failed, rolled-back, ... */
} rec_step;

#define REC_MAX_STEPS 64
#define REC_MAX_MESSAGES 8

/*
 * A recovery or rollback: the doctor itself run as a child
 * (`--recover --yes --json`, `--rollback ID --yes --json`) — the same
 * engine as the command line — with live progress read from its journal.
 * Written by the worker under lock.
 */
typedef struct rec_view {
        bool running, finished;
        bool rollback;
        char id[64];            /* journal run id, once known */
        char status[24];        /* the journal's run status */
        rec_step steps[REC_MAX_STEPS];
        size_t n_steps;
        int exit_code;          /* the child's exit status (-1: killed) */
        uint64_t started_ms;    /* now_ms() when the child started: the footer counts from it */
        bool reboot;
        char summary[256];
        char messages[REC_MAX_MESSAGES][256]; /* escaped */
        size_t n_messages;
} rec_view;

#define PROF_MAX 32
#define PROF_LINES 64

/* Profiles through the command line's own --profile list/diff/install (a child). */
typedef struct prof_view {
        bool available;         /* --profile works in this build */
        char unavailable[256];  /* why not (its message), escaped */
        size_t n;
        char name[PROF_MAX][64];
        char desc[PROF_MAX][160];
        char gfx[PROF_MAX][32];
        bool valid[PROF_MAX];
        /* output of the last diff/install, for `of` */
        bool busy;
        char of[64];
        char what[16];          /* "diff" | "validate" | "install" */
        int exit_code;
        char lines[PROF_LINES][256];
        size_t n_lines;
} prof_view;

typedef enum colour_kind {
        C_NORMAL,
        C_CRITICAL,
        C_WARNING,
        C_INFO,
        C_OK,
        C_TAB,
        C_TAB_ACTIVE,
        C_TITLE,
        C_DIM,
        C_BAR,
        _C_MAX,
} colour_kind;

typedef enum job_kind {
        JOB_NONE,
        JOB_SCAN,
        JOB_SELFTEST,
        JOB_CHILD,              /* recovery or rollback */
        JOB_PROFILE,            /* --profile diff|validate|install */
} job_kind;

typedef struct tui_app {
        const tui_options *opts;
        /* What the scans inspect: opts->inspect, its root moved to demo_copy on --demo after a write. */
        inspect_options inspect;
        char *demo_copy;        /* main thread, changed only while no job runs */
        int rows, cols;
        tui_layout layout;
        nav_state nav;
        bool color;
        bool dirty;

        /* The inspection on screen (main thread only). */
        inspection *in;
        int scan_error;         /* < 0: the last inspection failed */
        unsigned scans;         /* finished inspections */

        /* The plan for that inspection and the journal's runs (main thread only). */
        plan *plan;
        int plan_error;
        struct json_object *history; /* rdna1-doctor/history/1, NULL when unreadable */
        char *preflight;        /* the gate's preview for that plan (raw: drawn escaped), NULL while unknown */
        char *state_dir;        /* the journal's directory (host path) */

        /* The worker: one job at a time. */
        pthread_mutex_t lock;
        pthread_t worker;
        job_kind job;           /* main thread: what the worker runs, JOB_NONE when idle */
        bool job_done;          /* under lock */
        inspection *scan_result; /* under lock */
        int scan_result_error;  /* under lock */
        st_view st;             /* under lock */
        bool scan_ready;        /* under lock: scan_result and scan_plan are set */
        plan *scan_plan;        /* under lock */
        int scan_plan_error;    /* under lock */
        struct json_object *scan_history; /* under lock */
        char *scan_preflight;   /* under lock */
        rec_view rec;           /* under lock */
        prof_view prof;         /* under lock */
        char *child_argv[16];   /* main thread sets, worker reads (job running) */
        char *reviewed_plan;    /* main thread: the stored plan the recovery child runs (removed after it) */
        int wake[2];            /* the worker (and signals) write a byte here */

        /* Telemetry, refreshed every second. */
        sysroot *sr;
        telemetry *tele;        /* one per in->devices */
        size_t n_tele;

        /* Screens' own state. */
        list_state findings;
        bool findings_detail;
        int detail_top;
        list_state help;
        list_state st_list;
        bool st_hip;            /* backend hip (else cpu) */
        bool st_standard;       /* sweep standard (else quick) */
        bool st_framework;      /* the next run is the framework probe */
        char st_python[128];    /* its interpreter (edited in the prompt) */
        char st_profile[128];   /* run it under this profile, "" none */
        int st_prompt;          /* 0 none, 1 typing the interpreter, 2 the profile */
        bool st_cancel_armed;   /* c pressed once during a run */
        volatile bool st_cancel; /* main thread sets, the watchdog (worker) polls */

        list_state rec_list;
        list_state hist_list;
        list_state prof_list;
        bool confirm;           /* typing the confirmation; keys go to the screen */
        char confirm_buf[16];
        bool quit_armed;        /* q pressed once during a self-test */
        char message[256];      /* one-line notice in the status line */
} tui_app;

attr_t app_attr(const tui_app *a, colour_kind k);
void app_message(tui_app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* jobs.c: the worker thread. Returns -EBUSY when a job is running. */
int jobs_start_scan(tui_app *a);
int jobs_start_selftest(tui_app *a);
/* Run the doctor as a child: recover (id NULL) or roll back run id. */
int jobs_start_child(tui_app *a, const char *rollback_id);
/* --profile ACTION NAME (diff, install) as a child; the list comes with every scan. */
int jobs_start_profile(tui_app *a, const char *action, const char *name);
void profiles_load(tui_app *a); /* in the scan worker */
/*
 * child.c: run argv (no shell, no terminal: stdin /dev/null, output
 * captured up to 1 MiB each); tick is called every 200 ms while it runs.
 * Returns its exit status (-1: killed by a signal) or < -1 errno when it
 * could not start; *ret_out and *ret_err are NUL-terminated (free them).
 */
int run_capture(char *const argv[], char **ret_out, char **ret_err, void (*tick)(void *), void *userdata);
/*
 * The doctor itself on the same root and state: argv[0..] = self --root R
 * [--state-dir S], or self --demo [--state-dir S] on the installed demo.
 * Returns n or < 0.
 */
int self_argv(const tui_app *a, strv *ret);
/* Start fn(arg) in the worker as a job of this kind. */
int jobs_start_worker(tui_app *a, job_kind kind, void *(*fn)(void *), void *arg);
/* Called when wake[0] is readable: takes over a finished job's result. */
void jobs_collect(tui_app *a);
void jobs_wake(tui_app *a);

/* demo_view.c: --demo, whose writes go to the demo's private copy. */
bool demo_view_on_copy(const tui_app *a);
int demo_view_state_dir(const tui_app *a, char **ret);
/* Where the view stores the plan it showed for its recovery child (plan_reviewed_save). */
int demo_view_reviewed_dir(const tui_app *a, char **ret);
/* After a write's child has ended: the view moves to the copy it worked on. */
void demo_view_follow_copy(tui_app *a);

/* preflight_view.c: the gate's preview of plan p as one line (not escaped), NULL when p has no steps. */
char *preflight_view_line(const tui_app *a, const inspection *in, const plan *p);

/* telemetry.c */
int telemetry_read(const sysroot *sr, const char *pci_slot, telemetry *ret);
void telemetry_refresh(tui_app *a);
