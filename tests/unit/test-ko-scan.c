/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The streaming module scanner and its cache, on synthetic modules built
 * here (plain, gzip, xz, zstd), fed in every way a reader could split them,
 * and on a real relocatable object made by gcc + ld --build-id when those
 * tools are present.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "parse/ko_scan.h"
#include "probe/ko_cache.h"

#include "fixture.h"

#define MARKER "KFD: Enabling fine-grained for RDNA1 0x%x\n"
#define SRCVERSION "4F2B8C1D9E0A7B6C5D4E3F2"
#define VERMAGIC "6.8.0-48-generic SMP preempt mod_unload modversions "
#define SIG "~Module signature appended~\n"
#define MIB (1024u * 1024u)

static const char *const markers1[] = {MARKER};
static const char *const markers2[] = {"not in any module", MARKER};

typedef struct buf {
        uint8_t *p;
        size_t len, cap;
} buf;

static void buf_put(buf *b, const void *d, size_t n)
{
        if (b->len + n > b->cap) {
                b->cap = (b->len + n) * 2 + 64;
                b->p = realloc(b->p, b->cap);
                assert_non_null(b->p);
        }
        if (n)
                memcpy(b->p + b->len, d, n);
        b->len += n;
}

static void buf_puts(buf *b, const char *s)
{
        buf_put(b, s, strlen(s));
}

static void buf_free(buf *b)
{
        free(b->p);
        *b = (buf){0};
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545f4914f6cdd1du;
}

/* Random bytes (any value) or text-like bytes (compressible, never '=' or 0x03). */
static void put_filler(buf *b, size_t n, bool text)
{
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz _.,\n\0\0\0";
        uint8_t chunk[4096];

        while (n > 0) {
                size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

                for (size_t i = 0; i < k; i++) {
                        uint64_t v = rng();
                        chunk[i] = text ? (uint8_t)alphabet[v % (sizeof(alphabet) - 1)] : (uint8_t)(v >> 24);
                }
                buf_put(b, chunk, k);
                n -= k;
        }
}

static void put_elf_header(buf *b)
{
        uint8_t h[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};

        buf_put(b, h, sizeof(h));
}

static void put_le32(buf *b, uint32_t v)
{
        uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        buf_put(b, le, 4);
}

static void put_note(buf *b, uint32_t namesz, uint32_t descsz, uint32_t type, const uint8_t *desc, size_t n)
{
        put_le32(b, namesz);
        put_le32(b, descsz);
        put_le32(b, type);
        buf_put(b, "GNU", 4);
        buf_put(b, desc, n);
}

static const uint8_t build_id20[20] = {0xe3, 0x61, 0x93, 0x23, 0x9e, 0x5f, 0x64, 0xbf, 0xb0, 0xc0,
                                       0x62, 0xe3, 0x77, 0xeb, 0x6b, 0xc7, 0x37, 0x32, 0x36, 0x6c};

static void put_modinfo(buf *b, bool with_version)
{
        static const char mi[] = "\0license=GPL and additional rights\0srcversion=" SRCVERSION
                                 "\0alias=pci:v00001002d0000731Fsv*sd*bc*sc*i*\0depends=drm,ttm"
                                 "\0vermagic=" VERMAGIC "\0name=amdgpu";
        buf_put(b, mi, sizeof(mi)); /* with its final NUL */
        if (with_version)
                buf_put(b, "version=6.16.6\0", 15);
}

/* A module-like stream: ELF header, fillers, build-id note, .modinfo, marker, signature. */
static buf make_module(size_t filler, bool signature)
{
        buf b = {0};

        put_elf_header(&b);
        put_filler(&b, filler / 4, false);
        while (b.len % 4)
                buf_put(&b, "", 1);
        put_note(&b, 4, 20, 3, build_id20, 20);
        put_filler(&b, filler / 4, true);
        buf_put(&b, "\0", 1);
        buf_puts(&b, MARKER);
        buf_put(&b, "\0", 1);
        put_filler(&b, filler / 4, false);
        put_modinfo(&b, true);
        put_filler(&b, filler / 4, false);
        if (signature)
                buf_puts(&b, SIG);
        return b;
}

static void check_module(const ko_info *info, size_t len, bool signature, uint32_t markers)
{
        assert_true(info->is_elf);
        assert_int_equal(info->build_id_len, 20);
        assert_memory_equal(info->build_id, build_id20, 20);
        assert_non_null(info->srcversion);
        assert_string_equal(info->srcversion, SRCVERSION);
        assert_non_null(info->vermagic);
        assert_string_equal(info->vermagic, VERMAGIC);
        assert_non_null(info->name);
        assert_string_equal(info->name, "amdgpu");
        assert_non_null(info->version);
        assert_string_equal(info->version, "6.16.6");
        assert_int_equal(info->signature_appended, signature);
        assert_int_equal(info->markers_found, markers);
        assert_int_equal(info->decoded_size, len);
}

static buf compress_gzip(const uint8_t *p, size_t n)
{
        z_stream z = {0};
        buf out = {0};
        uint8_t chunk[65536];
        int zr;

        assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)p;
        z.avail_in = (uInt)n;
        do {
                z.next_out = chunk;
                z.avail_out = sizeof(chunk);
                zr = deflate(&z, Z_FINISH);
                assert_true(zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR);
                buf_put(&out, chunk, sizeof(chunk) - z.avail_out);
        } while (zr != Z_STREAM_END);
        deflateEnd(&z);
        return out;
}

static buf compress_xz(const uint8_t *p, size_t n)
{
        buf out = {0};
        size_t pos = 0;

        out.cap = lzma_stream_buffer_bound(n);
        out.p = malloc(out.cap);
        assert_non_null(out.p);
        assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, p, n, out.p, &pos, out.cap), LZMA_OK);
        out.len = pos;
        return out;
}

/* With a content checksum, as zstd(1) writes by default: corruption must show. */
static buf compress_zstd(const uint8_t *p, size_t n)
{
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        buf out = {0};
        size_t r;

        assert_non_null(cc);
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1)));
        out.cap = ZSTD_compressBound(n);
        out.p = malloc(out.cap);
        assert_non_null(out.p);
        r = ZSTD_compress2(cc, out.p, out.cap, p, n);
        assert_false(ZSTD_isError(r));
        out.len = r;
        ZSTD_freeCCtx(cc);
        return out;
}

enum { FMT_NONE, FMT_GZIP, FMT_XZ, FMT_ZSTD, _FMT_MAX };

static buf encode(int fmt, const uint8_t *p, size_t n)
{
        buf out = {0};

        switch (fmt) {
        case FMT_GZIP:
                return compress_gzip(p, n);
        case FMT_XZ:
                return compress_xz(p, n);
        case FMT_ZSTD:
                return compress_zstd(p, n);
        default:
                buf_put(&out, p, n);
                return out;
        }
}

/*
 * Feed data split by the pattern in sizes (cycled; 0 means "random 1..300000"),
 * with scan windows of chunk bytes (0: default). Returns the first error.
 */
