/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The DKMS text formats, parsed without running anything: dkms.conf-style
 * shell assignments and `dkms status` lines. probe/dkms.c reads the files.
 */

#include <stddef.h>

/* Parsing of dkms.conf-style shell files (static, never executed). */
typedef struct dkms_conf_assign {
        char *name;   /* "PATCH", "PACKAGE_VERSION", ... */
        int index;    /* n of NAME[n], -1 without index */
        char *value;  /* unquoted */
        unsigned line;
} dkms_conf_assign;

int dkms_conf_parse(const char *buf, size_t len, dkms_conf_assign **ret, size_t *ret_n);
void dkms_conf_assign_free_array(dkms_conf_assign *a, size_t n);

/* One line of `dkms status` output, in any of its three formats (2.x, 2.8.6-3.1, 3.2+). */
typedef struct dkms_status_entry {
        char *module, *version, *kernel, *arch; /* kernel/arch NULL for added/broken */
        char *state;  /* "added", "built", "installed", "installed-weak", "broken" */
        char *extra;  /* text in parentheses after the state, or NULL; several groups joined by "; " */
        char *weak_from; /* K of "installed-weak from K", else NULL */
} dkms_status_entry;

/* Returns 0 and fills *ret, or -EINVAL for a line that is not a status line. */
int dkms_status_parse_line(const char *line, dkms_status_entry *ret);
void dkms_status_entry_clear(dkms_status_entry *e);
