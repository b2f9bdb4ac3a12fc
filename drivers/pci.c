/*
 * pci.c - PCI enumeration and the services drivers build on:
 * configuration space through ECAM (PCI Express Base 4.0 section 7.2.2,
 * windows from the ACPI MCFG table) or the legacy ports 0xCF8/0xCFC (PCI
 * Local Bus 3.0 section 3.2.2.3.2), BAR sizing, bus mastering, the
 * capability list, and interrupts: MSI-X (PCI 3.0 section 6.8.2), MSI
 * (6.8.1) and INTx through the IOAPIC.
 *
 * pci_init -> ecam_map (one mapping per MCFG entry) -> scan_bus from each
 * window's root bus -> scan_slot -> scan_function (header, BAR sizing,
 * capabilities) -> scan_bridge (the bus behind a bridge) -> probe_device:
 * log the function, offer it to each PCI_DRIVER().
 *
 * Root buses other than each ECAM window's first (PCI expander bridges)
 * are described only in the DSDT's AML, which Skiff cannot read: their
 * functions are not found.
 *
 * INTx routing. Skiff has no AML interpreter, so it cannot evaluate _PRT;
 * it trusts the Interrupt Line register as the firmware left it. On
 * QEMU's q35, OVMF routes the ICH9 PIRQ lines to ISA IRQs 10 and 11 and
 * writes that number there; the chipset drives the IOAPIC input of the
 * same number, and QEMU's MADT carries a level-triggered override for it.
 * So the line goes through the MADT overrides (acpi_isa_to_gsi), and what
 * no override describes gets the PCI default: level-triggered, active
 * low. Several functions may share one line; each handler must check its
 * own device.
 */
#include <skiff/pci.h>
#include <skiff/acpi.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_SPACE_EXP_SIZE 4096

/* MSI capability (PCI 3.0 section 6.8.1): Message Control bits. */
#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QSIZE 0x0070 /* Multiple Message Enable */
#define PCI_MSI_FLAGS_64BIT 0x0080
#define PCI_MSI_FLAGS_MASKBIT 0x0100
#define PCI_MSI_ADDRESS_LO 4

/* MSI-X capability (6.8.2): Message Control, Table Offset/BIR. */
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_QSIZE 0x07ff /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_ENTRY_SIZE 16 /* address lo, hi, data, vector control */
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1

#define INTX_MAX_LINES 16
#define INTX_MAX_SHARED 8

/* One ECAM window: the MCFG entry's buses, mapped uncached. */
struct ecam_window {
	volatile u8 *virt; /* config space of bus_start, function 0 */
	u16 segment;
	u8 bus_start, bus_end;
};

/* A (possibly shared) INTx line: one vector, several handlers. */
struct intx_action {
	irq_handler_t fn;
	void *arg;
	struct pci_dev *dev;
};
struct intx_line {
	u32 gsi;
	u16 flags; /* MPS INTI polarity and trigger */
	int vector;
	bool routed; /* the IOAPIC entry is programmed (and unmasked) */
	u32 nactions;
	struct intx_action actions[INTX_MAX_SHARED];
};

static struct ecam_window ecam[ACPI_MAX_MCFG];
static u32 necam;
static DEFINE_SPINLOCK(cfg_port_lock, "pci_cfg_port");
static DEFINE_SPINLOCK(intx_lock, "pci_intx");
static struct intx_line intx_lines[INTX_MAX_LINES];
static u32 nintx;
static LIST_HEAD(pci_devices);
static u32 ndevices;

/* The registered drivers (PCI_DRIVER), gathered by linker.ld. */
extern const struct pci_driver *const __pci_drivers_start[];
extern const struct pci_driver *const __pci_drivers_end[];

/* ---- configuration space ------------------------------------------------ */

static volatile u8 *ecam_lookup(u16 segment, u8 bus, u8 slot, u8 func)
{
	for (u32 i = 0; i < necam; i++) {
		struct ecam_window *w = &ecam[i];
		if (w->segment != segment || bus < w->bus_start ||
		    bus > w->bus_end)
			continue;
		/* Bus in bits 27:20, device 19:15, function 14:12 (7.2.2). */
		return w->virt + ((u64)(bus - w->bus_start) << 20) +
		       ((u64)slot << 15) + ((u64)func << 12);
	}
	return NULL;
}

static u32 port_address(const struct pci_dev *dev, u16 off)
{
	return 0x80000000u | (u32)dev->bus << 16 | (u32)dev->slot << 11 |
	       (u32)dev->func << 8 | (off & 0xfc);
}

/* Through the ports: select the dword, then touch its bytes at 0xCFC+n. */
static u32 port_read(const struct pci_dev *dev, u16 off, int width)
{
	if (off >= PCI_CFG_SPACE_SIZE || dev->segment != 0)
		return 0xffffffffu;
	unsigned long flags = spin_lock_irqsave(&cfg_port_lock);
	outl(PCI_CONFIG_ADDRESS, port_address(dev, off));
	u16 port = PCI_CONFIG_DATA + (off & 3);
	u32 v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
	spin_unlock_irqrestore(&cfg_port_lock, flags);
	return v;
}

