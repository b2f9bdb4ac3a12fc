/*
 * net/icmp_wire.h - ICMP messages on the wire (RFC 792), parsed into a
 * host-order struct and emitted back. No state, no allocation.
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   |                     Rest of header                            |
 *   |   Data: echo payload, or the quoted IP header + 8 bytes ...   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Rest of header: echo (type 0, 8) identifier << 16 | sequence; parameter
 * problem (12) pointer << 24; fragmentation needed (3/4, RFC 1191) the
 * next-hop MTU in the low 16 bits; otherwise unused (zero).
 */
#ifndef SKIFF_NET_ICMP_WIRE_H
#define SKIFF_NET_ICMP_WIRE_H

#include <skiff/types.h>

#define ICMP_HLEN 8
/* RFC 1812 4.3.2.3: an error quotes as much of the datagram as fits in
 * 576 bytes (Linux: 576 - IP header - ICMP header). */
#define ICMP_ERR_MAX_QUOTE (576 - 20 - ICMP_HLEN)
/* The largest echo payload: 65535 - IP header - ICMP header. */
#define ICMP_ECHO_MAX_PAYLOAD (65535 - 20 - ICMP_HLEN)

struct icmphdr_info {
	u8 type;
	u8 code;
	u16 checksum; /* as received (emit computes its own) */
	u32 rest;     /* the rest-of-header word, host order */
};

static inline u16 icmp_echo_id(const struct icmphdr_info *h)
{
	return (u16)(h->rest >> 16);
}
static inline u16 icmp_echo_seq(const struct icmphdr_info *h)
{
	return (u16)h->rest;
}
static inline u32 icmp_echo_rest(u16 id, u16 seq)
{
	return ((u32)id << 16) | seq;
}

/*
 * Parse the message in buf[0..len): at least 8 bytes, checksum over all
 * of it valid (RFC 792). 0, -EINVAL (short) or -EBADMSG (checksum); h is
 * filled in both error cases when 8 bytes were there.
 */
int icmp_parse(const u8 *buf, size_t len, struct icmphdr_info *h);

/*
 * Write the 8-byte header into buf and the checksum over it and the
 * payload_len bytes that already follow it. Returns ICMP_HLEN.
 */
size_t icmp_emit(const struct icmphdr_info *h, u8 *buf, size_t payload_len);

/* Whether a type is an error message (RFC 1122 3.2.2: never answer one
 * with another). Unknown types count as errors, to be safe. */
bool icmp_type_is_error(u8 type);

#endif
