/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Masking for the diagnostic bundle. The bundle takes only listed sources
 * (an allow-list); this is the second line: values that identify a person
 * or a machine are replaced by stable masks, the same value always by the
 * same mask ("<user-1>", "<host-1>", "<mac-2>", "<kfd-unique-id-1>",
 * "<serial-1>"), so a helper can still tell two things apart. As a last
 * resort, NAME=VALUE settings whose name says secret/password/token/key
 * and PEM private-key blocks are cut out.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "base/util.h"

typedef enum redact_class {
        REDACT_USER,
        REDACT_HOST,
        REDACT_MAC,
        REDACT_KFD_UNIQUE_ID,
        REDACT_SERIAL,
        REDACT_SECRET,          /* NAME=VALUE with a secret-looking name, private keys */
        _REDACT_CLASS_MAX,
        _REDACT_CLASS_INVALID = -22,
} redact_class;

const char *redact_class_to_string(redact_class c);

typedef struct redactor redactor;

redactor *redactor_new(void);
redactor *redactor_free(redactor *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(redactor *, redactor_free);

/*
 * Learn a value to mask. Values shorter than 3 bytes are ignored (they
 * would mask half the text). User and host names are masked only as whole
 * words (no letter or digit around them); the others wherever they occur.
 * Returns 0, or -ENOMEM.
 */
int redactor_add(redactor *r, redact_class c, const char *value);

/* The same as text with every known value, MAC address, "unique_id N" and secret masked; NULL on ENOMEM. */
char *redact_text(redactor *r, const char *text, size_t len, size_t *ret_len);

/* Mask every string value of a json-c tree in place (keys are the program's, left alone). Returns 0 or -ENOMEM. */
int redact_json(redactor *r, json_object *o);

/* How many replacements of class c were made so far. */
size_t redactor_count(const redactor *r, redact_class c);