static void port_write(const struct pci_dev *dev, u16 off, int width, u32 v)
{
	if (off >= PCI_CFG_SPACE_SIZE || dev->segment != 0)
		return;
	unsigned long flags = spin_lock_irqsave(&cfg_port_lock);
	outl(PCI_CONFIG_ADDRESS, port_address(dev, off));
	u16 port = PCI_CONFIG_DATA + (off & 3);
	if (width == 1)
		outb(port, (u8)v);
	else if (width == 2)
		outw(port, (u16)v);
	else
		outl(port, v);
	spin_unlock_irqrestore(&cfg_port_lock, flags);
}

u8 pci_read_config8(const struct pci_dev *dev, u16 off)
{
	if (!dev->ecam)
		return (u8)port_read(dev, off, 1);
	return off < PCI_CFG_SPACE_EXP_SIZE ? dev->ecam[off] : 0xff;
}

u16 pci_read_config16(const struct pci_dev *dev, u16 off)
{
	off &= ~1;
	if (!dev->ecam)
		return (u16)port_read(dev, off, 2);
	return off < PCI_CFG_SPACE_EXP_SIZE ? *(volatile u16 *)(dev->ecam + off)
					    : 0xffff;
}

u32 pci_read_config32(const struct pci_dev *dev, u16 off)
{
	off &= ~3;
	if (!dev->ecam)
		return port_read(dev, off, 4);
	return off < PCI_CFG_SPACE_EXP_SIZE ? *(volatile u32 *)(dev->ecam + off)
					    : 0xffffffffu;
}

void pci_write_config8(const struct pci_dev *dev, u16 off, u8 val)
{
	if (!dev->ecam)
		port_write(dev, off, 1, val);
	else if (off < PCI_CFG_SPACE_EXP_SIZE)
		dev->ecam[off] = val;
}

void pci_write_config16(const struct pci_dev *dev, u16 off, u16 val)
{
	off &= ~1;
	if (!dev->ecam)
		port_write(dev, off, 2, val);
	else if (off < PCI_CFG_SPACE_EXP_SIZE)
		*(volatile u16 *)(dev->ecam + off) = val;
}

void pci_write_config32(const struct pci_dev *dev, u16 off, u32 val)
{
	off &= ~3;
	if (!dev->ecam)
		port_write(dev, off, 4, val);
	else if (off < PCI_CFG_SPACE_EXP_SIZE)
		*(volatile u32 *)(dev->ecam + off) = val;
}

static void ecam_map(void)
{
	for (u32 i = 0; i < acpi.nmcfg && i < ACPI_MAX_MCFG; i++) {
		const struct acpi_mcfg *m = &acpi.mcfg[i];
		if (m->bus_end < m->bus_start || !m->base)
			continue;
		/* The MCFG base is where bus 0 would be (PCI Firmware 3.0
		 * section 4.1.2), even when the range starts later. */
		u64 first = m->base + ((u64)m->bus_start << 20);
		u64 bytes = (u64)(m->bus_end - m->bus_start + 1) << 20;
		struct ecam_window *w = &ecam[necam++];
		w->virt = ioremap(first, bytes);
		w->segment = m->segment;
		w->bus_start = m->bus_start;
		w->bus_end = m->bus_end;
		pr_info("pci: ECAM segment %u buses %02x-%02x at %#llx\n",
			m->segment, m->bus_start, m->bus_end,
			(unsigned long long)first);
	}
	if (!necam)
		pr_info(
		    "pci: no MCFG, using configuration ports 0xcf8/0xcfc\n");
}

/* ---- capabilities ---------------------------------------------------------
 */

/* The list is at most 48 entries long in 256 bytes (each is 4-aligned
 * past the header); the bound also stops a looping list. */
