/*
 * platform.c - the kernel services that net/ uses, implemented on the host
 * for unit tests and fuzzers (see host.h for what each one does and how a
 * test drives it).
 *
 * One simulated CPU. Time is a fake clock; timers sit on one timer wheel
 * (kernel/timer_wheel.c) that TIMER_SOFTIRQ runs; softirqs run only when
 * the test asks (host_run_softirqs), when the clock moves, or when
 * local_bh_enable() drops the last level, which is also when the kernel
 * would run them.
 *
 *   host_clock_set_ns -> for each jiffy with a due timer: clock = jiffy,
 *                        raise TIMER_SOFTIRQ -> host_run_softirqs
 *                        -> run_timers -> callbacks in expiry order
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/slab.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>

#include "host.h"

/* The merged configuration (kernel/main.c's): zero until a test fills it,
 * e.g. with config_defaults(&kcfg). Weak: a host build may bring its own. */
__attribute__((weak)) struct skiff_config kcfg;

#define HOST_NR_SOFTIRQS 8
#define HOST_SOFTIRQ_ROUND_LIMIT 1000000u

static bool inited;
static bool verbose;

/* ---- growable text capture (printk, shell) ---------------------------- */

struct capture {
	char *buf;
	size_t len, cap;
};

static struct capture log_cap, shell_cap;

/* Keep the newest HOST_LOG_MAX bytes: drop whole text from the front. */
static void capture_trim(struct capture *c, size_t incoming)
{
	if (c->len + incoming <= HOST_LOG_MAX)
		return;
	size_t drop = MIN(c->len, c->len + incoming - HOST_LOG_MAX);
	memmove(c->buf, c->buf + drop, c->len - drop);
	c->len -= drop;
}

static void capture_append(struct capture *c, const char *s, size_t n)
{
	if (n > HOST_LOG_MAX) {
		s += n - HOST_LOG_MAX;
		n = HOST_LOG_MAX;
	}
	capture_trim(c, n);
	if (c->len + n + 1 > c->cap) {
		size_t cap = MAX(c->cap * 2, c->len + n + 1);
		cap = MAX(cap, (size_t)4096);
		char *nb = realloc(c->buf, cap);
		if (!nb)
			abort();
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

static const char *capture_text(struct capture *c)
{
	return c->buf ? c->buf : "";
}

static void capture_reset(struct capture *c)
{
	c->len = 0;
	if (c->buf)
		c->buf[0] = '\0';
}

static u32 count_in(const char *hay, const char *needle)
{
	u32 n = 0;
	size_t nl = strlen(needle);
	if (!nl)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle))
		n++;
	return n;
}

/* ---- printk and panic --------------------------------------------------- */

void vprintk(int level, const char *fmt, va_list ap)
{
	char line[1024];
	(void)level;
	host_init();
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	size_t len = MIN((size_t)n, sizeof(line) - 1);
	capture_append(&log_cap, line, len);
	if (len == 0 || line[len - 1] != '\n')
		capture_append(&log_cap, "\n", 1);
	if (verbose)
		fprintf(stderr, "[%6llu.%06llu] %s%s",
			(u64)(ktime_get_ns() / NSEC_PER_SEC),
			(u64)(ktime_get_ns() / 1000 % 1000000), line,
			(len && line[len - 1] == '\n') ? "" : "\n");
}

void printk(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

const char *host_log(void)
{
	return capture_text(&log_cap);
}

void host_log_reset(void)
{
	capture_reset(&log_cap);
}

bool host_log_contains(const char *needle)
{
	return strstr(host_log(), needle) != NULL;
}

u32 host_log_count(const char *needle)
{
	return count_in(host_log(), needle);
}

jmp_buf *host_panic_jmp;

void panic(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_ERR, "panic: %s\n", msg);
	if (host_panic_jmp)
		longjmp(*host_panic_jmp, 1);
	fprintf(stderr, "host: panic: %s\n", msg);
	abort();
}

