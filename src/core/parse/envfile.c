/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Static parsers of environment files. The shell parser is a small
 * tokenizer (quotes, escapes, $(...), ${...}, heredocs, operators) feeding a
 * command reader that knows just enough shell grammar to tell a persistent
 * assignment from everything else. See envfile.h.
 */
#include "parse/envfile.h"

#include <ctype.h>
#include <json-c/json.h>

#include "base/util.h"

#define SOURCE_LINE_MAX (64u * 1024)

static const char *const format_names[_ENV_FORMAT_MAX] = {
        [ENV_FORMAT_SHELL] = "shell",
        [ENV_FORMAT_KEYVALUE] = "key-value",
        [ENV_FORMAT_PAM_ENV] = "pam_env",
        [ENV_FORMAT_SYSTEMD] = "systemd",
        [ENV_FORMAT_FISH] = "fish",
        [ENV_FORMAT_JUPYTER] = "jupyter",
};

const char *env_format_to_string(env_format f)
{
        return f >= 0 && f < _ENV_FORMAT_MAX ? format_names[f] : NULL;
}

bool env_name_valid(const char *name, size_t n)
{
        if (n == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
                        return false;
        return true;
}

static void env_entry_clear(env_entry *e)
{
        free(e->name);
        free(e->value);
        free(e->raw);
        free(e->section);
}

env_file *env_file_free(env_file *f)
{
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_entries; i++)
                env_entry_clear(&f->entries[i]);
        free(f->entries);
        for (size_t i = 0; i < f->n_refs; i++) {
                free(f->refs[i].path);
                free(f->refs[i].section);
        }
        free(f->refs);
        free(f);
        return NULL;
}

const env_entry *env_file_get(const env_file *f, const char *name)
{
        for (size_t i = f->n_entries; i > 0; i--)
                if (streq(f->entries[i - 1].name, name))
                        return &f->entries[i - 1];
        return NULL;
}

static env_entry *find_last(env_file *f, const char *name, size_t namelen)
{
        for (size_t i = f->n_entries; i > 0; i--) {
                env_entry *e = &f->entries[i - 1];
                if (strlen(e->name) == namelen && memcmp(e->name, name, namelen) == 0)
                        return e;
        }
        return NULL;
}

/* Takes ownership of value and raw (also on failure). */
static int add_entry(env_file *f, const char *name, size_t namelen, char *value, char *raw,
                     unsigned line, bool exported, bool quoted, const char *section)
{
        env_entry e = {
                .line = line, .exported = exported, .quoted = quoted,
                .value = value, .raw = raw,
        };
        env_entry *n;

        e.name = strndup(name, namelen);
        e.section = section ? strdup(section) : NULL;
        if (!e.name || !e.value || (section && !e.section))
                goto oom;
        n = realloc(f->entries, (f->n_entries + 1) * sizeof(*n));
        if (!n)
                goto oom;
        f->entries = n;
        f->entries[f->n_entries++] = e;
        return 0;
oom:
        env_entry_clear(&e);
        return -ENOMEM;
}

static int add_ref(env_file *f, env_ref_kind kind, const char *path, unsigned line, bool optional,
                   const char *section)
{
        env_ref r = {.kind = kind, .line = line, .optional = optional};
        env_ref *n;

        r.path = strdup(path);
        r.section = section ? strdup(section) : NULL;
        if (!r.path || (section && !r.section))
                goto oom;
        n = realloc(f->refs, (f->n_refs + 1) * sizeof(*n));
        if (!n)
                goto oom;
        f->refs = n;
        f->refs[f->n_refs++] = r;
        return 0;
oom:
        free(r.path);
        free(r.section);
        return -ENOMEM;
}

/* ---- a growable string ---- */

typedef struct sbuf {
        char *s;
        size_t n, cap;
        bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *p, size_t n)
{
        if (b->oom)
                return;
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->cap ? b->cap * 2 : 64);
                char *s;

                while (cap < b->n + n + 1)
                        cap *= 2;
                s = realloc(b->s, cap);
                if (!s) {
                        b->oom = true;
                        return;
                }
                b->s = s;
                b->cap = cap;
        }
        memcpy(b->s + b->n, p, n);
        b->n += n;
        b->s[b->n] = '\0';
}

static void sb_putc(sbuf *b, char c)
{
        sb_putn(b, &c, 1);
}

/* The string (never NULL unless out of memory); the buffer is handed over. */
static char *sb_take(sbuf *b)
{
        char *s;

        if (b->oom) {
                free(b->s);
                *b = (sbuf){0};
                return NULL;
        }
        s = b->s ? b->s : strdup("");
        *b = (sbuf){0};
        return s;
}

/* ---- shell tokenizer ---- */

