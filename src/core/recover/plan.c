/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan's data: action types, ordering, and its JSON form
 * (rdna1-doctor/plan/1), which is also what the journal keeps.
 */

#include <json-c/json.h>
#include <stdarg.h>

#include "base/util.h"
#include "recover/plan.h"
#include "root/sysroot.h"

static const char *const action_names[_ACTION_MAX] = {
        [ACTION_DISABLE_ENV_LINE] = "disable-env-line",
        [ACTION_RESTORE_FILE] = "restore-file",
        [ACTION_QUARANTINE] = "quarantine",
        [ACTION_INSTALL_PROFILE] = "install-profile",
        [ACTION_REINSTALL_PACKAGE] = "reinstall-package",
        [ACTION_DKMS_REBUILD] = "dkms-rebuild",
        [ACTION_DKMS_REMOVE] = "dkms-remove",
        [ACTION_UPDATE_INITRAMFS] = "update-initramfs",
};

static const char *const source_names[_SOURCE_MAX] = {
        [SOURCE_NONE] = "none",
        [SOURCE_DEB] = "deb",
        [SOURCE_BACKUP] = "backup",
};

const char *action_type_to_string(action_type t)
{
        return t >= 0 && t < _ACTION_MAX ? action_names[t] : NULL;
}

action_type action_type_from_string(const char *s)
{
        for (int i = 0; s && i < _ACTION_MAX; i++)
                if (streq(s, action_names[i]))
                        return (action_type)i;
        return _ACTION_INVALID;
}

bool action_type_is_kernel_side(action_type t)
{
        return t == ACTION_DKMS_REBUILD || t == ACTION_DKMS_REMOVE || t == ACTION_UPDATE_INITRAMFS;
}

const char *source_kind_to_string(source_kind k)
{
        return k >= 0 && k < _SOURCE_MAX ? source_names[k] : NULL;
}

source_kind source_kind_from_string(const char *s)
{
        for (int i = 0; s && i < _SOURCE_MAX; i++)
                if (streq(s, source_names[i]))
                        return (source_kind)i;
        return _SOURCE_INVALID;
}

plan *plan_new(const char *root)
{
        plan *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->root = strdup(root ? root : "/");
        if (!p->root) {
                free(p);
                return NULL;
        }
        return p;
}

static void action_clear(plan_action *a)
{
        free(a->finding_id);
        free(a->why);
        free(a->undo);
        strv_free_array(a->touches);
        free(a->path);
        free(a->line_text);
        free(a->content);
        free(a->quarantine_to);
        free(a->source_path);
        free(a->member);
        free(a->expected_md5);
        free(a->package);
        free(a->version);
        free(a->arch);
        free(a->kernel);
        free(a->dkms_module);
        free(a->dkms_version);
        free(a->blocked_reason);
}

plan *plan_free(plan *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_actions; i++)
                action_clear(&p->actions[i]);
        free(p->actions);
        strv_free_array(p->notes);
        for (size_t i = 0; i < p->n_seals; i++) {
                free(p->seals[i].path);
                free(p->seals[i].fingerprint);
        }
        free(p->seals);
        free(p->root);
        free(p);
        return NULL;
}

plan_action *plan_add(plan *p, action_type t, const char *finding_id)
{
        plan_action *n, *a;

        n = realloc(p->actions, (p->n_actions + 1) * sizeof(*n));
        if (!n)
                return NULL;
        p->actions = n;
        a = &p->actions[p->n_actions];
        *a = (plan_action){.type = t, .kernel_side = action_type_is_kernel_side(t),
                           .irreversible = t == ACTION_REINSTALL_PACKAGE};
        if (finding_id && !(a->finding_id = strdup(finding_id)))
                return NULL;
        p->n_actions++;
        return a;
}

