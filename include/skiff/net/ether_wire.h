/*
 * net/ether_wire.h - the Ethernet II header on the wire (IEEE 802.3
 * clause 3.2.6 Length/Type, RFC 894 for IPv4 over Ethernet), with the
 * IEEE 802.1Q tag, parsed into a host-order struct and emitted back. No
 * state, no allocation: net/ether_wire.c only reads and writes bytes.
 *
 *    0                 6                 12      14
 *   +-----------------+-----------------+-------+---------------------+
 *   | destination MAC |   source MAC    | type  | payload (46..1500)  |
 *   +-----------------+-----------------+-------+---------------------+
 *   tagged (802.1Q):                    | 8100  | TCI   | type  | ... |
 *                                        TCI = PCP:3 DEI:1 VID:12
 *
 * The FCS is stripped by the NIC and never reaches the stack. A type
 * below 0x0600 is an 802.3 length, not an EtherType (clause 3.2.6).
 */
#ifndef SKIFF_NET_ETHER_WIRE_H
#define SKIFF_NET_ETHER_WIRE_H

#include <skiff/netdevice.h>

#define ETH_VLAN_HLEN 18       /* header with one 802.1Q tag */
#define ETH_P_8021AD 0x88a8    /* 802.1ad service tag (QinQ) */
#define ETH_P_802_3_MIN 0x0600 /* smaller: an 802.3 length field */

/* A parsed header, host order. */
struct eth_hdr_info {
	u8 dst[ETH_ALEN];
	u8 src[ETH_ALEN];
	u16 type;	/* the type right after the addresses */
	bool vlan;	/* type is 802.1Q or 802.1ad and the tag is there */
	u16 vlan_tci;	/* when vlan */
	u16 inner_type; /* when vlan: the type after the tag */
	u8 hdr_len;	/* ETH_HLEN, or ETH_VLAN_HLEN when vlan */
};

/* Parse the header at buf (len bytes). 0, or -EINVAL if shorter than
 * ETH_HLEN. A tag that is cut short is left unparsed (vlan false). */
int eth_hdr_parse(const u8 *buf, size_t len, struct eth_hdr_info *h);
/* Write h (with its tag when h->vlan) into buf; returns h's length. */
size_t eth_hdr_emit(const struct eth_hdr_info *h, u8 *buf);

static inline bool is_broadcast_ether_addr(const u8 a[ETH_ALEN])
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}
static inline bool is_zero_ether_addr(const u8 a[ETH_ALEN])
{
	return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0;
}
static inline bool ether_addr_equal(const u8 a[ETH_ALEN], const u8 b[ETH_ALEN])
{
	for (int i = 0; i < ETH_ALEN; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#endif
