/*
 * virtio_net.c - virtio network device (virtio 1.2, section 5.1) over the
 * modern PCI transport (drivers/virtio_pci.c), one RX/TX queue pair.
 *
 * Read first: spec 5.1.3 (feature bits), 5.1.4 (device configuration),
 * 5.1.6 (device operation: the virtio_net_hdr, 5.1.6.2 transmission,
 * 5.1.6.3 receive buffers, 5.1.6.4 processing of incoming packets).
 *
 * RX: MSI-X (rx) -> vnet_rx_irq: callbacks off, napi_schedule ->
 *     NET_RX softirq -> vnet_poll: vnet_tx_clean (TX completions), then
 *     vnet_receive up to the budget (vnet_rx_frame: header pulled off the
 *     skb, mergeable buffers joined, checksum state) -> netif_receive_skb
 *     (or netdev_rx_reflect) -> vnet_refill (one kick) -> vnet_napi_done:
 *     callbacks back on, re-check, reschedule if work slipped in. With
 *     net.busy_poll_us the napi stays parked with callbacks off after a
 *     poll that took frames; the idle loop polls vnet_napi_ready.
 * TX: dev_queue_xmit -> qdisc -> vnet_start_xmit: virtio header pushed
 *     into the headroom, one descriptor per frame -> vnet_flush_xmit: one
 *     kick per batch -> completions freed in vnet_poll (TX interrupt armed
 *     with EVENT_IDX to fire after 3/4 of the outstanding frames).
 * Link: config-change MSI-X -> tasklet -> status field -> carrier.
 */
#include <skiff/virtio.h>
#include <skiff/virtio_net_hdr.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/netdevice.h>
#include <skiff/pci.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>
#include <skiff/timer.h>
#include <skiff/time.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Spec 5.1.3: feature bits. */
#define VIRTIO_NET_F_CSUM 0	  /* device checksums partial TX frames */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* we accept partial/validated RX */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5 /* config has a MAC address */
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_MRG_RXBUF 15 /* a frame may span RX buffers */
#define VIRTIO_NET_F_STATUS 16	  /* config has a link status */
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

#define VNET_FEATURES_BASE                                                     \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |     \
	 VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |      \
	 VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF))
/* The offloads, all off with nic.offload=off. Spec 5.1.3.1: HOST_TSO4
 * needs CSUM, so a device offering TSO without checksums gets neither. */
#define VNET_FEATURES_OFFLOAD                                                  \
	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
	 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4))
/* Largest GSO frame we hand the device: 64 KiB, as Linux (the spec sets
 * no limit; the IPv4 total length does). */
#define VNET_GSO_MAX_SIZE 65536u

/* Spec 5.1.4: struct virtio_net_config offsets. */
#define VNET_CFG_MAC 0
#define VNET_CFG_STATUS 6
#define VIRTIO_NET_S_LINK_UP 1

#define VNET_HDR_LEN ((u32)sizeof(struct virtio_net_hdr_mrg_rxbuf))

#define VNET_RING_MAX 256 /* entries per queue (QEMU's default) */
#define VLAN_HLEN 4
#define VNET_STD_MTU 1500
/* RX buffer for one standard frame: header + 1514 + a VLAN tag, rounded
 * to 64 (1536). Spec 5.1.6.3 asks for at least 1526 without MRG_RXBUF. */
#define VNET_RX_BUF_STD                                                        \
	ALIGN_UP(VNET_HDR_LEN + ETH_HLEN + VLAN_HLEN + VNET_STD_MTU, 64u)
/* The largest frame we assemble from merged buffers (spec 5.1.6.3). */
#define VNET_MERGED_MAX (ETH_HLEN + VLAN_HLEN + 65535)
#define VNET_REFILL_RETRY_MS 10

/* Counters of one queue, for `ethtool -S` (Linux virtio_net names). */
struct vnet_qstats {
	u64 packets, bytes, drops, errors, interrupts, polls, kicks;
};

struct vnet {
	struct net_device *dev;
	struct virtio_device vdev;
	struct virtqueue *rx, *tx; /* NULL while stopped */
	struct napi_struct napi;   /* one poll for the queue pair */
	struct tasklet config_tasklet;
	struct timer_list refill_timer; /* RX ring empty and no memory */
	u32 rx_buf_len;	  /* bytes per RX buffer, header included */
	u32 rx_posted;	  /* skbs on the RX ring */
	bool running;	  /* queues set up and DRIVER_OK */
	bool reinit;	  /* device was reset: renegotiate on open */
	bool tx_stopped;  /* start_xmit said BUSY: wake on reclaim */
	bool tx_unkicked; /* reflected frames queued, doorbell pending */
	bool broken_logged;
	char rx_irq_name[IFNAMSIZ + 4], tx_irq_name[IFNAMSIZ + 4];

