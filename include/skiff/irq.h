/*
 * irq.h - interrupt vectors and handlers.
 *
 * Vectors 0-31 are CPU exceptions; 32-47 are unused (legacy PIC range, the
 * PIC is masked); 48 and up are handed out by irq_alloc_vector() to the
 * IOAPIC lines and MSI/MSI-X; the top vectors are fixed (timer, IPIs,
 * spurious). A handler runs with interrupts off, acknowledges its device
 * and raises a softirq; irq_exit() then runs pending softirqs.
 */
#ifndef SKIFF_IRQ_H
#define SKIFF_IRQ_H

#include <skiff/types.h>

#define IRQ_VECTOR_FIRST 48
#define VECTOR_CALL_FUNC 0xf0 /* smp_call_function IPI */
#define VECTOR_RESCHED 0xf1   /* wake a CPU from hlt */
#define VECTOR_PANIC 0xf2     /* stop other CPUs */
#define VECTOR_TIMER 0xfe     /* LAPIC timer */
#define VECTOR_SPURIOUS 0xff

typedef void (*irq_handler_t)(void *arg);

/* Route a legacy ISA line (after ACPI overrides) through the IOAPIC to the
 * boot CPU. Returns the vector, or a negative errno. */
int irq_request_isa(unsigned isa_irq, irq_handler_t fn, void *arg,
		    const char *name);
/* A free vector bound to fn, for MSI/MSI-X. Returns it, or -ENOSPC. */
int irq_alloc_vector(irq_handler_t fn, void *arg, const char *name);
void irq_set_handler(int vector, irq_handler_t fn, void *arg, const char *name);
/* The MSI address/data that deliver vector to cpu (edge, fixed). */
void irq_msi_message(int vector, u32 cpu, u64 *addr, u32 *data);
const char *irq_name(int vector);
u64 irq_unexpected_count(void); /* vectors that arrived with no handler */

void irq_enter(void);
void irq_exit(void);

#endif
