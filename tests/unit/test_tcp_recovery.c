/*
 * test_tcp_recovery.c - loss recovery that does not wait for the RTO:
 * Limited Transmit (RFC 3042), Early Retransmit (RFC 5827) and the tail
 * loss probe (RFC 8985 7), each fed ACKs as bytes with the fake clock
 * and checked on the segments that come out.
 */
#include "tcp_test.h"

static u8 data[64 * 1460];

/* An ACK from the peer: ack is relative to our ISN + 1 (c->oseq at
 * open), with up to two SACK blocks (same base) and a timestamp. */
struct ack_spec {
	u32 ack;
	u32 sack[2][2];
	u8 nr_sack;
	bool ts;
	u32 tsval, tsecr;
	bool dsack_first; /* sack[0] is a D-SACK */
};

static void send_ack(const struct conn *c, u32 base, const struct ack_spec *a)
{
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c->pseq,
			      .ack = base + a->ack,
			      .wnd = 512};
	if (a->ts) {
		ps.opt.present |= TCP_OPT_TS;
		ps.opt.tsval = a->tsval;
		ps.opt.tsecr = a->tsecr;
	}
	for (u8 i = 0; i < a->nr_sack; i++) {
		ps.opt.present |= TCP_OPT_SACK;
		ps.opt.sack[i].start = base + a->sack[i][0];
		ps.opt.sack[i].end = base + a->sack[i][1];
	}
	ps.opt.nr_sack = a->nr_sack;
	peer_send_to(c->pport, LPORT, &ps);
}

static void dupack(const struct conn *c, u32 base)
{
	struct ack_spec a = {.ack = 0};
	send_ack(c, base, &a);
}

/* ---- Limited Transmit ---------------------------------------------------- */

/* cwnd (10) full with more data waiting: the first and the second
 * duplicate ACK each release one new segment (FlightSize up to cwnd + 2
 * SMSS), cwnd unchanged; the third starts fast retransmit. */
static void test_limited_transmit_newreno(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 100000);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 20 * 1460), 20 * 1460);
	for (u32 i = 0; i < 10; i++)
		expect_seg(&o, TCP_FLAG_ACK, base + i * 1460, c.pseq);
	expect_none();
	for (u32 i = 0; i < 2; i++) {
		dupack(&c, base);
		expect_seg(&o, TCP_FLAG_ACK, base + (10 + i) * 1460, c.pseq);
		assert_int_equal(o.len, 1460);
		expect_none();
		assert_int_equal(c.tp->cc.cwnd, TCP_INIT_CWND);
		assert_false(c.tp->in_recovery);
	}
	dupack(&c, base);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* fast retransmit */
	assert_true(c.tp->in_recovery);
	assert_int_equal(snmp_get(MIB_TcpExtTCPRenoRecovery), 1);
	tcp_close(c.tp, true);
	drain();
}

/* With SACK: duplicate ACKs are ACKs that SACK new data (RFC 6675 2);
 * the first two still send new data, not retransmissions. */
static void test_limited_transmit_sack(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	tcp_recovery_rack = false; /* the RFC 6675 fallback */
	open_conn_opts(&c, 110000, TCP_OPT_SACK_PERM);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 20 * 1460), 20 * 1460);
	drain(); /* ten segments; the first is lost */
	for (u32 i = 0; i < 2; i++) {
		struct ack_spec a = {.sack = {{1460, (2 + i) * 1460}},
				     .nr_sack = 1};
		send_ack(&c, base, &a);
		expect_seg(&o, TCP_FLAG_ACK, base + (10 + i) * 1460, c.pseq);
		expect_none();
		assert_false(c.tp->in_recovery);
	}
	struct ack_spec a = {.sack = {{1460, 4 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* RFC 6675 5 step 4 */
	assert_int_equal(snmp_get(MIB_TcpExtTCPSackRecovery), 1);
	tcp_close(c.tp, true);
	drain();
}

/* ---- Early Retransmit ---------------------------------------------------- */

/* Two segments out and nothing else to send: one duplicate ACK is all
 * the peer can send, and it is enough (RFC 5827 3.1: ER_thresh = 1). */
static void test_early_retransmit_two_segments(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 120000);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 2 * 1460), 2 * 1460);
	drain();
	dupack(&c, base);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	assert_int_equal(o.len, 1460);
	expect_none();
	assert_true(c.tp->in_recovery);
	assert_int_equal(snmp_get(MIB_TcpExtTCPFastRetrans), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 0);
	tcp_close(c.tp, true);
	drain();
}