static int strv_array_push(char ***v, size_t *n, char *s)
{
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

int plan_action_add_touch(plan_action *a, const char *path)
{
        for (size_t i = 0; i < a->n_touches; i++)
                if (streq(a->touches[i], path))
                        return 0;
        return strv_array_push(&a->touches, &a->n_touches, strdup(path));
}

int plan_add_note(plan *p, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        for (size_t i = 0; s && i < p->n_notes; i++)
                if (streq(p->notes[i], s)) {
                        free(s); /* one line per fact, however many findings lead to it */
                        return 0;
                }
        return strv_array_push(&p->notes, &p->n_notes, s);
}

/* env fixes, then package files, then user/unowned files, profiles, packages, kernel. */
static int action_rank(action_type t)
{
        switch (t) {
        case ACTION_DISABLE_ENV_LINE:
                return 0;
        case ACTION_RESTORE_FILE:
                return 1;
        case ACTION_QUARANTINE:
                return 2;
        case ACTION_INSTALL_PROFILE:
                return 3;
        case ACTION_REINSTALL_PACKAGE:
                return 4;
        default:
                return 5;
        }
}

static int kernel_rank(action_type t)
{
        return t == ACTION_UPDATE_INITRAMFS ? 1 : 0;
}

static int action_cmp(const void *x, const void *y)
{
        const plan_action *a = x, *b = y;
        int r = action_rank(a->type) - action_rank(b->type);

        if (r)
                return r;
        if (a->kernel_side && b->kernel_side) {
                r = strcmp(a->kernel ? a->kernel : "", b->kernel ? b->kernel : "");
                if (r)
                        return r;
                r = kernel_rank(a->type) - kernel_rank(b->type);
                if (r)
                        return r;
        }
        r = strcmp(a->path ? a->path : "", b->path ? b->path : "");
        if (r)
                return r;
        /* several lines of one file: bottom first, so line numbers stay true */
        return (int)b->line - (int)a->line;
}

void plan_sort(plan *p)
{
        if (p->n_actions > 1)
                qsort(p->actions, p->n_actions, sizeof(*p->actions), action_cmp);
}

/* ---- JSON ---- */

static int add_str(json_object *o, const char *key, const char *v)
{
        json_object *s;

        if (!v)
                return 0;
        s = json_object_new_string(v);
        if (!s || json_object_object_add(o, key, s) < 0) {
                json_object_put(s);
                return -ENOMEM;
        }
        return 0;
}

static int add_obj(json_object *o, const char *key, json_object *v)
{
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static json_object *strv_to_json(char **v, size_t n)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++) {
                json_object *s = json_object_new_string(v[i]);

                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static int action_to_json(const plan_action *a, size_t idx, json_object **ret)
{
        json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return -ENOMEM;
        r |= add_obj(o, "step", json_object_new_int64((int64_t)idx + 1));
        r |= add_str(o, "action", action_type_to_string(a->type));
        r |= add_str(o, "finding", a->finding_id);
        r |= add_str(o, "why", a->why);
        r |= add_obj(o, "touches", strv_to_json(a->touches, a->n_touches));
        r |= add_str(o, "undo", a->undo);
        r |= add_obj(o, "kernel_side", json_object_new_boolean(a->kernel_side));
        r |= add_obj(o, "irreversible", json_object_new_boolean(a->irreversible));
        r |= add_str(o, "path", a->path);
        if (a->line)
                r |= add_obj(o, "line", json_object_new_int64(a->line));
        r |= add_str(o, "line_text", a->line_text);
        if (a->profile_note)
                r |= add_obj(o, "profile_note", json_object_new_boolean(true));
        r |= add_str(o, "content", a->content);
        if (a->in_home) {
                r |= add_obj(o, "in_home", json_object_new_boolean(true));
                r |= add_obj(o, "owner_uid", json_object_new_int64(a->owner_uid));
                r |= add_obj(o, "owner_gid", json_object_new_int64(a->owner_gid));
        }
        r |= add_str(o, "quarantine_to", a->quarantine_to);
        if (a->planned.known) {
                json_object *f = json_object_new_object();

                r |= add_obj(o, "planned", f);
                if (f) {
                        r |= add_obj(f, "dev", json_object_new_uint64(a->planned.dev));
                        r |= add_obj(f, "ino", json_object_new_uint64(a->planned.ino));
                        r |= add_obj(f, "size", json_object_new_uint64(a->planned.size));
                        r |= add_obj(f, "mtime_sec", json_object_new_int64(a->planned.mtime_sec));
                        r |= add_obj(f, "mtime_nsec", json_object_new_int64(a->planned.mtime_nsec));
                }
        }
        if (a->type == ACTION_RESTORE_FILE || a->type == ACTION_REINSTALL_PACKAGE) {
                json_object *s = json_object_new_object();

                r |= add_obj(o, "source", s);
                if (s) {
                        r |= add_str(s, "kind", source_kind_to_string(a->source));
                        r |= add_str(s, "path", a->source_path);
                        r |= add_str(s, "member", a->member);
                        r |= add_str(s, "md5", a->expected_md5);
                        if (a->source != SOURCE_NONE)
                                r |= add_obj(s, "size", json_object_new_int64((int64_t)a->expected_size));
                }
        }
        r |= add_str(o, "package", a->package);
        r |= add_str(o, "version", a->version);
        r |= add_str(o, "architecture", a->arch);
        r |= add_str(o, "kernel", a->kernel);
        r |= add_str(o, "dkms_module", a->dkms_module);
        r |= add_str(o, "dkms_version", a->dkms_version);
        r |= add_obj(o, "blocked", json_object_new_boolean(a->blocked));
        r |= add_str(o, "blocked_reason", a->blocked_reason);
        if (r) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

int plan_to_json(const plan *p, json_object **ret)
{
        json_object *o = json_object_new_object(), *acts = json_object_new_array();
        int r = 0;

        if (!o || !acts) {
                json_object_put(o);
                json_object_put(acts);
                return -ENOMEM;
        }
        r |= add_str(o, "schema", PLAN_SCHEMA);
        r |= add_str(o, "root", p->root);
        r |= add_str(o, "kernel_choice", p->in_tree ? "in-tree" : "rebuild");
        r |= add_obj(o, "reboot_required", json_object_new_boolean(p->reboot_required));
        r |= add_obj(o, "actions", acts);
        for (size_t i = 0; !r && i < p->n_actions; i++) {
                json_object *a;

                r = action_to_json(&p->actions[i], i, &a);
                if (!r && json_object_array_add(acts, a) < 0) {
                        json_object_put(a);
                        r = -ENOMEM;
                }
        }
        r |= add_obj(o, "notes", strv_to_json(p->notes, p->n_notes));
        if (!r && p->sealed) {
                json_object *files = json_object_new_array();

                r |= add_obj(o, "reviewed_files", files);
                for (size_t i = 0; !r && i < p->n_seals; i++) {
                        json_object *f = json_object_new_object();

                        if (!f || json_object_array_add(files, f) < 0) {
                                json_object_put(f);
                                r = -ENOMEM;
                                break;
                        }
                        r |= add_str(f, "path", p->seals[i].path);
                        r |= add_str(f, "fingerprint", p->seals[i].fingerprint);
                }
        }
        if (r) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static int get_str(json_object *o, const char *key, char **ret)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int64_t get_int(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static uint64_t get_uint(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static bool get_bool(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int action_from_json(plan *p, json_object *o)
{
        _cleanup_free_ char *type = NULL, *finding = NULL, *kind = NULL;
        json_object *touches, *src, *planned;
        plan_action *a;
        action_type t;
        int r = 0;

        if (get_str(o, "action", &type) < 0 || !type)
                return -EBADMSG;
        t = action_type_from_string(type);
        if (t < 0)
                return -EBADMSG;
        r = get_str(o, "finding", &finding);
        if (r < 0)
                return r;
        a = plan_add(p, t, finding);
        if (!a)
                return -ENOMEM;
        r |= get_str(o, "why", &a->why);
        r |= get_str(o, "undo", &a->undo);
        r |= get_str(o, "path", &a->path);
        r |= get_str(o, "line_text", &a->line_text);
        r |= get_str(o, "content", &a->content);
        r |= get_str(o, "quarantine_to", &a->quarantine_to);
        r |= get_str(o, "package", &a->package);
        r |= get_str(o, "version", &a->version);
        r |= get_str(o, "architecture", &a->arch);
        r |= get_str(o, "kernel", &a->kernel);
        r |= get_str(o, "dkms_module", &a->dkms_module);
        r |= get_str(o, "dkms_version", &a->dkms_version);
        r |= get_str(o, "blocked_reason", &a->blocked_reason);
        a->line = (unsigned)get_int(o, "line");
        a->in_home = get_bool(o, "in_home");
        a->profile_note = get_bool(o, "profile_note");
        a->owner_uid = (uid_t)get_int(o, "owner_uid");
        a->owner_gid = (gid_t)get_int(o, "owner_gid");
        a->blocked = get_bool(o, "blocked");
        a->irreversible = get_bool(o, "irreversible");
        if (json_object_object_get_ex(o, "planned", &planned) && json_object_is_type(planned, json_type_object)) {
                a->planned = (plan_file_id){
                        .known = true,
                        .dev = get_uint(planned, "dev"),
                        .ino = get_uint(planned, "ino"),
                        .size = get_uint(planned, "size"),
                        .mtime_sec = get_int(planned, "mtime_sec"),
                        .mtime_nsec = get_int(planned, "mtime_nsec"),
                };
        }
        if (json_object_object_get_ex(o, "source", &src)) {
                r |= get_str(src, "kind", &kind);
                a->source = kind ? source_kind_from_string(kind) : SOURCE_NONE;
                if (a->source < 0)
                        return -EBADMSG;
                r |= get_str(src, "path", &a->source_path);
                r |= get_str(src, "member", &a->member);
                r |= get_str(src, "md5", &a->expected_md5);
                a->expected_size = (uint64_t)get_int(src, "size");
        }
        if (json_object_object_get_ex(o, "touches", &touches) && json_object_is_type(touches, json_type_array))
                for (size_t i = 0; !r && i < json_object_array_length(touches); i++)
                        r = plan_action_add_touch(a, json_object_get_string(json_object_array_get_idx(touches, i)));
        return r ? -EBADMSG : 0;
}

/* "reviewed_files": [{"path": P, "fingerprint": F}, ...] of a reviewed plan, when present. */
static int seals_from_json(plan *p, json_object *o)
{
        json_object *files;
        size_t n;

        if (!json_object_object_get_ex(o, "reviewed_files", &files))
                return 0;
        if (!json_object_is_type(files, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(files);
        p->seals = calloc(n ? n : 1, sizeof(plan_file_seal));
        if (!p->seals)
                return -ENOMEM;
        p->sealed = true;
        for (size_t i = 0; i < n; i++) {
                json_object *f = json_object_array_get_idx(files, i);
                plan_file_seal *s = &p->seals[p->n_seals];

                if (get_str(f, "path", &s->path) < 0 || get_str(f, "fingerprint", &s->fingerprint) < 0 ||
                    !s->path || !s->fingerprint) {
                        free(s->path);
                        free(s->fingerprint);
                        *s = (plan_file_seal){0};
                        return -EBADMSG;
                }
                p->n_seals++;
        }
        return 0;
}

int plan_from_json(json_object *o, plan **ret)
{
        _cleanup_free_ char *schema = NULL, *root = NULL, *choice = NULL;
        json_object *acts, *notes;
        plan *p;
        int r;

        if (get_str(o, "schema", &schema) < 0 || !schema || !streq(schema, PLAN_SCHEMA))
                return -EBADMSG;
        if (get_str(o, "root", &root) < 0 || get_str(o, "kernel_choice", &choice) < 0)
                return -EBADMSG;
        p = plan_new(root);
        if (!p)
                return -ENOMEM;
        p->in_tree = choice && streq(choice, "in-tree");
        p->reboot_required = get_bool(o, "reboot_required");
        if (!json_object_object_get_ex(o, "actions", &acts) || !json_object_is_type(acts, json_type_array)) {
                plan_free(p);
                return -EBADMSG;
        }
        for (size_t i = 0; i < json_object_array_length(acts); i++) {
                r = action_from_json(p, json_object_array_get_idx(acts, i));
                if (r < 0) {
                        plan_free(p);
                        return r;
                }
        }
        if (json_object_object_get_ex(o, "notes", &notes) && json_object_is_type(notes, json_type_array))
                for (size_t i = 0; i < json_object_array_length(notes); i++)
                        if (plan_add_note(p, "%s", json_object_get_string(json_object_array_get_idx(notes, i))) < 0) {
                                plan_free(p);
                                return -ENOMEM;
                        }
        r = seals_from_json(p, o);
        if (r < 0) {
                plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}