/* ---- spinlocks ----------------------------------------------------------
 * One CPU: a lock is either free or held by CPU 0. The ticket fields still
 * move so spin_is_locked() answers as in the kernel; owner_cpu carries the
 * debug checks (a zeroed, uninitialised lock looks held by CPU 0 and
 * panics on first use, exactly as it does in the kernel).
 */
static u32 locks_held;
static u32 bh_disabled;
static u32 softirq_depth;
static struct lock_class *classes;

void spin_lock_init(spinlock_t *l, struct lock_class *cls)
{
	l->next = 0;
	l->owner = 0;
	l->cls = cls;
	l->owner_cpu = -1;
}

static void lock_account(spinlock_t *l)
{
	l->next++;
	l->owner_cpu = 0;
	locks_held++;
	if (l->cls) {
		l->cls->acquired++;
		if (!l->cls->registered) {
			l->cls->registered = 1;
			l->cls->next = classes;
			classes = l->cls;
		}
	}
}

static const char *lock_name(const spinlock_t *l)
{
	return l->cls && l->cls->name ? l->cls->name : "?";
}

void spin_lock(spinlock_t *l)
{
	if (l->owner_cpu == 0)
		panic("spin_lock: recursion on lock '%s' by cpu 0",
		      lock_name(l));
	lock_account(l);
}

bool spin_trylock(spinlock_t *l)
{
	if (l->owner_cpu == 0)
		return false;
	lock_account(l);
	return true;
}

void spin_unlock(spinlock_t *l)
{
	if (l->owner_cpu != 0 || locks_held == 0)
		panic(
		    "spin_unlock: lock '%s' held by cpu %d, released by cpu 0",
		    lock_name(l), l->owner_cpu);
	l->owner_cpu = -1;
	l->owner++;
	locks_held--;
}

bool spin_is_locked(const spinlock_t *l)
{
	return l->owner != l->next;
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	spin_lock(l);
	return 0;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	(void)flags;
	spin_unlock(l);
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
	if (locks_held)
		panic("%s: waiting with %u spinlock(s) held on cpu 0", where,
		      locks_held);
	if (softirq_depth)
		panic("%s: waiting in interrupt context on cpu 0", where);
}

struct lock_class *lock_classes(void)
{
	return classes;
}

u32 host_locks_held(void)
{
	return locks_held;
}

/* ---- softirqs -------------------------------------------------------- */

static softirq_action_t actions[HOST_NR_SOFTIRQS];
/* The one simulated CPU: online, with the kernel's per-softirq run counts
 * (what /metrics and `top` read); nothing else of struct cpu is kept. */
static struct cpu host_cpu0 = {.self = &host_cpu0, .online = true};
struct cpu *cpus[NR_CPUS] = {&host_cpu0};
static u32 softirq_pending_mask;
static const char *const softirq_names[HOST_NR_SOFTIRQS] = {
    "HI", "TIMER", "NET_TX", "NET_RX", "TASKLET", "TEST"};

const char *softirq_name(int nr)
{
	return (nr >= 0 && nr < HOST_NR_SOFTIRQS && softirq_names[nr])
		   ? softirq_names[nr]
		   : "?";
}

void open_softirq(int nr, softirq_action_t action)
{
	host_init();
	BUG_ON(nr < 0 || nr >= HOST_NR_SOFTIRQS);
	actions[nr] = action;
}

void raise_softirq(int nr)
{
	BUG_ON(nr < 0 || nr >= HOST_NR_SOFTIRQS);
	softirq_pending_mask |= 1u << nr;
}

void raise_softirq_on(u32 cpu, int nr)
{
	BUG_ON(cpu != 0);
	raise_softirq(nr);
}

bool softirq_pending(void)
{
	return softirq_pending_mask != 0;
}

bool host_softirq_is_pending(int nr)
{
	return (softirq_pending_mask >> nr) & 1;
}

