/*
 * time.h - clocks. The TSC, calibrated at boot against the HPET or the
 * ACPI PM timer, gives a monotonic nanosecond clock shared by all CPUs.
 * jiffies count timer-wheel ticks (HZ per second) derived from it.
 */
#ifndef SKIFF_TIME_H
#define SKIFF_TIME_H

#include <skiff/types.h>

#define HZ 1000
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_JIFFY (NSEC_PER_SEC / HZ)

extern u64 tsc_khz;	   /* TSC ticks per millisecond */
extern u64 boot_epoch_sec; /* wall clock at boot, from UEFI, or 0 */

void time_mark_entry(void); /* first thing in kmain: uptime's zero */
void time_init(void);	    /* a quick calibration: the clock runs */
void time_refine(void);	    /* once, late in the boot: the precise rate */
u64 ktime_get_ns(void);	    /* since boot; 0 before time_init */
static inline u64 get_jiffies(void)
{
	extern u64 ktime_get_ns(void);
	return ktime_get_ns() / NSEC_PER_JIFFY;
}
static inline u64 msecs_to_jiffies(u64 ms)
{
	return DIV_ROUND_UP(ms * HZ, 1000);
}
void udelay(u64 us);
void mdelay(u64 ms);
const char *time_source_name(void);

#endif
