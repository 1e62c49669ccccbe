/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The patch-signature database and the code-based matcher.
 *
 * A marker is a short piece of C. It "occurs" where its token sequence
 * occurs in the tokenised input (see ctokens.h: comments, layout, braces
 * and number spelling do not matter). An occurrence right after the
 * marker's optional not_after code does not count: that is how the
 * upstream `if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE) flags |= …;`
 * (and the older `… props->flags |= …;`) stays clean while an unguarded
 * copy of the statement does not.
 * A marker is found when it occurs more often than its clean_count.
 */

#include <dirent.h>
#include <errno.h>
#include <iniparser.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/iniutil.h"
#include "base/util.h"
#include "parse/ctokens.h"
#include "parse/signature.h"

/* ---------------------------------------------------------------------- */
/* Loading */

static void sig_marker_done(sig_marker *m)
{
        free(m->name);
        free(m->code);
        free(m->not_after);
        ctokens_free(m->tokens);
        ctokens_free(m->not_after_tokens);
}

static void signature_done(signature *s)
{
        free(s->id);
        free(s->title);
        free(s->file);
        free(s->module);
        free(s->ko_marker);
        free(s->dyndbg_function);
        free(s->diff_path);
        free(s->source);
        for (size_t i = 0; i < s->n_markers; i++)
                sig_marker_done(&s->markers[i]);
        free(s->markers);
        *s = (signature) {0};
}

signature_db *signature_db_free(signature_db *db)
{
        if (!db)
                return NULL;
        for (size_t i = 0; i < db->n; i++)
                signature_done(&db->sigs[i]);
        free(db->sigs);
        free(db);
        return NULL;
}

