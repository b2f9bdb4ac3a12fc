/*
 * idt.c - the interrupt descriptor table, shared by all CPUs. Every vector
 * points at its stub in isr.S; NMI, double fault and machine check switch
 * to their IST stacks.
 */
#include <skiff/percpu.h>
#include <asm/trap.h>

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;	 /* IST index, 0 = stay on the current stack */
	u8 type; /* 0x8e: present, ring 0, 64-bit interrupt gate (IF off) */
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;

struct idt_ptr {
	u16 limit;
	u64 base;
} __packed;

extern const u64 isr_stubs[NR_VECTORS];
static struct idt_gate idt[NR_VECTORS] __aligned(16);

static void set_gate(int vec, u64 handler, u8 ist)
{
	idt[vec] = (struct idt_gate){
	    .offset_lo = handler & 0xffff,
	    .selector = KERNEL_CS,
	    .ist = ist,
	    .type = 0x8e,
	    .offset_mid = (handler >> 16) & 0xffff,
	    .offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < NR_VECTORS; v++)
		set_gate(v, isr_stubs[v], 0);
	set_gate(2, isr_stubs[2], IST_NMI);
	set_gate(8, isr_stubs[8], IST_DF);
	set_gate(18, isr_stubs[18], IST_MC);
	idt_load();
}

void idt_load(void)
{
	struct idt_ptr p = {.limit = sizeof(idt) - 1, .base = (u64)idt};
	__asm__ __volatile__("lidt %0" ::"m"(p));
}
