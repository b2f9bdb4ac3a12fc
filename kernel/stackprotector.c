/*
 * stackprotector.c - the per-boot stack canary and the report when one is
 * found overwritten (Linux: boot_init_stack_canary, __stack_chk_fail).
 *
 * The compiler (-fstack-protector-strong) puts __stack_chk_guard between
 * the local arrays of a function and its saved registers and return
 * address, and calls __stack_chk_fail() from the epilogue when the word
 * changed: a linear overrun of a local buffer is caught before the
 * corrupted return address is used.
 */
#include <skiff/ksyms.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/stackprotector.h>

/* Replaced at boot; this value only guards the few frames before that. */
u64 __stack_chk_guard = 0x00f0e1d2c3b4a500ull;
static bool canary_strong;

/*
 * The low byte stays zero (Linux's CANARY_MASK): a string copy that runs
 * over a buffer stops at the canary's NUL instead of reproducing it.
 * platform_random() returns before the guard changes, so its own check
 * still sees the old value.
 */
__no_stack_protector void boot_init_stack_canary(void)
{
	u64 canary = 0;

	canary_strong = platform_random(&canary, sizeof(canary));
	canary &= ~0xffull;
	if (canary == 0)
		canary = 0x5a5a5a5a5a5a5a00ull;
	__stack_chk_guard = canary;
}

void stack_canary_log(void)
{
	pr_info("stackprotector: per-boot canary from %s\n",
		canary_strong ? "RDSEED/RDRAND" : "TSC jitter (weak)");
}

/* Called from the epilogue of the function whose canary is gone: our
 * return address lies inside it (just after its call to us). */
__no_stack_protector __noreturn void __stack_chk_fail(void)
{
	u64 ret = (u64)__builtin_return_address(0);
	u64 off = 0;
	const char *fn = ksym_lookup(ret - 1, &off);

	panic("stack-protector: kernel stack is corrupted in: %s+0x%llx "
	      "(%016llx)",
	      fn ? fn : "?", (unsigned long long)(off + 1),
	      (unsigned long long)ret);
}
