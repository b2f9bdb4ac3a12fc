/*
 * test_tcp.c - TCP through the whole host-built stack, lwIP/smoltcp
 * style: segments go in as frames from the peer (198.18.0.1) with the
 * fake clock, and the segments that come out are parsed and checked
 * field by field. Covers the handshake (passive and active), data both
 * ways, delayed ACKs, every close path and TIME_WAIT (with reuse), RSTs
 * to closed ports, RFC 5961 (exact RST, challenge ACKs), retransmission
 * with backoff, Karn and the retry limit, zero-window probes, all 120
 * arrival orders of five segments with overlaps, and sequence wrap.
 */
#include "tcp_test.h"

static void test_passive_open_and_close(void **state)
{
	struct conn c;
	(void)state;
	open_conn(&c, 1000);
	assert_int_equal(snmp_get(MIB_TcpPassiveOpens), 1);
	u8 buf[16];
	assert_int_equal(tcp_recv(c.tp, buf, sizeof(buf), false), -EAGAIN);
	close_conn(&c);
}

static void test_rst_to_closed_port(void **state)
{
	struct out_seg o;
	(void)state;
	/* SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>. */
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 5000, .wnd = 100};
	peer_send_to(40999, 9, &syn);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, 0, 5001);
	/* An ACK to a closed port: <SEQ=SEG.ACK><CTL=RST>. */
	struct peer_seg ack = {.flags = TCP_FLAG_ACK, .seq = 1, .ack = 777};
	peer_send_to(40999, 9, &ack);
	expect_seg(&o, TCP_FLAG_RST, 777, 0);
	/* A RST is never answered. */
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = 1};
	peer_send_to(40999, 9, &rst);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpOutRsts), 2);
}

static void test_listener_answers_ack_with_rst(void **state)
{
	struct out_seg o;
	(void)state;
	struct peer_seg ack = {.flags = TCP_FLAG_ACK, .seq = 9, .ack = 1234};
	peer_send_to(41000, LPORT, &ack);
	expect_seg(&o, TCP_FLAG_RST, 1234, 0);
}

static void test_synack_retransmit_then_give_up(void **state)
{
	struct out_seg o;
	(void)state;
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 1, .wnd = 1000};
	peer_send_to(41001, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 2);
	u32 iss = o.h.seq;
	/* No MSS option from the peer: 536 is assumed, no window scale. */
	assert_false(o.h.opt.present & TCP_OPT_WSCALE);
	u32 waits[] = {1000, 2000, 4000, 8000, 16000};
	for (u32 i = 0; i < 5; i++) {
		host_clock_advance_ms(waits[i] - 1);
		expect_none();
		host_clock_advance_ms(1);
		expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, iss, 2);
	}
	host_clock_advance_ms(32000);
	expect_none();
	/* The child is gone: its ACK now meets only the listener. */
	struct peer_seg ack = {.flags = TCP_FLAG_ACK, .seq = 2, .ack = iss + 1};
	peer_send_to(41001, LPORT, &ack);
	expect_seg(&o, TCP_FLAG_RST, iss + 1, 0);
}

static void test_synrecv_bad_ack_gets_rst(void **state)
{
	struct out_seg o;
	(void)state;
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 1, .wnd = 1000};
	peer_send_to(41002, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 2);
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK, .seq = 2, .ack = o.h.seq + 5};
	peer_send_to(41002, LPORT, &ack);
	expect_seg(&o, TCP_FLAG_RST, o.h.seq + 5, 0);
	/* RST at RCV.NXT removes the child. */
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = 2};
	peer_send_to(41002, LPORT, &rst);
	expect_none();
	int err;
	assert_null(tcp_accept(listener, &err));
}

static void test_active_open(void **state)
{
	struct out_seg o;
	(void)state;
	struct tcp_sock *tp = tcp_sock_create();
	assert_int_equal(tcp_connect(tp, PEER_IP, 8080), -EINPROGRESS);
	expect_seg(&o, TCP_FLAG_SYN, ANY_SEQ, 0);
	assert_true(o.h.opt.present & TCP_OPT_MSS);
	assert_true(o.h.opt.present & TCP_OPT_WSCALE);
	assert_true(o.h.sport >= 32768);
	assert_int_equal(snmp_get(MIB_TcpActiveOpens), 1);
	u32 iss = o.h.seq;
	assert_int_equal(tcp_poll(tp) & SOCK_EV_OUT, 0);
	struct peer_seg sa = {.flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
			      .seq = 90000,
			      .ack = iss + 1,
			      .wnd = 1000,
			      .opt = {.present = TCP_OPT_MSS, .mss = 1000}};
	peer_send_to(8080, o.h.sport, &sa);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 90001);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tp->mss, 1000);
	assert_true(tcp_poll(tp) & SOCK_EV_OUT);
	/* Data out honours the peer's MSS. */
	static u8 data[1500];
	assert_int_equal(tcp_send(tp, data, sizeof(data)), 1500);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 90001);
	assert_int_equal(o.len, 1000);
	expect_none(); /* Nagle holds the 500-byte tail while 1000 is out */
	tcp_close(tp, true);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, iss + 1001, 90001);
}

static void test_active_open_refused(void **state)
{
	struct out_seg o;
	(void)state;
	struct tcp_sock *tp = tcp_sock_create();
	assert_int_equal(tcp_connect(tp, PEER_IP, 8081), -EINPROGRESS);
	expect_seg(&o, TCP_FLAG_SYN, ANY_SEQ, 0);
	/* A RST with a wrong ACK is ignored... */
	struct peer_seg bad = {.flags = TCP_FLAG_RST | TCP_FLAG_ACK,
			       .ack = o.h.seq + 7};
	peer_send_to(8081, o.h.sport, &bad);
	assert_int_equal(tp->state, TCP_SYN_SENT);
	drain();
	/* ...the right one refuses. */
	struct peer_seg rst = {.flags = TCP_FLAG_RST | TCP_FLAG_ACK,
			       .ack = o.h.seq + 1};
	peer_send_to(8081, o.h.sport, &rst);
	assert_int_equal(tp->state, TCP_CLOSE);
	u8 b;
	assert_int_equal(tcp_recv(tp, &b, 1, false), -ECONNREFUSED);
	assert_true(tcp_poll(tp) & SOCK_EV_ERR);
	tcp_close(tp, false);
}

static void test_simultaneous_open(void **state)
{
	struct out_seg o;
	(void)state;
	struct tcp_sock *tp = tcp_sock_create();
	assert_int_equal(tcp_connect(tp, PEER_IP, 8082), -EINPROGRESS);
	expect_seg(&o, TCP_FLAG_SYN, ANY_SEQ, 0);
	u32 iss = o.h.seq;
	u16 sport = o.h.sport;
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 300, .wnd = 2000};
	peer_send_to(8082, sport, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, iss, 301);
	assert_int_equal(tp->state, TCP_SYN_RECV);
	struct peer_seg sa = {.flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
			      .seq = 300,
			      .ack = iss + 1,
			      .wnd = 2000};
	(void)sa;
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK, .seq = 301, .ack = iss + 1, .wnd = 2000};
	peer_send_to(8082, sport, &ack);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	tcp_close(tp, true);
	drain();
}

/* ---- data ---------------------------------------------------------------- */

static void test_data_in_quickack_then_delayed(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 buf[64];
	(void)state;
	open_conn(&c, 2000);
	/* Quick-ACK mode at the start: each segment ACKed at once. */
	for (int i = 0; i < 8; i++) {
		peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, "abcd", 4);
		expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	}
	/* Then delayed: one small segment waits for the 40 ms timer... */
	peer(&c, TCP_FLAG_ACK, "x", 1);
	expect_none();
	host_clock_advance_ms(39);
	expect_none();
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtDelayedACKs), 1);
	/* ...and the second segment is ACKed at once (RFC 5681 4.2). */
	peer(&c, TCP_FLAG_ACK, "y", 1);
	expect_none();
	peer(&c, TCP_FLAG_ACK, "z", 1);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(tcp_recv(c.tp, buf, sizeof(buf), false), 35);
	assert_memory_equal(buf, "abcdabcd", 8);
	assert_memory_equal(buf + 32, "xyz", 3);
	close_conn(&c);
}

static void test_data_out_segmented_and_acked(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[4000];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 13);
	open_conn(&c, 3000);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), 4000);
	u32 off = 0;
	u32 sizes[] = {1460, 1460, 1080};
	for (u32 i = 0; i < 3; i++) {
		if (i == 2) {
			/* Nagle held the small tail until the ACK. */
			expect_none();
			struct peer_seg ack = {.flags = TCP_FLAG_ACK,
					       .seq = c.pseq,
					       .ack = c.oseq + off,
					       .wnd = 512};
			peer_send_to(c.pport, LPORT, &ack);
		}
		expect_seg(&o,
			   i == 2 ? TCP_FLAG_ACK | TCP_FLAG_PSH : TCP_FLAG_ACK,
			   c.oseq + off, c.pseq);
		assert_int_equal(o.len, sizes[i]);
		assert_memory_equal(o.data, data + off, sizes[i]);
		off += sizes[i];
	}
	c.oseq += 4000;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(c.tp->snd_una, c.oseq);
	assert_int_equal(c.tp->sndq.len, 0);
	/* Nothing outstanding: no retransmission later. */
	host_clock_advance_ms(5000);
	expect_none();
	close_conn(&c);
}

static void test_retransmit_backoff_karn(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 4000);
	assert_int_equal(tcp_send(c.tp, "hello", 5), 5);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	/* RTO 1 s (no sample yet), then 2 s, then 4 s. */
	u32 waits[] = {1000, 2000, 4000};
	for (u32 i = 0; i < 3; i++) {
		host_clock_advance_ms(waits[i] - 1);
		expect_none();
		host_clock_advance_ms(1);
		expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
		assert_int_equal(o.len, 5);
		assert_memory_equal(o.data, "hello", 5);
	}
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 3);
	/* Karn: the ACK of a retransmitted segment gives no RTT sample. */
	c.oseq += 5;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(c.tp->rtt.samples, 0);
	assert_int_equal(c.tp->rtt.backoff, 0);
	/* A fresh segment is timed: 30 ms RTT -> RTO 230 ms (SRTT + the
	 * 200 ms floor of the variance term, Linux's tcp_set_rto). */
	assert_int_equal(tcp_send(c.tp, "again", 5), 5);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	host_clock_advance_ms(30);
	c.oseq += 5;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(c.tp->rtt.samples, 1);
	assert_int_equal(tcp_rtt_rto_us(&c.tp->rtt), 30000 + TCP_RTO_MIN_US);
	close_conn(&c);
}

static void test_retry_limit_aborts(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 5000);
	assert_int_equal(tcp_send(c.tp, "x", 1), 1);
	drain();
	host_clock_advance_ms(2000000); /* 15 backoffs: about 1087 s */
	assert_int_equal(c.tp->state, TCP_CLOSE);
	u8 b;
	assert_int_equal(tcp_recv(c.tp, &b, 1, false), -ETIMEDOUT);
	assert_int_equal(snmp_get(MIB_TcpExtTCPAbortOnTimeout), 1);
	tcp_close(c.tp, false);
	(void)o;
	drain();
}

