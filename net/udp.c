/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1) with sockets.
 *
 *   RX: udp_rcv: header and length (udp_parse), checksum (zero accepted)
 *     -> a kernel listener for the port (DHCP: udp_kernel_listen) | the
 *     best socket (udp_lookup: connected 4-tuple beats bound address beats
 *     wildcard) -> udp_queue_rcv (receive buffer limit) -> sock_wake
 *     | none: broadcast ignored (UdpIgnoredMulti), unicast ICMP port
 *     unreachable (RFC 1122 4.1.3.1, UdpNoPorts)
 *   TX: udp_sendto: destination, autobind, skb with MAX_HEADER headroom,
 *     header and checksum (always computed) -> ip_send_skb
 *   ICMP errors: udp_err finds the connected socket that sent the quoted
 *     datagram and sets its pending error (RFC 1122 4.1.3.3); unconnected
 *     sockets are not told (as Linux without IP_RECVERR).
 *
 * Counters (RFC 4113, Linux's names): UdpInDatagrams when a datagram is
 * queued on a socket or given to a kernel listener, UdpNoPorts, UdpInErrors
 * (bad header or checksum, and receive buffer overflows as Linux counts
 * them), UdpInCsumErrors, UdpRcvbufErrors, UdpOutDatagrams, UdpSndbufErrors
 * (no buffer for a datagram to send).
 *
 * Locking: udp_table_lock (bh) guards the port table and the kernel
 * listeners; each socket's s->lock (bh) guards its udp_sock. The table lock
 * is taken before a socket lock, never the reverse.
 *
 * Read first: RFC 768, RFC 1122 4.1, RFC 6056 (ephemeral ports).
 */
#include <skiff/net/icmp.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/snmp.h>
#include <skiff/net/sock_internal.h>
#include <skiff/net/udp_wire.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define UDP_HASH_SIZE 256
#define UDP_RCVBUF_DEFAULT 212992u /* Linux net.core.rmem_default */
#define UDP_RCVBUF_MIN 2048u
#define UDP_RCVBUF_MAX (4u << 20)
#define UDP_SNDBUF_DEFAULT 212992u
#define UDP_EPHEMERAL_LO 32768 /* Linux ip_local_port_range */
#define UDP_EPHEMERAL_HI 60999
#define UDP_KERNEL_LISTENERS 4

struct udp_sock {
	struct socket *sk;
	struct list_head hash; /* on udp_hash[lport % UDP_HASH_SIZE] */
	bool hashed;
	u32 laddr; /* bound address, INADDR_ANY = all */
	u16 lport; /* 0 = not bound yet */
	u32 raddr; /* connected peer, with rport != 0 */
	u16 rport;
	bool reuse;		 /* SO_REUSEADDR */
	bool shut_rd, shut_wr;	 /* sock_shutdown */
	struct sk_buff_head rxq; /* data at the payload; cb: struct udp_cb */
	u32 rcvbuf_bytes;	 /* rxq may hold this much (truesize) */
	u32 rmem_bytes;		 /* truesize of what rxq holds */
	u32 sndbuf_bytes;	 /* SO_SNDBUF, also the largest datagram */
	u64 drops;		 /* receive buffer overflows */
};

/* What recvfrom needs about a queued datagram, in skb->cb (after IPCB). */
struct udp_cb {
	struct inet_skb_parm ip;
	u16 sport;
};
#define UDP_CB(skb) ((struct udp_cb *)(skb)->cb)

struct udp_kernel_listener {
	u16 port; /* 0 = free */
	udp_kernel_rcv_fn fn;
	void *arg;
};

static struct list_head udp_hash[UDP_HASH_SIZE];
static DEFINE_SPINLOCK(udp_table_lock, "udp_table");
static struct udp_kernel_listener udp_klisten[UDP_KERNEL_LISTENERS];
static u16 udp_next_ephemeral = UDP_EPHEMERAL_LO;

static struct udp_sock *udp_sk(const struct socket *s)
{
	return s->proto;
}

static u32 udp_truesize(const struct sk_buff *skb)
{
	return skb->end + (u32)sizeof(struct sk_buff);
}

/* ---- the port table ------------------------------------------------------ */

static struct list_head *udp_bucket(u16 port)
{
	return &udp_hash[port % UDP_HASH_SIZE];
}

/* Whether (addr, port) clashes with a bound socket (caller: table lock). */
static bool udp_port_busy(u32 addr, u16 port, bool reuse)
{
	struct udp_sock *u;
	list_for_each_entry (u, udp_bucket(port), hash) {
		if (u->lport != port)
			continue;
		if (reuse && u->reuse)
			continue;
		if (!u->laddr || !addr || u->laddr == addr)
			return true;
	}
	for (int i = 0; i < UDP_KERNEL_LISTENERS; i++)
		if (udp_klisten[i].port == port)
			return true;
	return false;
}

/* RFC 6056 3.3.1-like: the next free port after a moving start (caller:
 * table lock). 0 when every port is taken. */
static u16 udp_pick_ephemeral(u32 addr)
{
	u32 range = UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1;
	for (u32 i = 0; i < range; i++) {
		u16 p = udp_next_ephemeral;
		udp_next_ephemeral =
		    p == UDP_EPHEMERAL_HI ? UDP_EPHEMERAL_LO : p + 1;
		if (!udp_port_busy(addr, p, false))
			return p;
	}
	return 0;
}

/* Bind u to (addr, port), port 0 = an ephemeral one. 0 or -EADDRINUSE. */
static int udp_hash_bind(struct udp_sock *u, u32 addr, u16 port)
{
	int err = 0;
	spin_lock_bh(&udp_table_lock);
	if (!port)
		port = udp_pick_ephemeral(addr);
	if (!port || udp_port_busy(addr, port, u->reuse)) {
		err = -EADDRINUSE;
	} else {
		u->laddr = addr;
		u->lport = port;
		list_add_tail(&u->hash, udp_bucket(port));
		u->hashed = true;
	}
	spin_unlock_bh(&udp_table_lock);
	return err;
}

/* Linux's compute_score, simplified: every field that is set must match;
 * each one that matched makes the socket a better choice. -1 = no. */
static int udp_score(const struct udp_sock *u, u32 saddr, u16 sport, u32 daddr)
{
	int score = 0;
	if (u->laddr) {
		if (u->laddr != daddr)
			return -1;
		score += 4;
	}
	if (u->rport) {
		if (u->raddr != saddr || u->rport != sport)
			return -1;
		score += 8;
	}
	return score;
}

/* The socket for a datagram (caller: table lock), or NULL. A broadcast
 * reaches the best wildcard-bound socket (there is no SO_BROADCAST or
 * multi-socket delivery). */
static struct udp_sock *udp_lookup(u32 saddr, u16 sport, u32 daddr, u16 dport)
{
	struct udp_sock *u, *best = NULL;
	int best_score = -1;
	list_for_each_entry (u, udp_bucket(dport), hash) {
		if (u->lport != dport || u->shut_rd)
			continue;
		int sc = udp_score(u, saddr, sport, daddr);
		if (sc > best_score) {
			best = u;
			best_score = sc;
		}
	}
	return best;
}

/* ---- receive ------------------------------------------------------------- */

/* Queue skb (data at the payload) on u, or drop it when the receive
 * buffer is full (caller: table lock). Consumes skb. */
static void udp_queue_rcv(struct udp_sock *u, struct sk_buff *skb)
{
	struct socket *s = u->sk;
	u32 ts = udp_truesize(skb);
	spin_lock_bh(&s->lock);
	if (u->rmem_bytes + ts > u->rcvbuf_bytes) {
		u->drops++;
		spin_unlock_bh(&s->lock);
		SNMP_INC(UdpRcvbufErrors);
		SNMP_INC(UdpInErrors);
		kfree_skb(skb);
		return;
	}
	u->rmem_bytes += ts;
	skb_queue_tail(&u->rxq, skb);
	sock_wake(s);
	spin_unlock_bh(&s->lock);
	SNMP_INC(UdpInDatagrams);
}

/* A kernel listener for the port gets the datagram (data at payload). */
static bool udp_deliver_kernel(struct sk_buff *skb, u16 sport, u16 dport)
{
	udp_kernel_rcv_fn fn = NULL;
	void *arg = NULL;
	spin_lock_bh(&udp_table_lock);
	for (int i = 0; i < UDP_KERNEL_LISTENERS; i++) {
		if (udp_klisten[i].port == dport) {
			fn = udp_klisten[i].fn;
			arg = udp_klisten[i].arg;
		}
	}
	spin_unlock_bh(&udp_table_lock);
	if (!fn)
		return false;
	SNMP_INC(UdpInDatagrams);
	fn(skb, IPCB(skb)->saddr, sport, IPCB(skb)->daddr, arg);
	return true;
}

/* No socket: RFC 1122 4.1.3.1 port unreachable, except for broadcasts. */
static void udp_no_port(struct sk_buff *skb)
{
	if (IPCB(skb)->flags & IPSKB_BROADCAST) {
		SNMP_INC(UdpIgnoredMulti);
	} else {
		SNMP_INC(UdpNoPorts);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	}
	consume_skb(skb);
}

static int udp_rcv(struct sk_buff *skb)
{
	const struct inet_skb_parm *cb = IPCB(skb);
	struct udp_hdr h;
	if (udp_parse(skb->data, skb->len, &h) != 0) {
		SNMP_INC(UdpInErrors);
		kfree_skb(skb);
		return 0;
	}
	skb_trim(skb, h.len);
	if (skb->ip_summed != CHECKSUM_UNNECESSARY &&
	    !udp_csum_ok(cb->saddr, cb->daddr, skb->data, h.len)) {
		SNMP_INC(UdpInCsumErrors);
		SNMP_INC(UdpInErrors);
		kfree_skb(skb);
		return 0;
	}
	skb_reset_transport_header(skb);
	skb_pull(skb, UDP_HLEN);
	UDP_CB(skb)->sport = h.sport;
	if (udp_deliver_kernel(skb, h.sport, h.dport))
		return 0;
	spin_lock_bh(&udp_table_lock);
	struct udp_sock *u = udp_lookup(cb->saddr, h.sport, cb->daddr, h.dport);
	if (u) {
		udp_queue_rcv(u, skb);
		spin_unlock_bh(&udp_table_lock);
		return 0;
	}
	spin_unlock_bh(&udp_table_lock);
	udp_no_port(skb);
	return 0;
}

/* ICMP type/code to the errno a connected socket sees (Linux's table). */
static int udp_icmp_errno(u8 type, u8 code)
{
	if (type == ICMP_TIME_EXCEEDED)
		return EHOSTUNREACH;
	if (type == ICMP_PARAMETERPROB)
		return EPROTO;
	if (type != ICMP_DEST_UNREACH)
		return 0;
	switch (code) {
	case ICMP_NET_UNREACH:
		return ENETUNREACH;
	case ICMP_PORT_UNREACH:
	case ICMP_PROT_UNREACH:
		return ECONNREFUSED;
	case ICMP_FRAG_NEEDED:
		return 0; /* the path MTU is learnt by icmp.c; nothing to say */
	default:
		return EHOSTUNREACH;
	}
}

/* skb->data at the quoted IP header of a datagram we sent. RFC 1122
 * 4.1.3.3: pass the error up; only a connected socket can be told. */
static void udp_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	(void)info;
	if (skb->len < 20)
		return;
	u32 ihl = (skb->data[0] & 0xf) * 4u;
	if (ihl < 20 || skb->len < ihl + UDP_HLEN)
		return;
	u32 saddr = load_be32(skb->data + 12),
	    daddr = load_be32(skb->data + 16);
	u16 sport = load_be16(skb->data + ihl);
	u16 dport = load_be16(skb->data + ihl + 2);
	int err = udp_icmp_errno(type, code);
	if (!err)
		return;
	spin_lock_bh(&udp_table_lock);
	/* Our datagram: we were the source; the socket is connected to the
	 * quoted destination. */
	struct udp_sock *u = udp_lookup(daddr, dport, saddr, sport);
	if (u && u->rport && (!u->laddr || u->laddr == saddr)) {
		spin_lock_bh(&u->sk->lock);
		u->sk->so_error = err;
		sock_wake(u->sk);
		spin_unlock_bh(&u->sk->lock);
	}
	spin_unlock_bh(&udp_table_lock);
}

