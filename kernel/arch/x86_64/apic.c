/*
 * apic.c - local APIC and I/O APIC (Intel SDM vol. 3 ch. 11; 82093AA).
 *
 * xAPIC registers are 16-byte-spaced MMIO; in x2APIC mode register
 * offset R is MSR 0x800 + R/16 and the ICR is one 64-bit MSR.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <skiff/acpi.h>
#include <skiff/irq.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define ICR_PENDING (1u << 12)

static volatile u32 *lapic_mmio;
static bool x2apic;
static bool tsc_deadline;
static u64 lapic_ticks_per_ms;
static u64 tsc_per_tick;
static u32 tick_hz;

bool lapic_x2apic(void)
{
	return x2apic;
}

static u32 lapic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return lapic_mmio[reg / 4];
}

static void lapic_write(u32 reg, u32 v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		lapic_mmio[reg / 4] = v;
}

void lapic_init_boot(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	x2apic = c & (1u << 21);
	tsc_deadline = c & (1u << 24);
	if (!x2apic) {
		u64 base = acpi.lapic_addr ? acpi.lapic_addr : 0xfee00000;
		lapic_mmio = ioremap(base, PAGE_SIZE);
	}
}

void lapic_init_cpu(void)
{
	u64 base = rdmsr(MSR_APIC_BASE) | (1ULL << 11); /* global enable */
	if (x2apic)
		base |= 1ULL << 10;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, 0x100 | VECTOR_SPURIOUS); /* software enable */
}

u32 lapic_id(void)
{
	u32 id = lapic_read(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_send_ipi(u32 apic_id, u32 icr_low)
{
	if (x2apic) {
		wrmsr(0x830, ((u64)apic_id << 32) | icr_low);
		return;
	}
	unsigned long flags = local_irq_save();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_low);
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	local_irq_restore(flags);
}

/* INIT, 10 ms, SIPI, 200 us, SIPI (SDM 8.4.4.1). */
void lapic_send_init_sipi(u32 apic_id, u8 page)
{
	lapic_send_ipi(apic_id, 0x4500); /* INIT, level assert */
	mdelay(10);
	for (int i = 0; i < 2; i++) {
		lapic_send_ipi(apic_id, 0x4600 | page); /* STARTUP */
		udelay(200);
	}
}

/* Count LAPIC timer ticks (divide by 16) over LAPIC_CALIB_MS of TSC
 * time (already calibrated against the HPET). 2 ms count some 10^5
 * ticks at QEMU's 1 GHz bus: the tick rate is good to 0.1 %, and the
 * boot is 8 ms shorter than with 10 ms. */
#define LAPIC_CALIB_MS 2
void lapic_timer_calibrate(void)
{
	if (tsc_deadline)
		return;
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	mdelay(LAPIC_CALIB_MS);
	u32 left = lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_ticks_per_ms = (0xffffffffu - left) / LAPIC_CALIB_MS;
}

void lapic_timer_start(u32 hz)
{
	tick_hz = hz;
	if (tsc_deadline) {
		tsc_per_tick = tsc_khz * 1000 / hz;
		lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_TSC_DEADLINE);
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_tick);
		return;
	}
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, (u32)(lapic_ticks_per_ms * 1000 / hz));
}

void lapic_timer_tick(void)
{
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_tick);
}

bool lapic_timer_can_stop(void)
{
	return tsc_deadline ? tsc_per_tick != 0 : lapic_ticks_per_ms && tick_hz;
}

/*
 * One interrupt, delta_ns from now, and none after it until the tick is
 * restarted: a TSC deadline, or the LAPIC timer in one-shot mode (SDM
 * 10.5.4; writing the initial count starts the count-down). delta_ns is
 * at most a few seconds, so delta_ns times either rate fits in 64 bits.
 * The LAPIC timer's rate comes from a 2 ms calibration (a few per cent
 * off under emulation), so it is set to fire an eighth early: the tick
 * then runs again and the timer fires at its first tick after it is due,
 * never late by more than a tick. A TSC deadline is exact.
 */
void lapic_timer_stop_tick(u64 delta_ns)
{
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + delta_ns * tsc_khz / 1000000);
		return;
	}
	u64 count = (delta_ns - delta_ns / 8) * lapic_ticks_per_ms / 1000000;
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER); /* one-shot */
	lapic_write(LAPIC_TIMER_INIT,
		    (u32)MAX(1, MIN(count, (u64)0xffffffffu)));
}

void lapic_timer_restart_tick(void)
{
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + tsc_per_tick);
		return;
	}
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT,
		    (u32)(lapic_ticks_per_ms * 1000 / tick_hz));
}

const char *lapic_timer_mode(void)
{
	return tsc_deadline ? "TSC-deadline" : "LAPIC periodic";
}

/* ---- I/O APIC ----------------------------------------------------------- */

struct ioapic {
	volatile u32 *mmio;
	u32 gsi_base, nlines;
};
static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static u32 nioapics;
static DEFINE_SPINLOCK(ioapic_lock, "ioapic");

static u32 ioapic_read(struct ioapic *io, u32 reg)
{
	io->mmio[0] = reg;  /* IOREGSEL */
	return io->mmio[4]; /* IOWIN at +0x10 */
}

static void ioapic_write(struct ioapic *io, u32 reg, u32 v)
{
	io->mmio[0] = reg;
	io->mmio[4] = v;
}

void pic_disable(void)
{
	/* Remap the 8259s to vectors 32-47, then mask every line. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 32);
	outb(0xa1, 40);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void ioapic_init(void)
{
	for (u32 i = 0; i < acpi.nioapics; i++) {
		struct ioapic *io = &ioapics[nioapics++];
		io->mmio = ioremap(acpi.ioapics[i].address, PAGE_SIZE);
		io->gsi_base = acpi.ioapics[i].gsi_base;
		io->nlines = ((ioapic_read(io, 1) >> 16) & 0xff) + 1;
		for (u32 l = 0; l < io->nlines; l++)
			ioapic_write(io, 0x10 + 2 * l, LVT_MASKED);
		pr_info("ioapic: id %u at %#x, GSI %u-%u\n", acpi.ioapics[i].id,
			acpi.ioapics[i].address, io->gsi_base,
			io->gsi_base + io->nlines - 1);
	}
}

int ioapic_route(u32 gsi, u8 vector, u32 apic_id, u16 flags)
{
	for (u32 i = 0; i < nioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi < io->gsi_base || gsi >= io->gsi_base + io->nlines)
			continue;
		u32 line = gsi - io->gsi_base;
		u32 lo = vector;
		if ((flags & 3) == 3)
			lo |= 1u << 13; /* active low */
		if (((flags >> 2) & 3) == 3)
			lo |= 1u << 15; /* level triggered */
		unsigned long f = spin_lock_irqsave(&ioapic_lock);
		ioapic_write(io, 0x11 + 2 * line, apic_id << 24);
		ioapic_write(io, 0x10 + 2 * line, lo);
		spin_unlock_irqrestore(&ioapic_lock, f);
		return 0;
	}
	return -1;
}
