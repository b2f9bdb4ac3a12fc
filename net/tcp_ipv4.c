/*
 * tcp_ipv4.c - TCP over IPv4: the receive entry point (validate,
 * checksum, demultiplex), the connection tables, control block life
 * cycle, ISNs and the MIB counters.
 *
 *   tcp_v4_rcv: header bounds and data offset (RFC 9293 3.1), checksum
 *   over the pseudo-header (3.1), parse -> lookup: established table by
 *   the 4-tuple, then listeners by (addr, port) with the wildcard last ->
 *   tcp_rcv_state_process | tcp_timewait_input | tcp_listen_input; no
 *   match: RST (3.10.7.1, "CLOSED").
 *
 * Tables are small hashed lists; a connection is in the established
 * table from SYN_RECV until CLOSE (TIME_WAIT included: its control block
 * stays, bounded by TCP_MAX_TIMEWAIT).
 */
#include <errno.h>
#include <skiff/net/icmp.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/route.h>
#include <skiff/net/snmp.h>
#include <skiff/net/tcp_isn.h>
#include <skiff/net/tcp.h>
#include <skiff/mm.h>
#include <skiff/softirq.h>
#include <skiff/printk.h>
#include <skiff/skbuff.h>
#include <skiff/trace.h>
#include <skiff/time.h>

#include <stdlib.h>
#include <string.h>

#define TCP_EHASH_SIZE 16384 /* 100,000 connections: ~6 per chain */
#define TCP_LHASH_SIZE 64

DEFINE_SPINLOCK(tcp_lock, "tcp");
void (*tcp_wake_hook)(struct tcp_sock *tp);

static struct list_head tcp_ehash[TCP_EHASH_SIZE];
static struct list_head tcp_lhash[TCP_LHASH_SIZE];
static LIST_HEAD(tcp_all);
static struct tcp_port_alloc tcp_ports;
static u32 tcp_tw_count;

