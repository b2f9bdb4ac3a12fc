/*
 * netdevice.h - network devices, NAPI and the device-level RX/TX paths.
 *
 * RX: NIC interrupt -> driver masks its interrupt, napi_schedule() ->
 *     NET_RX_SOFTIRQ -> net_rx_action -> driver poll(napi, budget): takes
 *     completed descriptors, netif_receive_skb() each frame, refills the
 *     ring, reclaims TX completions; returns the frames it handled. If that
 *     is below budget it calls napi_complete_done() and, when that returns
 *     true, unmasks its interrupt. A poll that used its whole budget stays
 *     scheduled and runs again in the next round.
 * Busy polling (net.busy_poll_us > 0; Linux's busy_poll with
 *     napi_defer_hard_irqs): a poll that took frames does not complete:
 *     napi_complete_done returns false, so the interrupt stays masked, and
 *     the napi is parked on its CPU's busy list until busy_poll_us after
 *     its last frame. The idle loop, instead of halting, spins on
 *     napi_busy_loop_once: a parked napi whose napi_ready() sees a
 *     completed descriptor (descriptor memory, no register) or whose
 *     window ended goes back on the poll list; the poll that finds nothing
 *     after the window completes and unmasks. An idle NIC still halts.
 * TX: dev_queue_xmit -> the device's qdisc (pfifo_fast) -> qdisc_run ->
 *     ops->start_xmit for each skb -> ops->flush_xmit once per batch (one
 *     doorbell) -> completions reclaimed in the poll or NET_TX_SOFTIRQ.
 */
#ifndef SKIFF_NETDEVICE_H
#define SKIFF_NETDEVICE_H

#include <skiff/list.h>
#include <skiff/skbuff.h>
#include <skiff/spinlock.h>
#include <skiff/types.h>

#define IFNAMSIZ 16
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_ZLEN 60	   /* minimum frame without FCS */
#define ETH_FRAME_MAX 1514 /* at MTU 1500, without FCS */

/* dev->flags */
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_PROMISC 0x100
#define IFF_MULTICAST 0x1000

/* dev->features */
#define NETIF_F_IP_CSUM 0x1 /* TX: the NIC fills TCP/UDP checksums */
#define NETIF_F_RXCSUM 0x2  /* RX: the NIC verifies checksums */
#define NETIF_F_SG 0x4
#define NETIF_F_TSO 0x8 /* TX: the NIC cuts TCP/IPv4 GSO frames (gso.h) */

enum { NETDEV_TX_OK = 0, NETDEV_TX_BUSY = 1 };

struct net_device;
struct napi_struct;

struct net_device_stats {
	u64 rx_packets, rx_bytes, rx_errors, rx_dropped, rx_missed, multicast;
	u64 rx_crc_errors, rx_length_errors, rx_nohandler, rx_otherhost;
	u64 tx_packets, tx_bytes, tx_errors, tx_dropped, tx_busy;
};

/* ethtool -S: the driver reports each counter through this callback. */
typedef void (*ethtool_stat_fn)(void *ctx, const char *name, u64 value);

/*
 * The driver's side. Unless said otherwise, ops run in process or softirq
 * context with interrupts on, and return 0 or a negative errno.
 */
struct net_device_ops {
	/* Allocate and post rings, enable the NIC and its interrupts. */
	int (*ndo_open)(struct net_device *dev);
	/* Quiesce the NIC, free the rings and every skb they held. */
	int (*ndo_stop)(struct net_device *dev);
	/*
	 * Put one frame (skb->data at the Ethernet header, at most
	 * dev->mtu + ETH_HLEN bytes, linear; up to gso_max_size with
	 * gso_size set if the device has NETIF_F_TSO; CHECKSUM_PARTIAL only
	 * with NETIF_F_IP_CSUM) on the TX ring without telling
	 * the NIC yet. Returns NETDEV_TX_OK: the driver owns the skb and
	 * frees it on completion; or NETDEV_TX_BUSY: the ring is full, the
	 * skb is untouched and still the caller's. Called with dev->tx_lock
	 * held and softirqs off.
	 */
	int (*ndo_start_xmit)(struct sk_buff *skb, struct net_device *dev);
	/* Tell the NIC about every frame queued since the last call (the
	 * doorbell). Same context as ndo_start_xmit. */
	void (*ndo_flush_xmit)(struct net_device *dev);
	/* Program a new unicast MAC (dev->dev_addr is already updated). */
	int (*ndo_set_mac_address)(struct net_device *dev);
	/* Report driver and per-queue counters for `ethtool -S`. */
	void (*ndo_get_ethtool_stats)(struct net_device *dev,
				      ethtool_stat_fn fn, void *ctx);
	/* One line of link facts for `ethtool DEV`: speed, duplex, driver. */
	void (*ndo_get_link_info)(struct net_device *dev, char *buf, size_t n);
};

struct napi_struct {
	struct list_head poll_list; /* on a CPU's poll list while scheduled */
	int (*poll)(struct napi_struct *napi, int budget);
	struct net_device *dev;
	u32 state;  /* NAPI_STATE_* bits */
	int weight; /* budget per poll */
	u32 cpu;
	u64 polls, polled_frames, budget_exhausted;
	/* Busy polling: a cheap "is a frame or a needed completion ready"
	 * that reads descriptor memory only (an MMIO read is an exit to the
	 * emulator); NULL: this napi is never parked. */
	bool (*napi_ready)(struct napi_struct *napi);
	u64 busy_deadline_ns; /* parked until then unless a frame comes */
};
#define NAPI_STATE_SCHED 0x1
#define NAPI_STATE_BUSY 0x2 /* parked on the busy list (SCHED stays set) */
#define NAPI_POLL_WEIGHT 64

