/*
 * fuzz_tcp.c - sequences into the host-built stack with a TCP listener on
 * port 7: either TCP segments built from compact records, or whole
 * Ethernet frames (real captures as seeds) with a listener and two
 * established connections in place. The first input byte picks the mode
 * (bit 0); the clock advances between records and timers fire.
 *
 * Mode 0, segment records:
 *   [op:1] [clock step:1] [flags:1] [seq delta:2] [ack delta:2] [wnd:2]
 *   [optlen:1] [paylen:1] [options: optlen & 0x3f bytes] [payload]
 * op's low 2 bits choose the peer port (4 peers), bit 2 makes seq/ack
 * absolute instead of relative to the connection's RCV.NXT/SND.UNA
 * (so most segments land in the window and reach deep states), bit 3
 * corrupts the checksum, bits 4-6 pick an app call on that peer's
 * connection (accept, send, recv, shutdown, close, abort). The clock moves
 * by step * 16 ms before each segment (timers fire).
 *
 * Mode 1, frame records (issue 9's [delay][length][frame]):
 *   [delay:1] [ctl:1] [length:2, big-endian] [frame: length bytes]
 * Before the first record, peer 198.18.0.1:40100 has connected to port 7
 * (accepted) and Skiff has connected to 198.18.0.1:5555; both are
 * ESTABLISHED. The clock moves by delay * 16 ms, then the frame goes in
 * as received. ctl bit 0: a TCP segment that belongs to a connection gets
 * its seq/ack made relative to the connection's initial numbers (seq +=
 * IRS + 1, ack += ISS + 1; tests/fuzz/pcap2seed.py writes captures that
 * way), bit 1: the IPv4 header and TCP/UDP checksums are recomputed, bits
 * 4-6: an app call first (as above) on connection (ctl >> 2) & 3.
 *
 * After the input every connection is aborted and the clock runs 200 s,
 * so no state carries into the next input.
 */
#include <stdlib.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/net.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_wire.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)
#define NPEERS 4

static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static struct net_device *eth0;
static struct tcp_sock *listener;
static struct tcp_sock *conns[NPEERS];

static void fuzz_setup(void)
{
	static bool up;
	if (up)
		return;
	up = true;
	host_init();
	net_init();
	tcp_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	inet_addr_add(eth0, OUR_IP, 24);
	host_clock_advance_ms(10000);
	listener = tcp_sock_create();
	tcp_bind(listener, INADDR_ANY, 7);
	tcp_listen(listener, 8);
}

static void rx_segment(const u8 *seg, u32 len)
{
	static u8 f[2048];
	struct iphdr_info h = {.version = 4,
			       .ihl_bytes = IP_HLEN,
			       .ttl = 64,
			       .protocol = IPPROTO_TCP,
			       .saddr = PEER_IP,
			       .daddr = OUR_IP};
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	store_be16(f + 12, ETH_P_IP);
	h.tot_len = (u16)(IP_HLEN + len);
	ip_hdr_emit(&h, f + ETH_HLEN);
	memcpy(f + ETH_HLEN + IP_HLEN, seg, len);
	u32 n = ETH_HLEN + IP_HLEN + len;
	if (n < 60) {
		memset(f + n, 0, 60 - n);
		n = 60;
	}
	host_fakedev_rx(eth0, f, n);
}

static void app_call(int peer, u32 op)
{
	static u8 buf[4096];
	int err;
	struct tcp_sock *tp = conns[peer];
	switch (op) {
	case 1:
		if (!tp)
			conns[peer] = tcp_accept(listener, &err);
		break;
	case 2:
		if (tp)
			tcp_send(tp, buf, 1 + (op * 977) % sizeof(buf));
		break;
	case 3:
		if (tp)
			tcp_recv(tp, buf, sizeof(buf), false);
		break;
	case 4:
		if (tp)
			tcp_shutdown_wr(tp);
		break;
	case 5:
	case 6:
		if (tp) {
			tcp_close(tp, op == 6);
			conns[peer] = NULL;
		}
		break;
	default:
		break;
	}
}

/* Any control block of this peer (a child not yet accepted too), to
 * make sequence numbers relative to. */
struct find_ctx {
	u16 port;
	u32 rcv_nxt, snd_una;
	bool found;
};

