/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel-side choice for one kernel (README.md, Recovery): rebuild the clean DKMS
 * source when headers, the kernel's compiler and (with Secure Boot on) an
 * enrolled signing key are there; otherwise, or with --in-tree, remove the
 * DKMS amdgpu so the in-tree driver loads — only when the in-tree .ko
 * exists. Never a kernel with neither module.
 */
#include "recover/preflight.h"

#include <sys/stat.h>

#include "base/util.h"

#define INTREE_DIR "kernel/drivers/gpu/drm/amd/amdgpu"

static const char *const choice_table[_KERNEL_CHOICE_MAX] = {
        [KERNEL_CHOICE_REBUILD] = "rebuild",
        [KERNEL_CHOICE_IN_TREE] = "in-tree",
        [KERNEL_CHOICE_NONE] = "none",
};

const char *kernel_choice_to_string(kernel_choice c)
{
        return c >= 0 && c < _KERNEL_CHOICE_MAX ? choice_table[c] : NULL;
}

static bool is_executable(const sysroot *sr, const char *path)
{
        struct stat st;

        return sysroot_stat(sr, path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* "gcc-12" from CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14) 12.2.0"; "gcc" when unknown. */
static char *wanted_compiler(const sysroot *sr, const char *kernel)
{
        _cleanup_free_ char *path = strdup_printf("/lib/modules/%s/build/.config", kernel);
        _cleanup_free_ char *buf = NULL;
        const char *p;
        size_t len, n;

        if (!path)
                return NULL;
        if (sysroot_read_file(sr, path, 1024 * 1024, &buf, &len) < 0)
                return strdup("gcc");
        p = strstr(buf, "\nCONFIG_CC_VERSION_TEXT=\"");
        if (!p)
                return strdup("gcc");
        p += strlen("\nCONFIG_CC_VERSION_TEXT=\"");
        n = strcspn(p, " \"\n");
        /* Only a plain program name: it becomes a path below. */
        if (n == 0 || n > 64 || memchr(p, '/', n))
                return strdup("gcc");
        return strndup(p, n);
}

static char *find_ko(const sysroot *sr, const char *dir)
{
        static const char *const suffixes[] = {"", ".xz", ".zst", ".gz"};

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/amdgpu.ko%s", dir, suffixes[i]);
                struct stat st;

                if (!p)
                        return NULL;
                if (sysroot_stat(sr, p, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                        return TAKE_PTR(p);
        }
        return NULL;
}

/*
 * The kernel's own amdgpu: in its tree, or where dkms 3.2 (Debian 13) keeps
 * it while a DKMS amdgpu is installed (moved to the dkms tree's
 * original_module directory; `dkms remove` moves it back: docs/DOMAIN.md §17).
 */
static char *find_in_tree(const sysroot *sr, const char *kernel)
{
        _cleanup_free_ char *dir = strdup_printf("/lib/modules/%s/" INTREE_DIR, kernel);
        _cleanup_free_ char *archive = strdup_printf("/var/lib/dkms/amdgpu/original_module/%s", kernel);
        _cleanup_(strv_free_arrayp) char **arches = NULL;
        char *ko;
        size_t n;

        if (!dir || !archive)
                return NULL;
        ko = find_ko(sr, dir);
        if (ko)
                return ko;
        /* one directory per architecture (dkms's $arch); a handful at most */
        if (sysroot_list_dir(sr, archive, 16, &arches, &n, NULL) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *sub = strdup_printf("%s/%s", archive, arches[i]);

                if (!sub)
                        return NULL;
                ko = find_ko(sr, sub);
                if (ko)
                        return ko;
        }
        return NULL;
}

static bool kernel_name_ok(const char *k)
{
        /* a leading '-' would read as an option to dkms, depmod, update-initramfs */
        return *k && *k != '-' && !strchr(k, '/') && !streq(k, ".") && !streq(k, "..") && strlen(k) < 200;
}

int preflight_kernel_assess(const sysroot *sr, const char *kernel, bool in_tree,
                            const secure_boot_state *sb, preflight_kernel *ret)
{
        preflight_kernel k = {0};
        _cleanup_free_ char *makefile = NULL, *why_not = NULL;
        struct stat st;

        if (!kernel_name_ok(kernel))
                return -EINVAL;
        k.kernel = strdup(kernel);
        makefile = strdup_printf("/lib/modules/%s/build/Makefile", kernel);
        k.compiler_wanted = wanted_compiler(sr, kernel);
        if (!k.kernel || !makefile || !k.compiler_wanted)
                goto oom;
        k.headers = sysroot_stat(sr, makefile, &st) >= 0 && S_ISREG(st.st_mode);

        {
                _cleanup_free_ char *cc = strdup_printf("/usr/bin/%s", k.compiler_wanted);

                if (!cc)
                        goto oom;
                if (is_executable(sr, cc))
                        k.compiler = TAKE_PTR(cc);
        }
        k.in_tree_ko = find_in_tree(sr, kernel);

        /* Why a rebuild cannot be done safely (first reason wins). */
        if (!k.headers)
                why_not = strdup_printf("the headers of %s are not installed (/lib/modules/%s/build)",
                                        kernel, kernel);
        else if (!k.compiler)
                why_not = strdup_printf("the compiler %s was built with (/usr/bin/%s) is not installed",
                                        kernel, k.compiler_wanted);
        else if (!is_executable(sr, "/usr/bin/make"))
                why_not = strdup("make is not installed (/usr/bin/make)");
        else if (!is_executable(sr, "/usr/sbin/dkms"))
                why_not = strdup("dkms is not installed (/usr/sbin/dkms)");
        else if (sb && sb->state == SECURE_BOOT_UNKNOWN)
                why_not = strdup("the Secure Boot state cannot be read: a module signed by an unenrolled key "
                                 "would be refused at boot");
        else if (sb && sb->state == SECURE_BOOT_ON && !sb->cert)
                why_not = strdup_printf("Secure Boot is on and dkms has no signing certificate (%s); "
                                        "dkms would make a new, unenrolled key", sb->cert_path);
        else if (sb && sb->state == SECURE_BOOT_ON && sb->enrolled != 1)
                why_not = strdup_printf("Secure Boot is on and dkms's signing key %s is %s "
                                        "(mokutil --import %s, then reboot and enroll it)",
                                        sb->cert_path, sb->enrolled == 0 ? "not enrolled" : "of unknown enrollment",
                                        sb->cert_path);
        if ((!k.headers || !k.compiler) && !why_not)
                goto oom;

        if (in_tree || why_not) {
                if (k.in_tree_ko) {
                        k.choice = KERNEL_CHOICE_IN_TREE;
                        k.reason = in_tree ? strdup("--in-tree was asked")
                                           : strdup_printf("%s: the in-tree amdgpu (%s) is used instead",
                                                           why_not, k.in_tree_ko);
                } else {
                        k.choice = KERNEL_CHOICE_NONE;
                        k.reason = in_tree
                                ? strdup_printf("--in-tree: %s has no in-tree amdgpu.ko (/lib/modules/%s/" INTREE_DIR
                                                "/): removing the DKMS module would leave it without a driver",
                                                kernel, kernel)
                                : strdup_printf("%s, and %s has no in-tree amdgpu.ko to fall back to", why_not,
                                                kernel);
                }
                if (!k.reason)
                        goto oom;
        } else
                k.choice = KERNEL_CHOICE_REBUILD;

        *ret = k;
        return 0;
oom:
        preflight_kernel_clear(&k);
        return -ENOMEM;
}

void preflight_kernel_clear(preflight_kernel *k)
{
        free(k->kernel);
        free(k->compiler);
        free(k->compiler_wanted);
        free(k->in_tree_ko);
        free(k->reason);
        *k = (preflight_kernel){0};
}