/* Five segments out (the last 160 bytes held by Nagle): the third
 * duplicate ACK retransmits the head (RFC 5681 3.2). With 3000 bytes (two
 * segments out) this test used to wait for three duplicate ACKs too;
 * Early Retransmit (RFC 5827 3.1) now resends on the first, as it should
 * with fewer than four segments out (test_tcp_recovery.c). */
static void test_fast_retransmit_on_three_dupacks(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[6000];
	(void)state;
	open_conn(&c, 6000);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), 6000);
	drain();
	for (int i = 0; i < 2; i++) {
		peer(&c, TCP_FLAG_ACK, NULL, 0);
		expect_none();
	}
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(o.len, 1460);
	tcp_close(c.tp, true);
	drain();
}

static void test_zero_window_probe(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 7000);
	struct peer_seg zw = {
	    .flags = TCP_FLAG_ACK, .seq = c.pseq, .ack = c.oseq, .wnd = 0};
	peer_send_to(c.pport, LPORT, &zw);
	assert_int_equal(tcp_send(c.tp, "abc", 3), 3);
	expect_none();
	host_clock_advance_ms(1000);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(o.len, 1); /* the probe: one byte */
	/* The window opens with the probe's ACK: the rest goes out. */
	struct peer_seg open = {.flags = TCP_FLAG_ACK,
				.seq = c.pseq,
				.ack = c.oseq + 1,
				.wnd = 100};
	peer_send_to(c.pport, LPORT, &open);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq + 1, c.pseq);
	assert_int_equal(o.len, 2);
	assert_memory_equal(o.data, "bc", 2);
	tcp_close(c.tp, true);
	drain();
}

/* RFC 9293 3.10.7.4: with our window at zero a segment at RCV.NXT is
 * still taken for its ACK (its data is dropped for want of room): a peer
 * that filled our window keeps acknowledging our data on such segments.
 * Before, the whole segment was unacceptable and our sender never
 * learnt that its data had arrived. */
static void test_zero_window_ack_taken(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 in[1460];
	(void)state;
	open_conn(&c, 7500);
	while (c.tp->rcv_wnd_sent != c.tp->rcv_nxt) { /* fill our window */
		u32 room = c.tp->rcv_wnd_sent - c.tp->rcv_nxt;
		peer(&c, TCP_FLAG_ACK, in, MIN(room, (u32)sizeof(in)));
		drain();
	}
	assert_int_equal(tcp_ring_free(&c.tp->rcvq), 0);
	u32 rcv_nxt = c.tp->rcv_nxt;
	assert_int_equal(tcp_send(c.tp, "hello", 5), 5);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c.pseq,
			      .ack = c.oseq + 5,
			      .wnd = 512,
			      .data = in,
			      .len = 100};
	peer_send_to(c.pport, LPORT, &ps);
	assert_int_equal(c.tp->snd_una, c.oseq + 5); /* the ACK: taken */
	assert_int_equal(c.tp->rcv_nxt, rcv_nxt);    /* the data: not */
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 5, c.pseq);
	assert_int_equal(o.h.window, 0);
	ps.seq = c.pseq + 100; /* beyond RCV.NXT: unacceptable still */
	ps.ack = c.oseq + 5;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 5, c.pseq);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* Initial window: 10 segments (RFC 6928), then slow start. */
static void test_cwnd_initial_window_and_slow_start(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[30 * 1460];
	(void)state;
	open_conn(&c, 18000);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), sizeof(data));
	for (int i = 0; i < 10; i++)
		expect_seg(&o, TCP_FLAG_ACK, c.oseq + (u32)i * 1460, c.pseq);
	expect_none();
	/* An ACK of two segments opens cwnd by two: four more go out. */
	struct peer_seg ack = {.flags = TCP_FLAG_ACK,
			       .seq = c.pseq,
			       .ack = c.oseq + 2 * 1460,
			       .wnd = 512};
	peer_send_to(c.pport, LPORT, &ack);
	for (int i = 10; i < 14; i++)
		expect_seg(&o, TCP_FLAG_ACK, c.oseq + (u32)i * 1460, c.pseq);
	expect_none();
	assert_int_equal(c.tp->cc.cwnd, 12);
	tcp_close(c.tp, true);
	drain();
}

/* RTO: cwnd to 1, go back to SND.UNA; each ACK then releases more of
 * the old flight (RFC 5681 3.1, RFC 6582 4). */
static void test_rto_go_back_n(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[5 * 1460];
	(void)state;
	open_conn(&c, 19000);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), sizeof(data));
	drain(); /* all five lost */
	host_clock_advance_ms(1000);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(o.len, 1460);
	expect_none();
	assert_int_equal(c.tp->cc.cwnd, 1);
	struct peer_seg ack = {.flags = TCP_FLAG_ACK,
			       .seq = c.pseq,
			       .ack = c.oseq + 1460,
			       .wnd = 512};
	peer_send_to(c.pport, LPORT, &ack);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 1460, c.pseq);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 2 * 1460, c.pseq);
	expect_none();
	tcp_close(c.tp, true);
	drain();
}

/* NewReno (RFC 6582): three dupacks retransmit the head and enter
 * recovery; a partial ACK retransmits the next hole at once; the full
 * ACK ends recovery with cwnd = ssthresh-ish. */
static void test_newreno_partial_ack(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[8 * 1460];
	(void)state;
	open_conn(&c, 20000);
	tcp_cc_set_ops(&c.tp->cc, tcp_cong_find("reno"), 0);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), sizeof(data));
	drain(); /* segments 0 and 3 lost, the rest arrived */
	struct peer_seg dup = {
	    .flags = TCP_FLAG_ACK, .seq = c.pseq, .ack = c.oseq, .wnd = 512};
	peer_send_to(c.pport, LPORT, &dup);
	peer_send_to(c.pport, LPORT, &dup);
	expect_none();
	peer_send_to(c.pport, LPORT, &dup);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(o.len, 1460);
	assert_true(c.tp->in_recovery);
	assert_int_equal(c.tp->cc.ssthresh, 4);
	drain();
	/* Partial ACK up to the second hole: resent at once. */
	struct peer_seg part = {.flags = TCP_FLAG_ACK,
				.seq = c.pseq,
				.ack = c.oseq + 3 * 1460,
				.wnd = 512};
	peer_send_to(c.pport, LPORT, &part);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 3 * 1460, c.pseq);
	assert_true(c.tp->in_recovery);
	drain();
	struct peer_seg full = {.flags = TCP_FLAG_ACK,
				.seq = c.pseq,
				.ack = c.oseq + 8 * 1460,
				.wnd = 512};
	peer_send_to(c.pport, LPORT, &full);
	assert_false(c.tp->in_recovery);
	assert_int_equal(c.tp->sndq.len, 0);
	assert_true(c.tp->cc.cwnd <= c.tp->cc.ssthresh);
	tcp_close(c.tp, true);
	drain();
}

/* A lossy path, like the netem run of issue 4 (which CI cannot do: no
 * sch_netem): 256 KiB from us to a peer that loses 5% of segments and
 * ACKs, holds back 25% of segments behind the next one (reordering) and
 * duplicates 2%. The peer reassembles byte-exact and ACKs cumulatively;
 * the clock moves 5 ms per round so retransmission timers run. */
static u32 lossy_rand(void)
{
	static u32 x = 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

struct lossy_peer {
	u8 *got;
	bool *have;
	u32 base, nxt, total;
	struct out_seg held;
	bool holding;
};

static void lossy_deliver(struct conn *c, struct lossy_peer *p,
			  const struct out_seg *o)
{
	u32 off = o->h.seq - p->base;
	for (u32 i = 0; i < o->len && off + i < p->total; i++) {
		p->got[off + i] = o->data[i];
		p->have[off + i] = true;
	}
	while (p->nxt < p->total && p->have[p->nxt])
		p->nxt++;
	if (lossy_rand() % 100 < 5)
		return; /* the ACK is lost */
	struct peer_seg ack = {.flags = TCP_FLAG_ACK,
			       .seq = c->pseq,
			       .ack = p->base + p->nxt,
			       .wnd = 512};
	peer_send_to(c->pport, LPORT, &ack);
}

static void test_lossy_path_bulk_transfer(void **state)
{
	struct conn c;
	static struct out_seg o;
	static u8 data[256 * 1024], got[256 * 1024];
	static bool have[256 * 1024];
	struct lossy_peer p = {.got = got, .have = have, .total = sizeof(data)};
	u32 sent = 0;
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(lossy_rand() >> 7);
	open_conn(&c, 21000);
	p.base = c.oseq;
	for (u32 round = 0; round < 100000 && p.nxt < p.total; round++) {
		if (sent < sizeof(data)) {
			long n =
			    tcp_send(c.tp, data + sent, sizeof(data) - sent);
			if (n > 0)
				sent += (u32)n;
		}
		while (pop_seg(&o)) {
			u32 r = lossy_rand() % 100;
			if (r < 5)
				continue; /* lost */
			if (r < 30 && !p.holding) {
				p.held = o; /* reordered behind the next */
				p.holding = true;
				continue;
			}
			lossy_deliver(&c, &p, &o);
			if (r >= 98)
				lossy_deliver(&c, &p, &o); /* duplicated */
			if (p.holding) {
				p.holding = false;
				lossy_deliver(&c, &p, &p.held);
			}
		}
		host_clock_advance_ms(5);
	}
	assert_int_equal(p.nxt, p.total);
	assert_memory_equal(got, data, sizeof(data));
	assert_true(snmp_get(MIB_TcpRetransSegs) > 0);
	tcp_close(c.tp, true);
	drain();
}

/* Keepalive: idle 10 s, then probes <SEQ=SND.UNA-1> every 2 s; an answer
 * resets the count; 3 unanswered probes abort with ETIMEDOUT and RST. */
static void test_keepalive(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 b;
	(void)state;
	open_conn(&c, 22000);
	assert_int_equal(tcp_set_keepalive(c.tp, true, 10, 2, 3), 0);
	host_clock_advance_ms(9990);
	expect_none();
	host_clock_advance_ms(20);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq - 1, c.pseq);
	assert_int_equal(o.len, 0);
	peer(&c, TCP_FLAG_ACK, NULL, 0); /* the answer */
	host_clock_advance_ms(9000);
	expect_none();
	host_clock_advance_ms(1100);
	for (int i = 0; i < 3; i++) {
		expect_seg(&o, TCP_FLAG_ACK, c.oseq - 1, c.pseq);
		host_clock_advance_ms(2010);
	}
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->state, TCP_CLOSE);
	assert_int_equal(tcp_recv(c.tp, &b, 1, false), -ETIMEDOUT);
	tcp_close(c.tp, false);
	expect_none();
}

/* RFC 7323: timestamps negotiated on the handshake and then on every
 * segment (TSecr = TS.Recent); PAWS drops an old TSval with an ACK; RTT
 * comes from TSecr; 12 option bytes come off each segment's payload. */
