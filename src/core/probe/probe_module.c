/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The amdgpu the running kernel has loaded: /proc/modules, /sys/module/amdgpu
 * (initstate, srcversion, version, taint, the GNU build-id note) and its
 * dynamic-debug sites. The build-id identifies the exact .ko; a patch's
 * pr_debug() site proves the patch is compiled in even if it never runs.
 */
#include "probe/facts.h"

#include <ctype.h>

#include "base/util.h"

#define PROC_MODULES "/proc/modules"
#define PROC_MODULES_MAX (4u * 1024 * 1024)
#define SYS_MODULE "/sys/module/amdgpu"
#define BUILD_ID_NOTE SYS_MODULE "/notes/.note.gnu.build-id"
#define NOTE_FILE_MAX 4096
#define BUILD_ID_MAX 64
#define NT_GNU_BUILD_ID 3
#define DYNDBG_MAX (16u * 1024 * 1024)
#define DYNDBG_SITES_MAX 256
#define DYNDBG_LINE_MAX 8192

static const char *const dyndbg_paths[] = {
        "/proc/dynamic_debug/control",
        /* Kernels before 5.13 only had it in debugfs. */
        "/sys/kernel/debug/dynamic_debug/control",
};

/* ---- /proc/modules ---- */

/* Whitespace-separated field idx of line[0..n); false when there are fewer. */
static bool line_field(const char *line, size_t n, unsigned idx, const char **ret, size_t *ret_len)
{
        size_t i = 0;

        for (unsigned f = 0;; f++) {
                size_t start;

                while (i < n && line[i] == ' ')
                        i++;
                if (i >= n)
                        return false;
                start = i;
                while (i < n && line[i] != ' ')
                        i++;
                if (f == idx) {
                        *ret = line + start;
                        *ret_len = i - start;
                        return true;
                }
        }
}

static bool all_alpha(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isalpha((unsigned char)s[i]))
                        return false;
        return true;
}

int proc_modules_find(const char *buf, size_t len, const char *name, char **ret_state,
                      char **ret_taint)
{
        size_t pos = 0, name_len = strlen(name);

        while (pos < len) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                _cleanup_free_ char *state = NULL, *taint = NULL;
                const char *w;
                size_t wl;

                pos += n + (nl ? 1 : 0);
                if (memchr(line, '\0', n))
                        continue;
                /* "amdgpu 14356480 12 - Live 0x0000000000000000 (OE)" */
                if (!line_field(line, n, 0, &w, &wl) || wl != name_len || memcmp(w, name, wl) != 0)
                        continue;
                if (line_field(line, n, 4, &w, &wl) && wl > 0 && all_alpha(w, wl)) {
                        state = strndup(w, wl);
                        if (!state)
                                return -ENOMEM;
                }
                if (line_field(line, n, 6, &w, &wl) && wl >= 2 && w[0] == '(' && w[wl - 1] == ')' &&
                    all_alpha(w + 1, wl - 2)) {
                        taint = strndup(w + 1, wl - 2);
                        if (!taint)
                                return -ENOMEM;
                }
                if (ret_state)
                        *ret_state = TAKE_PTR(state);
                if (ret_taint)
                        *ret_taint = TAKE_PTR(taint);
                return 1;
        }
        return 0;
}

/* ---- the GNU build-id note ---- */

static uint32_t read_u32(const uint8_t *p)
{
        uint32_t v;

        /* Notes are in the running kernel's byte order, which is ours. */
        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t align4(uint64_t v)
{
        return (v + 3) & ~(uint64_t)3;
}

int build_id_note_parse(const uint8_t *buf, size_t len, uint8_t *ret_id, size_t *ret_len)
{
        size_t pos = 0;

        /* The file may hold several notes; take the first GNU build-id. */
        while (pos < len) {
                uint64_t namesz, descsz, name_off, desc_off, end;
                uint32_t type;

                if (len - pos < 12)
                        return -EBADMSG;
                namesz = read_u32(buf + pos);
                descsz = read_u32(buf + pos + 4);
                type = read_u32(buf + pos + 8);
                name_off = pos + 12;
                desc_off = name_off + align4(namesz);
                end = desc_off + align4(descsz);
                /* 64-bit sums of 32-bit sizes cannot wrap; each must lie within the file. */
                if (desc_off > len || desc_off + descsz > len)
                        return -EBADMSG;
                if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(buf + name_off, "GNU", 4) == 0) {
                        if (descsz == 0 || descsz > BUILD_ID_MAX)
                                return -EBADMSG;
                        memcpy(ret_id, buf + desc_off, descsz);
                        *ret_len = (size_t)descsz;
                        return 0;
                }
                if (end > len)
                        return -EBADMSG;
                pos = (size_t)end;
        }
        return -ENOENT;
}

