/*
 * pci_decode.c - the pure parts of PCI: decoding a BAR from its sizing
 * probe, and names for classes, vendors and devices (what lspci prints).
 * No hardware access here, so tests/unit/test_pci_decode.c runs it on the
 * host.
 */
#include <skiff/pci.h>

/*
 * A BAR is sized by writing all ones and reading back: the address bits
 * the device decodes stay writable, the low bits read as zero (PCI Local
 * Bus 3.0 section 6.2.5.1). The size is the lowest writable address bit.
 * Bit 0 tells I/O (1) from memory (0); for memory, bits 2:1 give the type
 * (00 32-bit, 10 64-bit: the next BAR holds the upper half) and bit 3
 * prefetchable.
 */
static u64 lowest_set_bit(u64 v)
{
	return v & ~(v - 1);
}

int pci_bar_decode(struct pci_bar *bar, u32 lo, u32 lo_mask, u32 hi,
		   u32 hi_mask)
{
	*bar = (struct pci_bar){0};
	if (lo & 1) {
		u32 mask = lo_mask & 0xfffffffcu & 0xffff;
		bar->size = lowest_set_bit(mask);
		bar->addr = lo & 0xfffffffcu;
		bar->type = bar->size ? PCI_BAR_IO : PCI_BAR_NONE;
		return 1;
	}
	bool is64 = ((lo >> 1) & 3) == 2;
	u64 mask = lo_mask & 0xfffffff0u;
	u64 addr = lo & 0xfffffff0u;
	if (is64) {
		mask |= (u64)hi_mask << 32;
		addr |= (u64)hi << 32;
	}
	bar->size = lowest_set_bit(mask);
	bar->addr = addr;
	bar->prefetch = (lo & 8) != 0;
	if (bar->size)
		bar->type = is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
	return is64 ? 2 : 1;
}

/* Class names as lspci spells them (PCI Code and ID Assignment 1.11). */
static const struct {
	u16 class; /* base << 8 | sub */
	const char *name;
} class_names[] = {
    {0x0000, "Non-VGA unclassified device"},
    {0x0001, "VGA compatible unclassified device"},
    {0x0100, "SCSI storage controller"},
    {0x0101, "IDE interface"},
    {0x0104, "RAID bus controller"},
    {0x0106, "SATA controller"},
    {0x0107, "Serial Attached SCSI controller"},
    {0x0108, "Non-Volatile memory controller"},
    {0x0200, "Ethernet controller"},
    {0x0300, "VGA compatible controller"},
    {0x0302, "3D controller"},
    {0x0401, "Multimedia audio controller"},
    {0x0403, "Audio device"},
    {0x0500, "RAM memory"},
    {0x0600, "Host bridge"},
    {0x0601, "ISA bridge"},
    {0x0604, "PCI bridge"},
    {0x0700, "Serial controller"},
    {0x0880, "System peripheral"},
    {0x0c03, "USB controller"},
    {0x0c05, "SMBus"},
};

static const char *const base_class_names[] = {
    "Unclassified device",
    "Mass storage controller",
    "Network controller",
    "Display controller",
    "Multimedia controller",
    "Memory controller",
    "Bridge",
    "Communication controller",
    "Generic system peripheral",
    "Input device controller",
    "Docking station",
    "Processor",
    "Serial bus controller",
    "Wireless controller",
    "Intelligent controller",
    "Satellite communications controller",
    "Encryption controller",
    "Signal processing controller",
};

const char *pci_class_name(u32 class)
{
	u16 base_sub = (u16)(class >> 8);
	for (size_t i = 0; i < ARRAY_SIZE(class_names); i++)
		if (class_names[i].class == base_sub)
			return class_names[i].name;
	u8 base = (u8)(class >> 16);
	if (base < ARRAY_SIZE(base_class_names))
		return base_class_names[base];
	return "Unassigned class";
}

/* A few vendors and the devices Skiff meets in QEMU; anything else is
 * "Device" and lspci's numeric [vendor:device] still says what it is. */
static const struct {
	u16 vendor, device;
	const char *name;
} device_names[] = {
    {0x8086, 0x100e, "Intel 82540EM Gigabit Ethernet Controller"},
    {0x8086, 0x10d3, "Intel 82574L Gigabit Network Connection"},
    {0x8086, 0x29c0, "Intel 82G33/G31/P35/P31 Express DRAM Controller"},
    {0x8086, 0x2918, "Intel 82801IB (ICH9) LPC Interface Controller"},
    {0x8086, 0x2922,
     "Intel 82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA "
     "Controller [AHCI mode]"},
    {0x8086, 0x2930, "Intel 82801I (ICH9 Family) SMBus Controller"},
    {0x1af4, 0x1000, "Red Hat Virtio network device"},
    {0x1af4, 0x1041, "Red Hat Virtio 1.0 network device"},
    {0x1b36, 0x000c, "Red Hat QEMU PCIe Root port"},
    {0x1234, 0x1111, "QEMU Standard VGA"},
};

const char *pci_device_name(u16 vendor, u16 device)
{
	for (size_t i = 0; i < ARRAY_SIZE(device_names); i++)
		if (device_names[i].vendor == vendor &&
		    device_names[i].device == device)
			return device_names[i].name;
	return "Device";
}

bool pci_id_match(const struct pci_device_id *id, u16 vendor, u16 device)
{
	return (id->vendor == PCI_ANY_ID || id->vendor == vendor) &&
	       (id->device == PCI_ANY_ID || id->device == device);
}