u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, u8 cap_id)
{
	if (!(pci_read_config16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	u8 next = pos ? pci_read_config8(dev, pos + 1)
		      : pci_read_config8(dev, PCI_CAPABILITY_LIST);
	for (int ttl = 48; ttl > 0 && next >= 0x40; ttl--) {
		next &= 0xfc;
		if (pci_read_config8(dev, next) == cap_id)
			return next;
		next = pci_read_config8(dev, next + 1);
	}
	return 0;
}

u8 pci_find_capability(const struct pci_dev *dev, u8 cap_id)
{
	return pci_find_next_capability(dev, 0, cap_id);
}

/* ---- scanning -------------------------------------------------------------
 */

/* Size every BAR with decoding off, so the all-ones probe never lands on
 * a live address (PCI 3.0 section 6.2.5.1). Interrupts stay off for the
 * moment the device cannot decode (it might be the framebuffer). */
static void size_bars(struct pci_dev *dev)
{
	int nbars = dev->hdr_type == 0 ? 6 : dev->hdr_type == 1 ? 2 : 0;
	u16 cmd = pci_read_config16(dev, PCI_COMMAND);
	unsigned long flags = local_irq_save();
	pci_write_config16(dev, PCI_COMMAND,
			   cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < nbars;) {
		u16 off = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 lo = pci_read_config32(dev, off), lo_mask, hi = 0,
		    hi_mask = 0;
		pci_write_config32(dev, off, 0xffffffffu);
		lo_mask = pci_read_config32(dev, off);
		pci_write_config32(dev, off, lo);
		if (!(lo & 1) && ((lo >> 1) & 3) == 2 && i + 1 < nbars) {
			hi = pci_read_config32(dev, off + 4);
			pci_write_config32(dev, off + 4, 0xffffffffu);
			hi_mask = pci_read_config32(dev, off + 4);
			pci_write_config32(dev, off + 4, hi);
		}
		i += pci_bar_decode(&dev->bar[i], lo, lo_mask, hi, hi_mask);
	}
	pci_write_config16(dev, PCI_COMMAND, cmd);
	local_irq_restore(flags);
}

static void read_header(struct pci_dev *dev)
{
	dev->vendor = pci_read_config16(dev, PCI_VENDOR_ID);
	dev->device = pci_read_config16(dev, PCI_DEVICE_ID);
	u32 rev_class = pci_read_config32(dev, PCI_REVISION_ID);
	dev->revision = (u8)rev_class;
	dev->class = rev_class >> 8;
	dev->hdr_type = pci_read_config8(dev, PCI_HEADER_TYPE) & 0x7f;
	if (dev->hdr_type == 0) {
		dev->subsys_vendor =
		    pci_read_config16(dev, PCI_SUBSYSTEM_VENDOR_ID);
		dev->subsys_device = pci_read_config16(dev, PCI_SUBSYSTEM_ID);
	}
	dev->irq_line = pci_read_config8(dev, PCI_INTERRUPT_LINE);
	dev->irq_pin = pci_read_config8(dev, PCI_INTERRUPT_PIN);
	dev->msi_cap = pci_find_capability(dev, PCI_CAP_ID_MSI);
	dev->msix_cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
	dev->pcie_cap = pci_find_capability(dev, PCI_CAP_ID_EXP);
	if (dev->segment)
		snprintf(dev->name, sizeof(dev->name), "%04x:%02x:%02x.%u",
			 dev->segment, dev->bus, dev->slot, dev->func);
	else
		snprintf(dev->name, sizeof(dev->name), "%02x:%02x.%u", dev->bus,
			 dev->slot, dev->func);
}

static struct pci_dev *scan_function(u16 segment, u8 bus, u8 slot, u8 func)
{
	struct pci_dev *dev = calloc(1, sizeof(*dev));
	if (!dev) {
		pr_err("pci: out of memory at %02x:%02x.%u\n", bus, slot, func);
		return NULL;
	}
	dev->segment = segment;
	dev->bus = bus;
	dev->slot = slot;
	dev->func = func;
	dev->ecam = ecam_lookup(segment, bus, slot, func);
	read_header(dev);
	size_bars(dev);
	list_add_tail(&dev->list, &pci_devices);
	ndevices++;
	return dev;
}

static void scan_bus(u16 segment, u8 bus, int depth);

/* A PCI-to-PCI bridge's secondary bus (PCI-to-PCI Bridge 1.2 section
 * 3.2.5.4), as the firmware numbered it. Bus numbers grow away from the
 * root, so a secondary bus at or below the bridge's own is skipped: that
 * also ends a loop of bad numbers. */
static void scan_bridge(struct pci_dev *dev, int depth)
{
	u8 secondary = pci_read_config8(dev, PCI_SECONDARY_BUS);
	if (dev->hdr_type == 1 && secondary > dev->bus)
		scan_bus(dev->segment, secondary, depth + 1);
}

static void scan_slot(u16 segment, u8 bus, u8 slot, int depth)
{
	struct pci_dev probe = {.segment = segment, .bus = bus, .slot = slot};
	probe.ecam = ecam_lookup(segment, bus, slot, 0);
	if (pci_read_config16(&probe, PCI_VENDOR_ID) == 0xffff)
		return;
	bool multi = pci_read_config8(&probe, PCI_HEADER_TYPE) & 0x80;
	for (u8 func = 0; func < (multi ? 8 : 1); func++) {
		probe.func = func;
		probe.ecam = ecam_lookup(segment, bus, slot, func);
		if (pci_read_config16(&probe, PCI_VENDOR_ID) == 0xffff)
			continue;
		struct pci_dev *dev = scan_function(segment, bus, slot, func);
		if (dev)
			scan_bridge(dev, depth);
	}
}

/* Depth-first like Linux's pci_scan_child_bus: a bus, then the buses
 * behind its bridges. 256 buses x 32 slots of probing reads, each an exit
 * to the emulator, cost about 6 ms of boot under QEMU; a q35 machine has
 * one bus. */
static void scan_bus(u16 segment, u8 bus, int depth)
{
	if (depth > 255)
		return;
	for (u8 slot = 0; slot < 32; slot++)
		scan_slot(segment, bus, slot, depth);
}

/* Each ECAM window's first bus (the host bridge's root bus) and what its
 * bridges lead to; without ECAM, bus 0 through the configuration ports. */
static void scan_all(void)
{
	for (u32 i = 0; i < necam; i++)
		scan_bus(ecam[i].segment, ecam[i].bus_start, 0);
	if (!necam)
		scan_bus(0, 0, 0);
}

/* ---- drivers --------------------------------------------------------------
 */

static const struct pci_device_id *match_ids(const struct pci_driver *drv,
					     const struct pci_dev *dev)
{
	for (const struct pci_device_id *id = drv->ids;
	     id && (id->vendor || id->device); id++)
		if (pci_id_match(id, dev->vendor, dev->device))
			return id;
	return NULL;
}

static void probe_device(struct pci_dev *dev)
{
	const struct pci_driver *const *d = __pci_drivers_start;
	pr_info("pci: %s %04x:%04x class %04x %s\n", dev->name, dev->vendor,
		dev->device, dev->class >> 8, pci_class_name(dev->class));
	for (; d < __pci_drivers_end; d++) {
		const struct pci_device_id *id = match_ids(*d, dev);
		if (!id)
			continue;
		dev->id = id;
		int rc = (*d)->probe(dev);
		if (rc == 0) {
			dev->driver = *d;
			pr_info("pci: %s bound to %s\n", dev->name, (*d)->name);
			return;
		}
		dev->id = NULL;
		pr_warn("pci: %s: %s probe failed (%d)\n", dev->name,
			(*d)->name, rc);
	}
}

void pci_init(void)
{
	ecam_map();
	scan_all();
	pr_info("pci: %u functions\n", ndevices);
	struct pci_dev *dev;
	list_for_each_entry (dev, &pci_devices, list)
		probe_device(dev);
}

struct pci_dev *pci_first(void)
{
	if (list_empty(&pci_devices))
		return NULL;
	return list_first_entry(&pci_devices, struct pci_dev, list);
}

struct pci_dev *pci_next(struct pci_dev *dev)
{
	if (dev->list.next == &pci_devices)
		return NULL;
	return list_entry(dev->list.next, struct pci_dev, list);
}

struct pci_dev *pci_get_slot(u16 segment, u8 bus, u8 slot, u8 func)
{
	struct pci_dev *dev;
	list_for_each_entry (dev, &pci_devices, list)
		if (dev->segment == segment && dev->bus == bus &&
		    dev->slot == slot && dev->func == func)
			return dev;
	return NULL;
}

/* ---- enabling and mapping -------------------------------------------------
 */

int pci_enable_device(struct pci_dev *dev)
{
	u16 cmd = pci_read_config16(dev, PCI_COMMAND);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (dev->bar[i].type == PCI_BAR_IO)
			cmd |= PCI_COMMAND_IO;
		else if (dev->bar[i].type != PCI_BAR_NONE)
			cmd |= PCI_COMMAND_MEMORY;
	}
	cmd |= PCI_COMMAND_MASTER;
	pci_write_config16(dev, PCI_COMMAND, cmd);
	return 0;
}

void *pci_iomap(struct pci_dev *dev, int bar)
{
	if (bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	struct pci_bar *b = &dev->bar[bar];
	if (b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64)
		return NULL;
	if (!b->virt)
		b->virt = ioremap(b->addr, b->size);
	return b->virt;
}

/* ---- interrupts: common ---------------------------------------------------
 */

/* Bound to a vector between pci_alloc_irq_vectors and pci_request_irq. */
static void irq_unbound(void *arg)
{
}

static void intx_set_disabled(struct pci_dev *dev, bool disabled)
{
	u16 cmd = pci_read_config16(dev, PCI_COMMAND);
	if (disabled)
		cmd |= PCI_COMMAND_INTX_DISABLE;
	else
		cmd &= ~PCI_COMMAND_INTX_DISABLE;
	pci_write_config16(dev, PCI_COMMAND, cmd);
}

static void free_vectors(struct pci_dev *dev, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		irq_set_handler(dev->vector[i], NULL, NULL, NULL);
}

static int alloc_vectors(struct pci_dev *dev, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int v = irq_alloc_vector(irq_unbound, dev, dev->name);
		if (v < 0) {
			free_vectors(dev, i);
			return v;
		}
		dev->vector[i] = v;
	}
	return 0;
}

/* ---- MSI-X ----------------------------------------------------------------
 */

static volatile u32 *msix_entry(struct pci_dev *dev, unsigned nr)
{
	return dev->msix_table + nr * (PCI_MSIX_ENTRY_SIZE / 4);
}

static void msix_write_entry(struct pci_dev *dev, unsigned nr, u64 addr,
			     u32 data)
{
	volatile u32 *e = msix_entry(dev, nr);
	e[3] |= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* masked while it changes */
	e[0] = (u32)addr;
	e[1] = (u32)(addr >> 32);
	e[2] = data;
}

/* Locate the table: the BAR it lives in (BIR) and its offset there. */
static int msix_map_table(struct pci_dev *dev, unsigned size)
{
	u32 table = pci_read_config32(dev, dev->msix_cap + PCI_MSIX_TABLE);
	unsigned bir = table & 7;
	u64 offset = table & ~7u;
	if (bir >= PCI_NUM_BARS ||
	    offset + (u64)size * PCI_MSIX_ENTRY_SIZE > dev->bar[bir].size)
		return -ENODEV;
	u8 *base = pci_iomap(dev, (int)bir);
	if (!base)
		return -ENODEV;
	dev->msix_table = (volatile u32 *)(base + offset);
	dev->msix_size = (u16)size;
	return 0;
}

/*
 * Enable with the whole function masked, mask every entry, program ours,
 * then lift the function mask: each of our entries stays masked until
 * pci_request_irq (PCI 3.0 section 6.8.2.9 on the mask bits).
 */
static int msix_setup(struct pci_dev *dev, unsigned min_vecs, unsigned max_vecs)
{
	u16 ctrl = pci_read_config16(dev, dev->msix_cap + PCI_MSIX_FLAGS);
	unsigned size = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	unsigned n = MIN(MIN(max_vecs, size), PCI_MAX_VECTORS);
	if (n < min_vecs)
		return -ENOSPC;
	int rc = msix_map_table(dev, size);
	if (rc < 0 || (rc = alloc_vectors(dev, n)) < 0)
		return rc;
	intx_set_disabled(dev, true);
	pci_write_config16(dev, dev->msix_cap + PCI_MSIX_FLAGS,
			   ctrl | PCI_MSIX_FLAGS_ENABLE |
			       PCI_MSIX_FLAGS_MASKALL);
	for (unsigned i = 0; i < size; i++)
		msix_entry(dev, i)[3] |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	for (unsigned i = 0; i < n; i++) {
		u64 addr;
		u32 data;
		irq_msi_message(dev->vector[i], 0, &addr, &data);
		msix_write_entry(dev, i, addr, data);
	}
	pci_write_config16(dev, dev->msix_cap + PCI_MSIX_FLAGS,
			   (ctrl | PCI_MSIX_FLAGS_ENABLE) &
			       ~PCI_MSIX_FLAGS_MASKALL);
	dev->irq_mode = PCI_IRQ_MODE_MSIX;
	dev->nvec = (u8)n;
	return (int)n;
}

static void msix_disable(struct pci_dev *dev)
{
	u16 ctrl = pci_read_config16(dev, dev->msix_cap + PCI_MSIX_FLAGS);
	pci_write_config16(dev, dev->msix_cap + PCI_MSIX_FLAGS,
			   ctrl & ~PCI_MSIX_FLAGS_ENABLE);
}

/* ---- MSI ------------------------------------------------------------------
 */

/* Where the data and mask registers sit depends on 64-bit addressing. */
static u16 msi_data_reg(u16 ctrl)
{
	return ctrl & PCI_MSI_FLAGS_64BIT ? 12 : 8;
}

static u16 msi_mask_reg(u16 ctrl)
{
	return ctrl & PCI_MSI_FLAGS_64BIT ? 16 : 12;
}

/* One message only (Multiple Message Enable = 0): one vector. */
static int msi_setup(struct pci_dev *dev)
{
	u8 cap = dev->msi_cap;
	u16 ctrl = pci_read_config16(dev, cap + PCI_MSI_FLAGS);
	int rc = alloc_vectors(dev, 1);
	if (rc < 0)
		return rc;
	u64 addr;
	u32 data;
	irq_msi_message(dev->vector[0], 0, &addr, &data);
	pci_write_config32(dev, cap + PCI_MSI_ADDRESS_LO, (u32)addr);
	if (ctrl & PCI_MSI_FLAGS_64BIT)
		pci_write_config32(dev, cap + 8, (u32)(addr >> 32));
	pci_write_config16(dev, cap + msi_data_reg(ctrl), (u16)data);
	if (ctrl & PCI_MSI_FLAGS_MASKBIT)
		pci_write_config32(dev, cap + msi_mask_reg(ctrl), 1);
	intx_set_disabled(dev, true);
	ctrl &= ~PCI_MSI_FLAGS_QSIZE;
	pci_write_config16(dev, cap + PCI_MSI_FLAGS,
			   ctrl | PCI_MSI_FLAGS_ENABLE);
	dev->irq_mode = PCI_IRQ_MODE_MSI;
	dev->nvec = 1;
	return 1;
}

static void msi_set_masked(struct pci_dev *dev, bool masked)
{
	u16 ctrl = pci_read_config16(dev, dev->msi_cap + PCI_MSI_FLAGS);
	if (ctrl & PCI_MSI_FLAGS_MASKBIT)
		pci_write_config32(dev, dev->msi_cap + msi_mask_reg(ctrl),
				   masked ? 1 : 0);
}

static void msi_disable(struct pci_dev *dev)
{
	u16 ctrl = pci_read_config16(dev, dev->msi_cap + PCI_MSI_FLAGS);
	pci_write_config16(dev, dev->msi_cap + PCI_MSI_FLAGS,
			   ctrl & ~PCI_MSI_FLAGS_ENABLE);
}

/* ---- INTx -----------------------------------------------------------------
 */

/*
 * The IOAPIC input and its MPS INTI flags (polarity bits 1:0, trigger
 * bits 3:2; 00 means "as the bus says", which for PCI is active low and
 * level-triggered: PCI 3.0 section 2.2.6).
 */
static u32 intx_gsi(u8 line, u16 *flags)
{
	u32 gsi = line;
	*flags = 0;
	if (line < 16)
		gsi = acpi_isa_to_gsi(line, flags);
	if ((*flags & 3) == 0)
		*flags |= 3;
	if (((*flags >> 2) & 3) == 0)
		*flags |= 3 << 2;
	return gsi;
}

/* Every handler on the line runs: each checks its own device. */
static void intx_dispatch(void *arg)
{
	struct intx_line *l = arg;
	u32 n = __atomic_load_n(&l->nactions, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < n; i++)
		l->actions[i].fn(l->actions[i].arg);
}

static struct intx_line *intx_line_get(u32 gsi, u16 flags, const char *name)
{
	for (u32 i = 0; i < nintx; i++)
		if (intx_lines[i].gsi == gsi)
			return &intx_lines[i];
	if (nintx == INTX_MAX_LINES)
		return NULL;
	struct intx_line *l = &intx_lines[nintx];
	int v = irq_alloc_vector(intx_dispatch, l, name);
	if (v < 0)
		return NULL;
	nintx++;
	l->gsi = gsi;
	l->flags = flags;
	l->vector = v;
	return l;
}

static int intx_setup(struct pci_dev *dev)
{
	/* Line 0 and 0xff mean "not connected / unknown" to firmware. */
	if (!dev->irq_pin || dev->irq_pin > 4 || dev->irq_line == 0 ||
	    dev->irq_line == 0xff)
		return -ENODEV;
	u16 flags;
	u32 gsi = intx_gsi(dev->irq_line, &flags);
	unsigned long f = spin_lock_irqsave(&intx_lock);
	struct intx_line *l = intx_line_get(gsi, flags, "pci-intx");
	spin_unlock_irqrestore(&intx_lock, f);
	if (!l)
		return -ENOSPC;
	intx_set_disabled(dev, true); /* until pci_request_irq */
	dev->gsi = gsi;
	dev->vector[0] = l->vector;
	dev->irq_mode = PCI_IRQ_MODE_INTX;
	dev->nvec = 1;
	return 1;
}

static struct intx_line *intx_line_of(const struct pci_dev *dev)
{
	for (u32 i = 0; i < nintx; i++)
		if (intx_lines[i].gsi == dev->gsi)
			return &intx_lines[i];
	return NULL;
}

static int intx_request(struct pci_dev *dev, irq_handler_t fn, void *arg)
{
	int rc = 0;
	unsigned long f = spin_lock_irqsave(&intx_lock);
	struct intx_line *l = intx_line_of(dev);
	if (!l || l->nactions == INTX_MAX_SHARED) {
		rc = -EBUSY;
		goto out;
	}
	l->actions[l->nactions] = (struct intx_action){fn, arg, dev};
	__atomic_store_n(&l->nactions, l->nactions + 1, __ATOMIC_RELEASE);
	if (!l->routed && ioapic_route(l->gsi, (u8)l->vector, cpus[0]->apic_id,
				       l->flags) < 0) {
		l->nactions--;
		rc = -ENODEV;
		goto out;
	}
	l->routed = true;
out:
	spin_unlock_irqrestore(&intx_lock, f);
	if (rc == 0) {
		intx_set_disabled(dev, false);
		pr_info("pci: %s INT%c# -> IRQ %u -> GSI %u (%s, %s) -> vector "
			"%d\n",
			dev->name, 'A' + dev->irq_pin - 1, dev->irq_line,
			dev->gsi, (l->flags >> 2 & 3) == 3 ? "level" : "edge",
			(l->flags & 3) == 3 ? "low" : "high", l->vector);
	}
	return rc;
}

/* Take dev's handlers off its line. The line stays routed: with no
 * handler left nobody unmasks it at the device. */
static void intx_release(struct pci_dev *dev)
{
	intx_set_disabled(dev, true);
	unsigned long f = spin_lock_irqsave(&intx_lock);
	struct intx_line *l = intx_line_of(dev);
	for (u32 i = 0; l && i < l->nactions;) {
		if (l->actions[i].dev == dev) {
			l->actions[i] = l->actions[l->nactions - 1];
			l->nactions--;
		} else {
			i++;
		}
	}
	spin_unlock_irqrestore(&intx_lock, f);
}

/* ---- interrupts: the API --------------------------------------------------
 */

int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned min_vecs,
			  unsigned max_vecs, unsigned types)
{
	int rc = -ENODEV;
	if (dev->irq_mode != PCI_IRQ_MODE_NONE || min_vecs == 0 ||
	    min_vecs > max_vecs)
		return -EINVAL;
	if ((types & PCI_IRQ_MSIX) && dev->msix_cap) {
		rc = msix_setup(dev, min_vecs, max_vecs);
		if (rc > 0)
			return rc;
	}
	if (min_vecs > 1)
		return rc == -ENODEV ? -ENOSPC : rc;
	if ((types & PCI_IRQ_MSI) && dev->msi_cap) {
		rc = msi_setup(dev);
		if (rc > 0)
			return rc;
	}
	if (types & PCI_IRQ_INTX)
		rc = intx_setup(dev);
	return rc;
}

