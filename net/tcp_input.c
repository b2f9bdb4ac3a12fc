/*
 * tcp_input.c - segment arrival, RFC 9293 3.10.7 ("SEGMENT ARRIVES").
 *
 *   LISTEN:    tcp_listen_input (3.10.7.2): RST ignored, ACK -> RST,
 *              SYN -> a child in SYN_RECV on the SYN queue, SYN-ACK.
 *   SYN_SENT:  tcp_synsent_input (3.10.7.3).
 *   the rest:  tcp_rcv_state_process (3.10.7.4), in RFC order:
 *              tcp_seq_acceptable -> tcp_rst_input (RFC 5961 3) ->
 *              tcp_syn_input (RFC 5961 4) -> tcp_ack (RFC 5961 5) ->
 *              tcp_data_queue (in order, or into the out-of-order ranges)
 *              -> tcp_fin_input.
 *   TIME_WAIT: tcp_timewait_input (3.10.7.4 and RFC 6191 reuse).
 *
 * Everything here runs with tcp_lock held.
 */
#include <errno.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_syncookie.h>
#include <skiff/time.h>
#include <skiff/net/socket.h>

#include <stdlib.h>
#include <string.h>

/* ---- RFC 5961 challenge ACKs --------------------------------------------- */

/* RFC 5961 7: a global limit on challenge ACKs per second. */
static bool tcp_challenge_ack_allowed(void)
{
	static u64 window_start_ms;
	static u32 sent;
	u64 now = tcp_now_ms();
	if (now - window_start_ms >= 1000) {
		window_start_ms = now;
		sent = 0;
	}
	return sent++ < TCP_CHALLENGE_ACK_LIMIT;
}

static void tcp_send_challenge_ack(struct tcp_sock *tp)
{
	if (!tcp_challenge_ack_allowed())
		return;
	TCP_INC(TcpExtTCPChallengeACK);
	tcp_send_ack(tp);
}

/* ---- LISTEN -------------------------------------------------------------- */

u32 tcp_rcvbuf_max(const struct tcp_sock *tp)
{
	return tp->rcvbuf_locked ? tp->rcvq.size : TCP_RING_MAX_BYTES;
}

/* Our window scale shift: the smallest that lets the largest receive
 * buffer be advertised (RFC 7323 2.3). */
u8 tcp_choose_wscale(u32 buf)
{
	u8 shift = 0;
	while (shift < TCP_MAX_WSCALE && (buf >> shift) > 65535)
		shift++;
	return shift;
}

/* MSS and window scale from a SYN (RFC 9293 3.7.1, RFC 7323 2.2). */
static void tcp_apply_syn_options(struct tcp_sock *tp, const struct tcp_seg *s)
{
	u16 mss = (s->opt.present & TCP_OPT_MSS) ? s->opt.mss : TCP_DEFAULT_MSS;
	u16 ours = tp->adv_mss ? tp->adv_mss : TCP_DEFAULT_MSS;
	tp->mss = (u16)MIN(MAX(mss, 64u), (u32)ours); /* RFC 9293 3.7.1 */
	tp->ts_ok = (s->opt.present & TCP_OPT_TS) != 0;
	tp->sack_ok = (s->opt.present & TCP_OPT_SACK_PERM) != 0;
	if (tp->ts_ok)
		tp->ts_recent = s->opt.tsval;
	if (s->opt.present & TCP_OPT_WSCALE) {
		tp->ws_ok = true;
		tp->snd_wscale = s->opt.wscale;
		tp->rcv_wscale = tcp_choose_wscale(tcp_rcvbuf_max(tp));
	} else {
		tp->ws_ok = false;
		tp->snd_wscale = tp->rcv_wscale = 0;
	}
}

/* The SYN queue is full: answer with a SYN cookie instead of state. */
static void tcp_syn_cookie_answer(struct tcp_sock *lp, const struct tcp_seg *s)
{
	u16 mss = (s->opt.present & TCP_OPT_MSS) ? s->opt.mss : TCP_DEFAULT_MSS;
	mss = MIN(mss, tcp_route_mss(s->daddr, s->saddr));
	u32 cookie = tcp_syncookie_make(s->saddr, s->sport, s->daddr, s->dport,
					s->seq, &mss, ktime_get_ns());
	lp->lq->last_cookie_ms = tcp_now_ms();
	tcp_send_synack_cookie(lp, s, cookie);
}

/* Apply the options a cookie carried in our TSval, echoed in the ACK's
 * TSecr and decoded into co (tcp_syncookie.h). */
static void tcp_syn_cookie_opts(struct tcp_sock *tp, const struct tcp_seg *s,
				const struct tcp_syncookie_opts *co)
{
	tp->ts_ok = true;
	tp->ts_recent = s->opt.tsval;
	tp->sack_ok = co->sack_ok;
	tp->ws_ok = co->wscale_ok;
	tp->snd_wscale = co->wscale_ok ? co->wscale : 0;
	tp->rcv_wscale =
	    co->wscale_ok ? tcp_choose_wscale(tcp_rcvbuf_max(tp)) : 0;
}

/* The final ACK of a cookie handshake: a child straight into the accept
 * queue, if the cookie is valid (made in the last two minutes). */
static bool tcp_syn_cookie_ack(struct tcp_sock *lp, const struct tcp_seg *s)
{
	if (!lp->lq->last_cookie_ms ||
	    tcp_now_ms() - lp->lq->last_cookie_ms > 2 * 60 * 1000 ||
	    (s->flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)))
		return false;
	u16 mss = tcp_syncookie_check(s->saddr, s->sport, s->daddr, s->dport,
				      s->seq - 1, s->ack - 1, ktime_get_ns());
	struct tcp_syncookie_opts co;
	bool ts = s->opt.present & TCP_OPT_TS;
	if (!mss || (ts && !tcp_syncookie_tsecr_decode(s->opt.tsecr, &co))) {
		TCP_INC(TcpExtSyncookiesFailed);
		return false;
	}
	TCP_INC(TcpExtSyncookiesRecv);
	if (lp->lq->accept_q_len >= lp->lq->backlog ||
	    tcp_mem_under_pressure()) {
		TCP_INC(TcpExtListenOverflows);
		TCP_INC(TcpExtListenDrops);
		return true; /* dropped: the peer retransmits */
	}
	struct tcp_sock *tp = tcp_child_create(lp, s);
	if (!tp)
		return true;
	if (ts) /* else no timestamps: the MSS only */
		tcp_syn_cookie_opts(tp, s, &co);
	tp->irs = s->seq - 1;
	tp->rcv_nxt = s->seq;
	tp->rcv_wnd_sent = tp->rcv_nxt + tcp_ring_free(&tp->rcvq);
	tp->mss = MIN(mss, tp->adv_mss);
	tp->iss = s->ack - 1;
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->iss + 1;
	tp->snd_wl1 = s->seq - 1;
	tp->recover = tp->iss;
	tcp_cc_init(&tp->cc, tcp_cong_default(), tcp_now_ms() * 1000);
	tcp_set_state(tp, TCP_SYN_RECV);
	TCP_INC(TcpPassiveOpens);
	tcp_rcv_state_process(tp, s); /* completes it, queues any data */
	return true;
}

static void tcp_listen_syn(struct tcp_sock *lp, const struct tcp_seg *s)
{
	/* Under TCP memory pressure new connections are refused by dropping
	 * their SYN (counted; the peer retries after its RTO). */
	if (lp->lq->accept_q_len >= lp->lq->backlog ||
	    tcp_mem_under_pressure()) {
		TCP_INC(TcpExtListenOverflows);
		TCP_INC(TcpExtListenDrops);
		return;
	}
	if (lp->lq->syn_q_len >= lp->lq->backlog) {
		TCP_INC(TcpExtTCPReqQFullDoCookies);
		tcp_syn_cookie_answer(lp, s);
		return;
	}
	struct tcp_sock *tp = tcp_child_create(lp, s);
	if (!tp) {
		TCP_INC(TcpExtListenDrops);
		return;
	}
	tcp_set_state(tp, TCP_SYN_RECV);
	tp->irs = s->seq;
	tp->rcv_nxt = s->seq + 1;
	tp->rcv_wnd_sent = tp->rcv_nxt;
	tcp_apply_syn_options(tp, s);
	tp->iss = tcp_isn(tp->saddr, tp->sport, tp->daddr, tp->dport);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->iss + 1;
	tp->snd_wnd = s->wnd; /* RFC 7323 2.2: a SYN's window is unscaled */
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = s->seq;
	tp->snd_wl2 = tp->iss;
	tp->recover = tp->iss;
	tcp_cc_init(&tp->cc, tcp_cong_default(), tcp_now_ms() * 1000);
	TCP_INC(TcpPassiveOpens);
	tcp_send_syn(tp);
	tcp_rearm_rto(tp);
}