static int scan_split(const uint8_t *p, size_t n, const char *const *markers, size_t n_markers,
                      uint64_t max, size_t chunk, const size_t *sizes, size_t n_sizes, ko_info *ret)
{
        ko_scanner *s = NULL;
        size_t off = 0, i = 0;
        int r;

        assert_int_equal(ko_scanner_new(markers, n_markers, max, &s), 0);
        if (chunk)
                assert_int_equal(ko_scanner_set_chunk_size(s, chunk), 0);
        while (off < n) {
                size_t k = n_sizes ? sizes[i++ % n_sizes] : n;

                if (k == 0)
                        k = 1 + rng() % 300000;
                if (k > n - off)
                        k = n - off;
                r = ko_scanner_feed(s, p + off, k);
                if (r < 0) {
                        /* The error sticks. */
                        assert_int_equal(ko_scanner_feed(s, p, 1), r);
                        assert_int_equal(ko_scanner_finish(s, ret), r);
                        ko_scanner_free(s);
                        return r;
                }
                off += k;
        }
        r = ko_scanner_finish(s, ret);
        ko_scanner_free(s);
        return r;
}

static int scan_whole(const uint8_t *p, size_t n, const char *const *markers, size_t n_markers,
                      ko_info *ret)
{
        return scan_split(p, n, markers, n_markers, 0, 0, NULL, 0, ret);
}

static void test_compression_names(void **state)
{
        assert_string_equal(ko_compression_to_string(KO_COMPRESSION_NONE), "none");
        assert_string_equal(ko_compression_to_string(KO_COMPRESSION_GZIP), "gzip");
        assert_string_equal(ko_compression_to_string(KO_COMPRESSION_XZ), "xz");
        assert_string_equal(ko_compression_to_string(KO_COMPRESSION_ZSTD), "zstd");
        assert_null(ko_compression_to_string(_KO_COMPRESSION_MAX));
        assert_null(ko_compression_to_string(_KO_COMPRESSION_INVALID));
}

/* A multi-MiB module in every format, fed in many ways, 1-byte pieces included. */
static void test_formats_and_feeds(void **state)
{
        static const size_t one[] = {1};
        static const size_t seven[] = {7};
        static const size_t page[] = {4096};
        static const size_t odd[] = {131073, 1, 5, 65536};
        static const size_t rnd[] = {0};
        static const struct {
                const size_t *sizes;
                size_t n;
        } feeds[] = {{NULL, 0}, {one, 1}, {seven, 1}, {page, 1}, {odd, 4}, {rnd, 1}};
        static const ko_compression expect[] = {KO_COMPRESSION_NONE, KO_COMPRESSION_GZIP,
                                                KO_COMPRESSION_XZ, KO_COMPRESSION_ZSTD};
        buf m = make_module(3 * MIB, true);

        for (int fmt = 0; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, m.p, m.len);

                for (size_t f = 0; f < ELEMENTSOF(feeds); f++) {
                        ko_info info = {0};

                        assert_int_equal(scan_split(e.p, e.len, markers2, 2, 0, 0, feeds[f].sizes,
                                                    feeds[f].n, &info), 0);
                        check_module(&info, m.len, true, 2);
                        assert_int_equal(info.compression, expect[fmt]);
                        ko_info_clear(&info);
                }
                buf_free(&e);
        }
        buf_free(&m);
}

/* A small module, as bytes and as the offset of each thing in it. */
static buf make_small_module(size_t shift, bool signature)
{
        buf b = {0};

        put_elf_header(&b);
        put_filler(&b, shift, true);
        put_note(&b, 4, 20, 3, build_id20, 20);
        buf_puts(&b, "x" MARKER);
        put_modinfo(&b, true);
        put_filler(&b, 37, true);
        if (signature)
                buf_puts(&b, SIG);
        return b;
}

/*
 * Window boundaries at every position of every pattern: tiny scan windows
 * and a shift of everything by 0..700 bytes (more than the kept tail plus a
 * window), plain and zstd-compressed.
 */
static void test_window_sweep(void **state)
{
        static const size_t chunks[] = {1, 2, 3, 5, 16, 64, 257};
        static const size_t feed3[] = {3};

        for (size_t c = 0; c < ELEMENTSOF(chunks); c++)
                for (size_t shift = 0; shift <= 700; shift++) {
                        buf m = make_small_module(shift, true);
                        ko_info info = {0};

                        assert_int_equal(scan_split(m.p, m.len, markers1, 1, 0, chunks[c], NULL, 0, &info), 0);
                        check_module(&info, m.len, true, 1);
                        ko_info_clear(&info);
                        if (chunks[c] <= 16 && shift % 5 == 0) {
                                buf z = encode(FMT_ZSTD, m.p, m.len);

                                assert_int_equal(scan_split(z.p, z.len, markers1, 1, 0, chunks[c], feed3, 1, &info), 0);
                                check_module(&info, m.len, true, 1);
                                ko_info_clear(&info);
                                buf_free(&z);
                        }
                        buf_free(&m);
                }
}

/* Feed splits at every byte position (two and three pieces), every format. */
static void test_feed_split_everywhere(void **state)
{
        buf m = make_small_module(11, true);

        for (int fmt = 0; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, m.p, m.len);

                for (size_t i = 0; i <= e.len; i++) {
                        size_t two[] = {i, e.len};
                        size_t three[] = {i, 1, e.len};
                        ko_info info = {0};

                        if (i > 0) {
                                assert_int_equal(scan_split(e.p, e.len, markers1, 1, 0, 0, two, 2, &info), 0);
                                check_module(&info, m.len, true, 1);
                                ko_info_clear(&info);
                                assert_int_equal(scan_split(e.p, e.len, markers1, 1, 0, 0, three, 3, &info), 0);
                                check_module(&info, m.len, true, 1);
                                ko_info_clear(&info);
                        }
                        /* The same with small windows, so splits meet window ends too. */
                        if (i % 3 == 0 && i > 0) {
                                assert_int_equal(scan_split(e.p, e.len, markers1, 1, 0, 7, two, 2, &info), 0);
                                check_module(&info, m.len, true, 1);
                                ko_info_clear(&info);
                        }
                }
                buf_free(&e);
        }
        buf_free(&m);
}

/* Patterns that straddle the real 128 KiB windows of a large stream. */
static void test_default_window_boundaries(void **state)
{
        static const size_t rnd[] = {0};

        for (size_t delta = 0; delta < 400; delta += 13) {
                buf b = {0};
                ko_info info = {0};

                put_elf_header(&b);
                /* 128 KiB + tail lands the first boundary near here; sweep across it. */
                put_filler(&b, 128 * 1024 + 269 - 64 - 200 + delta, true);
                put_note(&b, 4, 20, 3, build_id20, 20);
                buf_puts(&b, MARKER);
                put_modinfo(&b, true);
                put_filler(&b, 128 * 1024 - 300 - 2 * delta, false);
                buf_puts(&b, MARKER);
                buf_puts(&b, SIG);
                for (int fmt = 0; fmt < _FMT_MAX; fmt += 3) {
                        buf e = encode(fmt, b.p, b.len);

                        assert_int_equal(scan_split(e.p, e.len, markers1, 1, 0, 0, rnd, 1, &info), 0);
                        check_module(&info, b.len, true, 1);
                        ko_info_clear(&info);
                        buf_free(&e);
                }
                buf_free(&b);
        }
}

