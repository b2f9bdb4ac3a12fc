/*
 * ipv4_test.h - what the IPv4 unit tests (test_ipv4.c, test_icmp.c,
 * test_reasm.c, test_route.c) share: the whole host-built stack with one
 * fake device "eth0" (52:54:00:12:34:56, 198.18.0.2/24) and a peer at
 * 198.18.0.1 (52:54:00:ab:cd:ef), frame builders, and a sink protocol
 * (number 253, RFC 3692 "for experimentation") that records what IP
 * delivers to it.
 *
 * Static functions in a header: each test binary includes it once.
 */
#ifndef SKIFF_TESTS_IPV4_TEST_H
#define SKIFF_TESTS_IPV4_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/ether.h>
#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/net.h>
#include <skiff/net/nf_hooks.h>
#include <skiff/net/route.h>
#include <skiff/net/snmp.h>
#include <skiff/netdevice.h>
#include <skiff/shell.h>
#include <skiff/skbuff.h>
#include <skiff/time.h>
#include <skiff/timer.h>

#include "../host/host.h"

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)
#define SINK_PROTO 253

static const u8 our_mac[ETH_ALEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[ETH_ALEN] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static struct net_device *eth0;

/* ---- the sink protocol ----------------------------------------------------
 */

#define SINK_MAX 65536
static struct {
	u32 delivered;	   /* handler calls */
	u32 len;	   /* payload bytes of the last one */
	u8 data[SINK_MAX]; /* its payload */
	struct inet_skb_parm cb;
	bool linear_ok; /* data sat inside the skb's one buffer */
	u32 errors;	/* err_handler calls */
	u8 err_type, err_code;
	u32 err_info;
	u32 err_quoted_daddr;
} sink;

static __unused int sink_rcv(struct sk_buff *skb)
{
	sink.delivered++;
	sink.len = skb->len;
	sink.cb = *IPCB(skb);
	sink.linear_ok = skb->data >= skb->head &&
			 skb_tail_pointer(skb) <= skb->head + skb->end;
	memcpy(sink.data, skb->data, MIN(skb->len, (u32)SINK_MAX));
	consume_skb(skb);
	return 0;
}

static __unused void sink_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	sink.errors++;
	sink.err_type = type;
	sink.err_code = code;
	sink.err_info = info;
	sink.err_quoted_daddr = load_be32(skb->data + 16);
}

static const struct net_protocol sink_protocol = {
    .handler = sink_rcv,
    .err_handler = sink_err,
};

/* ---- setup ----------------------------------------------------------------
 */

/* The stack, eth0 with 198.18.0.2/24, the sink; once per binary. */
static __unused void ipt_stack_up(void)
{
	if (eth0)
		return;
	host_init();
	net_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	assert_non_null(eth0);
	assert_int_equal(inet_addr_add(eth0, OUR_IP, 24), 0);
	inet_add_protocol(SINK_PROTO, &sink_protocol);
	/* Let the gratuitous ARPs (RFC 5227 announcements, 2 s apart) go
	 * out now, not in the middle of a test that moves the clock. */
	host_clock_advance_ms(10000);
	host_fakedev_tx_clear(eth0);
}

/* Per test: a clean slate of counters, frames, limits and queues. The
 * peer stays in the ARP cache once learned (ipt_learn_peer). */
static __unused int ipt_setup(void **state)
{
	(void)state;
	ipt_stack_up();
	host_run_softirqs();
	host_fakedev_tx_clear(eth0);
	ipfrag_flush();
	icmp_ratelimit_reset();
	ip_ident_init(0);
	snmp_reset();
	memset(&sink, 0, sizeof(sink));
	return 0;
}

