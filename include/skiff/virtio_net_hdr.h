/*
 * virtio_net_hdr.h - the header in front of every virtio-net frame
 * (virtio 1.2, 5.1.6), and how a transmitted skb's offload state becomes
 * one (drivers/net/virtio_net_hdr.c: pure, unit-tested in
 * tests/unit/test_virtio_net_hdr.c).
 */
#ifndef SKIFF_VIRTIO_NET_HDR_H
#define SKIFF_VIRTIO_NET_HDR_H

#include <skiff/skbuff.h>
#include <skiff/types.h>

/* Spec 5.1.6: with VERSION_1 the header always has num_buffers (12
 * bytes), whether MRG_RXBUF is negotiated or not. Little-endian. */
struct virtio_net_hdr_mrg_rxbuf {
	u8 flags;	 /* VIRTIO_NET_HDR_F_* */
	u8 gso_type;	 /* VIRTIO_NET_HDR_GSO_NONE, or _TCPV4 (TX with TSO) */
	u16 hdr_len;	 /* TX GSO: bytes of headers before the payload */
	u16 gso_size;	 /* TX GSO: payload bytes per segment (the MSS) */
	u16 csum_start;	 /* NEEDS_CSUM: where summing starts, from frame */
	u16 csum_offset; /* ... and where the sum goes, from csum_start */
	u16 num_buffers; /* RX: buffers this frame spans */
} __packed;
_Static_assert(sizeof(struct virtio_net_hdr_mrg_rxbuf) == 12, "hdr size");

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1

/* What the device was asked to do (negotiated feature bits, 5.1.3). */
#define VNET_TX_CSUM 0x1 /* VIRTIO_NET_F_CSUM */
#define VNET_TX_TSO4 0x2 /* VIRTIO_NET_F_HOST_TSO4 */

/* vnet_hdr_tx_fill's answer when the checksum is the driver's to do. */
#define VNET_HDR_SW_CSUM 1

/*
 * Fill hdr for skb (skb->data at the Ethernet header) given the device's
 * offloads. 0: hdr complete; VNET_HDR_SW_CSUM: a CHECKSUM_PARTIAL frame
 * the device cannot finish (hdr has no flags; finish it in software);
 * -EINVAL: offsets outside the frame, or a GSO frame the device cannot
 * segment.
 */
int vnet_hdr_tx_fill(struct virtio_net_hdr_mrg_rxbuf *hdr,
		     const struct sk_buff *skb, unsigned offloads);

#endif
