/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GPU code in a library, read from its headers only. The formats (all
 * little-endian; the bundle formats as LLVM's clang/lib/Driver/OffloadBundler.cpp
 * writes and reads them, https://github.com/llvm/llvm-project):
 *
 *   ELF64: e_shoff (8 @0x28), e_shentsize (2 @0x3a), e_shnum (2 @0x3c),
 *     e_shstrndx (2 @0x3e); a section header has sh_name (4 @0),
 *     sh_offset (8 @0x18), sh_size (8 @0x20).
 *   Offload bundle (clang OffloadBundler.cpp): "__CLANG_OFFLOAD_BUNDLE__",
 *     u64 count, then per entry u64 offset, u64 size, u64 id length, id;
 *     offsets count from the bundle's start.
 *   Compressed bundle: "CCOB", u16 version, u16 method (0 zlib, 1 zstd),
 *     v1: u32 uncompressed size, u64 hash; v2: u32 total size, u32
 *     uncompressed size, u64 hash; v3: u64 total size, u64 uncompressed
 *     size, u64 hash; then the compressed offload bundle. Only its start
 *     is inflated: the bundle header is at the front.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "parse/gpu_bundle.h"

#define BUNDLE_MAGIC "__CLANG_OFFLOAD_BUNDLE__"
#define BUNDLE_MAGIC_LEN 24
#define CCOB_MAGIC "CCOB"
#define ELF_STRTAB_MAX (1024u * 1024)
#define ELF_SHENTSIZE_MAX 256u /* ELF64 section headers are 64 bytes; room for extensions */
#define BUNDLE_ENTRIES_MAX 4096u
#define COMPRESSED_READ_MAX (4u * 1024 * 1024) /* compressed bytes fed to get GPU_BUNDLE_HEADER_MAX out */

static ssize_t fd_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
        int fd = *(int *)ctx;
        size_t done = 0;

        if (off > (uint64_t)INT64_MAX)
                return -EINVAL;
        while (done < n) {
                ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                done += (size_t)k;
        }
        return (ssize_t)done;
}

static ssize_t mem_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
        const mem_source *m = ctx;

        if (off >= m->len)
                return 0;
        if (n > m->len - off)
                n = m->len - (size_t)off;
        memcpy(buf, m->data + off, n);
        return (ssize_t)n;
}

void byte_source_fd(byte_source *s, int *fd, uint64_t size)
{
        *s = (byte_source){ .pread = fd_pread, .ctx = fd, .size = size };
}

void byte_source_mem(byte_source *s, mem_source *m)
{
        *s = (byte_source){ .pread = mem_pread, .ctx = m, .size = m->len };
}

/* Exactly n bytes at off, inside the source: 0, -EIO (short), -EBADMSG (past the end). */
static int read_exact(const byte_source *src, void *buf, size_t n, uint64_t off)
{
        ssize_t k;

        if (off > src->size || n > src->size - off)
                return -EBADMSG;
        k = src->pread(src->ctx, buf, n, off);
        if (k < 0)
                return (int)k;
        return (size_t)k == n ? 0 : -EIO;
}

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static int set_why(char **ret_why, const char *fmt, ...) _printf_(2, 3);
static int set_why(char **ret_why, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        if (!ret_why)
                return -EBADMSG;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*ret_why);
        *ret_why = s;
        return s ? -EBADMSG : -ENOMEM;
}

/* ---- ELF ---- */

int elf_find_section(const byte_source *src, const char *name, uint64_t *ret_off, uint64_t *ret_size)
{
        _cleanup_free_ uint8_t *shdrs = NULL;
        _cleanup_free_ char *strtab = NULL;
        uint8_t eh[64];
        uint64_t shoff, str_off, str_size;
        uint16_t shentsize, shnum, shstrndx;
        size_t namelen = strlen(name);
        int k;

        k = read_exact(src, eh, sizeof(eh), 0);
        if (k < 0)
                return k == -EIO ? k : -EBADMSG;
        if (memcmp(eh, "\177ELF", 4) != 0 || eh[4] != 2 /* ELFCLASS64 */ || eh[5] != 1 /* LSB */)
                return -EBADMSG;
        shoff = le64(eh + 0x28);
        shentsize = le16(eh + 0x3a);
        shnum = le16(eh + 0x3c);
        shstrndx = le16(eh + 0x3e);
        if (shnum == 0)
                return 0;
        if (shentsize < 64 || shentsize > ELF_SHENTSIZE_MAX || shstrndx >= shnum)
                return -EBADMSG;
        /* the table must lie inside the file before any of it is allocated */
        if (shoff > src->size || (uint64_t)shnum * shentsize > src->size - shoff)
                return -EBADMSG;
        shdrs = malloc((size_t)shnum * shentsize);
        if (!shdrs)
                return -ENOMEM;
        k = read_exact(src, shdrs, (size_t)shnum * shentsize, shoff);
        if (k < 0)
                return k;
        str_off = le64(shdrs + (size_t)shstrndx * shentsize + 0x18);
        str_size = le64(shdrs + (size_t)shstrndx * shentsize + 0x20);
        if (str_size == 0 || str_size > ELF_STRTAB_MAX || str_off > src->size || str_size > src->size - str_off)
                return -EBADMSG;
        strtab = malloc(str_size + 1);
        if (!strtab)
                return -ENOMEM;
        k = read_exact(src, strtab, str_size, str_off);
        if (k < 0)
                return k;
        strtab[str_size] = '\0';
        for (uint16_t i = 0; i < shnum; i++) {
                const uint8_t *sh = shdrs + (size_t)i * shentsize;
                uint32_t n = le32(sh);

                if (n >= str_size || str_size - n < namelen + 1 || memcmp(strtab + n, name, namelen + 1) != 0)
                        continue;
                *ret_off = le64(sh + 0x18);
                *ret_size = le64(sh + 0x20);
                if (*ret_off > src->size || *ret_size > src->size - *ret_off)
                        return -EBADMSG;
                return 1;
        }
        return 0;
}