const char *tcp_state_name(enum tcp_state s)
{
	static const char *const names[] = {
	    "?",	  "ESTAB",	"SYN-SENT",  "SYN-RECV",
	    "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED",
	    "CLOSE-WAIT", "LAST-ACK",	"LISTEN",    "CLOSING"};
	return (u32)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

u64 tcp_now_ms(void)
{
	return ktime_get_ns() / 1000000ULL;
}

/* ---- hashing ------------------------------------------------------------ */

static u32 tcp_hash4(u32 laddr, u16 lport, u32 raddr, u16 rport)
{
	u32 h = laddr * 0x9e3779b1u ^ raddr * 0x85ebca6bu;
	h ^= ((u32)lport << 16 | rport) * 0xc2b2ae35u;
	return (h ^ (h >> 15)) & (TCP_EHASH_SIZE - 1);
}

static struct list_head *tcp_lhash_bucket(u16 port)
{
	return &tcp_lhash[port & (TCP_LHASH_SIZE - 1)];
}

void tcp_hash_established(struct tcp_sock *tp)
{
	if (tp->in_hash)
		list_del(&tp->hash);
	list_add(
	    &tp->hash,
	    &tcp_ehash[tcp_hash4(tp->saddr, tp->sport, tp->daddr, tp->dport)]);
	tp->in_hash = true;
}

static void tcp_hash_listener(struct tcp_sock *tp)
{
	list_add(&tp->hash, tcp_lhash_bucket(tp->sport));
	tp->in_hash = true;
}

void tcp_unhash(struct tcp_sock *tp)
{
	if (!tp->in_hash)
		return;
	list_del(&tp->hash);
	tp->in_hash = false;
}

static struct tcp_sock *tcp_lookup_established(u32 laddr, u16 lport, u32 raddr,
					       u16 rport)
{
	struct tcp_sock *tp;
	list_for_each_entry (
	    tp, &tcp_ehash[tcp_hash4(laddr, lport, raddr, rport)], hash) {
		if (tp->saddr == laddr && tp->sport == lport &&
		    tp->daddr == raddr && tp->dport == rport)
			return tp;
	}
	return NULL;
}

/* A listener on (laddr, lport), the exact address before the wildcard. */
struct tcp_sock *tcp_lookup_listener(u32 laddr, u16 lport)
{
	struct tcp_sock *tp, *wild = NULL;
	list_for_each_entry (tp, tcp_lhash_bucket(lport), hash) {
		if (tp->sport != lport || tp->state != TCP_LISTEN)
			continue;
		if (tp->saddr == laddr)
			return tp;
		if (tp->saddr == INADDR_ANY)
			wild = tp;
	}
	return wild;
}

/* Whether (addr, port) is taken by any control block that is not closed. */
static bool tcp_port_in_use(u32 addr, u16 port)
{
	struct tcp_sock *tp;
	list_for_each_entry (tp, &tcp_all, all) {
		if (tp->sport != port || (tp->state == TCP_CLOSE && tp->orphan))
			continue;
		if (tp->state == TCP_TIME_WAIT)
			continue; /* SO_REUSEADDR behaviour: TIME_WAIT is no bar
				   */
		if (tp->saddr == addr || tp->saddr == INADDR_ANY ||
		    addr == INADDR_ANY)
			return true;
	}
	return false;
}

/* ---- ISNs (RFC 6528) and ephemeral ports (RFC 6056), tcp_isn.h ------- */

u32 tcp_isn(u32 saddr, u16 sport, u32 daddr, u16 dport)
{
	return tcp_isn_v4(saddr, sport, daddr, dport, ktime_get_ns());
}

static bool tcp_port_busy(u16 port, void *ctx)
{
	return tcp_port_in_use(*(const u32 *)ctx, port);
}

static u16 tcp_pick_port(u32 saddr, u32 daddr, u16 dport)
{
	int port = tcp_ephemeral_port(&tcp_ports, saddr, daddr, dport,
				      tcp_port_busy, &saddr);
	return port > 0 ? (u16)port : 0;
}

/* ---- control blocks ----------------------------------------------------- */

static struct kcache *tcp_sock_cache;

/* A control block from its slab cache; no buffer memory yet (the rings
 * take chunks as data comes). */
static struct tcp_sock *tcp_sock_alloc(void)
{
	if (!tcp_sock_cache)
		tcp_sock_cache =
		    kcache_create("tcp_sock", sizeof(struct tcp_sock), 8);
	struct tcp_sock *tp =
	    tcp_sock_cache ? kcache_alloc(tcp_sock_cache) : NULL;
	if (!tp)
		return NULL;
	memset(tp, 0, sizeof(*tp));
	tcp_ring_init(&tp->sndq, TCP_DEFAULT_BUF);
	tcp_ring_init(&tp->rcvq, TCP_DEFAULT_BUF);
	tp->state = TCP_CLOSE;
	tp->mss = TCP_DEFAULT_MSS;
	tcp_rtt_init(&tp->rtt);
	tp->refs = 1;
	tp->quickack = 8;
	tp->keep_idle_ms = TCP_KEEPIDLE_DEFAULT_MS;
	tp->keep_intvl_ms = TCP_KEEPINTVL_DEFAULT_MS;
	tp->keep_cnt = TCP_KEEPCNT_DEFAULT;
	INIT_LIST_HEAD(&tp->child);
	INIT_LIST_HEAD(&tp->hash);
	tcp_timer_init(tp);
	list_add_tail(&tp->all, &tcp_all);
	return tp;
}

/*
 * Freeing a control block is deferred: its timer callback may already be
 * running on another CPU, waiting for tcp_lock that we hold. The block is
 * marked dead (the callback then returns at once) and handed to a tasklet
 * that, holding no lock, waits for any such callback with del_timer_sync
 * and only then frees the memory.
 */
static LIST_HEAD(tcp_reap_list);
static struct tasklet tcp_reaper;

static void tcp_reap(unsigned long unused __unused)
{
	LIST_HEAD(dead);
	spin_lock_bh(&tcp_lock);
	list_splice_tail_init(&tcp_reap_list, &dead);
	spin_unlock_bh(&tcp_lock);
	while (!list_empty(&dead)) {
		struct tcp_sock *tp =
		    list_first_entry(&dead, struct tcp_sock, all);
		list_del(&tp->all);
		del_timer_sync(&tp->timer);
		kcache_free(tcp_sock_cache, tp);
	}
}

static void tcp_sock_free(struct tcp_sock *tp)
{
	tcp_ring_release(&tp->sndq);
	tcp_ring_release(&tp->rcvq);
	free(tp->sack);
	tp->sack = NULL;
	tcp_rack_free(tp);
	free(tp->lq);
	tp->lq = NULL;
	tp->ofo_count = 0;
	tcp_ofo_put(tp);
	del_timer(&tp->timer);
	tcp_unhash(tp);
	list_del(&tp->all);
	tp->dead = true;
	list_add_tail(&tp->all, &tcp_reap_list); /* off tcp_all, above */
	tasklet_schedule(&tcp_reaper);
}

void tcp_sock_put(struct tcp_sock *tp)
{
	if (--tp->refs == 0)
		tcp_sock_free(tp);
}

static bool tcp_state_counts_estab(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT;
}

/* RFC 4022 tcpCurrEstab: connections in ESTABLISHED or CLOSE_WAIT. */
void tcp_set_state(struct tcp_sock *tp, enum tcp_state st)
{
	if (tcp_state_counts_estab(tp->state) && !tcp_state_counts_estab(st))
		snmp_add(MIB_TcpCurrEstab, (u64)-1);
	else if (!tcp_state_counts_estab(tp->state) &&
		 tcp_state_counts_estab(st))
		TCP_INC(TcpCurrEstab);
	trace_tcp_state(tp, st);
	if (tp->state == TCP_TIME_WAIT && tcp_tw_count)
		tcp_tw_count--;
	if (st == TCP_TIME_WAIT)
		tcp_tw_count++;
	tp->state = st;
}

void tcp_wake(struct tcp_sock *tp)
{
	if (tcp_wake_hook && tp->sock)
		tcp_wake_hook(tp);
	if (tp->parent && tcp_wake_hook && tp->parent->sock)
		tcp_wake_hook(tp->parent);
}

/* Leave the parent's queues (a child that dies before accept). */
static void tcp_child_unlink(struct tcp_sock *tp)
{
	struct tcp_sock *lp = tp->parent;
	if (!lp)
		return;
	list_del_init(&tp->child);
	if (tp->state == TCP_SYN_RECV)
		lp->lq->syn_q_len--;
	else
		lp->lq->accept_q_len--;
	tp->parent = NULL;
	tcp_sock_put(lp);
	tp->orphan = true; /* nobody will accept it now */
}

/* RFC 9293: "delete the TCB". A connection the app still holds stays
 * (CLOSE) until tcp_close; an orphan is freed. */
void tcp_done(struct tcp_sock *tp)
{
	tp->rto_at_ms = tp->delack_at_ms = tp->tw_at_ms = tp->fin2_at_ms = 0;
	tp->keep_at_ms = 0;
	del_timer(&tp->timer);
	if (tp->parent)
		tcp_child_unlink(tp);
	tcp_set_state(tp, TCP_CLOSE);
	tcp_unhash(tp);
	tcp_ring_release(&tp->sndq); /* nothing is sent any more */
	free(tp->sack);
	tp->sack = NULL;
	tcp_rack_free(tp);
	tcp_wake(tp);
	if (tp->orphan && !tp->sock)
		tcp_sock_put(tp);
}

/* The oldest TIME_WAIT entry, recycled when the table is full. */
static void tcp_timewait_evict_one(void)
{
	struct tcp_sock *tp;
	list_for_each_entry (tp, &tcp_all, all) {
		if (tp->state == TCP_TIME_WAIT) {
			TCP_INC(TcpExtTCPTimeWaitOverflow);
			tcp_done(tp);
			return;
		}
	}
}

void tcp_enter_timewait(struct tcp_sock *tp)
{
	if (tcp_tw_count >= TCP_MAX_TIMEWAIT)
		tcp_timewait_evict_one();
	TCP_INC(TcpExtTW);
	tcp_set_state(tp, TCP_TIME_WAIT);
	tcp_rack_free(tp); /* nothing will be sent again: no RACK state */
	tp->rto_at_ms = tp->delack_at_ms = tp->fin2_at_ms = tp->keep_at_ms = 0;
	tp->tw_at_ms = tcp_now_ms() + TCP_TIMEWAIT_MS;
	tcp_timer_update(tp);
}

/* A child for a SYN to listener lp (RFC 9293 3.10.7.2). */
struct tcp_sock *tcp_child_create(struct tcp_sock *lp, const struct tcp_seg *s)
{
	struct tcp_sock *tp = tcp_sock_alloc();
	if (!tp)
		return NULL;
	tp->saddr = s->daddr;
	tp->sport = s->dport;
	tp->daddr = s->saddr;
	tp->dport = s->sport;
	tp->parent = lp;
	tp->adv_mss = tcp_route_mss(tp->saddr, tp->daddr);
	tp->gso_max = tcp_route_gso_max(tp->saddr, tp->daddr);
	lp->refs++;
	tp->keepalive = lp->keepalive;
	tp->keep_idle_ms = lp->keep_idle_ms;
	tp->keep_intvl_ms = lp->keep_intvl_ms;
	tp->keep_cnt = lp->keep_cnt;
	tp->nodelay = lp->nodelay;
	tp->sndq.size = lp->sndq.size; /* SO_SNDBUF / SO_RCVBUF inherited */
	tp->rcvq.size = lp->rcvq.size;
	tp->sndbuf_locked = lp->sndbuf_locked;
	tp->rcvbuf_locked = lp->rcvbuf_locked;
	tp->orphan = false;
	list_add_tail(&tp->child, &lp->lq->syn_q);
	lp->lq->syn_q_len++;
	tcp_hash_established(tp);
	return tp;
}

/* ---- receive ------------------------------------------------------------ */

/* Header bounds and fields; skb->data at the TCP header. 0 or -EINVAL. */
int tcp_seg_parse(struct sk_buff *skb, struct tcp_seg *s)
{
	struct tcp_hdr_info h;
	int hlen = tcp_hdr_parse(skb->data, skb->len, &h);
	if (hlen < 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->saddr = IPCB(skb)->saddr;
	s->daddr = IPCB(skb)->daddr;
	s->sport = h.sport;
	s->dport = h.dport;
	s->seq = h.seq;
	s->ack = h.ack;
	s->flags = h.flags & 0x3f;
	s->wnd = h.window;
	s->urg_ptr = h.urg_ptr;
	s->opt = h.opt;
	s->data = skb->data + hlen;
	s->len = skb->len - (u32)hlen;
	s->hdr_len = (u8)hlen;
	s->seg_len =
	    s->len + !!(s->flags & TCP_FLAG_SYN) + !!(s->flags & TCP_FLAG_FIN);
	return 0;
}

/* RFC 9293 3.1: the checksum covers the pseudo-header. */
static bool tcp_csum_ok(const struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return true;
	return tcp_v4_csum_ok(skb->data, skb->len, IPCB(skb)->saddr,
			      IPCB(skb)->daddr);
}

static void tcp_demux(const struct tcp_seg *s)
{
	struct tcp_sock *tp =
	    tcp_lookup_established(s->daddr, s->dport, s->saddr, s->sport);
	if (tp) {
		tp->refs++;
		if (tp->state == TCP_TIME_WAIT) {
			tcp_timewait_input(tp, s);
		} else {
			tcp_keepalive_reset(tp);
			tcp_rcv_state_process(tp, s);
		}
		tcp_sock_put(tp);
		return;
	}
	tp = tcp_lookup_listener(s->daddr, s->dport);
	if (tp) {
		tcp_listen_input(tp, s);
		return;
	}
	/* RFC 9293 3.10.7.1: no TCB. */
	tcp_send_rst_for(s);
}

static int tcp_v4_rcv(struct sk_buff *skb)
{
	struct tcp_seg s;

	TCP_INC(TcpInSegs);
	if (IPCB(skb)->flags & IPSKB_BROADCAST) {
		kfree_skb(skb); /* RFC 1122 4.2.3.10: no TCP to broadcasts */
		return 0;
	}
	if (tcp_seg_parse(skb, &s) < 0) {
		TCP_INC(TcpInErrs);
		kfree_skb(skb);
		return 0;
	}
	if (!tcp_csum_ok(skb)) {
		TCP_INC(TcpInCsumErrors);
		TCP_INC(TcpInErrs);
		kfree_skb(skb);
		return 0;
	}
	spin_lock_bh(&tcp_lock);
	tcp_demux(&s);
	spin_unlock_bh(&tcp_lock);
	consume_skb(skb);
	return 0;
}

/* Our MSS toward daddr: the route's MTU (the learned path MTU, else the
 * device's) less 40 bytes of headers (RFC 9293 3.7.1, RFC 6691); the
 * default 536 when there is no route. */
u16 tcp_route_mss(u32 saddr, u32 daddr)
{
	struct ip_out out = {
	    .saddr = saddr, .daddr = daddr, .protocol = IPPROTO_TCP};
	struct ip_route_out rt;
	if (ip_route_output(&out, &rt) < 0 || rt.mtu < 576)
		return TCP_DEFAULT_MSS;
	return (u16)MIN(rt.mtu - 40, 65535u - 40);
}

/*
 * The GSO payload limit toward daddr: the device's gso_max_size less the
 * largest headers (Ethernet, IPv4 without options, TCP with 40 bytes of
 * options), and no more than an order-4 skb buffer holds with TCP's
 * headroom (so a GSO frame never needs a 128 KiB allocation). 0 when
 * the device has no TSO or the destination is local.
 */
u32 tcp_route_gso_max(u32 saddr, u32 daddr)
{
	struct ip_out out = {
	    .saddr = saddr, .daddr = daddr, .protocol = IPPROTO_TCP};
	struct ip_route_out rt;
	const u32 hdrs = ETH_HLEN + IP_HLEN + 60;
	if (ip_route_output(&out, &rt) < 0 || rt.loopback ||
	    !(rt.dev->features & NETIF_F_TSO) || rt.dev->gso_max_size <= hdrs)
		return 0;
	return MIN(rt.dev->gso_max_size - hdrs, TCP_GSO_MAX_PAYLOAD);
}

/* The quoted segment's addresses, ports and sequence number. */
struct tcp_icmp_quote {
	u32 saddr, daddr, seq;
	u16 sport, dport;
};

static bool tcp_icmp_quote_parse(const struct sk_buff *skb,
				 struct tcp_icmp_quote *q)
{
	const u8 *ip = skb->data;
	if (skb->len < 28)
		return false;
	u32 ihl = (u32)(ip[0] & 0xf) * 4;
	if (ihl < 20 || skb->len < ihl + 8)
		return false;
	q->saddr = load_be32(ip + 12);
	q->daddr = load_be32(ip + 16);
	q->sport = load_be16(ip + ihl);
	q->dport = load_be16(ip + ihl + 2);
	q->seq = load_be32(ip + ihl + 4);
	return true;
}

/* RFC 1191 / RFC 5927 5.2: a smaller path MTU, from a validated
 * "fragmentation needed": the MSS shrinks and what is outstanding goes
 * again in smaller segments (not a congestion signal: cwnd is kept). */
static void tcp_v4_mtu_reduced(struct tcp_sock *tp, u32 mtu)
{
	if (mtu < 68 || mtu >= (u32)tp->mss + 40)
		return; /* never grow on an ICMP message */
	ip_pmtu_update(tp->daddr, (u16)mtu);
	u16 mss = tcp_route_mss(tp->saddr, tp->daddr);
	if (mss >= tp->mss)
		return;
	tp->mss = mss;
	if (tp->sack)
		tcp_sack_set_mss(tp->sack, tcp_send_mss(tp));
	if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECV)
		return;
	tp->snd_nxt = tp->snd_una; /* resend with the new size */
	tcp_push(tp);
}

/* errno for an ICMP error (RFC 1122 4.2.3.9): port and protocol
 * unreachable mean refused. */
static int tcp_icmp_errno(u8 type, u8 code)
{
	if (type != ICMP_DEST_UNREACH)
		return -EHOSTUNREACH;
	if (code == ICMP_PORT_UNREACH || code == ICMP_PROT_UNREACH)
		return -ECONNREFUSED;
	return code == ICMP_NET_UNREACH ? -ENETUNREACH : -EHOSTUNREACH;
}

/*
 * An ICMP error about one of our segments. RFC 5927 4.1: acted on only
 * if the quoted sequence number is in flight (SND.UNA..SND.MAX) for a
 * connection in a synchronized state or SYN_SENT; else counted in
 * TcpExtOutOfWindowIcmps and ignored. Then: "fragmentation needed" lowers
 * the MSS (RFC 1191); in SYN_SENT a destination unreachable aborts the
 * attempt (RFC 1122 4.2.3.9 lets a hard error abort); in the other states
 * errors are soft (RFC 5927 4.1, RFC 1122 4.2.3.9): remembered and
 * reported if the connection times out.
 */
static void tcp_v4_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	struct tcp_icmp_quote q;
	if (!tcp_icmp_quote_parse(skb, &q))
		return;
	spin_lock_bh(&tcp_lock);
	struct tcp_sock *tp =
	    tcp_lookup_established(q.saddr, q.sport, q.daddr, q.dport);
	if (!tp || tp->state == TCP_TIME_WAIT || tp->state == TCP_CLOSE) {
		spin_unlock_bh(&tcp_lock);
		return;
	}
	if (!between(q.seq, tp->snd_una, tp->snd_max)) {
		TCP_INC(TcpExtOutOfWindowIcmps);
		spin_unlock_bh(&tcp_lock);
		return;
	}
	tp->refs++;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		tcp_v4_mtu_reduced(tp, info);
	else if (tp->state == TCP_SYN_SENT && type == ICMP_DEST_UNREACH) {
		tp->err = tcp_icmp_errno(type, code);
		TCP_INC(TcpAttemptFails);
		tcp_done(tp);
	} else if (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
		   type == ICMP_PARAMETERPROB)
		tp->soft_err = tcp_icmp_errno(type, code);
	tcp_sock_put(tp);
	spin_unlock_bh(&tcp_lock);
}

