/*
 * test_tcp_fastpath.c - header prediction (tcp_input.c's fast path).
 *
 * Every test drives two connections in lockstep at the same fake clock:
 * A with header prediction on, B with it off, so B shows what the full
 * path of RFC 9293 3.10.7.4 does with the same segment. After each step
 * the segments each sent are compared field by field (sequence numbers
 * relative to each connection's ISNs, window, options, payload) and so
 * is the state of both control blocks; the counters say which path A
 * took (TcpExtTCPHPHits for data, TcpExtTCPHPAcks for pure ACKs).
 */
#include "tcp_test.h"

/* Both connections, and each one's first sequence numbers. */
struct twin {
	struct conn c[2]; /* [0] fast path on, [1] off */
	u32 peer_base[2]; /* the peer's ISN + 1 */
	u32 our_base[2];  /* our ISN + 1 */
};

/* One segment from the peer, relative to each connection's bases. */
struct step {
	u8 flags;
	u32 seq_off, ack_off; /* from the peer's / our ISN + 1 */
	u16 wnd;
	struct tcp_opts opt; /* SACK blocks relative to our ISN + 1 */
	const void *data;
	u32 len;
	const u8 *raw_opt; /* else: these option bytes, as they are */
	u32 raw_len;	   /* a multiple of 4 */
};

#define MAX_OUT 64
struct outs {
	struct out_seg seg[MAX_OUT];
	u32 n;
};

static void twin_open(struct twin *t, u32 peer_isn, u32 opts)
{
	for (int i = 0; i < 2; i++) {
		open_conn_opts(&t->c[i], peer_isn, opts);
		t->peer_base[i] = t->c[i].pseq;
		t->our_base[i] = t->c[i].oseq;
	}
}

static void twin_close(struct twin *t)
{
	for (int i = 0; i < 2; i++)
		tcp_close(t->c[i].tp, true);
	drain();
}

static void collect(struct outs *o)
{
	static struct out_seg tmp;
	o->n = 0;
	while (pop_seg(&tmp)) {
		assert_true(o->n < MAX_OUT);
		o->seg[o->n++] = tmp;
	}
}

/* A segment with the option bytes given (tcp_hdr_emit writes only the
 * options our own segments carry). */
static void send_raw(u16 sport, const struct peer_seg *ps, const u8 *opt,
		     u32 opt_len)
{
	u8 seg[2048];
	struct tcp_hdr_info h = {.sport = sport,
				 .dport = LPORT,
				 .seq = ps->seq,
				 .ack = ps->ack,
				 .flags = ps->flags,
				 .window = ps->wnd};
	assert_int_equal(tcp_hdr_emit(&h, seg, sizeof(seg)), 20);
	seg[12] = (u8)((5 + opt_len / 4) << 4);
	memcpy(seg + 20, opt, opt_len);
	memcpy(seg + 20 + opt_len, ps->data, ps->len);
	u32 n = 20 + opt_len + ps->len;
	tcp_v4_csum_set(seg, n, PEER_IP, OUR_IP);
	struct iphdr_info ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, n));
}

static void send_step(struct twin *t, int i, const struct step *st)
{
	struct peer_seg ps = {.flags = st->flags,
			      .seq = t->peer_base[i] + st->seq_off,
			      .ack = t->our_base[i] + st->ack_off,
			      .wnd = st->wnd,
			      .opt = st->opt,
			      .data = st->data,
			      .len = st->len};
	for (u8 k = 0; k < ps.opt.nr_sack; k++) {
		ps.opt.sack[k].start += t->our_base[i];
		ps.opt.sack[k].end += t->our_base[i];
	}
	if (st->raw_opt)
		send_raw(t->c[i].pport, &ps, st->raw_opt, st->raw_len);
	else
		peer_send_to(t->c[i].pport, LPORT, &ps);
}