static void test_timestamps_paws_rtt(void **state)
{
	struct out_seg o;
	int err;
	static u8 data[3000];
	(void)state;
	u16 pport = next_port++;
	struct peer_seg syn = {
	    .flags = TCP_FLAG_SYN,
	    .seq = 700,
	    .wnd = 64240,
	    .opt = {.present = TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_TS,
		    .mss = 1460,
		    .wscale = 7,
		    .tsval = 5000}};
	peer_send_to(pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 701);
	assert_true(o.h.opt.present & TCP_OPT_TS);
	assert_int_equal(o.h.opt.tsecr, 5000);
	u32 iss = o.h.seq, our_ts = o.h.opt.tsval;
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK,
	    .seq = 701,
	    .ack = iss + 1,
	    .wnd = 512,
	    .opt = {.present = TCP_OPT_TS, .tsval = 5001, .tsecr = our_ts}};
	peer_send_to(pport, LPORT, &ack);
	struct tcp_sock *tp = tcp_accept(listener, &err);
	assert_non_null(tp);
	assert_true(tp->ts_ok);
	/* An old TSval: PAWS, an ACK back, nothing queued. */
	struct peer_seg old = {
	    .flags = TCP_FLAG_ACK,
	    .seq = 701,
	    .ack = iss + 1,
	    .wnd = 512,
	    .opt = {.present = TCP_OPT_TS, .tsval = 4000, .tsecr = our_ts},
	    .data = (const u8 *)"old",
	    .len = 3};
	peer_send_to(pport, LPORT, &old);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 701);
	assert_int_equal(tp->rcvq.len, 0);
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), 1);
	old.opt.tsval = 5002;
	memcpy(&old.data, &(const u8 *){(const u8 *)"new"}, sizeof(old.data));
	peer_send_to(pport, LPORT, &old);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 704);
	assert_int_equal(o.h.opt.tsecr, 5002);
	assert_int_equal(tp->rcvq.len, 3);
	/* Our data: 1448-byte segments; the ACK 50 ms later gives RTT 50. */
	assert_int_equal(tcp_send(tp, data, sizeof(data)), 3000);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 704);
	assert_int_equal(o.len, 1448);
	u32 sent_ts = o.h.opt.tsval;
	drain();
	host_clock_advance_ms(50);
	struct peer_seg dack = {
	    .flags = TCP_FLAG_ACK,
	    .seq = 704,
	    .ack = iss + 1 + 1448,
	    .wnd = 512,
	    .opt = {.present = TCP_OPT_TS, .tsval = 5003, .tsecr = sent_ts}};
	peer_send_to(pport, LPORT, &dack);
	assert_int_equal(tp->rtt.last_rtt_us / 1000, 50);
	tcp_close(tp, true);
	drain();
}

/* ---- reassembly ---------------------------------------------------------- */

static void permute_next(int *a, int n, bool *done)
{
	int i = n - 2;
	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0) {
		*done = true;
		return;
	}
	int j = n - 1;
	while (a[j] <= a[i])
		j--;
	int t = a[i];
	a[i] = a[j];
	a[j] = t;
	for (int l = i + 1, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
}

/* Five 100-byte segments in the given order (the last with FIN). */
static void reassemble_order(const int *order, u32 peer_isn)
{
	struct conn c;
	u8 data[500], got[600];
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 7 + 3);
	open_conn(&c, peer_isn);
	u32 base = c.pseq;
	for (int k = 0; k < 5; k++) {
		int i = order[k];
		struct peer_seg ps = {.flags = TCP_FLAG_ACK |
					       (i == 4 ? TCP_FLAG_FIN : 0),
				      .seq = base + (u32)i * 100,
				      .ack = c.oseq,
				      .wnd = 65535,
				      .data = data + i * 100,
				      .len = 100};
		peer_send_to(c.pport, LPORT, &ps);
	}
	drain();
	assert_int_equal(c.tp->state, TCP_CLOSE_WAIT);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 500);
	assert_memory_equal(got, data, 500);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 0);
	assert_int_equal(c.tp->ofo_count, 0);
	assert_null(c.tp->ofo); /* the holes are filled: the queue went */
	tcp_close(c.tp, false);
	drain();
	c.pseq = base + 501;
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_none();
}

static void test_reassembly_all_120_orders(void **state)
{
	int order[5] = {0, 1, 2, 3, 4};
	bool done = false;
	u32 n = 0;
	(void)state;
	while (!done) {
		reassemble_order(order, 100000 + n * 1000);
		n++;
		permute_next(order, 5, &done);
	}
	assert_int_equal(n, 120);
}

static void test_reassembly_overlaps_and_wrap(void **state)
{
	struct conn c;
	u8 data[1000], got[1000];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i ^ 0x5a);
	/* The peer's sequence numbers wrap 2^32 in the middle. */
	open_conn(&c, 0xffffffffu - 300);
	u32 base = c.pseq;
	struct {
		u32 off, len;
	} parts[] = {{600, 200}, {100, 300}, {350, 400}, {900, 100},
		     {0, 150},	 {700, 250}, {50, 20}};
	for (u32 k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		struct peer_seg ps = {.flags = TCP_FLAG_ACK,
				      .seq = base + parts[k].off,
				      .ack = c.oseq,
				      .wnd = 65535,
				      .data = data + parts[k].off,
				      .len = parts[k].len};
		peer_send_to(c.pport, LPORT, &ps);
	}
	assert_int_equal(c.tp->rcv_nxt, base + 1000);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 1000);
	assert_memory_equal(got, data, 1000);
	c.pseq = base + 1000;
	drain();
	close_conn(&c);
}

static void test_ofo_acks_duplicate(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 8000);
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c.pseq + 10,
			      .ack = c.oseq,
			      .wnd = 100,
			      .data = (const u8 *)"0123456789",
			      .len = 10};
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq); /* dup ACK */
	assert_int_equal(snmp_get(MIB_TcpExtTCPOFOQueue), 1);
	peer(&c, TCP_FLAG_ACK, "abcdefghij", 10);
	c.pseq += 10; /* the out-of-order part too */
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq); /* hole filled */
	u8 got[32];
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 20);
	assert_memory_equal(got, "abcdefghij0123456789", 20);
	close_conn(&c);
}

/* ---- closing ------------------------------------------------------------- */

static void test_active_close_time_wait(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 9000);
	struct tcp_sock *tp = c.tp;
	tcp_close(tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(tp->state, TCP_FIN_WAIT1);
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(tp->state, TCP_FIN_WAIT2);
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(tp->state, TCP_TIME_WAIT);
	/* A retransmitted FIN is ACKed again. */
	c.pseq--;
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	/* After 60 s (and the wheel's rounding of long timers) the pair is
	 * free: a new ACK meets the listener. */
	host_clock_advance_ms(61000);
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_RST, c.oseq, 0);
}

static void test_time_wait_reuse_by_new_syn(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 10000);
	tcp_close(c.tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq, c.pseq);
	c.oseq++;
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	/* FIN_WAIT1 + FIN that also acks ours: straight to TIME_WAIT. */
	struct peer_seg syn = {
	    .flags = TCP_FLAG_SYN, .seq = c.pseq + 100000, .wnd = 1000};
	peer_send_to(c.pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, c.pseq + 100001);
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = c.pseq + 100001};
	peer_send_to(c.pport, LPORT, &rst);
	expect_none();
}

static void test_simultaneous_close(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 11000);
	struct tcp_sock *tp = c.tp;
	tcp_close(tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq, c.pseq);
	/* The peer's FIN crosses ours (it does not ACK our FIN). */
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq + 1, c.pseq);
	assert_int_equal(tp->state, TCP_CLOSING);
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(tp->state, TCP_TIME_WAIT);
	host_clock_advance_ms(61000);
	expect_none();
}

static void test_half_close_data_after_fin(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 buf[16];
	(void)state;
	open_conn(&c, 12000);
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_true(tcp_poll(c.tp) & SOCK_EV_RDHUP);
	assert_int_equal(tcp_recv(c.tp, buf, sizeof(buf), false), 0);
	/* CLOSE_WAIT still sends. */
	assert_int_equal(tcp_send(c.tp, "bye", 3), 3);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	c.oseq += 3;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	tcp_close(c.tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq, c.pseq);
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_none();
}

static void test_close_with_unread_data_resets(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 13000);
	peer(&c, TCP_FLAG_ACK, "unread", 6);
	drain();
	tcp_close(c.tp, false);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtTCPAbortOnClose), 1);
}

static void test_fin_wait2_timeout(void **state)
{
	struct conn c;
	(void)state;
	open_conn(&c, 14000);
	tcp_close(c.tp, false);
	drain();
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	host_clock_advance_ms(60000);
	struct out_seg o;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_RST, c.oseq, 0); /* gone */
}

/* ---- RFC 5961 ------------------------------------------------------------ */

static void test_rst_exact_resets(void **state)
{
	struct conn c;
	(void)state;
	open_conn(&c, 15000);
	peer(&c, TCP_FLAG_RST, NULL, 0);
	expect_none();
	assert_int_equal(c.tp->state, TCP_CLOSE);
	u8 b;
	assert_int_equal(tcp_recv(c.tp, &b, 1, false), -ECONNRESET);
	assert_int_equal(snmp_get(MIB_TcpEstabResets), 1);
	tcp_close(c.tp, false);
	expect_none();
}

static void test_rst_in_window_challenged(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 16000);
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = c.pseq + 1000};
	peer_send_to(c.pport, LPORT, &rst);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->state, TCP_ESTABLISHED);
	assert_int_equal(snmp_get(MIB_TcpExtTCPChallengeACK), 1);
	/* Outside the window: silently dropped. */
	rst.seq = c.pseq + 10000000;
	peer_send_to(c.pport, LPORT, &rst);
	expect_none();
	/* A SYN in ESTABLISHED: challenge ACK too, connection kept. */
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = c.pseq + 5};
	peer_send_to(c.pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->state, TCP_ESTABLISHED);
	close_conn(&c);
}

static void test_ack_out_of_range(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 17000);
	/* ACK of data never sent: answered with an ACK, data dropped. */
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c.pseq,
			      .ack = c.oseq + 100,
			      .wnd = 100,
			      .data = (const u8 *)"zz",
			      .len = 2};
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->rcvq.len, 0);
	/* Far in the past (before SND.UNA - MAX.SND.WND): challenge ACK. */
	ps.ack = c.oseq - 0x40000000u;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtTCPChallengeACK), 1);
	assert_int_equal(c.tp->rcvq.len, 0);
	/* Out-of-window data: an ACK, nothing queued. */
	ps.ack = c.oseq;
	ps.seq = c.pseq + 200000;
	peer_send_to(c.pport, LPORT, &ps);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	close_conn(&c);
}

/* ---- malformed ----------------------------------------------------------- */

