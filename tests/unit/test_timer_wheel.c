/*
 * test_timer_wheel.c - host tests for kernel/timer_wheel.c with a fake
 * clock: ordering, cancel, re-arm from a callback, cascades through every
 * level (one jiffy at a time and in big jumps), a random 100k-timer run,
 * and wheel_next_expiry() as a lower bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <skiff/timer_wheel.h>
#include <skiff/timer.h>

struct ttimer {
	struct timer_list t;
	u64 seq;      /* insertion order */
	u64 fired_at; /* now of the collect that returned it */
	u64 from;     /* first jiffy that collect processed */
	int fired;
};

static u64 next_seq;

static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static struct ttimer *tt_of(struct timer_list *t)
{
	return container_of(t, struct ttimer, t);
}

static void noop(struct timer_list *t)
{
	(void)t;
}

static void tt_add(struct timer_wheel *w, struct ttimer *tt, u64 expires)
{
	if (!timer_pending(&tt->t))
		timer_setup(&tt->t, noop, 0);
	tt->t.expires = expires;
	tt->seq = next_seq++;
	tt->fired = 0;
	wheel_add(w, &tt->t);
}

/*
 * Collect up to now and run the callbacks like the kernel wrapper will.
 * Checks that the batch is in (expires, seq) order and that nothing fires
 * early. Returns the number fired.
 */
static u32 run_to(struct timer_wheel *w, u64 now)
{
	LIST_HEAD(expired);
	u64 from = w->clk;
	u32 n = wheel_collect(w, now, &expired), seen = 0;
	struct ttimer *prev = NULL;

	assert_true(w->clk > now);
	while (!list_empty(&expired)) {
		struct timer_list *t =
		    list_first_entry(&expired, struct timer_list, entry);
		struct ttimer *tt = tt_of(t);

		list_del(&t->entry);
		assert_false(timer_pending(t));
		assert_true(t->expires <= now);
		if (prev) {
			assert_true(prev->t.expires <= t->expires);
			if (prev->t.expires == t->expires)
				assert_true(prev->seq < tt->seq);
		}
		tt->fired++;
		tt->fired_at = now;
		tt->from = from;
		prev = tt;
		seen++;
		t->function(t);
	}
	assert_int_equal(n, seen);
	return n;
}

