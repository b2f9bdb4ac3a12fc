/*
 * selftest.c - in-kernel self-tests behind the `selftest` command:
 * spinlocks hammered from every CPU, timers on every CPU, the softirq
 * budget, allocator stress, and W^X (each forbidden access must fault).
 * Each test prints one line; the last line is "selftest: N passed, M failed".
 */
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/smp.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <asm/trap.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

static u64 rng_state;

static u64 rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Wait with interrupts on, so softirqs and timers run meanwhile. */
static void wait_ms(u64 ms)
{
	u64 end = ktime_get_ns() + ms * 1000000;
	might_sleep("selftest wait");
	while (ktime_get_ns() < end)
		__asm__ __volatile__("hlt");
}

/* ---- spinlocks ----------------------------------------------------------- */

#define HAMMER_ROUNDS 4000
static DEFINE_SPINLOCK(hammer_lock, "selftest_hammer");
static volatile u64 hammer_counter;

static void hammer(void *arg)
{
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		spin_lock(&hammer_lock);
		u64 v = hammer_counter; /* read-modify-write, unprotected by */
		cpu_relax();		/* atomics: only the lock keeps it */
		hammer_counter = v + 1; /* exact */
		spin_unlock(&hammer_lock);
	}
}

static bool test_spinlock(char *msg, size_t n)
{
	hammer_counter = 0;
	u64 contended0 = hammer_lock.cls->contended;
	on_each_cpu(hammer, NULL);
	u64 want = (u64)HAMMER_ROUNDS * nr_cpus_online;
	snprintf(msg, n, "counter %llu of %llu from %u CPUs, %llu contended",
		 (unsigned long long)hammer_counter, (unsigned long long)want,
		 nr_cpus_online,
		 (unsigned long long)(hammer_lock.cls->contended - contended0));
	return hammer_counter == want;
}

/* ---- timers ------------------------------------------------------------- */

#define NTIMERS 1000

struct test_timer {
	struct timer_list t;
	u64 fired_ns;
	u32 seq; /* order in which it fired on its CPU */
};

static struct test_timer *ttimers;
static u32 fire_seq[NR_CPUS];

static void test_timer_fn(struct timer_list *t)
{
	struct test_timer *tt = container_of(t, struct test_timer, t);
	tt->fired_ns = ktime_get_ns();
	u32 *seq = &fire_seq[smp_processor_id()];
	tt->seq = __atomic_add_fetch(seq, 1, __ATOMIC_RELAXED);
}

static void arm_timers(void *arg)
{
	u64 now = get_jiffies();
	u32 me = smp_processor_id();
	for (u32 i = 0; i < NTIMERS; i++) {
		if (i % nr_cpus_online != me)
			continue;
		struct test_timer *tt = &ttimers[i];
		kernel_timer_setup(&tt->t, test_timer_fn);
		mod_timer(&tt->t, now + 1 + tt->t.expires);
	}
}

static bool check_timers(char *msg, size_t n)
{
	u32 fired = 0, early = 0, disorder = 0;
	u64 late_max = 0, late_sum = 0;
	for (u32 i = 0; i < NTIMERS; i++) {
		struct test_timer *a = &ttimers[i];
		if (!a->fired_ns)
			continue;
		fired++;
		u64 due = a->t.expires * NSEC_PER_JIFFY;
		if (a->fired_ns < due)
			early++;
		u64 late = a->fired_ns > due ? a->fired_ns - due : 0;
		late_sum += late;
		late_max = MAX(late_max, late);
		for (u32 j = i % nr_cpus_online; j < NTIMERS;
		     j += nr_cpus_online) {
			struct test_timer *b = &ttimers[j];
			if (b->fired_ns && b->t.expires < a->t.expires &&
			    b->seq > a->seq)
				disorder++;
		}
	}
	snprintf(msg, n,
		 "%u/%u fired on %u CPUs, %u early, %u out of order, "
		 "late avg %llu us max %llu us",
		 fired, NTIMERS, nr_cpus_online, early, disorder,
		 (unsigned long long)(fired ? late_sum / fired / 1000 : 0),
		 (unsigned long long)(late_max / 1000));
	return fired == NTIMERS && !early && !disorder;
}