	struct vnet_qstats rxq, txq;
	u64 rx_csum_valid;     /* DATA_VALID: device checked it */
	u64 rx_csum_completed; /* NEEDS_CSUM: we filled the checksum in */
	u64 rx_merged;	       /* frames joined from several buffers */
	u64 rx_alloc_failed;   /* refill found no memory */
	u64 rx_reflected;      /* handed to netdev_rx_reflect */
	u64 tx_busy;	       /* start_xmit found the ring full */
	u64 tx_csum_offload;   /* NEEDS_CSUM set for the device */
	u64 tx_csum_sw;	       /* partial checksum finished here */
	u64 tx_tso;	       /* GSO frames the device segments */
	u64 config_interrupts;
};

/* What we ask the device for: the offloads only with nic.offload=on. */
static u64 vnet_features(void)
{
	return VNET_FEATURES_BASE |
	       (kcfg.nic_offload ? VNET_FEATURES_OFFLOAD : 0);
}

/* ---- checksums ----------------------------------------------------------- */

/* RFC 1071 ones' complement sum of big-endian 16-bit words, folded. Only
 * for the rare frames the device cannot finish (see vnet_csum_fill). */
static u16 csum16(const u8 *p, u32 len)
{
	u64 sum = 0;

	for (; len >= 2; p += 2, len -= 2)
		sum += (u32)p[0] << 8 | p[1];
	if (len)
		sum += (u32)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)sum;
}

/*
 * Finish a partial checksum (spec 5.1.6.2 point 3): the field at
 * start + offset holds the pseudo-header sum; the checksum covers from
 * `start` to the end. A result of 0 is sent as 0xffff, its ones'
 * complement twin, which UDP needs (RFC 768) and TCP accepts. -EINVAL
 * when the offsets do not fit the frame.
 */
static int vnet_csum_fill(u8 *frame, u32 len, u32 start, u32 offset)
{
	u16 csum;

	if (start >= len || (u64)start + offset + 2 > len)
		return -EINVAL;
	csum = (u16)~csum16(frame + start, len - start);
	if (csum == 0)
		csum = 0xffff;
	frame[start + offset] = (u8)(csum >> 8);
	frame[start + offset + 1] = (u8)csum;
	return 0;
}

/* ---- TX ------------------------------------------------------------------ */

/* What the device does for us on transmit (negotiated, spec 5.1.3). */
static unsigned vnet_tx_offloads(const struct vnet *vi)
{
	unsigned o = 0;

	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_CSUM))
		o |= VNET_TX_CSUM;
	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_HOST_TSO4))
		o |= VNET_TX_TSO4;
	return o;
}

/* The frame's offload state into the header (spec 5.1.6.2,
 * virtio_net_hdr.c); a partial checksum the device cannot finish is
 * finished here, in a private copy if shared. */
static int vnet_tx_csum(struct vnet *vi, struct sk_buff *skb,
			struct virtio_net_hdr_mrg_rxbuf *hdr)
{
	int rc = vnet_hdr_tx_fill(hdr, skb, vnet_tx_offloads(vi));
	u32 start;

	if (rc < 0)
		return rc;
	if (rc == 0) {
		vi->tx_csum_offload += hdr->flags != 0;
		vi->tx_tso += hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE;
		return 0;
	}
	if (skb_cloned(skb) && skb_unshare(skb))
		return -ENOMEM;
	start = skb->csum_start - skb_headroom(skb);
	if (vnet_csum_fill(skb->data, skb->len, start, skb->csum_offset))
		return -EINVAL;
	skb->ip_summed = CHECKSUM_NONE; /* done: never sum it twice */
	vi->tx_csum_sw++;
	return 0;
}

/*
 * Queue one frame. The header goes into the skb's headroom (we asked for
 * it with dev->needed_headroom) so the device reads one descriptor; a
 * frame without headroom, or whose buffer is shared with a clone (its
 * headroom may be another clone's), takes a second descriptor with the
 * header in skb->cb. Returns 0; -ENOSPC when the ring is full (checked
 * first, so the skb is untouched); -EINVAL/-ENOMEM/-EIO (drop it).
 */
static int vnet_xmit_one(struct vnet *vi, struct sk_buff *skb)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct vq_buf bufs[2];
	u32 frame_len = skb->len;
	bool push = skb_headroom(skb) >= VNET_HDR_LEN && !skb_cloned(skb);
	unsigned n = push ? 1 : 2;
	int rc;

	if (virtqueue_num_free(vi->tx) < n)
		return -ENOSPC;
	rc = vnet_tx_csum(vi, skb, &hdr);
	if (rc)
		return rc;
	if (push) {
		memcpy(skb_push(skb, VNET_HDR_LEN), &hdr, VNET_HDR_LEN);
		bufs[0] = (struct vq_buf){virt_to_phys(skb->data), skb->len};
	} else {
		memcpy(skb->cb, &hdr, VNET_HDR_LEN);
		bufs[0] = (struct vq_buf){virt_to_phys(skb->cb), VNET_HDR_LEN};
		bufs[1] = (struct vq_buf){virt_to_phys(skb->data), skb->len};
	}
	rc = virtqueue_add_buf(vi->tx, bufs, n, 0, skb);
	if (rc) {
		if (push)
			skb_pull(skb, VNET_HDR_LEN);
		return rc;
	}
	vi->txq.packets++;
	vi->txq.bytes += frame_len;
	return 0;
}

