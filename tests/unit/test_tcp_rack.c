/*
 * test_tcp_rack.c - host tests for net/tcp_rack.c, RACK (RFC 8985 6) over
 * the transmission log: entries made, split and merged; what an ACK
 * delivers (cumulative and SACK); RACK.xmit_ts/end_seq/rtt (step 2,
 * resends filtered by TSecr and min_RTT); reordering (step 3); the
 * window and its D-SACK growth (step 4); loss and the reordering
 * timeout (step 5); the pipe; RTO marking; sequence numbers wrapping
 * 2^32; a log full to its bound.
 *
 * Scenario numbers: MSS 1000, segment i is [base + i*MSS, +MSS), times
 * in microseconds from T.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/tcp_rack.h>
#include <skiff/net/tcp_seq.h>

#define MSS 1000u
#define T 1000000000ull
#define MIN_RTT 40000u /* reo_wnd 10 ms */

static struct tcp_sack_block seg(u32 base, u32 i, u32 n)
{
	struct tcp_sack_block b = {base + i * MSS, base + (i + n) * MSS};
	return b;
}

/* Segments 0..n-1 sent one by one, segment i at T + i * gap_us. */
static void flight(struct tcp_rack *r, u32 base, u32 n, u64 gap_us)
{
	assert_int_equal(tcp_rack_init(r, base), 0);
	for (u32 i = 0; i < n; i++)
		tcp_rack_on_xmit(r, base + i * MSS, base + (i + 1) * MSS,
				 T + i * gap_us);
}

static struct tcp_rack_in in_at(u64 now_us, u32 ack)
{
	struct tcp_rack_in in = {.ack = ack,
				 .now_us = now_us,
				 .min_rtt_us = MIN_RTT,
				 .srtt_us = 50000};
	return in;
}

static struct tcp_rack_out ack_sack(struct tcp_rack *r, u64 now_us, u32 ack,
				    struct tcp_sack_block b)
{
	struct tcp_rack_in in = in_at(now_us, ack);
	struct tcp_rack_out out;
	in.blocks = &b;
	in.nr_blocks = 1;
	tcp_rack_on_ack(r, &in, &out);
	return out;
}

/* An idle log that learned nothing may be freed (a fresh one acts the
 * same); one that widened its window (or saw reordering) may not. */
static void test_pristine_when_idle(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 5000, 2, 10);
	assert_false(tcp_rack_pristine(&r)); /* data in flight */
	struct tcp_rack_in in = in_at(T + 50000, 7000);
	struct tcp_rack_out out;
	tcp_rack_on_ack(&r, &in, &out);
	tcp_rack_idle(&r, 7000);
	assert_true(tcp_rack_pristine(&r));
	tcp_rack_spurious(&r); /* a D-SACK round: reo_wnd_mult 2 */
	assert_false(tcp_rack_pristine(&r));
	tcp_rack_release(&r);
}

/* A burst sent in one microsecond is one entry; a later one another. */
static void test_log_entries(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 5000, 4, 0);
	assert_int_equal(r.nr, 1);
	assert_int_equal(r.segs[0].start, 5000);
	assert_int_equal(r.segs[0].end, 9000);
	tcp_rack_on_xmit(&r, 9000, 10000, T + 1);
	assert_int_equal(r.nr, 2);
	assert_int_equal(tcp_rack_pipe(&r), 5000);
	tcp_rack_release(&r);
}

/* SACK of segment 2 splits the burst in three; the cumulative ACK of
 * 0-1 drops the first; delivered counts each byte once. */
static void test_sack_splits_and_ack_drops(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 4, 0);
	struct tcp_rack_out o = ack_sack(&r, T + 30000, 0, seg(0, 2, 1));
	assert_int_equal(r.nr, 3);
	assert_int_equal(r.segs[1].flags, TCP_RACK_SACKED);
	assert_int_equal(o.delivered, MSS);
	assert_int_equal(tcp_rack_pipe(&r), 3 * MSS);
	o = ack_sack(&r, T + 31000, 2 * MSS, seg(0, 2, 1));
	assert_int_equal(o.delivered, 2 * MSS);
	assert_int_equal(r.nr, 2);
	assert_int_equal(r.snd_una, 2 * MSS);
	assert_int_equal(tcp_rack_pipe(&r), MSS);
	assert_true(o.reordering); /* 0-1 delivered after 2 */
	tcp_rack_release(&r);
}

/* Step 5: segments 0..3 sent 1 ms apart, 3 SACKed at +30 ms (RACK.rtt
 * 27 ms). Without reordering seen and one segment SACKed the window is
 * min_RTT/4 = 10 ms: segment i is lost at T + i + 37 ms. At +30 none is
 * lost and the timeout is the longest wait (segment 2: 9 ms); at +37
 * segment 0 (2 ms left for 2), at +39 the other two. */
