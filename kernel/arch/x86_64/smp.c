/*
 * smp.c - secondary CPUs: start-up, cross-CPU calls, stopping, idling.
 *
 * smp_init -> copy the trampoline below 1 MiB -> for each MADT CPU:
 *   percpu_alloc, stack with a guard page, INIT-SIPI-SIPI, wait for online
 * ap_entry (on the new CPU) -> GDT/TSS/IDT, kernel CR3, GS, LAPIC, timer
 *   wheel, tick -> cpu_idle_loop
 */
#include <skiff/smp.h>
#include <skiff/acpi.h>
#include <skiff/boot_info.h>
#include <skiff/irq.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>
#include <skiff/net/socket.h>
#include <skiff/netdevice.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <asm/trap.h>
#include <stdlib.h>
#include <string.h>

#define AP_STACK_SIZE (32 * 1024)
#define IST_STACK_SIZE (16 * 1024)

struct tramp_data {
	u16 gdt_limit;
	u32 gdt_base;
	u16 pad0;
	u32 far32_off;
	u16 far32_sel, pad1;
	u32 far64_off;
	u16 far64_sel, pad2;
	u64 cr3, stack, cpu, entry;
} __packed;

extern char trampoline_start[], trampoline_end[], trampoline_data[];
extern const u64 tramp_offsets[4]; /* gdt, pm32, lm64, data */

struct call_data {
	void (*fn)(void *);
	void *arg;
	u32 pending;
};

struct call_node {
	struct list_head link;
	struct call_data *data;
};

static __noreturn void ap_entry(struct cpu *c);

static void cpu_setup_tables(struct cpu *c)
{
	extern size_t gdt_tss_size(void);
	if (c->id != 0) {
		c->tss = calloc(1, gdt_tss_size());
		c->gdt = calloc(5, sizeof(u64));
		if (!c->tss || !c->gdt)
			panic("cpu_setup_tables: out of memory");
	}
	gdt_init_cpu(c, vmap_stack(IST_STACK_SIZE), vmap_stack(IST_STACK_SIZE),
		     vmap_stack(IST_STACK_SIZE));
}

/* Give the boot CPU IST stacks with guard pages, now that vmap works. */
void smp_setup_boot_cpu(void)
{
	struct cpu *c = cpus[0];
	c->apic_id = lapic_id();
	cpu_setup_tables(c);
	c->online = true;
	nr_cpus_online = 1;
}

static struct tramp_data *trampoline_install(u64 phys)
{
	memcpy((void *)phys, trampoline_start,
	       trampoline_end - trampoline_start);
	/* A PML4 below 4 GiB for the 32-bit CR3 load: a copy of the kernel's.
	 */
	memcpy((void *)(phys + PAGE_SIZE), (void *)kernel_cr3(), PAGE_SIZE);
	struct tramp_data *d = (void *)(phys + tramp_offsets[3]);
	d->gdt_base = (u32)(phys + tramp_offsets[0]);
	d->far32_off = (u32)(phys + tramp_offsets[1]);
	d->far64_off = (u32)(phys + tramp_offsets[2]);
	d->cr3 = phys + PAGE_SIZE;
	d->entry = (u64)ap_entry;
	return d;
}

static bool start_cpu(struct tramp_data *d, u64 tramp, u32 id, u32 apic_id)
{
	struct cpu *c = percpu_alloc(id, apic_id);
	c->stack_top = vmap_stack(AP_STACK_SIZE);
	d->stack = (u64)c->stack_top;
	d->cpu = (u64)c;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_send_init_sipi(apic_id, (u8)(tramp >> PAGE_SHIFT));
	for (int ms = 0; ms < 500; ms++) {
		if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
			return true;
		mdelay(1);
	}
	pr_err("smp: cpu %u (APIC %u) did not start\n", id, apic_id);
	cpus[id] = NULL;
	return false;
}

void smp_init(const struct boot_info *bi, u32 max_cpus)
{
	u32 want = acpi.ncpus ? acpi.ncpus : 1;
	if (max_cpus && max_cpus < want)
		want = max_cpus;
	if (want > NR_CPUS)
		want = NR_CPUS;
	nr_cpus_possible = want;
	if (want > 1 && !bi->trampoline) {
		pr_warn("smp: no trampoline page below 1 MiB; one CPU only\n");
		return;
	}
	struct tramp_data *d =
	    want > 1 ? trampoline_install(bi->trampoline) : NULL;
	u32 next_id = 1;
	for (u32 i = 0; i < acpi.ncpus && next_id < want; i++) {
		u32 apic = acpi.cpu_apic_ids[i];
		if (apic == cpus[0]->apic_id)
			continue;
		if (start_cpu(d, bi->trampoline, next_id, apic))
			next_id++;
	}
	pr_info("smp: %u of %u CPUs online (%s)\n", nr_cpus_online, acpi.ncpus,
		lapic_x2apic() ? "x2APIC" : "xAPIC");
}

static __noreturn void ap_entry(struct cpu *c)
{
	write_cr3(kernel_cr3());
	percpu_load(c);
	paging_init_ap();
	idt_load();
	cpu_setup_tables(c);
	lapic_init_cpu();
	timer_init_cpu();
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	lapic_timer_start(HZ);
	cpu_idle_loop(NULL);
}

