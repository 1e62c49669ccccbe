/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small C tokenizer: see ctokens.h for what it normalises and why.
 *
 * Two passes: the first removes line continuations (translation phase 2)
 * and remembers where they were so line numbers stay those of the input;
 * the second cuts the result into tokens. Token texts are copied into one
 * arena whose size is bounded by the input (numbers only ever shrink when
 * normalised, and every token is at least one byte long).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "parse/ctokens.h"

typedef struct lexer {
        const char *s;         /* input without line continuations */
        size_t n;
        const uint32_t *cont;  /* offsets in s where a continuation was removed */
        size_t n_cont;
        /* line tracking, advanced monotonically by line_at() */
        size_t lpos;
        size_t ci;
        uint32_t line;
} lexer;

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool is_ident_char(char c)
{
        return is_ident_start(c) || is_digit(c);
}

static char to_lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/*
 * A backslash followed by optional blanks and a line break is a
 * continuation (GCC accepts the blanks too). Returns the length of the
 * continuation starting at buf[i], 0 if there is none.
 */
static size_t continuation_len(const char *buf, size_t len, size_t i)
{
        size_t j = i + 1;

        if (buf[i] != '\\')
                return 0;
        while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r'))
                j++;
        if (j < len && buf[j] == '\n')
                return j + 1 - i;
        return 0;
}

static int remove_continuations(const char *buf, size_t len, char **ret_s, size_t *ret_n,
                                uint32_t **ret_cont, size_t *ret_n_cont)
{
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ uint32_t *cont = NULL;
        size_t n = 0, n_cont = 0, cap_cont = 0;

        s = malloc(len + 1);
        if (!s)
                return -ENOMEM;

        for (size_t i = 0; i < len;) {
                size_t k = continuation_len(buf, len, i);

                if (k == 0) {
                        s[n++] = buf[i++];
                        continue;
                }
                if (n_cont == cap_cont) {
                        size_t cap = cap_cont ? cap_cont * 2 : 16;
                        uint32_t *c = realloc(cont, cap * sizeof(*c));
                        if (!c)
                                return -ENOMEM;
                        cont = c;
                        cap_cont = cap;
                }
                cont[n_cont++] = (uint32_t) n;
                i += k;
        }
        s[n] = '\0';

        *ret_s = TAKE_PTR(s);
        *ret_n = n;
        *ret_cont = TAKE_PTR(cont);
        *ret_n_cont = n_cont;
        return 0;
}

/* Line of offset p; p must not decrease between calls. */
static uint32_t line_at(lexer *lx, size_t p)
{
        for (; lx->lpos < p; lx->lpos++)
                if (lx->s[lx->lpos] == '\n')
                        lx->line++;
        for (; lx->ci < lx->n_cont && lx->cont[lx->ci] <= p; lx->ci++)
                lx->line++;
        return lx->line;
}

/* Returns the offset just past a comment starting at p, or p if none. */
static size_t skip_comment(const lexer *lx, size_t p)
{
        if (p + 1 >= lx->n || lx->s[p] != '/')
                return p;

        if (lx->s[p + 1] == '*') {
                const char *end = memmem(lx->s + p + 2, lx->n - p - 2, "*/", 2);
                return end ? (size_t) (end - lx->s) + 2 : lx->n;
        }
        if (lx->s[p + 1] == '/') {
                const char *end = memchr(lx->s + p, '\n', lx->n - p);
                return end ? (size_t) (end - lx->s) : lx->n;
        }
        return p;
}

static size_t scan_number(const lexer *lx, size_t p)
{
        /* A preprocessing number: digits, letters, '.', and a sign after e/E/p/P. */
        for (p++; p < lx->n; p++) {
                char c = lx->s[p];
                char prev = lx->s[p - 1];

                if (is_ident_char(c) || c == '.')
                        continue;
                if ((c == '+' || c == '-') && prev != '\0' && strchr("eEpP", prev))
                        continue;
                break;
        }
        return p;
}

static size_t scan_quoted(const lexer *lx, size_t p)
{
        char q = lx->s[p];

        /* Unterminated literals end at the line break, as a compiler would stop. */
        for (p++; p < lx->n; p++) {
                char c = lx->s[p];

                if (c == '\\' && p + 1 < lx->n && lx->s[p + 1] != '\n') {
                        p++;
                        continue;
                }
                if (c == q)
                        return p + 1;
                if (c == '\n')
                        return p;
        }
        return p;
}

static size_t scan_punct(const lexer *lx, size_t p)
{
        static const char *const multi[] = {
                "...", "<<=", ">>=",
                "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
                "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##",
        };

        for (size_t i = 0; i < ELEMENTSOF(multi); i++) {
                size_t l = strlen(multi[i]);
                if (l <= lx->n - p && memcmp(lx->s + p, multi[i], l) == 0)
                        return p + l;
        }
        return p + 1;
}

/*
 * Normalise a number in place: lowercase, and integer suffixes dropped so
 * 0x731F, 0x731f and 0x731FU compare equal. Floats keep their suffix.
 * Returns the new length.
 */
