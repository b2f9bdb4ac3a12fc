/*
 * fuzz_udp.c - libFuzzer target for UDP with sockets open: net/udp.c's
 * receive path (validation, lookup, queueing with a receive buffer limit,
 * the kernel listener), ICMP errors quoting our datagrams (udp_err into
 * connected sockets), the socket layer's event loop and the echo app
 * (apps/echo/echo.c), which answers what comes in.
 *
 * The host-built stack with eth0 = 198.18.0.2/24 and the peer 198.18.0.1
 * known, and open: the echo app on 7, a socket on 5353 connected to
 * 198.18.0.1:53, a socket on 9999 with the smallest receive buffer, and a
 * kernel listener on 68.
 *
 * Input: a control byte, then bytes. Control bits 0-1 choose what the
 * bytes are: 0 the UDP header and payload of a datagram from the peer to
 * us, 1 the same to the subnet broadcast, 2 an ICMP error (first byte the
 * type, second the code) quoting an IP header from us to the peer and then
 * the bytes as the quoted UDP datagram, 3 a whole Ethernet frame. Bit 2
 * fixes the UDP checksum (modes 0 and 1; random bytes almost never sum
 * right); bit 3 moves the clock by 31 s afterwards.
 *
 * After each input: apps_poll (the echo answers), the test sockets are
 * drained, no lock is held and no sk_buff leaked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/apps.h>
#include <skiff/net/ether.h>
#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/net.h>
#include <skiff/net/socket.h>
#include <skiff/net/udp_wire.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define MODE_MASK 0x3
#define MODE_UNICAST 0
#define MODE_BROADCAST 1
#define MODE_ICMP 2
#define MODE_FRAME 3
#define FIX_UDP_CSUM 0x4
#define ADVANCE_CLOCK 0x8
#define MAX_FRAME 65536

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)

static struct net_device *eth0;
static struct socket *connected, *tiny;
static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const u8 arp_reply[42] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
    0xef, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0xc6, 0x12, 0x00, 0x01, 0x52,
    0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x02,
};

static void learn_peer(void)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 8);
	if (!skb)
		abort();
	skb_reserve(skb, MAX_HEADER);
	memset(skb_put(skb, 8), 0, 8);
	struct ip_out out = {.daddr = PEER_IP, .protocol = 253};
	ip_send_skb(skb, &out);
	host_run_softirqs();
	host_fakedev_rx(eth0, arp_reply, sizeof(arp_reply));
	host_run_softirqs();
	host_fakedev_tx_clear(eth0);
}

static void klisten_rcv(struct sk_buff *skb, u32 saddr, u16 sport, u32 daddr,
			void *arg)
{
	(void)saddr, (void)sport, (void)daddr, (void)arg;
	consume_skb(skb);
}

static void sockets_up(void)
{
	int small = 1;
	if (echo_start(7) != 0 || sock_create(SOCK_DGRAM, &connected) != 0 ||
	    sock_bind(connected, INADDR_ANY, 5353) != 0 ||
	    sock_connect(connected, PEER_IP, 53) != 0 ||
	    sock_create(SOCK_DGRAM, &tiny) != 0 ||
	    sock_setsockopt(tiny, SOL_SOCKET, SO_RCVBUF, &small,
			    sizeof(small)) != 0 ||
	    sock_bind(tiny, INADDR_ANY, 9999) != 0 ||
	    udp_kernel_listen(68, klisten_rcv, NULL) != 0)
		abort();
}

static void stack_up(void)
{
	host_init();
	net_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	if (!eth0 || inet_addr_add(eth0, OUR_IP, 24) != 0)
		abort();
	host_clock_advance_ms(10000);
	learn_peer();
	sockets_up();
}

/* Ethernet + IPv4 header (peer -> daddr, or us -> peer for quotes) at f
 * for a payload of len bytes. Returns the header length. */