/* What the two connections sent must be the same, up to their ISNs. */
static void compare_outs(const struct twin *t, const struct outs *a,
			 const struct outs *b)
{
	assert_int_equal(a->n, b->n);
	for (u32 k = 0; k < a->n; k++) {
		const struct tcp_hdr_info *x = &a->seg[k].h, *y = &b->seg[k].h;
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->seq - t->our_base[0],
				 y->seq - t->our_base[1]);
		assert_int_equal(x->ack - t->peer_base[0],
				 y->ack - t->peer_base[1]);
		assert_int_equal(x->window, y->window);
		assert_int_equal(x->opt.present, y->opt.present);
		assert_int_equal(x->opt.tsval, y->opt.tsval);
		assert_int_equal(x->opt.tsecr, y->opt.tsecr);
		assert_int_equal(x->opt.nr_sack, y->opt.nr_sack);
		for (u8 j = 0; j < x->opt.nr_sack; j++)
			assert_int_equal(x->opt.sack[j].start - t->peer_base[0],
					 y->opt.sack[j].start -
					     t->peer_base[1]);
		assert_int_equal(a->seg[k].len, b->seg[k].len);
		assert_memory_equal(a->seg[k].data, b->seg[k].data,
				    a->seg[k].len);
	}
}

#define SAME(field) assert_int_equal(x->field, y->field)
#define SAME_OFF(field, base)                                                  \
	assert_int_equal(x->field - t->base[0], y->field - t->base[1])
#define SAME_DEADLINE(field)                                                   \
	assert_int_equal(x->field ? x->field - now : 0,                        \
			 y->field ? y->field - now : 0)

/* The control blocks must hold the same state, up to their ISNs. */
static void compare_state(const struct twin *t)
{
	const struct tcp_sock *x = t->c[0].tp, *y = t->c[1].tp;
	u64 now = tcp_now_ms();
	SAME(state);
	SAME_OFF(snd_una, our_base);
	SAME_OFF(snd_nxt, our_base);
	SAME_OFF(snd_max, our_base);
	SAME_OFF(snd_wl2, our_base);
	SAME_OFF(snd_wl1, peer_base);
	SAME_OFF(rcv_nxt, peer_base);
	SAME_OFF(rcv_wup, peer_base);
	SAME_OFF(rcv_wnd_sent, peer_base);
	SAME_OFF(last_ack_sent, peer_base);
	SAME(snd_wnd);
	SAME(max_window);
	SAME(ts_recent);
	SAME(dupacks);
	SAME(in_recovery);
	SAME(cwnd_limited);
	SAME(rcvq.len);
	SAME(rcvq.size);
	SAME(sndq.len);
	SAME(cc.cwnd);
	SAME(cc.ssthresh);
	SAME(cc.cwnd_cnt);
	SAME(cc.ca_state);
	SAME(rtt.srtt_us);
	SAME(rtt.rttvar_us);
	SAME(rtt.rto_base_us);
	SAME(rtt.backoff);
	SAME(rtt.samples);
	SAME(rtt.timing);
	SAME(retransmits);
	SAME(delack_segs);
	SAME(quickack);
	SAME(ofo_count);
	assert_int_equal(x->ofo != NULL, y->ofo != NULL);
	if (x->ofo)
		assert_int_equal(x->ofo->recent_n, y->ofo->recent_n);
	SAME(dsack_pending);
	SAME(urg_seen);
	SAME_DEADLINE(rto_at_ms);
	SAME_DEADLINE(delack_at_ms);
	SAME_DEADLINE(tlp_at_ms);
	SAME(tlp_in_flight);
	assert_int_equal(x->sack != NULL, y->sack != NULL);
}

struct hp_delta {
	u64 hits, acks; /* what A's segment added */
};

/* Feed the step to both; compare; return the fast-path counters A's
 * segment moved (B's must move none). */