typedef enum tok_kind {
        TOK_WORD,
        TOK_SEP,        /* newline ; & | && || |& */
        TOK_CASE_END,   /* ;; ;& ;;& */
        TOK_LPAREN,
        TOK_RPAREN,
        TOK_REDIR,      /* < > >> <& >& <> >| (the target word follows) */
        TOK_HEREDOC,    /* << <<- (the delimiter word follows) */
        TOK_EOF,
} tok_kind;

typedef struct token {
        tok_kind kind;
        unsigned line;
        size_t start, end;      /* raw span in the buffer */
        char *value;            /* TOK_WORD: quotes removed */
        bool quoted;
        bool subst;             /* contains $(...) or `...` */
        ssize_t eq;             /* TOK_WORD: offset of "=" in value after an unquoted name, else -1 */
        bool heredoc_strip_tabs;
} token;

typedef struct heredoc {
        char *delim;
        bool strip_tabs;
} heredoc;

typedef struct lexer {
        const char *buf;
        size_t len, pos;
        unsigned line;
        env_file *f;            /* for ${X:-D}: what this file set so far */
        heredoc pending[8];
        size_t n_pending;
        bool fish;
} lexer;

static bool is_op_char(char c)
{
        return c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')';
}

static bool at_end(const lexer *lx)
{
        return lx->pos >= lx->len;
}

static char peek(const lexer *lx, size_t off)
{
        return lx->pos + off < lx->len ? lx->buf[lx->pos + off] : '\0';
}

/* Skip the heredoc bodies queued on the line that just ended. */
static void skip_heredocs(lexer *lx)
{
        for (size_t i = 0; i < lx->n_pending; i++) {
                heredoc *h = &lx->pending[i];
                const char *p;
                size_t m;

                while (buf_next_line(lx->buf, lx->len, &lx->pos, &p, &m)) {
                        lx->line++;
                        if (h->strip_tabs)
                                while (m > 0 && *p == '\t')
                                        p++, m--;
                        if (m == strlen(h->delim) && memcmp(p, h->delim, m) == 0)
                                break;
                }
                free(h->delim);
        }
        lx->n_pending = 0;
}

/* Copy a balanced $( ... ) or ${ ... } raw into b; pos is after the opening bracket. */
static void copy_balanced(lexer *lx, sbuf *b, char open, char close)
{
        unsigned depth = 1;
        char quote = 0;

        while (!at_end(lx) && depth > 0) {
                char c = lx->buf[lx->pos++];

                if (c == '\n')
                        lx->line++;
                sb_putc(b, c);
                if (quote) {
                        if (c == '\\' && quote == '"' && !at_end(lx)) {
                                c = lx->buf[lx->pos++];
                                if (c == '\n')
                                        lx->line++;
                                sb_putc(b, c);
                        } else if (c == quote)
                                quote = 0;
                        continue;
                }
                if (c == '\\' && !at_end(lx)) {
                        c = lx->buf[lx->pos++];
                        if (c == '\n')
                                lx->line++;
                        sb_putc(b, c);
                } else if (c == '\'' || c == '"')
                        quote = c;
                else if (c == open)
                        depth++;
                else if (c == close)
                        depth--;
        }
}

/*
 * ${NAME:-D} ${NAME-D} ${NAME:=D} ${NAME=D}: what this file set for NAME
 * before, else D. Anything else inside ${...} is kept as written. inner is
 * the text between the braces.
 */
static void expand_braced(lexer *lx, sbuf *out, const char *inner)
{
        size_t n = 0;
        const char *op, *def;
        env_entry *e;

        while (isalnum((unsigned char)inner[n]) || inner[n] == '_')
                n++;
        op = inner + n;
        if (!env_name_valid(inner, n) ||
            !(startswith(op, ":-") || startswith(op, ":=") || op[0] == '-' || op[0] == '=')) {
                sb_putn(out, "${", 2);
                sb_putn(out, inner, strlen(inner));
                sb_putc(out, '}');
                return;
        }
        def = op + (op[0] == ':' ? 2 : 1);
        e = lx->f ? find_last(lx->f, inner, n) : NULL;
        if (e && (e->value[0] || op[0] != ':'))
                sb_putn(out, e->value, strlen(e->value));
        else {
                /* The default may itself be quoted: ${X:-"10.3.0"}. */
                for (const char *p = def; *p; p++)
                        if (*p != '"' && *p != '\'')
                                sb_putc(out, *p);
        }
}

static void lex_dollar(lexer *lx, sbuf *v, token *t)
{
        char c1 = peek(lx, 1);

        if (c1 == '(') {
                sb_putn(v, "$(", 2);
                lx->pos += 2;
                copy_balanced(lx, v, '(', ')');
                t->subst = true;
                return;
        }
        if (c1 == '{' && !lx->fish) {
                sbuf inner = {0};
                char *s;

                lx->pos += 2;
                copy_balanced(lx, &inner, '{', '}');
                s = sb_take(&inner);
                if (!s) {
                        v->oom = true;
                        return;
                }
                if (s[0] && s[strlen(s) - 1] == '}')
                        s[strlen(s) - 1] = '\0';
                expand_braced(lx, v, s);
                free(s);
                return;
        }
        sb_putc(v, '$');
        lx->pos++;
}

