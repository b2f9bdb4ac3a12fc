/*
 * ip_output.c - IPv4 output (RFC 791, RFC 1122 3.2.1 and 3.3).
 *
 *   ip_send_skb: route (ip_route_output: FIB, source address, MTU)
 *     -> push the header (identification from ip_ident_next, TTL 64)
 *     -> LOCAL_OUT hook -> POST_ROUTING hook
 *     -> larger than the MTU? DF: -EMSGSIZE; else ip_fragment
 *     -> ip_output_one -> neigh_output to the gateway or the destination
 *
 * A datagram to one of our own addresses does not leave: ip_output_one
 * queues it and a tasklet hands it to ip_rcv, as Linux's loopback device
 * does (RFC 1122 3.3.4.3 wants such datagrams turned around internally).
 *
 * Identification (RFC 791 3.2, RFC 6864 4.1): each datagram's ID comes
 * from a counter per hash bucket of (source, destination, protocol), as
 * in Linux's ip_idents: per-destination sequences that an observer of one
 * flow cannot use to count another's, without per-peer state. The hash
 * secret is set at ip_init.
 */
#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/nf_hooks.h>
#include <skiff/net/route.h>
#include <skiff/net/snmp.h>
#include <skiff/softirq.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/trace.h>
#include <errno.h>
#include <string.h>

#define IP_IDENTS_SZ 2048
#define IP_LOOPBACK_QLEN 1000 /* Linux's netdev_max_backlog */

static u32 ip_idents[IP_IDENTS_SZ];
static u32 ip_idents_secret;

/* A 32-bit mix (murmur3's finaliser) of the flow and the secret. */
static u32 ip_ident_hash(u32 saddr, u32 daddr, u8 protocol)
{
	u32 h = saddr * 0x9e3779b1u ^ daddr ^ ((u32)protocol << 24) ^
		ip_idents_secret;

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

void ip_ident_init(u32 secret)
{
	ip_idents_secret = secret;
	memset(ip_idents, 0, sizeof(ip_idents));
}

u16 ip_ident_next(u32 saddr, u32 daddr, u8 protocol)
{
	u32 h = ip_ident_hash(saddr, daddr, protocol);
	u32 n = __atomic_fetch_add(&ip_idents[h % IP_IDENTS_SZ], 1,
				   __ATOMIC_RELAXED);

	/* The bucket's counter, started at a hashed offset. */
	return (u16)(n + (h >> 16));
}

/* ---- routing ------------------------------------------------------------- */

/* The device and next hop when the caller chose the device (DHCP, and the
 * limited broadcast): on-link unless the FIB says to use a gateway there. */
static void ip_route_on_dev(const struct ip_out *out, struct ip_route_out *rt)
{
	struct fib_result res;

	rt->dev = out->dev;
	rt->next_hop = out->daddr;
	if (!ipv4_is_lbcast(out->daddr) && fib_lookup(out->daddr, &res) == 0 &&
	    res.dev == out->dev && res.gateway)
		rt->next_hop = res.gateway;
}

/* To ourselves: no device MTU, no neighbour, no fragmentation. */
static int ip_route_local(const struct ip_out *out, struct ip_route_out *rt)
{
	rt->dev = out->dev ? out->dev : dev_first();
	rt->next_hop = out->daddr;
	rt->saddr = out->saddr ? out->saddr : out->daddr;
	rt->mtu = IP_MAX_TOT_LEN;
	rt->loopback = true;
	return rt->dev ? 0 : -ENETUNREACH;
}

/* The lookup itself: FIB, local and broadcast addresses, source, MTU.
 * *pmtu_expires: when the path MTU used expires (0: none used). */
static int ip_route_lookup(const struct ip_out *out, struct ip_route_out *rt,
			   u64 *pmtu_expires)
{
	struct fib_result res = {0};

	memset(rt, 0, sizeof(*rt));
	if (inet_addr_is_local(NULL, out->daddr))
		return ip_route_local(out, rt);
	if (out->dev) {
		ip_route_on_dev(out, rt);
	} else if (ipv4_is_lbcast(out->daddr)) {
		/* RFC 1122 3.3.6: the limited broadcast goes out of one
		 * interface; without a choice, the first. */
		rt->dev = dev_first();
		rt->next_hop = out->daddr;
	} else {
		if (fib_lookup(out->daddr, &res) != 0)
			return -ENETUNREACH;
		rt->dev = res.dev;
		rt->next_hop = res.gateway ? res.gateway : out->daddr;
	}
	if (!rt->dev)
		return -ENETUNREACH;
	rt->broadcast = inet_addr_is_broadcast(rt->dev, out->daddr);
	rt->saddr = out->saddr	  ? out->saddr
		    : res.prefsrc ? res.prefsrc
				  : inet_select_addr(rt->dev, out->daddr);
	rt->mtu = rt->dev->mtu;
	u16 pmtu = ip_pmtu_lookup(out->daddr, pmtu_expires);
	if (pmtu && pmtu < rt->mtu)
		rt->mtu = pmtu;
	return 0;
}

/* ---- the output route cache ------------------------------------------------
 *
 * Linux keeps a connection's route in its socket (sk_dst_cache). Skiff's
 * tcp_sock has no room to spare (an idle connection's bytes are one of
 * issue 8's figures), so the cache is one table of recent destinations,
 * direct mapped by address: each entry holds the route ip_route_lookup
 * found for a destination with no device or source forced, the route
 * generation before that lookup, and when the path MTU it used expires.
 * An entry is used only while its generation is current (every route,
 * address, device or path MTU change bumps it: rt_genid_bump_ipv4) and
 * its path MTU has not expired, so a stale route is never used. Each
 * entry has a sequence count, odd while it is written, so CPUs read it
 * without a lock and a torn read is a miss.
 */
#define IP_DST_SLOTS 128 /* a power of two */

struct ip_dst_entry {
	u32 seq;		/* odd while being written */
	u32 daddr;		/* the key; 0: empty */
	u32 genid;		/* rt_genid_ipv4() before the lookup */
	u64 pmtu_expires;	/* jiffies (0: no path MTU used) */
	struct ip_route_out rt; /* saddr: the route's choice */
};

static struct ip_dst_entry ip_dst_cache[IP_DST_SLOTS];
static u64 ip_dst_misses; /* full lookups made for the cache */

static struct ip_dst_entry *ip_dst_slot(u32 daddr)
{
	return &ip_dst_cache[(daddr * 0x9e3779b1u) >> 25 & (IP_DST_SLOTS - 1)];
}

/* The cached route to daddr if current: true and *rt. */
static bool ip_dst_get(u32 daddr, struct ip_route_out *rt)
{
	const struct ip_dst_entry *e = ip_dst_slot(daddr);
	u32 seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	bool same = e->daddr == daddr && e->genid == rt_genid_ipv4();
	u64 expires = e->pmtu_expires;
	*rt = e->rt;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!same || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq)
		return false;
	return !expires || get_jiffies() < expires;
}

