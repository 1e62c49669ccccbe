/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles through the command line's own contract (rdna1-doctor(8), PROFILES): the list is
 * `--profile list --json` (rdna1-doctor/profiles/1), a diff or an install
 * is `--profile diff|validate|install NAME`, each the doctor itself as a child on
 * the same root (child.c). A build whose command line has no --profile
 * answers exit 64 ("not available"): the screen then says so.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/util.h"
#include "child_json.h"

static void first_line(const char *s, char *dst, size_t size)
{
        size_t n = strcspn(s, "\n");
        _cleanup_free_ char *l = strndup(s, n);

        copy_escaped(dst, size, l ? l : "");
}

void profiles_load(tui_app *a)
{
        strv v = {0};
        _cleanup_free_ char *out = NULL, *err = NULL;
        json_object *doc = NULL, *arr = NULL;
        prof_view p = {0};
        int code = -ENOMEM;

        if (self_argv(a, &v) >= 0 && strv_push_dup(&v, "--profile") >= 0 && strv_push_dup(&v, "list") >= 0 &&
            strv_push_dup(&v, "--json") >= 0)
                code = run_capture(v.items, &out, &err, NULL, NULL);
        strv_clear(&v);
        if (code == 0 && out && (doc = json_tokener_parse(out)) &&
            (json_object_object_get_ex(doc, "profiles", &arr) || json_object_is_type(doc, json_type_array))) {
                if (!arr)
                        arr = doc;
                p.available = true;
                for (size_t i = 0; i < json_object_array_length(arr) && p.n < PROF_MAX; i++) {
                        json_object *o = json_object_array_get_idx(arr, i), *g, *val;

                        copy_escaped(p.name[p.n], sizeof(p.name[0]), jstr(o, "name"));
                        copy_escaped(p.desc[p.n], sizeof(p.desc[0]), jstr(o, "description"));
                        if (json_object_object_get_ex(o, "gfx_targets", &g) && json_object_is_type(g, json_type_array) &&
                            json_object_array_length(g) > 0)
                                copy_escaped(p.gfx[p.n], sizeof(p.gfx[0]),
                                             json_object_get_string(json_object_array_get_idx(g, 0)));
                        p.valid[p.n] = json_object_object_get_ex(o, "valid", &val) && json_object_get_boolean(val);
                        p.n++;
                }
        } else if (code == 64 || code < -1) {
                snprintf(p.unavailable, sizeof(p.unavailable), "Profiles are not in this build of rdna1-doctor.");
        } else {
                char l[200];

                first_line(err && *err ? err : "no answer", l, sizeof(l));
                snprintf(p.unavailable, sizeof(p.unavailable), "--profile list failed (exit %d): %s", code, l);
        }
        json_object_put(doc);
        pthread_mutex_lock(&a->lock);
        /* keep the last diff/install output: it belongs to the user's last action */
        memcpy(p.of, a->prof.of, sizeof(p.of));
        memcpy(p.what, a->prof.what, sizeof(p.what));
        p.exit_code = a->prof.exit_code;
        memcpy(p.lines, a->prof.lines, sizeof(p.lines));
        p.n_lines = a->prof.n_lines;
        a->prof = p;
        pthread_mutex_unlock(&a->lock);
}

typedef struct prof_job {
        tui_app *a;
        char *argv[16];
} prof_job;

static void *profile_main(void *userdata)
{
        prof_job *j = userdata;
        tui_app *a = j->a;
        _cleanup_free_ char *out = NULL, *err = NULL;
        int code = run_capture(j->argv, &out, &err, NULL, NULL);
        prof_view *p = &a->prof;

        pthread_mutex_lock(&a->lock);
        p->busy = false;
        p->exit_code = code;
        p->n_lines = 0;
        for (int pass = 0; pass < 2; pass++) {
                char *buf = pass ? err : out, *save = NULL;

                for (char *l = buf ? strtok_r(buf, "\n", &save) : NULL; l && p->n_lines < PROF_LINES;
                     l = strtok_r(NULL, "\n", &save))
                        copy_escaped(p->lines[p->n_lines++], sizeof(p->lines[0]), l);
        }
        if (code < -1 && p->n_lines < PROF_LINES)
                snprintf(p->lines[p->n_lines++], sizeof(p->lines[0]), "cannot start: %s", strerror(-code));
        a->job_done = true;
        pthread_mutex_unlock(&a->lock);
        for (size_t i = 0; i < ELEMENTSOF(j->argv); i++)
                free(j->argv[i]);
        free(j);
        jobs_wake(a);
        return NULL;
}

int jobs_start_profile(tui_app *a, const char *action, const char *name)
{
        prof_job *j;
        strv v = {0};
        int r;

        if (a->job != JOB_NONE)
                return -EBUSY;
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        r = self_argv(a, &v);
        if (r >= 0)
                r = strv_push_dup(&v, "--profile") < 0 || strv_push_dup(&v, action) < 0 || strv_push_dup(&v, name) < 0
                            ? -ENOMEM : 0;
        if (r < 0 || v.n >= ELEMENTSOF(j->argv)) {
                strv_clear(&v);
                free(j);
                return r < 0 ? r : -E2BIG;
        }
        for (size_t i = 0; i < v.n; i++)
                j->argv[i] = v.items[i];
        free(v.items);
        j->a = a;
        pthread_mutex_lock(&a->lock);
        a->prof.busy = true;
        snprintf(a->prof.of, sizeof(a->prof.of), "%s", name);
        snprintf(a->prof.what, sizeof(a->prof.what), "%s", action);
        a->prof.n_lines = 0;
        pthread_mutex_unlock(&a->lock);
        r = jobs_start_worker(a, JOB_PROFILE, profile_main, j);
        if (r < 0) {
                for (size_t i = 0; i < ELEMENTSOF(j->argv); i++)
                        free(j->argv[i]);
                free(j);
        }
        return r;
}
