/*
 * main.c - kmain: bring the machine up, in dependency order, then idle.
 *
 * serial -> per-CPU/GDT/IDT (exceptions report from here on) -> symbols ->
 * pages and heap -> own page tables -> ACPI -> config -> framebuffer ->
 * interrupt controllers -> TSC -> softirqs, timers, tick -> serial IRQ ->
 * other CPUs -> network stack -> PCI devices and their drivers -> network
 * configuration (address, routes, ready line) -> shell in the boot CPU's
 * idle loop.
 */
#include <skiff/acpi.h>
#include <skiff/apps.h>
#include <skiff/boot_info.h>
#include <skiff/boot_stages.h>
#include <skiff/config.h>
#include <skiff/console.h>
#include <skiff/fbcon.h>
#include <skiff/fw_cfg.h>
#include <skiff/kernel.h>
#include <skiff/ksyms.h>
#include <skiff/mm.h>
#include <skiff/net/net.h>
#include <skiff/net/netfilter.h>
#include <skiff/net/tcp_cong.h>
#include <skiff/net/tcp_ring.h>
#include <skiff/pci.h>
#include <skiff/panic.h>
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/smp.h>
#include <skiff/softirq.h>
#include <skiff/stackprotector.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <skiff/uart.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <asm/trap.h>
#include <string.h>

struct skiff_config kcfg;
const struct boot_info *boot_info;
static u8 boot_ist[3][8192] __aligned(16);
static struct boot_stages boot_stages;

void smp_setup_boot_cpu(void);
void smp_ipi_init(void);
void net_configure(void);

static void config_report(void *ctx, const char *msg)
{
	pr_warn("%s\n", msg);
}

void config_apply_runtime(void)
{
	console_loglevel = kcfg.log_level;
	panic_reboot = kcfg.panic_reboot;
	tcp_mem_set_limit((u64)kcfg.tcp_mem_mb << 20);
	tcp_cong_set_default(kcfg.tcp_cc); /* new connections only */
}

static void config_load(const struct boot_info *bi)
{
	static char fwcfg[4096];
	config_defaults(&kcfg);
	if (bi->cfg)
		config_parse(&kcfg, (const char *)bi->cfg, bi->cfg_size,
			     CFG_SRC_FILE, config_report, NULL);
	long n = fw_cfg_read_file("opt/skiff/cmdline", fwcfg, sizeof(fwcfg));
	if (n > 0)
		config_parse(&kcfg, fwcfg, (size_t)n, CFG_SRC_FWCFG,
			     config_report, NULL);
	if (bi->loadopt)
		config_parse(&kcfg, (const char *)bi->loadopt, bi->loadopt_size,
			     CFG_SRC_LOADOPT, config_report, NULL);
	config_apply_runtime();
	pr_info("config: skiff.cfg %s, fw_cfg %s, load options %s\n",
		bi->cfg ? "read" : "absent", n > 0 ? "read" : "absent",
		bi->loadopt ? "read" : "absent");
}

static void early_cpu_init(void)
{
	uart_early_init();
	percpu_init_boot();
	gdt_init_cpu(cpus[0], boot_ist[0] + sizeof(boot_ist[0]),
		     boot_ist[1] + sizeof(boot_ist[1]),
		     boot_ist[2] + sizeof(boot_ist[2]));
	idt_init();
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

static void check_boot_info(const struct boot_info *bi)
{
	if (!bi || bi->magic != BOOT_INFO_MAGIC ||
	    bi->version != BOOT_INFO_VERSION)
		panic("kmain: boot_info %p is not from a matching boot stage",
		      bi);
}

static void interrupts_init(void)
{
	lapic_init_boot();
	pic_disable();
	ioapic_init();
	lapic_init_cpu();
	time_init();
	smp_setup_boot_cpu();
	softirq_init();
	timer_init_cpu();
	smp_ipi_init();
	lapic_timer_calibrate();
	lapic_timer_start(HZ);
	uart_irq_init();
	local_irq_enable();
	pr_info("apic: %s, boot CPU APIC id %u, tick %s at %d Hz\n",
		lapic_x2apic() ? "x2APIC" : "xAPIC", cpus[0]->apic_id,
		lapic_timer_mode(), HZ);
}

static void stage_done(const char *name)
{
	boot_stages_mark(&boot_stages, name, rdtsc());
}

/* One line: how long each stage of kmain took. */
static void boot_stages_report(void)
{
	char line[320];
	if (boot_stages_format(&boot_stages, tsc_khz, line, sizeof(line)))
		pr_info("boot: stages ms: %s\n", line);
}

/* The canary is set first: kmain's own frame predates it, so kmain is not
 * instrumented (it never returns anyway). */
__no_stack_protector __noreturn void kmain(struct boot_info *bi)
{
	time_mark_entry();
	boot_stages_start(&boot_stages, rdtsc());
	boot_init_stack_canary();
	early_cpu_init();
	check_boot_info(bi);
	boot_info = bi;
	boot_epoch_sec = bi->epoch_sec;
	console_write("\nSkiff ", 7);
	console_write(skiff_version, strlen(skiff_version));
	console_write(" - bare-metal x86-64 network appliance\n", 39);
	pr_info("Skiff %s (%s) starting on %s\n", skiff_version, skiff_build,
		bi->firmware[0] ? bi->firmware : "unknown firmware");
	ksyms_init(bi);
	stack_canary_log();
	stage_done("early");
	mm_init(bi);
	stage_done("mm");
	paging_init(bi);
	stage_done("paging");
	acpi_init(bi->rsdp);
	config_load(bi);
	if (strcmp(kcfg.console, "both") == 0 && fbcon_init(&bi->fb))
		console_set_fb(true);
	stage_done("acpi+config");
	interrupts_init();
	stage_done("irq+clocks");
	smp_init(bi, kcfg.smp);
	stage_done("smp");
	net_init();
	stage_done("net");
	pci_init(); /* drivers register their net devices */
	stage_done("pci+drivers");
	apps_start(); /* sockets on INADDR_ANY: open before the ready line */
	stage_done("apps");
	netfilter_init(&kcfg, (const char *)bi->rules, bi->rules_size);
	stage_done("netfilter");
	net_configure();
	stage_done("netconfig");
	time_refine(); /* the whole boot so far as the calibration window */
	boot_stages_report();
	pr_info("kernel: %u CPUs, %u symbols, %u files from www/, up in %llu "
		"ms\n",
		nr_cpus_online, ksym_count(), bi->file_count,
		(unsigned long long)(ktime_get_ns() / 1000000));
	shell_init();
	cpu_idle_loop(shell_poll);
}
