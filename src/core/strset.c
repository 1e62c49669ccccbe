/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strset.h"

#include <stdint.h>

#include "util.h"

static size_t slot_of(char *const *slots, size_t n_slots, const char *v)
{
        uint64_t h = UINT64_C(14695981039346656037);
        size_t i;

        for (const char *p = v; *p; p++)
                h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
        i = (size_t)h & (n_slots - 1);
        while (slots[i] && !streq(slots[i], v))
                i = (i + 1) & (n_slots - 1);
        return i;
}

static int grow(strset *s)
{
        size_t n_slots = s->n_slots ? s->n_slots * 2 : 64;
        char **slots = calloc(n_slots, sizeof(char *));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->slots[i])
                        slots[slot_of(slots, n_slots, s->slots[i])] = s->slots[i];
        free(s->slots);
        s->slots = slots;
        s->n_slots = n_slots;
        return 0;
}

int strset_consume(strset *s, char *v)
{
        size_t i;

        if (!v)
                return -ENOMEM;
        if ((s->n + 1) * 2 > s->n_slots && grow(s) < 0) {
                free(v);
                return -ENOMEM;
        }
        i = slot_of(s->slots, s->n_slots, v);
        if (s->slots[i]) {
                free(v);
                return 0;
        }
        s->slots[i] = v;
        s->n++;
        return 1;
}

int strset_add(strset *s, const char *v)
{
        return strset_consume(s, strdup(v));
}

bool strset_contains(const strset *s, const char *v)
{
        if (s->n == 0)
                return false;
        return s->slots[slot_of(s->slots, s->n_slots, v)] != NULL;
}

void strset_clear(strset *s)
{
        for (size_t i = 0; i < s->n_slots; i++)
                free(s->slots[i]);
        free(s->slots);
        *s = (strset){0};
}