/* Three segments with SACK: the threshold is two ACKs that SACK data. */
static void test_early_retransmit_three_segments_sack(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	tcp_recovery_rack = false; /* the RFC 6675 fallback */
	open_conn_opts(&c, 130000, TCP_OPT_SACK_PERM);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 3 * 1460), 3 * 1460);
	drain();
	struct ack_spec a1 = {.sack = {{1460, 2 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a1);
	expect_none();
	struct ack_spec a2 = {.sack = {{1460, 3 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a2);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	assert_int_equal(o.len, 1460);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSackRecovery), 1);
	tcp_close(c.tp, true);
	drain();
}

/* Not early while new data may still go: with two segments out and a
 * 300-byte tail that TCP_NODELAY lets out, the first duplicate ACK sends
 * the tail (limited transmit) instead of a retransmission (RFC 5827 3:
 * only when no new segment can be sent). The second then finds three
 * segments out and nothing to send: ER_thresh = 2, the head goes. */
static void test_early_retransmit_not_with_new_data(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 140000);
	u32 base = c.oseq;
	c.tp->nodelay = true;
	c.tp->cc.cwnd = 2;
	assert_int_equal(tcp_send(c.tp, data, 2 * 1460 + 300), 2 * 1460 + 300);
	drain(); /* two segments: cwnd */
	dupack(&c, base);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, base + 2 * 1460, c.pseq);
	assert_int_equal(o.len, 300); /* limited transmit */
	expect_none();
	assert_false(c.tp->in_recovery);
	dupack(&c, base);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	assert_true(c.tp->in_recovery);
	tcp_close(c.tp, true);
	drain();
}

/* Whether the head (at seq) is among the segments sent now. */
static bool head_resent(u32 seq)
{
	static struct out_seg o;
	bool found = false;
	while (pop_seg(&o))
		found |= o.h.seq == seq && o.len > 0;
	return found;
}

/* SACK recovery resends the head once (RFC 6675); if that resend is
 * lost, data first sent after it gets SACKed while the head stays
 * unacknowledged: the head goes again (TcpExtTCPLostRetransmit) instead
 * of waiting for the RTO. SACKs of data sent before the resend do not
 * count. */
static void test_lost_retransmission_resent(void **state)
{
	struct conn c;
	(void)state;
	tcp_recovery_rack = false; /* the RFC 6675 fallback */
	open_conn_opts(&c, 210000, TCP_OPT_SACK_PERM);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 30 * 1460), 30 * 1460);
	drain(); /* segments 0-9; 0 is lost */
	struct ack_spec a = {.sack = {{1460, 4 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a);
	assert_true(head_resent(base)); /* fast retransmit */
	assert_true(c.tp->in_recovery);
	u32 mark = c.tp->head_rtx_mark - base;
	assert_int_equal(mark, 10 * 1460);
	for (u32 end = 5; end <= 10; end++) { /* new data goes out */
		a.sack[0][1] = end * 1460;
		send_ack(&c, base, &a);
		assert_false(head_resent(base));
	}
	assert_int_equal(snmp_get(MIB_TcpExtTCPLostRetransmit), 0);
	assert_true(after(c.tp->snd_max, base + 11 * 1460));
	a.sack[0][1] = 11 * 1460; /* sent after the resend: it was lost */
	send_ack(&c, base, &a);
	assert_true(head_resent(base));
	assert_int_equal(snmp_get(MIB_TcpExtTCPLostRetransmit), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 0);
	struct ack_spec full = {.ack = 11 * 1460};
	send_ack(&c, base, &full);
	assert_false(c.tp->head_rtx_valid &&
		     c.tp->snd_una == c.tp->head_rtx_seq);
	tcp_close(c.tp, true);
	drain();
}

/* ---- after an RTO ---------------------------------------------------------
 */

/* Ten segments out, the peer SACKs only the sixth (one duplicate ACK:
 * no recovery), then silence: the RTO resends the head with cwnd 1. The
 * SACKed segment is remembered across the RTO (RFC 2018 Errata 1610, as
 * Linux): going back from SND.UNA, slow start resends 1-4 and 6-7, never
 * 5, and does not count it in flight. */
static void test_rto_keeps_sack_and_skips_it(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	tcp_recovery_rack = false; /* the RFC 6675 fallback */
	open_conn_opts(&c, 190000, TCP_OPT_SACK_PERM);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 10 * 1460), 10 * 1460);
	drain();
	struct ack_spec a = {.sack = {{5 * 1460, 6 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a);
	expect_none();
	host_clock_advance_ms(1000);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* the RTO */
	expect_none();
	assert_int_equal(c.tp->cc.cwnd, 1);
	a.ack = 1460;
	send_ack(&c, base, &a);
	expect_seg(&o, TCP_FLAG_ACK, base + 1 * 1460, c.pseq);
	expect_seg(&o, TCP_FLAG_ACK, base + 2 * 1460, c.pseq);
	expect_none();
	a.ack = 3 * 1460;
	send_ack(&c, base, &a);
	assert_int_equal(c.tp->cc.cwnd, 4);
	expect_seg(&o, TCP_FLAG_ACK, base + 3 * 1460, c.pseq);
	expect_seg(&o, TCP_FLAG_ACK, base + 4 * 1460, c.pseq);
	expect_seg(&o, TCP_FLAG_ACK, base + 6 * 1460, c.pseq); /* not 5 */
	expect_seg(&o, TCP_FLAG_ACK, base + 7 * 1460, c.pseq);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPSACKReneging), 0);
	tcp_close(c.tp, true);
	drain();
}

/* The same, but the peer reneges: its ACK stops at the start of the
 * range it SACKed. The ranges are forgotten (TcpExtTCPSACKReneging) and
 * SND.NXT goes back, so segment 5 is sent after all. */