int udp_kernel_listen(u16 port, udp_kernel_rcv_fn fn, void *arg)
{
	int err = -ENOSPC;
	if (!port || !fn)
		return -EINVAL;
	spin_lock_bh(&udp_table_lock);
	if (udp_port_busy(INADDR_ANY, port, false)) {
		err = -EADDRINUSE;
	} else {
		for (int i = 0; i < UDP_KERNEL_LISTENERS; i++) {
			if (!udp_klisten[i].port) {
				udp_klisten[i] =
				    (struct udp_kernel_listener){port, fn, arg};
				err = 0;
				break;
			}
		}
	}
	spin_unlock_bh(&udp_table_lock);
	return err;
}

/* ---- proto_ops ----------------------------------------------------------- */

static int udp_create(struct socket *s)
{
	struct udp_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->sk = s;
	INIT_LIST_HEAD(&u->hash);
	skb_queue_head_init(&u->rxq);
	u->rcvbuf_bytes = UDP_RCVBUF_DEFAULT;
	u->sndbuf_bytes = UDP_SNDBUF_DEFAULT;
	s->proto = u;
	return 0;
}

static int udp_bind(struct socket *s, u32 addr, u16 port)
{
	struct udp_sock *u = udp_sk(s);
	if (u->hashed)
		return -EINVAL; /* already bound (Linux: EINVAL) */
	if (addr && !inet_addr_is_local(NULL, addr) &&
	    addr != INADDR_BROADCAST && !inet_addr_is_broadcast(NULL, addr))
		return -EADDRNOTAVAIL;
	return udp_hash_bind(u, addr, port);
}