/* RFC 9293 3.10.7.2. */
void tcp_listen_input(struct tcp_sock *lp, const struct tcp_seg *s)
{
	if (s->flags & TCP_FLAG_RST)
		return;
	if (s->flags & TCP_FLAG_ACK) {
		if (!tcp_syn_cookie_ack(lp, s))
			tcp_send_rst_for(s);
		return;
	}
	if (s->flags & TCP_FLAG_SYN)
		tcp_listen_syn(lp, s);
}

/* ---- SYN_SENT ------------------------------------------------------------ */

static void tcp_synsent_input(struct tcp_sock *tp, const struct tcp_seg *s)
{
	bool ack = s->flags & TCP_FLAG_ACK;
	if (ack && (!after(s->ack, tp->iss) || after(s->ack, tp->snd_max))) {
		tcp_send_rst_for(s); /* an old duplicate's ACK */
		return;
	}
	if (s->flags & TCP_FLAG_RST) {
		if (ack) { /* RFC 9293: "error: connection reset" */
			tp->err = -ECONNREFUSED;
			TCP_INC(TcpAttemptFails);
			tcp_done(tp);
		}
		return;
	}
	if (!(s->flags & TCP_FLAG_SYN))
		return;
	tp->irs = s->seq;
	tp->rcv_nxt = s->seq + 1;
	tp->rcv_wnd_sent = tp->rcv_nxt;
	if (!(s->opt.present & TCP_OPT_WSCALE))
		tp->rcv_wscale = 0; /* the peer did not agree to scaling */
	u8 rcv_ws = tp->rcv_wscale;
	tcp_apply_syn_options(tp, s);
	if (tp->ws_ok)
		tp->rcv_wscale = rcv_ws; /* what our SYN offered */
	tp->snd_wnd = s->wnd;
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = s->seq;
	tp->snd_wl2 = s->ack;
	if (ack) {
		tp->snd_una = s->ack;
		tp->rto_at_ms = 0;
		tp->retransmits = 0;
		tcp_rtt_on_ack(&tp->rtt, s->ack, tcp_now_ms() * 1000);
		tcp_rtt_reset_backoff(&tp->rtt);
		tcp_set_state(tp, TCP_ESTABLISHED);
		tcp_send_ack(tp);
		tcp_push(tp);
		tcp_timer_update(tp);
		tcp_wake(tp);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5, figure 8). */
	tcp_set_state(tp, TCP_SYN_RECV);
	tcp_send_syn(tp);
}

/* ---- checks common to the synchronized states ---------------------------- */

/* RFC 9293 3.10.7.4, first: the four acceptability cases. */
static bool tcp_seq_acceptable(const struct tcp_sock *tp,
			       const struct tcp_seg *s)
{
	u32 wnd = tp->rcv_wnd_sent - tp->rcv_nxt;
	if (after(tp->rcv_nxt, tp->rcv_wnd_sent))
		wnd = 0;
	if (s->seg_len == 0) {
		if (wnd == 0)
			return s->seq == tp->rcv_nxt;
		/* RFC 9293 3.10.7.4 wants SEG.SEQ < RCV.NXT+RCV.WND; like
		 * Linux (tcp_sequence) we also take an empty segment at the
		 * right edge: a peer that filled our window exactly sends its
		 * ACKs there, and refusing them can stall both sides. */
		return between(s->seq, tp->rcv_nxt, tp->rcv_nxt + wnd);
	}
	/* RFC 9293 3.10.7.4: with a zero window "special allowance should
	 * be made to accept valid ACKs, URGs, and RSTs": a segment at
	 * RCV.NXT goes on, its ACK (and SACK blocks) processed and its data
	 * dropped for want of room (tcp_trim), as Linux does. A peer that
	 * filled our window keeps sending its ACKs on such segments. */
	if (wnd == 0)
		return s->seq == tp->rcv_nxt;
	return between(s->seq, tp->rcv_nxt, tp->rcv_nxt + wnd - 1) ||
	       between(s->seq + s->seg_len - 1, tp->rcv_nxt,
		       tp->rcv_nxt + wnd - 1);
}

/* RFC 5961 3.2: reset only at exactly RCV.NXT; in window: challenge. */
static void tcp_rst_input(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (s->seq != tp->rcv_nxt) {
		tcp_send_challenge_ack(tp);
		return;
	}
	switch (tp->state) {
	case TCP_SYN_RECV:
		break; /* a passive child just goes away */
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
		tp->err = -ECONNRESET;
		TCP_INC(TcpEstabResets);
		break;
	default:
		break; /* CLOSING, LAST_ACK: just close */
	}
	tcp_done(tp);
}

/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK. */
static void tcp_syn_input(struct tcp_sock *tp)
{
	TCP_INC(TcpExtTCPSYNChallenge);
	tcp_send_challenge_ack(tp);
}

/* ---- ACK processing ------------------------------------------------------ */

/* Drop n acknowledged bytes from the send ring. */
static void tcp_sndq_drop(struct tcp_sock *tp, u32 n)
{
	tcp_ring_drop(&tp->sndq, n);
}

/* RFC 9293 3.10.7.4, fifth, the window update rule (SND.WL1/WL2). */
static void tcp_window_update(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (before(tp->snd_wl1, s->seq) ||
	    (tp->snd_wl1 == s->seq && !before(s->ack, tp->snd_wl2))) {
		tp->snd_wnd = (u32)s->wnd << tp->snd_wscale;
		tp->snd_wl1 = s->seq;
		tp->snd_wl2 = s->ack;
		tp->max_window = MAX(tp->max_window, tp->snd_wnd);
	}
}

static bool tcp_our_fin_acked(const struct tcp_sock *tp)
{
	return tp->fin_sent && after(tp->snd_una, tp->fin_seq);
}

static bool tcp_sack_recovering(const struct tcp_sock *tp)
{
	return tp->in_recovery && tp->sack && tp->sack->in_recovery;
}

/* ---- undo of a spurious reduction ---------------------------------------- */

void tcp_init_undo(struct tcp_sock *tp)
{
	tp->undo_valid = true;
	tp->undo_marker = tp->snd_una;
	tp->undo_retrans = 0;
	tp->retrans_stamp = 0;
	tp->undo_cwnd = tp->cc.cwnd;
	tp->undo_ssthresh = tp->cc.ssthresh;
}

/* RFC 3522 (Eifel detection, Linux's tcp_packet_delayed): the ACK
 * echoes a TSval older than the episode's first resend, so what it
 * acknowledges arrived as an original, not as the resend. */
static bool tcp_packet_delayed(const struct tcp_sock *tp)
{
	return tp->retrans_stamp && tp->rcv_tsecr &&
	       before(tp->rcv_tsecr, tp->retrans_stamp);
}

/* Linux's tcp_may_undo: every resend of the episode was D-SACKed (RFC
 * 3708), or Eifel says the originals arrived. */
static bool tcp_may_undo(const struct tcp_sock *tp)
{
	return tp->undo_valid && (!tp->undo_retrans || tcp_packet_delayed(tp));
}

/* Linux's tcp_undo_cwnd_reduction: cwnd and ssthresh back to what the
 * episode found (never lower than now), nothing marked lost any more
 * (RACK finds what really is, its window widened, tcp_rack_spurious). */
static void tcp_undo_cwnd_reduction(struct tcp_sock *tp, bool widen)
{
	tp->cc.cwnd = MAX(tp->cc.cwnd, tp->undo_cwnd);
	tp->cc.ssthresh = MAX(tp->cc.ssthresh, tp->undo_ssthresh);
	tp->cc.cwnd_cnt = 0;
	if (tp->rack) {
		tcp_rack_unmark_lost(tp->rack);
		if (widen) /* not told by a D-SACK, which widens it itself */
			tcp_rack_spurious(tp->rack);
	}
	tp->undo_valid = false;
}

