/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/strset.h"

#include <stdint.h>

#include "base/util.h"

static size_t slot_of(char *const *slots, size_t n_slots, const char *v)
{
        size_t i = (size_t)hash_bytes(v, strlen(v)) & (n_slots - 1);

        while (slots[i] && !streq(slots[i], v))
                i = (i + 1) & (n_slots - 1);
        return i;
}

static int grow(strset *s)
{
        size_t n_slots = s->n_slots ? s->n_slots * 2 : 64;
        char **slots = calloc(n_slots, sizeof(char *));
        uint32_t *values = NULL;

        if (!slots)
                return -ENOMEM;
        if (s->values) {
                values = calloc(n_slots, sizeof(uint32_t));
                if (!values) {
                        free(slots);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < s->n_slots; i++)
                if (s->slots[i]) {
                        size_t j = slot_of(slots, n_slots, s->slots[i]);

                        slots[j] = s->slots[i];
                        if (values)
                                values[j] = s->values[i];
                }
        free(s->slots);
        free(s->values);
        s->slots = slots;
        s->values = values;
        s->n_slots = n_slots;
        return 0;
}

int strset_add_owned_by(strset *s, const char *v, uint32_t owner)
{
        size_t i;

        if (!s->borrowed)
                return -EINVAL;
        if ((s->n + 1) * 2 > s->n_slots && grow(s) < 0)
                return -ENOMEM;
        if (!s->values) {
                s->values = calloc(s->n_slots, sizeof(uint32_t));
                if (!s->values)
                        return -ENOMEM;
        }
        i = slot_of(s->slots, s->n_slots, v);
        if (s->slots[i]) {
                if (s->values[i] != owner)
                        s->values[i] = STRSET_SHARED;
                return 0;
        }
        s->slots[i] = (char *)v;
        s->values[i] = owner;
        s->n++;
        return 1;
}

int strset_set_value(strset *s, const char *v, uint32_t value)
{
        size_t i;

        if (s->n == 0)
                return -ENOENT;
        if (!s->values) {
                s->values = calloc(s->n_slots, sizeof(uint32_t));
                if (!s->values)
                        return -ENOMEM;
        }
        i = slot_of(s->slots, s->n_slots, v);
        if (!s->slots[i])
                return -ENOENT;
        s->values[i] = value;
        return 0;
}

uint32_t strset_get_value(const strset *s, const char *v)
{
        size_t i;

        if (s->n == 0 || !s->values)
                return 0;
        i = slot_of(s->slots, s->n_slots, v);
        return s->slots[i] ? s->values[i] : 0;
}

int strset_consume(strset *s, char *v)
{
        size_t i;

        if (!v)
                return -ENOMEM;
        if (s->borrowed) {
                free(v);
                return -EINVAL;
        }
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

int strset_add_borrowed(strset *s, const char *v)
{
        size_t i;

        if (!s->borrowed)
                return -EINVAL;
        if ((s->n + 1) * 2 > s->n_slots && grow(s) < 0)
                return -ENOMEM;
        i = slot_of(s->slots, s->n_slots, v);
        if (s->slots[i])
                return 0;
        s->slots[i] = (char *)v;
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
        bool borrowed = s->borrowed;

        for (size_t i = 0; i < s->n_slots && !borrowed; i++)
                free(s->slots[i]);
        free(s->slots);
        free(s->values);
        *s = (strset){.borrowed = borrowed};
}
