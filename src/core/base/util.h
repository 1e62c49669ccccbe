/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Small helpers shared by every part of the core: cleanup attributes,
 * ownership transfer, a few string utilities, the read and write loops
 * and mkdir -p.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/*
 * DEFINE_TRIVIAL_CLEANUP_FUNC(report *, report_free) defines
 * report_freep(report **p), which calls report_free(*p) unless *p is NULL:
 * the function _cleanup_() wants, so that
 *         _cleanup_(report_freep) report *r = NULL;
 * is freed on every path out of its scope (systemd's macro of that name).
 * Every destructor of the core has one, declared next to it.
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p)             \
        {                                               \
                if (*p)                                 \
                        func(*p);                       \
        }                                               \
        struct __useless_struct_to_allow_trailing_semicolon__

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand ownership of a pointer to the caller: *ret = TAKE_PTR(p); */
#define TAKE_PTR(p)                            \
        ({                                     \
                __typeof__(p) _tmp_ = (p);     \
                (p) = NULL;                    \
                _tmp_;                         \
        })

#define TAKE_FD(fd)                \
        ({                         \
                int _tmp_ = (fd);  \
                (fd) = -EBADF;     \
                _tmp_;             \
        })

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static inline const char *startswith(const char *s, const char *prefix)
{
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

bool endswith(const char *s, const char *suffix);

/* qsort()/bsearch() comparator for arrays of char *: strcmp order. */
int strcmp_ptr(const void *a, const void *b);

/* Like strdup()/asprintf() but NULL on failure, never abort. */
char *strdup_printf(const char *fmt, ...) _printf_(1, 2);

/* Strip leading/trailing ASCII whitespace in place; returns s. */
char *strstrip(char *s);

/*
 * Copy of s with every byte that is not printable ASCII or valid UTF-8
 * replaced by a \xNN escape (control characters, DEL, invalid UTF-8).
 * Strings from inspected files go through this before reaching a terminal.
 * At most max_len input bytes are taken (0: all); longer input ends in "…".
 * Returns NULL on allocation failure.
 */
char *escape_untrusted(const char *s, size_t len, size_t max_len);

/*
 * Write all len bytes of buf to fd, again after EINTR and short writes.
 * Returns: < 0 (-errno of the failing write) on error, else 0.
 */
int loop_write(int fd, const void *buf, size_t len);

/*
 * Read up to len bytes from fd into buf, again after EINTR and short reads,
 * stopping early only at end of file.
 * Returns: < 0 (-errno of the failing read) on error, else the bytes read.
 */
ssize_t loop_read(int fd, void *buf, size_t len);

/*
 * mkdir -p path (a host path): each missing directory above it is made with
 * parent_mode, path itself with mode; existing ones are left as they are.
 * Returns: < 0 (-errno of the failing mkdir) on error, else 0.
 */
int mkdir_p_mode(const char *path, mode_t parent_mode, mode_t mode);

/*
 * The next line of buf[0..len) from *pos: *ret_line points at it and
 * *ret_n is its length without the '\n' (a last line without one counts
 * too); *pos moves past it. NUL bytes are ordinary bytes here.
 * Returns: false at the end of buf (nothing set), else true.
 */
bool buf_next_line(const char *buf, size_t len, size_t *pos, const char **ret_line, size_t *ret_n);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and elapsed times, never for dates. */
uint64_t now_ms(void);

/* Parse a decimal/hex unsigned integer; whole string must match. */
int safe_atou64(const char *s, int base, uint64_t *ret);

/* A growable array of char* (NULL-terminated). */
typedef struct strv {
        char **items;
        size_t n;
        size_t cap;
} strv;

int strv_push(strv *v, char *s);           /* takes ownership */
int strv_push_dup(strv *v, const char *s); /* copies */
bool strv_contains(const strv *v, const char *s);
void strv_sort(strv *v);                   /* strcmp order */
void strv_clear(strv *v);

/* Hex encoding of binary bytes (lowercase). Returns NULL on ENOMEM. */
char *hex_encode(const uint8_t *buf, size_t len);
