/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KFD topology (/sys/class/kfd/kfd/topology): the compute nodes the kernel
 * exposes, their PCI location and their memory heaps. sysfs prints every
 * property as "key decimal\n" (kfd_topology.c sysfs_show_*_prop); anything
 * else is a fixture or a broken kernel and is skipped key by key.
 */
#include "probe/facts.h"

#include <ctype.h>

#include "base/util.h"

#define KFD_TOPOLOGY "/sys/class/kfd/kfd/topology/nodes"
#define KFD_MAX_NODES 64
#define KFD_MAX_BANKS 64
#define KFD_PROPS_MAX (64u * 1024)
#define KFD_KEY_MAX 64

/* A decimal number with no sign, no hex prefix and no overflow. */
static bool parse_decimal(const char *s, size_t n, uint64_t *ret)
{
        uint64_t v = 0;

        if (n == 0 || n > 20)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return false;
                d = (unsigned)(s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

static bool is_key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* One line (no '\n'); true and key/value filled when well-formed. */
static bool parse_prop_line(const char *s, size_t n, char key[static KFD_KEY_MAX + 1], uint64_t *ret_value)
{
        size_t k = 0, v;

        /* Trailing blanks (and a CR from a hand-edited fixture) are harmless. */
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        while (k < n && is_key_char(s[k]))
                k++;
        if (k == 0 || k > KFD_KEY_MAX || k == n || (s[k] != ' ' && s[k] != '\t'))
                return false;
        v = k;
        while (v < n && (s[v] == ' ' || s[v] == '\t'))
                v++;
        if (!parse_decimal(s + v, n - v, ret_value))
                return false;
        memcpy(key, s, k);
        key[k] = '\0';
        return true;
}

int kfd_parse_properties(const char *buf, size_t len, kfd_prop_cb cb, void *userdata)
{
        int malformed = 0;
        size_t pos = 0;

        while (pos < len) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                char key[KFD_KEY_MAX + 1];
                uint64_t value;
                bool blank = true;

                pos += n + (nl ? 1 : 0);
                for (size_t i = 0; i < n && blank; i++)
                        blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
                if (blank)
                        continue;
                /* memchr-based splitting keeps NUL bytes inside the line: they fail the grammar. */
                if (!parse_prop_line(line, n, key, &value)) {
                        if (malformed < INT32_MAX)
                                malformed++;
                        continue;
                }
                if (cb) {
                        int r = cb(key, value, userdata);
                        if (r < 0)
                                return r;
                }
        }
        return malformed;
}

/* ---- nodes ---- */

typedef struct node_parse {
        kfd_node *node;
        bool has_cpu_cores;
        bool has_gfx;
        unsigned seen; /* bit per key in node_keys, first value wins */
} node_parse;

static const char *const node_keys[] = {
        "cpu_cores_count", "simd_count", "gfx_target_version", "vendor_id", "device_id",
        "location_id",     "domain",     "drm_render_minor",
};

static int node_prop_cb(const char *key, uint64_t value, void *userdata)
{
        node_parse *p = userdata;
        kfd_node *n = p->node;
        size_t i;

        for (i = 0; i < ELEMENTSOF(node_keys); i++)
                if (streq(key, node_keys[i]))
                        break;
        if (i == ELEMENTSOF(node_keys) || (p->seen & (1u << i)))
                return 0;
        p->seen |= 1u << i;
        switch (i) {
        case 0:
                n->cpu_cores_count = value;
                p->has_cpu_cores = true;
                break;
        case 1:
                n->simd_count = value;
                break;
        case 2:
                n->gfx_target_version = value;
                p->has_gfx = true;
                break;
        case 3:
                n->vendor_id = value;
                break;
        case 4:
                n->device_id = value;
                break;
        case 5:
                n->location_id = value;
                n->has_location_id = true;
                break;
        case 6:
                n->domain = value;
                n->has_domain = true;
                break;
        case 7:
                n->drm_render_minor = value;
                n->has_render_minor = true;
                break;
        }
        return 0;
}

typedef struct bank_parse {
        kfd_mem_bank *bank;
        unsigned seen;
} bank_parse;

static const char *const bank_keys[] = {"heap_type", "size_in_bytes", "flags", "width", "mem_clk_max"};

static int bank_prop_cb(const char *key, uint64_t value, void *userdata)
{
        bank_parse *p = userdata;
        uint64_t *fields[] = {&p->bank->heap_type, &p->bank->size_in_bytes, &p->bank->flags,
                              &p->bank->width, &p->bank->mem_clk_max};

        for (size_t i = 0; i < ELEMENTSOF(bank_keys); i++)
                if (streq(key, bank_keys[i])) {
                        if (!(p->seen & (1u << i)))
                                *fields[i] = value;
                        p->seen |= 1u << i;
                        break;
                }
        return 0;
}

static void kfd_node_clear(kfd_node *n)
{
        free(n->name);
        free(n->mem_banks);
        *n = (kfd_node){0};
}

kfd_facts *kfd_facts_free(kfd_facts *f)
{
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_nodes; i++)
                kfd_node_clear(&f->nodes[i]);
        free(f->nodes);
        free(f);
        return NULL;
}