static void test_order_basic(void **state)
{
	static struct timer_wheel w;
	struct ttimer tt[6] = {0};
	u64 exp[6] = {30, 10, 20, 10, 300, 30};

	(void)state;
	wheel_init(&w, 0);
	for (int i = 0; i < 6; i++)
		tt_add(&w, &tt[i], exp[i]);
	assert_int_equal(w.count, 6);
	assert_int_equal(run_to(&w, 9), 0);
	assert_int_equal(run_to(&w, 10), 2);
	assert_int_equal(run_to(&w, 299), 3);
	assert_int_equal(tt[4].fired, 0);
	assert_int_equal(run_to(&w, 300), 1);
	assert_int_equal(w.count, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(tt[i].fired, 1);
}

static void test_cancel(void **state)
{
	static struct timer_wheel w;
	struct ttimer a = {0}, b = {0};

	(void)state;
	wheel_init(&w, 100);
	tt_add(&w, &a, 150);
	tt_add(&w, &b, 100 + 70000);
	assert_true(timer_pending(&a.t));
	assert_true(wheel_del(&w, &a.t));
	assert_false(timer_pending(&a.t));
	assert_false(wheel_del(&w, &a.t));
	assert_true(wheel_del(&w, &b.t));
	assert_int_equal(w.count, 0);
	assert_int_equal(run_to(&w, 1000000), 0);
	assert_int_equal(a.fired + b.fired, 0);
}

static void test_readd_moves(void **state)
{
	static struct timer_wheel w;
	struct ttimer a = {0};

	(void)state;
	wheel_init(&w, 0);
	tt_add(&w, &a, 50);
	tt_add(&w, &a, 5000); /* like mod_timer: moves it */
	assert_int_equal(w.count, 1);
	assert_int_equal(run_to(&w, 4999), 0);
	assert_int_equal(run_to(&w, 5000), 1);
	assert_int_equal(w.count, 0);
}

/* A collected timer deleted before it runs does not run. */
static void test_del_from_expired_list(void **state)
{
	static struct timer_wheel w;
	struct ttimer a = {0}, b = {0};
	LIST_HEAD(expired);

	(void)state;
	wheel_init(&w, 0);
	tt_add(&w, &a, 5);
	tt_add(&w, &b, 5);
	assert_int_equal(wheel_collect(&w, 5, &expired), 2);
	assert_int_equal(w.count, 0);
	assert_true(timer_pending(&a.t));
	assert_true(wheel_del(&w, &a.t));
	assert_int_equal(w.count, 0);
	assert_ptr_equal(expired.next, &b.t.entry);
	assert_ptr_equal(expired.prev, &b.t.entry);
	list_del(&b.t.entry);
	assert_true(list_empty(&expired));
}

static struct timer_wheel rearm_wheel;
static int rearm_fires;

static void rearm_fn(struct timer_list *t)
{
	rearm_fires++;
	assert_int_equal(t->expires, (u64)rearm_fires * 10);
	t->expires += 10;
	wheel_add(&rearm_wheel, t);
}

static void test_rearm_from_callback(void **state)
{
	struct ttimer a = {0};

	(void)state;
	wheel_init(&rearm_wheel, 0);
	timer_setup(&a.t, rearm_fn, 0);
	a.t.expires = 10;
	wheel_add(&rearm_wheel, &a.t);
	for (u64 now = 0; now <= 1000; now++)
		run_to(&rearm_wheel, now);
	assert_int_equal(rearm_fires, 100);
	/* And with one big collect: the re-added timer waits for the next. */
	run_to(&rearm_wheel, 100000);
	assert_int_equal(rearm_fires, 101);
	assert_true(wheel_del(&rearm_wheel, &a.t));
}

static const u64 deltas[] = {
    1,		2,
    255,	256,
    257,	16383,
    16384,	16385,
    1ULL << 20, (1ULL << 20) + 7,
    1 << 26,	(1 << 26) + 3,
    1ULL << 31, (1ULL << 32) - 1,
};

static const u64 starts[] = {
    0, 1, 255, 256, 12345, 16383, 1ULL << 26, (1ULL << 32) - 5, 0x123456789ULL};

/* Step one jiffy at a time from w.clk through end, expecting tt at e. */
static void step_through(struct timer_wheel *w, struct ttimer *tt, u64 end)
{
	while (w->clk <= end) {
		u64 now = w->clk;
		u32 n = run_to(w, now);

		assert_int_equal(n, now == tt->t.expires ? 1 : 0);
	}
}

/*
 * Drive the clock to e: big jumps between cascade points and single steps
 * around every cascade point of every level and the last 300 jiffies.
 */
static void drive_single(struct timer_wheel *w, struct ttimer *tt, u64 e)
{
	for (int shift = 26; shift >= 8; shift -= 6) {
		u64 b = e & ~((1ULL << shift) - 1);

		if (b < w->clk + 3)
			continue;
		assert_int_equal(run_to(w, b - 3), 0);
		step_through(w, tt, MIN(b + 3, e));
	}
	if (e > w->clk + 300)
		assert_int_equal(run_to(w, e - 300), 0);
	step_through(w, tt, e + 2);
	assert_int_equal(tt->fired, 1);
	assert_int_equal(tt->fired_at, e);
}

static void test_cascade_single_step(void **state)
{
	static struct timer_wheel w;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
		for (size_t d = 0; d < ARRAY_SIZE(deltas); d++) {
			struct ttimer tt = {0};

			wheel_init(&w, starts[s]);
			tt_add(&w, &tt, starts[s] + deltas[d]);
			drive_single(&w, &tt, starts[s] + deltas[d]);
			assert_int_equal(w.count, 0);
		}
	}
}

