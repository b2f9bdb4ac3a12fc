/*
 * tcp_test.h - what the TCP unit tests (test_tcp.c, test_tcp_fastpath.c,
 * test_tcp_recovery.c) share: the host-built stack with a listener on
 * port 7, a peer (198.18.0.1) that sends segments as frames, the
 * segments we send parsed back, and a connection opened through the
 * listener. Static functions in a header: each test binary includes it
 * once.
 */
#ifndef SKIFF_TESTS_TCP_TEST_H
#define SKIFF_TESTS_TCP_TEST_H

#include "ipv4_test.h"

#include <skiff/net/socket.h>
#include <skiff/mm.h>
#include <skiff/net/route.h>
#include <skiff/slab.h>
#include <skiff/net/tcp.h>

#define LPORT 7
#define ANY_SEQ 0x5eedf00du /* expect_seg: any sequence number */

static u8 frame[4096];

/* ---- the peer ------------------------------------------------------------ */

struct peer_seg {
	u8 flags;
	u32 seq, ack;
	u16 wnd;
	struct tcp_opts opt;
	const u8 *data;
	u32 len;
};

/* Send one segment from PEER_IP:sport to OUR_IP:dport. */
static __unused void peer_send_to(u16 sport, u16 dport,
				  const struct peer_seg *ps)
{
	u8 seg[2048];
	struct tcp_hdr_info h = {.sport = sport,
				 .dport = dport,
				 .seq = ps->seq,
				 .ack = ps->ack,
				 .flags = ps->flags,
				 .window = ps->wnd,
				 .opt = ps->opt};
	int hlen = tcp_hdr_emit(&h, seg, sizeof(seg));
	assert_true(hlen >= 20);
	if (ps->len)
		memcpy(seg + hlen, ps->data, ps->len);
	tcp_v4_csum_set(seg, (u32)hlen + ps->len, PEER_IP, OUR_IP);
	struct iphdr_info ih = ipt_hdr(IPPROTO_TCP);
	ipt_rx(frame, ipt_ip_frame(frame, &ih, seg, (u32)hlen + ps->len));
}

/* What we sent, parsed. */
struct out_seg {
	struct tcp_hdr_info h;
	u8 data[2048];
	u32 len;
};

/* The neighbour layer re-validates the peer when the clock moves: answer
 * its ARP requests as the peer would (ipv4_test.h's reply). */
static __unused void answer_arp(void)
{
	static const u8 arp_reply[42] = {
	    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
	    0xef, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0xc6, 0x12, 0x00, 0x01, 0x52,
	    0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x02,
	};
	ipt_rx(arp_reply, sizeof(arp_reply));
}

/* The next frame sent that is not ARP (ARP requests are answered). */
static __unused int pop_frame(u8 *f, size_t cap)
{
	for (;;) {
		int n = host_fakedev_pop_tx(eth0, f, cap);
		if (n < 0 || load_be16(f + 12) != ETH_P_ARP)
			return n;
		if (load_be16(f + 20) == 1)
			answer_arp();
	}
}

static __unused bool pop_seg(struct out_seg *o)
{
	u8 f[4096];
	int n = pop_frame(f, sizeof(f));
	if (n < 0)
		return false;
	assert_int_equal(load_be16(f + 12), ETH_P_IP);
	assert_int_equal(f[ETH_HLEN + 9], IPPROTO_TCP);
	u32 ihl = (u32)(f[ETH_HLEN] & 0xf) * 4;
	u32 tot = load_be16(f + ETH_HLEN + 2);
	const u8 *seg = f + ETH_HLEN + ihl;
	u32 seglen = tot - ihl;
	assert_true(tcp_v4_csum_ok(seg, seglen, OUR_IP, PEER_IP));
	int hlen = tcp_hdr_parse(seg, seglen, &o->h);
	assert_true(hlen >= 20);
	o->len = seglen - (u32)hlen;
	memcpy(o->data, seg + hlen, o->len);
	return true;
}

static __unused void expect_seg(struct out_seg *o, u8 flags, u32 seq, u32 ack)
{
	assert_true(pop_seg(o));
	assert_int_equal(o->h.flags, flags);
	if (seq != ANY_SEQ)
		assert_int_equal(o->h.seq, seq);
	if (flags & TCP_FLAG_ACK)
		assert_int_equal(o->h.ack, ack);
}

static __unused void expect_none(void)
{
	u8 f[256];
	int n = pop_frame(f, sizeof(f));
	if (n >= 0)
		fail_msg("unexpected frame: type %04x, TCP %u -> %u flags %02x "
			 "seq %u ack %u",
			 load_be16(f + 12), load_be16(f + 34),
			 load_be16(f + 36), f[47], load_be32(f + 38),
			 load_be32(f + 42));
}

