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

#endif