/* Fast recovery is over (RFC 6675 / RFC 6582): Open again. */
static void tcp_leave_recovery(struct tcp_sock *tp)
{
	tp->in_recovery = false;
	if (tp->sack)
		tcp_sack_exit_recovery(tp->sack);
	if (tp->rack)
		tcp_rack_recovery_done(tp->rack);
}

/* The RTO episode is over: SND.NXT back at SND.MAX, Open. */
static void tcp_leave_loss(struct tcp_sock *tp)
{
	tp->recover = tp->snd_una;
	tp->snd_nxt = tp->snd_max;
	if (tp->rack)
		tcp_rack_recovery_done(tp->rack);
}

/* The full ACK of a recovery (RFC 6582 3.2 step 3; Linux's
 * tcp_try_undo_recovery): undone if it was spurious (TcpExtTCPFullUndo),
 * else cwnd = min(ssthresh, FlightSize + 1). */
static void tcp_end_recovery(struct tcp_sock *tp, u64 now_us)
{
	tcp_leave_recovery(tp);
	if (tcp_may_undo(tp)) {
		tcp_undo_cwnd_reduction(tp, true);
		TCP_INC(TcpExtTCPFullUndo);
		tcp_cc_set_state(&tp->cc, TCP_CA_Open, now_us);
		return;
	}
	tcp_cc_exit_recovery(&tp->cc, tcp_flight_pkts(tp), now_us);
}

/* Linux's tcp_try_undo_partial (RFC 3522): a partial ACK for an
 * original while no resend is outstanding: the hole was reordering,
 * recovery ends undone (TcpExtTCPPartialUndo). RACK connections only
 * (they know what resends are outstanding). */
static bool tcp_try_undo_partial(struct tcp_sock *tp, u64 now_us)
{
	if (!tp->rack || !tp->undo_valid || !tcp_packet_delayed(tp) ||
	    tcp_rack_retrans_out(tp->rack))
		return false;
	tcp_leave_recovery(tp);
	tcp_undo_cwnd_reduction(tp, true);
	TCP_INC(TcpExtTCPPartialUndo);
	tcp_cc_set_state(&tp->cc, TCP_CA_Open, now_us);
	return true;
}

/* After an RTO (Linux's tcp_try_undo_loss): the ACK shows the RTO was
 * spurious (RFC 3522 timestamps, or every resend D-SACKed): cwnd and
 * ssthresh come back, going back N stops (TcpExtTCPLossUndo). */
static bool tcp_try_undo_loss(struct tcp_sock *tp, bool widen)
{
	if (!tcp_may_undo(tp))
		return false;
	tcp_undo_cwnd_reduction(tp, widen);
	TCP_INC(TcpExtTCPLossUndo);
	tcp_leave_loss(tp);
	tcp_cc_set_state(&tp->cc, TCP_CA_Open, tcp_now_ms() * 1000);
	return true;
}

/*
 * RFC 5682 3.1, the SACK-enhanced F-RTO (Linux's tcp_process_loss), on
 * an ACK after the RTO: data never resent (and not SACKed before)
 * acknowledged or SACKed means not all was lost: the RTO was spurious
 * (step 3b: undone, TcpExtTCPSpuriousRTOs). Else the first ACK that
 * advances SND.UNA sends new data instead of going back (step 2b), and
 * a duplicate or SACK after it shows a real loss (step 3a): back to
 * going back N from SND.UNA.
 */
static void tcp_frto(struct tcp_sock *tp, bool advanced, u32 delivered_orig,
		     bool dup)
{
	if (!tp->frto)
		return;
	if (delivered_orig && tp->undo_valid) {
		tcp_undo_cwnd_reduction(tp, true);
		TCP_INC(TcpExtTCPLossUndo);
		TCP_INC(TcpExtTCPSpuriousRTOs);
		tcp_leave_loss(tp);
		tcp_cc_set_state(&tp->cc, TCP_CA_Open, tcp_now_ms() * 1000);
		tp->frto = false;
		return;
	}
	if (after(tp->snd_max, tp->recover)) { /* new data went (2b) */
		if (dup) {
			tp->frto = false; /* 3a: the loss was real */
			tp->snd_nxt = tp->snd_una;
		}
		return;
	}
	if (!advanced || !tcp_in_loss(tp))
		return;
	if (tp->sndq.len > tp->snd_max - tp->snd_una &&
	    tp->snd_wnd > tp->snd_max - tp->snd_una)
		tp->snd_nxt = tp->snd_max; /* 2b: tcp_push sends new data */
	else
		tp->frto = false;
}

/* RFC 3708 / Linux's tcp_check_dsack + tcp_try_undo_dsack: a D-SACK of
 * data sent in the episode takes its segments off undo_retrans; when
 * none is left, every resend was needless: undone (in an RTO episode
 * as a loss undo). */
static void tcp_dsack_undo(struct tcp_sock *tp, const struct tcp_seg *s)
{
	const struct tcp_sack_block *b = &s->opt.sack[0];
	u32 mss = tcp_send_mss(tp);
	if (!tp->undo_valid || !tp->undo_retrans ||
	    !after(b->end, tp->undo_marker))
		return;
	u32 segs = MAX((b->end - b->start + mss - 1) / mss, 1u);
	tp->undo_retrans -= MIN(segs, tp->undo_retrans);
	if (tp->undo_retrans)
		return;
	if (tcp_in_loss(tp)) {
		tcp_try_undo_loss(tp, false);
		return;
	}
	if (tp->in_recovery)
		tcp_leave_recovery(tp);
	tcp_undo_cwnd_reduction(tp, false);
	TCP_INC(TcpExtTCPDSACKUndo);
	tcp_cc_set_state(&tp->cc, TCP_CA_Open, tcp_now_ms() * 1000);
}

/* Congestion control on an ACK of new data (RFC 5681, RFC 6582). */
static void tcp_cong_on_ack(struct tcp_sock *tp, u32 acked_bytes, u32 rtt_us)
{
	u64 now_us = tcp_now_ms() * 1000;
	u32 pkts = MAX((acked_bytes + tp->mss - 1) / tp->mss, 1u);
	if (tp->in_recovery) {
		if (!before(tp->snd_una, tp->recover)) {
			tcp_end_recovery(tp, now_us); /* 3.2 step 3 */
		} else if (tcp_try_undo_partial(tp, now_us)) {
			return;
		} else if (!tcp_sack_recovering(tp) && !tp->rack) {
			/* Partial ACK: the next hole is lost too. */
			tcp_newreno_partial_ack(&tp->cc, pkts);
			tcp_retransmit_head(tp);
		} /* with SACK the pipe drives sending (tcp_sack_xmit) */
		return;
	}
	if (tp->cc.ca_state == TCP_CA_Loss && !before(tp->snd_una, tp->recover))
		tcp_cc_exit_recovery(&tp->cc, tcp_flight_pkts(tp), now_us);
	tcp_cc_on_ack(&tp->cc, pkts, rtt_us, tp->cwnd_limited, now_us);
}

/* New data acknowledged: advance SND.UNA, free the ring, time, re-arm. */
static void tcp_ack_new(struct tcp_sock *tp, u32 ack)
{
	u32 acked = ack - tp->snd_una;
	if (tp->fin_sent && after(ack, tp->fin_seq))
		acked--; /* the FIN is not in the ring */
	tcp_sndq_drop(tp, acked);
	tp->snd_una = ack;
	if (before(tp->snd_nxt, ack))
		tp->snd_nxt = ack;
	tp->dupacks = 0;
	tp->retransmits = 0;
	bool sampled = tcp_rtt_on_ack(&tp->rtt, ack, tcp_now_ms() * 1000);
	if (sampled || tp->rtt.backoff)
		tcp_rtt_reset_backoff(&tp->rtt);
	tcp_cong_on_ack(tp, acked, sampled ? tp->rtt.last_rtt_us : 0);
	tp->rto_at_ms = 0;
	if (tp->snd_una != tp->snd_max)
		tcp_rearm_rto(tp);
	else if (tp->sack && !tp->in_recovery) {
		free(tp->sack); /* nothing outstanding: no scoreboard */
		tp->sack = NULL;
	}
	if (tp->snd_una == tp->snd_max && !tp->in_recovery && tp->rack) {
		tcp_rack_idle(tp->rack, tp->snd_una); /* nor RACK's log */
		/* Its memory goes once idle for a while (tcp_rack_trim), not
		 * now: a keep-alive connection's next send reuses it. */
		tp->rack->idle_at_ms = tcp_now_ms() + TCP_RACK_IDLE_MS;
	}
	tcp_tlp_schedule(tp); /* RFC 8985 7.2: re-armed on an ACK */
	tcp_wake(tp);	      /* send space */
}

