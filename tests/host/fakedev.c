/*
 * fakedev.c - a fake Ethernet device for host tests: what it transmits
 * lands on a list the test pops, and what the test feeds in goes up the
 * stack either directly (host_fakedev_rx) or through a NAPI poll
 * (host_fakedev_rx_napi). See host.h.
 */
#include <stdio.h>
#include <string.h>

#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>

#include "host.h"

struct fakedev {
	struct sk_buff_head tx;	     /* frames ndo_start_xmit accepted */
	struct sk_buff_head rx_ring; /* frames waiting for the NAPI poll */
	struct napi_struct napi;
	int tx_room; /* frames accepted before NETDEV_TX_BUSY; -1 = no limit */
	u64 xmits, busy, doorbells, polls;
	int id;
	host_tx_hook_fn tx_hook; /* the test's "peer", or NULL */
	void *tx_hook_ctx;
};

static int fakedev_count;

static struct fakedev *fd_of(struct net_device *dev)
{
	BUG_ON(!dev || !dev->driver || strcmp(dev->driver, "fakedev") != 0);
	return dev->priv;
}

static int fake_open(struct net_device *dev)
{
	(void)dev;
	return 0;
}

static int fake_stop(struct net_device *dev)
{
	struct fakedev *fd = fd_of(dev);
	skb_queue_purge(&fd->tx);
	skb_queue_purge(&fd->rx_ring);
	return 0;
}

static int fake_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct fakedev *fd = fd_of(dev);
	if (fd->tx_room == 0) {
		fd->busy++;
		return NETDEV_TX_BUSY;
	}
	if (fd->tx_room > 0)
		fd->tx_room--;
	fd->xmits++;
	skb_queue_tail(&fd->tx, skb);
	if (fd->tx_hook)
		fd->tx_hook(dev, skb->data, skb->len, fd->tx_hook_ctx);
	return NETDEV_TX_OK;
}

static void fake_flush_xmit(struct net_device *dev)
{
	fd_of(dev)->doorbells++;
}

static int fake_set_mac(struct net_device *dev)
{
	(void)dev;
	return 0;
}

static void fake_ethtool_stats(struct net_device *dev, ethtool_stat_fn fn,
			       void *ctx)
{
	struct fakedev *fd = fd_of(dev);
	fn(ctx, "tx_queue_0_packets", fd->xmits);
	fn(ctx, "tx_queue_0_busy", fd->busy);
	fn(ctx, "tx_queue_0_doorbells", fd->doorbells);
	fn(ctx, "rx_queue_0_polls", fd->polls);
}

static void fake_link_info(struct net_device *dev, char *buf, size_t n)
{
	(void)dev;
	snprintf(buf, n, "Speed: 1000Mb/s\nDuplex: Full");
}

static const struct net_device_ops fake_ops = {
    .ndo_open = fake_open,
    .ndo_stop = fake_stop,
    .ndo_start_xmit = fake_start_xmit,
    .ndo_flush_xmit = fake_flush_xmit,
    .ndo_set_mac_address = fake_set_mac,
    .ndo_get_ethtool_stats = fake_ethtool_stats,
    .ndo_get_link_info = fake_link_info,
};

