/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is amdgpu kept from loading on purpose? The kernel command line
 * (nomodeset, amdgpu.modeset=0, modprobe.blacklist=, module_blacklist=) and
 * modprobe.d (blacklist, install ... /bin/false, options amdgpu modeset=0).
 * Recovery mode boots "ro recovery nomodeset", so this is the usual reason a
 * present RDNA1 card has no driver.
 */
#include "probe/facts.h"

#include <ctype.h>

#include "base/util.h"

#define CMDLINE_PATH "/proc/cmdline"
#define CMDLINE_MAX (64u * 1024)
#define MODPROBE_CONF_MAX (1024u * 1024)
#define MODPROBE_DIR_MAX 4096
#define ENTRY_TEXT_MAX 512
#define ENTRIES_MAX 1024

/* kmod's search order; a file name seen in an earlier directory hides later ones. */
static const char *const modprobe_dirs[] = {
        "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
        "/lib/modprobe.d",
};

static const char *const disable_kind_table[_DISABLE_KIND_MAX] = {
        [DISABLE_NOMODESET] = "nomodeset",
        [DISABLE_MODESET0] = "amdgpu.modeset=0",
        [DISABLE_CMDLINE_BLACKLIST] = "cmdline-blacklist",
        [DISABLE_MODPROBE_BLACKLIST] = "modprobe-blacklist",
        [DISABLE_MODPROBE_INSTALL] = "modprobe-install",
        [DISABLE_MODPROBE_MODESET0] = "modprobe-options-modeset=0",
};

const char *disable_kind_to_string(disable_kind k)
{
        if (k < 0 || k >= _DISABLE_KIND_MAX)
                return NULL;
        return disable_kind_table[k];
}

cmdline_facts *cmdline_facts_free(cmdline_facts *f)
{
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_entries; i++) {
                free(f->entries[i].path);
                free(f->entries[i].text);
        }
        free(f->entries);
        free(f);
        return NULL;
}

static int add_entry(cmdline_facts *f, disable_kind kind, const char *path, unsigned line,
                     const char *text, size_t text_len)
{
        disable_entry *e;

        /* A hostile file could repeat a line a million times; a few prove the point. */
        if (f->n_entries >= ENTRIES_MAX)
                return 0;
        if (text_len > ENTRY_TEXT_MAX)
                text_len = ENTRY_TEXT_MAX;
        e = realloc(f->entries, (f->n_entries + 1) * sizeof(disable_entry));
        if (!e)
                return -ENOMEM;
        f->entries = e;
        e = &f->entries[f->n_entries];
        *e = (disable_entry){
                .kind = kind,
                .path = strdup(path),
                .line = line,
                .text = strndup(text, text_len),
        };
        if (!e->path || !e->text) {
                free(e->path);
                free(e->text);
                return -ENOMEM;
        }
        f->n_entries++;
        return 0;
}

/* Kernel and kmod treat '-' and '_' in parameter and module names alike. */
static bool name_eq(const char *a, size_t alen, const char *b)
{
        size_t blen = strlen(b);

        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return true;
}

static bool is_blank(char c)
{
        /* NUL counts as a separator: a fixture written like /proc/PID/cmdline still reads. */
        return c == '\0' || isspace((unsigned char)c);
}

/*
 * One argument the way the kernel's next_arg() splits it: whitespace ends
 * it outside double quotes; a leading quote around the whole argument and
 * quotes around the value are dropped.
 */
typedef struct karg {
        const char *raw;
        size_t raw_len;
        const char *param;
        size_t param_len;
        const char *val; /* NULL when there is no '=' */
        size_t val_len;
} karg;

