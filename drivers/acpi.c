/*
 * acpi.c - read the ACPI tables (ACPI 6.5 chapter 5) without an AML
 * interpreter: RSDP -> XSDT (or RSDT) -> MADT, FADT, HPET, MCFG; the S5
 * sleep type is found by scanning the DSDT for the \_S5 package.
 *
 * Every table's length and checksum are checked before it is read; a
 * table that fails is logged and ignored.
 */
#include <skiff/acpi.h>
#include <skiff/printk.h>
#include <string.h>

struct acpi_info acpi;

struct rsdp {
	char signature[8]; /* "RSD PTR " */
	u8 checksum;
	char oem[6];
	u8 revision; /* 0: ACPI 1.0 (RSDT only), 2+: XSDT */
	u32 rsdt;
	u32 length;
	u64 xsdt;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;

struct sdt_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem[6], oem_table[8];
	u32 oem_revision, creator, creator_revision;
} __packed;

static bool checksum_ok(const void *p, size_t n)
{
	u8 sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += ((const u8 *)p)[i];
	return sum == 0;
}

static const struct sdt_header *table_at(u64 phys)
{
	const struct sdt_header *h = (const void *)phys;
	if (!phys || h->length < sizeof(*h) || h->length > (16u << 20) ||
	    !checksum_ok(h, h->length)) {
		pr_warn("acpi: bad table at %#llx ignored\n",
			(unsigned long long)phys);
		return NULL;
	}
	return h;
}

/* ---- MADT (5.2.12) ------------------------------------------------------ */

static void madt_entry(const u8 *e)
{
	switch (e[0]) {
	case 0: /* processor local APIC: flags bit 0 enabled, bit 1 capable */
		if ((e[4] & 3) && acpi.ncpus < ACPI_MAX_CPUS)
			acpi.cpu_apic_ids[acpi.ncpus++] = e[3];
		break;
	case 1: /* I/O APIC */
		if (acpi.nioapics < ACPI_MAX_IOAPICS) {
			struct acpi_ioapic *io = &acpi.ioapics[acpi.nioapics++];
			io->id = e[2];
			memcpy(&io->address, e + 4, 4);
			memcpy(&io->gsi_base, e + 8, 4);
		}
		break;
	case 2: /* interrupt source override */
		if (acpi.noverrides < ACPI_MAX_OVERRIDES) {
			struct acpi_override *o =
			    &acpi.overrides[acpi.noverrides++];
			o->source = e[3];
			memcpy(&o->gsi, e + 4, 4);
			memcpy(&o->flags, e + 8, 2);
		}
		break;
	case 5: /* 64-bit local APIC address override */
		memcpy(&acpi.lapic_addr, e + 4, 8);
		break;
	case 9: { /* processor local x2APIC */
		u32 id, flags;
		memcpy(&id, e + 4, 4);
		memcpy(&flags, e + 8, 4);
		if ((flags & 3) && acpi.ncpus < ACPI_MAX_CPUS)
			acpi.cpu_apic_ids[acpi.ncpus++] = id;
		break;
	}
	}
}

static void parse_madt(const struct sdt_header *h)
{
	const u8 *p = (const u8 *)h;
	u32 lapic, flags;
	memcpy(&lapic, p + 36, 4);
	memcpy(&flags, p + 40, 4);
	acpi.lapic_addr = lapic;
	acpi.has_8259 = flags & 1;
	for (u32 off = 44; off + 2 <= h->length;) {
		u8 len = p[off + 1];
		if (len < 2 || off + len > h->length)
			break;
		madt_entry(p + off);
		off += len;
	}
}

/* ---- FADT (5.2.9) and the DSDT's \_S5 -------------------------------- */

/* AML PkgLength (ACPI 20.2.4): 1-4 bytes. Returns bytes used, 0 on error. */
static u32 aml_pkg_length(const u8 *p, const u8 *end, u32 *len)
{
	if (p >= end)
		return 0;
	u32 follow = p[0] >> 6;
	if (p + 1 + follow > end)
		return 0;
	if (follow == 0) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0x0f;
	for (u32 i = 0; i < follow; i++)
		*len |= (u32)p[1 + i] << (4 + 8 * i);
	return 1 + follow;
}

/* One integer element: ZeroOp, OneOp, BytePrefix n. */
static const u8 *aml_small_int(const u8 *p, const u8 *end, u8 *out)
{
	if (p >= end)
		return NULL;
	if (*p == 0x00 || *p == 0x01) {
		*out = *p;
		return p + 1;
	}
	if (*p == 0x0a && p + 1 < end) {
		*out = p[1];
		return p + 2;
	}
	return NULL;
}

/* Find "_S5_" NameOp Package(n) { SLP_TYPa, SLP_TYPb, ... } in the DSDT. */
static void find_s5(const struct sdt_header *dsdt)
{
	const u8 *p = (const u8 *)dsdt + sizeof(*dsdt);
	const u8 *end = (const u8 *)dsdt + dsdt->length;
	for (; p + 5 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
			continue;
		u32 pkglen;
		u32 used = aml_pkg_length(p + 5, end, &pkglen);
		if (!used)
			return;
		const u8 *q = p + 5 + used + 1; /* skip NumElements */
		q = aml_small_int(q, end, &acpi.slp_typa);
		if (q && aml_small_int(q, end, &acpi.slp_typb))
			acpi.s5_valid = true;
		return;
	}
}

