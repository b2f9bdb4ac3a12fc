/*
 * pci.h - PCI and PCI Express functions: configuration space, BARs, bus
 * mastering, interrupts (MSI-X, then MSI, then INTx) and the driver
 * registry.
 *
 * pci_init -> scan every bus of every ACPI MCFG segment (ECAM), or buses
 *             0-255 through the legacy ports 0xCF8/0xCFC when there is no
 *             MCFG -> size each BAR -> log each function once -> offer it
 *             to every driver registered with PCI_DRIVER() until a probe
 *             returns 0.
 *
 * A driver's probe typically does:
 *
 *   pci_enable_device(dev);                      memory/I/O decode, bus master
 *   regs = pci_iomap(dev, 0);                    BAR 0, uncached
 *   n = pci_alloc_irq_vectors(dev, 1, 2, PCI_IRQ_ALL_TYPES);
 *   pci_request_irq(dev, 0, handler, arg, "eth0");    bind and unmask
 *
 * Every function here runs in process context (boot, shell) unless it
 * says otherwise; none of them may be called from an interrupt handler
 * except pci_irq_mask/pci_irq_unmask.
 */
#ifndef SKIFF_PCI_H
#define SKIFF_PCI_H

#include <skiff/irq.h>
#include <skiff/list.h>
#include <skiff/types.h>

/* Configuration space header (PCI Local Bus 3.0 section 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

/* Capability IDs (PCI Code and ID Assignment Specification). */
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09   /* vendor specific (virtio uses these) */
#define PCI_CAP_ID_SUBSYS 0x0d /* bridge subsystem vendor/device */
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_SATA 0x12

#define PCI_ANY_ID 0xffff
#define PCI_NUM_BARS 6
#define PCI_MAX_VECTORS 8 /* interrupts one function may hold */

/* A driver matches on vendor and device; the table ends with {0}. */
struct pci_device_id {
	u16 vendor, device;	   /* PCI_ANY_ID matches anything */
	unsigned long driver_data; /* the driver's own (e.g. chip variant) */
};

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar {
	u64 addr; /* physical address, or I/O port for PCI_BAR_IO */
	u64 size; /* bytes; 0 when the BAR is not implemented */
	u8 type;  /* enum pci_bar_type; the upper half of a 64-bit BAR is
		     PCI_BAR_NONE */
	bool prefetch;
	void *virt; /* pci_iomap's uncached mapping, NULL until mapped */
};

enum pci_irq_mode {
	PCI_IRQ_MODE_NONE,
	PCI_IRQ_MODE_INTX,
	PCI_IRQ_MODE_MSI,
	PCI_IRQ_MODE_MSIX
};

/* pci_alloc_irq_vectors types */
#define PCI_IRQ_INTX 0x1
#define PCI_IRQ_MSI 0x2
#define PCI_IRQ_MSIX 0x4
#define PCI_IRQ_ALL_TYPES (PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX)

struct pci_driver;

/* One PCI function. Created by the scan, never freed. */
struct pci_dev {
	struct list_head list; /* on the global list, in scan order */
	u16 segment;
	u8 bus, slot, func;
	u16 vendor, device;
	u16 subsys_vendor, subsys_device;
	u8 revision;
	u32 class;   /* base class << 16 | subclass << 8 | prog-if */
	u8 hdr_type; /* 0 endpoint, 1 PCI bridge, 2 CardBus bridge */
	u8 irq_pin;  /* 1-4 = INTA#-INTD#, 0 = no INTx */
	u8 irq_line; /* the Interrupt Line register as firmware set it */
	u8 msi_cap, msix_cap, pcie_cap; /* capability offsets, 0 = absent */
	struct pci_bar bar[PCI_NUM_BARS];
	volatile u8 *ecam; /* this function's 4 KiB of ECAM, NULL: ports */
	char name[16];	   /* "00:02.0", with "ssss:" if segment != 0 */

	const struct pci_driver *driver; /* bound driver, NULL if none */
	const struct pci_device_id *id;	 /* the entry that matched */
	void *driver_data;

	/* Interrupts, from pci_alloc_irq_vectors. */
	u8 irq_mode;		     /* enum pci_irq_mode */
	u8 nvec;		     /* interrupts allocated */
	int vector[PCI_MAX_VECTORS]; /* CPU vector of each */
	u32 gsi;		     /* INTx: the IOAPIC input */
	volatile u32 *msix_table;    /* MSI-X: the table in its BAR */
	u16 msix_size;		     /* MSI-X: entries in the table */
};