/* One round: every action pending at its start, lowest number first. */
static void softirq_round(void)
{
	u32 pending = softirq_pending_mask;
	softirq_pending_mask = 0;
	softirq_depth++;
	for (int nr = 0; pending; nr++, pending >>= 1)
		if ((pending & 1) && actions[nr]) {
			host_cpu0.softirq_runs[nr]++;
			actions[nr]();
		}
	softirq_depth--;
}

static bool softirqs_may_run(void)
{
	return !softirq_depth && !bh_disabled && softirq_pending_mask;
}

/* The kernel's do_softirq: at most SOFTIRQ_MAX_RESTART rounds. */
void do_softirq(void)
{
	host_init();
	for (int round = 0; round < SOFTIRQ_MAX_RESTART && softirqs_may_run();
	     round++)
		softirq_round();
}

u32 host_run_softirqs(void)
{
	u32 rounds = 0;
	host_init();
	while (softirqs_may_run()) {
		if (++rounds > HOST_SOFTIRQ_ROUND_LIMIT)
			panic("host_run_softirqs: still pending after %u "
			      "rounds (mask %#x)",
			      HOST_SOFTIRQ_ROUND_LIMIT, softirq_pending_mask);
		softirq_round();
	}
	return rounds;
}

void local_bh_disable(void)
{
	bh_disabled++;
}

void local_bh_enable(void)
{
	BUG_ON(bh_disabled == 0);
	if (--bh_disabled == 0 && !softirq_depth && softirq_pending_mask)
		do_softirq();
}

static struct tasklet *tasklet_queue;

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
	if (t->state & 1)
		return;
	t->state |= 1;
	t->next = tasklet_queue;
	tasklet_queue = t;
	raise_softirq(TASKLET_SOFTIRQ);
}

static void tasklet_action(void)
{
	struct tasklet *list = tasklet_queue;
	tasklet_queue = NULL;
	while (list) {
		struct tasklet *t = list;
		list = t->next;
		t->state &= ~1u;
		t->func(t->data);
	}
}

void softirq_init(void)
{
	host_init();
}

/* ---- the fake clock and the timer wheel ---------------------------- */

u64 tsc_khz;
u64 boot_epoch_sec;
static u64 clock_ns = HOST_CLOCK_START_NS;
static struct timer_base base;
static struct lock_class timer_base_class = {.name = "timer_base"};

u64 ktime_get_ns(void)
{
	return clock_ns;
}

void time_init(void)
{
	host_init();
}

const char *time_source_name(void)
{
	return "host fake clock";
}

u64 host_clock_ns(void)
{
	return clock_ns;
}

/* TIMER_SOFTIRQ: like kernel/timer.c's run_timers, on the one base. */
static void run_timers(void)
{
	LIST_HEAD(expired);
	spin_lock(&base.lock);
	wheel_collect(&base.wheel, get_jiffies(), &expired);
	while (!list_empty(&expired)) {
		struct timer_list *t =
		    list_first_entry(&expired, struct timer_list, entry);
		list_del(&t->entry);
		base.running = t;
		spin_unlock(&base.lock);
		t->function(t);
		spin_lock(&base.lock);
		base.running = NULL;
		base.fired++;
	}
	spin_unlock(&base.lock);
}

/*
 * Time passes "with interrupts on": timers become due and softirqs run,
 * unless the caller is itself in a softirq or has bottom halves off, in
 * which case they wait for the end of that section (as in the kernel).
 */
static void tick_to(u64 ns)
{
	clock_ns = ns;
	raise_softirq(TIMER_SOFTIRQ);
	if (softirqs_may_run())
		host_run_softirqs();
}

void host_clock_set_ns(u64 target)
{
	host_init();
	if (target < clock_ns)
		panic("host_clock_set_ns: %llu is before now (%llu)", target,
		      clock_ns);
	for (;;) {
		u64 next = wheel_next_expiry(&base.wheel);
		if (next == UINT64_MAX || next > target / NSEC_PER_JIFFY ||
		    softirq_depth || bh_disabled)
			break;
		tick_to(MAX(clock_ns, next * NSEC_PER_JIFFY));
	}
	tick_to(target);
}

