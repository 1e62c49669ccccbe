/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Facts gathered by the running-system probes (KFD topology, kernel command
 * line and modprobe.d, the loaded amdgpu, taint, device-node access). Probes
 * only gather; rules_kernel.c turns facts into findings.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/report.h"
#include "base/util.h"
#include "parse/ko_scan.h"
#include "probe/dkms.h"
#include "probe/ko_cache.h"
#include "probe/rdna1_table.h"
#include "root/sysroot.h"

/* ---- KFD topology: /sys/class/kfd/kfd/topology ---- */

typedef struct kfd_mem_bank {
        uint64_t heap_type;
        uint64_t size_in_bytes;
        uint64_t flags;
        unsigned id;              /* M of mem_banks/M (banks are sorted by id) */
        uint64_t width;
        uint64_t mem_clk_max;
} kfd_mem_bank;

typedef struct kfd_node {
        unsigned id;              /* N of nodes/N */
        char *name;               /* nodes/N/name ("gfx1010"), may be NULL */
        uint64_t cpu_cores_count;
        uint64_t simd_count;
        uint64_t gfx_target_version; /* 0 = absent */
        uint64_t vendor_id;
        uint64_t device_id;
        uint64_t location_id;
        uint64_t domain;
        bool has_domain;          /* older kernels lack "domain" */
        uint64_t drm_render_minor;
        bool has_render_minor;
        kfd_mem_bank *mem_banks;
        size_t n_mem_banks;
        bool has_location_id;     /* a node without it never matches a PCI device */
} kfd_node;

typedef struct kfd_facts {
        bool topology_present;    /* /sys/class/kfd/kfd/topology/nodes exists */
        bool dev_kfd_present;     /* /dev/kfd exists (any file type) */
        kfd_node *nodes;          /* sorted by id */
        size_t n_nodes;
        size_t n_malformed;       /* malformed properties lines skipped, all files */
} kfd_facts;

/*
 * Read the topology. Malformed properties (non-numeric values, junk) are
 * skipped key by key and recorded as reasons (probe "kfd", matters=false
 * unless a whole node is unreadable). Returns 0 or < 0 errno (ENOMEM).
 */