/*
 * The driver side. probe runs from pci_init with dev->id set to the
 * matching entry; it returns 0 when it took the device, or a negative
 * errno after undoing what it did (the next driver may then try).
 */
struct pci_driver {
	const char *name;
	const struct pci_device_id *ids;
	int (*probe)(struct pci_dev *dev);
};

/* Register a driver: PCI_DRIVER(e1000_driver); at file scope. The linker
 * collects the pointers in section .pci_drivers. */
#define PCI_DRIVER(drv)                                                        \
	static const struct pci_driver *const __pci_driver_##drv               \
	    __attribute__((used, section(".pci_drivers"), aligned(8))) =       \
		&(drv)

/* Scan, log and probe; once, at boot, with interrupts on. */
void pci_init(void);

/* Walk every function found, in scan order. */
struct pci_dev *pci_first(void);
struct pci_dev *pci_next(struct pci_dev *dev); /* NULL after the last */
struct pci_dev *pci_get_slot(u16 segment, u8 bus, u8 slot, u8 func);

/* Configuration space. Offsets up to 4095 with ECAM, 255 through the
 * ports (reads past 255 then return all ones, writes are ignored). */
u8 pci_read_config8(const struct pci_dev *dev, u16 off);
u16 pci_read_config16(const struct pci_dev *dev, u16 off);
u32 pci_read_config32(const struct pci_dev *dev, u16 off);
void pci_write_config8(const struct pci_dev *dev, u16 off, u8 val);
void pci_write_config16(const struct pci_dev *dev, u16 off, u16 val);
void pci_write_config32(const struct pci_dev *dev, u16 off, u32 val);

/* Turn on memory and I/O decoding for the BARs the function has, and bus
 * mastering (DMA). Returns 0. */
int pci_enable_device(struct pci_dev *dev);
/* Map memory BAR `bar` uncached (once; later calls return the same
 * mapping). NULL for an I/O, absent or out-of-range BAR. */
void *pci_iomap(struct pci_dev *dev, int bar);

/* Offset of the first capability with this ID, or 0. find_next starts
 * after the capability at `pos` (for several vendor capabilities). */
u8 pci_find_capability(const struct pci_dev *dev, u8 cap_id);
u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, u8 cap_id);

/*
 * Interrupts. pci_alloc_irq_vectors sets up between min_vecs and max_vecs
 * interrupts (at most PCI_MAX_VECTORS), trying MSI-X, then MSI, then INTx,
 * limited to `types`. MSI and INTx give exactly one. Returns how many it
 * set up, or -ENOSPC (too few), -ENODEV (no usable mode, or INTx with no
 * routable line). Nothing fires until pci_request_irq.
 *
 * pci_request_irq binds fn(arg) to interrupt nr (for MSI-X nr is also the
 * table entry, which virtio's queue_msix_vector and the 82574's IVAR name)
 * and unmasks it. The handler runs on CPU 0 with interrupts off. An INTx
 * line may be shared with other functions: an INTx handler is also called
 * when a neighbour interrupted and must return quietly when its device
 * has nothing pending. Returns 0, -EINVAL (nr out of range) or -EBUSY.
 *
 * pci_irq_mask/unmask mask at the source: the MSI-X entry's mask bit, the
 * MSI per-vector mask when the function has one, otherwise the command
 * register's INTx Disable. Callable from handlers. NICs usually prefer
 * their own interrupt mask registers, which cost one write.
 */
int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned min_vecs,
			  unsigned max_vecs, unsigned types);
int pci_request_irq(struct pci_dev *dev, unsigned nr, irq_handler_t fn,
		    void *arg, const char *name);
void pci_free_irq_vectors(struct pci_dev *dev);
int pci_irq_vector(const struct pci_dev *dev, unsigned nr); /* or -EINVAL */
void pci_irq_mask(struct pci_dev *dev, unsigned nr);
void pci_irq_unmask(struct pci_dev *dev, unsigned nr);
const char *pci_irq_mode_name(const struct pci_dev *dev); /* "MSI-X"... */

/* The pure helpers (drivers/pci_decode.c, unit-tested on the host). */
const char *pci_class_name(u32 class);		     /* "Ethernet controller" */
const char *pci_device_name(u16 vendor, u16 device); /* or "Device" */
bool pci_id_match(const struct pci_device_id *id, u16 vendor, u16 device);
/* Decode a BAR from its original value and what reads back after writing
 * all ones (both halves for 64-bit): fills addr, size, type, prefetch.
 * Returns how many BAR registers it used (1 or 2). */
int pci_bar_decode(struct pci_bar *bar, u32 lo, u32 lo_mask, u32 hi,
		   u32 hi_mask);

#endif
