/*
 * tcp.c - the user requests of RFC 9293 3.10 (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT, STATUS) on a control block, for the socket layer to wrap.
 *
 *   tcp_send -> grow the send buffer with cwnd (tcp_sndbuf_expand) ->
 *               copy into the send ring -> tcp_push
 *   tcp_recv -> copy out of the receive ring -> auto-tune the receive
 *               buffer (tcp_rcv_space_adjust) -> a window update ACK if
 *               the window opened by enough (RFC 1122 4.2.3.3)
 *   tcp_close -> FIN (tcp_push sends it after the data) or RST when
 *               unread data is discarded (RFC 2525 2.17) or on abort;
 *               with SO_LINGER {1, n} a deadline n s away for the rest
 *
 * The second half is the SOCK_STREAM proto_ops that net/socket.c
 * dispatches to (tcp_socket_register, from tcp_init).
 */
#include <errno.h>
#include <skiff/net/sock_internal.h>
#include <skiff/net/socket.h>
#include <skiff/net/tcp.h>
#include <skiff/shell.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool tcp_can_send(const struct tcp_sock *tp)
{
	return (tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT) &&
	       !tp->fin_queued;
}

static u32 tcp_buf_round(u64 bytes)
{
	u64 b =
	    (bytes + TCP_CHUNK_BYTES - 1) / TCP_CHUNK_BYTES * TCP_CHUNK_BYTES;
	return (u32)MIN(MAX(b, (u64)TCP_MIN_BUF), (u64)TCP_RING_MAX_BYTES);
}

/* Send buffer auto-tuning (Linux's tcp_sndbuf_expand): room for two
 * congestion windows, so the app can stay ahead of ACK clocking. Not
 * under memory pressure or once SO_SNDBUF was set. */
static void tcp_sndbuf_expand(struct tcp_sock *tp)
{
	if (tp->sndbuf_locked || tcp_mem_under_pressure())
		return;
	u32 want = tcp_buf_round(2ull * tp->cc.cwnd * tcp_send_mss(tp));
	if (want > tp->sndq.size)
		tcp_ring_resize(&tp->sndq, want);
}

/* SEND (RFC 9293 3.10.2): queue what fits, then push. `ref`: buf lives
 * forever and is referenced instead of copied. */
static long tcp_send_common(struct tcp_sock *tp, const void *buf, size_t len,
			    bool ref)
{
	long ret;
	spin_lock_bh(&tcp_lock);
	if (tp->err)
		ret = tp->err;
	else if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECV)
		ret = -EAGAIN;
	else if (!tcp_can_send(tp))
		ret = tp->state == TCP_CLOSE && !tp->fin_queued ? -ENOTCONN
								: -EPIPE;
	else {
		tcp_sndbuf_expand(tp);
		u32 n = (u32)MIN(len, (size_t)tcp_ring_room(&tp->sndq));
		n = ref ? tcp_ring_append_ref(&tp->sndq, buf, n)
			: tcp_ring_append(&tp->sndq, buf, n);
		if (n == 0)
			ret = -EAGAIN;
		else {
			tcp_push(tp);
			ret = n;
		}
	}
	spin_unlock_bh(&tcp_lock);
	return ret;
}

long tcp_send(struct tcp_sock *tp, const void *buf, size_t len)
{
	return tcp_send_common(tp, buf, len, false);
}

long tcp_send_ref(struct tcp_sock *tp, const void *buf, size_t len)
{
	return tcp_send_common(tp, buf, len, true);
}

/* After a read: tell the peer if the window grew by at least
 * min(MSS, buffer/2) beyond what it knows (RFC 1122 4.2.3.3). */
static void tcp_rcv_space_update(struct tcp_sock *tp)
{
	if (tp->state == TCP_CLOSE || tp->state == TCP_LISTEN ||
	    tp->state == TCP_SYN_SENT || tp->state == TCP_TIME_WAIT)
		return;
	u32 right = tp->rcv_nxt + tcp_rcv_window(tp);
	u32 known = tp->rcv_wnd_sent;
	if (after(right, known) &&
	    right - known >= MIN((u32)tp->mss, tp->rcvq.size / 2))
		tcp_send_ack(tp);
}

