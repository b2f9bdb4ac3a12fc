/*
 * checksum.c - the Internet checksum (RFC 1071): the 16-bit ones'
 * complement of the ones' complement sum of the data taken as 16-bit
 * words.
 *
 * Convention: every sum here is of BIG-ENDIAN 16-bit words (byte i is the
 * high half of a word when i is even), so a folded result is a host-order
 * u16 that the wire code writes with a big-endian store, and the
 * pseudo-header takes host-order addresses. RFC 1071 2(B): the sum does
 * not depend on byte order, so csum_partial adds native 64-bit loads and
 * swaps once at the end (1071 4.1's "deferred carries" trick with a
 * 64-bit accumulator).
 *
 * Chaining: csum_partial(b, n2, csum_partial(a, n1, 0)) sums a then b as
 * one buffer only if n1 is even (as in Linux).
 */
#include <skiff/net/ip.h>
#include <string.h>

/* Fold a 64-bit sum of 32-bit words to 16 bits, carries added back. */
static u32 fold64(u64 sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (u32)sum;
}

static bool host_is_little_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

/* Sum of the native-order 16-bit words of buf (len even), folded. */
static u32 sum_native(const u8 *p, size_t len)
{
	u64 sum = 0;
	u32 w32;

	while (len >= 32) {
		u64 w[4];
		memcpy(w, p, sizeof(w));
		for (int i = 0; i < 4; i++) {
			sum += w[i] & 0xffffffffu;
			sum += w[i] >> 32;
		}
		p += 32;
		len -= 32;
	}
	while (len >= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		u16 w16;
		memcpy(&w16, p, 2);
		sum += w16;
	}
	return fold64(sum);
}

u32 csum_partial(const void *buf, size_t len, u32 sum)
{
	const u8 *p = buf;
	u32 s = sum_native(p, len & ~(size_t)1);

	if (host_is_little_endian())
		s = ((s & 0xff) << 8) | (s >> 8);
	if (len & 1)
		s += (u32)p[len - 1] << 8; /* RFC 1071 4.1: pad with a zero */
	return fold64((u64)s + sum);
}

u16 csum_fold(u32 sum)
{
	return (u16)~fold64(sum);
}

u16 ip_fast_csum(const void *iph, size_t len)
{
	return csum_fold(csum_partial(iph, len, 0));
}

/* RFC 793 3.1 / RFC 768: source, destination, zero, protocol, length. */
u32 csum_tcpudp_nofold(u32 saddr, u32 daddr, u16 len, u8 proto, u32 sum)
{
	u64 s = sum;

	s += (saddr >> 16) + (saddr & 0xffff);
	s += (daddr >> 16) + (daddr & 0xffff);
	s += proto;
	s += len;
	return fold64(s);
}
