/*
 * time.c - the TSC as the clock of record.
 *
 * time_init calibrates the TSC against the HPET main counter (period in
 * femtoseconds from its capabilities register) or, without an HPET, the
 * ACPI PM timer (3.579545 MHz); CPUID leaf 0x15 is the last resort.
 * Like Linux's tsc_refine_calibration_work, the first calibration is
 * quick (1 ms, good to about 100 ppm) and time_refine, called once the
 * rest of the boot has run, measures again over the whole stretch since
 * (at least CALIBRATE_MS): the boot no longer waits 10 ms for its clock,
 * and the result is as good or better. The clock stays continuous across
 * the change; readers see mult and base together through a sequence count.
 * ktime_get_ns = (rdtsc - tsc_at_entry) * mult >> 32, in 128-bit arithmetic
 * so it never overflows. tsc_at_entry is read first thing in kmain
 * (time_mark_entry), so uptime and log timestamps count from kernel entry,
 * calibration and memory setup included.
 */
#include <skiff/time.h>
#include <skiff/acpi.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <asm/cpu.h>
#include <asm/paging.h>

#define HPET_CAP 0x000
#define HPET_CONFIG 0x010
#define HPET_COUNTER 0x0f0
#define PM_TIMER_HZ 3579545ULL
#define CALIBRATE_MS 10 /* HPET (10+ MHz): under 10 ppm; PM timer: ~30 ppm */
#define CALIBRATE_QUICK_MS 1 /* at time_init; refined later */

u64 tsc_khz;
u64 boot_epoch_sec;
static u64 tsc_base;
static u64 ns_mult;   /* ns per TSC tick, 32.32 fixed point */
static u32 clock_seq; /* odd while time_refine changes mult and base */
static const char *source = "none";

/* Where the quick calibration started, for time_refine. */
static struct {
	u64 (*read_ref)(void *);
	void *ctx;
	u64 ref_hz, mask;
	u64 ref0, tsc0;
} cal;

void time_mark_entry(void)
{
	tsc_base = rdtsc();
}

u64 ktime_get_ns(void)
{
	u32 seq;
	u64 ns;
	do {
		seq = __atomic_load_n(&clock_seq, __ATOMIC_ACQUIRE);
		u64 mult = READ_ONCE(ns_mult), cycles = rdtsc() - tsc_base;
		ns = (u64)(((unsigned __int128)cycles * mult) >> 32);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != READ_ONCE(clock_seq));
	return ns;
}

/* TSC ticks during `ms` of a reference counter read by read_ref(). */
static u64 measure(u64 (*read_ref)(void *), void *ctx, u64 ref_hz, u64 mask,
		   u64 ms)
{
	u64 want = ref_hz * ms / 1000;
	u64 r0 = read_ref(ctx), t0 = rdtsc(), elapsed = 0, t1 = t0;
	cal = (typeof(cal)){read_ref, ctx, ref_hz, mask, r0, t0};
	while (elapsed < want) {
		elapsed = (read_ref(ctx) - r0) & mask;
		t1 = rdtsc();
	}
	/* Scale by the reference time that actually passed. */
	return (t1 - t0) * ref_hz / elapsed / 1000; /* kHz */
}

static u64 hpet_read(void *ctx)
{
	return *(volatile u64 *)((u8 *)ctx + HPET_COUNTER);
}

static u64 pmtimer_read(void *ctx)
{
	return inl(acpi.pm_timer_port);
}

static u64 calibrate_hpet(void)
{
	u8 *h = ioremap(acpi.hpet_addr, 1024);
	u64 cap = *(volatile u64 *)(h + HPET_CAP);
	u64 period_fs = cap >> 32;
	if (period_fs == 0 || period_fs > 100000000ULL)
		return 0;
	*(volatile u64 *)(h + HPET_CONFIG) |= 1; /* ENABLE_CNF */
	u64 hz = 1000000000000000ULL / period_fs;
	source = "HPET";
	return measure(hpet_read, h, hz, ~0ULL, CALIBRATE_QUICK_MS);
}

static u64 calibrate_pmtimer(void)
{
	u64 mask = acpi.pm_timer_32bit ? 0xffffffffULL : 0xffffffULL;
	source = "ACPI PM timer";
	return measure(pmtimer_read, NULL, PM_TIMER_HZ, mask,
		       CALIBRATE_QUICK_MS);
}

static u64 calibrate_cpuid(void)
{
	u32 a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 0x15)
		return 0;
	cpuid(0x15, 0, &a, &b, &c, &d);
	if (!a || !b || !c)
		return 0;
	source = "CPUID 0x15";
	return (u64)c * b / a / 1000;
}

static bool tsc_invariant(void)
{
	u32 a, b, c, d;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000007)
		return false;
	cpuid(0x80000007, 0, &a, &b, &c, &d);
	return d & (1u << 8);
}

void time_init(void)
{
	u64 khz = 0;
	if (acpi.hpet_addr)
		khz = calibrate_hpet();
	if (!khz && acpi.pm_timer_port)
		khz = calibrate_pmtimer();
	if (!khz)
		khz = calibrate_cpuid();
	if (!khz)
		panic(
		    "time_init: no HPET, PM timer or CPUID clock to calibrate "
		    "the TSC");
	tsc_khz = khz;
	if (!tsc_base)
		tsc_base = rdtsc();
	ns_mult = (1000000ULL << 32) / khz;
	pr_info("time: TSC %llu.%03llu MHz, calibrated against the %s, "
		"invariant %s\n",
		(unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000), source,
		tsc_invariant() ? "yes" : "no");
}

/* Measure the TSC again over everything since the quick calibration (at
 * least CALIBRATE_MS of the reference clock) and switch to that rate,
 * keeping ktime_get_ns continuous. Once, at the end of the boot; a no-op
 * without a reference clock (CPUID 0x15 is exact). */
void time_refine(void)
{
	if (!cal.read_ref)
		return;
	u64 want = cal.ref_hz * CALIBRATE_MS / 1000, elapsed = 0, t1;
	do {
		elapsed = (cal.read_ref(cal.ctx) - cal.ref0) & cal.mask;
		t1 = rdtsc();
	} while (elapsed < want);
	u64 khz = (u64)((unsigned __int128)(t1 - cal.tsc0) * cal.ref_hz /
			elapsed / 1000);
	u64 mult = (1000000ULL << 32) / khz;
	unsigned long flags = local_irq_save();
	u64 now = rdtsc(), ns = ktime_get_ns();
	__atomic_fetch_add(&clock_seq, 1, __ATOMIC_ACQ_REL);
	tsc_base = now - (u64)(((unsigned __int128)ns << 32) / mult);
	WRITE_ONCE(ns_mult, mult);
	tsc_khz = khz;
	__atomic_fetch_add(&clock_seq, 1, __ATOMIC_ACQ_REL);
	local_irq_restore(flags);
	cal.read_ref = NULL;
	pr_info("time: TSC %llu.%03llu MHz, refined over %llu ms against the "
		"%s\n",
		(unsigned long long)(khz / 1000),
		(unsigned long long)(khz % 1000),
		(unsigned long long)(elapsed * 1000 / cal.ref_hz), source);
}

const char *time_source_name(void)
{
	return source;
}

void udelay(u64 us)
{
	if (!tsc_khz) { /* before calibration: roughly, with port 0x80 */
		for (u64 i = 0; i < us; i++)
			inb(0x80);
		return;
	}
	u64 end = rdtsc() + us * tsc_khz / 1000;
	while (rdtsc() < end)
		cpu_relax();
}

void mdelay(u64 ms)
{
	udelay(ms * 1000);
}
