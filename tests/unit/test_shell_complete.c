/*
 * test_shell_complete.c - host tests for kernel/shell_complete.c: command
 * names, sub-commands, options in any order, device names, nested levels,
 * the cursor inside the line, and hostile specs and lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/shell_complete.h>

static const char *const commands[] = {"capture", "help",    "ip",   "irq",
				       "log",	  "tcpdump", "trace"};
static const char *const devices[] = {"eth0", "eth1"};

static const char *const specs[][2] = {
    {"help", "$cmd"},
    {"ip", "addr(show add del dev($dev)) link(show set($dev(up down mtu "
	   "address)) dev) route(show get add del) neigh(show flush) -s"},
    {"tcpdump", "-i($dev) -c -n icmp tcp udp arp host net port portrange"},
    {"capture", "start(-i($dev) -s -b icmp tcp port portrange) stop status "
		"dump"},
    {"trace", "list on(drivers ip tcp timers all) off(drivers ip tcp timers "
	      "all)"},
    {"log", "-f -l(debug info warn error) -n"},
    {"irq", "((( broken ( (spec"},
};

static void each_cmd(void *env, complete_emit_fn emit, void *ctx)
{
	(void)env;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		emit(ctx, commands[i]);
}

static void each_dev(void *env, complete_emit_fn emit, void *ctx)
{
	(void)env;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		emit(ctx, devices[i]);
}

static const char *spec(void *env, const char *cmd)
{
	(void)env;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(specs[i][0], cmd) == 0)
			return specs[i][1];
	return NULL;
}

static const struct complete_env env = {each_cmd, each_dev, spec, NULL};

static void append(void *ctx, const char *word)
{
	char *out = ctx;
	if (*out)
		strcat(out, " ");
	strcat(out, word);
}

/* The candidates for `line` with the cursor at its end (or at `at`). */
static void check(const char *line, long at, const char *want,
		  const char *common)
{
	char got[1024] = "";
	size_t cursor = at < 0 ? strlen(line) : (size_t)at;
	struct completion c;
	shell_complete_each(line, cursor, &env, append, got);
	if (strcmp(got, want) != 0)
		fail_msg("'%s'|%zu: candidates '%s', want '%s'", line, cursor,
			 got, want);
	shell_complete(line, cursor, &env, &c);
	unsigned n = 0;
	for (const char *p = want; *p; p++)
		n += *p == ' ';
	assert_int_equal(c.count, *want ? n + 1 : 0);
	if (common)
		assert_string_equal(c.common, common);
	assert_int_equal(c.common_len, strlen(c.common));
}

static void test_command_names(void **state)
{
	(void)state;
	check("", -1, "capture help ip irq log tcpdump trace", "");
	check("i", -1, "ip irq", "i");
	check("tr", -1, "trace", "trace");
	check("  tc", -1, "tcpdump", "tcpdump");
	check("x", -1, "", NULL);
	check("help ca", -1, "capture", "capture");
	check("help ", -1, "capture help ip irq log tcpdump trace", "");
}

static void test_sub_commands(void **state)
{
	struct completion c;
	(void)state;
	check("ip a", -1, "addr", "addr");
	shell_complete("ip a", 4, &env, &c);
	assert_int_equal(c.word_start, 3);
	assert_int_equal(c.prefix_len, 1);
	check("ip ", -1, "addr link route neigh -s", "");
	check("ip addr ", -1, "show add del dev", "");
	check("ip addr dev e", -1, "eth0 eth1", "eth");
	check("ip link set eth1 m", -1, "mtu", "mtu");
	check("ip link set eth9 m", -1, "", NULL); /* not a device */
	check("ip neigh f", -1, "flush", "flush");
	check("capture s", -1, "start stop status", "st");
	check("capture start -i eth0 port", -1, "port portrange", "port");
	check("trace on t", -1, "tcp timers", "t");
	check("trace off a", -1, "all", "all");
	check("log -l w", -1, "warn", "warn");
	check("nosuch a", -1, "", NULL);
}

/* Options and values in any order keep the level. */
static void test_options_any_order(void **state)
{
	(void)state;
	check("tcpdump -n -c 5 ic", -1, "icmp", "icmp");
	check("tcpdump -i e", -1, "eth0 eth1", "eth");
	check("tcpdump -i eth0 -n p", -1, "port portrange", "port");
	check("tcpdump -i eth0 -n -", -1, "-i -c -n", "-");
}

/* The cursor in the middle: only the text before it counts. */
static void test_cursor_inside(void **state)
{
	(void)state;
	check("ip a show", 4, "addr", "addr");
	check("capture st -i eth0", 10, "start stop status", "st");
	check("ip addr", 0, "capture help ip irq log tcpdump trace", "");
}

static void test_hostile(void **state)
{
	char line[400] = "tcpdump";
	(void)state;
	check("irq ", -1, "", NULL); /* unbalanced spec: no crash, no word */
	check("irq (", -1, "", NULL);
	for (int i = 0; i < 40; i++)
		strcat(line, " -n");
	strcat(line, " i");
	check(line, -1, "", NULL); /* too many words: nothing offered */
	check("\t\t", -1, "capture help ip irq log tcpdump trace", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_names),
	    cmocka_unit_test(test_sub_commands),
	    cmocka_unit_test(test_options_any_order),
	    cmocka_unit_test(test_cursor_inside),
	    cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests_name("shell_complete", tests, NULL, NULL);
}
