/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stable masks for the diagnostic bundle; see redact.h.
 *
 * Masks are first written as placeholders ("\1<index>\2") and expanded at
 * the end, so a later pass never matches inside an earlier pass's mask (a
 * user called "mac" must not turn "<mac-1>" into "<<user-1>-1>").
 */
#include <ctype.h>

#include "base/util.h"
#include "bundle/redact.h"

#define PH_OPEN '\1'
#define PH_CLOSE '\2'
#define VALUE_MIN 3

typedef struct secret {
        redact_class cls;
        char *value;
        unsigned number;        /* n of "<class-n>" */
} secret;

struct redactor {
        secret *s;
        size_t n;
        unsigned next[_REDACT_CLASS_MAX];
        size_t count[_REDACT_CLASS_MAX];
};

static const char *const class_names[_REDACT_CLASS_MAX] = {
        [REDACT_USER] = "user",
        [REDACT_HOST] = "host",
        [REDACT_MAC] = "mac",
        [REDACT_KFD_UNIQUE_ID] = "kfd-unique-id",
        [REDACT_SERIAL] = "serial",
        [REDACT_SECRET] = "secret",
};

const char *redact_class_to_string(redact_class c)
{
        return c >= 0 && c < _REDACT_CLASS_MAX ? class_names[c] : NULL;
}

redactor *redactor_new(void)
{
        return calloc(1, sizeof(redactor));
}

redactor *redactor_free(redactor *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                free(r->s[i].value);
        free(r->s);
        free(r);
        return NULL;
}

size_t redactor_count(const redactor *r, redact_class c)
{
        return c >= 0 && c < _REDACT_CLASS_MAX ? r->count[c] : 0;
}

/* The index of value in the table (added when new), or < 0. MACs compare case-insensitively. */
static int secret_index(redactor *r, redact_class c, const char *value, size_t len)
{
        void *n;

        for (size_t i = 0; i < r->n; i++) {
                if (r->s[i].cls != c || strlen(r->s[i].value) != len)
                        continue;
                if (c == REDACT_MAC ? strncasecmp(r->s[i].value, value, len) == 0
                                    : memcmp(r->s[i].value, value, len) == 0)
                        return (int)i;
        }
        n = realloc(r->s, (r->n + 1) * sizeof(secret));
        if (!n)
                return -ENOMEM;
        r->s = n;
        r->s[r->n] = (secret){ .cls = c, .value = strndup(value, len), .number = ++r->next[c] };
        if (!r->s[r->n].value)
                return -ENOMEM;
        return (int)r->n++;
}

int redactor_add(redactor *r, redact_class c, const char *value)
{
        _cleanup_free_ char *v = NULL;
        int k;

        if (!value || c < 0 || c >= _REDACT_CLASS_MAX)
                return -EINVAL;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        strstrip(v);
        if (strlen(v) < VALUE_MIN)
                return 0;
        k = secret_index(r, c, v, strlen(v));
        return k < 0 ? k : 0;
}

/* ---- a growable output buffer ---- */

typedef struct buf {
        char *p;
        size_t len, cap;
        bool oom;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
        if (b->oom)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->oom = true;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

/* The text built (its length in *ret_len), or NULL if memory ran out on the way (freed). */
static char *buf_take(buf *b, size_t *ret_len)
{
        if (b->oom) {
                free(b->p);
                return NULL;
        }
        *ret_len = b->len;
        return b->p;
}

static void buf_placeholder(buf *b, redactor *r, int idx)
{
        char ph[24];
        int n = snprintf(ph, sizeof(ph), "%c%d%c", PH_OPEN, idx, PH_CLOSE);

        r->count[r->s[idx].cls]++;
        buf_add(b, ph, (size_t)n);
}

static bool is_word(char c)
{
        return isalnum((unsigned char)c);
}

/* ---- passes ---- */

static bool secret_name(const char *name, size_t len)
{
        static const char *const words[] = {
                "SECRET", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY",
                "CREDENTIAL",
        };
        char up[128];

        if (len == 0 || len >= sizeof(up))
                return false;
        for (size_t i = 0; i < len; i++)
                up[i] = (char)toupper((unsigned char)name[i]);
        up[len] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strstr(up, words[i]))
                        return true;
        return false;
}