static void test_rto_sack_reneging(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	tcp_recovery_rack = false; /* the RFC 6675 fallback */
	open_conn_opts(&c, 195000, TCP_OPT_SACK_PERM);
	u32 base = c.oseq;
	assert_int_equal(tcp_send(c.tp, data, 10 * 1460), 10 * 1460);
	drain();
	struct ack_spec a = {.sack = {{5 * 1460, 6 * 1460}}, .nr_sack = 1};
	send_ack(&c, base, &a);
	host_clock_advance_ms(1000);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* the RTO */
	struct ack_spec r = {.ack = 5 * 1460};	    /* reneged: no SACK now */
	send_ack(&c, base, &r);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSACKReneging), 1);
	assert_int_equal(c.tp->sack->nr_ranges, 0);
	expect_seg(&o, TCP_FLAG_ACK, base + 5 * 1460, c.pseq);
	tcp_close(c.tp, true);
	drain();
}

/* ---- Tail loss probe ----------------------------------------------------- */

/* A SACK + timestamps connection with one RTT sample of 20 ms: SRTT
 * 20.001 ms, RTO 220.001 ms (SRTT + the 200 ms floor of the variance
 * term, as Linux), armed as 221 ms. */
static u32 tlp_open(struct conn *c, u32 isn)
{
	struct out_seg o;
	open_conn_opts(c, isn, TCP_OPT_SACK_PERM | TCP_OPT_TS);
	u32 base = c->oseq;
	assert_int_equal(tcp_send(c->tp, data, 1448), 1448);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, base, c->pseq);
	host_clock_advance_ms(20);
	struct ack_spec a = {
	    .ack = 1448, .ts = true, .tsval = 1, .tsecr = o.h.opt.tsval};
	send_ack(c, base, &a);
	expect_none();
	assert_int_equal(c->tp->rtt.srtt_us, 20001);
	assert_int_equal(tcp_rtt_rto_us(&c->tp->rtt), 20001 + TCP_RTO_MIN_US);
	return base + 1448;
}

/* Three segments and nothing more to send; no ACK comes. At PTO =
 * 2 * SRTT (41 ms, rounded up) the last segment goes again (the RTO
 * would wait 221 ms); its ACK, covering all without a D-SACK, shows the
 * probe repaired a loss: cwnd comes down. */
static void test_tlp_probe_retransmits_tail(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 base = tlp_open(&c, 150000);
	assert_int_equal(tcp_send(c.tp, data, 3 * 1448), 3 * 1448);
	for (u32 i = 0; i < 3; i++)
		expect_seg(&o, TCP_FLAG_ACK | (i == 2 ? TCP_FLAG_PSH : 0),
			   base + i * 1448, c.pseq);
	u32 ts = o.h.opt.tsval;
	host_clock_advance_ms(40);
	expect_none();
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_ACK, base + 2 * 1448, c.pseq);
	assert_int_equal(o.len, 1448);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 0);
	assert_true(c.tp->tlp_in_flight);
	u32 cwnd = c.tp->cc.cwnd;
	struct ack_spec a = {
	    .ack = 1448 + 3 * 1448, .ts = true, .tsval = 2, .tsecr = ts};
	send_ack(&c, base - 1448, &a);
	assert_false(c.tp->tlp_in_flight);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbeRecovery), 1);
	assert_true(c.tp->cc.cwnd < cwnd);
	assert_int_equal(c.tp->cc.cwnd, c.tp->cc.ssthresh);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* The probe's ACK carries a D-SACK of it: the original had arrived (only
 * its ACK was lost), so no loss, no cwnd reduction (RFC 8985 7.4). */
static void test_tlp_dsack_means_no_loss(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 base = tlp_open(&c, 160000);
	assert_int_equal(tcp_send(c.tp, data, 3 * 1448), 3 * 1448);
	drain();
	host_clock_advance_ms(41);
	expect_seg(&o, TCP_FLAG_ACK, base + 2 * 1448, c.pseq);
	u32 cwnd = c.tp->cc.cwnd;
	u32 b = base - 1448;
	struct ack_spec a = {.ack = 4 * 1448,
			     .sack = {{3 * 1448, 4 * 1448}},
			     .nr_sack = 1,
			     .ts = true,
			     .tsval = 2,
			     .tsecr = o.h.opt.tsval};
	send_ack(&c, b, &a);
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKRecv), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbeRecovery), 0);
	assert_true(c.tp->cc.cwnd >= cwnd);
	tcp_close(c.tp, true);
	drain();
}

/* New data waiting behind cwnd: the probe is a new segment (the window
 * allows it; cwnd is not checked, RFC 8985 7.3). */
static void test_tlp_probe_sends_new_data(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 base = tlp_open(&c, 170000);
	c.tp->cc.cwnd = 2;
	assert_int_equal(tcp_send(c.tp, data, 3 * 1448), 3 * 1448);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	expect_seg(&o, TCP_FLAG_ACK, base + 1448, c.pseq);
	expect_none(); /* cwnd 2 */
	host_clock_advance_ms(40);
	expect_none();
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, base + 2 * 1448, c.pseq);
	assert_int_equal(o.len, 1448);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 1);
	assert_false(c.tp->tlp_retrans);
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 0);
	tcp_close(c.tp, true);
	drain();
}

/* One segment in flight: PTO = 2 SRTT + WCDelAckT (241 ms), later than
 * the RTO (221 ms), so no probe is armed and the RTO does the work
 * (RFC 8985 7.2: PTO = min(PTO, RTO)). */