/* Remember a route found in generation genid (unless another CPU is
 * writing the same slot: then this one is simply not cached). */
static void ip_dst_set(u32 daddr, u32 genid, u64 pmtu_expires,
		       const struct ip_route_out *rt)
{
	struct ip_dst_entry *e = ip_dst_slot(daddr);
	u32 seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&e->seq, &seq, seq + 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->daddr = daddr;
	e->genid = genid;
	e->pmtu_expires = pmtu_expires;
	e->rt = *rt;
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

u64 ip_route_cache_misses(void)
{
	return __atomic_load_n(&ip_dst_misses, __ATOMIC_RELAXED);
}

int ip_route_output(const struct ip_out *out, struct ip_route_out *rt)
{
	u64 pmtu_expires = 0;

	if (ipv4_is_multicast(out->daddr) || out->daddr == 0) {
		memset(rt, 0, sizeof(*rt));
		return -ENETUNREACH; /* no multicast routing */
	}
	if (out->dev) /* the caller's device: not cached */
		return ip_route_lookup(out, rt, &pmtu_expires);
	if (!ip_dst_get(out->daddr, rt)) {
		struct ip_out any = {.daddr = out->daddr};
		u32 genid = rt_genid_ipv4();
		__atomic_fetch_add(&ip_dst_misses, 1, __ATOMIC_RELAXED);
		int err = ip_route_lookup(&any, rt, &pmtu_expires);
		if (err)
			return err;
		ip_dst_set(out->daddr, genid, pmtu_expires, rt);
	}
	if (out->saddr) /* the caller's source wins, as in the lookup */
		rt->saddr = out->saddr;
	return 0;
}

/* ---- the header -----------------------------------------------------------
 */

static void ip_push_header(struct sk_buff *skb, const struct ip_out *out,
			   const struct ip_route_out *rt)
{
	struct iphdr_info h = {
	    .version = 4,
	    .ihl_bytes = IP_HLEN,
	    .tos = out->tos,
	    .tot_len = (u16)(skb->len + IP_HLEN),
	    .df = out->df,
	    .ttl = out->ttl ? out->ttl : IP_DEFAULT_TTL, /* RFC 1122 3.2.1.7 */
	    .protocol = out->protocol,
	    .saddr = rt->saddr,
	    .daddr = out->daddr,
	};

	h.id = ip_ident_next(h.saddr, h.daddr, h.protocol);
	ip_hdr_emit(&h, skb_push(skb, IP_HLEN));
	skb_reset_network_header(skb);
}

/* ---- loopback ----------------------------------------------------------- */

static struct sk_buff_head ip_loopback_q;
static DEFINE_SPINLOCK(ip_loopback_lock, "ip_loopback");
static struct tasklet ip_loopback_tasklet;

/* The tasklet: every queued datagram into ip_rcv, as if received. */
static void ip_loopback_run(unsigned long unused)
{
	struct sk_buff *skb;

	(void)unused;
	for (;;) {
		spin_lock_bh(&ip_loopback_lock);
		skb = skb_dequeue(&ip_loopback_q);
		spin_unlock_bh(&ip_loopback_lock);
		if (!skb)
			break;
		ip_rcv_loopback(skb, skb->dev);
	}
}

static int ip_loopback_xmit(struct sk_buff *skb, struct net_device *dev)
{
	int err = 0;

	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_UNNECESSARY; /* never on a wire */
	spin_lock_bh(&ip_loopback_lock);
	if (skb_queue_len(&ip_loopback_q) < IP_LOOPBACK_QLEN)
		skb_queue_tail(&ip_loopback_q, skb);
	else
		err = -ENOBUFS;
	spin_unlock_bh(&ip_loopback_lock);
	if (err) {
		SNMP_INC(IpOutDiscards);
		kfree_skb(skb);
		return err;
	}
	tasklet_schedule(&ip_loopback_tasklet);
	return 0;
}

void ip_loopback_init(void)
{
	skb_queue_head_init(&ip_loopback_q);
	tasklet_init(&ip_loopback_tasklet, ip_loopback_run, 0);
}

/* ---- output -------------------------------------------------------------- */

int ip_output_one(struct sk_buff *skb, const struct ip_route_out *rt)
{
	skb->dev = rt->dev;
	skb->protocol = ETH_P_IP;
	SNMP_ADD(IpExtOutOctets, skb->len);
	if (rt->loopback)
		return ip_loopback_xmit(skb, rt->dev);
	if (rt->broadcast) {
		/* Link broadcast: the neighbour layer maps it to ff:ff:..:ff
		 * (RFC 1122 3.3.6) without resolving. */
		SNMP_INC(IpExtOutBcastPkts);
		return neigh_output(rt->dev, INADDR_BROADCAST, skb);
	}
	return neigh_output(rt->dev, rt->next_hop, skb);
}

/* TCP payload bytes of a GSO frame (skb->data at the IP header). */
static u32 ip_gso_payload(const struct sk_buff *skb)
{
	const u8 *ip = skb->data;
	u32 ihl = (u32)(ip[0] & 0xf) * 4;

	if (skb->len < ihl + 20)
		return 0;
	return skb->len - ihl - (u32)(ip[ihl + 12] >> 4) * 4;
}

/* Past the hooks: send whole, fragment, or refuse (DF). */
static int ip_finish_output(struct sk_buff *skb, const struct ip_route_out *rt,
			    bool df)
{
	if (skb->len <= rt->mtu)
		return ip_output_one(skb, rt);
	/* A GSO frame (net/gso.h) leaves as segments of gso_size: those
	 * must fit the MTU, the frame itself need not. */
	if (skb_is_gso(skb) &&
	    skb->gso_size + skb->len - ip_gso_payload(skb) <= rt->mtu)
		return ip_output_one(skb, rt);
	if (df) {
		/* Our own datagram with DF that does not fit: tell the caller
		 * (Linux: EMSGSIZE to the socket), don't send. */
		SNMP_INC(IpFragFails);
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	return ip_fragment(skb, rt);
}

int ip_send_skb(struct sk_buff *skb, const struct ip_out *out)
{
	struct ip_route_out rt;

	int err = ip_route_output(out, &rt);
	if (err) {
		SNMP_INC(IpOutNoRoutes);
		kfree_skb(skb);
		return err;
	}
	if (skb->len > IP_MAX_TOT_LEN - IP_HLEN) {
		SNMP_INC(IpOutDiscards);
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	ip_push_header(skb, out, &rt);
	SNMP_INC(IpOutRequests);
	trace(TRACE_IP, "send %s %u.%u.%u.%u > %u.%u.%u.%u proto %u len %u",
	      rt.dev->name, TRACE_IP4(rt.saddr), TRACE_IP4(out->daddr),
	      out->protocol, skb->len);
	if (!nf_hook_ipv4(NF_INET_LOCAL_OUT, skb, NULL, rt.dev))
		return -EPERM;
	if (!nf_hook_ipv4(NF_INET_POST_ROUTING, skb, NULL, rt.dev))
		return -EPERM;
	return ip_finish_output(skb, &rt, out->df);
}
