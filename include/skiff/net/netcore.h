/*
 * net/netcore.h - what the device-layer files (net/dev.c, sched.c,
 * ethernet.c, arp.c) share among themselves and with their unit tests.
 * Not an API for drivers or other layers: those use netdevice.h, ether.h
 * and neighbour.h.
 */
#ifndef SKIFF_NET_NETCORE_H
#define SKIFF_NET_NETCORE_H

#include <skiff/netdevice.h>

#define NET_MAX_CPUS 64	  /* softnet_data slots: CPU ids are below this */
#define NETDEV_MAX 32	  /* registered devices at most */
#define NETDEV_BUDGET 300 /* frames per NET_RX run (Linux netdev_budget) */
#define NETDEV_BUDGET_NS 2000000ULL /* 2 ms (Linux netdev_budget_usecs) */
#define ETH_DATA_LEN 1500
#define ETH_MIN_MTU 68 /* RFC 791: every IPv4 host handles 68 */

/* ---- dev.c ---------------------------------------------------------- */

/* Counters the core keeps per device beyond struct net_device_stats. */
struct netdev_core_stats {
	u64 rx_vlan; /* 802.1Q/802.1ad tagged frames (no VLAN support) */
	u64 rx_down; /* frames that arrived while the device was down */
	u64 tx_down; /* frames sent while down or without carrier */
};
struct netdev_core_stats *netdev_core_stats(struct net_device *dev);

/* Free a device from alloc_netdev that was never registered (or whose
 * registration failed): a driver's probe error path. */
void free_netdev(struct net_device *dev);

/* Open / close a registered device (ip link set DEV up|down). */
int dev_open(struct net_device *dev);
void dev_close(struct net_device *dev);

/* `ip link ...`: argv[0] is the object word; options (-s) may follow
 * anywhere (net/devinet.c's `ip` dispatcher moves them there). */
int ip_link_cmd(int argc, char **argv);

/* ---- ethernet.c ----------------------------------------------------- */

/* Parse "52:54:00:12:34:56" (hex octets, any case). 0 or -EINVAL. */
int parse_mac(const char *s, u8 mac[ETH_ALEN]);

/* ---- sched.c -------------------------------------------------------- */

#define PFIFO_FAST_BANDS 3
#define QDISC_QUOTA 64 /* frames per qdisc run (Linux dev_tx_weight) */

/* The token-bucket shaper (Linux sch_tbf) in front of pfifo_fast's bands:
 * rate in bytes/s (0 = none), the bucket's depth, and the queue's bound
 * in bytes (rate x latency + burst, as tc computes it from latency). */
struct tbf_params {
	u64 rate;  /* bytes per second */
	u32 burst; /* bytes */
	u32 limit; /* bytes queued at most */
	u32 latency_ms;
};

struct qdisc_stats {
	u64 packets, bytes; /* handed to the driver */
	u64 drops;	    /* tail drops at the limit */
	u64 requeues;	    /* NETDEV_TX_BUSY answers */
	u64 doorbells;	    /* ndo_flush_xmit calls */
	u64 deferred;	    /* doorbells left to a batch's end */
	u32 qlen;	    /* frames queued now */
	u64 backlog_bytes;
	bool stopped;	       /* waiting for netif_wake_queue */
	u64 overlimits;	       /* tbf: a frame waited for tokens */
	u64 oversize;	       /* tbf: a frame beyond the burst, dropped */
	bool throttled;	       /* tbf: waiting for tokens now */
	struct tbf_params tbf; /* rate 0: pfifo_fast alone */
};

