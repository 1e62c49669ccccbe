/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming scan of a kernel module. The decoded bytes go into a window
 * buffer: a tail kept from the previous window followed by up to one chunk
 * of new bytes. A window is scanned only when it is full (and once more at
 * the end), so the windows fall at the same decoded offsets however the
 * input is split. The tail is at least as long as the longest thing we look
 * for, so every occurrence lies whole in some window; an occurrence that
 * runs past the end of a window that is not the last is left for the next
 * one, where it starts inside the tail.
 */
#include <fcntl.h>
#define ZLIB_CONST
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/util.h"
#include "parse/ko_scan.h"

#define KO_CHUNK_DEFAULT (128u * 1024u)
#define KO_READ_BUF (256u * 1024u)
#define KO_VALUE_MAX 256
#define KO_MARKER_MAX 4096
#define KO_DEFAULT_MAX_DECODED (UINT64_C(1) << 30)
/* xz -9 needs 65 MiB; a header asking for more is not a kernel module. */
#define KO_XZ_MEMLIMIT (UINT64_C(256) << 20)
/* Bound one decoder call so that uInt/size_t lengths never overflow. */
#define KO_FEED_PIECE (UINT32_C(1) << 30)
#define KO_MAGIC_MAX 6

static const char sig_trailer[] = "~Module signature appended~\n";
#define SIG_LEN (sizeof(sig_trailer) - 1)

/* type NT_GNU_BUILD_ID (3) and name "GNU\0": the fixed part after namesz, descsz */
static const uint8_t note_tail[8] = {3, 0, 0, 0, 'G', 'N', 'U', 0};
#define NOTE_HEADER 16

static const uint8_t magic_gzip[] = {0x1f, 0x8b};
static const uint8_t magic_xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t magic_zstd[] = {0x28, 0xb5, 0x2f, 0xfd};

enum {
        KEY_SRCVERSION,
        KEY_VERMAGIC,
        KEY_NAME,
        KEY_VERSION,
        _KEY_MAX,
};

/* A key counts only at the start of a .modinfo string: after a NUL. */
static const struct {
        const char *pattern;
        size_t len;
} modinfo_keys[_KEY_MAX] = {
        [KEY_SRCVERSION] = {"\0srcversion=", sizeof("\0srcversion=") - 1},
        [KEY_VERMAGIC] = {"\0vermagic=", sizeof("\0vermagic=") - 1},
        [KEY_NAME] = {"\0name=", sizeof("\0name=") - 1},
        [KEY_VERSION] = {"\0version=", sizeof("\0version=") - 1},
};

struct ko_scanner {
        const char *const *markers;
        size_t marker_len[KO_MAX_MARKERS];
        size_t n_markers;
        uint64_t max_decoded;

        int error;       /* sticky: every later call returns it */
        bool finished;
        bool fed;

        uint8_t magic[KO_MAGIC_MAX];
        size_t magic_len;
        bool detected;
        ko_compression compression;

        z_stream z;
        bool z_init;
        bool z_member_done;
        lzma_stream xz;
        bool xz_init;
        ZSTD_DStream *zstd;
        size_t zstd_hint;  /* 0: between frames */

        uint8_t *win;
        size_t win_len;
        size_t win_cap;    /* tail_max + chunk */
        size_t tail_max;

        uint8_t head[4];
        size_t head_len;
        uint64_t decoded;

        ko_info info;      /* what has been found so far */
};

const char *ko_compression_to_string(ko_compression c)
{
        static const char *const table[_KO_COMPRESSION_MAX] = {
                [KO_COMPRESSION_NONE] = "none",
                [KO_COMPRESSION_GZIP] = "gzip",
                [KO_COMPRESSION_XZ] = "xz",
                [KO_COMPRESSION_ZSTD] = "zstd",
        };
        return c >= 0 && c < _KO_COMPRESSION_MAX ? table[c] : NULL;
}

void ko_info_clear(ko_info *info)
{
        if (!info)
                return;
        free(info->srcversion);
        free(info->vermagic);
        free(info->name);
        free(info->version);
        *info = (ko_info){0};
}

