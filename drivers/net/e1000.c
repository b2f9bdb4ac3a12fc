/*
 * e1000.c - Intel 82540EM (QEMU -device e1000) and 82574L (-device e1000e)
 * Gigabit Ethernet. Registers and descriptors are in e1000_hw.h, with the
 * manuals they come from (SDM = 8254x Software Developer's Manual,
 * 82574 = 82574 datasheet).
 *
 * probe: enable the PCI function, map BAR 0, reset, read the MAC, set up
 *        interrupts (82574: MSI-X with IVAR, else MSI, else INTx; 82540:
 *        MSI if offered, else INTx), register eth%d (which opens it).
 * open:  rings (RX 256 x 2 KiB skbs, TX 256), MAC filter, RCTL/TCTL, ITR,
 *        unmask.
 *
 * RX: interrupt -> e1000_intr: mask (IMC), napi_schedule -> e1000_poll:
 *     reclaim TX, take completed RX descriptors, hand each skb up as it is
 *     (skb_put of the length the NIC wrote; no copy), refill in batches
 *     of E1000_RX_REFILL_BATCH with one RDT write per batch -> below
 *     budget: napi_complete_done -> unmask (IMS). With net.busy_poll_us
 *     the napi stays parked, masked, after a poll that took frames; the
 *     idle loop polls e1000_napi_ready (descriptor memory) meanwhile.
 * TX: ndo_start_xmit fills one descriptor per frame; ndo_flush_xmit writes
 *     TDT once per batch; completions are reclaimed in the poll and wake
 *     the queue once enough descriptors are free.
 *
 * Ring indices: descriptors [rx_clean, rx_use) hold posted skbs; the NIC
 * owns them from RDH up to RDT = rx_use. [tx_clean, tx_tail) hold frames
 * not yet reclaimed; TDT = tx_doorbell <= tx_tail. One slot always stays
 * empty so that head == tail means "empty" (SDM 3.2.6, 3.4).
 */
#include <skiff/irq.h>
#include <skiff/mm.h>
#include <skiff/netdevice.h>
#include <skiff/pci.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>

#include "e1000_hw.h"

#define E1000_RX_RING 256 /* descriptors; 16 bytes each: one page */
#define E1000_TX_RING 256
#define E1000_RX_BUF_LEN 2048			 /* RCTL.BSIZE */
#define E1000_RX_REFILL_BATCH 32		 /* descriptors per RDT write */
#define E1000_TX_WAKE_THRESH (E1000_TX_RING / 8) /* free slots to wake */
#define E1000_TX_MAX_LEN 16288 /* legacy descriptor length limit */
#define E1000_ITR_PER_SEC 8000 /* interrupt moderation */
/* Largest GSO frame: the TSE payload length has 20 bits, but QEMU's
 * models and Linux stop at 64 KiB (16 data descriptors of 4 KiB). */
#define E1000_GSO_MAX_SIZE 65536u
/* The longest frame the NIC accepts without long-packet mode (RCTL.LPE),
 * FCS stripped: 1514 plus a VLAN tag (SDM 13.4.22, RCTL.LPE). Received frames
 * are not held to the MTU, as Linux does not. */
#define E1000_MAX_FRAME_VLAN (ETH_FRAME_MAX + 4)

/* The chip variant: what differs between the 8254x and the 82574. */
struct e1000_chip {
	const char *model;  /* "82540EM" */
	const char *driver; /* the Linux driver name: "e1000" / "e1000e" */
	bool is_82574;	    /* EERD layout, MSI-X with IVAR, TARC0 */
	u32 tipg;	    /* inter-packet gap (SDM 13.4.34; 82574: TIPG) */
};

/* Per-queue counters reported by ethtool -S. */
struct e1000_queue_stats {
	u64 packets, bytes, drops, errors, interrupts, polls;
};

/* Clear-on-read hardware counters, accumulated (SDM 13.7). */
struct e1000_hw_stats {
	u64 mpc, rnbc, ruc, roc, crcerrs, gprc, gptc;
};

struct e1000_adapter {
	struct net_device *netdev;
	struct pci_dev *pdev;
	volatile u8 *hw; /* BAR 0 */
	const struct e1000_chip *chip;
	struct napi_struct napi;
	bool up;	 /* open: rings live, interrupts wanted */
	bool msix;	 /* two MSI-X vectors: queue (0) and other (1) */
	bool irqs_bound; /* pci_request_irq done (at the first open) */

	/* Interrupt causes: all of them (INTx/MSI), or per vector. */
	u32 ims_queue;	 /* unmasked by the poll, masked by the IRQ */
	u32 ims_tx;	 /* TX done: unmasked only while tx_stopped */
	u32 ims_other;	 /* MSI-X "other" vector: never masked */
	u32 rx_cause;	 /* the cause that ICS uses to re-kick the poll */
	u32 icr_pending; /* causes the handlers saw, for the poll (atomic) */

	struct e1000_rx_desc *rx_ring;
	struct sk_buff *rx_skb[E1000_RX_RING];
	u32 rx_clean, rx_use;
	bool rx_discarding; /* inside a frame that spans descriptors */

	struct e1000_tx_desc *tx_ring;
	struct sk_buff *tx_skb[E1000_TX_RING];
	u32 tx_clean, tx_tail, tx_doorbell;  /* under netdev->tx_lock */
	bool tx_stopped;		     /* start_xmit said BUSY */
	bool tx_csum_ctx_valid;		     /* the NIC holds tx_csum_ctx */
	struct e1000_tx_offload tx_csum_ctx; /* its checksum context */

	struct timer_list watchdog; /* 1 Hz: link, HW counters, starvation */
	spinlock_t hw_stats_lock;
	struct e1000_hw_stats hw_stats;

	struct e1000_queue_stats rxq, txq;
	u64 rx_alloc_failed, rx_length_errors, rx_crc_errors;
	u64 rx_csum_good, rx_csum_bad;
	u64 tx_doorbells, irq_other, irq_none;
	u64 tx_csum_offload, tx_tso, tx_contexts;
	u64 link_changes;
	u64 mmio_reads, mmio_writes; /* register accesses (er32/ew32) */
	char irq_name[2][IFNAMSIZ + 8];
};

static struct lock_class e1000_stats_class = {.name = "e1000_hw_stats"};

