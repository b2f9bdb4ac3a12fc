/*
 * softirq.c - per-CPU softirqs and tasklets.
 *
 * irq_exit -> do_softirq (when not nested and not disabled)
 * idle loop -> do_softirq
 * do_softirq -> __do_softirq: interrupts on, each pending action once per
 *               round, at most SOFTIRQ_MAX_RESTART rounds / SOFTIRQ_MAX_NS.
 */
#include <skiff/softirq.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/time.h>
#include <skiff/irq.h>
#include <asm/cpu.h>

static softirq_action_t actions[NR_SOFTIRQS];
static const char *const names[NR_SOFTIRQS] = {"HI",	 "TIMER",   "NET_TX",
					       "NET_RX", "TASKLET", "TEST"};

const char *softirq_name(int nr)
{
	return (nr >= 0 && nr < NR_SOFTIRQS && names[nr]) ? names[nr] : "?";
}

void open_softirq(int nr, softirq_action_t action)
{
	BUG_ON(nr < 0 || nr >= NR_SOFTIRQS);
	actions[nr] = action;
}

void raise_softirq(int nr)
{
	__atomic_fetch_or(&this_cpu()->softirq_pending, 1u << nr,
			  __ATOMIC_RELAXED);
}

void raise_softirq_on(u32 cpu, int nr)
{
	__atomic_fetch_or(&cpus[cpu]->softirq_pending, 1u << nr,
			  __ATOMIC_RELAXED);
	if (cpu != smp_processor_id())
		smp_send_ipi(cpu, VECTOR_RESCHED);
}

bool softirq_pending(void)
{
	return READ_ONCE(this_cpu()->softirq_pending) != 0;
}

static void run_actions(struct cpu *c, u32 pending)
{
	for (int nr = 0; pending; nr++, pending >>= 1) {
		if (!(pending & 1) || !actions[nr])
			continue;
		u64 t0 = ktime_get_ns();
		actions[nr]();
		u64 ran = ktime_get_ns() - t0;
		c->softirq_runs[nr]++;
		c->softirq_ns[nr] += ran;
		c->softirq_max_ns[nr] = MAX(c->softirq_max_ns[nr], ran);
	}
}

static void __do_softirq(struct cpu *c)
{
	u64 start = ktime_get_ns(), deadline = start + SOFTIRQ_MAX_NS;
	c->softirq_depth++;
	for (int round = 0; round < SOFTIRQ_MAX_RESTART; round++) {
		u32 pending = __atomic_exchange_n(&c->softirq_pending, 0,
						  __ATOMIC_ACQ_REL);
		if (!pending)
			break;
		local_irq_enable();
		run_actions(c, pending);
		local_irq_disable();
		if (ktime_get_ns() >= deadline)
			break;
	}
	if (c->softirq_pending)
		c->softirq_deferred++;
	if (c->halted) /* woken from hlt: this is not idle time */
		c->softirq_halt_ns += ktime_get_ns() - start;
	c->softirq_depth--;
}

void do_softirq(void)
{
	unsigned long flags = local_irq_save();
	struct cpu *c = this_cpu();
	if (!c->softirq_depth && !c->bh_disabled && !c->irq_depth &&
	    c->softirq_pending)
		__do_softirq(c);
	local_irq_restore(flags);
}

void local_bh_disable(void)
{
	this_cpu()->bh_disabled++;
	barrier();
}

void local_bh_enable(void)
{
	barrier();
	struct cpu *c = this_cpu();
	BUG_ON(c->bh_disabled == 0);
	if (--c->bh_disabled == 0 && c->softirq_pending && !in_interrupt() &&
	    !irqs_disabled())
		do_softirq();
}

/* ---- tasklets: one queue per CPU, run by TASKLET_SOFTIRQ ---------------- */

static struct tasklet *tasklet_queue[NR_CPUS];

void tasklet_init(struct tasklet *t, void (*func)(unsigned long),
		  unsigned long data)
{
	t->next = NULL;
	t->func = func;
	t->data = data;
	t->state = 0;
}

void tasklet_schedule(struct tasklet *t)
{
	if (__atomic_fetch_or(&t->state, 1, __ATOMIC_ACQ_REL) & 1)
		return; /* already queued */
	unsigned long flags = local_irq_save();
	u32 id = smp_processor_id();
	t->next = tasklet_queue[id];
	tasklet_queue[id] = t;
	raise_softirq(TASKLET_SOFTIRQ);
	local_irq_restore(flags);
}

static void tasklet_action(void)
{
	unsigned long flags = local_irq_save();
	u32 id = smp_processor_id();
	struct tasklet *list = tasklet_queue[id];
	tasklet_queue[id] = NULL;
	local_irq_restore(flags);
	while (list) {
		struct tasklet *t = list;
		list = t->next;
		__atomic_fetch_and(&t->state, ~1u, __ATOMIC_ACQ_REL);
		t->func(t->data);
	}
}

void softirq_init(void)
{
	open_softirq(TASKLET_SOFTIRQ, tasklet_action);
	pr_info("softirq: %d actions, budget %d rounds / %llu us per run\n",
		NR_SOFTIRQ_USED, SOFTIRQ_MAX_RESTART,
		(unsigned long long)(SOFTIRQ_MAX_NS / 1000));
}