static void find_one(struct tcp_sock *tp, void *arg)
{
	struct find_ctx *c = arg;
	if (tp->dport == c->port && tp->state != TCP_LISTEN &&
	    tp->state != TCP_CLOSE) {
		c->rcv_nxt = tp->rcv_nxt;
		c->snd_una = tp->snd_una;
		c->found = true;
	}
}

/* One record; returns the bytes it used, 0 at the end. */
static size_t one_record(const u8 *d, size_t n)
{
	static u8 seg[600];
	if (n < 12)
		return 0;
	u8 op = d[0];
	u32 optlen = d[10] & 0x3c, paylen = d[11];
	if (n < 12 + optlen + paylen)
		return 0;
	int peer = op & 3;
	host_clock_advance_ms((u64)d[1] * 16);
	app_call(peer, (op >> 4) & 7);
	struct find_ctx fc = {.port = (u16)(40000 + peer)};
	tcp_for_each(find_one, &fc);
	u32 seq = load_be16(d + 3), ack = load_be16(d + 5);
	if (!(op & 4) && fc.found) {
		seq += fc.rcv_nxt - 0x100;
		ack += fc.snd_una - 0x100;
	} else {
		seq *= 0x10001u;
		ack *= 0x10001u;
	}
	memset(seg, 0, 20);
	store_be16(seg, (u16)(40000 + peer));
	store_be16(seg + 2, (op & 0x80) ? 9 : 7);
	store_be32(seg + 4, seq);
	store_be32(seg + 8, ack);
	seg[12] = (u8)(((20 + optlen) / 4) << 4);
	seg[13] = d[2];
	memcpy(seg + 14, d + 7, 2);
	memcpy(seg + 20, d + 12, optlen);
	memcpy(seg + 20 + optlen, d + 12 + optlen, paylen);
	u32 len = 20 + optlen + paylen;
	tcp_v4_csum_set(seg, len, PEER_IP, OUR_IP);
	if (op & 8)
		seg[16] ^= 0x40;
	rx_segment(seg, len);
	return 12 + optlen + paylen;
}

static void fuzz_cleanup(void)
{
	for (int i = 0; i < NPEERS; i++) {
		if (conns[i])
			tcp_close(conns[i], true);
		conns[i] = NULL;
	}
	int err;
	struct tcp_sock *tp;
	while ((tp = tcp_accept(listener, &err)) != NULL)
		tcp_close(tp, true);
	host_clock_advance_ms(200000);
	host_fakedev_tx_clear(eth0);
	host_log_reset();
}

/* ---- mode 1: frame records ------------------------------------------------
 */

#define EST_PEER_PORT 40100 /* the peer's connection to our port 7 */
#define ACT_PEER_PORT 5555  /* the port Skiff connects to */
#define PEER_ISS 0x10000000u
#define PEER_ISS2 0x20000000u

struct tcb_find {
	u16 sport, dport; /* ours, the peer's */
	struct tcp_sock *tp;
};

static void find_tcb(struct tcp_sock *tp, void *arg)
{
	struct tcb_find *f = arg;
	if (tp->sport == f->sport && tp->dport == f->dport &&
	    tp->state != TCP_LISTEN && tp->state != TCP_CLOSE)
		f->tp = tp;
}

static struct tcp_sock *tcb_of(u16 ours, u16 peer)
{
	struct tcb_find f = {.sport = ours, .dport = peer};
	tcp_for_each(find_tcb, &f);
	return f.tp;
}

/* A segment from the peer with exact numbers and no options. */
static void peer_segment(u16 sport, u16 dport, u32 seq, u32 ack, u8 flags)
{
	u8 seg[20] = {0};
	store_be16(seg, sport);
	store_be16(seg + 2, dport);
	store_be32(seg + 4, seq);
	store_be32(seg + 8, ack);
	seg[12] = 5 << 4;
	seg[13] = flags;
	store_be16(seg + 14, 65535);
	tcp_v4_csum_set(seg, sizeof(seg), PEER_IP, OUR_IP);
	rx_segment(seg, sizeof(seg));
}

/* The two ESTABLISHED connections every frame-mode input starts with:
 * conns[0] accepted from the peer, conns[1] opened by us. */
