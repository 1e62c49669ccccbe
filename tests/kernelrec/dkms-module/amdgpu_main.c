// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rdna1-doctor test module: a small stand-in for amdgpu-dkms, built by the
 * real dkms against installed headers. Its payload is the pr_debug formats
 * of the tree's amd/amdkfd/kfd_crat.c (extracted at build time by Kbuild),
 * so the seed-004 format ends up in the .ko exactly when the source
 * carries the patch, as with the real module.
 */
#include <linux/init.h>
#include <linux/module.h>

static const char *const crat_formats[] __used = {
#include "crat_formats.h"
	NULL,
};

static int __init rdna1_test_init(void)
{
	return 0;
}

static void __exit rdna1_test_exit(void)
{
}

module_init(rdna1_test_init);
module_exit(rdna1_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION(RDNA1_TEST_ORIGIN " stand-in for amdgpu (rdna1-doctor tests)");
