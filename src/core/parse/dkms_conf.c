/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Static reader for dkms.conf-style shell fragments. dkms sources these files
 * with bash; we never run them. Only plain assignments at the start of a
 * command are taken (NAME=VALUE, NAME[N]=VALUE, with an optional "export"),
 * with shell quoting undone: '...' is literal, "..." honours \" \\ \$ \` and
 * line continuations, a bare backslash escapes the next byte. "$..." is kept
 * literally: nothing is expanded. Everything else (if/fi, commands, junk) is
 * skipped, quote-aware, to the end of its command.
 */
#include "parse/dkms_parse.h"

#include <limits.h>

#include "base/util.h"

/* Bounds for hostile input: a dkms.conf has a few dozen assignments. */
#define CONF_MAX_ASSIGNS 65536
#define CONF_MAX_INDEX 65535

typedef struct parser {
        const char *p, *end;
        const char *nul_free_until; /* input before this is known to hold no NUL */
        unsigned line;
} parser;

/* A growable byte buffer for one value. */
typedef struct valbuf {
        char *s;
        size_t n, cap;
} valbuf;

static int valbuf_put(valbuf *v, char c)
{
        if (v->n + 1 >= v->cap) {
                size_t ncap = v->cap ? v->cap * 2 : 64;
                char *ns = realloc(v->s, ncap);

                if (!ns)
                        return -ENOMEM;
                v->s = ns;
                v->cap = ncap;
        }
        v->s[v->n++] = c;
        v->s[v->n] = '\0';
        return 0;
}