/* connect: set the default peer and filter what is received; addr 0 with
 * port 0 dissolves the association (Linux: AF_UNSPEC). */
static int udp_connect(struct socket *s, u32 addr, u16 port)
{
	struct udp_sock *u = udp_sk(s);
	if ((addr == 0) != (port == 0))
		return -EINVAL;
	if (!u->hashed) {
		int err = udp_hash_bind(u, INADDR_ANY, 0);
		if (err)
			return err;
	}
	spin_lock_bh(&udp_table_lock);
	spin_lock_bh(&s->lock);
	u->raddr = addr;
	u->rport = port;
	s->so_error = 0;
	spin_unlock_bh(&s->lock);
	spin_unlock_bh(&udp_table_lock);
	return 0;
}

/* A datagram with header and checksum for ip_send_skb, or NULL. */
static struct sk_buff *udp_build(const struct udp_sock *u, u32 saddr, u32 daddr,
				 u16 dport, const void *buf, size_t len)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + UDP_HLEN + len);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER);
	u8 *p = skb_put(skb, UDP_HLEN + len);
	struct udp_hdr h = {u->lport, dport, (u16)(UDP_HLEN + len), 0};
	udp_emit(&h, p);
	memcpy(p + UDP_HLEN, buf, len);
	store_be16(p + 6, udp_csum(saddr, daddr, p, h.len));
	return skb;
}

