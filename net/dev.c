/*
 * dev.c - network devices: the registry, NAPI and NET_RX_SOFTIRQ, the
 * receive demultiplexer, the transmit entry point, and the console views
 * `ip link`, `ethtool` and `softnet`.
 *
 * RX: driver IRQ -> napi_schedule (this CPU's poll list, NET_RX_SOFTIRQ)
 *     -> net_rx_action: each scheduled napi polled with its weight, at
 *        most NETDEV_BUDGET frames or NETDEV_BUDGET_NS per run
 *     -> driver poll -> netif_receive_skb -> eth_type_trans -> drop other
 *        hosts' frames -> packet_type handler (arp_rcv, ip_rcv)
 * Busy polling (net.busy_poll_us, netdevice.h): napi_complete_done parks
 *     a napi that took frames on softnet's busy_list; the idle loop's
 *     napi_busy_loop_once puts it back on the poll list when ready.
 * TX: dev_queue_xmit -> qdisc_xmit (sched.c) -> dev_tap -> ndo_start_xmit
 * Capture (net/capture.c) taps RX at netif_receive_skb's entry and TX at
 * the driver hand-off in sched.c.
 *
 * Counting: the core counts rx_packets/rx_bytes (every frame a driver
 * hands to netif_receive_skb, Ethernet header included, FCS excluded),
 * multicast, rx_otherhost, rx_nohandler, rx_length_errors (runts) and
 * rx_dropped (device down), and on transmit tx_packets/tx_bytes (frames
 * the driver accepted), tx_dropped and tx_busy. Drivers count what only
 * they see: rx_errors, rx_crc_errors, rx_missed, tx_errors, and their
 * per-queue counters for `ethtool -S`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/gso.h>
#include <skiff/kernel.h>
#include <skiff/net/neighbour.h>
#include <skiff/netdevice.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <skiff/trace.h>

#include <skiff/net/netcore.h>

/* The core's part of a device; the driver's priv area follows it. */
struct netdev_ext {
	struct net_device dev;
	struct netdev_core_stats core;
};
#define NETDEV_EXT_SIZE ALIGN_UP(sizeof(struct netdev_ext), 64)

/* Per-CPU NAPI state (Linux's softnet_data). */
struct softnet_data {
	spinlock_t lock;	    /* poll_list: IRQ vs softirq */
	struct list_head poll_list; /* napi_structs scheduled on this CPU */
	u64 processed;		    /* frames polled */
	u64 time_squeeze;	    /* runs that ended with work left */
	u64 runs;
	/* Busy polling (net.busy_poll_us). busy_list: parked napis, under
	 * lock too (napi_schedule from an interrupt takes one off it). */
	struct list_head busy_list;
	u64 busy_looks; /* napi_busy_loop_once calls (spin iterations) */
	u64 busy_hits;	/* parked napis found ready: polled, no interrupt */
	u64 busy_ends;	/* windows that ended: interrupt back on */
};

static struct softnet_data softnet[NET_MAX_CPUS];
static struct lock_class softnet_class = {.name = "softnet"};
static struct lock_class tx_lock_class = {.name = "tx_lock"};

static LIST_HEAD(dev_list);
static DEFINE_SPINLOCK(dev_lock, "netdev_list");
static int next_ifindex = 1;

static LIST_HEAD(ptype_list);
static DEFINE_SPINLOCK(ptype_lock, "ptype");
net_tap_fn netdev_tap;

struct sk_buff *(*netdev_rx_reflect)(struct sk_buff *skb);

struct netdev_core_stats *netdev_core_stats(struct net_device *dev)
{
	return &container_of(dev, struct netdev_ext, dev)->core;
}

/* ---- the registry ---------------------------------------------------- */

struct net_device *alloc_netdev(const char *name_fmt, size_t priv_size)
{
	struct netdev_ext *ext = calloc(1, NETDEV_EXT_SIZE + priv_size);
	if (!ext)
		return NULL;
	struct net_device *dev = &ext->dev;
	snprintf(dev->name, sizeof(dev->name), "%s", name_fmt);
	dev->flags = IFF_BROADCAST | IFF_MULTICAST;
	dev->mtu = ETH_DATA_LEN;
	memset(dev->broadcast, 0xff, ETH_ALEN);
	dev->tx_queue_len = 1000;
	dev->priv = priv_size ? (u8 *)ext + NETDEV_EXT_SIZE : NULL;
	spin_lock_init(&dev->tx_lock, &tx_lock_class);
	INIT_LIST_HEAD(&dev->dev_list);
	return dev;
}