static void test_markers(void **state)
{
        static const char *const two[] = {"first marker", "second marker"};
        char long_marker[1001];
        const char *const longm[] = {long_marker};
        const char *many[KO_MAX_MARKERS];
        char names[KO_MAX_MARKERS][16];
        ko_info info = {0};
        buf b = {0};

        /* absent */
        put_elf_header(&b);
        put_filler(&b, 5000, true);
        assert_int_equal(scan_whole(b.p, b.len, two, 2, &info), 0);
        assert_int_equal(info.markers_found, 0);
        assert_true(info.is_elf);
        assert_int_equal(info.build_id_len, 0);
        assert_null(info.srcversion);
        assert_null(info.name);
        assert_false(info.signature_appended);
        ko_info_clear(&info);

        /* only the second, then both; the order of the bits follows the array */
        buf_puts(&b, "second marker");
        assert_int_equal(scan_whole(b.p, b.len, two, 2, &info), 0);
        assert_int_equal(info.markers_found, 2);
        ko_info_clear(&info);
        put_filler(&b, 70000, false);
        buf_puts(&b, "first marker");
        put_filler(&b, 10, false);
        assert_int_equal(scan_whole(b.p, b.len, two, 2, &info), 0);
        assert_int_equal(info.markers_found, 3);
        ko_info_clear(&info);
        buf_free(&b);

        /* at the very start (not ELF then) and at the very end, with tiny windows too */
        buf_puts(&b, "first marker");
        put_filler(&b, 3000, true);
        buf_puts(&b, "second marker");
        for (size_t chunk = 0; chunk < 20; chunk += 3) {
                assert_int_equal(scan_split(b.p, b.len, two, 2, 0, chunk, NULL, 0, &info), 0);
                assert_int_equal(info.markers_found, 3);
                assert_false(info.is_elf);
                ko_info_clear(&info);
        }
        buf_free(&b);

        /* a marker longer than the scan window and the value cap */
        memset(long_marker, 'M', sizeof(long_marker) - 1);
        long_marker[sizeof(long_marker) - 1] = '\0';
        for (size_t shift = 0; shift < 40; shift++) {
                put_filler(&b, shift, true);
                buf_puts(&b, long_marker);
                put_filler(&b, 50, true);
                assert_int_equal(scan_split(b.p, b.len, longm, 1, 0, 16, NULL, 0, &info), 0);
                assert_int_equal(info.markers_found, 1);
                ko_info_clear(&info);
                /* one byte short of it: no match */
                b.len = shift + sizeof(long_marker) - 2;
                assert_int_equal(scan_split(b.p, b.len, longm, 1, 0, 16, NULL, 0, &info), 0);
                assert_int_equal(info.markers_found, 0);
                ko_info_clear(&info);
                buf_free(&b);
        }

        /* all 32 bits */
        for (size_t i = 0; i < KO_MAX_MARKERS; i++) {
                snprintf(names[i], sizeof(names[i]), "marker-%02zu!", i);
                many[i] = names[i];
                if (i % 2)
                        buf_puts(&b, names[i]);
        }
        assert_int_equal(scan_whole(b.p, b.len, many, KO_MAX_MARKERS, &info), 0);
        assert_int_equal(info.markers_found, 0xaaaaaaaau);
        ko_info_clear(&info);
        buf_free(&b);
}

static void test_bad_arguments(void **state)
{
        static const char *const empty[] = {""};
        static const char *const null[] = {NULL};
        const char *many[KO_MAX_MARKERS + 1];
        char *huge = malloc(5000);
        const char *hugem[1];
        ko_scanner *s = NULL;
        ko_info info = {0};

        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = "m";
        assert_int_equal(ko_scanner_new(empty, 1, 0, &s), -EINVAL);
        assert_int_equal(ko_scanner_new(null, 1, 0, &s), -EINVAL);
        assert_int_equal(ko_scanner_new(NULL, 1, 0, &s), -EINVAL);
        assert_int_equal(ko_scanner_new(many, KO_MAX_MARKERS + 1, 0, &s), -EINVAL);
        assert_non_null(huge);
        memset(huge, 'h', 4999);
        huge[4999] = '\0';
        hugem[0] = huge;
        assert_int_equal(ko_scanner_new(hugem, 1, 0, &s), -EINVAL);
        free(huge);
        assert_null(s);

        assert_int_equal(ko_scanner_new(NULL, 0, 0, &s), 0);
        assert_int_equal(ko_scanner_set_chunk_size(s, 0), -EINVAL);
        assert_int_equal(ko_scanner_feed(s, "\x7f" "ELF", 4), 0);
        assert_int_equal(ko_scanner_set_chunk_size(s, 8), -EBUSY);
        assert_int_equal(ko_scanner_finish(s, &info), 0);
        assert_true(info.is_elf);
        assert_int_equal(info.decoded_size, 4);
        assert_int_equal(ko_scanner_finish(s, &info), -EINVAL);
        assert_int_equal(ko_scanner_feed(s, "x", 1), -EINVAL);
        ko_info_clear(&info);
        assert_null(ko_scanner_free(s));
        assert_null(ko_scanner_free(NULL));
}

static void scan_text(const char *p, size_t n, ko_info *info)
{
        assert_int_equal(scan_whole((const uint8_t *)p, n, markers1, 1, info), 0);
}

static void test_modinfo_keys(void **state)
{
        char big[600];
        ko_info info = {0};
        buf b = {0};

        /* only at the start of a string */
        scan_text("\0xsrcversion=FOO\0", 17, &info);
        assert_null(info.srcversion);
        ko_info_clear(&info);
        scan_text("\0xsrcversion=FOO\0srcversion=BAR\0", 32, &info);
        assert_string_equal(info.srcversion, "BAR");
        ko_info_clear(&info);
        /* "version=" inside "srcversion=" is no version */
        scan_text("\0srcversion=ABC\0", 16, &info);
        assert_string_equal(info.srcversion, "ABC");
        assert_null(info.version);
        ko_info_clear(&info);
        /* the stream start is not preceded by a NUL */
        scan_text("name=first\0", 11, &info);
        assert_null(info.name);
        ko_info_clear(&info);
        /* the first one wins */
        scan_text("\0name=first\0name=second\0", 24, &info);
        assert_string_equal(info.name, "first");
        ko_info_clear(&info);
        /* a key without '=' is not the key */
        scan_text("\0srcversion\0vermagic\0", 21, &info);
        assert_null(info.srcversion);
        assert_null(info.vermagic);
        ko_info_clear(&info);
        /* an empty value is a value */
        scan_text("\0version=\0", 10, &info);
        assert_non_null(info.version);
        assert_string_equal(info.version, "");
        ko_info_clear(&info);
        /* unterminated at the end of the stream: what is there */
        scan_text("\0version=1.2", 12, &info);
        assert_string_equal(info.version, "1.2");
        ko_info_clear(&info);

        /* the cap: 255 and 256 bytes kept whole, longer cut to 256 */
        for (size_t vlen = 250; vlen <= 300; vlen++)
                for (size_t chunk = 1; chunk <= 301; chunk += 100) {
                        buf_put(&b, "\0vermagic=", 10);
                        memset(big, 'v', vlen);
                        buf_put(&b, big, vlen);
                        buf_put(&b, "\0", 1);
                        assert_int_equal(scan_split(b.p, b.len, markers1, 1, 0, chunk, NULL, 0, &info), 0);
                        assert_int_equal(strlen(info.vermagic), vlen < 256 ? vlen : 256);
                        ko_info_clear(&info);
                        /* unterminated long value at the end: cut the same way */
                        b.len--;
                        assert_int_equal(scan_split(b.p, b.len, markers1, 1, 0, chunk, NULL, 0, &info), 0);
                        assert_int_equal(strlen(info.vermagic), vlen < 256 ? vlen : 256);
                        ko_info_clear(&info);
                        buf_free(&b);
                }

        /* the longest key with values around the cap, at every offset to the windows */
        for (size_t vlen = 255; vlen <= 258; vlen++)
                for (size_t shift = 0; shift < 300; shift++) {
                        put_filler(&b, shift, true);
                        buf_put(&b, "\0srcversion=", 12);
                        memset(big, 's', vlen);
                        buf_put(&b, big, vlen);
                        buf_put(&b, "\0", 1);
                        put_filler(&b, 40, true);
                        assert_int_equal(scan_split(b.p, b.len, markers1, 1, 0, 31, NULL, 0, &info), 0);
                        assert_non_null(info.srcversion);
                        assert_int_equal(strlen(info.srcversion), vlen < 256 ? vlen : 256);
                        ko_info_clear(&info);
                        buf_free(&b);
                }
}