static void vnet_log_broken(struct vnet *vi, struct virtqueue *vq)
{
	if (!virtqueue_is_broken(vq) || vi->broken_logged)
		return;
	vi->broken_logged = true;
	pr_err("virtio-net: %s: queue %u broke the ring protocol\n",
	       vi->dev->name, vq->index);
	virtio_get_status(&vi->vdev);
}

/* Free the frames the device has sent. Called with dev->tx_lock held. */
static unsigned vnet_reclaim_tx(struct vnet *vi)
{
	struct sk_buff *skb;
	unsigned n = 0;

	while ((skb = virtqueue_get_buf(vi->tx, NULL)) != NULL) {
		consume_skb(skb);
		n++;
	}
	vnet_log_broken(vi, vi->tx);
	return n;
}

static void vnet_tx_drop(struct vnet *vi, struct sk_buff *skb, bool error)
{
	if (error) {
		vi->txq.errors++;
		vi->dev->stats.tx_errors++;
	} else {
		vi->txq.drops++;
		vi->dev->stats.tx_dropped++;
	}
	kfree_skb(skb);
}

/* Queue a frame after freeing what the device has sent since the last
 * look (as Linux's free_old_xmit_skbs): TX completions need no
 * interrupt unless the ring fills (vnet_start_xmit). */
static int vnet_xmit_reclaim(struct vnet *vi, struct sk_buff *skb)
{
	vnet_reclaim_tx(vi);
	return vnet_xmit_one(vi, skb);
}

static int vnet_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct vnet *vi = dev->priv;
	int rc;

	if (unlikely(!vi->running)) {
		vnet_tx_drop(vi, skb, false);
		return NETDEV_TX_OK;
	}
	rc = vnet_xmit_reclaim(vi, skb);
	if (rc == -ENOSPC) {
		/* Ask for an interrupt when 3/4 of the ring is done; if that
		 * point already passed, the poll will find the space. */
		vi->tx_busy++;
		vi->tx_stopped = true;
		if (!virtqueue_enable_cb_delayed(vi->tx))
			napi_schedule(&vi->napi);
		return NETDEV_TX_BUSY;
	}
	if (rc)
		vnet_tx_drop(vi, skb, true);
	return NETDEV_TX_OK;
}

static void vnet_kick_tx(struct vnet *vi)
{
	if (virtqueue_kick(vi->tx))
		vi->txq.kicks++;
}

static void vnet_flush_xmit(struct net_device *dev)
{
	struct vnet *vi = dev->priv;

	if (vi->running)
		vnet_kick_tx(vi);
}

/* From the poll: free completions, restart a queue that was full. */
static void vnet_tx_clean(struct vnet *vi)
{
	struct net_device *dev = vi->dev;
	unsigned n;
	bool wake;

	spin_lock_bh(&dev->tx_lock);
	n = vnet_reclaim_tx(vi);
	wake = n && vi->tx_stopped;
	if (wake)
		vi->tx_stopped = false;
	spin_unlock_bh(&dev->tx_lock);
	if (n)
		vi->txq.polls++;
	if (wake)
		netif_wake_queue(dev);
}

/* netdev_rx_reflect's answer goes straight onto the TX ring; the kick
 * waits for the end of the poll (one doorbell per batch). The core never
 * sees these frames, so the device counters are kept here. */
static void vnet_reflect_xmit(struct vnet *vi, struct sk_buff *skb)
{
	struct net_device *dev = vi->dev;
	u32 len = skb->len;

	skb->dev = dev;
	spin_lock_bh(&dev->tx_lock);
	if (vi->running && vnet_xmit_reclaim(vi, skb) == 0) {
		vi->tx_unkicked = true;
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
	} else {
		vnet_tx_drop(vi, skb, false);
	}
	spin_unlock_bh(&dev->tx_lock);
}

static void vnet_flush_reflected(struct vnet *vi)
{
	struct net_device *dev = vi->dev;

	if (!vi->tx_unkicked)
		return;
	spin_lock_bh(&dev->tx_lock);
	vi->tx_unkicked = false;
	vnet_kick_tx(vi);
	spin_unlock_bh(&dev->tx_lock);
}