static struct hp_delta twin_step(struct twin *t, const struct step *st)
{
	static struct outs a, b;
	struct hp_delta d;
	u64 hits = snmp_get(MIB_TcpExtTCPHPHits);
	u64 acks = snmp_get(MIB_TcpExtTCPHPAcks);
	tcp_header_prediction = true;
	send_step(t, 0, st);
	collect(&a);
	d.hits = snmp_get(MIB_TcpExtTCPHPHits) - hits;
	d.acks = snmp_get(MIB_TcpExtTCPHPAcks) - acks;
	tcp_header_prediction = false;
	send_step(t, 1, st);
	collect(&b);
	tcp_header_prediction = true;
	assert_int_equal(snmp_get(MIB_TcpExtTCPHPHits), hits + d.hits);
	assert_int_equal(snmp_get(MIB_TcpExtTCPHPAcks), acks + d.acks);
	compare_outs(t, &a, &b);
	compare_state(t);
	return d;
}

/* The clock moves for both; whatever the timers send must match too. */
static void twin_advance(struct twin *t, u32 ms)
{
	static struct outs a, b;
	host_clock_advance_ms(ms);
	/* Both timers ran in the same advance: split their output by port. */
	collect(&a);
	b.n = 0;
	u32 n = 0;
	for (u32 k = 0; k < a.n; k++) {
		if (a.seg[k].h.dport == t->c[1].pport)
			b.seg[b.n++] = a.seg[k];
		else
			a.seg[n++] = a.seg[k];
	}
	a.n = n;
	compare_outs(t, &a, &b);
	compare_state(t);
}

static void twin_app_send(struct twin *t, const void *data, u32 len)
{
	static struct outs a, b;
	tcp_header_prediction = true;
	assert_int_equal(tcp_send(t->c[0].tp, data, len), len);
	collect(&a);
	tcp_header_prediction = false;
	assert_int_equal(tcp_send(t->c[1].tp, data, len), len);
	collect(&b);
	tcp_header_prediction = true;
	compare_outs(t, &a, &b);
	compare_state(t);
}

static void twin_app_read(struct twin *t, u32 len)
{
	static u8 a[65536], b[65536];
	static struct outs oa, ob;
	assert_true(len <= sizeof(a));
	assert_int_equal(tcp_recv(t->c[0].tp, a, len, false), len);
	collect(&oa);
	assert_int_equal(tcp_recv(t->c[1].tp, b, len, false), len);
	collect(&ob);
	assert_memory_equal(a, b, len);
	compare_outs(t, &oa, &ob);
	compare_state(t);
}

static u8 pattern[64 * 1024];

static const u8 *pat(u32 off)
{
	return pattern + off % (sizeof(pattern) / 2);
}

/* ---- the fast path is taken ---------------------------------------------- */

/* (b) In-order data: ACKed at once in quick-ACK mode, then every
 * second segment or after the delayed-ACK timer; same bytes out, same
 * state, and the reader gets the same stream. */
static void test_fast_data_no_options(void **state)
{
	struct twin t;
	(void)state;
	twin_open(&t, 0x10000, 0);
	u32 off = 0;
	for (int i = 0; i < 20; i++) {
		u32 len = i % 3 == 0 ? 1460 : 100 + (u32)i;
		struct step st = {.flags =
				      TCP_FLAG_ACK | (i & 1 ? TCP_FLAG_PSH : 0),
				  .seq_off = off,
				  .wnd = 512,
				  .data = pat(off),
				  .len = len};
		struct hp_delta d = twin_step(&t, &st);
		assert_int_equal(d.hits, 1);
		assert_int_equal(d.acks, 0);
		off += len;
		if (i % 5 == 4)
			twin_advance(&t, 40); /* the delayed ACK goes */
	}
	twin_app_read(&t, off);
	twin_close(&t);
}

/* (a) Pure ACKs of new data: SND.UNA moves, cwnd grows (slow start),
 * more data goes out: the same segments from both. */
