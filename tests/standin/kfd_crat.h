/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kfd_crat.h stand-in for rdna1-doctor fixture roots.
 *
 * Copyright (C) 2025 the rdna1-doctor authors.
 *
 * Written by the rdna1-doctor project; not the Linux kernel's header. It
 * declares what the stand-in kfd_crat.c uses: the Component Resource
 * Affinity Table (CRAT) header and subtypes, with the flag values that the
 * HSA platform specification gives them. Never compiled.
 */
#ifndef FIXTURE_KFD_CRAT_H_INCLUDED
#define FIXTURE_KFD_CRAT_H_INCLUDED

#include <linux/types.h>

#define CRAT_SIGNATURE		"CRAT"
#define CRAT_OEMID_LENGTH	6
#define CRAT_OEMTABLEID_LENGTH	8
#define CRAT_REVISION_1		1

/* The table header; subtypes follow it back to back. */
struct crat_header {
	uint8_t		signature[4];
	uint32_t	length;
	uint8_t		revision;
	uint8_t		checksum;
	uint8_t		oem_id[CRAT_OEMID_LENGTH];
	uint8_t		oem_table_id[CRAT_OEMTABLEID_LENGTH];
	uint32_t	oem_revision;
	uint32_t	creator_id;
	uint32_t	creator_revision;
	uint32_t	total_entries;
	uint16_t	num_domains;
	uint32_t	proximity_domain_base;
	uint8_t		reserved[6];
};

/* Subtype identifiers (first byte of every subtype). */
enum {
	CRAT_SUBTYPE_COMPUTEUNIT_AFFINITY = 0,
	CRAT_SUBTYPE_MEMORY_AFFINITY,
	CRAT_SUBTYPE_CACHE_AFFINITY,
	CRAT_SUBTYPE_TLB_AFFINITY,
	CRAT_SUBTYPE_CCOMPUTE_AFFINITY,
	CRAT_SUBTYPE_IOLINK_AFFINITY,
	CRAT_SUBTYPE_MAX,
};

/* Every subtype starts like this. */
struct crat_subtype_generic {
	uint8_t		type;
	uint8_t		length;
	uint16_t	reserved;
	uint32_t	flags;
};

#define CRAT_SUBTYPE_FLAGS_ENABLED	0x00000001

/* Compute unit affinity: which CPU cores or GPU SIMDs a node has. */
#define CRAT_CU_FLAGS_ENABLED		0x00000001
#define CRAT_CU_FLAGS_HOT_PLUGGABLE	0x00000002
#define CRAT_CU_FLAGS_CPU_PRESENT	0x00000004
#define CRAT_CU_FLAGS_GPU_PRESENT	0x00000008
#define CRAT_CU_FLAGS_IOMMU_PRESENT	0x00000010

struct crat_subtype_computeunit {
	uint8_t		type;
	uint8_t		length;
	uint16_t	reserved;
	uint32_t	flags;
	uint32_t	proximity_domain;
	uint32_t	processor_id_low;
	uint16_t	num_cpu_cores;
	uint16_t	num_simd_cores;
	uint16_t	max_waves_simd;
	uint16_t	io_count;
	uint16_t	hsa_capability;
	uint16_t	lds_size_in_kb;
	uint8_t		wave_front_size;
	uint8_t		num_banks;
	uint16_t	micro_engine_id;
	uint8_t		array_count;
	uint8_t		num_cu_per_array;
	uint8_t		num_simd_per_cu;
	uint8_t		max_slots_scatch_cu;
	uint8_t		reserved2[4];
};

/* Memory affinity: one bank of memory near a proximity domain. */
#define CRAT_MEM_FLAGS_ENABLED		0x00000001
#define CRAT_MEM_FLAGS_HOT_PLUGGABLE	0x00000002
#define CRAT_MEM_FLAGS_NON_VOLATILE	0x00000004

