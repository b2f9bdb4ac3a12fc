/*
 * net/udp_wire.h - the UDP header (RFC 768): parse and emit, no state.
 *
 *	 0      7 8     15 16    23 24    31
 *	+--------+--------+--------+--------+
 *	|   source port   |  dest. port     |
 *	+--------+--------+--------+--------+
 *	|     length      |    checksum     |
 *	+--------+--------+--------+--------+
 *
 * The length counts the header and the data; the checksum covers the
 * pseudo-header (source, destination, zero, protocol 17, UDP length), the
 * header and the data. On IPv4 a zero checksum means "none computed"
 * (RFC 768, RFC 1122 4.1.3.4); a computed sum of zero is sent as 0xffff.
 */
#ifndef SKIFF_NET_UDP_WIRE_H
#define SKIFF_NET_UDP_WIRE_H

#include <skiff/types.h>

#define UDP_HLEN 8
#define UDP_MAX_PAYLOAD 65507 /* 65535 - 20 (IP header) - 8 */

struct udp_hdr {
	u16 sport, dport;
	u16 len;   /* header + data, bytes */
	u16 check; /* as on the wire; 0 = no checksum */
};

/*
 * Parse the header at buf (avail bytes: the IP payload). 0, or -EINVAL
 * when avail < 8, len < 8 or len > avail (RFC 768: the length may be
 * shorter than the IP payload, the rest being padding; never longer).
 */
int udp_parse(const u8 *buf, size_t avail, struct udp_hdr *h);
/* Write h into buf[0..7]. */
void udp_emit(const struct udp_hdr *h, u8 *buf);
/*
 * The checksum to send for the datagram at dgram (header included, its
 * checksum field zero), ulen bytes, from saddr to daddr (host order):
 * never 0 (0xffff instead).
 */
u16 udp_csum(u32 saddr, u32 daddr, const u8 *dgram, u16 ulen);
/* Whether a received datagram's checksum verifies (true if it is 0). */
bool udp_csum_ok(u32 saddr, u32 daddr, const u8 *dgram, u16 ulen);

#endif
