/*
 * net/ether.h - Ethernet II framing (IEEE 802.3 with EtherType).
 */
#ifndef SKIFF_NET_ETHER_H
#define SKIFF_NET_ETHER_H

#include <skiff/netdevice.h>

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100

/* Classify a received frame: sets skb->protocol and skb->pkt_type, marks
 * the MAC header and pulls it. Returns the EtherType (host order). */
u16 eth_type_trans(struct sk_buff *skb, struct net_device *dev);
/* Push an Ethernet header from dev to daddr. 0, or -ENOSPC without
 * headroom. */
int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const u8 daddr[ETH_ALEN]);
bool is_valid_ether_addr(const u8 a[ETH_ALEN]); /* unicast, not zero */
bool is_multicast_ether_addr(const u8 a[ETH_ALEN]);
/* "52:54:00:12:34:56" into buf (>= 18 bytes) */
void format_mac(const u8 a[ETH_ALEN], char *buf);

#endif
