/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * I/O-free parsers of the Python audit; see pyscan.h.
 */
#include <ctype.h>
#include <resolv.h>

#include "base/util.h"
#include "parse/pyscan.h"

static bool is_ident(char c)
{
        return isalnum((unsigned char)c) || c == '_';
}

bool pth_line_is_exec(const char *line, size_t len)
{
        /* site.addpackage(): line.startswith(("import ", "import\t")) */
        return len >= 7 && memcmp(line, "import", 6) == 0 && (line[6] == ' ' || line[6] == '\t');
}

static size_t skip_blanks(const char *s, size_t i, size_t len)
{
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i;
}

size_t pth_line_imports(const char *line, size_t len, char names[][128], size_t max)
{
        size_t n = 0, i = 0;

        while (i < len && n < max) {
                /* one statement: up to ';' */
                size_t end = i;
                while (end < len && line[end] != ';' && line[end] != '\n')
                        end++;
                i = skip_blanks(line, i, end);
                if (end - i > 7 && memcmp(line + i, "import", 6) == 0 && (line[i + 6] == ' ' || line[i + 6] == '\t')) {
                        i += 7;
                        while (i < end && n < max) {
                                size_t s;

                                i = skip_blanks(line, i, end);
                                s = i;
                                while (i < end && is_ident(line[i]))
                                        i++;
                                if (i > s && i - s < 128) {
                                        memcpy(names[n], line + s, i - s);
                                        names[n][i - s] = '\0';
                                        n++;
                                }
                                /* skip ".sub", " as alias" up to the next ',' */
                                while (i < end && line[i] != ',')
                                        i++;
                                if (i < end)
                                        i++;
                        }
                }
                i = end + 1;
                if (end < len && line[end] == '\n')
                        break;
        }
        return n;
}

/* Case-insensitive search for needle (lowercase) in s[0..len). */
static const char *find_ci(const char *s, size_t len, const char *needle, size_t from)
{
        size_t nl = strlen(needle);

        for (size_t i = from; i + nl <= len; i++)
                if (strncasecmp(s + i, needle, nl) == 0)
                        return s + i;
        return NULL;
}

/* needle as a word: no letter or digit right before or after (underscores and dots separate). */
static bool has_word_ci(const char *s, size_t len, const char *needle)
{
        size_t nl = strlen(needle);
        const char *p;

        for (size_t from = 0; (p = find_ci(s, len, needle, from)); from = (size_t)(p - s) + 1) {
                size_t at = (size_t)(p - s);
                if (at > 0 && isalnum((unsigned char)s[at - 1]))
                        continue;
                if (at + nl < len && isalnum((unsigned char)s[at + nl]))
                        continue;
                return true;
        }
        return false;
}

bool py_line_touches_rocm(const char *line, size_t len)
{
        static const char *const substrings[] = {
                "torch", "rocm", "miopen", "rocblas", "amdgpu", "hsa_", "rocr_", "amdhip",
                "hipblas", "hsa-runtime", "tensile",
        };
        static const char *const words[] = { "hip", "hsa", "rocr" };
        size_t i = skip_blanks(line, 0, len);
        const char *p;

        if (i < len && line[i] == '#')
                return false;
        for (size_t k = 0; k < ELEMENTSOF(substrings); k++)
                if (find_ci(line, len, substrings[k], 0))
                        return true;
        for (size_t k = 0; k < ELEMENTSOF(words); k++)
                if (has_word_ci(line, len, words[k]))
                        return true;
        /* a gfx target: "gfx" and a digit */
        for (size_t from = 0; (p = find_ci(line, len, "gfx", from)); from = (size_t)(p - line) + 1)
                if ((size_t)(p - line) + 3 < len && isdigit((unsigned char)p[3]))
                        return true;
        return false;
}

int py_match_lines(const char *buf, size_t len, size_t max_matches, py_line_cb cb, void *userdata)
{
        unsigned lineno = 0;
        int matches = 0;

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - buf) : len;
                size_t l = end - i;

                lineno++;
                if (l > 0 && buf[i + l - 1] == '\r')
                        l--;
                if (py_line_touches_rocm(buf + i, l)) {
                        int r = cb ? cb(lineno, buf + i, l, userdata) : 0;
                        if (r != 0)
                                return r;
                        matches++;
                        if (max_matches > 0 && (size_t)matches >= max_matches)
                                break;
                }
                i = end + 1;
        }
        return matches;
}

/* ---- RECORD ---- */

static int record_row_emit(char **fields, size_t n_fields, unsigned line, record_cb cb, void *userdata,
                           int *malformed)
{
        record_row row = { .line = line };
        char *eq;

        if (n_fields == 1 && fields[0][0] == '\0')
                return 0; /* empty line */
        if (n_fields < 3 || fields[0][0] == '\0') {
                (*malformed)++;
                return 0;
        }
        row.path = fields[0];
        eq = strchr(fields[1], '=');
        if (eq) {
                *eq = '\0';
                row.algo = fields[1];
                row.digest = eq + 1;
        } else if (fields[1][0] == '\0') {
                row.algo = row.digest = "";
        } else {
                (*malformed)++;
                return 0;
        }
        if (fields[2][0] != '\0') {
                if (!isdigit((unsigned char)fields[2][0]) || safe_atou64(fields[2], 10, &row.size) < 0) {
                        (*malformed)++;
                        return 0;
                }
                row.has_size = true;
        }
        return cb(&row, userdata);
}

