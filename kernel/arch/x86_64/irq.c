/*
 * irq.c - the vector table: who handles which vector, allocation of
 * vectors for IOAPIC lines and MSI, and irq_enter/irq_exit accounting.
 */
#include <skiff/irq.h>
#include <skiff/acpi.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <asm/apic.h>
#include <errno.h>

struct vector_desc {
	irq_handler_t fn;
	void *arg;
	const char *name;
};

static struct vector_desc vectors[NR_VECTORS];
static DEFINE_SPINLOCK(vector_lock, "vectors");
static u64 unexpected;

void irq_set_handler(int vector, irq_handler_t fn, void *arg, const char *name)
{
	vectors[vector].arg = arg;
	vectors[vector].name = name;
	__atomic_store_n(&vectors[vector].fn, fn, __ATOMIC_RELEASE);
}

int irq_alloc_vector(irq_handler_t fn, void *arg, const char *name)
{
	int found = -ENOSPC;
	unsigned long flags = spin_lock_irqsave(&vector_lock);
	for (int v = IRQ_VECTOR_FIRST; v < VECTOR_CALL_FUNC; v++) {
		if (!vectors[v].fn) {
			irq_set_handler(v, fn, arg, name);
			found = v;
			break;
		}
	}
	spin_unlock_irqrestore(&vector_lock, flags);
	return found;
}

int irq_request_isa(unsigned isa_irq, irq_handler_t fn, void *arg,
		    const char *name)
{
	u16 flags;
	u32 gsi = acpi_isa_to_gsi((u8)isa_irq, &flags);
	int v = irq_alloc_vector(fn, arg, name);
	if (v < 0)
		return v;
	if (ioapic_route(gsi, (u8)v, cpus[0]->apic_id, flags) < 0) {
		irq_set_handler(v, NULL, NULL, NULL);
		return -ENODEV;
	}
	pr_info("irq: ISA %u -> GSI %u -> vector %d (%s)\n", isa_irq, gsi, v,
		name);
	return v;
}

void irq_msi_message(int vector, u32 cpu, u64 *addr, u32 *data)
{
	*addr = 0xfee00000ULL | ((u64)(cpus[cpu]->apic_id & 0xff) << 12);
	*data = (u32)vector; /* fixed delivery, edge */
}

u64 irq_unexpected_count(void)
{
	return READ_ONCE(unexpected);
}

const char *irq_name(int vector)
{
	return vectors[vector].name;
}

void irq_dispatch(int vector)
{
	irq_handler_t fn =
	    __atomic_load_n(&vectors[vector].fn, __ATOMIC_ACQUIRE);
	if (fn) {
		fn(vectors[vector].arg);
		return;
	}
	if (vector != VECTOR_SPURIOUS && unexpected++ < 8)
		pr_warn("irq: unexpected vector %d on cpu %u\n", vector,
			smp_processor_id());
}

void irq_enter(void)
{
	this_cpu()->irq_depth++;
}

void irq_exit(void)
{
	struct cpu *c = this_cpu();
	c->irq_depth--;
	if (!c->irq_depth && c->softirq_pending)
		do_softirq();
}
