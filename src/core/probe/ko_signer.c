/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libkmod.h>
#include <stdio.h>

#include "base/util.h"
#include "probe/ko_signer.h"

void ko_signature_clear(ko_signature *s)
{
        free(s->signer);
        free(s->key);
        free(s->hash);
        *s = (ko_signature){0};
}

static int take_info(struct kmod_list *info, ko_signature *s)
{
        struct kmod_list *l;

        kmod_list_foreach(l, info)
        {
                const char *key = kmod_module_info_get_key(l), *value = kmod_module_info_get_value(l);
                char **slot = streq_ptr(key, "signer") ? &s->signer
                              : streq_ptr(key, "sig_key") ? &s->key
                              : streq_ptr(key, "sig_hashalgo") ? &s->hash : NULL;

                if (!slot || !value || *slot)
                        continue;
                *slot = strdup(value);
                if (!*slot)
                        return -ENOMEM;
        }
        return 0;
}

int ko_signature_read(const sysroot *sr, const char *path, ko_signature *ret)
{
        const char *const no_config[] = {NULL};
        _cleanup_close_ int fd = sysroot_open_regular(sr, path);
        struct kmod_module *mod = NULL;
        struct kmod_list *info = NULL;
        struct kmod_ctx *ctx;
        ko_signature s = {0};
        char fdpath[64];
        int r;

        if (fd < 0)
                return fd;
        /* libkmod opens by path: hand it the file already opened through the root */
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        ctx = kmod_new(NULL, no_config);
        if (!ctx)
                return -ENOMEM;
        kmod_set_log_priority(ctx, 0);
        r = kmod_module_new_from_path(ctx, fdpath, &mod);
        if (r >= 0) {
                r = kmod_module_get_info(mod, &info);
                r = r < 0 ? r : take_info(info, &s);
                kmod_module_info_free_list(info);
                kmod_module_unref(mod);
        }
        kmod_unref(ctx);
        if (r < 0) {
                ko_signature_clear(&s);
                return r;
        }
        if (!s.signer && !s.key && !s.hash)
                return 0;
        *ret = s;
        return 1;
}