/* ---- RX ------------------------------------------------------------------ */

static void vnet_rx_drop(struct vnet *vi, struct sk_buff *skb, bool error)
{
	if (error) {
		vi->rxq.errors++;
		vi->dev->stats.rx_errors++;
	} else {
		vi->rxq.drops++;
		vi->dev->stats.rx_dropped++;
	}
	if (skb)
		kfree_skb(skb);
}

/* Post fresh skbs until the ring is full; true if any went on. The
 * device writes the header at skb->data and the frame right after it. */
static bool vnet_fill_rx(struct vnet *vi)
{
	bool added = false;

	while (virtqueue_num_free(vi->rx) > 0) {
		struct sk_buff *skb = netdev_alloc_skb(vi->dev, vi->rx_buf_len);
		struct vq_buf b;

		if (!skb) {
			vi->rx_alloc_failed++;
			break;
		}
		b = (struct vq_buf){virt_to_phys(skb->data), vi->rx_buf_len};
		if (virtqueue_add_buf(vi->rx, &b, 0, 1, skb)) {
			consume_skb(skb);
			break;
		}
		vi->rx_posted++;
		added = true;
	}
	return added;
}

/* Refill in one batch with one kick. With nothing posted and no memory,
 * retry from a timer: no RX interrupt would come to do it. */
static void vnet_refill(struct vnet *vi)
{
	if (vnet_fill_rx(vi) && virtqueue_kick(vi->rx))
		vi->rxq.kicks++;
	if (vi->rx_posted == 0)
		mod_timer(&vi->refill_timer,
			  get_jiffies() +
			      msecs_to_jiffies(VNET_REFILL_RETRY_MS));
}

static void vnet_refill_timer(struct timer_list *t)
{
	struct vnet *vi = container_of(t, struct vnet, refill_timer);

	if (vi->running)
		napi_schedule(&vi->napi);
}

/* Take the next RX buffer of a multi-buffer frame. */
static struct sk_buff *vnet_next_part(struct vnet *vi, u32 *len)
{
	struct sk_buff *skb = virtqueue_get_buf(vi->rx, len);

	if (!skb)
		return NULL;
	vi->rx_posted--;
	if (*len > vi->rx_buf_len) {
		vnet_rx_drop(vi, skb, true);
		return NULL;
	}
	skb_put(skb, *len);
	return skb;
}

/* Consume and drop the remaining parts of a frame we cannot keep, so the
 * next buffer taken starts a frame again. */
static void vnet_drop_parts(struct vnet *vi, u32 parts)
{
	u32 len;

	while (parts--) {
		struct sk_buff *skb = vnet_next_part(vi, &len);

		if (!skb)
			return;
		consume_skb(skb);
	}
}

/*
 * Spec 5.1.6.4: with MRG_RXBUF a frame that does not fit one buffer
 * continues in the next num_buffers - 1 buffers (no header in those).
 * Only jumbo frames (MTU above 1500) or GSO frames take this path, so the
 * pieces are copied into one linear skb rather than chained. Returns the
 * joined skb, or NULL (counted) with every piece consumed.
 */
static struct sk_buff *vnet_merge(struct vnet *vi, struct sk_buff *first,
				  u32 nbufs)
{
	u64 cap = (u64)nbufs * vi->rx_buf_len;
	struct sk_buff *big;
	u32 len;

	if (nbufs > vi->rx->num) { /* nonsense: the ring is not that big */
		vnet_rx_drop(vi, first, true);
		return NULL;
	}
	big = cap <= VNET_MERGED_MAX + vi->rx_buf_len
		  ? netdev_alloc_skb(vi->dev, (u32)cap)
		  : NULL;
	if (!big) { /* too large, or no memory: drop every piece */
		vnet_rx_drop(vi, first, false);
		vnet_drop_parts(vi, nbufs - 1);
		return NULL;
	}
	memcpy(skb_put(big, first->len), first->data, first->len);
	consume_skb(first);
	for (u32 i = 1; i < nbufs; i++) {
		struct sk_buff *part = vnet_next_part(vi, &len);

		if (!part) { /* the device broke 5.1.6.4 */
			vnet_rx_drop(vi, big, true);
			return NULL;
		}
		memcpy(skb_put(big, len), part->data, len);
		consume_skb(part);
	}
	vi->rx_merged++;
	return big;
}