static long udp_sendto(struct socket *s, const void *buf, size_t len, int flags,
		       u32 addr, u16 port, bool has_addr)
{
	struct udp_sock *u = udp_sk(s);
	(void)flags;
	if (u->shut_wr)
		return -EPIPE;
	if (!has_addr) {
		if (!u->rport)
			return -EDESTADDRREQ;
		addr = u->raddr;
		port = u->rport;
	}
	if (!port || !addr)
		return -EINVAL;
	if (len > UDP_MAX_PAYLOAD || len > u->sndbuf_bytes)
		return -EMSGSIZE;
	if (!u->hashed && udp_hash_bind(u, INADDR_ANY, 0))
		return -EAGAIN; /* no ephemeral port free */
	struct ip_out out = {
	    .saddr = u->laddr, .daddr = addr, .protocol = IPPROTO_UDP};
	if (!out.saddr || inet_addr_is_broadcast(NULL, out.saddr)) {
		struct ip_route_out rt;
		out.saddr = 0;
		if (ip_route_output(&out, &rt) != 0 || !rt.saddr)
			return -ENETUNREACH;
		out.saddr = rt.saddr;
	}
	struct sk_buff *skb = udp_build(u, out.saddr, addr, port, buf, len);
	if (!skb) {
		SNMP_INC(UdpSndbufErrors);
		return -ENOBUFS;
	}
	int err = ip_send_skb(skb, &out);
	if (err < 0)
		return err;
	SNMP_INC(UdpOutDatagrams);
	return (long)len;
}

