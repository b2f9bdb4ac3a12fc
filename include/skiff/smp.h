/*
 * smp.h - bringing up the other CPUs and talking to them.
 */
#ifndef SKIFF_SMP_H
#define SKIFF_SMP_H

#include <skiff/types.h>

struct boot_info;

/* Start every CPU the MADT lists (at most max_cpus, 0 = all). */
void smp_init(const struct boot_info *bi, u32 max_cpus);
void smp_send_ipi(u32 cpu, u8 vector);
/* Run fn(arg) on every online CPU other than this one, in the IPI handler
 * (interrupts off), and wait until all have returned. */
void smp_call_function(void (*fn)(void *), void *arg);
/* Run fn(arg) on every online CPU including this one and wait. */
void on_each_cpu(void (*fn)(void *), void *arg);
/* Stop the other CPUs (panic path). */
void smp_stop_others(void);
/* Per-CPU idle loop: softirqs, queued calls, poll (if any; true while
 * it has steps left, which keeps the tick), hlt. Never returns. */
__noreturn void cpu_idle_loop(bool (*poll)(void));
/* Before halting (the idle loop, the shell's waits): spin on parked NIC
 * rings (net.busy_poll_us). True if it spun; false: halt as before. */
struct cpu;
bool idle_busy_poll(struct cpu *c);

#endif
