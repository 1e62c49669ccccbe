/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An initramfs is a sequence of segments, as the kernel's unpacker sees it
 * (init/initramfs.c): NUL padding is skipped, a "07070" magic starts an
 * uncompressed cpio archive, anything else is one compressed unit (one gzip
 * member, one xz stream, one zstd frame) holding cpio archives.
 *
 * libarchive reads the cpio archives. It reads ahead and its decompressors
 * run past the end of a unit, so it cannot say where a segment ended.
 * Therefore gzip, xz and zstd units are decoded here, one unit at a time,
 * and libarchive is handed the plain cpio bytes: the decoder knows exactly
 * where the unit ended, and archive_filter_bytes() of the plain stream says
 * exactly where each archive ended inside it. Other compressions (lz4,
 * bzip2, ...) go to libarchive's own filters; their end cannot be found, so
 * such a segment is the last one read.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#define ZLIB_CONST
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/util.h"
#include "parse/initramfs.h"

#define IR_BUF (128u * 1024u)
#define IR_MAX_SEGMENTS 16
#define IR_MAX_ENTRIES 200000
/* Real images decode to a few hundred MiB; more is a bomb, not an initramfs. */
#define IR_MAX_UNIT_DECODED (UINT64_C(4) << 30)
#define IR_XZ_MEMLIMIT (UINT64_C(256) << 20)

typedef enum segment_kind {
        SEGMENT_CPIO,
        SEGMENT_GZIP,
        SEGMENT_XZ,
        SEGMENT_ZSTD,
        SEGMENT_OTHER,  /* left to libarchive's filters */
} segment_kind;

/* The bytes libarchive reads: the file itself, or one decoded unit. */
typedef struct source {
        int fd;
        uint64_t file_size;
        segment_kind kind;
        uint64_t raw_pos;       /* next file offset to read */

        /* decoded units only */
        uint64_t unit_start;    /* file offset of the unit */
        uint64_t unit_consumed; /* compressed bytes the decoder has used */
        bool unit_end;
        z_stream z;
        bool z_init;
        lzma_stream xz;
        bool xz_init;
        ZSTD_DStream *zstd;
        uint8_t *in;
        size_t in_len, in_pos;

        uint8_t *out;           /* the block last handed to libarchive */
        size_t out_len;
        size_t out_next;        /* first byte of out not yet handed over */
        uint64_t out_abs;       /* decoded offset of out[0] */

        int error;              /* why a read failed, for the caller */
} source;

typedef struct scan_ctx {
        const char *const *markers;
        size_t n_markers;
        initramfs_module_cb cb;
        void *userdata;
        size_t n_entries;
        unsigned n_segments;
        uint8_t *buf;
} scan_ctx;

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
        for (;;) {
                ssize_t n = pread(fd, buf, len, (off_t)off);

                if (n >= 0 || errno != EINTR)
                        return n < 0 ? -errno : n;
        }
}

static void source_done(source *src)
{
        if (src->z_init)
                inflateEnd(&src->z);
        if (src->xz_init)
                lzma_end(&src->xz);
        ZSTD_freeDStream(src->zstd);
        free(src->in);
        free(src->out);
        *src = (source){.fd = -EBADF};
}

static int decoder_start(source *src)
{
        lzma_ret lr;

        switch (src->kind) {
        case SEGMENT_GZIP:
                if (src->z_init)
                        return inflateReset(&src->z) == Z_OK ? 0 : -ENOMEM;
                /* 15 + 16: gzip only, one member; a next member is a next segment */
                if (inflateInit2(&src->z, 15 + 16) != Z_OK)
                        return -ENOMEM;
                src->z_init = true;
                return 0;
        case SEGMENT_XZ:
                if (src->xz_init)
                        lzma_end(&src->xz);
                src->xz = (lzma_stream)LZMA_STREAM_INIT;
                src->xz_init = false;
                lr = lzma_stream_decoder(&src->xz, IR_XZ_MEMLIMIT, 0);
                if (lr != LZMA_OK)
                        return lr == LZMA_MEM_ERROR ? -ENOMEM : -EINVAL;
                src->xz_init = true;
                return 0;
        case SEGMENT_ZSTD:
                if (!src->zstd)
                        src->zstd = ZSTD_createDStream();
                if (!src->zstd || ZSTD_isError(ZSTD_initDStream(src->zstd)))
                        return -ENOMEM;
                return 0;
        default:
                return 0;
        }
}