static void test_bad_checksum_and_offset_dropped(void **state)
{
	(void)state;
	u8 seg[40] = {0};
	store_be16(seg, 41500);
	store_be16(seg + 2, LPORT);
	seg[12] = 5 << 4;
	seg[13] = TCP_FLAG_SYN;
	tcp_v4_csum_set(seg, 20, PEER_IP, OUR_IP);
	seg[4] ^= 1; /* now the checksum is wrong */
	struct iphdr_info ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, 20));
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpInCsumErrors), 1);
	/* Data offset past the segment. */
	seg[4] ^= 1;
	seg[12] = 15 << 4;
	tcp_v4_csum_set(seg, 20, PEER_IP, OUR_IP);
	ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, 20));
	expect_none();
	/* Too short for a header. */
	ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, 12));
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpInErrs), 3);
}

/* SYN queue full (backlog 2): the third SYN gets a SYN cookie (MSS only,
 * no window scale); its ACK makes an established child from nothing; a
 * forged ACK is refused with a RST. */
static void test_backlog_and_syn_cookies(void **state)
{
	struct out_seg o;
	int err;
	(void)state;
	struct tcp_sock *lp = tcp_sock_create();
	assert_int_equal(tcp_bind(lp, OUR_IP, 2222), 0);
	assert_int_equal(tcp_bind(tcp_sock_create(), OUR_IP, 2222),
			 -EADDRINUSE);
	assert_int_equal(tcp_listen(lp, 2), 0);
	for (u16 i = 0; i < 3; i++) {
		struct peer_seg syn = {
		    .flags = TCP_FLAG_SYN,
		    .seq = 1000u * i,
		    .wnd = 100,
		    .opt = {.present = TCP_OPT_MSS | TCP_OPT_WSCALE,
			    .mss = 1460,
			    .wscale = 7}};
		peer_send_to((u16)(42000 + i), 2222, &syn);
	}
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 1);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 1001);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 2001);
	assert_int_equal(o.h.opt.present, TCP_OPT_MSS);
	assert_int_equal(o.h.opt.mss, 1460);
	u32 cookie = o.h.seq;
	assert_int_equal(snmp_get(MIB_TcpExtSyncookiesSent), 1);
	/* A forged ACK: RST, counted as a failed cookie. */
	struct peer_seg bad = {
	    .flags = TCP_FLAG_ACK, .seq = 2001, .ack = cookie + 2, .wnd = 100};
	peer_send_to(42002, 2222, &bad);
	expect_seg(&o, TCP_FLAG_RST, cookie + 2, 0);
	assert_int_equal(snmp_get(MIB_TcpExtSyncookiesFailed), 1);
	/* The real ACK, with data: established and readable. */
	struct peer_seg ack = {.flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
			       .seq = 2001,
			       .ack = cookie + 1,
			       .wnd = 100,
			       .data = (const u8 *)"hi",
			       .len = 2};
	peer_send_to(42002, 2222, &ack);
	expect_seg(&o, TCP_FLAG_ACK, cookie + 1, 2003);
	assert_int_equal(snmp_get(MIB_TcpExtSyncookiesRecv), 1);
	struct tcp_sock *tp = tcp_accept(lp, &err);
	assert_non_null(tp);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_int_equal(tp->mss, 1460);
	u8 buf[4];
	assert_int_equal(tcp_recv(tp, buf, sizeof(buf), false), 2);
	assert_memory_equal(buf, "hi", 2);
	tcp_close(tp, true);
	tcp_close(lp, false);
	drain();
}

/* ---- SACK ---------------------------------------------------------------- */

static void expect_sack(const struct out_seg *o, u32 n,
			const struct tcp_sack_block *want)
{
	assert_true(o->h.opt.present & TCP_OPT_SACK);
	assert_int_equal(o->h.opt.nr_sack, n);
	for (u32 i = 0; i < n; i++) {
		assert_int_equal(o->h.opt.sack[i].start, want[i].start);
		assert_int_equal(o->h.opt.sack[i].end, want[i].end);
	}
}

static void peer_at(struct conn *c, u32 off, const char *data, u32 len)
{
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c->pseq + off,
			      .ack = c->oseq,
			      .wnd = 512,
			      .data = (const u8 *)data,
			      .len = len};
	peer_send_to(c->pport, LPORT, &ps);
}

/*
 * The receiver's SACK option (RFC 2018 4): every ACK of out-of-order data
 * lists the range holding the latest segment first, then the other
 * recent ones. D-SACK (RFC 2883 4): a duplicate below RCV.NXT or inside
 * a held range is reported first, once.
 */
static void test_sack_blocks_and_dsack(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 got[64];
	(void)state;
	open_conn_opts(&c, 29000, TCP_OPT_SACK_PERM);
	assert_true(c.tp->sack_ok);
	u32 b = c.pseq;
	peer_at(&c, 10, "bbbbbbbbbb", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b);
	expect_sack(&o, 1, (struct tcp_sack_block[]){{b + 10, b + 20}});
	peer_at(&c, 30, "dddddddddd", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b);
	expect_sack(
	    &o, 2,
	    (struct tcp_sack_block[]){{b + 30, b + 40}, {b + 10, b + 20}});
	peer_at(&c, 50, "ffffffffff", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b);
	expect_sack(&o, 3,
		    (struct tcp_sack_block[]){
			{b + 50, b + 60}, {b + 30, b + 40}, {b + 10, b + 20}});
	/* The middle range again: first now; a D-SACK for the duplicate. */
	peer_at(&c, 30, "dddddddddd", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b);
	expect_sack(&o, 4,
		    (struct tcp_sack_block[]){{b + 30, b + 40},
					      {b + 30, b + 40},
					      {b + 50, b + 60},
					      {b + 10, b + 20}});
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKOfoSent), 1);
	/* The first hole fills: two ranges merge into RCV.NXT. */
	peer_at(&c, 0, "aaaaaaaaaa", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b + 20);
	expect_sack(
	    &o, 2,
	    (struct tcp_sack_block[]){{b + 30, b + 40}, {b + 50, b + 60}});
	/* An old duplicate: D-SACK of it, then no more once reported. */
	peer_at(&c, 0, "aaaaaaaaaa", 10);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, b + 20);
	expect_sack(&o, 3,
		    (struct tcp_sack_block[]){
			{b, b + 10}, {b + 30, b + 40}, {b + 50, b + 60}});
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKOldSent), 1);
	peer_at(&c, 20, "cccccccccc", 10);
	peer_at(&c, 40, "eeeeeeeeee", 10);
	drain();
	assert_int_equal(c.tp->rcv_nxt, b + 60);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 60);
	assert_memory_equal(got,
			    "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee"
			    "ffffffffff",
			    60);
	c.pseq = b + 60;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	close_conn(&c);
}

static void peer_sack(struct conn *c, u32 base, u32 n,
		      const struct tcp_sack_block *segs)
{
	struct peer_seg ps = {
	    .flags = TCP_FLAG_ACK,
	    .seq = c->pseq,
	    .ack = base,
	    .wnd = 512,
	    .opt = {.present = TCP_OPT_SACK, .nr_sack = (u8)n}};
	for (u32 i = 0; i < n; i++) {
		ps.opt.sack[i].start = base + segs[i].start * 1460;
		ps.opt.sack[i].end = base + segs[i].end * 1460;
	}
	peer_send_to(c->pport, LPORT, &ps);
}

/*
 * SACK-based recovery (RFC 6675), NewReno's numbers: 8 segments out,
 * 0 and 3 lost. The third SACK makes segment 0 lost (3 segments SACKed
 * above it): recovery, ssthresh = cwnd = 4, segment 0 resent, and the
 * pipe (5 segments) allows nothing more. When 3 is lost too (IsLost),
 * it is resent as the pipe drains; nothing past the highest SACKed byte
 * is. The full ACK ends recovery and frees the scoreboard.
 */
static void test_sack_recovery(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[8 * 1460];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 11);
	tcp_recovery_rack = false; /* RFC 6675's DupThresh, not RACK */
	open_conn_opts(&c, 30000, TCP_OPT_SACK_PERM);
	tcp_cc_set_ops(&c.tp->cc, tcp_cong_find("reno"), 0);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), sizeof(data));
	drain();
	u32 base = c.oseq;
	peer_sack(&c, base, 1, (struct tcp_sack_block[]){{1, 2}});
	peer_sack(&c, base, 1, (struct tcp_sack_block[]){{1, 3}});
	expect_none();
	assert_non_null(c.tp->sack);
	peer_sack(&c, base, 2, (struct tcp_sack_block[]){{4, 5}, {1, 3}});
	expect_seg(&o, TCP_FLAG_ACK, base, c.pseq);
	assert_int_equal(o.len, 1460);
	assert_memory_equal(o.data, data, 1460);
	expect_none();
	assert_true(c.tp->in_recovery);
	assert_int_equal(c.tp->cc.cwnd, 4);
	assert_int_equal(snmp_get(MIB_TcpExtTCPSackRecovery), 1);
	assert_int_equal(snmp_get(MIB_TcpExtTCPRenoRecovery), 0);
	peer_sack(&c, base, 2, (struct tcp_sack_block[]){{4, 6}, {1, 3}});
	expect_none();
	peer_sack(&c, base, 2, (struct tcp_sack_block[]){{4, 7}, {1, 3}});
	expect_seg(&o, TCP_FLAG_ACK, base + 3 * 1460, c.pseq);
	assert_memory_equal(o.data, data + 3 * 1460, 1460);
	expect_none();
	/* Segment 0 arrived: a partial ACK, nothing to resend. */
	peer_sack(&c, base + 1460, 1, (struct tcp_sack_block[]){{3, 6}});
	expect_none();
	c.oseq = base + sizeof(data);
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_false(c.tp->in_recovery);
	assert_null(c.tp->sack);
	assert_int_equal(c.tp->sndq.len, 0);
	assert_int_equal(snmp_get(MIB_TcpRetransSegs), 2);
	close_conn(&c);
}

/* A D-SACK from the peer (a spurious retransmission) is counted. */
static void test_dsack_received(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn_opts(&c, 31000, TCP_OPT_SACK_PERM);
	assert_int_equal(tcp_send(c.tp, "hello", 5), 5);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	host_clock_advance_ms(1000);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq); /* RTO resend */
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c.pseq,
			      .ack = c.oseq + 5,
			      .wnd = 512,
			      .opt = {.present = TCP_OPT_SACK,
				      .nr_sack = 1,
				      .sack = {{c.oseq, c.oseq + 5}}}};
	peer_send_to(c.pport, LPORT, &ps);
	assert_int_equal(snmp_get(MIB_TcpExtTCPDSACKRecv), 1);
	assert_null(c.tp->sack);
	c.oseq += 5;
	close_conn(&c);
}

/* ---- MSS, path MTU, ICMP ------------------------------------------------- */

/* The MSS we offer is the route's MTU less 40; the one we use is the
 * smaller of that and the peer's, 536 when the peer sends none. */
