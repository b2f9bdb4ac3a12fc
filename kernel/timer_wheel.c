/*
 * timer_wheel.c - the hierarchical cascading timer wheel (see the diagram
 * in timer_wheel.h). Call order of the expiry path:
 *
 *   wheel_collect -> skip_idle -> wheel_next_expiry
 *                 -> run_jiffy -> cascade_all -> cascade -> wheel_slot
 *                              -> sort_batch
 *
 * Ordering. Timers leave in order of expires, then of insertion. Level 0
 * holds one jiffy per slot, so a slot is already in order except for timers
 * added when overdue; run_jiffy() sorts those into place. For timers with
 * the same expires, one that waited on a higher level was always added
 * before one that went straight to a lower level (the level depends on
 * expires - clk, and clk only grows), so cascade() puts cascaded timers in
 * front of a slot's existing ones, and lower levels cascade before higher.
 */
#include <skiff/timer_wheel.h>

static inline unsigned level_shift(unsigned lvl)
{
	return TVR_BITS + lvl * TVN_BITS;
}

static inline struct timer_list *timer_of(struct list_head *e)
{
	return list_entry(e, struct timer_list, entry);
}

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *),
		 u32 flags_unused)
{
	(void)flags_unused;
	t->entry.next = NULL;
	t->entry.prev = NULL;
	t->expires = 0;
	t->function = fn;
	t->cpu = 0;
	t->flags = 0;
}

void wheel_init(struct timer_wheel *w, u64 now_jiffies)
{
	w->clk = now_jiffies;
	w->count = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(w->map); i++)
		w->map[i] = 0;
	for (unsigned i = 0; i < TVR_SIZE; i++)
		INIT_LIST_HEAD(&w->tv1[i]);
	for (unsigned lvl = 0; lvl < TVN_LEVELS; lvl++)
		for (unsigned i = 0; i < TVN_SIZE; i++)
			INIT_LIST_HEAD(&w->tvn[lvl][i]);
}

/* Slot number n (0..WHEEL_SLOTS-1, see the map in timer_wheel.h). */
static struct list_head *slot_head(struct timer_wheel *w, unsigned n)
{
	if (n < TVR_SIZE)
		return &w->tv1[n];
	n -= TVR_SIZE;
	return &w->tvn[n / TVN_SIZE][n % TVN_SIZE];
}

/* The number of the slot a timer due at expires belongs in, seen from
 * w->clk. */
static unsigned wheel_slot(const struct timer_wheel *w, u64 expires)
{
	u64 delta = expires - w->clk;
	unsigned lvl;

	if (expires < w->clk)
		return w->clk & TVR_MASK; /* overdue: next jiffy */
	if (delta < TVR_SIZE)
		return expires & TVR_MASK;
	if (delta > TIMER_MAX_DELTA) {
		expires = w->clk + TIMER_MAX_DELTA;
		delta = TIMER_MAX_DELTA;
	}
	for (lvl = 0; lvl < TVN_LEVELS - 1; lvl++)
		if (delta < 1ULL << level_shift(lvl + 1))
			break;
	return TVR_SIZE + lvl * TVN_SIZE +
	       ((expires >> level_shift(lvl)) & TVN_MASK);
}

/* Link t into slot n, at its tail (or head), and mark the slot busy. */
static void slot_link(struct timer_wheel *w, struct timer_list *t, unsigned n,
		      bool tail)
{
	if (tail)
		list_add_tail(&t->entry, slot_head(w, n));
	else
		list_add(&t->entry, slot_head(w, n));
	t->flags = (t->flags & TIMER_ON_WHEEL) | n << TIMER_SLOT_SHIFT;
	w->map[n / 64] |= 1ULL << (n % 64);
}

/* Slot n was emptied as a whole. */
static void slot_emptied(struct timer_wheel *w, unsigned n)
{
	w->map[n / 64] &= ~(1ULL << (n % 64));
}

void wheel_add(struct timer_wheel *w, struct timer_list *t)
{
	if (timer_pending(t))
		wheel_del(w, t);
	slot_link(w, t, wheel_slot(w, t->expires), true);
	t->flags |= TIMER_ON_WHEEL;
	w->count++;
}

bool wheel_del(struct timer_wheel *w, struct timer_list *t)
{
	if (!timer_pending(t))
		return false;
	list_del(&t->entry);
	if (t->flags & TIMER_ON_WHEEL) {
		unsigned n = t->flags >> TIMER_SLOT_SHIFT;
		t->flags &= ~TIMER_ON_WHEEL;
		w->count--;
		if (list_empty(slot_head(w, n)))
			slot_emptied(w, n);
	}
	return true;
}

/*
 * Empty slot idx of level lvl and add its timers again, now that they are
 * closer. Walking from the tail and adding each at the head of its new slot
 * keeps their order and puts them in front (see the comment at the top).
 */
static void cascade(struct timer_wheel *w, unsigned lvl, unsigned idx)
{
	LIST_HEAD(work);

	list_splice_tail_init(&w->tvn[lvl][idx], &work);
	slot_emptied(w, TVR_SIZE + lvl * TVN_SIZE + idx);
	while (!list_empty(&work)) {
		struct timer_list *t = timer_of(work.prev);

		list_del(&t->entry);
		slot_link(w, t, wheel_slot(w, t->expires), false);
	}
}

/* At a level-0 wrap: cascade level 1, and each next level whose own */
/* index wrapped too (Linux's __run_timers). */
static void cascade_all(struct timer_wheel *w)
{
	for (unsigned lvl = 0; lvl < TVN_LEVELS; lvl++) {
		unsigned idx = (w->clk >> level_shift(lvl)) & TVN_MASK;

		cascade(w, lvl, idx);
		if (idx != 0)
			break;
	}
}