/* Read one word starting at pos (not whitespace, not an operator). */
static void lex_word(lexer *lx, token *t)
{
        sbuf v = {0};
        bool name_only = true;

        t->kind = TOK_WORD;
        t->eq = -1;
        while (!at_end(lx)) {
                char c = lx->buf[lx->pos];

                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || is_op_char(c))
                        break;
                if (c == '\\') {
                        if (peek(lx, 1) == '\n') {
                                lx->pos += 2;
                                lx->line++;
                                continue;
                        }
                        if (lx->pos + 1 < lx->len)
                                sb_putc(&v, lx->buf[lx->pos + 1]);
                        lx->pos += 2;
                        t->quoted = true;
                        name_only = false;
                        continue;
                }
                if (c == '\'') {
                        lx->pos++;
                        while (!at_end(lx) && lx->buf[lx->pos] != '\'') {
                                if (lx->buf[lx->pos] == '\n')
                                        lx->line++;
                                sb_putc(&v, lx->buf[lx->pos++]);
                        }
                        lx->pos++;
                        t->quoted = true;
                        name_only = false;
                        continue;
                }
                if (c == '"') {
                        lx->pos++;
                        while (!at_end(lx) && lx->buf[lx->pos] != '"') {
                                char d = lx->buf[lx->pos];

                                if (d == '\\' && lx->pos + 1 < lx->len &&
                                    strchr("$`\"\\\n", lx->buf[lx->pos + 1])) {
                                        if (lx->buf[lx->pos + 1] == '\n')
                                                lx->line++;
                                        else
                                                sb_putc(&v, lx->buf[lx->pos + 1]);
                                        lx->pos += 2;
                                } else if (d == '$') {
                                        lex_dollar(lx, &v, t);
                                } else if (d == '`') {
                                        sb_putc(&v, d);
                                        lx->pos++;
                                        while (!at_end(lx) && lx->buf[lx->pos] != '`' && lx->buf[lx->pos] != '"') {
                                                if (lx->buf[lx->pos] == '\n')
                                                        lx->line++;
                                                sb_putc(&v, lx->buf[lx->pos++]);
                                        }
                                        if (!at_end(lx) && lx->buf[lx->pos] == '`')
                                                sb_putc(&v, lx->buf[lx->pos++]);
                                        t->subst = true;
                                } else {
                                        if (d == '\n')
                                                lx->line++;
                                        sb_putc(&v, d);
                                        lx->pos++;
                                }
                        }
                        lx->pos++;
                        t->quoted = true;
                        name_only = false;
                        continue;
                }
                if (c == '$') {
                        lex_dollar(lx, &v, t);
                        name_only = false;
                        continue;
                }
                if (c == '`') {
                        sb_putc(&v, c);
                        lx->pos++;
                        while (!at_end(lx) && lx->buf[lx->pos] != '`') {
                                if (lx->buf[lx->pos] == '\n')
                                        lx->line++;
                                sb_putc(&v, lx->buf[lx->pos++]);
                        }
                        if (!at_end(lx))
                                sb_putc(&v, lx->buf[lx->pos++]);
                        t->subst = true;
                        name_only = false;
                        continue;
                }
                if (c == '=' && name_only && t->eq < 0 && v.n > 0 && env_name_valid(v.s, v.n))
                        t->eq = (ssize_t)v.n;
                else if (c == '+' && name_only && t->eq < 0 && peek(lx, 1) == '=' && v.n > 0)
                        name_only = false; /* NAME+=: appends; not a plain setting */
                else if (!(isalnum((unsigned char)c) || c == '_'))
                        name_only = false;
                if (t->eq >= 0)
                        name_only = false;
                sb_putc(&v, c);
                lx->pos++;
        }
        t->value = sb_take(&v);
}

