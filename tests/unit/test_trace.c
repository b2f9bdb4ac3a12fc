/*
 * test_trace.c - host tests for kernel/trace.c and the tracepoints in the
 * host-built stack: `trace on ip drivers` logs each datagram in and out
 * and each NAPI poll with the right fields, `trace list` counts the hits,
 * `trace off` silences them, bad subsystem names are refused.
 */
#include "ipv4_test.h"

#include <skiff/trace.h>

static int setup(void **state)
{
	ipt_setup(state);
	ipt_learn_peer();
	host_log_reset();
	host_shell_reset();
	trace_mask = 0;
	return 0;
}

static void ping_in(u16 seq, size_t size, bool napi)
{
	static u8 f[2048], body[1500];
	struct icmphdr_info ih = {.type = ICMP_ECHO,
				  .rest = icmp_echo_rest(7, seq)};
	memset(body, 0x5a, size);
	size_t n = ipt_icmp_frame(f, &ih, body, size);
	if (napi)
		host_fakedev_rx_napi(eth0, f, n);
	else
		ipt_rx(f, n);
	host_run_softirqs();
	host_fakedev_tx_clear(eth0);
}

static void test_ip_and_drivers(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("trace on ip drivers"), 0);
	assert_non_null(strstr(host_shell_output(), "ip         on "));
	ping_in(1, 56, true);
	assert_true(host_log_contains(
	    "trace: ip: rcv eth0 198.18.0.1 > 198.18.0.2 proto 1 len 84\n"));
	assert_true(host_log_contains(
	    "trace: ip: send eth0 198.18.0.2 > 198.18.0.1 proto 1 len 84\n"));
	assert_true(host_log_contains("trace: drivers: eth0 napi poll 1/"));
	host_shell_reset();
	assert_int_equal(host_shell_run("trace list"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "ip         on               2\n"));
	assert_non_null(strstr(out, "tcp        off              0\n"));

	assert_int_equal(host_shell_run("trace off all"), 0);
	host_log_reset();
	ping_in(2, 56, false);
	assert_false(host_log_contains("trace:"));
}

static void test_bad_words(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("trace on ip bogus"), 1);
	assert_non_null(
	    strstr(host_shell_output(), "trace: unknown subsystem 'bogus'"));
	assert_int_equal(trace_mask, 0); /* nothing half-applied */
	assert_int_equal(host_shell_run("trace on"), -EINVAL);
	assert_int_equal(host_shell_run("trace sideways ip"), -EINVAL);
	assert_int_equal(host_shell_run("trace on all"), 0);
	assert_int_equal(trace_mask, (1u << TRACE_NR_SYS) - 1);
	assert_int_equal(host_shell_run("trace off tcp timers"), 0);
	assert_int_equal(trace_mask, (1u << TRACE_DRIVERS) | (1u << TRACE_IP));
	trace_mask = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_ip_and_drivers, setup),
	    cmocka_unit_test_setup(test_bad_words, setup),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