/*
 * Receive buffer auto-tuning (Linux's tcp_rcv_space_adjust, simplified):
 * once per RTT (100 ms before there is an estimate), if the app read more
 * than half the buffer in that time, the window may be what limits the
 * peer: make the buffer four times what was read, up to the ring's
 * maximum. Not under memory pressure or once SO_RCVBUF was set. The
 * window scale was chosen for the maximum on the SYN.
 */
static void tcp_rcv_space_adjust(struct tcp_sock *tp, u32 copied)
{
	u64 now = tcp_now_ms();
	u32 rtt_ms = tp->rtt.srtt_us ? MAX(tp->rtt.srtt_us / 1000, 1u) : 100;
	tp->rcvq_copied += copied;
	if (now - tp->rcvq_time_ms < rtt_ms)
		return;
	if (!tp->rcvbuf_locked && !tcp_mem_under_pressure() &&
	    2 * tp->rcvq_copied > tp->rcvq.size) {
		u32 want = tcp_buf_round(4ull * tp->rcvq_copied);
		if (want > tp->rcvq.size)
			tcp_ring_resize(&tp->rcvq,
					MIN(want, tcp_rcvbuf_max(tp)));
	}
	tp->rcvq_copied = 0;
	tp->rcvq_time_ms = now;
}

long tcp_recv(struct tcp_sock *tp, void *buf, size_t len, bool peek)
{
	long ret;
	spin_lock_bh(&tcp_lock);
	u32 avail = tp->rcvq.len;
	if (avail && len) {
		u32 n = (u32)MIN(len, (size_t)avail);
		tcp_ring_copy_out(&tp->rcvq, 0, buf, n);
		if (!peek) {
			tcp_ring_drop(&tp->rcvq, n);
			tcp_rcv_space_adjust(tp, n);
			tcp_rcv_space_update(tp);
		}
		ret = n;
	} else if (len == 0)
		ret = 0;
	else if (tp->err)
		ret = tp->err;
	else if (tp->fin_rcvd || tp->rd_shutdown)
		ret = 0; /* end of stream */
	else if (tp->state == TCP_CLOSE || tp->state == TCP_LISTEN)
		ret = -ENOTCONN;
	else
		ret = -EAGAIN;
	spin_unlock_bh(&tcp_lock);
	return ret;
}