static const struct e1000_chip chip_82540em = {
    .model = "82540EM",
    .driver = "e1000",
    .tipg = 10 | 8 << 10 | 6 << 20, /* IPGT 10, IPGR1 8, IPGR2 6 */
};
static const struct e1000_chip chip_82545em = {
    .model = "82545EM",
    .driver = "e1000",
    .tipg = 10 | 8 << 10 | 6 << 20,
};
static const struct e1000_chip chip_82574l = {
    .model = "82574L",
    .driver = "e1000e",
    .is_82574 = true,
    .tipg = 8 | 8 << 10 | 6 << 20, /* IPGT 8 on the 82574 */
};

/* ---- register access -------------------------------------------------- */

/* Every register access traps to the emulator (a VM exit under KVM, an
 * I/O callback under TCG): they are counted, for `ethtool -S`. */
static inline u32 er32(struct e1000_adapter *ad, u32 reg)
{
	ad->mmio_reads++;
	return *(volatile u32 *)(ad->hw + reg);
}

static inline void ew32(struct e1000_adapter *ad, u32 reg, u32 val)
{
	ad->mmio_writes++;
	*(volatile u32 *)(ad->hw + reg) = val;
}

/* Reading STATUS forces earlier posted writes out to the device. */
static inline void e1000_flush(struct e1000_adapter *ad)
{
	(void)er32(ad, E1000_STATUS);
}

/*
 * Descriptor memory is ordinary write-back RAM and the doorbells are
 * uncached MMIO. x86 keeps stores in order (and an uncached store after
 * them), so only the compiler must be stopped from reordering.
 */
#define dma_wmb() barrier()
#define dma_rmb() barrier()

static void e1000_irq_unmask_queue(struct e1000_adapter *ad)
{
	u32 ims = ad->msix ? ad->ims_queue : ad->ims_queue | ad->ims_other;
	ew32(ad, E1000_IMS, ad->tx_stopped ? ims | ad->ims_tx : ims);
}

/* ---- reset, MAC address, link -------------------------------------------- */

/* Quiesce, then a full MAC reset (SDM 13.4.1, CTRL.RST). */
static void e1000_reset(struct e1000_adapter *ad)
{
	ew32(ad, E1000_IMC, ~0u);
	ew32(ad, E1000_RCTL, 0);
	ew32(ad, E1000_TCTL, E1000_TCTL_PSP);
	e1000_flush(ad);
	mdelay(1); /* a frame's DMA in flight is done long before */
	ew32(ad, E1000_CTRL, er32(ad, E1000_CTRL) | E1000_CTRL_RST);
	/* SDM 13.4.1: wait at least 1 us, then RST reads back 0 once the
	 * reset is done. Polled (up to 10 ms) instead of a fixed 10 ms
	 * sleep: that sleep was a fifth of the boot. */
	udelay(10);
	for (int i = 0; i < 1000 && (er32(ad, E1000_CTRL) & E1000_CTRL_RST);
	     i++)
		udelay(10);
	if (ad->chip->is_82574)
		for (int i = 0;
		     i < 100 && !(er32(ad, E1000_EECD) & E1000_EECD_AUTO_RD);
		     i++)
			udelay(100);
	ew32(ad, E1000_IMC, ~0u);
	(void)er32(ad, E1000_ICR);
}

/* Read one 16-bit EEPROM word through EERD. -ETIMEDOUT if it never
 * finishes (some 8254x variants have no EERD). */
static int e1000_read_eeprom(struct e1000_adapter *ad, u16 word, u16 *val)
{
	bool e = ad->chip->is_82574;
	u32 done = e ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;
	u32 shift =
	    e ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;
	ew32(ad, E1000_EERD, E1000_EERD_START | (u32)word << shift);
	for (int i = 0; i < 1000; i++) {
		u32 v = er32(ad, E1000_EERD);
		if (v & done) {
			*val = (u16)(v >> E1000_EERD_DATA_SHIFT);
			return 0;
		}
		udelay(5);
	}
	return -ETIMEDOUT;
}

static bool mac_usable(const u8 *mac)
{
	static const u8 zero[ETH_ALEN];
	return !(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN) != 0;
}

/*
 * The permanent address: the NIC loads receive address 0 from the EEPROM
 * at reset (SDM 5.6.1), so RAL0/RAH0 normally hold it; if not, read the
 * EEPROM words 0-2 (little-endian) ourselves.
 */
static int e1000_read_mac(struct e1000_adapter *ad, u8 *mac)
{
	u32 ral = er32(ad, E1000_RAL0), rah = er32(ad, E1000_RAH0);
	for (int i = 0; i < 4; i++)
		mac[i] = (u8)(ral >> (8 * i));
	mac[4] = (u8)rah;
	mac[5] = (u8)(rah >> 8);
	if ((rah & E1000_RAH_AV) && mac_usable(mac))
		return 0;
	for (u16 w = 0; w < 3; w++) {
		u16 v;
		if (e1000_read_eeprom(ad, w, &v) < 0)
			return -EIO;
		mac[2 * w] = (u8)v;
		mac[2 * w + 1] = (u8)(v >> 8);
	}
	return mac_usable(mac) ? 0 : -EINVAL;
}

static void e1000_write_mac(struct e1000_adapter *ad, const u8 *mac)
{
	u32 ral =
	    mac[0] | (u32)mac[1] << 8 | (u32)mac[2] << 16 | (u32)mac[3] << 24;
	u32 rah = mac[4] | (u32)mac[5] << 8 | E1000_RAH_AV;
	ew32(ad, E1000_RAL0, ral);
	ew32(ad, E1000_RAH0, rah);
	e1000_flush(ad);
}

static int e1000_set_mac_address(struct net_device *dev)
{
	e1000_write_mac(dev->priv, dev->dev_addr);
	return 0;
}

static unsigned e1000_speed_mbps(u32 status)
{
	switch ((status >> E1000_STATUS_SPEED_SHIFT) & 3) {
	case 0:
		return 10;
	case 1:
		return 100;
	default:
		return 1000;
	}
}

/* STATUS.LU is the truth; tell the stack when it changed. */
static void e1000_check_link(struct e1000_adapter *ad)
{
	struct net_device *dev = ad->netdev;
	u32 status = er32(ad, E1000_STATUS);
	bool up = status & E1000_STATUS_LU;
	if (up == dev->carrier)
		return;
	ad->link_changes++;
	if (up) {
		pr_info("%s: NIC link is up, %u Mb/s %s duplex\n", dev->name,
			e1000_speed_mbps(status),
			status & E1000_STATUS_FD ? "full" : "half");
		netif_carrier_on(dev);
	} else {
		pr_info("%s: NIC link is down\n", dev->name);
		netif_carrier_off(dev);
	}
}

