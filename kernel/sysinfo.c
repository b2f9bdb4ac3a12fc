/*
 * sysinfo.c - shell commands that show or steer the system as a whole:
 * version, uptime, config, set, cpus, mem, slabinfo, log (-f), locks,
 * softirqs, reboot, poweroff.
 */
#include <skiff/config.h>
#include <skiff/console.h>
#include <skiff/kernel.h>
#include <skiff/mm.h>
#include <skiff/percpu.h>
#include <skiff/power.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/slab.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int cmd_version(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("Skiff %s (build %s)\n", skiff_version, skiff_build);
	shell_printf("firmware: %s\n", boot_info->firmware);
	return 0;
}
SHELL_CMD("version", cmd_version, "version", "kernel version and build");

static int cmd_uptime(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	u64 ns = ktime_get_ns(), s = ns / NSEC_PER_SEC;
	shell_printf("up %llu.%03llu s (%llud %02llu:%02llu:%02llu), %u CPUs\n",
		     (unsigned long long)s,
		     (unsigned long long)(ns / 1000000 % 1000),
		     (unsigned long long)(s / 86400),
		     (unsigned long long)(s / 3600 % 24),
		     (unsigned long long)(s / 60 % 60),
		     (unsigned long long)(s % 60), nr_cpus_online);
	return 0;
}
SHELL_CMD("uptime", cmd_uptime, "uptime", "time since boot");

static int cmd_config(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	static char buf[CFG_MAX_FILTERS * (CFG_FILTER_LEN + 8) + 64];
	for (unsigned i = 0;; i++) {
		int src = config_format_key(&kcfg, i, buf, sizeof(buf));
		if (src < 0)
			break;
		shell_printf("%-40s (%s)\n", buf, config_source_name(src));
	}
	return 0;
}
SHELL_CMD("config", cmd_config, "config",
	  "the merged configuration and where each value came from");

static void report_to_shell(void *ctx, const char *msg)
{
	shell_printf("%s\n", msg);
}

/* `set filter=-A INPUT -j DROP` arrives as several words: join them. */
static int cmd_set(int argc, char **argv)
{
	char word[CFG_WORD_MAX];
	size_t used = 0;
	if (argc < 2 || !strchr(argv[1], '='))
		return -EINVAL;
	for (int i = 1; i < argc; i++) {
		int n = snprintf(word + used, sizeof(word) - used, "%s%s",
				 i > 1 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(word) - used) {
			shell_printf("set: value too long\n");
			return SHELL_ERR_SHOWN;
		}
		used += (size_t)n;
	}
	if (config_set(&kcfg, word, CFG_SRC_CONSOLE, report_to_shell, NULL) < 0)
		return SHELL_ERR_SHOWN;
	config_apply_runtime();
	return 0;
}
SHELL_CMD("set", cmd_set, "set key=value",
	  "change a setting (now: log=, panic=, tcp.mem=, tcp.cc=, "
	  "net.busy_poll_us=, nohz=; others at next boot)");

static int cmd_cpus(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf(
	    "CPU APIC  ONLINE   BUSY%%      IRQS    SOFTIRQS   TICKS\n");
	for (u32 i = 0; i < NR_CPUS; i++) {
		struct cpu *c = cpus[i];
		if (!c)
			continue;
		u64 irqs = 0, soft = 0;
		for (int v = 0; v < NR_VECTORS; v++)
			irqs += c->irq_count[v];
		for (int s = 0; s < NR_SOFTIRQS; s++)
			soft += c->softirq_runs[s];
		u64 total = c->busy_ns + c->idle_ns;
		shell_printf(
		    "cpu%-2u %4u  %-6s %5llu.%llu %9llu %11llu %7llu\n", i,
		    c->apic_id, c->online ? "yes" : "no",
		    (unsigned long long)(total ? c->busy_ns * 100 / total : 0),
		    (unsigned long long)(total ? c->busy_ns * 1000 / total % 10
					       : 0),
		    (unsigned long long)irqs, (unsigned long long)soft,
		    (unsigned long long)c->ticks);
	}
	return 0;
}
SHELL_CMD("cpus", cmd_cpus, "cpus", "CPUs, their load, interrupts and ticks");

