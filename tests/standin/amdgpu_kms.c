// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-in for the amdgpu DKMS tree's amdgpu_kms.c in rdna1-doctor fixture
 * roots. Project-written; never compiled.
 */
#include <linux/pci.h>
#include <linux/slab.h>

struct fixture_kms {
	struct pci_dev *pdev;
	unsigned int num_crtc;
	bool has_kfd;
};

/* Called once per device after the IP blocks are up. */
int fixture_kms_load(struct pci_dev *pdev, struct fixture_kms **ret)
{
	struct fixture_kms *kms;

	kms = kzalloc(sizeof(*kms), GFP_KERNEL);
	if (!kms)
		return -ENOMEM;

	kms->pdev = pdev;
	kms->num_crtc = 6;
	kms->has_kfd = true;
	dev_dbg(&pdev->dev, "fixture kms: %u CRTCs, KFD %s\n", kms->num_crtc,
		kms->has_kfd ? "on" : "off");
	*ret = kms;
	return 0;
}

void fixture_kms_unload(struct fixture_kms *kms)
{
	kfree(kms);
}
