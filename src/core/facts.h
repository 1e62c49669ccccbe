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

#include "report.h"
#include "sysroot.h"

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