static void establish(void)
{
	peer_segment(EST_PEER_PORT, 7, PEER_ISS, 0, TCP_FLAG_SYN);
	struct tcp_sock *tp = tcb_of(7, EST_PEER_PORT);
	if (tp)
		peer_segment(EST_PEER_PORT, 7, PEER_ISS + 1, tp->iss + 1,
			     TCP_FLAG_ACK);
	int err;
	conns[0] = tcp_accept(listener, &err);
	conns[1] = tcp_sock_create();
	if (conns[1] && tcp_connect(conns[1], PEER_IP, ACT_PEER_PORT) == 0) {
		tp = conns[1];
		peer_segment(ACT_PEER_PORT, tp->sport, PEER_ISS2, tp->iss + 1,
			     TCP_FLAG_SYN | TCP_FLAG_ACK);
	}
}

/* ctl bit 0: seq/ack of a segment of a known connection, relative. */
static void frame_relative(u8 *ip, u32 ihl, u32 len)
{
	u8 *th = ip + ihl;
	if (ip[9] != IPPROTO_TCP || len < ihl + 20)
		return;
	struct tcp_sock *tp = tcb_of(load_be16(th + 2), load_be16(th));
	if (!tp)
		return;
	store_be32(th + 4, load_be32(th + 4) + tp->irs + 1);
	store_be32(th + 8, load_be32(th + 8) + tp->iss + 1);
}

/* ctl bit 1: make the checksums right, so the fuzzer gets past them. */
static void frame_checksums(u8 *ip, u32 ihl, u32 len)
{
	u32 tot = load_be16(ip + 2);
	store_be16(ip + 10, 0);
	store_be16(ip + 10, csum_fold(csum_partial(ip, ihl, 0)));
	if (tot < ihl || tot > len || (load_be16(ip + 6) & 0x3fff))
		return; /* lengths lie, or a fragment: leave it */
	u32 saddr = load_be32(ip + 12), daddr = load_be32(ip + 16);
	u8 *th = ip + ihl;
	u32 tl = tot - ihl;
	if (ip[9] == IPPROTO_TCP && tl >= 20) {
		tcp_v4_csum_set(th, tl, saddr, daddr);
	} else if (ip[9] == IPPROTO_UDP && tl >= 8) {
		store_be16(th + 6, 0);
		u16 c = csum_fold(csum_partial(
		    th, tl,
		    csum_tcpudp_nofold(saddr, daddr, (u16)tl, IPPROTO_UDP, 0)));
		store_be16(th + 6, c ? c : 0xffff);
	}
}

static size_t one_frame_record(const u8 *d, size_t n)
{
	static u8 f[2048];
	if (n < 4)
		return 0;
	u32 len = load_be16(d + 2);
	if (n < 4 + (size_t)len || len > sizeof(f))
		return 0;
	u8 ctl = d[1];
	host_clock_advance_ms((u64)d[0] * 16);
	app_call((ctl >> 2) & 3, (ctl >> 4) & 7);
	memcpy(f, d + 4, len);
	if (len >= ETH_HLEN + IP_HLEN && load_be16(f + 12) == ETH_P_IP &&
	    (f[ETH_HLEN] >> 4) == 4) {
		u8 *ip = f + ETH_HLEN;
		u32 ihl = (u32)(ip[0] & 0xf) * 4;
		u32 iplen = len - ETH_HLEN;
		if (ihl >= IP_HLEN && ihl <= iplen) {
			if (ctl & 1)
				frame_relative(ip, ihl, iplen);
			if (ctl & 2)
				frame_checksums(ip, ihl, iplen);
		}
	}
	host_fakedev_rx(eth0, f, len);
	return 4 + len;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	fuzz_setup();
	if (size == 0)
		return 0;
	bool frames = data[0] & 1;
	data++;
	size--;
	/* Make the peer's MAC known so that our answers go out. */
	static const u8 arp_reply[42] = {
	    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
	    0xef, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0xc6, 0x12, 0x00, 0x01, 0x52,
	    0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x02,
	};
	u8 pad[60] = {0};
	memcpy(pad, arp_reply, sizeof(arp_reply));
	host_fakedev_rx(eth0, pad, sizeof(pad));
	size_t used;
	if (frames)
		establish();
	while ((used = frames ? one_frame_record(data, size)
			      : one_record(data, size)) != 0) {
		data += used;
		size -= used;
	}
	fuzz_cleanup();
	return 0;
}