void free_netdev(struct net_device *dev)
{
	BUG_ON(dev->ifindex); /* registered devices stay */
	qdisc_destroy(dev);
	free(container_of(dev, struct netdev_ext, dev));
}

static struct net_device *find_by_name_locked(const char *name)
{
	struct net_device *dev;
	list_for_each_entry (dev, &dev_list, dev_list) {
		if (strcmp(dev->name, name) == 0)
			return dev;
	}
	return NULL;
}

/* Replace "%d" in dev->name by the lowest free number (dev_alloc_name). */
static int resolve_name_locked(struct net_device *dev)
{
	char fmt[IFNAMSIZ], cand[IFNAMSIZ + 32];
	memcpy(fmt, dev->name, IFNAMSIZ);
	char *pct = strstr(fmt, "%d");
	if (!pct)
		return find_by_name_locked(fmt) ? -EEXIST : 0;
	*pct = '\0';
	for (int n = 0; n < NETDEV_MAX; n++) {
		snprintf(cand, sizeof(cand), "%s%d%s", fmt, n, pct + 2);
		if (strlen(cand) >= IFNAMSIZ)
			return -EINVAL;
		if (!find_by_name_locked(cand)) {
			memcpy(dev->name, cand, IFNAMSIZ);
			return 0;
		}
	}
	return -ENFILE;
}

static int count_devices_locked(void)
{
	int n = 0;
	struct list_head *p;
	list_for_each (p, &dev_list)
		n++;
	return n;
}

static void log_registered(struct net_device *dev)
{
	char mac[18];
	format_mac(dev->dev_addr, mac);
	pr_info("%s: %s%s%s, mac %s, mtu %u\n", dev->name,
		dev->driver ? dev->driver : "netdev",
		dev->bus_info[0] ? " at " : "", dev->bus_info, mac, dev->mtu);
}

static u32 rt_genid;

u32 rt_genid_ipv4(void)
{
	return __atomic_load_n(&rt_genid, __ATOMIC_ACQUIRE);
}

void rt_genid_bump_ipv4(void)
{
	__atomic_fetch_add(&rt_genid, 1, __ATOMIC_RELEASE);
}

int register_netdev(struct net_device *dev)
{
	BUG_ON(!dev->ops || !dev->ops->ndo_start_xmit);
	net_dev_init();
	int err = qdisc_create_default(dev);
	if (err)
		return err;
	spin_lock_bh(&dev_lock);
	err = count_devices_locked() >= NETDEV_MAX ? -ENFILE
						   : resolve_name_locked(dev);
	if (!err) {
		dev->ifindex = next_ifindex++;
		list_add_tail(&dev->dev_list, &dev_list);
	}
	spin_unlock_bh(&dev_lock);
	if (err) {
		pr_err("register_netdev: cannot name '%s' (%d)\n", dev->name,
		       err);
		qdisc_destroy(dev);
		return err;
	}
	log_registered(dev);
	rt_genid_bump_ipv4();
	/* A device that will not open stays registered and DOWN (the error
	 * is logged; `ip link set DEV up` retries): a nonzero return always
	 * means "not registered", so the driver's error path may free it. */
	dev_open(dev);
	return 0;
}

int dev_open(struct net_device *dev)
{
	if (dev->flags & IFF_UP)
		return 0;
	int err = dev->ops->ndo_open ? dev->ops->ndo_open(dev) : 0;
	if (err) {
		pr_err("%s: open failed (%d)\n", dev->name, err);
		return err;
	}
	dev->flags |= IFF_UP;
	rt_genid_bump_ipv4();
	trace(TRACE_DRIVERS, "%s open", dev->name);
	if (dev->carrier)
		dev->flags |= IFF_RUNNING;
	return 0;
}

void dev_close(struct net_device *dev)
{
	if (!(dev->flags & IFF_UP))
		return;
	dev->flags &= ~(IFF_UP | IFF_RUNNING);
	rt_genid_bump_ipv4();
	trace(TRACE_DRIVERS, "%s close", dev->name);
	qdisc_reset(dev);
	neigh_flush(dev); /* Linux's neigh_ifdown: addresses may change */
	if (dev->ops->ndo_stop)
		dev->ops->ndo_stop(dev);
}

struct net_device *dev_get_by_name(const char *name)
{
	spin_lock_bh(&dev_lock);
	struct net_device *dev = find_by_name_locked(name);
	spin_unlock_bh(&dev_lock);
	return dev;
}

