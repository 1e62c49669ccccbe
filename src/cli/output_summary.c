/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --summary: the few lines the package hooks print (postinst, the dpkg
 * trigger, the kernel hook, the boot-time verification). They end up in
 * apt's logs and the system journal, so they carry the verdict, the counts
 * and the finding IDs with the kernels and devices they concern — never
 * evidence, details or anything else read from a file. One finding a line,
 * "SEVERITY ID [kernel=K]... [device=SLOT]", so that a POSIX shell hook can
 * read it with `read` and `case`, no JSON parser needed.
 */
#include "base/util.h"
#include "output.h"

/* A kernel version or PCI slot (directory names of the inspected system) as one word. */
static void print_token(FILE *f, const char *key, const char *value)
{
        _cleanup_free_ char *e = escape_untrusted(value, strlen(value), 128);

        fprintf(f, " %s=", key);
        for (const char *p = e ? e : "?"; *p; p++)
                if (*p == ' ')
                        fputs("\\x20", f);
                else
                        fputc(*p, f);
}

static module_place finding_place(const char *id)
{
        if (streq(id, "kernel.patched-build"))
                return PLACE_DKMS_BUILD;
        if (streq(id, "kernel.patched-installed"))
                return PLACE_INSTALLED;
        if (streq(id, "kernel.patched-initramfs"))
                return PLACE_INITRAMFS;
        return _PLACE_INVALID;
}

/* The kernels a per-module finding concerns: every marked module of its kind, once each. */
static void print_kernels(FILE *f, const inspection *in, const finding *x)
{
        module_place place = finding_place(x->id);
        strv seen = {};

        if (streq(x->id, "kernel.patched-loaded") && in->osrelease) {
                print_token(f, "kernel", in->osrelease);
                return;
        }
        if (place == _PLACE_INVALID)
                return;
        for (size_t i = 0; i < in->n_modules; i++) {
                const scanned_module *m = &in->modules[i];

                if (m->place != place || !m->info.markers_found || !m->kernel || strv_contains(&seen, m->kernel))
                        continue;
                if (strv_push_dup(&seen, m->kernel) < 0)
                        break;
                print_token(f, "kernel", m->kernel);
        }
        strv_clear(&seen);
}

static const char *next_step(int exit_code)
{
        switch (exit_code) {
        case 0:
                return "nothing to do.";
        case 1:
                return "'rdna1-doctor --check' explains each warning.";
        case 2:
                return "'rdna1-doctor --check' shows the evidence and the fixes; "
                       "'rdna1-doctor --recover --dry-run' shows the repair plan.";
        default:
                return "'rdna1-doctor --check --verbose' as root lists what could not be checked.";
        }
}

int output_summary(FILE *f, const inspection *in, int exit_code)
{
        const report *r = in->report;
        size_t c[_SEVERITY_MAX];
        strv probes = {};

        report_count(r, c);
        fprintf(f, "rdna1-doctor: verdict %s (%zu critical, %zu warning, %zu info), exit %d\n", report_verdict(r),
                c[SEVERITY_CRITICAL], c[SEVERITY_WARNING], c[SEVERITY_INFO], exit_code);
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding *x = &r->findings[i];

                fprintf(f, "  %s %s", severity_to_string(x->severity), x->id);
                print_kernels(f, in, x);
                if (x->pci_slot)
                        print_token(f, "device", x->pci_slot);
                fputc('\n', f);
        }
        /* What could not be checked: probe names only (paths and errors stay out of the logs). */
        for (size_t i = 0; i < r->n_reasons; i++) {
                if (!r->reasons[i].matters || strv_contains(&probes, r->reasons[i].probe))
                        continue;
                if (strv_push_dup(&probes, r->reasons[i].probe) < 0)
                        break;
                fprintf(f, "%s %s", probes.n == 1 ? "  could not check:" : "", r->reasons[i].probe);
        }
        if (probes.n)
                fputc('\n', f);
        strv_clear(&probes);
        fprintf(f, "Next step: %s\n", next_step(exit_code));
        return ferror(f) ? -EIO : 0;
}