/* RFC 9293 3.10.4 CLOSE: queue the FIN behind the data. */
static void tcp_queue_fin(struct tcp_sock *tp)
{
	switch (tp->state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		tcp_set_state(tp, TCP_FIN_WAIT1);
		break;
	case TCP_CLOSE_WAIT:
		tcp_set_state(tp, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	tp->fin_queued = true;
	tcp_push(tp);
}

int tcp_shutdown_wr(struct tcp_sock *tp)
{
	int err = 0;
	spin_lock_bh(&tcp_lock);
	if (tp->state == TCP_SYN_SENT || tp->state == TCP_LISTEN)
		err = -ENOTCONN;
	else
		tcp_queue_fin(tp);
	spin_unlock_bh(&tcp_lock);
	return err;
}

/* Children a closing listener still holds are reset. */
static void tcp_listen_stop(struct tcp_sock *lp)
{
	struct tcp_sock *c, *n;
	list_for_each_entry_safe (c, n, &lp->lq->accept_q, child) {
		tcp_send_rst(c);
		tcp_done(c);
	}
	list_for_each_entry_safe (c, n, &lp->lq->syn_q, child)
		tcp_done(c);
	tcp_done(lp);
}

/* SO_LINGER {1, n} on a close with a FIN: the orphan has n seconds to
 * have its data and FIN acknowledged (tcp_timer.c resets it after). */
static void tcp_linger_arm(struct tcp_sock *tp)
{
	if (!tp->linger_ms || tp->state == TCP_FIN_WAIT2 ||
	    tp->state == TCP_TIME_WAIT || tp->state == TCP_CLOSE)
		return;
	tp->linger_at_ms = tcp_now_ms() + tp->linger_ms;
	tcp_timer_update(tp);
}

static void tcp_close_locked(struct tcp_sock *tp, bool abort)
{
	tp->sock = NULL;
	tp->orphan = true;
	switch (tp->state) {
	case TCP_LISTEN:
		tcp_listen_stop(tp);
		break;
	case TCP_CLOSE:
		tcp_done(tp);
		break;
	case TCP_SYN_SENT:
		tcp_done(tp);
		break;
	default:
		if (abort || tp->rcvq.len) {
			/* RFC 2525 2.17 / SO_LINGER 0: reset, not FIN. */
			TCP_INC(TcpExtTCPAbortOnClose);
			tcp_send_rst(tp);
			tcp_done(tp);
		} else {
			tcp_queue_fin(tp);
			tcp_linger_arm(tp);
			/* Closed after shutdown(SHUT_WR) once our FIN was
			 * already ACKed: orphaned in FIN-WAIT-2 now, so the
			 * FIN timeout starts here (found by fuzz_stack: the
			 * block otherwise stayed forever when the peer never
			 * sent its FIN). Minimal fix; the TCP owner may
			 * prefer another place for it. */
			if (tp->state == TCP_FIN_WAIT2 && !tp->fin2_at_ms) {
				tp->fin2_at_ms =
				    tcp_now_ms() + TCP_FIN_TIMEOUT_MS;
				tcp_timer_update(tp);
			}
		}
		break;
	}
}

void tcp_close(struct tcp_sock *tp, bool abort)
{
	spin_lock_bh(&tcp_lock);
	tcp_close_locked(tp, abort);
	spin_unlock_bh(&tcp_lock);
}

struct tcp_sock *tcp_accept(struct tcp_sock *lp, int *err)
{
	struct tcp_sock *tp = NULL;
	spin_lock_bh(&tcp_lock);
	if (lp->state != TCP_LISTEN)
		*err = -EINVAL;
	else if (list_empty(&lp->lq->accept_q))
		*err = -EAGAIN;
	else {
		tp =
		    list_first_entry(&lp->lq->accept_q, struct tcp_sock, child);
		list_del_init(&tp->child);
		lp->lq->accept_q_len--;
		tp->parent = NULL;
		tp->orphan = false;
		tcp_sock_put(lp);
		*err = 0;
	}
	spin_unlock_bh(&tcp_lock);
	return tp;
}

/* RFC 9293 3.10.1 OPEN, active. */
int tcp_connect(struct tcp_sock *tp, u32 addr, u16 port)
{
	int err;
	spin_lock_bh(&tcp_lock);
	if (tp->state != TCP_CLOSE || tp->daddr)
		err = tp->state == TCP_SYN_SENT ? -EALREADY : -EISCONN;
	else if (addr == 0 || port == 0)
		err = -EINVAL;
	else if ((err = tcp_v4_pick_source(tp, addr, port)) == 0) {
		tp->iss = tcp_isn(tp->saddr, tp->sport, tp->daddr, tp->dport);
		tp->snd_una = tp->iss;
		tp->snd_nxt = tp->snd_max = tp->iss + 1;
		tp->recover = tp->iss;
		tcp_cc_init(&tp->cc, tcp_cong_default(), tcp_now_ms() * 1000);
		tp->rcv_wscale = 0;
		while (tp->rcv_wscale < TCP_MAX_WSCALE &&
		       (tcp_rcvbuf_max(tp) >> tp->rcv_wscale) > 65535)
			tp->rcv_wscale++;
		tcp_set_state(tp, TCP_SYN_SENT);
		tcp_hash_established(tp);
		TCP_INC(TcpActiveOpens);
		tcp_send_syn(tp);
		tcp_rearm_rto(tp);
		err = -EINPROGRESS;
	}
	spin_unlock_bh(&tcp_lock);
	return err;
}

/* SO_KEEPALIVE and TCP_KEEPIDLE/INTVL (seconds, 1..32767) and
 * TCP_KEEPCNT (1..127), Linux's ranges; 0 leaves a value unchanged. */
int tcp_set_keepalive(struct tcp_sock *tp, bool on, int idle_s, int intvl_s,
		      int cnt)
{
	if (idle_s < 0 || idle_s > 32767 || intvl_s < 0 || intvl_s > 32767 ||
	    cnt < 0 || cnt > 127)
		return -EINVAL;
	spin_lock_bh(&tcp_lock);
	if (idle_s)
		tp->keep_idle_ms = (u32)idle_s * 1000;
	if (intvl_s)
		tp->keep_intvl_ms = (u32)intvl_s * 1000;
	if (cnt)
		tp->keep_cnt = (u32)cnt;
	tp->keepalive = on;
	tp->keep_at_ms = 0;
	if (on && tp->state != TCP_LISTEN && tp->state != TCP_CLOSE) {
		tp->keep_at_ms =
		    MAX(tp->last_rcv_ms, tcp_now_ms()) + tp->keep_idle_ms;
	}
	tcp_timer_update(tp);
	spin_unlock_bh(&tcp_lock);
	return 0;
}

int tcp_set_linger(struct tcp_sock *tp, bool on, int secs)
{
	if (on && (secs < 0 || secs > TCP_LINGER_MAX_S))
		return -EINVAL; /* off: l_linger is ignored, as Linux */
	spin_lock_bh(&tcp_lock);
	tp->linger_abort = on && secs == 0;
	tp->linger_ms = on ? (u32)secs * 1000 : 0;
	spin_unlock_bh(&tcp_lock);
	return 0;
}

/* Readiness (socket.h SOCK_EV_*). */
u32 tcp_poll(struct tcp_sock *tp)
{
	u32 ev = 0;
	spin_lock_bh(&tcp_lock);
	if (tp->state == TCP_LISTEN) {
		if (!list_empty(&tp->lq->accept_q))
			ev |= SOCK_EV_IN;
	} else {
		if (tp->rcvq.len || tp->fin_rcvd || tp->err)
			ev |= SOCK_EV_IN;
		if (tp->fin_rcvd)
			ev |= SOCK_EV_RDHUP;
		if (tcp_can_send(tp) && tcp_ring_room(&tp->sndq))
			ev |= SOCK_EV_OUT;
		if (tp->err)
			ev |= SOCK_EV_ERR;
		if (tp->state == TCP_CLOSE && (tp->err || tp->fin_rcvd))
			ev |= SOCK_EV_HUP;
	}
	spin_unlock_bh(&tcp_lock);
	return ev;
}

/* ---- SOCK_STREAM proto_ops (net/socket.c dispatches here) ------------------
 */

static struct tcp_sock *tcp_sk(struct socket *s)
{
	return s->proto;
}

/* Readiness may have changed (tcp_lock held): tell the socket layer. */
static void tcp_sock_wake_hook(struct tcp_sock *tp)
{
	if (tp->sock) {
		if (tp->err)
			tp->sock->so_error = -tp->err;
		sock_wake(tp->sock);
	}
}

static int tcp_op_create(struct socket *s)
{
	struct tcp_sock *tp = tcp_sock_create();
	if (!tp)
		return -ENOMEM;
	spin_lock_bh(&tcp_lock);
	tp->sock = s;
	s->proto = tp;
	spin_unlock_bh(&tcp_lock);
	return 0;
}

static int tcp_op_bind(struct socket *s, u32 addr, u16 port)
{
	return tcp_bind(tcp_sk(s), addr, port);
}

static int tcp_op_listen(struct socket *s, int backlog)
{
	return tcp_listen(tcp_sk(s), backlog);
}

/* A new socket for an accepted child. sock_alloc takes the socket list
 * lock, so it is called without tcp_lock (sock_internal.h). */
static int tcp_op_accept(struct socket *s, struct socket **child, u32 *addr,
			 u16 *port)
{
	if (!(tcp_poll(tcp_sk(s)) & SOCK_EV_IN))
		return tcp_sk(s)->state == TCP_LISTEN ? -EAGAIN : -EINVAL;
	struct socket *ns = sock_alloc(s->ops);
	if (!ns)
		return -ENOMEM;
	int err;
	struct tcp_sock *tp = tcp_accept(tcp_sk(s), &err);
	if (!tp) {
		sock_close(ns); /* proto NULL: tcp_op_close does nothing */
		return err;
	}
	spin_lock_bh(&tcp_lock);
	tp->sock = ns;
	ns->proto = tp;
	if (addr)
		*addr = tp->daddr;
	if (port)
		*port = tp->dport;
	spin_unlock_bh(&tcp_lock);
	*child = ns;
	return 0;
}

static int tcp_op_connect(struct socket *s, u32 addr, u16 port)
{
	return tcp_connect(tcp_sk(s), addr, port);
}

static long tcp_op_sendto(struct socket *s, const void *buf, size_t len,
			  int flags, u32 addr, u16 port, bool has_addr)
{
	(void)flags;
	(void)addr;
	(void)port;
	if (has_addr)
		return -EISCONN;
	return tcp_send(tcp_sk(s), buf, len);
}

static long tcp_op_send_ref(struct socket *s, const void *buf, size_t len,
			    int flags)
{
	(void)flags;
	return tcp_send_ref(tcp_sk(s), buf, len);
}

static long tcp_op_recvfrom(struct socket *s, void *buf, size_t len, int flags,
			    u32 *addr, u16 *port)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (addr)
		*addr = tp->daddr;
	if (port)
		*port = tp->dport;
	return tcp_recv(tp, buf, len, flags & MSG_PEEK);
}

static int tcp_op_shutdown(struct socket *s, int how)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (how == SHUT_RD || how == SHUT_RDWR) {
		spin_lock_bh(&tcp_lock);
		tp->rd_shutdown = true;
		spin_unlock_bh(&tcp_lock);
	}
	if (how == SHUT_WR || how == SHUT_RDWR)
		return tcp_shutdown_wr(tp);
	return 0;
}

