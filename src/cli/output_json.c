/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>

#include "base/util.h"
#include "config.h"
#include "output.h"

/* json-c objects are reference counted; put() releases on NULL-safe paths. */
static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* Add key -> value (NULL is JSON null); on failure value is released. */
static int jadd(json_object *obj, const char *key, json_object *value)
{
        if (json_object_object_add(obj, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static json_object *jstr_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

/* Strings from inspected files: escape control characters first. */
static json_object *jstr_untrusted(const char *s)
{
        _cleanup_free_ char *e = NULL;

        if (!s)
                return NULL;
        e = escape_untrusted(s, strlen(s), 4096);
        return e ? json_object_new_string(e) : NULL;
}

static int jappend(json_object *arr, json_object *value)
{
        if (!value)
                return -ENOMEM;
        if (json_object_array_add(arr, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static json_object *device_json(const gpu_device *g)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        char buf[16];

        if (!o)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%04x", g->vendor_id);
        if (jadd(o, "pci_slot", json_object_new_string(g->pci_slot)) < 0 ||
            jadd(o, "vendor_id", json_object_new_string(buf)) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%04x", g->device_id);
        if (jadd(o, "device_id", json_object_new_string(buf)) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%02x", g->revision);
        if (jadd(o, "revision", json_object_new_string(buf)) < 0 ||
            jadd(o, "name", jstr_untrusted(g->name ? g->name : "")) < 0 ||
            jadd(o, "gfx_target", jstr_or_null(g->gfx_target)) < 0 ||
            jadd(o, "rdna1", json_object_new_boolean(g->rdna1 != NULL)) < 0 ||
            jadd(o, "driver", jstr_untrusted(g->driver)) < 0 ||
            jadd(o, "kfd_node", g->kfd_node >= 0 ? json_object_new_int(g->kfd_node) : NULL) < 0 ||
            jadd(o, "render_node", jstr_untrusted(g->render_node)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *dkms_json(const inspection *in)
{
        _cleanup_json_ json_object *arr = json_object_new_array();

        if (!arr)
                return NULL;
        for (size_t i = 0; in->dkms && i < in->dkms->n_builds; i++) {
                const dkms_build *b = &in->dkms->builds[i];
                _cleanup_json_ json_object *o = json_object_new_object();

                if (!o || jadd(o, "module", jstr_untrusted(b->module)) < 0 ||
                    jadd(o, "version", jstr_untrusted(b->version)) < 0 ||
                    jadd(o, "kernel", jstr_untrusted(b->kernel)) < 0 ||
                    jadd(o, "arch", jstr_untrusted(b->arch)) < 0 ||
                    jadd(o, "state", json_object_new_string(dkms_state_to_string(b->state))) < 0 ||
                    jappend(arr, TAKE_PTR(o)) < 0)
                        return NULL;
        }
        return TAKE_PTR(arr);
}

static json_object *driver_json(const inspection *in)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        const module_facts *m = in->module;
        _cleanup_free_ char *id = NULL;
        json_object *dk;

        if (!o)
                return NULL;
        if (m && m->build_id_len) {
                id = hex_encode(m->build_id, m->build_id_len);
                if (!id)
                        return NULL;
        }
        dk = dkms_json(in);
        if (!dk)
                return NULL;
        if (jadd(o, "loaded", json_object_new_boolean(m && m->loaded)) < 0 ||
            jadd(o, "origin", json_object_new_string(inspection_driver_origin(in))) < 0 ||
            jadd(o, "build_id", jstr_or_null(id)) < 0 ||
            jadd(o, "srcversion", jstr_untrusted(m ? m->srcversion : NULL)) < 0 ||
            jadd(o, "version", jstr_untrusted(m ? m->version : NULL)) < 0 ||
            jadd(o, "kernel", jstr_untrusted(in->osrelease)) < 0 || jadd(o, "dkms", dk) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *kernels_json(const inspection *in)
{
        _cleanup_json_ json_object *arr = json_object_new_array();

        if (!arr)
                return NULL;
        for (size_t i = 0; i < in->n_kernels; i++) {
                const kernel_facts *k = &in->kernels[i];
                _cleanup_json_ json_object *o = json_object_new_object();

                if (!o || jadd(o, "version", jstr_untrusted(k->version)) < 0 ||
                    jadd(o, "running", json_object_new_boolean(k->running)) < 0 ||
                    jadd(o, "amdgpu", jstr_untrusted(k->module_path)) < 0 ||
                    jadd(o, "amdgpu_origin", k->module_path ? json_object_new_string(k->module_in_tree ? "in-tree" : "dkms")
                                                            : NULL) < 0 ||
                    jadd(o, "initramfs", jstr_untrusted(k->initramfs_path)) < 0 ||
                    jappend(arr, TAKE_PTR(o)) < 0)
                        return NULL;
        }
        return TAKE_PTR(arr);
}

static json_object *finding_json(const finding *f)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_json_ json_object *ev = json_object_new_array();

        if (!o || !ev)
                return NULL;
        for (size_t i = 0; i < f->n_evidence; i++) {
                const evidence *e = &f->evidence[i];
                _cleanup_json_ json_object *x = json_object_new_object();

                /* Evidence strings were escaped when they were recorded. */
                if (!x || jadd(x, "path", jstr_or_null(e->path)) < 0 ||
                    jadd(x, "line", e->line ? json_object_new_int64(e->line) : NULL) < 0 ||
                    jadd(x, "detail", jstr_or_null(e->detail)) < 0 || jappend(ev, TAKE_PTR(x)) < 0)
                        return NULL;
        }
        if (jadd(o, "id", json_object_new_string(f->id)) < 0 ||
            jadd(o, "severity", json_object_new_string(severity_to_string(f->severity))) < 0 ||
            jadd(o, "pci_slot", jstr_or_null(f->pci_slot)) < 0 ||
            jadd(o, "title", json_object_new_string(f->title)) < 0 || jadd(o, "evidence", TAKE_PTR(ev)) < 0 ||
            jadd(o, "fix", json_object_new_string(f->fix)) < 0 ||
            jadd(o, "fixable", json_object_new_boolean(f->fixable)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *build_document(const inspection *in, int exit_code)
{
        _cleanup_json_ json_object *doc = json_object_new_object();
        _cleanup_json_ json_object *reasons = json_object_new_array();
        _cleanup_json_ json_object *devices = json_object_new_array();
        _cleanup_json_ json_object *findings = json_object_new_array();
        _cleanup_json_ json_object *summary = json_object_new_object();
        _cleanup_json_ json_object *notes = json_object_new_array();
        const report *r = in->report;
        size_t counts[_SEVERITY_MAX];
        json_object *driver, *kernels;

        if (!doc || !reasons || !devices || !findings || !summary || !notes)
                return NULL;
        for (size_t i = 0; i < r->n_reasons; i++) {
                _cleanup_json_ json_object *x = json_object_new_object();

                if (!r->reasons[i].matters)
                        continue;
                if (!x || jadd(x, "probe", json_object_new_string(r->reasons[i].probe)) < 0 ||
                    jadd(x, "path", jstr_or_null(r->reasons[i].path)) < 0 ||
                    jadd(x, "error", json_object_new_string(r->reasons[i].error)) < 0 ||
                    jappend(reasons, TAKE_PTR(x)) < 0)
                        return NULL;
        }
        if (r->lost) {
                _cleanup_json_ json_object *x = json_object_new_object();

                if (!x || jadd(x, "probe", json_object_new_string("report")) < 0 ||
                    jadd(x, "path", NULL) < 0 || jadd(x, "error", json_object_new_string(REPORT_LOST_TEXT)) < 0 ||
                    jappend(reasons, TAKE_PTR(x)) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < in->n_devices; i++)
                if (jappend(devices, device_json(&in->devices[i])) < 0)
                        return NULL;
        for (size_t i = 0; i < r->n_findings; i++)
                if (jappend(findings, finding_json(&r->findings[i])) < 0)
                        return NULL;
        for (size_t i = 0; i < r->n_notes; i++)
                if (jappend(notes, jstr_untrusted(r->notes[i])) < 0)
                        return NULL;
        report_count(r, counts);
        if (jadd(summary, "critical", json_object_new_int64((int64_t)counts[SEVERITY_CRITICAL])) < 0 ||
            jadd(summary, "warning", json_object_new_int64((int64_t)counts[SEVERITY_WARNING])) < 0 ||
            jadd(summary, "info", json_object_new_int64((int64_t)counts[SEVERITY_INFO])) < 0)
                return NULL;

        driver = driver_json(in);
        if (!driver)
                return NULL;
        kernels = kernels_json(in);
        if (!kernels) {
                json_object_put(driver);
                return NULL;
        }
        if (jadd(doc, "schema", json_object_new_string("rdna1-doctor/1")) < 0 ||
            jadd(doc, "version", json_object_new_string(PACKAGE_VERSION)) < 0 ||
            jadd(doc, "root", jstr_untrusted(in->sr->path)) < 0 ||
            jadd(doc, "verdict", json_object_new_string(report_verdict(r))) < 0 ||
            jadd(doc, "exit_code", json_object_new_int(exit_code)) < 0 ||
            jadd(doc, "partial", json_object_new_boolean(report_partial(r))) < 0 ||
            jadd(doc, "reasons", TAKE_PTR(reasons)) < 0 ||
            jadd(doc, "live", json_object_new_boolean(in->live)) < 0 ||
            jadd(doc, "devices", TAKE_PTR(devices)) < 0) {
                json_object_put(driver);
                json_object_put(kernels);
                return NULL;
        }
        if (jadd(doc, "driver", driver) < 0) {
                json_object_put(kernels);
                return NULL;
        }
        if (jadd(doc, "kernels", kernels) < 0 || jadd(doc, "findings", TAKE_PTR(findings)) < 0 ||
            jadd(doc, "summary", TAKE_PTR(summary)) < 0 || jadd(doc, "notes", TAKE_PTR(notes)) < 0)
                return NULL;
        return TAKE_PTR(doc);
}

int output_json(FILE *f, const inspection *in, int exit_code)
{
        _cleanup_json_ json_object *doc = build_document(in, exit_code);
        const char *s;

        if (!doc)
                return -ENOMEM;
        s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        /* One write of the complete document. */
        if (fprintf(f, "%s\n", s) < 0 || fflush(f) != 0)
                return -EIO;
        return 0;
}