/* A pending ICMP error is reported once, by the next call (Linux). */
static int udp_take_error(struct socket *s)
{
	int err = s->so_error;
	s->so_error = 0;
	return -err;
}

static long udp_recvfrom(struct socket *s, void *buf, size_t len, int flags,
			 u32 *addr, u16 *port)
{
	struct udp_sock *u = udp_sk(s);
	spin_lock_bh(&s->lock);
	if (s->so_error) {
		int err = udp_take_error(s);
		spin_unlock_bh(&s->lock);
		return err;
	}
	struct sk_buff *skb = skb_peek(&u->rxq);
	if (!skb) {
		spin_unlock_bh(&s->lock);
		return u->shut_rd ? 0 : -EAGAIN;
	}
	if (!(flags & MSG_PEEK)) {
		skb_unlink(skb, &u->rxq);
		u->rmem_bytes -= udp_truesize(skb);
	}
	spin_unlock_bh(&s->lock);
	size_t n = len < skb->len ? len : skb->len; /* the rest is lost */
	memcpy(buf, skb->data, n);
	if (addr)
		*addr = UDP_CB(skb)->ip.saddr;
	if (port)
		*port = UDP_CB(skb)->sport;
	if (!(flags & MSG_PEEK))
		consume_skb(skb);
	return (long)n;
}

static int udp_shutdown(struct socket *s, int how)
{
	struct udp_sock *u = udp_sk(s);
	if (!u->rport)
		return -ENOTCONN; /* Linux: shutdown needs a connected socket */
	spin_lock_bh(&s->lock);
	if (how != SHUT_WR)
		u->shut_rd = true;
	if (how != SHUT_RD)
		u->shut_wr = true;
	sock_wake(s);
	spin_unlock_bh(&s->lock);
	return 0;
}

static void udp_close(struct socket *s)
{
	struct udp_sock *u = udp_sk(s);
	spin_lock_bh(&udp_table_lock);
	if (u->hashed)
		list_del(&u->hash);
	spin_unlock_bh(&udp_table_lock);
	/* Unhashed: softirqs no longer find it, so nothing wakes s now. */
	skb_queue_purge(&u->rxq);
	s->proto = NULL;
	free(u);
}

static u32 udp_poll(struct socket *s)
{
	struct udp_sock *u = udp_sk(s);
	u32 ev = 0;
	spin_lock_bh(&s->lock);
	if (skb_queue_len(&u->rxq) || u->shut_rd)
		ev |= SOCK_EV_IN;
	if (!u->shut_wr)
		ev |= SOCK_EV_OUT; /* datagrams go straight to IP */
	if (s->so_error)
		ev |= SOCK_EV_ERR;
	if (u->shut_rd && u->shut_wr)
		ev |= SOCK_EV_HUP;
	spin_unlock_bh(&s->lock);
	return ev;
}