static void tcp_op_close(struct socket *s)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (tp) /* NULL: a socket tcp_op_accept made and did not use */
		tcp_close(tp, tp->linger_abort);
	s->proto = NULL;
}

static u32 tcp_op_poll(struct socket *s)
{
	return tcp_poll(tcp_sk(s));
}

void tcp_get_info(struct tcp_sock *tp, struct tcp_info_snapshot *info)
{
	memset(info, 0, sizeof(*info));
	spin_lock_bh(&tcp_lock);
	info->state = (u8)tp->state;
	info->ca_state = tp->cc.ca_state;
	info->snd_wscale = tp->snd_wscale;
	info->rcv_wscale = tp->rcv_wscale;
	info->ts_ok = tp->ts_ok;
	info->ws_ok = tp->ws_ok;
	info->nodelay = tp->nodelay;
	info->retransmits = tp->retransmits;
	info->total_retrans = tp->total_retrans;
	info->rto_us = tcp_rtt_rto_us(&tp->rtt);
	info->srtt_us = tp->rtt.srtt_us;
	info->rttvar_us = tp->rtt.rttvar_us;
	info->snd_mss = tcp_send_mss(tp);
	info->snd_cwnd = tp->cc.cwnd;
	info->snd_ssthresh = tp->cc.ssthresh;
	info->snd_wnd = tp->snd_wnd;
	info->rcv_space = tcp_ring_free(&tp->rcvq);
	info->snd_buf = tp->sndq.size;
	info->rcv_buf = tp->rcvq.size;
	info->mem_bytes = tcp_ring_mem(&tp->sndq) + tcp_ring_mem(&tp->rcvq);
	info->urg_seen = tp->urg_seen;
	info->rcv_up = tp->rcv_up;
	if (tp->rack) {
		struct tcp_rack_in rin = {.min_rtt_us = tp->rtt.min_rtt_us,
					  .srtt_us = tp->rtt.srtt_us};
		info->reord_seen = tp->rack->reord_events;
		info->reo_wnd_us = tcp_rack_reo_wnd_us(tp->rack, &rin);
	} else if (tp->rack_fresh) { /* freed while idle: as a fresh one */
		struct tcp_rack fresh = {.reo_wnd_mult = 1};
		struct tcp_rack_in rin = {.min_rtt_us = tp->rtt.min_rtt_us,
					  .srtt_us = tp->rtt.srtt_us};
		info->reo_wnd_us = tcp_rack_reo_wnd_us(&fresh, &rin);
	}
	info->unacked_bytes = tp->snd_max - tp->snd_una;
	info->unread_bytes = tp->rcvq.len;
	if (tp->cc.ops)
		snprintf(info->cc_name, sizeof(info->cc_name), "%s",
			 tp->cc.ops->name);
	spin_unlock_bh(&tcp_lock);
}