struct net_device *dev_get_by_index(int ifindex)
{
	struct net_device *dev, *found = NULL;
	spin_lock_bh(&dev_lock);
	list_for_each_entry (dev, &dev_list, dev_list) {
		if (dev->ifindex == ifindex) {
			found = dev;
			break;
		}
	}
	spin_unlock_bh(&dev_lock);
	return found;
}

struct net_device *dev_first(void)
{
	spin_lock_bh(&dev_lock);
	struct net_device *dev =
	    list_empty(&dev_list)
		? NULL
		: list_first_entry(&dev_list, struct net_device, dev_list);
	spin_unlock_bh(&dev_lock);
	return dev;
}

/* Devices are never unregistered, so a snapshot of pointers stays valid
 * and fn runs without the registry lock. */
void for_each_netdev(void (*fn)(struct net_device *dev, void *ctx), void *ctx)
{
	struct net_device *devs[NETDEV_MAX], *dev;
	int n = 0;
	spin_lock_bh(&dev_lock);
	list_for_each_entry (dev, &dev_list, dev_list) {
		if (n < NETDEV_MAX)
			devs[n++] = dev;
	}
	spin_unlock_bh(&dev_lock);
	for (int i = 0; i < n; i++)
		fn(devs[i], ctx);
}

void netif_carrier_on(struct net_device *dev)
{
	if (__atomic_exchange_n(&dev->carrier, true, __ATOMIC_ACQ_REL))
		return;
	if (dev->flags & IFF_UP)
		dev->flags |= IFF_RUNNING;
	rt_genid_bump_ipv4();
	pr_info("%s: link up\n", dev->name);
	netif_wake_queue(dev);
}

void netif_carrier_off(struct net_device *dev)
{
	if (!__atomic_exchange_n(&dev->carrier, false, __ATOMIC_ACQ_REL))
		return;
	dev->flags &= ~IFF_RUNNING;
	rt_genid_bump_ipv4();
	pr_info("%s: link down\n", dev->name);
}

int dev_set_mac_address(struct net_device *dev, const u8 mac[ETH_ALEN])
{
	u8 old[ETH_ALEN];
	if (!is_valid_ether_addr(mac))
		return -EADDRNOTAVAIL;
	memcpy(old, dev->dev_addr, ETH_ALEN);
	memcpy(dev->dev_addr, mac, ETH_ALEN);
	int err = dev->ops->ndo_set_mac_address
		      ? dev->ops->ndo_set_mac_address(dev)
		      : 0;
	if (err)
		memcpy(dev->dev_addr, old, ETH_ALEN);
	return err;
}

/* 68 (RFC 791) up to 1500: RX buffers are sized for standard frames. */
int dev_set_mtu(struct net_device *dev, u16 mtu)
{
	if (mtu < ETH_MIN_MTU || mtu > ETH_DATA_LEN)
		return -EINVAL;
	dev->mtu = mtu;
	rt_genid_bump_ipv4();
	return 0;
}

/* ---- NAPI ---------------------------------------------------------------- */

void netif_napi_add(struct net_device *dev, struct napi_struct *napi,
		    int (*poll)(struct napi_struct *, int), int weight)
{
	memset(napi, 0, sizeof(*napi));
	INIT_LIST_HEAD(&napi->poll_list);
	napi->poll = poll;
	napi->dev = dev;
	napi->weight = weight > 0 ? weight : NAPI_POLL_WEIGHT;
}

static struct softnet_data *this_softnet(void)
{
	u32 cpu = this_cpu_id();
	BUG_ON(cpu >= NET_MAX_CPUS);
	return &softnet[cpu];
}

/* A parked napi back to its CPU's poll list (sd->lock held). */
static void napi_unpark_locked(struct softnet_data *sd,
			       struct napi_struct *napi)
{
	__atomic_fetch_and(&napi->state, ~NAPI_STATE_BUSY, __ATOMIC_ACQ_REL);
	list_del(&napi->poll_list);
	list_add_tail(&napi->poll_list, &sd->poll_list);
}

/* Scheduled while parked (a link change, a refill timer, a TX ring that
 * filled): poll it now rather than at the end of its window. */
static void napi_schedule_parked(struct napi_struct *napi)
{
	struct softnet_data *sd = &softnet[napi->cpu];
	unsigned long flags = spin_lock_irqsave(&sd->lock);
	bool parked = napi->state & NAPI_STATE_BUSY;
	if (parked)
		napi_unpark_locked(sd, napi);
	spin_unlock_irqrestore(&sd->lock, flags);
	if (parked)
		raise_softirq_on(napi->cpu, NET_RX_SOFTIRQ);
}

