/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "base/util.h"
#include "check/python_interp.h"

#define PYVENV_CFG_MAX (64u * 1024)
#define LIB_ENTRIES_MAX 256

/* "lib/python3.11" names under prefix/lib (or just python3.X when the interpreter says which). */
static int python_lib_dirs(const sysroot *sr, const char *prefix, const char *version, strv *ret)
{
        _cleanup_free_ char *lib = strdup_printf("%s/lib", prefix);
        char **names = NULL;
        size_t n = 0;
        int k;

        if (!lib)
                return -ENOMEM;
        k = sysroot_list_dir(sr, lib, LIB_ENTRIES_MAX, &names, &n, NULL);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        for (size_t i = 0; k >= 0 && i < n; i++)
                if (startswith(names[i], "python3.") && (!version || streq(names[i], version)))
                        k = strv_push_dup(ret, names[i]);
        strv_free_array(names);
        return k < 0 ? k : 0;
}

static int push_sites(const sysroot *sr, const char *prefix, const char *version, const char *fmt, strv *sites)
{
        strv libs = {0};
        int k = python_lib_dirs(sr, prefix, version, &libs);

        for (size_t i = 0; k >= 0 && i < libs.n; i++)
                k = strv_push(sites, strdup_printf(fmt, prefix, libs.items[i]));
        strv_clear(&libs);
        return k;
}

/* include-system-site-packages = true in pyvenv.cfg */
static bool venv_includes_system(const char *cfg)
{
        for (const char *p = cfg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                const char *v = startswith(p, "include-system-site-packages");

                if (!v)
                        continue;
                v += strspn(v, " \t");
                if (*v++ != '=')
                        continue;
                v += strspn(v, " \t");
                return strncasecmp(v, "true", 4) == 0;
        }
        return false;
}

/* The site directories of interp, in the order Python searches them. */
static int interpreter_sites(const sysroot *sr, const char *interp, const char *home_dir, strv *sites)
{
        _cleanup_free_ char *bindir = NULL, *prefix = NULL, *cfg_path = NULL, *cfg = NULL, *version = NULL;
        const char *base = strrchr(interp, '/');
        bool venv, system = true;
        size_t len;
        int k;

        if (!base || base == interp)
                return -EINVAL;
        bindir = strndup(interp, (size_t)(base - interp));
        base++;
        if (!bindir)
                return -ENOMEM;
        prefix = strndup(bindir, strrchr(bindir, '/') ? (size_t)(strrchr(bindir, '/') - bindir) : 0);
        if (!prefix)
                return -ENOMEM;
        if (!*prefix) {
                /* /bin/python3 on a merged-/usr system is the Debian interpreter of /usr */
                free(prefix);
                prefix = strdup("/usr");
                if (!prefix)
                        return -ENOMEM;
        }
        /* "python3.11" says which; "python3" or "python" leaves every python3.X */
        if (startswith(base, "python3.") && strspn(base + 8, "0123456789") == strlen(base + 8) && base[8])
                version = strdup(base);
        cfg_path = strdup_printf("%s/pyvenv.cfg", prefix);
        if (!cfg_path || (startswith(base, "python3.") && base[8] && !version))
                return cfg_path ? 0 : -ENOMEM;
        k = sysroot_read_file(sr, cfg_path, PYVENV_CFG_MAX, &cfg, &len);
        if (k == -ENOMEM)
                return k;
        venv = k >= 0;
        if (venv) {
                k = push_sites(sr, prefix, version, "%s/lib/%s/site-packages", sites);
                if (k < 0)
                        return k;
                system = venv_includes_system(cfg);
                free(prefix);
                prefix = strdup("/usr"); /* the system's sites, as the Debian interpreter the venv uses sees them */
                if (!prefix)
                        return -ENOMEM;
        }
        if (!system)
                return 0;
        if (!venv && home_dir && *home_dir == '/') {
                _cleanup_free_ char *local = strdup_printf("%s/.local", home_dir);

                k = local ? push_sites(sr, local, version, "%s/lib/%s/site-packages", sites) : -ENOMEM;
                if (k < 0)
                        return k;
        }
        if (streq(prefix, "/usr")) {
                k = push_sites(sr, "/usr/local", version, "%s/lib/%s/dist-packages", sites);
                if (k >= 0)
                        k = strv_push_dup(sites, "/usr/lib/python3/dist-packages");
        } else
                k = 0;
        if (k >= 0)
                k = push_sites(sr, prefix, version, "%s/lib/%s/site-packages", sites);
        return k;
}

int python_interpreter_torch(const sysroot *sr, const char *interp, const char *home_dir, ko_cache *cache,
                             torch_build *ret, char **ret_site, char **ret_why)
{
        strv sites = {0};
        int k = interpreter_sites(sr, interp, home_dir, &sites);

        for (size_t i = 0; k >= 0 && i < sites.n && i < PYTHON_INTERP_SITES_MAX; i++) {
                const py_site s = { .path = sites.items[i] };
                torch_build b = {0};

                if (!sysroot_exists(sr, s.path))
                        continue;
                {
                        _cleanup_free_ char *vp = strdup_printf("%s/torch/version.py", s.path);

                        if (!vp) {
                                k = -ENOMEM;
                                break;
                        }
                        if (!sysroot_exists(sr, vp))
                                continue; /* no torch here: Python looks on */
                }
                k = torch_build_read(&s, sr, cache, &b, ret_why);
                if (k == -ENOMEM)
                        break;
                if (k != 0) {
                        *ret_site = strdup(s.path);
                        if (!*ret_site) {
                                torch_build_clear(&b);
                                k = -ENOMEM;
                                break;
                        }
                        *ret = b;
                        break;
                }
                break; /* the first torch is the one imported, a CPU or CUDA build included */
        }
        strv_clear(&sites);
        return k;
}