static int strdup_opt(const char *s, char **ret)
{
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int ko_info_copy(const ko_info *src, ko_info *dst)
{
        ko_info t;

        if (!src || !dst || src->build_id_len > KO_BUILD_ID_MAX)
                return -EINVAL;
        t = *src;
        t.srcversion = t.vermagic = t.name = t.version = NULL;
        if (strdup_opt(src->srcversion, &t.srcversion) < 0 ||
            strdup_opt(src->vermagic, &t.vermagic) < 0 ||
            strdup_opt(src->name, &t.name) < 0 ||
            strdup_opt(src->version, &t.version) < 0) {
                ko_info_clear(&t);
                return -ENOMEM;
        }
        *dst = t;
        return 0;
}

char *ko_info_build_id_hex(const ko_info *info)
{
        if (!info || info->build_id_len == 0 || info->build_id_len > KO_BUILD_ID_MAX)
                return NULL;
        return hex_encode(info->build_id, info->build_id_len);
}

static size_t compute_tail(const ko_scanner *s)
{
        size_t t = SIG_LEN;

        if (t < NOTE_HEADER + KO_BUILD_ID_MAX)
                t = NOTE_HEADER + KO_BUILD_ID_MAX;
        for (size_t k = 0; k < _KEY_MAX; k++)
                if (t < modinfo_keys[k].len + KO_VALUE_MAX + 1)
                        t = modinfo_keys[k].len + KO_VALUE_MAX + 1;
        for (size_t i = 0; i < s->n_markers; i++)
                if (t < s->marker_len[i])
                        t = s->marker_len[i];
        return t;
}

static int scanner_alloc_window(ko_scanner *s, size_t chunk)
{
        uint8_t *w = malloc(s->tail_max + chunk);

        if (!w)
                return -ENOMEM;
        free(s->win);
        s->win = w;
        s->win_cap = s->tail_max + chunk;
        return 0;
}

int ko_scanner_new(const char *const *markers, size_t n_markers, uint64_t max_decoded,
                   ko_scanner **ret)
{
        ko_scanner *s;

        if (!ret || n_markers > KO_MAX_MARKERS || (n_markers > 0 && !markers))
                return -EINVAL;
        for (size_t i = 0; i < n_markers; i++)
                if (!markers[i] || markers[i][0] == '\0' ||
                    strnlen(markers[i], KO_MARKER_MAX + 1) > KO_MARKER_MAX)
                        return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->markers = markers;
        s->n_markers = n_markers;
        for (size_t i = 0; i < n_markers; i++)
                s->marker_len[i] = strlen(markers[i]);
        s->max_decoded = max_decoded ? max_decoded : KO_DEFAULT_MAX_DECODED;
        s->compression = KO_COMPRESSION_NONE;
        s->tail_max = compute_tail(s);
        if (scanner_alloc_window(s, KO_CHUNK_DEFAULT) < 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

const char *const ko_suffixes[] = {".ko", ".ko.zst", ".ko.xz", ".ko.gz", NULL};

bool ko_name_is_module(const char *path)
{
        for (const char *const *s = ko_suffixes; *s; s++)
                if (endswith(path, *s))
                        return true;
        return false;
}

bool ko_name_is_module_of(const char *path, const char *module)
{
        const char *base = strrchr(path, '/'), *rest;

        rest = startswith(base ? base + 1 : path, module);
        if (!rest)
                return false;
        for (const char *const *s = ko_suffixes; *s; s++)
                if (streq(rest, *s))
                        return true;
        return false;
}

ko_scanner *ko_scanner_free(ko_scanner *s)
{
        if (!s)
                return NULL;
        if (s->z_init)
                inflateEnd(&s->z);
        if (s->xz_init)
                lzma_end(&s->xz);
        ZSTD_freeDStream(s->zstd);
        free(s->win);
        ko_info_clear(&s->info);
        free(s);
        return NULL;
}

int ko_scanner_set_chunk_size(ko_scanner *s, size_t chunk)
{
        if (!s || chunk == 0 || chunk > SIZE_MAX / 2)
                return -EINVAL;
        if (s->fed || s->finished)
                return -EBUSY;
        return scanner_alloc_window(s, chunk);
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The first note with namesz 4, type NT_GNU_BUILD_ID and name "GNU". */
static void find_build_id(ko_scanner *s)
{
        const uint8_t *w = s->win;
        size_t n = s->win_len, off = 0;

        while (off < n) {
                const uint8_t *q = memmem(w + off, n - off, note_tail, sizeof(note_tail));
                size_t pos, descsz;

                if (!q)
                        return;
                pos = (size_t)(q - w);
                off = pos + 1;
                /*
                 * A header cut off at the window start lay whole in the
                 * previous window (the tail is longer than a note) and was
                 * judged there; at the stream start it is no note at all.
                 */
                if (pos < 8 || le32(q - 8) != 4)
                        continue;
                descsz = le32(q - 4);
                if (descsz == 0 || descsz > KO_BUILD_ID_MAX)
                        continue;
                /* Runs past the window: the next window has it whole (or the stream ends). */
                if (pos + sizeof(note_tail) + descsz > n)
                        return;
                memcpy(s->info.build_id, q + sizeof(note_tail), descsz);
                s->info.build_id_len = descsz;
                return;
        }
}

static char **key_slot(ko_info *info, size_t k)
{
        switch (k) {
        case KEY_SRCVERSION:
                return &info->srcversion;
        case KEY_VERMAGIC:
                return &info->vermagic;
        case KEY_NAME:
                return &info->name;
        default:
                return &info->version;
        }
}

/* The first occurrence of a key: its value up to the NUL, at most KO_VALUE_MAX bytes. */
static int find_key(ko_scanner *s, size_t k, bool final)
{
        char **slot = key_slot(&s->info, k);
        const uint8_t *p, *v, *nul;
        size_t avail, vlen;

        if (*slot)
                return 0;
        p = memmem(s->win, s->win_len, modinfo_keys[k].pattern, modinfo_keys[k].len);
        if (!p)
                return 0;
        v = p + modinfo_keys[k].len;
        avail = s->win_len - (size_t)(v - s->win);
        nul = memchr(v, 0, avail < KO_VALUE_MAX + 1 ? avail : KO_VALUE_MAX + 1);
        if (nul)
                vlen = (size_t)(nul - v);
        else if (avail > KO_VALUE_MAX)
                vlen = KO_VALUE_MAX;
        else if (final)
                vlen = avail;
        else
                return 0; /* the value may go on: the tail keeps it for the next window */
        *slot = strndup((const char *)v, vlen);
        return *slot ? 0 : -ENOMEM;
}

static int scan_window(ko_scanner *s, bool final)
{
        for (size_t i = 0; i < s->n_markers; i++)
                if (!(s->info.markers_found & (UINT32_C(1) << i)) &&
                    memmem(s->win, s->win_len, s->markers[i], s->marker_len[i]))
                        s->info.markers_found |= UINT32_C(1) << i;
        if (s->info.build_id_len == 0)
                find_build_id(s);
        for (size_t k = 0; k < _KEY_MAX; k++) {
                int r = find_key(s, k, final);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Free space for decoded bytes (never empty: a full window is scanned at once). */
static uint8_t *sink_space(ko_scanner *s, size_t *ret_avail)
{
        *ret_avail = s->win_cap - s->win_len;
        return s->win + s->win_len;
}

static int sink_commit(ko_scanner *s, size_t n)
{
        size_t keep;
        int r;

        if (n == 0)
                return 0;
        if (n > s->max_decoded - s->decoded)
                return -EFBIG;
        for (size_t i = 0; s->head_len < sizeof(s->head) && i < n; i++)
                s->head[s->head_len++] = s->win[s->win_len + i];
        s->decoded += n;
        s->win_len += n;
        if (s->win_len < s->win_cap)
                return 0;

        r = scan_window(s, false);
        if (r < 0)
                return r;
        keep = s->tail_max < s->win_len ? s->tail_max : s->win_len;
        memmove(s->win, s->win + s->win_len - keep, keep);
        s->win_len = keep;
        return 0;
}

static int plain_decode(ko_scanner *s, const uint8_t *buf, size_t len)
{
        while (len > 0) {
                size_t avail, n;
                uint8_t *space = sink_space(s, &avail);
                int r;

                n = len < avail ? len : avail;
                memcpy(space, buf, n);
                r = sink_commit(s, n);
                if (r < 0)
                        return r;
                buf += n;
                len -= n;
        }
        return 0;
}

static int gzip_decode(ko_scanner *s, const uint8_t *buf, size_t len)
{
        s->z.next_in = buf;
        s->z.avail_in = (uInt)len;
        for (;;) {
                size_t avail, produced;
                uint8_t *space;
                int zr, r;

                /* Another member follows (multi-member gzip, as gzip(1) writes with -c >>). */
                if (s->z_member_done) {
                        if (s->z.avail_in == 0)
                                return 0;
                        if (inflateReset(&s->z) != Z_OK)
                                return -EBADMSG;
                        s->z_member_done = false;
                }
                space = sink_space(s, &avail);
                s->z.next_out = space;
                s->z.avail_out = (uInt)avail;
                zr = inflate(&s->z, Z_NO_FLUSH);
                produced = avail - s->z.avail_out;
                r = sink_commit(s, produced);
                if (r < 0)
                        return r;
                if (zr == Z_STREAM_END) {
                        s->z_member_done = true;
                        continue;
                }
                if (zr == Z_BUF_ERROR)
                        return s->z.avail_in == 0 ? 0 : -EBADMSG;
                if (zr == Z_MEM_ERROR)
                        return -ENOMEM;
                if (zr != Z_OK)
                        return -EBADMSG;
                if (s->z.avail_in == 0 && produced < avail)
                        return 0;
        }
}

static int lzma_to_errno(lzma_ret lr)
{
        switch (lr) {
        case LZMA_MEM_ERROR:
                return -ENOMEM;
        case LZMA_MEMLIMIT_ERROR:
                return -EFBIG;
        default:
                return -EBADMSG;
        }
}

static int xz_decode(ko_scanner *s, const uint8_t *buf, size_t len, lzma_action action)
{
        s->xz.next_in = buf;
        s->xz.avail_in = len;
        for (;;) {
                size_t avail, produced;
                uint8_t *space = sink_space(s, &avail);
                lzma_ret lr;
                int r;

                s->xz.next_out = space;
                s->xz.avail_out = avail;
                lr = lzma_code(&s->xz, action);
                produced = avail - s->xz.avail_out;
                r = sink_commit(s, produced);
                if (r < 0)
                        return r;
                if (lr == LZMA_STREAM_END)
                        return 0;
                /* With LZMA_FINISH, no progress means the input ended early. */
                if (lr == LZMA_BUF_ERROR)
                        return action == LZMA_FINISH ? -EBADMSG : 0;
                if (lr != LZMA_OK)
                        return lzma_to_errno(lr);
                if (action == LZMA_RUN && s->xz.avail_in == 0 && produced < avail)
                        return 0;
        }
}

static int zstd_to_errno(size_t zr)
{
        switch (ZSTD_getErrorCode(zr)) {
        case ZSTD_error_memory_allocation:
                return -ENOMEM;
        case ZSTD_error_frameParameter_windowTooLarge:
                return -EFBIG;
        default:
                return -EBADMSG;
        }
}

static int zstd_decode(ko_scanner *s, const uint8_t *buf, size_t len)
{
        ZSTD_inBuffer in = {.src = buf, .size = len, .pos = 0};

        for (;;) {
                size_t avail, zr;
                uint8_t *space = sink_space(s, &avail);
                ZSTD_outBuffer out = {.dst = space, .size = avail, .pos = 0};
                size_t before = in.pos;
                int r;

                zr = ZSTD_decompressStream(s->zstd, &out, &in);
                if (ZSTD_isError(zr))
                        return zstd_to_errno(zr);
                r = sink_commit(s, out.pos);
                if (r < 0)
                        return r;
                /*
                 * A call without progress after a frame ended reports the
                 * next frame's header size: that frame has not begun.
                 */
                if (in.pos > before || out.pos > 0)
                        s->zstd_hint = zr;
                /* Output space left over, or a frame done and flushed: all decodable input is out. */
                if (in.pos == in.size && (out.pos < out.size || zr == 0))
                        return 0;
        }
}

static ko_compression detect_compression(const uint8_t *m, size_t n)
{
        if (n >= sizeof(magic_gzip) && memcmp(m, magic_gzip, sizeof(magic_gzip)) == 0)
                return KO_COMPRESSION_GZIP;
        if (n >= sizeof(magic_xz) && memcmp(m, magic_xz, sizeof(magic_xz)) == 0)
                return KO_COMPRESSION_XZ;
        if (n >= sizeof(magic_zstd) && memcmp(m, magic_zstd, sizeof(magic_zstd)) == 0)
                return KO_COMPRESSION_ZSTD;
        return KO_COMPRESSION_NONE;
}

static int decoder_init(ko_scanner *s)
{
        s->compression = detect_compression(s->magic, s->magic_len);
        s->detected = true;
        switch (s->compression) {
        case KO_COMPRESSION_GZIP:
                /* 15 + 32: gzip or zlib header, detected by zlib */
                if (inflateInit2(&s->z, 15 + 32) != Z_OK)
                        return -ENOMEM;
                s->z_init = true;
                return 0;
        case KO_COMPRESSION_XZ: {
                lzma_ret lr = lzma_stream_decoder(&s->xz, KO_XZ_MEMLIMIT, LZMA_CONCATENATED);

                if (lr != LZMA_OK)
                        return lzma_to_errno(lr);
                s->xz_init = true;
                return 0;
        }
        case KO_COMPRESSION_ZSTD:
                s->zstd = ZSTD_createDStream();
                if (!s->zstd)
                        return -ENOMEM;
                if (ZSTD_isError(ZSTD_initDStream(s->zstd)))
                        return -ENOMEM;
                s->zstd_hint = 1; /* a frame has begun */
                return 0;
        default:
                return 0;
        }
}

static int decode(ko_scanner *s, const uint8_t *buf, size_t len)
{
        while (len > 0) {
                size_t n = len < KO_FEED_PIECE ? len : KO_FEED_PIECE;
                int r;

                switch (s->compression) {
                case KO_COMPRESSION_GZIP:
                        r = gzip_decode(s, buf, n);
                        break;
                case KO_COMPRESSION_XZ:
                        r = xz_decode(s, buf, n, LZMA_RUN);
                        break;
                case KO_COMPRESSION_ZSTD:
                        r = zstd_decode(s, buf, n);
                        break;
                default:
                        r = plain_decode(s, buf, n);
                        break;
                }
                if (r < 0)
                        return r;
                buf += n;
                len -= n;
        }
        return 0;
}

/* Detect the format once enough magic bytes are in (or the input ended). */
static int start_decoder(ko_scanner *s)
{
        int r = decoder_init(s);

        if (r < 0)
                return r;
        return decode(s, s->magic, s->magic_len);
}

static int feed_internal(ko_scanner *s, const uint8_t *buf, size_t len)
{
        if (!s->detected) {
                size_t n = KO_MAGIC_MAX - s->magic_len;
                int r;

                if (n > len)
                        n = len;
                memcpy(s->magic + s->magic_len, buf, n);
                s->magic_len += n;
                buf += n;
                len -= n;
                if (s->magic_len < KO_MAGIC_MAX)
                        return 0;
                r = start_decoder(s);
                if (r < 0)
                        return r;
        }
        return decode(s, buf, len);
}

int ko_scanner_feed(ko_scanner *s, const void *buf, size_t len)
{
        int r;

        if (!s || (!buf && len > 0))
                return -EINVAL;
        if (s->error)
                return s->error;
        if (s->finished)
                return -EINVAL;
        if (len == 0)
                return 0;
        s->fed = true;
        r = feed_internal(s, buf, len);
        if (r < 0)
                s->error = r;
        return r;
}

static int finish_decoder(ko_scanner *s)
{
        int r;

        if (!s->detected) {
                r = start_decoder(s);
                if (r < 0)
                        return r;
        }
        switch (s->compression) {
        case KO_COMPRESSION_GZIP:
                return s->z_member_done ? 0 : -EBADMSG;
        case KO_COMPRESSION_XZ:
                return xz_decode(s, NULL, 0, LZMA_FINISH);
        case KO_COMPRESSION_ZSTD:
                return s->zstd_hint == 0 ? 0 : -EBADMSG;
        default:
                return 0;
        }
}

static int finish_internal(ko_scanner *s, ko_info *ret)
{
        static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};
        int r;

        r = finish_decoder(s);
        if (r < 0)
                return r;
        r = scan_window(s, true);
        if (r < 0)
                return r;
        /* The window always holds the last tail_max (>= SIG_LEN) decoded bytes. */
        s->info.signature_appended = s->win_len >= SIG_LEN &&
                memcmp(s->win + s->win_len - SIG_LEN, sig_trailer, SIG_LEN) == 0;
        s->info.is_elf = s->head_len == sizeof(elf_magic) &&
                memcmp(s->head, elf_magic, sizeof(elf_magic)) == 0;
        s->info.compression = s->compression;
        s->info.decoded_size = s->decoded;
        *ret = s->info;
        s->info = (ko_info){0};
        return 0;
}

int ko_scanner_finish(ko_scanner *s, ko_info *ret)
{
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (s->error)
                return s->error;
        if (s->finished)
                return -EINVAL;
        r = finish_internal(s, ret);
        s->finished = true;
        if (r < 0)
                s->error = r;
        return r;
}

int ko_scan_fd(int fd, const char *const *markers, size_t n_markers, ko_info *ret)
{
        _cleanup_(ko_scanner_freep) ko_scanner *s = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        ssize_t n;
        int r;

        if (fd < 0 || !ret)
                return -EINVAL;
        r = ko_scanner_new(markers, n_markers, 0, &s);
        if (r < 0)
                return r;
        buf = malloc(KO_READ_BUF);
        if (!buf)
                return -ENOMEM;
        /* Only a hint for read-ahead; a pipe or an odd file system may refuse it. */
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        while ((n = loop_read(fd, buf, KO_READ_BUF)) > 0) {
                r = ko_scanner_feed(s, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        if (n < 0)
                return (int)n;
        return ko_scanner_finish(s, ret);
}