static int udp_opt_int(const void *val, size_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int udp_setsockopt(struct socket *s, int level, int opt, const void *val,
			  size_t len)
{
	struct udp_sock *u = udp_sk(s);
	int v;
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	if (udp_opt_int(val, len, &v))
		return -EINVAL;
	/* Linux doubles SO_RCVBUF/SO_SNDBUF for bookkeeping overhead. */
	u32 bytes = v < 0 ? 0 : (u32)v * 2;
	if (bytes < UDP_RCVBUF_MIN)
		bytes = UDP_RCVBUF_MIN;
	if (bytes > UDP_RCVBUF_MAX)
		bytes = UDP_RCVBUF_MAX;
	switch (opt) {
	case SO_REUSEADDR:
		u->reuse = v != 0;
		return 0;
	case SO_RCVBUF:
		u->rcvbuf_bytes = bytes;
		return 0;
	case SO_SNDBUF:
		u->sndbuf_bytes = bytes;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int udp_getsockopt(struct socket *s, int level, int opt, void *val,
			  size_t *len)
{
	struct udp_sock *u = udp_sk(s);
	int v;
	if (level != SOL_SOCKET || !val || !len || *len < sizeof(int))
		return level != SOL_SOCKET ? -ENOPROTOOPT : -EINVAL;
	switch (opt) {
	case SO_REUSEADDR:
		v = u->reuse;
		break;
	case SO_RCVBUF:
		v = (int)u->rcvbuf_bytes;
		break;
	case SO_SNDBUF:
		v = (int)u->sndbuf_bytes;
		break;
	default:
		return -ENOPROTOOPT;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static void udp_names(struct socket *s, u32 *laddr, u16 *lport, u32 *raddr,
		      u16 *rport)
{
	struct udp_sock *u = udp_sk(s);
	*laddr = u->laddr;
	*lport = u->lport;
	*raddr = u->raddr;
	*rport = u->rport;
}

/* ss: UNCONN unless connected; Recv-Q counts queued payload bytes. */
static void udp_diag(struct socket *s, struct sock_diag *d)
{
	struct udp_sock *u = udp_sk(s);
	spin_lock_bh(&s->lock);
	d->state = u->rport ? "ESTAB" : "UNCONN";
	d->listening = !u->rport;
	d->recv_q = (u32)u->rxq.bytes;
	d->send_q = 0;
	spin_unlock_bh(&s->lock);
}

static void udp_diag_info(struct socket *s)
{
	struct udp_sock *u = udp_sk(s);
	shell_printf("\t skmem:(r%u,rb%u,t0,tb%u,d%llu)\n", u->rmem_bytes,
		     u->rcvbuf_bytes, u->sndbuf_bytes,
		     (unsigned long long)u->drops);
}

static const struct proto_ops udp_ops = {
    .type = SOCK_DGRAM,
    .create = udp_create,
    .bind = udp_bind,
    .connect = udp_connect,
    .sendto = udp_sendto,
    .recvfrom = udp_recvfrom,
    .shutdown = udp_shutdown,
    .close = udp_close,
    .poll = udp_poll,
    .setsockopt = udp_setsockopt,
    .getsockopt = udp_getsockopt,
    .names = udp_names,
};

static const struct sock_family udp_family = {
    .ops = &udp_ops,
    .netid = "udp",
    .ss_flag = 'u',
    .diag = udp_diag,
    .diag_info = udp_diag_info,
};

static const struct net_protocol udp_protocol = {
    .handler = udp_rcv,
    .err_handler = udp_err,
};

void udp_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int i = 0; i < UDP_HASH_SIZE; i++)
		INIT_LIST_HEAD(&udp_hash[i]);
	inet_add_protocol(IPPROTO_UDP, &udp_protocol);
	sock_register(&udp_family);
}
