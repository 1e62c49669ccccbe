/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A set of strings (open addressing, FNV-1a): package file lists. */

#include <stdbool.h>
#include <stddef.h>

typedef struct strset {
        char **slots;
        size_t n_slots, n;
} strset;

/* Adds a copy; 1 added, 0 already there, -ENOMEM. */
int strset_add(strset *s, const char *v);
/* Takes ownership of v (freed when already present); 1, 0, -ENOMEM. */
int strset_consume(strset *s, char *v);
bool strset_contains(const strset *s, const char *v);
void strset_clear(strset *s);
