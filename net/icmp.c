/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2).
 *
 *   icmp_rcv: checksum, count -> echo request: icmp_echo (reply, not
 *     rate-limited) | echo reply: the `ping` listener | destination
 *     unreachable, time exceeded, parameter problem: icmp_unreach (check the
 *     quoted header is ours and long enough, learn the path MTU, hand it to
 *     the quoted protocol's err_handler) | others counted and ignored.
 *   icmp_send: the RFC 1122 3.2.2 "never about" rules, the rate limit,
 *     then an error quoting the offending datagram.
 *
 * Rate limit (Linux's icmp_ratelimit / icmp_msgs_per_sec): two token
 * buckets. A global one, 1000 messages per second with a burst of 50; and
 * one per destination, one message per 1000 ms with a burst of 6
 * (XRLIM_BURST_FACTOR). Errors are limited; echo replies are not.
 *
 * Ignored on purpose: redirects (a host with one gateway per network
 * need not follow them, and they are a classic spoofing vector), source
 * quench (deprecated by RFC 6633), timestamp and address-mask requests
 * (RFC 1122 3.2.2.8/3.2.2.9: MAY). The options of an echo request are
 * not reflected into the reply (RFC 1122 3.2.2.6 says SHOULD for record
 * route and timestamp; Linux's ip_options_echo does it): `ping -R`
 * gets its replies without a recorded route.
 *
 * Read first: RFC 792, RFC 1122 3.2.2, RFC 1191 (fragmentation needed),
 * RFC 1812 4.3.2 (what an error quotes).
 */
#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/route.h>
#include <skiff/net/snmp.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <errno.h>
#include <string.h>

#define ICMP_RATELIMIT_MS 1000 /* Linux icmp_ratelimit */
#define ICMP_RATE_BURST 6      /* Linux XRLIM_BURST_FACTOR */
#define ICMP_MSGS_PER_SEC 1000 /* Linux icmp_msgs_per_sec */
#define ICMP_MSGS_BURST 50     /* Linux icmp_msgs_burst */
#define ICMP_PEERS 64	       /* destinations remembered for the limit */
#define IPTOS_PREC_INTERNETCONTROL 0xc0
#define IPTOS_TOS_MASK 0x1e

/* ---- rate limit ---------------------------------------------------------- */

struct token_bucket {
	u64 tokens;  /* in milliseconds of credit */
	u64 last_ms; /* when tokens were last topped up */
};

struct icmp_peer {
	u32 daddr; /* 0 = free */
	struct token_bucket tb;
};

static struct token_bucket icmp_global_tb;
static struct icmp_peer icmp_peers[ICMP_PEERS];
static DEFINE_SPINLOCK(icmp_rl_lock, "icmp_ratelimit");

/* Add the credit earned since last (capped at max); spend cost if there. */
static bool tb_allow(struct token_bucket *b, u64 now_ms, u64 cost, u64 max)
{
	b->tokens = MIN(b->tokens + (now_ms - b->last_ms), max);
	b->last_ms = now_ms;
	if (b->tokens < cost)
		return false;
	b->tokens -= cost;
	return true;
}

/* The bucket of daddr; a new or recycled one starts full (as Linux's
 * inet_peer with rate_last 60 s in the past). */
static struct token_bucket *icmp_peer_bucket(u32 daddr, u64 now_ms)
{
	struct icmp_peer *victim = &icmp_peers[0];

	for (u32 i = 0; i < ICMP_PEERS; i++) {
		struct icmp_peer *p = &icmp_peers[i];
		if (p->daddr == daddr)
			return &p->tb;
		if (p->tb.last_ms < victim->tb.last_ms)
			victim = p;
	}
	victim->daddr = daddr;
	victim->tb.tokens = ICMP_RATE_BURST * ICMP_RATELIMIT_MS;
	victim->tb.last_ms = now_ms;
	return &victim->tb;
}

/* Linux's icmpv4_xrlim_allow + icmp_global_allow, for errors. */
static bool icmp_ratelimit_allow(u32 daddr, u64 now_ms)
{
	bool ok;

	spin_lock_bh(&icmp_rl_lock);
	/* Global: 1000/s is one message per millisecond of credit. */
	ok = tb_allow(&icmp_global_tb, now_ms, 1000 / ICMP_MSGS_PER_SEC,
		      ICMP_MSGS_BURST * 1000 / ICMP_MSGS_PER_SEC);
	if (!ok)
		SNMP_INC(IcmpOutRateLimitGlobal);
	if (ok &&
	    !tb_allow(icmp_peer_bucket(daddr, now_ms), now_ms,
		      ICMP_RATELIMIT_MS, ICMP_RATE_BURST * ICMP_RATELIMIT_MS)) {
		SNMP_INC(IcmpOutRateLimitHost);
		ok = false;
	}
	spin_unlock_bh(&icmp_rl_lock);
	return ok;
}

void icmp_ratelimit_reset(void)
{
	u64 now_ms = ktime_get_ns() / 1000000;

	spin_lock_bh(&icmp_rl_lock);
	memset(icmp_peers, 0, sizeof(icmp_peers));
	icmp_global_tb.tokens = ICMP_MSGS_BURST;
	icmp_global_tb.last_ms = now_ms;
	spin_unlock_bh(&icmp_rl_lock);
}

/* ---- sending ------------------------------------------------------------- */

static void icmp_count_out(u8 type)
{
	SNMP_INC(IcmpOutMsgs);
	snmp_icmp_msg(true, type);
	if (type == ICMP_DEST_UNREACH)
		SNMP_INC(IcmpOutDestUnreachs);
	else if (type == ICMP_TIME_EXCEEDED)
		SNMP_INC(IcmpOutTimeExcds);
	else if (type == ICMP_PARAMETERPROB)
		SNMP_INC(IcmpOutParmProbs);
	else if (type == ICMP_ECHO)
		SNMP_INC(IcmpOutEchos);
	else if (type == ICMP_ECHOREPLY)
		SNMP_INC(IcmpOutEchoReps);
}

/*
 * Build and send one ICMP message: header h, then body (len bytes). Goes
 * through ip_send_skb with out. 0 or a negative errno (counted).
 */
static int icmp_push(const struct icmphdr_info *h, const u8 *body, u32 len,
		     const struct ip_out *out)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + ICMP_HLEN + len);

	if (!skb) {
		SNMP_INC(IcmpOutErrors);
		return -ENOBUFS;
	}
	skb_reserve(skb, MAX_HEADER);
	u8 *msg = skb_put(skb, ICMP_HLEN + len);
	memcpy(msg + ICMP_HLEN, body, len);
	icmp_emit(h, msg, len);
	skb_reset_transport_header(skb);
	icmp_count_out(h->type);
	int err = ip_send_skb(skb, out);
	if (err)
		SNMP_INC(IcmpOutErrors);
	return err;
}

/*
 * RFC 1122 3.2.2: an ICMP error is never sent about an ICMP error, a
 * datagram to a broadcast or multicast address (IP or link level), a
 * fragment other than the first, or a datagram whose source does not
 * name a single host.
 */
static bool icmp_error_allowed(const struct sk_buff *orig,
			       const struct iphdr_info *h, const u8 *iph,
			       u32 avail)
{
	if (orig->pkt_type != PACKET_HOST ||
	    (IPCB(orig)->flags & IPSKB_BROADCAST) ||
	    ipv4_is_multicast(h->daddr) ||
	    inet_addr_is_broadcast(orig->dev, h->daddr))
		return false;
	if (h->frag_off_bytes != 0)
		return false;
	if (h->saddr == 0 || ipv4_is_lbcast(h->saddr) ||
	    ipv4_is_multicast(h->saddr) || ipv4_is_loopback(h->saddr) ||
	    inet_addr_is_broadcast(NULL, h->saddr))
		return false;
	if (h->protocol == IPPROTO_ICMP) {
		/* The type of the offending ICMP message must be readable
		 * and be a query, not an error. */
		if (avail < (u32)h->ihl_bytes + 1 ||
		    icmp_type_is_error(iph[h->ihl_bytes]))
			return false;
	}
	return true;
}

void icmp_send(struct sk_buff *orig, u8 type, u8 code, u32 info)
{
	const u8 *iph = skb_network_header(orig);
	struct iphdr_info h;

	if (iph < orig->head || iph >= skb_tail_pointer(orig))
		return;
	u32 avail = (u32)(skb_tail_pointer(orig) - iph);
	if (ip_hdr_parse_quoted(iph, avail, &h) != 0)
		return;
	avail = MIN(avail, (u32)MAX(h.tot_len, h.ihl_bytes));
	if (!icmp_error_allowed(orig, &h, iph, avail))
		return;
	if (!icmp_ratelimit_allow(h.saddr, ktime_get_ns() / 1000000))
		return;
	struct icmphdr_info ih = {.type = type, .code = code, .rest = info};
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		ih.rest = info & 0xffff; /* RFC 1191 4: next-hop MTU */
	struct ip_out out = {
	    /* RFC 1122 3.2.2: from the address the datagram was sent
	     * to when that is ours; else the route's choice. */
	    .saddr = inet_addr_is_local(NULL, h.daddr) ? h.daddr : 0,
	    .daddr = h.saddr,
	    .protocol = IPPROTO_ICMP,
	    .tos = IPTOS_PREC_INTERNETCONTROL | (h.tos & IPTOS_TOS_MASK),
	};
	/* RFC 1812 4.3.2.3: quote as much as fits in 576 bytes. */
	icmp_push(&ih, iph, MIN(avail, (u32)ICMP_ERR_MAX_QUOTE), &out);
}

/* ---- receiving ----------------------------------------------------------- */

/* RFC 792 echo: the reply carries the request's id, sequence and data,
 * from the address the request was sent to. */
static void icmp_echo(struct sk_buff *skb, const struct icmphdr_info *h)
{
	const struct inet_skb_parm *cb = IPCB(skb);

	/* RFC 1122 3.2.2.6: a host MAY ignore echo to a broadcast address;
	 * Linux does by default (icmp_echo_ignore_broadcasts), as do we. */
	if (cb->flags & IPSKB_BROADCAST)
		return;
	struct icmphdr_info reply = {.type = ICMP_ECHOREPLY, .rest = h->rest};
	struct ip_out out = {
	    .saddr = cb->daddr,
	    .daddr = cb->saddr,
	    .protocol = IPPROTO_ICMP,
	    .tos = cb->tos,
	    .df = false, /* large replies are fragmented (Linux: DONT) */
	};
	icmp_push(&reply, skb->data + ICMP_HLEN, skb->len - ICMP_HLEN, &out);
}

static icmp_echo_reply_fn icmp_echo_listener;

void icmp_set_echo_listener(icmp_echo_reply_fn fn)
{
	WRITE_ONCE(icmp_echo_listener, fn);
}

static void icmp_echo_reply(struct sk_buff *skb, const struct icmphdr_info *h)
{
	icmp_echo_reply_fn fn = READ_ONCE(icmp_echo_listener);
	u64 rx_ns = skb->tstamp_ns ? skb->tstamp_ns : ktime_get_ns();

	if (fn)
		fn(icmp_echo_id(h), icmp_echo_seq(h), IPCB(skb)->saddr,
		   skb->len - ICMP_HLEN, IPCB(skb)->ttl, rx_ns);
}

/*
 * RFC 1191 5: a router that predates RFC 1191 sends 0 as the next-hop MTU;
 * guess the next plateau below the size of the datagram that bounced.
 */
static u16 icmp_mtu_plateau(u16 tot_len)
{
	static const u16 plateaus[] = {32000, 17914, 8166, 4352, 2002,
				       1492,  1006,  508,  296,	 68};

	for (size_t i = 0; i < ARRAY_SIZE(plateaus); i++)
		if (plateaus[i] < tot_len)
			return plateaus[i];
	return IP_MIN_MTU;
}

/*
 * An error about one of our datagrams: the quote must hold an IPv4 header
 * from one of our addresses and 8 bytes after it (RFC 792: "Internet
 * Header + 64 bits of Original Data Datagram"). Further checks that the
 * quote matches a live connection (RFC 5927) are the protocol's.
 */
static void icmp_unreach(struct sk_buff *skb, const struct icmphdr_info *h)
{
	const u8 *quote = skb->data + ICMP_HLEN;
	u32 qlen = skb->len - ICMP_HLEN, info = h->rest;
	struct iphdr_info qh;

	if (ip_hdr_parse_quoted(quote, qlen, &qh) != 0 ||
	    qlen < (u32)qh.ihl_bytes + 8) {
		SNMP_INC(IcmpInErrors);
		return;
	}
	if (!inet_addr_is_local(NULL, qh.saddr))
		return; /* not about a datagram of ours */
	if (h->type == ICMP_DEST_UNREACH && h->code == ICMP_FRAG_NEEDED) {
		/* RFC 1191 4: next-hop MTU in the low 16 bits. */
		u16 mtu = (u16)(h->rest & 0xffff);
		if (mtu == 0)
			mtu = icmp_mtu_plateau(qh.tot_len);
		/* RFC 5927 5.2: TCP checks the quote against the connection
		 * before it lowers the path MTU (tcp_v4_err). */
		if (qh.protocol != IPPROTO_TCP)
			ip_pmtu_update(qh.daddr, mtu);
		info = mtu;
	}
	const struct net_protocol *np = inet_get_protocol(qh.protocol);
	if (np && np->err_handler) {
		skb_pull(skb, ICMP_HLEN); /* data at the quoted header */
		np->err_handler(skb, h->type, h->code, info);
	}
}

static void icmp_count_in(u8 type)
{
	snmp_icmp_msg(false, type);
	switch (type) {
	case ICMP_ECHO:
		SNMP_INC(IcmpInEchos);
		break;
	case ICMP_ECHOREPLY:
		SNMP_INC(IcmpInEchoReps);
		break;
	case ICMP_DEST_UNREACH:
		SNMP_INC(IcmpInDestUnreachs);
		break;
	case ICMP_TIME_EXCEEDED:
		SNMP_INC(IcmpInTimeExcds);
		break;
	case ICMP_PARAMETERPROB:
		SNMP_INC(IcmpInParmProbs);
		break;
	case 4: /* source quench */
		SNMP_INC(IcmpInSrcQuenchs);
		break;
	case 5: /* redirect */
		SNMP_INC(IcmpInRedirects);
		break;
	case 13:
		SNMP_INC(IcmpInTimestamps);
		break;
	case 14:
		SNMP_INC(IcmpInTimestampReps);
		break;
	}
}

static int icmp_rcv(struct sk_buff *skb)
{
	struct icmphdr_info h;

	SNMP_INC(IcmpInMsgs);
	int err = icmp_parse(skb->data, skb->len, &h);
	if (err) {
		if (err == -EBADMSG)
			SNMP_INC(IcmpInCsumErrors);
		SNMP_INC(IcmpInErrors);
		kfree_skb(skb);
		return 0;
	}
	icmp_count_in(h.type);
	switch (h.type) {
	case ICMP_ECHO:
		icmp_echo(skb, &h);
		break;
	case ICMP_ECHOREPLY:
		icmp_echo_reply(skb, &h);
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		icmp_unreach(skb, &h);
		break;
	}
	consume_skb(skb);
	return 0;
}

/* ---- echo requests from the appliance ------------------------------------ */

int icmp_send_echo(u32 daddr, u16 id, u16 seq, u32 payload_len)
{
	struct icmphdr_info h = {.type = ICMP_ECHO,
				 .rest = icmp_echo_rest(id, seq)};
	struct ip_out out = {.daddr = daddr, .protocol = IPPROTO_ICMP};
	u64 now = ktime_get_ns();

	if (payload_len > ICMP_ECHO_MAX_PAYLOAD)
		return -EMSGSIZE;
	struct sk_buff *skb = alloc_skb(MAX_HEADER + ICMP_HLEN + payload_len);
	if (!skb) {
		SNMP_INC(IcmpOutErrors);
		return -ENOBUFS;
	}
	skb_reserve(skb, MAX_HEADER);
	u8 *msg = skb_put(skb, ICMP_HLEN + payload_len);
	/* Like iputils: the send time first (8 bytes here), then bytes
	 * counting up, so a reply can be checked by eye in a capture. */
	for (u32 i = 0; i < payload_len; i++)
		msg[ICMP_HLEN + i] = i < 8 ? (u8)(now >> (56 - 8 * i)) : (u8)i;
	icmp_emit(&h, msg, payload_len);
	skb_reset_transport_header(skb);
	icmp_count_out(ICMP_ECHO);
	int err = ip_send_skb(skb, &out);
	if (err)
		SNMP_INC(IcmpOutErrors);
	return err;
}

static const struct net_protocol icmp_protocol = {
    .handler = icmp_rcv,
};

void icmp_init(void)
{
	icmp_ratelimit_reset();
	inet_add_protocol(IPPROTO_ICMP, &icmp_protocol);
}
