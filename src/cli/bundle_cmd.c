/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --bundle FILE [--safe-mode]: the redacted diagnostic bundle. The check's
 * JSON document (masked value by value), its text report, and the allow-
 * listed sources of bundle_probes.c go into one .tar.xz, mode 0600, owned
 * by the invoking user (created by a child that has become that user).
 */
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <json-c/json.h>

#include "base/log.h"
#include "base/util.h"
#include "bundle/bundle.h"
#include "bundle_cmd.h"
#include "config.h"
#include "output.h"

#define EXIT_UNKNOWN 3
#define BUNDLE_TOP "rdna1-doctor-bundle"

/* The check's document, every string value masked. */
static int add_check_json(bundle *b, const inspection *in, int code)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        json_object *doc;
        const char *s;
        int r;

        if (!f)
                return -ENOMEM;
        r = output_json(f, in, code);
        fclose(f);
        if (r < 0)
                return r;
        doc = json_tokener_parse(buf);
        if (!doc)
                return -EBADMSG;
        r = redact_json(b->red, doc);
        s = r < 0 ? NULL : json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s)
                r = bundle_add_premasked(b, "check.json", s, strlen(s));
        else if (r >= 0)
                r = -ENOMEM;
        json_object_put(doc);
        return r;
}

static int add_check_text(bundle *b, const inspection *in, int code)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        output_options oo = { .verbose = true };
        int r;

        if (!f)
                return -ENOMEM;
        r = output_text(f, in, code, &oo);
        fclose(f);
        return r < 0 ? r : bundle_add(b, "check.txt", buf, len);
}