static void test_build_id(void **state)
{
        uint8_t id[70];
        ko_info info = {0};
        buf b = {0};

        for (size_t i = 0; i < sizeof(id); i++)
                id[i] = (uint8_t)(0xa0 + i);

        /* sizes 1..64 are taken, at the stream start too */
        for (uint32_t n = 1; n <= KO_BUILD_ID_MAX; n++) {
                put_note(&b, 4, n, 3, id, n);
                assert_int_equal(scan_whole(b.p, b.len, NULL, 0, &info), 0);
                assert_int_equal(info.build_id_len, n);
                assert_memory_equal(info.build_id, id, n);
                ko_info_clear(&info);
                buf_free(&b);
        }

        /* not build-ids: descsz 0 or 65, namesz 5, type 1 (ABI tag); then the real one */
        put_elf_header(&b);
        put_note(&b, 4, 0, 3, id, 0);
        put_note(&b, 4, 65, 3, id, 65);
        put_note(&b, 5, 20, 3, id, 20);
        put_note(&b, 4, 16, 1, id, 16);
        assert_int_equal(scan_whole(b.p, b.len, NULL, 0, &info), 0);
        assert_int_equal(info.build_id_len, 0);
        ko_info_clear(&info);
        put_note(&b, 4, 20, 3, build_id20, 20);
        put_note(&b, 4, 16, 3, id, 16); /* a second note: the first counts */
        for (size_t chunk = 0; chunk < 90; chunk += 9) {
                assert_int_equal(scan_split(b.p, b.len, NULL, 0, 0, chunk, NULL, 0, &info), 0);
                assert_int_equal(info.build_id_len, 20);
                assert_memory_equal(info.build_id, build_id20, 20);
                ko_info_clear(&info);
        }
        buf_free(&b);

        /* a note cut off by the end of the stream is no note */
        put_elf_header(&b);
        put_note(&b, 4, 20, 3, build_id20, 19);
        assert_int_equal(scan_whole(b.p, b.len, NULL, 0, &info), 0);
        assert_int_equal(info.build_id_len, 0);
        ko_info_clear(&info);
        buf_free(&b);
}

static void test_corrupt_and_truncated(void **state)
{
        buf m = make_module(256 * 1024, true);

        for (int fmt = FMT_GZIP; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, m.p, m.len);
                ko_info info = {0};
                uint8_t saved;

                /* sanity: the intact stream scans */
                assert_int_equal(scan_whole(e.p, e.len, markers1, 1, &info), 0);
                check_module(&info, m.len, true, 1);
                ko_info_clear(&info);

                /* truncated anywhere after the magic: at the end, in the middle, early */
                for (size_t cut = 6; cut < e.len; cut += (cut < 64 ? 1 : e.len / 7))
                        assert_int_equal(scan_whole(e.p, cut, markers1, 1, &info), -EBADMSG);
                assert_int_equal(scan_whole(e.p, e.len - 1, markers1, 1, &info), -EBADMSG);

                /* bytes flipped in the middle and near the end (checksums) */
                for (size_t at = e.len / 2; at < e.len; at += (e.len - at) / 2 + 1) {
                        saved = e.p[at];
                        e.p[at] ^= 0x55;
                        assert_int_equal(scan_whole(e.p, e.len, markers1, 1, &info), -EBADMSG);
                        e.p[at] = saved;
                }

                /* garbage after the end */
                buf_put(&e, "garbage!", 8);
                assert_int_equal(scan_whole(e.p, e.len, markers1, 1, &info), -EBADMSG);
                buf_free(&e);
        }
        buf_free(&m);
}

static void test_decoded_cap(void **state)
{
        buf m = make_module(512 * 1024, false);
        buf zeros = {0};
        uint8_t *z = calloc(1, 64 * MIB);

        for (int fmt = 0; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, m.p, m.len);
                ko_info info = {0};

                assert_int_equal(scan_split(e.p, e.len, markers1, 1, m.len, 0, NULL, 0, &info), 0);
                check_module(&info, m.len, false, 1);
                ko_info_clear(&info);
                assert_int_equal(scan_split(e.p, e.len, markers1, 1, m.len - 1, 0, NULL, 0, &info), -EFBIG);
                buf_free(&e);
        }

        /* a bomb: 64 MiB of zeros in a few KiB (gzip -1: a few hundred), cap 1 MiB */
        assert_non_null(z);
        for (int fmt = FMT_GZIP; fmt < _FMT_MAX; fmt++) {
                ko_info info = {0};

                zeros = encode(fmt, z, 64 * MIB);
                assert_true(zeros.len < 4 * MIB);
                assert_int_equal(scan_split(zeros.p, zeros.len, markers1, 1, MIB, 0, NULL, 0, &info), -EFBIG);
                buf_free(&zeros);
        }
        free(z);
        buf_free(&m);
}

static void test_empty_and_odd_inputs(void **state)
{
        ko_scanner *s = NULL;
        ko_info info = {0};
        static const uint8_t gz_magic[] = {0x1f, 0x8b};
        static const uint8_t zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};
        static const uint8_t xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0};

        /* empty file: fine, nothing found */
        assert_int_equal(ko_scanner_new(markers1, 1, 0, &s), 0);
        assert_int_equal(ko_scanner_feed(s, NULL, 0), 0);
        assert_int_equal(ko_scanner_finish(s, &info), 0);
        assert_false(info.is_elf);
        assert_int_equal(info.decoded_size, 0);
        assert_int_equal(info.compression, KO_COMPRESSION_NONE);
        assert_int_equal(info.markers_found, 0);
        assert_false(info.signature_appended);
        ko_info_clear(&info);
        ko_scanner_free(s);

        /* empty compressed streams are valid and empty */
        for (int fmt = FMT_GZIP; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, (const uint8_t *)"", 0);

                assert_int_equal(scan_whole(e.p, e.len, markers1, 1, &info), 0);
                assert_int_equal(info.decoded_size, 0);
                assert_int_equal(info.compression, (ko_compression)fmt);
                ko_info_clear(&info);
                buf_free(&e);
        }

        /* nothing but a magic: truncated */
        assert_int_equal(scan_whole(gz_magic, sizeof(gz_magic), markers1, 1, &info), -EBADMSG);
        assert_int_equal(scan_whole(zstd_magic, sizeof(zstd_magic), markers1, 1, &info), -EBADMSG);
        assert_int_equal(scan_whole(xz_magic, sizeof(xz_magic), markers1, 1, &info), -EBADMSG);

        /* short plain streams, and text that is not ELF but has the marker */
        scan_text("\x7f" "EL", 3, &info);
        assert_false(info.is_elf);
        assert_int_equal(info.decoded_size, 3);
        ko_info_clear(&info);
        scan_text("text " MARKER " more\n" SIG, strlen("text " MARKER " more\n" SIG), &info);
        assert_false(info.is_elf);
        assert_int_equal(info.markers_found, 1);
        assert_true(info.signature_appended);
        ko_info_clear(&info);
        /* the trailer must be the very end */
        scan_text(SIG "\n", strlen(SIG) + 1, &info);
        assert_false(info.signature_appended);
        ko_info_clear(&info);
        scan_text(SIG, strlen(SIG), &info);
        assert_true(info.signature_appended);
        ko_info_clear(&info);
}

