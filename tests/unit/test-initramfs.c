/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Initramfs images built here with libarchive's writer (newc): early
 * uncompressed segments, NUL padding, compressed main segments, and the
 * ways they break. The scan must find every amdgpu.ko* entry and decode a
 * compressed module inside a compressed archive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "parse/initramfs.h"

#define MARKER "KFD: Enabling fine-grained for RDNA1 0x%x\n"
#define DKMS_PATH "usr/lib/modules/6.8.0-48-generic/updates/dkms/amdgpu.ko.zst"
#define INTREE_PATH "usr/lib/modules/6.8.0-48-generic/kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko"
#define EXTRA_PATH "usr/lib/modules/6.8.0-48-generic/extra/amdgpu.ko.xz"

static const char *const markers[] = {MARKER};

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

static void buf_zeros(buf *b, size_t n)
{
        uint8_t z[512] = {0};

        while (n > 0) {
                size_t k = n < sizeof(z) ? n : sizeof(z);

                buf_put(b, z, k);
                n -= k;
        }
}

static void buf_cat(buf *b, const buf *o)
{
        buf_put(b, o->p, o->len);
}

static void buf_free(buf *b)
{
        free(b->p);
        *b = (buf){0};
}

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rng(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x9e3779b97f4a7c15u;
}

static void put_random(buf *b, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint8_t c = (uint8_t)(rng() >> 32);
                buf_put(b, &c, 1);
        }
}

static const uint8_t id_dkms[20] = {0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
                                    0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4};
static const uint8_t id_intree[20] = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
                                      0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24};

/* A synthetic module: ELF magic, build-id note, .modinfo strings, maybe the marker. */
static buf make_module(const uint8_t id[20], const char *srcversion, bool marker, size_t filler)
{
        static const uint8_t hdr[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        static const uint8_t note[16] = {4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0};
        static const char sig[] = "~Module signature appended~\n";
        static const char modinfo_rest[] = "vermagic=6.8.0-48-generic SMP preempt mod_unload modversions \0name=amdgpu\0";
        buf b = {0};

        buf_put(&b, hdr, sizeof(hdr));
        put_random(&b, filler);
        buf_put(&b, note, sizeof(note));
        buf_put(&b, id, 20);
        put_random(&b, filler);
        if (marker)
                buf_put(&b, "\0" MARKER, strlen(MARKER) + 1);
        buf_put(&b, "\0srcversion=", 12);
        buf_put(&b, srcversion, strlen(srcversion) + 1);
        buf_put(&b, modinfo_rest, sizeof(modinfo_rest) - 1);
        put_random(&b, filler);
        buf_put(&b, sig, strlen(sig));
        return b;
}

static buf zstd_compress(const buf *in)
{
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        buf out = {0};
        size_t r;

        assert_non_null(cc);
        assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
        out.cap = ZSTD_compressBound(in->len);
        out.p = malloc(out.cap);
        assert_non_null(out.p);
        r = ZSTD_compress2(cc, out.p, out.cap, in->p, in->len);
        assert_false(ZSTD_isError(r));
        out.len = r;
        ZSTD_freeCCtx(cc);
        return out;
}

static buf xz_compress(const buf *in)
{
        buf out = {0};
        size_t pos = 0;

        out.cap = lzma_stream_buffer_bound(in->len);
        out.p = malloc(out.cap);
        assert_non_null(out.p);
        assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, in->p, in->len, out.p, &pos, out.cap),
                         LZMA_OK);
        out.len = pos;
        return out;
}

static buf gzip_compress(const buf *in)
{
        z_stream z = {0};
        buf out = {0};

        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        out.cap = deflateBound(&z, in->len);
        out.p = malloc(out.cap);
        assert_non_null(out.p);
        z.next_in = in->p;
        z.avail_in = (uInt)in->len;
        z.next_out = out.p;
        z.avail_out = (uInt)out.cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        out.len = out.cap - z.avail_out;
        deflateEnd(&z);
        return out;
}

typedef struct entry {
        const char *path;
        unsigned type;          /* AE_IFREG, AE_IFDIR, AE_IFLNK */
        const buf *data;
        const char *link;
} entry;

static la_ssize_t append_cb(struct archive *a, void *ud, const void *p, size_t n)
{
        buf_put(ud, p, n);
        return (la_ssize_t)n;
}

enum { FILTER_NONE, FILTER_GZIP, FILTER_XZ, FILTER_ZSTD, FILTER_LZ4 };