/* An acceptable ACK of new data: the window, then SND.UNA. */
static void tcp_ack_advance(struct tcp_sock *tp, const struct tcp_seg *s)
{
	tcp_window_update(tp, s);
	tcp_ack_new(tp, s->ack);
}

/* A duplicate ACK: RFC 5681 2 (no data, same ACK and window, data
 * outstanding), or with SACK one that SACKs new data (RFC 6675 2). */
static bool tcp_is_dupack(const struct tcp_sock *tp, const struct tcp_seg *s,
			  u32 newly_sacked)
{
	if (s->ack != tp->snd_una || tp->snd_una == tp->snd_max)
		return false;
	if (newly_sacked)
		return true;
	return !s->len && ((u32)s->wnd << tp->snd_wscale) == tp->snd_wnd;
}

/*
 * RFC 5827 3 (byte-based, for SACK too): with fewer than four segments
 * outstanding and no new segment that may be sent now (Linux's
 * tcp_may_send_now: window, cwnd with limited transmit, Nagle), fewer
 * duplicate ACKs can arrive: the threshold falls to ER_thresh =
 * outstanding segments - 1. Otherwise RFC 5681's three.
 */
static u32 tcp_dupthresh(const struct tcp_sock *tp)
{
	u32 oseg = tcp_flight_pkts(tp);
	if (oseg < 2 || oseg > TCP_DUPTHRESH_PKTS || tcp_may_send_now(tp))
		return TCP_DUPTHRESH_PKTS;
	return oseg - 1;
}

/* Recovery starts: a probe out is part of it (RFC 8985 7.4). */
static void tcp_recovery_begin(struct tcp_sock *tp)
{
	tp->in_recovery = true;
	tp->recover = tp->snd_max;
	tp->tlp_in_flight = false;
	tp->tlp_at_ms = 0;
}

static void tcp_enter_newreno_recovery(struct tcp_sock *tp)
{
	tcp_init_undo(tp);
	tcp_newreno_enter_recovery(&tp->cc, tcp_flight_pkts(tp),
				   tcp_now_ms() * 1000);
	TCP_INC(TcpExtTCPRenoRecovery);
	TCP_INC(TcpExtTCPFastRetrans);
	tcp_recovery_begin(tp);
	tcp_retransmit_head(tp);
}

/* RFC 6675 5 step 4: ssthresh and cwnd from the algorithm (cwnd =
 * ssthresh), RecoveryPoint = HighData, the head resent, then as much as
 * the pipe allows. */
static void tcp_enter_sack_recovery(struct tcp_sock *tp)
{
	tcp_init_undo(tp);
	tcp_cc_enter_recovery(&tp->cc, tcp_flight_pkts(tp),
			      tcp_now_ms() * 1000);
	TCP_INC(TcpExtTCPSackRecovery);
	TCP_INC(TcpExtTCPFastRetrans);
	tcp_sack_enter_recovery(tp->sack);
	tcp_recovery_begin(tp);
	tcp_sack_retransmit_head(tp);
	tcp_sack_xmit(tp);
}

/* RFC 5681 3.2 / RFC 6675 5: the third duplicate ACK (or, with SACK,
 * the head counted lost by IsLost; or fewer, RFC 5827) starts fast
 * recovery, but not again for losses of the same window (RFC 6582 3.2
 * step 2). The first two may send new data (limited transmit, in
 * tcp_cwnd_room; tcp_push runs after the ACK). */
static void tcp_dupack(struct tcp_sock *tp, const struct tcp_seg *s,
		       u32 newly_sacked)
{
	if (!tcp_is_dupack(tp, s, newly_sacked))
		return;
	tp->dupacks++;
	if (tp->in_recovery) {
		if (!tcp_sack_recovering(tp))
			tcp_newreno_dupack(&tp->cc); /* RFC 5681 3.2 step 4 */
		return;
	}
	if (!after(tp->snd_una, tp->recover) || tp->rack)
		return; /* with RACK, time decides (tcp_rack_ack) */
	u32 thresh = tcp_dupthresh(tp);
	if (tp->sack &&
	    (tp->dupacks >= thresh || tcp_sack_is_lost(tp->sack, tp->snd_una)))
		tcp_enter_sack_recovery(tp);
	else if (!tp->sack && tp->dupacks >= thresh)
		tcp_enter_newreno_recovery(tp);
}

/* RFC 2018 5 / RFC 6675 5: the scoreboard learns the ACK and its SACK
 * blocks (made when the first block arrives). Returns the bytes newly
 * SACKed; a D-SACK (RFC 2883) is counted. */
static u32 tcp_sack_on_ack(struct tcp_sock *tp, const struct tcp_seg *s,
			   bool *dsack)
{
	bool blocks = tp->sack_ok && (s->opt.present & TCP_OPT_SACK);
	struct tcp_sack_result res;
	*dsack = false;
	if (!tp->sack && !blocks)
		return 0;
	if (!tp->sack) {
		tp->sack = malloc(sizeof(*tp->sack));
		if (!tp->sack)
			return 0;
		tcp_sack_init(tp->sack, tp->snd_una, tcp_send_mss(tp));
		tcp_sack_on_send(tp->sack, tp->snd_max);
	}
	tcp_sack_update(tp->sack, s->ack, s->opt.sack,
			blocks ? s->opt.nr_sack : 0, &res);
	if (res.dsack)
		TCP_INC(TcpExtTCPDSACKRecv);
	if (tcp_sack_reneged(tp->sack)) {
		TCP_INC(TcpExtTCPSACKReneging);
		tcp_sack_forget(tp->sack);
		if (tp->rack)
			tcp_rack_forget_sacked(tp->rack);
		if (tcp_in_loss(tp)) /* what was skipped goes again */
			tp->snd_nxt = tp->snd_una;
	}
	*dsack = res.dsack;
	return res.newly_sacked_bytes;
}

/*
 * RFC 8985 7.4: the ACK that covers a loss probe (TLP.end_seq). A probe
 * that was a retransmission, acknowledged without a D-SACK, repaired a
 * real loss: the congestion response of fast recovery is taken once
 * (cwnd reduced, TcpExtTCPLossProbeRecovery). A D-SACK says the original
 * arrived too (no loss); a probe of new data needs nothing here, its
 * ACK or SACK feeds the usual loss detection.
 */
static void tcp_tlp_ack(struct tcp_sock *tp, const struct tcp_seg *s,
			bool dsack)
{
	if (!tp->tlp_in_flight || before(s->ack, tp->tlp_end_seq))
		return;
	tp->tlp_in_flight = false;
	if (!tp->tlp_retrans || dsack)
		return;
	u64 now_us = tcp_now_ms() * 1000;
	TCP_INC(TcpExtTCPLossProbeRecovery);
	/* cwnd = ssthresh at once, the loss already repaired (as Linux's
	 * CWR state ending at the same ACK). */
	tcp_cc_enter_recovery(&tp->cc, tcp_flight_pkts(tp), now_us);
	tcp_cc_set_state(&tp->cc, TCP_CA_Open, now_us);
	tcp_cc_event(&tp->cc, CA_EVENT_COMPLETE_CWR, now_us);
}

/*
 * A lost resend of the head in SACK recovery (Linux's tcp_mark_lost_retrans
 * before RACK; RFC 8985 6 finds it by time): data first sent after the
 * head went again is SACKed while the head is still not acknowledged,
 * so that resend was lost too. RFC 6675 resends a hole only once and
 * would wait for the RTO (TcpExtTCPLostRetransmit).
 */
static void tcp_lost_retransmit(struct tcp_sock *tp)
{
	if (!tp->head_rtx_valid || tp->snd_una != tp->head_rtx_seq) {
		tp->head_rtx_valid = false; /* the head moved on */
		return;
	}
	if (after(tcp_sack_high_sacked(tp->sack), tp->head_rtx_mark))
		tcp_sack_retransmit_lost_head(tp);
}

