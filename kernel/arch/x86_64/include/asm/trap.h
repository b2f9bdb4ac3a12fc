/*
 * asm/trap.h - the register frame every interrupt and exception entry
 * builds (isr.S), lowest address first.
 */
#ifndef ASM_TRAP_H
#define ASM_TRAP_H

#include <skiff/types.h>

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;	      /* error is 0 where the CPU pushes none */
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void gdt_init_cpu(struct cpu *c, void *ist_df, void *ist_nmi, void *ist_mc);
void idt_init(void);
void idt_load(void);
void trap_dispatch(struct trap_frame *f);
void dump_registers(const struct trap_frame *f);
void backtrace_from(u64 rip, u64 rbp, int max);

/*
 * Call fn(arg) so that a CPU exception inside it returns here instead of
 * panicking (self-tests of W^X and guard pages). Returns 0 if fn returned,
 * else the exception vector; *fault_addr gets CR2 for page faults.
 */
int probe_call(void (*fn)(void *), void *arg, u64 *fault_addr);

#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define TSS_SEL 0x18

#endif
