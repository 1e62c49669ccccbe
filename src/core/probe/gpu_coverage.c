/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define GPU_CODE_TEXT "gpucode/1"

char *gpu_code_to_text(const gpu_code *code)
{
        _cleanup_free_ char *list = gpu_code_list(code);

        if (!list)
                return NULL;
        return strdup_printf(GPU_CODE_TEXT " %d %zu %zu %d%s%s", code->has_fatbin, code->bundles, code->compressed,
                             code->truncated, *list ? " " : "", list);
}

int gpu_code_from_text(const char *text, gpu_code *ret)
{
        gpu_code c = {0};
        const char *p = startswith(text, GPU_CODE_TEXT " ");
        unsigned fatbin, truncated;
        uint64_t bundles, compressed;
        int used = 0;

        if (!p ||
            sscanf(p, "%u %" SCNu64 " %" SCNu64 " %u%n", &fatbin, &bundles, &compressed, &truncated, &used) != 4 ||
            fatbin > 1 || truncated > 1 || bundles > GPU_BUNDLES_MAX || compressed > bundles)
                return -EBADMSG;
        c.has_fatbin = fatbin;
        c.bundles = (size_t)bundles;
        c.compressed = (size_t)compressed;
        c.truncated = truncated;
        for (p += used; *p;) {
                char t[GPU_TARGET_ID_MAX];
                size_t n;

                if (*p++ != ' ')
                        return -EBADMSG;
                n = strcspn(p, " ");
                /* a target ID as offload_entry_target() keeps it: "gfx" and [A-Za-z0-9:+-_] */
                if (n < 4 || n >= sizeof(t) || strncmp(p, "gfx", 3) != 0 || c.n >= GPU_TARGETS_MAX)
                        return -EBADMSG;
                for (size_t i = 0; i < n; i++)
                        if (!isalnum((unsigned char)p[i]) && !strchr(":+-_", p[i]))
                                return -EBADMSG;
                memcpy(t, p, n);
                t[n] = '\0';
                gpu_code_add(&c, t);
                p += n;
        }
        *ret = c;
        return 0;
}

void gpu_code_merge(gpu_code *code, const gpu_code *src)
{
        code->has_fatbin |= src->has_fatbin;
        code->bundles += src->bundles;
        code->compressed += src->compressed;
        code->truncated |= src->truncated;
        for (size_t i = 0; i < src->n; i++)
                gpu_code_add(code, src->targets[i]);
}

int gpu_coverage_of_fd_cached(int fd, const char *path, ko_cache *cache, gpu_code *code, char **ret_why)
{
        _cleanup_free_ char *key = NULL, *text = NULL;
        gpu_code one = {0};
        struct stat st;
        int k;

        if (!cache)
                return gpu_coverage_of_fd(fd, code, ret_why);
        if (fstat(fd, &st) < 0)
                return -errno;
        key = strdup_printf("gpucode:%s", path);
        if (!key)
                return -ENOMEM;
        if (ko_cache_lookup_text(cache, key, &st, &text) > 0 && gpu_code_from_text(text, &one) == 0) {
                gpu_code_merge(code, &one);
                return 0;
        }
        k = gpu_coverage_of_fd(fd, &one, ret_why);
        if (k < 0)
                return k;
        free(text);
        text = gpu_code_to_text(&one);
        if (!text)
                return -ENOMEM;
        (void)ko_cache_store_text(cache, key, &st, text); /* a cache only saves time */
        gpu_code_merge(code, &one);
        return 0;
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
