/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPU code reader (parse/gpu_bundle) on real device code: small HIP
 * libraries that Debian's hipcc builds for this test (tests/unit/meson.build:
 * gfx1030 only, gfx1010+gfx1030, gfx900). Debian's clang 15 writes no
 * compressed bundles, so the compressed cases are made here from hipcc's
 * real bundle with real zstd/zlib and the "CCOB" header of clang's
 * OffloadBundler.cpp (versions 1, 2 and 3). Cut and damaged inputs must give
 * a reason, never a crash (the same parser is a fuzz target).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "parse/gpu_bundle.h"
#include "parse/torch_version.h"
#include "probe/gpu_coverage.h"

typedef struct blob {
        uint8_t *data;
        size_t len;
} blob;

static const char *libdir(void)
{
        const char *d = getenv("RDNA1_TEST_GPU_LIBS");

        return d && *d ? d : NULL;
}

static blob load_lib(const char *name)
{
        char path[4096];
        struct stat st;
        blob b = {0};
        FILE *f;

        snprintf(path, sizeof(path), "%s/libfixture-%s.so", libdir(), name);
        f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fstat(fileno(f), &st), 0);
        b.len = (size_t)st.st_size;
        b.data = malloc(b.len);
        assert_non_null(b.data);
        assert_int_equal(fread(b.data, 1, b.len, f), b.len);
        fclose(f);
        return b;
}

static int scan_mem(const uint8_t *data, size_t len, gpu_code *code, char **why)
{
        mem_source m = {data, len};
        byte_source src;

        byte_source_mem(&src, &m);
        *code = (gpu_code){0};
        return elf_gpu_code(&src, code, why);
}

static void assert_targets(const blob *b, const char *want)
{
        _cleanup_free_ char *why = NULL, *list = NULL;
        gpu_code code;

        assert_int_equal(scan_mem(b->data, b->len, &code, &why), 0);
        assert_true(code.has_fatbin);
        assert_true(code.bundles >= 1);
        assert_false(code.truncated);
        list = gpu_code_list(&code);
        assert_string_equal(list, want);
}

static void test_real_libraries(void **state)
{
        static const struct {
                const char *lib, *targets;
                bool gfx1010, gfx1030;
        } cases[] = {
                {"gfx1030", "gfx1030", false, true},
                {"gfx1010-gfx1030", "gfx1010 gfx1030", true, true},
                {"gfx900", "gfx900", false, false},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                blob b = load_lib(cases[i].lib);
                gpu_code code;
                char *why = NULL;

                assert_targets(&b, cases[i].targets);
                assert_int_equal(scan_mem(b.data, b.len, &code, &why), 0);
                assert_int_equal(gpu_code_covers(&code, "gfx1010"), cases[i].gfx1010);
                assert_int_equal(gpu_code_covers(&code, "gfx1030"), cases[i].gfx1030);
                assert_false(gpu_code_covers(&code, "gfx1012"));
                free(b.data);
        }
}

static void test_fd_source(void **state)
{
        char path[4096];
        struct stat st;
        byte_source src;
        gpu_code code = {0};
        char *why = NULL;
        int fd;

        snprintf(path, sizeof(path), "%s/libfixture-gfx1010-gfx1030.so", libdir());
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        byte_source_fd(&src, &fd, (uint64_t)st.st_size);
        assert_int_equal(elf_gpu_code(&src, &code, &why), 0);
        assert_true(gpu_code_covers(&code, "gfx1010"));
        close(fd);
}

/* A host library without device code: no .hip_fatbin, no targets. */
static void test_host_library(void **state)
{
        gpu_code code;
        char *why = NULL;
        struct stat st;
        uint8_t *data;
        FILE *f = fopen("/proc/self/exe", "rb");

        assert_non_null(f);
        assert_int_equal(fstat(fileno(f), &st), 0);
        data = malloc((size_t)st.st_size);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        assert_int_equal(scan_mem(data, (size_t)st.st_size, &code, &why), 0);
        assert_false(code.has_fatbin);
        assert_int_equal(code.n, 0);
        free(data);
        /* not an ELF at all */
        assert_int_equal(scan_mem((const uint8_t *)"#!/bin/sh\nexit 0\n", 17, &code, &why), -EBADMSG);
        assert_non_null(why);
        free(why);
}