static void test_tlp_one_segment_waits_for_rto(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 base = tlp_open(&c, 175000);
	assert_int_equal(tcp_send(c.tp, data, 1448), 1448);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, base, c.pseq);
	assert_int_equal(c.tp->tlp_at_ms, 0);
	host_clock_advance_ms(220);
	expect_none();
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 1);
	tcp_close(c.tp, true);
	drain();
}

/* No probe without SACK (as Linux): the RTO does the work. And after the
 * probe, if nothing answers, the RTO fires RTO after the probe. */
static void test_tlp_then_rto(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 base = tlp_open(&c, 180000);
	assert_int_equal(tcp_send(c.tp, data, 4 * 1448), 4 * 1448);
	drain();
	host_clock_advance_ms(41);
	expect_seg(&o, TCP_FLAG_ACK, base + 3 * 1448, c.pseq); /* probe */
	host_clock_advance_ms(220);
	expect_none();
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* the RTO: the head */
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 1);
	assert_false(c.tp->tlp_in_flight);
	tcp_close(c.tp, true);
	drain();

	open_conn(&c, 181000); /* no SACK */
	assert_int_equal(tcp_send(c.tp, data, 3 * 1460), 3 * 1460);
	drain();
	assert_int_equal(c.tp->tlp_at_ms, 0);
	tcp_close(c.tp, true);
	drain();
}

/* Reordering hands us a duplicate ACK whose TSval is older than
 * TS.Recent: PAWS (RFC 7323 5.3) would drop it with its SACK blocks and
 * the third duplicate ACK would never be counted. As Linux
 * (tcp_disordered_ack), a pure duplicate ACK at RCV.NXT that changes no
 * window and is at most an RTO older passes; an ACK older than the RTO
 * is still dropped, whether it acknowledges new data or not. */
static void test_paws_lets_disordered_dupacks_through(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	tcp_recovery_rack = false; /* DupThresh counts the ACKs */
	u32 base = tlp_open(&c, 200000), b = base - 1448;
	assert_int_equal(tcp_send(c.tp, data, 6 * 1448), 6 * 1448);
	drain();
	struct ack_spec d = {.ack = 1448,
			     .sack = {{3 * 1448, 4 * 1448}},
			     .nr_sack = 1,
			     .ts = true,
			     .tsval = 5};
	send_ack(&c, b, &d); /* dupack 1 */
	d.tsval = 7;
	d.sack[0][1] = 5 * 1448;
	send_ack(&c, b, &d); /* dupack 2, TS.Recent 7 */
	assert_int_equal(c.tp->ts_recent, 7);
	expect_none();
	struct ack_spec old = {
	    .ack = 1448 + 1448, .ts = true, .tsval = 7 - 300};
	send_ack(&c, b, &old); /* acks new data, far too old: dropped */
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 1);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, c.pseq); /* PAWS's ACK */
	assert_int_equal(c.tp->snd_una, base);
	d.tsval = 7 - 300; /* older than the RTO (221 ms): dropped */
	send_ack(&c, b, &d);
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 2);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, c.pseq);
	assert_int_equal(c.tp->dupacks, 2);
	d.tsval = 6; /* the third, disordered: counted */
	send_ack(&c, b, &d);
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 2);
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq); /* fast retransmit */
	assert_true(c.tp->in_recovery);
	assert_int_equal(c.tp->ts_recent, 7);
	tcp_close(c.tp, true);
	drain();
}

/* ---- RACK (RFC 8985 6) and undo ------------------------------------------
 *
 * A SACK + timestamps connection with one 20 ms RTT sample (tlp_open):
 * min_RTT 20.001 ms, so the reordering window starts at 5 ms (min_RTT / 4,
 * RFC 8985 6.2 step 4). Data segment i (1448 bytes) starts at s0 + i *
 * 1448; all ten of the first flight go out at t0.
 */

/* An ACK relative to s0 with a timestamp echoing tsecr. */
static void rack_ack(const struct conn *c, u32 s0, u32 ack, u32 sack_from,
		     u32 sack_to, u32 tsecr)
{
	static u32 tsval = 100;
	struct ack_spec a = {.ack = ack * 1448,
			     .nr_sack = sack_to > sack_from,
			     .sack = {{sack_from * 1448, sack_to * 1448}},
			     .ts = true,
			     .tsval = ++tsval,
			     .tsecr = tsecr};
	send_ack(c, s0, &a);
}

/* The same with a D-SACK of [d_from, d_to) first. */
static void rack_ack_dsack(const struct conn *c, u32 s0, u32 ack, u32 d_from,
			   u32 d_to, u32 tsecr)
{
	static u32 tsval = 500;
	struct ack_spec a = {.ack = ack * 1448,
			     .nr_sack = 1,
			     .sack = {{d_from * 1448, d_to * 1448}},
			     .ts = true,
			     .tsval = ++tsval,
			     .tsecr = tsecr};
	send_ack(c, s0, &a);
}

/* Twenty segments queued, ten sent at t0 (cwnd 10); returns the TSval
 * they carry. */