/* ---- target IDs ---- */

const char *offload_entry_target(const char *entry, size_t len, char *ret, size_t n)
{
        const char *p[6];
        size_t np = 0, tl;
        const char *end = entry + len, *t;

        /* <kind>-<arch>-<vendor>-<os>-<env>[-<target id>]: at most 5 splits, as clang does */
        p[np++] = entry;
        for (const char *c = entry; c < end && np < 6; c++)
                if (*c == '-')
                        p[np++] = c + 1;
        if (np < 5)
                return NULL;
        if ((size_t)(p[1] - p[0]) == 5 && strncmp(p[0], "host-", 5) == 0)
                return NULL;
        if (strncmp(p[1], "amdgcn-", 7) != 0)
                return NULL;
        /* "hipv4-amdgcn-amd-amdhsa--gfx1030": 6 parts; "hip-amdgcn-amd-amdhsa-gfx906": the 5th */
        t = np == 6 ? p[5] : p[4];
        tl = (size_t)(end - t);
        if (tl < 4 || strncmp(t, "gfx", 3) != 0 || tl >= n)
                return NULL;
        for (size_t i = 0; i < tl; i++)
                if (!isalnum((unsigned char)t[i]) && !strchr(":+-_", t[i]))
                        return NULL;
        memcpy(ret, t, tl);
        ret[tl] = '\0';
        return ret;
}

void gpu_code_add(gpu_code *code, const char *tid)
{
        size_t i = 0;

        while (i < code->n && strcmp(code->targets[i], tid) < 0)
                i++;
        if (i < code->n && streq(code->targets[i], tid))
                return;
        if (code->n >= GPU_TARGETS_MAX || strlen(tid) >= GPU_TARGET_ID_MAX) {
                code->truncated = true;
                return;
        }
        memmove(code->targets[i + 1], code->targets[i], (code->n - i) * sizeof(code->targets[0]));
        strcpy(code->targets[i], tid);
        code->n++;
}

bool gpu_target_covers(const char *tid, const char *gfx)
{
        size_t l = strlen(gfx);

        if (!tid || strncmp(tid, gfx, l) != 0)
                return false;
        if (tid[l] == '\0')
                return true;
        if (tid[l] != ':')
                return false;
        return !strstr(tid + l, "xnack+");
}

bool gpu_code_covers(const gpu_code *code, const char *gfx)
{
        for (size_t i = 0; i < code->n; i++)
                if (gpu_target_covers(code->targets[i], gfx))
                        return true;
        return false;
}

char *gpu_code_list(const gpu_code *code)
{
        size_t cap = 1;
        char *s;

        for (size_t i = 0; i < code->n; i++)
                cap += strlen(code->targets[i]) + 1;
        s = malloc(cap);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (size_t i = 0; i < code->n; i++) {
                if (i)
                        strcat(s, " ");
                strcat(s, code->targets[i]);
        }
        return s;
}

const char *gpu_file_target(const char *name, char *ret, size_t n)
{
        const char *best = NULL;
        size_t best_len = 0;

        for (const char *p = name; (p = strstr(p, "gfx")); p += 3) {
                size_t l = 3;

                if (p > name && isalnum((unsigned char)p[-1]))
                        continue;
                while (isxdigit((unsigned char)p[l]) && !isupper((unsigned char)p[l]))
                        l++;
                if (l < 6 || isalpha((unsigned char)p[l]))
                        continue;
                best = p;
                best_len = l;
        }
        if (!best || best_len >= n)
                return NULL;
        memcpy(ret, best, best_len);
        ret[best_len] = '\0';
        return ret;
}

