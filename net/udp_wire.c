/*
 * udp_wire.c - the UDP header (RFC 768) into and out of bytes.
 */
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/udp_wire.h>
#include <errno.h>

int udp_parse(const u8 *buf, size_t avail, struct udp_hdr *h)
{
	if (avail < UDP_HLEN)
		return -EINVAL;
	h->sport = load_be16(buf);
	h->dport = load_be16(buf + 2);
	h->len = load_be16(buf + 4);
	h->check = load_be16(buf + 6);
	if (h->len < UDP_HLEN || h->len > avail)
		return -EINVAL;
	return 0;
}

void udp_emit(const struct udp_hdr *h, u8 *buf)
{
	store_be16(buf, h->sport);
	store_be16(buf + 2, h->dport);
	store_be16(buf + 4, h->len);
	store_be16(buf + 6, h->check);
}

u16 udp_csum(u32 saddr, u32 daddr, const u8 *dgram, u16 ulen)
{
	u32 sum = csum_tcpudp_nofold(saddr, daddr, ulen, IPPROTO_UDP, 0);
	u16 c = csum_fold(csum_partial(dgram, ulen, sum));
	return c ? c : 0xffff; /* RFC 768: zero is "no checksum" */
}

bool udp_csum_ok(u32 saddr, u32 daddr, const u8 *dgram, u16 ulen)
{
	if (ulen >= UDP_HLEN && load_be16(dgram + 6) == 0)
		return true; /* RFC 1122 4.1.3.4: none was computed */
	u32 sum = csum_tcpudp_nofold(saddr, daddr, ulen, IPPROTO_UDP, 0);
	return csum_fold(csum_partial(dgram, ulen, sum)) == 0;
}
