/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The result of a check: findings with evidence, and the reasons why some
 * probe could not run. Probes and rules add to it; the front ends render it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"

typedef enum severity {
        SEVERITY_INFO,
        SEVERITY_WARNING,
        SEVERITY_CRITICAL,
        _SEVERITY_MAX,
        _SEVERITY_INVALID = -22,
} severity;

const char *severity_to_string(severity s);

typedef struct evidence {
        char *path;   /* as the inspected system sees it; may be NULL */
        unsigned line; /* 0 = none */
        char *detail; /* escaped, only the matched setting */
        /*
         * The environment audit read it in a user's scope (one of their start-up
         * files or a file those source), never as a system source: recovery
         * changes it only when that user owns it (docs/SECURITY.md, 3).
         */
        bool user_chain;
        uid_t chain_uid;
} evidence;

typedef struct finding {
        char *id;       /* stable catalog id, e.g. "kernel.patched-source" */
        severity severity;
        char *pci_slot; /* NULL when not per device */
        char *title;
        char *fix;
        bool fixable;
        evidence *evidence;
        size_t n_evidence;
} finding;

typedef struct reason {
        char *probe; /* "dkms", "kfd", ... */
        char *path;  /* may be NULL */
        char *error; /* strerror-like text */
        bool matters; /* makes the result partial */
} reason;

typedef struct report {
        finding *findings;
        size_t n_findings;
        reason *reasons;
        size_t n_reasons;
        char **notes; /* informational lines ("no running system: ...") */
        size_t n_notes;
        /*
         * A finding, reason or note could not be recorded (out of memory):
         * the report is incomplete in a way no reason says, so it is
         * partial, and its verdict is never "ok".
         */
        bool lost;
} report;

report *report_new(void);
report *report_free(report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(report *, report_free);

/*
 * Add a finding; returns it (owned by the report) or NULL on ENOMEM.
 * title and fix are copied. pci_slot may be NULL. Every report_add_*
 * that fails sets r->lost.
 */
finding *report_add_finding(report *r, const char *id, severity sev, const char *pci_slot,
                            const char *title, const char *fix, bool fixable);

/*
 * Add evidence to a finding. detail is raw text from a file or computed;
 * it is escaped here. path may be NULL, line 0.
 */
int finding_add_evidence(finding *f, const char *path, unsigned line, const char *detail);

/* Find the first finding with that id (and slot when slot != NULL). */
finding *report_find(report *r, const char *id, const char *pci_slot);

/*
 * Record that a probe could not read something. matters=true makes the
 * result partial (exit 3 unless something is critical). error is copied;
 * use report_add_reason_errno() for a negative errno.
 */
int report_add_reason(report *r, const char *probe, const char *path, const char *error,
                      bool matters);
int report_add_reason_errno(report *r, const char *probe, const char *path, int err,
                            bool matters);

int report_add_note(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the front ends say, as a reason, for a report that lost something. */
#define REPORT_LOST_TEXT "out of memory: a finding or reason was lost"

/* A reason that matters was recorded, or something was lost. */
bool report_partial(const report *r);
void report_count(const report *r, size_t counts[_SEVERITY_MAX]);

/* Exit code of --check per rdna1-doctor(8), EXIT STATUS: 2 critical, 3 partial, 1 warning, 0. */
int report_exit_code(const report *r);
const char *report_verdict(const report *r);

/* Order findings by severity (critical first), then id, then slot. */
void report_sort(report *r);
