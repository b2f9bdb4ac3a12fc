/*
 * arp_wire.c - parse and emit ARP packets for IPv4 over Ethernet (RFC 826;
 * see include/skiff/net/arp_wire.h for the layout). Bytes in, struct out.
 */
#include <string.h>

#include <skiff/net/arp_wire.h>
#include <skiff/net/ether.h>

#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24

static u16 get_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}

static u32 get_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

static void put_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

static void put_be32(u8 *p, u32 v)
{
	put_be16(p, (u16)(v >> 16));
	put_be16(p + 2, (u16)v);
}

/* RFC 826 "Packet Reception": check ar$hrd, ar$pro and the lengths
 * before looking at any address. */
enum arp_parse_result arp_parse(const u8 *buf, size_t len, struct arp_info *a)
{
	memset(a, 0, sizeof(*a));
	if (len < ARP_HDR_FIXED)
		return ARP_PARSE_SHORT;
	a->htype = get_be16(buf);
	a->ptype = get_be16(buf + 2);
	a->hlen = buf[4];
	a->plen = buf[5];
	a->op = get_be16(buf + 6);
	if (a->htype != ARPHRD_ETHER)
		return ARP_PARSE_HTYPE;
	if (a->ptype != ETH_P_IP)
		return ARP_PARSE_PTYPE;
	if (a->hlen != ETH_ALEN || a->plen != 4)
		return ARP_PARSE_ADDRLEN;
	if (len < ARP_PKT_LEN)
		return ARP_PARSE_SHORT;
	memcpy(a->sha, buf + ARP_OFF_SHA, ETH_ALEN);
	a->spa = get_be32(buf + ARP_OFF_SPA);
	memcpy(a->tha, buf + ARP_OFF_THA, ETH_ALEN);
	a->tpa = get_be32(buf + ARP_OFF_TPA);
	return ARP_PARSE_OK;
}

size_t arp_emit(const struct arp_info *a, u8 *buf)
{
	put_be16(buf, ARPHRD_ETHER);
	put_be16(buf + 2, ETH_P_IP);
	buf[4] = ETH_ALEN;
	buf[5] = 4;
	put_be16(buf + 6, a->op);
	memcpy(buf + ARP_OFF_SHA, a->sha, ETH_ALEN);
	put_be32(buf + ARP_OFF_SPA, a->spa);
	memcpy(buf + ARP_OFF_THA, a->tha, ETH_ALEN);
	put_be32(buf + ARP_OFF_TPA, a->tpa);
	return ARP_PKT_LEN;
}
