/*
 * asm/apic.h - local APIC (xAPIC through MMIO, or x2APIC through MSRs) and
 * the I/O APIC.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <skiff/types.h>

void lapic_init_boot(void); /* map, pick xAPIC or x2APIC */
void lapic_init_cpu(void);  /* enable on this CPU */
u32 lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(u32 apic_id, u32 icr_low);
void lapic_send_init_sipi(u32 apic_id, u8 page);
bool lapic_x2apic(void);

/* The tick: TSC-deadline where the CPU has it, else LAPIC periodic. */
void lapic_timer_calibrate(void);
void lapic_timer_start(u32 hz);
void lapic_timer_tick(void); /* from the timer interrupt: re-arm */
const char *lapic_timer_mode(void);
/* Tickless idle: one interrupt after delta_ns, then the tick again. */
bool lapic_timer_can_stop(void);
void lapic_timer_stop_tick(u64 delta_ns); /* next interrupt in delta_ns */
void lapic_timer_restart_tick(void);	  /* next interrupt in one tick */

void ioapic_init(void);
/* Route a GSI to vector on the CPU with apic_id; flags as in MPS INTI. */
int ioapic_route(u32 gsi, u8 vector, u32 apic_id, u16 flags);
void pic_disable(void);

void irq_dispatch(int vector);

#endif
