/*
 * gso.c - transmit offloads done in software when the device cannot
 * (the design is in include/skiff/net/gso.h).
 *
 *   dev_queue_xmit -> validate_xmit_skb:
 *       GSO frame, device without NETIF_F_TSO -> skb_gso_segment
 *           (gso_tcp4_parse, then per segment: copy headers + payload
 *           slice, gso_tcp4_fix)
 *       CHECKSUM_PARTIAL, device without NETIF_F_IP_CSUM
 *           -> skb_checksum_help
 *
 * Offsets: a GSO frame is linear, skb->data at the Ethernet header, IPv4
 * and TCP headers as TCP built them (RFC 791 3.1, RFC 9293 3.1).
 */
#include <errno.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/gso.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>

#define TCP_FLAG_FIN_BIT 0x01
#define TCP_FLAG_PSH_BIT 0x08
#define TCP_FLAG_CWR_BIT 0x80
#define TCP_CSUM_OFFSET 16

static struct gso_stats gso_stats;
#define GSO_INC(f, n) __atomic_fetch_add(&gso_stats.f, (n), __ATOMIC_RELAXED)

void gso_get_stats(struct gso_stats *s)
{
	s->sw_segmented = __atomic_load_n(&gso_stats.sw_segmented, 0);
	s->sw_segments = __atomic_load_n(&gso_stats.sw_segments, 0);
	s->sw_csum = __atomic_load_n(&gso_stats.sw_csum, 0);
	s->hw_gso = __atomic_load_n(&gso_stats.hw_gso, 0);
	s->errors = __atomic_load_n(&gso_stats.errors, 0);
}

/* ---- header math (pure) ------------------------------------------------ */

int gso_tcp4_parse(const u8 *frame, u32 len, u16 mss, struct gso_tcp4 *g)
{
	memset(g, 0, sizeof(*g));
	g->ip_off = ETH_HLEN;
	if (mss == 0 || len < ETH_HLEN + 20 ||
	    load_be16(frame + 12) != ETH_P_IP)
		return -EINVAL;
	const u8 *ip = frame + g->ip_off;
	g->ip_hlen = (u32)(ip[0] & 0xf) * 4;
	if ((ip[0] >> 4) != 4 || g->ip_hlen < 20 || ip[9] != IPPROTO_TCP)
		return -EINVAL;
	/* RFC 791 3.1: total length covers header and data exactly. */
	if (load_be16(ip + 2) != len - g->ip_off)
		return -EINVAL;
	g->tcp_off = g->ip_off + g->ip_hlen;
	if (len < g->tcp_off + 20)
		return -EINVAL;
	g->tcp_hlen = (u32)(frame[g->tcp_off + 12] >> 4) * 4;
	g->hdr_len = g->tcp_off + g->tcp_hlen;
	if (g->tcp_hlen < 20 || len < g->hdr_len)
		return -EINVAL;
	g->payload = len - g->hdr_len;
	g->mss = mss;
	g->saddr = load_be32(ip + 12);
	g->daddr = load_be32(ip + 16);
	return 0;
}

u32 gso_tcp4_segs(const struct gso_tcp4 *g)
{
	u32 n = (g->payload + g->mss - 1) / g->mss;
	return n ? n : 1;
}

u32 gso_tcp4_seg_len(const struct gso_tcp4 *g, u32 i)
{
	u32 off = i * g->mss;
	return off >= g->payload ? 0 : MIN(g->mss, g->payload - off);
}

/* RFC 791 3.1: length, identification, header checksum. */
static void gso_fix_ip(u8 *ip, const struct gso_tcp4 *g, u32 i, u32 seg_len)
{
	store_be16(ip + 2, (u16)(g->ip_hlen + g->tcp_hlen + seg_len));
	store_be16(ip + 4, (u16)(load_be16(ip + 4) + i));
	store_be16(ip + 10, 0);
	store_be16(ip + 10, ip_fast_csum(ip, g->ip_hlen));
}

void gso_tcp4_fix(u8 *hdr, const struct gso_tcp4 *g, u32 i)
{
	u32 n = gso_tcp4_segs(g), seg_len = gso_tcp4_seg_len(g, i);
	u8 *tcp = hdr + g->tcp_off;
	u16 tcp_len = (u16)(g->tcp_hlen + seg_len);

	gso_fix_ip(hdr + g->ip_off, g, i, seg_len);
	store_be32(tcp + 4, load_be32(tcp + 4) + i * g->mss);
	if (i + 1 < n) /* FIN and PSH belong to the last byte */
		tcp[13] &= (u8) ~(TCP_FLAG_FIN_BIT | TCP_FLAG_PSH_BIT);
	if (i > 0) /* RFC 3168 6.1.2: CWR on the first segment only */
		tcp[13] &= (u8)~TCP_FLAG_CWR_BIT;
	/* CHECKSUM_PARTIAL: the pseudo-header sum, folded, not inverted. */
	store_be16(tcp + TCP_CSUM_OFFSET,
		   (u16)csum_tcpudp_nofold(g->saddr, g->daddr, tcp_len,
					   IPPROTO_TCP, 0));
}

/* ---- checksums ----------------------------------------------------------- */