static void test_loss_by_time(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 4, 1000);
	struct tcp_rack_out o = ack_sack(&r, T + 30000, 0, seg(0, 3, 1));
	assert_int_equal(r.rtt_us, 27000);
	assert_int_equal(r.end_seq, 4 * MSS);
	assert_int_equal(o.newly_lost, 0);
	assert_int_equal(o.reo_timeout_us, 9000); /* segment 2: 39 - 30 */
	struct tcp_rack_in in = in_at(T + 37000, 0);
	tcp_rack_detect_loss(&r, &in, &o);
	assert_int_equal(o.newly_lost, MSS); /* segment 0 */
	assert_int_equal(o.reo_timeout_us, 2000);
	in.now_us = T + 39000;
	tcp_rack_detect_loss(&r, &in, &o);
	assert_int_equal(o.newly_lost, 2 * MSS);
	assert_int_equal(o.reo_timeout_us, 0);
	assert_int_equal(tcp_rack_lost_out(&r), 3 * MSS);
	assert_int_equal(tcp_rack_pipe(&r), 0);
	u32 seq, len;
	assert_false(tcp_rack_next_lost(&r, true, MSS, &seq, &len));
	assert_true(tcp_rack_next_lost(&r, false, MSS, &seq, &len));
	assert_int_equal(seq, 0);
	assert_int_equal(len, MSS);
	tcp_rack_release(&r);
}

/* Step 4: three segments SACKed and no reordering seen: the window is 0
 * (DupThresh's rule); recovering: 0 too. */
static void test_reo_wnd_rules(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 8, 0);
	struct tcp_rack_in in = in_at(T, 0);
	assert_int_equal(tcp_rack_reo_wnd_us(&r, &in), MIN_RTT / 4);
	in.sacked_pkts = 3;
	assert_int_equal(tcp_rack_reo_wnd_us(&r, &in), 0);
	in.sacked_pkts = 0;
	in.recovering = true;
	assert_int_equal(tcp_rack_reo_wnd_us(&r, &in), 0);
	r.reord = true;
	assert_int_equal(tcp_rack_reo_wnd_us(&r, &in), MIN_RTT / 4);
	r.reo_wnd_mult = 9; /* capped at SRTT */
	assert_int_equal(tcp_rack_reo_wnd_us(&r, &in), 50000);
	tcp_rack_release(&r);
}

/* Step 3: segment 0 acknowledged after 1 was SACKed, never resent:
 * reordering. A resent one below RACK.fack is not. */
static void test_reordering_detected(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 4, 0);
	ack_sack(&r, T + 30000, 0, seg(0, 1, 1));
	struct tcp_rack_out o = ack_sack(&r, T + 31000, 2 * MSS, seg(0, 1, 1));
	assert_true(o.reordering);
	assert_true(r.reord);
	assert_int_equal(r.reord_events, 1);
	tcp_rack_release(&r);

	flight(&r, 0, 4, 0);
	ack_sack(&r, T + 30000, 0, seg(0, 1, 1));
	tcp_rack_on_xmit(&r, 0, MSS, T + 30500); /* resent */
	o = ack_sack(&r, T + 60000, 2 * MSS, seg(0, 1, 1));
	assert_false(o.reordering);
	tcp_rack_release(&r);
}

/* Step 2 for a resend: an ACK whose TSecr is older than the resend is
 * for the original and does not move RACK.xmit_ts; one not older does. */
static void test_resend_sample_filtered(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 2, 0);
	tcp_rack_on_xmit(&r, 0, MSS, T + 50000);
	struct tcp_rack_in in = in_at(T + 60000, MSS);
	struct tcp_rack_out o;
	in.ts = true;
	in.tsecr = (u32)(T / 1000); /* the original's TSval */
	tcp_rack_on_ack(&r, &in, &o);
	assert_false(r.advanced);
	tcp_rack_release(&r);

	flight(&r, 0, 2, 0);
	tcp_rack_on_xmit(&r, 0, MSS, T + 50000);
	in.tsecr = (u32)((T + 50000) / 1000);
	in.min_rtt_us = 5000; /* 10 ms is no less than min_RTT */
	tcp_rack_on_ack(&r, &in, &o);
	assert_true(r.advanced);
	assert_true(r.xmit_us == T + 50000);
	assert_int_equal(r.rtt_us, 10000);
	tcp_rack_release(&r);
}

/* A resend marked lost again counts in lost_retrans; the RTO marks all
 * but the SACKed lost and clears RETRANS; undo unmarks them. */