/* ---- receive ----------------------------------------------------------- */

static u32 rx_posted(const struct e1000_adapter *ad)
{
	return (ad->rx_use - ad->rx_clean) & (E1000_RX_RING - 1);
}

static u32 rx_unused(const struct e1000_adapter *ad)
{
	return E1000_RX_RING - 1 - rx_posted(ad);
}

/*
 * Post fresh skbs on every free descriptor, then tell the NIC once (RDT).
 * An allocation failure leaves the rest for the next poll or the
 * watchdog; the NIC counts what it misses meanwhile (RNBC, MPC).
 */
static void e1000_rx_refill(struct e1000_adapter *ad)
{
	u32 start = ad->rx_use;
	while (rx_unused(ad) > 0) {
		struct sk_buff *skb =
		    netdev_alloc_skb(ad->netdev, E1000_RX_BUF_LEN);
		if (!skb) {
			ad->rx_alloc_failed++;
			break;
		}
		u32 i = ad->rx_use;
		ad->rx_skb[i] = skb;
		ad->rx_ring[i].addr = virt_to_phys(skb->data);
		ad->rx_ring[i].status = 0; /* the NIC ORs DD into it */
		ad->rx_use = (i + 1) & (E1000_RX_RING - 1);
	}
	if (ad->rx_use != start) {
		dma_wmb();
		ew32(ad, E1000_RDT, ad->rx_use);
	}
}

/* A bad frame, dropped here. The core counts what it is handed; these
 * never reach it, so they go to rx_errors (and rx_crc_errors). */
static void e1000_rx_count_drop(struct e1000_adapter *ad, int verdict)
{
	struct net_device_stats *s = &ad->netdev->stats;
	if (verdict == E1000_RX_DROP_QUIET)
		return;
	if (verdict == E1000_RX_DROP_ERROR) {
		ad->rx_crc_errors++;
		s->rx_crc_errors++;
	} else {
		ad->rx_length_errors++;
	}
	ad->rxq.errors++;
	s->rx_errors++;
}

/* The checksum the NIC verified (SDM 3.2.3.1-2): only TCP/UDP counts. */
static void e1000_rx_csum(struct e1000_adapter *ad, struct sk_buff *skb,
			  u8 status, u8 errors)
{
	skb->ip_summed = CHECKSUM_NONE;
	if (!(ad->netdev->features & NETIF_F_RXCSUM))
		return;
	int v = e1000_rx_csum_verdict(status, errors);
	if (v > 0) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		ad->rx_csum_good++;
	} else if (v < 0) {
		ad->rx_csum_bad++; /* the stack checks it again and counts */
	}
}

/* Give a frame to the reflector (app=reflect) or to the stack. */
static void e1000_rx_deliver(struct e1000_adapter *ad, struct sk_buff *skb);

static int e1000_clean_rx(struct e1000_adapter *ad, int budget)
{
	int done = 0;
	while (done < budget && rx_posted(ad) > 0) {
		u32 i = ad->rx_clean;
		struct e1000_rx_desc *d = &ad->rx_ring[i];
		u8 status = READ_ONCE(d->status);
		if (!(status & E1000_RXD_STAT_DD))
			break;
		dma_rmb(); /* the rest of the descriptor after DD */
		u16 len = d->length;
		u8 errors = d->errors;
		struct sk_buff *skb = ad->rx_skb[i];
		ad->rx_skb[i] = NULL;
		ad->rx_clean = (i + 1) & (E1000_RX_RING - 1);
		done++;
		int verdict =
		    e1000_rx_verdict(status, errors, len, E1000_MAX_FRAME_VLAN,
				     &ad->rx_discarding);
		if (verdict != E1000_RX_PASS) {
			e1000_rx_count_drop(ad, verdict);
			kfree_skb(skb);
		} else {
			skb_put(skb, len);
			e1000_rx_csum(ad, skb, status, errors);
			ad->rxq.packets++;
			ad->rxq.bytes += len;
			e1000_rx_deliver(ad, skb);
		}
		if (rx_unused(ad) >= E1000_RX_REFILL_BATCH)
			e1000_rx_refill(ad);
	}
	e1000_rx_refill(ad);
	return done;
}

/* ---- transmit ---------------------------------------------------------- */

static u32 tx_pending(const struct e1000_adapter *ad)
{
	return (ad->tx_tail - ad->tx_clean) & (E1000_TX_RING - 1);
}

static u32 tx_unused(const struct e1000_adapter *ad)
{
	return E1000_TX_RING - 1 - tx_pending(ad);
}

/* One frame, one legacy descriptor (SDM 3.3.3). Caller holds tx_lock. */
static int e1000_tx_queue_legacy(struct e1000_adapter *ad, struct sk_buff *skb)
{
	if (tx_unused(ad) == 0)
		return NETDEV_TX_BUSY;
	u32 i = ad->tx_tail;
	struct e1000_tx_desc *d = &ad->tx_ring[i];
	d->addr = virt_to_phys(skb->data);
	d->length = (u16)skb->len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	ad->tx_skb[i] = skb;
	ad->tx_tail = (i + 1) & (E1000_TX_RING - 1);
	return NETDEV_TX_OK;
}

/* The offsets of a CHECKSUM_PARTIAL TCP/IPv4 frame (and, for a GSO
 * frame, the segmentation parameters). -EINVAL if they do not fit the
 * context descriptor's fields. */
static int e1000_tx_offload_of(const struct sk_buff *skb,
			       struct e1000_tx_offload *o)
{
	u32 start = skb->csum_start - skb_headroom(skb);
	memset(o, 0, sizeof(*o));
	if (skb->csum_start < skb_headroom(skb) || start < ETH_HLEN + 20 ||
	    start + 20 > skb->len || start + skb->csum_offset + 2 > 255)
		return -EINVAL;
	o->ipcss = ETH_HLEN;
	o->tucss = (u8)start;
	o->tucso = (u8)(start + skb->csum_offset);
	if (!skb_is_gso(skb))
		return 0;
	u32 hlen = start + (u32)(skb->data[start + 12] >> 4) * 4;
	if (hlen > 255 || hlen >= skb->len)
		return -EINVAL;
	o->hdr_len = (u8)hlen;
	o->mss = skb->gso_size;
	o->paylen = skb->len - hlen;
	return 0;
}

/*
 * TCP segmentation (SDM 3.5): the NIC copies the headers into every
 * segment and fixes lengths, IP ID, sequence number and both checksums,
 * summing over what the fields hold: the IP checksum must be 0 and the
 * TCP one the pseudo-header sum without the length (it adds each
 * segment's).
 */
