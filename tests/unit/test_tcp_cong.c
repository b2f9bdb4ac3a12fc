/*
 * test_tcp_cong.c - host tests for net/tcp_cong.c and net/tcp_cubic.c:
 * the registry, NewReno's cwnd trajectory through slow start, congestion
 * avoidance, fast recovery (RFC 5681 3.2), partial and full ACKs (RFC
 * 6582), RTO; CUBIC's (RFC 9438) multiplicative decrease, concave growth
 * back to W_max in about K seconds, the plateau, convex growth beyond,
 * fast convergence, the Reno-friendly region on a short-RTT path, the
 * restart of the epoch after an RTO, and HyStart++'s delay-increase exit
 * from slow start (RFC 9406).
 *
 * The simulated path acknowledges one segment per ACK, spread evenly over
 * each RTT, and every ACK finds the sender cwnd-limited.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/tcp_cong.h>

/* One RTT of ACKs: cwnd (at its start) ACKs of one segment each. */
static void sim_rtt(struct tcp_cc *cc, u32 rtt_us, u64 *now)
{
	u32 n = cc->cwnd;

	for (u32 i = 0; i < n; i++)
		tcp_cc_on_ack(cc, 1, rtt_us, true, *now + (u64)rtt_us * i / n);
	*now += rtt_us;
}

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cong_find("cubic"), &tcp_cubic_ops);
	assert_ptr_equal(tcp_cong_find("reno"), &tcp_reno_ops);
	assert_ptr_equal(tcp_cong_find("newreno"), &tcp_reno_ops);
	assert_null(tcp_cong_find("bbr"));
	assert_null(tcp_cong_find(NULL));
	assert_ptr_equal(tcp_cong_default(), &tcp_cubic_ops);
	assert_int_equal(tcp_cong_set_default("vegas"), -ENOENT);
	assert_int_equal(tcp_cong_set_default("reno"), 0);
	assert_ptr_equal(tcp_cong_default(), &tcp_reno_ops);
	assert_int_equal(tcp_cong_set_default("cubic"), 0);
	assert_non_null(strstr(tcp_cong_available(), "cubic"));
}

static void test_reno_slow_start_and_ca(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;

	(void)state;
	tcp_cc_init(&cc, &tcp_reno_ops, 0);
	assert_int_equal(cc.cwnd, TCP_INIT_CWND);
	assert_true(tcp_cc_in_slow_start(&cc));
	sim_rtt(&cc, 100000, &now);
	assert_int_equal(cc.cwnd, 20); /* doubles per RTT */
	sim_rtt(&cc, 100000, &now);
	assert_int_equal(cc.cwnd, 40);
	cc.ssthresh = 40;
	for (u32 i = 0; i < 5; i++)
		sim_rtt(&cc, 100000, &now);
	assert_int_equal(cc.cwnd, 45); /* +1 per RTT */

	/* Crossing ssthresh inside one ACK: the rest counts toward CA. */
	cc.cwnd = 8;
	cc.ssthresh = 10;
	cc.cwnd_cnt = 0;
	tcp_cc_on_ack(&cc, 5, 0, true, now);
	assert_int_equal(cc.cwnd, 10);
	assert_int_equal(cc.cwnd_cnt, 3);

	/* Not cwnd-limited: no growth (RFC 7661 spirit). */
	tcp_cc_on_ack(&cc, 100, 0, false, now);
	assert_int_equal(cc.cwnd, 10);
}

static void test_reno_recovery_and_rto(void **state)
{
	struct tcp_cc cc;

	(void)state;
	tcp_cc_init(&cc, &tcp_reno_ops, 0);
	cc.cwnd = 42;
	tcp_cc_enter_recovery(&cc, 42, 1000);
	assert_int_equal(cc.ssthresh, 21); /* FlightSize / 2 */
	assert_int_equal(cc.cwnd, 21);
	assert_int_equal(cc.ca_state, TCP_CA_Recovery);
	tcp_cc_on_ack(&cc, 5, 0, true, 2000); /* no growth in recovery */
	assert_int_equal(cc.cwnd, 21);
	tcp_cc_exit_recovery(&cc, 30, 3000);
	assert_int_equal(cc.cwnd, 21); /* min(ssthresh, flight + 1) */
	assert_int_equal(cc.ca_state, TCP_CA_Open);
	tcp_cc_exit_recovery(&cc, 3, 3000);
	assert_int_equal(cc.cwnd, 21); /* state Open: cwnd untouched */
	cc.ca_state = TCP_CA_Recovery;
	tcp_cc_exit_recovery(&cc, 3, 3000);
	assert_int_equal(cc.cwnd, 4);

	cc.cwnd = 20;
	tcp_cc_on_rto(&cc, 20, 4000);
	assert_int_equal(cc.ssthresh, 10);
	assert_int_equal(cc.cwnd, 1);
	assert_int_equal(cc.ca_state, TCP_CA_Loss);
	tcp_cc_on_rto(&cc, 1, 5000); /* backoff: ssthresh kept */
	assert_int_equal(cc.ssthresh, 10);
	/* Slow start again in Loss? No: Loss holds until the caller exits. */
	tcp_cc_exit_recovery(&cc, 1, 6000);
	assert_int_equal(cc.cwnd, 1);
	tcp_cc_on_ack(&cc, 1, 0, true, 7000);
	assert_int_equal(cc.cwnd, 2);
	/* Tiny flight: ssthresh never below 2. */
	tcp_cc_enter_recovery(&cc, 1, 8000);
	assert_int_equal(cc.ssthresh, 2);
}

