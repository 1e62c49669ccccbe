/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/report.h"

#include <stdarg.h>

#include "base/util.h"

/* Evidence quotes a setting, never a whole file: cap what we keep. */
#define EVIDENCE_DETAIL_MAX 512

static const char *const severity_table[_SEVERITY_MAX] = {
        [SEVERITY_INFO] = "info",
        [SEVERITY_WARNING] = "warning",
        [SEVERITY_CRITICAL] = "critical",
};

const char *severity_to_string(severity s)
{
        if (s < 0 || s >= _SEVERITY_MAX)
                return NULL;
        return severity_table[s];
}

report *report_new(void)
{
        return calloc(1, sizeof(report));
}

static void finding_clear(finding *f)
{
        free(f->id);
        free(f->pci_slot);
        free(f->title);
        free(f->fix);
        for (size_t i = 0; i < f->n_evidence; i++) {
                free(f->evidence[i].path);
                free(f->evidence[i].detail);
        }
        free(f->evidence);
}

report *report_free(report *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_findings; i++)
                finding_clear(&r->findings[i]);
        free(r->findings);
        for (size_t i = 0; i < r->n_reasons; i++) {
                free(r->reasons[i].probe);
                free(r->reasons[i].path);
                free(r->reasons[i].error);
        }
        free(r->reasons);
        for (size_t i = 0; i < r->n_notes; i++)
                free(r->notes[i]);
        free(r->notes);
        free(r);
        return NULL;
}

static int grow(void **array, size_t n, size_t size)
{
        /* Grow by powers of two: n is the current count. */
        void *p;

        if (n & (n - 1) || (n != 0 && n < 8))
                return 0;
        p = realloc(*array, (n < 8 ? 8 : n * 2) * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}

finding *report_add_finding(report *r, const char *id, severity sev, const char *pci_slot,
                            const char *title, const char *fix, bool fixable)
{
        finding *f;

        if (grow((void **)&r->findings, r->n_findings, sizeof(finding)) < 0) {
                r->lost = true;
                return NULL;
        }
        f = &r->findings[r->n_findings];
        *f = (finding){
                .id = strdup(id),
                .severity = sev,
                .pci_slot = pci_slot ? strdup(pci_slot) : NULL,
                .title = strdup(title),
                .fix = strdup(fix ? fix : ""),
                .fixable = fixable,
        };
        if (!f->id || !f->title || !f->fix || (pci_slot && !f->pci_slot)) {
                finding_clear(f);
                r->lost = true;
                return NULL;
        }
        r->n_findings++;
        return f;
}

int finding_add_evidence(finding *f, const char *path, unsigned line, const char *detail)
{
        evidence *e;

        if (grow((void **)&f->evidence, f->n_evidence, sizeof(evidence)) < 0)
                return -ENOMEM;
        e = &f->evidence[f->n_evidence];
        *e = (evidence){.line = line};
        if (path) {
                e->path = escape_untrusted(path, strlen(path), 4096);
                if (!e->path)
                        return -ENOMEM;
        }
        if (detail) {
                e->detail = escape_untrusted(detail, strlen(detail), EVIDENCE_DETAIL_MAX);
                if (!e->detail) {
                        free(e->path);
                        return -ENOMEM;
                }
        }
        f->n_evidence++;
        return 0;
}

finding *report_find(report *r, const char *id, const char *pci_slot)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                finding *f = &r->findings[i];

                if (!streq(f->id, id))
                        continue;
                if (pci_slot && !streq_ptr(f->pci_slot, pci_slot))
                        continue;
                return f;
        }
        return NULL;
}

int report_add_reason(report *r, const char *probe, const char *path, const char *error,
                      bool matters)
{
        reason *x;

        /* The same failure seen twice is reported once. */
        for (size_t i = 0; i < r->n_reasons; i++) {
                x = &r->reasons[i];
                if (streq(x->probe, probe) && streq_ptr(x->path, path) && streq(x->error, error)) {
                        x->matters |= matters;
                        return 0;
                }
        }
        if (grow((void **)&r->reasons, r->n_reasons, sizeof(reason)) < 0) {
                r->lost = true;
                return -ENOMEM;
        }
        x = &r->reasons[r->n_reasons];
        *x = (reason){
                .probe = strdup(probe),
                .path = path ? escape_untrusted(path, strlen(path), 4096) : NULL,
                .error = strdup(error),
                .matters = matters,
        };
        if (!x->probe || !x->error || (path && !x->path)) {
                free(x->probe);
                free(x->path);
                free(x->error);
                r->lost = true;
                return -ENOMEM;
        }
        r->n_reasons++;
        return 0;
}

int report_add_reason_errno(report *r, const char *probe, const char *path, int err,
                            bool matters)
{
        const char *msg;

        switch (-err) {
        case EINVAL:
                msg = "not a regular file";
                break;
        case EFBIG:
                msg = "file too large, not read";
                break;
        case ELOOP:
                msg = "symbolic link loop or link not allowed";
                break;
        case EXDEV:
                msg = "symbolic link leaves the inspected root";
                break;
        case EBADMSG:
                msg = "malformed content";
                break;
        default:
                msg = strerror(err < 0 ? -err : err);
        }
        return report_add_reason(r, probe, path, msg, matters);
}

int report_add_note(report *r, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0) {
                r->lost = true;
                return -ENOMEM;
        }
        if (grow((void **)&r->notes, r->n_notes, sizeof(char *)) < 0) {
                free(s);
                r->lost = true;
                return -ENOMEM;
        }
        r->notes[r->n_notes++] = s;
        return 0;
}

bool report_partial(const report *r)
{
        if (r->lost)
                return true;
        for (size_t i = 0; i < r->n_reasons; i++)
                if (r->reasons[i].matters)
                        return true;
        return false;
}

void report_count(const report *r, size_t counts[_SEVERITY_MAX])
{
        memset(counts, 0, sizeof(size_t) * _SEVERITY_MAX);
        for (size_t i = 0; i < r->n_findings; i++)
                counts[r->findings[i].severity]++;
}

int report_exit_code(const report *r)
{
        size_t c[_SEVERITY_MAX];

        report_count(r, c);
        if (c[SEVERITY_CRITICAL])
                return 2;
        if (report_partial(r))
                return 3;
        if (c[SEVERITY_WARNING])
                return 1;
        return 0;
}

const char *report_verdict(const report *r)
{
        static const char *const verdicts[] = {"ok", "warning", "critical", "unknown"};

        return verdicts[report_exit_code(r)];
}

static int cmp_finding(const void *a, const void *b)
{
        const finding *x = a, *y = b;
        int k;

        if (x->severity != y->severity)
                return y->severity - x->severity;
        k = strcmp(x->id, y->id);
        if (k)
                return k;
        if (!x->pci_slot || !y->pci_slot)
                return !!x->pci_slot - !!y->pci_slot;
        return strcmp(x->pci_slot, y->pci_slot);
}

void report_sort(report *r)
{
        /* qsort is not stable: ties keep no order, so compare fully above. */
        if (r->n_findings > 1)
                qsort(r->findings, r->n_findings, sizeof(finding), cmp_finding);
}