/* ---- bundles ---- */

/* The entries of one uncompressed bundle header in buf[0..len): targets added; *ret_end = its extent. */
static int parse_bundle_header(const uint8_t *buf, size_t len, gpu_code *code, uint64_t *ret_end,
                               char **ret_why)
{
        uint64_t count, end = BUNDLE_MAGIC_LEN + 8;
        size_t pos = BUNDLE_MAGIC_LEN + 8;

        if (len < pos || memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0)
                return set_why(ret_why, "no offload bundle magic");
        count = le64(buf + BUNDLE_MAGIC_LEN);
        if (count == 0 || count > BUNDLE_ENTRIES_MAX)
                return set_why(ret_why, "offload bundle with %" PRIu64 " entries", count);
        for (uint64_t i = 0; i < count; i++) {
                uint64_t off, size, idlen;
                char tid[GPU_TARGET_ID_MAX];

                if (len - pos < 24)
                        return set_why(ret_why, "offload bundle header cut short at entry %" PRIu64, i);
                off = le64(buf + pos);
                size = le64(buf + pos + 8);
                idlen = le64(buf + pos + 16);
                pos += 24;
                if (idlen == 0 || idlen > len - pos)
                        return set_why(ret_why, "offload bundle entry %" PRIu64 ": bad id length %" PRIu64, i, idlen);
                if (off == 0 || size > UINT64_MAX - off)
                        return set_why(ret_why, "offload bundle entry %" PRIu64 ": bad offset", i);
                if (offload_entry_target((const char *)buf + pos, (size_t)idlen, tid, sizeof(tid)))
                        gpu_code_add(code, tid);
                pos += (size_t)idlen;
                if (off + size > end)
                        end = off + size;
        }
        *ret_end = end;
        return 0;
}

/* Inflate the start of a compressed payload into out (at most cap bytes); returns bytes out or < 0. */
static ssize_t inflate_start(uint16_t method, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap)
{
        if (method == 1) {
                ZSTD_DCtx *d = ZSTD_createDCtx();
                ZSTD_inBuffer ib = { in, in_len, 0 };
                ZSTD_outBuffer ob = { out, cap, 0 };

                if (!d)
                        return -ENOMEM;
                while (ob.pos < ob.size) {
                        size_t r = ZSTD_decompressStream(d, &ob, &ib);

                        if (ZSTD_isError(r)) {
                                ZSTD_freeDCtx(d);
                                return -EBADMSG;
                        }
                        if (r == 0 || ib.pos == ib.size)
                                break;
                }
                ZSTD_freeDCtx(d);
                return (ssize_t)ob.pos;
        } else if (method == 0) {
                z_stream z = {0};
                int r;

                if (inflateInit(&z) != Z_OK)
                        return -ENOMEM;
                z.next_in = (Bytef *)in;
                z.avail_in = (uInt)in_len;
                z.next_out = out;
                z.avail_out = (uInt)cap;
                r = inflate(&z, Z_SYNC_FLUSH);
                inflateEnd(&z);
                if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
                        return -EBADMSG;
                return (ssize_t)(cap - z.avail_out);
        }
        return -EBADMSG;
}

/* A compressed bundle at off (at most avail bytes); *ret_len: its total size, 0 when unknown (v1). */
static int scan_compressed(const byte_source *src, uint64_t off, uint64_t avail, gpu_code *code,
                           uint64_t *ret_len, char **ret_why)
{
        _cleanup_free_ uint8_t *in = NULL, *out = NULL;
        uint8_t h[32];
        uint16_t version, method;
        uint64_t total = 0, usize, hsize;
        size_t in_len;
        ssize_t got;
        uint64_t end;
        int k;

        if (avail < 8)
                return set_why(ret_why, "compressed bundle header cut short");
        k = read_exact(src, h, avail < sizeof(h) ? (size_t)avail : sizeof(h), off);
        if (k < 0)
                return k == -EIO ? k : set_why(ret_why, "compressed bundle header cut short");
        version = le16(h + 4);
        method = le16(h + 6);
        hsize = version == 1 ? 20 : version == 2 ? 24 : version == 3 ? 32 : 0;
        if (!hsize)
                return set_why(ret_why, "compressed bundle of unknown version %u", version);
        if (avail < hsize)
                return set_why(ret_why, "compressed bundle header cut short");
        if (method > 1)
                return set_why(ret_why, "compressed bundle with unknown method %u", method);
        if (version == 1)
                usize = le32(h + 8);
        else if (version == 2) {
                total = le32(h + 8);
                usize = le32(h + 12);
        } else {
                total = le64(h + 8);
                usize = le64(h + 16);
        }
        if (total && (total < hsize || total > avail))
                return set_why(ret_why, "compressed bundle size %" PRIu64 " outside its section", total);
        end = total ? total : avail;
        in_len = end - hsize > COMPRESSED_READ_MAX ? COMPRESSED_READ_MAX : (size_t)(end - hsize);
        in = malloc(in_len ? in_len : 1);
        out = malloc(GPU_BUNDLE_HEADER_MAX);
        if (!in || !out)
                return -ENOMEM;
        k = read_exact(src, in, in_len, off + hsize);
        if (k < 0)
                return k;
        got = inflate_start(method, in, in_len, out, usize < GPU_BUNDLE_HEADER_MAX ? (size_t)usize : GPU_BUNDLE_HEADER_MAX);
        if (got == -ENOMEM)
                return -ENOMEM;
        if (got < 0)
                return set_why(ret_why, "compressed bundle (%s) does not decompress", method ? "zstd" : "zlib");
        k = parse_bundle_header(out, (size_t)got, code, &(uint64_t){0}, ret_why);
        if (k < 0)
                return k;
        code->compressed++;
        *ret_len = total;
        return 0;
}