static bool test_timers(char *msg, size_t n)
{
	ttimers = calloc(NTIMERS, sizeof(*ttimers));
	if (!ttimers) {
		snprintf(msg, n, "out of memory");
		return false;
	}
	memset(fire_seq, 0, sizeof(fire_seq));
	for (u32 i = 0; i < NTIMERS; i++)
		ttimers[i].t.expires = rng_next() % 300; /* delta, in jiffies */
	on_each_cpu(arm_timers, NULL);
	for (int waited = 0; waited < 3000; waited += 50) {
		wait_ms(50);
		u32 total = 0;
		for (u32 c = 0; c < NR_CPUS; c++)
			total += fire_seq[c];
		if (total == NTIMERS)
			break;
	}
	bool ok = check_timers(msg, n);
	for (u32 i = 0; i < NTIMERS; i++)
		del_timer_sync(&ttimers[i].t);
	free(ttimers);
	return ok;
}

/* ---- softirq budget ---------------------------------------------------- */

static volatile bool storm_on;
static volatile u64 storm_runs;

static void storm_action(void)
{
	storm_runs++;
	if (storm_on)
		raise_softirq(TEST_SOFTIRQ); /* never finishes on its own */
}

static volatile bool probe_fired;
static void probe_timer_fn(struct timer_list *t)
{
	probe_fired = true;
}

static bool test_softirq_budget(char *msg, size_t n)
{
	struct timer_list probe;
	open_softirq(TEST_SOFTIRQ, storm_action);
	u64 deferred0 = this_cpu()->softirq_deferred;
	storm_on = true;
	storm_runs = 0;
	probe_fired = false;
	/* Interrupts off around the first run and its count: an interrupt
	 * just before or after it would run the storm again from irq_exit
	 * and add its rounds to this run's. */
	unsigned long flags = local_irq_save();
	raise_softirq(TEST_SOFTIRQ);
	do_softirq(); /* must come back despite the endless re-raising */
	u64 first = storm_runs;
	local_irq_restore(flags);
	kernel_timer_setup(&probe, probe_timer_fn);
	mod_timer(&probe, get_jiffies() + msecs_to_jiffies(20));
	wait_ms(200); /* the storm keeps running from every irq_exit */
	storm_on = false;
	del_timer_sync(&probe);
	wait_ms(5);
	u64 deferred = this_cpu()->softirq_deferred - deferred0;
	snprintf(msg, n,
		 "one run stopped after %llu rounds (max %d), %llu "
		 "deferrals, timer %s during the storm",
		 (unsigned long long)first, SOFTIRQ_MAX_RESTART,
		 (unsigned long long)deferred,
		 probe_fired ? "fired" : "STARVED");
	return first <= SOFTIRQ_MAX_RESTART && deferred > 0 && probe_fired;
}

/* ---- allocators --------------------------------------------------------- */

static bool stress_pages(u64 *rounds)
{
	void *held[64] = {0};
	unsigned order[64] = {0};
	struct mm_stats before, after;
	mm_get_stats(&before);
	bool ok = true;
	for (int r = 0; r < 4000; r++, (*rounds)++) {
		int i = (int)(rng_next() % 64);
		if (held[i]) {
			u8 *p = held[i];
			ok &= p[0] == (u8)i &&
			      p[(PAGE_SIZE << order[i]) - 1] == (u8)i;
			free_pages(held[i], order[i]);
			held[i] = NULL;
			continue;
		}
		order[i] = (unsigned)(rng_next() % 5);
		held[i] = alloc_pages(order[i]);
		if (!held[i])
			return false;
		ok &= IS_ALIGNED((u64)held[i], PAGE_SIZE << order[i]);
		memset(held[i], i, PAGE_SIZE << order[i]);
	}
	for (int i = 0; i < 64; i++)
		free_pages(held[i], order[i]);
	mm_get_stats(&after);
	return ok && after.free_pages == before.free_pages;
}

static bool stress_slab(u64 *objs)
{
	static struct kcache *cache;
	if (!cache)
		cache = kcache_create("selftest_200", 200, 8);
	void **v = calloc(5000, sizeof(void *));
	if (!cache || !v)
		return false;
	bool ok = true;
	for (int i = 0; i < 5000; i++, (*objs)++) {
		v[i] = kcache_alloc(cache);
		if (!v[i])
			ok = false;
		else
			memset(v[i], i & 0xff, 200);
	}
	for (int i = 0; i < 5000; i++)
		if (v[i]) {
			ok &= ((u8 *)v[i])[199] == (i & 0xff);
			kcache_free(cache, v[i]);
		}
	free(v);
	return ok;
}