static void test_mss_from_route_mtu(void **state)
{
	struct out_seg o;
	int err;
	(void)state;
	assert_int_equal(dev_set_mtu(eth0, 1400), 0);
	struct peer_seg syn = {.flags = TCP_FLAG_SYN,
			       .seq = 100,
			       .wnd = 64240,
			       .opt = {.present = TCP_OPT_MSS, .mss = 1460}};
	peer_send_to(45000, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 101);
	assert_int_equal(o.h.opt.mss, 1360);
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK, .seq = 101, .ack = o.h.seq + 1, .wnd = 1000};
	peer_send_to(45000, LPORT, &ack);
	struct tcp_sock *tp = tcp_accept(listener, &err);
	assert_non_null(tp);
	assert_int_equal(tp->mss, 1360);
	tcp_close(tp, true);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, ANY_SEQ, 101);
	assert_int_equal(dev_set_mtu(eth0, 1500), 0);
	/* No MSS option: 536 (RFC 9293 3.7.1). */
	syn.opt.present = 0;
	peer_send_to(45001, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 101);
	assert_int_equal(o.h.opt.mss, 1460);
	ack.ack = o.h.seq + 1;
	peer_send_to(45001, LPORT, &ack);
	tp = tcp_accept(listener, &err);
	assert_non_null(tp);
	assert_int_equal(tp->mss, 536);
	tcp_close(tp, true);
	drain();
}

/* An ICMP error from the peer quoting our segment (sport -> dport, seq). */
static void icmp_about(u8 type, u8 code, u32 rest, u16 sport, u16 dport,
		       u32 seq)
{
	u8 body[28] = {0};
	struct iphdr_info qh = {.version = 4,
				.ihl_bytes = IP_HLEN,
				.tot_len = 1500,
				.ttl = 64,
				.protocol = IPPROTO_TCP,
				.saddr = OUR_IP,
				.daddr = PEER_IP};
	ip_hdr_emit(&qh, body);
	store_be16(body + 20, sport);
	store_be16(body + 22, dport);
	store_be32(body + 24, seq);
	struct icmphdr_info ih = {.type = type, .code = code, .rest = rest};
	ipt_rx(frame, ipt_icmp_frame(frame, &ih, body, sizeof(body)));
}

/* "Fragmentation needed" (RFC 1191) is believed only when the quoted
 * sequence number is in flight (RFC 5927 5.2): a forged one changes
 * nothing (not even the path MTU cache); a valid one lowers the MSS and
 * the outstanding data goes again in smaller segments. */
static void test_icmp_frag_needed_validated(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[2920];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 5 + 1);
	open_conn(&c, 32000);
	assert_int_equal(tcp_send(c.tp, data, sizeof(data)), sizeof(data));
	drain();
	icmp_about(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1000, LPORT, c.pport,
		   c.oseq + 100000);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtOutOfWindowIcmps), 1);
	assert_int_equal(c.tp->mss, 1460);
	assert_int_equal(ip_pmtu_get(PEER_IP), 0);
	icmp_about(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1000, LPORT, c.pport,
		   c.oseq);
	assert_int_equal(c.tp->mss, 960);
	assert_int_equal(ip_pmtu_get(PEER_IP), 1000);
	for (u32 i = 0; i < 3; i++) {
		expect_seg(&o, TCP_FLAG_ACK, c.oseq + i * 960, c.pseq);
		assert_int_equal(o.len, 960);
		assert_memory_equal(o.data, data + i * 960, 960);
	}
	expect_none(); /* Nagle holds the last 40 bytes */
	tcp_close(c.tp, true);
	drain();
	host_clock_advance_ms(10 * 60 * 1000 + 1000); /* the PMTU expires */
	drain();
	assert_int_equal(ip_pmtu_get(PEER_IP), 0);
}

/* Other ICMP errors: in SYN_SENT a destination unreachable ends the
 * attempt with its errno; on an established connection it is soft
 * (kept for a timeout to report), never a reset. */
static void test_icmp_soft_and_hard_errors(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 b;
	(void)state;
	open_conn(&c, 33000);
	assert_int_equal(tcp_send(c.tp, "x", 1), 1);
	drain();
	icmp_about(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, LPORT, c.pport,
		   c.oseq);
	assert_int_equal(c.tp->state, TCP_ESTABLISHED);
	assert_int_equal(c.tp->soft_err, -ECONNREFUSED);
	assert_int_equal(tcp_recv(c.tp, &b, 1, false), -EAGAIN);
	c.oseq++;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	close_conn(&c);

	struct tcp_sock *tp = tcp_sock_create();
	assert_int_equal(tcp_connect(tp, PEER_IP, 8095), -EINPROGRESS);
	expect_seg(&o, TCP_FLAG_SYN, ANY_SEQ, 0);
	icmp_about(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, o.h.sport, 8095,
		   o.h.seq + 7);
	assert_int_equal(tp->state, TCP_SYN_SENT); /* not our sequence */
	icmp_about(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, o.h.sport, 8095,
		   o.h.seq);
	assert_int_equal(tp->state, TCP_CLOSE);
	assert_int_equal(tcp_recv(tp, &b, 1, false), -EHOSTUNREACH);
	assert_int_equal(snmp_get(MIB_TcpAttemptFails), 1);
	tcp_close(tp, false);
	expect_none();
}

/* ---- urgent data, TIME_WAIT reuse --------------------------------------- */

/* RFC 6093: urgent bytes stay inline; a pointer of 0 or far past the
 * segment reads nothing beyond it; RCV.UP only moves forward. */
static void test_urgent_data_inline(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 got[32];
	(void)state;
	open_conn(&c, 34000);
	u32 base = c.pseq;
	struct peer_seg ps = {.flags = TCP_FLAG_ACK | TCP_FLAG_URG,
			      .seq = c.pseq,
			      .ack = c.oseq,
			      .wnd = 512,
			      .data = (const u8 *)"abc",
			      .len = 3};
	u8 seg[64];
	/* urg_ptr is not in peer_seg: emit the header by hand. */
	struct tcp_hdr_info h = {.sport = c.pport,
				 .dport = LPORT,
				 .seq = ps.seq,
				 .ack = ps.ack,
				 .flags = ps.flags,
				 .window = ps.wnd,
				 .urg_ptr = 0xffff};
	int hlen = tcp_hdr_emit(&h, seg, sizeof(seg));
	memcpy(seg + hlen, "abc", 3);
	tcp_v4_csum_set(seg, (u32)hlen + 3, PEER_IP, OUR_IP);
	struct iphdr_info ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, (u32)hlen + 3));
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, base + 3);
	struct tcp_info_snapshot info;
	tcp_get_info(c.tp, &info);
	assert_true(info.urg_seen);
	assert_int_equal(info.rcv_up, base + 0xffff);
	/* Pointer 0: harmless, RCV.UP does not move back. */
	h.seq = base + 3;
	h.urg_ptr = 0;
	hlen = tcp_hdr_emit(&h, seg, sizeof(seg));
	memcpy(seg + hlen, "def", 3);
	tcp_v4_csum_set(seg, (u32)hlen + 3, PEER_IP, OUR_IP);
	ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, (u32)hlen + 3));
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, base + 6);
	tcp_get_info(c.tp, &info);
	assert_int_equal(info.rcv_up, base + 0xffff);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 6);
	assert_memory_equal(got, "abcdef", 6);
	c.pseq = base + 6;
	close_conn(&c);
}

/* A connection with timestamps (TSval from 1000) left in TIME_WAIT. */
static void time_wait_with_ts(struct conn *c, u32 peer_isn)
{
	struct out_seg o;
	int err;
	c->pport = next_port++;
	struct peer_seg syn = {.flags = TCP_FLAG_SYN,
			       .seq = peer_isn,
			       .wnd = 64240,
			       .opt = {.present = TCP_OPT_MSS | TCP_OPT_TS,
				       .mss = 1460,
				       .tsval = 1000}};
	peer_send_to(c->pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, peer_isn + 1);
	c->pseq = peer_isn + 1;
	c->oseq = o.h.seq + 1;
	struct peer_seg ps = {.flags = TCP_FLAG_ACK,
			      .seq = c->pseq,
			      .ack = c->oseq,
			      .wnd = 1000,
			      .opt = {.present = TCP_OPT_TS, .tsval = 1001}};
	peer_send_to(c->pport, LPORT, &ps);
	c->tp = tcp_accept(listener, &err);
	assert_non_null(c->tp);
	tcp_close(c->tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c->oseq, c->pseq);
	c->oseq++;
	ps.flags = TCP_FLAG_FIN | TCP_FLAG_ACK;
	ps.ack = c->oseq;
	ps.opt.tsval = 1002;
	peer_send_to(c->pport, LPORT, &ps);
	c->pseq++;
	expect_seg(&o, TCP_FLAG_ACK, c->oseq, c->pseq);
	assert_int_equal(c->tp->state, TCP_TIME_WAIT);
}

/* RFC 6191: with timestamps, a reusing SYN needs a newer TSval (its
 * sequence number does not matter); an older TSval gets an ACK even
 * with a higher sequence number. */
static void test_time_wait_reuse_rfc6191(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	time_wait_with_ts(&c, 35000);
	struct peer_seg syn = {.flags = TCP_FLAG_SYN,
			       .seq = c.pseq + 100000,
			       .wnd = 1000,
			       .opt = {.present = TCP_OPT_TS, .tsval = 900}};
	peer_send_to(c.pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq); /* old: refused */
	assert_int_equal(c.tp->state, TCP_TIME_WAIT);
	syn.seq = c.pseq - 50000; /* lower, but a newer TSval */
	syn.opt.tsval = 2000;
	peer_send_to(c.pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, c.pseq - 49999);
	assert_int_equal(o.h.opt.tsecr, 2000);
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = c.pseq - 49999};
	peer_send_to(c.pport, LPORT, &rst);
	expect_none();
}

/* sock_send_ref: static memory goes out byte-exact without being copied
 * into the send buffer (only the lead-in and tail chunks are), and an
 * RTO resends it from the same memory. UDP does not offer it. */
static void test_send_ref_static_memory(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 page[12000];
	(void)state;
	for (u32 i = 0; i < sizeof(page); i++)
		page[i] = (u8)(i * 7 + i / 256);
	open_conn(&c, 36000);
	c.tp->nodelay = true; /* the 320-byte tail goes at once */
	assert_int_equal(tcp_send_ref(c.tp, page, sizeof(page)), sizeof(page));
	assert_true(c.tp->sndq.next >= 4);
	assert_true(tcp_ring_mem(&c.tp->sndq) <= 2 * TCP_CHUNK_BYTES);
	u32 off = 0;
	while (off < sizeof(page)) {
		assert_true(pop_seg(&o));
		assert_int_equal(o.h.seq, c.oseq + off);
		assert_true(o.len > 0);
		assert_memory_equal(o.data, page + off, o.len);
		off += o.len;
	}
	expect_none();
	host_clock_advance_ms(1000); /* all lost: the head again */
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(o.len, 1460);
	assert_memory_equal(o.data, page, 1460);
	c.oseq += sizeof(page);
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(c.tp->sndq.nchunks, 0);
	drain();
	struct socket *u;
	assert_int_equal(sock_create(SOCK_DGRAM, &u), 0);
	assert_int_equal(sock_send_ref(u, page, 10, 0), -EOPNOTSUPP);
	assert_int_equal(sock_close(u), 0);
	close_conn(&c);
}

/* ---- memory ------------------------------------------------------------- */

