/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "parse/torch_version.h"

#define VALUE_MAX 128

/*
 * One line "NAME[: TYPE] = 'VALUE'" (or "..."): 1 with *ret set to VALUE
 * (malloc'd), 0 when the line assigns something else to NAME (None) or is
 * another line, -ENOMEM.
 */
static int assignment(const char *line, size_t len, const char *name, char **ret)
{
        size_t n = strlen(name), i = n, start;
        char quote;

        if (len <= n || strncmp(line, name, n) != 0 || (line[n] != ' ' && line[n] != ':' && line[n] != '='))
                return 0;
        while (i < len && line[i] != '=')
                i++;
        if (i >= len || (i + 1 < len && line[i + 1] == '='))
                return 0;
        for (i++; i < len && isblank((unsigned char)line[i]); i++)
                ;
        if (i >= len || (line[i] != '\'' && line[i] != '"'))
                return 0;
        quote = line[i++];
        start = i;
        while (i < len && line[i] != quote && line[i] != '\\')
                i++;
        if (i >= len || line[i] != quote || i - start == 0 || i - start > VALUE_MAX)
                return 0;
        *ret = strndup(line + start, i - start);
        return *ret ? 1 : -ENOMEM;
}

int torch_version_parse(const char *text, size_t len, char **ret_version, char **ret_hip)
{
        _cleanup_free_ char *version = NULL, *hip = NULL;
        const char *p = text, *end = text + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
                char *v = NULL;
                int k;

                k = assignment(p, l, "__version__", &v);
                if (k > 0) {
                        free(version);
                        version = v;
                }
                if (k == 0) {
                        k = assignment(p, l, "hip", &v);
                        if (k > 0) {
                                free(hip);
                                hip = v;
                        }
                }
                if (k < 0)
                        return k;
                p += l + 1;
        }
        *ret_version = TAKE_PTR(version);
        *ret_hip = TAKE_PTR(hip);
        return 0;
}
