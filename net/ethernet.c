/*
 * ethernet.c - Ethernet II framing for the stack (RFC 894; IEEE 802.3
 * clause 3.2): classify received frames, push headers on outgoing ones.
 *
 *   netif_receive_skb -> eth_type_trans: pkt_type from the destination,
 *                        protocol from the type, MAC header pulled
 *   neigh_output / arp_send -> eth_header -> dev_queue_xmit
 *
 * Tagged frames (802.1Q, 802.1ad) keep the tag's type as their protocol:
 * no handler takes it, so dev.c counts them (rx_vlan, rx_nohandler) and
 * drops them. Skiff has no VLAN support.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/netcore.h>

bool is_multicast_ether_addr(const u8 a[ETH_ALEN])
{
	return a[0] & 0x01; /* the I/G bit, first on the wire */
}

bool is_valid_ether_addr(const u8 a[ETH_ALEN])
{
	return !is_multicast_ether_addr(a) && !is_zero_ether_addr(a);
}

void format_mac(const u8 a[ETH_ALEN], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2],
		 a[3], a[4], a[5]);
}

int parse_mac(const char *s, u8 mac[ETH_ALEN])
{
	unsigned v[ETH_ALEN];
	char end;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (u8)v[i];
	}
	return 0;
}

/* Linux's eth_type_trans, without the 802.3/802.2 guessing: a length
 * field below 0x0600 is returned as it is and finds no handler. */
u16 eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	struct eth_hdr_info h;

	skb_reset_mac_header(skb);
	if (eth_hdr_parse(skb->data, skb->len, &h) < 0) {
		skb->pkt_type = PACKET_OTHERHOST;
		skb->protocol = 0;
		return 0;
	}
	if (is_multicast_ether_addr(h.dst))
		skb->pkt_type = is_broadcast_ether_addr(h.dst)
				    ? PACKET_BROADCAST
				    : PACKET_MULTICAST;
	else if (ether_addr_equal(h.dst, dev->dev_addr))
		skb->pkt_type = PACKET_HOST;
	else
		skb->pkt_type = PACKET_OTHERHOST;
	skb_pull(skb, ETH_HLEN);
	skb->protocol = h.type;
	return h.type;
}

int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const u8 daddr[ETH_ALEN])
{
	struct eth_hdr_info h = {.type = type};

	if (skb_headroom(skb) < ETH_HLEN)
		return -ENOSPC;
	memcpy(h.dst, daddr, ETH_ALEN);
	memcpy(h.src, dev->dev_addr, ETH_ALEN);
	eth_hdr_emit(&h, skb_push(skb, ETH_HLEN));
	skb_reset_mac_header(skb);
	skb->protocol = type;
	skb->dev = dev;
	return 0;
}