/* ---- fixtures ------------------------------------------------------------ */

static void drain(void);
static struct tcp_sock *listener;
static u16 next_port = 40000;

/* One established connection, as the tests see it. */
struct conn {
	u16 pport; /* the peer's port */
	u32 pseq;  /* the peer's next sequence number */
	u32 oseq;  /* our next sequence number (the peer's ACK) */
	struct tcp_sock *tp;
};

static __unused void tcp_stack_up(void)
{
	static bool up;
	if (up)
		return;
	up = true;
	ipt_stack_up();
	tcp_init();
	listener = tcp_sock_create();
	assert_non_null(listener);
	assert_int_equal(tcp_bind(listener, INADDR_ANY, LPORT), 0);
	assert_int_equal(tcp_listen(listener, 16), 0);
}

static __unused int setup(void **state)
{
	tcp_stack_up();
	tcp_recovery_rack = true; /* a test of the fallback turns it off */
	ipt_setup(state);
	/* Learn the peer: any datagram to it starts ARP, answered here. */
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 8);
	assert_non_null(skb);
	skb_reserve(skb, MAX_HEADER);
	memset(skb_put(skb, 8), 0, 8);
	struct ip_out out = {.daddr = PEER_IP, .protocol = SINK_PROTO};
	ip_send_skb(skb, &out);
	host_run_softirqs();
	drain();
	snmp_reset();
	return 0;
}

static __unused void peer(struct conn *c, u8 flags, const void *data, u32 len)
{
	struct peer_seg ps = {.flags = flags,
			      .seq = c->pseq,
			      .ack = c->oseq,
			      .wnd = 512, /* 64 KiB with the shift of 7 */
			      .data = data,
			      .len = len};
	peer_send_to(c->pport, LPORT, &ps);
	c->pseq += len + !!(flags & TCP_FLAG_FIN);
}

/* SYN with MSS 1460, window scale 7 and the options in `more` ->
 * SYN-ACK (answering them) -> ACK -> accept. */
static __unused void open_conn_opts(struct conn *c, u32 peer_isn, u32 more)
{
	struct out_seg o;
	struct peer_seg syn = {
	    .flags = TCP_FLAG_SYN,
	    .seq = peer_isn,
	    .wnd = 64240,
	    .opt = {.present = TCP_OPT_MSS | TCP_OPT_WSCALE | more,
		    .mss = 1460,
		    .wscale = 7}};
	int err;

	c->pport = next_port++;
	peer_send_to(c->pport, LPORT, &syn);
	expect_seg(&o, TCP_FLAG_SYN | TCP_FLAG_ACK, ANY_SEQ, peer_isn + 1);
	assert_true(o.h.opt.present & TCP_OPT_MSS);
	assert_int_equal(o.h.opt.mss, 1460);
	assert_true(o.h.opt.present & TCP_OPT_WSCALE);
	assert_int_equal(o.h.opt.present & TCP_OPT_SACK_PERM,
			 more & TCP_OPT_SACK_PERM);
	c->pseq = peer_isn + 1;
	c->oseq = o.h.seq + 1;
	assert_null(tcp_accept(listener, &err));
	assert_int_equal(err, -EAGAIN);
	/* The ACK's window is scaled by 7: 512 << 7 = 64 KiB. */
	struct peer_seg ack = {
	    .flags = TCP_FLAG_ACK, .seq = c->pseq, .ack = c->oseq, .wnd = 512};
	peer_send_to(c->pport, LPORT, &ack);
	expect_none();
	c->tp = tcp_accept(listener, &err);
	assert_non_null(c->tp);
	assert_int_equal(c->tp->state, TCP_ESTABLISHED);
	assert_int_equal(c->tp->snd_wnd, 512u << 7);
}

static __unused void open_conn(struct conn *c, u32 peer_isn)
{
	open_conn_opts(c, peer_isn, 0);
}

/* Peer sends FIN, we ACK; app closes, FIN; peer ACKs: gone. */
static __unused void close_conn(struct conn *c)
{
	struct out_seg o;
	peer(c, TCP_FLAG_FIN | TCP_FLAG_ACK, NULL, 0);
	expect_seg(&o, TCP_FLAG_ACK, c->oseq, c->pseq);
	assert_int_equal(c->tp->state, TCP_CLOSE_WAIT);
	tcp_close(c->tp, false);
	expect_seg(&o, TCP_FLAG_FIN | TCP_FLAG_ACK, c->oseq, c->pseq);
	c->oseq++;
	peer(c, TCP_FLAG_ACK, NULL, 0);
	expect_none();
	c->tp = NULL;
}

static __unused void drain(void)
{
	u8 f[2048];
	while (pop_frame(f, sizeof(f)) >= 0)
		;
}

/* ---- handshake ----------------------------------------------------------- */

#endif
