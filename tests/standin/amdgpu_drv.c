// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-in for the amdgpu DKMS tree's amdgpu_drv.c in rdna1-doctor fixture
 * roots. Project-written: it only has to look like a driver entry file; it
 * is never compiled.
 */
#include <linux/module.h>
#include <linux/pci.h>

#define DRIVER_NAME	"amdgpu"
#define DRIVER_DESC	"AMD GPU"

static const struct pci_device_id fixture_pciidlist[] = {
	/* Navi 10 */
	{0x1002, 0x731F, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0},
	/* Navi 14 */
	{0x1002, 0x7340, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0},
	{0, 0, 0}
};
MODULE_DEVICE_TABLE(pci, fixture_pciidlist);

static int fixture_pci_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	dev_info(&pdev->dev, "fixture probe of %04x:%04x\n", pdev->vendor, pdev->device);
	return 0;
}

static void fixture_pci_remove(struct pci_dev *pdev)
{
}

static struct pci_driver fixture_kms_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = fixture_pciidlist,
	.probe = fixture_pci_probe,
	.remove = fixture_pci_remove,
};

module_pci_driver(fixture_kms_pci_driver);

MODULE_AUTHOR("AMD linux driver team");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL and additional rights");
