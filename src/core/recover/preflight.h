/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The preflight gate of --recover (README.md, Recovery): before anything changes,
 * check that executing the plan cannot leave the machine worse. Every
 * check that fails adds one failure with a reason a person can act on;
 * the caller refuses the whole run (exit 12) when there is any.
 *
 *   root-writable   the root is mounted read-write, or --remount-rw (only
 *                   with --root /) remounted it
 *   boot-mounted    /boot and /boot/efi, when the root's fstab names them,
 *                   are mounted (--remount-rw mounts them) and writable
 *   free-space      /boot holds one more initramfs per kernel; the journal's
 *                   file system holds the backups (initramfs + module set)
 *   dpkg-lock       /var/lib/dpkg/lock-frontend then /var/lib/dpkg/lock,
 *                   taken as dpkg takes them (fcntl F_SETLK write locks) and
 *                   held until preflight_result_clear()
 *   dkms-running    no dkms process in the root's /proc
 *   kernel-side     per kernel: the choice between rebuilding the clean DKMS
 *                   source (headers, compiler, and with Secure Boot on an
 *                   enrolled signing key) and removing the DKMS amdgpu so
 *                   the in-tree driver loads (only when the in-tree .ko
 *                   exists); a kernel that would be left with neither
 *                   module is refused
 *
 * Every path is opened through the sysroot; mounts come from the root's
 * /proc/mounts, Secure Boot from the root's efivars (mokutil is asked only
 * with --root / and only when the efivars cannot be read).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root/sysroot.h"

#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFI_SHIM_LOCK_GUID "605dab50-e046-4300-abb6-3dd810dd8b23"
#define DKMS_MOK_CERT_DEFAULT "/var/lib/dkms/mok.pub"
#define DKMS_MOK_KEY_DEFAULT "/var/lib/dkms/mok.key"

typedef enum preflight_check {
        PREFLIGHT_ROOT_WRITABLE,
        PREFLIGHT_BOOT_MOUNTED,
        PREFLIGHT_FREE_SPACE,
        PREFLIGHT_DPKG_LOCK,
        PREFLIGHT_DKMS_RUNNING,
        PREFLIGHT_KERNEL_SIDE,
        _PREFLIGHT_CHECK_MAX,
        _PREFLIGHT_CHECK_INVALID = -22,
} preflight_check;

const char *preflight_check_to_string(preflight_check c);

typedef enum kernel_choice {
        KERNEL_CHOICE_REBUILD,   /* dkms build/install --force of the clean source */
        KERNEL_CHOICE_IN_TREE,   /* dkms remove: the in-tree amdgpu loads */
        KERNEL_CHOICE_NONE,      /* neither is safe: refused */
        _KERNEL_CHOICE_MAX,
        _KERNEL_CHOICE_INVALID = -22,
} kernel_choice;

const char *kernel_choice_to_string(kernel_choice c); /* "rebuild", "in-tree", "none" */

typedef enum secure_boot {
        SECURE_BOOT_ABSENT,      /* no EFI, or no SecureBoot variable: not enforced */
        SECURE_BOOT_OFF,
        SECURE_BOOT_ON,
        SECURE_BOOT_UNKNOWN,     /* the variable exists but cannot be read or parsed */
        _SECURE_BOOT_MAX,
        _SECURE_BOOT_INVALID = -22,
} secure_boot;

const char *secure_boot_to_string(secure_boot s);

typedef struct secure_boot_state {
        secure_boot state;
        char *cert_path;         /* dkms's signing certificate (mok_certificate=), as the root sees it */
        uint8_t *cert;           /* its DER, NULL when missing */
        size_t cert_len;
        int enrolled;            /* 1 in MokListRT, 0 not, -1 unknown (MokListRT unreadable) */
        char *detail;            /* how it was decided ("efivars", "mokutil"), or why unknown */
} secure_boot_state;

/*
 * Read the Secure Boot state and whether dkms's certificate is enrolled.
 * use_mokutil: the root is the running system (--root /); mokutil is asked
 * only when the efivars cannot be read. Returns 0 or -ENOMEM.
 */
int secure_boot_probe(const sysroot *sr, bool use_mokutil, secure_boot_state *ret);
void secure_boot_state_clear(secure_boot_state *s);