/* ---- /proc/dynamic_debug/control ---- */

void dyndbg_site_clear(dyndbg_site *s)
{
        if (!s)
                return;
        free(s->file);
        free(s->module);
        free(s->function);
        free(s->format);
        *s = (dyndbg_site){0};
}

static int octal_digit(char c)
{
        return c >= '0' && c <= '7' ? c - '0' : -1;
}

/*
 * Undo the kernel's escaping of the format: octal (seq_escape, "\012")
 * in older kernels, "\n"-style (ESCAPE_SPACE) in newer ones.
 */
static char *unescape_format(const char *s, size_t n)
{
        char *out = malloc(n + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const char *simple = "n\nt\tr\rf\fv\va\ae\033\\\\\"\"";
                const char *m;
                unsigned v = 0;
                size_t d = 0;

                if (s[i] != '\\' || i + 1 == n) {
                        *o++ = s[i];
                        continue;
                }
                while (d < 3 && i + 1 + d < n && octal_digit(s[i + 1 + d]) >= 0)
                        v = v * 8 + (unsigned)octal_digit(s[i + 1 + (d++)]);
                if (d > 0 && v <= 0xff) {
                        *o++ = (char)v;
                        i += d;
                        continue;
                }
                for (m = simple; *m && *m != s[i + 1]; m += 2)
                        ;
                if (*m && d == 0) {
                        *o++ = m[1];
                        i++;
                        continue;
                }
                /* Not an escape the kernel writes: keep the backslash. */
                *o++ = s[i];
        }
        *o = '\0';
        return out;
}

static bool is_ident(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
                        return false;
        return true;
}