/* Several gzip members, xz streams (with stream padding), zstd frames: one stream. */
static void test_concatenated(void **state)
{
        buf m = make_module(MIB, true);
        size_t cuts[] = {0, 1000, m.len / 2, m.len - 3, m.len};

        for (int fmt = FMT_GZIP; fmt < _FMT_MAX; fmt++) {
                static const size_t rnd[] = {0};
                buf all = {0};
                ko_info info = {0};

                for (size_t i = 0; i + 1 < ELEMENTSOF(cuts); i++) {
                        buf e = encode(fmt, m.p + cuts[i], cuts[i + 1] - cuts[i]);

                        buf_put(&all, e.p, e.len);
                        if (fmt == FMT_XZ)
                                buf_put(&all, "\0\0\0\0", 4);
                        buf_free(&e);
                }
                assert_int_equal(scan_split(all.p, all.len, markers1, 1, 0, 0, rnd, 1, &info), 0);
                check_module(&info, m.len, true, 1);
                ko_info_clear(&info);
                buf_free(&all);
        }
        buf_free(&m);
}

static size_t count_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_scan_fd(void **state)
{
        char *dir = fixture_tmpdir(NULL, "ko");
        char *path = strdup_printf("%s/amdgpu.ko.zst", dir);
        buf m = make_module(MIB, true);
        buf z = encode(FMT_ZSTD, m.p, m.len);
        buf f = {0};
        ko_info info = {0};
        uint8_t junk[100];
        int fd;

        /* read from the current offset: 100 bytes of something else first */
        memset(junk, 'j', sizeof(junk));
        buf_put(&f, junk, sizeof(junk));
        buf_put(&f, z.p, z.len);
        fixture_write(path, NULL, f.p, f.len, 0644);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
        assert_int_equal(ko_scan_fd(fd, markers1, 1, &info), 0);
        check_module(&info, m.len, true, 1);
        assert_int_equal(info.compression, KO_COMPRESSION_ZSTD);
        ko_info_clear(&info);
        /* from offset 0 the junk makes it a plain, non-ELF stream */
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(ko_scan_fd(fd, markers1, 1, &info), 0);
        assert_false(info.is_elf);
        assert_int_equal(info.compression, KO_COMPRESSION_NONE);
        ko_info_clear(&info);
        close(fd);
        assert_int_equal(ko_scan_fd(-1, markers1, 1, &info), -EINVAL);

        buf_free(&f);
        buf_free(&z);
        buf_free(&m);
        free(path);
        fixture_rmrf(dir);
        free(dir);
}

static void test_info_copy(void **state)
{
        ko_info a = {0}, b = {0};
        char *hex;

        a.is_elf = true;
        a.compression = KO_COMPRESSION_XZ;
        memcpy(a.build_id, build_id20, 20);
        a.build_id_len = 20;
        a.srcversion = strdup("S");
        a.name = strdup("amdgpu");
        a.markers_found = 5;
        a.decoded_size = 42;
        assert_int_equal(ko_info_copy(&a, &b), 0);
        assert_true(b.is_elf);
        assert_int_equal(b.compression, KO_COMPRESSION_XZ);
        assert_string_equal(b.srcversion, "S");
        assert_ptr_not_equal(b.srcversion, a.srcversion);
        assert_string_equal(b.name, "amdgpu");
        assert_null(b.vermagic);
        assert_null(b.version);
        assert_int_equal(b.markers_found, 5);
        assert_int_equal(b.decoded_size, 42);
        hex = ko_info_build_id_hex(&b);
        assert_string_equal(hex, "e36193239e5f64bfb0c062e377eb6bc73732366c");
        free(hex);
        ko_info_clear(&a);
        ko_info_clear(&b);
        assert_null(b.name);
        assert_null(ko_info_build_id_hex(&b));
        ko_info_clear(NULL);
}

/* ---- a real relocatable object ---- */

static int run_cmd(const char *dir, char *const argv[])
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);

                if (chdir(dir) < 0)
                        _exit(127);
                if (null >= 0)
                        dup2(null, STDOUT_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_tool(const char *name)
{
        const char *path = getenv("PATH");
        char *copy, *save = NULL;
        bool found = false;

        if (!path)
                return false;
        copy = strdup(path);
        for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                char *p = strdup_printf("%s/%s", d, name);

                found = p && access(p, X_OK) == 0;
                free(p);
        }
        free(copy);
        return found;
}

static const char *const real_tools[] = {"gcc", "ld", "objcopy"};