static void test_fast_pure_acks_no_options(void **state)
{
	struct twin t;
	(void)state;
	twin_open(&t, 0x20000, 0);
	twin_app_send(&t, pattern, 40 * 1460);
	for (u32 acked = 2 * 1460; acked <= 40 * 1460; acked += 2 * 1460) {
		struct step st = {
		    .flags = TCP_FLAG_ACK, .ack_off = acked, .wnd = 512};
		struct hp_delta d = twin_step(&t, &st);
		assert_int_equal(d.acks, 1);
		assert_int_equal(d.hits, 0);
		twin_advance(&t, 7); /* RTT samples, and no delayed ACK due */
	}
	assert_int_equal(t.c[0].tp->snd_una, t.our_base[0] + 40 * 1460);
	assert_true(t.c[0].tp->cc.cwnd > TCP_INIT_CWND); /* slow start */
	twin_close(&t);
}

/* With timestamps (and SACK permitted, as Linux): the header is 32
 * bytes; TS.Recent follows the data, the RTT comes from TSecr. */
static void test_fast_with_timestamps(void **state)
{
	struct twin t;
	(void)state;
	twin_open(&t, 0x30000, TCP_OPT_TS | TCP_OPT_SACK_PERM);
	assert_true(t.c[0].tp->ts_ok);
	u32 tsval = 100, off = 0, acked = 0;
	twin_app_send(&t, pattern, 6 * 1448);
	u32 sent_ts = tcp_ts_now();
	for (int i = 0; i < 12; i++) {
		bool data = i % 2 == 0; /* else an ACK of one more segment */
		twin_advance(&t, 9);
		if (!data)
			acked += 1448;
		struct step st = {.flags = TCP_FLAG_ACK,
				  .seq_off = off,
				  .ack_off = acked,
				  .wnd = 512,
				  .opt = {.present = TCP_OPT_TS,
					  .tsval = tsval++,
					  .tsecr = sent_ts},
				  .data = data ? pat(off) : NULL,
				  .len = data ? 1000 : 0};
		struct hp_delta d = twin_step(&t, &st);
		assert_int_equal(d.hits, data);
		assert_int_equal(d.acks, !data);
		assert_int_equal(t.c[0].tp->ts_recent, tsval - 1);
		if (data)
			off += 1000;
	}
	assert_true(t.c[0].tp->rtt.samples > 0);
	twin_app_read(&t, off);
	twin_close(&t);
}

/* The peer's sequence numbers cross 2^32 during the transfer: the fast
 * path keeps taking the segments and queues the same bytes. */
static void test_fast_across_seq_wrap(void **state)
{
	struct twin t;
	static u8 got[8000];
	(void)state;
	twin_open(&t, 0xffffffffu - 3000, 0);
	u32 off = 0;
	for (int i = 0; i < 5; i++) {
		struct step st = {.flags = TCP_FLAG_ACK,
				  .seq_off = off,
				  .wnd = 512,
				  .data = pat(off),
				  .len = 1460};
		assert_int_equal(twin_step(&t, &st).hits, 1);
		off += 1460;
	}
	assert_true(t.c[0].tp->rcv_nxt < 0x10000); /* it wrapped */
	assert_int_equal(tcp_recv(t.c[0].tp, got, sizeof(got), false), off);
	assert_memory_equal(got, pattern, off);
	twin_close(&t);
}

/* ---- what must take the full path ---------------------------------------- */

static struct twin nt; /* the pair the "not taken" tests share */

/* An established pair with 3 segments of ours in flight and 1000 bytes
 * received. */
static void nt_open(u32 peer_isn, u32 opts)
{
	twin_open(&nt, peer_isn, opts);
	twin_app_send(&nt, pattern, 3 * 1448);
	struct step st = {.flags = TCP_FLAG_ACK,
			  .wnd = 512,
			  .opt = {.present = opts & TCP_OPT_TS, .tsval = 50},
			  .data = pat(0),
			  .len = 1000};
	assert_int_equal(twin_step(&nt, &st).hits, 1);
}

