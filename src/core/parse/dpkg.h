/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Readers for the dpkg database formats (deb-md5sums(5), the status file).
 * Pure parsers over buffers: the caller reads files through the sysroot.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * Find FIELD of PACKAGE's stanza in a dpkg status file ("Status",
 * "Version", ...). Continuation lines are not part of the value.
 * Returns 1 and *ret (owned), 0 when the package or field is absent,
 * < 0 errno.
 */
int dpkg_status_field(const char *buf, size_t len, const char *package, const char *field, char **ret);

/*
 * Parse md5sums content: "<32 hex>  <path>" per line, the path relative
 * to / (a leading slash is accepted). cb gets the lowercase digest and the
 * path with a leading slash; malformed lines are counted, not passed.
 * Returns the number of malformed lines (>= 0), or < 0 from cb.
 */
typedef int (*md5sums_cb)(const char *md5, const char *path, void *userdata);
int md5sums_parse(const char *buf, size_t len, md5sums_cb cb, void *userdata);

/* ---- whole-database readers (package integrity, pkgverify.c) ---- */

typedef struct dpkg_conffile {
        char *path;
        char md5[33];   /* lowercase hex; "newconffile" and other non-digests give "" */
        bool obsolete;  /* "obsolete" or "remove-on-upgrade" flag */
} dpkg_conffile;

typedef struct dpkg_pkg {
        char *name;
        char *arch;     /* may be NULL */
        char *version;  /* may be NULL */
        char *status;   /* "install ok installed" */
        char *multi_arch; /* may be NULL */
        dpkg_conffile *conffiles;
        size_t n_conffiles;
} dpkg_pkg;

/*
 * Every stanza of a status file that has a Package field. Continuation
 * lines of Conffiles are parsed; other multi-line values are skipped.
 * Returns 0 or < 0 errno; a NUL byte in a value gives -EBADMSG.
 */
int dpkg_status_parse(const char *buf, size_t len, dpkg_pkg **ret, size_t *ret_n);
void dpkg_pkgs_free(dpkg_pkg *p, size_t n);

/* Does the Status field say the package's files are on disk? */
bool dpkg_status_has_files(const char *status);

/* /var/lib/dpkg/diversions: triples "from\nto\npackage\n" (package ":" = local). */
typedef struct dpkg_diversion {
        char *from;
        char *to;
        char *package; /* ":" for a local diversion */
} dpkg_diversion;

/* Returns 0 or < 0 errno; an incomplete last triple is dropped (-EBADMSG only when nothing parsed). */
int dpkg_diversions_parse(const char *buf, size_t len, dpkg_diversion **ret, size_t *ret_n);
void dpkg_diversions_free(dpkg_diversion *d, size_t n);

/*
 * Package file names of a deb822 "Package_Version_Arch.deb" in an apt
 * archive: the epoch colon is written "%3a". Returns NULL on ENOMEM.
 */
char *dpkg_archive_name(const char *package, const char *version, const char *arch);