static u32 rack_flight(struct conn *c, u32 s0)
{
	struct out_seg o;
	assert_int_equal(tcp_send(c->tp, data, 20 * 1448), 20 * 1448);
	for (u32 i = 0; i < 10; i++)
		expect_seg(&o, TCP_FLAG_ACK, s0 + i * 1448, c->pseq);
	expect_none();
	assert_non_null(c->tp->rack);
	return o.h.opt.tsval;
}

/* The segment sent now must be segment i (the last, 19, has PSH). */
static u32 expect_data(const struct conn *c, u32 s0, u32 i)
{
	struct out_seg o;
	u8 psh = i == 19 ? TCP_FLAG_PSH : 0;
	expect_seg(&o, TCP_FLAG_ACK | psh, s0 + i * 1448, c->pseq);
	assert_int_equal(o.len, 1448);
	return o.h.opt.tsval;
}

/* t0 + 20 ms: segment 1 SACKed, 0 not. RACK.rtt is 20 ms, so 0 is lost
 * only at t0 + 25 ms (RACK.rtt + reo_wnd): no retransmission yet, and
 * the SACKed segment frees room for one new one (segment 10). The
 * reordering timer fires at t0 + 25: recovery, ssthresh 7 (CUBIC's
 * 0.7); PRR (RFC 6937, counting the timer as one segment delivered,
 * as Linux) lets one segment go: cwnd = pipe 9 + 1, segment 0 resent.
 * Returns the retransmission's TSval. */
static u32 rack_to_recovery(struct conn *c, u32 s0, u32 ts0)
{
	host_clock_advance_ms(20);
	rack_ack(c, s0, 0, 1, 2, ts0);
	expect_data(c, s0, 10);
	expect_none();
	assert_int_equal(c->tp->rack->reo_at_ms, tcp_now_ms() + 5);
	host_clock_advance_ms(4);
	expect_none();
	assert_false(c->tp->in_recovery);
	host_clock_advance_ms(1);
	u32 ts_rtx = expect_data(c, s0, 0);
	expect_none();
	assert_true(c->tp->in_recovery);
	assert_int_equal(c->tp->cc.ssthresh, 7);
	assert_int_equal(c->tp->cc.cwnd, 10); /* PRR: pipe 9 + sndcnt 1 */
	assert_int_equal(tcp_rack_pipe(c->tp->rack), 10 * 1448);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSackRecovery), 1);
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 0);
	return ts_rtx;
}

/* The reordering timer, then a D-SACK of the one resend: the original
 * had arrived (RFC 3708). cwnd and ssthresh come back (10, infinite),
 * recovery ends (TcpExtTCPDSACKUndo) and the reordering window doubles
 * (RFC 8985 6.2 step 4: reo_wnd_mult 2, 10 ms). */
static void test_rack_reo_timer_then_dsack_undo(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 220000);
	u32 ts_rtx = rack_to_recovery(&c, s0, rack_flight(&c, s0));
	host_clock_advance_ms(20);
	rack_ack_dsack(&c, s0, 11, 0, 1, ts_rtx);
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKRecv), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKUndo), 1);
	assert_false(c.tp->in_recovery);
	assert_int_equal(c.tp->cc.ssthresh, TCP_INFINITE_SSTHRESH);
	assert_true(c.tp->cc.cwnd >= 10);
	assert_false(c.tp->undo_valid);
	assert_int_equal(c.tp->rack->reo_wnd_mult, 2);
	struct tcp_rack_in in = {.min_rtt_us = 20001, .srtt_us = 20001};
	assert_int_equal(tcp_rack_reo_wnd_us(c.tp->rack, &in), 10000);
	for (u32 i = 11; i < 20; i++) /* slow start goes on: the rest */
		expect_data(&c, s0, i);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* RFC 3522 (Eifel) on a partial ACK: the ACK that covers segment 0
 * echoes the TSval of its original transmission, not of the resend, and
 * no resend is outstanding: the hole was reordering. Recovery ends
 * undone (TcpExtTCPPartialUndo), cwnd 10 again. */
static void test_rack_eifel_partial_undo(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 230000);
	u32 ts0 = rack_flight(&c, s0);
	u32 ts_rtx = rack_to_recovery(&c, s0, ts0);
	assert_true(ts_rtx > ts0);
	host_clock_advance_ms(2);
	rack_ack(&c, s0, 2, 2, 3, ts0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPPartialUndo), 1);
	assert_false(c.tp->in_recovery);
	assert_int_equal(c.tp->cc.cwnd, 10);
	assert_int_equal(c.tp->cc.ssthresh, TCP_INFINITE_SSTHRESH);
	/* pipe 8 (3-10, 2 SACKed... 3-9 and 10): two new segments */
	expect_data(&c, s0, 11);
	expect_data(&c, s0, 12);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* A resend lost too (RFC 8985 6.2 step 5 on a retransmission): segment
 * 0 went again at t0 + 25; at t0 + 45 segments 1-10 are SACKed (the
 * newest, 10, sent at t0 + 20: before the resend, so nothing is lost)
 * and six new ones fill cwnd 7. At t0 + 70 those six are SACKed: they
 * went out after the resend, RACK.rtt (25 ms) has passed since it, so it
 * is lost again (TcpExtTCPLostRetransmit) and goes a third time, no RTO. */
