/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The package-file hash cache (see hashcache.h for the format). Entries
 * live in one open-addressing table, built once at load and then only
 * read (by the hashing threads); entries for the next save go into a
 * separate array, so a removed package's files fall out of the file.
 */
#include "probe/hashcache.h"

#include <fcntl.h>
#include <zlib.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/strset.h"
#include "base/util.h"

#define HC_MAGIC "RDNA1HC\n"
#define HC_MAX_FILE (UINT64_C(256) << 20)
#define HC_MAX_ENTRIES 4000000u
#define HC_ENTRY_FIXED (5 * 8 + 16 + 2)

/* A loaded entry: the path points into the file's buffer (not NUL-terminated). */
typedef struct hc_entry {
        const char *path;
        uint16_t len;
        bool used;            /* put again in this session with the same key and digest */
        hash_key key;
        uint8_t md5[16];
} hc_entry;

/* An entry put in this session that the file did not have. */
typedef struct hc_new {
        char *path;
        hash_key key;
        uint8_t md5[16];
} hc_new;

struct hash_cache {
        char *dir;
        char *root;
        hash_cache_state state;
        uint8_t *buf;         /* the file as read; loaded paths point into it */
        hc_entry *loaded;
        size_t n_loaded, n_used;
        uint32_t *table;      /* index + 1 into loaded; 0 = empty */
        size_t n_slots;
        hc_new *added;
        size_t n_added, cap_added;
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

static bool key_eq(const hash_key *a, const hash_key *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
                a->ctime_ns == b->ctime_ns;
}

/* The table slot holding path, or the empty slot where it would go. */
static uint32_t *slot_for(const hash_cache *c, const char *path, size_t len)
{
        size_t i;

        if (c->n_slots == 0)
                return NULL;
        i = (size_t)hash_bytes(path, len) & (c->n_slots - 1);
        for (;;) {
                uint32_t *s = &c->table[i];
                const hc_entry *e;

                if (*s == 0)
                        return s;
                e = &c->loaded[*s - 1];
                if (e->len == len && memcmp(e->path, path, len) == 0)
                        return s;
                i = (i + 1) & (c->n_slots - 1);
        }
}

static hc_entry *find(const hash_cache *c, const char *path, size_t len)
{
        uint32_t *s = slot_for(c, path, len);

        return s && *s ? &c->loaded[*s - 1] : NULL;
}

static void table_clear(hash_cache *c)
{
        free(c->table);
        free(c->loaded);
        free(c->buf);
        c->table = NULL;
        c->loaded = NULL;
        c->buf = NULL;
        c->n_slots = c->n_loaded = c->n_used = 0;
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

/* Takes buf (allocated with malloc) in all cases. */
static int parse_owned(hash_cache *c, uint8_t *buf, size_t len)
{
        uLong crc;
        reader r;
        uint32_t schema, n, root_len;
        const uint8_t *root;
        size_t slots = 16;

        table_clear(c);
        c->buf = buf;
        if (len < 8 + 12 + 4 || len > UINT32_MAX || memcmp(buf, HC_MAGIC, 8) != 0)
                goto bad;
        crc = crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(len - 4));
        r = (reader){.p = buf + len - 4, .end = buf + len};
        if (rd(&r, 4) != (uint32_t)crc)
                goto bad;
        r = (reader){.p = buf + 8, .end = buf + len - 4};
        schema = (uint32_t)rd(&r, 4);
        n = (uint32_t)rd(&r, 4);
        root_len = (uint32_t)rd(&r, 4);
        root = rd_bytes(&r, root_len);
        if (r.bad || schema != HASH_CACHE_SCHEMA || n > HC_MAX_ENTRIES ||
            (size_t)(r.end - r.p) / HC_ENTRY_FIXED < n)
                goto bad;
        if (strlen(c->root) != root_len || memcmp(root, c->root, root_len) != 0)
                goto bad; /* another root's cache */
        while (slots < (size_t)n * 2)
                slots <<= 1;
        c->table = calloc(slots, sizeof(uint32_t));
        c->loaded = malloc((n ?: 1) * sizeof(hc_entry));
        if (!c->table || !c->loaded) {
                table_clear(c);
                return -ENOMEM;
        }
        c->n_slots = slots;
        for (uint32_t i = 0; i < n; i++) {
                hc_entry *e = &c->loaded[i];
                const uint8_t *md5, *path;
                uint32_t *s;

                e->key.dev = rd(&r, 8);
                e->key.ino = rd(&r, 8);
                e->key.size = (int64_t)rd(&r, 8);
                e->key.mtime_ns = (int64_t)rd(&r, 8);
                e->key.ctime_ns = (int64_t)rd(&r, 8);
                md5 = rd_bytes(&r, 16);
                e->len = (uint16_t)rd(&r, 2);
                path = rd_bytes(&r, e->len);
                if (r.bad || e->len == 0 || path[0] != '/' || memchr(path, '\0', e->len))
                        goto bad;
                memcpy(e->md5, md5, 16);
                e->path = (const char *)path;
                e->used = false;
                s = slot_for(c, e->path, e->len);
                if (*s) /* duplicate path: not something we write */
                        goto bad;
                *s = i + 1;
                c->n_loaded++;
        }
        if (r.p != r.end)
                goto bad;
        return 0;
bad:
        table_clear(c);
        return -EBADMSG;
}

int hash_cache_parse(hash_cache *c, const uint8_t *buf, size_t len)
{
        uint8_t *copy = malloc(len ?: 1);

        if (!copy)
                return -ENOMEM;
        memcpy(copy, buf, len);
        return parse_owned(c, copy, len);
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
        ssize_t n;
        int r;

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
        n = loop_read(fd, buf, (size_t)st.st_size);
        if (n != (ssize_t)st.st_size)
                return -EBADMSG;
        r = parse_owned(c, TAKE_PTR(buf), (size_t)n);
        return r == -ENOMEM ? -ENOMEM : (c->n_slots ? 1 : -EBADMSG);
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
        for (size_t i = 0; i < c->n_added; i++)
                free(c->added[i].path);
        free(c->added);
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

bool hash_cache_lookup_ref(const hash_cache *c, const char *path, const hash_key *k, uint8_t ret_md5[16],
                           uint32_t *ret_ref)
{
        const hc_entry *e = find(c, path, strlen(path));

        if (!e || !key_eq(&e->key, k))
                return false;
        memcpy(ret_md5, e->md5, 16);
        if (ret_ref)
                *ret_ref = (uint32_t)(e - c->loaded) + 1;
        return true;
}

bool hash_cache_lookup(const hash_cache *c, const char *path, const hash_key *k, uint8_t ret_md5[16])
{
        return hash_cache_lookup_ref(c, path, k, ret_md5, NULL);
}

void hash_cache_keep(hash_cache *c, uint32_t ref)
{
        hc_entry *e;

        if (ref == 0 || ref > c->n_loaded)
                return;
        e = &c->loaded[ref - 1];
        if (!e->used) {
                e->used = true;
                c->n_used++;
        }
}

int hash_cache_put(hash_cache *c, const char *path, const hash_key *k, const uint8_t md5[16])
{
        size_t len = strlen(path);
        hc_entry *old;
        hc_new *e;

        if (len > UINT16_MAX || path[0] != '/')
                return 0; /* never written, never looked up */
        old = find(c, path, len);
        if (old && key_eq(&old->key, k) && memcmp(old->md5, md5, 16) == 0) {
                if (!old->used) {
                        old->used = true;
                        c->n_used++;
                }
                return 0;
        }
        if (c->n_added == c->cap_added) {
                size_t cap = c->cap_added ? c->cap_added * 2 : 256;
                hc_new *a = realloc(c->added, cap * sizeof(*a));

                if (!a)
                        return -ENOMEM;
                c->added = a;
                c->cap_added = cap;
        }
        e = &c->added[c->n_added];
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        e->key = *k;
        memcpy(e->md5, md5, 16);
        c->n_added++;
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

static void wr_entry(wbuf *w, const hash_key *k, const uint8_t md5[16], const char *path, size_t len)
{
        wr_le(w, k->dev, 8);
        wr_le(w, k->ino, 8);
        wr_le(w, (uint64_t)k->size, 8);
        wr_le(w, (uint64_t)k->mtime_ns, 8);
        wr_le(w, (uint64_t)k->ctime_ns, 8);
        wr(w, md5, 16);
        wr_le(w, len, 2);
        wr(w, path, len);
}

static int cmp_new(const void *a, const void *b)
{
        return strcmp(((const hc_new *)a)->path, ((const hc_new *)b)->path);
}

int hash_cache_save(hash_cache *c)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        wbuf w = {0};
        size_t n_dup = 0;
        int r;

        if (c->state == HASH_CACHE_UNUSABLE)
                return 0;
        if (c->state == HASH_CACHE_LOADED && c->n_added == 0 && c->n_used == c->n_loaded)
                return 0;
        if (c->n_used + c->n_added > HC_MAX_ENTRIES)
                return -E2BIG;
        wr(&w, HC_MAGIC, 8);
        wr_le(&w, HASH_CACHE_SCHEMA, 4);
        wr_le(&w, c->n_used + c->n_added, 4);
        wr_le(&w, strlen(c->root), 4);
        wr(&w, c->root, strlen(c->root));
        for (size_t i = 0; i < c->n_loaded; i++) {
                const hc_entry *e = &c->loaded[i];

                if (!e->used)
                        continue; /* not put in this session: the file is gone or changed */
                wr_entry(&w, &e->key, e->md5, e->path, e->len);
        }
        /* A path put twice (one file of two Multi-Arch: same packages) is written once. */
        if (c->n_added > 1)
                qsort(c->added, c->n_added, sizeof(hc_new), cmp_new);
        for (size_t i = 0; i < c->n_added; i++) {
                const hc_new *e = &c->added[i];
                const hc_entry *old = find(c, e->path, strlen(e->path));

                if ((i > 0 && streq(c->added[i - 1].path, e->path)) || (old && old->used)) {
                        n_dup++;
                        continue;
                }
                wr_entry(&w, &e->key, e->md5, e->path, strlen(e->path));
        }
        /* the count in the header */
        if (!w.oom)
                for (size_t b = 0; b < 4; b++)
                        w.p[12 + b] = (uint8_t)((c->n_used + c->n_added - n_dup) >> (8 * b));
        if (w.oom) {
                free(w.p);
                return -ENOMEM;
        }
        if (w.len > UINT32_MAX) {
                free(w.p);
                return -E2BIG;
        }
        wr_le(&w, (uint32_t)crc32(crc32(0L, Z_NULL, 0), w.p, (uInt)w.len), 4);
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
                r = loop_write(fd, w.p, w.len);
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
