/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a profile becomes on one machine: the resolved environment (with
 * ROCR_VISIBLE_DEVICES when the root has several AMD GPUs) and the
 * /etc/profile.d script install writes.
 */
#include "profile/profile.h"

#include <stdarg.h>

#include "check/gpu_targets.h"

void resolved_env_clear(resolved_env *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].name);
                free(e->items[i].value);
                free(e->items[i].reason);
                free(e->items[i].source);
        }
        free(e->items);
        *e = (resolved_env){0};
}

static int resolved_add(resolved_env *e, const char *name, const char *value, const char *why,
                        const char *source, unsigned line)
{
        profile_setting *grown = realloc(e->items, (e->n + 1) * sizeof(*grown)), *s;

        if (!grown)
                return -ENOMEM;
        e->items = grown;
        s = &e->items[e->n++];
        *s = (profile_setting){
                .name = strdup(name),
                .value = strdup(value),
                .reason = why ? strdup(why) : NULL,
                .source = source ? strdup(source) : NULL,
                .line = line,
        };
        if (!s->name || !s->value || (why && !s->reason) || (source && !s->source))
                return -ENOMEM;
        return 0;
}

static bool profile_sets(const profile *p, const char *name)
{
        for (size_t i = 0; i < p->n_env; i++)
                if (streq(p->env[i].name, name))
                        return true;
        return false;
}

int profile_resolve(const profile *p, const gpu_targets *t, const char *device_override, resolved_env *ret,
                    char **ret_why)
{
        resolved_env e = {0};
        int k = 0;

        for (size_t i = 0; i < p->n_env && k >= 0; i++)
                k = resolved_add(&e, p->env[i].name, p->env[i].value, p->env[i].reason, p->env[i].source,
                                 p->env[i].line);
        if (k >= 0 && t && t->n > 1 && (p->isolate_device || device_override) &&
            !profile_sets(p, "ROCR_VISIBLE_DEVICES")) {
                const char *sel = device_override ? device_override : p->device;
                const gpu_target *g = gpu_targets_select(t, sel);
                _cleanup_free_ char *value = NULL, *why = NULL;

                if (!g || g->agent_index < 0) {
                        resolved_env_clear(&e);
                        if (ret_why)
                                *ret_why = strdup_printf("the root has %zu AMD GPUs and '%s' selects none of them; "
                                                         "pick one with --device PCI_SLOT", t->n, sel ? sel : "(no selector)");
                        return -ENODEV;
                }
                value = strdup_printf("%d", g->agent_index);
                why = strdup_printf("only %s (%s) is visible to ROCm: the root has %zu AMD GPUs; index %s",
                                       g->pci_slot, g->gfx ? g->gfx : "unknown target", t->n,
                                       g->index_from_kfd ? "from the KFD topology" : "from PCI order (KFD not up)");
                if (!value || !why)
                        k = -ENOMEM;
                else
                        k = resolved_add(&e, "ROCR_VISIBLE_DEVICES", value, why,
                                         "ROCm documentation, GPU isolation techniques (ROCR_VISIBLE_DEVICES)", 0);
        }
        if (k < 0) {
                resolved_env_clear(&e);
                return k;
        }
        *ret = e;
        return 0;
}

/* Text for a shell comment: one line, no control characters. */
static void comment_safe(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = ' ';
}

static int append(char **buf, size_t *len, const char *fmt, ...) _printf_(3, 4);
static int append(char **buf, size_t *len, const char *fmt, ...)
{
        _cleanup_free_ char *piece = NULL;
        va_list ap;
        char *grown;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&piece, fmt, ap);
        va_end(ap);
        if (n < 0) {
                piece = NULL;
                return -ENOMEM;
        }
        grown = realloc(*buf, *len + (size_t)n + 1);
        if (!grown)
                return -ENOMEM;
        memcpy(grown + *len, piece, (size_t)n + 1);
        *buf = grown;
        *len += (size_t)n;
        return 0;
}

char *profile_render_shell(const profile *p, const resolved_env *e, const char *version)
{
        _cleanup_free_ char *desc = strdup(p->description ? p->description : "");
        char *buf = NULL;
        size_t len = 0;
        int k;

        if (!desc)
                return NULL;
        comment_safe(desc);
        k = append(&buf, &len,
                   "# %s: written by rdna1-doctor %s from the profile '%s'.\n"
                   "# %s\n"
                   "# Do not edit: 'rdna1-doctor --profile install NAME' rewrites this file and\n"
                   "# 'rdna1-doctor --rollback ID' (see --history) undoes the install.\n",
                   PROFILE_INSTALL_PATH, version, p->name, desc);
        for (size_t i = 0; i < e->n && k >= 0; i++) {
                _cleanup_free_ char *q = env_value_shell_quote(e->items[i].value);
                _cleanup_free_ char *why = e->items[i].reason ? strdup(e->items[i].reason) : NULL;

                if (!q || (e->items[i].reason && !why)) {
                        k = -ENOMEM;
                        break;
                }
                if (why) {
                        comment_safe(why);
                        k = append(&buf, &len, "\n# %s\n", why);
                } else
                        k = append(&buf, &len, "\n");
                if (k >= 0)
                        k = append(&buf, &len, "export %s=%s\n", e->items[i].name, q);
        }
        if (k < 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
