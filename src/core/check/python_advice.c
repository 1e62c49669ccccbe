/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "Remove the override" paired with what then runs. Without
 * HSA_OVERRIDE_GFX_VERSION an RDNA1 card is its own target (gfx1010,
 * gfx1011 or gfx1012), and a torch runs on it only when its GPU code covers
 * that target (README.md, Environment audit): the fix texts of device.rdna1
 * and env.override-gfx say so for every HIP build of torch the Python audit
 * found.
 */
#include "base/util.h"
#include "check/python_audit.h"
#include "probe/gpu_coverage.h"

/* Environments named per target in one fix text; the rest are counted. */
#define ADVICE_ENVS_MAX 6

int py_torch_env_add(py_audit *a, const char *site, const char *gfx, bool native)
{
        py_torch_env *n = realloc(a->torch_envs, (a->n_torch_envs + 1) * sizeof(*n));
        char *copy;

        if (!n)
                return -ENOMEM;
        a->torch_envs = n;
        copy = strdup(site);
        if (!copy)
                return -ENOMEM;
        a->torch_envs[a->n_torch_envs++] = (py_torch_env){ .site = copy, .gfx = gfx, .native = native };
        return 0;
}

void py_torch_envs_free(py_audit *a)
{
        for (size_t i = 0; i < a->n_torch_envs; i++)
                free(a->torch_envs[i].site);
        free(a->torch_envs);
        a->torch_envs = NULL;
        a->n_torch_envs = 0;
}

/* Append s to *text (NULL: start it); -ENOMEM leaves *text as it was. */
static int append(char **text, const char *s)
{
        char *n = strdup_printf("%s%s", *text ? *text : "", s);

        if (!n)
                return -ENOMEM;
        free(*text);
        *text = n;
        return 0;
}

/* " Without the override, on gfx1010: the torch in A has gfx1010 code: ...; the torch in B ..." */
static int advice_for(const py_audit *a, const char *gfx, char **text)
{
        size_t shown = 0, more = 0;
        int k = 0;

        for (size_t i = 0; i < a->n_torch_envs && k >= 0; i++) {
                const py_torch_env *e = &a->torch_envs[i];
                _cleanup_free_ char *one = NULL;

                if (!streq(e->gfx, gfx))
                        continue;
                if (shown == ADVICE_ENVS_MAX) {
                        more++;
                        continue;
                }
                one = e->native
                              ? strdup_printf("%s the torch in %s has %s code: it runs natively",
                                              shown ? ";" : "", e->site, gfx)
                              : strdup_printf("%s the torch in %s has no %s code: without the override it cannot "
                                              "use the GPU (python.no-native-code lists ways to get code for %s; "
                                              "the override is not one of them)",
                                              shown ? ";" : "", e->site, gfx, gfx);
                if (!one)
                        return -ENOMEM;
                if (shown == 0) {
                        _cleanup_free_ char *head = strdup_printf(" What runs on %s as itself:", gfx);

                        if (!head)
                                return -ENOMEM;
                        k = append(text, head);
                }
                if (k >= 0)
                        k = append(text, one);
                shown++;
        }
        if (k >= 0 && more) {
                _cleanup_free_ char *tail = strdup_printf("; and %zu more environments (see the python.* findings)",
                                                          more);

                k = tail ? append(text, tail) : -ENOMEM;
        }
        if (k >= 0 && shown)
                k = append(text, ".");
        return k;
}

/* The RDNA1 target of the device at slot, or NULL. */
static const char *slot_target(const inspection *in, const char *slot)
{
        for (size_t i = 0; i < in->n_devices; i++) {
                const gpu_device *g = &in->devices[i];

                if (g->rdna1 && streq_ptr(g->pci_slot, slot))
                        return g->gfx_target ? g->gfx_target : g->rdna1->gfx_target;
        }
        return NULL;
}

int py_advice_apply(py_audit *a)
{
        report *r = a->in->report;

        if (a->n_torch_envs == 0)
                return 0;
        for (size_t i = 0; i < r->n_findings; i++) {
                finding *f = &r->findings[i];
                _cleanup_free_ char *advice = NULL;
                char *fix;
                int k = 0;

                if (!streq(f->id, "device.rdna1") && !streq(f->id, "env.override-gfx"))
                        continue;
                if (f->pci_slot) {
                        const char *gfx = slot_target(a->in, f->pci_slot);

                        if (gfx)
                                k = advice_for(a, gfx, &advice);
                } else
                        for (size_t t = 0; t < a->n_targets && k >= 0; t++)
                                if (gpu_target_is_rdna1(a->targets[t]))
                                        k = advice_for(a, a->targets[t], &advice);
                if (k < 0)
                        return k;
                if (!advice)
                        continue;
                fix = strdup_printf("%s%s", f->fix ? f->fix : "", advice);
                if (!fix)
                        return -ENOMEM;
                free(f->fix);
                f->fix = fix;
        }
        return 0;
}