void host_clock_advance_ns(u64 ns)
{
	host_clock_set_ns(clock_ns + ns);
}

void host_clock_advance_ms(u64 ms)
{
	host_clock_advance_ns(ms * 1000000ULL);
}

void udelay(u64 us)
{
	host_clock_advance_ns(us * 1000);
}

void mdelay(u64 ms)
{
	host_clock_advance_ms(ms);
}

u32 host_timers_pending(void)
{
	return base.wheel.count;
}

void timer_init_cpu(void)
{
	host_init();
}

struct timer_base *timer_base_of(u32 cpu)
{
	BUG_ON(cpu != 0);
	return &base;
}

void kernel_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	host_init();
	timer_setup(t, fn, 0);
	t->cpu = 0;
}

void timer_set_cpu(struct timer_list *t, u32 cpu)
{
	BUG_ON(timer_pending(t));
	BUG_ON(cpu != 0);
	t->cpu = cpu;
}

int mod_timer(struct timer_list *t, u64 expires)
{
	host_init();
	spin_lock(&base.lock);
	int was = wheel_del(&base.wheel, t) ? 1 : 0;
	t->expires = expires;
	wheel_add(&base.wheel, t);
	spin_unlock(&base.lock);
	return was;
}

int del_timer(struct timer_list *t)
{
	host_init();
	spin_lock(&base.lock);
	int was = wheel_del(&base.wheel, t) ? 1 : 0;
	spin_unlock(&base.lock);
	return was;
}

int del_timer_sync(struct timer_list *t)
{
	return del_timer(t); /* one CPU: no callback runs elsewhere */
}

/* ---- pages and slab caches ------------------------------------------ */

static u64 pages_in_use;
static u32 fail_next;
static u64 page_cap;

void *alloc_pages(unsigned order)
{
	host_init();
	if (order >= 11)
		return NULL;
	u64 n = 1ULL << order;
	if (fail_next) {
		fail_next--;
		return NULL;
	}
	if (page_cap && pages_in_use + n > page_cap)
		return NULL;
	void *p = aligned_alloc(PAGE_SIZE << order, PAGE_SIZE << order);
	if (p)
		pages_in_use += n;
	return p;
}

void free_pages(void *p, unsigned order)
{
	if (!p)
		return;
	BUG_ON(pages_in_use < (1ULL << order));
	pages_in_use -= 1ULL << order;
	free(p);
}