void napi_schedule(struct napi_struct *napi)
{
	if (__atomic_fetch_or(&napi->state, NAPI_STATE_SCHED,
			      __ATOMIC_ACQ_REL) &
	    NAPI_STATE_SCHED) {
		if (__atomic_load_n(&napi->state, __ATOMIC_ACQUIRE) &
		    NAPI_STATE_BUSY)
			napi_schedule_parked(napi);
		return; /* already on a poll list */
	}
	struct softnet_data *sd = this_softnet();
	napi->cpu = this_cpu_id();
	unsigned long flags = spin_lock_irqsave(&sd->lock);
	list_add_tail(&napi->poll_list, &sd->poll_list);
	spin_unlock_irqrestore(&sd->lock, flags);
	raise_softirq(NET_RX_SOFTIRQ);
}

/* Called from the napi's own poll (NET_RX on napi->cpu): the napi is on
 * no list. Parks it (returns false: the driver keeps its interrupt
 * masked) while the busy-poll window is open, else completes it. */
bool napi_complete_done(struct napi_struct *napi, int work_done)
{
	u64 deadline = 0;
	u32 window_us = READ_ONCE(kcfg.net_busy_poll_us);
	if (napi->napi_ready && window_us) /* off: no clock read per poll */
		deadline =
		    napi_busy_deadline(ktime_get_ns(), napi->busy_deadline_ns,
				       work_done, window_us);
	struct softnet_data *sd = &softnet[napi->cpu];
	if (deadline) {
		napi->busy_deadline_ns = deadline;
		unsigned long flags = spin_lock_irqsave(&sd->lock);
		__atomic_fetch_or(&napi->state, NAPI_STATE_BUSY,
				  __ATOMIC_ACQ_REL);
		list_add_tail(&napi->poll_list, &sd->busy_list);
		spin_unlock_irqrestore(&sd->lock, flags);
		return false;
	}
	if (napi->busy_deadline_ns) {
		napi->busy_deadline_ns = 0;
		sd->busy_ends++;
	}
	__atomic_fetch_and(&napi->state, ~NAPI_STATE_SCHED, __ATOMIC_ACQ_REL);
	return true;
}

bool napi_busy_parked(void)
{
	struct list_head *head = &this_softnet()->busy_list;
	struct list_head *first = READ_ONCE(head->next);
	/* NULL: a CPU idling before net_dev_init made the lists. */
	return first && first != head;
}

bool napi_busy_loop_once(u64 now_ns)
{
	struct softnet_data *sd = this_softnet();
	struct napi_struct *napi, *next;
	bool scheduled = false;

	sd->busy_looks++;
	unsigned long flags = spin_lock_irqsave(&sd->lock);
	list_for_each_entry_safe (napi, next, &sd->busy_list, poll_list) {
		bool ready = napi->napi_ready(napi);
		if (!ready && now_ns < napi->busy_deadline_ns)
			continue;
		sd->busy_hits += ready;
		napi_unpark_locked(sd, napi);
		scheduled = true;
	}
	spin_unlock_irqrestore(&sd->lock, flags);
	if (scheduled)
		raise_softirq(NET_RX_SOFTIRQ);
	return scheduled;
}

/* Poll one napi with its weight; put it on repoll if it used all of it. */
static int napi_poll_one(struct napi_struct *napi, struct list_head *repoll)
{
	int work = napi->poll(napi, napi->weight);
	napi->polls++;
	if (work > napi->weight) {
		pr_warn("%s: poll returned %d > weight %d\n", napi->dev->name,
			work, napi->weight);
		work = napi->weight;
	}
	napi->polled_frames += (u64)work;
	trace(TRACE_DRIVERS, "%s napi poll %d/%d", napi->dev->name, work,
	      napi->weight);
	if (work == napi->weight) {
		napi->budget_exhausted++;
		/* Still scheduled (the driver did not complete): again. */
		if (__atomic_load_n(&napi->state, __ATOMIC_ACQUIRE) &
		    NAPI_STATE_SCHED)
			list_add_tail(&napi->poll_list, repoll);
	}
	return work;
}