/* A directory entry that names a node or bank: decimal digits only, fits in unsigned. */
static bool parse_index(const char *name, unsigned *ret)
{
        uint64_t v;

        if (!parse_decimal(name, strlen(name), &v) || v > UINT32_MAX)
                return false;
        *ret = (unsigned)v;
        return true;
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

/*
 * The numeric entries of a directory, sorted numerically, the lowest max
 * of them. Returns the count (>= 0), or < 0 errno from listing.
 */
static int list_indices(const sysroot *sr, const char *path, unsigned max, unsigned *ret,
                        bool *ret_truncated)
{
        _cleanup_free_ unsigned *all = NULL;
        char **names = NULL;
        size_t n = 0, count = 0;
        bool truncated = false;
        int r;

        /* Allow generous junk beside the numeric entries. */
        r = sysroot_list_dir(sr, path, 4096, &names, &n, &truncated);
        if (r < 0)
                return r;
        all = calloc(n + 1, sizeof(unsigned));
        if (!all) {
                strv_free_array(names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                if (parse_index(names[i], &all[count]))
                        count++;
        strv_free_array(names);
        qsort(all, count, sizeof(unsigned), cmp_unsigned);
        if (count > max) {
                count = max;
                truncated = true;
        }
        memcpy(ret, all, count * sizeof(unsigned));
        *ret_truncated = truncated;
        return (int)count;
}

static int add_malformed_reason(report *r, const char *path, int malformed)
{
        _cleanup_free_ char *msg = strdup_printf("%d malformed line%s skipped", malformed,
                                                 malformed == 1 ? "" : "s");

        if (!msg)
                return -ENOMEM;
        return report_add_reason(r, "kfd", path, msg, false);
}

static int read_bank(const sysroot *sr, report *r, kfd_facts *f, unsigned node, unsigned id,
                     kfd_mem_bank *ret)
{
        _cleanup_free_ char *path = NULL, *buf = NULL;
        kfd_mem_bank bank = {.id = id};
        bank_parse p = {.bank = &bank};
        size_t len;
        int k;

        path = strdup_printf(KFD_TOPOLOGY "/%u/mem_banks/%u/properties", node, id);
        if (!path)
                return -ENOMEM;
        k = sysroot_read_file(sr, path, KFD_PROPS_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add_reason_errno(r, "kfd", path, k, false) < 0 ? -ENOMEM : 0;
        k = kfd_parse_properties(buf, len, bank_prop_cb, &p);
        if (k < 0)
                return k;
        if (k > 0) {
                f->n_malformed += (size_t)k;
                if (add_malformed_reason(r, path, k) < 0)
                        return -ENOMEM;
        }
        /* Without a heap type the bank says nothing the rules can use. */
        if (!(p.seen & 1u))
                return 0;
        *ret = bank;
        return 1;
}

static int read_banks(const sysroot *sr, report *r, kfd_facts *f, kfd_node *node)
{
        _cleanup_free_ char *dir = NULL;
        unsigned ids[KFD_MAX_BANKS];
        bool truncated;
        int n;

        dir = strdup_printf(KFD_TOPOLOGY "/%u/mem_banks", node->id);
        if (!dir)
                return -ENOMEM;
        n = list_indices(sr, dir, KFD_MAX_BANKS, ids, &truncated);
        if (n == -ENOENT)
                return 0;
        if (n == -ENOMEM)
                return n;
        if (n < 0)
                return report_add_reason_errno(r, "kfd", dir, n, false) < 0 ? -ENOMEM : 0;
        if (truncated && report_add_reason(r, "kfd", dir, "too many memory banks, the rest ignored", false) < 0)
                return -ENOMEM;
        if (n == 0)
                return 0;
        node->mem_banks = calloc((size_t)n, sizeof(kfd_mem_bank));
        if (!node->mem_banks)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                int k = read_bank(sr, r, f, node->id, ids[i], &node->mem_banks[node->n_mem_banks]);

                if (k < 0)
                        return k;
                if (k > 0)
                        node->n_mem_banks++;
        }
        return 0;
}

/* Read node id into *ret. Returns 1 when kept, 0 when skipped (reason recorded), < 0 ENOMEM. */
static int read_node(const sysroot *sr, report *r, kfd_facts *f, unsigned id, kfd_node *ret)
{
        _cleanup_free_ char *path = NULL, *buf = NULL, *name_path = NULL, *name = NULL;
        kfd_node node = {.id = id};
        node_parse p = {.node = &node};
        size_t len;
        int k;

        path = strdup_printf(KFD_TOPOLOGY "/%u/properties", id);
        name_path = strdup_printf(KFD_TOPOLOGY "/%u/name", id);
        if (!path || !name_path)
                return -ENOMEM;
        k = sysroot_read_file(sr, path, KFD_PROPS_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add_reason_errno(r, "kfd", path, k, true) < 0 ? -ENOMEM : 0;
        k = kfd_parse_properties(buf, len, node_prop_cb, &p);
        if (k < 0)
                return k;
        if (k > 0) {
                f->n_malformed += (size_t)k;
                if (add_malformed_reason(r, path, k) < 0)
                        return -ENOMEM;
        }
        if (!p.has_gfx && !p.has_cpu_cores)
                return report_add_reason(r, "kfd", path, "no usable properties (neither gfx_target_version "
                                         "nor cpu_cores_count), node ignored", true) < 0 ? -ENOMEM : 0;

        k = sysroot_read_line(sr, name_path, &name);
        if (k == -ENOMEM)
                return k;
        if (k < 0 && k != -ENOENT && report_add_reason_errno(r, "kfd", name_path, k, false) < 0)
                return -ENOMEM;
        node.name = TAKE_PTR(name);

        k = read_banks(sr, r, f, &node);
        if (k < 0) {
                kfd_node_clear(&node);
                return k;
        }
        *ret = node;
        return 1;
}

static int read_nodes(const sysroot *sr, report *r, kfd_facts *f)
{
        unsigned ids[KFD_MAX_NODES];
        bool truncated = false;
        int n;

        n = list_indices(sr, KFD_TOPOLOGY, KFD_MAX_NODES, ids, &truncated);
        if (n == -ENOENT || n == -ENOMEM)
                return n == -ENOENT ? 0 : n;
        if (n < 0)
                return report_add_reason_errno(r, "kfd", KFD_TOPOLOGY, n, true) < 0 ? -ENOMEM : 0;
        f->topology_present = true;
        if (truncated && report_add_reason(r, "kfd", KFD_TOPOLOGY, "too many nodes, the rest ignored", false) < 0)
                return -ENOMEM;
        if (n == 0)
                return 0;
        f->nodes = calloc((size_t)n, sizeof(kfd_node));
        if (!f->nodes)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                int k = read_node(sr, r, f, ids[i], &f->nodes[f->n_nodes]);

                if (k < 0)
                        return k;
                if (k > 0)
                        f->n_nodes++;
        }
        return 0;
}

int kfd_probe(const sysroot *sr, report *r, kfd_facts **ret)
{
        _cleanup_(kfd_facts_freep) kfd_facts *f = NULL;
        int k;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->dev_kfd_present = sysroot_exists(sr, "/dev/kfd");
        k = read_nodes(sr, r, f);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(f);
        return 0;
}

const kfd_node *kfd_find_node_for_pci(const kfd_facts *f, unsigned domain, unsigned bus,
                                      unsigned dev, unsigned fn)
{
        uint64_t loc = ((uint64_t)(bus & 0xff) << 8) | ((dev & 0x1f) << 3) | (fn & 0x7);

        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_nodes; i++) {
                const kfd_node *n = &f->nodes[i];

                /* A CPU-only node has no GPU (simd_count is forced to 0 and
                 * there is no gfx target): its location_id means nothing. */
                if (n->gfx_target_version == 0 && n->simd_count == 0)
                        continue;
                if (!n->has_location_id || n->location_id != loc)
                        continue;
                /* Kernels before "domain" only knew domain 0 devices apart. */
                if ((n->has_domain ? n->domain : 0) != domain)
                        continue;
                return n;
        }
        return NULL;
}