int record_parse(const char *buf, size_t len, record_cb cb, void *userdata)
{
        _cleanup_free_ char *scratch = malloc(len + 1);
        _cleanup_free_ char **fields = NULL;
        size_t n_fields = 0, cap = 0, w = 0;
        unsigned line = 1, row_line = 1;
        bool in_quotes = false, field_open = false;
        int malformed = 0, r;

        if (!scratch)
                return -ENOMEM;

        for (size_t i = 0; i <= len; i++) {
                char c = i < len ? buf[i] : '\n';
                bool at_end = i == len;

                if (in_quotes && !at_end) {
                        if (c == '"') {
                                if (i + 1 < len && buf[i + 1] == '"') {
                                        scratch[w++] = '"';
                                        i++;
                                } else
                                        in_quotes = false;
                        } else {
                                if (c == '\n')
                                        line++;
                                scratch[w++] = c;
                        }
                        continue;
                }
                if (!field_open) {
                        /* start a field */
                        if (n_fields == cap) {
                                size_t ncap = cap ? cap * 2 : 8;
                                char **nf = realloc(fields, ncap * sizeof(char *));
                                if (!nf)
                                        return -ENOMEM;
                                fields = nf;
                                cap = ncap;
                        }
                        fields[n_fields++] = scratch + w;
                        field_open = true;
                        if (c == '"' && !at_end) {
                                in_quotes = true;
                                continue;
                        }
                }
                if (c == ',') {
                        scratch[w++] = '\0';
                        field_open = false;
                } else if (c == '\n' || c == '\r') {
                        scratch[w++] = '\0';
                        if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
                                i++;
                        if (!(at_end && n_fields == 1 && fields[0][0] == '\0')) {
                                r = record_row_emit(fields, n_fields, row_line, cb, userdata, &malformed);
                                if (r != 0)
                                        return r;
                        }
                        n_fields = 0;
                        w = 0;
                        field_open = false;
                        line++;
                        row_line = line;
                } else if (c == '\0') {
                        /* a NUL byte must not end the field's string early */
                        scratch[w++] = '\x7f';
                } else {
                        scratch[w++] = c;
                }
        }
        return malformed;
}

bool record_path_is_local(const char *path)
{
        const char *p = path;

        if (!path || !*path || *path == '/')
                return false;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t l = slash ? (size_t)(slash - p) : strlen(p);
                if (l == 2 && p[0] == '.' && p[1] == '.')
                        return false;
                if (!slash)
                        break;
                p = slash + 1;
        }
        return true;
}

bool rocm_wheel_lib_name(const char *basename)
{
        static const char *const libs[] = {
                "libMIOpen", "libamdhip64", "librocblas", "libhsa-runtime64", "libhsakmt",
                "libhipblas", "libhipblaslt", "librocsolver", "libhipsolver", "librocfft", "libhipfft",
                "librocsparse", "libhipsparse", "librccl", "librocrand", "libhiprand", "libroctracer64",
                "libroctx64", "librocm_smi64", "libamd_comgr", "libhiprtc", "librocprofiler-register",
                "libamd_smi",
        };

        for (size_t k = 0; k < ELEMENTSOF(libs); k++) {
                const char *rest = startswith(basename, libs[k]);
                size_t h = 0;

                if (!rest)
                        continue;
                if (*rest == '-') {
                        /* auditwheel: libfoo-<8 hex>.so[.N] */
                        rest++;
                        while (isxdigit((unsigned char)rest[h]))
                                h++;
                        if (h < 8)
                                continue;
                        rest += h;
                }
                rest = startswith(rest, ".so");
                if (!rest)
                        continue;
                if (*rest == '\0')
                        return true;
                /* a version suffix: ".6", ".4.0.60000" (not ".bak") */
                if (*rest == '.' && rest[1] && strspn(rest, ".0123456789") == strlen(rest))
                        return true;
        }
        return false;
}

int sha256_record_digest(const uint8_t digest[32], char *out, size_t out_size)
{
        int n;

        if (out_size < 45)
                return -ENOBUFS;
        /* glibc's base64 encoder (libresolv), then the urlsafe alphabet without padding */
        n = b64_ntop(digest, 32, out, out_size);
        if (n < 0)
                return -EINVAL;
        for (int i = 0; i < n; i++) {
                if (out[i] == '+')
                        out[i] = '-';
                else if (out[i] == '/')
                        out[i] = '_';
                else if (out[i] == '=') {
                        out[i] = '\0';
                        break;
                }
        }
        return 0;
}

bool miopen_name_target(const char *name, char *target, size_t target_size)
{
        const char *p = startswith(name, "gfx");
        size_t major, l;

        if (!p || !isdigit((unsigned char)p[0]))
                return false;
        /* gfx10xx, gfx11xx, gfx12xx have a two-digit major; gfx8xx, gfx9xx one */
        major = (p[0] == '1' && isdigit((unsigned char)p[1])) ? 2 : 1;
        for (size_t k = 0; k < major; k++)
                if (!isdigit((unsigned char)p[k]))
                        return false;
        if (!isxdigit((unsigned char)p[major]) || !isxdigit((unsigned char)p[major + 1]))
                return false;
        if (isupper((unsigned char)p[major]) || isupper((unsigned char)p[major + 1]))
                return false;
        l = 3 + major + 2;
        /* what follows the target: "_<CUs>", a feature suffix, hex CUs, or nothing (a directory) */
        switch (name[l]) {
        case '\0':
        case '_':
        case '.':
        case '-':
                break;
        default:
                if (!isxdigit((unsigned char)name[l]) || isupper((unsigned char)name[l]))
                        return false;
        }
        if (target_size < l + 1)
                return false;
        memcpy(target, name, l);
        target[l] = '\0';
        return true;
}
