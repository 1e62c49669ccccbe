/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/stat.h>

#include "base/util.h"
#include "probe/gpu_coverage.h"

int gpu_coverage_of_fd(int fd, gpu_code *code, char **ret_why)
{
        struct stat st;
        byte_source src;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        byte_source_fd(&src, &fd, (uint64_t)st.st_size);
        return elf_gpu_code(&src, code, ret_why);
}

void gpu_coverage_of_names(char *const *names, size_t n, gpu_code *code)
{
        for (size_t i = 0; i < n; i++) {
                char t[GPU_TARGET_ID_MAX];

                if (gpu_file_target(names[i], t, sizeof(t)))
                        gpu_code_add(code, t);
        }
}

bool gpu_target_is_rdna1(const char *gfx)
{
        return gfx && (streq(gfx, "gfx1010") || streq(gfx, "gfx1011") || streq(gfx, "gfx1012"));
}