/* Next token; returns < 0 only for ENOMEM. */
static int lex_next(lexer *lx, token *t)
{
        *t = (token){.eq = -1};
        for (;;) {
                char c;

                if (at_end(lx)) {
                        t->kind = TOK_EOF;
                        t->line = lx->line;
                        return 0;
                }
                c = lx->buf[lx->pos];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\0') {
                        lx->pos++;
                        continue;
                }
                if (c == '\\' && peek(lx, 1) == '\n') {
                        lx->pos += 2;
                        lx->line++;
                        continue;
                }
                if (c == '#') {
                        while (!at_end(lx) && lx->buf[lx->pos] != '\n')
                                lx->pos++;
                        continue;
                }
                break;
        }
        t->line = lx->line;
        t->start = lx->pos;
        switch (lx->buf[lx->pos]) {
        case '\n':
                lx->pos++;
                lx->line++;
                t->kind = TOK_SEP;
                skip_heredocs(lx);
                break;
        case ';':
                lx->pos++;
                t->kind = TOK_SEP;
                if (peek(lx, 0) == ';' || peek(lx, 0) == '&') {
                        lx->pos++;
                        if (peek(lx, 0) == '&')
                                lx->pos++;
                        t->kind = TOK_CASE_END;
                }
                break;
        case '&':
        case '|':
                lx->pos++;
                if (peek(lx, 0) == '&' || peek(lx, 0) == '|')
                        lx->pos++;
                t->kind = TOK_SEP;
                break;
        case '(':
                lx->pos++;
                t->kind = TOK_LPAREN;
                break;
        case ')':
                lx->pos++;
                t->kind = TOK_RPAREN;
                break;
        case '<':
                if (peek(lx, 1) == '<' && peek(lx, 2) != '<') {
                        lx->pos += 2;
                        t->kind = TOK_HEREDOC;
                        if (peek(lx, 0) == '-') {
                                lx->pos++;
                                t->heredoc_strip_tabs = true;
                        }
                        break;
                }
                /* fall through */
        case '>':
                while (!at_end(lx) && strchr("<>&|", lx->buf[lx->pos]))
                        lx->pos++;
                t->kind = TOK_REDIR;
                break;
        default:
                lex_word(lx, t);
                if (!t->value)
                        return -ENOMEM;
        }
        t->end = lx->pos;
        return 0;
}

static void token_clear(token *t)
{
        free(t->value);
        t->value = NULL;
}

/* ---- shell commands ---- */

typedef struct cmd {
        token *w;
        size_t n, cap;
} cmd;

static void cmd_clear(cmd *c)
{
        for (size_t i = 0; i < c->n; i++)
                token_clear(&c->w[i]);
        c->n = 0;
}

typedef struct shell_state {
        unsigned case_depth;
        bool expect_pattern;
        bool allexport;
        bool fish;
} shell_state;

static bool word_is(const token *t, const char *s)
{
        return t->kind == TOK_WORD && !t->quoted && streq(t->value, s);
}

static bool is_keyword(const token *t, bool fish)
{
        static const char *const kw[] = {"if", "then", "else", "elif", "fi", "do", "done", "while",
                                         "until", "!", "{", "}", "time", "esac"};
        static const char *const fish_kw[] = {"if", "else", "end", "and", "or", "not", "begin", "while"};

        if (t->kind == TOK_LPAREN)
                return true; /* a subshell; what it sets does not persist, but say it anyway */
        if (t->kind != TOK_WORD || t->quoted)
                return false;
        if (fish) {
                for (size_t i = 0; i < ELEMENTSOF(fish_kw); i++)
                        if (streq(t->value, fish_kw[i]))
                                return true;
                return false;
        }
        for (size_t i = 0; i < ELEMENTSOF(kw); i++)
                if (streq(t->value, kw[i]))
                        return true;
        return false;
}

static char *raw_of(const lexer *lx, const token *t)
{
        return strndup(lx->buf + t->start, t->end - t->start);
}

static int record_assignment(lexer *lx, const token *t, bool exported)
{
        char *value = strdup(t->value + t->eq + 1);

        return add_entry(lx->f, t->value, (size_t)t->eq, value, raw_of(lx, t), t->line,
                         exported, t->quoted, NULL);
}

/* export/declare/typeset/local/readonly with their arguments from w[i]. */
static int shell_declare(lexer *lx, shell_state *st, cmd *c, size_t i)
{
        bool is_export = word_is(&c->w[i], "export");
        bool exported = is_export || st->allexport;
        int k;

        for (i++; i < c->n; i++) {
                token *t = &c->w[i];

                if (t->kind == TOK_REDIR) {
                        i++;
                        continue;
                }
                if (t->kind != TOK_WORD)
                        break;
                if (t->value[0] == '-' || t->value[0] == '+') {
                        if (strchr(t->value, 'x'))
                                exported = t->value[0] == '-';
                        if (is_export && strchr(t->value, 'n'))
                                exported = false;
                        if (strchr(t->value, 'f'))
                                return 0; /* functions, not variables */
                        continue;
                }
                if (t->eq >= 0) {
                        k = record_assignment(lx, t, exported);
                        if (k < 0)
                                return k;
                        continue;
                }
                if (exported && env_name_valid(t->value, strlen(t->value))) {
                        /* `export NAME` after NAME=...: that earlier setting now reaches children. */
                        env_entry *e = find_last(lx->f, t->value, strlen(t->value));
                        if (e)
                                e->exported = true;
                }
        }
        return 0;
}