/* NAPI poll: up to budget frames off the fake ring into the stack. */
static int fake_poll(struct napi_struct *napi, int budget)
{
	struct fakedev *fd = napi->dev->priv;
	struct sk_buff *skb;
	int done = 0;
	fd->polls++;
	while (done < budget && (skb = skb_dequeue(&fd->rx_ring))) {
		netif_receive_skb(skb);
		done++;
	}
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

struct net_device *host_fakedev_create(const char *name_fmt, const u8 mac[6])
{
	host_init();
	skb_init();
	net_dev_init();
	struct net_device *dev = alloc_netdev(name_fmt, sizeof(struct fakedev));
	BUG_ON(!dev);
	struct fakedev *fd = dev->priv;
	skb_queue_head_init(&fd->tx);
	skb_queue_head_init(&fd->rx_ring);
	fd->tx_room = -1;
	fd->id = fakedev_count++;
	dev->ops = &fake_ops;
	dev->driver = "fakedev";
	snprintf(dev->bus_info, sizeof(dev->bus_info), "host:%d", fd->id);
	static const u8 dflt[6] = {0x02, 0, 0, 0, 0, 0};
	memcpy(dev->dev_addr, mac ? mac : dflt, ETH_ALEN);
	if (!mac)
		dev->dev_addr[5] = (u8)(fd->id + 1);
	memcpy(dev->perm_addr, dev->dev_addr, ETH_ALEN);
	netif_napi_add(dev, &fd->napi, fake_poll, NAPI_POLL_WEIGHT);
	BUG_ON(register_netdev(dev) != 0);
	netif_carrier_on(dev); /* "eth0: link up", IFF_RUNNING */
	return dev;
}

int host_fakedev_pop_tx(struct net_device *dev, u8 *buf, size_t cap)
{
	struct sk_buff *skb = skb_dequeue(&fd_of(dev)->tx);
	if (!skb)
		return -1;
	int len = (int)skb->len;
	memcpy(buf, skb->data, MIN((size_t)skb->len, cap));
	consume_skb(skb);
	return len;
}

u32 host_fakedev_tx_pending(struct net_device *dev)
{
	return skb_queue_len(&fd_of(dev)->tx);
}

void host_fakedev_tx_clear(struct net_device *dev)
{
	struct sk_buff *skb;
	while ((skb = skb_dequeue(&fd_of(dev)->tx)))
		consume_skb(skb);
}

u64 host_fakedev_doorbells(struct net_device *dev)
{
	return fd_of(dev)->doorbells;
}

void host_fakedev_set_tx_room(struct net_device *dev, int room)
{
	fd_of(dev)->tx_room = room;
}

void host_fakedev_set_tx_hook(struct net_device *dev, host_tx_hook_fn fn,
			      void *ctx)
{
	struct fakedev *fd = fd_of(dev);
	fd->tx_hook = fn;
	fd->tx_hook_ctx = ctx;
}

static struct sk_buff *frame_skb(struct net_device *dev, const u8 *frame,
				 size_t len)
{
	struct sk_buff *skb = netdev_alloc_skb(dev, (u32)len);
	if (!skb)
		return NULL;
	memcpy(skb_put(skb, (u32)len), frame, len);
	skb->dev = dev;
	return skb;
}

void host_fakedev_rx(struct net_device *dev, const u8 *frame, size_t len)
{
	struct sk_buff *skb = frame_skb(dev, frame, len);
	if (!skb)
		return;
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();
}

void host_fakedev_rx_napi(struct net_device *dev, const u8 *frame, size_t len)
{
	struct fakedev *fd = fd_of(dev);
	struct sk_buff *skb = frame_skb(dev, frame, len);
	if (!skb)
		return;
	skb_queue_tail(&fd->rx_ring, skb);
	napi_schedule(&fd->napi);
}

u64 host_fakedev_polls(struct net_device *dev)
{
	return fd_of(dev)->polls;
}

u32 host_fakedev_rx_ring_len(struct net_device *dev)
{
	return skb_queue_len(&fd_of(dev)->rx_ring);
}

static bool fake_napi_ready(struct napi_struct *napi)
{
	return skb_queue_len(&fd_of(napi->dev)->rx_ring) > 0;
}

void host_fakedev_set_busy_poll(struct net_device *dev, bool on)
{
	fd_of(dev)->napi.napi_ready = on ? fake_napi_ready : NULL;
}

void host_fakedev_rx_ring_add(struct net_device *dev, const u8 *frame,
			      size_t len)
{
	struct fakedev *fd = fd_of(dev);
	struct sk_buff *skb = frame_skb(dev, frame, len);
	if (skb)
		skb_queue_tail(&fd->rx_ring, skb);
}