/* A newc archive written by libarchive, optionally through its own compression filter. */
static buf make_cpio(int filter, int block, const entry *entries, size_t n)
{
        struct archive *a = archive_write_new();
        buf out = {0};

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_cpio_newc(a), ARCHIVE_OK);
        switch (filter) {
        case FILTER_GZIP:
                assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
                break;
        case FILTER_XZ:
                assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
                break;
        case FILTER_ZSTD:
                assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
                break;
        case FILTER_LZ4:
                assert_int_equal(archive_write_add_filter_lz4(a), ARCHIVE_OK);
                break;
        default:
                break;
        }
        assert_int_equal(archive_write_set_bytes_per_block(a, block), ARCHIVE_OK);
        assert_int_equal(archive_write_open(a, &out, NULL, append_cb, NULL), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_pathname(e, entries[i].path);
                archive_entry_set_filetype(e, entries[i].type);
                archive_entry_set_perm(e, entries[i].type == AE_IFDIR ? 0755 : 0644);
                archive_entry_set_ino(e, (la_int64_t)i + 1);
                archive_entry_set_nlink(e, 1);
                if (entries[i].link)
                        archive_entry_set_symlink(e, entries[i].link);
                archive_entry_set_size(e, entries[i].data ? (la_int64_t)entries[i].data->len : 0);
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (entries[i].data && entries[i].data->len)
                        assert_int_equal(archive_write_data(a, entries[i].data->p, entries[i].data->len),
                                         (la_ssize_t)entries[i].data->len);
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        return out;
}

/* What the tests put in an image. */
typedef struct parts {
        buf dkms_ko;      /* the marked module, plain */
        buf dkms_zst;     /* ... as amdgpu.ko.zst */
        buf intree_ko;    /* an unmarked module, plain */
        buf extra_xz;     /* another marked one, as .ko.xz */
        buf microcode;
        buf busybox;
        buf early;        /* uncompressed early cpio */
        buf main_plain;   /* the main cpio, uncompressed */
} parts;

static parts P;

static const entry *main_entries(size_t *n)
{
        static entry e[10];

        e[0] = (entry){"usr", AE_IFDIR, NULL, NULL};
        e[1] = (entry){"usr/bin/busybox", AE_IFREG, &P.busybox, NULL};
        e[2] = (entry){"init", AE_IFREG, &P.microcode, NULL};
        e[3] = (entry){"usr/lib/modules/6.8.0-48-generic/updates/dkms", AE_IFDIR, NULL, NULL};
        e[4] = (entry){DKMS_PATH, AE_IFREG, &P.dkms_zst, NULL};
        e[5] = (entry){INTREE_PATH, AE_IFREG, &P.intree_ko, NULL};
        /* not modules: a directory and a symlink named like one, another name */
        e[6] = (entry){"usr/lib/amdgpu.ko.d", AE_IFDIR, NULL, NULL};
        e[7] = (entry){"usr/lib/link/amdgpu.ko", AE_IFLNK, NULL, "../../" INTREE_PATH};
        e[8] = (entry){"usr/lib/modules/6.8.0-48-generic/kernel/radeon.ko", AE_IFREG, &P.intree_ko, NULL};
        e[9] = (entry){"usr/lib/modules/6.8.0-48-generic/kernel/xamdgpu.ko", AE_IFREG, &P.intree_ko, NULL};
        *n = ELEMENTSOF(e);
        return e;
}

static int group_setup(void **state)
{
        entry early[] = {
                {"kernel", AE_IFDIR, NULL, NULL},
                {"kernel/x86/microcode/AuthenticAMD.bin", AE_IFREG, &P.microcode, NULL},
        };
        const entry *m;
        size_t n;

        P.dkms_ko = make_module(id_dkms, "DKMS0123456789ABCDEF012", true, 300 * 1024);
        P.dkms_zst = zstd_compress(&P.dkms_ko);
        P.intree_ko = make_module(id_intree, "INTREE456789ABCDEF01234", false, 20 * 1024);
        P.extra_xz = xz_compress(&P.dkms_ko);
        put_random(&P.microcode, 5000);
        put_random(&P.busybox, 100 * 1024);
        P.early = make_cpio(FILTER_NONE, 512, early, ELEMENTSOF(early));
        m = main_entries(&n);
        P.main_plain = make_cpio(FILTER_NONE, 512, m, n);
        return 0;
}