static void fatbin_of(const blob *b, uint64_t *off, uint64_t *size)
{
        mem_source m = {b->data, b->len};
        byte_source src;

        byte_source_mem(&src, &m);
        assert_int_equal(elf_find_section(&src, ".hip_fatbin", off, size), 1);
        assert_true(*size > 64);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

/* The first plain bundle of b's .hip_fatbin (its extent: header entries' end). */
static blob first_bundle(const blob *b)
{
        uint64_t off, size, end = 0, count, pos = 32;
        const uint8_t *p;
        blob r;

        fatbin_of(b, &off, &size);
        p = b->data + off;
        assert_memory_equal(p, "__CLANG_OFFLOAD_BUNDLE__", 24);
        memcpy(&count, p + 24, 8);
        for (uint64_t i = 0; i < count; i++) {
                uint64_t o, s, l;

                memcpy(&o, p + pos, 8);
                memcpy(&s, p + pos + 8, 8);
                memcpy(&l, p + pos + 16, 8);
                pos += 24 + l;
                if (o + s > end)
                        end = o + s;
        }
        assert_true(end <= size);
        r.len = (size_t)end;
        r.data = malloc(r.len);
        assert_non_null(r.data);
        memcpy(r.data, p, r.len);
        return r;
}

/* A "CCOB" bundle of raw (version 1, 2 or 3; method 0 zlib, 1 zstd). */
static blob ccob(const blob *raw, uint16_t version, uint16_t method)
{
        size_t hsize = version == 1 ? 20 : version == 2 ? 24 : 32;
        size_t cap = ZSTD_compressBound(raw->len) + compressBound(raw->len) + 64;
        uint8_t *out = calloc(1, hsize + cap);
        size_t clen;
        blob r;

        assert_non_null(out);
        if (method == 1) {
                clen = ZSTD_compress(out + hsize, cap, raw->data, raw->len, 3);
                assert_false(ZSTD_isError(clen));
        } else {
                uLongf zl = cap;

                assert_int_equal(compress2(out + hsize, &zl, raw->data, raw->len, 6), Z_OK);
                clen = zl;
        }
        memcpy(out, "CCOB", 4);
        put16(out + 4, version);
        put16(out + 6, method);
        if (version == 1) {
                put32(out + 8, (uint32_t)raw->len);
        } else if (version == 2) {
                put32(out + 8, (uint32_t)(hsize + clen));
                put32(out + 12, (uint32_t)raw->len);
        } else {
                put64(out + 8, hsize + clen);
                put64(out + 16, raw->len);
        }
        r.data = out;
        r.len = hsize + clen;
        return r;
}

static int scan_section(const uint8_t *data, size_t len, gpu_code *code, char **why)
{
        mem_source m = {data, len};
        byte_source src;

        byte_source_mem(&src, &m);
        *code = (gpu_code){0};
        return offload_bundles_scan(&src, 0, len, code, why);
}

static void test_compressed(void **state)
{
        blob lib = load_lib("gfx1010-gfx1030");
        blob raw = first_bundle(&lib);

        for (uint16_t version = 1; version <= 3; version++)
                for (uint16_t method = 0; method <= 1; method++) {
                        blob c = ccob(&raw, version, method);
                        _cleanup_free_ char *why = NULL, *list = NULL;
                        gpu_code code;

                        assert_int_equal(scan_section(c.data, c.len, &code, &why), 0);
                        list = gpu_code_list(&code);
                        assert_string_equal(list, "gfx1010 gfx1030");
                        assert_int_equal(code.compressed, 1);
                        free(c.data);
                }

        /* Two compressed bundles, the second 8-aligned, as the linker lays out objects. */
        {
                blob a = ccob(&raw, 2, 1);
                size_t second = (a.len + 7) / 8 * 8;
                uint8_t *two = calloc(1, second + a.len);
                gpu_code code;
                char *why = NULL;

                memcpy(two, a.data, a.len);
                memcpy(two + second, a.data, a.len);
                assert_int_equal(scan_section(two, second + a.len, &code, &why), 0);
                assert_int_equal(code.bundles, 2);
                assert_int_equal(code.compressed, 2);
                free(two);
                free(a.data);
        }

        /* The whole library with its .hip_fatbin replaced by the compressed form. */
        {
                blob c = ccob(&raw, 3, 1);
                uint64_t off, size;
                _cleanup_free_ char *list = NULL;
                gpu_code code;
                char *why = NULL;

                fatbin_of(&lib, &off, &size);
                assert_true(c.len <= size);
                memset(lib.data + off, 0, size);
                memcpy(lib.data + off, c.data, c.len);
                assert_int_equal(scan_mem(lib.data, lib.len, &code, &why), 0);
                assert_int_equal(code.compressed, 1);
                list = gpu_code_list(&code);
                assert_string_equal(list, "gfx1010 gfx1030");
                free(c.data);
        }
        free(raw.data);
        free(lib.data);
}

/* Every cut of a real bundle, plain and compressed, and of the library: 0 or a reason. */
static void test_truncated(void **state)
{
        blob lib = load_lib("gfx1010-gfx1030");
        blob raw = first_bundle(&lib);
        blob c = ccob(&raw, 2, 1);
        gpu_code code;

        for (size_t n = 0; n < raw.len; n++) {
                char *why = NULL;
                int r = scan_section(raw.data, n, &code, &why);

                assert_true(r == 0 || r == -EBADMSG);
                if (r < 0) {
                        assert_non_null(why);
                        free(why);
                }
                /* a cut inside the header or the code never passes as complete */
                assert_int_equal(r, -EBADMSG);
        }
        for (size_t n = 0; n < c.len; n++) {
                char *why = NULL;
                int r = scan_section(c.data, n, &code, &why);

                assert_true(r == 0 || r == -EBADMSG);
                if (r < 0) {
                        assert_non_null(why);
                        free(why);
                }
        }
        for (size_t n = 0; n < lib.len; n += 61) {
                char *why = NULL;
                int r = scan_mem(lib.data, n, &code, &why);

                assert_true(r == 0 || r == -EBADMSG);
                if (r < 0) {
                        assert_non_null(why);
                        free(why);
                }
        }
        free(c.data);
        free(raw.data);
        free(lib.data);
}

static void test_hostile(void **state)
{
        blob lib = load_lib("gfx1030");
        blob raw = first_bundle(&lib);
        gpu_code code;
        char *why = NULL;
        uint8_t *b = malloc(raw.len);

        /* entry count beyond the bound */
        memcpy(b, raw.data, raw.len);
        put64(b + 24, UINT64_MAX);
        assert_int_equal(scan_section(b, raw.len, &code, &why), -EBADMSG);
        assert_non_null(strstr(why, "entries"));
        /* id length far past the header */
        memcpy(b, raw.data, raw.len);
        put64(b + 32 + 16, UINT64_MAX - 3);
        assert_int_equal(scan_section(b, raw.len, &code, &why), -EBADMSG);
        assert_non_null(strstr(why, "id length"));
        /* offset + size wraps around */
        memcpy(b, raw.data, raw.len);
        put64(b + 32, UINT64_MAX - 1);
        put64(b + 32 + 8, 16);
        assert_int_equal(scan_section(b, raw.len, &code, &why), -EBADMSG);
        /* an entry past the end of the section */
        memcpy(b, raw.data, raw.len);
        put64(b + 32 + 8, raw.len * 2);
        assert_int_equal(scan_section(b, raw.len, &code, &why), -EBADMSG);
        assert_non_null(strstr(why, "past the end"));
        /* a compressed bundle: unknown method, unknown version, size outside, garbage payload */
        {
                blob c = ccob(&raw, 2, 1);

                put16(c.data + 6, 7);
                assert_int_equal(scan_section(c.data, c.len, &code, &why), -EBADMSG);
                assert_non_null(strstr(why, "method"));
                put16(c.data + 6, 1);
                put16(c.data + 4, 9);
                assert_int_equal(scan_section(c.data, c.len, &code, &why), -EBADMSG);
                assert_non_null(strstr(why, "version"));
                put16(c.data + 4, 2);
                put32(c.data + 8, (uint32_t)c.len + 100);
                assert_int_equal(scan_section(c.data, c.len, &code, &why), -EBADMSG);
                put32(c.data + 8, (uint32_t)c.len);
                memset(c.data + 24, 0x5a, c.len - 24);
                assert_int_equal(scan_section(c.data, c.len, &code, &why), -EBADMSG);
                assert_non_null(strstr(why, "decompress"));
                free(c.data);
        }
        /* a section table pointing outside the file */
        memcpy(lib.data + 0x28, &(uint64_t){lib.len + 4096}, 8);
        assert_int_equal(scan_mem(lib.data, lib.len, &code, &why), -EBADMSG);
        /* every single-byte change of a bundle header: 0 or a reason */
        for (size_t i = 0; i < 256 && i < raw.len; i++)
                for (unsigned v = 0; v < 256; v += 51) {
                        int r;

                        memcpy(b, raw.data, raw.len);
                        b[i] ^= (uint8_t)(v | 1);
                        r = scan_section(b, raw.len, &code, &why);
                        assert_true(r == 0 || r == -EBADMSG);
                }
        free(why);
        free(b);
        free(raw.data);
        free(lib.data);
}

static void test_entry_ids(void **state)
{
        char t[GPU_TARGET_ID_MAX];

#define ID(s) offload_entry_target(s, strlen(s), t, sizeof(t))
        assert_string_equal(ID("hipv4-amdgcn-amd-amdhsa--gfx1030"), "gfx1030");
        assert_string_equal(ID("hip-amdgcn-amd-amdhsa-gfx906"), "gfx906");
        assert_string_equal(ID("hipv4-amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-"), "gfx90a:sramecc+:xnack-");
        assert_null(ID("host-x86_64-unknown-linux"));
        assert_null(ID("host-x86_64-unknown-linux-gnu-"));
        assert_null(ID("openmp-nvptx64-nvidia-cuda--sm_70"));
        assert_null(ID("hipv4-amdgcn-amd-amdhsa--"));
        assert_null(ID("hipv4-amdgcn-amd-amdhsa--gfx10;30"));
#undef ID
        assert_true(gpu_target_covers("gfx1010", "gfx1010"));
        assert_true(gpu_target_covers("gfx1010:xnack-", "gfx1010"));
        assert_false(gpu_target_covers("gfx90a:xnack+", "gfx90a"));
        assert_false(gpu_target_covers("gfx10100", "gfx1010"));
        assert_false(gpu_target_covers("gfx1030", "gfx1010"));
        assert_false(gpu_target_covers("gfx10-1-generic", "gfx1010"));
}

static void test_file_targets(void **state)
{
        char t[16];

        assert_string_equal(gpu_file_target("TensileLibrary_lazy_gfx1010.dat", t, sizeof(t)), "gfx1010");
        assert_string_equal(gpu_file_target("Kernels.so-000-gfx906-xnack-.hsaco", t, sizeof(t)), "gfx906");
        assert_string_equal(gpu_file_target("gfx1030_36.kdb", t, sizeof(t)), "gfx1030");
        assert_string_equal(gpu_file_target("TensileLibrary_Type_HH_Contraction_l_Ailk_Bljk_Cijk_Dijk_gfx90a.co", t,
                                            sizeof(t)), "gfx90a");
        assert_null(gpu_file_target("TensileLibrary.dat", t, sizeof(t)));
        assert_null(gpu_file_target("libgfxfoo.so", t, sizeof(t)));
}

static void test_code_set(void **state)
{
        gpu_code code = {0};
        char tid[16];
        _cleanup_free_ char *list = NULL;

        gpu_code_add(&code, "gfx1030");
        gpu_code_add(&code, "gfx1010");
        gpu_code_add(&code, "gfx1030");
        list = gpu_code_list(&code);
        assert_string_equal(list, "gfx1010 gfx1030");
        for (int i = 0; i < GPU_TARGETS_MAX + 4; i++) {
                snprintf(tid, sizeof(tid), "gfx%d", 2000 + i);
                gpu_code_add(&code, tid);
        }
        assert_int_equal(code.n, GPU_TARGETS_MAX);
        assert_true(code.truncated);
}

/* The scan cache's text for a library's targets: a round trip, and damaged text is a miss. */
static void test_code_text(void **state)
{
        static const char *const bad[] = {
                "", "gpucode/1", "gpucode/2 1 1 0 0 gfx1030", "gpucode/1 2 1 0 0", "gpucode/1 1 1 2 0",
                "gpucode/1 1 1 0 0 gfx", "gpucode/1 1 1 0 0 gfx1030  gfx900", "gpucode/1 1 1 0 0 gfx10;30",
                "gpucode/1 1 1 0 0 gfx1030 ", "gpucode/1 1 99999 0 0 gfx1030", "gpucode/1 1 1 0 0 sm_80",
        };
        gpu_code c = {0}, back = {0}, merged = {0};
        char *t;

        (void)state;
        c.has_fatbin = true;
        c.bundles = 3;
        c.compressed = 1;
        gpu_code_add(&c, "gfx1030");
        gpu_code_add(&c, "gfx90a:xnack-");
        t = gpu_code_to_text(&c);
        assert_non_null(t);
        assert_string_equal(t, "gpucode/1 1 3 1 0 gfx1030 gfx90a:xnack-");
        assert_int_equal(gpu_code_from_text(t, &back), 0);
        free(t);
        assert_true(back.has_fatbin);
        assert_int_equal(back.bundles, 3);
        assert_int_equal(back.compressed, 1);
        assert_int_equal(back.n, 2);
        assert_true(gpu_code_covers(&back, "gfx1030"));
        assert_false(gpu_code_covers(&back, "gfx1010"));
        assert_int_equal(gpu_code_from_text("gpucode/1 0 0 0 0", &back), 0);
        assert_int_equal(back.n, 0);
        assert_false(back.has_fatbin);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(gpu_code_from_text(bad[i], &back), -EBADMSG);
        gpu_code_add(&merged, "gfx1010");
        gpu_code_merge(&merged, &c);
        assert_int_equal(merged.n, 3);
        assert_int_equal(merged.bundles, 3);
        assert_true(gpu_code_covers(&merged, "gfx1010"));
}

static void test_torch_version(void **state)
{
        static const char rocm[] = "from typing import Optional\n__version__ = '2.2.2+rocm5.7'\ndebug = False\n"
                                   "cuda: Optional[str] = None\nhip: Optional[str] = '5.7.31921-d1770ee1b'\n";
        static const char cpu[] = "__version__ = \"2.4.1+cpu\"\nhip: Optional[str] = None\nhipster = '1'\n";
        static const char odd[] = "__version__ == '1'\nhip = '\\x'\nhip = 'unterminated\n__version__='9'";
        char *v = NULL, *h = NULL;

        assert_int_equal(torch_version_parse(rocm, strlen(rocm), &v, &h), 0);
        assert_string_equal(v, "2.2.2+rocm5.7");
        assert_string_equal(h, "5.7.31921-d1770ee1b");
        free(v);
        free(h);
        assert_int_equal(torch_version_parse(cpu, strlen(cpu), &v, &h), 0);
        assert_string_equal(v, "2.4.1+cpu");
        assert_null(h);
        free(v);
        assert_int_equal(torch_version_parse(odd, strlen(odd), &v, &h), 0);
        assert_string_equal(v, "9");
        assert_null(h);
        free(v);
        /* a buffer cut inside the version string: no half value */
        assert_int_equal(torch_version_parse(rocm, 40, &v, &h), 0);
        assert_null(v);
        assert_null(h);
}

int main(void)
{
        const struct CMUnitTest pure[] = {
                cmocka_unit_test(test_entry_ids),
                cmocka_unit_test(test_file_targets),
                cmocka_unit_test(test_code_set),
                cmocka_unit_test(test_torch_version),
                cmocka_unit_test(test_code_text),
        };
        const struct CMUnitTest real[] = {
                cmocka_unit_test(test_real_libraries),
                cmocka_unit_test(test_fd_source),
                cmocka_unit_test(test_host_library),
                cmocka_unit_test(test_compressed),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_hostile),
        };
        int r = cmocka_run_group_tests(pure, NULL, NULL);

        if (!libdir()) {
                const char *ci = getenv("CI");

                printf("SKIP real device code: no hipcc at build time (install Debian's hipcc)\n");
                return r ? r : (ci && streq(ci, "true") ? 1 : 77);
        }
        return r + cmocka_run_group_tests(real, NULL, NULL);
}