static void expect_slow(const struct step *st)
{
	struct hp_delta d = twin_step(&nt, st);
	assert_int_equal(d.hits, 0);
	assert_int_equal(d.acks, 0);
}

/* A window change: the full path (it updates SND.WND by the WL1/WL2
 * rule), for a pure ACK and for data. */
static void test_slow_window_change(void **state)
{
	(void)state;
	nt_open(0x40000, 0);
	struct step ack = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1000,
			   .ack_off = 1460,
			   .wnd = 300};
	u64 pure = snmp_get(MIB_TcpExtTCPPureAcks);
	expect_slow(&ack);
	assert_int_equal(snmp_get(MIB_TcpExtTCPPureAcks), pure + 2);
	assert_int_equal(nt.c[0].tp->snd_wnd, 300u << 7);
	struct step data = {.flags = TCP_FLAG_ACK,
			    .seq_off = 1000,
			    .ack_off = 1460,
			    .wnd = 301,
			    .data = pat(1000),
			    .len = 500};
	expect_slow(&data);
	twin_close(&nt);
}

/* Options other than the timestamp: a SACK block, an MSS option, a
 * timestamp on a connection that did not agree to them. */
static void test_slow_other_options(void **state)
{
	(void)state;
	nt_open(0x50000, TCP_OPT_TS | TCP_OPT_SACK_PERM);
	struct step sack = {
	    .flags = TCP_FLAG_ACK,
	    .seq_off = 1000,
	    .wnd = 512,
	    .opt = {.present = TCP_OPT_TS | TCP_OPT_SACK,
		    .tsval = 60,
		    .nr_sack = 1,
		    .sack = {{.start = 1448, .end = 2 * 1448}}}};
	expect_slow(&sack);
	assert_non_null(nt.c[0].tp->sack); /* the scoreboard exists now */
	twin_close(&nt);

	nt_open(0x51000, TCP_OPT_TS);
	/* NOP NOP timestamp (TSval 61), then an MSS option: 36 bytes. */
	static const u8 ts_mss[16] = {1, 1, 8, 10, 0, 0, 0,    61,
				      0, 0, 0, 0,  2, 4, 0x03, 0xe8};
	struct step mss = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1000,
			   .wnd = 512,
			   .data = pat(1000),
			   .len = 100,
			   .raw_opt = ts_mss,
			   .raw_len = sizeof(ts_mss)};
	expect_slow(&mss);
	assert_int_equal(nt.c[0].tp->ts_recent, 61);
	/* The timestamp, then an unknown kind (RFC 9293 3.2: ignored). */
	static const u8 ts_unknown[16] = {1, 1, 8, 10, 0,  0, 0,    62,
					  0, 0, 0, 0,  30, 4, 0xab, 0xcd};
	struct step unknown = {.flags = TCP_FLAG_ACK,
			       .seq_off = 1100,
			       .wnd = 512,
			       .data = pat(1100),
			       .len = 100,
			       .raw_opt = ts_unknown,
			       .raw_len = sizeof(ts_unknown)};
	expect_slow(&unknown);
	assert_int_equal(nt.c[0].tp->rcvq.len, 1200);
	struct step no_ts = {.flags = TCP_FLAG_ACK,
			     .seq_off = 1200,
			     .wnd = 512,
			     .data = pat(1200),
			     .len = 100};
	expect_slow(&no_ts); /* timestamps agreed, none sent */
	twin_close(&nt);

	nt_open(0x52000, 0);
	struct step ts = {.flags = TCP_FLAG_ACK,
			  .seq_off = 1000,
			  .wnd = 512,
			  .opt = {.present = TCP_OPT_TS, .tsval = 9},
			  .data = pat(1000),
			  .len = 100};
	expect_slow(&ts); /* not agreed: 32-byte header */
	twin_close(&nt);
}

/* Out of order: the segment beyond RCV.NXT, and then while the
 * out-of-order range exists even an in-order segment; once the hole is
 * filled the fast path is back. */
