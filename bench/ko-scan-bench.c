/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How fast the module scanner is, against plain decompression of the same
 * bytes: a 24 MiB module-like stream (half text, half random, markers and
 * .modinfo near the end, as in a real amdgpu.ko) in each format, scanned
 * from memory in 256 KiB reads. Not built by meson; build and run with
 *
 *   cc -O2 -D_GNU_SOURCE -Isrc/core bench/ko-scan-bench.c src/core/ko_scan.c \
 *      src/core/util.c -lz -llzma -lzstd -o /tmp/ko-scan-bench && /tmp/ko-scan-bench
 */
#include <lzma.h>
#include <stdio.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "parse/ko_scan.h"

#define SIZE (24u << 20)
#define READ (256u << 10)

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *make_stream(void)
{
        static const char tail[] = "\0KFD: Enabling fine-grained for RDNA1 0x%x\n\0srcversion=0123456789ABCDEF0123456"
                                   "\0vermagic=6.8.0-48-generic SMP preempt mod_unload modversions \0name=amdgpu\0";
        uint8_t *p = malloc(SIZE);
        uint64_t x = 88172645463325252u;

        if (!p)
                exit(1);
        memcpy(p, "\x7f" "ELF", 4);
        for (size_t i = 4; i < SIZE; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                /* text-like in the first half, like .rodata and .modinfo; random like code after */
                p[i] = i < SIZE / 2 ? (uint8_t)("etaoin shrdlu_\0"[x % 15]) : (uint8_t)x;
        }
        memcpy(p + SIZE - 4096, tail, sizeof(tail));
        return p;
}

static size_t encode(int fmt, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
        size_t pos = 0;
        uLongf zl = cap;

        switch (fmt) {
        case 1: {
                z_stream z = {0};

                deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
                z.next_in = (Bytef *)in;
                z.avail_in = (uInt)n;
                z.next_out = out;
                z.avail_out = (uInt)cap;
                deflate(&z, Z_FINISH);
                zl = z.total_out;
                deflateEnd(&z);
                return zl;
        }
        case 2:
                lzma_easy_buffer_encode(2, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap);
                return pos;
        case 3:
                return ZSTD_compress(out, cap, in, n, 3);
        default:
                memcpy(out, in, n);
                return n;
        }
}

/* Plain decode time of the same bytes, for comparison. */
static double decode_only(int fmt, const uint8_t *in, size_t n, uint8_t *out)
{
        double t = now();
        size_t pos_in = 0, pos_out = 0;
        uLongf zl = SIZE;

        switch (fmt) {
        case 1: {
                z_stream z = {0};

                inflateInit2(&z, 15 + 32);
                z.next_in = (Bytef *)in;
                z.avail_in = (uInt)n;
                z.next_out = out;
                z.avail_out = SIZE;
                inflate(&z, Z_FINISH);
                inflateEnd(&z);
                break;
        }
        case 2: {
                uint64_t limit = UINT64_MAX;

                (void)!lzma_stream_buffer_decode(&limit, 0, NULL, in, &pos_in, n, out, &pos_out, SIZE);
                break;
        }
        case 3:
                ZSTD_decompress(out, SIZE, in, n);
                break;
        default:
                memcpy(out, in, n);
                break;
        }
        (void)zl;
        return now() - t;
}

int main(void)
{
        static const char *const names[] = {"none", "gzip", "xz", "zstd"};
        static const char *const markers[] = {"KFD: Enabling fine-grained for RDNA1 0x%x\n",
                                              "RDNA1 FIX for device 0x731F"};
        uint8_t *plain = make_stream();
        uint8_t *packed = malloc(SIZE + SIZE / 8 + 65536);
        uint8_t *scratch = malloc(SIZE);

        if (!packed || !scratch)
                return 1;
        for (int fmt = 0; fmt < 4; fmt++) {
                size_t n = encode(fmt, plain, SIZE, packed, SIZE + SIZE / 8 + 65536);
                double best = 1e9, dec = 1e9;

                for (int rep = 0; rep < 3; rep++) {
                        ko_scanner *s = NULL;
                        ko_info info = {0};
                        double t = now(), d;

                        if (ko_scanner_new(markers, 2, 0, &s) < 0)
                                return 1;
                        for (size_t off = 0; off < n; off += READ)
                                if (ko_scanner_feed(s, packed + off, n - off < READ ? n - off : READ) < 0)
                                        return 1;
                        if (ko_scanner_finish(s, &info) < 0 || info.markers_found != 1 || !info.srcversion)
                                return 1;
                        t = now() - t;
                        best = t < best ? t : best;
                        ko_info_clear(&info);
                        ko_scanner_free(s);
                        d = decode_only(fmt, packed, n, scratch);
                        dec = d < dec ? d : dec;
                }
                printf("%-5s %6.1f MiB -> %4u MiB: scan %7.1f ms (%6.0f MiB/s decoded), decode alone %7.1f ms\n",
                       names[fmt], (double)n / (1 << 20), SIZE >> 20, best * 1e3, (SIZE >> 20) / best, dec * 1e3);
        }
        free(plain);
        free(packed);
        free(scratch);
        return 0;
}