/* What one control block really costs in its slab cache. */
static void print_tcp_sock_cache(void *ctx, const struct kmem_cache *kc)
{
	(void)ctx;
	if (strcmp(kc->name, "tcp_sock") != 0)
		return;
	u64 slab_bytes = (u64)4096 << kc->order;
	print_message("tcp_sock slab: %u per %llu-byte slab, %llu bytes each\n",
		      kc->objs_per_slab, (unsigned long long)slab_bytes,
		      (unsigned long long)(slab_bytes / kc->objs_per_slab));
	assert_true(slab_bytes / kc->objs_per_slab < 1024);
}

/* An established connection holds buffer chunks only while it holds
 * bytes: none when idle, one per direction for a small exchange, none
 * again once the app read the data and the peer ACKed ours. */
static void test_idle_connection_holds_no_buffers(void **state)
{
	struct conn c;
	struct out_seg o;
	u8 buf[16];
	(void)state;
	open_conn(&c, 23000);
	assert_int_equal(tcp_ring_mem(&c.tp->rcvq), 0);
	assert_int_equal(tcp_ring_mem(&c.tp->sndq), 0);
	assert_null(c.tp->rcvq.slot);
	peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, "ping", 4);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(tcp_ring_mem(&c.tp->rcvq), TCP_CHUNK_BYTES);
	assert_int_equal(tcp_recv(c.tp, buf, sizeof(buf), false), 4);
	assert_int_equal(tcp_ring_mem(&c.tp->rcvq), 0);
	assert_int_equal(tcp_send(c.tp, "pong", 4), 4);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	assert_memory_equal(o.data, "pong", 4);
	assert_int_equal(tcp_ring_mem(&c.tp->sndq), TCP_CHUNK_BYTES);
	c.oseq += 4;
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	assert_int_equal(tcp_ring_mem(&c.tp->sndq), 0);
	assert_null(c.tp->sndq.slot);
	kcache_for_each(print_tcp_sock_cache, NULL);
	print_message("idle established connection: struct tcp_sock %zu "
		      "bytes, struct socket %zu, buffers 0\n",
		      sizeof(struct tcp_sock), sizeof(struct socket));
	close_conn(&c);
}

/* Hold n chunks of TCP memory outside any connection. */
static void hog_memory(struct tcp_ring *hog, u32 chunks)
{
	static u8 junk[TCP_CHUNK_BYTES];
	tcp_ring_init(hog, TCP_RING_MAX_BYTES);
	for (u32 i = 0; i < chunks; i++)
		assert_int_equal(tcp_ring_append(hog, junk, sizeof(junk)),
				 sizeof(junk));
}

/*
 * TCP memory pressure (limit 32 chunks, pressure past 24): the listener
 * refuses a new SYN (dropped, counted, no SYN-ACK), out-of-order data
 * already held is pruned and new out-of-order data is dropped with a
 * duplicate ACK, in-order data still flows. When memory is back the
 * SYN's retransmission is answered.
 */
static void test_memory_pressure(void **state)
{
	struct conn c;
	struct out_seg o;
	struct tcp_ring hog;
	u8 buf[64];
	(void)state;
	tcp_mem_set_limit(32 * TCP_CHUNK_BYTES);
	open_conn(&c, 24000);
	struct peer_seg ofo = {.flags = TCP_FLAG_ACK,
			       .seq = c.pseq + 100,
			       .ack = c.oseq,
			       .wnd = 512,
			       .data = (const u8 *)"later",
			       .len = 5};
	peer_send_to(c.pport, LPORT, &ofo);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->ofo_count, 1);
	assert_non_null(c.tp->ofo); /* made for the first range */
	hog_memory(&hog, 24);
	assert_true(tcp_mem_under_pressure());
	assert_int_equal(snmp_get(MIB_TcpExtTCPMemoryPressures), 1);
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 1, .wnd = 1000};
	peer_send_to(44000, LPORT, &syn);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtListenDrops), 1);
	/* In-order data is taken; the held out-of-order range is pruned. */
	peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, "now", 3);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->ofo_count, 0);
	assert_null(c.tp->ofo); /* pruned: the queue goes too */
	assert_int_equal(snmp_get(MIB_TcpExtOfoPruned), 1);
	peer_send_to(c.pport, LPORT, &ofo);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(c.tp->ofo_count, 0);
	assert_int_equal(snmp_get(MIB_TcpExtTCPOFODrop), 1);
	assert_int_equal(tcp_recv(c.tp, buf, sizeof(buf), false), 3);
	assert_memory_equal(buf, "now", 3);
	tcp_ring_release(&hog);
	assert_false(tcp_mem_under_pressure());
	peer_send_to(44000, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 2);
	struct peer_seg rst = {.flags = TCP_FLAG_RST, .seq = 2};
	peer_send_to(44000, LPORT, &rst);
	tcp_mem_set_limit(0);
	close_conn(&c);
}

/* At the TCP memory limit (8 chunks, all held elsewhere): a connection
 * still gets one chunk per direction; a segment that needs a second is
 * dropped (TcpExtTCPRcvQDrop) and taken when the peer resends after the
 * app read; a send takes one chunk and the socket is not writable until
 * memory is back. Nothing crashes, nothing is lost. */
static void test_memory_limit_reached(void **state)
{
	struct conn c;
	struct out_seg o;
	struct tcp_ring hog;
	static u8 data[2048], got[4096];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 9);
	tcp_mem_set_limit(8 * TCP_CHUNK_BYTES);
	open_conn(&c, 37000);
	hog_memory(&hog, 8);
	assert_false(tcp_mem_can_grow());
	peer(&c, TCP_FLAG_ACK, data, 2000); /* its one chunk, filled */
	peer(&c, TCP_FLAG_ACK, data + 2000, 48);
	drain();
	assert_int_equal(c.tp->rcv_nxt, c.pseq);
	peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, "tail", 4); /* needs a second */
	c.pseq -= 4;
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPRcvQDrop), 1);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 2048);
	assert_memory_equal(got, data, 2048);
	drain();					  /* a window update */
	peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, "tail", 4); /* resent */
	host_clock_advance_ms(TCP_DELACK_MS);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 4);
	assert_memory_equal(got, "tail", 4);
	/* Sending: one chunk's worth, then not writable. */
	static u8 big[8000];
	assert_int_equal(tcp_send(c.tp, big, sizeof(big)), TCP_CHUNK_BYTES);
	assert_false(tcp_poll(c.tp) & SOCK_EV_OUT);
	assert_int_equal(tcp_send(c.tp, big, sizeof(big)), -EAGAIN);
	tcp_ring_release(&hog);
	assert_true(tcp_poll(c.tp) & SOCK_EV_OUT);
	tcp_mem_set_limit(0);
	tcp_close(c.tp, true);
	drain();
}

/* SO_RCVBUF before connect: the SYN offers that window with the shift it
 * needs (none for 4 KiB), and data past it is cut off at the window. */
static void test_so_rcvbuf_limits_window(void **state)
{
	struct socket *s;
	struct out_seg o;
	static u8 data[5000];
	u8 got[5000];
	(void)state;
	for (u32 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 3);
	assert_int_equal(sock_create(SOCK_STREAM, &s), 0);
	int v = 4096;
	assert_int_equal(sock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, 4), 0);
	v = 0;
	assert_int_equal(sock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, 4),
			 -EINVAL);
	size_t len = sizeof(v);
	assert_int_equal(sock_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len),
			 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sock_connect(s, PEER_IP, 8090), -EINPROGRESS);
	expect_seg(&o, TCP_FLAG_SYN, ANY_SEQ, 0);
	assert_int_equal(o.h.window, 4096);
	assert_true(o.h.opt.present & TCP_OPT_WSCALE);
	assert_int_equal(o.h.opt.wscale, 0);
	u32 iss = o.h.seq;
	u16 sport = o.h.sport;
	struct peer_seg sa = {
	    .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
	    .seq = 500,
	    .ack = iss + 1,
	    .wnd = 60000,
	    .opt = {.present = TCP_OPT_MSS | TCP_OPT_WSCALE, .mss = 1460}};
	peer_send_to(8090, sport, &sa);
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 501);
	for (u32 off = 0; off < sizeof(data); off += 1250) {
		struct peer_seg d = {.flags = TCP_FLAG_ACK,
				     .seq = 501 + off,
				     .ack = iss + 1,
				     .wnd = 60000,
				     .data = data + off,
				     .len = 1250};
		peer_send_to(8090, sport, &d);
	}
	drain();
	struct tcp_sock *tp = s->proto;
	assert_int_equal(tp->rcv_nxt, 501 + 4096);
	assert_int_equal(sock_recv(s, got, sizeof(got), 0), 4096);
	assert_memory_equal(got, data, 4096);
	/* The window reopened: an update went out. */
	expect_seg(&o, TCP_FLAG_ACK, iss + 1, 501 + 4096);
	assert_int_equal(o.h.window, 4096);
	int one = 1;
	struct linger_opt lg = {.l_onoff = one, .l_linger = 0};
	assert_int_equal(
	    sock_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(sock_close(s), 0);
	drain();
}

/* Receive auto-tuning: an app that drains 64 KiB per RTT makes the
 * buffer (and the advertised window) grow past the initial 64 KiB. */
static void test_rcvbuf_autotuning(void **state)
{
	struct conn c;
	struct out_seg o;
	static u8 data[1000], got[64 * 1024];
	(void)state;
	open_conn(&c, 25000);
	assert_int_equal(c.tp->rcv_wscale, 7);
	assert_int_equal(c.tp->rcvq.size, TCP_DEFAULT_BUF);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 60; i++)
			peer(&c, TCP_FLAG_ACK, data, sizeof(data));
		drain();
		assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false),
				 60000);
		host_clock_advance_ms(101);
		drain();
	}
	assert_true(c.tp->rcvq.size > TCP_DEFAULT_BUF);
	peer(&c, TCP_FLAG_ACK | TCP_FLAG_PSH, data, 10);
	host_clock_advance_ms(TCP_DELACK_MS);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_true(((u32)o.h.window << 7) > TCP_DEFAULT_BUF);
	assert_int_equal(tcp_recv(c.tp, got, sizeof(got), false), 10);
	close_conn(&c);
}

/* tcp.cc= (tcp_cong_set_default, which config_apply_runtime calls):
 * new connections take the default, existing ones keep theirs. */
static void test_default_cc_follows_config(void **state)
{
	struct conn a, b;
	(void)state;
	open_conn(&a, 26000);
	assert_string_equal(a.tp->cc.ops->name, "cubic");
	assert_int_equal(tcp_cong_set_default("newreno"), 0);
	assert_int_equal(tcp_cong_set_default("bbr"), -ENOENT);
	open_conn(&b, 27000);
	assert_string_equal(b.tp->cc.ops->name, "reno");
	assert_string_equal(a.tp->cc.ops->name, "cubic");
	assert_int_equal(tcp_cong_set_default("cubic"), 0);
	close_conn(&a);
	close_conn(&b);
}

/* The TCP counters are in the stack's MIB: nstat and netstat -s show
 * them with Linux's names; TcpCurrEstab follows the connections. */
