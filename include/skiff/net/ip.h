/*
 * net/ip.h - IPv4 input and output (RFC 791, RFC 1122 3.2), and how
 * transport protocols attach to it.
 *
 * RX: ip_rcv (validate) -> PRE_ROUTING -> local? -> ip_defrag ->
 *     LOCAL_IN -> the registered net_protocol's handler
 * TX: ip_send_skb (header, route) -> LOCAL_OUT -> POST_ROUTING ->
 *     ip_fragment if larger than the path MTU -> neigh_output
 */
#ifndef SKIFF_NET_IP_H
#define SKIFF_NET_IP_H

#include <skiff/netdevice.h>

#define IPPROTO_ICMP 1
#define IPPROTO_IPIP 4
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define IP_DEFAULT_TTL 64

/* What ip_rcv learned, in skb->cb for the layers above (host order). */
struct inet_skb_parm {
	u32 saddr, daddr;
	u16 tot_len; /* whole datagram, after reassembly */
	u16 id;
	u8 protocol, ttl, tos, ihl_bytes;
	u8 flags; /* IPSKB_* */
};
#define IPSKB_FRAGMENTED 0x1 /* was reassembled */
#define IPSKB_BROADCAST 0x2  /* sent to a broadcast address */
#define IPSKB_LOOPBACK 0x4   /* our own, through the loopback path */
#define IPCB(skb) ((struct inet_skb_parm *)(skb)->cb)

struct net_protocol {
	/* skb->data at the transport header, skb->len the payload of the IP
	 * datagram; IPCB(skb) filled. Consumes the skb. */
	int (*handler)(struct sk_buff *skb);
	/* An ICMP error quoting one of our datagrams: skb->data at the quoted
	 * IP header (at least 8 bytes of its payload present), type/code of
	 * the ICMP message, info = next-hop MTU for fragmentation-needed. */
	void (*err_handler)(struct sk_buff *skb, u8 type, u8 code, u32 info);
};
int inet_add_protocol(u8 protocol, const struct net_protocol *np);

/* Options for one outgoing datagram. */
struct ip_out {
	u32 saddr; /* 0 = from the route */
	u32 daddr;
	u8 protocol;
	u8 ttl; /* 0 = IP_DEFAULT_TTL */
	u8 tos;
	bool df;		/* don't fragment */
	struct net_device *dev; /* 0 = from the route (e.g. DHCP sets it) */
};
/* skb->data at the transport header with >= MAX_HEADER headroom. Pushes
 * the IP header, routes, fragments, sends. Consumes the skb; 0 or a
 * negative errno (-ENETUNREACH, -EMSGSIZE with df, -ENOBUFS). */
int ip_send_skb(struct sk_buff *skb, const struct ip_out *out);

void ip_init(void);

/* Internet checksum (RFC 1071) helpers, in net/checksum.c. */
u32 csum_partial(const void *buf, size_t len, u32 sum);
u16 csum_fold(u32 sum);
u16 ip_fast_csum(const void *iph, size_t len); /* 0 when valid */
/* Pseudo-header sum for TCP/UDP (addresses host order). */
u32 csum_tcpudp_nofold(u32 saddr, u32 daddr, u16 len, u8 proto, u32 sum);

#endif