static void test_real_object(void **state)
{
        static const char src[] =
                "__attribute__((section(\".modinfo\"), used, aligned(1)))\n"
                "static const char mi[] = \"license=GPL\\0srcversion=0123456789ABCDEF0123456\\0"
                "vermagic=6.8.0-48-generic SMP preempt mod_unload modversions \\0name=tiny\";\n"
                "__attribute__((used)) static const char fmt[] = \"KFD: Enabling fine-grained for RDNA1 0x%x\\n\";\n"
                "int tiny_init(void) { return fmt[0]; }\n";
        char *const cc[] = {(char *)"gcc", (char *)"-c", (char *)"-O2", (char *)"-o", (char *)"tiny.o",
                            (char *)"tiny.c", NULL};
        char *const ld[] = {(char *)"ld", (char *)"-r", (char *)"--build-id=sha1", (char *)"-o",
                            (char *)"tiny.ko", (char *)"tiny.o", NULL};
        char *const oc[] = {(char *)"objcopy", (char *)"-O", (char *)"binary",
                            (char *)"--only-section=.note.gnu.build-id", (char *)"tiny.ko",
                            (char *)"note.bin", NULL};
        char *dir = fixture_tmpdir(NULL, "ko");
        char *p = strdup_printf("%s/tiny.c", dir);
        uint8_t note[256], ko[1 << 16];
        ko_info info = {0};
        ssize_t n, kn;
        uint32_t descsz;
        int fd;

        fixture_write(p, NULL, src, strlen(src), 0644);
        free(p);
        assert_int_equal(run_cmd(dir, cc), 0);
        assert_int_equal(run_cmd(dir, ld), 0);
        assert_int_equal(run_cmd(dir, oc), 0);

        /* What binutils says the build-id is: namesz, descsz, type, "GNU\0", desc. */
        p = strdup_printf("%s/note.bin", dir);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        free(p);
        assert_true(fd >= 0);
        n = read(fd, note, sizeof(note));
        close(fd);
        assert_true(n >= 16 + 20);
        assert_memory_equal(note + 8, "\3\0\0\0GNU\0", 8);
        descsz = (uint32_t)note[4] | (uint32_t)note[5] << 8;
        assert_int_equal(descsz, 20);

        p = strdup_printf("%s/tiny.ko", dir);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        free(p);
        assert_true(fd >= 0);
        kn = read(fd, ko, sizeof(ko));
        assert_true(kn > 0 && kn < (ssize_t)sizeof(ko));
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(ko_scan_fd(fd, markers1, 1, &info), 0);
        close(fd);

        for (int fmt = 0; fmt < _FMT_MAX; fmt++) {
                buf e = encode(fmt, ko, (size_t)kn);
                ko_info again = {0};

                if (fmt > 0) {
                        assert_int_equal(scan_whole(e.p, e.len, markers1, 1, &again), 0);
                        assert_int_equal(again.build_id_len, info.build_id_len);
                        assert_memory_equal(again.build_id, info.build_id, info.build_id_len);
                        assert_string_equal(again.srcversion, "0123456789ABCDEF0123456");
                        ko_info_clear(&again);
                }
                buf_free(&e);
        }
        assert_true(info.is_elf);
        assert_int_equal(info.build_id_len, descsz);
        assert_memory_equal(info.build_id, note + 16, descsz);
        assert_string_equal(info.srcversion, "0123456789ABCDEF0123456");
        assert_string_equal(info.vermagic, VERMAGIC);
        assert_string_equal(info.name, "tiny");
        assert_null(info.version);
        assert_int_equal(info.markers_found, 1);
        assert_false(info.signature_appended);
        assert_int_equal(info.decoded_size, (uint64_t)kn);
        ko_info_clear(&info);
        fixture_rmrf(dir);
        free(dir);
}

/* ---- the cache ---- */

typedef struct cache_fixture {
        char *dir;
        char *cache;
        char *module;
        struct stat st;
} cache_fixture;

static int cache_setup(void **state)
{
        cache_fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->dir = fixture_tmpdir(NULL, "ko");
        f->cache = strdup_printf("%s/ko-cache.json", f->dir);
        f->module = strdup_printf("%s/amdgpu.ko", f->dir);
        fixture_write(f->module, NULL, "\x7f" "ELF", 4, 0644);
        assert_int_equal(stat(f->module, &f->st), 0);
        *state = f;
        return 0;
}

static int cache_teardown(void **state)
{
        cache_fixture *f = *state;

        fixture_rmrf(f->dir);
        free(f->dir);
        free(f->cache);
        free(f->module);
        free(f);
        return 0;
}

static void sample_info(ko_info *info)
{
        *info = (ko_info){
                .is_elf = true,
                .compression = KO_COMPRESSION_ZSTD,
                .build_id_len = 20,
                .signature_appended = true,
                .markers_found = 1,
                .decoded_size = 25 * MIB + 3,
        };
        memcpy(info->build_id, build_id20, 20);
        info->srcversion = strdup(SRCVERSION);
        info->vermagic = strdup(VERMAGIC);
        info->name = strdup("amdgpu");
        info->version = NULL;
}

static void check_sample(const ko_info *info)
{
        assert_true(info->is_elf);
        assert_int_equal(info->compression, KO_COMPRESSION_ZSTD);
        assert_int_equal(info->build_id_len, 20);
        assert_memory_equal(info->build_id, build_id20, 20);
        assert_true(info->signature_appended);
        assert_int_equal(info->markers_found, 1);
        assert_int_equal(info->decoded_size, 25 * MIB + 3);
        assert_string_equal(info->srcversion, SRCVERSION);
        assert_string_equal(info->vermagic, VERMAGIC);
        assert_string_equal(info->name, "amdgpu");
        assert_null(info->version);
}

/* Open the cache with markers1 and say whether path hits. */
static int cache_probe(const char *cache, const char *const *markers, size_t n, const char *path,
                       const struct stat *st)
{
        ko_cache *c = NULL;
        ko_info info = {0};
        int r;

        assert_int_equal(ko_cache_open(cache, markers, n, &c), 0);
        r = ko_cache_lookup(c, path, st, &info);
        if (r > 0)
                check_sample(&info);
        ko_info_clear(&info);
        ko_cache_free(c);
        return r;
}

static void store_sample(const char *cache, const char *path, const struct stat *st)
{
        ko_cache *c = NULL;
        ko_info info;

        sample_info(&info);
        assert_int_equal(ko_cache_open(cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_store(c, path, st, &info), 0);
        assert_int_equal(ko_cache_save(c), 0);
        ko_info_clear(&info);
        ko_cache_free(c);
}

static void test_cache_text(void **state)
{
        cache_fixture *f = *state;
        const char *md5 = "M /usr/src/a/b.c\nD /usr/src/a/c.c\n";
        struct stat changed = f->st;
        ko_cache *c = NULL;
        char *got = NULL;

        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup_text(c, "/usr/src/a/kfd_crat.c", &f->st, &got), 0);
        assert_int_equal(ko_cache_store_text(c, "/usr/src/a/kfd_crat.c", &f->st, md5), 0);
        assert_int_equal(ko_cache_save(c), 0);
        ko_cache_free(c);

        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup_text(c, "/usr/src/a/kfd_crat.c", &f->st, &got), 1);
        assert_string_equal(got, md5);
        free(got);
        /* a changed file (ctime) is a miss, and so is another key */
        changed.st_ctim.tv_nsec ^= 1;
        assert_int_equal(ko_cache_lookup_text(c, "/usr/src/a/kfd_crat.c", &changed, &got), 0);
        assert_int_equal(ko_cache_lookup_text(c, "/usr/src/a/other.c", &f->st, &got), 0);
        ko_cache_free(c);
}

static void test_cache_roundtrip(void **state)
{
        cache_fixture *f = *state;
        ko_cache *c = NULL;
        ko_info info, got = {0};
        struct stat st1, st2;

        /* nothing there: a miss, and saving an unchanged cache writes nothing */
        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup(c, "/lib/modules/x/amdgpu.ko", &f->st, &got), 0);
        assert_int_equal(ko_cache_save(c), 0);
        assert_int_equal(access(f->cache, F_OK), -1);

        /* stored: a hit in the same session, and after a reopen */
        sample_info(&info);
        assert_int_equal(ko_cache_store(c, "/lib/modules/x/amdgpu.ko", &f->st, &info), 0);
        ko_info_clear(&info);
        assert_int_equal(ko_cache_lookup(c, "/lib/modules/x/amdgpu.ko", &f->st, &got), 1);
        check_sample(&got);
        ko_info_clear(&got);
        assert_int_equal(ko_cache_save(c), 0);
        ko_cache_free(c);

        assert_int_equal(stat(f->cache, &st1), 0);
        assert_int_equal(st1.st_mode & 07777, 0600);
        assert_int_equal(count_dir(f->dir), 2); /* no temp file left behind */
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/lib/modules/x/amdgpu.ko", &f->st), 1);
        /* paths are keys as given */
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/lib/modules/x/../x/amdgpu.ko", &f->st), 0);

        /* a lookup only does not rewrite the file */
        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup(c, "/lib/modules/x/amdgpu.ko", &f->st, &got), 1);
        ko_info_clear(&got);
        assert_int_equal(ko_cache_save(c), 0);
        ko_cache_free(c);
        assert_int_equal(stat(f->cache, &st2), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);

        /* a store replaces the file by a new one (rename), still 0600 */
        store_sample(f->cache, "/other", &f->st);
        assert_int_equal(stat(f->cache, &st2), 0);
        assert_int_not_equal(st1.st_ino, st2.st_ino);
        assert_int_equal(st2.st_mode & 07777, 0600);
        assert_int_equal(count_dir(f->dir), 2);
}

