/*
 * icmp_wire.c - ICMP messages (RFC 792) between bytes and struct
 * icmphdr_info. The checksum covers the whole message (RFC 792, "the 16-bit
 * one's complement of the one's complement sum of the ICMP message").
 */
#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <errno.h>

int icmp_parse(const u8 *buf, size_t len, struct icmphdr_info *h)
{
	if (len < ICMP_HLEN)
		return -EINVAL;
	h->type = buf[0];
	h->code = buf[1];
	h->checksum = load_be16(buf + 2);
	h->rest = load_be32(buf + 4);
	if (ip_fast_csum(buf, len) != 0)
		return -EBADMSG;
	return 0;
}

size_t icmp_emit(const struct icmphdr_info *h, u8 *buf, size_t payload_len)
{
	buf[0] = h->type;
	buf[1] = h->code;
	store_be16(buf + 2, 0);
	store_be32(buf + 4, h->rest);
	store_be16(buf + 2, ip_fast_csum(buf, ICMP_HLEN + payload_len));
	return ICMP_HLEN;
}

/* RFC 792 / RFC 1122 3.2.2: the query types; everything else is an error
 * or unknown, and neither is ever answered with an error. */
bool icmp_type_is_error(u8 type)
{
	switch (type) {
	case ICMP_ECHOREPLY:
	case ICMP_ECHO:
	case 9:	 /* router advertisement */
	case 10: /* router solicitation */
	case 13: /* timestamp */
	case 14: /* timestamp reply */
	case 15: /* information request */
	case 16: /* information reply */
	case 17: /* address mask request */
	case 18: /* address mask reply */
		return false;
	default:
		return true;
	}
}