static int fish_set(lexer *lx, cmd *c, size_t i)
{
        bool exported = false, erase = false;
        sbuf v = {0};
        token *name = NULL;
        char *raw;

        for (i++; i < c->n && c->w[i].kind == TOK_WORD; i++) {
                token *t = &c->w[i];

                if (!name && t->value[0] == '-' && !t->quoted) {
                        if (streq(t->value, "--export") || (t->value[1] != '-' && strchr(t->value, 'x')))
                                exported = true;
                        if (streq(t->value, "--erase") || (t->value[1] != '-' && strchr(t->value, 'e')))
                                erase = true;
                        continue;
                }
                if (!name) {
                        name = t;
                        continue;
                }
                if (v.n)
                        sb_putc(&v, ' ');
                sb_putn(&v, t->value, strlen(t->value));
        }
        if (!name || erase || !env_name_valid(name->value, strlen(name->value))) {
                free(sb_take(&v));
                return 0;
        }
        raw = strndup(lx->buf + c->w[0].start, c->w[i - 1].end - c->w[0].start);
        return add_entry(lx->f, name->value, strlen(name->value), sb_take(&v), raw, name->line,
                         exported, name->quoted, NULL);
}

static int shell_command(lexer *lx, shell_state *st, cmd *c)
{
        size_t i = 0, first_assign;
        int k;

        while (i < c->n) {
                token *t = &c->w[i];

                if (st->expect_pattern) {
                        /* A case pattern up to ")": `HSA_OVERRIDE_GFX_VERSION=*)` is not a setting. */
                        if (word_is(t, "esac")) {
                                st->case_depth--;
                                st->expect_pattern = false;
                                i++;
                                continue;
                        }
                        while (i < c->n && c->w[i].kind != TOK_RPAREN)
                                i++;
                        if (i < c->n) {
                                st->expect_pattern = false;
                                i++;
                        }
                        continue;
                }
                if (!st->fish && word_is(t, "case")) {
                        st->case_depth++;
                        while (i < c->n && !word_is(&c->w[i], "in"))
                                i++;
                        i++;
                        st->expect_pattern = true;
                        continue;
                }
                if (word_is(t, "esac") && st->case_depth > 0) {
                        st->case_depth--;
                        i++;
                        continue;
                }
                if (is_keyword(t, st->fish)) {
                        i++;
                        continue;
                }
                break;
        }
        if (i >= c->n)
                return 0;
        if (word_is(&c->w[i], "for") || word_is(&c->w[i], "function") || word_is(&c->w[i], "select") ||
            (i + 1 < c->n && c->w[i + 1].kind == TOK_LPAREN))
                return 0; /* loops and function definitions */

        first_assign = i;
        while (i < c->n && (c->w[i].eq >= 0 || c->w[i].kind == TOK_REDIR)) {
                if (c->w[i].kind == TOK_REDIR)
                        i++;
                i++;
        }
        if (i >= c->n || c->w[i].kind != TOK_WORD) {
                /* Only assignments: they persist in the shell. */
                for (size_t j = first_assign; j < c->n && j < i; j++) {
                        if (c->w[j].kind != TOK_WORD || c->w[j].eq < 0)
                                continue;
                        k = record_assignment(lx, &c->w[j], st->allexport);
                        if (k < 0)
                                return k;
                }
                return 0;
        }
        if (i > first_assign)
                return 0; /* `A=1 cmd`: A only for cmd (and `A=1 export B` is rare enough) */

        if (st->fish) {
                if (word_is(&c->w[i], "set"))
                        return fish_set(lx, c, i);
        } else if (word_is(&c->w[i], "export") || word_is(&c->w[i], "declare") ||
                   word_is(&c->w[i], "typeset") || word_is(&c->w[i], "local") ||
                   word_is(&c->w[i], "readonly"))
                return shell_declare(lx, st, c, i);
        if (word_is(&c->w[i], ".") || word_is(&c->w[i], "source")) {
                if (i + 1 < c->n && c->w[i + 1].kind == TOK_WORD)
                        return add_ref(lx->f, ENV_REF_SOURCE, c->w[i + 1].value, c->w[i + 1].line, false, NULL);
                return 0;
        }
        if (!st->fish && word_is(&c->w[i], "set")) {
                for (size_t j = i + 1; j < c->n && c->w[j].kind == TOK_WORD; j++) {
                        const char *a = c->w[j].value;
                        if ((a[0] == '-' || a[0] == '+') && a[1] != '-' && a[1] != 'o' && strchr(a, 'a'))
                                st->allexport = a[0] == '-';
                        if ((streq(a, "-o") || streq(a, "+o")) && j + 1 < c->n &&
                            c->w[j + 1].kind == TOK_WORD && streq(c->w[j + 1].value, "allexport"))
                                st->allexport = a[0] == '-';
                }
        }
        return 0;
}

