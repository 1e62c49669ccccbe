/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the GPU code reader (parse/gpu_bundle). The first byte
 * picks what the rest is read as: a whole library (ELF section table, then
 * the bundles of its .hip_fatbin) or a bundle section (plain
 * "__CLANG_OFFLOAD_BUNDLE__" or compressed "CCOB" bundles). Either gives 0
 * or -EBADMSG with a reason; the target list stays sorted and bounded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/gpu_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        mem_source m;
        byte_source src;
        gpu_code code = {0};
        char *why = NULL;
        int r;

        if (size < 1)
                return 0;
        m = (mem_source){data + 1, size - 1};
        byte_source_mem(&src, &m);
        if (data[0] & 1)
                r = elf_gpu_code(&src, &code, &why);
        else
                r = offload_bundles_scan(&src, 0, size - 1, &code, &why);
        if (r != 0 && r != -EBADMSG)
                abort();
        if (r == -EBADMSG && !why)
                abort();
        if (code.n > GPU_TARGETS_MAX)
                abort();
        for (size_t i = 1; i < code.n; i++)
                if (strcmp(code.targets[i - 1], code.targets[i]) >= 0)
                        abort();
        free(why);
        return 0;
}