/* Spec 5.1.6.4 point 3: checksum state from the header. */
static int vnet_rx_csum(struct vnet *vi, struct sk_buff *skb,
			const struct virtio_net_hdr_mrg_rxbuf *hdr)
{
	skb->ip_summed = CHECKSUM_NONE;
	if (!virtio_has_feature(&vi->vdev, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* Validated, but the field holds only the pseudo-header sum
		 * (a frame from the host's own stack). Fill it in, so the
		 * bytes are right for the stack, a reflector or a capture. */
		if (vnet_csum_fill(skb->data, skb->len, hdr->csum_start,
				   hdr->csum_offset))
			return -EINVAL;
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		vi->rx_csum_completed++;
	} else if (hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		vi->rx_csum_valid++;
	}
	return 0;
}

/* Turn one used RX buffer (and its continuation) into a frame: the
 * header is pulled, not copied. NULL when it was dropped (counted). */
static struct sk_buff *vnet_rx_frame(struct vnet *vi, struct sk_buff *skb,
				     u32 len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	bool mrg = virtio_has_feature(&vi->vdev, VIRTIO_NET_F_MRG_RXBUF);
	u32 nbufs;

	if (len < VNET_HDR_LEN || len > vi->rx_buf_len) {
		vnet_rx_drop(vi, skb, true);
		return NULL;
	}
	skb_put(skb, len);
	memcpy(&hdr, skb->data, VNET_HDR_LEN);
	skb_pull(skb, VNET_HDR_LEN);
	nbufs = mrg ? hdr.num_buffers : 1;
	if (nbufs == 0) {
		vnet_rx_drop(vi, skb, true);
		return NULL;
	}
	if (nbufs > 1 && !(skb = vnet_merge(vi, skb, nbufs)))
		return NULL;
	if (skb->len < ETH_HLEN || vnet_rx_csum(vi, skb, &hdr)) {
		vnet_rx_drop(vi, skb, true);
		return NULL;
	}
	skb->dev = vi->dev;
	vi->rxq.packets++;
	vi->rxq.bytes += skb->len;
	return skb;
}

static void vnet_deliver(struct vnet *vi, struct sk_buff *skb)
{
	struct sk_buff *(*reflect)(struct sk_buff *) =
	    READ_ONCE(netdev_rx_reflect);
	struct sk_buff *out;

	if (!reflect) {
		netif_receive_skb(skb); /* the core counts rx_packets */
		return;
	}
	vi->rx_reflected++;
	vi->dev->stats.rx_packets++;
	vi->dev->stats.rx_bytes += skb->len;
	out = reflect(skb);
	if (out)
		vnet_reflect_xmit(vi, out);
}

static int vnet_receive(struct vnet *vi, int budget)
{
	int done = 0;
	u32 len;

	while (done < budget) {
		struct sk_buff *skb = virtqueue_get_buf(vi->rx, &len);

		if (!skb)
			break;
		vi->rx_posted--;
		done++;
		skb = vnet_rx_frame(vi, skb, len);
		if (skb)
			vnet_deliver(vi, skb);
	}
	vnet_log_broken(vi, vi->rx);
	return done;
}

/* ---- NAPI and interrupts ------------------------------------------------- */

/* Ring drained: interrupts back on, then the re-check of spec 2.7.14 so
 * a buffer used in between is not left waiting for an interrupt that
 * will never come. The TX interrupt only while the queue is stopped
 * (ring full): otherwise completions are freed by the next transmit or
 * poll, and a request/response costs one interrupt, not two. */
static void vnet_napi_done(struct vnet *vi, int done)
{
	struct net_device *dev = vi->dev;
	u16 rx_snap = virtqueue_enable_cb_prepare(vi->rx);
	bool tx_pending = false;

	spin_lock_bh(&dev->tx_lock);
	if (vi->tx_stopped)
		tx_pending = !virtqueue_enable_cb_delayed(vi->tx);
	spin_unlock_bh(&dev->tx_lock);
	if (!napi_complete_done(&vi->napi, done)) {
		virtqueue_disable_cb(vi->rx); /* polled again anyway */
		virtqueue_disable_cb(vi->tx);
		return;
	}
	if (virtqueue_poll(vi->rx, rx_snap) || tx_pending) {
		virtqueue_disable_cb(vi->rx);
		virtqueue_disable_cb(vi->tx);
		napi_schedule(&vi->napi);
	}
}

static int vnet_poll(struct napi_struct *napi, int budget)
{
	struct vnet *vi = container_of(napi, struct vnet, napi);
	int done;

	if (!vi->running) {
		napi_complete_done(napi, 0);
		return 0;
	}
	vi->rxq.polls++;
	vnet_tx_clean(vi);
	done = vnet_receive(vi, budget);
	vnet_refill(vi);
	vnet_flush_reflected(vi);
	if (done < budget)
		vnet_napi_done(vi, done);
	return done;
}

/* Busy polling (napi_struct.napi_ready): a used RX buffer, or a used TX
 * one that a stopped queue waits for; ring memory only, no notify. */
static bool vnet_napi_ready(struct napi_struct *napi)
{
	struct vnet *vi = container_of(napi, struct vnet, napi);

	if (!READ_ONCE(vi->running))
		return false;
	return virtqueue_more_used(vi->rx) ||
	       (READ_ONCE(vi->tx_stopped) && virtqueue_more_used(vi->tx));
}

/* MSI-X handlers: interrupts off, only mask (callbacks off) and schedule. */
static void vnet_rx_irq(void *arg)
{
	struct vnet *vi = arg;

	vi->rxq.interrupts++;
	if (!vi->running)
		return;
	virtqueue_disable_cb(vi->rx);
	napi_schedule(&vi->napi);
}

static void vnet_tx_irq(void *arg)
{
	struct vnet *vi = arg;

	vi->txq.interrupts++;
	if (!vi->running)
		return;
	virtqueue_disable_cb(vi->tx);
	napi_schedule(&vi->napi);
}

/* ---- link state and configuration ---------------------------------------- */

static void vnet_update_link(struct vnet *vi)
{
	bool up = true;
	u16 status;

	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_STATUS) &&
	    virtio_cread(&vi->vdev, VNET_CFG_STATUS, &status, 2) == 0)
		up = status & VIRTIO_NET_S_LINK_UP;
	if (up == vi->dev->carrier)
		return;
	if (up)
		netif_carrier_on(vi->dev);
	else
		netif_carrier_off(vi->dev);
}