static __unused int ipt_teardown(void **state)
{
	(void)state;
	host_run_softirqs();
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

/* ---- frames ---------------------------------------------------------------
 */

/* Ethernet header peer -> us (or to dst) for type. Returns 14. */
static __unused size_t ipt_eth(u8 *f, const u8 *dst, u16 type)
{
	memcpy(f, dst ? dst : our_mac, ETH_ALEN);
	memcpy(f + 6, peer_mac, ETH_ALEN);
	store_be16(f + 12, type);
	return ETH_HLEN;
}

/* An IPv4 datagram in an Ethernet frame: header from h (tot_len set
 * here), then len bytes of payload. Returns the frame length. */
static __unused size_t ipt_ip_frame(u8 *f, struct iphdr_info *h,
				    const void *payload, size_t len)
{
	size_t n = ipt_eth(f, NULL, ETH_P_IP);

	h->version = 4;
	if (!h->ihl_bytes)
		h->ihl_bytes = IP_HLEN;
	h->tot_len = (u16)(h->ihl_bytes + len);
	n += ip_hdr_emit(h, f + n);
	if (len)
		memcpy(f + n, payload, len);
	return n + len;
}

/* A default header peer -> us, protocol proto. */
static __unused struct iphdr_info ipt_hdr(u8 proto)
{
	struct iphdr_info h = {.ttl = 64,
			       .protocol = proto,
			       .id = 0x1000,
			       .saddr = PEER_IP,
			       .daddr = OUR_IP};
	return h;
}

/* Feed one frame, padded to the Ethernet minimum like a real NIC. */
static __unused void ipt_rx(const u8 *frame, size_t len)
{
	u8 padded[ETH_ZLEN];

	if (len < ETH_ZLEN) {
		memset(padded, 0, sizeof(padded));
		memcpy(padded, frame, len);
		frame = padded;
		len = ETH_ZLEN;
	}
	host_fakedev_rx(eth0, frame, len);
	host_run_softirqs();
}

/* An ICMP message (header h, body) from the peer. */
static __unused size_t ipt_icmp_frame(u8 *f, const struct icmphdr_info *ih,
				      const void *body, size_t len)
{
	static u8 msg[70000];
	struct iphdr_info h = ipt_hdr(IPPROTO_ICMP);

	memcpy(msg + ICMP_HLEN, body, len);
	icmp_emit(ih, msg, len);
	return ipt_ip_frame(f, &h, msg, ICMP_HLEN + len);
}

/* ---- ARP ------------------------------------------------------------------
 */

/* If the oldest frame sent is an ARP request for PEER_IP, answer it (the
 * reply built by scapy: ARP(op=2, hwsrc=peer, psrc=198.18.0.1, hwdst=us,
 * pdst=198.18.0.2)) and return true. */
static __unused bool ipt_answer_arp(void)
{
	static const u8 arp_reply[42] = {
	    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
	    0xef, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0xc6, 0x12, 0x00, 0x01, 0x52,
	    0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x02,
	};
	u8 f[128];
	int n = host_fakedev_pop_tx(eth0, f, sizeof(f));

	if (n < 42 || load_be16(f + 12) != ETH_P_ARP)
		return false;
	assert_int_equal(load_be16(f + 20), 1); /* a request */
	assert_int_equal(load_be32(f + 38), PEER_IP);
	assert_int_equal(load_be32(f + 28), OUR_IP);
	ipt_rx(arp_reply, sizeof(arp_reply));
	return true;
}

/* Make sure the peer's MAC is known, so replies go out at once. */
static __unused void ipt_learn_peer(void)
{
	u8 mac[ETH_ALEN];
	enum neigh_state st;

	if (neigh_lookup(eth0, PEER_IP, mac, &st) == 0 &&
	    (st == NUD_REACHABLE || st == NUD_STALE || st == NUD_DELAY))
		return;
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 8);
	assert_non_null(skb);
	skb_reserve(skb, MAX_HEADER);
	memset(skb_put(skb, 8), 0, 8);
	struct ip_out out = {.daddr = PEER_IP, .protocol = SINK_PROTO};
	assert_int_equal(ip_send_skb(skb, &out), 0);
	host_run_softirqs();
	assert_true(ipt_answer_arp());
	host_fakedev_tx_clear(eth0); /* the queued datagram, now sent */
}

/* Pop one sent frame; assert there is one. Returns its length. */
static __unused int ipt_pop(u8 *buf, size_t cap)
{
	int n = host_fakedev_pop_tx(eth0, buf, cap);
	assert_true(n > 0);
	return n;
}

/*
 * Compare a sent frame with a golden one that scapy built with IP id 0:
 * take the id from the frame and fix the golden header checksum with the
 * RFC 1624 incremental update (HC' = ~(~HC + ~m + m')), so the checksum
 * is checked independently of net/checksum.c.
 */
static __unused void ipt_assert_frame_id0(const u8 *frame, int len,
					  const u8 *golden, size_t golden_len)
{
	u8 want[2048];

	assert_int_equal(len, golden_len);
	assert_true(golden_len <= sizeof(want));
	memcpy(want, golden, golden_len);
	u16 id = load_be16(frame + ETH_HLEN + 4);
	u32 hc = load_be16(want + ETH_HLEN + 10);
	u32 sum = (~hc & 0xffff) + (~0u & 0xffff) /* ~m, m = 0 */ + id;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	store_be16(want + ETH_HLEN + 4, id);
	store_be16(want + ETH_HLEN + 10, (u16)~sum);
	assert_memory_equal(frame, want, golden_len);
}

#endif