/* ---- IPIs and cross-CPU calls ------------------------------------------ */

void smp_send_ipi(u32 cpu, u8 vector)
{
	if (cpus[cpu])
		lapic_send_ipi(cpus[cpu]->apic_id, vector);
}

static void call_ipi(void *unused)
{
	struct cpu *c = this_cpu();
	for (;;) {
		spin_lock(&c->call_lock);
		struct call_node *n = NULL;
		if (!list_empty(&c->call_queue)) {
			n = list_first_entry(&c->call_queue, struct call_node,
					     link);
			list_del(&n->link);
		}
		spin_unlock(&c->call_lock);
		if (!n)
			return;
		struct call_data *d = n->data;
		d->fn(d->arg);
		__atomic_fetch_sub(&d->pending, 1, __ATOMIC_RELEASE);
	}
}

/* Queue fn on every other online CPU and kick them; returns how many. */
static u32 call_start(struct call_data *d, struct call_node *nodes)
{
	u32 me = smp_processor_id(), n = 0;
	for (u32 i = 0; i < NR_CPUS; i++) {
		struct cpu *c = cpus[i];
		if (!c || i == me || !READ_ONCE(c->online))
			continue;
		nodes[i].data = d;
		__atomic_fetch_add(&d->pending, 1, __ATOMIC_RELAXED);
		unsigned long flags = spin_lock_irqsave(&c->call_lock);
		list_add_tail(&nodes[i].link, &c->call_queue);
		spin_unlock_irqrestore(&c->call_lock, flags);
		smp_send_ipi(i, VECTOR_CALL_FUNC);
		n++;
	}
	return n;
}

static void call_wait(struct call_data *d)
{
	while (__atomic_load_n(&d->pending, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void smp_call_function(void (*fn)(void *), void *arg)
{
	struct call_node nodes[NR_CPUS];
	struct call_data d = {.fn = fn, .arg = arg};
	call_start(&d, nodes);
	call_wait(&d);
}

/* The others start first, so all CPUs run fn at the same time. */
void on_each_cpu(void (*fn)(void *), void *arg)
{
	struct call_node nodes[NR_CPUS];
	struct call_data d = {.fn = fn, .arg = arg};
	call_start(&d, nodes);
	unsigned long flags = local_irq_save();
	fn(arg);
	local_irq_restore(flags);
	call_wait(&d);
}

bool cpus_stopping;

void smp_stop_others(void)
{
	__atomic_store_n(&cpus_stopping, true, __ATOMIC_RELEASE);
	if (nr_cpus_online > 1)
		lapic_send_ipi(0, 0x400 | (3u << 18)); /* NMI, all but self */
}

static void resched_ipi(void *unused)
{
	/* Nothing to do: the interrupt itself woke the CPU from hlt. */
}

void smp_ipi_init(void)
{
	irq_set_handler(VECTOR_CALL_FUNC, call_ipi, NULL, "call-function");
	irq_set_handler(VECTOR_RESCHED, resched_ipi, NULL, "resched");
}

/* ---- idle -------------------------------------------------------------- */

/*
 * Instead of halting while a NIC's napi is parked (net.busy_poll_us after
 * its last frame; net/dev.c): spin on its descriptor memory until a frame
 * is there (NET_RX raised), its window ends, or other work turns up (an
 * interrupt's softirq, a woken app). Softirqs stay off meanwhile so the
 * busy list holds still; the time counts as busy. Returns true if it
 * spun, false if nothing was parked (halt).
 */
bool idle_busy_poll(struct cpu *c)
{
	if (!napi_busy_parked())
		return false;
	u64 t0 = ktime_get_ns(), now = t0;
	local_bh_disable();
	while (!READ_ONCE(c->softirq_pending) && !apps_pending() &&
	       napi_busy_parked() && !napi_busy_loop_once(now)) {
		cpu_relax();
		now = ktime_get_ns();
	}
	c->busy_ns += ktime_get_ns() - t0;
	local_bh_enable(); /* runs what was raised */
	return true;
}

__noreturn void cpu_idle_loop(bool (*poll)(void))
{
	struct cpu *c = this_cpu();
	local_irq_enable();
	for (;;) {
		u64 t0 = ktime_get_ns();
		do_softirq();
		u64 ta = ktime_get_ns();
		apps_poll();
		c->app_ns += ktime_get_ns() - ta;
		bool keep_tick = poll && poll(); /* idle work left */
		u64 t1 = ktime_get_ns();
		c->busy_ns += t1 - t0;
		might_sleep("cpu_idle_loop"); /* a lock held here is a leak */
		if (idle_busy_poll(c))
			continue;
		local_irq_disable();
		if (!c->softirq_pending && !apps_pending()) {
			if (!keep_tick)
				tick_nohz_idle_enter(c, 0);
			c->halted = true;
			safe_halt(); /* sti; hlt: returns after an interrupt */
			c->halted = false;
			tick_nohz_idle_exit(c);
			c->idle_ns += ktime_get_ns() - t1;
		} else {
			local_irq_enable();
		}
	}
}
