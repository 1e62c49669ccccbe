/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "check/gpu_targets.h"

#include "base/util.h"
#include "check/inspect.h"
#include "probe/facts.h"
#include "probe/rdna1_table.h"

void gpu_targets_clear(gpu_targets *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->items[i].pci_slot);
                free(t->items[i].gfx);
        }
        free(t->items);
        *t = (gpu_targets){0};
}

/* ROCr numbers GPU agents in KFD node order, CPU-only nodes skipped. */
static int kfd_gpu_rank(const kfd_facts *kfd, const kfd_node *node)
{
        int rank = 0;

        for (size_t i = 0; i < kfd->n_nodes; i++) {
                if (&kfd->nodes[i] == node)
                        return rank;
                if (kfd->nodes[i].simd_count > 0 || kfd->nodes[i].gfx_target_version > 0)
                        rank++;
        }
        return -1;
}

int gpu_targets_detect(const sysroot *sr, report *r, gpu_targets *ret)
{
        _cleanup_(report_freep) report *own = NULL;
        gpu_device *devs = NULL;
        kfd_facts *kfd = NULL;
        gpu_targets t = {0};
        size_t n = 0;
        bool all_kfd = true;
        int k;

        if (!r) {
                own = report_new();
                if (!own)
                        return -ENOMEM;
                r = own;
        }
        k = pci_probe(sr, r, &devs, &n);
        if (k < 0)
                return k;
        k = kfd_probe(sr, r, &kfd);
        if (k < 0)
                goto out;
        t.items = calloc(n ? n : 1, sizeof(*t.items));
        if (!t.items) {
                k = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                const gpu_device *g = &devs[i];
                const kfd_node *node;
                gpu_target *o = &t.items[t.n];
                char buf[32];

                if (g->vendor_id != 0x1002)
                        continue;
                t.n++;
                o->pci_slot = strdup(g->pci_slot);
                o->rdna1 = g->rdna1 != NULL;
                o->agent_index = -1;
                node = kfd ? kfd_find_node_for_pci(kfd, g->domain, g->bus, g->dev, g->fn) : NULL;
                if (node && gfx_target_from_version(node->gfx_target_version, buf, sizeof(buf)))
                        o->gfx = strdup(buf);
                else if (g->gfx_target)
                        o->gfx = strdup(g->gfx_target);
                if (node) {
                        o->agent_index = kfd_gpu_rank(kfd, node);
                        o->index_from_kfd = o->agent_index >= 0;
                }
                if (!o->index_from_kfd)
                        all_kfd = false;
                if (!o->pci_slot) {
                        k = -ENOMEM;
                        goto out;
                }
        }
        /* Without KFD, amdgpu binds in PCI order and KFD numbers nodes the same way. */
        if (!all_kfd)
                for (size_t i = 0; i < t.n; i++) {
                        t.items[i].agent_index = (int)i;
                        t.items[i].index_from_kfd = false;
                }
        *ret = t;
        t = (gpu_targets){0};
        k = 0;
out:
        gpu_targets_clear(&t);
        gpu_devices_free(devs, n);
        kfd_facts_free(kfd);
        return k;
}

static bool slot_matches(const char *slot, const char *sel)
{
        /* "03:00.0" names "0000:03:00.0" */
        return streq(slot, sel) || (strlen(slot) > 5 && streq(slot + 5, sel));
}

const gpu_target *gpu_targets_select(const gpu_targets *t, const char *sel)
{
        if (!sel)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                const gpu_target *g = &t->items[i];

                if (slot_matches(g->pci_slot, sel) || streq_ptr(g->gfx, sel) || (streq(sel, "rdna1") && g->rdna1))
                        return g;
        }
        return NULL;
}