static const struct net_protocol tcp_protocol = {
    .handler = tcp_v4_rcv,
    .err_handler = tcp_v4_err,
};

/* ---- the API's table operations ---------------------------------------- */

struct tcp_sock *tcp_sock_create(void)
{
	spin_lock_bh(&tcp_lock);
	struct tcp_sock *tp = tcp_sock_alloc();
	spin_unlock_bh(&tcp_lock);
	return tp;
}

int tcp_bind(struct tcp_sock *tp, u32 addr, u16 port)
{
	int err = 0;
	spin_lock_bh(&tcp_lock);
	if (tp->state != TCP_CLOSE || tp->sport)
		err = -EINVAL;
	else if (port == 0 || tcp_port_in_use(addr, port))
		err = port ? -EADDRINUSE : -EINVAL;
	else {
		tp->saddr = addr;
		tp->sport = port;
	}
	spin_unlock_bh(&tcp_lock);
	return err;
}

/* The queues come with listen(): a connection has none. */
static int tcp_listen_q_alloc(struct tcp_sock *tp)
{
	if (tp->lq)
		return 0;
	tp->lq = calloc(1, sizeof(*tp->lq));
	if (!tp->lq)
		return -ENOMEM;
	INIT_LIST_HEAD(&tp->lq->syn_q);
	INIT_LIST_HEAD(&tp->lq->accept_q);
	return 0;
}

