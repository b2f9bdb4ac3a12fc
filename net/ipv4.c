/*
 * ipv4.c - IPv4 input (RFC 791, RFC 1122 3.2.1) and the protocol table.
 *
 *   ip_rcv: count, validate (ip_hdr_parse: version, IHL, checksum, total
 *           length, options), trim link padding, fill IPCB
 *     -> PRE_ROUTING hook
 *     -> ip_rcv_finish: ours (unicast or broadcast)? else drop, no forwarding
 *     -> ip_local_deliver: reassemble fragments (ip_defrag)
 *     -> LOCAL_IN hook
 *     -> ip_local_deliver_finish: the net_protocol's handler, or ICMP
 *        protocol unreachable
 *
 * Every bad datagram is counted with the MIB counter Linux uses for the
 * same case and dropped; none is fatal. Read first: RFC 791 3.1-3.2,
 * RFC 1122 3.2.1 and 3.3.4-3.3.6.
 */
#include <skiff/net/ether.h>
#include <skiff/net/icmp.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/nf_hooks.h>
#include <skiff/net/snmp.h>
#include <skiff/time.h>
#include <skiff/trace.h>
#include <errno.h>
#include <string.h>

static const struct net_protocol *inet_protos[256];
static nf_hookfn nf_ipv4_hooks[NF_INET_NUMHOOKS];

int inet_add_protocol(u8 protocol, const struct net_protocol *np)
{
	if (inet_protos[protocol])
		return -EEXIST;
	inet_protos[protocol] = np;
	return 0;
}

const struct net_protocol *inet_get_protocol(u8 protocol)
{
	return inet_protos[protocol];
}

/* ---- netfilter call points ----------------------------------------------- */

int nf_register_ipv4_hook(unsigned int hook, nf_hookfn fn)
{
	if (hook >= NF_INET_NUMHOOKS)
		return -EINVAL;
	WRITE_ONCE(nf_ipv4_hooks[hook], fn);
	return 0;
}

bool nf_hook_ipv4(unsigned int hook, struct sk_buff *skb,
		  const struct net_device *in, const struct net_device *out)
{
	nf_hookfn fn = READ_ONCE(nf_ipv4_hooks[hook]);

	if (!fn)
		return true; /* no filter: ACCEPT */
	unsigned int verdict = fn(hook, skb, in, out);
	if (verdict == NF_ACCEPT)
		return true;
	if (verdict != NF_STOLEN)
		kfree_skb(skb);
	return false;
}

/* ---- validation ---------------------------------------------------------- */

/*
 * Count a refused header as Linux's ip_rcv_core does: a short frame, bad
 * version or IHL, or bad options are InHdrErrors; a bad checksum is also
 * InCsumErrors; a total length beyond the frame is InTruncatedPkts.
 */
static void ip_count_parse_error(enum ip_parse_result r)
{
	switch (r) {
	case IP_PARSE_CSUM:
		SNMP_INC(IpExtInCsumErrors);
		SNMP_INC(IpInHdrErrors);
		break;
	case IP_PARSE_TRUNCATED:
		SNMP_INC(IpExtInTruncatedPkts);
		break;
	case IP_PARSE_SRCROUTE:
		/* RFC 1122 3.3.5: refused by choice, not malformed. */
		SNMP_INC(IpInDiscards);
		break;
	default:
		SNMP_INC(IpInHdrErrors);
		break;
	}
}

static void ip_fill_cb(struct sk_buff *skb, const struct iphdr_info *h)
{
	struct inet_skb_parm *cb = IPCB(skb);

	memset(cb, 0, sizeof(*cb));
	cb->saddr = h->saddr;
	cb->daddr = h->daddr;
	cb->tot_len = h->tot_len;
	cb->id = h->id;
	cb->protocol = h->protocol;
	cb->ttl = h->ttl;
	cb->tos = h->tos;
	cb->ihl_bytes = h->ihl_bytes;
}

/*
 * Malformed options addressed to us: RFC 1122 3.2.2.5 says a host SHOULD
 * send a parameter problem pointing at the bad byte (Linux does, from
 * ip_options_compile). icmp_send refuses broadcasts and rate-limits.
 */
static void ip_options_error(struct sk_buff *skb, const struct iphdr_info *h,
			     u8 problem)
{
	ip_fill_cb(skb, h);
	if (inet_addr_is_local(NULL, h->daddr))
		icmp_send(skb, ICMP_PARAMETERPROB, 0, (u32)problem << 24);
}

/* ---- delivery ------------------------------------------------------------ */

static int ip_local_deliver_finish(struct sk_buff *skb)
{
	struct inet_skb_parm *cb = IPCB(skb);
	const struct net_protocol *np = inet_protos[cb->protocol];

	skb_pull(skb, cb->ihl_bytes);
	skb_reset_transport_header(skb);
	if (np) {
		SNMP_INC(IpInDelivers);
		return np->handler(skb);
	}
	/* RFC 1122 3.2.2.1: protocol unreachable, unless it was a broadcast
	 * (icmp_send checks that too). */
	SNMP_INC(IpInUnknownProtos);
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
	kfree_skb(skb);
	return 0;
}

