/*
 * tcp_timer.c - the timers of a connection (RFC 6298 retransmission with
 * backoff and retry limits, the RFC 8985 7 tail loss probe, RFC 1122
 * 4.2.3.2 delayed ACK, keepalive, TIME_WAIT, the orphaned FIN_WAIT_2
 * timeout, the SO_LINGER deadline), all on ONE timer_list per control
 * block: each deadline is a field (0 = unset), the timer is armed for the
 * earliest, and tcp_timer_fire checks every deadline against now.
 *
 *   tcp_timer_fire -> tcp_rto_expired (resend the head, back off, or
 *   abort after the retry limit) | tcp_send_loss_probe (PTO) |
 *   tcp_send_ack (delayed) | tcp_done (TIME_WAIT or FIN_WAIT_2 over) |
 *   tcp_linger_expired (RST)
 */
#include <errno.h>
#include <skiff/net/tcp.h>
#include <skiff/time.h>

static void tcp_timer_fire(struct timer_list *t);

void tcp_timer_init(struct tcp_sock *tp)
{
	kernel_timer_setup(&tp->timer, tcp_timer_fire);
}

static u64 tcp_earliest(u64 a, u64 b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return MIN(a, b);
}

void tcp_timer_update(struct tcp_sock *tp)
{
	u64 at = tcp_earliest(tcp_earliest(tp->rto_at_ms, tp->delack_at_ms),
			      tcp_earliest(tp->tw_at_ms, tp->fin2_at_ms));
	at = tcp_earliest(at, tcp_earliest(tp->keep_at_ms, tp->tlp_at_ms));
	at = tcp_earliest(at, tp->linger_at_ms);
	if (tp->rack) { /* RFC 8985 6.3 reordering timer; idle trim */
		at = tcp_earliest(at, tp->rack->reo_at_ms);
		at = tcp_earliest(at, tp->rack->idle_at_ms);
	}
	if (!at) {
		del_timer(&tp->timer);
		return;
	}
	/* Deadlines are in ms of ktime; a jiffy is a ms (HZ = 1000). */
	mod_timer(&tp->timer, msecs_to_jiffies(at));
}

void tcp_rearm_rto(struct tcp_sock *tp)
{
	u32 rto_ms = (tcp_rtt_rto_us(&tp->rtt) + 999) / 1000;
	tp->rto_at_ms = tcp_now_ms() + rto_ms;
	tcp_timer_update(tp);
}

/*
 * RFC 8985 7.2: a probe is scheduled only in the Open state (no fast
 * recovery, no RTO episode: SND.UNA has passed the RTO's SND.MAX), with
 * SACK (as Linux: the probe's SACK is what reveals the lost tail), with
 * data outstanding, no probe already out and a window open.
 */
bool tcp_tlp_allowed(const struct tcp_sock *tp)
{
	return tp->sack_ok && !tp->in_recovery && !tp->tlp_in_flight &&
	       (tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT) &&
	       tp->snd_nxt != tp->snd_una && !tcp_in_loss(tp) &&
	       tp->retransmits == 0 && tp->snd_wnd;
}

/* RFC 8985 7.2: PTO = 2 * SRTT (1 s without a sample), plus WCDelAckT
 * when only one segment is in flight. */
static u64 tcp_pto_ms(const struct tcp_sock *tp)
{
	u64 pto_ms =
	    tp->rtt.srtt_us ? (2ull * tp->rtt.srtt_us + 999) / 1000 : 1000;
	if (tp->snd_nxt - tp->snd_una <= tcp_send_mss(tp))
		pto_ms += TCP_WCDELACK_MS;
	return pto_ms;
}

/* The PTO is not armed when the RTO would fire first (7.2: PTO = min(PTO,
 * RTO)), the RTO then does the work. */
void tcp_tlp_schedule(struct tcp_sock *tp)
{
	tp->tlp_at_ms = 0;
	if (tcp_tlp_allowed(tp)) {
		u64 at = tcp_now_ms() + tcp_pto_ms(tp);
		if (!tp->rto_at_ms || at < tp->rto_at_ms)
			tp->tlp_at_ms = at;
	}
	tcp_timer_update(tp);
}