static int source_init(source *src, int fd, uint64_t file_size, segment_kind kind, uint64_t off)
{
        *src = (source){
                .fd = fd,
                .file_size = file_size,
                .kind = kind,
                .raw_pos = off,
                .unit_start = off,
        };
        src->out = malloc(IR_BUF);
        if (!src->out)
                return -ENOMEM;
        if (kind == SEGMENT_CPIO || kind == SEGMENT_OTHER)
                return 0;
        src->in = malloc(IR_BUF);
        if (!src->in)
                return -ENOMEM;
        return decoder_start(src);
}

/* Decode the unit again from its start (only when libarchive left a block behind). */
static int source_rewind(source *src)
{
        src->raw_pos = src->unit_start;
        src->unit_consumed = 0;
        src->unit_end = false;
        src->in_len = src->in_pos = 0;
        src->out_len = src->out_next = 0;
        src->out_abs = 0;
        return decoder_start(src);
}

static int zlib_step(source *src)
{
        int zr;

        src->z.next_in = src->in + src->in_pos;
        src->z.avail_in = (uInt)(src->in_len - src->in_pos);
        src->z.next_out = src->out + src->out_len;
        src->z.avail_out = (uInt)(IR_BUF - src->out_len);
        zr = inflate(&src->z, Z_NO_FLUSH);
        src->in_pos = src->in_len - src->z.avail_in;
        src->out_len = IR_BUF - src->z.avail_out;
        if (zr == Z_STREAM_END)
                src->unit_end = true;
        else if (zr == Z_MEM_ERROR)
                return -ENOMEM;
        else if (zr != Z_OK)
                return -EBADMSG; /* both buffers had room: no progress is corruption */
        return 0;
}

static int xz_step(source *src)
{
        lzma_ret lr;

        src->xz.next_in = src->in + src->in_pos;
        src->xz.avail_in = src->in_len - src->in_pos;
        src->xz.next_out = src->out + src->out_len;
        src->xz.avail_out = IR_BUF - src->out_len;
        lr = lzma_code(&src->xz, LZMA_RUN);
        src->in_pos = src->in_len - src->xz.avail_in;
        src->out_len = IR_BUF - src->xz.avail_out;
        if (lr == LZMA_STREAM_END)
                src->unit_end = true;
        else if (lr == LZMA_MEM_ERROR)
                return -ENOMEM;
        else if (lr == LZMA_MEMLIMIT_ERROR)
                return -EFBIG;
        else if (lr != LZMA_OK)
                return -EBADMSG;
        return 0;
}

static int zstd_step(source *src)
{
        ZSTD_inBuffer in = {.src = src->in, .size = src->in_len, .pos = src->in_pos};
        ZSTD_outBuffer out = {.dst = src->out, .size = IR_BUF, .pos = src->out_len};
        size_t zr = ZSTD_decompressStream(src->zstd, &out, &in);

        if (ZSTD_isError(zr)) {
                if (ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation)
                        return -ENOMEM;
                if (ZSTD_getErrorCode(zr) == ZSTD_error_frameParameter_windowTooLarge)
                        return -EFBIG;
                return -EBADMSG;
        }
        src->in_pos = in.pos;
        src->out_len = out.pos;
        /* 0: the frame is complete and flushed; the next byte is no longer ours */
        if (zr == 0)
                src->unit_end = true;
        return 0;
}

/* Replace out with the next decoded block of the unit (empty at its end). */
static int source_decode_block(source *src)
{
        src->out_abs += src->out_len;
        src->out_len = src->out_next = 0;
        while (src->out_len < IR_BUF && !src->unit_end) {
                size_t before;
                int r;

                if (src->in_pos == src->in_len) {
                        ssize_t n = pread_full(src->fd, src->in, IR_BUF, src->raw_pos);

                        if (n < 0)
                                return (int)n;
                        if (n == 0)
                                return -EBADMSG; /* the file ends inside the unit */
                        src->raw_pos += (uint64_t)n;
                        src->in_len = (size_t)n;
                        src->in_pos = 0;
                }
                before = src->in_pos;
                if (src->kind == SEGMENT_GZIP)
                        r = zlib_step(src);
                else if (src->kind == SEGMENT_XZ)
                        r = xz_step(src);
                else
                        r = zstd_step(src);
                if (r < 0)
                        return r;
                src->unit_consumed += src->in_pos - before;
        }
        if (src->out_abs + src->out_len > IR_MAX_UNIT_DECODED)
                return -EFBIG;
        return 0;
}

