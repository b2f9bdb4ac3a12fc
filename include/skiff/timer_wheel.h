/*
 * timer_wheel.h - a hierarchical cascading timer wheel in the shape of
 * Linux 2.6 (kernel/timer.c: internal_add_timer, cascade, __run_timers).
 *
 * Level 0 (tv1) has 256 slots of one jiffy each. Levels 1..4 (tvn[0..3])
 * have 64 slots each, of 2^8, 2^14, 2^20 and 2^26 jiffies. A timer goes
 * into the level whose span covers (expires - clk); when the level-0 index
 * wraps, one slot of the level above is emptied and its timers are added
 * again ("cascaded") one level lower, closer to their jiffy.
 *
 *   tv1[256] : expires - clk <      2^8    slot = expires & 255
 *   tvn[0]   :              <      2^14   slot = (expires >> 8) & 63
 *   tvn[1]   :              <      2^20   slot = (expires >> 14) & 63
 *   tvn[2]   :              <      2^26   slot = (expires >> 20) & 63
 *   tvn[3]   :              <      2^32   slot = (expires >> 26) & 63
 *
 * Timers further ahead than 2^32 - 1 jiffies sit in tvn[3] as if they were
 * due at clk + 2^32 - 1 and are cascaded again until they fit.
 *
 * The wheel is pure data: no locks, no clock, no callbacks. The kernel
 * wrapper (one wheel per CPU) takes the lock, passes jiffies in, and calls
 * the functions of the timers that wheel_collect() hands back.
 */
#ifndef SKIFF_TIMER_WHEEL_H
#define SKIFF_TIMER_WHEEL_H

#include <skiff/list.h>
#include <skiff/types.h>

struct timer_list {
	struct list_head entry; /* on a wheel slot or an expired list; */
				/* entry.next == NULL when not pending */
	u64 expires;		/* absolute, in jiffies */
	void (*function)(struct timer_list *t);
	u32 cpu;   /* which CPU's wheel holds it (kernel wrapper's) */
	u32 flags; /* TIMER_ON_WHEEL; private to timer_wheel.c */
};

#define TIMER_ON_WHEEL 0x1 /* linked on a wheel slot, counted in count */
#define TIMER_SLOT_SHIFT 8 /* flags >> 8: the slot's number in the map */

#define TVR_BITS 8 /* level 0: 256 slots */
#define TVN_BITS 6 /* levels 1..4: 64 slots each */
#define TVR_SIZE (1 << TVR_BITS)
#define TVN_SIZE (1 << TVN_BITS)
#define TVR_MASK (TVR_SIZE - 1)
#define TVN_MASK (TVN_SIZE - 1)
#define TVN_LEVELS 4
#define TIMER_MAX_DELTA 0xffffffffULL /* farther ahead is clamped */

/* Slots numbered for the map: tv1 0..255, then tvn[lvl] 64 each. */
#define WHEEL_SLOTS (TVR_SIZE + TVN_LEVELS * TVN_SIZE)

struct timer_wheel {
	u64 clk; /* next jiffy to process: every timer with expires < clk */
		 /* has been collected */
	struct list_head tv1[TVR_SIZE];
	struct list_head tvn[TVN_LEVELS][TVN_SIZE];
	u32 count; /* timers pending on this wheel */
	/* A bit per non-empty slot (Linux's pending_map), so the next
	 * expiry is a few word scans instead of a walk of 512 lists. */
	u64 map[WHEEL_SLOTS / 64];
};

/* Prepare t to be added; fn runs when it fires. flags is unused. */
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *),
		 u32 flags_unused);

void wheel_init(struct timer_wheel *w, u64 now_jiffies);

/*
 * Queue t, whose expires is already set. A timer with expires < clk fires
 * at the next collect. If t is already pending on this wheel it is moved.
 * O(1).
 */
void wheel_add(struct timer_wheel *w, struct timer_list *t);

/*
 * Take t off the wheel, or off an expired list it was collected onto but
 * not yet run from (so it will not run). Returns true if it was pending.
 * O(1).
 */
bool wheel_del(struct timer_wheel *w, struct timer_list *t);

static inline bool timer_pending(const struct timer_list *t)
{
	return t->entry.next != NULL;
}

/*
 * Process every jiffy from w->clk up to and including now: cascade the
 * higher levels when the level-0 index wraps, and move expired timers off
 * the wheel onto the tail of *expired, in firing order (by expires, then
 * insertion order). Returns the number moved. The callbacks are not
 * called: the caller takes each timer off *expired (list_del, after which
 * timer_pending() is false) and calls t->function(t), which may add the
 * timer again. Idle stretches are skipped, so a huge jump costs no more
 * than the timers and cascades it crosses.
 */
u32 wheel_collect(struct timer_wheel *w, u64 now_jiffies,
		  struct list_head *expired);

/*
 * Earliest jiffy at which some timer may fire, or UINT64_MAX if the wheel
 * is empty. Exact for timers on level 0; for timers still on a higher level
 * it is the jiffy at which their slot cascades, a lower bound. A timer that
 * is already overdue counts as due at w->clk.
 */
u64 wheel_next_expiry(const struct timer_wheel *w);

#endif