/* NET_RX_SOFTIRQ (Linux's net_rx_action). */
static void net_rx_action(void)
{
	struct softnet_data *sd = this_softnet();
	u64 deadline = ktime_get_ns() + NETDEV_BUDGET_NS;
	int budget = NETDEV_BUDGET;
	LIST_HEAD(list);
	LIST_HEAD(repoll);

	unsigned long flags = spin_lock_irqsave(&sd->lock);
	list_splice_tail_init(&sd->poll_list, &list);
	spin_unlock_irqrestore(&sd->lock, flags);
	sd->runs++;

	netdev_xmit_batch_begin(); /* what the polls send: one doorbell */
	while (!list_empty(&list)) {
		if (budget <= 0 || ktime_get_ns() >= deadline) {
			sd->time_squeeze++;
			break;
		}
		struct napi_struct *napi =
		    list_first_entry(&list, struct napi_struct, poll_list);
		list_del_init(&napi->poll_list);
		int work = napi_poll_one(napi, &repoll);
		budget -= work;
		sd->processed += (u64)work;
	}
	netdev_xmit_batch_end();

	/* Unpolled ones first, then those scheduled meanwhile, then the
	 * ones that used their whole weight (Linux's order). */
	flags = spin_lock_irqsave(&sd->lock);
	list_splice_tail_init(&sd->poll_list, &list);
	list_splice_tail_init(&repoll, &list);
	list_splice_tail_init(&list, &sd->poll_list);
	bool more = !list_empty(&sd->poll_list);
	spin_unlock_irqrestore(&sd->lock, flags);
	if (more)
		raise_softirq(NET_RX_SOFTIRQ);
}

/* ---- receive ----------------------------------------------------------- */

void dev_add_pack(struct packet_type *pt)
{
	spin_lock_bh(&ptype_lock);
	list_add_tail(&pt->list, &ptype_list);
	spin_unlock_bh(&ptype_lock);
}

/* Handlers are added at init and never removed: lookups need no lock. */
static struct packet_type *find_ptype(u16 type)
{
	struct packet_type *pt;
	list_for_each_entry (pt, &ptype_list, list) {
		if (pt->type == type)
			return pt;
	}
	return NULL;
}

void dev_set_tap(net_tap_fn fn)
{
	WRITE_ONCE(netdev_tap, fn);
}

static int rx_drop(struct sk_buff *skb, u64 *counter, int err)
{
	(*counter)++;
	kfree_skb(skb);
	return err;
}

static bool is_vlan_type(u16 type)
{
	return type == ETH_P_8021Q || type == 0x88a8; /* 802.1Q, 802.1ad */
}

int netif_receive_skb(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	BUG_ON(!dev);

	if (!skb->tstamp_ns)
		skb->tstamp_ns = ktime_get_ns();
	dev_tap(skb, false);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += skb->len;
	if (!(dev->flags & IFF_UP)) {
		netdev_core_stats(dev)->rx_down++;
		return rx_drop(skb, &dev->stats.rx_dropped, -ENETDOWN);
	}
	if (skb->len < ETH_HLEN)
		return rx_drop(skb, &dev->stats.rx_length_errors, -EINVAL);

	u16 type = eth_type_trans(skb, dev);
	if (skb->pkt_type == PACKET_OTHERHOST)
		return rx_drop(skb, &dev->stats.rx_otherhost, 0);
	if (skb->pkt_type == PACKET_MULTICAST)
		dev->stats.multicast++;
	struct packet_type *pt = find_ptype(type);
	if (!pt) {
		if (is_vlan_type(type))
			netdev_core_stats(dev)->rx_vlan++;
		return rx_drop(skb, &dev->stats.rx_nohandler, -EPROTONOSUPPORT);
	}
	skb_reset_network_header(skb);
	return pt->func(skb, dev);
}

/* ---- transmit ----------------------------------------------------------- */

/* What the device cannot offload is done first (net/gso.c): a GSO frame
 * may become several segments, each queued. */
int dev_queue_xmit(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct sk_buff_head frames;
	int err;
	BUG_ON(!dev);

	if (!(dev->flags & IFF_UP) || !dev->carrier) {
		dev->stats.tx_dropped++;
		netdev_core_stats(dev)->tx_down++;
		kfree_skb(skb);
		return -ENETDOWN;
	}
	if (likely(skb->ip_summed != CHECKSUM_PARTIAL ||
		   (dev->features & NETIF_F_IP_CSUM)) &&
	    likely(!skb_is_gso(skb)))
		return qdisc_xmit(dev, skb); /* nothing to do: the fast path */
	skb_queue_head_init(&frames);
	err = validate_xmit_skb(dev, skb, &frames);
	if (err)
		dev->stats.tx_dropped++;
	while ((skb = skb_dequeue(&frames)) != NULL) {
		int e = qdisc_xmit(dev, skb);
		if (e)
			err = e;
	}
	return err;
}

void net_dev_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int i = 0; i < NET_MAX_CPUS; i++) {
		spin_lock_init(&softnet[i].lock, &softnet_class);
		INIT_LIST_HEAD(&softnet[i].poll_list);
		INIT_LIST_HEAD(&softnet[i].busy_list);
	}
	open_softirq(NET_RX_SOFTIRQ, net_rx_action);
	net_sched_init();
}