/* A configuration change (spec 4.1.5.4): link status, or NEEDS_RESET. */
static void vnet_config_work(unsigned long data)
{
	struct vnet *vi = (struct vnet *)data;

	if (!vi->running)
		return;
	virtio_get_status(&vi->vdev); /* logs NEEDS_RESET */
	vnet_update_link(vi);
}

static void vnet_config_irq(void *arg)
{
	struct vnet *vi = arg;

	vi->config_interrupts++;
	tasklet_schedule(&vi->config_tasklet);
}

/* ---- open / stop --------------------------------------------------------- */

static u32 vnet_rx_buf_len(const struct vnet *vi)
{
	u32 frame = VNET_HDR_LEN + ETH_HLEN + VLAN_HLEN + vi->dev->mtu;

	/* Mergeable buffers stay standard-sized; larger frames span
	 * several. Without them one buffer must hold the largest frame. */
	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_MRG_RXBUF))
		return VNET_RX_BUF_STD;
	return MAX(VNET_RX_BUF_STD, ALIGN_UP(frame, 64u));
}

static int vnet_setup_queues(struct vnet *vi)
{
	struct virtqueue *vqs[2];
	const struct virtio_vq_info info[2] = {
	    {vi->rx_irq_name, VNET_RING_MAX, vnet_rx_irq, vi},
	    {vi->tx_irq_name, VNET_RING_MAX, vnet_tx_irq, vi},
	};
	int rc;

	snprintf(vi->rx_irq_name, sizeof(vi->rx_irq_name), "%s-rx",
		 vi->dev->name);
	snprintf(vi->tx_irq_name, sizeof(vi->tx_irq_name), "%s-tx",
		 vi->dev->name);
	rc = virtio_find_vqs(&vi->vdev, 2, vqs, info, vnet_config_irq, vi);
	if (rc)
		return rc;
	vi->rx = vqs[0];
	vi->tx = vqs[1];
	return 0;
}

static void vnet_free_queues(struct vnet *vi)
{
	struct sk_buff *skb;

	while ((skb = virtqueue_detach_unused(vi->rx)) != NULL)
		consume_skb(skb); /* empty buffers, not lost frames */
	while ((skb = virtqueue_get_buf(vi->tx, NULL)) != NULL)
		consume_skb(skb);
	while ((skb = virtqueue_detach_unused(vi->tx)) != NULL)
		vnet_tx_drop(vi, skb, false);
	virtio_del_vqs(&vi->vdev);
	vi->rx = vi->tx = NULL;
	vi->rx_posted = 0;
}

static void vnet_log_ready(struct vnet *vi)
{
	const u8 *m = vi->dev->dev_addr;

	pr_info("virtio-net: %s: %s mac %02x:%02x:%02x:%02x:%02x:%02x rx %u "
		"tx %u buf %u, %s\n",
		vi->dev->name, vi->vdev.name, m[0], m[1], m[2], m[3], m[4],
		m[5], vi->rx->num, vi->tx->num, vi->rx_buf_len,
		virtio_irq_plan_name(&vi->vdev));
}

/* Spec 3.1.1 steps 7-8: queues, buffers, DRIVER_OK, then the first kick
 * (no notification may precede DRIVER_OK). */
