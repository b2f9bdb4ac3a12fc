/*
 * timer.h - kernel timers with Linux's interface, on one hierarchical
 * timer wheel per CPU (timer_wheel.c), run from TIMER_SOFTIRQ.
 *
 * A timer belongs to the CPU that set it up (timer_setup records the
 * current CPU; timer_set_cpu changes it while it is not pending), and its
 * callback runs there, in softirq context, with the timer no longer
 * pending: the callback may re-arm it with mod_timer.
 */
#ifndef SKIFF_TIMER_H
#define SKIFF_TIMER_H

#include <skiff/timer_wheel.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>

struct cpu;

struct timer_base {
	spinlock_t lock;
	struct timer_wheel wheel;
	struct timer_list *running; /* callback in progress, or NULL */
	u64 fired;		    /* callbacks run */
	u64 late_max_ns; /* worst lateness seen (expiry to callback) */
	u64 late_sum_ns;
	u64 run_max_ns; /* the slowest callback's run time */
	void (*run_max_fn)(struct timer_list *); /* and which it was */
};

void timer_init_cpu(void);
void timer_interrupt(void *arg);

/*
 * Tickless idle (config nohz=on). With interrupts off, just before it
 * halts, the idle loop calls tick_nohz_idle_enter: the next timer
 * interrupt is then due at the CPU's next timer (at most NOHZ_MAX_NS
 * away, and no later than wake_by_ns if that is not 0: a console command
 * waiting for a time of its own) instead of in one tick.
 * tick_nohz_idle_exit, after the halt, starts the tick again if another
 * interrupt woke the CPU.
 */
#define NOHZ_MAX_NS NSEC_PER_SEC
#define NOHZ_SLACK_NS 20000 /* wake just after the jiffy, never before */
void tick_nohz_idle_enter(struct cpu *c, u64 wake_by_ns);
void tick_nohz_idle_exit(struct cpu *c);

/* How long an idle CPU may sleep with its next timer due at jiffy
 * next_jiffy (UINT64_MAX: none): 0 when that is within a tick (keep it). */
static inline u64 nohz_sleep_ns(u64 next_jiffy, u64 now_ns)
{
	u64 due = next_jiffy >= UINT64_MAX / NSEC_PER_JIFFY
		      ? UINT64_MAX
		      : next_jiffy * NSEC_PER_JIFFY;
	u64 sleep = due > now_ns ? due - now_ns : 0;

	if (sleep > NOHZ_MAX_NS)
		sleep = NOHZ_MAX_NS;
	return sleep > NSEC_PER_JIFFY ? sleep : 0;
}

void kernel_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
void timer_set_cpu(struct timer_list *t, u32 cpu);
/* (Re)arm t to fire at jiffy `expires`. Returns 1 if it was pending. */
int mod_timer(struct timer_list *t, u64 expires);
/* Disarm; returns 1 if it was pending. */
int del_timer(struct timer_list *t);
/* Disarm and wait until a running callback on another CPU has finished. */
int del_timer_sync(struct timer_list *t);

struct timer_base *timer_base_of(u32 cpu);

#endif