/* RFC 5681 3.2 steps 2-4 and RFC 6582 3.2 step 3. */
static void test_newreno_partial_acks(void **state)
{
	struct tcp_cc cc;

	(void)state;
	tcp_cc_init(&cc, &tcp_reno_ops, 0);
	cc.cwnd = 20;
	tcp_newreno_enter_recovery(&cc, 20, 0);
	assert_int_equal(cc.ssthresh, 10);
	assert_int_equal(cc.cwnd, 13); /* ssthresh + 3 */
	tcp_newreno_dupack(&cc);
	tcp_newreno_dupack(&cc);
	assert_int_equal(cc.cwnd, 15);
	tcp_newreno_partial_ack(&cc, 5); /* 15 - 5 + 1 */
	assert_int_equal(cc.cwnd, 11);
	tcp_newreno_partial_ack(&cc, 0); /* < 1 SMSS acked: no add-back */
	assert_int_equal(cc.cwnd, 11);
	tcp_newreno_partial_ack(&cc, 50); /* never below one segment */
	assert_int_equal(cc.cwnd, 2);
	tcp_cc_exit_recovery(&cc, 12, 0); /* full ACK */
	assert_int_equal(cc.cwnd, 10);
	cc.ca_state = TCP_CA_Open;
	tcp_newreno_dupack(&cc); /* outside recovery: nothing */
	assert_int_equal(cc.cwnd, 10);
}

/* RFC 9438 4.6/4.2: beta 0.7, then concave growth that reaches W_max
 * after about K = cbrt(W_max * (1 - beta) / C) = cbrt(75) = 4.22 s. */
static void test_cubic_concave_plateau_convex(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;
	u32 at_half_k, at_k, at_2k;

	(void)state;
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	cc.cwnd = 100;
	tcp_cc_enter_recovery(&cc, 100, now);
	assert_int_equal(cc.ssthresh, 70);
	assert_int_equal(cc.cwnd, 70);
	tcp_cc_exit_recovery(&cc, 70, now);
	assert_int_equal(cc.cwnd, 70);

	while (now < 2110000) /* K / 2 */
		sim_rtt(&cc, 100000, &now);
	at_half_k = cc.cwnd;
	while (now < 4220000) /* K */
		sim_rtt(&cc, 100000, &now);
	at_k = cc.cwnd;
	while (now < 8440000) /* 2K */
		sim_rtt(&cc, 100000, &now);
	at_2k = cc.cwnd;
	/* Concave: most of the way back by K/2 (W(K/2) = 100 - 0.4 * 2.11^3
	 * = 96.2), then a plateau near W_max, then convex growth. */
	assert_in_range(at_half_k, 92, 99);
	assert_in_range(at_k, 98, 102);
	assert_in_range(at_2k, 120, 150); /* W(2K) = 100 + 30 = 130 */
}

/* RFC 9438 4.7: a loss below the previous W_max lowers W_max further. */
static void test_cubic_fast_convergence(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;

	(void)state;
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	cc.cwnd = 100;
	tcp_cc_enter_recovery(&cc, 100, now); /* W_max 100 */
	tcp_cc_exit_recovery(&cc, 70, now);
	cc.cwnd = 80;
	tcp_cc_enter_recovery(&cc, 80, now); /* W_max = 80 * 0.85 = 68 */
	assert_int_equal(cc.ssthresh, 56);
	tcp_cc_exit_recovery(&cc, 56, now);
	/* The plateau is now at 68: after K = cbrt(12 / 0.4) = 3.1 s
	 * W_cubic is 68, not 80; the Reno-friendly estimate is 56 + 0.53 *
	 * 31 RTTs = 72.4 and wins (4.3). Without fast convergence the window
	 * would be at 80. */
	while (now < 3100000)
		sim_rtt(&cc, 100000, &now);
	assert_in_range(cc.cwnd, 68, 74);
}

/* RFC 9438 4.3: on a 1 ms path CUBIC's time-based curve is slow; the
 * Reno-friendly estimate (alpha 0.53, then 1 past cwnd_prior) drives. */
