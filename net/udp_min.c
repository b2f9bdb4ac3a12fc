/*
 * udp_min.c - the MINIMAL UDP of issue 3, with no sockets: it validates
 * and counts every datagram and answers each one sent to a local unicast
 * address with ICMP port unreachable, since no port is open. The real UDP
 * (net/udp.c, with sockets) replaces this file in issue 5.
 *
 *   udp_min_rcv: header there (8 bytes), length field within the IP
 *   payload (RFC 768), checksum if not zero (RFC 768, RFC 1122 4.1.3.4: a
 *   zero checksum means none was sent), then: broadcast -> ignored
 *   (UdpIgnoredMulti); unicast -> UdpNoPorts and port unreachable
 *   (RFC 1122 4.1.3.1).
 */
#include <skiff/net/icmp.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/snmp.h>

#define UDP_HLEN 8

/* RFC 768: the checksum covers the pseudo-header, header and data. */
static bool udp_min_csum_ok(const struct sk_buff *skb, u16 ulen)
{
	const struct inet_skb_parm *cb = IPCB(skb);

	if (load_be16(skb->data + 6) == 0)
		return true; /* no checksum was computed */
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return true; /* the NIC verified it */
	u32 sum =
	    csum_tcpudp_nofold(cb->saddr, cb->daddr, ulen, IPPROTO_UDP, 0);
	return csum_fold(csum_partial(skb->data, ulen, sum)) == 0;
}

static int udp_min_rcv(struct sk_buff *skb)
{
	u16 ulen = skb->len >= UDP_HLEN ? load_be16(skb->data + 4) : 0;

	/* RFC 768: the length counts the header; it may be shorter than
	 * the IP payload (the rest is padding), never longer. */
	if (skb->len < UDP_HLEN || ulen < UDP_HLEN || ulen > skb->len) {
		SNMP_INC(UdpInErrors);
		kfree_skb(skb);
		return 0;
	}
	skb_trim(skb, ulen);
	if (!udp_min_csum_ok(skb, ulen)) {
		SNMP_INC(UdpInCsumErrors);
		SNMP_INC(UdpInErrors);
		kfree_skb(skb);
		return 0;
	}
	if (IPCB(skb)->flags & IPSKB_BROADCAST) {
		SNMP_INC(UdpIgnoredMulti); /* Linux: no error for broadcasts */
	} else {
		SNMP_INC(UdpNoPorts);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	}
	consume_skb(skb);
	return 0;
}

static const struct net_protocol udp_min_protocol = {
    .handler = udp_min_rcv,
};

void udp_min_init(void)
{
	inet_add_protocol(IPPROTO_UDP, &udp_min_protocol);
}