void tcp_delack_schedule(struct tcp_sock *tp)
{
	if (!tp->delack_at_ms) {
		tp->delack_at_ms = tcp_now_ms() + TCP_DELACK_MS;
		tcp_timer_update(tp);
	}
}

static u32 tcp_retry_limit(const struct tcp_sock *tp)
{
	if (tp->state == TCP_SYN_SENT)
		return TCP_SYN_RETRIES;
	if (tp->state == TCP_SYN_RECV)
		return TCP_SYNACK_RETRIES;
	return TCP_RETRIES2;
}

/* RFC 6298 5.4-5.6: retransmit, double the RTO, restart the timer; past
 * the limit, give up (RFC 1122 4.2.3.5 R2) with ETIMEDOUT. */
static void tcp_rto_expired(struct tcp_sock *tp)
{
	tp->rto_at_ms = 0;
	if (tp->snd_una == tp->snd_max && tp->sndq.len == 0)
		return; /* everything acknowledged meanwhile */
	if (tp->retransmits >= tcp_retry_limit(tp)) {
		TCP_INC(TcpExtTCPAbortOnTimeout);
		if (tp->state == TCP_SYN_SENT)
			TCP_INC(TcpAttemptFails);
		/* RFC 1122 4.2.3.9: a soft error explains the timeout. */
		tp->err = tp->soft_err ? tp->soft_err : -ETIMEDOUT;
		tcp_done(tp);
		return;
	}
	TCP_INC(TcpExtTCPTimeouts);
	tp->retransmits++;
	tp->tlp_at_ms = 0;
	tp->tlp_in_flight = false; /* RFC 8985 7.4: the RTO takes over */
	if (tp->state != TCP_SYN_SENT && tp->state != TCP_SYN_RECV) {
		/* RFC 5681 3.1 / RFC 6582 4: cwnd to one segment (not for a
		 * zero-window probe), then go back N from SND.UNA. */
		u64 now_us = tcp_now_ms() * 1000;
		/* An RTO inside an episode keeps its undo state (Linux's
		 * tcp_enter_loss): an undo restores what the first cut. */
		if (tp->snd_wnd && !tp->in_recovery && !tcp_in_loss(tp))
			tcp_init_undo(tp);
		/* RFC 5682 3.1 step 1 (SACK-enhanced, as Linux): F-RTO
		 * unless a fast recovery is under way (a repeated RTO of
		 * the same episode may use it again, 3.2). */
		tp->frto = tp->rack && tp->snd_wnd &&
			   (!tp->in_recovery || tp->retransmits > 1);
		if (tp->snd_wnd) {
			tcp_cc_on_rto(&tp->cc, tcp_flight_pkts(tp), now_us);
			/* Slow start from one segment right away: tcp_cong.c
			 * grows cwnd only in Open/Disorder (Linux also grows
			 * it in Loss). */
			tcp_cc_set_state(&tp->cc, TCP_CA_Open, now_us);
		}
		tp->in_recovery = false;
		if (tp->sack) /* RFC 6675 5.1 */
			tcp_sack_on_rto(tp->sack);
		if (tp->rack) { /* Linux's tcp_timeout_mark_lost */
			tcp_rack_on_rto(tp->rack);
			tp->rack->reo_at_ms = 0;
		}
		tp->recover = tp->snd_max;
		tp->dupacks = 0;
		tp->snd_nxt = tp->snd_una;
		tp->cwnd_limited = true; /* the loss window is what limits */
	}
	tcp_retransmit_head(tp);
	tcp_rtt_backoff(&tp->rtt);
	tp->quickack = 0;
	tcp_rearm_rto(tp);
}

/* A segment arrived: the connection is alive. */
void tcp_keepalive_reset(struct tcp_sock *tp)
{
	tp->last_rcv_ms = tcp_now_ms();
	tp->keep_probes = 0;
	if (tp->keepalive && !tp->keep_at_ms) {
		tp->keep_at_ms = tp->last_rcv_ms + tp->keep_idle_ms;
		tcp_timer_update(tp);
	}
}

