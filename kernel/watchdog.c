/*
 * watchdog.c - find CPUs that stopped making progress, and show where.
 *
 * Soft lockup: a CPU whose TIMER softirq has not run for WATCHDOG_SOFT_NS
 * although its tick still arrives is stuck in a softirq or with softirqs
 * disabled. Its own tick notices and prints the interrupted frame.
 * Hard lockup: a CPU whose last tick is WATCHDOG_HARD_NS old has
 * interrupts off. Each CPU stamps its own ticks; the next CPU (in id
 * order) compares that stamp with its clock on its own tick and sends the
 * stuck one an NMI, whose handler prints where it is stuck. The stamp, not
 * the moment the watcher first saw a count stand still, so a watcher whose
 * tick is stopped in idle (up to a second between wakeups) does not add
 * its sleep to the detection time. An idle tickless CPU still wakes at
 * least once a second, well inside the limit. One report per episode; the
 * machine keeps running (an operator decides what to do).
 *
 * timer_interrupt -> watchdog_tick -> check_soft (self), check_hard (next)
 * TIMER_SOFTIRQ -> watchdog_touch_softirq
 * NMI -> watchdog_nmi (when a hard lockup was flagged for this CPU)
 */
#include <skiff/panic.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/time.h>
#include <asm/apic.h>
#include <asm/trap.h>

#define WATCHDOG_SOFT_NS (10 * NSEC_PER_SEC)
#define WATCHDOG_HARD_NS (10 * NSEC_PER_SEC)

static u32 nmi_pending; /* bit per CPU: a hard-lockup NMI is on its way */
static u64 soft_lockups, hard_lockups;

static void report_frame(const char *what, struct cpu *c,
			 const struct trap_frame *f, u64 stuck_ns)
{
	panic_printf("\n*** watchdog: %s on cpu %u, stuck for %llu s\n", what,
		     c->id, (unsigned long long)(stuck_ns / NSEC_PER_SEC));
	if (f) {
		dump_registers(f);
		backtrace_from(f->rip, f->rbp, 16);
	}
	panic_printf(
	    "*** watchdog: end of report (the system keeps running)\n");
}

void watchdog_touch_softirq(void)
{
	struct cpu *c = this_cpu();
	c->softirq_beat_ns = ktime_get_ns();
	c->soft_reported = false;
}

static void check_soft(struct cpu *c, u64 now)
{
	if (c->hard_reported) { /* the same episode, already reported */
		c->soft_reported = true;
		return;
	}
	if (!c->softirq_beat_ns || c->soft_reported ||
	    now - c->softirq_beat_ns < WATCHDOG_SOFT_NS)
		return;
	c->soft_reported = true;
	soft_lockups++;
	report_frame("soft lockup (softirqs not running)", c, c->irq_frame,
		     now - c->softirq_beat_ns);
}

/* The CPU this one watches: the next online one in id order, wrapping;
 * none when this is the only one (the usual case of a one-vCPU guest,
 * where the walk would be every tick's largest cost). */
static struct cpu *next_online(u32 id)
{
	if (READ_ONCE(nr_cpus_online) < 2)
		return NULL;
	for (u32 i = id + 1 == NR_CPUS ? 0 : id + 1; i != id;
	     i = i + 1 == NR_CPUS ? 0 : i + 1) {
		struct cpu *n = cpus[i];
		if (n && READ_ONCE(n->online))
			return n;
	}
	return NULL;
}

static void check_hard(struct cpu *n, u64 now)
{
	u64 last = READ_ONCE(n->tick_ns);
	/* Signed: the other CPU may have stamped a later time than our now. */
	if (!last || (s64)(now - last) < (s64)WATCHDOG_HARD_NS) {
		n->hard_reported = false;
		return;
	}
	if (n->hard_reported)
		return;
	n->hard_reported = true;
	hard_lockups++;
	__atomic_fetch_or(&nmi_pending, 1u << n->id, __ATOMIC_ACQ_REL);
	lapic_send_ipi(n->apic_id, 0x400); /* NMI */
}

void watchdog_tick(void)
{
	struct cpu *c = this_cpu();
	u64 now = ktime_get_ns();
	WRITE_ONCE(c->tick_ns, now);
	check_soft(c, now);
	struct cpu *n = next_online(c->id);
	if (n)
		check_hard(n, now);
}

/* From the NMI handler: true if this NMI was the watchdog's. */
bool watchdog_nmi(const struct trap_frame *f)
{
	struct cpu *c = this_cpu();
	u32 bit = 1u << c->id;
	if (!(__atomic_fetch_and(&nmi_pending, ~bit, __ATOMIC_ACQ_REL) & bit))
		return false;
	report_frame("hard lockup (interrupts off)", c, f,
		     ktime_get_ns() - READ_ONCE(c->tick_ns));
	return true;
}

void watchdog_stats(u64 *soft, u64 *hard)
{
	*soft = soft_lockups;
	*hard = hard_lockups;
}
