/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The per-kernel transaction of --recover (README.md, Recovery), one journal step per
 * kernel:
 *
 *   rebuild:  back up the kernel's DKMS module set (every file in /lib/modules/K/updates/dkms and
 *             /var/lib/dkms/M/V/K/ARCH/module) and /boot/initrd.img-K into
 *             the journal → refuse a source that still carries a known
 *             patch → dkms build --force → verify the built .ko (no marker,
 *             build-id/srcversion not among the known patched builds,
 *             vermagic of K, with Secure Boot on signed by the enrolled
 *             key) → dkms install --force → depmod → update-initramfs -u
 *             -k K → verify the initramfs holds no patched amdgpu (and, when
 *             it holds one, the one just built).
 *   in-tree:  check the in-tree amdgpu.ko of K exists → the same backups →
 *             dkms remove -m M -v V -k K → depmod → update-initramfs → verify
 *             no DKMS amdgpu is left in updates/dkms or in the initramfs.
 *
 * A failing step puts back every journaled file of the kernel (content,
 * mode, owner, times), removes what the step created, and runs depmod
 * again: the kernel keeps the modules and initramfs it had. Every command's
 * argv, status and output go into the journal (cmd/NNNN-K.log).
 *
 * Kernel-side steps run only on the running system (sysroot is_host): with
 * --root other than / they are refused, never run against the host.
 *
 * Executor integration: after preflight_run() passed and kept the dpkg
 * locks, for each kernel-side plan action (one per kernel):
 *
 *     journal_begin_step(j, i);
 *     kernel_tx_options o = {.sr = sr, .j = j, .step = i, .kernel = a->kernel,
 *             .module = a->dkms_module, .version = a->dkms_version,
 *             .choice = preflight_result_kernel(&pf, a->kernel)->choice,
 *             .markers = ..., .patched_build_ids = ..., .sb = &pf.sb, .sigs = db};
 *     r = kernel_tx_run(&o, &res);
 *     r < 0 || !res.ok ? journal_step_failed(j, i, res.error) : journal_step_done(j, i);
 *
 * and on success (res.ok for every kernel) exit 10 with a reboot hint;
 * kernel_tx_run() has written the verify-pending flag. After --rollback of
 * a kernel step call kernel_tx_rollback().
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"
#include "parse/signature.h"
#include "recover/journal.h"
#include "recover/preflight.h"
#include "root/sysroot.h"

#define KERNEL_TX_DKMS "/usr/sbin/dkms"
#define KERNEL_TX_DEPMOD "/sbin/depmod"
#define KERNEL_TX_UPDATE_INITRAMFS "/usr/sbin/update-initramfs"

typedef struct kernel_tx_options {
        const sysroot *sr;             /* must be the running system's / */
        journal *j;
        size_t step;                   /* this kernel's step in the journal (begun) */
        const char *kernel;            /* "6.1.0-56-amd64" */
        const char *module;            /* DKMS module name: "amdgpu" */
        const char *version;           /* DKMS version */
        const char *arch;              /* NULL: the machine's (uname -m) */
        kernel_choice choice;          /* rebuild or in-tree (from the preflight) */
        bool initramfs_only;           /* update-initramfs -u -k K and verify, nothing else (choice unused) */
        const char *const *markers;    /* byte strings no clean module holds (signature ko_marker) */
        size_t n_markers;
        const char *const *patched_build_ids;   /* hex, NULL-terminated: the patched builds seen */
        const char *const *patched_srcversions; /* NULL-terminated */
        const secure_boot_state *sb;   /* NULL or off: no signer check */
        const signature_db *sigs;      /* the source is matched against it before building; may be NULL */
        unsigned build_timeout_ms;     /* 0: 1 hour (amdgpu-dkms builds for long) */
        unsigned cmd_timeout_ms;       /* depmod, update-initramfs, dkms remove; 0: 10 minutes */
        /* Progress for people (an amdgpu build takes many minutes): a line when a command
         * starts and one every KERNEL_TX_PROGRESS_MS while it runs; may be NULL. */
        void (*on_progress)(const char *line, void *userdata);
        void *progress_userdata;
} kernel_tx_options;

#define KERNEL_TX_PROGRESS_MS 60000u

typedef struct kernel_tx_result {
        bool ok;
        char *error;                   /* which step failed and why (NULL when ok) */
        bool restored;                 /* after a failure: the kernel's previous files are back */
        char *build_id;                /* hex build-id of the new amdgpu.ko (rebuild), or NULL */
        bool initramfs_updated;
} kernel_tx_result;

/*
 * Run the transaction for one kernel. Returns 0 when it ran (see ret->ok),
 * < 0 errno when it could not even start (-EPERM: not the running system;
 * -EINVAL: bad options; -ENOMEM). The caller marks the journal step.
 */
int kernel_tx_run(const kernel_tx_options *o, kernel_tx_result *ret);
void kernel_tx_result_clear(kernel_tx_result *r);

/*
 * Undo a kernel step from its journal record (--rollback): every file it
 * backed up is put back (parent directories made again: dkms remove
 * deletes them), every file it created is removed, then depmod -a K. A
 * file that changed since the recovery (neither its after-hash nor its old
 * one) is left alone and reported in messages (one line each, raw).
 * dkms's own bookkeeping (the kernel-K-ARCH link) is not part of it: `dkms
 * status` may say "built" where it said "installed". Returns 0 and
 * *ret_skipped, or < 0 errno (-EPERM: not the running system).
 */
int kernel_tx_rollback(const sysroot *sr, journal *j, size_t step, const char *kernel, strv *messages,
                       size_t *ret_skipped);