static la_ssize_t source_read(struct archive *a, void *data, const void **buff)
{
        source *src = data;
        ssize_t n;
        int r;

        if (src->kind == SEGMENT_CPIO || src->kind == SEGMENT_OTHER) {
                if (src->raw_pos >= src->file_size)
                        return 0;
                n = pread_full(src->fd, src->out, IR_BUF, src->raw_pos);
                if (n < 0) {
                        src->error = (int)n;
                        archive_set_error(a, (int)-n, "read failed");
                        return -1;
                }
                src->raw_pos += (uint64_t)n;
                *buff = src->out;
                return n;
        }

        if (src->out_next == src->out_len) {
                r = source_decode_block(src);
                if (r < 0) {
                        src->error = r;
                        archive_set_error(a, -r, "decoding failed");
                        return -1;
                }
        }
        *buff = src->out + src->out_next;
        n = (ssize_t)(src->out_len - src->out_next);
        src->out_next = src->out_len;
        return n;
}

/* Skipping file bytes without reading them (uncompressed segments only). */
static la_int64_t source_skip(struct archive *a, void *data, la_int64_t request)
{
        source *src = data;
        uint64_t left = src->file_size > src->raw_pos ? src->file_size - src->raw_pos : 0;

        if (request <= 0)
                return 0;
        if ((uint64_t)request > left)
                request = (la_int64_t)left;
        src->raw_pos += (uint64_t)request;
        return request;
}

/*
 * After an archive that ended at decoded offset pos: find the next non-NUL
 * byte of the unit and make it the next one handed out. Returns 1 when
 * found, 0 at the end of the unit, < 0 on error.
 */
static int source_find_next(source *src, uint64_t pos)
{
        int r;

        if (pos < src->out_abs) {
                r = source_rewind(src);
                if (r < 0)
                        return r;
        }
        for (;;) {
                if (pos < src->out_abs + src->out_len) {
                        size_t i = (size_t)(pos - src->out_abs);

                        for (; i < src->out_len; i++)
                                if (src->out[i] != 0) {
                                        src->out_next = i;
                                        return 1;
                                }
                        pos = src->out_abs + src->out_len;
                }
                if (src->unit_end)
                        return 0;
                r = source_decode_block(src);
                if (r < 0)
                        return r;
        }
}

static int archive_failure(const source *src, struct archive *a)
{
        if (src->error < 0)
                return src->error;
        if (archive_errno(a) == ENOMEM)
                return -ENOMEM;
        return -EBADMSG;
}

static bool is_amdgpu_entry(struct archive_entry *e)
{
        const char *name = archive_entry_pathname(e);

        return name && archive_entry_filetype(e) == AE_IFREG && ko_name_is_module_of(name, "amdgpu");
}

/* Stream the entry's data through a module scanner and hand the result over. */
static int scan_entry(scan_ctx *ctx, const source *src, struct archive *a, const char *name)
{
        _cleanup_(ko_scanner_freep) ko_scanner *s = NULL;
        ko_info info = {0};
        int r;

        r = ko_scanner_new(ctx->markers, ctx->n_markers, 0, &s);
        if (r < 0)
                return r;
        for (;;) {
                la_ssize_t n = archive_read_data(a, ctx->buf, IR_BUF);

                if (n == 0)
                        break;
                if (n < 0)
                        return archive_failure(src, a);
                r = ko_scanner_feed(s, ctx->buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        r = ko_scanner_finish(s, &info);
        if (r < 0)
                return r;
        r = ctx->cb ? ctx->cb(name, &info, ctx->userdata) : 0;
        ko_info_clear(&info);
        return r < 0 ? r : 0;
}

static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

/* Read one cpio archive from src; *ret_consumed: the source bytes it took. */
static int read_archive(scan_ctx *ctx, source *src, uint64_t *ret_consumed)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        la_int64_t consumed;
        int r;

        if (!a)
                return -ENOMEM;
        if (archive_read_support_format_cpio(a) != ARCHIVE_OK ||
            archive_read_support_filter_all(a) < ARCHIVE_WARN ||
            archive_read_set_read_callback(a, source_read) != ARCHIVE_OK ||
            archive_read_set_callback_data(a, src) != ARCHIVE_OK)
                return -ENOMEM;
        if (src->kind == SEGMENT_CPIO && archive_read_set_skip_callback(a, source_skip) != ARCHIVE_OK)
                return -ENOMEM;
        if (archive_read_open1(a) != ARCHIVE_OK)
                return archive_failure(src, a);

        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                /* A warning here means bytes were skipped to find a header: malformed. */
                if (r != ARCHIVE_OK)
                        return archive_failure(src, a);
                if (++ctx->n_entries > IR_MAX_ENTRIES)
                        return -E2BIG;
                if (is_amdgpu_entry(e)) {
                        r = scan_entry(ctx, src, a, archive_entry_pathname(e));
                        if (r < 0)
                                return r;
                }
        }
        /* -1: the source side. Without a filter that is what the cpio reader used, exactly. */
        consumed = archive_filter_bytes(a, -1);
        if (consumed <= 0)
                return -EBADMSG;
        *ret_consumed = (uint64_t)consumed;
        return 0;
}