static void test_rack_lost_retransmission(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 240000);
	u32 ts0 = rack_flight(&c, s0);
	rack_to_recovery(&c, s0, ts0);
	host_clock_advance_ms(20);
	rack_ack(&c, s0, 0, 1, 11, ts0);
	for (u32 i = 11; i < 17; i++)
		expect_data(&c, s0, i);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPLostRetransmit), 0);
	host_clock_advance_ms(25);
	rack_ack(&c, s0, 0, 1, 17, ts0);
	expect_data(&c, s0, 0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLostRetransmit), 1);
	for (u32 i = 17; i < 20; i++) /* pipe 1 of cwnd 7: the rest */
		expect_data(&c, s0, i);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 2);
	assert_int_equal(snmp_get(MIB_TcpExtTCPTimeouts), 0);
	assert_true(c.tp->in_recovery);
	tcp_close(c.tp, true);
	drain();
}

/* RFC 8985 6.2 step 3: segment 0, never resent, is acknowledged after
 * segment 1 was SACKed: reordering (TcpExtTCPSACKReorder). From then on
 * the window stays even with three segments SACKed (without reordering
 * seen it would be 0 there, DupThresh's rule): segment 2 is lost only
 * 5 ms after RACK.rtt, by the timer. */
static void test_rack_reordering_keeps_window(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 250000);
	u32 ts0 = rack_flight(&c, s0);
	host_clock_advance_ms(20);
	rack_ack(&c, s0, 0, 1, 2, ts0);
	expect_data(&c, s0, 10);
	host_clock_advance_ms(2);
	rack_ack(&c, s0, 2, 0, 0, ts0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSACKReorder), 1);
	assert_true(c.tp->rack->reord);
	assert_int_equal(c.tp->rack->reo_at_ms, 0);
	expect_data(&c, s0, 11);
	expect_data(&c, s0, 12);
	expect_data(&c, s0, 13);
	expect_none();
	rack_ack(&c, s0, 2, 3, 6, ts0); /* 3-5 SACKed, 2 missing */
	expect_data(&c, s0, 14);
	expect_data(&c, s0, 15);
	expect_data(&c, s0, 16);
	expect_none();
	assert_false(c.tp->in_recovery);
	host_clock_advance_ms(4);
	expect_none();
	host_clock_advance_ms(1);
	expect_data(&c, s0, 2);
	assert_true(c.tp->in_recovery);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSACKReorder), 1);
	tcp_close(c.tp, true);
	drain();
}

/* A spurious RTO (RFC 3522 Eifel, Linux's tcp_try_undo_loss): ten
 * segments out, the loss probe (new data, segment 10) at PTO, the RTO
 * 221 ms later resends segment 0 with cwnd 1. The ACK that follows
 * echoes the first flight's TSval: the originals arrived, the RTO was
 * spurious. cwnd 10 and ssthresh come back (TcpExtTCPLossUndo), and
 * instead of going back N (1, 2, ...) new data goes: segment 11. */
static void test_rto_eifel_undo(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 260000);
	u32 ts0 = rack_flight(&c, s0);
	host_clock_advance_ms(41);
	expect_data(&c, s0, 10); /* the loss probe */
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossProbes), 1);
	host_clock_advance_ms(221);
	expect_data(&c, s0, 0); /* the RTO */
	expect_none();
	assert_int_equal(c.tp->cc.cwnd, 1);
	assert_true(c.tp->undo_valid);
	host_clock_advance_ms(5);
	rack_ack(&c, s0, 2, 0, 0, ts0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossUndo), 1);
	assert_int_equal(c.tp->cc.cwnd, 10);
	assert_int_equal(c.tp->cc.ssthresh, TCP_INFINITE_SSTHRESH);
	assert_false(tcp_in_loss(c.tp));
	assert_int_equal(c.tp->snd_nxt, c.tp->snd_max);
	expect_data(&c, s0, 11);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* The same RTO, and the ACK that covers segments 0-1 echoes the
 * resend's TSval, so Eifel cannot tell; but segment 1 was never resent
 * (nor SACKed): not all was lost, the RTO was spurious (SACK-enhanced
 * F-RTO, RFC 5682 3.1 step 3b; TcpExtTCPSpuriousRTOs). */
static void test_frto_spurious_rto(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 270000);
	rack_flight(&c, s0);
	host_clock_advance_ms(41);
	expect_data(&c, s0, 10);
	host_clock_advance_ms(221);
	u32 ts_rtx = expect_data(&c, s0, 0);
	assert_true(c.tp->frto);
	host_clock_advance_ms(5);
	rack_ack(&c, s0, 2, 0, 0, ts_rtx);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSpuriousRTOs), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossUndo), 1);
	assert_false(tcp_in_loss(c.tp));
	assert_int_equal(c.tp->cc.cwnd, 10);
	expect_data(&c, s0, 11);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* F-RTO on a real loss (RFC 5682 3.1): the ACK of the resent segment 0
 * alone (echoing the resend) advances SND.UNA: two new segments (11,
 * 12) go instead of 1 and 2 (step 2b, cwnd 2). The next ACK is a
 * duplicate that SACKs only them, nothing sent before the RTO: the
 * loss was real (step 3a), going back N resumes with 1 and 2. */
