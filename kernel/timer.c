/*
 * timer.c - per-CPU timer wheels and the TIMER softirq.
 *
 * LAPIC tick -> timer_interrupt -> raise TIMER_SOFTIRQ
 * run_timers -> wheel_collect up to now -> each callback with the base
 *               unlocked, base->running set (for del_timer_sync)
 */
#include <skiff/timer.h>
#include <stdio.h>
#include <errno.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <skiff/irq.h>
#include <skiff/ksyms.h>
#include <skiff/trace.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/smp.h>

static struct timer_base bases[NR_CPUS];
static struct lock_class timer_base_class = {.name = "timer_base"};

struct timer_base *timer_base_of(u32 cpu)
{
	return &bases[cpu];
}

/* The callback's symbol and how late it runs. */
static void trace_timer_fire(const struct timer_list *t, u64 late_ns)
{
	if (!trace_enabled(TRACE_TIMERS))
		return;
	u64 off;
	const char *fn = ksym_lookup((u64)(unsigned long)t->function, &off);
	trace(TRACE_TIMERS, "cpu%u %s+0x%llx late %llu us", smp_processor_id(),
	      fn ? fn : "?", (unsigned long long)off,
	      (unsigned long long)(late_ns / 1000));
}

static void run_timers(void)
{
	extern void watchdog_touch_softirq(void);
	struct timer_base *b = this_cpu()->timers;
	watchdog_touch_softirq();
	LIST_HEAD(expired);
	u64 now = get_jiffies();

	unsigned long flags = spin_lock_irqsave(&b->lock);
	wheel_collect(&b->wheel, now, &expired);
	while (!list_empty(&expired)) {
		struct timer_list *t =
		    list_first_entry(&expired, struct timer_list, entry);
		list_del(&t->entry); /* not pending any more */
		b->running = t;
		spin_unlock_irqrestore(&b->lock, flags);

		u64 now_ns = ktime_get_ns(), due = t->expires * NSEC_PER_JIFFY;
		u64 late = now_ns > due ? now_ns - due : 0;
		trace_timer_fire(t, late);
		void (*fn)(struct timer_list *) = t->function;
		fn(t); /* may free or re-arm t */
		u64 ran = ktime_get_ns() - now_ns;

		flags = spin_lock_irqsave(&b->lock);
		if (ran > b->run_max_ns) {
			b->run_max_ns = ran;
			b->run_max_fn = fn;
		}
		b->running = NULL;
		b->fired++;
		b->late_sum_ns += late;
		b->late_max_ns = MAX(b->late_max_ns, late);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

/*
 * Does this tick need TIMER_SOFTIRQ? When a timer is due (the wheel's
 * next expiry is a lower bound, so never late), and at least every
 * TIMER_BEAT_NS anyway: the soft-lockup watchdog counts the softirq's runs
 * as its heartbeat. Most ticks have nothing due; raising the softirq on
 * each cost 1,000 softirq runs a second (like Linux's run_local_timers,
 * which also looks at next_expiry first).
 */
#define TIMER_BEAT_NS (NSEC_PER_SEC / 4)

static bool timers_due(struct cpu *c)
{
	struct timer_base *b = c->timers;
	u64 beat = READ_ONCE(c->softirq_beat_ns); /* 0: never ran yet */
	if (!beat || ktime_get_ns() - beat >= TIMER_BEAT_NS)
		return true;
	spin_lock(&b->lock); /* interrupts are off in the handler */
	bool due = wheel_next_expiry(&b->wheel) <= get_jiffies();
	spin_unlock(&b->lock);
	return due;
}

void timer_interrupt(void *arg)
{
	extern void watchdog_tick(void);
	struct cpu *c = this_cpu();
	if (c->halted)
		c->tick_ended_halt = true;
	if (READ_ONCE(c->tick_stopped)) { /* the end of a tickless sleep */
		WRITE_ONCE(c->tick_stopped, false);
		lapic_timer_restart_tick();
	} else {
		lapic_timer_tick();
	}
	c->ticks++;
	watchdog_tick();
	if (timers_due(c))
		raise_softirq(TIMER_SOFTIRQ);
}

/* ---- tickless idle ----
 * The ordering against mod_timer on another CPU: this CPU says it stopped
 * its tick before it looks at its wheel; mod_timer adds to the wheel
 * before it looks at that flag. Either the timer is seen here, or the
 * adder sees the flag and wakes this CPU with an IPI (tick_nohz_kick).
 */
void tick_nohz_idle_enter(struct cpu *c, u64 wake_by_ns)
{
	/* Only when the last halt outlasted the tick: a CPU that other
	 * interrupts keep waking every few hundred microseconds (a request
	 * and response at a time) keeps its tick rather than reprogram the
	 * timer twice per wake-up, like Linux's idle governor predicting a
	 * short sleep. */
	bool quiet = c->tick_ended_halt;
	c->tick_ended_halt = false;
	if (!quiet || !READ_ONCE(kcfg.nohz) || !lapic_timer_can_stop())
		return;
	WRITE_ONCE(c->tick_stopped, true);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	spin_lock(&c->timers->lock); /* interrupts are off */
	u64 next = wheel_next_expiry(&c->timers->wheel);
	spin_unlock(&c->timers->lock);
	u64 now = ktime_get_ns();
	u64 sleep = nohz_sleep_ns(next, now);
	if (wake_by_ns)
		sleep = wake_by_ns > now + NSEC_PER_JIFFY
			    ? MIN(sleep, wake_by_ns - now)
			    : 0;
	if (!sleep) { /* due within a tick: the tick stays */
		WRITE_ONCE(c->tick_stopped, false);
		return;
	}
	lapic_timer_stop_tick(sleep + NOHZ_SLACK_NS);
	c->tick_stops++;
}

void tick_nohz_idle_exit(struct cpu *c)
{
	if (!READ_ONCE(c->tick_stopped))
		return; /* never stopped, or the timer interrupt restarted it */
	unsigned long flags = local_irq_save();
	if (c->tick_stopped) { /* woken by another interrupt */
		WRITE_ONCE(c->tick_stopped, false);
		lapic_timer_restart_tick();
	}
	local_irq_restore(flags);
}

/* A timer went onto another CPU's wheel: wake that CPU if it sleeps
 * without a tick, so that it looks at its wheel again. */
static void tick_nohz_kick(u32 cpu)
{
	if (cpu == smp_processor_id())
		return; /* the usual case: no fence on every mod_timer */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (cpus[cpu] && READ_ONCE(cpus[cpu]->tick_stopped))
		smp_send_ipi(cpu, VECTOR_RESCHED);
}

void timer_init_cpu(void)
{
	struct cpu *c = this_cpu();
	struct timer_base *b = &bases[c->id];
	spin_lock_init(&b->lock, &timer_base_class);
	wheel_init(&b->wheel, get_jiffies());
	c->timers = b;
	if (c->id == 0) {
		open_softirq(TIMER_SOFTIRQ, run_timers);
		irq_set_handler(VECTOR_TIMER, timer_interrupt, NULL, "timer");
	}
}

void kernel_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	timer_setup(t, fn, 0);
	t->cpu = smp_processor_id();
}

void timer_set_cpu(struct timer_list *t, u32 cpu)
{
	BUG_ON(timer_pending(t));
	t->cpu = cpu;
}

int mod_timer(struct timer_list *t, u64 expires)
{
	struct timer_base *b = &bases[t->cpu];
	unsigned long flags = spin_lock_irqsave(&b->lock);
	int was = wheel_del(&b->wheel, t) ? 1 : 0;
	t->expires = expires;
	wheel_add(&b->wheel, t);
	spin_unlock_irqrestore(&b->lock, flags);
	tick_nohz_kick(t->cpu);
	return was;
}

int del_timer(struct timer_list *t)
{
	struct timer_base *b = &bases[t->cpu];
	unsigned long flags = spin_lock_irqsave(&b->lock);
	int was = wheel_del(&b->wheel, t) ? 1 : 0;
	spin_unlock_irqrestore(&b->lock, flags);
	return was;
}

int del_timer_sync(struct timer_list *t)
{
	for (;;) {
		struct timer_base *b = &bases[t->cpu];
		unsigned long flags = spin_lock_irqsave(&b->lock);
		int was = wheel_del(&b->wheel, t) ? 1 : 0;
		bool running = b->running == t;
		spin_unlock_irqrestore(&b->lock, flags);
		if (!running || t->cpu == smp_processor_id())
			return was;
		cpu_relax();
	}
}

/* Jiffies until the wheel's next expiry, as text ("-": none pending). */
static void format_next(char *buf, size_t n, u64 next, u64 now)
{
	if (next == UINT64_MAX)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%llu",
			 (unsigned long long)(next > now ? next - now : 0));
}

