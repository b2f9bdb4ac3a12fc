/*
 * spinlock.c - ticket locks with owner checks and per-class statistics.
 *
 * Ticket protocol: a CPU takes a ticket with an atomic fetch-and-add on
 * `next`, then waits until `owner` reaches it; unlock advances `owner`.
 * The atomics give acquire ordering on lock and release on unlock.
 */
#include <skiff/spinlock.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>
#include <asm/cpu.h>

static struct lock_class *classes;

static void class_register(struct lock_class *c)
{
	if (READ_ONCE(c->registered) ||
	    __atomic_exchange_n(&c->registered, 1, __ATOMIC_ACQ_REL))
		return;
	struct lock_class *head = __atomic_load_n(&classes, __ATOMIC_ACQUIRE);
	do {
		c->next = head;
	} while (!__atomic_compare_exchange_n(
	    &classes, &head, c, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
}

struct lock_class *lock_classes(void)
{
	return __atomic_load_n(&classes, __ATOMIC_ACQUIRE);
}

void spin_lock_init(spinlock_t *l, struct lock_class *cls)
{
	l->next = 0;
	l->owner = 0;
	l->cls = cls;
	l->owner_cpu = -1;
}

/* Before per-CPU data exists (very early boot) there is one CPU: id 0. */
static inline struct cpu *cpu_or_null(void)
{
	extern bool percpu_ready;
	return percpu_ready ? this_cpu() : NULL;
}

static void debug_before_lock(spinlock_t *l, struct cpu *c)
{
	if (CONFIG_DEBUG_LOCKS && c && READ_ONCE(l->owner_cpu) == (s32)c->id)
		panic("spin_lock: recursion on lock '%s' by cpu %u",
		      l->cls->name, c->id);
}

static void debug_after_lock(spinlock_t *l, struct cpu *c)
{
	if (!c)
		return;
	c->locks_held++;
	if (CONFIG_DEBUG_LOCKS)
		l->owner_cpu = (s32)c->id;
}

void spin_lock(spinlock_t *l)
{
	struct cpu *c = cpu_or_null();
	debug_before_lock(l, c);
	u32 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (unlikely(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)) {
		u64 spins = 0;
		while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
			cpu_relax();
			spins++;
		}
		__atomic_fetch_add(&l->cls->contended, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&l->cls->spins, spins, __ATOMIC_RELAXED);
	}
	/* Atomic: one class may cover many locks (one per CPU). */
	__atomic_fetch_add(&l->cls->acquired, 1, __ATOMIC_RELAXED);
	class_register(l->cls);
	debug_after_lock(l, c);
}

bool spin_trylock(spinlock_t *l)
{
	u32 owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	u32 expect = owner;
	if (!__atomic_compare_exchange_n(&l->next, &expect, owner + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	__atomic_fetch_add(&l->cls->acquired, 1, __ATOMIC_RELAXED);
	class_register(l->cls);
	debug_after_lock(l, cpu_or_null());
	return true;
}

void spin_unlock(spinlock_t *l)
{
	struct cpu *c = cpu_or_null();
	if (CONFIG_DEBUG_LOCKS && c && l->owner_cpu != (s32)c->id)
		panic(
		    "spin_unlock: lock '%s' held by cpu %d, released by cpu %u",
		    l->cls->name, l->owner_cpu, c->id);
	if (CONFIG_DEBUG_LOCKS)
		l->owner_cpu = -1;
	if (c)
		c->locks_held--;
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = local_irq_save();
	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	local_irq_restore(flags);
}

void spin_lock_bh(spinlock_t *l)
{
	local_bh_disable();
	spin_lock(l);
}

void spin_unlock_bh(spinlock_t *l)
{
	spin_unlock(l);
	local_bh_enable();
}

void might_sleep(const char *where)
{
	struct cpu *c = cpu_or_null();
	if (!c)
		return;
	if (CONFIG_DEBUG_LOCKS && c->locks_held)
		panic("%s: waiting with %u spinlock(s) held on cpu %u", where,
		      c->locks_held, c->id);
	if (CONFIG_DEBUG_LOCKS && in_interrupt())
		panic("%s: waiting in interrupt context on cpu %u", where,
		      c->id);
}