/* NAME=VALUE / NAME: VALUE with a secret-looking NAME: the value goes; PEM private keys go whole. */
static char *pass_secrets(redactor *r, const char *s, size_t len, size_t *ret_len)
{
        buf b = {0};
        size_t i = 0;

        buf_add(&b, "", 0);
        while (i < len) {
                const char *pem = NULL;

                if (s[i] == '-' && len - i > 10 && memcmp(s + i, "-----BEGIN", 10) == 0) {
                        const char *eol = memchr(s + i, '\n', len - i);
                        size_t l = eol ? (size_t)(eol - (s + i)) : len - i;
                        if (memmem(s + i, l, "PRIVATE KEY", 11))
                                pem = s + i;
                }
                if (pem) {
                        const char *end = memmem(s + i + 10, len - i - 10, "-----END", 8);
                        int idx = secret_index(r, REDACT_SECRET, "private-key", 11);

                        if (idx < 0)
                                goto oom;
                        buf_placeholder(&b, r, idx);
                        if (!end) {
                                i = len;
                                break;
                        }
                        /* up to the closing "-----" of the END line */
                        end += 8;
                        while ((size_t)(end - s) < len && *end != '\n' && memcmp(end, "-----", 5) != 0)
                                end++;
                        if ((size_t)(end - s) + 5 <= len && memcmp(end, "-----", 5) == 0)
                                end += 5;
                        i = (size_t)(end - s);
                        continue;
                }
                if ((isalpha((unsigned char)s[i]) || s[i] == '_') && (i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))) {
                        size_t j = i, v;

                        while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-'))
                                j++;
                        v = j;
                        while (v < len && (s[v] == ' ' || s[v] == '\t' || s[v] == '"' || s[v] == '\''))
                                v++;
                        if (v < len && (s[v] == '=' || s[v] == ':') && secret_name(s + i, j - i)) {
                                size_t e;
                                int idx;

                                v++;
                                while (v < len && (s[v] == ' ' || s[v] == '\t' || s[v] == '"' || s[v] == '\''))
                                        v++;
                                e = v;
                                while (e < len && s[e] != '\n' && s[e] != '"' && s[e] != '\'' && s[e] != ' ' &&
                                       s[e] != '\t' && s[e] != ';' && s[e] != ',' && s[e] != '\\')
                                        e++;
                                if (e > v) {
                                        idx = secret_index(r, REDACT_SECRET, "value", 5);
                                        if (idx < 0)
                                                goto oom;
                                        buf_add(&b, s + i, v - i);
                                        buf_placeholder(&b, r, idx);
                                        i = e;
                                        continue;
                                }
                        }
                        buf_add(&b, s + i, j - i);
                        i = j;
                        continue;
                }
                buf_add(&b, s + i, 1);
                i++;
        }
        return buf_take(&b, ret_len);
oom:
        free(b.p);
        return NULL;
}

static bool hex2(const char *s)
{
        return isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]);
}

/* A MAC address at s (six hex pairs joined by ':' or '-'), not part of a longer hex run. */
static bool mac_at(const char *s, size_t avail, const char *start)
{
        char sep;

        if (avail < 17 || !hex2(s))
                return false;
        sep = s[2];
        if (sep != ':' && sep != '-')
                return false;
        for (int k = 0; k < 6; k++) {
                if (!hex2(s + k * 3))
                        return false;
                if (k < 5 && s[k * 3 + 2] != sep)
                        return false;
        }
        if (s > start && (isxdigit((unsigned char)s[-1]) || s[-1] == sep))
                return false;
        if (avail > 17 && (isxdigit((unsigned char)s[17]) || s[17] == sep))
                return false;
        return true;
}

/* MAC addresses and "unique_id N" values: learned as they are met, masked consistently. */
static char *pass_patterns(redactor *r, const char *s, size_t len, size_t *ret_len)
{
        buf b = {0};

        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                if (mac_at(s + i, len - i, s)) {
                        int idx = secret_index(r, REDACT_MAC, s + i, 17);
                        if (idx < 0)
                                goto oom;
                        buf_placeholder(&b, r, idx);
                        i += 17;
                        continue;
                }
                if (len - i > 9 && memcmp(s + i, "unique_id", 9) == 0 && (i == 0 || !is_word(s[i - 1]))) {
                        size_t v = i + 9, e;

                        while (v < len && (s[v] == ' ' || s[v] == '\t' || s[v] == ':' || s[v] == '=' || s[v] == '"'))
                                v++;
                        e = v;
                        while (e < len && isdigit((unsigned char)s[e]))
                                e++;
                        /* 0 means "none" in KFD: nothing to hide */
                        if (e > v && !(e - v == 1 && s[v] == '0')) {
                                int idx = secret_index(r, REDACT_KFD_UNIQUE_ID, s + v, e - v);
                                if (idx < 0)
                                        goto oom;
                                buf_add(&b, s + i, v - i);
                                buf_placeholder(&b, r, idx);
                                i = e;
                                continue;
                        }
                }
                buf_add(&b, s + i, 1);
                i++;
        }
        return buf_take(&b, ret_len);