static void test_counters_in_nstat(void **state)
{
	struct conn c;
	(void)state;
	u64 estab = snmp_get(MIB_TcpCurrEstab);
	open_conn(&c, 28000);
	assert_int_equal(snmp_get(MIB_TcpCurrEstab), estab + 1);
	assert_int_equal(host_shell_run("nstat -a Tcp*"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "TcpPassiveOpens"));
	assert_non_null(strstr(out, "TcpInSegs"));
	assert_non_null(strstr(out, "TcpOutSegs"));
	assert_non_null(strstr(out, "TcpCurrEstab"));
	assert_null(strstr(out, "IpInReceives"));
	assert_int_equal(host_shell_run("netstat -s"), 0);
	out = host_shell_output();
	assert_non_null(strstr(out, "Tcp:\n"));
	assert_non_null(strstr(out, "    PassiveOpens: 1\n"));
	assert_non_null(strstr(out, "TcpExt:\n"));
	close_conn(&c);
	assert_int_equal(snmp_get(MIB_TcpCurrEstab), estab);
}

/* A SYN cookie for a SYN with timestamps carries the peer's window scale
 * and SACK-permitted in our TSval's low bits (Linux's layout): the
 * SYN-ACK answers them, and the ACK's TSecr brings them back to the
 * connection built from nothing. */
static void test_syn_cookie_keeps_options_in_timestamp(void **state)
{
	struct out_seg o;
	int err;
	(void)state;
	struct tcp_sock *lp = tcp_sock_create();
	assert_int_equal(tcp_bind(lp, OUR_IP, 2223), 0);
	assert_int_equal(tcp_listen(lp, 1), 0);
	struct peer_seg syn = {.flags = TCP_FLAG_SYN, .seq = 10, .wnd = 100};
	peer_send_to(42100, 2223, &syn); /* fills the SYN queue */
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 11);
	syn.seq = 5000;
	syn.opt = (struct tcp_opts){.present = TCP_OPT_MSS | TCP_OPT_WSCALE |
					       TCP_OPT_SACK_PERM | TCP_OPT_TS,
				    .mss = 1460,
				    .wscale = 7,
				    .tsval = 777};
	peer_send_to(42101, 2223, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 5001);
	assert_int_equal(snmp_get(MIB_TcpExtSyncookiesSent), 1);
	assert_int_equal(o.h.opt.present, TCP_OPT_MSS | TCP_OPT_WSCALE |
					      TCP_OPT_SACK_PERM | TCP_OPT_TS);
	assert_int_equal(o.h.opt.tsecr, 777);
	assert_int_equal(o.h.opt.tsval & 0x3f, 7 | 0x10);
	assert_int_equal(o.h.opt.wscale, 7);
	struct peer_seg ack = {.flags = TCP_FLAG_ACK,
			       .seq = 5001,
			       .ack = o.h.seq + 1,
			       .wnd = 100,
			       .opt = {.present = TCP_OPT_TS,
				       .tsval = 778,
				       .tsecr = o.h.opt.tsval}};
	peer_send_to(42101, 2223, &ack);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtSyncookiesRecv), 1);
	struct tcp_sock *tp = tcp_accept(lp, &err);
	assert_non_null(tp);
	assert_int_equal(tp->state, TCP_ESTABLISHED);
	assert_true(tp->ts_ok && tp->ws_ok && tp->sack_ok);
	assert_int_equal(tp->snd_wscale, 7);
	assert_int_equal(tp->snd_wnd, 100u << 7);
	assert_int_equal(tp->ts_recent, 778);
	/* Data out carries timestamps echoing the peer. */
	assert_int_equal(tcp_send(tp, "hi", 2), 2);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, ack.ack, 5001);
	assert_int_equal(o.h.opt.tsecr, 778);
	tcp_close(tp, true);
	tcp_close(lp, false);
	drain();
}

/* ---- the socket layer (proto_ops) --------------------------------------- */

/* An echo server written against socket.h, as apps/echo does: a
 * listening socket on 7007, accept, read, write back, close on EOF.
 * The steps share this state. */
struct api_echo {
	struct socket *ls, *cs;
	struct sock_loop *loop;
	u32 iss;
};

/* Listen on 7007 and accept a handshake from 198.18.0.1:43000. */
static void api_echo_accept(struct api_echo *e)
{
	struct out_seg o;
	struct sock_event ev[4];
	static struct sock_loop *loop; /* no destroy in socket.h: kept */

	if (!loop)
		loop = sock_loop_create();
	e->loop = loop;
	assert_int_equal(sock_create(SOCK_STREAM, &e->ls), 0);
	assert_int_equal(sock_bind(e->ls, INADDR_ANY, 7007), 0);
	assert_int_equal(sock_listen(e->ls, 8), 0);
	assert_int_equal(sock_loop_add(loop, e->ls, SOCK_EV_IN, e->ls), 0);
	assert_int_equal(sock_accept(e->ls, &e->cs, NULL, NULL), -EAGAIN);

	struct peer_seg syn = {.flags = TCP_FLAG_SYN,
			       .seq = 50,
			       .wnd = 8000,
			       .opt = {.present = TCP_OPT_MSS, .mss = 1400}};
	peer_send_to(43000, 7007, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, 51);
	e->iss = o.h.seq;
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK, .seq = 51, .ack = e->iss + 1, .wnd = 8000};
	peer_send_to(43000, 7007, &ack);
	assert_int_equal(sock_loop_poll(loop, ev, 4), 1);
	assert_ptr_equal(ev[0].cookie, e->ls);
	u32 addr;
	u16 port;
	assert_int_equal(sock_accept(e->ls, &e->cs, &addr, &port), 0);
	assert_int_equal(addr, PEER_IP);
	assert_int_equal(port, 43000);
	assert_int_equal(sock_loop_add(loop, e->cs, SOCK_EV_IN, e->cs), 0);
}

/* SO_LINGER through the socket API: set, read back, bad, off. */
static void api_echo_linger(struct socket *cs)
{
	struct linger_opt lg = {.l_onoff = 1, .l_linger = 7}, lg2;
	size_t lglen = sizeof(lg2);

	assert_int_equal(
	    sock_setsockopt(cs, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(
	    sock_getsockopt(cs, SOL_SOCKET, SO_LINGER, &lg2, &lglen), 0);
	assert_int_equal(lg2.l_onoff, 1);
	assert_int_equal(lg2.l_linger, 7);
	lg.l_linger = -1;
	assert_int_equal(
	    sock_setsockopt(cs, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
	    -EINVAL);
	lg.l_onoff = 0;
	assert_int_equal(
	    sock_setsockopt(cs, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(
	    sock_getsockopt(cs, SOL_SOCKET, SO_LINGER, &lg2, &lglen), 0);
	assert_int_equal(lg2.l_onoff, 0);
}

/* TCP_NODELAY, TCP_CONGESTION (known and unknown), then TCP_INFO. */
static void api_echo_tcp_opts(struct socket *cs)
{
	int one = 1;
	struct tcp_info_snapshot info;
	size_t ilen = sizeof(info);

	assert_int_equal(
	    sock_setsockopt(cs, IPPROTO_TCP_LEVEL, TCP_NODELAY, &one, 4), 0);
	assert_int_equal(
	    sock_setsockopt(cs, IPPROTO_TCP_LEVEL, TCP_CONGESTION, "reno", 4),
	    0);
	assert_int_equal(
	    sock_setsockopt(cs, IPPROTO_TCP_LEVEL, TCP_CONGESTION, "bbr", 3),
	    -ENOENT);
	assert_int_equal(
	    sock_getsockopt(cs, IPPROTO_TCP_LEVEL, TCP_INFO, &info, &ilen), 0);
	assert_int_equal(info.state, TCP_ESTABLISHED);
	assert_string_equal(info.cc_name, "reno");
	assert_int_equal(info.snd_mss, 1400);
	assert_int_equal(info.snd_cwnd, TCP_INIT_CWND);
	assert_true(info.nodelay);
}

/* "ping" in, the same four bytes back; ss shows both sockets. */
static void api_echo_exchange(struct api_echo *e)
{
	struct out_seg o;
	struct sock_event ev[4];
	u8 buf[64];
	struct peer_seg data = {.flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
				.seq = 51,
				.ack = e->iss + 1,
				.wnd = 8000,
				.data = (const u8 *)"ping",
				.len = 4};

	peer_send_to(43000, 7007, &data);
	expect_seg(&o, TCP_FLAG_ACK, e->iss + 1, 55);
	assert_int_equal(sock_loop_poll(e->loop, ev, 4), 1);
	assert_ptr_equal(ev[0].sock, e->cs);
	assert_true(ev[0].events & SOCK_EV_IN);
	assert_int_equal(sock_recv(e->cs, buf, sizeof(buf), 0), 4);
	assert_int_equal(sock_send(e->cs, buf, 4, 0), 4);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, e->iss + 1, 55);
	assert_memory_equal(o.data, "ping", 4);

	assert_int_equal(host_shell_run("ss -tan"), 0);
	assert_non_null(strstr(host_shell_output(), "LISTEN"));
	assert_non_null(strstr(host_shell_output(), "198.18.0.1:43000"));
	assert_int_equal(host_shell_run("ss -tani"), 0);
	assert_non_null(strstr(host_shell_output(), "reno "));
	assert_non_null(strstr(host_shell_output(), "cwnd:10 "));
}

/* The peer's FIN reads as EOF; close answers with ours; once the
 * listener is closed too, a new SYN to 7007 is reset. */
static void api_echo_close(struct api_echo *e)
{
	struct out_seg o;
	struct sock_event ev[4];
	u8 buf[64];
	struct peer_seg fin = {.flags = TCP_FLAG_ACK | TCP_FLAG_FIN,
			       .seq = 55,
			       .ack = e->iss + 5,
			       .wnd = 8000};

	peer_send_to(43000, 7007, &fin);
	expect_seg(&o, TCP_FLAG_ACK, e->iss + 5, 56);
	assert_int_equal(sock_loop_poll(e->loop, ev, 4), 1);
	assert_true(ev[0].events & SOCK_EV_IN);
	assert_true(sock_poll(e->cs) & SOCK_EV_RDHUP);
	assert_int_equal(sock_recv(e->cs, buf, sizeof(buf), 0), 0);
	assert_int_equal(sock_close(e->cs), 0);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_FIN, e->iss + 5, 56);
	/* No socket holds it now; ss still lists it, as Linux's does. */
	assert_int_equal(host_shell_run("ss -tn"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "LAST-ACK   0      0      198.18.0.2:7007       "
			       "198.18.0.1:43000"));
	/* -o: the FIN waits for its ACK under the retransmission timer. */
	assert_int_equal(host_shell_run("ss -tno"), 0);
	assert_non_null(strstr(host_shell_output(), "198.18.0.1:43000      "
						    "timer:(on,"));
	assert_non_null(strstr(host_shell_output(), "ms,0)\n"));
	struct peer_seg last = {
	    .flags = TCP_FLAG_ACK, .seq = 56, .ack = e->iss + 6, .wnd = 8000};
	peer_send_to(43000, 7007, &last);
	expect_none();
	assert_int_equal(host_shell_run("ss -tan"), 0);
	assert_null(strstr(host_shell_output(), ":43000"));
	assert_int_equal(sock_close(e->ls), 0);
	struct peer_seg syn2 = {.flags = TCP_FLAG_SYN, .seq = 1, .wnd = 8000};
	peer_send_to(43001, 7007, &syn2);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, 0, 2); /* closed now */
}

static void test_socket_api_echo(void **state)
{
	struct api_echo e;
	(void)state;
	api_echo_accept(&e);
	api_echo_linger(e.cs);
	api_echo_tcp_opts(e.cs);
	api_echo_exchange(&e);
	api_echo_close(&e);
}

/* A number from ss -s's TCP line: the one after key ("timewait "). */
static unsigned ss_summary_count(const char *key)
{
	unsigned n = 0;
	assert_int_equal(host_shell_run("ss -s"), 0);
	const char *tcp = strstr(host_shell_output(), "TCP:   ");
	assert_non_null(tcp);
	const char *at = strstr(tcp, key);
	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen(key), "%u", &n), 1);
	assert_non_null(
	    strstr(host_shell_output(), "\nTransport Total     IP\n"));
	return n;
}

