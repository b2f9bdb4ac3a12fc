/*
 * test_tcp_rtt.c - host tests for net/tcp_rtt.c: RFC 6298 SRTT/RTTVAR/RTO
 * by hand-computed values, the 200 ms floor and 120 s ceiling, backoff
 * and its reset, and Karn's rule through the segment-timing helpers
 * (including a timed sequence number that wraps 2^32).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <skiff/net/tcp_rtt.h>

static void test_initial_rto(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	assert_int_equal(tcp_rtt_rto_us(&r), 1000000); /* RFC 6298 2.1 */
	assert_int_equal(r.srtt_us, 0);
}

/* RFC 6298 2.2 then 2.3, values worked by hand. */
static void test_first_and_second_sample(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100000);
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
	assert_int_equal(tcp_rtt_rto_us(&r), 300000); /* 100 + 4 * 50 ms */
	tcp_rtt_sample(&r, 200000);
	/* RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms */
	assert_int_equal(r.rttvar_us, 62500);
	/* SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms */
	assert_int_equal(r.srtt_us, 112500);
	assert_int_equal(tcp_rtt_rto_us(&r), 112500 + 250000);
	assert_int_equal(r.min_rtt_us, 100000);
	assert_int_equal(r.samples, 2);
}

static void test_floor_and_ceiling(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	for (int i = 0; i < 50; i++)
		tcp_rtt_sample(&r, 1000); /* 1 ms LAN */
	/* SRTT + the floor (Linux's tcp_set_rto), not the floor alone */
	assert_int_equal(tcp_rtt_rto_us(&r), 1000 + TCP_RTO_MIN_US);
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100000000); /* 100 s: RTO capped at 120 s */
	assert_int_equal(tcp_rtt_rto_us(&r), TCP_RTO_MAX_US);
	tcp_rtt_sample(&r, 0); /* taken as 1 us, no division trouble */
	assert_true(r.srtt_us > 0);
}

/* RFC 6298 5.5: doubling on each expiry, bounded; a sample resets it. */
static void test_backoff(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	tcp_rtt_sample(&r, 100000);
	assert_int_equal(tcp_rtt_rto_us(&r), 300000);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto_us(&r), 600000);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto_us(&r), 1200000);
	for (int i = 0; i < 1000; i++)
		tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto_us(&r), TCP_RTO_MAX_US);
	assert_true(r.backoff < 16);
	tcp_rtt_sample(&r, 100000);
	assert_int_equal(r.backoff, 0);
	assert_true(tcp_rtt_rto_us(&r) < 1000000);
	tcp_rtt_backoff(&r);
	tcp_rtt_reset_backoff(&r);
	assert_int_equal(r.backoff, 0);
}

/* Karn: a retransmitted segment gives no sample; the next timed one does. */
static void test_karn(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	tcp_rtt_time_seg(&r, 1000, 5000000);
	tcp_rtt_time_seg(&r, 2000, 5100000); /* already timing: ignored */
	assert_false(tcp_rtt_on_ack(&r, 999, 5050000));
	assert_true(tcp_rtt_on_ack(&r, 1000, 5080000));
	assert_int_equal(r.srtt_us, 80000);

	tcp_rtt_time_seg(&r, 3000, 6000000);
	tcp_rtt_on_retransmit(&r);
	assert_false(tcp_rtt_on_ack(&r, 3000, 9000000));
	assert_int_equal(r.srtt_us, 80000);
	assert_int_equal(r.samples, 1);

	/* An expiry also cancels the timing (the segment is resent). */
	tcp_rtt_time_seg(&r, 4000, 10000000);
	tcp_rtt_backoff(&r);
	assert_false(tcp_rtt_on_ack(&r, 4000, 11000000));
}

static void test_timing_wraps(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r);
	tcp_rtt_time_seg(&r, 0x00000010u, 1000);
	assert_false(tcp_rtt_on_ack(&r, 0xfffffff0u, 2000)); /* before */
	assert_true(tcp_rtt_on_ack(&r, 0x00000020u, 41000));
	assert_int_equal(r.last_rtt_us, 40000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_rto),
	    cmocka_unit_test(test_first_and_second_sample),
	    cmocka_unit_test(test_floor_and_ceiling),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_karn),
	    cmocka_unit_test(test_timing_wraps),
	};

	return cmocka_run_group_tests_name("tcp_rtt", tests, NULL, NULL);
}
