/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which GPU targets a library's device code covers, read without loading
 * it: the ELF section header table (bounded: the header, the section
 * table, the section name table), the `.hip_fatbin` section hipcc puts the
 * device code in, and in it the clang offload bundles, plain
 * ("__CLANG_OFFLOAD_BUNDLE__") or compressed ("CCOB", zlib or zstd). Only
 * bundle headers are read: a 1 GiB library costs a few kilobytes per
 * bundle, never its code. The formats, with where they are defined, are
 * described at the top of gpu_bundle.c.
 *
 * Also the gfx target named in a file name (rocBLAS/Tensile and hipBLASLt
 * libraries, MIOpen databases) and whether a target ID covers a GPU.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the bytes come from: a descriptor (pread) or memory (tests, fuzzing). */
typedef struct byte_source {
        ssize_t (*pread)(void *ctx, void *buf, size_t n, uint64_t off);
        void *ctx;
        uint64_t size;
} byte_source;

typedef struct mem_source {
        const uint8_t *data;
        size_t len;
} mem_source;

/* A byte_source over fd (ctx holds the fd number) or over m (kept by the caller). */
void byte_source_fd(byte_source *s, int *fd, uint64_t size);
void byte_source_mem(byte_source *s, mem_source *m);

#define GPU_TARGETS_MAX 64         /* distinct target IDs kept */
#define GPU_BUNDLES_MAX 4096       /* bundles read in one section */
#define GPU_BUNDLE_HEADER_MAX (256u * 1024) /* bytes of one bundle header read (or decompressed) */
#define GPU_TARGET_ID_MAX 64

typedef struct gpu_code {
        bool has_fatbin;           /* the ELF has a .hip_fatbin section */
        size_t bundles;            /* bundles read */
        size_t compressed;         /* of them compressed (CCOB) */
        bool truncated;            /* a bound was reached: the list may be incomplete */
        size_t n;
        char targets[GPU_TARGETS_MAX][GPU_TARGET_ID_MAX]; /* "gfx1030", "gfx90a:xnack-", sorted */
} gpu_code;

/*
 * The section called name in the ELF64 little-endian file src:
 * 1 with the offset and size set, 0 when it has no such section, -EBADMSG when
 * it is no ELF64 LE file or its tables are broken, -EIO on a short read,
 * -ENOMEM.
 */
int elf_find_section(const byte_source *src, const char *name, uint64_t *ret_off, uint64_t *ret_size);

/*
 * Read the offload bundles in [off, off + size) of src into *code (targets
 * added, counts raised). Bundles follow each other at the end of the one
 * before, rounded up to 8 or 4096 bytes (the linker aligns each object's
 * .hip_fatbin to 4096). Returns 0, -EBADMSG for a malformed bundle (what
 * was read before it is kept; *ret_why, when not NULL, gets a malloc'd
 * reason), -EIO, -ENOMEM.
 */
int offload_bundles_scan(const byte_source *src, uint64_t off, uint64_t size, gpu_code *code, char **ret_why);

/*
 * The whole library: its .hip_fatbin, if any, and the bundles in it.
 * Returns 0 (code->has_fatbin says whether there was device code), or as
 * above (-EBADMSG also for a file that is no ELF64).
 */
int elf_gpu_code(const byte_source *src, gpu_code *code, char **ret_why);

/*
 * The target ID of one bundle entry ("hipv4-amdgcn-amd-amdhsa--gfx1030",
 * "hip-amdgcn-amd-amdhsa-gfx906:xnack-"): the part after the triple, or
 * NULL for a host or non-amdgcn entry. Writes at most n bytes.
 */
const char *offload_entry_target(const char *entry, size_t len, char *ret, size_t n);

/*
 * Does code built for target ID tid run on a GPU of target gfx? Its
 * processor must be gfx ("gfx1010", "gfx1010:xnack-"); "xnack+" code needs
 * XNACK on, which a discrete GPU runs without by default, so it does not
 * count. Generic targets ("gfx10-1-generic") are not judged: false.
 */
bool gpu_target_covers(const char *tid, const char *gfx);

/*
 * The gfx target a ROCm data file is named for ("TensileLibrary_lazy_gfx1010.dat",
 * "Kernels.so-000-gfx906-xnack-.hsaco", "gfx1030_36.kdb"): the last "gfxNNNN"
 * token, written to ret (at most n bytes). NULL when the name has none.
 */
const char *gpu_file_target(const char *name, char *ret, size_t n);

/* Add tid to code's sorted set (kept distinct); sets truncated when full. */
void gpu_code_add(gpu_code *code, const char *tid);
bool gpu_code_covers(const gpu_code *code, const char *gfx);

/* "gfx1030 gfx90a:xnack-" (malloc'd), "" for none; NULL on ENOMEM. */
char *gpu_code_list(const gpu_code *code);