static void e1000_tso_prep(struct sk_buff *skb,
			   const struct e1000_tx_offload *o)
{
	u8 *ip = skb->data + o->ipcss;
	store_be16(ip + 10, 0);
	store_be16(skb->data + o->tucso,
		   (u16)csum_tcpudp_nofold(load_be32(ip + 12),
					   load_be32(ip + 16), 0, IPPROTO_TCP,
					   0));
}

static void e1000_tx_put_ctx(struct e1000_adapter *ad,
			     const struct e1000_tx_offload *o)
{
	u32 i = ad->tx_tail;
	e1000_tx_ctx_fill((struct e1000_context_desc *)&ad->tx_ring[i], o);
	ad->tx_skb[i] = NULL;
	ad->tx_tail = (i + 1) & (E1000_TX_RING - 1);
}

/* A context only when it changes: the checksum context stays the same
 * for every TCP/IPv4 frame; a TSE context goes with each GSO frame. */
static void e1000_tx_ctx(struct e1000_adapter *ad,
			 const struct e1000_tx_offload *o)
{
	if (!o->mss && ad->tx_csum_ctx_valid &&
	    ad->tx_csum_ctx.tucss == o->tucss &&
	    ad->tx_csum_ctx.tucso == o->tucso)
		return;
	e1000_tx_put_ctx(ad, o);
	if (!o->mss) {
		ad->tx_csum_ctx = *o;
		ad->tx_csum_ctx_valid = true;
	}
	ad->tx_contexts++;
}

/* The frame's data in E1000_TX_DATA_MAX pieces; the skb rides on the
 * last (EOP) descriptor, freed when that one is done. */
static void e1000_tx_put_data(struct e1000_adapter *ad, struct sk_buff *skb,
			      bool tse, u8 popts)
{
	u64 addr = virt_to_phys(skb->data);
	for (u32 off = 0; off < skb->len; off += E1000_TX_DATA_MAX) {
		u32 i = ad->tx_tail, n = MIN(skb->len - off, E1000_TX_DATA_MAX);
		bool eop = off + n == skb->len;
		e1000_tx_data_fill((struct e1000_data_desc *)&ad->tx_ring[i],
				   addr + off, n, tse, eop, off ? 0 : popts);
		ad->tx_skb[i] = eop ? skb : NULL;
		ad->tx_tail = (i + 1) & (E1000_TX_RING - 1);
	}
}

/* A CHECKSUM_PARTIAL (maybe GSO) frame: [context] data... Caller holds
 * tx_lock. BUSY when the ring lacks room for the worst case. */
static int e1000_tx_queue_offload(struct e1000_adapter *ad, struct sk_buff *skb)
{
	struct e1000_tx_offload o;
	u32 need = (skb->len + E1000_TX_DATA_MAX - 1) / E1000_TX_DATA_MAX + 1;
	if (tx_unused(ad) < need)
		return NETDEV_TX_BUSY;
	if (e1000_tx_offload_of(skb, &o) ||
	    (skb_cloned(skb) && skb_unshare(skb)))
		return -EINVAL;
	u8 popts = E1000_TXD_POPTS_TXSM;
	if (o.mss) {
		e1000_tso_prep(skb, &o);
		popts |= E1000_TXD_POPTS_IXSM;
		ad->tx_tso++;
	} else {
		ad->tx_csum_offload++;
	}
	e1000_tx_ctx(ad, &o);
	e1000_tx_put_data(ad, skb, o.mss != 0, popts);
	return NETDEV_TX_OK;
}

static int e1000_tx_queue(struct e1000_adapter *ad, struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return e1000_tx_queue_offload(ad, skb);
	return e1000_tx_queue_legacy(ad, skb);
}

static bool e1000_clean_tx_locked(struct e1000_adapter *ad);

static int e1000_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct e1000_adapter *ad = dev->priv;
	u32 max = skb_is_gso(skb) ? dev->gso_max_size : E1000_TX_MAX_LEN;
	int rc = NETDEV_TX_OK;
	/* Free what was sent (descriptors in RAM, no register read): TX
	 * completions raise no interrupt while the ring has room. */
	e1000_clean_tx_locked(ad);
	if (likely(ad->up && skb->len != 0 && skb->len <= max))
		rc = e1000_tx_queue(ad, skb);
	if (rc == NETDEV_TX_BUSY) {
		/* Full: now a TX-done interrupt is wanted, to wake us. */
		ad->tx_stopped = true; /* the qdisc counts tx_busy */
		ew32(ad, E1000_IMS, ad->ims_tx);
		return NETDEV_TX_BUSY;
	}
	if (!ad->up || skb->len == 0 || skb->len > max || rc < 0) {
		ad->txq.drops++;
		dev->stats.tx_dropped++;
		kfree_skb(skb);
	}
	return NETDEV_TX_OK;
}

/* The doorbell: everything queued since the last one, in one write. */
static void e1000_flush_xmit(struct net_device *dev)
{
	struct e1000_adapter *ad = dev->priv;
	if (ad->tx_doorbell == ad->tx_tail)
		return;
	dma_wmb();
	ew32(ad, E1000_TDT, ad->tx_tail);
	ad->tx_doorbell = ad->tx_tail;
	ad->tx_doorbells++;
}

/* Free what the NIC has sent (DD written back because of RS). Returns
 * true when a stopped queue has room again. */
static bool e1000_clean_tx_locked(struct e1000_adapter *ad)
{
	struct net_device_stats *s = &ad->netdev->stats;
	while (ad->tx_clean != ad->tx_doorbell) {
		u32 i = ad->tx_clean;
		u8 status = READ_ONCE(ad->tx_ring[i].status);
		if (!(status & E1000_TXD_STAT_DD))
			break;
		struct sk_buff *skb = ad->tx_skb[i];
		ad->tx_skb[i] = NULL;
		ad->tx_clean = (i + 1) & (E1000_TX_RING - 1);
		if (!skb)
			continue; /* a context or a frame's first pieces */
		if (status & (E1000_TXD_STAT_EC | E1000_TXD_STAT_LC)) {
			ad->txq.errors++; /* half duplex only (SDM 3.3.3.2) */
			s->tx_errors++;
		} else {
			ad->txq.packets++;
			ad->txq.bytes += skb->len;
		}
		consume_skb(skb);
	}
	if (ad->tx_stopped && tx_unused(ad) >= E1000_TX_WAKE_THRESH) {
		ad->tx_stopped = false;
		return true;
	}
	return false;
}