static void test_frto_real_loss(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 275000);
	rack_flight(&c, s0);
	host_clock_advance_ms(41);
	expect_data(&c, s0, 10);
	host_clock_advance_ms(221);
	u32 ts_rtx = expect_data(&c, s0, 0);
	host_clock_advance_ms(5);
	rack_ack(&c, s0, 1, 0, 0, ts_rtx);
	assert_int_equal(c.tp->cc.cwnd, 2);
	expect_data(&c, s0, 11);
	expect_data(&c, s0, 12);
	expect_none();
	assert_true(c.tp->frto);
	host_clock_advance_ms(5);
	rack_ack(&c, s0, 1, 11, 13, ts_rtx);
	assert_false(c.tp->frto);
	assert_true(tcp_in_loss(c.tp));
	expect_data(&c, s0, 1);
	expect_data(&c, s0, 2);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPSpuriousRTOs), 0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPLossUndo), 0);
	tcp_close(c.tp, true);
	drain();
}

/* PRR (RFC 6937 3) after the reordering timer's recovery (RecoverFS 11,
 * ssthresh 7, one resend out). Segments 2-3 SACKed: pipe 8 > ssthresh,
 * proportional: ceil(3 * 7 / 11) - 1 sent = 1, cwnd 9, segment 11 goes.
 * Segments 4-6 SACKed: pipe 6 <= ssthresh, PRR-SSRB: min(7 - 6,
 * max(6 - 2, 3) + 1) = 1, cwnd 7, segment 12 goes. */
static void test_prr_proportional_then_ssrb(void **state)
{
	struct conn c;
	(void)state;
	u32 s0 = tlp_open(&c, 280000);
	u32 ts0 = rack_flight(&c, s0);
	rack_to_recovery(&c, s0, ts0);
	assert_int_equal(c.tp->rack->prr_recover_fs, 11);
	host_clock_advance_ms(1);
	rack_ack(&c, s0, 0, 1, 4, ts0);
	assert_int_equal(c.tp->cc.cwnd, 9);
	expect_data(&c, s0, 11);
	expect_none();
	rack_ack(&c, s0, 0, 1, 7, ts0);
	assert_int_equal(c.tp->cc.cwnd, 7);
	expect_data(&c, s0, 12);
	expect_none();
	assert_int_equal(c.tp->rack->prr_delivered, 6);
	assert_int_equal(c.tp->rack->prr_out, 3);
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 1);
	tcp_close(c.tp, true);
	drain();
}

/* PAWS and reordering (tcp_paws_reordered): the peer's resend of a hole
 * moved TS.Recent past the TSval of an original above the hole that the
 * path delayed. That original brings new data (beyond RCV.NXT) and is at
 * most the replay window older: taken, not dropped by R1. The same
 * bytes again with that old TSval are all below RCV.NXT by then: an old
 * duplicate, dropped (TcpExtPAWSEstab). */
static void test_paws_takes_reordered_data(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 in[1000];
	(void)state;
	tlp_open(&c, 290000);
	u32 p0 = c.pseq;
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .ack = c.oseq,
			      .wnd = 512,
			      .data = in,
			      .len = 1000};
	ps.opt.present = TCP_OPT_TS;
	ps.seq = p0 + 2000; /* segment 2 (TSval 52) first: out of order */
	ps.opt.tsval = 52;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, p0);
	ps.seq = p0; /* segment 0 resent (TSval 60) fills the first hole */
	ps.opt.tsval = 60;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, p0 + 1000);
	assert_int_equal(c.tp->ts_recent, 60);
	ps.seq = p0 + 1000; /* segment 1's original (TSval 50), late */
	ps.opt.tsval = 50;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, p0 + 3000);
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 0);
	assert_int_equal(c.tp->rcv_nxt, p0 + 3000);
	assert_int_equal(c.tp->ts_recent, 60); /* not moved back */
	peer_send_to(c.pport, LPORT, &ps);     /* again: all old */
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 1);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, p0 + 3000);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* RACK's state lives while the connection has data in flight: it is
 * made with the first data of a SACK connection, is kept (log emptied)
 * once all is acknowledged, for the next send to reuse, and goes
 * TCP_RACK_IDLE_MS later when it learned nothing (a fresh one comes with
 * the next send: here the FIN); it goes at TIME_WAIT (nothing is sent
 * again). */