/*
 * Does an EFI_SIGNATURE_LIST sequence (MokListRT's payload, without the
 * 4-byte attributes) hold an X.509 entry equal to der?
 * Returns 1 yes, 0 no, -EBADMSG when a list header is inconsistent.
 */
int efi_signature_lists_contain_x509(const uint8_t *buf, size_t len, const uint8_t *der, size_t der_len);

typedef struct preflight_kernel {
        char *kernel;
        bool headers;            /* /lib/modules/K/build/Makefile */
        char *compiler;          /* the compiler the kernel was built with, as found ("/usr/bin/gcc-12"), or NULL */
        char *compiler_wanted;   /* "gcc-12" from CONFIG_CC_VERSION_TEXT, or "gcc" */
        char *in_tree_ko;        /* "/lib/modules/K/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko.xz" or NULL */
        kernel_choice choice;
        char *reason;            /* why not rebuild (choice in-tree by default) or why refused */
} preflight_kernel;

/*
 * Decide one kernel's side. in_tree: --in-tree was asked. sb may be NULL
 * (Secure Boot not considered). The planner calls this for --dry-run, the
 * gate again before execution. Returns 0 or -ENOMEM.
 */
int preflight_kernel_assess(const sysroot *sr, const char *kernel, bool in_tree,
                            const secure_boot_state *sb, preflight_kernel *ret);
void preflight_kernel_clear(preflight_kernel *k);

typedef struct preflight_options {
        bool remount_rw;              /* --remount-rw (only with --root /) */
        bool kernel_side;             /* the plan has kernel-side steps */
        const char *const *kernels;   /* NULL-terminated: the kernels they act on */
        bool in_tree;                 /* --in-tree */
        const char *state_dir;        /* host path of the journal's state dir; NULL: ROOT/var/lib */
        uint64_t file_backup_bytes;   /* what the file-side steps will back up */
        bool mount_checks_only;       /* tests: skip locks and the kernel side */
        bool preview;                 /* a preview (the TUI's plan): no remount; whether another process
                                       * holds the dpkg locks is tested, they are neither taken nor made */
} preflight_options;

typedef struct preflight_failure {
        preflight_check check;
        char *kernel;                 /* NULL unless per kernel */
        char *reason;                 /* one sentence, what to do */
} preflight_failure;

typedef struct preflight_result {
        preflight_failure *failures;
        size_t n_failures;
        preflight_kernel *kernels;
        size_t n_kernels;
        secure_boot_state sb;
        char **notes;                 /* what the gate did (remounted /, mounted /boot, ...) */
        size_t n_notes;
        int lock_frontend_fd;         /* held through execution */
        int lock_fd;
} preflight_result;

/*
 * Run every check. Returns 0 when the checks ran (passed or not: see
 * ret->n_failures), < 0 errno when something broke (-ENOMEM). *ret must be
 * released with preflight_result_clear(), which also drops the dpkg locks.
 */
int preflight_run(const sysroot *sr, const preflight_options *o, preflight_result *ret);
void preflight_result_clear(preflight_result *r);

static inline bool preflight_passed(const preflight_result *r)
{
        return r->n_failures == 0;
}

/* The preflight_kernel of kernel in r, or NULL. */
const preflight_kernel *preflight_result_kernel(const preflight_result *r, const char *kernel);

/*
 * Take the dpkg locks of the root as dpkg does. Returns 0 with both fds,
 * -EBUSY (and *ret_holder the pid holding it, 0 unknown) when taken.
 */
int dpkg_lock_take(const sysroot *sr, int *ret_frontend_fd, int *ret_lock_fd, int *ret_holder);

/*
 * dpkg itself is about to run (reinstall-package), as apt runs it: the
 * frontend lock stays ours, /var/lib/dpkg/lock is let go for dpkg to take
 * (the child gets DPKG_FRONTEND_LOCKED=1), and taken back afterwards.
 */
void preflight_dpkg_lock_release(preflight_result *r);
int preflight_dpkg_lock_retake(const sysroot *sr, preflight_result *r);

/*
 * Is either dpkg lock held by another process? Opens the lock files read-only
 * (an absent one is free) and asks F_GETLK. 1 held (*ret_holder the pid, 0
 * unknown), 0 free.
 */
int dpkg_lock_probe(const sysroot *sr, int *ret_holder);

/* Is a dkms process running in the root's /proc? 1 yes (*ret_pid), 0 no. */
int dkms_running(const sysroot *sr, int *ret_pid);
