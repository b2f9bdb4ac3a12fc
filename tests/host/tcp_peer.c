/*
 * tcp_peer.c - a scripted TCP client on the fake device's wire
 * (tcp_peer.h says what it does).
 *
 * Read first: RFC 9293 3.10.7.4 (what a receiver ACKs), 3.8.6.1 (zero
 * window).
 */
#include <stdlib.h>
#include <string.h>

#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/socket.h>
#include <skiff/net/tcp_seq.h>
#include <skiff/net/tcp_wire.h>
#include <skiff/printk.h>

#include "host.h"
#include "tcp_peer.h"

#define ETH_LEN 14
#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define SETTLE_ROUNDS 64

void (*tcp_peer_observer)(const u8 *frame, size_t len);
u64 tcp_peer_unmatched;

static struct {
	struct net_device *dev;
	u32 peer_ip, srv_ip;
	u8 peer_mac[6], srv_mac[6];
	struct tcp_peer *peers[TCP_PEER_MAX];
} net;

static void eth_header(u8 *f, u16 type)
{
	memcpy(f, net.srv_mac, 6);
	memcpy(f + 6, net.peer_mac, 6);
	store_be16(f + 12, type);
}

/* RFC 826: "peer_ip is at peer_mac", to the stack. */
static void arp_reply(void)
{
	u8 f[60] = {0};
	eth_header(f, ETH_TYPE_ARP);
	u8 *a = f + ETH_LEN;
	store_be16(a, 1);
	store_be16(a + 2, ETH_TYPE_IP);
	a[4] = 6;
	a[5] = 4;
	store_be16(a + 6, 2);
	memcpy(a + 8, net.peer_mac, 6);
	store_be32(a + 14, net.peer_ip);
	memcpy(a + 18, net.srv_mac, 6);
	store_be32(a + 24, net.srv_ip);
	host_fakedev_rx(net.dev, f, sizeof(f));
}

void tcp_peer_net(struct net_device *dev, u32 peer_ip, const u8 peer_mac[6],
		  u32 srv_ip, const u8 srv_mac[6])
{
	net.dev = dev;
	net.peer_ip = peer_ip;
	net.srv_ip = srv_ip;
	memcpy(net.peer_mac, peer_mac, 6);
	memcpy(net.srv_mac, srv_mac, 6);
	arp_reply();
}

/* One segment from the peer, as a frame into the stack. */
static void emit(struct tcp_peer *p, u8 flags, u32 seq, u32 ack,
		 const void *data, u32 len, bool syn_opts)
{
	static u8 f[ETH_LEN + IP_HLEN + 60 + TCP_PEER_MSS];
	struct tcp_hdr_info h = {.sport = p->sport,
				 .dport = p->dport,
				 .seq = seq,
				 .ack = (flags & TCP_FLAG_ACK) ? ack : 0,
				 .flags = flags,
				 .window = p->wnd};
	if (syn_opts) {
		h.opt.present = TCP_OPT_MSS;
		h.opt.mss = TCP_PEER_MSS;
	}
	if (len > TCP_PEER_MSS)
		len = TCP_PEER_MSS;
	u8 *seg = f + ETH_LEN + IP_HLEN;
	int hlen = tcp_hdr_emit(&h, seg, 60);
	if (hlen < 20)
		return;
	if (len)
		memcpy(seg + hlen, data, len);
	tcp_v4_csum_set(seg, (u32)hlen + len, net.peer_ip, net.srv_ip);
	struct iphdr_info ih = {.version = 4,
				.ihl_bytes = IP_HLEN,
				.tot_len = (u16)(IP_HLEN + hlen + len),
				.df = true,
				.ttl = 64,
				.protocol = IPPROTO_TCP,
				.saddr = net.peer_ip,
				.daddr = net.srv_ip};
	ip_hdr_emit(&ih, f + ETH_LEN);
	eth_header(f, ETH_TYPE_IP);
	u32 n = ETH_LEN + ih.tot_len;
	if (n < 60) {
		memset(f + n, 0, 60 - n);
		n = 60;
	}
	host_fakedev_rx(net.dev, f, n);
}