static void test_rack_state_freed_at_time_wait(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	u32 s0 = tlp_open(&c, 295000);
	struct tcp_rack *kept = c.tp->rack;
	assert_non_null(kept); /* all acknowledged: idle, kept a while */
	assert_true(kept->log_idle);
	assert_int_equal(kept->nr, 0);
	assert_false(c.tp->rack_fresh);
	/* A send within the idle time reuses it; its ACK makes it idle. */
	host_clock_advance_ms(TCP_RACK_IDLE_MS - 1);
	assert_ptr_equal(c.tp->rack, kept);
	assert_int_equal(tcp_send(c.tp, data, 100), 100);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, s0, c.pseq);
	assert_ptr_equal(c.tp->rack, kept);
	assert_false(kept->log_idle);
	assert_int_equal(kept->nr, 1);
	struct ack_spec a = {
	    .ack = 100, .ts = true, .tsval = 2, .tsecr = o.h.opt.tsval};
	send_ack(&c, s0, &a);
	s0 += 100;
	host_clock_advance_ms(TCP_RACK_IDLE_MS - 1);
	assert_ptr_equal(c.tp->rack, kept); /* idle time restarted */
	host_clock_advance_ms(1);
	assert_null(c.tp->rack); /* idle long enough, nothing learned */
	assert_true(c.tp->rack_fresh);
	expect_none();
	tcp_close(c.tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, s0, c.pseq);
	assert_non_null(c.tp->rack); /* the FIN is in flight */
	assert_false(c.tp->rack_fresh);
	struct peer_seg fin = {.flags = TCP_FLAG_FIN | TCP_FLAG_ACK,
			       .seq = c.pseq,
			       .ack = s0 + 1,
			       .wnd = 512};
	peer_send_to(c.pport, LPORT, &fin);
	expect_seg(&o, TCP_FLAG_ACK, s0 + 1, c.pseq + 1);
	assert_int_equal(c.tp->state, TCP_TIME_WAIT);
	assert_null(c.tp->rack);
	drain();
}

/* RFC 9293 3.7.1 / RFC 6691: the options count against the MSS. While
 * we hold out-of-order data our data segments carry a SACK block (12
 * bytes with its NOPs) beside the timestamps, so each carries 1460 - 12
 * - 12 = 1436 bytes and stays within the path MTU (before, 1448 bytes
 * made 1,508-byte datagrams, dropped with DF set). With the hole filled,
 * 1448 again. */
static void test_send_mss_counts_sack_blocks(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 in[100];
	(void)state;
	u32 s0 = tlp_open(&c, 297000);
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c.pseq + 100, /* a hole of 100 bytes */
			      .ack = s0,
			      .wnd = 512,
			      .data = in,
			      .len = 100,
			      .opt = {.present = TCP_OPT_TS, .tsval = 9}};
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, s0, c.pseq);
	assert_int_equal(o.h.opt.nr_sack, 1);
	assert_int_equal(tcp_send(c.tp, data, 2 * 1436), 2 * 1436);
	for (u32 i = 0; i < 2; i++) {
		expect_seg(&o, TCP_FLAG_ACK | (i ? TCP_FLAG_PSH : 0),
			   s0 + i * 1436, c.pseq);
		assert_int_equal(o.h.opt.nr_sack, 1);
		assert_int_equal(o.len, 1436);
	}
	expect_none();
	ps.seq = c.pseq; /* the hole filled: no SACK block any more */
	ps.ack = s0 + 2 * 1436;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, ANY_SEQ, c.pseq + 200);
	assert_int_equal(tcp_send(c.tp, data, 1448), 1448);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, s0 + 2 * 1436,
		   c.pseq + 200);
	assert_int_equal(o.h.opt.nr_sack, 0);
	assert_int_equal(o.len, 1448);
	tcp_close(c.tp, true);
	drain();
}

static int rec_setup(void **state)
{
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 7 + 1);
	return setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_limited_transmit_newreno, rec_setup),
	    cmocka_unit_test_setup(test_limited_transmit_sack, rec_setup),
	    cmocka_unit_test_setup(test_early_retransmit_two_segments,
				   rec_setup),
	    cmocka_unit_test_setup(test_early_retransmit_three_segments_sack,
				   rec_setup),
	    cmocka_unit_test_setup(test_early_retransmit_not_with_new_data,
				   rec_setup),
	    cmocka_unit_test_setup(test_lost_retransmission_resent, rec_setup),
	    cmocka_unit_test_setup(test_rto_keeps_sack_and_skips_it, rec_setup),
	    cmocka_unit_test_setup(test_rto_sack_reneging, rec_setup),
	    cmocka_unit_test_setup(test_tlp_probe_retransmits_tail, rec_setup),
	    cmocka_unit_test_setup(test_tlp_dsack_means_no_loss, rec_setup),
	    cmocka_unit_test_setup(test_tlp_probe_sends_new_data, rec_setup),
	    cmocka_unit_test_setup(test_tlp_one_segment_waits_for_rto,
				   rec_setup),
	    cmocka_unit_test_setup(test_tlp_then_rto, rec_setup),
	    cmocka_unit_test_setup(test_paws_lets_disordered_dupacks_through,
				   rec_setup),
	    cmocka_unit_test_setup(test_rack_reo_timer_then_dsack_undo,
				   rec_setup),
	    cmocka_unit_test_setup(test_rack_eifel_partial_undo, rec_setup),
	    cmocka_unit_test_setup(test_rack_lost_retransmission, rec_setup),
	    cmocka_unit_test_setup(test_rack_reordering_keeps_window,
				   rec_setup),
	    cmocka_unit_test_setup(test_rto_eifel_undo, rec_setup),
	    cmocka_unit_test_setup(test_frto_spurious_rto, rec_setup),
	    cmocka_unit_test_setup(test_frto_real_loss, rec_setup),
	    cmocka_unit_test_setup(test_prr_proportional_then_ssrb, rec_setup),
	    cmocka_unit_test_setup(test_paws_takes_reordered_data, rec_setup),
	    cmocka_unit_test_setup(test_rack_state_freed_at_time_wait,
				   rec_setup),
	    cmocka_unit_test_setup(test_send_mss_counts_sack_blocks, rec_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