/* TCP_CONGESTION: "cubic" or "reno" (tcp_cong.h), any time. */
static int tcp_set_congestion(struct tcp_sock *tp, const void *val, size_t len)
{
	char name[TCP_CA_NAME_MAX];
	size_t n = MIN(len, sizeof(name) - 1);
	memcpy(name, val, n);
	name[n] = 0;
	const struct tcp_cong_ops *ops = tcp_cong_find(name);
	if (!ops)
		return -ENOENT;
	spin_lock_bh(&tcp_lock);
	tcp_cc_set_ops(&tp->cc, ops, tcp_now_ms() * 1000);
	spin_unlock_bh(&tcp_lock);
	return 0;
}

/* SO_SNDBUF / SO_RCVBUF: the limit in bytes (rounded up to whole
 * chunks, TCP_MIN_BUF..TCP_RING_MAX_BYTES, never below what is held
 * now); auto-tuning stops for that direction, as in Linux. Set before
 * listen/connect, SO_RCVBUF also fixes the window scale offered. */
static int tcp_set_buf(struct tcp_sock *tp, bool snd, int v)
{
	if (v <= 0)
		return -EINVAL;
	spin_lock_bh(&tcp_lock);
	struct tcp_ring *r = snd ? &tp->sndq : &tp->rcvq;
	u32 size = MAX(tcp_buf_round((u64)v), tcp_buf_round(r->span));
	int err = tcp_ring_resize(r, size);
	if (err == 0 && snd)
		tp->sndbuf_locked = true;
	else if (err == 0)
		tp->rcvbuf_locked = true;
	if (snd)
		tcp_wake(tp);
	spin_unlock_bh(&tcp_lock);
	return err;
}