static void track(struct tcp_peer *p)
{
	for (int i = 0; i < TCP_PEER_MAX; i++)
		if (net.peers[i] == p)
			return;
	for (int i = 0; i < TCP_PEER_MAX; i++)
		if (!net.peers[i]) {
			net.peers[i] = p;
			return;
		}
	panic("tcp_peer: more than %d peers", TCP_PEER_MAX);
}

void tcp_peer_connect(struct tcp_peer *p, u16 sport, u16 dport, u32 iss)
{
	*p = (struct tcp_peer){.sport = sport,
			       .dport = dport,
			       .iss = iss,
			       .snd_nxt = iss + 1,
			       .snd_una = iss,
			       .wnd = 65535};
	track(p);
	emit(p, TCP_FLAG_SYN, iss, 0, NULL, 0, true);
}

void tcp_peer_segment(struct tcp_peer *p, u8 flags, u32 seq, u32 ack,
		      const void *data, u32 len)
{
	emit(p, flags, seq, ack, data, len, false);
}

void tcp_peer_send(struct tcp_peer *p, const void *data, u32 len)
{
	const u8 *d = data;
	while (len) {
		u32 n = len < TCP_PEER_MSS ? len : TCP_PEER_MSS;
		emit(p, TCP_FLAG_ACK | TCP_FLAG_PSH, p->snd_nxt, p->rcv_nxt, d,
		     n, false);
		p->snd_nxt += n;
		d += n;
		len -= n;
	}
}

void tcp_peer_send_str(struct tcp_peer *p, const char *s)
{
	tcp_peer_send(p, s, (u32)strlen(s));
}

void tcp_peer_ack(struct tcp_peer *p)
{
	emit(p, TCP_FLAG_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0, false);
}

void tcp_peer_fin(struct tcp_peer *p)
{
	emit(p, TCP_FLAG_FIN | TCP_FLAG_ACK, p->snd_nxt, p->rcv_nxt, NULL, 0,
	     false);
	p->snd_nxt++;
}

void tcp_peer_rst(struct tcp_peer *p)
{
	emit(p, TCP_FLAG_RST, p->snd_nxt, 0, NULL, 0, false);
}

void tcp_peer_consume(struct tcp_peer *p)
{
	p->in_len = 0;
}

void tcp_peer_forget(struct tcp_peer *p)
{
	for (int i = 0; i < TCP_PEER_MAX; i++)
		if (net.peers[i] == p)
			net.peers[i] = NULL;
	free(p->in);
	p->in = NULL;
	p->in_len = p->in_cap = 0;
}

static void take(struct tcp_peer *p, const u8 *d, u32 n)
{
	if (!n)
		return;
	if (p->in_len + n > p->in_cap) {
		u32 cap = p->in_cap ? p->in_cap : 4096;
		while (cap < p->in_len + n)
			cap *= 2;
		u8 *b = realloc(p->in, cap);
		if (!b)
			panic("tcp_peer: out of memory");
		p->in = b;
		p->in_cap = cap;
	}
	memcpy(p->in + p->in_len, d, n);
	p->in_len += n;
}

/* RFC 9293 3.10.7.4: take in-order data up to the window, ACK anything
 * that carried data or a FIN or did not fit. */
static void established_input(struct tcp_peer *p, const struct tcp_hdr_info *h,
			      const u8 *d, u32 n)
{
	bool answer = n || (h->flags & TCP_FLAG_FIN);
	if ((h->flags & TCP_FLAG_ACK) && after(h->ack, p->snd_una))
		p->snd_una = h->ack;
	if (p->follow && (h->flags & TCP_FLAG_ACK) && after(h->ack, p->snd_nxt))
		p->snd_nxt = h->ack;
	u32 taken = 0;
	if (n && h->seq == p->rcv_nxt) {
		taken = n < p->wnd ? n : p->wnd;
		take(p, d, taken);
		p->rcv_nxt += taken;
	}
	if (n && !p->wnd)
		p->zero_probes++;
	if ((h->flags & TCP_FLAG_FIN) && h->seq + n == p->rcv_nxt &&
	    taken == n) {
		p->rcv_nxt++;
		p->fin_in = true;
	}
	if (answer && !p->silent)
		tcp_peer_ack(p);
}

