/*
 * trace.c - the tracepoint switchboard (include/skiff/trace.h) and the
 * `trace` command: list the subsystems with their state and hit counts,
 * switch them on and off.
 *
 * trace(sys, ...) -> trace_enabled (one load) -> trace_emit -> printk at
 * debug level, "trace: SYS: ..." -> the log ring
 */
#include <skiff/trace.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRACE_LINE_MAX 256

u32 trace_mask;
static u64 trace_hits[TRACE_NR_SYS];

static const char *const sys_names[TRACE_NR_SYS] = {
    [TRACE_DRIVERS] = "drivers",
    [TRACE_IP] = "ip",
    [TRACE_TCP] = "tcp",
    [TRACE_TIMERS] = "timers",
};

const char *trace_sys_name(enum trace_sys sys)
{
	return sys < TRACE_NR_SYS ? sys_names[sys] : "?";
}

void trace_emit(enum trace_sys sys, const char *fmt, ...)
{
	char line[TRACE_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	__atomic_fetch_add(&trace_hits[sys], 1, __ATOMIC_RELAXED);
	printk(LOG_DEBUG, "trace: %s: %s\n", sys_names[sys], line);
}

static void trace_list(void)
{
	shell_printf("%-10s %-5s %12s\n", "SUBSYSTEM", "STATE", "HITS");
	for (int i = 0; i < TRACE_NR_SYS; i++)
		shell_printf("%-10s %-5s %12llu\n", sys_names[i],
			     trace_mask & (1u << i) ? "on" : "off",
			     (unsigned long long)READ_ONCE(trace_hits[i]));
}

/* The bits the words name ("all" or subsystem names); 0 if one is bad. */
static u32 parse_systems(int argc, char **argv)
{
	u32 bits = 0;
	for (int i = 0; i < argc; i++) {
		int found = -1;
		for (int s = 0; s < TRACE_NR_SYS; s++)
			if (strcmp(argv[i], sys_names[s]) == 0)
				found = s;
		if (strcmp(argv[i], "all") == 0) {
			bits |= (1u << TRACE_NR_SYS) - 1;
		} else if (found < 0) {
			shell_printf("trace: unknown subsystem '%s' (drivers, "
				     "ip, tcp, timers, all)\n",
				     argv[i]);
			return 0;
		} else {
			bits |= 1u << found;
		}
	}
	return bits;
}

static int cmd_trace(int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "list") == 0)) {
		trace_list();
		return 0;
	}
	bool on = strcmp(argv[1], "on") == 0;
	if ((!on && strcmp(argv[1], "off") != 0) || argc < 3)
		return -EINVAL;
	u32 bits = parse_systems(argc - 2, argv + 2);
	if (!bits)
		return SHELL_ERR_SHOWN;
	if (on)
		__atomic_fetch_or(&trace_mask, bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&trace_mask, ~bits, __ATOMIC_RELAXED);
	trace_list();
	return 0;
}
SHELL_CMD("trace", cmd_trace, "trace [list] | trace on|off SYS...|all",
	  "tracepoints per subsystem (drivers, ip, tcp, timers) into the log");