/* ---- RACK (RFC 8985 6) -------------------------------------------------- */

bool tcp_recovery_rack = true;

static void tcp_rack_in_init(const struct tcp_sock *tp, struct tcp_rack_in *in,
			     u32 ack)
{
	memset(in, 0, sizeof(*in));
	in->ack = ack;
	in->ts = tp->rcv_tsecr != 0;
	in->tsecr = tp->rcv_tsecr;
	in->now_us = tcp_now_ms() * 1000;
	in->min_rtt_us = tp->rtt.min_rtt_us;
	in->srtt_us = tp->rtt.srtt_us;
	in->recovering = tp->in_recovery || tcp_in_loss(tp);
	in->sacked_pkts =
	    tp->sack ? tp->sack->sacked_bytes / tcp_send_mss(tp) : 0;
	/* F-RTO: what was sent before the RTO (SND.MAX then) */
	in->high_seq = tcp_in_loss(tp) ? tp->recover : tp->snd_max;
}

/* RFC 8985 6.3: the reordering timer, at RACK's longest wait left. */
static void tcp_rack_arm(struct tcp_sock *tp, u64 timeout_us)
{
	tp->rack->reo_at_ms =
	    timeout_us ? tcp_now_ms() + (timeout_us + 999) / 1000 : 0;
	tcp_timer_update(tp);
}

/* What RACK learned; resends it found lost count as Linux counts them. */
static void tcp_rack_note(struct tcp_sock *tp, const struct tcp_rack_out *out,
			  u32 lost_retrans_before)
{
	if (out->reordering)
		TCP_INC(TcpExtTCPSACKReorder);
	SNMP_ADD(TcpExtTCPLostRetransmit,
		 tp->rack->lost_retrans - lost_retrans_before);
	tcp_rack_arm(tp, out->reo_timeout_us);
}

/* RFC 8985 6.2 on one ACK: its cumulative ACK and SACK blocks (a D-SACK
 * is not a delivery, only step 4's signal). Returns the bytes newly
 * delivered (acked or SACKed: PRR's DeliveredData). */
static u32 tcp_rack_ack(struct tcp_sock *tp, const struct tcp_seg *s,
			bool dsack, u32 *delivered_orig)
{
	struct tcp_sack_block blocks[TCP_MAX_SACK_BLOCKS];
	struct tcp_rack_in in;
	struct tcp_rack_out out;
	unsigned n = 0;
	*delivered_orig = 0;
	if (!tp->rack)
		return 0;
	if (tp->sack_ok && (s->opt.present & TCP_OPT_SACK))
		for (unsigned i = dsack ? 1 : 0;
		     i < s->opt.nr_sack && n < TCP_MAX_SACK_BLOCKS; i++)
			blocks[n++] = s->opt.sack[i];
	tcp_rack_in_init(tp, &in, s->ack);
	in.blocks = blocks;
	in.nr_blocks = n;
	in.dsack = dsack;
	u32 lost_retrans = tp->rack->lost_retrans;
	tcp_rack_on_ack(tp->rack, &in, &out);
	tcp_rack_note(tp, &out, lost_retrans);
	*delivered_orig = out.delivered_orig;
	return out.delivered;
}

/* RACK marked bytes lost (Linux's tcp_time_to_recover: lost_out): fast
 * recovery starts, ssthresh from the algorithm, and PRR (RFC 6937 3)
 * starts counting: RecoverFS = FlightSize, nothing delivered or sent. */
static void tcp_enter_rack_recovery(struct tcp_sock *tp)
{
	u32 flight = tcp_flight_pkts(tp);
	tcp_init_undo(tp);
	tcp_cc_enter_recovery(&tp->cc, flight, tcp_now_ms() * 1000);
	TCP_INC(TcpExtTCPSackRecovery);
	TCP_INC(TcpExtTCPFastRetrans);
	if (tp->sack)
		tcp_sack_enter_recovery(tp->sack);
	tcp_recovery_begin(tp);
	tp->rack->prr_recover_fs = MAX(flight, 1u);
	tp->rack->prr_delivered = 0;
	tp->rack->prr_out = 0;
}

/*
 * RFC 6937 3 (Proportional Rate Reduction), in segments as Linux's
 * tcp_cwnd_reduction: on each ACK of the recovery that delivered data,
 * while the pipe is above ssthresh the sending follows the delivery
 * at the ratio ssthresh / RecoverFS; at or below it, PRR-SSRB lets it
 * grow back toward ssthresh by at most one segment more than delivered.
 * The first retransmission is never held back. cwnd = pipe + sndcnt.
 */
static void tcp_prr_update(struct tcp_sock *tp, u32 delivered_bytes)
{
	struct tcp_rack *r = tp->rack;
	u32 mss = tcp_send_mss(tp);
	u32 delivered = (delivered_bytes + mss - 1) / mss;
	u32 pipe = (tcp_rack_pipe(r) + mss - 1) / mss;
	u32 ssthresh = tp->cc.ssthresh;
	s64 sndcnt;
	if (!delivered)
		return;
	r->prr_delivered += delivered;
	if (pipe > ssthresh) {
		u64 want =
		    ((u64)r->prr_delivered * ssthresh + r->prr_recover_fs - 1) /
		    r->prr_recover_fs;
		sndcnt = (s64)want - r->prr_out;
	} else {
		s64 limit =
		    MAX((s64)r->prr_delivered - r->prr_out, (s64)delivered) + 1;
		sndcnt = MIN((s64)(ssthresh - pipe), limit);
	}
	sndcnt = MAX(sndcnt, r->prr_out ? 0 : 1);
	tp->cc.cwnd = MAX(pipe + (u32)sndcnt, 1u);
}

/* After RACK ran (on an ACK that delivered delivered_bytes, or on the
 * reordering timer): recovery begins if bytes are lost, PRR sets cwnd,
 * and what cwnd - pipe allows goes out, lost bytes first. */
static void tcp_rack_respond(struct tcp_sock *tp, u32 delivered_bytes,
			     bool timer)
{
	if (!tp->rack)
		return;
	if (!tp->in_recovery && !tcp_in_loss(tp)) {
		if (!tcp_rack_lost_out(tp->rack))
			return;
		tcp_enter_rack_recovery(tp);
		if (timer) /* as Linux: one segment's worth to start with */
			delivered_bytes = tcp_send_mss(tp);
	}
	if (tp->in_recovery)
		tcp_prr_update(tp, delivered_bytes);
	tcp_rack_xmit(tp);
}

/* RFC 8985 6.3: the reordering timer fired: step 5 again, now. */
void tcp_rack_reo_timeout(struct tcp_sock *tp)
{
	struct tcp_rack_in in;
	struct tcp_rack_out out;
	if (!tp->rack || tp->state == TCP_CLOSE || tp->state == TCP_TIME_WAIT)
		return;
	tcp_rack_in_init(tp, &in, tp->snd_una);
	in.ts = false;
	u32 lost_retrans = tp->rack->lost_retrans;
	memset(&out, 0, sizeof(out));
	tcp_rack_detect_loss(tp->rack, &in, &out);
	tcp_rack_note(tp, &out, lost_retrans);
	tcp_rack_respond(tp, 0, true);
	tcp_push(tp);
}

/*
 * RFC 9293 3.10.7.4, fifth, with RFC 5961 5.2: an ACK is acceptable when
 * SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT. One beyond SND.NXT is
 * answered with an ACK and dropped, one too old gets a challenge ACK.
 * Returns false when the segment must be dropped.
 */
static bool tcp_ack(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (after(s->ack, tp->snd_max)) {
		tcp_send_ack(tp);
		return false;
	}
	if (before(s->ack, tp->snd_una - tp->max_window)) {
		tcp_send_challenge_ack(tp);
		return false;
	}
	bool dsack, loss = tcp_in_loss(tp);
	tp->rcv_tsecr =
	    tp->ts_ok && (s->opt.present & TCP_OPT_TS) ? s->opt.tsecr : 0;
	u32 newly_sacked = tcp_sack_on_ack(tp, s, &dsack);
	tcp_tlp_ack(tp, s, dsack);
	if (dsack)
		tcp_dsack_undo(tp, s);
	u32 orig, delivered = tcp_rack_ack(tp, s, dsack, &orig);
	bool advanced = after(s->ack, tp->snd_una);
	if (advanced) {
		tcp_ack_advance(tp, s);
	} else {
		tcp_dupack(tp, s, newly_sacked);
		tcp_window_update(tp, s);
	}
	if (loss && !(advanced && tcp_try_undo_loss(tp, true))) /* RFC 3522 */
		tcp_frto(tp, advanced, orig, !advanced);
	if (tp->rack) {
		tcp_rack_respond(tp, delivered, false);
	} else if (tcp_sack_recovering(tp)) {
		tcp_lost_retransmit(tp);
		tcp_sack_xmit(tp);
	}
	return true;
}