int kfd_probe(const sysroot *sr, report *r, kfd_facts **ret);
kfd_facts *kfd_facts_free(kfd_facts *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(kfd_facts *, kfd_facts_free);

/* Parse one "key value\n" properties file; calls cb per well-formed line. */
typedef int (*kfd_prop_cb)(const char *key, uint64_t value, void *userdata);
/* Returns the number of malformed lines (>= 0), or < 0 from cb. */
int kfd_parse_properties(const char *buf, size_t len, kfd_prop_cb cb, void *userdata);

/* The KFD node of a PCI device (domain + location_id = bus<<8|dev<<3|fn). NULL if none. */
const kfd_node *kfd_find_node_for_pci(const kfd_facts *f, unsigned domain, unsigned bus,
                                      unsigned dev, unsigned fn);

/* ---- kernel command line and /etc/modprobe.d ---- */

typedef enum disable_kind {
        DISABLE_NOMODESET,          /* "nomodeset" on the command line */
        DISABLE_MODESET0,           /* amdgpu.modeset=0 */
        DISABLE_CMDLINE_BLACKLIST,  /* modprobe.blacklist=...amdgpu... */
        DISABLE_MODPROBE_BLACKLIST, /* "blacklist amdgpu" in modprobe.d */
        DISABLE_MODPROBE_INSTALL,   /* "install amdgpu /bin/false" (or /bin/true) */
        DISABLE_MODPROBE_MODESET0,  /* "options amdgpu modeset=0" */
        _DISABLE_KIND_MAX,
        _DISABLE_KIND_INVALID = -22,
} disable_kind;

const char *disable_kind_to_string(disable_kind k);

typedef struct disable_entry {
        disable_kind kind;
        char *path;     /* "/proc/cmdline" or "/etc/modprobe.d/blacklist-amdgpu.conf" */
        unsigned line;  /* 0 for /proc/cmdline */
        char *text;     /* the matched word or line (raw) */
} disable_entry;

typedef struct cmdline_facts {
        bool cmdline_present;
        bool recovery;          /* "recovery" or "single" on the command line */
        disable_entry *entries;
        size_t n_entries;
} cmdline_facts;

/* Reads /proc/cmdline, /etc/modprobe.d/<*>.conf, /run/modprobe.d, /usr/lib/modprobe.d, /lib/modprobe.d. */
int cmdline_probe(const sysroot *sr, report *r, cmdline_facts **ret);
cmdline_facts *cmdline_facts_free(cmdline_facts *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(cmdline_facts *, cmdline_facts_free);

/* Parsers, exposed for unit tests. They append to f. */
int cmdline_parse(cmdline_facts *f, const char *buf, size_t len);
int modprobe_conf_parse(cmdline_facts *f, const char *path, const char *buf, size_t len);

/* ---- the loaded amdgpu ---- */

typedef struct dyndbg_site {
        char *file;      /* as printed: "/var/lib/dkms/.../kfd_crat.c" */
        unsigned line;
        char *module;    /* "amdgpu" */
        char *function;  /* "kfd_parse_subtype_mem" */
        char *format;    /* unescaped (\012 -> '\n') */
} dyndbg_site;

typedef struct module_facts {
        bool proc_modules_present;   /* /proc/modules readable */
        bool loaded;                 /* amdgpu in /proc/modules or /sys/module/amdgpu/initstate */
        char *state;                 /* "Live", "Loading", "Unloading" */
        char *taint;                 /* "OE" from /proc/modules or /sys/module/amdgpu/taint */
        char *initstate;             /* "live" ... */
        uint8_t build_id[64];
        size_t build_id_len;         /* 0 = unknown */
        char *srcversion;            /* NULL = unknown */
        char *version;               /* /sys/module/amdgpu/version (DKMS builds set it) */
        bool dyndbg_readable;        /* /proc/dynamic_debug/control could be read */
        dyndbg_site *sites;          /* only the amdgpu sites whose function is wanted */
        size_t n_sites;
} module_facts;

/*
 * Probe the loaded amdgpu. dyndbg_functions: function names whose
 * dynamic-debug sites to keep (from the signature db), NULL-terminated.
 */
int module_probe(const sysroot *sr, report *r, const char *const *dyndbg_functions,
                 module_facts **ret);
module_facts *module_facts_free(module_facts *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(module_facts *, module_facts_free);

/* Parsers, exposed for unit tests. */
/* Parse a GNU build-id note file (/sys/module/X/notes/.note.gnu.build-id). */
int build_id_note_parse(const uint8_t *buf, size_t len, uint8_t *ret_id, size_t *ret_len);
/* Parse one line of /proc/dynamic_debug/control; -EINVAL if not a site line. */
int dyndbg_parse_line(const char *line, dyndbg_site *ret);
void dyndbg_site_clear(dyndbg_site *s);
/* Find module name's line in /proc/modules content; fills state and taint. 1 found, 0 not. */
int proc_modules_find(const char *buf, size_t len, const char *name, char **ret_state,
                      char **ret_taint);

/* ---- /proc/sys/kernel/tainted ---- */

typedef struct taint_facts {
        bool present;
        uint64_t value;
} taint_facts;

int taint_probe(const sysroot *sr, report *r, taint_facts *ret);
/* "O E" style decoded letters plus descriptions, e.g. "O (out-of-tree module), E (unsigned module)". */
char *taint_describe(uint64_t value);

/* ---- who is asking, and can they open the device nodes ---- */

typedef struct invoking_user {
        uid_t uid;
        gid_t gid;
        char *name;       /* from the root's /etc/passwd, may be NULL */
        gid_t *groups;    /* supplementary, from the root's /etc/group */
        size_t n_groups;
        bool from_env;    /* SUDO_UID / PKEXEC_UID */
        char **group_names; /* parallel to groups; an entry is NULL when unnamed */
} invoking_user;

/*
 * Who the check is for: SUDO_UID, then PKEXEC_UID, else getuid(). Names and
 * groups come from the root's /etc/passwd and /etc/group.
 */
int invoking_user_get(const sysroot *sr, invoking_user *ret);
void invoking_user_clear(invoking_user *u);

typedef struct node_access {
        char *path;       /* "/dev/kfd" */
        bool present;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        bool has_acl;
        bool can_read_write; /* computed for the invoking user: mode, owner, group, ACL */
        char *why;        /* human explanation when !can_read_write */
} node_access;

/*
 * Compute whether user may open path read-write, from its mode, owner,
 * group and POSIX ACL (read through the root, never access(2)).
 */
int node_access_check(const sysroot *sr, const invoking_user *u, const char *path,
                      node_access *ret);
void node_access_clear(node_access *a);

/* ---- AMD display devices on the PCI bus ---- */

typedef struct gpu_device {
        char *pci_slot;         /* "0000:03:00.0" */
        unsigned domain, bus, dev, fn;
        uint16_t vendor_id, device_id;
        uint16_t subsys_vendor_id, subsys_device_id;
        uint8_t revision;
        uint32_t class_code;    /* 0x030000 */
        char *name;             /* from pci.ids */
        const rdna1_model *rdna1;
        char *gfx_target;       /* "gfx1010"; from KFD when up, else the table */
        char *driver;           /* bound driver, NULL when none */
        int kfd_node;           /* -1 when none */
        uint64_t kfd_gfx_target_version;
        char *render_node;      /* "/dev/dri/renderD128" */
} gpu_device;

/* A kernel module file that was scanned, with where it was found. */
typedef enum module_place {
        PLACE_DKMS_BUILD,   /* /var/lib/dkms/.../module/ */
        PLACE_INSTALLED,    /* what modprobe would load */
        PLACE_OTHER,        /* another amdgpu under /lib/modules/K */
        PLACE_INITRAMFS,    /* inside /boot/initrd.img-K */
        _PLACE_MAX,
        _PLACE_INVALID = -22,
} module_place;

const char *module_place_to_string(module_place p);

typedef struct scanned_module {
        char *path;         /* file path (for initramfs members: the image) */
        char *member;       /* archive member inside an initramfs, else NULL */
        char *kernel;       /* the kernel it belongs to, may be NULL */
        module_place place;
        bool in_tree;       /* under /lib/modules/K/kernel/ (or the initramfs equivalent) */
        ko_info info;
} scanned_module;

typedef struct kernel_facts {
        char *version;          /* "6.8.0-48-generic" */
        bool running;           /* equals the root's /proc/sys/kernel/osrelease */
        bool has_image;         /* /boot/vmlinuz-K */
        char *module_path;      /* amdgpu that modprobe would load, NULL when none */
        bool module_in_tree;
        char *initramfs_path;   /* NULL when none */
        int initramfs_error;    /* < 0: could not be read */
} kernel_facts;

int pci_probe(const sysroot *sr, report *r, gpu_device **ret, size_t *ret_n);
void gpu_devices_free(gpu_device *d, size_t n);

/* ---- the kernel side on disk: every installed kernel, its amdgpu, its initramfs ---- */

typedef struct kernels_probe_input {
        const sysroot *sr;
        report *report;
        const char *osrelease;          /* running kernel, NULL when offline */
        const dkms_facts *dkms;         /* modules DKMS built, may be NULL */
        const char *const *markers;     /* patch markers to look for in modules */
        size_t n_markers;
        ko_cache *cache;                /* NULL: no cache */
} kernels_probe_input;

typedef struct kernel_scan {
        kernel_facts *kernels;
        size_t n_kernels;
        scanned_module *modules;
        size_t n_modules;
} kernel_scan;

/*
 * Every installed kernel (/lib/modules/K): the amdgpu modprobe would load,
 * the other amdgpu files beside it, the one inside its initramfs, and the
 * modules DKMS built, each scanned by content. Unreadable parts become
 * reasons. *ret is filled even on error (free it with kernel_scan_clear()).
 * Returns 0 or < 0 errno (-ENOMEM).
 */
int kernels_probe(const kernels_probe_input *in, kernel_scan *ret);
void kernel_scan_clear(kernel_scan *k);