static void e1000_clean_tx(struct e1000_adapter *ad)
{
	struct net_device *dev = ad->netdev;
	spin_lock(&dev->tx_lock);
	bool wake = e1000_clean_tx_locked(ad);
	spin_unlock(&dev->tx_lock);
	if (wake)
		netif_wake_queue(dev);
}

/* app=reflect: the frame goes straight back out, bypassing the stack. */
static void e1000_rx_deliver(struct e1000_adapter *ad, struct sk_buff *skb)
{
	struct sk_buff *(*reflect)(struct sk_buff *) =
	    READ_ONCE(netdev_rx_reflect);
	if (!reflect) {
		netif_receive_skb(skb);
		return;
	}
	struct net_device *dev = ad->netdev;
	dev->stats.rx_packets++; /* the core never sees these frames */
	dev->stats.rx_bytes += skb->len;
	struct sk_buff *out = reflect(skb);
	if (!out)
		return;
	u32 len = out->len;
	spin_lock(&dev->tx_lock);
	if (len == 0 || len > E1000_TX_MAX_LEN ||
	    e1000_tx_queue(ad, out) != NETDEV_TX_OK) {
		ad->txq.drops++;
		dev->stats.tx_dropped++;
		kfree_skb(out);
	} else {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
	}
	spin_unlock(&dev->tx_lock);
}

/* ---- interrupts and NAPI ----------------------------------------------- */

static void e1000_note_causes(struct e1000_adapter *ad, u32 icr)
{
	__atomic_fetch_or(&ad->icr_pending, icr, __ATOMIC_RELAXED);
}

/*
 * INTx or MSI: one vector for every cause. Reading ICR returns and clears
 * the causes (SDM 13.4.17); 0 means the interrupt was another device's
 * on a shared line.
 */
static void e1000_intr(void *arg)
{
	struct e1000_adapter *ad = arg;
	u32 icr = er32(ad, E1000_ICR);
	if (!icr) {
		ad->irq_none++;
		return;
	}
	if (!ad->up)
		return;
	ew32(ad, E1000_IMC, ~0u);
	ad->rxq.interrupts++;
	ad->txq.interrupts++;
	e1000_note_causes(ad, icr);
	napi_schedule(&ad->napi);
}

/* MSI-X vector 0: queue 0 RX and TX. EIAC cleared their ICR bits when
 * the message was sent (82574 datasheet: EIAC); mask them until the poll
 * ends. */
static void e1000_msix_queue_intr(void *arg)
{
	struct e1000_adapter *ad = arg;
	if (!ad->up)
		return;
	ew32(ad, E1000_IMC, ad->ims_queue | ad->ims_tx);
	ad->rxq.interrupts++;
	ad->txq.interrupts++;
	napi_schedule(&ad->napi);
}

/* MSI-X vector 1: link changes and other causes. In MSI-X mode reading
 * ICR does not clear it: write the bits back (write-1-to-clear). */
static void e1000_msix_other_intr(void *arg)
{
	struct e1000_adapter *ad = arg;
	u32 icr = er32(ad, E1000_ICR) & ~(E1000_ICR_RXQ0 | E1000_ICR_TXQ0);
	ew32(ad, E1000_ICR, icr);
	ad->irq_other++;
	if (!ad->up)
		return;
	e1000_note_causes(ad, icr);
	if (icr & E1000_ICR_LSC)
		napi_schedule(&ad->napi);
}

static bool e1000_has_work(const struct e1000_adapter *ad)
{
	if (rx_posted(ad) &&
	    (READ_ONCE(ad->rx_ring[ad->rx_clean].status) & E1000_RXD_STAT_DD))
		return true;
	return ad->tx_clean != ad->tx_doorbell &&
	       (READ_ONCE(ad->tx_ring[ad->tx_clean].status) &
		E1000_TXD_STAT_DD);
}

/* Busy polling (napi_struct.napi_ready): a received frame, or a TX
 * completion that a stopped queue waits for; descriptor memory only. */
static bool e1000_napi_ready(struct napi_struct *napi)
{
	struct e1000_adapter *ad =
	    container_of(napi, struct e1000_adapter, napi);
	if (!READ_ONCE(ad->up))
		return false;
	if (rx_posted(ad) &&
	    (READ_ONCE(ad->rx_ring[ad->rx_clean].status) & E1000_RXD_STAT_DD))
		return true;
	return READ_ONCE(ad->tx_stopped) && ad->tx_clean != ad->tx_doorbell &&
	       (READ_ONCE(ad->tx_ring[ad->tx_clean].status) &
		E1000_TXD_STAT_DD);
}

/*
 * The end of a busy-poll window: the frames polled meanwhile left their
 * causes in ICR (set whatever IMS says, SDM 13.4.17), which would raise
 * an interrupt for nothing the moment IMS unmasks them. One read clears
 * them; a link change among them is handled here. (MSI-X: ICR reads do
 * not clear; left as it is.)
 */
static void e1000_busy_poll_end(struct e1000_adapter *ad)
{
	if (ad->msix)
		return;
	u32 icr = er32(ad, E1000_ICR);
	if (icr & E1000_ICR_LSC)
		e1000_check_link(ad);
}

static int e1000_poll(struct napi_struct *napi, int budget)
{
	struct e1000_adapter *ad =
	    container_of(napi, struct e1000_adapter, napi);
	if (!ad->up) {
		napi_complete_done(napi, 0);
		return 0;
	}
	ad->rxq.polls++;
	ad->txq.polls++;
	u32 icr = __atomic_exchange_n(&ad->icr_pending, 0, __ATOMIC_RELAXED);
	if (icr & E1000_ICR_LSC)
		e1000_check_link(ad);
	e1000_clean_tx(ad);
	int done = e1000_clean_rx(ad, budget);
	if (READ_ONCE(netdev_rx_reflect)) {
		spin_lock(&ad->netdev->tx_lock);
		e1000_flush_xmit(ad->netdev);
		spin_unlock(&ad->netdev->tx_lock);
	}
	bool was_parked = napi->busy_deadline_ns != 0;
	if (done < budget && napi_complete_done(napi, done)) {
		if (was_parked)
			e1000_busy_poll_end(ad);
		e1000_irq_unmask_queue(ad);
		/* Work that slipped in after the last look (or whose cause a
		 * shared-line read cleared) raises a fresh interrupt. */
		if (e1000_has_work(ad))
			ew32(ad, E1000_ICS, ad->rx_cause);
	}
	return done;
}