static int tcp_int_opt(const void *val, size_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int tcp_op_setsockopt(struct socket *s, int level, int opt,
			     const void *val, size_t len)
{
	struct tcp_sock *tp = tcp_sk(s);
	int v, err;
	if (level == SOL_SOCKET && opt == SO_LINGER) {
		struct linger_opt l;
		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		return tcp_set_linger(tp, l.l_onoff != 0, l.l_linger);
	}
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_CONGESTION)
		return tcp_set_congestion(tp, val, len);
	if ((err = tcp_int_opt(val, len, &v)) < 0)
		return err;
	if (level == SOL_SOCKET && opt == SO_REUSEADDR)
		return 0; /* TIME_WAIT never blocks a bind here */
	if (level == SOL_SOCKET && (opt == SO_SNDBUF || opt == SO_RCVBUF))
		return tcp_set_buf(tp, opt == SO_SNDBUF, v);
	if (level == SOL_SOCKET && opt == SO_KEEPALIVE)
		return tcp_set_keepalive(tp, v != 0, 0, 0, 0);
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPIDLE)
		return tcp_set_keepalive(tp, tp->keepalive, v, 0, 0);
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPINTVL)
		return tcp_set_keepalive(tp, tp->keepalive, 0, v, 0);
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPCNT)
		return tcp_set_keepalive(tp, tp->keepalive, 0, 0, v);
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_NODELAY) {
		spin_lock_bh(&tcp_lock);
		tp->nodelay = v != 0;
		if (tp->nodelay)
			tcp_push(tp);
		spin_unlock_bh(&tcp_lock);
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_op_getsockopt(struct socket *s, int level, int opt, void *val,
			     size_t *len)
{
	struct tcp_sock *tp = tcp_sk(s);
	int v;
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_INFO) {
		struct tcp_info_snapshot info;
		tcp_get_info(tp, &info);
		*len = MIN(*len, sizeof(info));
		memcpy(val, &info, *len);
		return 0;
	}
	if (level == SOL_SOCKET && opt == SO_LINGER) {
		struct linger_opt l = {.l_onoff =
					   tp->linger_abort || tp->linger_ms,
				       .l_linger = (int)(tp->linger_ms / 1000)};
		if (*len < sizeof(l))
			return -EINVAL;
		memcpy(val, &l, sizeof(l));
		*len = sizeof(l);
		return 0;
	}
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_CONGESTION) {
		const char *name = tp->cc.ops ? tp->cc.ops->name : "";
		size_t n = MIN(*len, strlen(name) + 1);
		memcpy(val, name, n);
		*len = n;
		return 0;
	}
	if (*len < sizeof(int))
		return -EINVAL;
	if (level == IPPROTO_TCP_LEVEL && opt == TCP_NODELAY)
		v = tp->nodelay;
	else if (level == IPPROTO_TCP_LEVEL && opt == TCP_MAXSEG)
		v = tp->mss;
	else if (level == SOL_SOCKET && opt == SO_KEEPALIVE)
		v = tp->keepalive;
	else if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPIDLE)
		v = (int)(tp->keep_idle_ms / 1000);
	else if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPINTVL)
		v = (int)(tp->keep_intvl_ms / 1000);
	else if (level == IPPROTO_TCP_LEVEL && opt == TCP_KEEPCNT)
		v = (int)tp->keep_cnt;
	else if (level == SOL_SOCKET && opt == SO_SNDBUF)
		v = (int)tp->sndq.size;
	else if (level == SOL_SOCKET && opt == SO_RCVBUF)
		v = (int)tp->rcvq.size;
	else
		return -ENOPROTOOPT;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static void tcp_op_names(struct socket *s, u32 *laddr, u16 *lport, u32 *raddr,
			 u16 *rport)
{
	struct tcp_sock *tp = tcp_sk(s);
	spin_lock_bh(&tcp_lock);
	*laddr = tp->saddr;
	*lport = tp->sport;
	*raddr = tp->daddr;
	*rport = tp->dport;
	spin_unlock_bh(&tcp_lock);
}

