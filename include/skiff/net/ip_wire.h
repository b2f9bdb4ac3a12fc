/*
 * net/ip_wire.h - the IPv4 header and its options on the wire (RFC 791
 * 3.1), parsed into a host-order struct and emitted back. No state, no
 * allocation: net/ip_wire.c only reads and writes byte arrays.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef SKIFF_NET_IP_WIRE_H
#define SKIFF_NET_IP_WIRE_H

#include <skiff/types.h>

#define IP_HLEN 20     /* header without options */
#define IP_MAX_HLEN 60 /* IHL 15 */
#define IP_MAX_OPTLEN (IP_MAX_HLEN - IP_HLEN)
#define IP_MAX_TOT_LEN 65535
/* RFC 791: every internet module forwards 68 bytes without fragmenting. */
#define IP_MIN_MTU 68

/* The 16-bit flags/fragment-offset word. */
#define IP_CE 0x8000 /* reserved, must be zero */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff /* in 8-byte units */

/* Option types (RFC 791 3.1; IANA ip-parameters). Bit 7 = "copied". */
#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68
#define IPOPT_SEC 130
#define IPOPT_LSRR 131
#define IPOPT_SID 136
#define IPOPT_SSRR 137
#define IPOPT_RA 148
#define IPOPT_COPIED(type) ((type)&0x80)
#define IPOPT_OPTVAL 0 /* offsets inside an option */
#define IPOPT_OLEN 1
#define IPOPT_OFFSET 2
#define IPOPT_MINOFF 4 /* smallest legal pointer (RR, LSRR, SSRR) */
#define IPOPT_TS_MINOFF 5

/* Timestamp flags (RFC 791 3.1, Internet Timestamp). */
#define IPOPT_TS_TSONLY 0
#define IPOPT_TS_TSANDADDR 1
#define IPOPT_TS_PRESPEC 3

/* Where each option sits: offsets from the start of the IP header, 0 if
 * absent (an option never starts before byte 20). */
struct ip_options {
	u8 optlen; /* option bytes: IHL * 4 - 20 */
	u8 rr;	   /* record route */
	u8 ts;	   /* timestamp */
	u8 srr;	   /* loose or strict source route */
	u8 router_alert;
	bool srr_is_strict;
};

/* A parsed IPv4 header, every field in host order. */
struct iphdr_info {
	u8 version;
	u8 ihl_bytes; /* IHL * 4: 20..60 */
	u8 tos;
	u16 tot_len;
	u16 id;
	bool df, mf, reserved_flag;
	u16 frag_off_bytes; /* fragment offset * 8 */
	u8 ttl;
	u8 protocol;
	u16 check; /* as received (emit computes its own) */
	u32 saddr, daddr;
	struct ip_options opt;
	u8 options[IP_MAX_OPTLEN]; /* raw option bytes, opt.optlen of them */
};

/* Why a header was refused, in the order ip_hdr_parse checks. */
enum ip_parse_result {
	IP_PARSE_OK = 0,
	IP_PARSE_SHORT,	    /* fewer than 20 bytes, or than IHL * 4 */
	IP_PARSE_VERSION,   /* version != 4 */
	IP_PARSE_IHL,	    /* IHL < 5 */
	IP_PARSE_CSUM,	    /* header checksum wrong */
	IP_PARSE_TRUNCATED, /* total length larger than the bytes present */
	IP_PARSE_TOT_LEN,   /* total length smaller than the header */
	IP_PARSE_OPTIONS,   /* malformed options: see *problem */
	IP_PARSE_SRCROUTE, /* well-formed LSRR/SSRR: refused (RFC 1122 3.3.5) */
};

/*
 * Parse and validate a received header (RFC 1122 3.2.1): buf holds len
 * bytes from the start of the IP header. On IP_PARSE_OPTIONS, *problem is
 * the offset (from the header start) of the offending byte, for an ICMP
 * parameter problem (RFC 792). h is filled as far as parsing got.
 */
enum ip_parse_result ip_hdr_parse(const u8 *buf, size_t len,
				  struct iphdr_info *h, u8 *problem);

/*
 * Parse the header quoted in an ICMP error (RFC 792): version, IHL and
 * that the header is all there; no checksum or length checks (the quote
 * is usually cut short) and the options are not walked. 0 or -EINVAL.
 */
int ip_hdr_parse_quoted(const u8 *buf, size_t len, struct iphdr_info *h);

/*
 * Walk options (RFC 791 3.1) in hdr (the whole header, IHL * 4 bytes).
 * Every option must fit: EOL ends the list, NOP is one byte, any other
 * option has a length byte >= 2 that stays inside the header. Record
 * route and timestamp pointers are checked (RFC 791, Linux's
 * ip_options_compile). Returns IP_PARSE_OK, IP_PARSE_OPTIONS with
 * *problem set, or IP_PARSE_SRCROUTE.
 */
enum ip_parse_result ip_options_parse(const u8 *hdr, size_t hdr_len,
				      struct ip_options *o, u8 *problem);

/*
 * Write h as a header into buf (h->ihl_bytes bytes, which must be 20 +
 * opt.optlen rounded up to 4; padding is EOL) with a freshly computed
 * checksum. Returns the bytes written.
 */
size_t ip_hdr_emit(const struct iphdr_info *h, u8 *buf);

/*
 * The options for fragments after the first (RFC 791 3.2, "copied"
 * flag): copies only options whose type has the copied bit into out
 * (room for IP_MAX_OPTLEN), pads with EOL to a multiple of 4. Returns the
 * new length. opts must have passed ip_options_parse.
 */
size_t ip_options_for_fragment(const u8 *opts, size_t len, u8 *out);

/* Big-endian loads and stores for the wire code. */
static inline u16 load_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}
static inline u32 load_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}
static inline void store_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}
static inline void store_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

#endif