static int group_teardown(void **state)
{
        buf_free(&P.dkms_ko);
        buf_free(&P.dkms_zst);
        buf_free(&P.intree_ko);
        buf_free(&P.extra_xz);
        buf_free(&P.microcode);
        buf_free(&P.busybox);
        buf_free(&P.early);
        buf_free(&P.main_plain);
        return 0;
}

typedef struct seen {
        size_t n;
        char *names[16];
        ko_info infos[16];
        int fail_with;
} seen;

static int on_module(const char *name, const ko_info *info, void *userdata)
{
        seen *s = userdata;

        assert_true(s->n < ELEMENTSOF(s->names));
        s->names[s->n] = strdup(name);
        assert_int_equal(ko_info_copy(info, &s->infos[s->n]), 0);
        s->n++;
        return s->fail_with;
}

static void seen_clear(seen *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->names[i]);
                ko_info_clear(&s->infos[i]);
        }
        *s = (seen){0};
}

static const ko_info *find_seen(const seen *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->names[i], name))
                        return &s->infos[i];
        return NULL;
}

static int scan_image(const buf *img, seen *s)
{
        int fd = memfd_create("initramfs", MFD_CLOEXEC);
        int r;

        assert_true(fd >= 0);
        if (img->len)
                assert_int_equal(write(fd, img->p, img->len), (ssize_t)img->len);
        /* The scan reads by offset: the file position must not matter. */
        assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
        r = initramfs_scan_fd(fd, markers, 1, on_module, s);
        close(fd);
        return r;
}

static void check_dkms(const ko_info *i, ko_compression c)
{
        assert_non_null(i);
        assert_true(i->is_elf);
        assert_int_equal(i->compression, c);
        assert_int_equal(i->build_id_len, 20);
        assert_memory_equal(i->build_id, id_dkms, 20);
        assert_int_equal(i->markers_found, 1);
        assert_string_equal(i->srcversion, "DKMS0123456789ABCDEF012");
        assert_string_equal(i->name, "amdgpu");
        assert_true(i->signature_appended);
        assert_int_equal(i->decoded_size, P.dkms_ko.len);
}

static void check_intree(const ko_info *i)
{
        assert_non_null(i);
        assert_int_equal(i->compression, KO_COMPRESSION_NONE);
        assert_int_equal(i->build_id_len, 20);
        assert_memory_equal(i->build_id, id_intree, 20);
        assert_int_equal(i->markers_found, 0);
        assert_string_equal(i->srcversion, "INTREE456789ABCDEF01234");
}

/* The main cpio as the given filter writes it (libarchive's own compressors). */
static buf make_main(int filter, int block)
{
        size_t n;
        const entry *m = main_entries(&n);

        return make_cpio(filter, block, m, n);
}

/* early + padding + main: what initramfs-tools writes, for each compression. */
static void test_early_plus_main(void **state)
{
        static const int filters[] = {FILTER_ZSTD, FILTER_GZIP, FILTER_XZ, FILTER_NONE};

        for (size_t f = 0; f < ELEMENTSOF(filters); f++)
                for (int block = 512; block <= 10240; block += 9728) {
                        buf main = make_main(filters[f], block);
                        buf img = {0};
                        seen s = {0};

                        buf_cat(&img, &P.early);
                        buf_zeros(&img, (4 - img.len % 4) % 4 + 512);
                        buf_cat(&img, &main);
                        assert_int_equal(scan_image(&img, &s), 2);
                        assert_int_equal(s.n, 2);
                        check_dkms(find_seen(&s, DKMS_PATH), KO_COMPRESSION_ZSTD);
                        check_intree(find_seen(&s, INTREE_PATH));
                        seen_clear(&s);

                        /* trailing NULs change nothing */
                        buf_zeros(&img, 4096);
                        assert_int_equal(scan_image(&img, &s), 2);
                        assert_int_equal(s.n, 2);
                        seen_clear(&s);
                        buf_free(&img);
                        buf_free(&main);
                }
}