static const char *tcp_ss_state(enum tcp_state st)
{
	static const char *const names[] = {
	    "UNKNOWN",	  "ESTAB",	"SYN-SENT",  "SYN-RECV",
	    "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN",
	    "CLOSE-WAIT", "LAST-ACK",	"LISTEN",    "CLOSING"};
	return (u32)st < sizeof(names) / sizeof(names[0]) ? names[st]
							  : "UNKNOWN";
}

/* ss -o: the earliest deadline and iproute2's name for it (tcp_lock). */
static void tcp_diag_timer(const struct tcp_sock *tp, struct sock_diag_timer *t)
{
	const struct {
		u64 at;
		const char *name;
		u32 count;
	} d[] = {
	    {tp->rto_at_ms, "on", tp->retransmits},
	    {tp->tlp_at_ms, "on", tp->retransmits},
	    {tp->rack ? tp->rack->reo_at_ms : 0, "on", tp->retransmits},
	    {tp->keep_at_ms, "keepalive", tp->keep_probes},
	    {tp->tw_at_ms, "timewait", 0},
	    {tp->fin2_at_ms, "timewait", 0},
	};
	u64 now = tcp_now_ms(), best = 0;
	t->name = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
		if (!d[i].at || (best && d[i].at >= best))
			continue;
		best = d[i].at;
		t->name = d[i].name;
		t->ms = best > now ? (u32)MIN(best - now, (u64)UINT32_MAX) : 0;
		t->count = d[i].count;
	}
}

/* ss -t: Recv-Q/Send-Q are unread/unacked bytes; for a listener, the
 * accept queue and the backlog (as Linux). */
static void tcp_diag(struct socket *s, struct sock_diag *d)
{
	struct tcp_sock *tp = tcp_sk(s);
	spin_lock_bh(&tcp_lock);
	d->state = tcp_ss_state(tp->state);
	d->listening = tp->state == TCP_LISTEN || tp->state == TCP_CLOSE;
	if (tp->state == TCP_LISTEN) {
		d->recv_q = tp->lq->accept_q_len;
		d->send_q = tp->lq->backlog;
	} else {
		d->recv_q = tp->rcvq.len;
		d->send_q = tp->sndq.len;
	}
	tcp_diag_timer(tp, &d->timer);
	spin_unlock_bh(&tcp_lock);
}

/* ss -ti: the connection's internals, in ss's words. */
static void tcp_diag_info(struct socket *s)
{
	struct tcp_info_snapshot in;
	tcp_get_info(tcp_sk(s), &in);
	shell_printf(
	    "\t %s %s%s%swscale:%u,%u rto:%u rtt:%u.%03u/%u.%03u "
	    "mss:%u cwnd:%u ssthresh:%u snd_wnd:%u rcv_space:%u "
	    "unacked:%u retrans:%u/%u reord_seen:%u reo_wnd:%u.%03u "
	    "skmem:(r%u,rb%u,t%u,tb%u,m%u)\n",
	    in.cc_name, in.ts_ok ? "ts " : "", in.nodelay ? "nodelay " : "",
	    in.ws_ok ? "" : "nows ", in.snd_wscale, in.rcv_wscale,
	    in.rto_us / 1000, in.srtt_us / 1000, in.srtt_us % 1000,
	    in.rttvar_us / 1000, in.rttvar_us % 1000, in.snd_mss, in.snd_cwnd,
	    in.snd_ssthresh, in.snd_wnd, in.rcv_space, in.unacked_bytes,
	    in.retransmits, in.total_retrans, in.reord_seen,
	    in.reo_wnd_us / 1000, in.reo_wnd_us % 1000, in.unread_bytes,
	    in.rcv_buf, in.unacked_bytes, in.snd_buf, in.mem_bytes);
}

