/*
 * virtio_net_hdr.c - a transmitted frame's offload state as a virtio
 * net header (virtio 1.2, 5.1.6.2 "Packet Transmission"). Pure: no
 * device, no allocation.
 *
 *   CHECKSUM_NONE            -> flags 0, GSO_NONE
 *   CHECKSUM_PARTIAL         -> NEEDS_CSUM, csum_start/csum_offset from
 *                               the frame's start (5.1.6.2 point 3)
 *   + gso_size (TCP/IPv4)    -> gso_type TCPV4, gso_size = MSS, hdr_len =
 *                               headers through TCP's (5.1.6.2 point 4)
 */
#include <errno.h>
#include <string.h>

#include <skiff/virtio_net_hdr.h>

/* TCP's data offset: the header length in 32-bit words (RFC 9293 3.1). */
static u32 tcp_hlen_at(const u8 *tcp)
{
	return (u32)(tcp[12] >> 4) * 4;
}

/* 5.1.6.2 point 4: TCP segmentation. hdr_len covers Ethernet, IP and
 * TCP headers; the device copies them into every segment. */
static int vnet_hdr_gso(struct virtio_net_hdr_mrg_rxbuf *hdr,
			const struct sk_buff *skb, u32 start)
{
	u32 hlen;

	if (start + 20 > skb->len)
		return -EINVAL;
	hlen = start + tcp_hlen_at(skb->data + start);
	if (hlen > skb->len || skb->csum_offset != 16)
		return -EINVAL; /* not a TCP checksum: no TSO */
	hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	hdr->gso_size = skb->gso_size;
	hdr->hdr_len = (u16)hlen;
	return 0;
}

int vnet_hdr_tx_fill(struct virtio_net_hdr_mrg_rxbuf *hdr,
		     const struct sk_buff *skb, unsigned offloads)
{
	u32 start;

	memset(hdr, 0, sizeof(*hdr));
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return skb_is_gso(skb) ? -EINVAL : 0;
	if (skb->csum_start < skb_headroom(skb))
		return -EINVAL;
	start = skb->csum_start - skb_headroom(skb); /* from the frame */
	if (start + skb->csum_offset + 2u > skb->len)
		return -EINVAL;
	if (skb_is_gso(skb) && ((offloads & (VNET_TX_TSO4 | VNET_TX_CSUM)) !=
				    (VNET_TX_TSO4 | VNET_TX_CSUM) ||
				vnet_hdr_gso(hdr, skb, start)))
		return -EINVAL; /* 5.1.3.1: TSO needs CSUM too */
	if (!(offloads & VNET_TX_CSUM))
		return VNET_HDR_SW_CSUM;
	/* 5.1.6.2 point 3: the device sums from csum_start to the end and
	 * stores the result at csum_start + csum_offset. */
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = (u16)start;
	hdr->csum_offset = skb->csum_offset;
	return 0;
}