static void test_slow_out_of_order(void **state)
{
	(void)state;
	nt_open(0x60000, 0);
	struct step ooo = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1500,
			   .wnd = 512,
			   .data = pat(1500),
			   .len = 500};
	expect_slow(&ooo);
	assert_int_equal(nt.c[0].tp->ofo_count, 1);
	struct step fill = {.flags = TCP_FLAG_ACK,
			    .seq_off = 1000,
			    .wnd = 512,
			    .data = pat(1000),
			    .len = 500};
	expect_slow(&fill);
	assert_int_equal(nt.c[0].tp->ofo_count, 0);
	struct step next = {.flags = TCP_FLAG_ACK,
			    .seq_off = 2000,
			    .wnd = 512,
			    .data = pat(2000),
			    .len = 500};
	assert_int_equal(twin_step(&nt, &next).hits, 1);
	twin_app_read(&nt, 2500);
	twin_close(&nt);
}

/* PAWS: a TSval older than TS.Recent (by more than the reordering
 * tolerance, tcp_paws_reordered) is dropped with an ACK by the full path
 * (TcpExtPAWSEstab), never appended by the fast one. */
static void test_slow_paws_fail(void **state)
{
	(void)state;
	nt_open(0x70000, TCP_OPT_TS);
	u64 paws = snmp_get(MIB_TcpExtPAWSEstab);
	struct step old = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1000,
			   .wnd = 512,
			   .opt = {.present = TCP_OPT_TS, .tsval = 50 - 2000},
			   .data = pat(1000),
			   .len = 100};
	expect_slow(&old);
	assert_int_equal(snmp_get(MIB_TcpExtPAWSEstab), paws + 2);
	assert_int_equal(nt.c[0].tp->rcvq.len, 1000);
	/* An equal TSval passes PAWS (RFC 7323 5.3 R1 rejects only older). */
	old.opt.tsval = 50;
	assert_int_equal(twin_step(&nt, &old).hits, 1);
	twin_close(&nt);
}

/* URG, FIN, RST, SYN: the full path. */
static void test_slow_other_flags(void **state)
{
	(void)state;
	nt_open(0x80000, 0);
	struct step urg = {.flags = TCP_FLAG_ACK | TCP_FLAG_URG,
			   .seq_off = 1000,
			   .wnd = 512,
			   .data = pat(1000),
			   .len = 100};
	expect_slow(&urg);
	assert_true(nt.c[0].tp->urg_seen);
	struct step fin = {.flags = TCP_FLAG_ACK | TCP_FLAG_FIN,
			   .seq_off = 1100,
			   .wnd = 512,
			   .data = pat(1100),
			   .len = 100};
	expect_slow(&fin);
	assert_int_equal(nt.c[0].tp->state, TCP_CLOSE_WAIT);
	twin_close(&nt);

	nt_open(0x81000, 0);
	struct step syn = {
	    .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .seq_off = 1000, .wnd = 512};
	expect_slow(&syn); /* a challenge ACK (RFC 5961 4.2) */
	struct step rst = {
	    .flags = TCP_FLAG_RST | TCP_FLAG_ACK, .seq_off = 1000, .wnd = 512};
	expect_slow(&rst);
	assert_int_equal(nt.c[0].tp->state, TCP_CLOSE);
	twin_close(&nt);
}

/* Sequence numbers: a segment half the sequence space away (an old
 * duplicate from before a wrap, 2^31 behind) is not RCV.NXT and goes to
 * the full path (dropped with an ACK), as does one with an ACK beyond
 * SND.MAX. Data that also acknowledges new data is the full path's too. */