/* ---- `ip link` ------------------------------------------------------------
 */

struct link_opts {
	int stats; /* -s given this many times */
	const char *dev;
};

static void print_link_flags(const struct net_device *dev)
{
	bool up = dev->flags & IFF_UP;
	shell_printf("<%s%s%s%s%s%s>", up && !dev->carrier ? "NO-CARRIER," : "",
		     dev->flags & IFF_BROADCAST ? "BROADCAST," : "",
		     dev->flags & IFF_MULTICAST ? "MULTICAST," : "",
		     dev->flags & IFF_PROMISC ? "PROMISC," : "", up ? "UP" : "",
		     up && dev->carrier ? ",LOWER_UP" : "");
}

static int num_width(u64 v)
{
	int w = 1;
	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

/* iproute2's column widths: the header word's, or wider numbers'. */
static void size_columns(int cols[6], const u64 rx[6], const u64 tx[6])
{
	static const int base[6] = {10, 7, 6, 7, 7, 7};
	for (int i = 0; i < 6; i++)
		cols[i] = MAX(base[i], MAX(num_width(rx[i]), num_width(tx[i])));
}

static void print_num_row(const int cols[6], const u64 v[6])
{
	shell_printf("    %*llu %*llu %*llu %*llu %*llu %*llu\n", cols[0], v[0],
		     cols[1], v[1], cols[2], v[2], cols[3], v[3], cols[4], v[4],
		     cols[5], v[5]);
}

static void print_link_stats(const struct net_device *dev, int level)
{
	const struct net_device_stats *s = &dev->stats;
	u64 rx[6] = {s->rx_bytes,   s->rx_packets, s->rx_errors,
		     s->rx_dropped, s->rx_missed,  s->multicast};
	u64 tx[6] = {
	    s->tx_bytes, s->tx_packets, s->tx_errors, s->tx_dropped, 0, 0};
	u64 rxe[6] = {0, s->rx_length_errors, s->rx_crc_errors, 0,
		      0, s->rx_missed};
	u64 txe[6] = {0};
	int cols[6];

	size_columns(cols, rx, tx);
	shell_printf("    RX: %*s %*s %*s %*s %*s %*s%s\n", cols[0] - 4,
		     "bytes", cols[1], "packets", cols[2], "errors", cols[3],
		     "dropped", cols[4], "missed", cols[5], "mcast",
		     s->rx_nohandler ? "  nohandler" : "");
	if (s->rx_nohandler)
		shell_printf("    %*llu %*llu %*llu %*llu %*llu %*llu %10llu\n",
			     cols[0], rx[0], cols[1], rx[1], cols[2], rx[2],
			     cols[3], rx[3], cols[4], rx[4], cols[5], rx[5],
			     s->rx_nohandler);
	else
		print_num_row(cols, rx);
	if (level > 1) {
		shell_printf("    RX errors: %*s %*s %*s %*s %*s %*s\n",
			     cols[1], "length", cols[2], "crc", cols[3],
			     "frame", cols[4], "fifo", cols[5], "overrun", 9,
			     "otherhost");
		shell_printf("    %*s %*llu %*llu %*llu %*llu %*llu %9llu\n",
			     cols[0], "", cols[1], rxe[1], cols[2], rxe[2],
			     cols[3], rxe[3], cols[4], rxe[4], cols[5], rxe[5],
			     s->rx_otherhost);
	}
	shell_printf("    TX: %*s %*s %*s %*s %*s %*s\n", cols[0] - 4, "bytes",
		     cols[1], "packets", cols[2], "errors", cols[3], "dropped",
		     cols[4], "carrier", cols[5], "collsns");
	print_num_row(cols, tx);
	if (level > 1) {
		shell_printf("    TX errors: %*s %*s %*s %*s %*s\n", cols[1],
			     "aborted", cols[2], "fifo", cols[3], "window",
			     cols[4], "heartbt", cols[5], "transns");
		shell_printf("    %*s %*llu %*llu %*llu %*llu %*llu\n", cols[0],
			     "", cols[1], txe[1], cols[2], txe[2], cols[3],
			     txe[3], cols[4], txe[4], cols[5], txe[5]);
	}
}

static void print_link(struct net_device *dev, void *ctx)
{
	const struct link_opts *o = ctx;
	char mac[18], brd[18];
	bool up = dev->flags & IFF_UP;

	if (o->dev && strcmp(o->dev, dev->name) != 0)
		return;
	shell_printf("%d: %s: ", dev->ifindex, dev->name);
	print_link_flags(dev);
	struct qdisc_stats q = {0};
	if (dev->qdisc)
		qdisc_get_stats(dev, &q);
	shell_printf(" mtu %u qdisc %s state %s mode DEFAULT group "
		     "default qlen %llu\n",
		     dev->mtu, q.tbf.rate ? "tbf" : "pfifo_fast",
		     up && dev->carrier ? "UP" : "DOWN", dev->tx_queue_len);
	format_mac(dev->dev_addr, mac);
	format_mac(dev->broadcast, brd);
	shell_printf("    link/ether %s brd %s\n", mac, brd);
	if (o->stats)
		print_link_stats(dev, o->stats);
}

static bool word_matches(const char *word, const char *full)
{
	size_t n = strlen(word);
	return n > 0 && strncmp(word, full, n) == 0;
}

static struct net_device *find_dev_or_say(const char *name)
{
	struct net_device *dev = dev_get_by_name(name);
	if (!dev)
		shell_printf("Device \"%s\" does not exist.\n", name);
	return dev;
}

static int link_show(int argc, char **argv, struct link_opts *o)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "dev") == 0 && i + 1 < argc)
			o->dev = argv[++i];
		else if (!o->dev)
			o->dev = argv[i];
		else
			return -EINVAL;
	}
	if (o->dev && !find_dev_or_say(o->dev))
		return SHELL_ERR_SHOWN;
	for_each_netdev(print_link, o);
	return 0;
}

