/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Parsers for the Python audit (python.*, leftover.miopen-cache), kept free
 * of I/O so they can be unit-tested: .pth lines with site.py's semantics,
 * lines of Python that touch the ROCm stack, wheel RECORD files
 * (PEP 376/PEP 427), the names of ROCm libraries that wheels bundle, and
 * MIOpen's user-database and kernel-cache file names.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * site.py executes a .pth line that starts with "import " or "import\t"
 * (no leading blank); every other non-comment line is a path for sys.path.
 */
bool pth_line_is_exec(const char *line, size_t len);

/*
 * The top-level modules an executable .pth line imports: "import a.b, c as
 * d; import e" gives "a", "c", "e". At most max names go into names[] (each
 * up to 127 bytes, NUL-terminated). Returns how many were stored.
 */
size_t pth_line_imports(const char *line, size_t len, char names[][128], size_t max);

/*
 * Does this line of Python (or of a .pth file) touch the ROCm stack: torch,
 * ROCm, HIP, HSA_*, ROCR_*, MIOpen, rocBLAS, amdgpu or a gfx target? Comment
 * lines (first non-blank is '#') never match. Words, not substrings, for the
 * short names ("hip" matches HIP_VISIBLE_DEVICES and torch.version.hip, not
 * "chip" or "relationship").
 */
bool py_line_touches_rocm(const char *line, size_t len);

/*
 * Call cb for each line of buf that py_line_touches_rocm(), with its
 * 1-based number; stops after max_matches (0: no limit) or when cb returns
 * non-zero (which is returned). Lines may end in \n or \r\n; NUL bytes end
 * nothing. Returns the number of matches (>= 0), or cb's < 0.
 */
typedef int (*py_line_cb)(unsigned lineno, const char *line, size_t len, void *userdata);
int py_match_lines(const char *buf, size_t len, size_t max_matches, py_line_cb cb, void *userdata);

/* ---- RECORD (PEP 376 / PEP 427): CSV rows "path,algo=digest,size" ---- */

typedef struct record_row {
        const char *path;       /* NUL-terminated, unquoted */
        const char *algo;       /* "sha256"; "" when the row has no hash (RECORD itself, .pyc) */
        const char *digest;     /* urlsafe base64 without padding; "" when none */
        uint64_t size;
        bool has_size;
        unsigned line;          /* 1-based line of the row */
} record_row;

/*
 * Parse a RECORD file with the csv module's default dialect (fields
 * separated by ',', '"' quotes, '""' inside quotes, rows ending in \n or
 * \r\n; a quoted field may hold a newline). Rows with fewer than 3 fields
 * or a bad size are counted as malformed and skipped. cb's non-zero
 * return stops the parse and is returned. Returns the number of malformed
 * rows (>= 0), or < 0 (cb's, or -ENOMEM).
 */
typedef int (*record_cb)(const record_row *row, void *userdata);
int record_parse(const char *buf, size_t len, record_cb cb, void *userdata);

/* Is this RECORD path safe to open beneath the site directory (relative, no ".." component)? */
bool record_path_is_local(const char *path);

/*
 * Is basename a ROCm runtime library as wheels bundle it (torch/lib,
 * triton's amd backend): libMIOpen.so, libamdhip64.so.6, librocblas.so.4,
 * libhsa-runtime64.so.1, auditwheel's "libamdhip64-1a2b3c4d.so" and so on.
 */
bool rocm_wheel_lib_name(const char *basename);

/* digest as a RECORD writes it: urlsafe base64, '=' padding removed. out: >= 45 bytes. */
int sha256_record_digest(const uint8_t digest[32], char *out, size_t out_size);

/* ---- MIOpen ---- */

/*
 * The gfx target a MIOpen user-database or kernel-cache name was built for.
 * MIOpen names them after Handle::GetDbBasename(): the target's DbId (name
 * plus "_sramecc"/"_xnack" suffixes) followed by "_<CUs>" for up to 64
 * compute units or by the CU count in hex above that:
 * "gfx1030_36.HIP.2_20_0_a1b2c3.ufdb.txt", "gfx1010_18_2.udb",
 * "gfx1151_20.ukdb", "gfx90a6e.ukdb", "gfx906_60.cd.updb.txt".
 * Writes "gfx1030" into target (>= 16 bytes). Returns false when the name
 * is not one of those.
 */
bool miopen_name_target(const char *name, char *target, size_t target_size);