static void test_cubic_reno_friendly(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;

	(void)state;
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	cc.cwnd = 100;
	tcp_cc_enter_recovery(&cc, 100, now);
	tcp_cc_exit_recovery(&cc, 70, now);
	for (int i = 0; i < 56; i++) /* 30 segments at 0.53 per RTT */
		sim_rtt(&cc, 1000, &now);
	assert_in_range(cc.cwnd, 95, 101);
	for (int i = 0; i < 200; i++)
		sim_rtt(&cc, 1000, &now);
	/* Pure CUBIC at t = 0.26 s would still be below 71. */
	assert_in_range(cc.cwnd, 280, 310);
}

static void test_cubic_rto_and_restart(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;

	(void)state;
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	cc.cwnd = 100;
	tcp_cc_on_rto(&cc, 100, now);
	assert_int_equal(cc.cwnd, 1);
	assert_int_equal(cc.ssthresh, 70);
	tcp_cc_exit_recovery(&cc, 1, now);
	/* Slow start to 70, then CUBIC toward W_max 100 from a new epoch. */
	while (cc.cwnd < 70)
		sim_rtt(&cc, 100000, &now);
	/* The ACKs left in the RTT that reached 70 already grow it a bit:
	 * W_cubic(0.1 s) = 100 - 0.4 * 4.12^3 = 72. */
	assert_in_range(cc.cwnd, 70, 73);
	u64 epoch = now;
	while (now < epoch + 4300000)
		sim_rtt(&cc, 100000, &now);
	assert_in_range(cc.cwnd, 97, 103);
	/* Switching algorithm keeps the window. */
	tcp_cc_set_ops(&cc, &tcp_reno_ops, now);
	assert_in_range(cc.cwnd, 97, 103);
	assert_ptr_equal(cc.ops, &tcp_reno_ops);
	/* Idle restart: back to the initial window. */
	tcp_cc_idle_restart(&cc, now);
	assert_int_equal(cc.cwnd, TCP_INIT_CWND);
}

/* RFC 9406: slow start ends when the RTT grows by the threshold (here
 * 10 ms base: 4 ms) inside slow start; with a flat RTT it goes on. */
static void test_cubic_hystart_delay_exit(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;
	u32 rtt = 10000;

	(void)state;
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	for (int i = 0; i < 7; i++) /* 10 -> 1280, flat RTT */
		sim_rtt(&cc, rtt, &now);
	assert_int_equal(cc.cwnd, 1280);
	assert_int_equal(cc.ssthresh, TCP_INFINITE_SSTHRESH);

	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	now = 0;
	for (int i = 0; i < 7 && tcp_cc_in_slow_start(&cc); i++) {
		if (cc.cwnd >= 40) /* a queue builds past 40 segments */
			rtt += 5000;
		sim_rtt(&cc, rtt, &now);
	}
	/* Exit within a round or two of the RTT rise (cwnd 40..160), at
	 * the window of that moment (ssthresh = cwnd). */
	assert_in_range(cc.ssthresh, 40, 160);
	assert_int_equal(cc.cwnd, cc.ssthresh);
	assert_false(tcp_cc_in_slow_start(&cc));
	/* Congestion avoidance from there: slow growth, no doubling. */
	u32 at_exit = cc.cwnd;
	sim_rtt(&cc, rtt, &now);
	assert_true(cc.cwnd < at_exit + at_exit / 2);
}

/* No window ever goes to 0 or wraps, whatever the ACK pattern. */
static void test_cubic_random_walk(void **state)
{
	struct tcp_cc cc;
	u64 now = 0;

	(void)state;
	srand(9438);
	tcp_cc_init(&cc, &tcp_cubic_ops, 0);
	for (int i = 0; i < 200000; i++) {
		int r = rand() % 1000;

		now += (u64)(rand() % 5000);
		if (r == 0)
			tcp_cc_on_rto(&cc, cc.cwnd, now);
		else if (r < 5)
			tcp_cc_enter_recovery(&cc, cc.cwnd, now);
		else if (r < 30 && cc.ca_state != TCP_CA_Open)
			tcp_cc_exit_recovery(&cc, cc.cwnd, now);
		else
			tcp_cc_on_ack(&cc, (u32)(rand() % 4),
				      (u32)(rand() % 50000), true, now);
		assert_true(cc.cwnd >= 1);
		assert_true(cc.cwnd <= cc.cwnd_clamp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_reno_slow_start_and_ca),
	    cmocka_unit_test(test_reno_recovery_and_rto),
	    cmocka_unit_test(test_newreno_partial_acks),
	    cmocka_unit_test(test_cubic_concave_plateau_convex),
	    cmocka_unit_test(test_cubic_fast_convergence),
	    cmocka_unit_test(test_cubic_reno_friendly),
	    cmocka_unit_test(test_cubic_rto_and_restart),
	    cmocka_unit_test(test_cubic_hystart_delay_exit),
	    cmocka_unit_test(test_cubic_random_walk),
	};

	return cmocka_run_group_tests_name("tcp_cong", tests, NULL, NULL);
}