/* One `ip link set` attribute: up, down, mtu N, address MAC, txqueuelen
 * N (qlen N: the qdisc's limit in frames, 1..1000000). */
static int link_set_one(struct net_device *dev, int argc, char **argv,
			int *used)
{
	*used = 1;
	if (strcmp(argv[0], "up") == 0)
		return dev_open(dev);
	if (strcmp(argv[0], "down") == 0) {
		dev_close(dev);
		return 0;
	}
	if (argc < 2)
		return -EINVAL;
	*used = 2;
	if (strcmp(argv[0], "mtu") == 0) {
		char *end;
		unsigned long mtu = strtoul(argv[1], &end, 10);
		if (*end || mtu > 0xffff)
			return -EINVAL;
		return dev_set_mtu(dev, (u16)mtu);
	}
	if (strcmp(argv[0], "address") == 0) {
		u8 mac[ETH_ALEN];
		if (parse_mac(argv[1], mac))
			return -EINVAL;
		return dev_set_mac_address(dev, mac);
	}
	if (strcmp(argv[0], "txqueuelen") == 0 ||
	    strcmp(argv[0], "qlen") == 0 || strcmp(argv[0], "txqlen") == 0) {
		char *end;
		unsigned long n = strtoul(argv[1], &end, 10);
		if (*end || argv[1][0] < '0' || argv[1][0] > '9' || n < 1 ||
		    n > 1000000)
			return -EINVAL;
		WRITE_ONCE(dev->tx_queue_len, (u64)n);
		return 0;
	}
	return -EINVAL;
}

static int link_set(int argc, char **argv)
{
	int i = 0, used;
	if (i < argc && strcmp(argv[i], "dev") == 0)
		i++;
	if (i >= argc)
		return -EINVAL;
	struct net_device *dev = find_dev_or_say(argv[i++]);
	if (!dev)
		return SHELL_ERR_SHOWN;
	if (i >= argc)
		return -EINVAL;
	for (; i < argc; i += used) {
		int err = link_set_one(dev, argc - i, argv + i, &used);
		if (err == -EINVAL && used == 2 && i + 1 < argc) {
			shell_printf("Error: argument \"%s\" is wrong: "
				     "invalid value\n",
				     argv[i + 1]);
			return SHELL_ERR_SHOWN;
		}
		if (err)
			return err;
	}
	return 0;
}

int ip_link_cmd(int argc, char **argv)
{
	struct link_opts o = {0};
	char *rest[SHELL_MAX_ARGS];
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "-stats") == 0 ||
		    strcmp(argv[i], "-statistics") == 0)
			o.stats++;
		else if (argv[i][0] == '-')
			continue; /* -4, -d and the like change nothing here */
		else
			rest[n++] = argv[i];
	}
	if (n == 0)
		return link_show(0, rest, &o);
	if (word_matches(rest[0], "show") || word_matches(rest[0], "list"))
		return link_show(n - 1, rest + 1, &o);
	if (strcmp(rest[0], "set") == 0)
		return link_set(n - 1, rest + 1);
	return -EINVAL;
}

