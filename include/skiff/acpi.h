/*
 * acpi.h - what Skiff needs from the ACPI tables: the CPUs and interrupt
 * controllers (MADT), the power-management ports and reset register (FADT),
 * the HPET, PCI Express config space (MCFG), and the S5 sleep type from the
 * DSDT for power-off.
 */
#ifndef SKIFF_ACPI_H
#define SKIFF_ACPI_H

#include <skiff/types.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_MCFG 4

/* Generic Address Structure (ACPI 6.x 5.2.3.2) */
struct acpi_gas {
	u8 space; /* 0 = system memory, 1 = system I/O */
	u8 bit_width, bit_offset, access_size;
	u64 address;
} __packed;

struct acpi_ioapic {
	u8 id;
	u32 address;
	u32 gsi_base;
};

struct acpi_override {
	u8 source; /* ISA IRQ */
	u32 gsi;
	u16 flags; /* MPS INTI: polarity bits 0-1, trigger bits 2-3 */
};

struct acpi_mcfg {
	u64 base;
	u16 segment;
	u8 bus_start, bus_end;
};

struct acpi_info {
	char oem[7];
	u8 revision;
	u64 lapic_addr;
	u32 cpu_apic_ids[ACPI_MAX_CPUS];
	u32 ncpus;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	u32 nioapics;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	u32 noverrides;
	bool has_8259;
	u64 hpet_addr;	   /* 0 = none */
	u16 pm_timer_port; /* 0 = none */
	bool pm_timer_32bit;
	u32 pm1a_cnt, pm1b_cnt; /* I/O ports, 0 = none */
	u16 sci_irq;
	bool s5_valid;
	u8 slp_typa, slp_typb;
	bool reset_supported;
	struct acpi_gas reset_reg;
	u8 reset_value;
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	u32 nmcfg;
};

extern struct acpi_info acpi;

/* Parse the tables reachable from the RSDP; false if there are none. */
bool acpi_init(u64 rsdp_phys);
/* Route an ISA IRQ: the GSI and MPS flags after the MADT overrides. */
u32 acpi_isa_to_gsi(u8 isa_irq, u16 *flags);

#endif