static u32 gas_io_port(const u8 *fadt, u32 len, u32 gas_off, u32 legacy_off)
{
	struct acpi_gas g;
	if (len >= gas_off + sizeof(g)) {
		memcpy(&g, fadt + gas_off, sizeof(g));
		if (g.address && g.space == 1)
			return (u32)g.address;
	}
	u32 port = 0;
	if (len >= legacy_off + 4)
		memcpy(&port, fadt + legacy_off, 4);
	return port;
}

static void parse_fadt(const struct sdt_header *h)
{
	const u8 *f = (const u8 *)h;
	u32 len = h->length, flags = 0, dsdt32 = 0;
	u64 dsdt = 0;
	memcpy(&acpi.sci_irq, f + 46, 2);
	acpi.pm1a_cnt = gas_io_port(f, len, 172, 64);
	acpi.pm1b_cnt = gas_io_port(f, len, 184, 68);
	acpi.pm_timer_port = (u16)gas_io_port(f, len, 208, 76);
	if (len >= 116) {
		memcpy(&flags, f + 112, 4);
		acpi.pm_timer_32bit = flags & (1 << 8);
	}
	if (len >= 129 && (flags & (1 << 10))) { /* RESET_REG_SUP */
		memcpy(&acpi.reset_reg, f + 116, sizeof(acpi.reset_reg));
		acpi.reset_value = f[128];
		acpi.reset_supported = acpi.reset_reg.address != 0;
	}
	memcpy(&dsdt32, f + 40, 4);
	if (len >= 148)
		memcpy(&dsdt, f + 140, 8);
	const struct sdt_header *d = table_at(dsdt ? dsdt : dsdt32);
	if (d && memcmp(d->signature, "DSDT", 4) == 0)
		find_s5(d);
}

static void parse_hpet(const struct sdt_header *h)
{
	struct acpi_gas g;
	if (h->length < 56)
		return;
	memcpy(&g, (const u8 *)h + 40, sizeof(g));
	if (g.space == 0)
		acpi.hpet_addr = g.address;
}

static void parse_mcfg(const struct sdt_header *h)
{
	const u8 *p = (const u8 *)h;
	for (u32 off = 44; off + 16 <= h->length && acpi.nmcfg < ACPI_MAX_MCFG;
	     off += 16) {
		struct acpi_mcfg *m = &acpi.mcfg[acpi.nmcfg++];
		memcpy(&m->base, p + off, 8);
		memcpy(&m->segment, p + off + 8, 2);
		m->bus_start = p[off + 10];
		m->bus_end = p[off + 11];
	}
}

static void parse_table(const struct sdt_header *h)
{
	if (!memcmp(h->signature, "APIC", 4))
		parse_madt(h);
	else if (!memcmp(h->signature, "FACP", 4))
		parse_fadt(h);
	else if (!memcmp(h->signature, "HPET", 4))
		parse_hpet(h);
	else if (!memcmp(h->signature, "MCFG", 4))
		parse_mcfg(h);
}

static void log_tables(void)
{
	pr_info("acpi: %s rev %u: %u CPUs, %u IOAPIC, %u overrides, HPET %s, "
		"PM timer %#x, MCFG %u, S5 %s, reset %s\n",
		acpi.oem, acpi.revision, acpi.ncpus, acpi.nioapics,
		acpi.noverrides, acpi.hpet_addr ? "yes" : "no",
		acpi.pm_timer_port, acpi.nmcfg, acpi.s5_valid ? "yes" : "no",
		acpi.reset_supported ? "register" : "keyboard controller");
}

bool acpi_init(u64 rsdp_phys)
{
	const struct rsdp *r = (const void *)rsdp_phys;
	if (!r || memcmp(r->signature, "RSD PTR ", 8) || !checksum_ok(r, 20)) {
		pr_warn("acpi: no valid RSDP\n");
		return false;
	}
	memcpy(acpi.oem, r->oem, 6);
	acpi.revision = r->revision;
	bool x = r->revision >= 2 && r->xsdt && checksum_ok(r, r->length);
	const struct sdt_header *root = table_at(x ? r->xsdt : r->rsdt);
	if (!root)
		return false;
	u32 width = x ? 8 : 4;
	u32 n = (root->length - sizeof(*root)) / width;
	for (u32 i = 0; i < n; i++) {
		u64 addr = 0;
		memcpy(&addr, (const u8 *)root + sizeof(*root) + i * width,
		       width);
		const struct sdt_header *h = table_at(addr);
		if (h)
			parse_table(h);
	}
	log_tables();
	return true;
}

u32 acpi_isa_to_gsi(u8 isa_irq, u16 *flags)
{
	for (u32 i = 0; i < acpi.noverrides; i++) {
		if (acpi.overrides[i].source == isa_irq) {
			*flags = acpi.overrides[i].flags;
			return acpi.overrides[i].gsi;
		}
	}
	*flags = 0; /* ISA default: active high, edge */
	return isa_irq;
}
