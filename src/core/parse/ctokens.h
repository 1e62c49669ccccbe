/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small C tokenizer for recognising code by its tokens rather than its
 * layout. It is not a compiler front end: it only has to turn two
 * spellings of the same code into the same token sequence.
 *
 *  - comments (both kinds), whitespace, line continuations and the braces
 *    '{' '}' are dropped, so re-indented, reflowed (K&R/Allman) or
 *    brace-less copies of a statement give the same tokens;
 *  - numbers are normalised: lowercase, integer suffixes (u, l, ul, ull…)
 *    stripped, so 0x731F, 0x731f and 0x731FU are one token;
 *  - string and character literals are kept verbatim (escapes are not
 *    processed), preprocessor lines are tokenised like any other line;
 *  - every token records its 1-based physical line (CR LF counts as one
 *    line break, a line continuation still advances the line).
 *
 * Any byte sequence is accepted (NUL bytes, unterminated comments and
 * strings, very long lines); bytes that are not C are single-byte tokens.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Inputs beyond these are refused (-EFBIG) to keep memory bounded (~100 MB at worst). */
#define CTOKENS_MAX_INPUT (16u * 1024u * 1024u)
#define CTOKENS_MAX_TOKENS (4u * 1024u * 1024u)

typedef enum ctoken_kind {
        CTOKEN_IDENT,
        CTOKEN_NUMBER,
        CTOKEN_STRING, /* "…" including the quotes */
        CTOKEN_CHAR,   /* '…' including the quotes */
        CTOKEN_PUNCT,  /* operators, punctuators and stray bytes */
        _CTOKEN_KIND_MAX,
        _CTOKEN_KIND_INVALID = -22,
} ctoken_kind;

typedef struct ctoken {
        uint32_t off;  /* into ctokens.text (normalised, NUL-terminated) */
        uint32_t len;
        uint32_t line; /* 1-based physical line in the input */
        ctoken_kind kind;
} ctoken;

typedef struct ctokens {
        ctoken *toks;
        size_t n;
        char *text; /* token texts, each NUL-terminated */
} ctokens;

/*
 * Tokenise len bytes of buf (no NUL terminator needed).
 * Returns 0 and a new token list in *ret, -EFBIG when len exceeds
 * CTOKENS_MAX_INPUT or the input has more than CTOKENS_MAX_TOKENS tokens,
 * -ENOMEM.
 */
int ctokens_parse(const char *buf, size_t len, ctokens **ret);
ctokens *ctokens_free(ctokens *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ctokens *, ctokens_free);

/* Text of token i (NUL-terminated, normalised). */
const char *ctokens_text(const ctokens *t, size_t i);

/* Whether token i of a equals token j of b (kind and normalised text). */
bool ctokens_equal(const ctokens *a, size_t i, const ctokens *b, size_t j);

/* Whether needle occurs in hay starting exactly at token index pos. */
bool ctokens_match_at(const ctokens *hay, size_t pos, const ctokens *needle);

/*
 * Index of the first occurrence of needle in hay at or after token index
 * from, or (size_t) -1 when there is none (or needle is empty).
 */
size_t ctokens_find(const ctokens *hay, size_t from, const ctokens *needle);

/*
 * Whether the tokens right before index pos in hay are exactly needle
 * (needle ends at pos - 1). False for an empty needle.
 */
bool ctokens_preceded_by(const ctokens *hay, size_t pos, const ctokens *needle);