/* ---- the watchdog -------------------------------------------------------- */

static void e1000_update_hw_stats(struct e1000_adapter *ad)
{
	struct e1000_hw_stats *h = &ad->hw_stats;
	u32 missed = er32(ad, E1000_MPC);
	h->mpc += missed;
	ad->rxq.drops += missed; /* one queue: every miss is its drop */
	h->rnbc += er32(ad, E1000_RNBC);
	h->ruc += er32(ad, E1000_RUC);
	h->roc += er32(ad, E1000_ROC);
	h->crcerrs += er32(ad, E1000_CRCERRS);
	h->gprc += er32(ad, E1000_GPRC);
	h->gptc += er32(ad, E1000_GPTC);
	ad->netdev->stats.rx_missed = h->mpc;
}

/* Once a second: fold the 32-bit counters before they wrap, catch a lost
 * link interrupt, and kick a poll if the RX ring ran dry (refill failed). */
static void e1000_watchdog(struct timer_list *t)
{
	struct e1000_adapter *ad =
	    container_of(t, struct e1000_adapter, watchdog);
	if (!ad->up)
		return;
	spin_lock(&ad->hw_stats_lock);
	e1000_update_hw_stats(ad);
	spin_unlock(&ad->hw_stats_lock);
	e1000_check_link(ad);
	e1000_clean_tx(ad); /* frames sent while nothing else happened */
	if (rx_posted(ad) < E1000_RX_RING / 2)
		ew32(ad, E1000_ICS, ad->rx_cause);
	mod_timer(&ad->watchdog, get_jiffies() + HZ);
}

/* ---- bring-up ------------------------------------------------------------ */

/* Receive initialization (SDM 14.4): ring, no delay timers, checksum
 * offload, empty multicast table, buffers posted, then RCTL.EN. */
static void e1000_setup_rx(struct e1000_adapter *ad)
{
	u64 ring = virt_to_phys(ad->rx_ring);
	ew32(ad, E1000_RDBAL, (u32)ring);
	ew32(ad, E1000_RDBAH, (u32)(ring >> 32));
	ew32(ad, E1000_RDLEN, E1000_RX_RING * sizeof(struct e1000_rx_desc));
	ew32(ad, E1000_RDH, 0);
	ew32(ad, E1000_RDT, 0);
	ad->rx_clean = ad->rx_use = 0;
	ad->rx_discarding = false;
	ew32(ad, E1000_RDTR, 0); /* no per-frame delay: ITR moderates */
	ew32(ad, E1000_RADV, 0);
	u32 csum = er32(ad, E1000_RXCSUM);
	ew32(ad, E1000_RXCSUM,
	     csum | E1000_RXCSUM_IPOFLD | E1000_RXCSUM_TUOFLD);
	for (u32 i = 0; i < E1000_MTA_ENTRIES; i++)
		ew32(ad, E1000_MTA + 4 * i, 0);
	e1000_rx_refill(ad);
	u32 rctl = E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
		   E1000_RCTL_BSIZE_2048 | E1000_RCTL_RDMTS_HALF;
	if (ad->netdev->flags & IFF_PROMISC)
		rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
	ew32(ad, E1000_RCTL, rctl);
}

/* Transmit initialization (SDM 14.5). */
static void e1000_setup_tx(struct e1000_adapter *ad)
{
	u64 ring = virt_to_phys(ad->tx_ring);
	ew32(ad, E1000_TDBAL, (u32)ring);
	ew32(ad, E1000_TDBAH, (u32)(ring >> 32));
	ew32(ad, E1000_TDLEN, E1000_TX_RING * sizeof(struct e1000_tx_desc));
	ew32(ad, E1000_TDH, 0);
	ew32(ad, E1000_TDT, 0);
	ad->tx_clean = ad->tx_tail = ad->tx_doorbell = 0;
	ad->tx_stopped = false;
	ad->tx_csum_ctx_valid = false; /* a reset forgot it */
	ew32(ad, E1000_TIPG, ad->chip->tipg);
	ew32(ad, E1000_TIDV, 0);
	if (ad->chip->is_82574)
		ew32(ad, E1000_TARC0,
		     er32(ad, E1000_TARC0) | E1000_TARC_ENABLE);
	/* Collision threshold 15 and distance 63 (SDM 13.4.33). */
	ew32(ad, E1000_TCTL,
	     E1000_TCTL_EN | E1000_TCTL_PSP | 15u << E1000_TCTL_CT_SHIFT |
		 63u << E1000_TCTL_COLD_SHIFT | E1000_TCTL_RTLC);
}

/* ITR counts 256 ns units between interrupts (SDM 13.4.18). */
static u32 e1000_itr_value(u32 per_sec)
{
	return (u32)(1000000000ULL / ((u64)per_sec * 256));
}

/*
 * Which causes to enable. MSI-X (82574 datasheet: IVAR): RX and TX of queue 0
 * on vector 0, every other cause on vector 1 (IVAR); EIAC auto-clears the queue
 * causes when their message goes out. Otherwise the classic causes on one
 * vector.
 */
static void e1000_setup_irq_causes(struct e1000_adapter *ad)
{
	u32 itr = e1000_itr_value(E1000_ITR_PER_SEC);
	ew32(ad, E1000_ITR, itr);
	if (ad->msix) {
		u32 ivar = (E1000_IVAR_VALID | 0) << E1000_IVAR_RXQ0_SHIFT |
			   (E1000_IVAR_VALID | 0) << E1000_IVAR_TXQ0_SHIFT |
			   (E1000_IVAR_VALID | 1) << E1000_IVAR_OTHER_SHIFT |
			   E1000_IVAR_TX_EVERY_WB;
		ew32(ad, E1000_IVAR, ivar);
		ew32(ad, E1000_EITR(0), itr);
		ew32(ad, E1000_EITR(1), 0);
		ew32(ad, E1000_CTRL_EXT,
		     er32(ad, E1000_CTRL_EXT) | E1000_CTRL_EXT_PBA_CLR);
		ad->ims_queue = E1000_ICR_RXQ0;
		ad->ims_tx = E1000_ICR_TXQ0;
		ad->ims_other = E1000_ICR_OTHER | E1000_ICR_LSC | E1000_ICR_RXO;
		ad->rx_cause = E1000_ICR_RXQ0;
		ew32(ad, E1000_EIAC, ad->ims_queue | ad->ims_tx);
	} else {
		ad->ims_queue =
		    E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO;
		ad->ims_tx = E1000_ICR_TXDW;
		ad->ims_other = E1000_ICR_LSC | E1000_ICR_RXSEQ;
		ad->rx_cause = E1000_ICR_RXT0;
	}
}

