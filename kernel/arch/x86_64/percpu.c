/*
 * percpu.c - one struct cpu per processor, reached through GS base.
 */
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/platform.h>
#include <skiff/softirq.h>
#include <asm/cpu.h>
#include <stdlib.h>

struct cpu *cpus[NR_CPUS];
u32 nr_cpus_online;
u32 nr_cpus_possible = 1;
bool percpu_ready;

static struct cpu boot_cpu;
static struct lock_class call_lock_class = {.name = "call_queue"};

void percpu_load(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (u64)c);
}

void percpu_init_boot(void)
{
	boot_cpu.id = 0;
	INIT_LIST_HEAD(&boot_cpu.call_queue);
	spin_lock_init(&boot_cpu.call_lock, &call_lock_class);
	cpus[0] = &boot_cpu;
	percpu_load(&boot_cpu);
	percpu_ready = true;
}

struct cpu *percpu_alloc(u32 id, u32 apic_id)
{
	struct cpu *c = calloc(1, sizeof(*c));
	if (!c)
		panic("percpu_alloc: out of memory for cpu %u", id);
	c->id = id;
	c->apic_id = apic_id;
	INIT_LIST_HEAD(&c->call_queue);
	spin_lock_init(&c->call_lock, &call_lock_class);
	cpus[id] = c;
	return c;
}

u32 this_cpu_id(void)
{
	return percpu_ready ? this_cpu()->id : 0;
}

u32 online_cpus(void)
{
	return nr_cpus_online ? nr_cpus_online : 1;
}

/*
 * A pending softirq bit keeps cpu_idle_loop from halting and, for another
 * CPU, raise_softirq_on sends VECTOR_RESCHED to wake it from hlt. A bare
 * IPI to ourselves would be lost if it arrived between apps_poll and the
 * idle loop's hlt; the pending bit is checked there with interrupts off.
 * TASKLET_SOFTIRQ with no tasklet queued does nothing.
 */
void platform_wake_cpu(u32 cpu)
{
	if (cpu < NR_CPUS && cpus[cpu])
		raise_softirq_on(cpu, TASKLET_SOFTIRQ);
}
