/*
 * fuzz_frame.c - libFuzzer target for the receive path of the whole
 * host-built stack: one Ethernet frame into netif_receive_skb of a fake
 * device "eth0" (52:54:00:12:34:56) that has 198.18.0.2/24, with the peer
 * 198.18.0.1 in its ARP cache, so answers (echo replies, ICMP errors)
 * really go out.
 *
 * Input: one control byte, then the frame. Control bit 0 recomputes the
 * IPv4 header checksum and bit 1 the ICMP/UDP checksum before the frame
 * goes in (random bytes almost never checksum right, and the interesting
 * code is behind the checks); bit 2 moves the fake clock 31 s afterwards,
 * so reassembly and ARP timers fire too.
 *
 * After each input: no lock held, and once reassembly queues, neighbour
 * queues and the device's TX list are emptied, as many sk_buffs exist as
 * before (nothing leaked in a slab, where LeakSanitizer cannot see).
 *
 * Seed corpus (tests/fuzz/corpus/frame/, control byte 0): an ARP request
 * for 198.18.0.2, an ICMP echo request, an echo with a record-route
 * option, the first and last fragments of a 3000-byte echo, a UDP
 * datagram to port 9, and a TCP SYN to port 80.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/net.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define FIX_IP_CSUM 0x1
#define FIX_L4_CSUM 0x2
#define ADVANCE_CLOCK 0x4
#define MAX_FRAME 65536

static struct net_device *eth0;

static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
/* The peer's ARP reply to us (as in the unit tests). */
static const u8 arp_reply[42] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
    0xef, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0xc6, 0x12, 0x00, 0x01, 0x52,
    0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x02,
};

/* Put the peer in the ARP cache: talk to it, answer its ARP request. */
static void learn_peer(void)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 8);

	if (!skb)
		abort();
	skb_reserve(skb, MAX_HEADER);
	memset(skb_put(skb, 8), 0, 8);
	struct ip_out out = {.daddr = IPV4(198, 18, 0, 1), .protocol = 253};
	ip_send_skb(skb, &out); /* queued while ARP asks ... */
	host_run_softirqs();
	host_fakedev_rx(eth0, arp_reply, sizeof(arp_reply)); /* ... answered */
	host_run_softirqs();
	host_fakedev_tx_clear(eth0);
}

/* Bring the stack up once: the device, its address, the peer known. */
static void stack_up(void)
{
	host_init();
	net_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	if (!eth0 || inet_addr_add(eth0, IPV4(198, 18, 0, 2), 24) != 0)
		abort();
	host_clock_advance_ms(10000); /* the announcements are done */
	learn_peer();
}

/* Recompute the checksums the control byte asks for, where the frame is
 * an IPv4 datagram long enough to have them. */
static void fix_checksums(u8 *f, size_t len, u8 ctl)
{
	if (len < ETH_HLEN + IP_HLEN || load_be16(f + 12) != ETH_P_IP)
		return;
	u8 *ip = f + ETH_HLEN;
	size_t hl = (ip[0] & 15) * 4u, avail = len - ETH_HLEN;
	if (hl < IP_HLEN || hl > avail)
		return;
	size_t tot = MIN((size_t)load_be16(ip + 2), avail);
	if ((ctl & FIX_L4_CSUM) && tot > hl) {
		u8 *l4 = ip + hl;
		size_t l4len = tot - hl;
		if (ip[9] == IPPROTO_ICMP && l4len >= 8) {
			store_be16(l4 + 2, 0);
			store_be16(l4 + 2, ip_fast_csum(l4, l4len));
		} else if (ip[9] == IPPROTO_UDP && l4len >= 8) {
			u32 s = csum_tcpudp_nofold(load_be32(ip + 12),
						   load_be32(ip + 16),
						   (u16)l4len, IPPROTO_UDP, 0);
			store_be16(l4 + 6, 0);
			store_be16(l4 + 6,
				   csum_fold(csum_partial(l4, l4len, s)));
		}
	}
	if (ctl & FIX_IP_CSUM) {
		store_be16(ip + 10, 0);
		store_be16(ip + 10, ip_fast_csum(ip, hl));
	}
}

/* Empty every place a frame may rightly stay, and count sk_buffs. */
static u64 settle(void)
{
	struct skb_stats s;

	host_run_softirqs();
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
	if (size < 1 || size - 1 > MAX_FRAME)
		return 0;
	u8 ctl = data[0];
	size_t len = size - 1;
	memcpy(frame, data + 1, len);
	fix_checksums(frame, len, ctl);
	host_fakedev_rx(eth0, frame, len);
	host_run_softirqs();
	if (ctl & ADVANCE_CLOCK)
		host_clock_advance_ms(31000);
	if (host_locks_held() != 0)
		abort();
	if (settle() != baseline) {
		/* Frames may wait for ARP to resolve an address the input
		 * made us talk to; those are not leaks. */
		neigh_flush(eth0);
		if (settle() != baseline)
			abort();
		learn_peer(); /* it was forgotten too */
		baseline = settle();
	}
	return 0;
}