/* ---- `ethtool` --------------------------------------------------------------
 */

static void print_stat(void *ctx, const char *name, u64 value)
{
	(void)ctx;
	shell_printf("     %s: %llu\n", name, value);
}

static void ethtool_settings(struct net_device *dev)
{
	char info[256] = "";
	shell_printf("Settings for %s:\n", dev->name);
	if (dev->ops->ndo_get_link_info)
		dev->ops->ndo_get_link_info(dev, info, sizeof(info));
	if (!info[0] || !dev->carrier)
		snprintf(info, sizeof(info),
			 "Speed: Unknown!\nDuplex: "
			 "Unknown! (255)");
	for (char *line = strtok(info, "\n"); line; line = strtok(NULL, "\n"))
		shell_printf("\t%s\n", line);
	shell_printf("\tLink detected: %s\n", dev->carrier ? "yes" : "no");
	shell_printf("driver: %s\nbus-info: %s\n",
		     dev->driver ? dev->driver : "", dev->bus_info);
}

static void ethtool_driver(struct net_device *dev)
{
	shell_printf("driver: %s\nversion: skiff\nbus-info: %s\n"
		     "supports-statistics: %s\n",
		     dev->driver ? dev->driver : "", dev->bus_info,
		     dev->ops->ndo_get_ethtool_stats ? "yes" : "no");
}

static void ethtool_stats(struct net_device *dev)
{
	struct qdisc_stats q;
	qdisc_get_stats(dev, &q);
	shell_printf("NIC statistics:\n");
	if (dev->ops->ndo_get_ethtool_stats)
		dev->ops->ndo_get_ethtool_stats(dev, print_stat, NULL);
	print_stat(NULL, "rx_otherhost", dev->stats.rx_otherhost);
	print_stat(NULL, "rx_nohandler", dev->stats.rx_nohandler);
	print_stat(NULL, "rx_vlan_dropped", netdev_core_stats(dev)->rx_vlan);
	print_stat(NULL, "rx_runts", dev->stats.rx_length_errors);
	print_stat(NULL, "tx_busy", dev->stats.tx_busy);
	print_stat(NULL, "qdisc_drops", q.drops);
	print_stat(NULL, "qdisc_requeues", q.requeues);
	print_stat(NULL, "qdisc_doorbells", q.doorbells);
	print_stat(NULL, "qdisc_doorbells_deferred", q.deferred);
	print_stat(NULL, "qdisc_backlog", q.qlen);
}

static int cmd_ethtool(int argc, char **argv)
{
	const char *opt = NULL;
	if (argc == 3 && argv[1][0] == '-')
		opt = argv[1];
	else if (argc != 2)
		return -EINVAL;
	struct net_device *dev = dev_get_by_name(argv[argc - 1]);
	if (!dev) {
		shell_printf("ethtool: no device \"%s\"\n", argv[argc - 1]);
		return SHELL_ERR_SHOWN;
	}
	if (!opt)
		ethtool_settings(dev);
	else if (strcmp(opt, "-S") == 0 || strcmp(opt, "--statistics") == 0)
		ethtool_stats(dev);
	else if (strcmp(opt, "-i") == 0 || strcmp(opt, "--driver") == 0)
		ethtool_driver(dev);
	else
		return -EINVAL;
	return 0;
}
SHELL_CMD("ethtool", cmd_ethtool, "ethtool [-S|-i] DEV",
	  "link settings, driver (-i) or NIC statistics (-S) of a device");

/* ---- `softnet`: /proc/net/softnet_stat, readable ------------------------- */

static int cmd_softnet(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return -EINVAL;
	shell_printf("CPU   PROCESSED  SQUEEZED        RUNS   BUSY_HITS   "
		     "BUSY_ENDS  BUSY_LOOKS\n");
	for (u32 i = 0; i < online_cpus() && i < NET_MAX_CPUS; i++) {
		struct softnet_data *sd = &softnet[i];
		shell_printf(
		    "cpu%-2u %10llu %9llu %11llu %11llu %11llu %11llu\n", i,
		    sd->processed, sd->time_squeeze, sd->runs, sd->busy_hits,
		    sd->busy_ends, sd->busy_looks);
	}
	shell_printf("busy polling: net.busy_poll_us=%u\n",
		     READ_ONCE(kcfg.net_busy_poll_us));
	return 0;
}
SHELL_CMD("softnet", cmd_softnet, "softnet",
	  "NET_RX per CPU: frames polled, runs cut short by the budget, "
	  "busy polling (parked rings found ready, windows ended, looks)");