/* The sum over [csum_start, end): -1 when the offsets do not fit. */
static int partial_range(const struct sk_buff *skb, u32 *start)
{
	u32 headroom = skb_headroom(skb);

	if (skb->csum_start < headroom)
		return -1;
	*start = skb->csum_start - headroom; /* from skb->data */
	if (*start + skb->csum_offset + 2u > skb->len)
		return -1;
	return 0;
}

u16 skb_partial_csum(const struct sk_buff *skb)
{
	u32 start;

	if (partial_range(skb, &start))
		return 0;
	/* The field holds the pseudo-header sum, so the sum over the whole
	 * range is the full one (RFC 1071). 0 goes out as 0xffff. */
	u16 csum =
	    csum_fold(csum_partial(skb->data + start, skb->len - start, 0));
	return csum ? csum : 0xffff;
}

int skb_checksum_help(struct sk_buff *skb)
{
	u32 start;

	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	if (partial_range(skb, &start))
		return -EINVAL;
	if (skb_cloned(skb) && skb_unshare(skb))
		return -ENOMEM;
	store_be16(skb->data + start + skb->csum_offset, skb_partial_csum(skb));
	skb->ip_summed = CHECKSUM_NONE;
	GSO_INC(sw_csum, 1);
	return 0;
}

/* ---- segmentation -------------------------------------------------------- */

/* Segment i of the frame at src as a new skb with headroom for dev. */
static struct sk_buff *gso_build_seg(const struct sk_buff *src,
				     const struct gso_tcp4 *g, u32 i)
{
	u32 seg_len = gso_tcp4_seg_len(g, i);
	struct sk_buff *seg = netdev_alloc_skb(src->dev, g->hdr_len + seg_len);

	if (!seg)
		return NULL;
	u8 *p = skb_put(seg, g->hdr_len + seg_len);
	memcpy(p, src->data, g->hdr_len);
	memcpy(p + g->hdr_len, src->data + g->hdr_len + i * g->mss, seg_len);
	gso_tcp4_fix(p, g, i);
	seg->protocol = src->protocol;
	seg->tstamp_ns = src->tstamp_ns;
	seg->mac_header = (u16)skb_headroom(seg);
	seg->network_header = (u16)(skb_headroom(seg) + g->ip_off);
	seg->transport_header = (u16)(skb_headroom(seg) + g->tcp_off);
	seg->ip_summed = CHECKSUM_PARTIAL;
	seg->csum_start = seg->transport_header;
	seg->csum_offset = TCP_CSUM_OFFSET;
	return seg;
}

int skb_gso_segment(struct sk_buff *skb, struct sk_buff_head *out)
{
	struct sk_buff_head segs;
	struct gso_tcp4 g;

	skb_queue_head_init(&segs);
	if (gso_tcp4_parse(skb->data, skb->len, skb->gso_size, &g)) {
		kfree_skb(skb);
		return -EINVAL;
	}
	for (u32 i = 0; i < gso_tcp4_segs(&g); i++) {
		struct sk_buff *seg = gso_build_seg(skb, &g, i);

		if (!seg) {
			skb_queue_purge(&segs);
			kfree_skb(skb);
			return -ENOMEM;
		}
		skb_queue_tail(&segs, seg);
	}
	GSO_INC(sw_segmented, 1);
	GSO_INC(sw_segments, segs.qlen);
	while (segs.qlen)
		skb_queue_tail(out, skb_dequeue(&segs));
	consume_skb(skb);
	return 0;
}

/* ---- before the driver -----------------------------------------------------
 */

static bool dev_can_tso(const struct net_device *dev, const struct sk_buff *skb)
{
	/* A shaper passes no frame beyond its burst: cut such frames here. */
	u32 max = READ_ONCE(dev->tx_max_frame);
	return (dev->features & NETIF_F_TSO) && skb->len <= dev->gso_max_size &&
	       (!max || skb->len <= max);
}

/* Queue one frame for the driver, its checksum finished here if the
 * device cannot. */
static int xmit_csum(struct net_device *dev, struct sk_buff *skb,
		     struct sk_buff_head *out)
{
	int err;

	if (!(dev->features & NETIF_F_IP_CSUM) &&
	    (err = skb_checksum_help(skb)) != 0) {
		GSO_INC(errors, 1);
		kfree_skb(skb);
		return err;
	}
	skb_queue_tail(out, skb);
	return 0;
}

int validate_xmit_skb(struct net_device *dev, struct sk_buff *skb,
		      struct sk_buff_head *out)
{
	struct sk_buff_head segs;
	struct sk_buff *seg;
	int err;

	if (!skb_is_gso(skb))
		return xmit_csum(dev, skb, out);
	if (dev_can_tso(dev, skb)) {
		GSO_INC(hw_gso, 1);
		return xmit_csum(dev, skb, out);
	}
	skb_queue_head_init(&segs);
	err = skb_gso_segment(skb, &segs);
	if (err) {
		GSO_INC(errors, 1);
		return err;
	}
	while ((seg = skb_dequeue(&segs)) != NULL) {
		int e = xmit_csum(dev, seg, out);

		if (e)
			err = e;
	}
	return err;
}
