/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "textfile.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "root/fileops.h"

/* Label values escape backslash, double quote and line feed (the exposition format). */
static void put_label_value(FILE *f, const char *s)
{
        fputc('"', f);
        for (; s && *s; s++) {
                if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void header(FILE *f, const char *name, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void severity_counts(FILE *f, const report *r)
{
        size_t counts[_SEVERITY_MAX] = {0};

        for (size_t i = 0; i < r->n_findings; i++)
                counts[r->findings[i].severity]++;
        header(f, "rdna1_doctor_findings", "Findings of the last check, by severity.");
        for (int s = _SEVERITY_MAX - 1; s >= 0; s--)
                fprintf(f, "rdna1_doctor_findings{severity=\"%s\"} %zu\n", severity_to_string(s), counts[s]);
}

/* One series per finding id: a finding reported per device or kernel counts once per report. */
static void finding_series(FILE *f, const report *r)
{
        header(f, "rdna1_doctor_finding", "Number of times the last check reported this finding id.");
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding *x = &r->findings[i];
                size_t n = 0;
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = streq(r->findings[j].id, x->id) && r->findings[j].severity == x->severity;
                if (seen)
                        continue;
                for (size_t j = i; j < r->n_findings; j++)
                        n += streq(r->findings[j].id, x->id) && r->findings[j].severity == x->severity;
                fputs("rdna1_doctor_finding{id=", f);
                put_label_value(f, x->id);
                fprintf(f, ",severity=\"%s\"} %zu\n", severity_to_string(x->severity), n);
        }
}

static void gpu_series(FILE *f, const inspection *in)
{
        header(f, "rdna1_doctor_gpu_info", "An AMD GPU the check found; the value is always 1.");
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];

                fputs("rdna1_doctor_gpu_info{slot=", f);
                put_label_value(f, g->pci_slot);
                fprintf(f, ",device=\"0x%04x\",gfx=", g->device_id);
                put_label_value(f, g->gfx_target ? g->gfx_target : "");
                fputs(",driver=", f);
                put_label_value(f, g->driver ? g->driver : "");
                fputs("} 1\n", f);
        }
}

static void results_series(FILE *f, const run_results *rr)
{
        static const struct {
                const char *name, *help;
        } st[] = {
                {"rdna1_doctor_selftest_exit_code",
                 "Exit code of the last self-test of this backend (0 pass, 20 wrong result, 21 crash, 22 hang, "
                 "23 GPU reset, 3 could not run)."},
                {"rdna1_doctor_selftest_gflops", "GFLOP/s over the cases of the last self-test of this backend."},
                {"rdna1_doctor_selftest_completion_time_seconds",
                 "Unix time the last self-test of this backend ended."},
        };

        for (size_t m = 0; rr && rr->n_selftests && m < ELEMENTSOF(st); m++) {
                header(f, st[m].name, st[m].help);
                for (size_t i = 0; i < rr->n_selftests; i++) {
                        const selftest_result *s = &rr->selftests[i];

                        fprintf(f, "%s{backend=", st[m].name);
                        put_label_value(f, s->backend);
                        if (m == 0)
                                fprintf(f, "} %d\n", s->exit_code);
                        else if (m == 1)
                                fprintf(f, "} %.3f\n", s->gflops);
                        else
                                fprintf(f, "} %" PRId64 "\n", s->time);
                }
        }
        if (rr && rr->has_recovery) {
                header(f, "rdna1_doctor_recovery_exit_code",
                       "Exit code of the last recovery (0 done, 10 reboot required, 11 partial, 12 refused, 3 unknown).");
                fprintf(f, "rdna1_doctor_recovery_exit_code %d\n", rr->recovery_exit_code);
                header(f, "rdna1_doctor_recovery_completion_time_seconds", "Unix time the last recovery ended.");
                fprintf(f, "rdna1_doctor_recovery_completion_time_seconds %" PRId64 "\n", rr->recovery_time);
        }
}