int tcp_listen(struct tcp_sock *tp, int backlog)
{
	int err = 0;
	spin_lock_bh(&tcp_lock);
	if (!tp->sport || (tp->state != TCP_CLOSE && tp->state != TCP_LISTEN))
		err = -EINVAL;
	else if (!(err = tcp_listen_q_alloc(tp))) {
		tp->lq->backlog = backlog < 1 ? 1 : MIN((u32)backlog, 4096u);
		if (tp->state != TCP_LISTEN) {
			tcp_set_state(tp, TCP_LISTEN);
			tcp_hash_listener(tp);
		}
	}
	spin_unlock_bh(&tcp_lock);
	return err;
}

void tcp_for_each(void (*fn)(struct tcp_sock *tp, void *ctx), void *ctx)
{
	struct tcp_sock *tp;
	spin_lock_bh(&tcp_lock);
	list_for_each_entry (tp, &tcp_all, all)
		fn(tp, ctx);
	spin_unlock_bh(&tcp_lock);
}

/* Choose the source address and port for connect (lock held). */
int tcp_v4_pick_source(struct tcp_sock *tp, u32 daddr, u16 dport)
{
	if (tp->saddr == INADDR_ANY) {
		struct ip_out out = {.daddr = daddr, .protocol = IPPROTO_TCP};
		struct ip_route_out rt;
		if (ip_route_output(&out, &rt) < 0)
			return -ENETUNREACH;
		tp->saddr = rt.saddr;
	}
	if (!tp->sport)
		tp->sport = tcp_pick_port(tp->saddr, daddr, dport);
	if (!tp->sport)
		return -EADDRNOTAVAIL;
	if (tcp_lookup_established(tp->saddr, tp->sport, daddr, dport))
		return -EADDRINUSE;
	tp->daddr = daddr;
	tp->dport = dport;
	tp->adv_mss = tcp_route_mss(tp->saddr, daddr);
	tp->gso_max = tcp_route_gso_max(tp->saddr, daddr);
	return 0;
}

void tcp_init(void)
{
	tasklet_init(&tcp_reaper, tcp_reap, 0);
	static bool done;
	if (done)
		return;
	done = true;
	for (u32 i = 0; i < TCP_EHASH_SIZE; i++)
		INIT_LIST_HEAD(&tcp_ehash[i]);
	for (u32 i = 0; i < TCP_LHASH_SIZE; i++)
		INIT_LIST_HEAD(&tcp_lhash[i]);
	if (!tcp_secret_init())
		pr_warn("tcp: no hardware randomness, ISN secret is weaker\n");
	tcp_port_alloc_init(&tcp_ports, 32768, 60999);
	inet_add_protocol(IPPROTO_TCP, &tcp_protocol);
	tcp_socket_register();
	pr_info("tcp: %u established buckets, memory limit %llu MiB, %s\n",
		TCP_EHASH_SIZE,
		(unsigned long long)(tcp_mem_limit_bytes() >> 20),
		tcp_cong_default()->name);
}