struct crat_subtype_memory {
	uint8_t		type;
	uint8_t		length;
	uint16_t	reserved;
	uint32_t	flags;
	uint32_t	proximity_domain;
	uint32_t	base_addr_low;
	uint32_t	base_addr_high;
	uint32_t	length_low;
	uint32_t	length_high;
	uint32_t	width;
	uint8_t		visibility_type;	/* heap type, for GPU banks */
	uint8_t		reserved2[8];
};

/* Cache affinity. */
#define CRAT_CACHE_FLAGS_ENABLED	0x00000001
#define CRAT_CACHE_FLAGS_DATA_CACHE	0x00000002
#define CRAT_CACHE_FLAGS_INST_CACHE	0x00000004
#define CRAT_CACHE_FLAGS_CPU_CACHE	0x00000008
#define CRAT_CACHE_FLAGS_SIMD_CACHE	0x00000010

#define CRAT_SIBLINGMAP_SIZE		32

struct crat_subtype_cache {
	uint8_t		type;
	uint8_t		length;
	uint16_t	reserved;
	uint32_t	flags;
	uint32_t	processor_id_low;
	uint8_t		sibling_map[CRAT_SIBLINGMAP_SIZE];
	uint32_t	cache_size;
	uint8_t		cache_level;
	uint8_t		lines_per_tag;
	uint16_t	cache_line_size;
	uint8_t		associativity;
	uint8_t		cache_properties;
	uint16_t	cache_latency;
	uint8_t		reserved2[8];
};

/* IO link affinity: a link between two proximity domains. */
#define CRAT_IOLINK_FLAGS_ENABLED		(1 << 0)
#define CRAT_IOLINK_FLAGS_NON_COHERENT		(1 << 1)
#define CRAT_IOLINK_FLAGS_NO_ATOMICS_32_BIT	(1 << 2)
#define CRAT_IOLINK_FLAGS_NO_ATOMICS_64_BIT	(1 << 3)
#define CRAT_IOLINK_FLAGS_NO_PEER_TO_PEER_DMA	(1 << 4)
#define CRAT_IOLINK_FLAGS_BI_DIRECTIONAL	(1 << 31)

enum {
	CRAT_IOLINK_TYPE_UNDEFINED = 0,
	CRAT_IOLINK_TYPE_HYPERTRANSPORT,
	CRAT_IOLINK_TYPE_PCIEXPRESS,
	CRAT_IOLINK_TYPE_AMBA,
	CRAT_IOLINK_TYPE_MIPI,
	CRAT_IOLINK_TYPE_QPI_1_1,
	CRAT_IOLINK_TYPE_RESERVED1,
	CRAT_IOLINK_TYPE_RESERVED2,
	CRAT_IOLINK_TYPE_RAPID_IO,
	CRAT_IOLINK_TYPE_INFINIBAND,
	CRAT_IOLINK_TYPE_RESERVED3,
	CRAT_IOLINK_TYPE_XGMI,
	CRAT_IOLINK_TYPE_OTHER,
	CRAT_IOLINK_TYPE_MAX = 255,
};

struct crat_subtype_iolink {
	uint8_t		type;
	uint8_t		length;
	uint16_t	reserved;
	uint32_t	flags;
	uint32_t	proximity_domain_from;
	uint32_t	proximity_domain_to;
	uint8_t		io_interface_type;
	uint8_t		version_major;
	uint16_t	version_minor;
	uint32_t	minimum_latency;
	uint32_t	maximum_latency;
	uint32_t	minimum_bandwidth_mbs;
	uint32_t	maximum_bandwidth_mbs;
	uint32_t	recommended_transfer_size;
	uint8_t		reserved2[24];
};

int kfd_parse_crat_table(void *crat_image, struct list_head *device_list,
			 uint32_t proximity_domain);
void fixture_release_devices(struct list_head *list);

#endif /* FIXTURE_KFD_CRAT_H_INCLUDED */