void *alloc_page_zeroed(void)
{
	void *p = alloc_pages(0);
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

u64 host_pages_in_use(void)
{
	return pages_in_use;
}

void host_mm_fail_next(u32 n)
{
	fail_next = n;
}

void host_mm_set_page_cap(u64 pages)
{
	page_cap = pages;
}

void mm_get_stats(struct mm_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->total_pages = page_cap;
	s->free_pages = page_cap > pages_in_use ? page_cap - pages_in_use : 0;
}

struct kcache {
	struct kmem_cache cache;
	struct kcache *next;
};

static struct kcache *kcaches;

static void *slab_get_pages(void *ctx, unsigned order)
{
	(void)ctx;
	return alloc_pages(order);
}

static void slab_put_pages(void *ctx, void *p, unsigned order)
{
	(void)ctx;
	free_pages(p, order);
}

static const struct slab_page_ops slab_ops = {
    .alloc_pages = slab_get_pages,
    .free_pages = slab_put_pages,
};

struct kcache *kcache_create(const char *name, size_t size, size_t align)
{
	host_init();
	struct kcache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* Poisoned, so a write after free shows up as a poison error. */
	if (kmem_cache_init(&c->cache, name, size, align, SLAB_POISON,
			    &slab_ops) < 0) {
		free(c);
		return NULL;
	}
	c->next = kcaches;
	kcaches = c;
	return c;
}

void *kcache_alloc(struct kcache *c)
{
	return kmem_cache_alloc(&c->cache);
}

void kcache_free(struct kcache *c, void *obj)
{
	if (kmem_cache_free(&c->cache, obj))
		panic("kcache_free: bad free of %p to '%s'", obj,
		      c->cache.name);
}

void kcache_for_each(void (*fn)(void *ctx, const struct kmem_cache *c),
		     void *ctx)
{
	for (struct kcache *c = kcaches; c; c = c->next)
		fn(ctx, &c->cache);
}

/* ---- CPUs --------------------------------------------------------------- */

u32 this_cpu_id(void)
{
	return 0;
}

u32 online_cpus(void)
{
	return 1;
}

/* One CPU that never halts: the test calls apps_poll() itself. */
void platform_wake_cpu(u32 cpu)
{
	(void)cpu;
}

/* A fixed xorshift stream: tests see the same "random" secrets every run
 * (tcp_secret_set() overrides them where a test needs a known key). */
bool platform_random(void *buf, size_t n)
{
	static u64 state = 0x9e3779b97f4a7c15ull;
	u8 *p = buf;

	for (size_t i = 0; i < n; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		p[i] = (u8)(state >> 32);
	}
	return true;
}

/* ---- the shell ---------------------------------------------------------- */

static u64 key_at_ns;

void shell_write(const char *s, size_t n)
{
	host_init();
	capture_append(&shell_cap, s, n);
	if (verbose)
		fwrite(s, 1, n, stdout);
}

/* Waiting commands: time passes, timers and softirqs run (udelay). */
void shell_wait_us(u64 us)
{
	udelay(us);
}

/* The host console never fills up. */
size_t shell_out_room(void)
{
	return 1u << 20;
}

int shell_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n > 0)
		shell_write(text, (size_t)n);
	free(text);
	return n;
}

/* Lines announced from outside a command (the ready line) join the same
 * capture: the host has no prompt to redraw. */
void shell_announce(const char *text, size_t n)
{
	shell_write(text, n);
}

const char *host_shell_output(void)
{
	return capture_text(&shell_cap);
}

void host_shell_reset(void)
{
	capture_reset(&shell_cap);
}

void host_shell_key_at_ns(u64 ns)
{
	key_at_ns = ns;
}

bool shell_key_pressed(void)
{
	if (key_at_ns && clock_ns >= key_at_ns) {
		key_at_ns = 0;
		return true;
	}
	return false;
}

/*
 * The SHELL_CMD table is the ELF section .shell_cmds. The kernel's linker
 * script brackets it with symbols; on the host we read our own section
 * headers instead (the name starts with a dot, so the linker makes no
 * __start_ symbol), and relocate by the load bias of the executable.
 */
struct cmd_table {
	const struct shell_cmd *start;
	size_t count;
	bool found;
};

static int first_object_bias(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	*(uintptr_t *)ctx = info->dlpi_addr;
	return 1; /* the first object is the executable */
}

static bool elf_find_section(FILE *f, const char *want, Elf64_Shdr *out)
{
	Elf64_Ehdr eh;
	if (fread(&eh, sizeof(eh), 1, f) != 1 || eh.e_shstrndx >= eh.e_shnum)
		return false;
	Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof(*sh));
	bool ok = sh && fseek(f, (long)eh.e_shoff, SEEK_SET) == 0 &&
		  fread(sh, sizeof(*sh), eh.e_shnum, f) == eh.e_shnum;
	char *names = ok ? malloc(sh[eh.e_shstrndx].sh_size + 1) : NULL;
	ok = names &&
	     fseek(f, (long)sh[eh.e_shstrndx].sh_offset, SEEK_SET) == 0 &&
	     fread(names, 1, sh[eh.e_shstrndx].sh_size, f) ==
		 sh[eh.e_shstrndx].sh_size;
	bool found = false;
	for (unsigned i = 0; ok && i < eh.e_shnum && !found; i++) {
		if (sh[i].sh_name < sh[eh.e_shstrndx].sh_size &&
		    strcmp(names + sh[i].sh_name, want) == 0) {
			*out = sh[i];
			found = true;
		}
	}
	free(names);
	free(sh);
	return found;
}