/* Every jiffy for deltas that allow it: cascades of levels 1 and 2. */
static void test_cascade_every_jiffy(void **state)
{
	static struct timer_wheel w;
	const u64 ds[] = {1, 255, 256, 16383, 16384, 1ULL << 20};

	(void)state;
	for (size_t d = 0; d < ARRAY_SIZE(ds); d++) {
		struct ttimer tt = {0};

		wheel_init(&w, 77);
		tt_add(&w, &tt, 77 + ds[d]);
		step_through(&w, &tt, 77 + ds[d] + 1);
		assert_int_equal(tt.fired, 1);
		assert_int_equal(tt.fired_at, 77 + ds[d]);
	}
}

static void test_cascade_big_jumps(void **state)
{
	static struct timer_wheel w;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
		for (size_t d = 0; d < ARRAY_SIZE(deltas); d++) {
			u64 e = starts[s] + deltas[d];
			struct ttimer tt = {0};

			wheel_init(&w, starts[s]);
			tt_add(&w, &tt, e);
			assert_int_equal(run_to(&w, e - 1), 0);
			assert_int_equal(run_to(&w, e), 1);
			/* And with jumps of random length across e. */
			wheel_init(&w, starts[s]);
			tt_add(&w, &tt, e);
			while (!tt.fired)
				run_to(&w, w.clk + rnd() % (deltas[d] / 3 + 2));
			assert_true(tt.fired_at >= e);
			assert_true(tt.fired_at - e < deltas[d] / 3 + 2);
		}
	}
}

/* Beyond 2^32 - 1 jiffies the timer is clamped but still fires on time. */
static void test_far_future(void **state)
{
	static struct timer_wheel w;
	const u64 far[] = {(1ULL << 32), (1ULL << 33) + 5, (1ULL << 40) + 99};
	struct ttimer tt[3] = {0};

	(void)state;
	wheel_init(&w, 1000);
	for (int i = 0; i < 3; i++)
		tt_add(&w, &tt[i], 1000 + far[i]);
	for (int i = 0; i < 3; i++) {
		u64 e = 1000 + far[i];

		assert_true(wheel_next_expiry(&w) <= e);
		assert_int_equal(run_to(&w, e - 1), 0);
		assert_int_equal(run_to(&w, e), 1);
		assert_int_equal(tt[i].fired, 1);
	}
	/* Single steps across the last cascades of a clamped timer. */
	wheel_init(&w, 3);
	tt_add(&w, &tt[0], 3 + (1ULL << 34));
	drive_single(&w, &tt[0], 3 + (1ULL << 34));
}

/* A timer added with expires < clk fires at the next collect, in order. */
static void test_overdue(void **state)
{
	static struct timer_wheel w;
	struct ttimer now_t = {0}, late1 = {0}, late2 = {0}, late3 = {0};

	(void)state;
	wheel_init(&w, 1000);
	tt_add(&w, &now_t, 1000);
	tt_add(&w, &late1, 990);
	tt_add(&w, &late2, 5);
	tt_add(&w, &late3, 990);
	assert_int_equal(wheel_next_expiry(&w), 1000);
	assert_int_equal(run_to(&w, 1000), 4); /* run_to checks the order */
	/* Same at a level-0 wrap, where cascaded timers join the slot. */
	wheel_init(&w, 1024 - 300);
	tt_add(&w, &now_t, 1024);
	run_to(&w, 1023);
	tt_add(&w, &late1, 1000);
	assert_int_equal(run_to(&w, 1024), 2);
}

/* Same expires, added while it sat on different levels: insertion order. */
static void test_same_expires_across_levels(void **state)
{
	static struct timer_wheel w;
	const u64 e = 3000000, when[] = {0,	  1900000, 2000000, 2990000,
					 2999000, 2999900, 2999999, 3000000};
	struct ttimer tt[ARRAY_SIZE(when)] = {0};

	(void)state;
	for (int jump = 0; jump < 2; jump++) {
		wheel_init(&w, 0);
		for (size_t i = 0; i < ARRAY_SIZE(when); i++) {
			if (jump)
				run_to(&w, when[i] ? when[i] - 1 : 0);
			else
				while (w.clk < when[i])
					run_to(&w, w.clk);
			tt_add(&w, &tt[i], e);
		}
		assert_int_equal(run_to(&w, e), ARRAY_SIZE(when));
	}
}

