/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <unistd.h>

#include "base/util.h"
#include "config.h"
#include "output.h"

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"

static const char *const severity_color[_SEVERITY_MAX] = {
        [SEVERITY_INFO] = "\033[36m",
        [SEVERITY_WARNING] = "\033[33m",
        [SEVERITY_CRITICAL] = "\033[1;31m",
};

static const char *const severity_heading[_SEVERITY_MAX] = {
        [SEVERITY_INFO] = "Info",
        [SEVERITY_WARNING] = "Warning",
        [SEVERITY_CRITICAL] = "Critical",
};

bool output_want_color(FILE *f, bool no_color_flag)
{
        const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

        if (no_color_flag || (nc && *nc))
                return false;
        if (!term || streq(term, "dumb"))
                return false;
        return isatty(fileno(f));
}

static const char *on(const output_options *o, const char *code)
{
        return o->color ? code : "";
}

static void print_devices(FILE *f, const inspection *in)
{
        if (!in->live)
                return;
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];
                _cleanup_free_ char *name = escape_untrusted(g->name ? g->name : "", g->name ? strlen(g->name) : 0, 120);

                fprintf(f, "GPU %s  %04x:%04x  %s%s%s  driver %s%s\n", g->pci_slot, g->vendor_id, g->device_id,
                        name ? name : "", g->gfx_target ? "  " : "", g->gfx_target ? g->gfx_target : "",
                        g->driver ? g->driver : "none", g->kfd_node >= 0 ? "" : (g->driver ? ", no KFD node" : ""));
        }
        if (in->n_devices == 0)
                fprintf(f, "No display devices found.\n");
}

static void print_finding(FILE *f, const finding *x, const output_options *o)
{
        fprintf(f, "  %s%s%s %s%s%s\n", on(o, ANSI_BOLD), x->id, on(o, ANSI_RESET), x->title,
                x->pci_slot ? "  @" : "", x->pci_slot ? x->pci_slot : "");
        for (size_t i = 0; i < x->n_evidence; i++) {
                const evidence *e = &x->evidence[i];

                if (e->path && e->line)
                        fprintf(f, "      %s:%u", e->path, e->line);
                else if (e->path)
                        fprintf(f, "      %s", e->path);
                else
                        fprintf(f, "     ");
                fprintf(f, "%s%s\n", e->detail ? "  " : "", e->detail ? e->detail : "");
        }
        if (x->fix && *x->fix)
                fprintf(f, "      fix: %s\n", x->fix);
}

int output_text(FILE *f, const inspection *in, int exit_code, const output_options *o)
{
        const report *r = in->report;
        size_t c[_SEVERITY_MAX];
        _cleanup_free_ char *root = escape_untrusted(in->sr->path, strlen(in->sr->path), 0);
        bool any_reason = false;

        report_count(r, c);
        if (o->quiet) {
                fprintf(f, "%s: %zu critical, %zu warning, %zu info\n", report_verdict(r), c[SEVERITY_CRITICAL],
                        c[SEVERITY_WARNING], c[SEVERITY_INFO]);
                return ferror(f) ? -EIO : 0;
        }

        fprintf(f, "rdna1-doctor %s: checked %s\n", PACKAGE_VERSION, root ? root : "?");
        print_devices(f, in);
        for (int s = SEVERITY_CRITICAL; s >= SEVERITY_INFO; s--) {
                if (!c[s])
                        continue;
                fprintf(f, "\n%s%s (%zu)%s\n", on(o, severity_color[s]), severity_heading[s], c[s], on(o, ANSI_RESET));
                for (size_t i = 0; i < r->n_findings; i++)
                        if ((int)r->findings[i].severity == s)
                                print_finding(f, &r->findings[i], o);
        }
        for (size_t i = 0; i < r->n_reasons; i++) {
                if (!r->reasons[i].matters && !o->verbose)
                        continue;
                if (!any_reason)
                        fprintf(f, "\nCould not check:\n");
                any_reason = true;
                fprintf(f, "  %s: %s%s%s%s\n", r->reasons[i].probe, r->reasons[i].path ? r->reasons[i].path : "",
                        r->reasons[i].path ? ": " : "", r->reasons[i].error, r->reasons[i].matters ? "" : " (ignored)");
        }
        if (r->lost)
                fprintf(f, "%s  report: %s\n", any_reason ? "" : "\nCould not check:\n", REPORT_LOST_TEXT);
        for (size_t i = 0; i < r->n_notes; i++) {
                _cleanup_free_ char *n = escape_untrusted(r->notes[i], strlen(r->notes[i]), 0);
                fprintf(f, "\nNote: %s\n", n ? n : "");
        }
        fprintf(f, "\nVerdict: %s%s%s (%zu critical, %zu warning, %zu info), exit %d\n",
                on(o, exit_code == 2 ? severity_color[SEVERITY_CRITICAL]
                                     : exit_code == 1 || exit_code == 3 ? severity_color[SEVERITY_WARNING] : ""),
                report_verdict(r), on(o, ANSI_RESET), c[SEVERITY_CRITICAL], c[SEVERITY_WARNING], c[SEVERITY_INFO],
                exit_code);
        if (exit_code == 2)
                fprintf(f, "Next step: the fix under each critical finding.\n");
        return ferror(f) ? -EIO : 0;
}