static void print_cache(void *ctx, const struct kmem_cache *c)
{
	shell_printf("  %-20s %8llu %8llu %6zu %6u %6llu\n", c->name,
		     (unsigned long long)c->active_objs,
		     (unsigned long long)c->total_objs, c->obj_size,
		     c->objs_per_slab, (unsigned long long)c->nr_slabs);
}

static int cmd_mem(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	struct mm_stats s;
	struct paging_stats p;
	mm_get_stats(&s);
	paging_get_stats(&p);
	shell_printf(
	    "pages:  %llu MiB total, %llu MiB free, %llu MiB reclaimed "
	    "from boot services (%llu KiB still to zero)\n",
	    (unsigned long long)(s.total_pages >> 8),
	    (unsigned long long)(s.free_pages >> 8),
	    (unsigned long long)(s.reclaimed_pages >> 8),
	    (unsigned long long)(s.scrub_pending_pages << 2));
	shell_printf("heap:   %llu KiB used of %llu MiB\n",
		     (unsigned long long)(s.heap_bytes >> 10),
		     (unsigned long long)(s.heap_limit >> 20));
	shell_printf("tables: %llu page-table pages, vmap %llu KiB\n",
		     (unsigned long long)p.table_pages,
		     (unsigned long long)(p.vmap_bytes >> 10));
	shell_printf("free blocks by order:");
	for (int o = 0; o < 11; o++)
		shell_printf(" %llu", (unsigned long long)s.free_by_order[o]);
	shell_printf("\nslab caches:\n  %-20s %8s %8s %6s %6s %6s\n", "NAME",
		     "ACTIVE", "TOTAL", "SIZE", "PER", "SLABS");
	kcache_for_each(print_cache, NULL);
	return 0;
}
SHELL_CMD("mem", cmd_mem, "mem", "memory: pages, heap, slab caches");

/* One line of /proc/slabinfo 2.1 (no per-CPU tunables or shared caches
 * here: those columns are 0). */
static void slabinfo_line(void *ctx, const struct kmem_cache *c)
{
	shell_printf("%-17s %6llu %6llu %6zu %4u %4u : tunables %4u %4u %4u "
		     ": slabdata %6llu %6llu %6u\n",
		     c->name, (unsigned long long)c->active_objs,
		     (unsigned long long)c->total_objs, c->size,
		     c->objs_per_slab, 1u << c->order, 0u, 0u, 0u,
		     (unsigned long long)(c->nr_slabs - c->nr_empty),
		     (unsigned long long)c->nr_slabs, 0u);
}

static int cmd_slabinfo(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("slabinfo - version: 2.1\n# name            <active_objs> "
		     "<num_objs> <objsize> <objperslab> <pagesperslab> : "
		     "tunables <limit> <batchcount> <sharedfactor> : slabdata "
		     "<active_slabs> <num_slabs> <sharedavail>\n");
	kcache_for_each(slabinfo_line, NULL);
	return 0;
}
SHELL_CMD("slabinfo", cmd_slabinfo, "slabinfo",
	  "slab caches like /proc/slabinfo: objects, sizes, pages");

static void print_log_line(void *ctx, const char *text, size_t len, int lvl)
{
	shell_write(text, len);
}

static int parse_level(const char *s)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	if (strcmp(s, "warning") == 0)
		return LOG_WARN;
	if (strcmp(s, "err") == 0)
		return LOG_ERR;
	return -1;
}

/* log -f: lines at the console's level were printed there already; a
 * line the console cannot take now is skipped and counted. */
static void follow_line(void *ctx, const char *text, size_t len, int lvl)
{
	u64 *skipped = ctx;
	if (lvl >= console_loglevel)
		return;
	if (shell_out_room() < len + 2)
		(*skipped)++;
	else
		shell_write(text, len);
}