/* Copy of a required key's value; -EBADMSG when missing or empty. */
static int ini_dup_required(dictionary *d, const char *key, char **ret)
{
        const char *v = iniparser_getstring(d, key, NULL);
        char *c;

        if (!v || !*v)
                return -EBADMSG;
        c = strdup(v);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

/*
 * The .ini spells the format the way C does ("…0x%x\n"); the .ko holds the
 * real bytes. Only the escapes a pr_debug format plausibly uses are known.
 */
static int unescape_c(const char *s, char **ret)
{
        _cleanup_free_ char *out = malloc(strlen(s) + 1);
        char *o = out;

        if (!out)
                return -ENOMEM;
        for (; *s; s++) {
                if (*s != '\\') {
                        *o++ = *s;
                        continue;
                }
                s++;
                switch (*s) {
                case 'n': *o++ = '\n'; break;
                case 't': *o++ = '\t'; break;
                case '\\': *o++ = '\\'; break;
                case '"': *o++ = '"'; break;
                default: return -EBADMSG;
                }
        }
        *o = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static int tokenise_code(const char *code, ctokens **ret)
{
        ctokens *t = NULL;
        int r = ctokens_parse(code, strlen(code), &t);

        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if (t->n == 0) {
                ctokens_free(t);
                return -EBADMSG;
        }
        *ret = t;
        return 0;
}

static int load_marker(dictionary *d, const char *section, sig_marker *m)
{
        _cleanup_free_ char *k_code = strdup_printf("%s:code", section);
        _cleanup_free_ char *k_clean = strdup_printf("%s:clean_count", section);
        _cleanup_free_ char *k_strong = strdup_printf("%s:strong", section);
        _cleanup_free_ char *k_not_after = strdup_printf("%s:not_after", section);
        const char *v;
        uint64_t u;
        int b, r;

        if (!k_code || !k_clean || !k_strong || !k_not_after)
                return -ENOMEM;

        m->name = strdup(section + strlen("marker:"));
        if (!m->name)
                return -ENOMEM;
        if (!*m->name)
                return -EBADMSG;

        r = ini_dup_required(d, k_code, &m->code);
        if (r < 0)
                return r;
        r = tokenise_code(m->code, &m->tokens);
        if (r < 0)
                return r;

        v = iniparser_getstring(d, k_clean, NULL);
        if (!v || safe_atou64(v, 10, &u) < 0 || u > UINT_MAX)
                return -EBADMSG;
        m->clean_count = (unsigned) u;

        b = iniparser_getboolean(d, k_strong, -1);
        if (b < 0)
                return -EBADMSG;
        m->strong = b;

        v = iniparser_getstring(d, k_not_after, NULL);
        if (v) {
                m->not_after = strdup(v);
                if (!m->not_after)
                        return -ENOMEM;
                r = tokenise_code(m->not_after, &m->not_after_tokens);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * iniparser does not list "[marker:NAME]" as a section (it counts only
 * names without ':'), so walk the dictionary itself: section entries are
 * the keys with no value, in the order they appear in the file.
 */
static int load_markers(dictionary *d, signature *s)
{
        /* dictionary.size is ssize_t in iniparser 4.1 (Debian 12), size_t in 4.2 (Debian 13). */
        for (size_t i = 0; i < (size_t)d->size; i++) {
                const char *key = d->key[i];
                sig_marker *n;
                int r;

                if (!key || d->val[i] || !startswith(key, "marker:"))
                        continue;
                if (strchr(key + strlen("marker:"), ':'))
                        continue;

                n = realloc(s->markers, (s->n_markers + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->markers = n;
                s->markers[s->n_markers] = (sig_marker) {0};
                s->n_markers++;
                r = load_marker(d, key, &s->markers[s->n_markers - 1]);
                if (r < 0)
                        return r;
        }
        return s->n_markers > 0 ? 0 : -EBADMSG;
}

static int load_signature(const char *dir, const char *name, signature *s)
{
        _cleanup_(dictionary_freep) dictionary *d = NULL;
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        _cleanup_free_ char *diff = NULL, *ko = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        if (access(path, R_OK) < 0)
                return -errno;

        iniparser_set_error_callback(iniparser_silent);
        d = iniparser_load(path);
        if (!d)
                return -EBADMSG;

        if ((r = ini_dup_required(d, "signature:id", &s->id)) < 0 ||
            (r = ini_dup_required(d, "signature:title", &s->title)) < 0 ||
            (r = ini_dup_required(d, "signature:file", &s->file)) < 0 ||
            (r = ini_dup_required(d, "signature:module", &s->module)) < 0 ||
            (r = ini_dup_required(d, "signature:dyndbg_function", &s->dyndbg_function)) < 0 ||
            (r = ini_dup_required(d, "signature:source", &s->source)) < 0 ||
            (r = ini_dup_required(d, "signature:ko_marker", &ko)) < 0 ||
            (r = ini_dup_required(d, "signature:diff", &diff)) < 0)
                return r;

        r = unescape_c(ko, &s->ko_marker);
        if (r < 0)
                return r;

        /* The diff lies beside the .ini; a name, not a path, so it cannot point elsewhere. */
        if (strchr(diff, '/') || streq(diff, ".") || streq(diff, ".."))
                return -EBADMSG;
        s->diff_path = strdup_printf("%s/%s", dir, diff);
        if (!s->diff_path)
                return -ENOMEM;
        if (access(s->diff_path, R_OK) < 0)
                return -EBADMSG;

        return load_markers(d, s);
}

/* Names of the *.ini files in dir, sorted so the db order is stable. */
static int list_ini(const char *dir, strv *ret)
{
        DIR *dp = opendir(dir);
        struct dirent *de;
        strv names = {0};
        int r = 0;

        if (!dp)
                return -errno;
        errno = 0;
        while ((de = readdir(dp))) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".ini"))
                        continue;
                r = strv_push_dup(&names, de->d_name);
                if (r < 0)
                        break;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(dp);
        if (r < 0) {
                strv_clear(&names);
                return r;
        }
        if (names.n > 1)
                qsort(names.items, names.n, sizeof(char *), strcmp_ptr);
        *ret = names;
        return 0;
}

int signature_db_load(const char *dir, signature_db **ret)
{
        signature_db *db = NULL;
        strv names = {0};
        int r;

        if (!dir || !ret)
                return -EINVAL;

        r = list_ini(dir, &names);
        if (r < 0)
                return r;

        db = calloc(1, sizeof(*db));
        if (!db || (names.n > 0 && !(db->sigs = calloc(names.n, sizeof(signature))))) {
                r = -ENOMEM;
                goto fail;
        }

        for (size_t i = 0; i < names.n; i++) {
                r = load_signature(dir, names.items[i], &db->sigs[db->n]);
                db->n++;
                if (r < 0)
                        goto fail;
                for (size_t j = 0; j + 1 < db->n; j++)
                        if (streq(db->sigs[j].id, db->sigs[db->n - 1].id)) {
                                r = -EBADMSG;
                                goto fail;
                        }
        }

        strv_clear(&names);
        *ret = db;
        return 0;

fail:
        strv_clear(&names);
        signature_db_free(db);
        return r;
}

/* ---------------------------------------------------------------------- */
/* Matching */

static const char *last_component(const char *p, size_t len, size_t *ret_start)
{
        size_t s = len;

        while (s > 0 && p[s - 1] != '/')
                s--;
        *ret_start = s;
        return p + s;
}

/*
 * Whether sig_file ("amd/amdkfd/kfd_crat.c") names path: equal, or a
 * suffix of it that starts at a path component.
 */
static bool path_has_suffix(const char *path, const char *sig_file)
{
        size_t lp = strlen(path), ls = strlen(sig_file);

        if (ls == 0 || ls > lp || !streq(path + lp - ls, sig_file))
                return false;
        return lp == ls || path[lp - ls - 1] == '/';
}

bool signature_names_file(const signature *sig, const char *path)
{
        if (!sig || !path)
                return true;
        return path_has_suffix(path, sig->file);
}

/* Patches name files with an unknown strip level (a/, b/, none): compare base names. */
static bool patch_path_matches(const signature *sig, const char *path, size_t len)
{
        size_t s1, s2;
        const char *b1 = last_component(path, len, &s1);
        const char *b2 = last_component(sig->file, strlen(sig->file), &s2);

        return len - s1 == strlen(b2) && memcmp(b1, b2, len - s1) == 0;
}

/* Per marker, for one input. */
typedef struct marker_tally {
        unsigned added;      /* occurrences (for a patch: those the patch creates) */
        unsigned removed;    /* for a patch: occurrences it destroys */
        unsigned line;       /* line of the reported occurrence, 0 if none */
} marker_tally;

/*
 * Where the statement holding an occurrence at pos begins: before the
 * member accesses that lead up to it. `props->flags |= X;` is the same
 * statement as `flags |= X;` on a struct member, which is how kfd_crat.c
 * spelled it before the local `flags` variable (docs/DOMAIN.md §5).
 */
static size_t statement_start(const ctokens *hay, size_t pos)
{
        while (pos >= 2) {
                const char *op = ctokens_text(hay, pos - 1);

                if (hay->toks[pos - 2].kind != CTOKEN_IDENT || hay->toks[pos - 1].kind != CTOKEN_PUNCT ||
                    (!streq(op, "->") && !streq(op, ".")))
                        break;
                pos -= 2;
        }
        return pos;
}

static bool occurrence_counts(const sig_marker *m, const ctokens *hay, size_t pos)
{
        if (!m->not_after_tokens)
                return true;
        return !ctokens_preceded_by(hay, pos, m->not_after_tokens) &&
               !ctokens_preceded_by(hay, statement_start(hay, pos), m->not_after_tokens);
}

static void tally_source(const sig_marker *m, const ctokens *hay, marker_tally *t)
{
        *t = (marker_tally) {0};

        for (size_t pos = ctokens_find(hay, 0, m->tokens); pos != (size_t) -1;
             pos = ctokens_find(hay, pos + 1, m->tokens)) {
                if (!occurrence_counts(m, hay, pos))
                        continue;
                t->added++;
                /* Which copy is the extra one is unknowable; report the first beyond the clean count. */
                if (t->added == m->clean_count + 1)
                        t->line = hay->toks[pos].line;
        }
}

static bool tally_found(const sig_marker *m, const marker_tally *t, bool patch)
{
        if (patch)
                return t->added > t->removed;
        return t->added > m->clean_count;
}

/* Fill *ret from the per-marker tallies; returns whether the signature matched. */
static bool summarise(const signature *sig, const marker_tally *tallies, bool patch, sig_match *ret)
{
        sig_match m = { .sig = sig, .n_total = (unsigned) sig->n_markers };

        for (size_t i = 0; i < sig->n_markers; i++) {
                if (!tally_found(&sig->markers[i], &tallies[i], patch))
                        continue;
                m.n_found++;
                m.strong = m.strong || sig->markers[i].strong;
                if (m.first_line == 0 || (tallies[i].line > 0 && tallies[i].line < m.first_line)) {
                        m.first_line = tallies[i].line;
                        m.first_marker = sig->markers[i].name;
                }
        }
        m.complete = m.n_found == m.n_total;
        if (m.n_found == 0)
                return false;
        *ret = m;
        return true;
}

/* Prefer the match with more strong evidence, then more markers; ties keep db order. */
static bool better_match(const sig_match *a, const sig_match *b)
{
        if (a->strong != b->strong)
                return a->strong;
        return a->n_found > b->n_found;
}

int signature_match_source(const signature_db *db, const char *path, const char *buf,
                           size_t len, sig_match *ret)
{
        ctokens *hay = NULL;
        sig_match best = {0};
        bool have = false;
        int r;

        if (!db || (!buf && len > 0) || !ret)
                return -EINVAL;

        r = ctokens_parse(buf, len, &hay);
        if (r < 0)
                return r;

        for (size_t i = 0; i < db->n; i++) {
                const signature *sig = &db->sigs[i];
                _cleanup_free_ marker_tally *tallies = NULL;
                sig_match m;

                if (!signature_names_file(sig, path))
                        continue;
                tallies = calloc(sig->n_markers, sizeof(*tallies));
                if (!tallies) {
                        ctokens_free(hay);
                        return -ENOMEM;
                }
                for (size_t j = 0; j < sig->n_markers; j++)
                        tally_source(&sig->markers[j], hay, &tallies[j]);
                if (summarise(sig, tallies, false, &m) && (!have || better_match(&m, &best))) {
                        best = m;
                        have = true;
                }
        }

        ctokens_free(hay);
        if (!have)
                return 0;
        *ret = best;
        return 1;
}

/* ---------------------------------------------------------------------- */
/* Patches */

/*
 * One side of a hunk (old: context + removed lines; new: context + added
 * lines) as text, with, per line of that text, whether the patch changed
 * it and where it is in the patch file.
 */
typedef struct hunk_side {
        char *text;
        size_t len, cap;
        bool *changed;
        uint32_t *patch_line;
        size_t n_lines, cap_lines;
} hunk_side;

static void hunk_side_done(hunk_side *s)
{
        free(s->text);
        free(s->changed);
        free(s->patch_line);
        *s = (hunk_side) {0};
}

static int hunk_side_add(hunk_side *s, const char *line, size_t len, bool changed, uint32_t patch_line)
{
        if (s->len + len + 2 > s->cap) {
                size_t cap = (s->len + len + 2) * 2;
                char *t = realloc(s->text, cap);
                if (!t)
                        return -ENOMEM;
                s->text = t;
                s->cap = cap;
        }
        if (s->n_lines == s->cap_lines) {
                size_t cap = s->cap_lines ? s->cap_lines * 2 : 64;
                bool *c = realloc(s->changed, cap * sizeof(*c));
                if (!c)
                        return -ENOMEM;
                s->changed = c;
                uint32_t *p = realloc(s->patch_line, cap * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                s->patch_line = p;
                s->cap_lines = cap;
        }
        memcpy(s->text + s->len, line, len);
        s->len += len;
        s->text[s->len++] = '\n';
        s->changed[s->n_lines] = changed;
        s->patch_line[s->n_lines] = patch_line;
        s->n_lines++;
        return 0;
}

static bool occurrence_changed(const hunk_side *s, const ctokens *t, size_t pos, size_t n)
{
        for (size_t k = pos; k < pos + n; k++) {
                uint32_t l = t->toks[k].line;
                if (l >= 1 && l <= s->n_lines && s->changed[l - 1])
                        return true;
        }
        return false;
}

/*
 * Count the marker's occurrences on one side that the patch touches (an
 * occurrence with at least one changed token did not exist, in that
 * form, on the other side). Returns the count; *line gets the patch line
 * of the first one when line is not NULL.
 */
static unsigned tally_side(const sig_marker *m, const hunk_side *s, const ctokens *t, unsigned *line)
{
        unsigned n = 0;

        for (size_t pos = ctokens_find(t, 0, m->tokens); pos != (size_t) -1;
             pos = ctokens_find(t, pos + 1, m->tokens)) {
                if (!occurrence_counts(m, t, pos) || !occurrence_changed(s, t, pos, m->tokens->n))
                        continue;
                if (n++ == 0 && line) {
                        uint32_t l = t->toks[pos].line;
                        unsigned pl = l >= 1 && l <= s->n_lines ? s->patch_line[l - 1] : 0;
                        if (*line == 0 || (pl > 0 && pl < *line))
                                *line = pl;
                }
        }
        return n;
}

typedef struct patch_state {
        const signature_db *db;
        marker_tally **tallies; /* [sig][marker] */
        hunk_side old_side, new_side;
        const char *path;       /* target of the current file section, NULL if unknown */
        size_t path_len;
} patch_state;

static int flush_hunk(patch_state *ps)
{
        ctokens *told = NULL, *tnew = NULL;
        int r = 0;

        if (ps->old_side.n_lines == 0 && ps->new_side.n_lines == 0)
                return 0;

        r = ctokens_parse(ps->old_side.text ?: "", ps->old_side.len, &told);
        if (r >= 0)
                r = ctokens_parse(ps->new_side.text ?: "", ps->new_side.len, &tnew);

        for (size_t i = 0; r >= 0 && i < ps->db->n; i++) {
                const signature *sig = &ps->db->sigs[i];

                if (ps->path && !patch_path_matches(sig, ps->path, ps->path_len))
                        continue;
                for (size_t j = 0; j < sig->n_markers; j++) {
                        marker_tally *t = &ps->tallies[i][j];
                        t->added += tally_side(&sig->markers[j], &ps->new_side, tnew, &t->line);
                        t->removed += tally_side(&sig->markers[j], &ps->old_side, told, NULL);
                }
        }

        ctokens_free(told);
        ctokens_free(tnew);
        ps->old_side.len = ps->new_side.len = 0;
        ps->old_side.n_lines = ps->new_side.n_lines = 0;
        return r;
}

/* "+++ b/amd/amdkfd/kfd_crat.c\t2025-11-08 …": the path, without the timestamp. */
static void parse_header_path(const char *line, size_t len, const char **ret, size_t *ret_len)
{
        const char *p = line + 4;
        size_t n = len - 4;
        const char *tab = memchr(p, '\t', n);

        if (tab)
                n = (size_t) (tab - p);
        while (n > 0 && p[n - 1] == ' ')
                n--;
        *ret = p;
        *ret_len = n;
}

/* "@@ -a[,b] +c[,d] @@": the line counts b and d (1 when left out). */
static bool parse_hunk_header(const char *line, size_t len, unsigned long *ret_old, unsigned long *ret_new)
{
        _cleanup_free_ char *h = strndup(line, len);
        unsigned long b = 1, d = 1;
        char *e;

        if (!h)
                return false;
        e = h + 3;
        if (*e++ != '-')
                return false;
        (void) strtoul(e, &e, 10);
        if (*e == ',')
                b = strtoul(e + 1, &e, 10);
        if (*e++ != ' ' || *e++ != '+')
                return false;
        (void) strtoul(e, &e, 10);
        if (*e == ',')
                d = strtoul(e + 1, &e, 10);
        if (!startswith(e, " @@"))
                return false;
        *ret_old = b;
        *ret_new = d;
        return true;
}

static int scan_patch(patch_state *ps, const char *buf, size_t len)
{
        unsigned long old_left = 0, new_left = 0;
        const char *minus_path = NULL;
        size_t minus_len = 0;
        uint32_t lineno = 0;
        int r;

        for (size_t p = 0; p < len;) {
                const char *line = buf + p, *nl = memchr(line, '\n', len - p);
                size_t l = nl ? (size_t) (nl - line) : len - p;

                p += l + (nl ? 1 : 0);
                lineno++;
                if (l > 0 && line[l - 1] == '\r')
                        l--;

                if (old_left > 0 || new_left > 0) {
                        char c = l > 0 ? line[0] : ' ';
                        const char *text = l > 0 ? line + 1 : line;
                        size_t tl = l > 0 ? l - 1 : 0;
                        bool consumed = true;

                        r = 0;
                        if (c == ' ' && old_left > 0 && new_left > 0) {
                                old_left--, new_left--;
                                r = hunk_side_add(&ps->old_side, text, tl, false, lineno);
                                if (r >= 0)
                                        r = hunk_side_add(&ps->new_side, text, tl, false, lineno);
                        } else if (c == '+' && new_left > 0) {
                                new_left--;
                                r = hunk_side_add(&ps->new_side, text, tl, true, lineno);
                        } else if (c == '-' && old_left > 0) {
                                old_left--;
                                r = hunk_side_add(&ps->old_side, text, tl, true, lineno);
                        } else if (c == '\\') {
                                continue; /* "\ No newline at end of file" */
                        } else {
                                /* Malformed hunk: end it and read this line as a header. */
                                old_left = new_left = 0;
                                consumed = false;
                        }
                        if (r < 0)
                                return r;
                        if (old_left > 0 || new_left > 0)
                                continue;
                        r = flush_hunk(ps);
                        if (r < 0)
                                return r;
                        if (consumed)
                                continue;
                }

                if (l >= 4 && startswith(line, "--- ")) {
                        parse_header_path(line, l, &minus_path, &minus_len);
                } else if (l >= 4 && startswith(line, "+++ ")) {
                        parse_header_path(line, l, &ps->path, &ps->path_len);
                        if (ps->path_len == strlen("/dev/null") && memcmp(ps->path, "/dev/null", ps->path_len) == 0) {
                                ps->path = minus_path;
                                ps->path_len = minus_len;
                        }
                } else if (l >= 3 && startswith(line, "@@ ")) {
                        if (!parse_hunk_header(line, l, &old_left, &new_left))
                                old_left = new_left = 0;
                }
        }
        return flush_hunk(ps);
}

int signature_match_patch(const signature_db *db, const char *buf, size_t len, sig_match *ret)
{
        patch_state ps = { .db = db };
        sig_match best = {0};
        bool have = false;
        int r = 0;

        if (!db || (!buf && len > 0) || !ret)
                return -EINVAL;
        if (len > CTOKENS_MAX_INPUT)
                return -EFBIG;

        ps.tallies = calloc(db->n ?: 1, sizeof(*ps.tallies));
        if (!ps.tallies)
                return -ENOMEM;
        for (size_t i = 0; i < db->n; i++) {
                ps.tallies[i] = calloc(db->sigs[i].n_markers ?: 1, sizeof(marker_tally));
                if (!ps.tallies[i]) {
                        r = -ENOMEM;
                        goto finish;
                }
        }

        r = scan_patch(&ps, buf ?: "", len);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < db->n; i++) {
                sig_match m;

                if (summarise(&db->sigs[i], ps.tallies[i], true, &m) && (!have || better_match(&m, &best))) {
                        best = m;
                        have = true;
                }
        }
        r = have;
        if (have)
                *ret = best;

finish:
        for (size_t i = 0; i < db->n; i++)
                free(ps.tallies[i]);
        free(ps.tallies);
        hunk_side_done(&ps.old_side);
        hunk_side_done(&ps.new_side);
        return r;
}
