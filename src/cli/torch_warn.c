/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "check/python_interp.h"
#include "probe/gpu_coverage.h"
#include "profile/exec_env.h"
#include "torch_warn.h"

static const char *env_get(char *const *envp, const char *name)
{
        size_t l = strlen(name);

        for (char *const *e = envp; e && *e; e++)
                if (strncmp(*e, name, l) == 0 && (*e)[l] == '=')
                        return *e + l + 1;
        return NULL;
}

/* HSA_OVERRIDE_GFX_VERSION or its per-node form HSA_OVERRIDE_GFX_VERSION_<N> */
static bool env_overrides_gfx(char *const *envp)
{
        for (char *const *e = envp; e && *e; e++)
                if (startswith(*e, "HSA_OVERRIDE_GFX_VERSION=") || startswith(*e, "HSA_OVERRIDE_GFX_VERSION_"))
                        return true;
        return false;
}

char *torch_warn_resolve(const char *cmd, char *const *envp)
{
        _cleanup_free_ char *path = NULL;
        char *save = NULL, *dir;

        if (cmd[0] == '/')
                return access(cmd, X_OK) == 0 ? strdup(cmd) : NULL;
        if (strchr(cmd, '/')) {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                char *p = cwd ? strdup_printf("%s/%s", cwd, cmd) : NULL;

                if (p && access(p, X_OK) != 0) {
                        free(p);
                        p = NULL;
                }
                return p;
        }
        path = strdup(env_get(envp, "PATH") ? env_get(envp, "PATH") : EXEC_DEFAULT_PATH);
        if (!path)
                return NULL;
        for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *p;

                if (*dir != '/')
                        continue; /* a relative PATH entry is not looked up for a root tool */
                p = strdup_printf("%s/%s", dir, cmd);
                if (p && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* An escaped copy of untrusted text for the terminal ("?" when it cannot be made). */
static char *esc_dup(const char *s)
{
        char *e = s ? escape_untrusted(s, strlen(s), 4096) : NULL;

        return e ? e : strdup("?");
}

static bool is_python(const char *cmd)
{
        const char *base = strrchr(cmd, '/');

        base = base ? base + 1 : cmd;
        return streq(base, "python") || startswith(base, "python3");
}

int torch_native_warn(const char *cmd, char *const *envp, const char *const *gfx, size_t n_gfx,
                      const char *profile_name)
{
        _cleanup_(sysroot_freep) sysroot *sr = NULL;
        _cleanup_free_ char *interp = NULL, *site = NULL, *why = NULL, *list = NULL, *e_interp = NULL,
                *e_site = NULL, *e_version = NULL, *e_hip = NULL, *e_profile = NULL, *e_why = NULL;
        torch_build b = {0};
        int k, n = 0;

        if (!cmd || !is_python(cmd) || env_overrides_gfx(envp))
                return 0;
        interp = torch_warn_resolve(cmd, envp);
        if (!interp || sysroot_open("/", &sr) < 0)
                return 0;
        k = python_interpreter_torch(sr, interp, env_get(envp, "HOME"), NULL, &b, &site, &why);
        e_site = esc_dup(site);
        if (k < 0 && k != -ENOMEM && site) {
                e_why = esc_dup(why ? why : strerror(-k));
                fprintf(stderr, "rdna1-doctor: note: cannot tell which GPU targets the torch in %s carries: %s.\n",
                        e_site ? e_site : "?", e_why ? e_why : "?");
        }
        if (k <= 0) {
                torch_build_clear(&b);
                return 0;
        }
        list = gpu_code_list(&b.code);
        e_interp = esc_dup(interp);
        e_version = esc_dup(b.version ? b.version : "(version unknown)");
        e_hip = esc_dup(b.hip);
        e_profile = profile_name ? esc_dup(profile_name) : NULL;
        for (size_t i = 0; list && e_interp && e_site && e_version && e_hip && i < n_gfx; i++) {
                if (!gpu_target_is_rdna1(gfx[i]) || gpu_code_covers(&b.code, gfx[i]))
                        continue;
                fprintf(stderr,
                        "rdna1-doctor: warning: %s imports torch %s (torch.version.hip %s) from %s, which has no GPU "
                        "code for %s (it carries %s). %s%s%sthe GPU runs as %s, without HSA_OVERRIDE_GFX_VERSION, so "
                        "this torch cannot use it (python.no-native-code in rdna1-doctor(8)): it needs a torch built "
                        "for %s.\n",
                        e_interp, e_version, e_hip, e_site, gfx[i], *list ? list : "no target",
                        e_profile ? "Under '" : "", e_profile ? e_profile : "", e_profile ? "' " : "Here ", gfx[i],
                        gfx[i]);
                n++;
        }
        torch_build_clear(&b);
        return n;
}
