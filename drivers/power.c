/*
 * power.c - power-off through ACPI S5 and reset through the FADT reset
 * register, with the keyboard controller and a triple fault behind it.
 */
#include <skiff/power.h>
#include <skiff/acpi.h>
#include <skiff/console.h>
#include <skiff/printk.h>
#include <skiff/smp.h>
#include <skiff/time.h>
#include <skiff/uart.h>
#include <asm/cpu.h>
#include <asm/paging.h>

#define SLP_EN (1u << 13)

void qemu_debug_exit(u8 code)
{
	outb(0xf4, code);
}

static void quiesce(void)
{
	uart_flush();
	local_irq_disable();
	smp_stop_others();
}

__noreturn void machine_poweroff(void)
{
	quiesce();
	if (acpi.s5_valid && acpi.pm1a_cnt) {
		u16 v = inw((u16)acpi.pm1a_cnt) & ~(7u << 10);
		outw((u16)acpi.pm1a_cnt, v | (acpi.slp_typa << 10) | SLP_EN);
		if (acpi.pm1b_cnt) {
			v = inw((u16)acpi.pm1b_cnt) & ~(7u << 10);
			outw((u16)acpi.pm1b_cnt,
			     v | (acpi.slp_typb << 10) | SLP_EN);
		}
		mdelay(500);
	}
	console_write_polled("poweroff: ACPI S5 failed; halting\n", 35);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static void reset_register(void)
{
	const struct acpi_gas *g = &acpi.reset_reg;
	if (!acpi.reset_supported)
		return;
	if (g->space == 1)
		outb((u16)g->address, acpi.reset_value);
	else if (g->space == 0)
		*(volatile u8 *)ioremap(g->address, 1) = acpi.reset_value;
	mdelay(100);
}

__noreturn void machine_reboot(void)
{
	quiesce();
	reset_register();
	for (int i = 0; i < 100 && (inb(0x64) & 2); i++)
		udelay(100);
	outb(0x64, 0xfe); /* keyboard controller: pulse the reset line */
	mdelay(100);
	outb(0xcf9, 0x06); /* PCI reset control: hard reset */
	mdelay(100);
	/* Last resort: a triple fault with an empty IDT. */
	struct {
		u16 limit;
		u64 base;
	} __packed empty = {0, 0};
	__asm__ __volatile__("lidt %0; int3" ::"m"(empty));
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