/* SYN_RECV: the ACK of our SYN-ACK completes the handshake. */
static bool tcp_synrecv_ack(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (!after(s->ack, tp->iss) || after(s->ack, tp->snd_max)) {
		tcp_send_rst_for(s); /* <SEQ=SEG.ACK><CTL=RST> */
		return false;
	}
	tcp_set_state(tp, TCP_ESTABLISHED);
	tp->snd_una = tp->iss + 1;
	tp->snd_wnd = (u32)s->wnd << tp->snd_wscale;
	tp->max_window = MAX(tp->max_window, tp->snd_wnd);
	tp->snd_wl1 = s->seq;
	tp->snd_wl2 = s->ack;
	tp->rto_at_ms = 0;
	tp->retransmits = 0;
	tcp_rtt_reset_backoff(&tp->rtt);
	struct tcp_sock *lp = tp->parent;
	if (lp) { /* from the SYN queue to the accept queue */
		list_del(&tp->child);
		lp->lq->syn_q_len--;
		list_add_tail(&tp->child, &lp->lq->accept_q);
		lp->lq->accept_q_len++;
	}
	tcp_wake(tp);
	return true;
}

/* The state changes an ACK of our FIN makes (RFC 9293 3.10.7.4). */
static bool tcp_fin_ack_transitions(struct tcp_sock *tp)
{
	if (!tcp_our_fin_acked(tp))
		return true;
	switch (tp->state) {
	case TCP_FIN_WAIT1:
		tcp_set_state(tp, TCP_FIN_WAIT2);
		tp->linger_at_ms = 0; /* all delivered: SO_LINGER is done */
		if (tp->orphan)	      /* Linux's tcp_fin_timeout */
			tp->fin2_at_ms = tcp_now_ms() + TCP_FIN_TIMEOUT_MS;
		tcp_timer_update(tp);
		tcp_wake(tp);
		return true;
	case TCP_CLOSING:
		tcp_enter_timewait(tp);
		return false;
	case TCP_LAST_ACK:
		tcp_done(tp);
		return false;
	default:
		return true;
	}
}

/* ---- data ---------------------------------------------------------------- */

/* The out-of-order queue, made for the first segment beyond RCV.NXT. */
static bool tcp_ofo_get(struct tcp_sock *tp)
{
	if (!tp->ofo)
		tp->ofo = calloc(1, sizeof(*tp->ofo));
	return tp->ofo != NULL;
}

/* Nothing out of order any more: the queue goes. */
void tcp_ofo_put(struct tcp_sock *tp)
{
	if (tp->ofo_count == 0) {
		free(tp->ofo);
		tp->ofo = NULL;
	}
}

/* Record [start, end) as received beyond RCV.NXT, merging ranges. False
 * if it would need more ranges than we keep. */
static bool tcp_ofo_insert(struct tcp_sock *tp, u32 start, u32 end)
{
	u32 i = 0, n = tp->ofo_count;
	struct tcp_ofo_range *r = tp->ofo->range;
	while (i < n && before(r[i].end_seq, start))
		i++; /* ranges ending before us (not touching) */
	u32 j = i;
	while (j < n && !after(r[j].start_seq, end)) {
		start = seq_min(start, r[j].start_seq);
		end = seq_max(end, r[j].end_seq);
		j++; /* overlapping or adjacent: merged */
	}
	if (j == i && n == TCP_OFO_RANGES)
		return false;
	memmove(&r[i + 1], &r[j], (n - j) * sizeof(*r));
	r[i].start_seq = start;
	r[i].end_seq = end;
	tp->ofo_count = n - (j - i) + 1;
	return true;
}

/* Move RCV.NXT over ranges that now start at or before it. */
static void tcp_ofo_advance(struct tcp_sock *tp)
{
	while (tp->ofo_count &&
	       !after(tp->ofo->range[0].start_seq, tp->rcv_nxt)) {
		struct tcp_ofo_range *r = tp->ofo->range;
		u32 end = r[0].end_seq;
		if (after(end, tp->rcv_nxt)) {
			tp->rcvq.len += end - tp->rcv_nxt;
			tp->rcv_nxt = end;
		}
		memmove(&r[0], &r[1], (tp->ofo_count - 1) * sizeof(r[0]));
		tp->ofo_count--;
	}
	tcp_ofo_put(tp);
}

/* Trim the payload to [RCV.NXT, RCV.NXT + free space): the part before
 * is a duplicate, the part past the window is dropped. */
static void tcp_trim(const struct tcp_sock *tp, const struct tcp_seg *s,
		     u32 *seq, const u8 **data, u32 *len)
{
	*seq = s->seq + !!(s->flags & TCP_FLAG_SYN);
	*data = s->data;
	*len = s->len;
	if (before(*seq, tp->rcv_nxt)) {
		u32 dup = MIN(tp->rcv_nxt - *seq, *len);
		*seq += dup;
		*data += dup;
		*len -= dup;
	}
	u32 room = tcp_ring_free(&tp->rcvq);
	u32 off = *seq - tp->rcv_nxt;
	if (off >= room)
		*len = 0;
	else
		*len = MIN(*len, room - off);
}

/* Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2): at least every second
 * full-sized segment, at once in quick-ACK mode, else after the timer. */
static void tcp_ack_policy(struct tcp_sock *tp, u32 len)
{
	if (tp->quickack) {
		tp->quickack--;
		tcp_send_ack(tp);
		return;
	}
	tp->delack_segs += (len + tp->mss - 1) / tp->mss;
	if (tp->delack_segs >= 2) {
		tcp_send_ack(tp);
		return;
	}
	tcp_delack_schedule(tp);
}

static void tcp_sack_note_recent(struct tcp_sock *tp, u32 seq);
static void tcp_note_dsack(struct tcp_sock *tp, const struct tcp_seg *s);

/* Under memory pressure the out-of-order data goes (Linux's
 * tcp_prune_ofo_queue): the peer still has it and resends. */
static void tcp_prune_ofo(struct tcp_sock *tp)
{
	TCP_INC(TcpExtOfoPruned);
	tp->ofo_count = 0;
	tcp_ofo_put(tp);
	tp->ofo_fin = false;
	tcp_ring_trim_span(&tp->rcvq);
}

/* Data beyond RCV.NXT: kept at its offset, the range recorded; dropped
 * (counted) under pressure, without memory or past TCP_OFO_RANGES. The
 * ACK goes at once (RFC 5681 4.2). */
static void tcp_data_queue_ofo(struct tcp_sock *tp, u32 seq, const u8 *data,
			       u32 len)
{
	if (tcp_mem_under_pressure() || !tcp_ofo_get(tp) ||
	    tcp_ring_write_at(&tp->rcvq, seq - tp->rcv_nxt, data, len) < 0 ||
	    !tcp_ofo_insert(tp, seq, seq + len)) {
		TCP_INC(TcpExtTCPOFODrop);
		tcp_ofo_put(tp);
	} else {
		TCP_INC(TcpExtTCPOFOQueue);
		tcp_sack_note_recent(tp, seq);
	}
	tcp_send_ack(tp);
}

/* RFC 2018 4: remember which out-of-order segment came last (its range
 * goes first in the SACK option). */
static void tcp_sack_note_recent(struct tcp_sock *tp, u32 seq)
{
	struct tcp_ofo_queue *q = tp->ofo;
	u8 n = MIN(q->recent_n, (u8)(TCP_SACK_RECENT - 1));
	memmove(&q->recent[1], &q->recent[0], n * sizeof(q->recent[0]));
	q->recent[0] = seq;
	q->recent_n = n + 1;
}

/* RFC 2883 4: a segment all of whose bytes we hold already (below
 * RCV.NXT, or inside one out-of-order range) is reported once in a
 * D-SACK block: [start, end) of the duplicate part. */
