// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kfd_crat.c stand-in for rdna1-doctor fixture roots.
 *
 * Copyright (C) 2025 the rdna1-doctor authors.
 *
 * This file is written by the rdna1-doctor project. It is NOT the Linux
 * kernel's amdkfd/kfd_crat.c and contains no text from it. It only has the
 * same outline where the doctor looks: a CRAT parser whose
 * kfd_parse_subtype_mem() chooses a heap type and copies the hot-pluggable and
 * non-volatile flags, so that seed 004's patch can be applied to it and lands
 * near line 1122 as in the seed. It is used for the demo root that ships with
 * the package (where Debian's linux-source package is not available); the
 * test suite uses the real upstream file instead.
 *
 * It is never compiled.
 */

#include <linux/pci.h>
#include <linux/acpi.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/cpufreq.h>
#include "amdgpu.h"
#include "amdgpu_amdkfd.h"
#include "kfd_crat.h"
#include "kfd_priv.h"
#include "kfd_topology.h"

/* Proximity domains handed out so far while building a virtual table. */
static unsigned int fixture_next_domain;

/*
 * Per-ASIC cache descriptions used when a GPU has no ACPI CRAT of its own.
 * Sizes are in KiB; num_cu_shared is how many compute units share one
 * instance. The numbers are plausible round values for the fixture, not
 * hardware documentation.
 */
#define FIXTURE_CACHE_DATA		0x1
#define FIXTURE_CACHE_INSTRUCTION	0x2
#define FIXTURE_CACHE_SIMD		0x8

struct fixture_cache_desc {
	unsigned int size_kib;
	unsigned int level;
	unsigned int kind;
	unsigned int num_cu_shared;
};

static const struct fixture_cache_desc tahiti_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 768,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc hawaii_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc carrizo_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 512,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc tonga_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 768,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc fiji_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 2048,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc polaris10_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 2048,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc polaris11_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc polaris12_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 512,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc vegam_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc vega10_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 4096,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc raven_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc renoir_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc aldebaran_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* shared L2 */
		.size_kib = 8192,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc navi10_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 4096,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc navi14_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 2048,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc sienna_cichlid_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 4096,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc dimgrey_cavefish_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 2048,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc beige_goby_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 1024,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

static const struct fixture_cache_desc yellow_carp_cache_desc[] = {
	{
		/* vector L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 2,
	},
	{
		/* scalar L1 */
		.size_kib = 16,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* instruction L1 */
		.size_kib = 32,
		.level = 1,
		.kind = FIXTURE_CACHE_INSTRUCTION | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 3,
	},
	{
		/* graphics L1 */
		.size_kib = 128,
		.level = 1,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 5,
	},
	{
		/* shared L2 */
		.size_kib = 2048,
		.level = 2,
		.kind = FIXTURE_CACHE_DATA | FIXTURE_CACHE_SIMD,
		.num_cu_shared = 0,
	},
};

struct fixture_asic_caches {
	const char *asic;
	const struct fixture_cache_desc *desc;
	unsigned int count;
};

#define FIXTURE_ASIC(n) { #n, n##_cache_desc, ARRAY_SIZE(n##_cache_desc) }

static const struct fixture_asic_caches fixture_asic_table[] = {
	FIXTURE_ASIC(tahiti),
	FIXTURE_ASIC(hawaii),
	FIXTURE_ASIC(carrizo),
	FIXTURE_ASIC(tonga),
	FIXTURE_ASIC(fiji),
	FIXTURE_ASIC(polaris10),
	FIXTURE_ASIC(polaris11),
	FIXTURE_ASIC(polaris12),
	FIXTURE_ASIC(vegam),
	FIXTURE_ASIC(vega10),
	FIXTURE_ASIC(raven),
	FIXTURE_ASIC(renoir),
	FIXTURE_ASIC(aldebaran),
	FIXTURE_ASIC(navi10),
	FIXTURE_ASIC(navi14),
	FIXTURE_ASIC(sienna_cichlid),
	FIXTURE_ASIC(dimgrey_cavefish),
	FIXTURE_ASIC(beige_goby),
	FIXTURE_ASIC(yellow_carp),
};

/* GPU node defaults the compute unit subtype does not carry (max_cu: family maximum). */
struct fixture_gpu_defaults {
	const char *asic;
	const char *gfx_target;
	unsigned int max_cu;
	unsigned int wave_size;
	unsigned int sdma_engines;
	unsigned int max_waves_per_simd;
};

static const struct fixture_gpu_defaults fixture_gpu_defaults_table[] = {
	{
		.asic = "tahiti",
		.gfx_target = "gfx600",
		.max_cu = 32,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "hawaii",
		.gfx_target = "gfx701",
		.max_cu = 44,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "carrizo",
		.gfx_target = "gfx801",
		.max_cu = 8,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "tonga",
		.gfx_target = "gfx802",
		.max_cu = 32,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "fiji",
		.gfx_target = "gfx803",
		.max_cu = 64,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "polaris10",
		.gfx_target = "gfx803",
		.max_cu = 36,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "polaris11",
		.gfx_target = "gfx803",
		.max_cu = 16,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "polaris12",
		.gfx_target = "gfx803",
		.max_cu = 8,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "vegam",
		.gfx_target = "gfx803",
		.max_cu = 24,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "vega10",
		.gfx_target = "gfx900",
		.max_cu = 64,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "raven",
		.gfx_target = "gfx902",
		.max_cu = 11,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "renoir",
		.gfx_target = "gfx90c",
		.max_cu = 8,
		.wave_size = 64,
		.sdma_engines = 1,
		.max_waves_per_simd = 10,
	},
	{
		.asic = "aldebaran",
		.gfx_target = "gfx90a",
		.max_cu = 104,
		.wave_size = 64,
		.sdma_engines = 2,
		.max_waves_per_simd = 8,
	},
	{
		.asic = "navi10",
		.gfx_target = "gfx1010",
		.max_cu = 40,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 20,
	},
	{
		.asic = "navi12",
		.gfx_target = "gfx1011",
		.max_cu = 40,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 20,
	},
	{
		.asic = "navi14",
		.gfx_target = "gfx1012",
		.max_cu = 24,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 20,
	},
	{
		.asic = "sienna_cichlid",
		.gfx_target = "gfx1030",
		.max_cu = 80,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
	{
		.asic = "navy_flounder",
		.gfx_target = "gfx1031",
		.max_cu = 40,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
	{
		.asic = "dimgrey_cavefish",
		.gfx_target = "gfx1032",
		.max_cu = 32,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
	{
		.asic = "beige_goby",
		.gfx_target = "gfx1034",
		.max_cu = 16,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
	{
		.asic = "yellow_carp",
		.gfx_target = "gfx1035",
		.max_cu = 12,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
	{
		.asic = "raphael",
		.gfx_target = "gfx1036",
		.max_cu = 2,
		.wave_size = 32,
		.sdma_engines = 2,
		.max_waves_per_simd = 16,
	},
};
static const struct fixture_gpu_defaults *fixture_gpu_defaults(const char *asic)
{
	unsigned int i;
	for (i = 0; i < ARRAY_SIZE(fixture_gpu_defaults_table); i++)
		if (!strcmp(fixture_gpu_defaults_table[i].asic, asic))
			return &fixture_gpu_defaults_table[i];
	return NULL;
}

/* Find the cache table of an ASIC by its lower-case name. */
static const struct fixture_asic_caches *fixture_find_caches(const char *asic)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fixture_asic_table); i++)
		if (!strcmp(fixture_asic_table[i].asic, asic))
			return &fixture_asic_table[i];
	return NULL;
}

/*
 * A CRAT table ends with a one-byte checksum that makes the byte sum of the
 * whole table zero. Tables built in memory by this file are checked the same
 * way as tables read from ACPI.
 */
static bool fixture_crat_checksum_ok(const void *table, size_t len)
{
	const u8 *p = table;
	u8 sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

static void fixture_crat_fix_checksum(struct crat_header *hdr)
{
	u8 *p = (u8 *)hdr;
	u8 sum = 0;
	size_t i;

	hdr->checksum = 0;
	for (i = 0; i < hdr->length; i++)
		sum += p[i];
	hdr->checksum = -sum;
}

/* Human-readable name of a subtype, for debug messages only. */
static const char *fixture_subtype_name(u8 type)
{
	switch (type) {
	case CRAT_SUBTYPE_COMPUTEUNIT_AFFINITY:
		return "compute unit";
	case CRAT_SUBTYPE_MEMORY_AFFINITY:
		return "memory";
	case CRAT_SUBTYPE_CACHE_AFFINITY:
		return "cache";
	case CRAT_SUBTYPE_TLB_AFFINITY:
		return "TLB";
	case CRAT_SUBTYPE_CCOMPUTE_AFFINITY:
		return "ccompute";
	case CRAT_SUBTYPE_IOLINK_AFFINITY:
		return "IO link";
	default:
		return "unknown";
	}
}

/*
 * Allocate a zeroed topology device and put it on the list. The caller fills
 * in the node properties from the compute unit subtype later.
 */
static struct kfd_topology_device *fixture_new_device(struct list_head *list,
						      u32 proximity_domain)
{
	struct kfd_topology_device *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return NULL;

	INIT_LIST_HEAD(&dev->mem_props);
	INIT_LIST_HEAD(&dev->cache_props);
	INIT_LIST_HEAD(&dev->io_link_props);
	INIT_LIST_HEAD(&dev->p2p_link_props);
	dev->proximity_domain = proximity_domain;
	list_add_tail(&dev->list, list);
	return dev;
}

static void fixture_free_props(struct list_head *props)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, props) {
		list_del(pos);
		kfree(pos);
	}
}

/* Undo fixture_new_device() for every device on the list. */
void fixture_release_devices(struct list_head *list)
{
	struct kfd_topology_device *dev, *tmp;

	list_for_each_entry_safe(dev, tmp, list, list) {
		fixture_free_props(&dev->mem_props);
		fixture_free_props(&dev->cache_props);
		fixture_free_props(&dev->io_link_props);
		fixture_free_props(&dev->p2p_link_props);
		list_del(&dev->list);
		kfree(dev);
	}
}

static struct kfd_topology_device *fixture_device_by_domain(struct list_head *list,
							    u32 proximity_domain)
{
	struct kfd_topology_device *dev;

	list_for_each_entry(dev, list, list)
		if (dev->proximity_domain == proximity_domain)
			return dev;
	return NULL;
}

/* Copy what a compute unit subtype says about a CPU node. */
static void fixture_cu_cpu(struct kfd_topology_device *dev,
			   const struct crat_subtype_computeunit *cu)
{
	dev->node_props.cpu_cores_count = cu->num_cpu_cores;
	dev->node_props.cpu_core_id_base = cu->processor_id_low;
	pr_debug("fixture: CPU node with %u cores from id %u\n",
		 cu->num_cpu_cores, cu->processor_id_low);
}

/* Copy what a compute unit subtype says about a GPU node. */
static void fixture_cu_gpu(struct kfd_topology_device *dev,
			   const struct crat_subtype_computeunit *cu)
{
	dev->node_props.simd_id_base = cu->processor_id_low;
	dev->node_props.simd_count = cu->num_simd_cores;
	dev->node_props.lds_size_in_kb = cu->lds_size_in_kb;
	dev->node_props.max_waves_per_simd = cu->max_waves_simd;
	dev->node_props.wave_front_size = cu->wave_front_size;
	dev->node_props.array_count = cu->array_count;
	dev->node_props.cu_per_simd_array = cu->num_cu_per_array;
	dev->node_props.simd_per_cu = cu->num_simd_per_cu;
	dev->node_props.max_slots_scratch_cu = cu->max_slots_scatch_cu;
	pr_debug("fixture: GPU node with %u SIMDs from id %u\n",
		 cu->num_simd_cores, cu->processor_id_low);
}

static int kfd_parse_subtype_cu(struct crat_subtype_computeunit *cu,
				struct list_head *device_list)
{
	struct kfd_topology_device *dev;

	dev = fixture_device_by_domain(device_list, cu->proximity_domain);
	if (!dev)
		return 0;

	if (cu->flags & CRAT_CU_FLAGS_CPU_PRESENT)
		fixture_cu_cpu(dev, cu);
	if (cu->flags & CRAT_CU_FLAGS_GPU_PRESENT)
		fixture_cu_gpu(dev, cu);
	return 0;
}

/*
 * Banks of the same heap type, flags and width are reported to user mode as
 * one heap, so look for an existing entry first.
 */
static struct kfd_mem_properties *
fixture_same_bank(struct kfd_topology_device *dev, uint32_t heap_type,
		  uint32_t flags, uint32_t width)
{
	struct kfd_mem_properties *props;

	list_for_each_entry(props, &dev->mem_props, list) {
		if (props->heap_type != heap_type)
			continue;
		if (props->flags != flags || props->width != width)
			continue;
		return props;
	}
	return NULL;
}

/*
 * kfd_parse_subtype_mem - attach a memory affinity subtype to the node
 * with the same proximity domain; merge it with an equal bank if there is
 * one.
 */
static int kfd_parse_subtype_mem(struct crat_subtype_memory *mem,
				 struct list_head *device_list)
{
	struct kfd_mem_properties *props;
	struct kfd_topology_device *dev;
	uint64_t size_in_bytes;
	uint32_t heap_type;
	uint32_t flags = 0;
	uint32_t width;

	pr_debug("fixture: memory subtype for proximity domain %u\n",
		 mem->proximity_domain);

	dev = fixture_device_by_domain(device_list, mem->proximity_domain);
	if (!dev)
		return 0;

	if (dev->node_props.cpu_cores_count != 0)
		heap_type = HSA_MEM_HEAP_TYPE_SYSTEM;
	else if (mem->visibility_type != 0)
		heap_type = mem->visibility_type;
	else
		heap_type = HSA_MEM_HEAP_TYPE_FB_PRIVATE;

	if (mem->flags & CRAT_MEM_FLAGS_HOT_PLUGGABLE)
		flags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;
	if (mem->flags & CRAT_MEM_FLAGS_NON_VOLATILE)
		flags |= HSA_MEM_FLAGS_NON_VOLATILE;

	size_in_bytes = ((uint64_t)mem->length_high << 32) | mem->length_low;
	width = mem->width;

	props = fixture_same_bank(dev, heap_type, flags, width);
	if (props) {
		props->size_in_bytes += size_in_bytes;
		return 0;
	}

	props = kzalloc(sizeof(*props), GFP_KERNEL);
	if (!props)
		return -ENOMEM;

	props->heap_type = heap_type;
	props->flags = flags;
	props->size_in_bytes = size_in_bytes;
	props->width = width;
	dev->node_props.mem_banks_count++;
	list_add_tail(&props->list, &dev->mem_props);
	return 0;
}

static int kfd_parse_subtype_cache(struct crat_subtype_cache *cache,
				   struct list_head *device_list)
{
	struct kfd_cache_properties *props;
	struct kfd_topology_device *dev;

	pr_debug("fixture: cache subtype for processor %u\n",
		 cache->processor_id_low);

	list_for_each_entry(dev, device_list, list) {
		u32 first = dev->node_props.cpu_cores_count ?
			dev->node_props.cpu_core_id_base :
			dev->node_props.simd_id_base;

		if (cache->processor_id_low < first)
			continue;

		props = kzalloc(sizeof(*props), GFP_KERNEL);
		if (!props)
			return -ENOMEM;

		props->processor_id_low = cache->processor_id_low;
		props->cache_level = cache->cache_level;
		props->cache_size = cache->cache_size;
		props->cacheline_size = cache->cache_line_size;
		props->cachelines_per_tag = cache->lines_per_tag;
		props->cache_assoc = cache->associativity;
		props->cache_latency = cache->cache_latency;
		memcpy(props->sibling_map, cache->sibling_map,
		       sizeof(props->sibling_map));

		if (cache->flags & CRAT_CACHE_FLAGS_DATA_CACHE)
			props->cache_type |= HSA_CACHE_TYPE_DATA;
		if (cache->flags & CRAT_CACHE_FLAGS_INST_CACHE)
			props->cache_type |= HSA_CACHE_TYPE_INSTRUCTION;
		if (cache->flags & CRAT_CACHE_FLAGS_CPU_CACHE)
			props->cache_type |= HSA_CACHE_TYPE_CPU;
		if (cache->flags & CRAT_CACHE_FLAGS_SIMD_CACHE)
			props->cache_type |= HSA_CACHE_TYPE_HSACU;

		dev->node_props.caches_count++;
		list_add_tail(&props->list, &dev->cache_props);
		break;
	}
	return 0;
}

/* One direction of an IO link; the caller adds the reverse one if asked. */
static int fixture_add_link(struct kfd_topology_device *from, u32 to,
			    const struct crat_subtype_iolink *iolink)
{
	struct kfd_iolink_properties *props;

	props = kzalloc(sizeof(*props), GFP_KERNEL);
	if (!props)
		return -ENOMEM;

	props->node_from = from->proximity_domain;
	props->node_to = to;
	props->ver_maj = iolink->version_major;
	props->ver_min = iolink->version_minor;
	props->iolink_type = iolink->io_interface_type;
	props->weight = iolink->io_interface_type == CRAT_IOLINK_TYPE_PCIEXPRESS ? 20 : 15;
	props->min_latency = iolink->minimum_latency;
	props->max_latency = iolink->maximum_latency;
	props->min_bandwidth = iolink->minimum_bandwidth_mbs;
	props->max_bandwidth = iolink->maximum_bandwidth_mbs;
	props->rec_transfer_size = iolink->recommended_transfer_size;

	from->node_props.io_links_count++;
	list_add_tail(&props->list, &from->io_link_props);
	return 0;
}

static int kfd_parse_subtype_iolink(struct crat_subtype_iolink *iolink,
				    struct list_head *device_list)
{
	struct kfd_topology_device *from, *to;
	int r;

	pr_debug("fixture: IO link %u -> %u\n", iolink->proximity_domain_from,
		 iolink->proximity_domain_to);

	from = fixture_device_by_domain(device_list, iolink->proximity_domain_from);
	to = fixture_device_by_domain(device_list, iolink->proximity_domain_to);
	if (!from || !to)
		return 0;

	r = fixture_add_link(from, to->proximity_domain, iolink);
	if (r)
		return r;
	if (iolink->flags & CRAT_IOLINK_FLAGS_BI_DIRECTIONAL)
		r = fixture_add_link(to, from->proximity_domain, iolink);
	return r;
}

/* Dispatch one subtype; unknown and unused subtypes are skipped. */
static int kfd_parse_subtype(struct crat_subtype_generic *sub_type_hdr,
			     struct list_head *device_list)
{
	switch (sub_type_hdr->type) {
	case CRAT_SUBTYPE_COMPUTEUNIT_AFFINITY:
		return kfd_parse_subtype_cu((void *)sub_type_hdr, device_list);
	case CRAT_SUBTYPE_MEMORY_AFFINITY:
		return kfd_parse_subtype_mem((void *)sub_type_hdr, device_list);
	case CRAT_SUBTYPE_CACHE_AFFINITY:
		return kfd_parse_subtype_cache((void *)sub_type_hdr, device_list);
	case CRAT_SUBTYPE_IOLINK_AFFINITY:
		return kfd_parse_subtype_iolink((void *)sub_type_hdr, device_list);
	default:
		pr_debug("fixture: skipping %s subtype\n",
			 fixture_subtype_name(sub_type_hdr->type));
		return 0;
	}
}

/*
 * kfd_parse_crat_table - turn a CRAT image into topology devices on
 * device_list, one per proximity domain starting at proximity_domain.
 */
int kfd_parse_crat_table(void *crat_image, struct list_head *device_list,
			 uint32_t proximity_domain)
{
	struct crat_header *crat_table = crat_image;
	struct crat_subtype_generic *sub_type_hdr;
	uint16_t node_id;
	int image_len;
	int r = 0;

	if (!crat_image)
		return -EINVAL;

	if (!list_empty(device_list)) {
		pr_warn("fixture: device list must start empty\n");
		return -EINVAL;
	}

	if (!fixture_crat_checksum_ok(crat_table, crat_table->length))
		pr_warn("fixture: CRAT checksum mismatch, using the table anyway\n");

	pr_debug("fixture: CRAT table with %u nodes\n", crat_table->num_domains);

	for (node_id = 0; node_id < crat_table->num_domains; node_id++)
		if (!fixture_new_device(device_list, proximity_domain + node_id))
			return -ENOMEM;

	sub_type_hdr = (void *)(crat_table + 1);
	image_len = crat_table->length - sizeof(*crat_table);

	while (image_len > 0 && (char *)sub_type_hdr + sizeof(*sub_type_hdr) <=
	       (char *)crat_image + crat_table->length) {
		if (sub_type_hdr->length == 0)
			break;
		if (sub_type_hdr->flags & CRAT_SUBTYPE_FLAGS_ENABLED) {
			r = kfd_parse_subtype(sub_type_hdr, device_list);
			if (r)
				break;
		}
		image_len -= sub_type_hdr->length;
		sub_type_hdr = (void *)((char *)sub_type_hdr + sub_type_hdr->length);
	}

	if (r)
		fixture_release_devices(device_list);
	return r;
}

/*
 * Cache subtypes for a GPU without ACPI tables, from the per-ASIC table at
 * the top of this file.
 */
int fixture_fill_gpu_caches(const char *asic, u32 simd_id_base, u32 num_cu,
			    struct crat_subtype_cache *out, int max_out)
{
	const struct fixture_asic_caches *c = fixture_find_caches(asic);
	unsigned int i, cu;
	int n = 0;

	if (!c)
		return -ENOENT;

	for (i = 0; i < c->count; i++) {
		unsigned int share = c->desc[i].num_cu_shared;

		for (cu = 0; cu < num_cu; cu += share ? share : num_cu) {
			if (n >= max_out)
				return -ENOSPC;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].type = CRAT_SUBTYPE_CACHE_AFFINITY;
			out[n].length = sizeof(out[n]);
			out[n].flags = CRAT_SUBTYPE_FLAGS_ENABLED;
			out[n].processor_id_low = simd_id_base + cu;
			out[n].cache_level = c->desc[i].level;
			out[n].cache_size = c->desc[i].size_kib;
			out[n].cache_line_size = 128;
			out[n].lines_per_tag = 1;
			out[n].associativity = 16;
			out[n].cache_latency = 1;
			n++;
		}
	}
	pr_debug("fixture: %d cache subtypes for %s\n", n, asic);
	return n;
}

/* Start a virtual CRAT image for one node; returns the next free byte. */
void *fixture_crat_begin(struct crat_header *hdr, size_t size, bool gpu)
{
	memset(hdr, 0, size);
	memcpy(hdr->signature, CRAT_SIGNATURE, sizeof(hdr->signature));
	memcpy(hdr->oem_id, "RDNA1D", CRAT_OEMID_LENGTH);
	memcpy(hdr->oem_table_id, gpu ? "FIXGPU" : "FIXCPU", 6);
	hdr->revision = CRAT_REVISION_1;
	hdr->length = sizeof(*hdr);
	hdr->num_domains = 1;
	hdr->proximity_domain_base = fixture_next_domain++;
	return hdr + 1;
}

/* Account for one more subtype written at the end of the image. */
void fixture_crat_add(struct crat_header *hdr, const struct crat_subtype_generic *sub)
{
	hdr->length += sub->length;
	hdr->total_entries++;
}

void fixture_crat_end(struct crat_header *hdr)
{
	fixture_crat_fix_checksum(hdr);
	pr_debug("fixture: virtual CRAT of %u bytes\n", hdr->length);
}