struct qdisc;	  /* net/sched.c */
struct in_device; /* IPv4 addresses of the device, net/devinet.c */
struct neigh_table_dev;

struct net_device {
	char name[IFNAMSIZ];
	int ifindex;
	u32 flags;    /* IFF_* */
	u32 features; /* NETIF_F_* */
	bool carrier; /* link up */
	u16 mtu;
	u16 needed_headroom; /* extra bytes the driver pushes (virtio header) */
	u32 gso_max_size;    /* NETIF_F_TSO: largest GSO frame, Ethernet on */
	u8 dev_addr[ETH_ALEN];
	u8 perm_addr[ETH_ALEN]; /* from the EEPROM / device config */
	u8 broadcast[ETH_ALEN];
	const char *driver;
	char bus_info[32]; /* "0000:00:02.0" */
	const struct net_device_ops *ops;
	void *priv; /* the driver's state */
	struct net_device_stats stats;
	spinlock_t tx_lock;
	struct qdisc *qdisc;
	struct in_device *ip_ptr;
	struct list_head dev_list;
	u64 tx_queue_len; /* qdisc limit, packets */
	u32 tx_max_frame; /* the qdisc passes no larger frame (a tbf's burst;
			     GSO frames are cut to it); 0: no bound */
};

/* Device registry. Names are given as "eth%d". */
struct net_device *alloc_netdev(const char *name_fmt, size_t priv_size);
int register_netdev(struct net_device *dev); /* also opens it (IFF_UP) */
struct net_device *dev_get_by_name(const char *name);
struct net_device *dev_get_by_index(int ifindex);
struct net_device *dev_first(void);
void for_each_netdev(void (*fn)(struct net_device *dev, void *ctx), void *ctx);
void netif_carrier_on(struct net_device *dev);
void netif_carrier_off(struct net_device *dev);
int dev_set_mac_address(struct net_device *dev, const u8 mac[ETH_ALEN]);
int dev_set_mtu(struct net_device *dev, u16 mtu);

/* The IPv4 route generation (Linux's rt_genid): bumped on every change
 * that can alter where or how a datagram is sent: a route added or
 * deleted, an address added or deleted, a device registered, opened,
 * closed, its carrier or MTU changed, a path MTU learned. A cached
 * route (ip_output.c) is used only while the generation it was made in
 * is current. */
u32 rt_genid_ipv4(void);
void rt_genid_bump_ipv4(void);

/* NAPI */
void netif_napi_add(struct net_device *dev, struct napi_struct *napi,
		    int (*poll)(struct napi_struct *, int), int weight);
void napi_schedule(struct napi_struct *napi); /* from the IRQ handler */
bool napi_complete_done(struct napi_struct *napi, int work_done);

/*
 * The busy-poll window: a poll that handled work_done frames ends at
 * now_ns with the napi parked until deadline_ns (0: not parked). Returns
 * the new deadline, or 0 when the napi completes (interrupt back on):
 * window_us after the last frame, and never with window_us = 0.
 */
static inline u64 napi_busy_deadline(u64 now_ns, u64 deadline_ns, int work_done,
				     u32 window_us)
{
	if (window_us == 0)
		return 0;
	if (work_done > 0)
		return now_ns + (u64)window_us * 1000;
	return now_ns < deadline_ns ? deadline_ns : 0;
}

/* This CPU has parked napis: the idle loop should spin, not halt. */
bool napi_busy_parked(void);
/* One look at this CPU's parked napis at now_ns: each that is ready or
 * whose window ended goes on the poll list (NET_RX raised). Returns true
 * if it scheduled any. Called with softirqs off (local_bh_disable). */
bool napi_busy_loop_once(u64 now_ns);

/* RX: skb->data at the Ethernet header, skb->len the frame without FCS,
 * skb->dev set. Consumes the skb. */
int netif_receive_skb(struct sk_buff *skb);
/* TX: skb->data at the Ethernet header, skb->dev set. Consumes the skb;
 * returns 0 or -ENOBUFS when the qdisc dropped it (counted). */
int dev_queue_xmit(struct sk_buff *skb);
/* Kick TX on dev (after ring space was reclaimed). */
void netif_wake_queue(struct net_device *dev);

/* Protocol handlers by EtherType (ETH_P_IP, ETH_P_ARP). func consumes
 * skb (data at the network header). */
struct packet_type {
	u16 type; /* host order */
	int (*func)(struct sk_buff *skb, struct net_device *dev);
	struct list_head list;
};
void dev_add_pack(struct packet_type *pt);

/*
 * A tap for packet capture (net/capture.c): sees every frame a driver
 * hands to netif_receive_skb, before the stack, and every frame handed to
 * a driver's ndo_start_xmit (skb->data at the Ethernet header). Unset, it
 * costs one predictable branch per frame.
 */
typedef void (*net_tap_fn)(const struct sk_buff *skb, bool outgoing);
void dev_set_tap(net_tap_fn fn);
extern net_tap_fn netdev_tap;
static inline void dev_tap(const struct sk_buff *skb, bool outgoing)
{
	net_tap_fn t = READ_ONCE(netdev_tap);
	if (unlikely(t != NULL))
		t(skb, outgoing);
}

void net_dev_init(void); /* softirqs, qdisc defaults */

/*
 * L2 reflector (app=reflect): when set, drivers hand received frames to
 * this function from their poll loop instead of the stack; it returns the
 * skb to send back, or NULL.
 */
extern struct sk_buff *(*netdev_rx_reflect)(struct sk_buff *skb);

#endif