static void tcp_note_dsack(struct tcp_sock *tp, const struct tcp_seg *s)
{
	u32 seq = s->seq + !!(s->flags & TCP_FLAG_SYN);
	if (!tp->sack_ok || s->len == 0)
		return;
	if (before(seq, tp->rcv_nxt)) {
		tp->dsack.start = seq;
		tp->dsack.end = seq_min(seq + s->len, tp->rcv_nxt);
		tp->dsack_pending = true;
		TCP_INC(TcpExtTCPDSACKOldSent);
		return;
	}
	for (u32 i = 0; i < tp->ofo_count; i++) {
		if (!before(seq, tp->ofo->range[i].start_seq) &&
		    !after(seq + s->len, tp->ofo->range[i].end_seq)) {
			tp->dsack.start = seq;
			tp->dsack.end = seq + s->len;
			tp->dsack_pending = true;
			TCP_INC(TcpExtTCPDSACKOfoSent);
			return;
		}
	}
}

/*
 * RFC 9293 3.10.7.4, sixth, with RFC 6093: the urgent pointer only moves
 * RCV.UP (shown by TCP_INFO); urgent bytes stay inline in the stream
 * (RFC 6093 5, as SO_OOBINLINE), so no byte is taken out of band and the
 * pointer is never used to index data: a pointer of 0, or one past this
 * segment or past the window, is harmless.
 */
static void tcp_urg_input(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (!(s->flags & TCP_FLAG_URG))
		return;
	u32 up = s->seq + s->urg_ptr;
	if (!tp->urg_seen || after(up, tp->rcv_up)) {
		tp->rcv_up = up;
		tp->urg_seen = true;
	}
}

/* Write in-order bytes at RCV.NXT into the receive ring; false (and
 * counted) without memory: the peer resends. */
static bool tcp_rcv_write(struct tcp_sock *tp, const u8 *data, u32 len)
{
	if (tcp_ring_write_at(&tp->rcvq, 0, data, len) < 0) {
		TCP_INC(TcpExtTCPRcvQDrop);
		return false;
	}
	return true;
}

/* The len bytes written at RCV.NXT are in: RCV.NXT moves over them and
 * over out-of-order ranges they reach; the reader is woken. */
static void tcp_rcv_append(struct tcp_sock *tp, u32 len)
{
	tp->rcvq.len += len;
	tp->rcv_nxt += len;
	tcp_ofo_advance(tp);
	tcp_wake(tp);
}

/* RFC 9293 3.10.7.4, seventh: queue the text. Returns true if the
 * segment's data (or FIN) was at RCV.NXT. */
static void tcp_data_queue(struct tcp_sock *tp, const struct tcp_seg *s)
{
	u32 seq, len;
	const u8 *data;
	tcp_note_dsack(tp, s);
	tcp_trim(tp, s, &seq, &data, &len);
	if (len == 0) {
		if (s->len)
			tcp_send_ack(tp); /* duplicate or past the window */
		return;
	}
	if (tp->rd_shutdown) {
		TCP_INC(TcpExtTCPAbortOnData);
		tcp_send_rst(tp);
		tp->err = -ECONNRESET;
		tcp_done(tp);
		return;
	}
	if (tcp_mem_under_pressure() && tp->ofo_count)
		tcp_prune_ofo(tp);
	if (seq != tp->rcv_nxt) {
		tcp_data_queue_ofo(tp, seq, data, len);
		return;
	}
	if (!tcp_rcv_write(tp, data, len))
		return;
	bool had_hole = tp->ofo_count != 0;
	tcp_rcv_append(tp, len);
	if (had_hole) {
		tcp_send_ack(tp); /* a hole filled: ACK at once */
		return;
	}
	tcp_ack_policy(tp, len);
}

/* The FIN is consumed when everything before it has arrived. */
static bool tcp_fin_ready(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (s->flags & TCP_FLAG_FIN) {
		u32 fin_seq = s->seq + s->seg_len - 1;
		if (fin_seq == tp->rcv_nxt)
			return true;
		if (after(fin_seq, tp->rcv_nxt) &&
		    !after(fin_seq, tp->rcv_nxt + tcp_ring_free(&tp->rcvq))) {
			tp->ofo_fin = true;
			tp->ofo_fin_seq = fin_seq;
		}
	}
	return tp->ofo_fin && tp->ofo_fin_seq == tp->rcv_nxt;
}

