/*
 * tcp_output.c - building and sending segments.
 *
 *   tcp_push: while the send ring has unsent bytes, the peer's window and
 *   Nagle (RFC 1122 4.2.3.4) allow: tcp_transmit_seg(seq, len) ->
 *   tcp_build (a fresh skb with MAX_HEADER headroom, the bytes copied out
 *   of the ring, header and checksum) -> ip_send_skb.
 *
 * Every segment is built from the control block at the moment it leaves,
 * so a retransmission carries the current ACK and window.
 */
#include <errno.h>
#include <skiff/net/ip.h>
#include <skiff/net/tcp.h>
#include <skiff/skbuff.h>

#include <string.h>

/* Free space in the receive ring beyond RCV.NXT's in-order bytes; under
 * TCP memory pressure no more than a few segments beyond RCV.NXT (the
 * right edge already advertised is kept, see tcp_select_window). */
u32 tcp_rcv_window(struct tcp_sock *tp)
{
	u32 free = tcp_ring_free(&tp->rcvq);
	if (tcp_mem_under_pressure())
		free = MIN(free, TCP_PRESSURE_WND_SEGS * (u32)tp->mss);
	return free;
}

/* The window field: free space, scaled (never shrinking the right edge
 * already advertised, RFC 9293 3.8.6.2.2), with receiver-side SWS
 * avoidance (RFC 1122 4.2.3.3: do not open the window by less than
 * min(MSS, buffer/2)). */
static u16 tcp_select_window(struct tcp_sock *tp, bool syn)
{
	u32 free = tcp_rcv_window(tp);
	u32 right = tp->rcv_nxt + free;
	u32 old_right = tp->rcv_wnd_sent;

	if (!syn && after(old_right, right))
		right = old_right; /* never shrink */
	else if (!syn && after(right, old_right) &&
		 right - old_right < MIN((u32)tp->mss, tp->rcvq.size / 2) &&
		 after(old_right, tp->rcv_nxt))
		right = old_right; /* SWS: wait for a worthwhile increase */
	u32 wnd = right - tp->rcv_nxt;
	tp->rcv_wup = tp->rcv_nxt;
	tp->rcv_wnd_sent = right;
	if (syn)
		return (u16)MIN(wnd, 65535u); /* RFC 7323 2.2: SYN unscaled */
	wnd >>= tp->rcv_wscale;
	return (u16)MIN(wnd, 65535u);
}

/* Options for a segment: on a SYN, our MSS (from the device MTU, RFC
 * 9293 3.7.1) and window scale (offered on a SYN, answered on a SYN-ACK
 * only if the SYN had it, RFC 7323 2.2). */
static void tcp_fill_options(const struct tcp_sock *tp, struct tcp_hdr_info *h)
{
	bool syn = h->flags & TCP_FLAG_SYN;
	/* RFC 7323 3.2: offered on a SYN, then on every segment once both
	 * sides sent it (not on a RST without a connection). */
	if ((syn && tp->state == TCP_SYN_SENT) || tp->ts_ok) {
		h->opt.present |= TCP_OPT_TS;
		h->opt.tsval = tcp_ts_now();
		h->opt.tsecr = tp->ts_recent;
	}
	if (!syn)
		return;
	h->opt.present |= TCP_OPT_MSS;
	h->opt.mss = (u16)(1500 - 40);
	if (tp->state == TCP_SYN_SENT || tp->ws_ok) {
		h->opt.present |= TCP_OPT_WSCALE;
		h->opt.wscale = tp->rcv_wscale;
	}
}

/* Send one segment: seq, flags, and len bytes of payload from the send
 * ring (at offset seq - SND.UNA). */
static void tcp_transmit_seg(struct tcp_sock *tp, u32 seq, u8 flags, u32 len)
{
	struct tcp_hdr_info h = {
	    .sport = tp->sport, .dport = tp->dport, .seq = seq, .flags = flags};
	tcp_fill_options(tp, &h);
	u32 hlen = (u32)tcp_hdr_len(&h);
	struct sk_buff *skb = alloc_skb(MAX_HEADER + hlen + len);
	if (!skb)
		return; /* the retransmission timer tries again */
	skb_reserve(skb, MAX_HEADER + hlen);
	if (len)
		tcp_ring_copy_out(&tp->sndq, seq - tp->snd_una,
				  skb_put(skb, len), len);
	h.ack = (flags & TCP_FLAG_ACK) ? tp->rcv_nxt : 0;
	h.window = tcp_select_window(tp, flags & TCP_FLAG_SYN);
	tcp_hdr_emit(&h, skb_push(skb, hlen), hlen);
	tcp_v4_csum_set(skb->data, skb->len, tp->saddr, tp->daddr);
	if (flags & TCP_FLAG_ACK) {
		tp->delack_at_ms = 0;
		tp->delack_segs = 0;
		tp->last_ack_sent = tp->rcv_nxt;
	}
	TCP_INC(TcpOutSegs);
	struct ip_out out = {.saddr = tp->saddr,
			     .daddr = tp->daddr,
			     .protocol = IPPROTO_TCP,
			     .df = true};
	ip_send_skb(skb, &out);
}