int pci_request_irq(struct pci_dev *dev, unsigned nr, irq_handler_t fn,
		    void *arg, const char *name)
{
	if (nr >= dev->nvec || !fn)
		return -EINVAL;
	switch (dev->irq_mode) {
	case PCI_IRQ_MODE_MSIX:
		irq_set_handler(dev->vector[nr], fn, arg, name);
		pci_irq_unmask(dev, nr);
		return 0;
	case PCI_IRQ_MODE_MSI:
		irq_set_handler(dev->vector[nr], fn, arg, name);
		msi_set_masked(dev, false);
		return 0;
	case PCI_IRQ_MODE_INTX:
		return intx_request(dev, fn, arg);
	}
	return -EINVAL;
}

void pci_free_irq_vectors(struct pci_dev *dev)
{
	switch (dev->irq_mode) {
	case PCI_IRQ_MODE_MSIX:
		for (unsigned i = 0; i < dev->nvec; i++)
			pci_irq_mask(dev, i);
		msix_disable(dev);
		free_vectors(dev, dev->nvec);
		break;
	case PCI_IRQ_MODE_MSI:
		msi_disable(dev);
		free_vectors(dev, dev->nvec);
		break;
	case PCI_IRQ_MODE_INTX:
		intx_release(dev);
		break;
	}
	dev->irq_mode = PCI_IRQ_MODE_NONE;
	dev->nvec = 0;
}

