/*
 * crash.c - the `crash` command: deliberate failures, so the reports an
 * operator would see (panic, exception, stack overflow, lock misuse) can
 * be tested like any other feature (Linux's sysrq-c, in more flavours).
 */
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/ubsan.h>
#include <limits.h>
#include <asm/cpu.h>
#include <errno.h>
#include <string.h>

static DEFINE_SPINLOCK(crash_lock, "crash_test");

static __attribute__((noinline)) void crash_panic(void)
{
	panic("crash: deliberate panic from the console");
}

static __attribute__((noinline)) void crash_null(void)
{
	volatile u64 *p = NULL;
	*p = 0x5afe; /* page 0 is never mapped */
}

/* Recurse with a frame the compiler cannot drop until the guard page. The
 * limit is never reached (a stack is far smaller); it keeps the recursion
 * finite as far as the compiler can tell. */
static volatile u64 crash_depth_limit = ~0ULL;

static __attribute__((noinline)) u64 crash_recurse(u64 depth)
{
	volatile u8 pad[512];
	pad[0] = (u8)depth;
	if (depth >= crash_depth_limit)
		return pad[0];
	return crash_recurse(depth + 1) + pad[0];
}

static __attribute__((noinline)) void crash_lock_twice(void)
{
	spin_lock(&crash_lock);
	spin_lock(&crash_lock); /* recursion: the debug check panics */
}

static __attribute__((noinline)) void crash_foreign_unlock(void)
{
	spin_unlock(&crash_lock); /* nobody holds it */
}

static __attribute__((noinline)) void crash_wait_locked(void)
{
	spin_lock(&crash_lock);
	might_sleep("crash_wait_locked");
}

/* Stuck in a softirq (interrupts on) for 12 s: the soft-lockup report. */
static void crash_spin_softirq(void)
{
	mdelay(12000);
}

static __attribute__((noinline)) void crash_softlockup(void)
{
	open_softirq(TEST_SOFTIRQ, crash_spin_softirq);
	raise_softirq(TEST_SOFTIRQ);
	do_softirq();
}

/* Interrupts off for 14 s: another CPU's NMI shows where this one is. The
 * watchdog reports after 10 s of no tick, plus up to a second until the
 * watcher's own (perhaps tickless) wakeup; 14 s leaves room for a busy
 * host that delays the watcher's vCPU. */
static __attribute__((noinline)) void crash_hardlockup(void)
{
	unsigned long flags = local_irq_save();
	mdelay(14000);
	local_irq_restore(flags);
}

/* A length bug: 32 bytes into a 16-byte local array. The canary between
 * the array and the saved registers changes, and the epilogue's check
 * calls __stack_chk_fail before the return address is used. */
static volatile size_t crash_smash_len = 32;

static __attribute__((noinline)) void crash_stack_smash(void)
{
	char buf[16];

	memset(buf, 0x41, crash_smash_len);
	__asm__ __volatile__("" : : "r"(buf) : "memory"); /* keep the stores */
}

/* Undefined behaviour that the UBSan runtime reports and survives (this
 * file is always built with -fsanitize=signed-integer-overflow,shift,
 * bounds): one console line each, then the command returns. */
static volatile int crash_ub_int = INT_MAX;
static volatile int crash_ub_shift = 40;
static volatile int crash_ub_index = 8;
static int crash_ub_array[8];

static __attribute__((noinline)) void crash_ubsan(void)
{
	u32 before = ubsan_count();
	int sum = crash_ub_int + 1;
	int shifted = 1 << crash_ub_shift;
	int elem = crash_ub_array[crash_ub_index];

	printk(LOG_INFO, "crash: ubsan: %d %d %d, %u new findings\n", sum,
	       shifted, elem, ubsan_count() - before);
}

struct crash_kind {
	const char *name;
	void (*fn)(void);
};

static void crash_overflow(void)
{
	crash_recurse(0);
}

static const struct crash_kind kinds[] = {
    {"panic", crash_panic},
    {"null", crash_null},
    {"overflow", crash_overflow},
    {"lock-recursion", crash_lock_twice},
    {"lock-unowned", crash_foreign_unlock},
    {"lock-wait", crash_wait_locked},
    {"softlockup", crash_softlockup},
    {"hardlockup", crash_hardlockup},
    {"stack-smash", crash_stack_smash},
    {"ubsan", crash_ubsan},
};

static int cmd_crash(int argc, char **argv)
{
	if (argc != 2)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(argv[1], kinds[i].name) == 0) {
			kinds[i].fn();
			return 0; /* reached only by the survivable kinds */
		}
	}
	return -EINVAL;
}
SHELL_CMD("crash", cmd_crash,
	  "crash panic|null|overflow|lock-recursion|lock-unowned|lock-wait|"
	  "softlockup|hardlockup|stack-smash|ubsan",
	  "fail on purpose, to see (and test) the crash or lockup report");