static void test_lost_resend_and_rto(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 4, 0);
	tcp_rack_on_xmit(&r, 0, MSS, T + 10000);	   /* 0 resent */
	tcp_rack_on_xmit(&r, 4 * MSS, 5 * MSS, T + 20000); /* 4 new */
	assert_int_equal(tcp_rack_retrans_out(&r), MSS);
	/* RACK.rtt 30 ms, window 10 ms: 1-3 (sent at T) and the resend of 0
	 * (T + 10 ms) are lost at T + 50 ms. */
	struct tcp_rack_out o = ack_sack(&r, T + 50000, 0, seg(0, 4, 1));
	assert_int_equal(o.newly_lost, 4 * MSS);
	assert_int_equal(r.lost_retrans, 1);
	assert_int_equal(tcp_rack_retrans_out(&r), 0);
	tcp_rack_on_rto(&r);
	assert_int_equal(tcp_rack_lost_out(&r), 4 * MSS);
	tcp_rack_unmark_lost(&r);
	assert_int_equal(tcp_rack_lost_out(&r), 0);
	assert_int_equal(tcp_rack_pipe(&r), 4 * MSS);
	tcp_rack_release(&r);
}

/* Step 4: a D-SACK widens the window once per round (until SND.UNA
 * passes the SND.NXT of the first), for 16 recoveries. */
static void test_dsack_widens_window(void **state)
{
	struct tcp_rack r;
	(void)state;
	flight(&r, 0, 4, 0);
	struct tcp_rack_in in = in_at(T + 1000, 0);
	struct tcp_rack_out o;
	in.dsack = true;
	tcp_rack_on_ack(&r, &in, &o);
	assert_int_equal(r.reo_wnd_mult, 2);
	tcp_rack_on_ack(&r, &in, &o); /* same round: no more */
	assert_int_equal(r.reo_wnd_mult, 2);
	in.ack = 4 * MSS; /* the round is over */
	tcp_rack_on_ack(&r, &in, &o);
	assert_int_equal(r.reo_wnd_mult, 3);
	assert_int_equal(r.reo_wnd_persist, TCP_RACK_REO_PERSIST);
	for (u32 i = 0; i < TCP_RACK_REO_PERSIST - 1; i++)
		tcp_rack_recovery_done(&r);
	assert_int_equal(r.reo_wnd_mult, 3);
	tcp_rack_recovery_done(&r);
	assert_int_equal(r.reo_wnd_mult, 1);
	tcp_rack_release(&r);
}

/* Near 2^32: splits, ACKs and SACKs across the wrap. */
static void test_wraparound(void **state)
{
	struct tcp_rack r;
	u32 base = 0xffffffffu - 1500;
	(void)state;
	flight(&r, base, 4, 1000);
	struct tcp_rack_out o =
	    ack_sack(&r, T + 30000, base + MSS, seg(base, 2, 1));
	assert_int_equal(o.delivered, 2 * MSS);
	assert_int_equal(r.snd_una, base + MSS);
	assert_int_equal(tcp_rack_pipe(&r), 2 * MSS);
	assert_true(o.reo_timeout_us > 0); /* segment 1 waits */
	tcp_rack_release(&r);
}

/* More entries than the bound (every other segment SACKed, each sent
 * in its own microsecond): neighbours are merged, nothing SACKed is
 * kept as more delivered than it was, the bytes are all still there. */
static void test_log_bound(void **state)
{
	struct tcp_rack r;
	u32 n = 3 * TCP_RACK_MAX_SEGS;
	(void)state;
	flight(&r, 0, n, 1);
	assert_true(r.nr <= TCP_RACK_MAX_SEGS);
	for (u32 i = 1; i < n; i += 2)
		ack_sack(&r, T + 100000, 0, seg(0, i, 1));
	assert_true(r.nr <= TCP_RACK_MAX_SEGS);
	assert_true(r.merged > 0);
	u32 bytes = 0;
	for (u32 i = 0; i < r.nr; i++) {
		if (i)
			assert_int_equal(r.segs[i].start, r.segs[i - 1].end);
		bytes += r.segs[i].end - r.segs[i].start;
	}
	assert_int_equal(bytes, n * MSS);
	assert_int_equal(r.segs[0].start, 0);
	/* Segment 0 never SACKed is never counted delivered. */
	assert_false(r.segs[0].flags & TCP_RACK_SACKED);
	tcp_rack_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_entries),
	    cmocka_unit_test(test_sack_splits_and_ack_drops),
	    cmocka_unit_test(test_loss_by_time),
	    cmocka_unit_test(test_reo_wnd_rules),
	    cmocka_unit_test(test_reordering_detected),
	    cmocka_unit_test(test_resend_sample_filtered),
	    cmocka_unit_test(test_lost_resend_and_rto),
	    cmocka_unit_test(test_dsack_widens_window),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_log_bound),
	    cmocka_unit_test(test_pristine_when_idle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