/* SYN (SYN_SENT) or SYN-ACK (SYN_RECV), always at ISS. */
void tcp_send_syn(struct tcp_sock *tp)
{
	u8 flags = TCP_FLAG_SYN;
	if (tp->state == TCP_SYN_RECV)
		flags |= TCP_FLAG_ACK;
	tcp_transmit_seg(tp, tp->iss, flags, 0);
	tp->snd_max = seq_max(tp->snd_max, tp->iss + 1);
}

void tcp_send_ack(struct tcp_sock *tp)
{
	tcp_transmit_seg(tp, tp->snd_nxt, TCP_FLAG_ACK, 0);
}

/* RFC 1122 4.2.3.6: a keepalive probe is an ACK one below SND.UNA, which
 * the peer must answer with an ACK. */
void tcp_send_keepalive(struct tcp_sock *tp)
{
	tcp_transmit_seg(tp, tp->snd_una - 1, TCP_FLAG_ACK, 0);
}

/* RFC 9293 3.10.7.1: answer a segment that has no connection. */
void tcp_send_rst_for(const struct tcp_seg *s)
{
	if (s->flags & TCP_FLAG_RST)
		return;
	struct tcp_sock fake = {0};
	u8 flags = TCP_FLAG_RST;
	u32 seq = 0;
	fake.saddr = s->daddr;
	fake.sport = s->dport;
	fake.daddr = s->saddr;
	fake.dport = s->sport;
	if (s->flags & TCP_FLAG_ACK)
		seq = s->ack; /* <SEQ=SEG.ACK><CTL=RST> */
	else {
		flags |=
		    TCP_FLAG_ACK; /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
				   */
		fake.rcv_nxt = s->seq + s->seg_len;
	}
	fake.rcvq.size = 1; /* window 0 */
	fake.rcvq.len = 1;
	fake.rcv_wnd_sent = fake.rcv_nxt;
	fake.mss = TCP_DEFAULT_MSS;
	TCP_INC(TcpOutRsts);
	tcp_transmit_seg(&fake, seq, flags, 0);
}

/* The SYN-ACK of a SYN cookie: nothing is kept, so it is built from the
 * SYN alone, with our MSS and no window scale (without timestamps a
 * cookie cannot carry the peer's shift, as in Linux). */
void tcp_send_synack_cookie(const struct tcp_seg *s, u32 cookie)
{
	struct tcp_sock fake = {0};
	fake.state = TCP_SYN_RECV;
	fake.saddr = s->daddr;
	fake.sport = s->dport;
	fake.daddr = s->saddr;
	fake.dport = s->sport;
	fake.rcv_nxt = s->seq + 1;
	fake.rcv_wnd_sent = fake.rcv_nxt;
	fake.rcvq.size = TCP_DEFAULT_BUF;
	fake.mss = TCP_DEFAULT_MSS;
	TCP_INC(TcpExtSyncookiesSent);
	tcp_transmit_seg(&fake, cookie, TCP_FLAG_SYN | TCP_FLAG_ACK, 0);
}

/* Abort: <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.5 ABORT). */
void tcp_send_rst(struct tcp_sock *tp)
{
	TCP_INC(TcpOutRsts);
	tcp_transmit_seg(tp, tp->snd_nxt, TCP_FLAG_RST | TCP_FLAG_ACK, 0);
}

/* Bytes in the send ring not yet sent. */
static u32 tcp_unsent(const struct tcp_sock *tp)
{
	if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECV)
		return 0;
	u32 sent = MIN(tp->snd_nxt - tp->snd_una, tp->sndq.len);
	return tp->sndq.len - sent;
}

/* All data is out and the app closed: the FIN goes next (again, after
 * an RTO moved SND.NXT back to SND.UNA). */
static bool tcp_can_send_fin(const struct tcp_sock *tp)
{
	return tp->fin_queued && tp->snd_nxt == tp->snd_una + tp->sndq.len &&
	       (!tp->fin_sent || tp->snd_nxt == tp->fin_seq);
}

