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
#include <skiff/net/ip_wire.h>
#include <skiff/net/snmp.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_syncookie.h>
#include <skiff/skbuff.h>

#include <stdlib.h>
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

/* The out-of-order range holding seq, or NULL. */
static const struct tcp_ofo_range *tcp_ofo_find(const struct tcp_sock *tp,
						u32 seq)
{
	for (u32 i = 0; i < tp->ofo_count; i++)
		if (!before(seq, tp->ofo->range[i].start_seq) &&
		    before(seq, tp->ofo->range[i].end_seq))
			return &tp->ofo->range[i];
	return NULL;
}

/* Add r unless listed (from index `from`: after a D-SACK, which may
 * equal the range holding it, RFC 2883 4). */
static bool tcp_sack_add(struct tcp_opts *o, u8 from,
			 const struct tcp_ofo_range *r)
{
	for (u8 i = from; i < o->nr_sack; i++)
		if (o->sack[i].start == r->start_seq &&
		    o->sack[i].end == r->end_seq)
			return false;
	o->sack[o->nr_sack].start = r->start_seq;
	o->sack[o->nr_sack].end = r->end_seq;
	o->nr_sack++;
	return true;
}

/*
 * SACK blocks (RFC 2018 4): a D-SACK first when one is pending (RFC 2883
 * 4), then the range holding the most recently received segment, then
 * the ranges of the other recent ones, then the rest from the highest.
 * tcp_opts_emit keeps what fits (3 blocks beside timestamps).
 */
static void tcp_fill_sack(const struct tcp_sock *tp, struct tcp_opts *o)
{
	o->nr_sack = 0;
	if (tp->dsack_pending)
		o->sack[o->nr_sack++] = tp->dsack;
	u8 from = o->nr_sack;
	u8 recent_n = tp->ofo ? tp->ofo->recent_n : 0;
	for (u8 i = 0; i < recent_n; i++) {
		const struct tcp_ofo_range *r =
		    tcp_ofo_find(tp, tp->ofo->recent[i]);
		if (r && o->nr_sack < TCP_MAX_SACK_BLOCKS)
			tcp_sack_add(o, from, r);
	}
	for (u32 i = tp->ofo_count;
	     i-- > 0 && o->nr_sack < TCP_MAX_SACK_BLOCKS;)
		tcp_sack_add(o, from, &tp->ofo->range[i]);
	if (o->nr_sack)
		o->present |= TCP_OPT_SACK;
}

/* Options for a segment: on a SYN, our MSS (from the device MTU, RFC
 * 9293 3.7.1), SACK-permitted (RFC 2018 2) and window scale (offered on
 * a SYN, answered on a SYN-ACK only if the SYN had them, RFC 7323 2.2);
 * SACK blocks on ACKs once SACK was agreed. */
static void tcp_fill_options(const struct tcp_sock *tp, struct tcp_hdr_info *h,
			     u32 tsval)
{
	bool syn = h->flags & TCP_FLAG_SYN;
	/* RFC 7323 3.2: offered on a SYN, then on every segment once both
	 * sides sent it (not on a RST without a connection). */
	if ((syn && tp->state == TCP_SYN_SENT) || tp->ts_ok) {
		h->opt.present |= TCP_OPT_TS;
		h->opt.tsval = tsval;
		h->opt.tsecr = tp->ts_recent;
	}
	if (!syn) {
		if (tp->sack_ok && !(h->flags & TCP_FLAG_RST))
			tcp_fill_sack(tp, &h->opt);
		return;
	}
	if (tp->state == TCP_SYN_SENT || tp->sack_ok)
		h->opt.present |= TCP_OPT_SACK_PERM;
	h->opt.present |= TCP_OPT_MSS;
	h->opt.mss = tp->adv_mss ? tp->adv_mss : TCP_DEFAULT_MSS;
	if (tp->state == TCP_SYN_SENT || tp->ws_ok) {
		h->opt.present |= TCP_OPT_WSCALE;
		h->opt.wscale = tp->rcv_wscale;
	}
}

/*
 * Checksum offload (CHECKSUM_PARTIAL, skbuff.h): the field gets the
 * pseudo-header sum (RFC 9293 3.1) and the device, or net/gso.c when it
 * cannot, sums the segment over it. One pass over the payload fewer when
 * the NIC does it.
 */