static void peer_input(struct tcp_peer *p, const struct tcp_hdr_info *h,
		       const u8 *d, u32 n)
{
	p->segs_in++;
	if (h->flags & TCP_FLAG_RST) {
		p->rst_in = true;
		p->established = false;
		return;
	}
	if ((h->flags & TCP_FLAG_SYN) && (h->flags & TCP_FLAG_ACK)) {
		if (h->ack != p->iss + 1)
			return;
		p->irs = h->seq;
		p->rcv_nxt = h->seq + 1;
		p->snd_una = h->ack;
		p->established = true;
		if (!p->silent)
			tcp_peer_ack(p); /* again if the SYN-ACK came twice */
		return;
	}
	if (p->established)
		established_input(p, h, d, n);
}

static struct tcp_peer *find(u16 sport, u16 dport)
{
	for (int i = 0; i < TCP_PEER_MAX; i++) {
		struct tcp_peer *p = net.peers[i];
		if (p && p->sport == dport && p->dport == sport)
			return p;
	}
	return NULL;
}

/* A TCP segment for one of the peers: true if taken. */
static bool tcp_frame(const u8 *f, u32 len)
{
	if (len < ETH_LEN + IP_HLEN || f[ETH_LEN + 9] != IPPROTO_TCP ||
	    load_be32(f + ETH_LEN + 16) != net.peer_ip)
		return false;
	u32 ihl = (u32)(f[ETH_LEN] & 0xf) * 4;
	u32 tot = load_be16(f + ETH_LEN + 2);
	if (ihl < IP_HLEN || tot < ihl || ETH_LEN + tot > len)
		return false;
	const u8 *seg = f + ETH_LEN + ihl;
	struct tcp_hdr_info h;
	int hlen = tcp_hdr_parse(seg, tot - ihl, &h);
	if (hlen < 20)
		return false;
	struct tcp_peer *p = find(h.sport, h.dport);
	if (!p)
		return false;
	peer_input(p, &h, seg + hlen, tot - ihl - (u32)hlen);
	return true;
}

static bool arp_request_for_peer(const u8 *f, u32 len)
{
	return len >= ETH_LEN + 28 && load_be16(f + 12) == ETH_TYPE_ARP &&
	       load_be16(f + ETH_LEN + 6) == 1 &&
	       load_be32(f + ETH_LEN + 24) == net.peer_ip;
}

u32 tcp_peer_pump(void)
{
	static u8 f[65536];
	u32 frames = 0;
	int n;
	while ((n = host_fakedev_pop_tx(net.dev, f, sizeof(f))) >= 0) {
		u32 len = n < (int)sizeof(f) ? (u32)n : (u32)sizeof(f);
		frames++;
		if (tcp_peer_observer)
			tcp_peer_observer(f, len);
		if (arp_request_for_peer(f, len))
			arp_reply();
		else if (load_be16(f + 12) != ETH_TYPE_IP || !tcp_frame(f, len))
			tcp_peer_unmatched++;
	}
	return frames;
}

void tcp_peer_settle(void)
{
	/* Two quiet rounds in a row: an app may have queued work for its
	 * next turn (httpd's pending pipelines). */
	for (int i = 0, quiet = 0; i < SETTLE_ROUNDS && quiet < 2; i++) {
		apps_poll();
		host_run_softirqs();
		quiet = tcp_peer_pump() ? 0 : quiet + 1;
	}
}

void tcp_peer_run(u64 ms, u64 step_ms)
{
	tcp_peer_settle();
	while (ms) {
		u64 step = ms < step_ms ? ms : step_ms;
		host_clock_advance_ms(step);
		ms -= step;
		tcp_peer_settle();
	}
}