static int e1000_request_irqs(struct e1000_adapter *ad)
{
	struct pci_dev *pdev = ad->pdev;
	const char *name = ad->netdev->name;
	if (ad->irqs_bound)
		return 0; /* bound at the first open */
	if (ad->msix) {
		snprintf(ad->irq_name[0], sizeof(ad->irq_name[0]), "%s-rxtx",
			 name);
		snprintf(ad->irq_name[1], sizeof(ad->irq_name[1]), "%s-other",
			 name);
		int rc = pci_request_irq(pdev, 0, e1000_msix_queue_intr, ad,
					 ad->irq_name[0]);
		if (rc == 0)
			rc = pci_request_irq(pdev, 1, e1000_msix_other_intr, ad,
					     ad->irq_name[1]);
		if (rc < 0)
			return rc;
	} else {
		snprintf(ad->irq_name[0], sizeof(ad->irq_name[0]), "%s", name);
		int rc =
		    pci_request_irq(pdev, 0, e1000_intr, ad, ad->irq_name[0]);
		if (rc < 0)
			return rc;
	}
	ad->irqs_bound = true;
	return 0;
}

static int e1000_open(struct net_device *dev)
{
	struct e1000_adapter *ad = dev->priv;
	int rc = e1000_request_irqs(ad);
	if (rc < 0)
		return rc;
	e1000_write_mac(ad, dev->dev_addr);
	/* Link up; speed and duplex from auto-negotiation (SDM 13.4.1). */
	u32 ctrl = er32(ad, E1000_CTRL);
	ctrl &= ~(E1000_CTRL_LRST | E1000_CTRL_PHY_RST | E1000_CTRL_ILOS |
		  E1000_CTRL_VME);
	ew32(ad, E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);
	e1000_setup_irq_causes(ad);
	e1000_setup_tx(ad);
	e1000_setup_rx(ad);
	ad->up = true;
	(void)er32(ad, E1000_ICR);
	ew32(ad, E1000_IMS, ad->ims_queue | ad->ims_other);
	e1000_flush(ad);
	e1000_check_link(ad);
	mod_timer(&ad->watchdog, get_jiffies() + HZ);
	return 0;
}

static void e1000_free_ring_skbs(struct e1000_adapter *ad)
{
	for (u32 i = 0; i < E1000_RX_RING; i++) {
		if (ad->rx_skb[i])
			kfree_skb(ad->rx_skb[i]);
		ad->rx_skb[i] = NULL;
	}
	for (u32 i = 0; i < E1000_TX_RING; i++) {
		if (ad->tx_skb[i])
			kfree_skb(ad->tx_skb[i]);
		ad->tx_skb[i] = NULL;
	}
}

/* The rings' memory stays (a poll already scheduled finds !up and ends);
 * their skbs go. */
static int e1000_stop(struct net_device *dev)
{
	struct e1000_adapter *ad = dev->priv;
	ad->up = false;
	del_timer_sync(&ad->watchdog);
	ew32(ad, E1000_IMC, ~0u);
	ew32(ad, E1000_RCTL, 0);
	ew32(ad, E1000_TCTL, E1000_TCTL_PSP);
	e1000_flush(ad);
	mdelay(10);
	spin_lock_bh(&dev->tx_lock);
	e1000_free_ring_skbs(ad);
	ad->tx_clean = ad->tx_tail = ad->tx_doorbell = 0;
	spin_unlock_bh(&dev->tx_lock);
	ad->rx_clean = ad->rx_use = 0;
	if (dev->carrier)
		netif_carrier_off(dev);
	return 0;
}

/* ---- ethtool ---------------------------------------------------------------
 */

static void report_queue(ethtool_stat_fn fn, void *ctx, const char *q,
			 const struct e1000_queue_stats *s)
{
	static const char *const names[] = {"packets", "bytes",	     "drops",
					    "errors",  "interrupts", "polls"};
	const u64 v[] = {s->packets, s->bytes,	    s->drops,
			 s->errors,  s->interrupts, s->polls};
	char name[48];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(name, sizeof(name), "%s_%s", q, names[i]);
		fn(ctx, name, v[i]);
	}
}

static void e1000_get_ethtool_stats(struct net_device *dev, ethtool_stat_fn fn,
				    void *ctx)
{
	struct e1000_adapter *ad = dev->priv;
	struct e1000_hw_stats h;
	spin_lock_bh(&ad->hw_stats_lock);
	if (ad->up)
		e1000_update_hw_stats(ad);
	h = ad->hw_stats;
	spin_unlock_bh(&ad->hw_stats_lock);
	report_queue(fn, ctx, "rx_queue_0", &ad->rxq);
	report_queue(fn, ctx, "tx_queue_0", &ad->txq);
	fn(ctx, "rx_alloc_failed", ad->rx_alloc_failed);
	fn(ctx, "rx_length_errors", ad->rx_length_errors);
	fn(ctx, "rx_crc_errors", ad->rx_crc_errors);
	fn(ctx, "rx_csum_offload_good", ad->rx_csum_good);
	fn(ctx, "rx_csum_offload_errors", ad->rx_csum_bad);
	fn(ctx, "tx_doorbells", ad->tx_doorbells);
	fn(ctx, "tx_csum_offload", ad->tx_csum_offload);
	fn(ctx, "tx_tso_frames", ad->tx_tso);
	fn(ctx, "tx_context_descs", ad->tx_contexts);
	fn(ctx, "irq_other", ad->irq_other);
	fn(ctx, "irq_not_ours", ad->irq_none);
	fn(ctx, "napi_budget_exhausted", ad->napi.budget_exhausted);
	fn(ctx, "link_changes", ad->link_changes);
	fn(ctx, "mmio_reads", ad->mmio_reads);
	fn(ctx, "mmio_writes", ad->mmio_writes);
	fn(ctx, "hw_rx_good_packets", h.gprc);
	fn(ctx, "hw_tx_good_packets", h.gptc);
	fn(ctx, "hw_rx_missed_errors", h.mpc);
	fn(ctx, "hw_rx_no_buffer_count", h.rnbc);
	fn(ctx, "hw_rx_long_length_errors", h.roc);
	fn(ctx, "hw_rx_short_length_errors", h.ruc);
	fn(ctx, "hw_rx_crc_errors", h.crcerrs);
}