static void tcp_csum_partial(struct sk_buff *skb, u32 saddr, u32 daddr)
{
	u16 pseudo = (u16)csum_tcpudp_nofold(saddr, daddr, (u16)skb->len,
					     IPPROTO_TCP, 0);
	store_be16(skb->data + 16, pseudo);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)skb_headroom(skb);
	skb->csum_offset = 16;
	skb_reset_transport_header(skb);
}

/* Segments a payload of len bytes makes on the wire (at least 1). */
static u32 tcp_gso_segs(u32 len, u32 mss)
{
	return len > mss ? (len + mss - 1) / mss : 1;
}

/* RACK's log (RFC 8985 6.1: each segment's transmit time), made for a
 * SACK connection when data goes out; a resend (below SND.MAX) of an
 * undo episode is counted, and the first one's TSval kept (RFC 3522). */
static void tcp_xmit_log(struct tcp_sock *tp, u32 seq, u32 space)
{
	if (!space)
		return;
	if (before(seq, tp->snd_max) && tp->undo_valid) {
		tp->undo_retrans += tcp_gso_segs(space, tcp_send_mss(tp));
		if (!tp->retrans_stamp)
			tp->retrans_stamp = tcp_ts_now() ? tcp_ts_now() : 1;
	}
	if (!tp->rack && tp->sack_ok && tcp_recovery_rack) {
		tp->rack_fresh = false;
		tp->rack = malloc(sizeof(*tp->rack));
		if (tp->rack && tcp_rack_init(tp->rack, tp->snd_una) < 0) {
			free(tp->rack);
			tp->rack = NULL;
		}
	}
	if (!tp->rack)
		return;
	tp->rack->idle_at_ms = 0; /* busy again: the idle state is reused */
	tcp_rack_on_xmit(tp->rack, seq, seq + space, tcp_now_ms() * 1000);
	if (tp->in_recovery) /* RFC 6937 3: prr_out */
		tp->rack->prr_out += tcp_gso_segs(space, tcp_send_mss(tp));
}

void tcp_rack_trim(struct tcp_sock *tp)
{
	struct tcp_rack *r = tp->rack;

	r->idle_at_ms = 0;
	if (tp->snd_una != tp->snd_max || tp->in_recovery ||
	    (r->segs && !r->log_idle))
		return; /* busy meanwhile */
	if (tcp_rack_pristine(r)) {
		tcp_rack_free(tp); /* nothing learned */
		tp->rack_fresh = true;
	} else {
		tcp_rack_release(r); /* the log; what it learned stays */
	}
}

void tcp_rack_free(struct tcp_sock *tp)
{
	tp->rack_fresh = false;
	if (tp->rack) {
		tcp_rack_release(tp->rack);
		free(tp->rack);
		tp->rack = NULL;
	}
}

/* Send one segment: seq, flags, and len bytes of payload from the send
 * ring (at offset seq - SND.UNA), with TSval tsval if timestamps are on. */
static void tcp_transmit_seg_ts(struct tcp_sock *tp, u32 seq, u8 flags, u32 len,
				u32 tsval)
{
	struct tcp_hdr_info h = {
	    .sport = tp->sport, .dport = tp->dport, .seq = seq, .flags = flags};
	tcp_fill_options(tp, &h, tsval);
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
	tcp_csum_partial(skb, tp->saddr, tp->daddr);
	if (len > tcp_send_mss(tp))
		skb->gso_size = (u16)tcp_send_mss(tp); /* net/gso.h */
	if (flags & TCP_FLAG_ACK) {
		tp->delack_at_ms = 0;
		tp->delack_segs = 0;
		tp->last_ack_sent = tp->rcv_nxt;
		tp->dsack_pending = false; /* reported once (RFC 2883 4) */
	}
	SNMP_ADD(TcpOutSegs, tcp_gso_segs(len, tcp_send_mss(tp)));
	struct ip_out out = {.saddr = tp->saddr,
			     .daddr = tp->daddr,
			     .protocol = IPPROTO_TCP,
			     .df = true};
	ip_send_skb(skb, &out);
}