static void test_one_segment(void **state)
{
        entry with_module[] = {
                {"lib/modules/6.8.0-48-generic/updates/dkms/amdgpu.ko", AE_IFREG, &P.dkms_ko, NULL},
        };
        buf main = make_main(FILTER_ZSTD, 10240);
        buf plain = make_cpio(FILTER_NONE, 512, with_module, 1);
        seen s = {0};

        assert_int_equal(scan_image(&main, &s), 1);
        assert_int_equal(s.n, 2);
        check_dkms(find_seen(&s, DKMS_PATH), KO_COMPRESSION_ZSTD);
        seen_clear(&s);

        /* an uncompressed module in an uncompressed archive */
        assert_int_equal(scan_image(&plain, &s), 1);
        assert_int_equal(s.n, 1);
        check_dkms(find_seen(&s, with_module[0].path), KO_COMPRESSION_NONE);
        seen_clear(&s);

        /* the early archive alone: no module */
        assert_int_equal(scan_image(&P.early, &s), 1);
        assert_int_equal(s.n, 0);
        buf_free(&main);
        buf_free(&plain);
}

/* Several early archives, then two compressed units: each unit's exact end matters. */
static void test_many_segments(void **state)
{
        entry extra[] = {{EXTRA_PATH, AE_IFREG, &P.extra_xz, NULL}};
        buf extra_cpio = make_cpio(FILTER_NONE, 512, extra, 1);
        buf extra_gz = gzip_compress(&extra_cpio);
        buf main_zst = zstd_compress(&P.main_plain);
        buf main_xz = xz_compress(&P.main_plain);
        buf img = {0};
        seen s = {0};

        buf_cat(&img, &P.early);
        buf_cat(&img, &P.early); /* early AMD and Intel microcode, say */
        buf_zeros(&img, 4);
        buf_cat(&img, &extra_gz);
        buf_cat(&img, &main_zst);
        buf_cat(&img, &main_xz);
        buf_zeros(&img, 12); /* xz stream padding */
        assert_int_equal(scan_image(&img, &s), 5);
        assert_int_equal(s.n, 5);
        check_dkms(find_seen(&s, EXTRA_PATH), KO_COMPRESSION_XZ);
        assert_string_equal(s.names[0], EXTRA_PATH);
        assert_string_equal(s.names[1], DKMS_PATH);
        assert_string_equal(s.names[3], DKMS_PATH);
        check_dkms(&s.infos[3], KO_COMPRESSION_ZSTD);
        check_intree(&s.infos[4]);
        seen_clear(&s);

        buf_free(&img);
        buf_free(&extra_cpio);
        buf_free(&extra_gz);
        buf_free(&main_zst);
        buf_free(&main_xz);
}

/* Two archives inside one compressed unit (the kernel unpacks both). */
static void test_archives_in_one_unit(void **state)
{
        entry extra[] = {{EXTRA_PATH, AE_IFREG, &P.extra_xz, NULL}};
        buf extra_cpio = make_cpio(FILTER_NONE, 512, extra, 1);

        for (size_t pad = 0; pad <= 256 * 1024; pad += 128 * 1024 + 4) {
                buf inner = {0}, unit, img = {0};
                seen s = {0};

                buf_cat(&inner, &P.main_plain);
                buf_zeros(&inner, pad);
                buf_cat(&inner, &extra_cpio);
                unit = zstd_compress(&inner);
                buf_cat(&img, &P.early);
                buf_cat(&img, &unit);
                assert_int_equal(scan_image(&img, &s), 3);
                assert_int_equal(s.n, 3);
                check_dkms(find_seen(&s, EXTRA_PATH), KO_COMPRESSION_XZ);
                check_dkms(find_seen(&s, DKMS_PATH), KO_COMPRESSION_ZSTD);
                seen_clear(&s);
                buf_free(&unit);
                buf_free(&img);
                buf_free(&inner);
        }
        buf_free(&extra_cpio);
}

/* lz4 is left to libarchive's filter: read, and taken as the last segment. */
static void test_lz4_main(void **state)
{
        buf main = make_main(FILTER_LZ4, 10240);
        buf img = {0};
        seen s = {0};

        buf_cat(&img, &P.early);
        buf_cat(&img, &main);
        assert_int_equal(scan_image(&img, &s), 2);
        assert_int_equal(s.n, 2);
        check_dkms(find_seen(&s, DKMS_PATH), KO_COMPRESSION_ZSTD);
        seen_clear(&s);
        buf_free(&img);
        buf_free(&main);
}

