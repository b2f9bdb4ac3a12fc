/*
 * panic.c - panic() and the report every fatal path shares.
 */
#include <skiff/panic.h>
#include <skiff/printk.h>
#include <skiff/console.h>
#include <skiff/percpu.h>
#include <skiff/power.h>
#include <skiff/smp.h>
#include <skiff/time.h>
#include <asm/cpu.h>
#include <asm/trap.h>
#include <stdarg.h>
#include <stdio.h>

bool panic_reboot;
static s32 panic_cpu = -1;
extern bool percpu_ready;

bool panic_in_progress(void)
{
	return READ_ONCE(panic_cpu) >= 0;
}

__noreturn void panic_stop_this_cpu(void)
{
	local_irq_disable();
	for (;;)
		__asm__ __volatile__("hlt");
}

void panic_begin(void)
{
	local_irq_disable();
	s32 me = percpu_ready ? (s32)this_cpu()->id : 0;
	s32 expect = -1;
	if (!__atomic_compare_exchange_n(&panic_cpu, &expect, me, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (expect != me)
			panic_stop_this_cpu(); /* someone else reports */
		panic_printf("\n*** nested panic on cpu %d\n", me);
		panic_stop_this_cpu();
	}
	if (percpu_ready)
		smp_stop_others();
}

void panic_printf(const char *fmt, ...)
{
	static char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0)
		console_write_polled(buf, (size_t)n);
}

static void print_last_log(void *ctx, const char *text, size_t len, int level)
{
	panic_printf("  | %.*s", (int)len, text);
}

__noreturn void panic_end(const char *what)
{
	panic_printf("Last log lines:\n");
	log_for_each(LOG_DEBUG, 8, print_last_log, NULL);
	panic_printf("---[ end Kernel panic: %s ]---\n", what);
	if (panic_reboot) {
		panic_printf("panic=reboot: resetting in 1 s\n");
		mdelay(1000);
		machine_reboot();
	}
	panic_printf("System halted.\n");
	panic_stop_this_cpu();
}

void panic(const char *fmt, ...)
{
	static char msg[256];
	va_list ap;
	panic_begin();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	panic_printf("\n*** Kernel panic on cpu %u: %s\n",
		     percpu_ready ? this_cpu()->id : 0, msg);
	u64 rbp;
	__asm__ __volatile__("mov %%rbp, %0" : "=r"(rbp));
	backtrace_from(0, rbp, 24); /* from panic's caller up */
	panic_end(msg);
}
