/*
 * ether_wire.c - parse and emit the Ethernet II header (see
 * include/skiff/net/ether_wire.h for the layout). Bytes in, struct out;
 * nothing else.
 */
#include <errno.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>

static u16 get_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}

static void put_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

int eth_hdr_parse(const u8 *buf, size_t len, struct eth_hdr_info *h)
{
	memset(h, 0, sizeof(*h));
	if (len < ETH_HLEN)
		return -EINVAL;
	memcpy(h->dst, buf, ETH_ALEN);
	memcpy(h->src, buf + ETH_ALEN, ETH_ALEN);
	h->type = get_be16(buf + 2 * ETH_ALEN);
	h->hdr_len = ETH_HLEN;
	/* IEEE 802.1Q 9.6: the tag is TPID (the type), then the TCI. */
	if ((h->type == ETH_P_8021Q || h->type == ETH_P_8021AD) &&
	    len >= ETH_VLAN_HLEN) {
		h->vlan = true;
		h->vlan_tci = get_be16(buf + ETH_HLEN);
		h->inner_type = get_be16(buf + ETH_HLEN + 2);
		h->hdr_len = ETH_VLAN_HLEN;
	}
	return 0;
}

size_t eth_hdr_emit(const struct eth_hdr_info *h, u8 *buf)
{
	memcpy(buf, h->dst, ETH_ALEN);
	memcpy(buf + ETH_ALEN, h->src, ETH_ALEN);
	put_be16(buf + 2 * ETH_ALEN, h->type);
	if (!h->vlan)
		return ETH_HLEN;
	put_be16(buf + ETH_HLEN, h->vlan_tci);
	put_be16(buf + ETH_HLEN + 2, h->inner_type);
	return ETH_VLAN_HLEN;
}