/* The offset of the first non-NUL byte at or after off; 0 when only NULs are left. */
static int skip_nul(scan_ctx *ctx, int fd, uint64_t off, uint64_t size, uint64_t *ret)
{
        while (off < size) {
                ssize_t n = pread_full(fd, ctx->buf, IR_BUF, off);

                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                for (ssize_t i = 0; i < n; i++)
                        if (ctx->buf[i] != 0) {
                                *ret = off + (uint64_t)i;
                                return 1;
                        }
                off += (uint64_t)n;
        }
        return 0;
}

static int detect_segment(int fd, uint64_t off, segment_kind *ret)
{
        static const uint8_t gzip[] = {0x1f, 0x8b};
        static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
        static const uint8_t zstd[] = {0x28, 0xb5, 0x2f, 0xfd};
        uint8_t m[6] = {0};
        ssize_t n = pread_full(fd, m, sizeof(m), off);

        if (n < 0)
                return (int)n;
        if ((size_t)n >= 5 && memcmp(m, "07070", 5) == 0)
                *ret = SEGMENT_CPIO;
        else if ((size_t)n >= sizeof(gzip) && memcmp(m, gzip, sizeof(gzip)) == 0)
                *ret = SEGMENT_GZIP;
        else if ((size_t)n >= sizeof(xz) && memcmp(m, xz, sizeof(xz)) == 0)
                *ret = SEGMENT_XZ;
        else if ((size_t)n >= sizeof(zstd) && memcmp(m, zstd, sizeof(zstd)) == 0)
                *ret = SEGMENT_ZSTD;
        else
                *ret = SEGMENT_OTHER;
        return 0;
}

/* An uncompressed archive, or one libarchive decodes itself, at off. */
static int scan_raw(scan_ctx *ctx, int fd, uint64_t size, segment_kind kind, uint64_t off,
                    uint64_t *ret_end)
{
        source src;
        uint64_t consumed = 0;
        int r;

        r = source_init(&src, fd, size, kind, off);
        if (r >= 0)
                r = read_archive(ctx, &src, &consumed);
        source_done(&src);
        if (r < 0)
                return r;
        ctx->n_segments++;
        *ret_end = off + consumed;
        return 0;
}

/* A compressed unit at off: every archive in it, in order. */
static int scan_unit(scan_ctx *ctx, int fd, uint64_t size, segment_kind kind, uint64_t off,
                     uint64_t *ret_end)
{
        source src;
        int r;

        r = source_init(&src, fd, size, kind, off);
        while (r >= 0) {
                uint64_t start = src.out_abs + src.out_next, consumed = 0;

                if (ctx->n_segments >= IR_MAX_SEGMENTS) {
                        r = -E2BIG;
                        break;
                }
                r = read_archive(ctx, &src, &consumed);
                if (r < 0)
                        break;
                ctx->n_segments++;
                r = source_find_next(&src, start + consumed);
                if (r == 0) {
                        *ret_end = src.unit_start + src.unit_consumed;
                        break;
                }
        }
        source_done(&src);
        return r;
}

int initramfs_scan_fd(int fd, const char *const *markers, size_t n_markers,
                      initramfs_module_cb cb, void *userdata)
{
        _cleanup_free_ uint8_t *buf = NULL;
        scan_ctx ctx = {
                .markers = markers,
                .n_markers = n_markers,
                .cb = cb,
                .userdata = userdata,
        };
        uint64_t off = 0;
        struct stat st;
        int r;

        if (fd < 0 || n_markers > KO_MAX_MARKERS || (n_markers > 0 && !markers))
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        buf = malloc(IR_BUF);
        if (!buf)
                return -ENOMEM;
        ctx.buf = buf;

        for (;;) {
                segment_kind kind;
                uint64_t end = 0;

                r = skip_nul(&ctx, fd, off, (uint64_t)st.st_size, &off);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (ctx.n_segments >= IR_MAX_SEGMENTS)
                        return -E2BIG;
                r = detect_segment(fd, off, &kind);
                if (r < 0)
                        return r;
                if (kind == SEGMENT_CPIO || kind == SEGMENT_OTHER)
                        r = scan_raw(&ctx, fd, (uint64_t)st.st_size, kind, off, &end);
                else
                        r = scan_unit(&ctx, fd, (uint64_t)st.st_size, kind, off, &end);
                if (r < 0)
                        return r;
                /* libarchive decoded it: where it ended is unknown, so nothing after it is read. */
                if (kind == SEGMENT_OTHER)
                        break;
                off = end;
        }
        if (ctx.n_segments == 0)
                return -EBADMSG; /* empty, or nothing but NULs */
        return (int)ctx.n_segments;
}