static size_t normalise_number(char *t, size_t len)
{
        bool hex, is_float;

        for (size_t i = 0; i < len; i++)
                t[i] = to_lower(t[i]);

        hex = len > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'b');
        is_float = memchr(t, '.', len) || memchr(t, 'p', len) || (!hex && memchr(t, 'e', len));
        if (is_float)
                return len;

        while (len > 1 && (t[len - 1] == 'u' || t[len - 1] == 'l'))
                len--;
        t[len] = '\0';
        return len;
}

typedef struct builder {
        ctokens *t;
        size_t cap;
        size_t text_used;
} builder;

static int push_token(builder *b, const lexer *lx, size_t start, size_t end, uint32_t line,
                      ctoken_kind kind)
{
        ctokens *t = b->t;
        char *dst = t->text + b->text_used;
        size_t len = end - start;

        if (t->n >= CTOKENS_MAX_TOKENS)
                return -EFBIG;
        if (t->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 256;
                ctoken *n = realloc(t->toks, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                t->toks = n;
                b->cap = cap;
        }

        memcpy(dst, lx->s + start, len);
        dst[len] = '\0';
        if (kind == CTOKEN_NUMBER)
                len = normalise_number(dst, len);

        t->toks[t->n++] = (ctoken) {
                .off = (uint32_t) b->text_used,
                .len = (uint32_t) len,
                .line = line,
                .kind = kind,
        };
        b->text_used += len + 1;
        return 0;
}

static int lex(lexer *lx, builder *b)
{
        size_t p = 0;

        while (p < lx->n) {
                char c = lx->s[p];
                size_t start = p, q;
                ctoken_kind kind;
                int r;

                if (is_space(c) || c == '{' || c == '}') {
                        p++;
                        continue;
                }
                q = skip_comment(lx, p);
                if (q != p) {
                        p = q;
                        continue;
                }

                if (is_ident_start(c)) {
                        for (p++; p < lx->n && is_ident_char(lx->s[p]); p++)
                                ;
                        kind = CTOKEN_IDENT;
                } else if (is_digit(c) || (c == '.' && p + 1 < lx->n && is_digit(lx->s[p + 1]))) {
                        p = scan_number(lx, p);
                        kind = CTOKEN_NUMBER;
                } else if (c == '"' || c == '\'') {
                        p = scan_quoted(lx, p);
                        kind = c == '"' ? CTOKEN_STRING : CTOKEN_CHAR;
                } else {
                        p = scan_punct(lx, p);
                        kind = CTOKEN_PUNCT;
                }

                r = push_token(b, lx, start, p, line_at(lx, start), kind);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctokens_parse(const char *buf, size_t len, ctokens **ret)
{
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ uint32_t *cont = NULL;
        ctokens *t = NULL;
        size_t n = 0, n_cont = 0;
        lexer lx;
        builder b;
        int r;

        if (len > CTOKENS_MAX_INPUT)
                return -EFBIG;
        if (!buf)
                len = 0;

        r = remove_continuations(buf ?: "", len, &s, &n, &cont, &n_cont);
        if (r < 0)
                return r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        /* Each token is >= 1 input byte, so texts plus NULs fit in 2n + 1. */
        t->text = malloc(2 * n + 1);
        if (!t->text) {
                ctokens_free(t);
                return -ENOMEM;
        }
        t->text[0] = '\0';

        lx = (lexer) { .s = s, .n = n, .cont = cont, .n_cont = n_cont, .line = 1 };
        b = (builder) { .t = t };
        r = lex(&lx, &b);
        if (r < 0) {
                ctokens_free(t);
                return r;
        }

        *ret = t;
        return 0;
}

ctokens *ctokens_free(ctokens *t)
{
        if (!t)
                return NULL;
        free(t->toks);
        free(t->text);
        free(t);
        return NULL;
}

const char *ctokens_text(const ctokens *t, size_t i)
{
        if (!t || i >= t->n)
                return NULL;
        return t->text + t->toks[i].off;
}

bool ctokens_equal(const ctokens *a, size_t i, const ctokens *b, size_t j)
{
        const ctoken *x = &a->toks[i], *y = &b->toks[j];

        return x->kind == y->kind && x->len == y->len &&
               memcmp(a->text + x->off, b->text + y->off, x->len) == 0;
}

bool ctokens_match_at(const ctokens *hay, size_t pos, const ctokens *needle)
{
        if (!hay || !needle || needle->n == 0 || pos > hay->n || needle->n > hay->n - pos)
                return false;
        for (size_t k = 0; k < needle->n; k++)
                if (!ctokens_equal(hay, pos + k, needle, k))
                        return false;
        return true;
}

size_t ctokens_find(const ctokens *hay, size_t from, const ctokens *needle)
{
        if (!hay || !needle || needle->n == 0 || needle->n > hay->n)
                return (size_t) -1;
        for (size_t pos = from; pos <= hay->n - needle->n; pos++)
                if (ctokens_match_at(hay, pos, needle))
                        return pos;
        return (size_t) -1;
}

bool ctokens_preceded_by(const ctokens *hay, size_t pos, const ctokens *needle)
{
        if (!hay || !needle || needle->n == 0 || pos > hay->n || needle->n > pos)
                return false;
        return ctokens_match_at(hay, pos - needle->n, needle);
}
