/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The package-file hash cache (see hashcache.h for the format). Entries
 * live in one open-addressing table, built once at load and then only
 * read (by the hashing threads); entries for the next save go into a
 * separate array, so a removed package's files fall out of the file.
 */
#include "hashcache.h"

#include <fcntl.h>
#include <md5.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

#define HC_MAGIC "RDNA1HC\n"
#define HC_MAX_FILE (UINT64_C(256) << 20)
#define HC_MAX_ENTRIES 4000000u
#define HC_ENTRY_FIXED (5 * 8 + 16 + 2)

typedef struct hc_entry {
        char *path;
        hash_key key;
        uint8_t md5[16];
} hc_entry;

struct hash_cache {
        char *dir;
        char *root;
        hash_cache_state state;
        hc_entry *loaded;     /* table of n_slots; path NULL = empty */
        size_t n_slots, n_loaded;
        hc_entry *next;       /* entries for the next save */
        size_t n_next, cap_next;
        size_t n_changed;     /* puts that were not identical to a loaded entry */
};

void hash_key_from_stat(const struct stat *st, hash_key *ret)
{
        *ret = (hash_key){
                .dev = (uint64_t)st->st_dev,
                .ino = (uint64_t)st->st_ino,
                .size = (int64_t)st->st_size,
                .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
                .ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
        };
}

static uint64_t fnv1a(const char *s)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
        return h;
}

static bool key_eq(const hash_key *a, const hash_key *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
                a->ctime_ns == b->ctime_ns;
}

static hc_entry *slot_for(const hash_cache *c, const char *path)
{
        size_t i;

        if (c->n_slots == 0)
                return NULL;
        i = (size_t)fnv1a(path) & (c->n_slots - 1);
        for (;;) {
                hc_entry *e = &c->loaded[i];

                if (!e->path || streq(e->path, path))
                        return e;
                i = (i + 1) & (c->n_slots - 1);
        }
}

static void table_clear(hash_cache *c)
{
        for (size_t i = 0; i < c->n_slots; i++)
                free(c->loaded[i].path);
        free(c->loaded);
        c->loaded = NULL;
        c->n_slots = c->n_loaded = 0;
}

/* Little-endian reader over a buffer that checks every length. */
typedef struct reader {
        const uint8_t *p, *end;
        bool bad;
} reader;

static uint64_t rd(reader *r, size_t n)
{
        uint64_t v = 0;

        if (r->bad || (size_t)(r->end - r->p) < n) {
                r->bad = true;
                return 0;
        }
        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return v;
}

static const uint8_t *rd_bytes(reader *r, size_t n)
{
        const uint8_t *p = r->p;

        if (r->bad || (size_t)(r->end - r->p) < n) {
                r->bad = true;
                return NULL;
        }
        r->p += n;
        return p;
}

