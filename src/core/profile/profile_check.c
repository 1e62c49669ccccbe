/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "profile/profile_check.h"

#include <fnmatch.h>

#include "parse/envfile.h"

void judge_set_clear(judge_set *s)
{
        free(s->items);
        *s = (judge_set){0};
}

static int judge_set_add(judge_set *s, const char *gfx, const char *slot)
{
        judge_target *grown = realloc(s->items, (s->n + 1) * sizeof(*grown));

        if (!grown)
                return -ENOMEM;
        s->items = grown;
        s->items[s->n++] = (judge_target){.gfx = gfx, .pci_slot = slot};
        return 0;
}

int judge_set_make(const gpu_targets *t, const char *device, judge_set *ret)
{
        judge_set s = {0};
        int k = 0;

        if (device) {
                const gpu_target *g = gpu_targets_select(t, device);

                if (!g || !g->gfx)
                        return -ENODEV;
                k = judge_set_add(&s, g->gfx, g->pci_slot);
        } else
                for (size_t i = 0; i < t->n && k >= 0; i++)
                        if (t->items[i].gfx)
                                k = judge_set_add(&s, t->items[i].gfx, t->items[i].pci_slot);
        if (k >= 0 && s.n == 0)
                k = judge_set_add(&s, GPU_TARGET_DEFAULT, NULL);
        if (k < 0) {
                judge_set_clear(&s);
                return k;
        }
        *ret = s;
        return 0;
}

static char *target_label(const judge_target *t)
{
        return t->pci_slot ? strdup_printf("%s at %s", t->gfx, t->pci_slot)
                           : strdup_printf("%s (no GPU detected: assumed)", t->gfx);
}

int judge_setting(const rules_db *db, const judge_set *js, const char *path, unsigned line,
                  const char *name, const char *value, problem_list *pl)
{
        _cleanup_free_ char *label = NULL, *others = NULL;
        rule_verdict worst = {0};
        const judge_target *worst_t = NULL;
        bool known = false;
        int k;

        for (size_t i = 0; i < js->n; i++) {
                rule_verdict v = {0};

                if (rules_judge(db, name, value, js->items[i].gfx, &v) < 0)
                        return -ENOMEM;
                if (v.rule)
                        known = true;
                if (!v.finding)
                        continue;
                if (!worst_t || v.severity > worst.severity) {
                        if (worst_t) {
                                char *o = strdup_printf("%s%s%s", others ? others : "", others ? ", " : "",
                                                        worst_t->gfx);
                                free(others);
                                others = o;
                        }
                        worst = v;
                        worst_t = &js->items[i];
                } else {
                        char *o = strdup_printf("%s%s%s", others ? others : "", others ? ", " : "", js->items[i].gfx);
                        free(others);
                        others = o;
                }
        }
        if (!known)
                return problem_add(pl, path, line, SEVERITY_WARNING, name, NULL,
                                   "unknown variable: rules.ini has nothing on it, so it was not judged");
        if (!worst_t)
                return 0;
        label = target_label(worst_t);
        if (!label)
                return -ENOMEM;
        k = problem_add(pl, path, line, worst.severity, name, worst.source, "%s on %s%s%s%s: %s",
                        worst.finding, label, others ? " (also on " : "", others ? others : "",
                        others ? ")" : "", worst.reason ? worst.reason : "known to cause trouble");
        if (k < 0)
                return k;
        pl->items[pl->n - 1].finding = strdup(worst.finding);
        return pl->items[pl->n - 1].finding ? 0 : -ENOMEM;
}

static bool list_has_gfx(const strv *l, const char *gfx)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i], "*") || streq(l->items[i], gfx))
                        return true;
        return false;
}

int profile_validate(const profile *p, const rules_db *db, const judge_set *js, problem_list *pl)
{
        int k;

        for (size_t i = 0; i < js->n; i++) {
                _cleanup_free_ char *label = NULL;

                if (list_has_gfx(&p->gfx_targets, js->items[i].gfx))
                        continue;
                label = target_label(&js->items[i]);
                if (!label)
                        return -ENOMEM;
                k = problem_add(pl, p->path, 0, SEVERITY_WARNING, NULL, NULL,
                                "the profile is for %s, not for %s", p->gfx_targets.n ? p->gfx_targets.items[0] : "(none)",
                                label);
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; i < p->n_env; i++) {
                k = judge_setting(db, js, p->path, p->env[i].line, p->env[i].name, p->env[i].value, pl);
                if (k < 0)
                        return k;
        }
        return 0;
}

bool profile_buffer_is_ini(const char *path, const char *buf, size_t len)
{
        if (endswith(path, ".ini"))
                return true;
        /* A [profile] header at the start of a line. */
        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *b = p;

                while (b < end && (*b == ' ' || *b == '\t'))
                        b++;
                if ((size_t)(end - b) >= 9 && strncasecmp(b, "[profile]", 9) == 0)
                        return true;
                p = nl ? nl + 1 : end;
        }
        return false;
}

int envfile_validate(const char *path, const char *buf, size_t len, const rules_db *db, const judge_set *js,
                     problem_list *pl)
{
        env_file *f = NULL;
        int k;

        if (!utf8_valid(buf, len) &&
            (k = problem_add(pl, path, 0, SEVERITY_WARNING, NULL, NULL,
                             "the file is not valid UTF-8 (shown escaped)")) < 0)
                return k;
        k = env_file_parse(ENV_FORMAT_SHELL, buf, len, &f);
        if (k < 0)
                return k;
        for (size_t i = 0; i < f->n_entries && k >= 0; i++) {
                const env_entry *e = &f->entries[i];

                /* what a profile refuses (env_value_problem) is a warning here, so validate and install agree */
                if (strpbrk(e->value, "\n\r"))
                        k = problem_add(pl, path, e->line, SEVERITY_WARNING, e->name, NULL,
                                        "the value contains a line break: a profile would refuse it");
                if (k >= 0 && (strstr(e->value, "$(") || strchr(e->value, '`')))
                        k = problem_add(pl, path, e->line, SEVERITY_WARNING, e->name, NULL,
                                        "the value runs a command (command substitution): not statically known; "
                                        "a profile would refuse it");
                if (k >= 0)
                        k = judge_setting(db, js, path, e->line, e->name, e->value, pl);
        }
        if (k >= 0 && f->n_skipped > 0)
                k = problem_add(pl, path, 0, SEVERITY_INFO, NULL, NULL,
                                "%zu line(s) not understood by the static parser were not judged", f->n_skipped);
        env_file_free(f);
        return k;
}
