/*
 * net/tcp_rack.h - RACK (RFC 8985 6): time-based loss detection, and the
 * per-transmission state that loss recovery on a SACK connection works
 * from. Pure: the connection says what it sent and when, and what each
 * ACK delivered; it answers which bytes are lost now and when to look
 * again (the reordering timer). Times are microseconds, passed in.
 *
 * The transmission log: [snd_una, snd_nxt) cut into entries, ascending
 * and contiguous, each with the time it last went out and Linux's
 * per-skb flags (TCPCB_SACKED_ACKED, TCPCB_LOST, TCPCB_SACKED_RETRANS,
 * TCPCB_EVER_RETRANS). Bytes sent in the same microsecond with the same
 * flags share an entry, so a burst is one entry; a SACK block or a
 * retransmission splits entries at its edges. At most TCP_RACK_MAX_SEGS
 * entries: past that two neighbours are merged, keeping the later time
 * and the flags that make the merged bytes look less delivered (a lost
 * or unSACKed byte is never hidden; the cost is a spurious resend).
 *
 * Usage (Linux's tcp_rack_*): tcp_rack_init(&r, snd_una) when the first
 * data goes out on a SACK connection; tcp_rack_on_xmit(&r, start, end,
 * now) for every segment of data (or FIN) sent, new or again; for every
 * ACK tcp_rack_on_ack(&r, &in, &out): it drops what the cumulative ACK
 * covers, marks SACKed ranges, runs RACK's steps 2-5 and reports the
 * bytes it newly marked lost and the reordering timeout (0: none). When
 * the reordering timer fires: tcp_rack_detect_loss. In recovery, the
 * pipe is tcp_rack_pipe and what to resend tcp_rack_next_lost. After an
 * RTO, tcp_rack_on_rto marks everything not SACKed lost.
 */
#ifndef SKIFF_NET_TCP_RACK_H
#define SKIFF_NET_TCP_RACK_H

#include <skiff/net/tcp_wire.h>
#include <skiff/types.h>

#define TCP_RACK_MAX_SEGS 1024	  /* log entries kept */
#define TCP_RACK_REO_PERSIST 16	  /* RFC 8985 6.2 step 4 */
#define TCP_RACK_REO_MULT_MAX 255 /* reo_wnd_mult's ceiling */

/* Flags of a log entry (Linux's TCPCB_* names). */
#define TCP_RACK_SACKED 0x1	  /* SACKed (TCPCB_SACKED_ACKED) */
#define TCP_RACK_LOST 0x2	  /* marked lost (TCPCB_LOST) */
#define TCP_RACK_RETRANS 0x4	  /* resent since (TCPCB_SACKED_RETRANS) */
#define TCP_RACK_EVER_RETRANS 0x8 /* resent at least once */

struct tcp_rack_seg {
	u32 start, end; /* [start, end), end after start */
	u64 xmit_us;	/* when it last went out */
	u8 flags;	/* TCP_RACK_* */
};

struct tcp_rack {
	u32 snd_una; /* the log starts here */
	u32 snd_nxt; /* and ends here: one past the highest byte sent */
	struct tcp_rack_seg *segs;
	u32 nr, cap; /* entries used, allocated */
	/* RFC 8985 6.1 */
	u64 xmit_us;	 /* RACK.xmit_ts of the latest sent delivered */
	u32 end_seq;	 /* RACK.end_seq of that segment */
	u32 rtt_us;	 /* RACK.rtt: its RTT */
	u32 fack;	 /* RACK.fack: highest end delivered */
	bool advanced;	 /* RACK.xmit_ts was set (once) */
	bool reord;	 /* RACK.reord: reordering seen */
	u8 reo_wnd_mult; /* RACK.reo_wnd_mult, >= 1 */
	u8 reo_wnd_persist;
	bool dsack_round_valid; /* RACK.dsack_round is not None */
	bool log_idle; /* tcp_rack_idle emptied the log, its buffer kept:
			* as if released until the next send */
	u32 dsack_round;
	u32 reord_events;  /* ACKs that showed reordering */
	u32 reo_extent_us; /* the latest an overtaken original came */
	u32 lost_retrans;  /* resends marked lost again */
	u32 merged;	   /* entries merged for lack of room */
	u64 reo_at_ms;	   /* the connection's reordering timer (0: unset) */
	/* The connection's idle trim deadline (0: unset): set when nothing
	 * is outstanding any more, cleared by the next send; when it passes
	 * the log's memory goes, and the state too if pristine. */
	u64 idle_at_ms;
	/* PRR (RFC 6937 3) of the recovery in progress, kept by the
	 * connection, in segments: RecoverFS (FlightSize at the start),
	 * prr_delivered and prr_out. */
	u32 prr_recover_fs, prr_delivered, prr_out;
};