/* Payload per segment: the MSS less the options every segment carries
 * (12 bytes of timestamps, as Linux's tcp_current_mss). */
u32 tcp_send_mss(const struct tcp_sock *tp)
{
	return tp->mss - (tp->ts_ok ? 12u : 0u);
}

/* Segments in flight (RFC 5681's FlightSize in MSS units, rounded up). */
u32 tcp_flight_pkts(const struct tcp_sock *tp)
{
	u32 mss = tcp_send_mss(tp);
	return (tp->snd_nxt - tp->snd_una + mss - 1) / mss;
}

/* What cwnd lets us send beyond what is in flight, in bytes. */
static u32 tcp_cwnd_room(const struct tcp_sock *tp)
{
	u32 in_flight = tp->snd_nxt - tp->snd_una;
	u32 cwnd_bytes = tp->cc.cwnd * tcp_send_mss(tp);
	return cwnd_bytes > in_flight ? cwnd_bytes - in_flight : 0;
}

/* One round of sending: data within min(SND.WND, ring), then the FIN. */
void tcp_push(struct tcp_sock *tp)
{
	if (tp->state != TCP_ESTABLISHED && tp->state != TCP_CLOSE_WAIT &&
	    tp->state != TCP_FIN_WAIT1 && tp->state != TCP_CLOSING &&
	    tp->state != TCP_LAST_ACK)
		return;
	for (;;) {
		u32 unsent = tcp_unsent(tp);
		u32 in_flight = tp->snd_nxt - tp->snd_una;
		u32 wnd_left =
		    tp->snd_wnd > in_flight ? tp->snd_wnd - in_flight : 0;
		u32 room = tcp_cwnd_room(tp);
		u32 mss = tcp_send_mss(tp);
		u32 len = MIN(MIN(unsent, MIN(wnd_left, room)), mss);
		tp->cwnd_limited = unsent && room < MIN(unsent, mss);
		if (len == 0)
			break;
		/* Nagle: a small segment waits while data is in flight. */
		if (len < mss && len == unsent && in_flight &&
		    !tp->fin_queued && !tp->nodelay)
			break;
		u8 flags = TCP_FLAG_ACK | (len == unsent ? TCP_FLAG_PSH : 0);
		tcp_transmit_seg(tp, tp->snd_nxt, flags, len);
		tp->snd_nxt += len;
		if (!tp->ts_ok && !tp->rtt.timing &&
		    !after(tp->snd_max, tp->snd_nxt - len))
			tcp_rtt_time_seg(&tp->rtt, tp->snd_nxt,
					 tcp_now_ms() * 1000);
		tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	}
	if (tcp_can_send_fin(tp) && tcp_cwnd_room(tp)) {
		tp->fin_sent = true;
		tp->fin_seq = tp->snd_nxt;
		tcp_transmit_seg(tp, tp->snd_nxt, TCP_FLAG_FIN | TCP_FLAG_ACK,
				 0);
		tp->snd_nxt++;
		tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	}
	/* Outstanding data, or data held by a zero window (the timer then
	 * sends the window probe). */
	if ((tp->snd_nxt != tp->snd_una || tcp_unsent(tp)) && !tp->rto_at_ms)
		tcp_rearm_rto(tp);
}

/* RTO expiry: resend the first unacknowledged segment (RFC 6298 5.4). */
void tcp_retransmit_head(struct tcp_sock *tp)
{
	if (tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECV) {
		tcp_send_syn(tp);
		return;
	}
	u32 data_out = MIN(tp->snd_max - tp->snd_una, tp->sndq.len);
	u32 len = MIN(data_out, tcp_send_mss(tp));
	u8 flags = TCP_FLAG_ACK;
	if (len == 0 && tp->fin_sent) {
		flags |= TCP_FLAG_FIN; /* only the FIN is outstanding */
	} else if (len == 0) {
		/* Zero window probe: one byte beyond the window, if any. */
		if (tp->sndq.len == 0)
			return;
		len = 1;
		tp->snd_max = seq_max(tp->snd_max, tp->snd_una + 1);
		tp->snd_nxt = seq_max(tp->snd_nxt, tp->snd_una + 1);
	}
	tcp_rtt_on_retransmit(&tp->rtt); /* Karn */
	tcp_transmit_seg(tp, tp->snd_una, flags, len);
	/* After an RTO SND.NXT was moved back (go-back-N): it passes what
	 * was just resent. */
	tp->snd_nxt =
	    seq_max(tp->snd_nxt, tp->snd_una + len + !!(flags & TCP_FLAG_FIN));
	TCP_INC(TcpRetransSegs);
	tp->total_retrans++;
}