static bool stress_malloc(u64 *count)
{
	void *held[128] = {0};
	size_t size[128];
	bool ok = true;
	for (int r = 0; r < 4000; r++, (*count)++) {
		int i = (int)(rng_next() % 128);
		if (held[i]) {
			ok &= ((u8 *)held[i])[size[i] - 1] == (u8)i;
			free(held[i]);
			held[i] = NULL;
			continue;
		}
		size[i] = 1 + rng_next() % 65536;
		held[i] = malloc(size[i]);
		if (!held[i])
			return false;
		memset(held[i], i, size[i]);
	}
	for (int i = 0; i < 128; i++)
		free(held[i]);
	return ok;
}

static bool test_alloc(char *msg, size_t n)
{
	u64 pages = 0, objs = 0, mallocs = 0;
	bool p = stress_pages(&pages), s = stress_slab(&objs),
	     m = stress_malloc(&mallocs);
	snprintf(msg, n,
		 "pages %s (%llu ops), slab %s (%llu objects), malloc "
		 "%s (%llu ops)",
		 p ? "ok" : "FAILED", (unsigned long long)pages,
		 s ? "ok" : "FAILED", (unsigned long long)objs,
		 m ? "ok" : "FAILED", (unsigned long long)mallocs);
	return p && s && m;
}

/* ---- W^X ---------------------------------------------------------------- */

extern char __text_start[], __rodata_start[], boot_stack_guard[];
static u8 data_ret[16] = {0xc3}; /* `ret`, in .data */

static void poke(void *addr)
{
	volatile u8 *p = addr;
	*p = *p;
}

static void jump(void *addr)
{
	((void (*)(void))addr)();
}

struct wx_case {
	const char *what;
	void (*fn)(void *);
	void *addr;
};

static bool test_wx(char *msg, size_t n)
{
	u8 *heap = malloc(64);
	u8 stack_code[16] = {0xc3};
	if (!heap)
		return false;
	heap[0] = 0xc3;
	const struct wx_case cases[] = {
	    {"write .text", poke, __text_start + 64},
	    {"write .rodata", poke, __rodata_start},
	    {"exec .data", jump, data_ret},
	    {"exec heap", jump, heap},
	    {"exec stack", jump, stack_code},
	    {"read page 0", poke, (void *)8},
	    {"touch stack guard", poke, boot_stack_guard + 100},
	};
	u32 faulted = 0;
	size_t used = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 addr = 0;
		int vec = probe_call(cases[i].fn, cases[i].addr, &addr);
		bool ok = vec == 14;
		faulted += ok;
		if (!ok && used < n)
			used += snprintf(msg + used, n - used,
					 "%s DID NOT FAULT; ", cases[i].what);
	}
	free(heap);
	if (used < n)
		snprintf(msg + used, n - used,
			 "%u/%zu forbidden accesses faulted", faulted,
			 ARRAY_SIZE(cases));
	return faulted == ARRAY_SIZE(cases);
}

/* ---- the command -------------------------------------------------------- */

struct selftest {
	const char *name;
	bool (*fn)(char *msg, size_t n);
};

static const struct selftest tests[] = {
    {"spinlock", test_spinlock},
    {"timers", test_timers},
    {"softirq-budget", test_softirq_budget},
    {"alloc", test_alloc},
    {"wx", test_wx},
};

static int cmd_selftest(int argc, char **argv)
{
	u32 passed = 0, failed = 0;
	rng_state = rdtsc() | 1;
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		char msg[256] = "";
		u64 t0 = ktime_get_ns();
		bool ok = tests[i].fn(msg, sizeof(msg));
		shell_printf(
		    "selftest: %-15s %s (%llu ms) %s\n", tests[i].name,
		    ok ? "ok  " : "FAIL",
		    (unsigned long long)((ktime_get_ns() - t0) / 1000000), msg);
		ok ? passed++ : failed++;
	}
	if (!passed && !failed)
		return -EINVAL;
	shell_printf("selftest: %u passed, %u failed\n", passed, failed);
	return 0;
}
SHELL_CMD("selftest", cmd_selftest,
	  "selftest [spinlock|timers|softirq-budget|alloc|wx]",
	  "run the in-kernel self-tests");