/* One ACK as RACK sees it. */
struct tcp_rack_in {
	u32 ack;
	const struct tcp_sack_block *blocks; /* SACK blocks, D-SACK skipped */
	unsigned nr_blocks;
	bool dsack; /* the ACK carried a D-SACK (RFC 2883) */
	bool ts;    /* tsecr is valid (timestamps in use) */
	u32 tsecr;  /* the ACK's TSecr, ms (our TSval clock) */
	u64 now_us;
	u32 min_rtt_us;	 /* RACK.min_RTT (0: no sample) */
	u32 srtt_us;	 /* SRTT (0: no sample) */
	bool recovering; /* fast recovery or after an RTO */
	u32 sacked_pkts; /* segments SACKed (for the DupThresh rule) */
	u32 high_seq;	 /* delivered_orig counts only data below it */
};

struct tcp_rack_out {
	u32 newly_lost;	    /* bytes marked lost by this call */
	u32 delivered;	    /* bytes newly acked or SACKed */
	u32 delivered_orig; /* of them, never resent nor SACKed before */
	u64 reo_timeout_us; /* arm the reordering timer (0: no) */
	bool reordering;    /* an original arrived after a later one */
};

/* Returns 0, or -ENOMEM (the log cannot be allocated). */
int tcp_rack_init(struct tcp_rack *r, u32 snd_una);
void tcp_rack_release(struct tcp_rack *r); /* the log's memory */
/* Nothing outstanding: the log empties (an initial-size buffer is kept
 * for the next send, a grown one is freed), what RACK learned about the
 * path (reordering, the window's multiplier) stays. */
void tcp_rack_idle(struct tcp_rack *r, u32 snd_una);
/* An empty log that learned nothing a fresh one (tcp_rack_init) would
 * not start with: the connection may free it and make a new one later. */
bool tcp_rack_pristine(const struct tcp_rack *r);
/* [start, end) went out at now_us: new data beyond snd_nxt is appended,
 * bytes below it are a retransmission (RETRANS set, LOST kept). */
void tcp_rack_on_xmit(struct tcp_rack *r, u32 start, u32 end, u64 now_us);
void tcp_rack_on_ack(struct tcp_rack *r, const struct tcp_rack_in *in,
		     struct tcp_rack_out *out);
/* RFC 8985 6.2 step 5 alone (the reordering timer fired). */
void tcp_rack_detect_loss(struct tcp_rack *r, const struct tcp_rack_in *in,
			  struct tcp_rack_out *out);
/* A recovery proved spurious by timestamps (RFC 3522) or F-RTO (RFC
 * 5682) rather than a D-SACK: the same evidence of reordering as a
 * D-SACK of a resend, so step 4 widens the window the same way (once a
 * round). Without it a receiver whose PAWS drops the late originals
 * (a resend moved its TS.Recent) and rate-limits its duplicate ACKs
 * (Linux) would leave the window at min_RTT / 4 for good. */
void tcp_rack_spurious(struct tcp_rack *r);
/* RFC 8985 6.2 step 4: a recovery episode (fast or RTO) ended. */
void tcp_rack_recovery_done(struct tcp_rack *r);
/* Bytes in the network: not SACKed, and not lost unless resent since. */
u32 tcp_rack_pipe(const struct tcp_rack *r);
/* Bytes resent and not yet acked, SACKed or lost again. */
u32 tcp_rack_retrans_out(const struct tcp_rack *r);
/* Bytes marked lost and not resent. */
u32 tcp_rack_lost_out(const struct tcp_rack *r);
/* The lowest lost, unSACKed bytes not resent since (with resent_only:
 * among bytes resent before, lost again), up to len_max bytes: true and
 * [*seq, *seq + *len), or false. */
bool tcp_rack_next_lost(const struct tcp_rack *r, bool resent_only, u32 len_max,
			u32 *seq, u32 *len);
/* RTO (Linux's tcp_timeout_mark_lost): every byte not SACKed is lost,
 * none counts as resent. */
void tcp_rack_on_rto(struct tcp_rack *r);
/* Spurious recovery undone: no byte is lost any more. */
void tcp_rack_unmark_lost(struct tcp_rack *r);
/* The receiver reneged: no byte is SACKed any more. */
void tcp_rack_forget_sacked(struct tcp_rack *r);
/* The reordering window now (RFC 8985 6.2 step 4, RACK_reo_wnd). */
u32 tcp_rack_reo_wnd_us(const struct tcp_rack *r, const struct tcp_rack_in *in);

#endif