static void timers_row(u32 i)
{
	struct timer_base *b = &bases[i];
	char next[24];
	unsigned long flags = spin_lock_irqsave(&b->lock);
	u32 pending = b->wheel.count;
	u64 fired = b->fired, sum = b->late_sum_ns, max = b->late_max_ns;
	u64 clk = b->wheel.clk, nx = wheel_next_expiry(&b->wheel);
	spin_unlock_irqrestore(&b->lock, flags);
	format_next(next, sizeof(next), nx, get_jiffies());
	shell_printf("cpu%-2u %7u %7s %10llu %13llu %13llu %9llu %10llu\n", i,
		     pending, next, (unsigned long long)fired,
		     (unsigned long long)(fired ? sum / fired / 1000 : 0),
		     (unsigned long long)(max / 1000),
		     (unsigned long long)cpus[i]->ticks,
		     (unsigned long long)clk);
}

/* The slowest callback so far: periodic work that holds up the CPU
 * (packets wait behind it) shows here. */
static void timers_slowest(u32 i)
{
	struct timer_base *b = &bases[i];
	unsigned long flags = spin_lock_irqsave(&b->lock);
	u64 ns = b->run_max_ns;
	void (*fn)(struct timer_list *) = b->run_max_fn;
	spin_unlock_irqrestore(&b->lock, flags);
	u64 off;
	const char *name = fn ? ksym_lookup((u64)(unsigned long)fn, &off) : 0;
	if (fn)
		shell_printf("cpu%u slowest callback: %s, %llu us\n", i,
			     name ? name : "?",
			     (unsigned long long)(ns / 1000));
}

static const char *tickless_state(void)
{
	if (!lapic_timer_can_stop())
		return "off (no calibrated one-shot timer)";
	return READ_ONCE(kcfg.nohz) ? "on" : "off (nohz=off)";
}

static int cmd_timers(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("CPU  PENDING NEXT_MS      FIRED   LATE_AVG_US   "
		     "LATE_MAX_US     TICKS        CLK\n");
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			timers_row(i);
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			timers_slowest(i);
	shell_printf("HZ=%d (1 jiffy = 1 ms), tick source %s\n", HZ,
		     lapic_timer_mode());
	shell_printf("tickless idle: %s; times an idle CPU stopped its tick:",
		     tickless_state());
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			shell_printf(" cpu%u %llu", i,
				     (unsigned long long)cpus[i]->tick_stops);
	shell_printf("\n");
	return 0;
}
SHELL_CMD("timers", cmd_timers, "timers",
	  "per-CPU timer wheels: pending, next expiry, fired, lateness, "
	  "the slowest callback");