/* Is c the start of a case clause whose first pattern's ")" is arriving (`case $x in A=1)`)? */
static bool cmd_in_case_head(const cmd *c)
{
        bool seen_case = false, seen_in = false;

        for (size_t i = 0; i < c->n; i++) {
                if (word_is(&c->w[i], "case"))
                        seen_case = true, seen_in = false;
                else if (seen_case && word_is(&c->w[i], "in"))
                        seen_in = true;
                else if (c->w[i].kind == TOK_RPAREN)
                        seen_case = seen_in = false;
        }
        return seen_case && seen_in;
}

static int parse_shell(env_file *f, const char *buf, size_t len, bool fish)
{
        lexer lx = {.buf = buf, .len = len, .line = 1, .f = f, .fish = fish};
        shell_state st = {.fish = fish};
        cmd c = {0};
        int k = 0;

        for (;;) {
                token t;

                k = lex_next(&lx, &t);
                if (k < 0)
                        break;
                if (t.kind == TOK_HEREDOC) {
                        token d;

                        k = lex_next(&lx, &d);
                        if (k < 0)
                                break;
                        if (d.kind == TOK_WORD && lx.n_pending < ELEMENTSOF(lx.pending)) {
                                lx.pending[lx.n_pending].delim = TAKE_PTR(d.value);
                                lx.pending[lx.n_pending].strip_tabs = t.heredoc_strip_tabs;
                                lx.n_pending++;
                        }
                        token_clear(&d);
                        continue;
                }
                if (t.kind == TOK_WORD || t.kind == TOK_REDIR || t.kind == TOK_LPAREN ||
                    (t.kind == TOK_RPAREN && (st.expect_pattern || (!fish && cmd_in_case_head(&c))))) {
                        if (c.n == c.cap) {
                                size_t cap = c.cap ? c.cap * 2 : 16;
                                token *n = realloc(c.w, cap * sizeof(token));
                                if (!n) {
                                        token_clear(&t);
                                        k = -ENOMEM;
                                        break;
                                }
                                c.w = n;
                                c.cap = cap;
                        }
                        c.w[c.n++] = t;
                        continue;
                }
                if (t.kind == TOK_RPAREN) {
                        /* The end of a subshell or of a pattern list already consumed. */
                        k = shell_command(&lx, &st, &c);
                        cmd_clear(&c);
                        if (k < 0)
                                break;
                        continue;
                }
                k = shell_command(&lx, &st, &c);
                cmd_clear(&c);
                if (k < 0)
                        break;
                if (t.kind == TOK_CASE_END && st.case_depth > 0)
                        st.expect_pattern = true;
                if (t.kind == TOK_EOF)
                        break;
        }
        cmd_clear(&c);
        free(c.w);
        for (size_t i = 0; i < lx.n_pending; i++)
                free(lx.pending[i].delim);
        return k;
}

/* ---- line-based formats ---- */

typedef struct line_iter {
        const char *buf;
        size_t len, pos;
        unsigned next_line;
} line_iter;

/*
 * Next logical line (backslash-newline joined when join is set), with its
 * first line number. The result is a fresh string.
 */
static int next_line(line_iter *it, bool join, char **ret, unsigned *ret_line)
{
        sbuf b = {0};
        const char *line;
        size_t m;

        if (it->pos >= it->len)
                return 0;
        *ret_line = it->next_line;
        while (buf_next_line(it->buf, it->len, &it->pos, &line, &m)) {
                it->next_line++;
                if (m > 0 && line[m - 1] == '\r')
                        m--;
                if (join && m > 0 && line[m - 1] == '\\' && it->pos < it->len) {
                        sb_putn(&b, line, m - 1);
                        sb_putc(&b, ' ');
                        continue;
                }
                sb_putn(&b, line, m);
                break;
        }
        *ret = sb_take(&b);
        if (!*ret)
                return -ENOMEM;
        /* A NUL byte ends the line's meaning. */
        return 1;
}

/* Remove one level of matching quotes around a value. */
static char *unquote_simple(const char *v)
{
        size_t n = strlen(v);

        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return strndup(v + 1, n - 2);
        return strdup(v);
}

