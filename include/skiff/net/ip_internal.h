/*
 * net/ip_internal.h - what the IPv4 files (ipv4.c, ip_output.c,
 * ip_fragment.c, icmp.c, route.c, devinet.c, udp.c) share among
 * themselves and with their unit tests. Not an API for other layers:
 * those use ip.h, route.h, inet.h and icmp.h.
 */
#ifndef SKIFF_NET_IP_INTERNAL_H
#define SKIFF_NET_IP_INTERNAL_H

#include <skiff/config.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>

/* ---- ipv4.c: input ------------------------------------------------------- */

/* The ETH_P_IP handler: validate, route, reassemble, deliver. */
int ip_rcv(struct sk_buff *skb, struct net_device *dev);
/* ip_rcv for a datagram we sent to one of our own addresses. */
int ip_rcv_loopback(struct sk_buff *skb, struct net_device *dev);
/* The handler registered for a protocol, or NULL. */
const struct net_protocol *inet_get_protocol(u8 protocol);

/* ---- ip_output.c --------------------------------------------------------- */

/* Where one outgoing datagram goes. */
struct ip_route_out {
	struct net_device *dev;
	u32 next_hop;	/* the gateway, or daddr when on-link */
	u32 saddr;	/* chosen source address */
	u32 mtu;	/* min(route/path MTU, device MTU) */
	bool broadcast; /* link-level broadcast */
	bool loopback;	/* to one of our own addresses: back into ip_rcv */
};

/* Route daddr (out->dev, if set, forces the device). 0 or -ENETUNREACH. */
int ip_route_output(const struct ip_out *out, struct ip_route_out *rt);
/* Full route lookups ip_route_output made for its cache (tests). */
u64 ip_route_cache_misses(void);
/* The identification for a datagram (RFC 791 3.2, RFC 6864): one counter
 * per hash bucket of (saddr, daddr, protocol), Linux's ip_idents. */
u16 ip_ident_next(u32 saddr, u32 daddr, u8 protocol);
/* Reset the identification state with a known secret (tests). */
void ip_ident_init(u32 secret);
/* Set up the loopback queue (ip_init). */
void ip_loopback_init(void);
/* Hand one finished datagram or fragment (data at the IP header) to the
 * neighbour layer. Consumes the skb. */
int ip_output_one(struct sk_buff *skb, const struct ip_route_out *rt);

/* ---- ip_fragment.c ------------------------------------------------------- */

/*
 * Queue a received fragment (data at its IP header, trimmed to tot_len,
 * IPCB filled). Returns the reassembled datagram (one linear skb, data at
 * its IP header, IPCB updated with IPSKB_FRAGMENTED) when this fragment
 * completed one, else NULL (the fragment was queued or dropped).
 */
struct sk_buff *ip_defrag(struct sk_buff *skb);

/*
 * Split skb (data at its IP header, tot_len > rt->mtu, DF clear) into
 * fragments of at most rt->mtu bytes (RFC 791 3.2) and send each with
 * ip_output_one. Consumes skb. 0 or a negative errno.
 */
int ip_fragment(struct sk_buff *skb, const struct ip_route_out *rt);

#define IPFRAG_TIMEOUT_MS 30000	       /* Linux ipfrag_time: 30 s */
#define IPFRAG_HIGH_THRESH (4u << 20)  /* Linux ipfrag_high_thresh */
#define IPFRAG_LOW_THRESH (3u << 20)   /* evict down to this */
#define IPFRAG_MAX_QUEUES 1024	       /* queues at once */
#define IPFRAG_MAX_FRAGS_PER_QUEUE 128 /* fragments per datagram */

struct ipfrag_stats {
	u32 queues;    /* datagrams being reassembled */
	u64 mem_bytes; /* memory they hold (buffer sizes) */
	u64 evicted;   /* queues dropped to get under the thresholds */
};
void ipfrag_get_stats(struct ipfrag_stats *s);
/* Drop every queue (tests, and when addresses change). */
void ipfrag_flush(void);
void ipfrag_init(void);

/* ---- icmp.c -------------------------------------------------------------- */

/* Forget the rate-limit state (tests). */
void icmp_ratelimit_reset(void);

/* ---- route.c ------------------------------------------------------------- */

/* Remove the routes through dev whose gateway is no longer on-link
 * (after an address went away). */
void fib_sync_down(struct net_device *dev);
/* Drop every route and learned MTU (tests). */
void fib_flush_all(void);
/* `ip route ...` with argv[0] = "route" (the `ip` command dispatches). */
int ip_route_cmd(int argc, char **argv);

/* ---- devinet.c ----------------------------------------------------------- */

/* The address of dev to use as source towards dst: one on dst's subnet,
 * else the primary one; 0 if dev has none. */
u32 inet_select_addr(const struct net_device *dev, u32 dst);
/* Remove every address of every device (tests). */
void inet_addr_flush_all(void);
/* `ip addr ...` with argv[0] = "addr". */
int ip_addr_cmd(int argc, char **argv);
/* Provided by the device and neighbour code for `ip link` / `ip neigh`
 * (argv[0] = "link" / "neigh"); weak until they are linked in. */
int ip_link_cmd(int argc, char **argv) __attribute__((weak));
int ip_neigh_cmd(int argc, char **argv) __attribute__((weak));

/* ---- text forms (console commands) --------------------------------------- */

/* "198.18.0.2" into buf (16 bytes) with config.c's format_ipv4; buf. */
static inline const char *ip_str(u32 addr, char *buf)
{
	format_ipv4(addr, buf, 16);
	return buf;
}
/* A whole string as a dotted quad (config.c's strict parser). 0/-EINVAL. */
int inet_parse_addr(const char *s, u32 *addr);
/* "A.B.C.D/N", or "A.B.C.D" as /32 (route.c). 0 or -EINVAL. */
int inet_parse_prefix(const char *s, u32 *addr, u8 *prefix);

/* Addresses that are never a valid source or unicast destination. */
static inline bool ipv4_is_multicast(u32 a)
{
	return (a & 0xf0000000u) == 0xe0000000u;
}
static inline bool ipv4_is_loopback(u32 a)
{
	return (a >> 24) == 127;
}
static inline bool ipv4_is_zeronet(u32 a)
{
	return (a >> 24) == 0;
}
static inline bool ipv4_is_lbcast(u32 a)
{
	return a == INADDR_BROADCAST;
}

#endif