static int ip_local_deliver(struct sk_buff *skb, struct net_device *dev)
{
	const u8 *iph = skb_network_header(skb);

	/* More-fragments set or a nonzero offset: part of a datagram. */
	if (load_be16(iph + 6) & (IP_MF | IP_OFFSET)) {
		skb = ip_defrag(skb);
		if (!skb)
			return 0;
	}
	if (!nf_hook_ipv4(NF_INET_LOCAL_IN, skb, dev, NULL))
		return 0;
	return ip_local_deliver_finish(skb);
}

/*
 * Martian sources (RFC 1122 3.2.1.3, RFC 1812 5.3.7): never the source of
 * a datagram we accept, and never an address to answer.
 */
static bool ip_martian_source(u32 saddr, u32 daddr)
{
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) ||
	    ipv4_is_loopback(saddr))
		return true;
	/* 0.0.0.0 is a legal source only for a host that does not know its
	 * address yet, broadcasting (RFC 1122 3.2.1.3 (a), e.g. BOOTP). */
	return ipv4_is_zeronet(saddr) && !ipv4_is_lbcast(daddr);
}

/*
 * A datagram from the wire claiming one of our own addresses as its
 * source is spoofed: answering it means talking to ourselves (the LAND
 * attack: a SYN from our address and port to the same, which would make
 * TCP acknowledge itself forever). Linux's fib_validate_source refuses
 * it as a martian; only our own loopback path may carry such a source.
 */
static bool ip_spoofed_local_source(const struct inet_skb_parm *cb)
{
	return !(cb->flags & IPSKB_LOOPBACK) &&
	       inet_addr_is_local(NULL, cb->saddr);
}

/*
 * The input route decision: local unicast, broadcast, or drop. Skiff is a
 * host, not a router (RFC 1122 3.3.1.1 off): a datagram for another
 * address is an address error, like Linux with forwarding off.
 */
static int ip_rcv_finish(struct sk_buff *skb, struct net_device *dev)
{
	struct inet_skb_parm *cb = IPCB(skb);

	if (ip_martian_source(cb->saddr, cb->daddr) ||
	    ip_spoofed_local_source(cb)) {
		SNMP_INC(IpInAddrErrors);
		kfree_skb(skb);
		return 0;
	}
	if (inet_addr_is_broadcast(dev, cb->daddr)) {
		cb->flags |= IPSKB_BROADCAST;
		SNMP_INC(IpExtInBcastPkts);
	} else if (!inet_addr_is_local(NULL, cb->daddr)) {
		SNMP_INC(IpInAddrErrors);
		kfree_skb(skb);
		return 0;
	}
	return ip_local_deliver(skb, dev);
}

static int ip_rcv_common(struct sk_buff *skb, struct net_device *dev, u8 flags)
{
	struct iphdr_info h;
	u8 problem = 0;

	SNMP_INC(IpInReceives);
	SNMP_ADD(IpExtInOctets, skb->len);
	/* A frame for another host's MAC (promiscuous mode): not ours. */
	if (skb->pkt_type == PACKET_OTHERHOST) {
		kfree_skb(skb);
		return 0;
	}
	skb_reset_network_header(skb);
	enum ip_parse_result r =
	    ip_hdr_parse(skb->data, skb->len, &h, &problem);
	if (r != IP_PARSE_OK) {
		ip_count_parse_error(r);
		if (r == IP_PARSE_OPTIONS)
			ip_options_error(skb, &h, problem);
		kfree_skb(skb);
		return 0;
	}
	/* The link may pad short frames (Ethernet to 60 bytes): the datagram
	 * is tot_len bytes (RFC 1122 3.2.1 / Linux pskb_trim_rcsum). */
	skb_trim(skb, h.tot_len);
	ip_fill_cb(skb, &h);
	trace(TRACE_IP, "rcv %s %u.%u.%u.%u > %u.%u.%u.%u proto %u len %u",
	      dev->name, TRACE_IP4(h.saddr), TRACE_IP4(h.daddr), h.protocol,
	      h.tot_len);
	IPCB(skb)->flags |= flags;
	if (!nf_hook_ipv4(NF_INET_PRE_ROUTING, skb, dev, NULL))
		return 0;
	return ip_rcv_finish(skb, dev);
}

int ip_rcv(struct sk_buff *skb, struct net_device *dev)
{
	return ip_rcv_common(skb, dev, 0);
}

int ip_rcv_loopback(struct sk_buff *skb, struct net_device *dev)
{
	return ip_rcv_common(skb, dev, IPSKB_LOOPBACK);
}

static struct packet_type ip_packet_type = {
    .type = ETH_P_IP,
    .func = ip_rcv,
};

void ip_init(void)
{
	static bool done;

	if (done)
		return; /* host tests and fuzzers may bring the stack up twice
			 */
	done = true;
	ip_ident_init((u32)(ktime_get_ns() * 2654435761u));
	ipfrag_init();
	ip_loopback_init();
	dev_add_pack(&ip_packet_type);
}
