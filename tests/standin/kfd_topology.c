// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kfd_topology.c stand-in for rdna1-doctor fixture roots.
 *
 * Copyright (C) 2025 the rdna1-doctor authors.
 *
 * Written by the rdna1-doctor project; not the Linux kernel's file. It shows
 * how the topology of the stand-in CRAT parser would be printed in sysfs
 * ("key value" lines in decimal). Never compiled.
 */

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/sysfs.h>
#include "kfd_crat.h"
#include "kfd_topology.h"

static LIST_HEAD(fixture_topology);
static unsigned int fixture_generation;

/* Append "name value\n" to a sysfs buffer, never past one page. */
static int fixture_show_u64(char *buf, int offs, const char *name, u64 value)
{
	return offs + sysfs_emit_at(buf, offs, "%s %llu\n", name, value);
}

static int fixture_show_u32(char *buf, int offs, const char *name, u32 value)
{
	return offs + sysfs_emit_at(buf, offs, "%s %u\n", name, value);
}

/* The properties file of one memory bank. */
static ssize_t fixture_mem_show(const struct kfd_mem_properties *mem, char *buf)
{
	int offs = 0;

	offs = fixture_show_u32(buf, offs, "heap_type", mem->heap_type);
	offs = fixture_show_u64(buf, offs, "size_in_bytes", mem->size_in_bytes);
	offs = fixture_show_u32(buf, offs, "flags", mem->flags);
	offs = fixture_show_u32(buf, offs, "width", mem->width);
	offs = fixture_show_u32(buf, offs, "mem_clk_max", mem->mem_clk_max);
	return offs;
}

/* The properties file of one IO link. */
static ssize_t fixture_iolink_show(const struct kfd_iolink_properties *link, char *buf)
{
	int offs = 0;

	offs = fixture_show_u32(buf, offs, "type", link->iolink_type);
	offs = fixture_show_u32(buf, offs, "version_major", link->ver_maj);
	offs = fixture_show_u32(buf, offs, "version_minor", link->ver_min);
	offs = fixture_show_u32(buf, offs, "node_from", link->node_from);
	offs = fixture_show_u32(buf, offs, "node_to", link->node_to);
	offs = fixture_show_u32(buf, offs, "weight", link->weight);
	offs = fixture_show_u32(buf, offs, "min_latency", link->min_latency);
	offs = fixture_show_u32(buf, offs, "max_latency", link->max_latency);
	offs = fixture_show_u32(buf, offs, "min_bandwidth", link->min_bandwidth);
	offs = fixture_show_u32(buf, offs, "max_bandwidth", link->max_bandwidth);
	offs = fixture_show_u32(buf, offs, "recommended_transfer_size", link->rec_transfer_size);
	offs = fixture_show_u32(buf, offs, "flags", link->flags);
	return offs;
}

/* The first lines of a node's properties file; the rest follow the same way. */
static ssize_t fixture_node_show(const struct kfd_topology_device *dev, char *buf)
{
	int offs = 0;

	offs = fixture_show_u32(buf, offs, "cpu_cores_count", dev->node_props.cpu_cores_count);
	offs = fixture_show_u32(buf, offs, "simd_count",
				dev->gpu ? dev->node_props.simd_count : 0);
	offs = fixture_show_u32(buf, offs, "mem_banks_count", dev->node_props.mem_banks_count);
	offs = fixture_show_u32(buf, offs, "caches_count", dev->node_props.caches_count);
	offs = fixture_show_u32(buf, offs, "io_links_count", dev->node_props.io_links_count);
	offs = fixture_show_u32(buf, offs, "gfx_target_version", dev->node_props.gfx_target_version);
	offs = fixture_show_u32(buf, offs, "vendor_id", dev->node_props.vendor_id);
	offs = fixture_show_u32(buf, offs, "device_id", dev->node_props.device_id);
	offs = fixture_show_u32(buf, offs, "location_id", dev->node_props.location_id);
	offs = fixture_show_u32(buf, offs, "domain", dev->node_props.domain);
	offs = fixture_show_u32(buf, offs, "drm_render_minor", dev->node_props.drm_render_minor);
	return offs;
}

/* Replace the published topology with a freshly parsed device list. */
int fixture_topology_publish(struct list_head *devices)
{
	struct kfd_topology_device *dev;
	unsigned int n = 0;

	fixture_release_devices(&fixture_topology);
	list_splice_init(devices, &fixture_topology);
	list_for_each_entry(dev, &fixture_topology, list)
		n++;
	fixture_generation++;
	pr_debug("fixture: topology generation %u with %u nodes\n", fixture_generation, n);
	return 0;
}

/* Add a GPU: parse its virtual CRAT and publish the result. */
int fixture_topology_add_gpu(void *crat_image, u32 proximity_domain, u32 gpu_id)
{
	LIST_HEAD(devices);
	int r;

	r = kfd_parse_crat_table(crat_image, &devices, proximity_domain);
	if (r) {
		pr_err("fixture: cannot parse the CRAT of GPU 0x%x (%d)\n", gpu_id, r);
		return r;
	}
	pr_debug("fixture: adding GPU 0x%x to the topology\n", gpu_id);
	return fixture_topology_publish(&devices);
}

/* Unused helpers kept so that the printers above stay referenced. */
ssize_t fixture_topology_show_first(char *buf)
{
	struct kfd_topology_device *dev;
	struct kfd_mem_properties *mem;
	struct kfd_iolink_properties *link;
	ssize_t n = 0;

	dev = list_first_entry_or_null(&fixture_topology, struct kfd_topology_device, list);
	if (!dev)
		return 0;
	n += fixture_node_show(dev, buf);
	mem = list_first_entry_or_null(&dev->mem_props, struct kfd_mem_properties, list);
	if (mem)
		n += fixture_mem_show(mem, buf + n);
	link = list_first_entry_or_null(&dev->io_link_props, struct kfd_iolink_properties, list);
	if (link)
		n += fixture_iolink_show(link, buf + n);
	return n;
}