int pci_irq_vector(const struct pci_dev *dev, unsigned nr)
{
	return nr < dev->nvec ? dev->vector[nr] : -EINVAL;
}

void pci_irq_mask(struct pci_dev *dev, unsigned nr)
{
	if (nr >= dev->nvec)
		return;
	if (dev->irq_mode == PCI_IRQ_MODE_MSIX)
		msix_entry(dev, nr)[3] |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	else if (dev->irq_mode == PCI_IRQ_MODE_MSI)
		msi_set_masked(dev, true);
	else if (dev->irq_mode == PCI_IRQ_MODE_INTX)
		intx_set_disabled(dev, true);
}

void pci_irq_unmask(struct pci_dev *dev, unsigned nr)
{
	if (nr >= dev->nvec)
		return;
	if (dev->irq_mode == PCI_IRQ_MODE_MSIX)
		msix_entry(dev, nr)[3] &= ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	else if (dev->irq_mode == PCI_IRQ_MODE_MSI)
		msi_set_masked(dev, false);
	else if (dev->irq_mode == PCI_IRQ_MODE_INTX)
		intx_set_disabled(dev, false);
}

const char *pci_irq_mode_name(const struct pci_dev *dev)
{
	static const char *const names[] = {"none", "INTx", "MSI", "MSI-X"};
	return dev->irq_mode < ARRAY_SIZE(names) ? names[dev->irq_mode] : "?";
}