#define LOG_FOLLOW_POLL_US 50000
#define LOG_FOLLOW_BACKLOG 10 /* lines shown before following, as tail -f */

static void log_follow(int level, unsigned last)
{
	u64 skipped = 0, seq = log_next_seq();
	log_for_each(level, last ? last : LOG_FOLLOW_BACKLOG, print_log_line,
		     NULL);
	while (!shell_key_pressed()) {
		seq = log_for_each_from(seq, level, follow_line, &skipped);
		shell_wait_us(LOG_FOLLOW_POLL_US);
	}
	shell_printf("log: stopped following, %llu lines not shown (console "
		     "busy)\n",
		     (unsigned long long)skipped);
}

static int cmd_log(int argc, char **argv)
{
	int level = LOG_DEBUG;
	unsigned last = 0;
	bool follow = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 && i + 1 < argc) {
			level = parse_level(argv[++i]);
			if (level < 0) {
				shell_printf("log: unknown level '%s' (debug, "
					     "info, warn, error)\n",
					     argv[i]);
				return SHELL_ERR_SHOWN;
			}
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			last = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else {
			return -EINVAL;
		}
	}
	if (follow)
		log_follow(level, last);
	else
		log_for_each(level, last, print_log_line, NULL);
	return 0;
}
SHELL_CMD("log", cmd_log, "log [-f] [-l debug|info|warn|error] [-n N]",
	  "the kernel log ring, like dmesg (-f follows until a key)");

static int cmd_locks(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("%-20s %14s %12s %14s\n", "CLASS", "ACQUIRED", "CONTENDED",
		     "SPINS");
	for (struct lock_class *c = lock_classes(); c; c = c->next)
		shell_printf("%-20s %14llu %12llu %14llu\n", c->name,
			     (unsigned long long)c->acquired,
			     (unsigned long long)c->contended,
			     (unsigned long long)c->spins);
	shell_printf("lock debugging (recursion, owner, wait-with-lock): %s\n",
		     CONFIG_DEBUG_LOCKS ? "on" : "off");
	return 0;
}
SHELL_CMD("locks", cmd_locks, "locks", "spinlock classes and contention");

static int cmd_softirqs(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("%-10s", "");
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			shell_printf(" %14s%-2u", "CPU", i);
	shell_printf("\n");
	for (int s = 0; s < NR_SOFTIRQ_USED; s++) {
		shell_printf("%-10s", softirq_name(s));
		for (u32 i = 0; i < NR_CPUS; i++)
			if (cpus[i] && cpus[i]->online)
				shell_printf(" %16llu",
					     (unsigned long long)cpus[i]
						 ->softirq_runs[s]);
		shell_printf("\n");
	}
	for (int s = 0; s < NR_SOFTIRQ_USED; s++) {
		shell_printf("%-10s", "max_us");
		for (u32 i = 0; i < NR_CPUS; i++)
			if (cpus[i] && cpus[i]->online)
				shell_printf(
				    " %10s %5llu", softirq_name(s),
				    (unsigned long long)(cpus[i]->softirq_max_ns
							     [s] /
							 1000));
		shell_printf("\n");
	}
	shell_printf("%-10s", "deferred");
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			shell_printf(
			    " %16llu",
			    (unsigned long long)cpus[i]->softirq_deferred);
	shell_printf("\n");
	return 0;
}
SHELL_CMD("softirqs", cmd_softirqs, "softirqs",
	  "softirq runs per CPU (like /proc/softirqs), the longest run of "
	  "each, budget deferrals");

static int cmd_reboot(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("rebooting\n");
	machine_reboot();
}
SHELL_CMD("reboot", cmd_reboot, "reboot", "reset the machine");

static int cmd_poweroff(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("powering off\n");
	machine_poweroff();
}
SHELL_CMD("poweroff", cmd_poweroff, "poweroff",
	  "ACPI S5: turn the machine off");
