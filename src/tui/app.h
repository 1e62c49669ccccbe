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

#include "inspect.h"
#include "layout.h"
#include "nav.h"
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
} st_view;

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
} job_kind;

typedef struct tui_app {
        const tui_options *opts;
        int rows, cols;
        tui_layout layout;
        nav_state nav;
        bool color;
        bool dirty;

        /* The inspection on screen (main thread only). */
        inspection *in;
        int scan_error;         /* < 0: the last inspection failed */
        unsigned scans;         /* finished inspections */

        /* The worker: one job at a time. */
        pthread_mutex_t lock;
        pthread_t worker;
        job_kind job;           /* main thread: what the worker runs, JOB_NONE when idle */
        bool job_done;          /* under lock */
        inspection *scan_result; /* under lock */
        int scan_result_error;  /* under lock */
        st_view st;             /* under lock */
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

        bool quit_armed;        /* q pressed once during a self-test */
        char message[256];      /* one-line notice in the status line */
} tui_app;

attr_t app_attr(const tui_app *a, colour_kind k);
void app_message(tui_app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* jobs.c: the worker thread. Returns -EBUSY when a job is running. */
int jobs_start_scan(tui_app *a);
int jobs_start_selftest(tui_app *a);
/* Called when wake[0] is readable: takes over a finished job's result. */
void jobs_collect(tui_app *a);
void jobs_wake(tui_app *a);

/* telemetry.c */
int telemetry_read(const sysroot *sr, const char *pci_slot, telemetry *ret);
void telemetry_refresh(tui_app *a);
