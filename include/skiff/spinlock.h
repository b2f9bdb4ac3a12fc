/*
 * spinlock.h - ticket spinlocks, with the Linux variants:
 *
 *   spin_lock / spin_unlock                 interrupts and softirqs as they are
 *   spin_lock_bh / spin_unlock_bh           softirqs off on this CPU
 *   spin_lock_irqsave / _irqrestore         interrupts off on this CPU
 *
 * A ticket lock is fair: CPUs get the lock in the order they asked. Every
 * lock belongs to a lock class (its name) that counts acquisitions and
 * contention, listed by the `locks` command.
 *
 * With CONFIG_DEBUG_LOCKS (the default build) each lock also remembers its
 * owner, and these are bugs that panic with the lock's name:
 *   - taking a lock this CPU already holds (recursion: it would deadlock),
 *   - releasing a lock another CPU holds (or nobody holds),
 *   - waiting (might_sleep: halt, busy delays) while holding any lock.
 */
#ifndef SKIFF_SPINLOCK_H
#define SKIFF_SPINLOCK_H

#include <skiff/types.h>

#ifndef CONFIG_DEBUG_LOCKS
#define CONFIG_DEBUG_LOCKS 1
#endif

struct lock_class {
	const char *name;
	u64 acquired;		 /* times taken */
	u64 contended;		 /* times a CPU had to wait */
	u64 spins;		 /* pause loops spent waiting */
	struct lock_class *next; /* on the list of classes seen */
	u32 registered;
};

typedef struct spinlock {
	u32 next;  /* next ticket to hand out */
	u32 owner; /* ticket being served */
	struct lock_class *cls;
	s32 owner_cpu; /* debug: CPU holding it, -1 if free */
	u32 pad;
} spinlock_t;

#define SPIN_LOCK_INIT(n)                                                      \
	{                                                                      \
		.next = 0, .owner = 0,                                         \
		.cls = &(struct lock_class){.name = (n)}, .owner_cpu = -1      \
	}
#define DEFINE_SPINLOCK(var, n) spinlock_t var = SPIN_LOCK_INIT(n)

void spin_lock_init(spinlock_t *l, struct lock_class *cls);
void spin_lock(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
unsigned long spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);
void spin_lock_bh(spinlock_t *l);
void spin_unlock_bh(spinlock_t *l);
bool spin_is_locked(const spinlock_t *l);

/* Panics if this CPU holds a lock or is in interrupt context. */
void might_sleep(const char *where);

/* Walk the lock classes seen so far (for `locks`). */
struct lock_class *lock_classes(void);

#endif