oom:
        free(b.p);
        return NULL;
}

/* Every known value, longest first (a host name containing a user name goes whole). */
static char *pass_known(redactor *r, const char *s, size_t len, size_t *ret_len)
{
        buf b = {0};

        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                int best = -1;
                size_t best_len = 0;

                for (size_t k = 0; k < r->n; k++) {
                        const secret *x = &r->s[k];
                        size_t l = strlen(x->value);
                        bool word = x->cls == REDACT_USER || x->cls == REDACT_HOST;

                        if (x->cls == REDACT_SECRET || l <= best_len || l > len - i)
                                continue;
                        if (x->cls == REDACT_MAC ? strncasecmp(s + i, x->value, l) != 0 : memcmp(s + i, x->value, l) != 0)
                                continue;
                        if (word && ((i > 0 && is_word(s[i - 1])) || (i + l < len && is_word(s[i + l]))))
                                continue;
                        best = (int)k;
                        best_len = l;
                }
                if (best >= 0) {
                        buf_placeholder(&b, r, best);
                        i += best_len;
                        continue;
                }
                buf_add(&b, s + i, 1);
                i++;
        }
        return buf_take(&b, ret_len);
}

static char *expand(const redactor *r, const char *s, size_t len, size_t *ret_len)
{
        buf b = {0};

        buf_add(&b, "", 0);
        for (size_t i = 0; i < len; i++) {
                if (s[i] == PH_OPEN) {
                        char *end;
                        unsigned long idx = strtoul(s + i + 1, &end, 10);

                        if (*end == PH_CLOSE && idx < r->n) {
                                char mask[48];
                                const secret *x = &r->s[idx];
                                int n = x->cls == REDACT_SECRET
                                        ? snprintf(mask, sizeof(mask), "<redacted-%s>", x->value)
                                        : snprintf(mask, sizeof(mask), "<%s-%u>", class_names[x->cls], x->number);
                                buf_add(&b, mask, (size_t)n);
                                i = (size_t)(end - s);
                                continue;
                        }
                }
                buf_add(&b, s + i, 1);
        }
        return buf_take(&b, ret_len);
}

char *redact_text(redactor *r, const char *text, size_t len, size_t *ret_len)
{
        _cleanup_free_ char *clean = malloc(len + 1), *a = NULL, *b = NULL, *c = NULL;
        size_t la, lb, lc, dummy;
        char *out;

        if (!clean)
                return NULL;
        /* the placeholder bytes must not come from the input */
        for (size_t i = 0; i < len; i++)
                clean[i] = (text[i] == PH_OPEN || text[i] == PH_CLOSE) ? '?' : text[i];
        clean[len] = '\0';
        a = pass_secrets(r, clean, len, &la);
        if (!a)
                return NULL;
        b = pass_patterns(r, a, la, &lb);
        if (!b)
                return NULL;
        c = pass_known(r, b, lb, &lc);
        if (!c)
                return NULL;
        out = expand(r, c, lc, ret_len ? ret_len : &dummy);
        return out;
}

int redact_json(redactor *r, json_object *o)
{
        switch (json_object_get_type(o)) {
        case json_type_object: {
                json_object_object_foreach(o, key, val) {
                        (void)key;
                        int k = redact_json(r, val);
                        if (k < 0)
                                return k;
                }
                return 0;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++) {
                        int k = redact_json(r, json_object_array_get_idx(o, i));
                        if (k < 0)
                                return k;
                }
                return 0;
        case json_type_string: {
                size_t n;
                _cleanup_free_ char *s = redact_text(r, json_object_get_string(o),
                                                     (size_t)json_object_get_string_len(o), &n);
                if (!s)
                        return -ENOMEM;
                return json_object_set_string_len(o, s, (int)n) ? 0 : -ENOMEM;
        }
        default:
                return 0;
        }
}

int redact_json_text(redactor *r, const char *data, size_t len, char **ret, size_t *ret_len)
{
        json_tokener *tok;
        json_object *o;
        const char *s;
        char *out;
        int k;

        if (len > INT32_MAX)
                return -EFBIG;
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, data, (int)len);
        /* the whole text, one document: anything else is masked as text by the caller */
        k = !o || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) < len
                    ? -EBADMSG : 0;
        json_tokener_free(tok);
        if (k >= 0)
                k = redact_json(r, o);
        if (k >= 0) {
                s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
                out = s ? strdup(s) : NULL;
                if (!out)
                        k = -ENOMEM;
                else {
                        *ret_len = strlen(out);
                        *ret = out;
                }
        }
        json_object_put(o);
        return k;
}
