/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A set of strings (open addressing, FNV-1a): package file lists. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A fast hash of n bytes, eight at a time (table slots, not security). */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n, w;

        for (; n >= 8; s += 8, n -= 8) {
                memcpy(&w, s, 8);
                h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
                h ^= h >> 32;
        }
        w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * UINT64_C(0xc4ceb9fe1a85ec53);
        return h ^ (h >> 29);
}

typedef struct strset {
        char **slots;
        size_t n_slots, n;
        bool borrowed;  /* items are not owned (strset_add_borrowed only) */
        uint32_t *values; /* one per slot once strset_set_value() was used */
} strset;

/* Set v's value (v must be in the set); -ENOMEM. */
int strset_set_value(strset *s, const char *v, uint32_t value);
/*
 * Borrowed insert with an owner: a new v gets owner; one already there
 * with another owner becomes STRSET_SHARED. 1 added, 0 there, -ENOMEM.
 */
#define STRSET_SHARED UINT32_MAX
int strset_add_owned_by(strset *s, const char *v, uint32_t owner);
/* v's value; 0 when absent or never set. */
uint32_t strset_get_value(const strset *s, const char *v);

/* Insert v itself, which must outlive the set (a set with borrowed = true). */
int strset_add_borrowed(strset *s, const char *v);

/* Adds a copy; 1 added, 0 already there, -ENOMEM. */
int strset_add(strset *s, const char *v);
/* Takes ownership of v (freed when already present); 1, 0, -ENOMEM. */
int strset_consume(strset *s, char *v);
bool strset_contains(const strset *s, const char *v);
void strset_clear(strset *s);