/* The next expiry by walking every slot's list, as wheel_next_expiry did
 * before it had the map of busy slots: the map must give the same. */
static u64 next_expiry_by_walk(const struct timer_wheel *w)
{
	u64 next = UINT64_MAX;

	if (w->count == 0)
		return next;
	for (u64 d = 0; d < TVR_SIZE && next == UINT64_MAX; d++)
		if (!list_empty(&w->tv1[(w->clk + d) & TVR_MASK]))
			next = w->clk + d;
	for (unsigned lvl = 0; lvl < TVN_LEVELS; lvl++) {
		unsigned shift = TVR_BITS + lvl * TVN_BITS;
		u64 block = w->clk >> shift;
		unsigned first = (w->clk & ((1ULL << shift) - 1)) ? 1 : 0;

		for (unsigned m = first; m < first + TVN_SIZE; m++)
			if (!list_empty(&w->tvn[lvl][(block + m) & TVN_MASK])) {
				next = MIN(next, (block + m) << shift);
				break;
			}
	}
	return next;
}

static void check_next_expiry(struct timer_wheel *w, struct ttimer *tt,
			      size_t n)
{
	u64 truth = UINT64_MAX, got = wheel_next_expiry(w);

	assert_true(got == next_expiry_by_walk(w));

	for (size_t i = 0; i < n; i++)
		if (timer_pending(&tt[i].t))
			truth = MIN(truth, tt[i].t.expires);
	assert_true(got <= truth);
	if (truth != UINT64_MAX)
		assert_true(got >= w->clk);
	else
		assert_true(got == UINT64_MAX);
}

static u64 random_delta(void)
{
	unsigned bits = rnd() % 27;

	return rnd() & ((1ULL << bits) - 1);
}

#define NRANDOM 100000

/* Delete every pending timer with an even sequence number. */
static u64 delete_even(struct timer_wheel *w, struct ttimer *tt, size_t n)
{
	u64 deleted = 0;

	for (size_t i = 0; i < n; i++)
		if (tt[i].seq % 2 == 0 && wheel_del(w, &tt[i].t))
			deleted++;
	return deleted;
}

/*
 * 100k timers added while the clock moves in random steps; half of them
 * deleted on the way. Every timer fires in the collect whose range holds
 * its expires, in (expires, insertion) order (run_to checks the order).
 */
static void test_random_100k(void **state)
{
	static struct timer_wheel w;
	struct ttimer *tt = calloc(NRANDOM, sizeof(*tt));
	u64 fired = 0, deleted = 0;
	size_t added = 0;

	(void)state;
	assert_non_null(tt);
	wheel_init(&w, 0);
	for (int step = 0; added < NRANDOM || w.count; step++) {
		for (int k = 0; k < 500 && added < NRANDOM; k++, added++)
			tt_add(&w, &tt[added], w.clk + random_delta());
		for (int k = 0; k < 200; k++) {
			struct ttimer *v = &tt[rnd() % added];

			if (v->seq % 2 == 0 && wheel_del(&w, &v->t))
				deleted++;
		}
		if (step == 100)
			deleted += delete_even(&w, tt, added);
		if (step % 4 == 0)
			check_next_expiry(&w, tt, added);
		fired += run_to(&w, w.clk + rnd() % (step % 8 ? 300 : 70000));
	}
	assert_int_equal(fired + deleted, NRANDOM);
	for (size_t i = 0; i < NRANDOM; i++) {
		assert_false(timer_pending(&tt[i].t));
		assert_true(tt[i].fired <= 1);
		if (tt[i].fired) {
			assert_true(tt[i].fired_at >= tt[i].t.expires);
			/* Not late: the previous collect stopped before it. */
			assert_true(tt[i].from <= tt[i].t.expires);
		} else {
			assert_true(tt[i].seq % 2 == 0);
		}
	}
	free(tt);
}