/* Stable merge of two NULL-terminated chains by expires. */
static struct list_head *merge(struct list_head *a, struct list_head *b)
{
	struct list_head head, *tail = &head;

	while (a && b) {
		if (timer_of(b)->expires < timer_of(a)->expires) {
			tail->next = b;
			b = b->next;
		} else {
			tail->next = a;
			a = a->next;
		}
		tail = tail->next;
	}
	tail->next = a ? a : b;
	return head.next;
}

static struct list_head *merge_sort(struct list_head *first)
{
	struct list_head *slow = first, *fast, *right;

	if (!first || !first->next)
		return first;
	for (fast = first->next; fast && fast->next; fast = fast->next->next)
		slow = slow->next;
	right = slow->next;
	slow->next = NULL;
	return merge(merge_sort(first), merge_sort(right));
}

/* Is the (non-empty) batch in order of expires? */
static bool batch_sorted(struct list_head *batch)
{
	for (struct list_head *p = batch->next; p->next != batch; p = p->next)
		if (timer_of(p->next)->expires < timer_of(p)->expires)
			return false;
	return true;
}

/* Order one jiffy's batch by expires, keeping insertion order on ties. */
static void sort_batch(struct list_head *batch)
{
	struct list_head *first, *prev = batch;

	if (list_empty(batch) || batch_sorted(batch))
		return;
	batch->prev->next = NULL;
	first = merge_sort(batch->next);
	for (struct list_head *p = first; p; p = p->next) {
		p->prev = prev;
		prev->next = p;
		prev = p;
	}
	prev->next = batch;
	batch->prev = prev;
}

/* Process jiffy w->clk: cascade if level 0 wrapped, then expire its slot. */
static u32 run_jiffy(struct timer_wheel *w, struct list_head *expired)
{
	unsigned idx = w->clk & TVR_MASK;
	LIST_HEAD(batch);
	u32 n = 0;

	if (idx == 0)
		cascade_all(w);
	list_splice_tail_init(&w->tv1[idx], &batch);
	slot_emptied(w, idx);
	w->clk++;
	for (struct list_head *p = batch.next; p != &batch; p = p->next) {
		timer_of(p)->flags &= ~TIMER_ON_WHEEL;
		n++;
	}
	w->count -= n;
	sort_batch(&batch);
	list_splice_tail_init(&batch, expired);
	return n;
}

/*
 * Distance from bit start to the first set bit at or after it in the map
 * words[0..nwords) taken as a ring (nwords a power of two), or -1 if none
 * is set: the first word from start, the others, then the first word's
 * bits below start.
 */
static int ring_first(const u64 *words, unsigned nwords, unsigned start)
{
	unsigned nbits = nwords * 64, lo = start % 64;

	for (unsigned k = 0; k <= nwords; k++) {
		unsigned i = (start / 64 + k) & (nwords - 1);
		u64 bits = words[i];

		if (k == 0)
			bits &= ~0ULL << lo;
		else if (k == nwords)
			bits &= (1ULL << lo) - 1; /* lo 0: covered at k == 0 */
		if (bits) {
			unsigned at = i * 64 + (unsigned)__builtin_ctzll(bits);
			return (int)((at - start) & (nbits - 1));
		}
	}
	return -1;
}

/* First jiffy from clk whose level-0 slot holds a timer. */
static u64 level0_next(const struct timer_wheel *w)
{
	int d = ring_first(w->map, TVR_SIZE / 64, w->clk & TVR_MASK);

	return d < 0 ? UINT64_MAX : w->clk + (u64)d;
}

/*
 * First jiffy from clk at which a non-empty slot of level lvl cascades.
 * Slot s cascades at the multiples of 2^shift whose index is s; if clk is
 * not such a multiple, the slot at clk's own index waits a full turn.
 */
static u64 leveln_next(const struct timer_wheel *w, unsigned lvl)
{
	unsigned shift = level_shift(lvl);
	u64 block =
	    (w->clk >> shift) + ((w->clk & ((1ULL << shift) - 1)) ? 1 : 0);
	int d = ring_first(&w->map[(TVR_SIZE + lvl * TVN_SIZE) / 64], 1,
			   block & TVN_MASK);

	return d < 0 ? UINT64_MAX : (block + (u64)d) << shift;
}

u64 wheel_next_expiry(const struct timer_wheel *w)
{
	u64 next;

	if (w->count == 0)
		return UINT64_MAX;
	next = level0_next(w);
	for (unsigned lvl = 0; lvl < TVN_LEVELS; lvl++)
		next = MIN(next, leveln_next(w, lvl));
	return next;
}

/*
 * Jump w->clk over jiffies where nothing happens. Only empty slots are
 * skipped, so no cascade is missed. Returns false if nothing happens up to
 * and including now (clk is then past now).
 */
static bool skip_idle(struct timer_wheel *w, u64 now)
{
	u64 next = wheel_next_expiry(w);

	if (next > now) {
		w->clk = now + 1;
		return false;
	}
	w->clk = MAX(w->clk, next);
	return true;
}

u32 wheel_collect(struct timer_wheel *w, u64 now_jiffies,
		  struct list_head *expired)
{
	u64 now = MIN(now_jiffies, UINT64_MAX - 1);
	u32 n = 0;

	while (w->clk <= now) {
		if (w->count == 0) {
			w->clk = now + 1;
			break;
		}
		if (now - w->clk >= TVR_SIZE && !skip_idle(w, now))
			break;
		n += run_jiffy(w, expired);
	}
	return n;
}
