/*
 * percpu.h - per-CPU state. Each CPU's GS base points at its struct cpu,
 * so this_cpu() is one load. Every CPU has its own softirq state, timer
 * wheel, interrupt counters and exception stacks.
 */
#ifndef SKIFF_PERCPU_H
#define SKIFF_PERCPU_H

#include <skiff/types.h>
#include <skiff/list.h>
#include <skiff/spinlock.h>

#define NR_CPUS 64
#define NR_SOFTIRQS 8
#define NR_VECTORS 256

struct timer_base;
struct tss;
struct trap_frame;

/* A saved place to resume at when an expected fault hits (self-tests). */
struct fault_recovery {
	u64 rip, rsp; /* where to continue; 0 = not armed */
	u64 fault_addr;
	u32 vector;
	bool hit;
};

struct cpu {
	struct cpu *self; /* at offset 0: %gs:0 reads it */
	u32 id;		  /* logical index, 0 = boot CPU */
	u32 apic_id;
	bool online;

	u32 irq_depth;	   /* hardirq nesting: > 0 inside a handler */
	u32 softirq_depth; /* > 0 while running softirqs */
	u32 bh_disabled;   /* local_bh_disable nesting */
	u32 locks_held;	   /* spinlocks held (debug checks) */

	u32 softirq_pending; /* bit per enum softirq */
	u64 softirq_runs[NR_SOFTIRQS];
	u64 softirq_ns[NR_SOFTIRQS];
	u64 softirq_max_ns[NR_SOFTIRQS]; /* the longest single run */
	u64 softirq_deferred;		 /* times the budget ran out */
	u64 irq_count[NR_VECTORS];

	struct timer_base *timers;
	u64 idle_ns, busy_ns; /* where the idle loop spent its time */
	u64 app_ns;	      /* of busy_ns (and shell waits): in apps_poll */
	u64 softirq_halt_ns;  /* of idle_ns: softirqs that woke it (top) */
	bool halted;	      /* in the idle loop's hlt (top's accounting) */
	u64 ticks;
	bool tick_stopped;    /* idle with the tick stopped (tickless idle) */
	bool tick_ended_halt; /* the timer interrupt ended the last hlt */
	u64 tick_stops;	      /* how many times the idle loop stopped it */

	struct list_head call_queue; /* smp_call_function work */
	spinlock_t call_lock;

	struct fault_recovery recover;
	struct trap_frame *irq_frame; /* the interrupted state, in a handler */

	/* Lockup watchdog (watchdog.c) */
	u64 softirq_beat_ns; /* TIMER_SOFTIRQ last ran */
	u64 tick_ns;	     /* this CPU's last tick (its neighbour reads it) */
	bool soft_reported, hard_reported;
	struct tss *tss;
	u64 *gdt;
	void *stack_top; /* the idle/boot stack of this CPU */
};

extern struct cpu *cpus[NR_CPUS];
extern u32 nr_cpus_online;
extern u32 nr_cpus_possible;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ __volatile__("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline u32 smp_processor_id(void)
{
	return this_cpu()->id;
}

static inline bool in_irq(void)
{
	return this_cpu()->irq_depth > 0;
}

/* In an interrupt or a softirq: code that must not wait. */
static inline bool in_interrupt(void)
{
	struct cpu *c = this_cpu();
	return c->irq_depth > 0 || c->softirq_depth > 0;
}

void percpu_init_boot(void);
struct cpu *percpu_alloc(u32 id, u32 apic_id);
void percpu_load(struct cpu *c);

#endif
