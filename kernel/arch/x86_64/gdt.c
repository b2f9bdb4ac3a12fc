/*
 * gdt.c - per-CPU GDT and TSS. Long mode ignores segment bases and limits;
 * the GDT holds the code and data selectors and the TSS, whose only job
 * here is the interrupt stack table (IST): double fault, NMI and machine
 * check run on their own stacks, so a blown kernel stack still reports.
 */
#include <skiff/percpu.h>
#include <asm/trap.h>
#include <string.h>

struct tss {
	u32 reserved0;
	u64 rsp[3]; /* stacks for privilege changes: unused, all ring 0 */
	u64 reserved1;
	u64 ist[7]; /* ist[n-1] is IST n */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base; /* past the limit: no I/O bitmap */
} __packed;

struct gdt_ptr {
	u16 limit;
	u64 base;
} __packed;

#define GDT_ENTRIES 5 /* null, code, data, tss (two slots) */

static struct tss boot_tss;
static u64 boot_gdt[GDT_ENTRIES] __aligned(16);

static void set_tss_desc(u64 *gdt, struct tss *tss)
{
	u64 base = (u64)tss, limit = sizeof(*tss) - 1;
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) | /* present, 64-bit TSS (available) */
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

static void load_gdt(u64 *gdt)
{
	struct gdt_ptr p = {.limit = GDT_ENTRIES * 8 - 1, .base = (u64)gdt};
	__asm__ __volatile__(
	    "lgdt %0\n\t"
	    "mov %1, %%ds\n\t"
	    "mov %1, %%es\n\t"
	    "mov %1, %%ss\n\t"
	    "xor %%eax, %%eax\n\t"
	    "mov %%ax, %%fs\n\t" /* fs/gs selectors 0: bases come from MSRs */
	    "pushq %2\n\t"
	    "lea 1f(%%rip), %%rax\n\t"
	    "pushq %%rax\n\t"
	    "lretq\n"
	    "1:\n\t"
	    "ltr %w3"
	    :
	    : "m"(p), "r"((u64)KERNEL_DS), "i"(KERNEL_CS), "r"(TSS_SEL)
	    : "rax", "memory");
}

/* The boot CPU passes NULL stacks' tss storage is static; APs allocate. */
void gdt_init_cpu(struct cpu *c, void *ist_df, void *ist_nmi, void *ist_mc)
{
	struct tss *tss = c->tss ? c->tss : &boot_tss;
	u64 *gdt = c->gdt ? c->gdt : boot_gdt;

	memset(tss, 0, sizeof(*tss));
	tss->ist[IST_DF - 1] = (u64)ist_df;
	tss->ist[IST_NMI - 1] = (u64)ist_nmi;
	tss->ist[IST_MC - 1] = (u64)ist_mc;
	tss->iomap_base = sizeof(*tss);
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL; /* 64-bit code, present, ring 0 */
	gdt[2] = 0x00cf92000000ffffULL; /* data, present, writable */
	set_tss_desc(gdt, tss);
	c->tss = tss;
	c->gdt = gdt;
	load_gdt(gdt);
}

size_t gdt_tss_size(void)
{
	return sizeof(struct tss);
}