static void test_slow_seq_and_ack_cases(void **state)
{
	(void)state;
	nt_open(0x7fffff00u, 0);
	struct step far = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1000 + 0x80000000u,
			   .wnd = 512,
			   .data = pat(1000),
			   .len = 100};
	expect_slow(&far);
	assert_int_equal(nt.c[0].tp->rcvq.len, 1000);
	struct step beyond = {.flags = TCP_FLAG_ACK,
			      .seq_off = 1000,
			      .ack_off = 9999,
			      .wnd = 512};
	expect_slow(&beyond);
	struct step both = {.flags = TCP_FLAG_ACK,
			    .seq_off = 1000,
			    .ack_off = 1448,
			    .wnd = 512,
			    .data = pat(1000),
			    .len = 100};
	expect_slow(&both);
	assert_int_equal(nt.c[0].tp->snd_una, nt.our_base[0] + 1448);
	/* A pure ACK that acknowledges nothing new: a duplicate ACK. */
	struct step dup = {.flags = TCP_FLAG_ACK,
			   .seq_off = 1100,
			   .ack_off = 1448,
			   .wnd = 512};
	expect_slow(&dup);
	assert_int_equal(nt.c[0].tp->dupacks, 1);
	twin_close(&nt);
}

/* Data past the window we advertised, and a receive buffer too full for
 * it: the full path trims or drops it. */
static void test_slow_window_full(void **state)
{
	(void)state;
	nt_open(0x90000, 0);
	u32 room = nt.c[0].tp->rcv_wnd_sent - nt.c[0].tp->rcv_nxt;
	u32 off = 1000;
	while (room > 1460) { /* fill the window, no reads */
		struct step st = {.flags = TCP_FLAG_ACK,
				  .seq_off = off,
				  .wnd = 512,
				  .data = pat(off),
				  .len = 1460};
		assert_int_equal(twin_step(&nt, &st).hits, 1);
		off += 1460;
		room -= 1460;
	}
	struct step over = {.flags = TCP_FLAG_ACK,
			    .seq_off = off,
			    .wnd = 512,
			    .data = pat(off),
			    .len = 1460};
	expect_slow(&over);
	twin_close(&nt);
}

/* In fast recovery (or with a SACK scoreboard): the full path. */
static void test_slow_in_recovery(void **state)
{
	(void)state;
	twin_open(&nt, 0xa0000, 0);
	twin_app_send(&nt, pattern, 8 * 1460);
	struct step dup = {.flags = TCP_FLAG_ACK, .wnd = 512};
	for (int i = 0; i < 3; i++)
		expect_slow(&dup);
	assert_true(nt.c[0].tp->in_recovery);
	struct step data = {
	    .flags = TCP_FLAG_ACK, .wnd = 512, .data = pat(0), .len = 100};
	expect_slow(&data);
	struct step part = {
	    .flags = TCP_FLAG_ACK, .seq_off = 100, .ack_off = 1460, .wnd = 512};
	expect_slow(&part);
	twin_close(&nt);
}

static int fp_setup(void **state)
{
	for (u32 i = 0; i < sizeof(pattern); i++)
		pattern[i] = (u8)(i * 31 + (i >> 8));
	tcp_header_prediction = true;
	return setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_fast_data_no_options, fp_setup),
	    cmocka_unit_test_setup(test_fast_pure_acks_no_options, fp_setup),
	    cmocka_unit_test_setup(test_fast_with_timestamps, fp_setup),
	    cmocka_unit_test_setup(test_fast_across_seq_wrap, fp_setup),
	    cmocka_unit_test_setup(test_slow_window_change, fp_setup),
	    cmocka_unit_test_setup(test_slow_other_options, fp_setup),
	    cmocka_unit_test_setup(test_slow_out_of_order, fp_setup),
	    cmocka_unit_test_setup(test_slow_paws_fail, fp_setup),
	    cmocka_unit_test_setup(test_slow_other_flags, fp_setup),
	    cmocka_unit_test_setup(test_slow_seq_and_ack_cases, fp_setup),
	    cmocka_unit_test_setup(test_slow_window_full, fp_setup),
	    cmocka_unit_test_setup(test_slow_in_recovery, fp_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