/* Attach a pfifo_fast qdisc to dev (register_netdev). 0 or -ENOMEM. */
int qdisc_create_default(struct net_device *dev);
/* Enqueue skb (consumed) and run the qdisc. 0 or -ENOBUFS (dropped). */
int qdisc_xmit(struct net_device *dev, struct sk_buff *skb);
/* Defer TX doorbells on this CPU until the matching _end (nests). */
void netdev_xmit_batch_begin(void);
void netdev_xmit_batch_end(void);
/* Drop everything queued (the device went down). */
void qdisc_reset(struct net_device *dev);
/* Free dev's qdisc (free_netdev, failed registration). */
void qdisc_destroy(struct net_device *dev);
void qdisc_get_stats(const struct net_device *dev, struct qdisc_stats *s);
/*
 * Shape dev's output with a token bucket (p->rate > 0) or stop shaping
 * (p NULL). p->limit 0: from p->latency_ms. Refused with -EINVAL and a
 * reason in why (n bytes) when the burst holds less than one full frame
 * at the device's MTU or less than one tick (1 ms) at the rate; queued
 * frames stay queued. The bucket starts full.
 */
int qdisc_set_tbf(struct net_device *dev, const struct tbf_params *p, char *why,
		  size_t n);
/* The tbf burst tc would pick: 10 ms at the rate, at least 4 frames. */
u32 tbf_auto_burst(u64 rate, u16 mtu);
/* The band pfifo_fast puts a frame in (0 is served first). */
u32 pfifo_fast_band(const struct sk_buff *skb);
void net_sched_init(void); /* NET_TX_SOFTIRQ */

/* ---- arp.c ---------------------------------------------------------- */

/* The neighbour table's parameters: Linux's defaults for arp_cache
 * (net.ipv4.neigh.default.*), which RFC 1122 2.3.2.1 leaves to the
 * implementation. */
#define NEIGH_TABLE_MAX 256	      /* entries at most (a hard bound) */
#define NEIGH_GC_THRESH1 128	      /* no periodic GC below this */
#define NEIGH_GC_INTERVAL_MS 30000    /* gc_interval */
#define NEIGH_GC_STALE_MS 60000	      /* gc_stale_time: unused this long */
#define NEIGH_REACHABLE_MS 30000      /* base_reachable_time, x0.5..1.5 */
#define NEIGH_DELAY_PROBE_MS 5000     /* delay_first_probe_time */
#define NEIGH_RETRANS_MS 1000	      /* retrans_time */
#define NEIGH_UCAST_PROBES 3	      /* ucast_solicit (PROBE) */
#define NEIGH_MCAST_PROBES 3	      /* mcast_solicit (INCOMPLETE) */
#define NEIGH_UNRES_QLEN 3	      /* packets queued while resolving */
#define NEIGH_LOCKTIME_MS 1000	      /* locktime: no MAC flapping faster */
#define ARP_DEFEND_INTERVAL_MS 10000  /* RFC 5227 1.1 DEFEND_INTERVAL */
#define ARP_ANNOUNCE_NUM 2	      /* RFC 5227 1.1 ANNOUNCE_NUM */
#define ARP_ANNOUNCE_INTERVAL_MS 2000 /* RFC 5227 1.1 ANNOUNCE_INTERVAL */

struct arp_stats {
	u64 rx_requests;    /* requests for one of our addresses */
	u64 rx_replies;	    /* replies (solicited or not) */
	u64 rx_other;	    /* requests for others, gratuitous, probes */
	u64 rx_malformed;   /* short, wrong hardware/protocol, lengths */
	u64 rx_bad_op;	    /* neither request nor reply */
	u64 rx_bad_addr;    /* multicast/zero sender MAC, bad addresses */
	u64 rx_unsolicited; /* replies for no entry: ignored (arp_accept=0) */
	u64 rx_conflicts;   /* someone else claims one of our addresses */
	u64 tx_requests, tx_replies, tx_announces;
	u64 unres_discards; /* queued packets dropped (queue full, FAILED) */
	u64 res_failed;	    /* resolutions that ended FAILED */
	u64 table_fulls;    /* no room even after GC */
	u64 allocs, destroys, forced_gc_runs, periodic_gc_runs;
	u32 entries;
};
void arp_get_stats(struct arp_stats *s);

/* `ip neigh ...`, argv as for ip_link_cmd. */
int ip_neigh_cmd(int argc, char **argv);

#endif