static const struct cmd_table *cmd_table(void)
{
	static struct cmd_table t;
	static bool looked;
	if (looked)
		return &t;
	looked = true;
	FILE *f = fopen("/proc/self/exe", "rb");
	Elf64_Shdr sh;
	if (f && elf_find_section(f, ".shell_cmds", &sh)) {
		uintptr_t bias = 0;
		dl_iterate_phdr(first_object_bias, &bias);
		t.start = (const struct shell_cmd *)(bias + sh.sh_addr);
		t.count = sh.sh_size / sizeof(struct shell_cmd);
		t.found = true;
	}
	if (f)
		fclose(f);
	return &t;
}

static bool cmd_table_usable(void)
{
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
	return false; /* clang pads each entry with a redzone */
#endif
#endif
	return true;
}

const struct shell_cmd *shell_find(const char *name)
{
	const struct cmd_table *t = cmd_table();
	if (!cmd_table_usable())
		return NULL;
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->start[i].name, name) == 0)
			return &t->start[i];
	return NULL;
}

/* Split line into argv (spaces and tabs; no quoting). */
static int split_words(const char *line, char *copy, size_t cap, char **argv)
{
	int argc = 0;
	snprintf(copy, cap, "%s", line);
	for (char *w = strtok(copy, " \t"); w && argc < SHELL_MAX_ARGS;
	     w = strtok(NULL, " \t"))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

/* Run fn like the kernel's shell does, output captured from scratch. */
static int run_captured(const char *name, const char *usage,
			int (*fn)(int, char **), int argc, char **argv)
{
	host_shell_reset();
	int rc = fn(argc, argv);
	if (rc == -EINVAL)
		shell_printf("%s: usage: %s\n", name, usage ? usage : name);
	else if (rc < 0)
		shell_printf("%s: error: %s\n", name, strerror(-rc));
	if (locks_held)
		panic("host shell: '%s' returned with %u lock(s) held", name,
		      locks_held);
	return rc;
}

int host_shell_run(const char *line)
{
	char copy[1024], *argv[SHELL_MAX_ARGS + 1];
	host_init();
	if (!cmd_table_usable())
		return -ENOSYS;
	int argc = split_words(line, copy, sizeof(copy), argv);
	const struct shell_cmd *c = argc ? shell_find(argv[0]) : NULL;
	if (!c) {
		host_shell_reset();
		return -ENOENT;
	}
	return run_captured(c->name, c->usage, c->fn, argc, argv);
}

int host_shell_call(int (*fn)(int argc, char **argv), const char *line)
{
	char copy[1024], *argv[SHELL_MAX_ARGS + 1];
	host_init();
	int argc = split_words(line, copy, sizeof(copy), argv);
	return run_captured(argc ? argv[0] : "?", NULL, fn, argc, argv);
}

/* ---- set-up and panic recovery ------------------------------------------ */

void host_after_panic(void)
{
	locks_held = 0;
	bh_disabled = 0;
	softirq_depth = 0;
}

void host_init(void)
{
	if (inited)
		return;
	inited = true;
	const char *v = getenv("SKIFF_HOST_VERBOSE");
	verbose = v && *v && strcmp(v, "0") != 0;
	spin_lock_init(&base.lock, &timer_base_class);
	wheel_init(&base.wheel, clock_ns / NSEC_PER_JIFFY);
	open_softirq(TIMER_SOFTIRQ, run_timers);
	open_softirq(TASKLET_SOFTIRQ, tasklet_action);
}
