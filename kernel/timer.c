/*
 * timer.c - per-CPU timer wheels and the TIMER softirq.
 *
 * LAPIC tick -> timer_interrupt -> raise TIMER_SOFTIRQ
 * run_timers -> wheel_collect up to now -> each callback with the base
 *               unlocked, base->running set (for del_timer_sync)
 */
#include <skiff/timer.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <skiff/irq.h>

static struct timer_base bases[NR_CPUS];
static struct lock_class timer_base_class = {.name = "timer_base"};

struct timer_base *timer_base_of(u32 cpu)
{
	return &bases[cpu];
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
		t->function(t);

		flags = spin_lock_irqsave(&b->lock);
		b->running = NULL;
		b->fired++;
		b->late_sum_ns += late;
		b->late_max_ns = MAX(b->late_max_ns, late);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

void timer_interrupt(void *arg)
{
	extern void watchdog_tick(void);
	lapic_timer_tick();
	this_cpu()->ticks++;
	watchdog_tick();
	raise_softirq(TIMER_SOFTIRQ);
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

static int cmd_timers(int argc, char **argv)
{
	shell_printf("CPU  PENDING      FIRED   LATE_AVG_US   LATE_MAX_US  "
		     "TICKS      CLK\n");
	for (u32 i = 0; i < NR_CPUS; i++) {
		if (!cpus[i] || !cpus[i]->online)
			continue;
		struct timer_base *b = &bases[i];
		unsigned long flags = spin_lock_irqsave(&b->lock);
		u32 pending = b->wheel.count;
		u64 fired = b->fired, sum = b->late_sum_ns, max = b->late_max_ns;
		u64 clk = b->wheel.clk;
		spin_unlock_irqrestore(&b->lock, flags);
		shell_printf("cpu%-2u %7u %10llu %13llu %13llu %6llu %8llu\n", i,
			     pending, (unsigned long long)fired,
			     (unsigned long long)(fired ? sum / fired / 1000 : 0),
			     (unsigned long long)(max / 1000),
			     (unsigned long long)cpus[i]->ticks,
			     (unsigned long long)clk);
	}
	shell_printf("HZ=%d, tick source %s\n", HZ, lapic_timer_mode());
	return 0;
}
SHELL_CMD("timers", cmd_timers, "timers",
	  "per-CPU timer wheels: pending, fired, lateness");