int dyndbg_parse_line(const char *line, dyndbg_site *ret)
{
        const char *sp, *colon, *mod, *mod_end, *fn, *fn_end, *flags, *q1, *q2;
        uint64_t lineno;
        dyndbg_site s = {0};
        char num[16];
        size_t nl;

        /* "path:line [module]function =flags "format"" (header lines start with '#'). */
        if (!line || line[0] == '#' || line[0] == ' ' || line[0] == '\0')
                return -EINVAL;
        sp = strchr(line, ' ');
        if (!sp)
                return -EINVAL;
        for (colon = sp; colon > line && colon[-1] != ':'; colon--)
                ;
        if (colon == line || colon - 1 == line)
                return -EINVAL;
        nl = (size_t)(sp - colon);
        if (nl == 0 || nl >= sizeof(num))
                return -EINVAL;
        memcpy(num, colon, nl);
        num[nl] = '\0';
        if (safe_atou64(num, 10, &lineno) < 0 || lineno > UINT32_MAX || !isdigit((unsigned char)num[0]))
                return -EINVAL;

        mod = sp + 1;
        if (*mod != '[')
                return -EINVAL;
        mod++;
        mod_end = strchr(mod, ']');
        if (!mod_end || !is_ident(mod, (size_t)(mod_end - mod)))
                return -EINVAL;
        fn = mod_end + 1;
        fn_end = strchr(fn, ' ');
        if (!fn_end || !is_ident(fn, (size_t)(fn_end - fn)))
                return -EINVAL;
        flags = fn_end + 1;
        if (*flags != '=')
                return -EINVAL;
        q1 = strchr(flags, ' ');
        if (!q1 || q1[1] != '"')
                return -EINVAL;
        q1 += 2;
        /* The format is not quote-escaped in newer kernels: the last quote closes it. */
        q2 = strrchr(q1, '"');
        if (!q2)
                return -EINVAL;

        s.file = strndup(line, (size_t)(colon - 1 - line));
        s.line = (unsigned)lineno;
        s.module = strndup(mod, (size_t)(mod_end - mod));
        s.function = strndup(fn, (size_t)(fn_end - fn));
        s.format = unescape_format(q1, (size_t)(q2 - q1));
        if (!s.file || !s.module || !s.function || !s.format) {
                dyndbg_site_clear(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

/* ---- the probe ---- */

module_facts *module_facts_free(module_facts *f)
{
        if (!f)
                return NULL;
        free(f->state);
        free(f->taint);
        free(f->initstate);
        free(f->srcversion);
        free(f->version);
        for (size_t i = 0; i < f->n_sites; i++)
                dyndbg_site_clear(&f->sites[i]);
        free(f->sites);
        free(f);
        return NULL;
}

/* A sysfs attribute; ENOENT leaves *ret NULL ("unknown"). */
static int read_attr(const sysroot *sr, report *r, const char *path, char **ret)
{
        int k = sysroot_read_line(sr, path, ret);

        if (k == -ENOENT || k >= 0)
                return 0;
        if (k == -ENOMEM)
                return k;
        return report_add_reason_errno(r, "module", path, k, false);
}

static int read_proc_modules(const sysroot *sr, report *r, module_facts *f)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        k = sysroot_read_file(sr, PROC_MODULES, PROC_MODULES_MAX, &buf, &len);
        if (k == -ENOENT)
                return 0; /* no running system */
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add_reason_errno(r, "module", PROC_MODULES, k, true);
        f->proc_modules_present = true;
        k = proc_modules_find(buf, len, "amdgpu", &f->state, &f->taint);
        if (k < 0)
                return k;
        f->loaded = k > 0;
        return 0;
}

static int read_sys_module(const sysroot *sr, report *r, module_facts *f)
{
        _cleanup_free_ char *taint = NULL;
        int k;

        k = read_attr(sr, r, SYS_MODULE "/initstate", &f->initstate);
        if (k < 0)
                return k;
        /* Only a loadable module has initstate; "going" is on its way out but still there. */
        if (f->initstate)
                f->loaded = true;
        k = read_attr(sr, r, SYS_MODULE "/srcversion", &f->srcversion);
        if (k < 0)
                return k;
        k = read_attr(sr, r, SYS_MODULE "/version", &f->version);
        if (k < 0)
                return k;
        k = read_attr(sr, r, SYS_MODULE "/taint", &taint);
        if (k < 0)
                return k;
        /* sysfs is authoritative; an empty file means "clean". */
        if (taint) {
                free(f->taint);
                f->taint = TAKE_PTR(taint);
        }
        return 0;
}

static int read_build_id(const sysroot *sr, report *r, module_facts *f)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        k = sysroot_read_file(sr, BUILD_ID_NOTE, NOTE_FILE_MAX, &buf, &len);
        if (k == -ENOENT)
                return 0;
        if (k == -ENOMEM)
                return k;
        if (k == 0)
                k = build_id_note_parse((const uint8_t *)buf, len, f->build_id, &f->build_id_len);
        if (k == -ENOENT)
                k = -EBADMSG; /* a build-id file without a build-id */
        if (k < 0)
                return report_add_reason_errno(r, "module", BUILD_ID_NOTE, k, false);
        return 0;
}

static bool wanted(const char *const *functions, const char *fn)
{
        for (const char *const *p = functions; p && *p; p++)
                if (streq(*p, fn))
                        return true;
        return false;
}

static int keep_sites(module_facts *f, const char *buf, size_t len, const char *const *functions)
{
        size_t pos = 0;

        while (pos < len && f->n_sites < DYNDBG_SITES_MAX) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                char tmp[DYNDBG_LINE_MAX];
                dyndbg_site s;
                dyndbg_site *ns;
                int k;

                pos += n + (nl ? 1 : 0);
                /* Cheap filter first: tens of thousands of lines, a handful of amdgpu ones. */
                if (n >= sizeof(tmp) || !memmem(line, n, " [amdgpu]", 9) || memchr(line, '\0', n))
                        continue;
                memcpy(tmp, line, n);
                tmp[n] = '\0';
                k = dyndbg_parse_line(tmp, &s);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        continue;
                if (!streq(s.module, "amdgpu") || !wanted(functions, s.function)) {
                        dyndbg_site_clear(&s);
                        continue;
                }
                ns = realloc(f->sites, (f->n_sites + 1) * sizeof(dyndbg_site));
                if (!ns) {
                        dyndbg_site_clear(&s);
                        return -ENOMEM;
                }
                f->sites = ns;
                f->sites[f->n_sites++] = s;
        }
        return 0;
}

static int read_dyndbg(const sysroot *sr, report *r, module_facts *f, const char *const *functions)
{
        int k = -ENOENT;

        for (size_t i = 0; i < ELEMENTSOF(dyndbg_paths) && k == -ENOENT; i++) {
                _cleanup_free_ char *buf = NULL;
                size_t len;

                k = sysroot_read_file(sr, dyndbg_paths[i], DYNDBG_MAX, &buf, &len);
                if (k == -ENOMEM)
                        return k;
                if (k == -ENOENT)
                        continue;
                if (k < 0)
                        return report_add_reason_errno(r, "module", dyndbg_paths[i], k, false);
                f->dyndbg_readable = true;
                return keep_sites(f, buf, len, functions);
        }
        return 0; /* no CONFIG_DYNAMIC_DEBUG, or debugfs not mounted */
}

int module_probe(const sysroot *sr, report *r, const char *const *dyndbg_functions,
                 module_facts **ret)
{
        _cleanup_(module_facts_freep) module_facts *f = NULL;
        int k;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        k = read_proc_modules(sr, r, f);
        if (k >= 0)
                k = read_sys_module(sr, r, f);
        if (k >= 0 && f->loaded)
                k = read_build_id(sr, r, f);
        if (k >= 0 && f->loaded)
                k = read_dyndbg(sr, r, f, dyndbg_functions);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(f);
        return 0;
}