/* ss: control blocks without a socket (see struct sock_diag_row), copied
 * out under tcp_lock (tcp_for_each) into an array sized by a first count,
 * so that ss prints with no TCP lock held. Blocks in CLOSE are on their
 * way to the reaper. */
static bool tcp_unowned(const struct tcp_sock *tp)
{
	return !tp->sock && tp->state != TCP_CLOSE && tp->state != TCP_LISTEN;
}

struct tcp_unowned_copy {
	struct sock_diag_row *rows; /* NULL: only count */
	size_t n, cap;
};

static void tcp_unowned_one(struct tcp_sock *tp, void *ctx)
{
	struct tcp_unowned_copy *c = ctx;
	if (!tcp_unowned(tp))
		return;
	if (!c->rows) {
		c->n++;
		return;
	}
	if (c->n == c->cap)
		return; /* more appeared since the count: shown next time */
	struct sock_diag_row *r = &c->rows[c->n++];
	*r = (struct sock_diag_row){
	    .state = tcp_ss_state(tp->state),
	    .recv_q = tp->rcvq.len,
	    .send_q = tp->sndq.len,
	    .laddr = tp->saddr,
	    .raddr = tp->daddr,
	    .lport = tp->sport,
	    .rport = tp->dport,
	};
	tcp_diag_timer(tp, &r->timer);
}

static int tcp_diag_unowned(void (*fn)(const struct sock_diag_row *r,
				       void *ctx),
			    void *ctx)
{
	struct tcp_unowned_copy c = {NULL, 0, 0};
	tcp_for_each(tcp_unowned_one, &c);
	if (!c.n)
		return 0;
	c.cap = c.n + 16; /* a few more may come before the second walk */
	c.n = 0;
	c.rows = malloc(c.cap * sizeof(*c.rows));
	if (!c.rows)
		return -ENOMEM;
	tcp_for_each(tcp_unowned_one, &c);
	for (size_t i = 0; i < c.n; i++)
		fn(&c.rows[i], ctx);
	free(c.rows);
	return 0;
}

/* ss -s, as iproute2's line: estab counts ESTABLISHED and CLOSE-WAIT
 * (TcpCurrEstab); closed, blocks in CLOSE that a socket holds; orphaned,
 * connections the application closed, but not TIME-WAIT. */
struct tcp_summary {
	u32 total, estab, closed, orphaned, timewait;
};

static void tcp_summary_one(struct tcp_sock *tp, void *ctx)
{
	struct tcp_summary *s = ctx;
	if (tp->state == TCP_CLOSE && !tp->sock)
		return; /* on its way to the reaper */
	s->total++;
	if (tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT)
		s->estab++;
	else if (tp->state == TCP_CLOSE)
		s->closed++;
	else if (tp->state == TCP_TIME_WAIT)
		s->timewait++;
	if (tp->orphan && tp->state != TCP_TIME_WAIT)
		s->orphaned++;
}

static u32 tcp_diag_summary(void)
{
	struct tcp_summary s = {0};
	tcp_for_each(tcp_summary_one, &s);
	shell_printf("TCP:   %u (estab %u, closed %u, orphaned %u, timewait "
		     "%u)\n",
		     s.total, s.estab, s.closed, s.orphaned, s.timewait);
	return s.total;
}

static const struct proto_ops tcp_ops = {
    .type = SOCK_STREAM,
    .create = tcp_op_create,
    .bind = tcp_op_bind,
    .listen = tcp_op_listen,
    .accept = tcp_op_accept,
    .connect = tcp_op_connect,
    .sendto = tcp_op_sendto,
    .send_ref = tcp_op_send_ref,
    .recvfrom = tcp_op_recvfrom,
    .shutdown = tcp_op_shutdown,
    .close = tcp_op_close,
    .poll = tcp_op_poll,
    .setsockopt = tcp_op_setsockopt,
    .getsockopt = tcp_op_getsockopt,
    .names = tcp_op_names,
};

static const struct sock_family tcp_family = {
    .ops = &tcp_ops,
    .netid = "tcp",
    .ss_flag = 't',
    .diag = tcp_diag,
    .diag_info = tcp_diag_info,
    .diag_unowned = tcp_diag_unowned,
    .diag_summary = tcp_diag_summary,
};

/* Register SOCK_STREAM with the socket layer (called by tcp_init). */
void tcp_socket_register(void)
{
	tcp_wake_hook = tcp_sock_wake_hook;
	sock_register(&tcp_family);
}
