/*
 * net/tcp_wire.h - the TCP header and its options on the wire (RFC 9293
 * 3.1, MSS RFC 9293 3.7.1, window scale and timestamps RFC 7323, SACK
 * RFC 2018/2883). No state, no allocation: bytes in, a host-order
 * struct tcp_hdr_info out, and back.
 *
 * Usage. Receive: tcp_hdr_parse(seg, seg_len, &h) returns the header
 * length in bytes (payload = seg + ret) or -EBADMSG when the fixed header
 * or the data offset cannot be trusted (segment shorter than 20, data
 * offset < 5 or past seg_len). Options are parsed into h.opt; a malformed
 * option (length 0 or 1, running past the data offset, a known kind with
 * the wrong size) never fails the segment: parsing stops or the option is
 * ignored, and h.opt.malformed is set so the caller can count it. Unknown
 * kinds are skipped by their length. Checksums are separate:
 * tcp_v4_csum_ok(seg, len, saddr, daddr). Transmit: fill a tcp_hdr_info
 * (set opt.present bits for the options to send), tcp_hdr_len(&h) tells
 * the header size, tcp_hdr_emit() writes it, then tcp_v4_csum_set() over
 * header + payload. Options are emitted in Linux's order and padding
 * (SYN: MSS, SACK-permitted, timestamps, NOP, window scale; otherwise
 * NOP NOP timestamps, NOP NOP SACK) so they are 4-byte aligned; SACK
 * blocks beyond what fits in 40 option bytes are dropped (3 with
 * timestamps, 4 without). Addresses and ports are host order.
 */
#ifndef SKIFF_NET_TCP_WIRE_H
#define SKIFF_NET_TCP_WIRE_H

#include <skiff/types.h>

#define TCP_HDR_LEN 20	   /* the fixed header */
#define TCP_MAX_HDR_LEN 60 /* data offset 15 */
#define TCP_MAX_OPT_LEN 40

/* Header flags (byte 13). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
#define TCP_FLAG_ECE 0x40
#define TCP_FLAG_CWR 0x80

/* Option kinds and their fixed lengths. */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_PERBLOCK 8
#define TCPOLEN_TIMESTAMP 10

#define TCP_MAX_WSCALE 14     /* RFC 7323 2.3: larger shifts are used as 14 */
#define TCP_MAX_SACK_BLOCKS 4 /* what fits in 40 option bytes */
#define TCP_DEFAULT_MSS 536   /* RFC 9293 3.7.1: when no MSS option */

/* opt.present bits. */
#define TCP_OPT_MSS (1u << 0)
#define TCP_OPT_WSCALE (1u << 1)
#define TCP_OPT_SACK_PERM (1u << 2)
#define TCP_OPT_SACK (1u << 3)
#define TCP_OPT_TS (1u << 4)

/* A SACK block: [start, end) in sequence space (RFC 2018 3: end is the
 * first sequence number after the block). */
struct tcp_sack_block {
	u32 start;
	u32 end;
};

struct tcp_opts {
	u32 present; /* TCP_OPT_* bits of the options seen / to send */
	u16 mss;     /* TCP_OPT_MSS: the peer's maximum segment size */
	u8 wscale;   /* TCP_OPT_WSCALE: shift, capped at TCP_MAX_WSCALE */
	u8 nr_sack;  /* TCP_OPT_SACK: blocks in sack[], 1..4 */
	struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
	u32 tsval;	/* TCP_OPT_TS: the sender's clock */
	u32 tsecr;	/* TCP_OPT_TS: the echoed clock */
	bool malformed; /* parse: something was ignored or cut short */
};

/* One TCP header in host order. */
struct tcp_hdr_info {
	u16 sport;
	u16 dport;
	u32 seq;
	u32 ack;
	u8 hdr_len; /* parse: data offset * 4; emit: ignored (computed) */
	u8 flags;   /* TCP_FLAG_* */
	u16 window; /* as on the wire, not scaled */
	u16 csum;   /* parse: as on the wire; emit: written as given */
	u16 urg_ptr;
	struct tcp_opts opt;
};

/* Parse the header at seg (seg_len bytes of TCP segment: header + data).
 * Returns the header length (20..60) or -EBADMSG. */
int tcp_hdr_parse(const void *seg, size_t seg_len, struct tcp_hdr_info *h);

/* Parse len option bytes (what follows the fixed header). Fills *o (zeroed
 * first). Returns 0, or -EBADMSG if something was malformed (o->malformed
 * is set and *o holds the options that were valid). */
int tcp_opts_parse(const u8 *opts, size_t len, struct tcp_opts *o);

/* Bytes tcp_opts_emit() writes for o: a multiple of 4, at most 40. SYN
 * layout when syn, else the data-segment layout. */
size_t tcp_opts_len(const struct tcp_opts *o, bool syn);

/* Write o's options into buf (cap bytes). Returns bytes written (as
 * tcp_opts_len) or -ENOSPC. */
int tcp_opts_emit(const struct tcp_opts *o, bool syn, u8 *buf, size_t cap);

/* Header length h would have on the wire (20 + options). */
size_t tcp_hdr_len(const struct tcp_hdr_info *h);

/* Write the header with its options into buf. Options use the SYN layout
 * when TCP_FLAG_SYN is set. Returns the header length or -ENOSPC. */
int tcp_hdr_emit(const struct tcp_hdr_info *h, void *buf, size_t cap);

/* Checksum over the pseudo-header (saddr, daddr host order) and the len
 * bytes of segment at seg. tcp_v4_csum_set writes it into bytes 16-17
 * (which need not be zero on entry); tcp_v4_csum_ok checks a received
 * segment. */
void tcp_v4_csum_set(void *seg, size_t len, u32 saddr, u32 daddr);
bool tcp_v4_csum_ok(const void *seg, size_t len, u32 saddr, u32 daddr);

#endif