static size_t headers(u8 *f, u32 saddr, u32 daddr, u8 proto, size_t len,
		      bool bcast)
{
	memcpy(f, bcast ? (const u8 *)"\xff\xff\xff\xff\xff\xff" : our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	store_be16(f + 12, ETH_P_IP);
	struct iphdr_info h = {.version = 4,
			       .ihl_bytes = IP_HLEN,
			       .tot_len = (u16)(IP_HLEN + len),
			       .ttl = 64,
			       .protocol = proto,
			       .saddr = saddr,
			       .daddr = daddr};
	return ETH_HLEN + ip_hdr_emit(&h, f + ETH_HLEN);
}

static size_t build_udp(u8 *f, const u8 *d, size_t len, u8 ctl)
{
	bool bcast = (ctl & MODE_MASK) == MODE_BROADCAST;
	if (len > MAX_FRAME - 100)
		return 0;
	size_t n = headers(f, PEER_IP, bcast ? IPV4(198, 18, 0, 255) : OUR_IP,
			   IPPROTO_UDP, len, bcast);
	memcpy(f + n, d, len);
	if ((ctl & FIX_UDP_CSUM) && len >= UDP_HLEN) {
		u16 ulen = load_be16(f + n + 4);
		if (ulen >= UDP_HLEN && ulen <= len) {
			store_be16(f + n + 6, 0);
			store_be16(
			    f + n + 6,
			    udp_csum(PEER_IP,
				     bcast ? IPV4(198, 18, 0, 255) : OUR_IP,
				     f + n, ulen));
		}
	}
	return n + len;
}

/* An ICMP error from the peer quoting (us -> peer, UDP) + d. */
static size_t build_icmp(u8 *f, const u8 *d, size_t len)
{
	if (len < 2 || len > 1000)
		return 0;
	u8 type = d[0] % 16, code = d[1] % 16;
	d += 2, len -= 2;
	size_t body = ICMP_HLEN + IP_HLEN + len;
	size_t n = headers(f, PEER_IP, OUR_IP, IPPROTO_ICMP, body, false);
	u8 *icmp = f + n;
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	struct iphdr_info q = {.version = 4,
			       .ihl_bytes = IP_HLEN,
			       .tot_len = (u16)(IP_HLEN + len),
			       .ttl = 64,
			       .protocol = IPPROTO_UDP,
			       .saddr = OUR_IP,
			       .daddr = PEER_IP};
	ip_hdr_emit(&q, icmp + 8);
	memcpy(icmp + 8 + IP_HLEN, d, len);
	store_be16(icmp + 2, ip_fast_csum(icmp, body));
	return n + body;
}

/* Drain the test sockets (their queues and errors): what is left then is
 * a leak. */
static void drain(void)
{
	static u8 buf[65536];
	int err;
	size_t elen = sizeof(err);
	while (sock_recv(tiny, buf, sizeof(buf), 0) >= 0)
		;
	for (int i = 0; i < 1000; i++)
		if (sock_recv(connected, buf, sizeof(buf), 0) == -EAGAIN)
			break;
	sock_getsockopt(connected, SOL_SOCKET, SO_ERROR, &err, &elen);
}

static u64 settle(void)
{
	struct skb_stats s;
	apps_poll();
	host_run_softirqs();
	drain();
	ipfrag_flush();
	host_fakedev_tx_clear(eth0);
	skb_get_stats(&s);
	return s.live;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 frame[MAX_FRAME];
	static u64 baseline;
	if (!eth0) {
		stack_up();
		baseline = settle();
	}
	if (size < 1 || size - 1 > MAX_FRAME - 100)
		return 0;
	u8 ctl = data[0];
	size_t len = 0;
	switch (ctl & MODE_MASK) {
	case MODE_FRAME:
		memcpy(frame, data + 1, size - 1);
		len = size - 1;
		break;
	case MODE_ICMP:
		len = build_icmp(frame, data + 1, size - 1);
		break;
	default:
		len = build_udp(frame, data + 1, size - 1, ctl);
	}
	if (len)
		host_fakedev_rx(eth0, frame, len);
	host_run_softirqs();
	if (ctl & ADVANCE_CLOCK)
		host_clock_advance_ms(31000);
	if (host_locks_held() != 0)
		abort();
	if (settle() != baseline) {
		neigh_flush(eth0); /* frames waiting for ARP are no leak */
		if (settle() != baseline)
			abort();
		learn_peer();
		baseline = settle();
	}
	return 0;
}