static void test_corrupt(void **state)
{
        buf units[3] = {zstd_compress(&P.main_plain), gzip_compress(&P.main_plain), xz_compress(&P.main_plain)};
        buf img = {0};
        seen s = {0};

        for (size_t u = 0; u < ELEMENTSOF(units); u++) {
                buf *m = &units[u];

                /* control: intact */
                buf_cat(&img, &P.early);
                buf_cat(&img, m);
                assert_int_equal(scan_image(&img, &s), 2);
                seen_clear(&s);

                /* a byte flipped in the middle of the second segment, and near its end */
                img.p[P.early.len + m->len / 2] ^= 0x40;
                assert_int_equal(scan_image(&img, &s), -EBADMSG);
                seen_clear(&s);
                img.p[P.early.len + m->len / 2] ^= 0x40;
                img.p[P.early.len + m->len - 2] ^= 0x40;
                assert_int_equal(scan_image(&img, &s), -EBADMSG);
                seen_clear(&s);
                img.p[P.early.len + m->len - 2] ^= 0x40;

                /* truncated: in the middle, and one byte short */
                img.len = P.early.len + m->len / 3;
                assert_int_equal(scan_image(&img, &s), -EBADMSG);
                seen_clear(&s);
                img.len = P.early.len + m->len - 1;
                assert_int_equal(scan_image(&img, &s), -EBADMSG);
                seen_clear(&s);
                buf_free(&img);
        }

        /* garbage where the second segment should be */
        buf_cat(&img, &P.early);
        buf_put(&img, "this is no archive at all", 25);
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        seen_clear(&s);
        buf_free(&img);

        /* the first archive cut short */
        buf_put(&img, P.main_plain.p, P.main_plain.len / 2);
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        seen_clear(&s);
        buf_free(&img);

        /* a compressed module inside that does not decode */
        {
                buf bad = {0}, cpio;
                entry e[] = {{DKMS_PATH, AE_IFREG, &bad, NULL}};

                buf_cat(&bad, &P.dkms_zst);
                bad.p[bad.len / 2] ^= 0x40;
                cpio = make_cpio(FILTER_ZSTD, 10240, e, 1);
                assert_int_equal(scan_image(&cpio, &s), -EBADMSG);
                seen_clear(&s);
                buf_free(&cpio);
                buf_free(&bad);
        }
        for (size_t u = 0; u < ELEMENTSOF(units); u++)
                buf_free(&units[u]);
}

static void test_not_an_image(void **state)
{
        buf img = {0};
        seen s = {0};
        int p[2];

        /* empty, only NULs, garbage, a compressed stream of garbage */
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        buf_zeros(&img, 10000);
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        buf_free(&img);
        put_random(&img, 100000);
        img.p[0] = 'X';
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        buf_free(&img);
        buf_put(&img, "070701", 6);
        put_random(&img, 1000);
        assert_int_equal(scan_image(&img, &s), -EBADMSG);
        buf_free(&img);
        {
                buf junk = {0}, z;

                put_random(&junk, 5000);
                z = zstd_compress(&junk);
                assert_int_equal(scan_image(&z, &s), -EBADMSG);
                buf_free(&z);
                buf_free(&junk);
        }
        assert_int_equal(s.n, 0);

        /* a pipe is no image file */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(initramfs_scan_fd(p[0], markers, 1, on_module, &s), -EINVAL);
        close(p[0]);
        close(p[1]);
        assert_int_equal(initramfs_scan_fd(-1, markers, 1, on_module, &s), -EINVAL);
}

static void test_callback_error_and_limits(void **state)
{
        buf main = make_main(FILTER_GZIP, 10240);
        buf img = {0};
        seen s = {.fail_with = -ECANCELED};

        buf_cat(&img, &P.early);
        buf_cat(&img, &main);
        assert_int_equal(scan_image(&img, &s), -ECANCELED);
        assert_int_equal(s.n, 1);
        seen_clear(&s);
        buf_free(&img);

        /* 16 segments are read, a 17th is too many */
        for (int i = 0; i < 16; i++)
                buf_cat(&img, &P.early);
        assert_int_equal(scan_image(&img, &s), 16);
        buf_cat(&img, &P.early);
        assert_int_equal(scan_image(&img, &s), -E2BIG);
        buf_free(&img);
        buf_free(&main);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_early_plus_main),
                cmocka_unit_test(test_one_segment),
                cmocka_unit_test(test_many_segments),
                cmocka_unit_test(test_archives_in_one_unit),
                cmocka_unit_test(test_lz4_main),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_not_an_image),
                cmocka_unit_test(test_callback_error_and_limits),
        };

        return cmocka_run_group_tests_name("initramfs", tests, group_setup, group_teardown);
}