/* SO_LINGER {1, 5}: close returns at once (the connection is orphaned
 * and keeps sending); everything acknowledged within 5 s: a normal
 * close, no RST even after the deadline. */
static void test_so_linger_timeout_delivers(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 24000);
	assert_int_equal(tcp_set_linger(c.tp, true, -1), -EINVAL);
	assert_int_equal(tcp_set_linger(c.tp, true, TCP_LINGER_MAX_S + 1),
			 -EINVAL);
	assert_int_equal(tcp_set_linger(c.tp, true, 5), 0);
	assert_int_equal(tcp_send(c.tp, "linger", 6), 6);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	tcp_close(c.tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq + 6, c.pseq);
	host_clock_advance_ms(1000); /* the data is lost once: resent */
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	c.oseq += 7;
	peer(&c, TCP_FLAG_ACK, NULL, 0); /* data and FIN acknowledged */
	expect_none();
	host_clock_advance_ms(10000);
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPAbortOnLinger), 0);
	char peer_end[24];
	snprintf(peer_end, sizeof(peer_end), ":%u ", c.pport);
	assert_int_equal(host_shell_run("ss -tn"), 0); /* the orphan */
	assert_non_null(strstr(host_shell_output(), "FIN-WAIT-2 0      0"));
	assert_non_null(strstr(host_shell_output(), peer_end));
	peer(&c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtTW), 1); /* TIME_WAIT */
	/* TIME-WAIT: in ss -a only, as iproute2's default filter. */
	assert_int_equal(host_shell_run("ss -tan"), 0);
	assert_non_null(strstr(host_shell_output(), "TIME-WAIT  0      0"));
	assert_non_null(strstr(host_shell_output(), peer_end));
	assert_int_equal(host_shell_run("ss -tn"), 0);
	assert_null(strstr(host_shell_output(), peer_end));
	/* State filters, as iproute2's: they replace the default. */
	assert_int_equal(host_shell_run("ss -tn state time-wait"), 0);
	assert_non_null(strstr(host_shell_output(), peer_end));
	assert_int_equal(host_shell_run("ss -tn state connected"), 0);
	assert_non_null(strstr(host_shell_output(), peer_end));
	assert_int_equal(host_shell_run("ss -tn state established state "
					"listening"),
			 0);
	assert_null(strstr(host_shell_output(), peer_end));
	assert_int_equal(host_shell_run("ss -tan exclude time-wait"), 0);
	assert_null(strstr(host_shell_output(), peer_end));
	assert_int_equal(host_shell_run("ss -t state all exclude all"), 0);
	assert_null(strstr(host_shell_output(), "TIME-WAIT"));
	assert_int_equal(host_shell_run("ss -t state bogus"), SHELL_ERR_SHOWN);
	assert_non_null(strstr(host_shell_output(),
			       "ss: state needs a state: established,"));
	assert_int_equal(host_shell_run("ss -t exclude"), SHELL_ERR_SHOWN);
	/* -s: counted as TIME-WAIT, not as an orphan; gone after 2 MSL. */
	unsigned tw = ss_summary_count("timewait ");
	assert_true(tw >= 1);
	/* -o: 2 MSL to go, then what is left of it. */
	assert_int_equal(host_shell_run("ss -tano"), 0);
	assert_non_null(strstr(host_shell_output(), "timer:(timewait,1min,0)"));
	host_clock_advance_ms(TCP_TIMEWAIT_MS / 2 + 500);
	assert_int_equal(host_shell_run("ss -tano"), 0);
	assert_non_null(
	    strstr(host_shell_output(), "timer:(timewait,29sec,0)"));
	host_clock_advance_ms(TCP_TIMEWAIT_MS / 2 - 500);
	assert_int_equal(ss_summary_count("timewait "), tw - 1);
	assert_int_equal(host_shell_run("ss -tan"), 0);
	assert_null(strstr(host_shell_output(), peer_end));
}

/* SO_LINGER {1, 5} with a peer that never acknowledges: the orphan
 * retransmits until 5 s after close, then resets the connection
 * (TcpExtTCPAbortOnLinger) and is gone. */
static void test_so_linger_timeout_resets(void **state)
{
	struct conn c;
	struct out_seg o;
	(void)state;
	open_conn(&c, 25000);
	assert_int_equal(tcp_set_linger(c.tp, true, 5), 0);
	assert_int_equal(tcp_send(c.tp, "linger", 6), 6);
	expect_seg(&o, TCP_FLAG_ACK | TCP_FLAG_PSH, c.oseq, c.pseq);
	host_clock_advance_ms(500);
	tcp_close(c.tp, false); /* returns at once */
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c.oseq + 6, c.pseq);
	host_clock_advance_ms(500); /* RTO 1 s from the data */
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	host_clock_advance_ms(2000);
	expect_seg(&o, TCP_FLAG_ACK, c.oseq, c.pseq);
	host_clock_advance_ms(2499); /* 4.999 s after close */
	expect_none();
	assert_int_equal(snmp_get(MIB_TcpExtTCPAbortOnLinger), 0);
	host_clock_advance_ms(1);
	expect_seg(&o, TCP_FLAG_RST | TCP_FLAG_ACK, ANY_SEQ, c.pseq);
	assert_int_equal(snmp_get(MIB_TcpExtTCPAbortOnLinger), 1);
	assert_int_equal(snmp_get(MIB_TcpOutRsts), 1);
	/* Gone: the peer's next segment meets no connection. */
	peer(&c, TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_RST, c.oseq, 0);
	host_clock_advance_ms(60000);
	expect_none();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_passive_open_and_close, setup),
	    cmocka_unit_test_setup(test_rst_to_closed_port, setup),
	    cmocka_unit_test_setup(test_listener_answers_ack_with_rst, setup),
	    cmocka_unit_test_setup(test_synack_retransmit_then_give_up, setup),
	    cmocka_unit_test_setup(test_synrecv_bad_ack_gets_rst, setup),
	    cmocka_unit_test_setup(test_active_open, setup),
	    cmocka_unit_test_setup(test_active_open_refused, setup),
	    cmocka_unit_test_setup(test_simultaneous_open, setup),
	    cmocka_unit_test_setup(test_data_in_quickack_then_delayed, setup),
	    cmocka_unit_test_setup(test_data_out_segmented_and_acked, setup),
	    cmocka_unit_test_setup(test_retransmit_backoff_karn, setup),
	    cmocka_unit_test_setup(test_retry_limit_aborts, setup),
	    cmocka_unit_test_setup(test_fast_retransmit_on_three_dupacks,
				   setup),
	    cmocka_unit_test_setup(test_zero_window_probe, setup),
	    cmocka_unit_test_setup(test_zero_window_ack_taken, setup),
	    cmocka_unit_test_setup(test_cwnd_initial_window_and_slow_start,
				   setup),
	    cmocka_unit_test_setup(test_rto_go_back_n, setup),
	    cmocka_unit_test_setup(test_newreno_partial_ack, setup),
	    cmocka_unit_test_setup(test_lossy_path_bulk_transfer, setup),
	    cmocka_unit_test_setup(test_keepalive, setup),
	    cmocka_unit_test_setup(test_timestamps_paws_rtt, setup),
	    cmocka_unit_test_setup(test_reassembly_all_120_orders, setup),
	    cmocka_unit_test_setup(test_reassembly_overlaps_and_wrap, setup),
	    cmocka_unit_test_setup(test_ofo_acks_duplicate, setup),
	    cmocka_unit_test_setup(test_active_close_time_wait, setup),
	    cmocka_unit_test_setup(test_time_wait_reuse_by_new_syn, setup),
	    cmocka_unit_test_setup(test_simultaneous_close, setup),
	    cmocka_unit_test_setup(test_half_close_data_after_fin, setup),
	    cmocka_unit_test_setup(test_close_with_unread_data_resets, setup),
	    cmocka_unit_test_setup(test_fin_wait2_timeout, setup),
	    cmocka_unit_test_setup(test_rst_exact_resets, setup),
	    cmocka_unit_test_setup(test_rst_in_window_challenged, setup),
	    cmocka_unit_test_setup(test_ack_out_of_range, setup),
	    cmocka_unit_test_setup(test_bad_checksum_and_offset_dropped, setup),
	    cmocka_unit_test_setup(test_backlog_and_syn_cookies, setup),
	    cmocka_unit_test_setup(test_socket_api_echo, setup),
	    cmocka_unit_test_setup(test_syn_cookie_keeps_options_in_timestamp,
				   setup),
	    cmocka_unit_test_setup(test_sack_blocks_and_dsack, setup),
	    cmocka_unit_test_setup(test_sack_recovery, setup),
	    cmocka_unit_test_setup(test_dsack_received, setup),
	    cmocka_unit_test_setup(test_mss_from_route_mtu, setup),
	    cmocka_unit_test_setup(test_icmp_frag_needed_validated, setup),
	    cmocka_unit_test_setup(test_icmp_soft_and_hard_errors, setup),
	    cmocka_unit_test_setup(test_urgent_data_inline, setup),
	    cmocka_unit_test_setup(test_time_wait_reuse_rfc6191, setup),
	    cmocka_unit_test_setup(test_send_ref_static_memory, setup),
	    cmocka_unit_test_setup(test_idle_connection_holds_no_buffers,
				   setup),
	    cmocka_unit_test_setup(test_memory_pressure, setup),
	    cmocka_unit_test_setup(test_memory_limit_reached, setup),
	    cmocka_unit_test_setup(test_so_rcvbuf_limits_window, setup),
	    cmocka_unit_test_setup(test_rcvbuf_autotuning, setup),
	    cmocka_unit_test_setup(test_default_cc_follows_config, setup),
	    cmocka_unit_test_setup(test_counters_in_nstat, setup),
	    cmocka_unit_test_setup(test_so_linger_timeout_delivers, setup),
	    cmocka_unit_test_setup(test_so_linger_timeout_resets, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
