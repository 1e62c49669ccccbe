/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/sys/kernel/tainted, decoded with the letters of the kernel's
 * Documentation/admin-guide/tainted-kernels.rst. A DKMS amdgpu taints with
 * O (out-of-tree) and usually E (unsigned).
 */
#include "probe/facts.h"

#include "base/util.h"

#define TAINTED_PATH "/proc/sys/kernel/tainted"

static const struct {
        char letter;
        const char *what;
} taint_flags[] = {
        {'P', "proprietary module loaded"},
        {'F', "module force loaded"},
        {'S', "out-of-spec system"},
        {'R', "module force unloaded"},
        {'M', "machine check"},
        {'B', "bad page"},
        {'U', "user request"},
        {'D', "kernel died (oops)"},
        {'A', "ACPI table overridden"},
        {'W', "warning"},
        {'C', "staging driver loaded"},
        {'I', "firmware workaround"},
        {'O', "out-of-tree module loaded"},
        {'E', "unsigned module loaded"},
        {'L', "soft lockup"},
        {'K', "live patched"},
        {'X', "auxiliary"},
        {'T', "randstruct"},
        {'N', "test module"},
        {'J', "fwctl"},
};

char *taint_describe(uint64_t value)
{
        char *out = NULL;

        if (value == 0)
                return strdup("not tainted");
        for (unsigned bit = 0; bit < 64; bit++) {
                char *item, *joined;

                if (!(value & ((uint64_t)1 << bit)))
                        continue;
                item = bit < ELEMENTSOF(taint_flags)
                               ? strdup_printf("%c (%s)", taint_flags[bit].letter, taint_flags[bit].what)
                               : strdup_printf("bit %u (unknown)", bit);
                if (!item) {
                        free(out);
                        return NULL;
                }
                joined = out ? strdup_printf("%s, %s", out, item) : TAKE_PTR(item);
                free(item);
                free(out);
                if (!joined)
                        return NULL;
                out = joined;
        }
        return out;
}

int taint_probe(const sysroot *sr, report *r, taint_facts *ret)
{
        _cleanup_free_ char *line = NULL;
        uint64_t v;
        int k;

        k = sysroot_read_line(sr, TAINTED_PATH, &line);
        if (k == -ENOMEM)
                return k;
        if (k == -ENOENT) {
                *ret = (taint_facts){0};
                return 0;
        }
        if (k == 0 && safe_atou64(line, 10, &v) < 0)
                k = -EBADMSG;
        if (k < 0) {
                if (report_add_reason_errno(r, "taint", TAINTED_PATH, k, false) < 0)
                        return -ENOMEM;
                *ret = (taint_facts){0};
                return 0;
        }
        *ret = (taint_facts){.present = true, .value = v};
        return 0;
}