/* One plain bundle at off; *ret_len = its extent. */
static int scan_plain(const byte_source *src, uint64_t off, uint64_t avail, gpu_code *code, uint64_t *ret_len,
                      char **ret_why)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = avail < GPU_BUNDLE_HEADER_MAX ? (size_t)avail : GPU_BUNDLE_HEADER_MAX;
        uint64_t end;
        int k;

        buf = malloc(len ? len : 1);
        if (!buf)
                return -ENOMEM;
        k = read_exact(src, buf, len, off);
        if (k < 0)
                return k;
        k = parse_bundle_header(buf, len, code, &end, ret_why);
        if (k < 0)
                return k;
        if (end > avail)
                return set_why(ret_why, "offload bundle entry past the end of its section");
        *ret_len = end;
        return 0;
}

/* Is there a bundle (plain or compressed) at off? */
static bool magic_at(const byte_source *src, uint64_t off, uint64_t limit, bool *ret_compressed)
{
        uint8_t m[BUNDLE_MAGIC_LEN];

        if (off >= limit)
                return false;
        if (limit - off >= BUNDLE_MAGIC_LEN && read_exact(src, m, BUNDLE_MAGIC_LEN, off) == 0 &&
            memcmp(m, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) == 0) {
                *ret_compressed = false;
                return true;
        }
        if (limit - off >= 4 && read_exact(src, m, 4, off) == 0 && memcmp(m, CCOB_MAGIC, 4) == 0) {
                *ret_compressed = true;
                return true;
        }
        return false;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
        return v > UINT64_MAX - a ? UINT64_MAX : (v + a - 1) / a * a;
}

int offload_bundles_scan(const byte_source *src, uint64_t off, uint64_t size, gpu_code *code, char **ret_why)
{
        uint64_t pos = 0;
        bool compressed;
        int k;

        if (off > src->size || size > src->size - off)
                return set_why(ret_why, "bundle section outside the file");
        if (!magic_at(src, off, off + size, &compressed))
                return set_why(ret_why, "no offload bundle at the start of the section");
        for (;;) {
                uint64_t len = 0, next;

                if (code->bundles >= GPU_BUNDLES_MAX) {
                        code->truncated = true;
                        return 0;
                }
                k = compressed ? scan_compressed(src, off + pos, size - pos, code, &len, ret_why)
                               : scan_plain(src, off + pos, size - pos, code, &len, ret_why);
                if (k < 0)
                        return k;
                code->bundles++;
                if (len == 0) {
                        /* a version 1 compressed bundle does not say where it ends */
                        code->truncated = code->truncated || size - pos > 4096;
                        return 0;
                }
                next = pos + len;
                if (magic_at(src, off + next, off + size, &compressed))
                        pos = next;
                else if (magic_at(src, off + round_up(next, 8), off + size, &compressed))
                        pos = round_up(next, 8);
                else if (magic_at(src, off + round_up(next, 4096), off + size, &compressed))
                        pos = round_up(next, 4096);
                else
                        return 0;
        }
}

int elf_gpu_code(const byte_source *src, gpu_code *code, char **ret_why)
{
        uint64_t off, size;
        int k = elf_find_section(src, ".hip_fatbin", &off, &size);

        if (k == -EBADMSG)
                return set_why(ret_why, "not an ELF64 library, or its section table is broken");
        if (k <= 0)
                return k;
        code->has_fatbin = true;
        if (size == 0)
                return 0;
        return offload_bundles_scan(src, off, size, code, ret_why);
}