/* RFC 1122 4.2.3.6: after keep_idle_ms of silence, probe every
 * keep_intvl_ms; keep_cnt unanswered probes abort with ETIMEDOUT. Only
 * when nothing is outstanding (else the RTO is watching). */
static void tcp_keepalive_timer(struct tcp_sock *tp, u64 now)
{
	tp->keep_at_ms = 0;
	if (!tp->keepalive ||
	    (tp->state != TCP_ESTABLISHED && tp->state != TCP_CLOSE_WAIT))
		return;
	u64 idle_until = tp->last_rcv_ms + tp->keep_idle_ms;
	if (now < idle_until || tp->snd_una != tp->snd_max) {
		tp->keep_at_ms = MAX(idle_until, now + tp->keep_intvl_ms);
		return;
	}
	if (tp->keep_probes >= tp->keep_cnt) {
		tp->err = -ETIMEDOUT;
		tcp_send_rst(tp);
		tcp_done(tp);
		return;
	}
	tp->keep_probes++;
	tcp_send_keepalive(tp);
	tp->keep_at_ms = now + tp->keep_intvl_ms;
}

/* SO_LINGER {1, n} ran out: if our data and FIN are still not all
 * acknowledged, the connection is reset (RFC 9293 3.10.5 ABORT) and
 * counted; true if it is gone. */
static bool tcp_linger_expired(struct tcp_sock *tp)
{
	tp->linger_at_ms = 0;
	if (tp->state != TCP_FIN_WAIT1 && tp->state != TCP_CLOSING &&
	    tp->state != TCP_LAST_ACK)
		return false;
	TCP_INC(TcpExtTCPAbortOnLinger);
	tcp_send_rst(tp);
	tcp_done(tp);
	return true;
}

/* Run every deadline that has passed; lock held, a reference taken. */
static void tcp_timer_run(struct tcp_sock *tp, u64 now)
{
	if (tp->tw_at_ms && now >= tp->tw_at_ms) {
		tp->tw_at_ms = 0;
		tcp_done(tp);
		return;
	}
	if (tp->linger_at_ms && now >= tp->linger_at_ms &&
	    tcp_linger_expired(tp))
		return;
	if (tp->fin2_at_ms && now >= tp->fin2_at_ms) {
		tp->fin2_at_ms = 0;
		if (tp->state == TCP_FIN_WAIT2) {
			tcp_done(tp);
			return;
		}
	}
	if (tp->delack_at_ms && now >= tp->delack_at_ms) {
		tp->delack_at_ms = 0;
		TCP_INC(TcpExtDelayedACKs);
		tcp_send_ack(tp);
	}
	if (tp->rack && tp->rack->reo_at_ms && now >= tp->rack->reo_at_ms) {
		tp->rack->reo_at_ms = 0;
		tcp_rack_reo_timeout(tp);
	}
	if (tp->rack && tp->rack->idle_at_ms && now >= tp->rack->idle_at_ms)
		tcp_rack_trim(tp);
	if (tp->state == TCP_CLOSE)
		return;
	if (tp->rto_at_ms && now >= tp->rto_at_ms)
		tcp_rto_expired(tp);
	else if (tp->tlp_at_ms && now >= tp->tlp_at_ms)
		tcp_send_loss_probe(tp);
	if (tp->keep_at_ms && now >= tp->keep_at_ms && tp->state != TCP_CLOSE)
		tcp_keepalive_timer(tp, now);
	if (tp->state != TCP_CLOSE)
		tcp_timer_update(tp);
}

static void tcp_timer_fire(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, timer);
	spin_lock_bh(&tcp_lock);
	if (tp->dead) { /* freed meanwhile: the reaper waits for us */
		spin_unlock_bh(&tcp_lock);
		return;
	}
	tp->refs++;
	tcp_timer_run(tp, tcp_now_ms());
	tcp_sock_put(tp);
	spin_unlock_bh(&tcp_lock);
}