static int vnet_open(struct net_device *dev)
{
	struct vnet *vi = dev->priv;
	int rc;

	if (vi->reinit && (rc = virtio_reinit(&vi->vdev, vnet_features())))
		return rc;
	vi->reinit = true; /* whatever happens next, start from a reset */
	rc = vnet_setup_queues(vi);
	if (rc)
		return rc;
	vi->rx_buf_len = vnet_rx_buf_len(vi);
	if (!vnet_fill_rx(vi)) {
		virtio_reset(&vi->vdev);
		vnet_free_queues(vi);
		return -ENOMEM;
	}
	virtqueue_disable_cb(vi->tx); /* armed only when the ring fills */
	vi->running = true;
	virtio_device_ready(&vi->vdev);
	if (virtqueue_kick(vi->rx))
		vi->rxq.kicks++;
	vnet_update_link(vi);
	vnet_log_ready(vi);
	return 0;
}

static int vnet_stop(struct net_device *dev)
{
	struct vnet *vi = dev->priv;

	if (!vi->rx)
		return 0;
	/* After the reset the device touches no ring and raises nothing;
	 * running = false keeps the poll, the timer and start_xmit off. */
	local_bh_disable();
	spin_lock(&dev->tx_lock);
	vi->running = false;
	virtio_reset(&vi->vdev);
	spin_unlock(&dev->tx_lock);
	del_timer(&vi->refill_timer);
	vnet_free_queues(vi);
	local_bh_enable();
	netif_carrier_off(dev);
	return 0;
}

/* ---- the other ops ------------------------------------------------------- */

/*
 * A new MAC. Telling the device needs VIRTIO_NET_F_CTRL_MAC_ADDR over the
 * control queue, which we do not negotiate (and with VERSION_1 the config
 * mac field is read-only). Nothing is lost: without a control queue the
 * device never filters (QEMU's virtio-net stays promiscuous until told
 * otherwise), and the Ethernet layer drops frames for other MACs.
 */
static int vnet_set_mac_address(struct net_device *dev)
{
	return 0;
}

static void report_queue(ethtool_stat_fn fn, void *ctx, const char *q,
			 const struct vnet_qstats *s,
			 const struct virtqueue *vq)
{
	static const char *const names[] = {"packets", "bytes",	     "drops",
					    "errors",  "interrupts", "polls",
					    "kicks"};
	const u64 *v = &s->packets;
	char name[48];

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(name, sizeof(name), "%s_%s", q, names[i]);
		fn(ctx, name, v[i]);
	}
	snprintf(name, sizeof(name), "%s_kicks_suppressed", q);
	fn(ctx, name, vq ? vq->stats.kicks_suppressed : 0);
}

static void vnet_get_ethtool_stats(struct net_device *dev, ethtool_stat_fn fn,
				   void *ctx)
{
	struct vnet *vi = dev->priv;

	report_queue(fn, ctx, "rx_queue_0", &vi->rxq, vi->rx);
	fn(ctx, "rx_queue_0_csum_valid", vi->rx_csum_valid);
	fn(ctx, "rx_queue_0_csum_completed", vi->rx_csum_completed);
	fn(ctx, "rx_queue_0_merged", vi->rx_merged);
	fn(ctx, "rx_queue_0_alloc_failed", vi->rx_alloc_failed);
	fn(ctx, "rx_queue_0_reflected", vi->rx_reflected);
	fn(ctx, "rx_queue_0_posted", vi->rx_posted);
	report_queue(fn, ctx, "tx_queue_0", &vi->txq, vi->tx);
	fn(ctx, "tx_queue_0_busy", vi->tx_busy);
	fn(ctx, "tx_queue_0_csum_offload", vi->tx_csum_offload);
	fn(ctx, "tx_queue_0_csum_sw", vi->tx_csum_sw);
	fn(ctx, "tx_queue_0_tso_frames", vi->tx_tso);
	fn(ctx, "config_interrupts", vi->config_interrupts);
	fn(ctx, "irq_spurious", vi->vdev.irqs_spurious);
}

static void vnet_get_link_info(struct net_device *dev, char *buf, size_t n)
{
	struct vnet *vi = dev->priv;

	snprintf(buf, n,
		 "Speed: Unknown!\nDuplex: Unknown! (255)\nPort: Other\n"
		 "Transceiver: internal\nvirtio features: 0x%llx\n"
		 "Interrupts: %s",
		 vi->vdev.features, virtio_irq_plan_name(&vi->vdev));
}

static const struct net_device_ops vnet_ops = {
    .ndo_open = vnet_open,
    .ndo_stop = vnet_stop,
    .ndo_start_xmit = vnet_start_xmit,
    .ndo_flush_xmit = vnet_flush_xmit,
    .ndo_set_mac_address = vnet_set_mac_address,
    .ndo_get_ethtool_stats = vnet_get_ethtool_stats,
    .ndo_get_link_info = vnet_get_link_info,
};

/* ---- probe --------------------------------------------------------------- */