static bool at_eof(const parser *ps)
{
        return ps->p >= ps->end;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

static bool is_name_start(char c)
{
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_char(char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Backslash-newline (or backslash-CR-LF) outside single quotes: a continuation. */
static size_t continuation_len(const parser *ps)
{
        const char *p = ps->p;

        if (p >= ps->end || p[0] != '\\')
                return 0;
        if (p + 1 < ps->end && p[1] == '\n')
                return 2;
        if (p + 2 < ps->end && p[1] == '\r' && p[2] == '\n')
                return 3;
        return 0;
}

static bool skip_continuation(parser *ps)
{
        size_t l = continuation_len(ps);

        if (l == 0)
                return false;
        ps->p += l;
        ps->line++;
        return true;
}

static void skip_blanks(parser *ps)
{
        while (!at_eof(ps)) {
                if (is_blank(*ps->p))
                        ps->p++;
                else if (!skip_continuation(ps))
                        return;
        }
}

/* Skip to just after the end of the physical line (counts the newline). */
static void skip_line(parser *ps)
{
        const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));

        if (!nl) {
                ps->p = ps->end;
                return;
        }
        ps->p = nl + 1;
        ps->line++;
}

/*
 * Skip the rest of a command that is not an assignment, honouring quotes so
 * that a quoted newline does not start a new command. An unterminated quote
 * makes bash fail the whole file; we fall back to skipping just the physical
 * line so that the rest stays readable.
 */
static void skip_command(parser *ps)
{
        parser save = *ps;
        char q = 0;

        while (!at_eof(ps)) {
                char c = *ps->p;

                if (q == '\'') {
                        if (c == '\'')
                                q = 0;
                } else if (q == '"') {
                        if (c == '\\' && ps->p + 1 < ps->end) {
                                if (ps->p[1] == '\n')
                                        ps->line++;
                                ps->p++;
                        } else if (c == '"')
                                q = 0;
                } else if (c == '\'' || c == '"') {
                        q = c;
                } else if (c == '\\' && ps->p + 1 < ps->end) {
                        if (ps->p[1] == '\n')
                                ps->line++;
                        ps->p++;
                } else if (c == '#' && (ps->p == save.p || is_blank(ps->p[-1]))) {
                        skip_line(ps);
                        return;
                } else if (c == '\n') {
                        ps->p++;
                        ps->line++;
                        return;
                }
                if (c == '\n')
                        ps->line++;
                ps->p++;
        }
        if (q) {
                *ps = save;
                skip_line(ps);
        }
}

/* Parse NAME or NAME[N] followed by '='. Returns false (and moves nothing) otherwise. */
static bool parse_lhs(parser *ps, char **ret_name, int *ret_index)
{
        const char *p = ps->p, *name = p;
        size_t name_len;
        long index = -1;

        if (p >= ps->end || !is_name_start(*p))
                return false;
        while (p < ps->end && is_name_char(*p))
                p++;
        name_len = (size_t)(p - name);
        if (p < ps->end && *p == '[') {
                const char *d = ++p;

                index = 0;
                while (p < ps->end && *p >= '0' && *p <= '9') {
                        index = index * 10 + (*p - '0');
                        if (index > CONF_MAX_INDEX)
                                return false;
                        p++;
                }
                if (p == d || p >= ps->end || *p != ']')
                        return false;
                p++;
        }
        if (p >= ps->end || *p != '=')
                return false;
        *ret_name = strndup(name, name_len);
        *ret_index = (int)index;
        ps->p = p + 1;
        return true;
}

/* Copy a "$(...)", "${...}" or "`...`" expansion literally. */
static int copy_expansion(parser *ps, valbuf *v)
{
        char open = ps->p[1], close;
        unsigned depth = 0;
        int r;

        if (ps->p[0] == '`') {
                open = 0;
                close = '`';
                r = valbuf_put(v, *ps->p++);
                if (r < 0)
                        return r;
        } else {
                close = open == '(' ? ')' : '}';
                r = valbuf_put(v, *ps->p++);
                if (r < 0)
                        return r;
        }
        while (!at_eof(ps)) {
                char c = *ps->p;

                if (c == '\0')
                        return -EBADMSG;
                if (c == '\n')
                        ps->line++;
                r = valbuf_put(v, c);
                if (r < 0)
                        return r;
                ps->p++;
                if (open && c == open)
                        depth++;
                else if (c == close && (!open || --depth == 0))
                        return 0;
        }
        return -EBADMSG;
}

static int parse_single_quoted(parser *ps, valbuf *v)
{
        int r;

        ps->p++;
        while (!at_eof(ps)) {
                char c = *ps->p++;

                if (c == '\'')
                        return 0;
                if (c == '\0')
                        return -EBADMSG;
                if (c == '\n')
                        ps->line++;
                r = valbuf_put(v, c);
                if (r < 0)
                        return r;
        }
        return -EBADMSG;
}

static int parse_double_quoted(parser *ps, valbuf *v)
{
        int r;

        ps->p++;
        while (!at_eof(ps)) {
                char c = *ps->p;

                if (c == '"') {
                        ps->p++;
                        return 0;
                }
                if (c == '\0')
                        return -EBADMSG;
                if (skip_continuation(ps))
                        continue;
                if (c == '\\' && ps->p + 1 < ps->end && strchr("\"\\$`", ps->p[1])) {
                        ps->p++;
                        c = *ps->p;
                } else if (c == '\n')
                        ps->line++;
                r = valbuf_put(v, c);
                if (r < 0)
                        return r;
                ps->p++;
        }
        return -EBADMSG;
}

/*
 * Parse one shell word (the value after '='). Stops at an unquoted blank,
 * newline, ';', '&', '|' or the end. Returns 0, -EBADMSG for an unterminated
 * quote or a NUL byte, -ENOMEM.
 */
static int parse_word(parser *ps, valbuf *v)
{
        int r;

        while (!at_eof(ps)) {
                char c = *ps->p;

                if (c == '\0')
                        return -EBADMSG;
                if (skip_continuation(ps))
                        continue;
                if (is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|')
                        return 0;
                if (c == '\'')
                        r = parse_single_quoted(ps, v);
                else if (c == '"')
                        r = parse_double_quoted(ps, v);
                else if (c == '`' || (c == '$' && ps->p + 1 < ps->end && (ps->p[1] == '(' || ps->p[1] == '{')))
                        r = copy_expansion(ps, v);
                else if (c == '\\') {
                        ps->p++;
                        if (at_eof(ps))
                                return 0;
                        if (*ps->p == '\0')
                                return -EBADMSG;
                        r = valbuf_put(v, *ps->p++);
                } else
                        r = valbuf_put(v, *ps->p++);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct assign_list {
        dkms_conf_assign *a;
        size_t n, cap;
} assign_list;

static int assign_list_push(assign_list *l, char *name, int index, char *value, unsigned line)
{
        if (l->n >= CONF_MAX_ASSIGNS)
                return -E2BIG;
        if (l->n == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 16;
                dkms_conf_assign *na = realloc(l->a, ncap * sizeof(*na));

                if (!na)
                        return -ENOMEM;
                l->a = na;
                l->cap = ncap;
        }
        l->a[l->n++] = (dkms_conf_assign){.name = name, .index = index, .value = value, .line = line};
        return 0;
}

/*
 * Does a NUL byte occur between here and the end of this physical line?
 * Each line is scanned once, however many commands it holds.
 */
static bool line_has_nul(parser *ps)
{
        const char *nl;

        if (ps->p < ps->nul_free_until)
                return false;
        nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        if (memchr(ps->p, '\0', (size_t)((nl ? nl : ps->end) - ps->p)))
                return true;
        ps->nul_free_until = nl ? nl : ps->end;
        return false;
}

static void assign_list_drop_from(assign_list *l, size_t from)
{
        while (l->n > from) {
                l->n--;
                free(l->a[l->n].name);
                free(l->a[l->n].value);
        }
}

/*
 * Parse one assignment at ps (after blanks). Returns 1 when one was taken,
 * 0 when the input there is not an assignment (nothing consumed), or < 0.
 */
static int parse_assignment(parser *ps, assign_list *out)
{
        parser start = *ps;
        _cleanup_free_ char *name = NULL;
        valbuf v = {0};
        int index, r;

        if (ps->end - ps->p > 7 && memcmp(ps->p, "export", 6) == 0 && is_blank(ps->p[6])) {
                ps->p += 6;
                skip_blanks(ps);
        }
        if (!parse_lhs(ps, &name, &index)) {
                *ps = start;
                return 0;
        }
        if (!name)
                return -ENOMEM;
        r = parse_word(ps, &v);
        if (r == -EBADMSG) {
                /* Unterminated quote or NUL: bash would fail the file; we give
                 * up on this physical line only. */
                free(v.s);
                *ps = start;
                skip_line(ps);
                return -EBADMSG;
        }
        if (r >= 0 && !v.s) {
                v.s = strdup("");
                r = v.s ? 0 : -ENOMEM;
        }
        if (r >= 0)
                r = assign_list_push(out, name, index, v.s, start.line);
        if (r < 0) {
                free(v.s);
                return r;
        }
        name = NULL;
        return 1;
}

/*
 * Parse one line's worth of commands: each is zero or more assignments,
 * chained by ';', '&&' or '||'. Assignments followed by a plain word are the
 * environment of a command and do not persist in the shell: dropped.
 */
static int parse_command(parser *ps, assign_list *out)
{
        size_t first = out->n;

        for (;;) {
                int r;

                skip_blanks(ps);
                if (at_eof(ps))
                        return 0;
                if (*ps->p == '\n') {
                        ps->p++;
                        ps->line++;
                        return 0;
                }
                if (*ps->p == '#') {
                        skip_line(ps);
                        return 0;
                }
                if (line_has_nul(ps)) {
                        /* bash refuses binary input; we skip the line. */
                        skip_line(ps);
                        return 0;
                }
                r = parse_assignment(ps, out);
                if (r == -EBADMSG)
                        return 0;
                if (r < 0)
                        return r;
                if (r == 0) {
                        assign_list_drop_from(out, first);
                        skip_command(ps);
                        return 0;
                }

                skip_blanks(ps);
                if (at_eof(ps) || *ps->p == '\n' || *ps->p == '#')
                        continue; /* the loop top ends the command */
                if (*ps->p == ';' && !(ps->p + 1 < ps->end && ps->p[1] == ';')) {
                        ps->p++;
                        first = out->n;
                        continue;
                }
                if (ps->end - ps->p >= 2 && (memcmp(ps->p, "&&", 2) == 0 || memcmp(ps->p, "||", 2) == 0)) {
                        ps->p += 2;
                        first = out->n;
                        continue;
                }
                /* "A=1 B=2" assigns both; "A=1 cmd" assigns nothing: the loop
                 * top parses the next word and drops this command's
                 * assignments when it is not one. Other operators end it. */
                if (is_name_start(*ps->p))
                        continue;
                assign_list_drop_from(out, first);
                skip_command(ps);
                return 0;
        }
}

void dkms_conf_assign_free_array(dkms_conf_assign *a, size_t n)
{
        if (!a)
                return;
        for (size_t i = 0; i < n; i++) {
                free(a[i].name);
                free(a[i].value);
        }
        free(a);
}

int dkms_conf_parse(const char *buf, size_t len, dkms_conf_assign **ret, size_t *ret_n)
{
        parser ps = {.p = buf, .end = buf + len, .line = 1};
        assign_list out = {0};

        if (!buf && len > 0)
                return -EINVAL;
        while (!at_eof(&ps)) {
                const char *before = ps.p;
                int r = parse_command(&ps, &out);

                if (r < 0) {
                        dkms_conf_assign_free_array(out.a, out.n);
                        return r;
                }
                /* Every path through parse_command consumes input; make sure. */
                if (ps.p == before)
                        skip_line(&ps);
        }
        *ret = out.a;
        *ret_n = out.n;
        return 0;
}
