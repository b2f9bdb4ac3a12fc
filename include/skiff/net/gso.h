/*
 * net/gso.h - transmit offloads in software: checksum completion and
 * TCP/IPv4 segmentation (Linux's skb_checksum_help and GSO).
 *
 * TCP hands the device layer one large frame (up to dev->gso_max_size)
 * with skb->gso_size = the MSS and skb->ip_summed = CHECKSUM_PARTIAL.
 * dev_queue_xmit -> validate_xmit_skb: a device with NETIF_F_TSO gets it
 * whole (virtio-net GSO, e1000 TCP segmentation context); for any other
 * device it is cut here into gso_size segments, each a valid TCP/IPv4
 * packet (RFC 9293 3.1 header, RFC 791 header, consecutive IP IDs as a
 * NIC's TSO engine makes them, RFC 6864 4.1). A CHECKSUM_PARTIAL frame
 * for a device without NETIF_F_IP_CSUM gets its checksum here.
 *
 * The header math (gso_tcp4_parse, gso_tcp4_fix) is pure and unit-tested
 * (tests/unit/test_gso.c).
 */
#ifndef SKIFF_NET_GSO_H
#define SKIFF_NET_GSO_H

#include <skiff/netdevice.h>

/* Where the headers of a TCP/IPv4 GSO frame are, from skb->data. */
struct gso_tcp4 {
	u32 ip_off;	  /* IPv4 header: after Ethernet (14) */
	u32 ip_hlen;	  /* IPv4 header bytes, options included */
	u32 tcp_off;	  /* TCP header */
	u32 tcp_hlen;	  /* TCP header bytes, options included */
	u32 hdr_len;	  /* everything before the payload */
	u32 payload;	  /* TCP payload bytes of the whole frame */
	u32 mss;	  /* payload bytes per segment (skb->gso_size) */
	u32 saddr, daddr; /* host order, for the pseudo-header */
};

/* Check the frame (len bytes, an Ethernet header at 0) is TCP over IPv4
 * with consistent lengths and mss > 0; fill g. 0 or -EINVAL. */
int gso_tcp4_parse(const u8 *frame, u32 len, u16 mss, struct gso_tcp4 *g);
/* Segments the frame makes: ceil(payload / mss), at least 1. */
u32 gso_tcp4_segs(const struct gso_tcp4 *g);
/* Payload bytes of segment i. */
u32 gso_tcp4_seg_len(const struct gso_tcp4 *g, u32 i);
/*
 * Rewrite hdr (a copy of the frame's first hdr_len bytes) into segment
 * i's headers: IP total length, ID + i and header checksum; TCP sequence
 * number + i * mss; FIN and PSH kept only on the last segment, CWR only
 * on the first (as a TSO engine does, RFC 3168 6.1.2); the checksum field
 * holds the pseudo-header sum of the segment (CHECKSUM_PARTIAL form).
 */
void gso_tcp4_fix(u8 *hdr, const struct gso_tcp4 *g, u32 i);

/* The final checksum of a CHECKSUM_PARTIAL skb, without writing it. */
u16 skb_partial_csum(const struct sk_buff *skb);
/* Complete a CHECKSUM_PARTIAL skb in software (unshared first). 0 or
 * -ENOMEM / -EINVAL (offsets outside the data). */
int skb_checksum_help(struct sk_buff *skb);
/* Cut a TCP/IPv4 GSO skb into segments appended to out (each
 * CHECKSUM_PARTIAL, gso_size 0). Consumes skb. 0, or -errno with nothing
 * queued (counted by the caller). */
int skb_gso_segment(struct sk_buff *skb, struct sk_buff_head *out);

/* Counters for `softnet` / nstat-like views. */
struct gso_stats {
	u64 sw_segmented; /* GSO frames cut in software */
	u64 sw_segments;  /* the segments they made */
	u64 sw_csum;	  /* checksums completed in software */
	u64 hw_gso;	  /* GSO frames handed to a TSO device whole */
	u64 errors;	  /* malformed GSO frames or no memory: dropped */
};
void gso_get_stats(struct gso_stats *s);

/*
 * Before ndo_start_xmit (dev_queue_xmit): what the device cannot do is
 * done here. Appends the frame (or its segments) to out; consumes skb.
 * 0 or -errno (skb dropped and counted).
 */
int validate_xmit_skb(struct net_device *dev, struct sk_buff *skb,
		      struct sk_buff_head *out);

#endif