/* Fire times exact to the jiffy when collected every jiffy. */
static void test_expiry_accuracy(void **state)
{
	static struct timer_wheel w;
	enum { N = 3000 };
	struct ttimer *tt = calloc(N, sizeof(*tt));

	(void)state;
	assert_non_null(tt);
	wheel_init(&w, 5);
	for (int i = 0; i < N; i++)
		tt_add(&w, &tt[i], 5 + rnd() % 40000);
	while (w.count) {
		if (w.clk % 97 == 0)
			check_next_expiry(&w, tt, N);
		run_to(&w, w.clk);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(tt[i].fired, 1);
		assert_int_equal(tt[i].fired_at, tt[i].t.expires);
	}
	free(tt);
}

static void test_next_expiry(void **state)
{
	static struct timer_wheel w;
	struct ttimer a = {0}, b = {0};

	(void)state;
	wheel_init(&w, 500);
	assert_true(wheel_next_expiry(&w) == UINT64_MAX);
	tt_add(&w, &a, 600);
	assert_int_equal(wheel_next_expiry(&w), 600); /* level 0: exact */
	tt_add(&w, &b, 500 + 5000000);
	assert_int_equal(wheel_next_expiry(&w), 600);
	wheel_del(&w, &a.t);
	assert_true(wheel_next_expiry(&w) <= 500 + 5000000);
	assert_true(wheel_next_expiry(&w) > 500);
	run_to(&w, 500 + 5000000 - 40);
	assert_int_equal(wheel_next_expiry(&w), 500 + 5000000);
	/* An empty wheel fast-forwards. */
	run_to(&w, 500 + 5000000);
	run_to(&w, UINT64_MAX / 2);
	assert_true(w.clk == UINT64_MAX / 2 + 1);
	assert_true(wheel_next_expiry(&w) == UINT64_MAX);
}

/* Tickless idle's sleep: to the next timer's jiffy, at most NOHZ_MAX_NS,
 * none (the tick stays) when that is within a tick or already past. */
static void test_nohz_sleep(void **state)
{
	(void)state;
	u64 now = 5 * NSEC_PER_SEC + 300000; /* 0.3 ms into jiffy 5000 */

	assert_true(nohz_sleep_ns(UINT64_MAX, now) == NOHZ_MAX_NS);
	assert_true(nohz_sleep_ns(5100, now) == 100 * NSEC_PER_JIFFY - 300000);
	assert_true(nohz_sleep_ns(5001, now) == 0); /* 0.7 ms: keep the tick */
	assert_true(nohz_sleep_ns(5002, now) == 1700000);
	assert_true(nohz_sleep_ns(4000, now) == 0); /* overdue */
	assert_true(nohz_sleep_ns(5000 + 60000, now) == NOHZ_MAX_NS);
	assert_true(nohz_sleep_ns(UINT64_MAX / 2, now) == NOHZ_MAX_NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_basic),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_readd_moves),
	    cmocka_unit_test(test_del_from_expired_list),
	    cmocka_unit_test(test_rearm_from_callback),
	    cmocka_unit_test(test_cascade_single_step),
	    cmocka_unit_test(test_cascade_every_jiffy),
	    cmocka_unit_test(test_cascade_big_jumps),
	    cmocka_unit_test(test_far_future),
	    cmocka_unit_test(test_overdue),
	    cmocka_unit_test(test_same_expires_across_levels),
	    cmocka_unit_test(test_random_100k),
	    cmocka_unit_test(test_expiry_accuracy),
	    cmocka_unit_test(test_next_expiry),
	    cmocka_unit_test(test_nohz_sleep),
	};

	return cmocka_run_group_tests_name("timer_wheel", tests, NULL, NULL);
}