static void tcp_transmit_seg(struct tcp_sock *tp, u32 seq, u8 flags, u32 len)
{
	tcp_transmit_seg_ts(tp, seq, flags, len, tcp_ts_now());
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

/*
 * A pure ACK carries SND.MAX, not SND.NXT (as BSD's tcp_output): after
 * an RTO SND.NXT goes back to SND.UNA, below what the peer has already
 * received, and an ACK sent from there would be outside its window and
 * dropped unread (RFC 9293 3.10.7.4).
 */
void tcp_send_ack(struct tcp_sock *tp)
{
	u32 seq = after(tp->snd_max, tp->snd_nxt) ? tp->snd_max : tp->snd_nxt;
	tcp_transmit_seg(tp, seq, TCP_FLAG_ACK, 0);
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
 * SYN alone. With timestamps the peer's window scale and SACK-permitted
 * ride in the low bits of our TSval (tcp_syncookie.h, as Linux) and are
 * answered; without, only the MSS survives and none is offered. */
void tcp_send_synack_cookie(const struct tcp_sock *lp, const struct tcp_seg *s,
			    u32 cookie)
{
	struct tcp_sock fake = {0};
	struct tcp_syncookie_opts co = {0};
	fake.state = TCP_SYN_RECV;
	fake.saddr = s->daddr;
	fake.sport = s->dport;
	fake.daddr = s->saddr;
	fake.dport = s->sport;
	fake.rcv_nxt = s->seq + 1;
	fake.rcv_wnd_sent = fake.rcv_nxt;
	fake.rcvq.size = lp->rcvq.size;
	fake.mss = TCP_DEFAULT_MSS;
	fake.adv_mss = tcp_route_mss(fake.saddr, fake.daddr);
	fake.ts_ok = s->opt.present & TCP_OPT_TS;
	fake.ts_recent = s->opt.tsval;
	if (fake.ts_ok) {
		co.wscale_ok = fake.ws_ok = s->opt.present & TCP_OPT_WSCALE;
		co.wscale = s->opt.wscale;
		co.sack_ok = fake.sack_ok = s->opt.present & TCP_OPT_SACK_PERM;
		fake.rcv_wscale = tcp_choose_wscale(tcp_rcvbuf_max(lp));
	}
	TCP_INC(TcpExtSyncookiesSent);
	tcp_transmit_seg_ts(&fake, cookie, TCP_FLAG_SYN | TCP_FLAG_ACK, 0,
			    tcp_syncookie_tsval(tcp_ts_now(), &co));
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

/* SACK blocks the next segment carries (tcp_fill_sack: a pending
 * D-SACK and the out-of-order ranges, as many as fit beside timestamps;
 * a repeated range counted twice only makes the estimate safe). */
static u32 tcp_sack_blocks_out(const struct tcp_sock *tp)
{
	u32 n = tp->ofo_count + (tp->dsack_pending ? 1u : 0u);
	u32 room = (TCP_MAX_OPT_LEN - (tp->ts_ok ? 12u : 0u) - 4u) /
		   TCPOLEN_SACK_PERBLOCK;
	if (!tp->sack_ok)
		return 0;
	return MIN(MIN(n, room), (u32)TCP_MAX_SACK_BLOCKS);
}

/* Payload per segment: the MSS less the options the segment carries (RFC
 * 9293 3.7.1, RFC 6691: the effective send MSS subtracts the TCP header
 * with its options): 12 bytes of timestamps and, while we hold
 * out-of-order data, the SACK blocks (as Linux's tcp_current_mss).
 * Without them a full segment with SACK blocks is larger than the path
 * MTU, and with DF set it is dropped before it leaves (IpFragFails): a
 * connection that receives reordered data while it sends lost most of
 * what it sent. */
u32 tcp_send_mss(const struct tcp_sock *tp)
{
	u32 opts = tp->ts_ok ? 12u : 0u, n = tcp_sack_blocks_out(tp);
	if (n)
		opts += 4 + n * TCPOLEN_SACK_PERBLOCK;
	return tp->mss - opts;
}

/* Segments in flight (RFC 5681's FlightSize in MSS units, rounded up). */
u32 tcp_flight_pkts(const struct tcp_sock *tp)
{
	u32 mss = tcp_send_mss(tp);
	return (tp->snd_nxt - tp->snd_una + mss - 1) / mss;
}

static bool tcp_sack_recovering(const struct tcp_sock *tp)
{
	return tp->in_recovery && tp->sack && tp->sack->in_recovery;
}

/* Limited Transmit (RFC 3042 2, RFC 5681 3.2 step 1): on the first and
 * second duplicate ACK a segment of new data may go beyond cwnd, so that
 * FlightSize <= cwnd + 2 * SMSS; cwnd itself does not change. */
static u32 tcp_limited_transmit_bytes(const struct tcp_sock *tp)
{
	if (tp->in_recovery || tp->dupacks == 0 ||
	    tp->dupacks >= TCP_DUPTHRESH_PKTS)
		return 0;
	return tp->dupacks * tcp_send_mss(tp);
}

/* What cwnd lets us send beyond what is in flight, in bytes; in SACK
 * recovery "in flight" is the pipe (RFC 6675 5 step C). */
static u32 tcp_cwnd_room(const struct tcp_sock *tp)
{
	u32 in_flight = tcp_sack_recovering(tp) ? tcp_sack_pipe(tp->sack)
						: tp->snd_nxt - tp->snd_una;
	u32 cwnd_bytes = tp->cc.cwnd * tcp_send_mss(tp);
	if (tp->rack) { /* Linux's tcp_packets_in_flight: SACKed, lost out;
			 * a SACKed byte frees room (no limited transmit) */
		in_flight = tcp_rack_pipe(tp->rack);
	} else {
		if (tp->sack && tcp_in_loss(tp)) /* SACKed: not in flight */
			in_flight -=
			    tcp_sack_sacked_below(tp->sack, tp->snd_nxt);
		cwnd_bytes += tcp_limited_transmit_bytes(tp);
	}
	return cwnd_bytes > in_flight ? cwnd_bytes - in_flight : 0;
}

static bool tcp_push_state_ok(const struct tcp_sock *tp)
{
	return tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT ||
	       tp->state == TCP_FIN_WAIT1 || tp->state == TCP_CLOSING ||
	       tp->state == TCP_LAST_ACK;
}

/* New bytes the peer's window allows now (at most one segment). */
static u32 tcp_wnd_allows(const struct tcp_sock *tp)
{
	u32 in_flight = tp->snd_nxt - tp->snd_una;
	u32 wnd_left = tp->snd_wnd > in_flight ? tp->snd_wnd - in_flight : 0;
	return MIN(MIN(tcp_unsent(tp), wnd_left), tcp_send_mss(tp));
}

/* With GSO (tp->gso_max, tcp_route_gso_max): up to gso_max new bytes in
 * one frame that the NIC or net/gso.c cuts into MSS segments. */
static u32 tcp_wnd_allows_gso(const struct tcp_sock *tp)
{
	u32 in_flight = tp->snd_nxt - tp->snd_una;
	u32 wnd_left = tp->snd_wnd > in_flight ? tp->snd_wnd - in_flight : 0;
	u32 goal = MAX(tp->gso_max, tcp_send_mss(tp));
	return MIN(MIN(tcp_unsent(tp), wnd_left), goal);
}

/* Send len new bytes at SND.NXT (len <= unsent). */
static void tcp_send_new(struct tcp_sock *tp, u32 len)
{
	u8 flags = TCP_FLAG_ACK | (len == tcp_unsent(tp) ? TCP_FLAG_PSH : 0);
	tcp_transmit_seg(tp, tp->snd_nxt, flags, len);
	tcp_xmit_log(tp, tp->snd_nxt, len);
	tp->snd_nxt += len;
	if (!tp->ts_ok && !tp->rtt.timing &&
	    !after(tp->snd_max, tp->snd_nxt - len))
		tcp_rtt_time_seg(&tp->rtt, tp->snd_nxt, tcp_now_ms() * 1000);
	tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	if (tp->sack)
		tcp_sack_on_send(tp->sack, tp->snd_max);
}

static void tcp_send_fin(struct tcp_sock *tp)
{
	tp->fin_sent = true;
	tp->fin_seq = tp->snd_nxt;
	tcp_transmit_seg(tp, tp->snd_nxt, TCP_FLAG_FIN | TCP_FLAG_ACK, 0);
	tcp_xmit_log(tp, tp->snd_nxt, 1);
	tp->snd_nxt++;
	tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	if (tp->sack)
		tcp_sack_on_send(tp->sack, tp->snd_max);
}

/*
 * Going back from SND.UNA after an RTO with SACK: SND.NXT steps over
 * what the receiver SACKed (kept across the RTO, tcp_sack_on_rto), so
 * only the holes are sent again. Returns the bytes up to the next SACKed
 * range (all of the send ring if none).
 */
static u32 tcp_loss_skip_sacked(struct tcp_sock *tp)
{
	if (!tp->sack || !tcp_in_loss(tp) || !before(tp->snd_nxt, tp->snd_max))
		return tp->sndq.len;
	const struct tcp_sack_block *r =
	    tcp_sack_next_range(tp->sack, tp->snd_nxt);
	if (r && !after(r->start, tp->snd_nxt)) {
		tp->snd_nxt = seq_min(r->end, tp->snd_max);
		r = tcp_sack_next_range(tp->sack, tp->snd_nxt);
	}
	return r ? r->start - tp->snd_nxt : tp->sndq.len;
}

/* The next new segment's length: within the peer's window and cwnd (up to
 * gso_max with GSO, in whole segments but for the last), and not a small
 * one while data is in flight (Nagle, RFC 1122 4.2.3.4); 0: nothing may
 * go now. */
static u32 tcp_next_new_len(const struct tcp_sock *tp, u32 gap)
{
	u32 unsent = tcp_unsent(tp), mss = tcp_send_mss(tp);
	u32 len = MIN(MIN(tcp_wnd_allows_gso(tp), tcp_cwnd_room(tp)), gap);
	if (len > mss && len != unsent)
		len -= len % mss;
	if (len < mss && len == unsent && tp->snd_nxt != tp->snd_una &&
	    !tp->fin_queued && !tp->nodelay)
		return 0;
	return len;
}

bool tcp_may_send_now(const struct tcp_sock *tp)
{
	return tcp_push_state_ok(tp) && tcp_next_new_len(tp, tp->sndq.len) > 0;
}

/* One round of sending: data within min(SND.WND, cwnd), then the FIN. */
void tcp_push(struct tcp_sock *tp)
{
	u32 snd_nxt = tp->snd_nxt;
	if (!tcp_push_state_ok(tp))
		return;
	for (;;) {
		u32 unsent = tcp_unsent(tp);
		tp->cwnd_limited =
		    unsent && tcp_cwnd_room(tp) < MIN(unsent, tcp_send_mss(tp));
		u32 len = tcp_next_new_len(tp, tcp_loss_skip_sacked(tp));
		if (len == 0)
			break;
		tcp_send_new(tp, len);
	}
	if (tcp_can_send_fin(tp) && tcp_cwnd_room(tp))
		tcp_send_fin(tp);
	/* Outstanding data, or data held by a zero window (the timer then
	 * sends the window probe). */
	if ((tp->snd_nxt != tp->snd_una || tcp_unsent(tp)) && !tp->rto_at_ms)
		tcp_rearm_rto(tp);
	if (tp->snd_nxt != snd_nxt) /* RFC 8985 7.2: new data sent */
		tcp_tlp_schedule(tp);
}

/* Resend [seq, seq + len) from the send ring, or the FIN if seq is its
 * sequence number. Returns the sequence space resent (0: nothing). */
u32 tcp_retransmit_range(struct tcp_sock *tp, u32 seq, u32 len)
{
	u32 off = seq - tp->snd_una;
	u32 data = MIN(tp->snd_max - tp->snd_una, tp->sndq.len);
	u8 flags = TCP_FLAG_ACK;
	if (off < data)
		len = MIN(len, data - off);
	else if (tp->fin_sent && seq == tp->fin_seq) {
		flags |= TCP_FLAG_FIN;
		len = 0;
	} else
		return 0;
	tcp_rtt_on_retransmit(&tp->rtt); /* Karn */
	tcp_transmit_seg(tp, seq, flags, len);
	tcp_xmit_log(tp, seq, len + !!(flags & TCP_FLAG_FIN));
	TCP_INC(TcpRetransSegs);
	tp->total_retrans++;
	return len + !!(flags & TCP_FLAG_FIN);
}

/*
 * RFC 6675 5 step C: while cwnd - pipe >= 1 SMSS, NextSeg picks lost
 * holes first (rule 1), then new data (rule 2), then other holes (rule
 * 3), then one rescue retransmission (rule 4). Bounded per call.
 */
void tcp_sack_xmit(struct tcp_sock *tp)
{
	struct tcp_nextseg seg;
	u32 mss = tcp_send_mss(tp);
	for (int i = 0; i < 64 && tcp_sack_recovering(tp); i++) {
		if ((u64)tcp_sack_pipe(tp->sack) + mss > (u64)tp->cc.cwnd * mss)
			return;
		u32 new_len = tcp_wnd_allows(tp);
		switch (tcp_sack_next_seg(tp->sack, new_len > 0, &seg)) {
		case TCP_NEXTSEG_NEW:
			tcp_send_new(tp, new_len);
			break;
		case TCP_NEXTSEG_RETRANS:
		case TCP_NEXTSEG_RESCUE:
			tcp_retransmit_range(tp, seg.seq, seg.len);
			break;
		default:
			return;
		}
	}
}

/*
 * RACK recovery (RFC 8985 with the pipe of RFC 6675 5 step C, as Linux's
 * tcp_xmit_retransmit_queue): while cwnd - pipe >= 1 SMSS, the lowest
 * bytes RACK marked lost go again, then new data. After an RTO the
 * go-back-N of tcp_push resends from SND.NXT; here only resends RACK
 * found lost again below it. Bounded per call.
 */
void tcp_rack_xmit(struct tcp_sock *tp)
{
	u32 mss = tcp_send_mss(tp), seq, len;
	bool loss = tcp_in_loss(tp);
	for (int i = 0; i < 64 && tp->rack && (tp->in_recovery || loss); i++) {
		if ((u64)tcp_rack_pipe(tp->rack) + mss > (u64)tp->cc.cwnd * mss)
			return;
		if (tcp_rack_next_lost(tp->rack, loss, mss, &seq, &len) &&
		    (!loss || before(seq, tp->snd_nxt))) {
			if (!tcp_retransmit_range(tp, seq, len))
				return;
			/* The head went again: its RTO starts now (Linux's
			 * tcp_xmit_retransmit_queue), not at its first send
			 * two round trips and a reordering window ago. */
			if (seq == tp->snd_una)
				tcp_rearm_rto(tp);
			continue;
		}
		u32 new_len = loss ? 0 : tcp_wnd_allows(tp);
		if (!new_len)
			return;
		tcp_send_new(tp, new_len);
	}
}

/* Fast retransmit with SACK (RFC 6675 5 step 4.3): the segment at
 * SND.UNA first; HighRxt and RescueRxt move past it. */
void tcp_sack_retransmit_head(struct tcp_sock *tp)
{
	u32 n = tcp_retransmit_range(tp, tp->snd_una, tcp_send_mss(tp));
	tp->sack->high_rxt = tp->snd_una + n;
	tp->sack->rescue_rxt = tp->snd_una + n;
	tp->sack->rescue_valid = true;
	tp->head_rtx_valid = n != 0;
	tp->head_rtx_seq = tp->snd_una;
	tp->head_rtx_mark = tp->snd_max;
}

/* Again, within cwnd - pipe (RFC 6675 5 step C), HighRxt untouched. */
void tcp_sack_retransmit_lost_head(struct tcp_sock *tp)
{
	u32 mss = tcp_send_mss(tp);
	if ((u64)tcp_sack_pipe(tp->sack) + mss > (u64)tp->cc.cwnd * mss)
		return;
	TCP_INC(TcpExtTCPLostRetransmit);
	tcp_retransmit_range(tp, tp->snd_una, mss);
	tp->head_rtx_mark = tp->snd_max;
}

/* The last MSS of data sent (or the FIN alone): what a loss probe
 * resends when there is no new data. Returns the sequence space. */
static u32 tcp_retransmit_tail(struct tcp_sock *tp)
{
	u32 data_out = MIN(tp->snd_max - tp->snd_una, tp->sndq.len);
	u32 len = MIN(data_out, tcp_send_mss(tp));
	if (len == 0)
		return tp->fin_sent ? tcp_retransmit_range(tp, tp->fin_seq, 0)
				    : 0;
	return tcp_retransmit_range(tp, tp->snd_una + data_out - len, len);
}

/*
 * RFC 8985 7.3: the probe timeout fired with the tail unacknowledged.
 * One segment of new data if the peer's window allows it (cwnd is not
 * checked), else the last segment again; either way its ACK (or SACK)
 * lets loss detection see a lost tail without waiting for the RTO.
 * TLP.end_seq is SND.NXT after it; the RTO is armed afresh.
 */
void tcp_send_loss_probe(struct tcp_sock *tp)
{
	tp->tlp_at_ms = 0;
	if (!tcp_tlp_allowed(tp))
		return;
	u32 len = tcp_wnd_allows(tp);
	if (len) {
		tcp_send_new(tp, len);
		tp->tlp_retrans = false;
	} else if (tcp_retransmit_tail(tp)) {
		tp->tlp_retrans = true;
	} else
		return;
	TCP_INC(TcpExtTCPLossProbes);
	tp->tlp_in_flight = true;
	tp->tlp_end_seq = tp->snd_nxt;
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
	tcp_xmit_log(tp, tp->snd_una, len + !!(flags & TCP_FLAG_FIN));
	/* After an RTO SND.NXT was moved back (go-back-N): it passes what
	 * was just resent. */
	tp->snd_nxt =
	    seq_max(tp->snd_nxt, tp->snd_una + len + !!(flags & TCP_FLAG_FIN));
	TCP_INC(TcpRetransSegs);
	tp->total_retrans++;
}