int textfile_render(FILE *f, const textfile_input *t)
{
        const report *r = t->in->report;

        header(f, "rdna1_doctor_verdict",
               "Exit code of the last check: 0 ok, 1 warning, 2 critical, 3 unknown (something that matters "
               "could not be checked).");
        fprintf(f, "rdna1_doctor_verdict %d\n", t->exit_code);
        header(f, "rdna1_doctor_check_partial", "1 when the last check could not read something that matters.");
        fprintf(f, "rdna1_doctor_check_partial %d\n", report_partial(r) ? 1 : 0);
        header(f, "rdna1_doctor_check_duration_seconds", "How long the last check took.");
        fprintf(f, "rdna1_doctor_check_duration_seconds %.3f\n", t->duration_seconds);
        header(f, "rdna1_doctor_check_completion_time_seconds", "Unix time the last check ended.");
        fprintf(f, "rdna1_doctor_check_completion_time_seconds %" PRId64 "\n", t->completion_time);
        severity_counts(f, r);
        finding_series(f, r);
        gpu_series(f, t->in);
        results_series(f, t->results);
        return ferror(f) ? -EIO : 0;
}

int textfile_read_results(const inspection *in, const char *state_dir, run_results *ret)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = state_subdir_open(in->sr, state_dir, "metrics", false, &path);

        if (fd == -ENOENT) {
                *ret = (run_results){0};
                return 0;
        }
        if (fd < 0)
                return fd;
        return run_results_read(fd, ret);
}

int textfile_write(const char *dir, const textfile_input *t)
{
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;
        FILE *f;
        int r;

        if (dirfd < 0)
                return -errno;
        if (fstat(dirfd, &st) < 0)
                return -errno;
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return -EPERM;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        r = textfile_render(f, t);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        return write_file_atomic(dirfd, TEXTFILE_NAME, buf, len, 0644);
}

static int open_results_dir(const char *root, const char *state_dir, sysroot **ret_sr, char **ret_path)
{
        sysroot *sr = NULL;
        int r, fd;

        r = sysroot_open(root, &sr);
        if (r < 0)
                return r;
        fd = state_subdir_open(sr, state_dir, "metrics", true, ret_path);
        if (fd < 0) {
                sysroot_free(sr);
                return fd;
        }
        *ret_sr = sr;
        return fd;
}

int textfile_record_selftest(const char *root, const char *state_dir, const selftest_result *s)
{
        _cleanup_free_ char *path = NULL;
        sysroot *sr = NULL;
        int fd, r;

        fd = open_results_dir(root, state_dir, &sr, &path);
        if (fd < 0)
                return fd;
        r = run_results_put_selftest(fd, s);
        close(fd);
        sysroot_free(sr);
        return r;
}

int textfile_record_recovery(const char *root, const char *state_dir, int exit_code)
{
        _cleanup_free_ char *path = NULL;
        sysroot *sr = NULL;
        int fd, r;

        fd = open_results_dir(root, state_dir, &sr, &path);
        if (fd < 0)
                return fd;
        r = run_results_put_recovery(fd, exit_code, (int64_t)time(NULL));
        close(fd);
        sysroot_free(sr);
        return r;
}

int textfile_check_and_write(const char *dir, const inspect_options *io)
{
        uint64_t start = now_ms();
        inspection *in = NULL;
        run_results rr;
        int r;

        r = inspect_run(io, &in);
        if (r < 0) {
                fprintf(stderr, "rdna1-doctor: --textfile: cannot inspect '%s': %s.\n", io->root, strerror(-r));
                return r;
        }
        r = textfile_read_results(in, io->state_dir, &rr);
        if (r < 0)
                rr = (run_results){0}; /* unreadable results: report the check alone */
        r = textfile_write(dir, &(textfile_input){.in = in, .exit_code = report_exit_code(in->report),
                                                  .duration_seconds = (double)(now_ms() - start) / 1000.0,
                                                  .completion_time = (int64_t)time(NULL), .results = &rr});
        if (r < 0)
                fprintf(stderr, "rdna1-doctor: cannot write %s/%s: %s.\n", dir, TEXTFILE_NAME, strerror(-r));
        inspection_free(in);
        return r;
}
