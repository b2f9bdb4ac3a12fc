/*
 * platform.h - the little that net/ needs from the machine beyond the
 * kernel headers it shares (spinlock.h, timer.h, softirq.h, time.h, mm.h,
 * printk.h, shell.h): which CPU it runs on. On the host (unit tests,
 * fuzzers) tests/host/platform.c implements all of these over a fake
 * clock, so net/ builds and runs there unchanged.
 */
#ifndef SKIFF_PLATFORM_H
#define SKIFF_PLATFORM_H

#include <skiff/types.h>

u32 this_cpu_id(void);
u32 online_cpus(void);
/* Make `cpu` run its idle loop again soon (socket readiness for an app on
 * that CPU): from any context, the calling CPU included. */
void platform_wake_cpu(u32 cpu);
/* Fill buf with n unpredictable bytes (secrets: TCP ISN/cookie keys).
 * Kernel: RDSEED, else RDRAND, else TSC jitter (kernel/arch/x86_64/
 * random.c); returns false when only the weak fallback was available.
 * Host: a deterministic stream (tests/host/platform.c). */
bool platform_random(void *buf, size_t n);

#endif