static void test_cache_key_fields(void **state)
{
        cache_fixture *f = *state;
        struct stat st;

        store_sample(f->cache, "/m.ko", &f->st);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 1);

        st = f->st;
        st.st_dev++;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_ino++;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_size++;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_mtim.tv_nsec = (st.st_mtim.tv_nsec + 1) % 1000000000;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_mtim.tv_sec++;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_ctim.tv_nsec = (st.st_ctim.tv_nsec + 1) % 1000000000;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        st = f->st;
        st.st_ctim.tv_sec--;
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &st), 0);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/n.ko", &f->st), 0);

        /* another marker set: another fingerprint, the whole file is ignored */
        assert_int_equal(cache_probe(f->cache, markers2, 2, "/m.ko", &f->st), 0);
        assert_int_equal(cache_probe(f->cache, NULL, 0, "/m.ko", &f->st), 0);
        /* and still valid for the right one */
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 1);
}

static char *read_text(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *t = calloc(1, 1 << 20);
        ssize_t n;

        assert_true(fd >= 0);
        assert_non_null(t);
        n = read(fd, t, (1 << 20) - 1);
        assert_true(n > 0);
        close(fd);
        return t;
}

/* The saved text with the first occurrence of from replaced by to. */
static char *replace(const char *text, const char *from, const char *to)
{
        const char *at = strstr(text, from);

        assert_non_null(at);
        return strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void test_cache_rejects(void **state)
{
        cache_fixture *f = *state;
        char *good, *bad, *hex130 = calloc(1, 140);
        static const struct {
                const char *from, *to;
        } edits[] = {
                {"rdna1-doctor/ko-cache/1", "rdna1-doctor/ko-cache/2"},
                {"rdna1-doctor/ko-cache/1", "someone-else/1"},
                {"\"fingerprint\":\"", "\"fingerprint\":\"0"},
                {"\"dev\":", "\"dev\":\"1\",\"x\":"},
                {"\"ino\":", "\"ino\":-1,\"x\":"},
                {"\"size\":", "\"size\":1.5,\"x\":"},
                {"\"mtime_ns\":", "\"x\":"},
                {"\"info\":{", "\"info\":{\"x\":1,\"y\":"},
                {"\"is_elf\":true", "\"is_elf\":1"},
                {"\"compression\":\"zstd\"", "\"compression\":\"brotli\""},
                {"\"build_id\":\"e3", "\"build_id\":\"E3"},
                {"\"build_id\":\"e3", "\"build_id\":\"e"},
                {"\"srcversion\":\"", "\"srcversion\":7,\"x\":\""},
                {"\"markers_found\":1", "\"markers_found\":2"},
                {"\"decoded_size\":", "\"decoded_size\":-"},
                {"\"entries\":{", "\"entries\":[{"},
        };

        store_sample(f->cache, "/m.ko", &f->st);
        good = read_text(f->cache);
        /* the control: the file as written is accepted */
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 1);

        for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
                bad = replace(good, edits[i].from, edits[i].to);
                fixture_write(f->cache, NULL, bad, strlen(bad), 0644);
                assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
                free(bad);
        }

        /* a build-id of 65 bytes */
        memset(hex130, 'a', 130);
        bad = replace(good, "e36193239e5f64bfb0c062e377eb6bc73732366c", hex130);
        fixture_write(f->cache, NULL, bad, strlen(bad), 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        free(bad);
        /* 64 bytes are fine */
        hex130[128] = '\0';
        bad = replace(good, "e36193239e5f64bfb0c062e377eb6bc73732366c", hex130);
        fixture_write(f->cache, NULL, bad, strlen(bad), 0644);
        {
                ko_cache *c = NULL;
                ko_info info = {0};

                assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
                assert_int_equal(ko_cache_lookup(c, "/m.ko", &f->st, &info), 1);
                assert_int_equal(info.build_id_len, 64);
                assert_int_equal(info.build_id[63], 0xaa);
                ko_info_clear(&info);
                ko_cache_free(c);
        }
        free(bad);

        /* trailing garbage, truncation, not JSON, empty, a NUL inside */
        bad = strdup_printf("%s{}", good);
        fixture_write(f->cache, NULL, bad, strlen(bad), 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        free(bad);
        fixture_write(f->cache, NULL, good, strlen(good) - 1, 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        fixture_write(f->cache, NULL, "not json at all", 15, 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        fixture_write(f->cache, NULL, "", 0, 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        fixture_write(f->cache, NULL, good, strlen(good) + 1, 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        /* whitespace after the document is fine */
        bad = strdup_printf("%s\n", good);
        fixture_write(f->cache, NULL, bad, strlen(bad), 0644);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 1);
        free(bad);

        /* too large to be ours (sparse, costs no disk) */
        {
                int fd = open(f->cache, O_WRONLY | O_TRUNC | O_CLOEXEC);

                assert_true(fd >= 0);
                assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
                assert_int_equal(ftruncate(fd, (off_t)65 * MIB), 0);
                close(fd);
                assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
        }

        /* a damaged file is rebuilt by the next save */
        fixture_write(f->cache, NULL, "{\"schema\":", 10, 0644);
        store_sample(f->cache, "/m.ko", &f->st);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 1);

        /* a symlink at the cache path is not followed, and is replaced on save */
        {
                char *target = strdup_printf("%s/target.json", f->dir);

                fixture_write(target, NULL, good, strlen(good), 0644);
                unlink(f->cache);
                assert_int_equal(symlink(target, f->cache), 0);
                assert_int_equal(cache_probe(f->cache, markers1, 1, "/m.ko", &f->st), 0);
                store_sample(f->cache, "/m.ko", &f->st);
                {
                        struct stat lst;

                        assert_int_equal(lstat(f->cache, &lst), 0);
                        assert_true(S_ISREG(lst.st_mode));
                }
                unlink(target);
                free(target);
        }
        free(hex130);
        free(good);
}

static void test_cache_prune_and_nulls(void **state)
{
        cache_fixture *f = *state;
        ko_cache *c = NULL;
        ko_info info, got = {0};

        store_sample(f->cache, "/a", &f->st);
        {
                assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
                sample_info(&info);
                assert_int_equal(ko_cache_store(c, "/b", &f->st, &info), 0);
                ko_info_clear(&info);
                assert_int_equal(ko_cache_lookup(c, "/a", &f->st, &got), 1);
                ko_info_clear(&got);
                assert_int_equal(ko_cache_save(c), 0);
                ko_cache_free(c);
        }
        /* session 3 uses only /a, stores /c: /b falls out */
        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup(c, "/a", &f->st, &got), 1);
        ko_info_clear(&got);
        info = (ko_info){.compression = KO_COMPRESSION_NONE};
        assert_int_equal(ko_cache_store(c, "/c", &f->st, &info), 0);
        assert_int_equal(ko_cache_save(c), 0);
        ko_cache_free(c);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/a", &f->st), 1);
        assert_int_equal(cache_probe(f->cache, markers1, 1, "/b", &f->st), 0);

        /* an empty info (nothing found) round-trips as such */
        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup(c, "/c", &f->st, &got), 1);
        assert_false(got.is_elf);
        assert_int_equal(got.build_id_len, 0);
        assert_null(got.srcversion);
        assert_null(got.vermagic);
        assert_null(got.name);
        assert_null(got.version);
        assert_int_equal(got.markers_found, 0);
        ko_info_clear(&got);

        /* bytes from a module are stored as they are: controls, quotes, non-UTF-8 */
        info = (ko_info){.compression = KO_COMPRESSION_GZIP};
        info.vermagic = strdup("\x01\x1b[31m \"q\" \\ / \xff\x80 \xc3\xa9");
        assert_int_equal(ko_cache_store(c, "/odd\npath \xff", &f->st, &info), 0);
        assert_int_equal(ko_cache_save(c), 0);
        ko_cache_free(c);
        assert_int_equal(ko_cache_open(f->cache, markers1, 1, &c), 0);
        assert_int_equal(ko_cache_lookup(c, "/odd\npath \xff", &f->st, &got), 1);
        assert_string_equal(got.vermagic, info.vermagic);
        assert_int_equal(got.compression, KO_COMPRESSION_GZIP);
        ko_info_clear(&got);
        ko_info_clear(&info);

        /* what the loader would refuse is refused on store */
        info = (ko_info){.markers_found = 2};
        assert_int_equal(ko_cache_store(c, "/d", &f->st, &info), -EINVAL);
        info = (ko_info){.compression = _KO_COMPRESSION_MAX};
        assert_int_equal(ko_cache_store(c, "/d", &f->st, &info), -EINVAL);
        ko_cache_free(c);
}

static void test_cache_save_errors(void **state)
{
        cache_fixture *f = *state;
        char *path = strdup_printf("%s/missing-dir/cache.json", f->dir);
        ko_cache *c = NULL;
        ko_info info;

        assert_int_equal(ko_cache_open(path, markers1, 1, &c), 0);
        sample_info(&info);
        assert_int_equal(ko_cache_store(c, "/a", &f->st, &info), 0);
        ko_info_clear(&info);
        assert_int_equal(ko_cache_save(c), -ENOENT);
        ko_cache_free(c);
        assert_int_equal(count_dir(f->dir), 1);
        assert_int_equal(ko_cache_open(NULL, markers1, 1, &c), -EINVAL);
        assert_null(ko_cache_free(NULL));
        free(path);
}

/* The one test of "is this a module file" for the probes, the initramfs scan and the kernel transaction. */
static void test_module_names(void **state)
{
        static const char *const yes[] = {"amdgpu.ko", "amdgpu.ko.zst", "amdgpu.ko.xz", "amdgpu.ko.gz",
                                          "/lib/modules/6.1.0-18-amd64/updates/dkms/amdgpu.ko.xz",
                                          "usr/lib/modules/6.1.0/kernel/amdttm.ko"};
        static const char *const no[] = {"amdgpu.ko.orig", "amdgpu.ko.bak", "amdgpu.ko.bz2", "amdgpu.kox",
                                         "amdgpu.o", "amdgpu", "", "/lib/modules/6.1.0-kobalt/modules.dep",
                                         "amdgpu.ko/", "amdgpu.ko.zst.sig"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_true(ko_name_is_module(yes[i]));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(ko_name_is_module(no[i]));

        assert_true(ko_name_is_module_of("amdgpu.ko", "amdgpu"));
        assert_true(ko_name_is_module_of("/lib/modules/6.1.0/updates/dkms/amdgpu.ko.zst", "amdgpu"));
        assert_true(ko_name_is_module_of("main/usr/lib/modules/6.1.0/amdgpu.ko.gz", "amdgpu"));
        assert_false(ko_name_is_module_of("amdgpu.ko.orig", "amdgpu"));
        assert_false(ko_name_is_module_of("amdgpu.kox", "amdgpu"));
        assert_false(ko_name_is_module_of("amdttm.ko", "amdgpu"));
        assert_false(ko_name_is_module_of("amdgpu_dm.ko", "amdgpu"));
        assert_false(ko_name_is_module_of("/x/amdgpu.ko/amdttm.ko", "amdgpu"));
        assert_false(ko_name_is_module_of("/x/amdgpu/", "amdgpu"));

        /* The lookup order: uncompressed first, then zstd, xz, gzip. */
        assert_string_equal(ko_suffixes[0], ".ko");
        assert_string_equal(ko_suffixes[1], ".ko.zst");
        assert_string_equal(ko_suffixes[2], ".ko.xz");
        assert_string_equal(ko_suffixes[3], ".ko.gz");
        assert_null(ko_suffixes[4]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_module_names),
                cmocka_unit_test(test_compression_names),
                cmocka_unit_test(test_formats_and_feeds),
                cmocka_unit_test(test_window_sweep),
                cmocka_unit_test(test_feed_split_everywhere),
                cmocka_unit_test(test_default_window_boundaries),
                cmocka_unit_test(test_markers),
                cmocka_unit_test(test_bad_arguments),
                cmocka_unit_test(test_modinfo_keys),
                cmocka_unit_test(test_build_id),
                cmocka_unit_test(test_corrupt_and_truncated),
                cmocka_unit_test(test_decoded_cap),
                cmocka_unit_test(test_empty_and_odd_inputs),
                cmocka_unit_test(test_concatenated),
                cmocka_unit_test(test_scan_fd),
                cmocka_unit_test(test_info_copy),
                cmocka_unit_test_setup_teardown(test_cache_roundtrip, cache_setup, cache_teardown),
                cmocka_unit_test_setup_teardown(test_cache_text, cache_setup, cache_teardown),
                cmocka_unit_test_setup_teardown(test_cache_key_fields, cache_setup, cache_teardown),
                cmocka_unit_test_setup_teardown(test_cache_rejects, cache_setup, cache_teardown),
                cmocka_unit_test_setup_teardown(test_cache_prune_and_nulls, cache_setup, cache_teardown),
                cmocka_unit_test_setup_teardown(test_cache_save_errors, cache_setup, cache_teardown),
        };
        const struct CMUnitTest real[] = {
                cmocka_unit_test(test_real_object),
        };
        const char *missing = NULL;
        bool ci = streq_ptr(getenv("CI"), "true");
        int r;

        for (size_t i = 0; i < ELEMENTSOF(real_tools) && !missing; i++)
                if (!have_tool(real_tools[i]))
                        missing = real_tools[i];

        r = cmocka_run_group_tests_name("ko-scan", tests, NULL, NULL);
        if (!missing)
                return r | cmocka_run_group_tests_name("ko-scan-real-object", real, NULL, NULL);
        printf("SKIP test_real_object: '%s' is not on PATH (needs gcc, ld, objcopy)\n", missing);
        if (ci) {
                printf("CI=true: a missing prerequisite is a failure\n");
                return 1;
        }
        return r != 0 ? r : 77;
}
