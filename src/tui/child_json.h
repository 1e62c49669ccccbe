/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Reading what a child doctor printed (child.c, profiles.c) into the
 * screens' fixed-size text: its JSON fields, escaped for the terminal.
 */

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* s (NULL: "") escaped into dst, cut to fit; "?" when out of memory. */
static inline void copy_escaped(char *dst, size_t size, const char *s)
{
        _cleanup_free_ char *e = escape_untrusted(s ? s : "", s ? strlen(s) : 0, size - 4);

        snprintf(dst, size, "%s", e ? e : "?");
}

/* The string value of o's member key; NULL when absent or null. */
static inline const char *jstr(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null)
                       ? json_object_get_string(v) : NULL;
}