/* ---- lspci ----------------------------------------------------------------
 */

static void print_size(u64 size)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (size >= 1024 && !(size & 1023) && u < 3) {
		size >>= 10;
		u++;
	}
	if (u < 0)
		shell_printf("[size=%llu]\n", size);
	else
		shell_printf("[size=%llu%c]\n", size, units[u]);
}

/* "Memory at febc0000 (32-bit, non-prefetchable) [size=128K]", as lspci. */
static void print_bar(const struct pci_dev *dev, const struct pci_bar *b)
{
	u16 cmd = pci_read_config16(dev, PCI_COMMAND);
	if (b->type == PCI_BAR_IO) {
		shell_printf("\tI/O ports at %04llx %s", b->addr,
			     cmd & PCI_COMMAND_IO ? "" : "[disabled] ");
	} else {
		shell_printf("\tMemory at %llx (%s, %s) %s", b->addr,
			     b->type == PCI_BAR_MEM64 ? "64-bit" : "32-bit",
			     b->prefetch ? "prefetchable" : "non-prefetchable",
			     cmd & PCI_COMMAND_MEMORY ? "" : "[disabled] ");
	}
	print_size(b->size);
}

static void print_irq(const struct pci_dev *dev)
{
	u16 cmd = pci_read_config16(dev, PCI_COMMAND);
	shell_printf("\tFlags: %s",
		     cmd & PCI_COMMAND_MASTER ? "bus master, " : "");
	if (dev->irq_mode == PCI_IRQ_MODE_INTX)
		shell_printf("INT%c# IRQ %u GSI %u vector %d\n",
			     'A' + dev->irq_pin - 1, dev->irq_line, dev->gsi,
			     dev->vector[0]);
	else if (dev->irq_mode != PCI_IRQ_MODE_NONE) {
		shell_printf("%s vectors", pci_irq_mode_name(dev));
		for (unsigned i = 0; i < dev->nvec; i++)
			shell_printf(" %d", dev->vector[i]);
		shell_printf("\n");
	} else if (dev->irq_pin) {
		shell_printf("INT%c# IRQ %u (unused)\n", 'A' + dev->irq_pin - 1,
			     dev->irq_line);
	} else {
		shell_printf("no interrupt\n");
	}
}