static const struct {
	u8 bit;
	const char *name;
} feature_names[] = {
    {VIRTIO_F_VERSION_1, "VERSION_1"},
    {VIRTIO_F_EVENT_IDX, "EVENT_IDX"},
    {VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM"},
    {VIRTIO_NET_F_MAC, "MAC"},
    {VIRTIO_NET_F_STATUS, "STATUS"},
    {VIRTIO_NET_F_CSUM, "CSUM"},
    {VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM"},
    {VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF"},
    {VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4"},
};

static void vnet_log_features(const struct virtio_device *vdev)
{
	char names[128] = "";
	size_t len = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(feature_names); i++) {
		if (!(vdev->features & VIRTIO_BIT(feature_names[i].bit)))
			continue;
		len +=
		    (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
				     len ? " " : "", feature_names[i].name);
		if (len >= sizeof(names))
			break;
	}
	pr_info("virtio-net: %s features 0x%llx negotiated 0x%llx (%s)\n",
		vdev->name, vdev->features_offered, vdev->features, names);
}

/* Spec 5.1.5: the device's MAC, or a random locally administered one. */
static void vnet_read_mac(struct vnet *vi)
{
	struct net_device *dev = vi->dev;

	if (!virtio_has_feature(&vi->vdev, VIRTIO_NET_F_MAC) ||
	    virtio_cread(&vi->vdev, VNET_CFG_MAC, dev->perm_addr, ETH_ALEN)) {
		u64 r = ktime_get_ns() * 0x9e3779b97f4a7c15ULL;

		for (int i = 0; i < ETH_ALEN; i++)
			dev->perm_addr[i] = (u8)(r >> (8 * i));
		dev->perm_addr[0] = (u8)((dev->perm_addr[0] & 0xfe) | 0x02);
	}
	memcpy(dev->dev_addr, dev->perm_addr, ETH_ALEN);
	memset(dev->broadcast, 0xff, ETH_ALEN);
}

static void vnet_setup_netdev(struct vnet *vi, struct pci_dev *pdev)
{
	struct net_device *dev = vi->dev;

	dev->ops = &vnet_ops;
	dev->driver = "virtio_net";
	snprintf(dev->bus_info, sizeof(dev->bus_info), "%04x:%02x:%02x.%x",
		 pdev->segment, pdev->bus, pdev->slot, pdev->func);
	dev->mtu = 1500;
	dev->needed_headroom = VNET_HDR_LEN;
	dev->flags |= IFF_BROADCAST | IFF_MULTICAST;
	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_CSUM))
		dev->features |= NETIF_F_IP_CSUM;
	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_HOST_TSO4) &&
	    virtio_has_feature(&vi->vdev, VIRTIO_NET_F_CSUM)) {
		dev->features |= NETIF_F_TSO; /* net/gso.h */
		dev->gso_max_size = VNET_GSO_MAX_SIZE;
	}
	if (virtio_has_feature(&vi->vdev, VIRTIO_NET_F_GUEST_CSUM))
		dev->features |= NETIF_F_RXCSUM;
	vnet_read_mac(vi);
	netif_napi_add(dev, &vi->napi, vnet_poll, NAPI_POLL_WEIGHT);
	vi->napi.napi_ready = vnet_napi_ready;
	tasklet_init(&vi->config_tasklet, vnet_config_work, (unsigned long)vi);
	kernel_timer_setup(&vi->refill_timer, vnet_refill_timer);
}

static int vnet_probe(struct pci_dev *pdev)
{
	struct virtio_device vdev;
	struct net_device *dev;
	struct vnet *vi;
	int rc;

	rc = virtio_pci_probe(&vdev, pdev);
	if (rc)
		return rc;
	rc = virtio_negotiate(&vdev, vnet_features());
	if (rc)
		return rc;
	vnet_log_features(&vdev);
	dev = alloc_netdev("eth%d", sizeof(struct vnet));
	if (!dev) {
		virtio_reset(&vdev);
		return -ENOMEM;
	}
	vi = dev->priv;
	vi->dev = dev;
	vi->vdev = vdev; /* no pointers into itself yet */
	vnet_setup_netdev(vi, pdev);
	pdev->driver_data = vi;
	rc = register_netdev(dev);
	if (rc)
		pr_err("virtio-net: %s: register_netdev failed (%d)\n",
		       vdev.name, rc);
	return 0; /* the device is ours even if it did not come up */
}

static const struct pci_device_id vnet_ids[] = {
    {PCI_VENDOR_ID_VIRTIO, VIRTIO_PCI_MODERN_ID(VIRTIO_ID_NET), 0},
    {PCI_VENDOR_ID_VIRTIO, VIRTIO_PCI_LEGACY_NET, 0}, /* if modern caps */
    {0, 0, 0},
};

static const struct pci_driver vnet_driver = {
    .name = "virtio_net",
    .ids = vnet_ids,
    .probe = vnet_probe,
};
PCI_DRIVER(vnet_driver);