int hash_cache_parse(hash_cache *c, const uint8_t *buf, size_t len)
{
        uint8_t sum[16];
        MD5_CTX ctx;
        reader r;
        uint32_t schema, n, root_len;
        const uint8_t *root;
        size_t slots = 16;

        table_clear(c);
        if (len < 8 + 12 + 16 || memcmp(buf, HC_MAGIC, 8) != 0)
                return -EBADMSG;
        MD5Init(&ctx);
        MD5Update(&ctx, buf, len - 16);
        MD5Final(sum, &ctx);
        if (memcmp(sum, buf + len - 16, 16) != 0)
                return -EBADMSG;
        r = (reader){.p = buf + 8, .end = buf + len - 16};
        schema = (uint32_t)rd(&r, 4);
        n = (uint32_t)rd(&r, 4);
        root_len = (uint32_t)rd(&r, 4);
        root = rd_bytes(&r, root_len);
        if (r.bad || schema != HASH_CACHE_SCHEMA || n > HC_MAX_ENTRIES ||
            (size_t)(r.end - r.p) / HC_ENTRY_FIXED < n)
                return -EBADMSG;
        if (strlen(c->root) != root_len || memcmp(root, c->root, root_len) != 0)
                return -EBADMSG; /* another root's cache */
        while (slots < (size_t)n * 2)
                slots <<= 1;
        c->loaded = calloc(slots, sizeof(hc_entry));
        if (!c->loaded)
                return -ENOMEM;
        c->n_slots = slots;
        for (uint32_t i = 0; i < n; i++) {
                hc_entry e = {0}, *s;
                const uint8_t *md5, *path;
                uint16_t plen;

                e.key.dev = rd(&r, 8);
                e.key.ino = rd(&r, 8);
                e.key.size = (int64_t)rd(&r, 8);
                e.key.mtime_ns = (int64_t)rd(&r, 8);
                e.key.ctime_ns = (int64_t)rd(&r, 8);
                md5 = rd_bytes(&r, 16);
                plen = (uint16_t)rd(&r, 2);
                path = rd_bytes(&r, plen);
                if (r.bad || plen == 0 || path[0] != '/' || memchr(path, '\0', plen))
                        goto bad;
                memcpy(e.md5, md5, 16);
                e.path = strndup((const char *)path, plen);
                if (!e.path) {
                        table_clear(c);
                        return -ENOMEM;
                }
                s = slot_for(c, e.path);
                if (s->path) { /* duplicate path: not something we write */
                        free(e.path);
                        goto bad;
                }
                *s = e;
                c->n_loaded++;
        }
        if (r.p != r.end)
                goto bad;
        return 0;
bad:
        table_clear(c);
        return -EBADMSG;
}

/* The cache directory: a real directory of ours that nobody else can write. */
static int open_dir(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid() || (st.st_mode & 022))
                return -EPERM;
        return TAKE_FD(fd);
}

static int load_file(hash_cache *c)
{
        _cleanup_close_ int dfd = open_dir(c->dir), fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t got = 0;

        if (dfd < 0)
                return dfd;
        fd = openat(dfd, HASH_CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -EBADMSG;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 07777) != 0600 || (uint64_t)st.st_size > HC_MAX_FILE)
                return -EBADMSG; /* foreign: not trusted */
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (got < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -EBADMSG;
                got += (size_t)k;
        }
        return hash_cache_parse(c, buf, got) == -ENOMEM ? -ENOMEM : (c->n_slots ? 1 : -EBADMSG);
}