static size_t next_karg(const char *buf, size_t len, size_t pos, karg *ret)
{
        const char *a;
        size_t i = 0, n, equals = 0;
        bool in_quote = false, quoted = false, has_eq = false;

        while (pos < len && is_blank(buf[pos]))
                pos++;
        if (pos >= len)
                return len;
        a = buf + pos;
        n = len - pos;
        if (a[0] == '"') {
                i = 1;
                in_quote = quoted = true;
        }
        for (; i < n; i++) {
                if (is_blank(a[i]) && !(in_quote && a[i] != '\0'))
                        break;
                if (!has_eq && a[i] == '=') {
                        has_eq = true;
                        equals = i;
                }
                if (a[i] == '"')
                        in_quote = !in_quote;
        }
        *ret = (karg){.raw = a, .raw_len = i};
        ret->param = a + (quoted ? 1 : 0);
        if (!has_eq) {
                ret->param_len = i - (size_t)(ret->param - a);
                if (quoted && ret->param_len > 0 && ret->param[ret->param_len - 1] == '"')
                        ret->param_len--;
        } else {
                bool closing = i > equals + 1 && a[i - 1] == '"';

                ret->param_len = equals - (size_t)(ret->param - a);
                ret->val = a + equals + 1;
                ret->val_len = i - equals - 1;
                if (ret->val_len > 0 && ret->val[0] == '"') {
                        ret->val++;
                        ret->val_len--;
                        if (closing && ret->val_len > 0)
                                ret->val_len--;
                } else if (quoted && closing)
                        ret->val_len--;
        }
        return pos + i;
}

/* kstrtoint(val, 0) == 0: "0", "00", "0x0", "+0", "-0". */
static bool value_is_zero(const char *v, size_t n)
{
        char tmp[32], *end;
        long x;

        if (!v || n == 0 || n >= sizeof(tmp) || memchr(v, '\0', n))
                return false;
        memcpy(tmp, v, n);
        tmp[n] = '\0';
        if (isspace((unsigned char)tmp[0]))
                return false;
        errno = 0;
        x = strtol(tmp, &end, 0);
        return errno == 0 && *end == '\0' && end != tmp && x == 0;
}

/* Does a comma-separated module list name amdgpu? */
static bool list_has_amdgpu(const char *v, size_t n)
{
        size_t start = 0;

        for (size_t i = 0; v && i <= n; i++) {
                if (i < n && v[i] != ',')
                        continue;
                if (name_eq(v + start, i - start, "amdgpu"))
                        return true;
                start = i + 1;
        }
        return false;
}