/* RFC 9293 3.10.7.4, eighth: the FIN. */
static void tcp_fin_input(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (tp->fin_rcvd || !tcp_fin_ready(tp, s))
		return;
	tp->fin_rcvd = true;
	tp->ofo_fin = false;
	tp->rcv_nxt++;
	tcp_send_ack(tp);
	switch (tp->state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(tp, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1: /* our FIN not yet acked: simultaneous close */
		tcp_set_state(tp, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		tcp_enter_timewait(tp);
		break;
	default:
		break;
	}
	tcp_wake(tp);
}

static bool tcp_state_takes_data(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT1 ||
	       st == TCP_FIN_WAIT2;
}

/*
 * Linux's tcp_disordered_ack: PAWS as RFC 7323 5.3 writes it also drops
 * a duplicate ACK that reordering delivered after a later segment, and
 * with it the duplicate ACK count and SACK blocks fast recovery needs.
 * A pure ACK at RCV.NXT that acknowledges nothing new, would not update
 * the window (RFC 9293 3.10.7.4 WL1/WL2 rule) and is older than
 * TS.Recent by at most an RTO changes no critical state: let through.
 */
static bool tcp_disordered_ack(const struct tcp_sock *tp,
			       const struct tcp_seg *s)
{
	u32 wnd = (u32)s->wnd << tp->snd_wscale;
	u32 replay_ms = tcp_rtt_rto_us(&tp->rtt) / 1000;
	if (s->seg_len || !(s->flags & TCP_FLAG_ACK) || s->seq != tp->rcv_nxt ||
	    s->ack != tp->snd_una)
		return false;
	if (after(s->seq, tp->snd_wl1) ||
	    (s->seq == tp->snd_wl1 && (wnd > tp->snd_wnd || !wnd)))
		return false; /* it may update the window */
	return tp->ts_recent - s->opt.tsval <= replay_ms;
}

/*
 * Reordering, not an old duplicate: TS.Recent moves with the segment at
 * the left edge (RFC 7323 4.3), so a peer's resend filling a hole makes
 * every original above it that the path delayed look older than
 * TS.Recent, and R1 would drop new data and the ACKs, SACKs and D-SACKs
 * it carries (only for the peer to send it all again). A segment that
 * brings bytes beyond RCV.NXT, or no data at all, with a TSval at most
 * the replay window (the RTO, at most TCP_PAWS_REORDER_MS) older cannot
 * be from before a wrap of the sequence space, which is what PAWS
 * guards against (RFC 7323 5): let through. It never moves TS.Recent.
 */
static bool tcp_paws_reordered(const struct tcp_sock *tp,
			       const struct tcp_seg *s)
{
	u32 replay_ms =
	    MIN(tcp_rtt_rto_us(&tp->rtt) / 1000, (u32)TCP_PAWS_REORDER_MS);
	if (s->seg_len && !after(s->seq + s->seg_len, tp->rcv_nxt))
		return false; /* all old: the duplicate R1 is there for */
	return tp->ts_recent - s->opt.tsval <= replay_ms;
}

/* RFC 7323 5.3 R1 (PAWS): a segment whose TSval is older than
 * TS.Recent is an old duplicate: ACK it and drop it (a RST is exempt,
 * a disordered duplicate ACK and a reordered segment, above). */
static bool tcp_paws_reject(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (!tp->ts_ok || !(s->opt.present & TCP_OPT_TS) ||
	    (s->flags & TCP_FLAG_RST))
		return false;
	if (!before(s->opt.tsval, tp->ts_recent) || tcp_disordered_ack(tp, s) ||
	    tcp_paws_reordered(tp, s))
		return false;
	TCP_INC(TcpExtPAWSEstab);
	tcp_send_ack(tp);
	return true;
}

/* RFC 7323 4.3: remember TSval of the segment that covers Last.ACK.sent,
 * and take an RTT sample from TSecr when it acknowledges new data. */
static void tcp_ts_update(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (!tp->ts_ok || !(s->opt.present & TCP_OPT_TS))
		return;
	if (!after(s->seq, tp->last_ack_sent) &&
	    !before(s->opt.tsval, tp->ts_recent))
		tp->ts_recent = s->opt.tsval;
	if ((s->flags & TCP_FLAG_ACK) && after(s->ack, tp->snd_una) &&
	    s->opt.tsecr && !after(s->ack, tp->snd_max)) {
		u32 rtt_ms = tcp_ts_now() - s->opt.tsecr;
		if (rtt_ms < 3600000u) {
			tcp_rtt_sample(&tp->rtt, rtt_ms * 1000 + 1);
			tcp_rtt_reset_backoff(&tp->rtt);
		}
	}
}

/* The first four checks of 3.10.7.4. False: the segment is done. */
static bool tcp_validate_incoming(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (tcp_paws_reject(tp, s))
		return false;
	if (!tcp_seq_acceptable(tp, s)) {
		if (!(s->flags & TCP_FLAG_RST)) {
			tcp_note_dsack(tp, s); /* an old duplicate */
			tcp_send_ack(tp);      /* <SEQ=SND.NXT><ACK=RCV.NXT> */
		}
		return false;
	}
	if (s->flags & TCP_FLAG_RST) {
		tcp_rst_input(tp, s);
		return false;
	}
	if (s->flags & TCP_FLAG_SYN) {
		tcp_syn_input(tp);
		return false;
	}
	return (s->flags & TCP_FLAG_ACK) != 0;
}

/* ---- header prediction (the fast path) ----------------------------------- */

bool tcp_header_prediction = true;

/* Nothing unusual is going on: no recovery or loss state, no SACK
 * scoreboard, no loss probe out, no out-of-order data or FIN waiting,
 * reading not shut. */
static bool tcp_hp_quiet(const struct tcp_sock *tp)
{
	return tp->state == TCP_ESTABLISHED && !tp->in_recovery && !tp->sack &&
	       tp->cc.ca_state == TCP_CA_Open && !tcp_in_loss(tp) &&
	       !tp->ofo_count && !tp->ofo_fin && !tp->rd_shutdown &&
	       !tp->tlp_in_flight;
}

/*
 * The header the previous segment predicts (Van Jacobson's header
 * prediction, Linux's pred_flags): flags exactly ACK (PSH allowed, no
 * URG), SEG.SEQ = RCV.NXT, the header is 20 bytes or 20 plus the aligned
 * timestamp when timestamps are on, the timestamp passes PAWS (RFC 7323
 * 5.3 R1), the window is the one we hold, and SND.UNA <= SEG.ACK <=
 * SND.MAX. Such a segment is acceptable (RFC 9293 3.10.7.4, first) and
 * needs none of the RST, SYN, urgent, FIN or reassembly steps.
 */
static bool tcp_hp_predicted(const struct tcp_sock *tp, const struct tcp_seg *s)
{
	u32 hdr = TCP_HDR_LEN + (tp->ts_ok ? TCPOLEN_TIMESTAMP + 2 : 0);
	if ((s->flags & ~TCP_FLAG_PSH) != TCP_FLAG_ACK ||
	    s->seq != tp->rcv_nxt || s->hdr_len != hdr)
		return false;
	if (tp->ts_ok && (s->opt.present != TCP_OPT_TS ||
			  before(s->opt.tsval, tp->ts_recent)))
		return false;
	return ((u32)s->wnd << tp->snd_wscale) == tp->snd_wnd &&
	       !before(s->ack, tp->snd_una) && !after(s->ack, tp->snd_max);
}

/* (a) A pure ACK of new data: RTT, window, SND.UNA, cwnd, the send ring
 * freed, the writer woken (in tcp_ack_new), then more data out. */
static void tcp_hp_ack(struct tcp_sock *tp, const struct tcp_seg *s)
{
	TCP_INC(TcpExtTCPHPAcks);
	tcp_ts_update(tp, s);
	tp->rcv_tsecr = tp->ts_ok ? s->opt.tsecr : 0;
	u32 orig;
	tcp_rack_ack(tp, s, false, &orig); /* the log loses what is acked */
	tcp_ack_advance(tp, s);
	tcp_push(tp);
}

/* (b) In-order data that acknowledges nothing new and fits the window
 * we advertised and the buffer: appended, TS.Recent and SND.WL1 moved,
 * the reader woken, the ACK sent or delayed (RFC 1122 4.2.3.2). */
static void tcp_hp_data(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (!tcp_rcv_write(tp, s->data, s->len))
		return;
	TCP_INC(TcpExtTCPHPHits);
	tcp_ts_update(tp, s);
	tcp_window_update(tp, s);
	tcp_rcv_append(tp, s->len);
	tcp_ack_policy(tp, s->len);
}

/* The fast path of an ESTABLISHED connection; false: take the full one. */
static bool tcp_rcv_established_fast(struct tcp_sock *tp,
				     const struct tcp_seg *s)
{
	if (!tcp_header_prediction || !tcp_hp_quiet(tp) ||
	    !tcp_hp_predicted(tp, s))
		return false;
	if (s->len == 0 && after(s->ack, tp->snd_una)) {
		tcp_hp_ack(tp, s);
		return true;
	}
	if (s->len && s->ack == tp->snd_una &&
	    s->len <= tp->rcv_wnd_sent - tp->rcv_nxt &&
	    !after(tp->rcv_nxt, tp->rcv_wnd_sent) &&
	    s->len <= tcp_ring_free(&tp->rcvq)) {
		tcp_hp_data(tp, s);
		return true;
	}
	return false;
}

/* Synchronized states (RFC 9293 3.10.7.4). */
void tcp_rcv_state_process(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (tcp_rcv_established_fast(tp, s))
		return;
	if (tp->state == TCP_SYN_SENT) {
		tcp_synsent_input(tp, s);
		return;
	}
	if (tp->state == TCP_CLOSE)
		return;
	if (!tcp_validate_incoming(tp, s))
		return;
	tcp_ts_update(tp, s);
	if (s->seg_len == 0)
		TCP_INC(TcpExtTCPPureAcks);
	if (tp->state == TCP_SYN_RECV && !tcp_synrecv_ack(tp, s))
		return;
	if (!tcp_ack(tp, s) || !tcp_fin_ack_transitions(tp))
		return;
	if (tcp_state_takes_data(tp->state)) {
		tcp_urg_input(tp, s);
		tcp_data_queue(tp, s);
	}
	if (tp->state == TCP_CLOSE)
		return;
	tcp_fin_input(tp, s);
	if (tp->state != TCP_CLOSE && tp->state != TCP_TIME_WAIT)
		tcp_push(tp);
}

/* ---- TIME_WAIT ----------------------------------------------------------- */

/*
 * RFC 9293 3.10.7.4 in TIME_WAIT: a retransmitted FIN is acknowledged
 * and restarts the 2 MSL wait; a RST is ignored (RFC 1337). A new SYN
 * may reuse the pair (tcp_tw_reuse_ok): the old connection goes and the
 * SYN is handed to the listener; an old one is answered with an ACK.
 */
/* RFC 6191 2: when the old connection used timestamps and the SYN
 * carries one, a newer TSval is what makes the SYN safe (whatever its
 * sequence number); without timestamps, a sequence number above RCV.NXT
 * (RFC 1122 4.2.2.13). */
static bool tcp_tw_reuse_ok(const struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (tp->ts_ok && (s->opt.present & TCP_OPT_TS))
		return after(s->opt.tsval, tp->ts_recent);
	return after(s->seq, tp->rcv_nxt);
}

void tcp_timewait_input(struct tcp_sock *tp, const struct tcp_seg *s)
{
	if (s->flags & TCP_FLAG_RST)
		return;
	if ((s->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN) {
		if (tcp_tw_reuse_ok(tp, s)) {
			struct tcp_sock *lp =
			    tcp_lookup_listener(s->daddr, s->dport);
			tcp_done(tp);
			if (lp)
				tcp_listen_input(lp, s);
			return;
		}
		tcp_send_ack(tp);
		return;
	}
	if ((s->flags & TCP_FLAG_FIN) && s->seq + s->seg_len == tp->rcv_nxt) {
		tcp_send_ack(tp);
		tp->tw_at_ms = tcp_now_ms() + TCP_TIMEWAIT_MS;
		tcp_timer_update(tp);
		return;
	}
	if (s->seg_len)
		tcp_send_ack(tp);
}