int hash_cache_load(const char *dir, const char *root, hash_cache **ret)
{
        hash_cache *c;
        int r;

        if (!root || !ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->root = strdup(root);
        c->dir = dir ? strdup(dir) : NULL;
        if (!c->root || (dir && !c->dir)) {
                hash_cache_free(c);
                return -ENOMEM;
        }
        if (!dir)
                c->state = HASH_CACHE_UNUSABLE;
        else {
                r = load_file(c);
                if (r == -ENOMEM) {
                        hash_cache_free(c);
                        return r;
                }
                if (r == -EPERM || r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -EACCES)
                        c->state = HASH_CACHE_UNUSABLE;
                else if (r < 0)
                        c->state = HASH_CACHE_REJECTED;
                else
                        c->state = r > 0 ? HASH_CACHE_LOADED : HASH_CACHE_ABSENT;
        }
        *ret = c;
        return 0;
}

hash_cache *hash_cache_free(hash_cache *c)
{
        if (!c)
                return NULL;
        table_clear(c);
        for (size_t i = 0; i < c->n_next; i++)
                free(c->next[i].path);
        free(c->next);
        free(c->dir);
        free(c->root);
        free(c);
        return NULL;
}

hash_cache_state hash_cache_get_state(const hash_cache *c)
{
        return c->state;
}

size_t hash_cache_size(const hash_cache *c)
{
        return c->n_loaded;
}

bool hash_cache_lookup(const hash_cache *c, const char *path, const hash_key *k, uint8_t ret_md5[16])
{
        const hc_entry *e = slot_for(c, path);

        if (!e || !e->path || !key_eq(&e->key, k))
                return false;
        memcpy(ret_md5, e->md5, 16);
        return true;
}

int hash_cache_put(hash_cache *c, const char *path, const hash_key *k, const uint8_t md5[16])
{
        const hc_entry *old = slot_for(c, path);
        hc_entry *e;

        if (strlen(path) > UINT16_MAX || path[0] != '/')
                return 0; /* never written, never looked up */
        if (c->n_next == c->cap_next) {
                size_t cap = c->cap_next ? c->cap_next * 2 : 256;
                hc_entry *a = realloc(c->next, cap * sizeof(*a));

                if (!a)
                        return -ENOMEM;
                c->next = a;
                c->cap_next = cap;
        }
        e = &c->next[c->n_next];
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        e->key = *k;
        memcpy(e->md5, md5, 16);
        c->n_next++;
        if (!old || !old->path || !key_eq(&old->key, k) || memcmp(old->md5, md5, 16) != 0)
                c->n_changed++;
        return 0;
}

/* A growable little-endian buffer. */
typedef struct wbuf {
        uint8_t *p;
        size_t len, cap;
        bool oom;
} wbuf;

static void wr(wbuf *w, const void *data, size_t n)
{
        if (w->oom)
                return;
        if (w->len + n > w->cap) {
                size_t cap = w->cap ? w->cap : 4096;
                uint8_t *a;

                while (cap < w->len + n)
                        cap *= 2;
                a = realloc(w->p, cap);
                if (!a) {
                        w->oom = true;
                        return;
                }
                w->p = a;
                w->cap = cap;
        }
        memcpy(w->p + w->len, data, n);
        w->len += n;
}

static void wr_le(wbuf *w, uint64_t v, size_t n)
{
        uint8_t b[8];

        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        wr(w, b, n);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int hash_cache_save(hash_cache *c)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        wbuf w = {0};
        uint8_t sum[16];
        MD5_CTX ctx;
        int r;

        if (c->state == HASH_CACHE_UNUSABLE)
                return 0;
        if (c->state == HASH_CACHE_LOADED && c->n_changed == 0 && c->n_next == c->n_loaded)
                return 0;
        if (c->n_next > HC_MAX_ENTRIES)
                return -E2BIG;
        wr(&w, HC_MAGIC, 8);
        wr_le(&w, HASH_CACHE_SCHEMA, 4);
        wr_le(&w, c->n_next, 4);
        wr_le(&w, strlen(c->root), 4);
        wr(&w, c->root, strlen(c->root));
        for (size_t i = 0; i < c->n_next; i++) {
                const hc_entry *e = &c->next[i];

                wr_le(&w, e->key.dev, 8);
                wr_le(&w, e->key.ino, 8);
                wr_le(&w, (uint64_t)e->key.size, 8);
                wr_le(&w, (uint64_t)e->key.mtime_ns, 8);
                wr_le(&w, (uint64_t)e->key.ctime_ns, 8);
                wr(&w, e->md5, 16);
                wr_le(&w, strlen(e->path), 2);
                wr(&w, e->path, strlen(e->path));
        }
        if (w.oom) {
                free(w.p);
                return -ENOMEM;
        }
        MD5Init(&ctx);
        MD5Update(&ctx, w.p, w.len);
        MD5Final(sum, &ctx);
        wr(&w, sum, 16);
        if (w.oom) {
                free(w.p);
                return -ENOMEM;
        }

        dfd = open_dir(c->dir);
        if (dfd < 0) {
                free(w.p);
                return dfd;
        }
        tmp = strdup_printf(".%s.%d.tmp", HASH_CACHE_FILE, (int)getpid());
        if (!tmp) {
                free(w.p);
                return -ENOMEM;
        }
        (void)unlinkat(dfd, tmp, 0); /* a leftover of a crashed run with our pid */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                free(w.p);
                return -errno;
        }
        r = fchmod(fd, 0600) < 0 ? -errno : 0; /* whatever the umask */
        if (r == 0)
                r = write_all(fd, w.p, w.len);
        free(w.p);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, HASH_CACHE_FILE) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        return 1;
}