int cmdline_parse(cmdline_facts *f, const char *buf, size_t len)
{
        bool kernel_params = true;
        size_t pos = 0;

        for (;;) {
                karg a = {0};
                int k = 0;

                pos = next_karg(buf, len, pos, &a);
                if (!a.raw)
                        break;
                if (!a.val && name_eq(a.param, a.param_len, "--"))
                        kernel_params = false; /* the rest is for init */
                else if (!a.val && (name_eq(a.param, a.param_len, "recovery") ||
                                    name_eq(a.param, a.param_len, "single")))
                        f->recovery = true;
                else if (!kernel_params)
                        ;
                else if (name_eq(a.param, a.param_len, "nomodeset"))
                        k = add_entry(f, DISABLE_NOMODESET, CMDLINE_PATH, 0, a.raw, a.raw_len);
                else if (name_eq(a.param, a.param_len, "amdgpu.modeset") && value_is_zero(a.val, a.val_len))
                        k = add_entry(f, DISABLE_MODESET0, CMDLINE_PATH, 0, a.raw, a.raw_len);
                else if ((name_eq(a.param, a.param_len, "modprobe.blacklist") ||
                          name_eq(a.param, a.param_len, "module_blacklist")) &&
                         list_has_amdgpu(a.val, a.val_len))
                        k = add_entry(f, DISABLE_CMDLINE_BLACKLIST, CMDLINE_PATH, 0, a.raw, a.raw_len);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* ---- modprobe.d ---- */

/* The first whitespace-separated word of s[0..n) at or after *pos. */
static bool next_word(const char *s, size_t n, size_t *pos, const char **ret, size_t *ret_len)
{
        size_t i = *pos, start;

        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (i >= n)
                return false;
        start = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
                i++;
        *ret = s + start;
        *ret_len = i - start;
        *pos = i;
        return true;
}

/* "install amdgpu /bin/false": a command that never loads the module. */
static bool command_refuses(const char *s, size_t n)
{
        size_t pos = 0, wl, base;
        const char *w;

        if (!next_word(s, n, &pos, &w, &wl))
                return false;
        /* "/bin/false;" and "false" alike; the directory does not matter. */
        while (wl > 0 && w[wl - 1] == ';')
                wl--;
        for (base = wl; base > 0 && w[base - 1] != '/'; base--)
                ;
        return name_eq(w + base, wl - base, "false") || name_eq(w + base, wl - base, "true");
}

/* "options amdgpu a=1 modeset=0": the rest is parsed by the kernel like the command line. */
static bool options_modeset0(const char *s, size_t n)
{
        size_t pos = 0;

        while (pos < n) {
                karg a = {0};

                pos = next_karg(s, n, pos, &a);
                if (!a.raw)
                        break;
                if (name_eq(a.param, a.param_len, "modeset") && value_is_zero(a.val, a.val_len))
                        return true;
        }
        return false;
}

static int parse_conf_line(cmdline_facts *f, const char *path, unsigned lineno, const char *s, size_t n)
{
        const char *cmd, *mod;
        size_t cl, ml, pos = 0;

        /* kmod: a comment is a line whose first byte is '#'. */
        if (n == 0 || s[0] == '#')
                return 0;
        if (!next_word(s, n, &pos, &cmd, &cl) || !next_word(s, n, &pos, &mod, &ml))
                return 0;
        if (!name_eq(mod, ml, "amdgpu"))
                return 0;
        if (name_eq(cmd, cl, "blacklist"))
                return add_entry(f, DISABLE_MODPROBE_BLACKLIST, path, lineno, s, n);
        if (name_eq(cmd, cl, "install") && command_refuses(s + pos, n - pos))
                return add_entry(f, DISABLE_MODPROBE_INSTALL, path, lineno, s, n);
        if (name_eq(cmd, cl, "options") && options_modeset0(s + pos, n - pos))
                return add_entry(f, DISABLE_MODPROBE_MODESET0, path, lineno, s, n);
        return 0;
}

int modprobe_conf_parse(cmdline_facts *f, const char *path, const char *buf, size_t len)
{
        _cleanup_free_ char *logical = NULL;
        size_t pos = 0;
        unsigned lineno = 0;

        logical = malloc(len + 1);
        if (!logical)
                return -ENOMEM;
        while (pos < len) {
                unsigned first = lineno + 1;
                size_t n = 0, trim = 0;
                int r;

                /* Join "\\\n" continuations, as kmod's getline_wrapped() does. */
                for (;;) {
                        const char *nl = memchr(buf + pos, '\n', len - pos);
                        size_t seg = nl ? (size_t)(nl - (buf + pos)) : len - pos;

                        lineno++;
                        memcpy(logical + n, buf + pos, seg);
                        n += seg;
                        pos += seg + (nl ? 1 : 0);
                        if (!nl || n == 0 || logical[n - 1] != '\\')
                                break;
                        n--;
                }
                /* kmod sees a C string: a NUL byte ends the line there. */
                logical[n] = '\0';
                n = strlen(logical);
                while (trim < n && (logical[trim] == ' ' || logical[trim] == '\t'))
                        trim++;
                while (n > trim && isspace((unsigned char)logical[n - 1]))
                        n--;
                r = parse_conf_line(f, path, first, logical + trim, n - trim);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct conf_file {
        char *name;
        const char *dir;
} conf_file;

static int cmp_conf(const void *a, const void *b)
{
        return strcmp(((const conf_file *)a)->name, ((const conf_file *)b)->name);
}

static bool conf_name_ok(const char *name)
{
        return name[0] != '.' && endswith(name, ".conf");
}

/* The *.conf files kmod would read, earlier directories winning by name. */
static int collect_conf_files(const sysroot *sr, report *r, conf_file **ret, size_t *ret_n)
{
        conf_file *files = NULL;
        size_t n = 0;
        int k = 0;

        for (size_t d = 0; d < ELEMENTSOF(modprobe_dirs) && k >= 0; d++) {
                char **names = NULL;
                size_t nn = 0;
                bool truncated = false;

                k = sysroot_list_dir(sr, modprobe_dirs[d], MODPROBE_DIR_MAX, &names, &nn, &truncated);
                if (k == -ENOENT || k == -ENOTDIR) {
                        k = 0;
                        continue;
                }
                if (k < 0) {
                        k = k == -ENOMEM ? k : report_add_reason_errno(r, "modprobe.d", modprobe_dirs[d], k, false);
                        continue;
                }
                if (truncated)
                        k = report_add_reason(r, "modprobe.d", modprobe_dirs[d], "too many files, the rest ignored",
                                              false);
                for (size_t i = 0; i < nn && k >= 0; i++) {
                        bool seen = false;
                        conf_file *nf;

                        if (!conf_name_ok(names[i]))
                                continue;
                        for (size_t j = 0; j < n && !seen; j++)
                                seen = streq(files[j].name, names[i]);
                        if (seen)
                                continue;
                        nf = realloc(files, (n + 1) * sizeof(conf_file));
                        if (!nf) {
                                k = -ENOMEM;
                                break;
                        }
                        files = nf;
                        files[n].name = strdup(names[i]);
                        if (!files[n].name) {
                                k = -ENOMEM;
                                break;
                        }
                        files[n].dir = modprobe_dirs[d];
                        n++;
                }
                strv_free_array(names);
        }
        if (k < 0) {
                for (size_t i = 0; i < n; i++)
                        free(files[i].name);
                free(files);
                return k;
        }
        if (n > 0)
                qsort(files, n, sizeof(conf_file), cmp_conf);
        *ret = files;
        *ret_n = n;
        return 0;
}

/* A symlink to /dev/null masks a file of the same name (systemd convention, kmod honours it by reading nothing). */
static bool is_masked(const sysroot *sr, const char *path)
{
        _cleanup_free_ char *target = NULL;

        return sysroot_readlink(sr, path, &target) == 0 && streq(target, "/dev/null");
}

static int read_conf_file(const sysroot *sr, report *r, cmdline_facts *f, const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        if (is_masked(sr, path))
                return 0;
        /* The sysroot keeps symlinks inside the root, refuses FIFOs and loops. */
        k = sysroot_read_file(sr, path, MODPROBE_CONF_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add_reason_errno(r, "modprobe.d", path, k, false);
        return modprobe_conf_parse(f, path, buf, len);
}

static int read_modprobe_d(const sysroot *sr, report *r, cmdline_facts *f)
{
        conf_file *files = NULL;
        size_t n = 0;
        int k;

        k = collect_conf_files(sr, r, &files, &n);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n && k >= 0; i++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", files[i].dir, files[i].name);

                k = path ? read_conf_file(sr, r, f, path) : -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                free(files[i].name);
        free(files);
        return k < 0 ? k : 0;
}

int cmdline_probe(const sysroot *sr, report *r, cmdline_facts **ret)
{
        _cleanup_(cmdline_facts_freep) cmdline_facts *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        k = sysroot_read_file(sr, CMDLINE_PATH, CMDLINE_MAX, &buf, &len);
        if (k == -ENOMEM)
                return k;
        if (k == 0) {
                f->cmdline_present = true;
                k = cmdline_parse(f, buf, len);
                if (k < 0)
                        return k;
        } else if (k != -ENOENT && report_add_reason_errno(r, "cmdline", CMDLINE_PATH, k, false) < 0)
                return -ENOMEM;

        k = read_modprobe_d(sr, r, f);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(f);
        return 0;
}