static void print_cap(const struct pci_dev *dev, u8 pos, u8 id)
{
	shell_printf("\tCapabilities: [%02x] ", pos);
	u16 ctrl = pci_read_config16(dev, pos + 2);
	switch (id) {
	case PCI_CAP_ID_PM:
		shell_printf("Power Management version %u\n", ctrl & 7);
		break;
	case PCI_CAP_ID_MSI:
		shell_printf("MSI: Enable%c Count=1/%u Maskable%c 64bit%c\n",
			     ctrl & PCI_MSI_FLAGS_ENABLE ? '+' : '-',
			     1u << ((ctrl >> 1) & 7),
			     ctrl & PCI_MSI_FLAGS_MASKBIT ? '+' : '-',
			     ctrl & PCI_MSI_FLAGS_64BIT ? '+' : '-');
		break;
	case PCI_CAP_ID_MSIX:
		shell_printf("MSI-X: Enable%c Count=%u Masked%c\n",
			     ctrl & PCI_MSIX_FLAGS_ENABLE ? '+' : '-',
			     (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1,
			     ctrl & PCI_MSIX_FLAGS_MASKALL ? '+' : '-');
		break;
	case PCI_CAP_ID_EXP:
		shell_printf("Express (v%u)\n", ctrl & 0xf);
		break;
	case PCI_CAP_ID_SUBSYS:
		shell_printf("Subsystem: [%04x:%04x]\n",
			     pci_read_config16(dev, pos + 4),
			     pci_read_config16(dev, pos + 6));
		break;
	case PCI_CAP_ID_SATA:
		shell_printf("SATA HBA v%u.%u\n", (ctrl >> 4) & 0xf,
			     ctrl & 0xf);
		break;
	case PCI_CAP_ID_VNDR:
		shell_printf("Vendor Specific Information: Len=%02x\n",
			     pci_read_config8(dev, pos + 2));
		break;
	default:
		shell_printf("Capability ID %#04x\n", id);
	}
}

static void print_caps(const struct pci_dev *dev)
{
	if (!(pci_read_config16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	u8 pos = pci_read_config8(dev, PCI_CAPABILITY_LIST);
	for (int ttl = 48; ttl > 0 && pos >= 0x40; ttl--) {
		pos &= 0xfc;
		print_cap(dev, pos, pci_read_config8(dev, pos));
		pos = pci_read_config8(dev, pos + 1);
	}
}

static void lspci_verbose(const struct pci_dev *dev)
{
	if (dev->hdr_type == 0 && dev->subsys_vendor)
		shell_printf("\tSubsystem: [%04x:%04x]\n", dev->subsys_vendor,
			     dev->subsys_device);
	if (dev->hdr_type == 1)
		shell_printf("\tBus: primary=%02x, secondary=%02x, "
			     "subordinate=%02x\n",
			     pci_read_config8(dev, 0x18),
			     pci_read_config8(dev, PCI_SECONDARY_BUS),
			     pci_read_config8(dev, 0x1a));
	print_irq(dev);
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (dev->bar[i].type != PCI_BAR_NONE)
			print_bar(dev, &dev->bar[i]);
	print_caps(dev);
	if (dev->driver)
		shell_printf("\tKernel driver in use: %s\n", dev->driver->name);
	shell_printf("\n");
}

/* One line per function, as `lspci -nn`. */
static int cmd_lspci(int argc, char **argv)
{
	bool verbose = argc == 2 && strcmp(argv[1], "-v") == 0;
	if (argc > 2 || (argc == 2 && !verbose))
		return -EINVAL;
	struct pci_dev *dev;
	list_for_each_entry (dev, &pci_devices, list) {
		shell_printf("%s %s [%04x]: %s [%04x:%04x]", dev->name,
			     pci_class_name(dev->class), dev->class >> 8,
			     pci_device_name(dev->vendor, dev->device),
			     dev->vendor, dev->device);
		if (dev->revision)
			shell_printf(" (rev %02x)", dev->revision);
		shell_printf("\n");
		if (verbose)
			lspci_verbose(dev);
	}
	return 0;
}
SHELL_CMD("lspci", cmd_lspci, "lspci [-v]",
	  "PCI functions: class, vendor:device; -v: BARs, IRQs, driver");