static char *manifest_json(const bundle *b, const inspection *in, const bundle_cli *c, int code)
{
        json_object *m = json_object_new_object();
        json_object *probes = json_object_new_array(), *red = json_object_new_object(), *members = json_object_new_array();
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        _cleanup_free_ char *root = NULL;
        size_t l;

        char *ret;

        if (!m || !probes || !red || !members) {
                json_object_put(m);
                json_object_put(probes);
                json_object_put(red);
                json_object_put(members);
                return NULL;
        }
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        root = redact_text(b->red, in->sr->path, strlen(in->sr->path), &l);
        json_object_object_add(m, "schema", json_object_new_string(BUNDLE_SCHEMA));
        json_object_object_add(m, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(m, "created", json_object_new_string(when));
        json_object_object_add(m, "root", root ? json_object_new_string(root) : NULL);
        json_object_object_add(m, "safe_mode", json_object_new_boolean(c->safe_mode));
        json_object_object_add(m, "verdict", json_object_new_string(report_verdict(in->report)));
        json_object_object_add(m, "exit_code", json_object_new_int(code));
        for (size_t i = 0; i < b->n_probes; i++) {
                json_object *p = json_object_new_object();
                if (!p)
                        continue;
                json_object_object_add(p, "name", json_object_new_string(b->probes[i].name));
                json_object_object_add(p, "status", json_object_new_string(probe_status_to_string(b->probes[i].status)));
                json_object_object_add(p, "error", b->probes[i].error ? json_object_new_string(b->probes[i].error) : NULL);
                json_object_object_add(p, "members", json_object_new_int64((int64_t)b->probes[i].members));
                json_object_array_add(probes, p);
        }
        json_object_object_add(m, "probes", probes);
        /* how much was masked, never what */
        for (int k = 0; k < _REDACT_CLASS_MAX; k++)
                json_object_object_add(red, redact_class_to_string(k),
                                       json_object_new_int64((int64_t)redactor_count(b->red, k)));
        json_object_object_add(m, "masked", red);
        for (size_t i = 0; i < b->n_members; i++)
                json_object_array_add(members, json_object_new_string(b->members[i].name));
        json_object_object_add(m, "members", members);
        ret = strdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(m);
        return ret;
}

/* Who the file is for: SUDO_UID/SUDO_GID, PKEXEC_UID, DOAS_USER when we are root; else ourselves. */
static void invoking_owner(uid_t *ret_uid, gid_t *ret_gid)
{
        const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID"), *pk = getenv("PKEXEC_UID");
        const char *doas = getenv("DOAS_USER");
        uint64_t v;

        *ret_uid = getuid();
        *ret_gid = getgid();
        if (geteuid() != 0)
                return;
        if (su && safe_atou64(su, 10, &v) == 0 && v < UINT32_MAX) {
                *ret_uid = (uid_t)v;
                *ret_gid = sg && safe_atou64(sg, 10, &v) == 0 && v < UINT32_MAX ? (gid_t)v : *ret_uid;
        } else if (pk && safe_atou64(pk, 10, &v) == 0 && v < UINT32_MAX) {
                struct passwd *pw = getpwuid((uid_t)v);
                *ret_uid = (uid_t)v;
                *ret_gid = pw ? pw->pw_gid : (gid_t)v;
        } else if (doas && *doas) {
                struct passwd *pw = getpwnam(doas);
                if (pw) {
                        *ret_uid = pw->pw_uid;
                        *ret_gid = pw->pw_gid;
                }
        }
}

/* --bundle FILE --dry-run: what the archive would hold; FILE is not created. */
static int dry_run_report(const bundle_cli *c, const bundle *b, const inspection *in, int mfd)
{
        struct stat st;
        off_t size = lseek(mfd, 0, SEEK_END);

        if (lstat(c->path, &st) == 0) {
                fprintf(stderr, "rdna1-doctor: '%s' exists; --bundle would refuse it (nothing is overwritten).\n",
                        c->path);
                return EX_CANTCREAT;
        }
        if (c->quiet)
                return 0;
        printf("would write %s (%zu files, %lld bytes compressed, verdict %s):\n", c->path,
               b->n_members + 1, (long long)size, report_verdict(in->report));
        printf("  " BUNDLE_TOP "/manifest.json\n");
        for (size_t i = 0; i < b->n_members; i++) {
                _cleanup_free_ char *name = escape_untrusted(b->members[i].name, strlen(b->members[i].name), 0);

                printf("  " BUNDLE_TOP "/%s (%zu bytes)\n", name ? name : "?", b->members[i].len);
        }
        printf("Dry run: nothing was written.\n");
        return 0;
}

int bundle_run_cli(const bundle_cli *c, const inspect_options *io)
{
        _cleanup_free_ char *manifest = NULL;
        _cleanup_close_ int mfd = -EBADF;
        inspection *in = NULL;
        bundle *b = NULL;
        const char *t, *fault;
        size_t failed = 0, skipped = 0;
        uid_t uid;
        gid_t gid;
        uint64_t v;
        int r, code, ret = EXIT_UNKNOWN;

        r = inspect_run(io, &in);
        if (r < 0) {
                log_error_errno(r, "cannot inspect '%s'", io->root);
                return EXIT_UNKNOWN;
        }
        code = report_exit_code(in->report);
        r = bundle_new(&b);
        if (r < 0)
                goto oom;
        /* test only: a shorter deadline per probe, and a probe made to hang or fail */
        t = getenv("RDNA1_DOCTOR_BUNDLE_PROBE_TIMEOUT_MS");
        if (t && safe_atou64(t, 10, &v) == 0 && v > 0 && v < 600000)
                b->timeout_ms = (unsigned)v;
        fault = getenv("RDNA1_DOCTOR_BUNDLE_FAULT");

        r = bundle_learn_secrets(b, in);
        if (r >= 0)
                r = add_check_json(b, in, code);
        if (r >= 0)
                r = add_check_text(b, in, code);
        if (r >= 0)
                r = bundle_collect(b, in, c->safe_mode, io->state_dir, fault);
        if (r < 0) {
                log_error_errno(r, "could not collect the bundle");
                goto out;
        }
        manifest = manifest_json(b, in, c, code);
        if (!manifest)
                goto oom;
        mfd = memfd_create("rdna1-doctor-bundle", MFD_CLOEXEC);
        if (mfd < 0) {
                fprintf(stderr, "rdna1-doctor: no memory file for the archive: %m.\n");
                goto out;
        }
        r = bundle_write_archive(b, BUNDLE_TOP, manifest, mfd);
        if (r < 0) {
                log_error_errno(r, "could not build the archive");
                goto out;
        }
        invoking_owner(&uid, &gid);
        if (c->dry_run) {
                ret = dry_run_report(c, b, in, mfd);
                goto out;
        }
        r = bundle_write_file(c->path, uid, gid, mfd);
        if (r < 0) {
                if (r == -EEXIST)
                        fprintf(stderr, "rdna1-doctor: '%s' exists; choose a new file name (nothing is overwritten).\n",
                                c->path);
                else
                        log_error_errno(r, "cannot create '%s' as uid %u", c->path, (unsigned)uid);
                ret = EX_CANTCREAT;
                goto out;
        }
        for (size_t i = 0; i < b->n_probes; i++) {
                if (b->probes[i].status == PROBE_FAILED || b->probes[i].status == PROBE_TIMEOUT)
                        failed++;
                else if (b->probes[i].status == PROBE_SKIPPED)
                        skipped++;
        }
        if (!c->quiet)
                printf("rdna1-doctor: wrote %s (%zu files, verdict %s; %zu probes failed, %zu skipped; see "
                       BUNDLE_TOP "/manifest.json)\n", c->path, b->n_members + 1, report_verdict(in->report), failed,
                       skipped);
        ret = 0;
        goto out;
oom:
        fprintf(stderr, "rdna1-doctor: out of memory.\n");
out:
        bundle_free(b);
        inspection_free(in);
        return ret;
}
