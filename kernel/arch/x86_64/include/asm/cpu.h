/*
 * asm/cpu.h - thin wrappers around x86-64 instructions: port I/O, MSRs,
 * CPUID, control registers, the interrupt flag.
 */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include <skiff/types.h>

static inline void outb(u16 port, u8 v)
{
	__asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
	__asm__ __volatile__("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" ::"c"(msr), "a"((u32)v),
			     "d"((u32)(v >> 32))
			     : "memory");
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                           \
	static inline u64 read_cr##n(void)                                     \
	{                                                                      \
		u64 v;                                                         \
		__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                      \
	}                                                                      \
	static inline void write_cr##n(u64 v)                                  \
	{                                                                      \
		__asm__ __volatile__("mov %0, %%cr" #n ::"r"(v) : "memory");   \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void local_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}
static inline void local_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}
static inline unsigned long local_save_flags(void)
{
	unsigned long f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f)::"memory");
	return f;
}
static inline unsigned long local_irq_save(void)
{
	unsigned long f = local_save_flags();
	local_irq_disable();
	return f;
}
static inline void local_irq_restore(unsigned long f)
{
	if (f & 0x200)
		local_irq_enable();
}
static inline bool irqs_disabled(void)
{
	return !(local_save_flags() & 0x200);
}
static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}
/* Enable interrupts and halt in one step, so a wakeup is never lost. */
static inline void safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}
static inline void invlpg(u64 va)
{
	__asm__ __volatile__("invlpg (%0)" ::"r"(va) : "memory");
}

#define MSR_EFER 0xc0000080
#define EFER_NXE (1ULL << 11)
#define MSR_GS_BASE 0xc0000101
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_PAT 0x277

#define CR0_WP (1ULL << 16)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_PGE (1ULL << 7)

#endif