static int parse_keyvalue(env_file *f, const char *buf, size_t len)
{
        line_iter it = {.buf = buf, .len = len, .next_line = 1};
        int k;

        for (;;) {
                _cleanup_free_ char *line = NULL;
                char *s, *eq, *name;
                unsigned ln;

                k = next_line(&it, true, &line, &ln);
                if (k <= 0)
                        return k;
                s = strstrip(line);
                if (!s[0] || s[0] == '#' || s[0] == ';')
                        continue;
                if (startswith(s, "export ") || startswith(s, "export\t"))
                        s = strstrip(s + 7);
                eq = strchr(s, '=');
                name = s;
                if (!eq) {
                        f->n_skipped++;
                        continue;
                }
                *eq = '\0';
                name = strstrip(name);
                if (!env_name_valid(name, strlen(name))) {
                        f->n_skipped++;
                        continue;
                }
                {
                        char *value = strstrip(eq + 1);
                        char *raw = strdup_printf("%s=%s", name, value);
                        bool q = value[0] == '"' || value[0] == '\'';

                        k = add_entry(f, name, strlen(name), unquote_simple(value), raw, ln, true, q, NULL);
                        if (k < 0)
                                return k;
                }
        }
}

/* One word of a pam_env or systemd value: quotes group, backslash escapes. */
static const char *next_word(const char *p, sbuf *out, bool *ret_quoted)
{
        char quote = 0;

        while (*p == ' ' || *p == '\t')
                p++;
        if (!*p)
                return NULL;
        for (; *p; p++) {
                if (quote) {
                        if (*p == '\\' && p[1]) {
                                p++;
                                sb_putc(out, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
                        } else if (*p == quote)
                                quote = 0;
                        else
                                sb_putc(out, *p);
                        continue;
                }
                if (*p == ' ' || *p == '\t')
                        break;
                if (*p == '"' || *p == '\'') {
                        quote = *p;
                        *ret_quoted = true;
                } else if (*p == '\\' && p[1])
                        sb_putc(out, *++p);
                else
                        sb_putc(out, *p);
        }
        return p;
}

/* pam_env.conf: VAR [DEFAULT=[value]] [OVERRIDE=[value]]; also KEY=VALUE lines. */
static int parse_pam_env(env_file *f, const char *buf, size_t len)
{
        line_iter it = {.buf = buf, .len = len, .next_line = 1};
        int k;

        for (;;) {
                _cleanup_free_ char *line = NULL, *name = NULL, *def = NULL, *ovr = NULL;
                bool has_def = false, has_ovr = false, quoted = false;
                const char *p;
                char *s;
                unsigned ln;
                sbuf w = {0};

                k = next_line(&it, true, &line, &ln);
                if (k <= 0)
                        return k;
                s = strstrip(line);
                if (!s[0] || s[0] == '#')
                        continue;
                p = next_word(s, &w, &quoted);
                name = sb_take(&w);
                if (!name)
                        return -ENOMEM;
                if (strchr(name, '=') && !startswith(name, "DEFAULT=") && !startswith(name, "OVERRIDE=")) {
                        /* KEY=VALUE, as /etc/environment */
                        char *eq = strchr(name, '=');
                        if (!env_name_valid(name, (size_t)(eq - name))) {
                                f->n_skipped++;
                                continue;
                        }
                        k = add_entry(f, name, (size_t)(eq - name), strdup(eq + 1), strdup(s), ln, true, quoted, NULL);
                        if (k < 0)
                                return k;
                        continue;
                }
                if (!env_name_valid(name, strlen(name))) {
                        f->n_skipped++;
                        continue;
                }
                while (p) {
                        _cleanup_free_ char *word = NULL;
                        bool q = false;

                        p = next_word(p, &w, &q);
                        word = sb_take(&w);
                        if (!word)
                                return -ENOMEM;
                        if (!p && !word[0])
                                break;
                        quoted = quoted || q;
                        if (startswith(word, "DEFAULT=")) {
                                free(def);
                                def = strdup(word + 8);
                                has_def = true;
                        } else if (startswith(word, "OVERRIDE=")) {
                                free(ovr);
                                ovr = strdup(word + 9);
                                has_ovr = true;
                        }
                        if ((has_def && !def) || (has_ovr && !ovr))
                                return -ENOMEM;
                }
                if (!has_def && !has_ovr) {
                        f->n_skipped++;
                        continue;
                }
                k = add_entry(f, name, strlen(name), strdup(has_ovr ? ovr : def), strdup(s), ln, true,
                              quoted, NULL);
                if (k < 0)
                        return k;
                f->entries[f->n_entries - 1].is_default = !has_ovr;
        }
}

/* systemd: Environment="A=1 B=2" C=3, DefaultEnvironment=, EnvironmentFile=-/path */
static int parse_systemd(env_file *f, const char *buf, size_t len)
{
        line_iter it = {.buf = buf, .len = len, .next_line = 1};
        _cleanup_free_ char *section = NULL;
        int k;

        for (;;) {
                _cleanup_free_ char *line = NULL;
                const char *v;
                char *s, *eq;
                unsigned ln;

                k = next_line(&it, true, &line, &ln);
                if (k <= 0)
                        return k;
                s = strstrip(line);
                if (!s[0] || s[0] == '#' || s[0] == ';')
                        continue;
                if (s[0] == '[') {
                        char *end = strchr(s, ']');
                        free(section);
                        section = end ? strndup(s + 1, (size_t)(end - s - 1)) : NULL;
                        if (end && !section)
                                return -ENOMEM;
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                v = strstrip(eq + 1);
                s = strstrip(s);
                if (streq(s, "EnvironmentFile")) {
                        bool optional = v[0] == '-';
                        if (!v[0])
                                continue;
                        k = add_ref(f, ENV_REF_ENVIRONMENT_FILE, v + optional, ln, optional, section);
                        if (k < 0)
                                return k;
                        continue;
                }
                if (!streq(s, "Environment") && !streq(s, "DefaultEnvironment"))
                        continue;
                if (!v[0]) {
                        /* An empty assignment resets the list set so far in this file. */
                        size_t kept = 0;
                        for (size_t i = 0; i < f->n_entries; i++) {
                                if (streq_ptr(f->entries[i].section, section))
                                        env_entry_clear(&f->entries[i]);
                                else
                                        f->entries[kept++] = f->entries[i];
                        }
                        f->n_entries = kept;
                        continue;
                }
                for (const char *p = v; p;) {
                        _cleanup_free_ char *word = NULL;
                        const char *start;
                        bool q = false;
                        sbuf w = {0};
                        char *weq;

                        while (*p == ' ' || *p == '\t')
                                p++;
                        start = p;
                        p = next_word(p, &w, &q);
                        word = sb_take(&w);
                        if (!word)
                                return -ENOMEM;
                        if (!p)
                                break;
                        weq = strchr(word, '=');
                        if (!weq || !env_name_valid(word, (size_t)(weq - word))) {
                                f->n_skipped++;
                                continue;
                        }
                        k = add_entry(f, word, (size_t)(weq - word), strdup(weq + 1),
                                      strndup(start, (size_t)(p - start)), ln, true, q, section);
                        if (k < 0)
                                return k;
                }
        }
}

/* ---- Jupyter kernel.json ---- */

/* Line of the first `"name"` after the "env" key; 0 when not found. */
static unsigned json_key_line(const char *buf, size_t len, const char *name)
{
        _cleanup_free_ char *needle = strdup_printf("\"%s\"", name);
        const char *env = memmem(buf, len, "\"env\"", 5), *hit;
        unsigned line = 1;

        if (!needle || !env)
                return 0;
        hit = memmem(env, len - (size_t)(env - buf), needle, strlen(needle));
        if (!hit)
                return 0;
        for (const char *p = buf; p < hit; p++)
                if (*p == '\n')
                        line++;
        return line;
}

static int parse_jupyter(env_file *f, const char *buf, size_t len)
{
        json_tokener *tok = json_tokener_new();
        json_object *doc, *env;
        int k = 0;

        if (!tok)
                return -ENOMEM;
        doc = json_tokener_parse_ex(tok, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
        json_tokener_free(tok);
        if (!doc || !json_object_is_type(doc, json_type_object)) {
                json_object_put(doc);
                return -EBADMSG;
        }
        if (!json_object_object_get_ex(doc, "env", &env) || !json_object_is_type(env, json_type_object)) {
                json_object_put(doc);
                return 0;
        }
        json_object_object_foreach(env, key, val) {
                const char *v = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
                                                                           : json_object_to_json_string(val);
                if (!env_name_valid(key, strlen(key))) {
                        f->n_skipped++;
                        continue;
                }
                k = add_entry(f, key, strlen(key), strdup(v ? v : ""), strdup_printf("\"%s\": %s", key,
                              json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN)),
                              json_key_line(buf, len, key), true, true, NULL);
                if (k < 0)
                        break;
        }
        json_object_put(doc);
        return k;
}

int env_file_parse(env_format fmt, const char *buf, size_t len, env_file **ret)
{
        env_file *f;
        int k;

        if (fmt < 0 || fmt >= _ENV_FORMAT_MAX)
                return -EINVAL;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->format = fmt;
        switch (fmt) {
        case ENV_FORMAT_SHELL:
                k = parse_shell(f, buf, len, false);
                break;
        case ENV_FORMAT_FISH:
                k = parse_shell(f, buf, len, true);
                break;
        case ENV_FORMAT_KEYVALUE:
                k = parse_keyvalue(f, buf, len);
                break;
        case ENV_FORMAT_PAM_ENV:
                k = parse_pam_env(f, buf, len);
                break;
        case ENV_FORMAT_SYSTEMD:
                k = parse_systemd(f, buf, len);
                break;
        case ENV_FORMAT_JUPYTER:
                k = parse_jupyter(f, buf, len);
                break;
        default:
                k = -EINVAL;
        }
        if (k < 0) {
                env_file_free(f);
                return k;
        }
        *ret = f;
        return 0;
}