/* Lines for `ethtool DEV` (the core adds "Link detected" and driver). */
static void e1000_get_link_info(struct net_device *dev, char *buf, size_t n)
{
	struct e1000_adapter *ad = dev->priv;
	u32 status = er32(ad, E1000_STATUS);
	snprintf(buf, n,
		 "Speed: %uMb/s\nDuplex: %s\nAuto-negotiation: on\n"
		 "Port: Twisted Pair\nController: Intel %s\n"
		 "Interrupts: %s, %u vector%s",
		 e1000_speed_mbps(status),
		 status & E1000_STATUS_FD ? "Full" : "Half", ad->chip->model,
		 pci_irq_mode_name(ad->pdev), ad->pdev->nvec,
		 ad->pdev->nvec == 1 ? "" : "s");
}

static const struct net_device_ops e1000_netdev_ops = {
    .ndo_open = e1000_open,
    .ndo_stop = e1000_stop,
    .ndo_start_xmit = e1000_start_xmit,
    .ndo_flush_xmit = e1000_flush_xmit,
    .ndo_set_mac_address = e1000_set_mac_address,
    .ndo_get_ethtool_stats = e1000_get_ethtool_stats,
    .ndo_get_link_info = e1000_get_link_info,
};

/* ---- probe ------------------------------------------------------------------
 */

/* 82574: two MSI-X vectors; else (and on the 8254x) one MSI or INTx. */
static int e1000_setup_interrupts(struct e1000_adapter *ad)
{
	if (ad->chip->is_82574 &&
	    pci_alloc_irq_vectors(ad->pdev, 2, 2, PCI_IRQ_MSIX) == 2) {
		ad->msix = true;
		return 0;
	}
	int n =
	    pci_alloc_irq_vectors(ad->pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	return n < 0 ? n : 0;
}

static int e1000_alloc_rings(struct e1000_adapter *ad)
{
	ad->rx_ring = alloc_page_zeroed();
	ad->tx_ring = alloc_page_zeroed();
	return ad->rx_ring && ad->tx_ring ? 0 : -ENOMEM;
}

static void e1000_init_netdev(struct net_device *dev, struct pci_dev *pdev,
			      const struct e1000_chip *chip, const u8 *mac)
{
	dev->ops = &e1000_netdev_ops;
	dev->driver = chip->driver;
	dev->mtu = 1500;
	dev->flags |= IFF_BROADCAST | IFF_MULTICAST;
	dev->features |= NETIF_F_RXCSUM;
	if (kcfg.nic_offload) { /* SDM 3.3.5-3.3.7: contexts, TSE */
		dev->features |= NETIF_F_IP_CSUM | NETIF_F_TSO;
		dev->gso_max_size = E1000_GSO_MAX_SIZE;
	}
	memcpy(dev->perm_addr, mac, ETH_ALEN);
	memcpy(dev->dev_addr, mac, ETH_ALEN);
	memset(dev->broadcast, 0xff, ETH_ALEN);
	snprintf(dev->bus_info, sizeof(dev->bus_info), "%04x:%02x:%02x.%u",
		 pdev->segment, pdev->bus, pdev->slot, pdev->func);
}

/* Undo e1000_hw_init. The netdev itself stays allocated: the core has
 * no free_netdev yet. */
static void e1000_hw_teardown(struct e1000_adapter *ad)
{
	pci_free_irq_vectors(ad->pdev);
	if (ad->rx_ring)
		free_pages(ad->rx_ring, 0);
	if (ad->tx_ring)
		free_pages(ad->tx_ring, 0);
	ad->rx_ring = NULL;
	ad->tx_ring = NULL;
}

/* Reset, permanent MAC, rings, interrupt vectors. */
static int e1000_hw_init(struct e1000_adapter *ad, u8 *mac)
{
	e1000_reset(ad);
	int rc = e1000_read_mac(ad, mac);
	if (rc < 0) {
		pr_err("e1000: %s: no usable MAC address\n", ad->pdev->name);
		return rc;
	}
	if ((rc = e1000_alloc_rings(ad)) < 0 ||
	    (rc = e1000_setup_interrupts(ad)) < 0)
		e1000_hw_teardown(ad);
	return rc;
}

static int e1000_probe(struct pci_dev *pdev)
{
	const struct e1000_chip *chip = (const void *)pdev->id->driver_data;
	u8 mac[ETH_ALEN];
	pci_enable_device(pdev);
	volatile u8 *hw = pci_iomap(pdev, 0);
	if (!hw)
		return -ENODEV;
	struct net_device *dev =
	    alloc_netdev("eth%d", sizeof(struct e1000_adapter));
	if (!dev)
		return -ENOMEM;
	struct e1000_adapter *ad = dev->priv;
	ad->netdev = dev;
	ad->pdev = pdev;
	ad->hw = hw;
	ad->chip = chip;
	spin_lock_init(&ad->hw_stats_lock, &e1000_stats_class);
	kernel_timer_setup(&ad->watchdog, e1000_watchdog);
	int rc = e1000_hw_init(ad, mac);
	if (rc < 0)
		return rc;
	e1000_init_netdev(dev, pdev, chip, mac);
	netif_napi_add(dev, &ad->napi, e1000_poll, NAPI_POLL_WEIGHT);
	ad->napi.napi_ready = e1000_napi_ready;
	pdev->driver_data = ad;
	if ((rc = register_netdev(dev)) < 0) {
		e1000_hw_teardown(ad);
		return rc;
	}
	pr_info("%s: Intel %s, %s with %u vector%s, rings %u/%u\n", dev->name,
		chip->model, pci_irq_mode_name(pdev), pdev->nvec,
		pdev->nvec == 1 ? "" : "s", E1000_RX_RING, E1000_TX_RING);
	return 0;
}

static const struct pci_device_id e1000_ids[] = {
    {0x8086, 0x100e, (unsigned long)&chip_82540em},
    {0x8086, 0x100f, (unsigned long)&chip_82545em},
    {0},
};
static const struct pci_device_id e1000e_ids[] = {
    {0x8086, 0x10d3, (unsigned long)&chip_82574l},
    {0},
};

/* Two names for one driver, as Linux has, so lspci says which. */
static const struct pci_driver e1000_driver = {
    .name = "e1000",
    .ids = e1000_ids,
    .probe = e1000_probe,
};
static const struct pci_driver e1000e_driver = {
    .name = "e1000e",
    .ids = e1000e_ids,
    .probe = e1000_probe,
};
PCI_DRIVER(e1000_driver);
PCI_DRIVER(e1000e_driver);
